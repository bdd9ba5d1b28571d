"""Load a policy version from YAML and validate it as a whole.

Pydantic checks each node's shape; :func:`semantic_problems` checks what spans nodes:
unique ids, references that resolve, a contiguous degree scale, targets within the scale,
descriptors for every degree in both languages, and ``provisional`` lists naming real fields.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pvpp.paths import policy_dir
from pvpp.policy.models import Designed, Policy
from pvpp.yamlio import DataFileError, format_loc, read_yaml

PolicyError = DataFileError


def available_versions() -> list[str]:
    """Policy versions shipped in ``policy/``."""
    return sorted(p.stem for p in policy_dir().glob("*.yaml") if "." not in p.stem)


def policy_path(version: str) -> Path:
    """The file that holds ``version``."""
    return policy_dir() / f"{version}.yaml"


def load_policy_file(path: Path) -> Policy:
    """Read and validate one policy file; raise :class:`PolicyError` listing every problem."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise PolicyError(path, ["the file must hold a mapping (key: value) at the top level"])
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(path, _pydantic_problems(raw, exc)) from None
    problems = semantic_problems(policy)
    if problems:
        raise PolicyError(path, problems)
    return policy


@lru_cache(maxsize=8)
def load_policy(version: str) -> Policy:
    """The shipped policy ``version`` (cached: policy files do not change while running)."""
    path = policy_path(version)
    if not path.exists():
        known = ", ".join(available_versions()) or "none"
        raise PolicyError(path, [f"unknown policy version {version!r} (known: {known})"])
    return load_policy_file(path)


