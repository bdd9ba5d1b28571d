"""The specialised plans' library: what VARAM's RV6 and RV7 plans are drafted from.

One file per policy version, ``policy/national/<version>.yaml``: the central bodies a
measure can be given to, the rule for drafted due dates, and per direction the items whose
gaps show its needs and the measures that answer them. Everything in it is the project's
proposal (the work plan with the official measures, deadlines and bodies was not
available): each such field is marked ``provisional`` and explained by a ``designed``
entry, checked both ways as in the policy file (:func:`pvpp.policy.loader.designed_problems`).
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path

from pydantic import Field, ValidationError

from pvpp.paths import policy_dir
from pvpp.policy import Policy, load_policy
from pvpp.policy.loader import designed_problems
from pvpp.policy.models import Designed, Node, Strict, Text
from pvpp.yamlio import DataFileError, format_loc, read_yaml

NationalLibraryError = DataFileError

#: The directions a specialised plan is made for.
DIRECTIONS = ("RV6", "RV7")


class Body(Node):
    """A central body a measure can be given to."""

    name: Text


class DueStep(Strict):
    """Needs reaching ``share`` of the rated institutions are due ``half_years`` on."""

    share: float = Field(ge=0, le=1)
    half_years: int = Field(ge=1, le=12)


class DueRule(Strict):
    provisional: tuple[str, ...] = ()
    steps: tuple[DueStep, ...] = Field(min_length=1)


class Template(Node):
    """A measure a draft proposes when one of its ``items`` shows a need."""

    items: tuple[str, ...] = Field(min_length=1)
    policy_measure: str
    responsible: str
    wave: int = Field(default=0, ge=0, le=4)
    title: Text
    description: Text


class Direction(Node):
    plan_measure: str
    items: tuple[str, ...] = Field(min_length=1)
    measures: tuple[Template, ...] = Field(min_length=1)


class NationalLibrary(Strict):
    """The whole file."""

    policy: str
    provisional: tuple[str, ...] = ()
    responsible_bodies: tuple[Body, ...] = Field(min_length=1)
    due: DueRule
    directions: tuple[Direction, ...] = Field(min_length=1)
    designed: tuple[Designed, ...] = ()

    @cached_property
    def bodies(self) -> dict[str, Body]:
        return {b.id: b for b in self.responsible_bodies}

    def direction(self, direction_id: str) -> Direction:
        """The direction ``direction_id`` (KeyError if the file has none)."""
        for d in self.directions:
            if d.id == direction_id:
                return d
        raise KeyError(direction_id)

    def body_name(self, responsible: str, lang: str) -> str:
        """A responsible body as a person reads it: the library's name for a known id,
        otherwise the text as the coordinator gave it."""
        body = self.bodies.get(responsible)
        return body.name.text(lang) if body else responsible


def library_path(version: str) -> Path:
    return policy_dir() / "national" / f"{version}.yaml"


@lru_cache(maxsize=4)
def load_national_library(version: str) -> NationalLibrary:
    """The specialised plans' library of policy ``version``, checked against the policy."""
    return load_national_library_file(library_path(version), load_policy(version))


def load_national_library_file(path: Path, policy: Policy) -> NationalLibrary:
    """Read and check one library file; :class:`NationalLibraryError` lists every problem."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise NationalLibraryError(path, ["the file must hold a mapping at the top level"])
    try:
        library = NationalLibrary.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{format_loc(raw, e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
        ]
        raise NationalLibraryError(path, problems) from None
    problems = _problems(library, policy)
    if problems:
        raise NationalLibraryError(path, problems)
    return library


def _problems(library: NationalLibrary, policy: Policy) -> list[str]:
    out: list[str] = []
    if library.policy != policy.id:
        out.append(f"policy: {library.policy!r} is not {policy.id!r}")
    items = {i.id for i in policy.items}
    directions = {rv.id: {m.id for m in rv.measures} for rv in policy.action_directions}
    seen: set[str] = set()
    for d in library.directions:
        where = f"directions[{d.id}]"
        if d.id not in DIRECTIONS:
            out.append(f"{where}: a specialised plan is made for {' or '.join(DIRECTIONS)} only")
            continue
        own = directions.get(d.id, set())
        if d.plan_measure not in own:
            out.append(f"{where}.plan_measure: {d.plan_measure!r} is not a measure of {d.id}")
        out += [
            f"{where}.items: {i!r} is not an item of the policy" for i in d.items if i not in items
        ]
        for m in d.measures:
            at = f"{where}.measures[{m.id}]"
            if m.id in seen:
                out.append(f"{at}: id used twice")
            seen.add(m.id)
            if m.policy_measure not in own:
                out.append(f"{at}.policy_measure: {m.policy_measure!r} is not a measure of {d.id}")
            if m.responsible not in library.bodies:
                out.append(f"{at}.responsible: {m.responsible!r} is not in responsible_bodies")
            out += [
                f"{at}.items: {i!r} is not one of {d.id}'s items ({', '.join(d.items)})"
                for i in m.items
                if i not in d.items
            ]
    missing = [d for d in DIRECTIONS if d not in {x.id for x in library.directions}]
    out += [f"directions: no {d}" for d in missing]
    shares = [s.share for s in library.due.steps]
    if shares != sorted(shares, reverse=True) or shares[-1] != 0:
        out.append("due.steps: shares must fall step by step and end at 0 (every need is due)")
    out += designed_problems(library, library.designed)
    return out
