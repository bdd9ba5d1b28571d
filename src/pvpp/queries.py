"""Named queries: the questions several modules ask the store, each written once.

Per-assignment questions ("the newest answer set of this assignment") have a per-round
twin that answers for every assignment of a round in one statement, so a loop over a
round's institutions never runs one query per institution.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from pvpp.funding import FundingFacts
from pvpp.measures import MeasureFacts
from pvpp.states.assignment import AssignmentState, ReturnedHow, returned_how
from pvpp.states.outbox import OutboxState, RecipientOutcome
from pvpp.states.plan_measure import MeasureState
from pvpp.states.status_report import ReportedStatus
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    AuditLog,
    DeliveryRecipient,
    DraftAnswer,
    DraftUpload,
    EvidenceFile,
    Institution,
    MeasureStatus,
    OutboxMessage,
    Plan,
    PlanMeasure,
    RepresentativeTraining,
    Round,
    Submission,
    Team,
    TeamMember,
    Training,
    Transition,
    WebSession,
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


@dataclass(frozen=True)
class AssignmentFacts:
    """What views of a whole round read of each assignment and its institution (no
    stored rows: a thousand of them cost more to build than to fetch)."""

    id: int
    state: str
    code: str
    name: str
    group_id: str


def round_assignment_facts(session: Session, rnd: Round) -> list[AssignmentFacts]:
    """Every assignment of a round as :class:`AssignmentFacts`, by institution code: one
    statement of five columns (the progress view, the reminder count)."""
    # Five columns: past what sqlmodel's select is typed for, so SQLAlchemy's own (Core).
    query = (
        sa_select(col(Assignment.id), col(Assignment.state), col(Institution.code),
                  col(Institution.name), col(Institution.group_id))
        .join(Institution, col(Assignment.institution_id) == col(Institution.id))
        .where(col(Assignment.round_id) == rnd.id)
        .order_by(col(Institution.code))
    )  # fmt: skip
    rows = session.connection().execute(query).all()
    return [AssignmentFacts(int(i or 0), st, c, n, g) for i, st, c, n, g in rows]


def round_assignments(session: Session, rnd: Round) -> list[tuple[Assignment, Institution]]:
    """Every assignment of a round with its institution, by institution code."""
    rows = session.exec(
        select(Assignment, Institution)
        .join(Institution, col(Assignment.institution_id) == Institution.id)
        .where(Assignment.round_id == rnd.id)
        .order_by(col(Institution.code))
    ).all()
    return [(a, i) for a, i in rows]


def rounds_by_codes(session: Session, codes: Iterable[str]) -> dict[str, Round]:
    """Round code → round, for those of ``codes`` that exist (one statement)."""
    wanted = list(dict.fromkeys(codes))
    rows = session.exec(select(Round).where(col(Round.code).in_(wanted))).all() if wanted else []
    return {r.code: r for r in rows}


def previous_round(session: Session, rnd: Round) -> Round | None:
    """The latest round opened before ``rnd``, if any."""
    return session.exec(
        select(Round)
        .where(Round.opens_on < rnd.opens_on)
        .order_by(col(Round.opens_on).desc(), col(Round.id).desc())
    ).first()


def assessed_answer_sets(
    session: Session, rnd: Round, states: Iterable[str]
) -> list[tuple[Institution, AnswerSet]]:
    """Each institution of a round whose assignment is in one of ``states`` with its newest
    answer set, by institution code, in one statement (the per-round twin of
    :func:`current_answers` for the assignments that count)."""
    newest = (
        select(func.max(AnswerSet.id))
        .join(Assignment, col(AnswerSet.assignment_id) == Assignment.id)
        .where(Assignment.round_id == rnd.id)
        .group_by(col(AnswerSet.assignment_id))
    )
    rows = session.exec(
        select(Institution, AnswerSet)
        .join(Assignment, col(Assignment.institution_id) == Institution.id)
        .join(AnswerSet, col(AnswerSet.assignment_id) == Assignment.id)
        .where(
            Assignment.round_id == rnd.id,
            col(Assignment.state).in_(list(states)),
            col(AnswerSet.id).in_(newest),
        )
        .order_by(col(Institution.code))
    ).all()
    return [(i, a) for i, a in rows]


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


#: The audit action that closes a round for publication (:func:`pvpp.rounds.close_round`).
ROUND_CLOSE = "round.close"


@dataclass(frozen=True)
class Closure:
    """A round closed for publication: the answer sets and plan versions every
    publication of the round counts, fixed when it was closed."""

    closed_on: date
    answer_sets: dict[int, AnswerSet]  # assignment id → answer set
    plans: dict[int, Plan]  # assignment id → plan version


def round_closure(session: Session, rnd: Round) -> Closure | None:
    """The round's closure (its first ``round.close`` audit entry), or None while open."""
    entry = session.exec(
        select(AuditLog)
        .where(
            AuditLog.action == ROUND_CLOSE,
            AuditLog.entity == "round",
            AuditLog.entity_key == rnd.code,
        )
        .order_by(col(AuditLog.id))
    ).first()
    if entry is None:
        return None
    detail = entry.detail or {}
    answer_ids = [int(i) for i in detail.get("answer_sets", [])]
    plan_ids = [int(i) for i in detail.get("plans", [])]
    answer_sets = (
        session.exec(select(AnswerSet).where(col(AnswerSet.id).in_(answer_ids))).all()
        if answer_ids
        else []
    )
    plans = session.exec(select(Plan).where(col(Plan.id).in_(plan_ids))).all() if plan_ids else []
    return Closure(
        date.fromisoformat(str(detail["closed_on"])),
        {a.assignment_id: a for a in answer_sets},
        {p.assignment_id: p for p in plans},
    )