def _pydantic_problems(raw: Any, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        where = format_loc(raw, err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        out.append(f"{where}: {msg}")
    return out


def semantic_problems(policy: Policy) -> list[str]:
    """Cross-node checks; returns a list of readable problems (empty when valid)."""
    problems: list[str] = []

    # Unique ids across every kind: references are by bare id, so a clash would be ambiguous.
    ids: list[tuple[str, str]] = []
    ids += [(f"dimensions[{d.id}]", d.id) for d in policy.dimensions]
    for c in policy.components:
        ids.append((f"components[{c.id}]", c.id))
        ids += [(f"components[{c.id}].items[{i.id}]", i.id) for i in c.items]
    ids += [(f"principles[{p.id}]", p.id) for p in policy.principles]
    for rv in policy.action_directions:
        ids.append((f"action_directions[{rv.id}]", rv.id))
        ids += [(f"action_directions[{rv.id}].measures[{m.id}]", m.id) for m in rv.measures]
    for g in policy.institution_groups:
        ids.append((f"institution_groups[{g.id}]", g.id))
        ids += [(f"institution_groups[{g.id}].subtypes[{s.id}]", s.id) for s in g.subtypes]
    ids += [(f"exclusions[{e.id}]", e.id) for e in policy.exclusions]
    ids += [(f"funding_sources[{f.id}]", f.id) for f in policy.funding_sources]
    ids += [(f"service_types[{s.id}]", s.id) for s in policy.service_types]
    ids += [(f"participant_roles[{r.id}]", r.id) for r in policy.participant_roles]
    counts = Counter(i for _, i in ids)
    for where, ident in ids:
        if counts[ident] > 1:
            problems.append(
                f"{where}: id {ident!r} is used {counts[ident]} times; ids must be unique"
            )

    # Degree scale: contiguous integers, so "one degree per step" is well defined.
    values = sorted(policy.degree_scale.values)
    if len(set(values)) != len(values):
        problems.append("degree_scale.degrees: a degree value appears twice")
    elif values != list(range(values[0], values[0] + len(values))):
        problems.append(f"degree_scale.degrees: values {values} are not contiguous")
    scale = set(values)

    for d in policy.dimensions:
        missing = sorted(scale - set(d.descriptors))
        extra = sorted(set(d.descriptors) - scale)
        if missing:
            problems.append(
                f"dimensions[{d.id}].descriptors: no descriptor for degree(s) {missing}"
            )
        if extra:
            problems.append(
                f"dimensions[{d.id}].descriptors: degree(s) {extra} are not on the scale"
            )

    measure_ids = {m.id for m in policy.measures}
    for c in policy.components:
        if c.rv5_measure not in measure_ids:
            problems.append(
                f"components[{c.id}].rv5_measure: {c.rv5_measure!r} is not a measure of this policy"
            )
        for i in c.items:
            if i.national_target not in scale:
                problems.append(
                    f"components[{c.id}].items[{i.id}].national_target: {i.national_target} "
                    f"is not on the degree scale {values[0]}–{values[-1]}"
                )
    numbers = [c.number for c in policy.components]
    if numbers != sorted(set(numbers)):
        problems.append("components: component numbers must be unique and in ascending order")

    problems += _provisional_problems(policy)
    return problems


def marked_fields(policy: BaseModel) -> dict[str, tuple[str, ...]]:
    """Every element's path in the file (of a policy, or of another data file that marks its
    designed fields the same way) (``""`` for the top level, ``degree_scale``,
    ``components[C1].items[1.1]``) → the fields it marks ``provisional``."""
    out: dict[str, tuple[str, ...]] = {}

    def visit(node: BaseModel, where: str) -> None:
        out[where] = tuple(getattr(node, "provisional", ()))
        for fname in type(node).model_fields:
            value = getattr(node, fname)
            prefix = f"{where + '.' if where else ''}{fname}"
            if isinstance(value, tuple):
                for entry in value:
                    if isinstance(entry, BaseModel) and hasattr(entry, "provisional"):
                        visit(entry, f"{prefix}[{getattr(entry, 'id', '')}]")
            elif isinstance(value, BaseModel) and hasattr(value, "provisional"):
                visit(value, prefix)

    visit(policy, "")
    return out


#: A ``covers`` path of the measures library, checked by the library's own loader.
LIBRARY_PREFIX = "library."


def covered_fields(policy: BaseModel, path: str) -> list[tuple[str, str]]:
    """The (element path, field) pairs a ``covers`` path names; empty if none."""
    nodes = marked_fields(policy)
    where, _, field = path.rpartition(".")
    parts = re.split(r"(\[\*\])", where)
    pattern = re.compile("".join(r"\[[^\]]+\]" if p == "[*]" else re.escape(p) for p in parts))
    out = []
    for node_path in nodes:
        if not pattern.fullmatch(node_path):
            continue
        model = _node_at(policy, node_path)
        if model is not None and field in type(model).model_fields:
            out.append((node_path, field))
    return out


def _node_at(policy: BaseModel, path: str) -> BaseModel | None:
    node: BaseModel = policy
    for part in re.findall(r"([a-z_]+)(?:\[([^\]]+)\])?", path):
        name, ident = part
        value = getattr(node, name, None)
        if ident:
            value = next((e for e in value or () if getattr(e, "id", None) == ident), None)
        if not isinstance(value, BaseModel):
            return None
        node = value
    return node


def _provisional_problems(policy: Policy) -> list[str]:
    return designed_problems(policy, policy.designed, external=(LIBRARY_PREFIX,))


def designed_problems(
    policy: BaseModel, designed: Sequence[Designed], *, external: tuple[str, ...] = ()
) -> list[str]:
    """``provisional`` names real fields; every designed entry covers fields marked
    provisional, and every provisional field is covered by a designed entry (so each
    designed value carries its marker, and each marker its explanation).

    ``policy`` is the file's root (a policy, or another data file that marks its designed
    fields the same way, such as the specialised plans' library); a ``covers`` path with
    one of the ``external`` prefixes belongs to another file, whose loader checks it."""
    out = []
    nodes = marked_fields(policy)
    for where, marked in nodes.items():
        node = _node_at(policy, where)
        fields = set(type(node).model_fields) if node is not None else set()
        for name in marked:
            if name not in fields or name in {"provisional", "id", "designed"}:
                out.append(
                    f"{where or '(top level)'}.provisional: {name!r} is not a field of this element"
                )
    covered: set[tuple[str, str]] = set()
    ids = Counter(d.id for d in designed)
    for entry in designed:
        if ids[entry.id] > 1:
            out.append(f"designed[{entry.id}]: id used {ids[entry.id]} times; ids must be unique")
        for path in entry.covers:
            if path.startswith(external):
                continue  # another file's loader checks these against that file
            pairs = covered_fields(policy, path)
            if not pairs:
                out.append(f"designed[{entry.id}].covers: {path!r} names no field of this file")
            for where, field in pairs:
                covered.add((where, field))
                if field not in nodes[where]:
                    out.append(
                        f"designed[{entry.id}].covers: {path!r} is designed, but "
                        f"{where or '(top level)'} does not mark {field!r} provisional"
                    )
    for where, marked in nodes.items():
        node = _node_at(policy, where)
        fields = set(type(node).model_fields) if node is not None else set()
        for name in marked:
            if name in fields and (where, name) not in covered:
                out.append(
                    f"{where or '(top level)'}.provisional: {name!r} is marked provisional but "
                    "no `designed` entry covers it (say what was designed and why)"
                )
    return out


def library_covers(policy: Policy) -> set[str]:
    """The parts of the measures library the policy's ``designed`` entries explain
    (``library.measures`` → ``measures``)."""
    return {
        path.removeprefix(LIBRARY_PREFIX)
        for entry in policy.designed
        for path in entry.covers
        if path.startswith(LIBRARY_PREFIX)
    }
