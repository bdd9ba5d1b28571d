"""What the read-only API (``/api/v1``, docs/api.md) answers, as plain data: rounds, the
assignments of a round and their states, the scores of an assignment and its plan's
summary. The routes (:mod:`pvpp.web.api`) check the caller's token and capability, call one
of these and return what it gives as their response model.

The data come from the services the console's pages use: the state counts of
:func:`pvpp.queries.assignment_state_counts`, the scores of :func:`pvpp.plans.scores_for`
(the current accepted answers only: a submission waiting for review is not scored), the
measures' rules of :mod:`pvpp.measures` (open, done, dropped, overdue on the root's
"today"). A list over a round is read in a constant number of statements, whatever the
number of its institutions (``tests/web/test_api.py`` counts them).

An assignment is asked for under its round (``/rounds/{code}/assignments/{id}``): the id of
an assignment of another round, like one that does not exist, is :class:`ApiNotFound`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from pvpp import measures
from pvpp.errors import PvppError
from pvpp.plans import Context, PlanError, scores_for
from pvpp.queries import (
    assignment_state_counts,
    closing_days,
    latest_plan,
    latest_plans,
    measure_facts,
    round_by_code,
    round_measure_facts,
    round_state_counts,
)
from pvpp.scoring import ScoreResult
from pvpp.states.assignment import ORDER, AssignmentState
from pvpp.states.plan_measure import MeasureState
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    Institution,
    Plan,
    Round,
    Transition,
    id_of,
)

__all__ = [
    "ApiBadRequest",
    "ApiNotFound",
    "assignment",
    "assignment_plan",
    "assignment_scores",
    "round_assignments",
    "round_one",
    "round_plans",
    "rounds",
]


class ApiNotFound(PvppError):
    """What was asked for does not exist (or is not of the round named): ``code`` says
    which (``round_not_found``, ``assignment_not_found``, ``no_accepted_answers``,
    ``no_plan``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ApiBadRequest(PvppError):
    """A filter that cannot match (an unknown state)."""

    code = "invalid_parameter"


def _round_view(rnd: Round, counts: dict[str, int], closed: date | None) -> dict[str, Any]:
    return {
        "code": rnd.code,
        "opens_on": rnd.opens_on,
        "due_on": rnd.due_on,
        "policy_version": rnd.policy_version,
        "questionnaire_version": rnd.questionnaire_version,
        "review_required": rnd.review_required,
        "closed_on": closed,
        "assignments": sum(counts.values()),
        "states": {state.value: counts.get(state.value, 0) for state in ORDER},
    }


def rounds(session: Session) -> list[dict[str, Any]]:
    """Every round, newest first, with how many of its assignments are in each state: three
    statements whatever the number of rounds."""
    counts = assignment_state_counts(session)
    closed = closing_days(session)
    found = session.exec(
        select(Round).order_by(col(Round.opens_on).desc(), col(Round.code).desc())
    ).all()
    return [_round_view(r, counts.get(id_of(r), {}), closed.get(r.code)) for r in found]


def _round(session: Session, code: str) -> Round:
    rnd = round_by_code(session, code)
    if rnd is None:
        raise ApiNotFound("round_not_found", f"there is no round {code!r}")
    return rnd


def round_one(session: Session, code: str) -> dict[str, Any]:
    """One round with its counts per state."""
    rnd = _round(session, code)
    closed = closing_days(session, [rnd.code]).get(rnd.code)
    return _round_view(rnd, round_state_counts(session, rnd), closed)


def _states(states: Collection[str]) -> list[str]:
    known = {s.value for s in AssignmentState}
    wrong = [s for s in states if s not in known]
    if wrong:
        names = ", ".join(s.value for s in ORDER)
        raise ApiBadRequest(f"state must be one of {names}, not {wrong[0]!r}")
    return list(states)


def _assignments(
    session: Session, rnd: Round, states: Collection[str], group: str | None
) -> list[tuple[Assignment, Institution]]:
    """The round's assignments with their institutions, by institution code, those in
    ``states`` (any when empty) of institution group ``group`` (any case; any when None)."""
    query = (
        select(Assignment, Institution)
        .join(Institution, col(Assignment.institution_id) == Institution.id)
        .where(Assignment.round_id == rnd.id)
    )
    if states:
        query = query.where(col(Assignment.state).in_(_states(states)))
    if group:
        query = query.where(func.lower(Institution.group_id) == group.strip().lower())
    return [(a, i) for a, i in session.exec(query.order_by(col(Institution.code))).all()]


def _accepted_at(session: Session, rnd: Round) -> dict[int, datetime]:
    """Assignment id → when its current answers were accepted, for a round, one statement."""
    rows = session.exec(
        select(AnswerSet.assignment_id, func.max(AnswerSet.created_at))
        .join(Assignment, col(AnswerSet.assignment_id) == Assignment.id)
        .where(Assignment.round_id == rnd.id)
        .group_by(col(AnswerSet.assignment_id))
    ).all()
    return {a: at for a, at in rows}


def _plan_versions(session: Session, rnd: Round) -> dict[int, int]:
    """Assignment id → its newest plan version, for a round, one statement."""
    rows = session.exec(
        select(Plan.assignment_id, func.max(Plan.version))
        .join(Assignment, col(Plan.assignment_id) == Assignment.id)
        .where(Assignment.round_id == rnd.id)
        .group_by(col(Plan.assignment_id))
    ).all()
    return {a: int(v) for a, v in rows}


def _assignment_view(
    a: Assignment, inst: Institution, accepted: datetime | None, plan: int | None
) -> dict[str, Any]:
    return {
        "id": id_of(a),
        "institution": {"code": inst.code, "name": inst.name, "group": inst.group_id},
        "state": a.state,
        "updated_at": a.updated_at,
        "flags": list(a.flags or []),
        "answers_accepted_at": accepted,
        "plan_version": plan,
    }


def round_assignments(
    session: Session, code: str, *, states: Collection[str] = (), group: str | None = None
) -> list[dict[str, Any]]:
    """The assignments of round ``code`` and their states, by institution code, filtered by
    state (any of ``states``) and institution group: four statements for any round."""
    rnd = _round(session, code)
    found = _assignments(session, rnd, states, group)
    accepted = _accepted_at(session, rnd)
    plans = _plan_versions(session, rnd)
    return [_assignment_view(a, i, accepted.get(id_of(a)), plans.get(id_of(a))) for a, i in found]


def _one(session: Session, code: str, assignment_id: int) -> tuple[Round, Assignment, Institution]:
    """The assignment ``assignment_id`` of round ``code``; another round's is not found."""
    rnd = _round(session, code)
    row = session.exec(
        select(Assignment, Institution)
        .join(Institution, col(Assignment.institution_id) == Institution.id)
        .where(Assignment.id == assignment_id, Assignment.round_id == rnd.id)
    ).first()
    if row is None:
        raise ApiNotFound("assignment_not_found", f"round {code} has no assignment {assignment_id}")
    return rnd, row[0], row[1]


def assignment(session: Session, code: str, assignment_id: int) -> dict[str, Any]:
    """One assignment of round ``code`` with its state and every state it went through
    (from, to, when; oldest first)."""
    _, a, inst = _one(session, code, assignment_id)
    moves = session.exec(
        select(Transition)
        .where(Transition.assignment_id == a.id)
        .order_by(col(Transition.at), col(Transition.id))
    ).all()
    accepted = session.exec(
        select(func.max(AnswerSet.created_at)).where(AnswerSet.assignment_id == a.id)
    ).one()
    plan = latest_plan(session, a)
    view = _assignment_view(a, inst, accepted, plan.version if plan is not None else None)
    view["transitions"] = [
        {"from_state": m.from_state, "to_state": m.to_state, "at": m.at} for m in moves
    ]
    return view


def _scores_view(result: ScoreResult) -> dict[str, Any]:
    return {
        "method": result.method,
        "top_degree": result.top_degree,
        "overall": result.overall,
        "index": result.index,
        "components": [asdict(c) for c in result.components.values()],
        "items": [asdict(s) for s in result.items.values()],
        "warnings": [
            {"code": w.code, "item": w.item, "message": dict(w.message)} for w in result.warnings
        ],
    }


def assignment_scores(session: Session, code: str, assignment_id: int) -> dict[str, Any]:
    """The scores of the assignment's current accepted answers (scored as the portal's
    results and the plan PDF score them, :func:`pvpp.plans.scores_for`);
    :class:`ApiNotFound` (``no_accepted_answers``) before any are accepted."""
    rnd, a, inst = _one(session, code, assignment_id)
    try:
        result, answer_set = scores_for(session, Context(rnd, inst, a))
    except PlanError:
        raise ApiNotFound(
            "no_accepted_answers",
            f"assignment {assignment_id} has no accepted answers yet (state: {a.state})",
        ) from None
    return {
        "assignment_id": id_of(a),
        "institution_code": inst.code,
        "round": rnd.code,
        "answers_accepted_at": answer_set.created_at,
        **_scores_view(result),
    }


def _measure_counts(facts: list[measures.MeasureFacts], today: date) -> dict[str, int]:
    by_state = measures.count_by_state(facts)
    return {
        "total": len(facts),
        "open": sum(1 for f in facts if measures.is_open(f)),
        "done": by_state[MeasureState.DONE],
        "dropped": by_state[MeasureState.DROPPED],
        "overdue": sum(1 for f in facts if measures.is_overdue(f, today)),
    }


def _plan_view(
    a: Assignment, inst: Institution, plan: Plan, facts: list[measures.MeasureFacts], today: date
) -> dict[str, Any]:
    return {
        "assignment_id": id_of(a),
        "institution_code": inst.code,
        "version": plan.version,
        "state": plan.status,
        "created_at": plan.created_at,
        "approval_due": plan.approval_due,
        "approved_at": plan.approved_at,
        "measures": _measure_counts(facts, today),
    }


def assignment_plan(
    session: Session, code: str, assignment_id: int, *, today: date
) -> dict[str, Any]:
    """The summary of the assignment's current (newest) plan version: its version and
    state, and its measures open, done, dropped and overdue on ``today``;
    :class:`ApiNotFound` (``no_plan``) before there is one."""
    _, a, inst = _one(session, code, assignment_id)
    plan = latest_plan(session, a)
    if plan is None:
        raise ApiNotFound(
            "no_plan", f"assignment {assignment_id} has no plan yet (state: {a.state})"
        )
    facts = [f for _, f in measure_facts(session, plan)]
    return _plan_view(a, inst, plan, facts, today)


def round_plans(
    session: Session, code: str, *, today: date, states: Collection[str] = (),
    group: str | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The plan summary of every assignment of round ``code`` that has a plan (filtered as
    :func:`round_assignments`), by institution code: a constant number of statements."""
    rnd = _round(session, code)
    found = _assignments(session, rnd, states, group)
    plans = latest_plans(session, rnd)
    facts = round_measure_facts(session, rnd)
    return [
        _plan_view(a, i, plans[id_of(a)], facts.get(id_of(a), []), today)
        for a, i in found
        if id_of(a) in plans
    ]
