"""Specialised plans (RV6, RV7) of a round: drafted from the round's aggregated gaps, edited
by a coordinator, every save a new version (older ones kept, with who and when).

The needs a plan answers are counted from the round's closure once the round is closed
(the answers every publication of the round counts), until then from the current accepted
answers; each version keeps the needs it was drafted from, so it reads the same later.
The rules are :mod:`pvpp.specialised`; what a draft proposes is the specialised plans'
library (:mod:`pvpp.planning.national_library`). Every draft and edit is in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.errors import PvppError
from pvpp.national import population, round_scores
from pvpp.planning.national_library import DIRECTIONS, NationalLibrary, load_national_library
from pvpp.policy import Policy, load_policy
from pvpp.rounds import get_round
from pvpp.specialised import (
    FIELDS,
    Allowed,
    Change,
    Edit,
    EditError,
    Measure,
    Need,
    apply_edits,
    draft,
    needs_from_gaps,
)
from pvpp.store.models import (
    NationalPlan,
    NationalPlanChange,
    NationalPlanMeasure,
    Round,
    id_of,
)

#: The reason a draft's change records when the coordinator gives no note.
DRAFT_REASON = "drafted from the round's aggregated gaps"


class NationalPlanError(PvppError):
    """A specialised plan that cannot be drafted, found or saved as asked."""


class StaleVersion(NationalPlanError):
    """Edits made against version ``base`` of a plan someone else has saved a newer version
    of (``current``, at least) meanwhile: nothing was saved."""

    def __init__(self, message: str, *, base: int, current: int) -> None:
        super().__init__(message)
        self.base = base
        self.current = current


@dataclass
class PlanView:
    """A version of a specialised plan with what reading it needs."""

    round: Round
    plan: NationalPlan
    measures: list[Measure]
    needs: list[Need]
    changes: list[NationalPlanChange]  # what this version changed
    policy: Policy
    library: NationalLibrary

    @property
    def direction(self) -> str:
        return self.plan.direction

    @property
    def planned(self) -> list[Measure]:
        return [m for m in self.measures if m.status == "planned"]

    @property
    def dropped(self) -> list[Measure]:
        return [m for m in self.measures if m.status == "dropped"]


def check_direction(direction: str) -> str:
    """``direction`` as a direction a specialised plan is made for."""
    if direction not in DIRECTIONS:
        raise NationalPlanError(f"direction must be {' or '.join(DIRECTIONS)}, not {direction!r}")
    return direction


def round_needs(
    session: Session, rnd: Round, items: Sequence[str]
) -> tuple[list[Need], date | None]:
    """The needs of ``items`` in round ``rnd`` and the closure they are counted from (None:
    the current answers of a round not yet closed)."""
    closed = population(session, rnd, publish=True)
    answer_sets = closed.answer_sets if closed else None
    scores = round_scores(session, rnd.code, answer_sets)
    gaps = {code: {i: r.items[i].gap for i in items} for code, r in scores.items()}
    return needs_from_gaps(items, gaps), closed.closed_on if closed else None


def _plans(session: Session, rnd: Round, direction: str) -> list[NationalPlan]:
    return list(
        session.exec(
            select(NationalPlan)
            .where(NationalPlan.round_id == rnd.id, NationalPlan.direction == direction)
            .order_by(col(NationalPlan.version))
        ).all()
    )


def plan_versions(session: Session, round_code: str, direction: str) -> list[NationalPlan]:
    """Every version of the round's plan for ``direction``, oldest first."""
    return _plans(session, get_round(session, round_code), check_direction(direction))


def plan_history(
    session: Session, round_code: str, direction: str
) -> list[tuple[NationalPlan, list[NationalPlanChange]]]:
    """Every version of the round's plan for ``direction``, oldest first, each with the
    changes it made: two statements, whatever the number of versions."""
    plans = plan_versions(session, round_code, direction)
    changes: dict[int, list[NationalPlanChange]] = {id_of(p): [] for p in plans}
    if plans:
        rows = session.exec(
            select(NationalPlanChange)
            .where(col(NationalPlanChange.plan_id).in_(list(changes)))
            .order_by(col(NationalPlanChange.id))
        ).all()
        for row in rows:
            changes[row.plan_id].append(row)
    return [(p, changes[id_of(p)]) for p in plans]


def _measure(row: NationalPlanMeasure) -> Measure:
    return Measure(
        key=row.key,
        template=row.template,
        title=dict(row.title or {}),
        description=dict(row.description or {}),
        responsible=row.responsible,
        due_on=row.due_on,
        policy_measure=row.policy_measure,
        items=tuple(row.items),
        institutions=tuple(row.institutions),
        status=row.status,
        dropped_reason=row.dropped_reason,
        provisional=tuple(row.provisional),
    )