def closing_days(session: Session, codes: Collection[str] | None = None) -> dict[str, date]:
    """Round code → the day it was closed (its first ``round.close`` entry, as
    :func:`round_closure` reads it), for the rounds ``codes`` (every round when None) that
    are closed: one statement, reading only the closures asked for."""
    query = select(AuditLog.entity_key, AuditLog.detail).where(
        AuditLog.action == ROUND_CLOSE, AuditLog.entity == "round"
    )
    if codes is not None:
        if not codes:
            return {}
        query = query.where(col(AuditLog.entity_key).in_(list(codes)))
    out: dict[str, date] = {}
    for key, detail in session.exec(query.order_by(col(AuditLog.id))).all():
        if key not in out and isinstance(detail, dict) and "closed_on" in detail:
            out[key] = date.fromisoformat(str(detail["closed_on"]))
    return out


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


def _fact(
    measure_id: str,
    due_on: date,
    stored: str,
    reported: str | None,
    effort: str,
    effort_days: Mapping[str, int],
) -> MeasureFacts:
    return MeasureFacts(
        measure_id=measure_id,
        due_on=due_on,
        stored=MeasureState(stored),
        reported=ReportedStatus(reported) if reported else None,
        effort_days=effort_days.get(effort, 0),
    )


def _facts(
    rows: Iterable[PlanMeasure], reported: Mapping[str, str], effort_days: Mapping[str, int]
) -> list[MeasureFacts]:
    return [
        _fact(m.measure_id, m.due_on, m.status, reported.get(m.measure_id), m.effort, effort_days)
        for m in rows
    ]


def measure_facts(
    session: Session, plan: Plan, effort_days: Mapping[str, int] | None = None
) -> list[tuple[PlanMeasure, MeasureFacts]]:
    """Each measure of ``plan`` with what the rules of :mod:`pvpp.measures` need to know
    about it (its row and the team's current report)."""
    rows = plan_measures(session, plan)
    reported = {k: v.status for k, v in current_statuses(session, plan.assignment_id).items()}
    facts = _facts(rows, reported, effort_days or {})
    return list(zip(rows, facts, strict=True))


