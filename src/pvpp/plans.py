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

from sqlmodel import Session, select

from pvpp import audit
from pvpp.assignments import State, transition
from pvpp.errors import PvppError
from pvpp.planning.library import Library, load_library
from pvpp.planning.planner import DEFAULT_CAPACITY_DAYS, LAST_DUE, periods, plan_steps
from pvpp.policy import load_policy
from pvpp.rounds import RoundError, get_round
from pvpp.scoring import METHOD, ScoreResult, score_answers
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    Institution,
    MeasureStatus,
    Plan,
    PlanMeasure,
    Round,
    Score,
)

# Reported measure states that close a measure for follow-up.
CLOSED = ("done", "drop")


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
    inst = session.exec(select(Institution).where(Institution.code == institution)).first()
    if inst is None:
        raise PlanError(f"no institution {institution!r}")
    assignment = session.exec(
        select(Assignment).where(
            Assignment.round_id == rnd.id, Assignment.institution_id == inst.id
        )
    ).first()
    if assignment is None:
        raise PlanError(f"{institution} has no assignment in round {round_code}")
    return Context(rnd, inst, assignment)


def current_answers(session: Session, assignment: Assignment) -> AnswerSet | None:
    """The newest accepted answer set (a corrected submission supersedes earlier ones)."""
    return session.exec(
        select(AnswerSet)
        .where(AnswerSet.assignment_id == assignment.id)
        .order_by(AnswerSet.id.desc())  # type: ignore[union-attr]
    ).first()


def previous_round_answers(session: Session, ctx: Context) -> dict[str, Any] | None:
    """Answers of the institution's latest earlier round, for the jump warning."""
    rows = session.exec(
        select(AnswerSet, Round)
        .join(Assignment, AnswerSet.assignment_id == Assignment.id)
        .join(Round, Assignment.round_id == Round.id)
        .where(Assignment.institution_id == ctx.institution.id, Round.opens_on < ctx.round.opens_on)
        .order_by(Round.opens_on.desc(), AnswerSet.id.desc())  # type: ignore[attr-defined]
    ).first()
    return rows[0].answers if rows else None


def scores_for(session: Session, ctx: Context) -> tuple[ScoreResult, AnswerSet]:
    """Score the current answers, storing the result once per answer set and method."""
    answer_set = current_answers(session, ctx.assignment)
    if answer_set is None:
        raise PlanError(
            f"{ctx.institution.code} has no accepted workbook in round {ctx.round.code} "
            f"(state: {ctx.assignment.state})"
        )
    policy = load_policy(ctx.round.policy_version)
    result = score_answers(policy, answer_set.answers, previous_round_answers(session, ctx))
    stored = session.exec(
        select(Score).where(Score.answer_set_id == answer_set.id, Score.method == METHOD)
    ).first()
    if stored is None:
        session.add(
            Score(
                answer_set_id=answer_set.id,  # type: ignore[arg-type]
                method=METHOD,
                overall=result.overall,
                result=json.loads(json.dumps(result.to_dict())),
            )
        )
    return result, answer_set


def _inputs_hash(answer_set: AnswerSet, library: Library, capacity: int, start: date) -> str:
    payload = {
        "answers": answer_set.answers,
        "method": METHOD,
        "library": [m.model_dump(mode="json") for m in library.measures],
        "capacity": capacity,
        "start": start.isoformat(),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def latest_plan(session: Session, assignment: Assignment) -> Plan | None:
    return session.exec(
        select(Plan).where(Plan.assignment_id == assignment.id).order_by(Plan.version.desc())  # type: ignore[attr-defined]
    ).first()


def plan_version(session: Session, assignment: Assignment, version: int | None) -> Plan | None:
    """Plan ``version`` of an assignment, or its newest version when ``version`` is None."""
    if version is None:
        return latest_plan(session, assignment)
    return session.exec(
        select(Plan).where(Plan.assignment_id == assignment.id, Plan.version == version)
    ).first()


def current_statuses(session: Session, assignment_id: int) -> dict[str, MeasureStatus]:
    """The newest status the team reported for each measure (RV5 status sheets)."""
    rows = session.exec(
        select(MeasureStatus)
        .where(MeasureStatus.assignment_id == assignment_id)
        .order_by(MeasureStatus.id)  # type: ignore[arg-type]
    ).all()
    return {row.measure_id: row for row in rows}


def open_measures(session: Session, plan: Plan, until: date) -> list[PlanMeasure]:
    """Planned measures of ``plan`` due by ``until`` that the team has not reported done
    (or given up) on a status sheet."""
    reported = current_statuses(session, plan.assignment_id)
    return [
        m
        for m in plan_measures(session, plan)
        if m.status == "planned"
        and m.due_on <= until
        and (m.measure_id not in reported or reported[m.measure_id].status not in CLOSED)
    ]


def plan_measures(session: Session, plan: Plan) -> list[PlanMeasure]:
    return list(
        session.exec(
            select(PlanMeasure).where(PlanMeasure.plan_id == plan.id).order_by(PlanMeasure.position)
        ).all()
    )


def build_plan(
    session: Session,
    ctx: Context,
    *,
    capacity_days: int = DEFAULT_CAPACITY_DAYS,
    actor: str = "cli",
) -> tuple[Plan, bool]:
    """The plan for the current answers: (plan, True) if a new version was made."""
    if capacity_days < 1:
        raise PlanError("capacity must be at least 1 person-day per period")
    result, answer_set = scores_for(session, ctx)
    library = load_library(ctx.round.policy_version)
    # Plans start in the half-year the round is due in, not "today": same inputs, same plan.
    start = ctx.round.due_on
    digest = _inputs_hash(answer_set, library, capacity_days, start)
    latest = latest_plan(session, ctx.assignment)
    if (
        latest is not None
        and latest.inputs_sha256 == digest
        and latest.answer_set_id == answer_set.id
    ):
        return latest, False
    steps = plan_steps(library, result, start=start, capacity_days=capacity_days)
    plan = Plan(
        assignment_id=ctx.assignment.id,  # type: ignore[arg-type]
        version=(latest.version + 1) if latest else 1,
        answer_set_id=answer_set.id,  # type: ignore[arg-type]
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
                plan_id=plan.id,  # type: ignore[arg-type]
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
            )
        )
    if ctx.assignment.state in (
        State.ACCEPTED.value,
        State.PLAN_SENT.value,
        State.IN_FOLLOW_UP.value,
    ):
        transition(
            session,
            ctx.assignment,
            State.PLANNED,
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
    valid_dues = {p.due for p in periods(ctx.round.due_on)} | {LAST_DUE}
    for mid, due in move.items():
        if due not in valid_dues:
            allowed = ", ".join(sorted(d.isoformat() for d in valid_dues))
            raise PlanError(f"{mid}: {due} is not a period end ({allowed})")
    plan = Plan(
        assignment_id=ctx.assignment.id,  # type: ignore[arg-type]
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
    period_of = {p.due: p.code for p in periods(ctx.round.due_on)} | {LAST_DUE: "2028–2031"}
    for r in rows:
        due = move.get(r.measure_id, r.due_on)
        status, reason = r.status, r.dropped_reason
        if r.measure_id in dropped and r.status != "dropped":
            status = "dropped"
            reason = drop.get(r.measure_id) or "follows a dropped step of the same dimension"
        session.add(
            PlanMeasure(
                **r.model_dump(
                    exclude={"id", "plan_id", "due_on", "period", "status", "dropped_reason"}
                ),
                plan_id=plan.id,
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