def _view(session: Session, rnd: Round, plan: NationalPlan) -> PlanView:
    rows = session.exec(
        select(NationalPlanMeasure)
        .where(NationalPlanMeasure.plan_id == plan.id)
        .order_by(col(NationalPlanMeasure.position))
    ).all()
    changes = session.exec(
        select(NationalPlanChange)
        .where(NationalPlanChange.plan_id == plan.id)
        .order_by(col(NationalPlanChange.id))
    ).all()
    return PlanView(
        round=rnd,
        plan=plan,
        measures=[_measure(r) for r in rows],
        needs=[Need.from_record(n) for n in plan.needs or []],
        changes=list(changes),
        policy=load_policy(rnd.policy_version),
        library=load_national_library(rnd.policy_version),
    )


def get_plan(
    session: Session, round_code: str, direction: str, version: int | None = None
) -> PlanView:
    """A version of the round's plan for ``direction`` (the newest by default)."""
    rnd = get_round(session, round_code)
    plans = _plans(session, rnd, check_direction(direction))
    if not plans:
        raise NationalPlanError(
            f"round {round_code} has no {direction} plan yet: "
            f"`pvpp national-plan draft {round_code} --direction {direction}`"
        )
    if version is None:
        return _view(session, rnd, plans[-1])
    for plan in plans:
        if plan.version == version:
            return _view(session, rnd, plan)
    raise NationalPlanError(
        f"the {direction} plan of round {round_code} has versions 1–{plans[-1].version}, "
        f"not {version}"
    )


def _save(
    session: Session,
    rnd: Round,
    direction: str,
    version: int,
    measures: Sequence[Measure],
    needs: Sequence[Need],
    counted_on: date | None,
    changes: Sequence[Change],
    *,
    action: str,
    actor: str,
    note: str,
    where: Mapping[str, str],
) -> PlanView:
    plan = NationalPlan(
        round_id=id_of(rnd), direction=direction, version=version, created_by=actor[:254],
        note=note[:2000], needs=[n.record() for n in needs], counted_on=counted_on,
    )  # fmt: skip
    session.add(plan)
    try:
        session.flush()
    except IntegrityError:
        raise StaleVersion(
            f"version {version} of the {direction} plan of round {rnd.code} was saved by "
            "someone else meanwhile: look at it and make your edits again",
            base=version - 1,
            current=version,
        ) from None
    plan_id = id_of(plan)
    for position, m in enumerate(measures, 1):
        session.add(
            NationalPlanMeasure(
                plan_id=plan_id, position=position, key=m.key, template=m.template,
                title=dict(m.title), description=dict(m.description), responsible=m.responsible,
                due_on=m.due_on, policy_measure=m.policy_measure, items=list(m.items),
                institutions=list(m.institutions), status=m.status,
                dropped_reason=m.dropped_reason, provisional=list(m.provisional),
            )
        )  # fmt: skip
    for c in changes:
        session.add(
            NationalPlanChange(
                plan_id=plan_id, measure_key=c.key, kind=c.kind, before=c.before,
                after=c.after, reason=c.reason, actor=actor[:254],
            )
        )  # fmt: skip
    audit.record(
        session, actor=actor[:100], action=f"national_plan.{action}",
        entity="national_plan", key=f"{rnd.code}|{direction}", version=version,
        changes=[f"{c.kind} {c.key}".strip() for c in changes], **where,
    )  # fmt: skip
    session.flush()
    return _view(session, rnd, plan)


def draft_plan(
    session: Session,
    round_code: str,
    direction: str,
    *,
    today: date,
    actor: str,
    again: bool = False,
    note: str = "",
    where: Mapping[str, str] | None = None,
) -> PlanView:
    """Draft the round's plan for ``direction`` from its aggregated gaps (version 1; with
    ``again``, a new version drafted afresh, the edited ones kept)."""
    rnd = get_round(session, round_code)
    check_direction(direction)
    library = load_national_library(rnd.policy_version)
    plans = _plans(session, rnd, direction)
    if plans and not again:
        raise NationalPlanError(
            f"round {round_code} already has a {direction} plan (version {plans[-1].version}): "
            "edit it, or draft again (a new version from today's needs; the others are kept)"
        )
    spec = library.direction(direction)
    needs, counted_on = round_needs(session, rnd, spec.items)
    if not any(n.rated for n in needs):
        raise NationalPlanError(
            f"round {round_code} has no rated {', '.join(spec.items)} yet: "
            "nothing to draft the plan from"
        )
    measures = draft(spec, {n.item: n for n in needs}, library.due, today)
    reason = note.strip() or DRAFT_REASON
    changes = [Change("draft", "", None, {"measures": [m.key for m in measures]}, reason)]
    version = plans[-1].version + 1 if plans else 1
    return _save(
        session, rnd, direction, version, measures, needs, counted_on, changes,
        action="draft", actor=actor, note=note, where=where or {},
    )  # fmt: skip


