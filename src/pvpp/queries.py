"""Named queries: the questions several modules ask the store, each written once.

Per-assignment questions ("the newest answer set of this assignment") have a per-round
twin that answers for every assignment of a round in one statement, so a loop over a
round's institutions never runs one query per institution.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlmodel import Session, col, func, select

from pvpp.measures import MeasureFacts
from pvpp.states.plan_measure import MeasureState
from pvpp.states.status_report import ReportedStatus
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    Institution,
    MeasureStatus,
    Plan,
    PlanMeasure,
    Round,
    Team,
    TeamMember,
    Training,
    id_of,
)
from pvpp.teams import TeamStatus


def round_by_code(session: Session, code: str) -> Round | None:
    """The round with ``code``, if any."""
    return session.exec(select(Round).where(Round.code == code)).first()


def institution_by_code(session: Session, code: str) -> Institution | None:
    """The institution with ``code``, if any."""
    return session.exec(select(Institution).where(Institution.code == code)).first()


def assignment_of(session: Session, rnd: Round, institution: Institution) -> Assignment | None:
    """The assignment of an institution in a round, if it has one."""
    return session.exec(
        select(Assignment).where(
            Assignment.round_id == rnd.id, Assignment.institution_id == institution.id
        )
    ).first()


def round_assignments(session: Session, rnd: Round) -> list[tuple[Assignment, Institution]]:
    """Every assignment of a round with its institution, by institution code."""
    rows = session.exec(
        select(Assignment, Institution)
        .join(Institution, col(Assignment.institution_id) == Institution.id)
        .where(Assignment.round_id == rnd.id)
        .order_by(col(Institution.code))
    ).all()
    return [(a, i) for a, i in rows]


def current_answers(session: Session, assignment: Assignment) -> AnswerSet | None:
    """The newest accepted answer set of an assignment (a corrected submission supersedes
    the earlier ones)."""
    return session.exec(
        select(AnswerSet)
        .where(AnswerSet.assignment_id == assignment.id)
        .order_by(col(AnswerSet.id).desc())
    ).first()


def current_answer_sets(session: Session, rnd: Round) -> dict[int, AnswerSet]:
    """Assignment id → its newest accepted answer set, for every assignment of a round."""
    newest = (
        select(func.max(AnswerSet.id))
        .join(Assignment, col(AnswerSet.assignment_id) == Assignment.id)
        .where(Assignment.round_id == rnd.id)
        .group_by(col(AnswerSet.assignment_id))
    )
    rows = session.exec(select(AnswerSet).where(col(AnswerSet.id).in_(newest))).all()
    return {a.assignment_id: a for a in rows}


def previous_round_answers(
    session: Session, institution: Institution, before: Round
) -> AnswerSet | None:
    """The institution's newest answer set of its latest round opened before ``before``."""
    row = session.exec(
        select(AnswerSet)
        .join(Assignment, col(AnswerSet.assignment_id) == Assignment.id)
        .join(Round, col(Assignment.round_id) == Round.id)
        .where(Assignment.institution_id == institution.id, Round.opens_on < before.opens_on)
        .order_by(col(Round.opens_on).desc(), col(AnswerSet.id).desc())
    ).first()
    return row


def latest_plan(session: Session, assignment: Assignment) -> Plan | None:
    """The newest plan version of an assignment."""
    return session.exec(
        select(Plan).where(Plan.assignment_id == assignment.id).order_by(col(Plan.version).desc())
    ).first()


def plan_version(session: Session, assignment: Assignment, version: int | None) -> Plan | None:
    """Plan ``version`` of an assignment, or its newest version when ``version`` is None."""
    if version is None:
        return latest_plan(session, assignment)
    return session.exec(
        select(Plan).where(Plan.assignment_id == assignment.id, Plan.version == version)
    ).first()


def latest_plans(session: Session, rnd: Round) -> dict[int, Plan]:
    """Assignment id → its newest plan version, for every planned assignment of a round."""
    newest = (
        select(Plan.assignment_id, func.max(Plan.version).label("version"))
        .join(Assignment, col(Plan.assignment_id) == Assignment.id)
        .where(Assignment.round_id == rnd.id)
        .group_by(col(Plan.assignment_id))
        .subquery()
    )
    rows = session.exec(
        select(Plan).join(
            newest,
            (col(Plan.assignment_id) == newest.c.assignment_id)
            & (col(Plan.version) == newest.c.version),
        )
    ).all()
    return {p.assignment_id: p for p in rows}


def plan_measures(session: Session, plan: Plan) -> list[PlanMeasure]:
    """The measures of one plan version, in plan order."""
    return list(
        session.exec(
            select(PlanMeasure)
            .where(PlanMeasure.plan_id == plan.id)
            .order_by(col(PlanMeasure.position))
        ).all()
    )


