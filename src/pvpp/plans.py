"""Scores and plan versions of an assignment, kept in the store.

A plan version is built from the current answer set; building again with the same inputs
returns the existing version (same inputs, same plan). Adjustments by the team (dropping a
measure with a reason, moving a date) make a new version; earlier versions stay.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from pvpp import audit, measures
from pvpp.assignments import transition
from pvpp.errors import PvppError
from pvpp.planning.library import Library, load_library
from pvpp.planning.planner import (
    DEFAULT_CAPACITY_DAYS,
    LAST_DUE,
    LAST_PERIOD,
    periods,
    plan_start,
)
from pvpp.planning.proposal import propose
from pvpp.policy import load_policy
from pvpp.queries import (
    assignment_of,
    current_answers,
    current_statuses,
    institution_by_code,
    latest_plan,
    measure_facts,
    plan_measures,
    plan_version,
)
from pvpp.queries import previous_round_answers as _previous_round_answers
from pvpp.rounds import RoundError, get_round
from pvpp.scoring import METHOD, ScoreResult, score_answers
from pvpp.services import read_services
from pvpp.states.assignment import REPLANNABLE, AssignmentState
from pvpp.states.plan_measure import MeasureState
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    Institution,
    Plan,
    PlanMeasure,
    Round,
    id_of,
)

# Named queries about plans, importable from here as well as from pvpp.queries.
__all__ = [
    "Context",
    "PlanError",
    "adjust_plan",
    "build_plan",
    "context",
    "current_answers",
    "current_statuses",
    "latest_plan",
    "open_measures",
    "plan_measures",
    "plan_version",
    "scores_for",
    "start_of",
]


class PlanError(PvppError):
    """A scoring or planning request that cannot be carried out."""


@dataclass
class Context:
    round: Round
    institution: Institution
    assignment: Assignment


def context(session: Session, round_code: str, institution: str) -> Context:
    try:
        rnd = get_round(session, round_code)
    except RoundError as exc:
        raise PlanError(str(exc)) from None
    inst = institution_by_code(session, institution)
    if inst is None:
        raise PlanError(f"no institution {institution!r}")
    assignment = assignment_of(session, rnd, inst)
    if assignment is None:
        raise PlanError(f"{institution} has no assignment in round {round_code}")
    return Context(rnd, inst, assignment)


def previous_round_answers(session: Session, ctx: Context) -> dict[str, Any] | None:
    """Answers of the institution's latest earlier round, for the jump warning."""
    earlier = _previous_round_answers(session, ctx.institution, ctx.round)
    return earlier.answers if earlier else None


def scores_for(session: Session, ctx: Context) -> tuple[ScoreResult, AnswerSet]:
    """Score the current answers.

    Scores are not stored: they follow from an answer set and the scoring method, and
    computing them costs less than a round trip to the store."""
    answer_set = current_answers(session, ctx.assignment)
    if answer_set is None:
        raise PlanError(
            f"{ctx.institution.code} has no accepted workbook in round {ctx.round.code} "
            f"(state: {ctx.assignment.state})"
        )
    policy = load_policy(ctx.round.policy_version)
    result = score_answers(policy, answer_set.answers, previous_round_answers(session, ctx))
    return result, answer_set