def edit_plan(
    session: Session,
    round_code: str,
    direction: str,
    edits: Sequence[Edit],
    *,
    today: date,
    actor: str,
    base_version: int | None = None,
    note: str = "",
    where: Mapping[str, str] | None = None,
) -> PlanView:
    """Apply ``edits`` to the newest version and save the result as the next version.

    ``base_version``: the version the edits were made against; refused when the plan has
    moved on since (someone else saved), so no edit is applied to a plan its author did
    not see."""
    current = get_plan(session, round_code, direction)
    if not edits:
        raise NationalPlanError("no edits given: nothing to save")
    if base_version is not None and base_version != current.plan.version:
        raise StaleVersion(
            f"the edits are for version {base_version}, but the {direction} plan of round "
            f"{round_code} is at version {current.plan.version} now: look at it and make "
            "your edits again",
            base=base_version,
            current=current.plan.version,
        )
    rv = next(rv for rv in current.policy.action_directions if rv.id == direction)
    allowed = Allowed(
        direction=direction,
        items=current.library.direction(direction).items,
        policy_measures=tuple(m.id for m in rv.measures),
        today=today,
    )
    measures, changes = apply_edits(
        current.measures, edits, {n.item: n for n in current.needs}, allowed
    )
    return _save(
        session, current.round, direction, current.plan.version + 1, measures, current.needs,
        current.plan.counted_on, changes, action="edit", actor=actor, note=note,
        where=where or {},
    )  # fmt: skip


# -- edit files -----------------------------------------------------------------------------


@dataclass
class EditFile:
    """What an edit file holds."""

    edits: list[Edit]
    base_version: int | None
    note: str


EDIT_FILE_HELP = """\
An edit file is YAML:

  base_version: 2          # optional: the version you edited (refused if the plan moved on)
  note: "Agreed with VDAA"  # optional
  edits:
    - change: RV6-01
      due_on: 2027-06-30
      responsible: VDAA
      reason: "..."
    - change: RV6-02
      confirm: true        # keep the drafted values as your own
      reason: "..."
    - drop: RV6-03
      reason: "..."
    - add:
        title: "..."       # or {lv: "...", en: "..."}
        description: "..."
        responsible: VARAM
        due_on: 2027-12-31
        items: [K8]
        policy_measure: P6.2   # optional
      reason: "..."
"""


def parse_edit_file(data: bytes, name: str) -> EditFile:
    """The edits of an edit file (:data:`EDIT_FILE_HELP`); :class:`EditError` naming the
    file and the entry for anything that is not as described."""

    def fail(message: str) -> EditError:
        return EditError([f"{name}: {message}"])

    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise fail("not UTF-8 text; save it as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}: " if mark is not None else ""
        raise fail(f"{at}not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("edits"), list):
        raise fail("give a mapping with a list under edits: (see `pvpp national-plan edit --help`)")
    unknown = set(raw) - {"base_version", "note", "edits"}
    if unknown:
        raise fail(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                   "the file has base_version, note and edits")  # fmt: skip
    base = raw.get("base_version")
    if base is not None and (not isinstance(base, int) or isinstance(base, bool) or base < 1):
        raise fail("base_version: give a version number like 2")
    note = raw.get("note") or ""
    if not isinstance(note, str):
        raise fail("note: give a text")
    edits, problems = [], []
    for n, entry in enumerate(raw["edits"], 1):
        where = f"{name}: edits[{n}]"
        try:
            edits.append(_edit_entry(entry, where))
        except EditError as exc:
            problems += exc.problems
    if problems:
        raise EditError(problems)
    return EditFile(edits, base, note)


def _edit_entry(entry: Any, where: str) -> Edit:
    if not isinstance(entry, dict):
        raise EditError([f"{where}: give a mapping (add:, change: or drop:, and reason:)"])
    kinds = [k for k in ("add", "change", "drop") if k in entry]
    if len(kinds) != 1:
        raise EditError([f"{where}: give exactly one of add:, change: or drop:"])
    kind = kinds[0]
    reason = entry.get("reason", "")
    if not isinstance(reason, str):
        raise EditError([f"{where}: reason: give a text"])
    confirm = entry.get("confirm", False)
    if not isinstance(confirm, bool):
        raise EditError([f"{where}: confirm: give true or false"])
    if kind == "add":
        values = entry["add"]
        if not isinstance(values, dict):
            raise EditError([f"{where}: add: give the new measure's fields ({', '.join(FIELDS)})"])
        rest = set(entry) - {"add", "reason"}
        if rest:
            raise EditError([f"{where}: unknown key(s) {', '.join(sorted(map(str, rest)))}"])
        return Edit("add", where, reason, values=values)
    key = entry[kind]
    if not isinstance(key, str):
        raise EditError([f"{where}: {kind}: give the measure's key, like RV6-01"])
    values = {k: v for k, v in entry.items() if k not in (kind, "reason", "confirm")}
    if kind == "drop" and confirm:
        raise EditError([f"{where}: confirm is for a change, not a drop"])
    return Edit(kind, where, reason, key=key.strip(), values=values, confirm=confirm)