def current_statuses(session: Session, assignment_id: int) -> dict[str, MeasureStatus]:
    """Measure id → the newest status the team reported for it (RV5 status sheets)."""
    rows = session.exec(
        select(MeasureStatus)
        .where(MeasureStatus.assignment_id == assignment_id)
        .order_by(col(MeasureStatus.id))
    ).all()
    return {row.measure_id: row for row in rows}


def _facts(
    rows: Iterable[PlanMeasure],
    reported: Mapping[str, MeasureStatus],
    effort_days: Mapping[str, int],
) -> list[MeasureFacts]:
    out = []
    for m in rows:
        report = reported.get(m.measure_id)
        out.append(
            MeasureFacts(
                measure_id=m.measure_id,
                due_on=m.due_on,
                stored=MeasureState(m.status),
                reported=ReportedStatus(report.status) if report else None,
                effort_days=effort_days.get(m.effort, 0),
            )
        )
    return out


def measure_facts(
    session: Session, plan: Plan, effort_days: Mapping[str, int] | None = None
) -> list[tuple[PlanMeasure, MeasureFacts]]:
    """Each measure of ``plan`` with what the rules of :mod:`pvpp.measures` need to know
    about it (its row and the team's current report)."""
    rows = plan_measures(session, plan)
    facts = _facts(rows, current_statuses(session, plan.assignment_id), effort_days or {})
    return list(zip(rows, facts, strict=True))


def round_plans(
    session: Session, rnd: Round, effort_days: Mapping[str, int] | None = None
) -> dict[int, tuple[Plan, list[tuple[PlanMeasure, MeasureFacts]]]]:
    """Assignment id → its newest plan with each measure and its facts, for a whole round
    in three statements."""
    plans = latest_plans(session, rnd)
    by_plan: dict[int | None, list[PlanMeasure]] = defaultdict(list)
    if plans:
        for row in session.exec(
            select(PlanMeasure)
            .where(col(PlanMeasure.plan_id).in_([p.id for p in plans.values()]))
            .order_by(col(PlanMeasure.plan_id), col(PlanMeasure.position))
        ).all():
            by_plan[row.plan_id].append(row)
    reported: dict[int, dict[str, MeasureStatus]] = defaultdict(dict)
    for status in session.exec(
        select(MeasureStatus)
        .join(Assignment, col(MeasureStatus.assignment_id) == Assignment.id)
        .where(Assignment.round_id == rnd.id)
        .order_by(col(MeasureStatus.id))
    ).all():
        reported[status.assignment_id][status.measure_id] = status
    out = {}
    for assignment_id, plan in plans.items():
        rows = by_plan[plan.id]
        facts = _facts(rows, reported[assignment_id], effort_days or {})
        out[assignment_id] = (plan, list(zip(rows, facts, strict=True)))
    return out


def round_measure_facts(
    session: Session, rnd: Round, effort_days: Mapping[str, int] | None = None
) -> dict[int, list[MeasureFacts]]:
    """Assignment id → the facts of every measure of its newest plan, for a whole round."""
    return {
        assignment_id: [f for _, f in pairs]
        for assignment_id, (_, pairs) in round_plans(session, rnd, effort_days).items()
    }


def team_statuses(session: Session, institutions: Iterable[Institution]) -> dict[int, TeamStatus]:
    """Institution id → its team as RV1 checks it (team, lead, trainings), in two
    statements for any number of institutions."""
    ids = [id_of(i) for i in institutions]
    out: dict[int, TeamStatus] = {i: TeamStatus(False, False, frozenset()) for i in ids}
    if not ids:
        return out
    members = session.exec(
        select(Team.institution_id, TeamMember.id, TeamMember.is_lead)
        .join(TeamMember, col(TeamMember.team_id) == Team.id)
        .where(col(Team.institution_id).in_(ids), col(TeamMember.active).is_(True))
    ).all()
    trainings: dict[int, set[str]] = defaultdict(set)
    member_of = {member_id: inst for inst, member_id, _ in members}
    if member_of:
        for member_id, measure in session.exec(
            select(Training.member_id, Training.measure_id).where(
                col(Training.member_id).in_(list(member_of))
            )
        ).all():
            trainings[member_of[member_id]].add(measure)
    lead: dict[int, bool] = defaultdict(bool)
    for inst, _, is_lead in members:
        lead[inst] = lead[inst] or is_lead
    for inst in lead:
        out[inst] = TeamStatus(True, lead[inst], frozenset(trainings[inst]))
    return out
