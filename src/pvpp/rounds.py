"""Assessment rounds: creating one freezes the versions and the institutions, applying RV1.

RV1 rules: an institution excluded by 4.1.5 or with no service-management role gets no
assignment (it is listed with the reason); one without a team or lead is assigned but
flagged, as is one whose team has not attended the P1.1 and P1.3 trainings.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.assignments import State, transition
from pvpp.codes import round_code_problem
from pvpp.errors import PvppError
from pvpp.progress import may_close
from pvpp.queries import (
    ROUND_CLOSE,
    Closure,
    current_answer_sets,
    latest_plans,
    round_closure,
    team_statuses,
)
from pvpp.questionnaire import load_questionnaire
from pvpp.store.models import Assignment, Institution, Round, RoundSkip, id_of


class RoundError(PvppError):
    """A round cannot be created as asked."""


class RoundNotDue(RoundError):
    """A round asked to close for publication on or before its due date (its last day
    still collects answers)."""


@dataclass
class RoundReport:
    round: Round
    created: bool
    assigned: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    flagged: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class RoundScope:
    """Whom a new round takes from the registry, by RV1, before it is created: the
    institutions chosen (by code), those given no assignment with the reason
    (``excluded:<4.1.5 clause>``, ``no_role``) and the assigned ones flagged (no team, no
    lead, a training not attended)."""

    chosen: list[Institution]
    skipped: dict[str, str] = field(default_factory=dict)
    flagged: dict[str, list[str]] = field(default_factory=dict)

    @property
    def assigned(self) -> list[str]:
        """The codes of the institutions that get an assignment."""
        return [i.code for i in self.chosen if i.code not in self.skipped]


def round_scope(session: Session, institutions: list[str] | None = None) -> RoundScope:
    """The scope a round would have now (:func:`create_round` creates exactly this):
    ``institutions`` (codes) or, by default, the registry's round-1, voluntary and
    excluded institutions, with RV1's rules applied. Four statements whatever the size of
    the registry (the teams through :func:`pvpp.queries.team_statuses`); nothing is
    written."""
    registry = {i.code: i for i in session.exec(select(Institution)).all()}
    if institutions:
        unknown = [c for c in institutions if c not in registry]
        if unknown:
            raise RoundError(f"not in the registry: {', '.join(unknown)}")
        chosen = [registry[c] for c in dict.fromkeys(institutions)]
    else:
        chosen = [i for i in registry.values() if i.scope in ("round1", "voluntary", "excluded")]
    if not chosen:
        raise RoundError("the registry is empty: import it first (pvpp registry import)")
    scope = RoundScope(sorted(chosen, key=lambda i: i.code))
    teams = team_statuses(session, [i for i in scope.chosen if i.scope != "excluded" and i.roles])
    for inst in scope.chosen:
        if inst.scope == "excluded":
            scope.skipped[inst.code] = f"excluded:{inst.exclusion_id}"
        elif not inst.roles:
            scope.skipped[inst.code] = "no_role"
        elif flags := teams[id_of(inst)].flags():
            scope.flagged[inst.code] = flags
    return scope


def get_round(session: Session, code: str) -> Round:
    rnd = session.exec(select(Round).where(Round.code == code)).first()
    if rnd is None:
        raise RoundError(f"no round {code!r}")
    return rnd


def create_round(
    session: Session,
    *,
    code: str,
    opens_on: date,
    due_on: date,
    institutions: list[str] | None = None,
    questionnaire_version: str,
    actor: str = "cli",
    review_required: bool = False,
    ip: str = "",
) -> RoundReport:
    """Create round ``code`` (or report the existing one unchanged if asked again).

    ``review_required``: a valid submission waits in ``submitted`` for a reviewer
    (:mod:`pvpp.review`) instead of being accepted at once; fixed for the round. Who is
    assigned, left out and flagged is :func:`round_scope`'s answer; ``ip`` (the console's)
    goes to the audit log."""
    if (problem := round_code_problem(code)) is not None:
        raise RoundError(f"round code: {problem}")
    if due_on <= opens_on:
        raise RoundError(f"the due date {due_on} must be after the opening date {opens_on}")
    spec = load_questionnaire(questionnaire_version)
    scope = round_scope(session, institutions)

    existing = session.exec(select(Round).where(Round.code == code)).first()
    if existing is not None:
        same = (
            existing.opens_on, existing.due_on, existing.questionnaire_version,
            existing.review_required,
        ) == (opens_on, due_on, spec.id, review_required)  # fmt: skip
        if not same:
            review = "with review" if existing.review_required else "without review"
            raise RoundError(
                f"round {code} already exists with other dates, versions or review "
                f"({existing.opens_on} – {existing.due_on}, {existing.questionnaire_version}, "
                f"{review})"
            )
        return _report(session, existing, created=False)

    rnd = Round(
        code=code,
        policy_version=spec.policy.id,
        questionnaire_version=spec.id,
        opens_on=opens_on,
        due_on=due_on,
        review_required=review_required,
    )
    session.add(rnd)
    session.flush()
    for inst in scope.chosen:
        reason = scope.skipped.get(inst.code)
        if reason:
            session.add(RoundSkip(round_id=id_of(rnd), institution_id=id_of(inst), reason=reason))
            continue
        flags = scope.flagged.get(inst.code, [])
        assignment = Assignment(
            round_id=id_of(rnd), institution_id=id_of(inst), state="", flags=flags
        )
        session.add(assignment)
        session.flush()
        transition(session, assignment, State.INVITED, actor=actor, reason=f"round {code} created")
    audit.record(
        session,
        actor=actor,
        action="round.create",
        entity="round",
        key=code,
        opens=str(opens_on),
        due=str(due_on),
        review_required=review_required,
        **({"ip": ip} if ip else {}),
    )
    session.flush()
    return _report(session, rnd, created=True)


def _report(session: Session, rnd: Round, *, created: bool) -> RoundReport:
    report = RoundReport(rnd, created)
    codes = {i.id: i.code for i in session.exec(select(Institution)).all()}
    for a in session.exec(select(Assignment).where(Assignment.round_id == rnd.id)).all():
        report.assigned.append(codes[a.institution_id])
        if a.flags:
            report.flagged[codes[a.institution_id]] = list(a.flags)
    for s in session.exec(select(RoundSkip).where(RoundSkip.round_id == rnd.id)).all():
        report.skipped[codes[s.institution_id]] = s.reason
    report.assigned.sort()
    return report


def assignment_codes(
    session: Session, round_code: str, states: Collection[str] | None = None
) -> list[str]:
    """Codes of the round's assigned institutions (only those in ``states`` when given)."""
    rnd = get_round(session, round_code)
    rows = session.exec(
        select(Assignment.state, Institution.code)
        .join(Institution, col(Assignment.institution_id) == Institution.id)
        .where(Assignment.round_id == rnd.id)
    ).all()
    return sorted(code for state, code in rows if states is None or state in states)


def close_round(session: Session, code: str, *, today: date, actor: str = "cli") -> Closure:
    """Close round ``code`` for publication: fix the answer sets and plan versions current
    now as the ones every publication of the round counts (``docs/disclosure.md``).

    Only after the round's due date, and once: a closure is final, so that no two
    publications of a round differ by one institution. Asked again, it returns the
    closure made first.
    """
    rnd = get_round(session, code)
    closed = round_closure(session, rnd)
    if closed is not None:
        return closed
    if not may_close(rnd.due_on, today):
        raise RoundNotDue(
            f"round {code} collects answers until {rnd.due_on}: close it after that day"
        )
    answer_sets = current_answer_sets(session, rnd)
    plans = latest_plans(session, rnd)
    audit.record(
        session,
        actor=actor,
        action=ROUND_CLOSE,
        entity="round",
        key=code,
        closed_on=today.isoformat(),
        answer_sets=sorted(id_of(a) for a in answer_sets.values()),
        plans=sorted(id_of(p) for p in plans.values()),
    )
    session.flush()
    return Closure(today, answer_sets, plans)