def _round_reports(session: Session, rnd: Round) -> dict[int, dict[str, str]]:
    """Assignment id → measure id → the newest status its team reported, for a round."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for assignment_id, measure_id, status in session.exec(
        select(MeasureStatus.assignment_id, MeasureStatus.measure_id, MeasureStatus.status)
        .join(Assignment, col(MeasureStatus.assignment_id) == Assignment.id)
        .where(Assignment.round_id == rnd.id)
        .order_by(col(MeasureStatus.id))
    ).all():
        out[assignment_id][measure_id] = status
    return out


def round_plans(
    session: Session, rnd: Round, effort_days: Mapping[str, int] | None = None
) -> dict[int, tuple[Plan, list[tuple[PlanMeasure, MeasureFacts]]]]:
    """Assignment id → its newest plan with each measure (the whole row, for readers that
    show it) and its facts, for a whole round in three statements."""
    plans = latest_plans(session, rnd)
    by_plan: dict[int, list[PlanMeasure]] = defaultdict(list)
    if plans:
        for row in session.exec(
            select(PlanMeasure)
            .where(col(PlanMeasure.plan_id).in_([id_of(p) for p in plans.values()]))
            .order_by(col(PlanMeasure.plan_id), col(PlanMeasure.position))
        ).all():
            by_plan[row.plan_id].append(row)
    reported = _round_reports(session, rnd)
    out = {}
    for assignment_id, plan in plans.items():
        rows = by_plan[id_of(plan)]
        facts = _facts(rows, reported[assignment_id], effort_days or {})
        out[assignment_id] = (plan, list(zip(rows, facts, strict=True)))
    return out


def round_measure_facts(
    session: Session, rnd: Round, plans: Mapping[int, Plan] | None = None
) -> dict[int, list[MeasureFacts]]:
    """Assignment id → the facts of every measure of its newest plan (or of ``plans``, the
    versions a closed round fixed), for a whole round in three statements (without effort:
    a round's readers count measures; a plan's effort is read with :func:`measure_facts`).

    Only the columns the rules need are read, not whole rows: a round of 1,000 plans holds
    some 100,000 measures, and loading them as ORM objects took the national report's
    process from 350 to 790 MiB (bench, N = 1000)."""
    plans = latest_plans(session, rnd) if plans is None else plans
    assignment_of_plan = {id_of(p): a for a, p in plans.items()}
    reported = _round_reports(session, rnd)
    out: dict[int, list[MeasureFacts]] = {a: [] for a in plans}
    if not plans:
        return out
    for plan_id, measure_id, due_on, status in session.exec(
        select(
            col(PlanMeasure.plan_id),
            col(PlanMeasure.measure_id),
            col(PlanMeasure.due_on),
            col(PlanMeasure.status),
        )
        .where(col(PlanMeasure.plan_id).in_(list(assignment_of_plan)))
        .order_by(col(PlanMeasure.plan_id), col(PlanMeasure.position))
    ).all():
        a = assignment_of_plan[plan_id]
        out[a].append(_fact(measure_id, due_on, status, reported[a].get(measure_id), "", {}))
    return out


def round_funding(
    session: Session, rnd: Round, plans: Mapping[int, Plan] | None = None
) -> dict[int, list[FundingFacts]]:
    """Assignment id → the funding of each measure of its newest plan (or of ``plans``, the
    versions a closed round fixed: sources, amount already available, stored status), for
    a whole round in two statements; only those columns are read (see
    :func:`round_measure_facts` for why not whole rows)."""
    plans = latest_plans(session, rnd) if plans is None else plans
    assignment_of_plan = {id_of(p): a for a, p in plans.items()}
    out: dict[int, list[FundingFacts]] = {a: [] for a in plans}
    if not plans:
        return out
    for plan_id, funding, amount, status in session.exec(
        select(
            col(PlanMeasure.plan_id),
            col(PlanMeasure.funding),
            col(PlanMeasure.funding_eur),
            col(PlanMeasure.status),
        )
        .where(col(PlanMeasure.plan_id).in_(list(assignment_of_plan)))
        .order_by(col(PlanMeasure.plan_id), col(PlanMeasure.position))
    ).all():
        out[assignment_of_plan[plan_id]].append(FundingFacts(list(funding or []), amount, status))
    return out


def team_statuses(session: Session, institutions: Iterable[Institution]) -> dict[int, TeamStatus]:
    """Institution id → its team as RV1 checks it (team, lead, trainings: its members'
    and, for P1.1, its representatives'), in three statements for any number of
    institutions."""
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
    # P1.1 recorded for representatives who are not (yet) members counts too.
    for inst, measure in session.exec(
        select(RepresentativeTraining.institution_id, RepresentativeTraining.measure_id).where(
            col(RepresentativeTraining.institution_id).in_(ids)
        )
    ).all():
        trainings[inst].add(measure)
    lead: dict[int, bool] = defaultdict(bool)
    for inst, _, is_lead in members:
        lead[inst] = lead[inst] or is_lead
    for inst in ids:
        if inst in lead:
            out[inst] = TeamStatus(True, lead[inst], frozenset(trainings[inst]))
        elif trainings[inst]:
            out[inst] = TeamStatus(False, False, frozenset(trainings[inst]))
    return out


@dataclass(frozen=True)
class Undelivered:
    """A message that failed for good and was not made good by a later one of its kind."""

    kind: str
    version: int
    to: list[str]  # the To addresses refused (all of To when the server said nothing per address)
    code: int | None
    reply: str


def round_undelivered(session: Session, rnd: Round) -> dict[str, list[Undelivered]]:
    """Institution code → the round's messages that failed for good (a refused head, a
    refused content, given up after days), unless a later message of the same kind to
    the institution was delivered. Two statements for the whole round."""
    rows = session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.round_code == rnd.code,
            col(OutboxMessage.state).in_([OutboxState.FAILED.value, OutboxState.SENT.value]),
        )
        .order_by(col(OutboxMessage.id))
    ).all()
    failed: dict[tuple[str, str], OutboxMessage] = {}
    for row in rows:  # oldest first: a later sent message makes an earlier failure good
        key = (row.institution_code, row.kind)
        if row.state == OutboxState.FAILED:
            failed[key] = row
        else:
            failed.pop(key, None)
    refused: dict[int, list[str]] = defaultdict(list)
    ids = [id_of(m) for m in failed.values()]
    if ids:
        for answer in session.exec(
            select(DeliveryRecipient)
            .where(col(DeliveryRecipient.outbox_id).in_(ids), DeliveryRecipient.role == "to")
            .order_by(col(DeliveryRecipient.id))
        ).all():
            seen = refused[answer.outbox_id]
            if answer.outcome != RecipientOutcome.ACCEPTED and answer.address not in seen:
                seen.append(answer.address)
    out: dict[str, list[Undelivered]] = defaultdict(list)
    for (code, kind), m in sorted(failed.items()):
        to = refused.get(id_of(m)) or [a["email"] for a in m.to_addrs]
        out[code].append(Undelivered(kind, m.version, to, m.last_code, m.last_error))
    return dict(out)


@dataclass(frozen=True)
class LateFile:
    """A workbook kept but not applied: it arrived after the plan went out."""

    submission_id: int
    filename: str
    status: str  # the checker's verdict: accepted | incomplete | rejected
    received_at: datetime
    state: str  # the assignment's state when it arrived


def late_files(session: Session, assignment_ids: Iterable[int]) -> dict[int, list[LateFile]]:
    """Assignment id → its late workbooks not applied since (a reopen applies the newest:
    its moves are then recorded with the submission as actor, or, in a round with review,
    its answers are held for the reviewer). Two statements."""
    ids = list(assignment_ids)
    out: dict[int, list[LateFile]] = defaultdict(list)
    if not ids:
        return {}
    late = session.exec(
        select(Submission)
        .where(col(Submission.assignment_id).in_(ids), col(Submission.late_state).is_not(None))
        .order_by(col(Submission.id))
    ).all()
    if not late:
        return {}
    applied = set(
        session.exec(
            select(Transition.actor).where(
                col(Transition.assignment_id).in_({s.assignment_id for s in late}),
                col(Transition.actor).in_([f"submission:{s.id}" for s in late]),
            )
        ).all()
    )
    for sub in late:
        # Held for review: a reopen applied it (in a round with review nothing moves by it
        # until the reviewer decides, so no transition names it).
        held = sub.answers is not None
        if f"submission:{sub.id}" in applied or sub.assignment_id is None or held:
            continue
        out[sub.assignment_id].append(
            LateFile(id_of(sub), sub.filename, sub.status, sub.received_at, sub.late_state or "")
        )
    return dict(out)


def round_moves(session: Session, rnd: Round) -> list[tuple[int, datetime, str]]:
    """Every recorded state change of the round's assignments, oldest first: (assignment
    id, when, the state it moved to). One statement; only those columns are read."""
    rows = session.exec(
        select(Transition.assignment_id, Transition.at, Transition.to_state)
        .join(Assignment, col(Transition.assignment_id) == Assignment.id)
        .where(Assignment.round_id == rnd.id)
        .order_by(col(Transition.id))
    ).all()
    return [(a, at, state) for a, at, state in rows]


def round_draft_answered(session: Session, rnd: Round, fields: Collection[str]) -> dict[int, int]:
    """Assignment id → how many of ``fields`` have a value in its online draft (the newest
    save of each field, not blank), for a whole round in one statement (the counting is
    done by the database: a round's drafts hold hundreds of thousands of saves)."""
    if not fields:
        return {}
    newest = (
        select(func.max(DraftAnswer.id))
        .join(Assignment, col(DraftAnswer.assignment_id) == Assignment.id)
        .where(Assignment.round_id == rnd.id, col(DraftAnswer.field).in_(sorted(fields)))
        .group_by(col(DraftAnswer.assignment_id), col(DraftAnswer.field))
    )
    rows = session.exec(
        select(DraftAnswer.assignment_id, func.count())
        .where(col(DraftAnswer.id).in_(newest), func.trim(DraftAnswer.value) != "")
        .group_by(col(DraftAnswer.assignment_id))
    ).all()
    return {a: int(n) for a, n in rows}


def round_last_activity(session: Session, rnd: Round) -> dict[int, datetime]:
    """Assignment id → the time of its newest activity: a state change, a save in the
    online draft, a workbook uploaded in the portal or received, an evidence file
    attached, or a sign-in of one of its institution's people (any round's session: a
    person signs in to an institution, not to a round). Six statements for a whole round,
    each grouped by the database."""
    of_round = col(Assignment.round_id) == rnd.id
    sources = [
        (col(Transition.assignment_id), col(Transition.at)),
        (col(DraftAnswer.assignment_id), col(DraftAnswer.saved_at)),
        (col(DraftUpload.assignment_id), col(DraftUpload.uploaded_at)),
        (col(EvidenceFile.assignment_id), col(EvidenceFile.added_at)),
        (col(Submission.assignment_id), col(Submission.received_at)),
    ]
    out: dict[int, datetime] = {}

    def keep(assignment_id: int | None, at: datetime | None) -> None:
        if assignment_id is None or at is None:
            return
        if at.tzinfo is None:  # SQLite gives the stored UTC time back without its zone
            at = at.replace(tzinfo=UTC)
        if assignment_id not in out or at > out[assignment_id]:
            out[assignment_id] = at

    for key, at in sources:
        for assignment_id, newest in session.exec(
            select(key, func.max(at))
            .join(Assignment, col(key) == Assignment.id)
            .where(of_round)
            .group_by(key)
        ).all():
            keep(assignment_id, newest)
    for assignment_id, newest in session.exec(
        select(Assignment.id, func.max(WebSession.created_at))
        .join(WebSession, col(WebSession.institution_id) == Assignment.institution_id)
        .where(of_round)
        .group_by(col(Assignment.id))
    ).all():
        keep(assignment_id, newest)
    return out


def assignment_state_counts(session: Session) -> dict[int, dict[str, int]]:
    """For every round (its id): how many of its assignments are in each state, in one
    statement (the console's list of rounds)."""
    rows = session.exec(
        select(Assignment.round_id, Assignment.state, func.count()).group_by(
            col(Assignment.round_id), col(Assignment.state)
        )
    ).all()
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for round_id, state, count in rows:
        out[round_id][state] = int(count)
    return dict(out)


def round_state_counts(session: Session, rnd: Round) -> dict[str, int]:
    """How many of the round's assignments are in each state (states with none left out),
    in one statement: the one-round twin of :func:`assignment_state_counts`."""
    rows = session.exec(
        select(Assignment.state, func.count())
        .where(Assignment.round_id == rnd.id)
        .group_by(col(Assignment.state))
    ).all()
    return {state: int(count) for state, count in rows}


def returned_causes(session: Session, assignment_ids: Iterable[int]) -> dict[int, ReturnedHow]:
    """Assignment id → why it was last moved to ``returned`` (errors, review, reopened),
    for those of ``assignment_ids`` ever returned. One statement."""
    ids = list(assignment_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(Transition.assignment_id, Transition.reason)
        .where(
            col(Transition.assignment_id).in_(ids),
            Transition.to_state == AssignmentState.RETURNED.value,
        )
        .order_by(col(Transition.id))
    ).all()
    # Ordered by id: the last move of each assignment wins.
    return {assignment_id: returned_how(reason) for assignment_id, reason in rows}


def institution_names(session: Session, codes: Collection[str]) -> dict[str, str]:
    """Institution code → name for ``codes`` (one statement; none when ``codes`` is empty)."""
    if not codes:
        return {}
    rows = session.exec(
        select(Institution.code, Institution.name).where(col(Institution.code).in_(list(codes)))
    ).all()
    return dict(rows)
