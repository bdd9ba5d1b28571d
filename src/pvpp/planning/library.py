"""The measures library: concrete next steps per item × dimension × degree step.

Files live in ``policy/measures/<policy version>/``: ``_common.yaml`` holds the shared
vocabulary (roles, support offers, effort sizes) and every other file holds measures.
The loader checks the library as a whole: ids unique, every item × dimension × step
covered, references (roles, support, funding, prerequisites) resolving, no cycles.

Besides the step measures (``measures:``, one degree of one dimension), a file may hold
``service_measures:``: one per condition group (K1–K10), the P5.2 measure that brings the
services the team named as not or partly meeting the group into conformity with it. A
service measure raises no dimension, so it has neither ``dimension`` nor ``to_degree``;
the plan names its services (see :mod:`pvpp.planning.service_steps`).
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path

from pydantic import Field, ValidationError

from pvpp.paths import policy_dir
from pvpp.policy import Policy, load_policy
from pvpp.policy.loader import library_covers
from pvpp.policy.models import ItemKind, Node, Strict, Text
from pvpp.yamlio import DataFileError, format_loc, read_yaml

LibraryError = DataFileError


class Role(Node):
    name: Text


class SupportOffer(Node):
    name: Text


class Effort(Node):
    days: int = Field(gt=0)
    name: Text


class Common(Strict):
    policy: str
    provisional: tuple[str, ...] = ()
    roles: tuple[Role, ...] = Field(min_length=1)
    support_offers: tuple[SupportOffer, ...] = ()
    effort: tuple[Effort, ...] = Field(min_length=1)


class MeasureDef(Strict):
    """One measure of the library."""

    # Step measures: M-<item>-<dimension>-<degree>; service measures: M-<group>-SVC.
    id: str = Field(pattern=r"^M-[A-Za-z0-9_]+-(D[0-9]+-[0-9]+[a-z]?|SVC)$")
    item: str
    # Empty (and to_degree 0) only for a service measure; the loader refuses a step
    # measure without them.
    dimension: str = ""
    to_degree: int = Field(default=0, ge=0)
    title: Text
    description: Text
    effort: str
    role: str
    prerequisites: tuple[str, ...] = ()
    support: tuple[str, ...] = ()
    funding: tuple[str, ...] = Field(min_length=1)


class MeasuresFile(Strict):
    policy: str
    measures: tuple[MeasureDef, ...] = ()
    service_measures: tuple[MeasureDef, ...] = ()


class Library:
    """All measures of a policy version with their shared vocabulary."""

    def __init__(
        self,
        policy: Policy,
        common: Common,
        measures: list[MeasureDef],
        service_measures: list[MeasureDef] | None = None,
    ) -> None:
        self.policy = policy
        self.common = common
        self.measures = measures
        self.service_measures = service_measures or []

    @cached_property
    def by_id(self) -> dict[str, MeasureDef]:
        """Every measure by id, step and service measures alike (a plan row's measure)."""
        return {m.id: m for m in [*self.measures, *self.service_measures]}

    @cached_property
    def for_services(self) -> dict[str, MeasureDef]:
        """Condition group → its service measure (P5.2, naming services)."""
        return {m.item: m for m in self.service_measures}

    @cached_property
    def by_step(self) -> dict[tuple[str, str, int], list[MeasureDef]]:
        """(item, dimension, to_degree) → measures, in file order."""
        out: dict[tuple[str, str, int], list[MeasureDef]] = {}
        for m in self.measures:
            out.setdefault((m.item, m.dimension, m.to_degree), []).append(m)
        return out

    @cached_property
    def roles(self) -> dict[str, Role]:
        return {r.id: r for r in self.common.roles}

    @cached_property
    def support(self) -> dict[str, SupportOffer]:
        return {s.id: s for s in self.common.support_offers}

    @cached_property
    def effort_days(self) -> dict[str, int]:
        return {e.id: e.days for e in self.common.effort}


def _read(path: Path, model: type[Strict]) -> Strict:
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise LibraryError(path, ["the file must hold a mapping at the top level"])
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise LibraryError(
            path,
            [f"{format_loc(raw, e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)],
        ) from None


def library_problems(lib: Library) -> list[str]:
    """Cross-file checks; empty when the library is complete and consistent."""
    policy = lib.policy
    problems: list[str] = []
    items = {i.id for i in policy.items}
    dims = [d.id for d in policy.dimensions]
    top = policy.degree_scale.max
    low = policy.degree_scale.min
    funding = {f.id for f in policy.funding_sources}
    groups = [i.id for i in policy.items if i.kind is ItemKind.CONDITION_GROUP]
    seen: set[str] = set()
    for m in [*lib.measures, *lib.service_measures]:
        where = f"measures[{m.id}]"
        if m.id in seen:
            problems.append(f"{where}: id is used twice")
        seen.add(m.id)
        if m.item not in items:
            problems.append(f"{where}.item: {m.item!r} is not an item of {policy.id}")
        if m.role not in lib.roles:
            problems.append(f"{where}.role: {m.role!r} is not a role in _common.yaml")
        if m.effort not in lib.effort_days:
            problems.append(f"{where}.effort: {m.effort!r} is not an effort size")
        problems += [
            f"{where}.support: {s!r} is not a support offer"
            for s in m.support
            if s not in lib.support
        ]
        problems += [
            f"{where}.funding: {f!r} is not a funding source" for f in m.funding if f not in funding
        ]
    for m in lib.measures:
        where = f"measures[{m.id}]"
        if m.dimension not in dims:
            problems.append(f"{where}.dimension: {m.dimension!r} is not a dimension")
        if not low < m.to_degree <= top:
            problems.append(f"{where}.to_degree: {m.to_degree} is not a step on the scale")
    problems += _service_problems(lib, groups)
    for m in lib.measures:
        for pre in m.prerequisites:
            if pre not in lib.by_id:
                problems.append(f"measures[{m.id}].prerequisites: {pre!r} is not a measure")
    for item in sorted(items):
        for dim in dims:
            for step in range(low + 1, top + 1):
                if (item, dim, step) not in lib.by_step:
                    problems.append(f"no measure for item {item}, {dim}, step to degree {step}")
    problems += _cycles(lib)
    return problems


#: What ``_common.yaml`` may mark ``provisional``: its own lists and the measures.
PROVISIONAL_PARTS = ("measures", "roles", "support_offers", "effort")


def designed_problems(common: Common, policy: Policy) -> list[str]:
    """The library's ``provisional`` parts and the policy's ``designed`` entries that
    cover ``library.*`` agree: each designed part is marked, each mark explained."""
    out = []
    marked = set(common.provisional)
    covered = library_covers(policy)
    out += [
        f"_common.yaml provisional: {name!r} is not a part of the library "
        f"({', '.join(PROVISIONAL_PARTS)})"
        for name in sorted(marked - set(PROVISIONAL_PARTS))
    ]
    out += [
        f"_common.yaml provisional: {name!r} is marked, but no `designed` entry of policy "
        f"{policy.id} covers library.{name}"
        for name in sorted((marked & set(PROVISIONAL_PARTS)) - covered)
    ]
    out += [
        f"policy {policy.id} designed covers library.{name}, but _common.yaml does not mark "
        f"{name!r} provisional"
        for name in sorted(covered - marked)
    ]
    return out


def _service_problems(lib: Library, groups: list[str]) -> list[str]:
    """Each service measure is for a condition group, raises no dimension and needs no
    other measure (it is scheduled after its group's own steps, not by prerequisites)."""
    problems: list[str] = []
    for m in lib.service_measures:
        where = f"service_measures[{m.id}]"
        if m.item not in groups:
            problems.append(f"{where}.item: {m.item!r} is not a condition group")
        if m.id != f"M-{m.item}-SVC":
            problems.append(f"{where}: the service measure of {m.item} has the id M-{m.item}-SVC")
        if m.dimension or m.to_degree:
            problems.append(f"{where}: a service measure has no dimension or to_degree")
        if m.prerequisites:
            problems.append(f"{where}.prerequisites: a service measure has none")
    service_ids = {m.id for m in lib.service_measures}
    for m in lib.measures:
        problems += [
            f"measures[{m.id}].prerequisites: {pre!r} is a service measure"
            for pre in m.prerequisites
            if pre in service_ids
        ]
    return problems


def service_coverage_problems(lib: Library) -> list[str]:
    """Every condition group has exactly one service measure. The loader requires it of a
    shipped library; a library built in code (the planner's tests) may leave them out, and
    then plans no service measures."""
    groups = [i.id for i in lib.policy.items if i.kind is ItemKind.CONDITION_GROUP]
    count = {g: sum(1 for m in lib.service_measures if m.item == g) for g in groups}
    return [
        f"condition group {g} needs exactly one service measure (has {n})"
        for g, n in count.items()
        if n != 1
    ]


def _cycles(lib: Library) -> list[str]:
    state: dict[str, int] = {}
    out: list[str] = []

    def visit(mid: str, path: list[str]) -> None:
        if state.get(mid) == 2 or mid not in lib.by_id:
            return
        if state.get(mid) == 1:
            out.append(f"prerequisites form a cycle: {' → '.join([*path, mid])}")
            return
        state[mid] = 1
        for pre in lib.by_id[mid].prerequisites:
            visit(pre, [*path, mid])
        state[mid] = 2

    for mid in lib.by_id:
        visit(mid, [])
    return out


def load_library_dir(folder: Path, policy: Policy) -> Library:
    """Read and check every file of a library folder."""
    common_path = folder / "_common.yaml"
    if not common_path.exists():
        raise LibraryError(folder, ["no _common.yaml in the measures folder"])
    common = _read(common_path, Common)
    assert isinstance(common, Common)
    measures: list[MeasureDef] = []
    service_measures: list[MeasureDef] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "_common.yaml":
            continue
        part = _read(path, MeasuresFile)
        assert isinstance(part, MeasuresFile)
        if part.policy != policy.id:
            raise LibraryError(
                path, [f"policy: {part.policy!r}, but the folder is for {policy.id!r}"]
            )
        measures.extend(part.measures)
        service_measures.extend(part.service_measures)
    lib = Library(policy, common, measures, service_measures)
    problems = library_problems(lib) + service_coverage_problems(lib)
    problems += designed_problems(common, policy)
    if problems:
        raise LibraryError(folder, problems)
    return lib


@lru_cache(maxsize=4)
def load_common(policy_version: str) -> Common:
    """Only the shared vocabulary (roles, support offers, effort) of a library."""
    common = _read(policy_dir() / "measures" / policy_version / "_common.yaml", Common)
    assert isinstance(common, Common)
    return common


@lru_cache(maxsize=4)
def load_library(policy_version: str) -> Library:
    """The shipped measures library of ``policy_version`` (cached)."""
    return load_library_dir(policy_dir() / "measures" / policy_version, load_policy(policy_version))