def _inputs_hash(answer_set: AnswerSet, library: Library, capacity: int, start: date) -> str:
    payload = {
        "answers": answer_set.answers,
        "method": METHOD,
        "library": [m.model_dump(mode="json") for m in library.measures],
        "service_measures": [m.model_dump(mode="json") for m in library.service_measures],
        "capacity": capacity,
        "start": start.isoformat(),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def start_of(plan: Plan, rnd: Round) -> date:
    """The first day of a plan version's first half-year, as it was built (versions from
    before the start was recorded began in the round's half-year)."""
    return date.fromisoformat((plan.adjustments or {}).get("start", rnd.due_on.isoformat()))


def open_measures(session: Session, plan: Plan, until: date) -> list[PlanMeasure]:
    """Measures of ``plan`` due by ``until`` that are still open (see :mod:`pvpp.measures`):
    neither dropped in the plan nor reported done or dropped by the team."""
    return [row for row, facts in measure_facts(session, plan) if measures.is_due_by(facts, until)]


def build_plan(
    session: Session,
    ctx: Context,
    *,
    today: date,
    capacity_days: int = DEFAULT_CAPACITY_DAYS,
    actor: str = "cli",
) -> tuple[Plan, bool]:
    """The plan for the current answers as of ``today``: (plan, True) if a new version was
    made. No measure is due before ``today`` (see :func:`~pvpp.planning.planner.plan_start`).
    """
    if capacity_days < 1:
        raise PlanError("capacity must be at least 1 person-day per period")
    result, answer_set = scores_for(session, ctx)
    library = load_library(ctx.round.policy_version)
    # The start is a half-year's first day: building again later in the same half-year
    # gives the same inputs, so the same plan.
    start = plan_start(today, ctx.round.due_on)
    digest = _inputs_hash(answer_set, library, capacity_days, start)
    latest = latest_plan(session, ctx.assignment)
    if (
        latest is not None
        and latest.inputs_sha256 == digest
        and latest.answer_set_id == answer_set.id
    ):
        return latest, False
    # P5.2: the services the team named as not or partly meeting a condition group.
    services = read_services(library.policy, answer_set.answers)
    steps = propose(library, result, services, start=start, capacity_days=capacity_days)
    plan = Plan(
        assignment_id=id_of(ctx.assignment),
        version=(latest.version + 1) if latest else 1,
        answer_set_id=id_of(answer_set),
        inputs_sha256=digest,
        created_by=actor,
        note=f"from answer set {answer_set.id}, {capacity_days} person-days per period",
        adjustments={"capacity_days": capacity_days, "start": start.isoformat()},
    )
    session.add(plan)
    session.flush()
    for position, step in enumerate(steps, start=1):
        session.add(
            PlanMeasure(
                plan_id=id_of(plan),
                position=position,
                measure_id=step.measure.id,
                item_id=step.item,
                dimension_id=step.dimension,
                from_degree=step.from_degree,
                to_degree=step.to_degree,
                period=step.period,
                due_on=step.due,
                rv5_measure=step.rv5_measure,
                role=step.measure.role,
                funding=list(step.measure.funding),
                support=list(step.measure.support),
                effort=step.measure.effort,
                priority=step.priority,
                services=list(step.services),
            )
        )
    if ctx.assignment.state in REPLANNABLE:
        transition(
            session,
            ctx.assignment,
            AssignmentState.PLANNED,
            actor=actor,
            reason=f"plan version {plan.version}",
        )
    audit.record(
        session,
        actor=actor,
        action="plan.build",
        entity="assignment",
        key=str(ctx.assignment.id),
        version=plan.version,
        measures=len(steps),
    )
    return plan, True


def adjust_plan(
    session: Session,
    ctx: Context,
    *,
    drop: dict[str, str] | None = None,
    move: dict[str, date] | None = None,
    actor: str = "cli",
) -> Plan:
    """A new plan version with measures dropped (with a reason) or due dates moved."""
    drop, move = drop or {}, move or {}
    latest = latest_plan(session, ctx.assignment)
    if latest is None:
        raise PlanError("there is no plan to adjust yet: build one first")
    rows = plan_measures(session, latest)
    by_measure = {r.measure_id: r for r in rows}
    unknown = [m for m in [*drop, *move] if m not in by_measure]
    if unknown:
        raise PlanError(f"not in plan version {latest.version}: {', '.join(unknown)}")
    for mid, reason in drop.items():
        if not reason.strip():
            raise PlanError(f"dropping {mid} needs a reason")
    # A measure may move to any period end of the plan, never before the plan's start.
    plan_periods = periods(start_of(latest, ctx.round))
    valid_dues = {p.due for p in plan_periods} | {LAST_DUE}
    for mid, due in move.items():
        if due not in valid_dues:
            allowed = ", ".join(sorted(d.isoformat() for d in valid_dues))
            raise PlanError(f"{mid}: {due} is not a period end ({allowed})")
    plan = Plan(
        assignment_id=id_of(ctx.assignment),
        version=latest.version + 1,
        answer_set_id=latest.answer_set_id,
        inputs_sha256=latest.inputs_sha256,
        created_by=actor,
        note=f"adjusted from version {latest.version}",
        adjustments={
            **(latest.adjustments or {}),
            "from_version": latest.version,
            "dropped": drop,
            "moved": {k: v.isoformat() for k, v in move.items()},
        },
    )
    session.add(plan)
    session.flush()
    dropped = set(drop)
    # A step of a dimension cannot happen once the step below it is dropped.
    for r in rows:
        if any(
            o.item_id == r.item_id
            and o.dimension_id == r.dimension_id
            and o.to_degree < r.to_degree
            for o in rows
            if o.measure_id in drop
        ):
            dropped.add(r.measure_id)
    period_of = {p.due: p.code for p in plan_periods} | {LAST_DUE: LAST_PERIOD}
    for r in rows:
        due = move.get(r.measure_id, r.due_on)
        status, reason = r.status, r.dropped_reason
        if r.measure_id in dropped and r.status != MeasureState.DROPPED:
            status = MeasureState.DROPPED.value
            reason = drop.get(r.measure_id) or "follows a dropped step of the same dimension"
        session.add(
            PlanMeasure(
                **r.model_dump(
                    exclude={"id", "plan_id", "due_on", "period", "status", "dropped_reason"}
                ),
                plan_id=id_of(plan),
                due_on=due,
                period=period_of[due],
                status=status,
                dropped_reason=reason,
            )
        )
    audit.record(
        session,
        actor=actor,
        action="plan.adjust",
        entity="assignment",
        key=str(ctx.assignment.id),
        version=plan.version,
        dropped=sorted(drop),
        moved=sorted(move),
    )
    return plan
