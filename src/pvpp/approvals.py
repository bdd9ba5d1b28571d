"""The head approves the plan: one-time links decided, late approvals reminded.

The agreed plan is the version the head approved. Each plan email carries a one-time link
for its version (:mod:`pvpp.approval_links`, issued by :func:`pvpp.mail.compose.queue_plan`);
:func:`decide` is what the link's page (the portal) and ``pvpp plan approve`` call:

- it refuses, in the reader's language, a link that is unknown or tampered with, already
  used, superseded by a newer version (naming the current one), for a version the head
  has already decided through another link, or expired (checked in that order);
- otherwise it records the decision once: an approval moves the version to ``approved``
  (:data:`pvpp.states.plan.ALLOWED`) with the root's time and the head's address from the
  registry; a refusal keeps its reason and tells the team. Either way the link is used,
  and an audit entry says who did what.

An approved version is never changed again: a change makes a new version, which goes out
with its own link and needs approval again. Versions awaiting approval are reminded on
their approval date and escalated after (:func:`queue_due_approvals`, the rule
:func:`pvpp.states.plan.approval_follow_up`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlmodel import Session, col, func, select

from pvpp import audit
from pvpp.approval_links import (
    APPROVED,
    REFUSED,
    SUPERSEDED,
    UNUSED,
    signature_ok,
    token_digest,
    token_in,
    tokens_in,
)
from pvpp.batch import Batch
from pvpp.clock import LOCAL_ZONE, Clock
from pvpp.errors import PvppError
from pvpp.i18n import day, t
from pvpp.mail.compose import (
    Queued,
    queue_approval_escalation,
    queue_approval_refused,
    queue_approval_reminder,
)
from pvpp.settings import Settings
from pvpp.states.machine import check_move
from pvpp.states.plan import (
    ALLOWED,
    ESCALATION,
    REMINDER,
    PlanState,
    approval_follow_up,
    approval_overdue,
    awaiting_approval,
)
from pvpp.store.concurrency import hold_row
from pvpp.store.models import Assignment, Institution, OutboxMessage, Plan, PlanApproval, Round

__all__ = [
    "ApprovalError",
    "ApprovalView",
    "Decision",
    "approval_line",
    "approval_view",
    "decide",
    "decide_signed_in",
    "open_link",
    "queue_due_approvals",
    "token_from_message",
    "usable",
]


class ApprovalError(PvppError):
    """A link that cannot be used; the message is in the reader's language and ``reason``
    says why: unknown | used | superseded | expired | decided | no_reason | not_sent."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Decision:
    """What :func:`decide` recorded."""

    outcome: str  # approved | refused
    round_code: str
    institution: str
    plan_version: int
    at: datetime
    actor: str
    reason: str
    message: str  # the confirmation, in the reader's language
    team_message_id: int | None = None  # the refusal's email to the team


@dataclass(frozen=True)
class ApprovalView:
    """A version's approval as a list shows it."""

    state: str  # draft | awaiting | overdue | approved | refused
    since: date | None = None  # the day the version went to the head
    due: date | None = None
    at: datetime | None = None  # approved or refused at
    by: str = ""
    reason: str = ""


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_ZONE).date()


def _where(session: Session, plan: Plan) -> tuple[Round, Institution]:
    assignment = session.get(Assignment, plan.assignment_id)
    assert assignment is not None  # a foreign key
    rnd = session.get(Round, assignment.round_id)
    inst = session.get(Institution, assignment.institution_id)
    assert rnd is not None and inst is not None
    return rnd, inst


def _still_open(session: Session, plan: Plan, lang: str, *, superseded: bool = False) -> None:
    """Refuse a decision on ``plan`` when a newer version exists (or its link was marked
    ``superseded``) or when the version was already decided, through any of its links."""
    newest = _newest_version(session, plan.assignment_id)
    if superseded or newest > plan.version:
        raise ApprovalError(
            "superseded",
            t("approval.error.superseded", lang, version=plan.version, current=newest),
        )
    earlier = _decided(session, plan)
    if earlier is not None:
        key = "approval.error.approved" if earlier.outcome == APPROVED else "approval.error.refused"
        raise ApprovalError(
            "decided",
            t(key, lang, version=plan.version, on=day(earlier.used_at, lang), by=earlier.actor),
        )


def _newest_version(session: Session, assignment_id: int) -> int:
    newest = session.exec(
        select(func.max(Plan.version)).where(Plan.assignment_id == assignment_id)
    ).one()
    return int(newest or 0)


def _decided(session: Session, plan: Plan) -> PlanApproval | None:
    """The link by which the version was approved or refused, if it was."""
    return session.exec(
        select(PlanApproval).where(
            PlanApproval.plan_id == plan.id, col(PlanApproval.outcome).in_((APPROVED, REFUSED))
        )
    ).first()


def usable(
    session: Session, token: str, *, lang: str, settings: Settings, clock: Clock
) -> tuple[PlanApproval, Plan]:
    """The link's row and plan version when the link can still be used; otherwise
    :class:`ApprovalError` in ``lang`` (the checks of :func:`decide`, in its order).
    Records nothing: the approval page asks this before showing the form."""
    token = token_in(token)
    row = None
    if signature_ok(token, settings.signing_key()):
        row = session.exec(
            select(PlanApproval).where(PlanApproval.token_sha256 == token_digest(token))
        ).first()
    if row is None:
        raise ApprovalError("unknown", t("approval.error.unknown", lang))
    plan = session.get(Plan, row.plan_id)
    assert plan is not None  # a foreign key
    if row.outcome in (APPROVED, REFUSED):
        used = day(row.used_at, lang)
        raise ApprovalError("used", t("approval.error.used", lang, on=used))
    # Another link of the same version decided it: saying so tells more than "expired".
    _still_open(session, plan, lang, superseded=row.outcome == SUPERSEDED)
    if clock.today() > row.expires_on:
        raise ApprovalError(
            "expired", t("approval.error.expired", lang, on=day(row.expires_on, lang))
        )
    return row, plan


def decide(
    session: Session,
    token: str,
    *,
    approve: bool = True,
    reason: str = "",
    lang: str | None = None,
    settings: Settings,
    clock: Clock,
    where: Mapping[str, str] | None = None,
) -> Decision:
    """Approve (or, with ``approve=False`` and a ``reason``, refuse) the plan version of an
    approval link, once. ``token`` may be the link itself. ``where`` (the portal: the
    browser's address and user agent) goes into the audit entry.

    Raises :class:`ApprovalError`, worded in ``lang`` (default: the settings' language),
    for a link that cannot be used (:func:`usable`); nothing is recorded then.
    """
    lang = lang or settings.language
    reason = reason.strip()
    if not approve and not reason:
        raise ApprovalError("no_reason", t("approval.error.no_reason", lang))
    row, plan = usable(session, token, lang=lang, settings=settings, clock=clock)
    _hold(session, plan, row)
    row, plan = usable(session, token, lang=lang, settings=settings, clock=clock)
    return _record(session, row, plan, approve=approve, reason=reason, lang=lang,
                   settings=settings, clock=clock, where=where)  # fmt: skip


def _hold(session: Session, plan: Plan, row: PlanApproval | None = None) -> None:
    """Lock the plan version (and the link) until the transaction ends: one decision per
    version. A second decision at the same instant (two processes, two links, or the link
    and the signed-in page) waits here for the first to commit, and its checks, run again
    after this, then see it. (SQLite's one write lock already serialises writers.)"""
    hold_row(session, plan)
    if row is not None:
        hold_row(session, row)


def decide_signed_in(
    session: Session,
    plan_id: int,
    *,
    actor: str,
    approve: bool = True,
    reason: str = "",
    lang: str | None = None,
    settings: Settings,
    clock: Clock,
    where: Mapping[str, str] | None = None,
) -> Decision:
    """The head's decision on a plan version from the portal, signed in (the session is the
    credential, not an emailed link; the caller has checked that ``actor`` is the head of
    the version's institution). Recorded as :func:`decide` records it, on the version's
    newest unused link (which is then used: the emailed link decides nothing more), with
    the same refusals: a version superseded by a newer one, one already decided, and a
    version that never went to the head (no link was issued: ``not_sent``)."""
    lang = lang or settings.language
    reason = reason.strip()
    if not approve and not reason:
        raise ApprovalError("no_reason", t("approval.error.no_reason", lang))
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise ApprovalError("unknown", t("approval.error.unknown", lang))
    _hold(session, plan)
    _still_open(session, plan, lang)
    row = open_link(session, plan)
    if row is None:
        raise ApprovalError("not_sent", t("approval.error.not_sent", lang, version=plan.version))
    return _record(session, row, plan, approve=approve, reason=reason, lang=lang,
                   settings=settings, clock=clock, where=where, actor=actor)  # fmt: skip


def open_link(session: Session, plan: Plan) -> PlanApproval | None:
    """The version's newest link still unused, while the version went (or is going) to
    the head and awaits the decision: what a signed-in head decides through. None for a
    version never sent, decided, or superseded by a newer one."""
    if plan.status not in (PlanState.DRAFT, PlanState.SENT):
        return None
    if _newest_version(session, plan.assignment_id) > plan.version or _decided(session, plan):
        return None
    return session.exec(
        select(PlanApproval)
        .where(PlanApproval.plan_id == plan.id, PlanApproval.outcome == UNUSED)
        .order_by(col(PlanApproval.id).desc())
    ).first()


def _record(
    session: Session,
    row: PlanApproval,
    plan: Plan,
    *,
    approve: bool,
    reason: str,
    lang: str,
    settings: Settings,
    clock: Clock,
    where: Mapping[str, str] | None,
    actor: str | None = None,
) -> Decision:
    """Record the decision on ``plan`` through the link ``row`` (checked usable): the
    version approved, or refused with the reason told to the team; the link used; the
    audit entry by ``actor`` (default: the head's address in the registry)."""
    now, today = clock.now(), clock.today()
    rnd, inst = _where(session, plan)
    actor = actor or inst.head_email
    what = f"plan version {plan.version} of {inst.code}"
    # The head holds the link, so the email reached them even if the delivery has not
    # been recorded yet (record_sent_plans runs after the relay).
    if plan.status == PlanState.DRAFT:
        check_move(ALLOWED, PlanState.DRAFT, PlanState.SENT, what)
        plan.status = PlanState.SENT
    row.used_at, row.actor = now, actor
    team_message = None
    if approve:
        check_move(ALLOWED, PlanState(plan.status), PlanState.APPROVED, what)
        plan.status = PlanState.APPROVED
        plan.approved_at, plan.approved_by = now, actor
        row.outcome = APPROVED
    else:
        row.outcome, row.reason = REFUSED, reason
    session.add(plan)
    session.add(row)
    session.flush()
    if not approve:
        team_message, _ = queue_approval_refused(
            session, round_code=rnd.code, institution=inst.code, plan_version=plan.version,
            refused_on=today, reason=reason, settings=settings,
        )  # fmt: skip
    audit.record(
        session,
        actor=actor[:100],
        action="plan.approve" if approve else "plan.refuse",
        entity="plan",
        key=f"{rnd.code}|{inst.code}|{plan.version}",
        approval_id=row.id,
        reason=reason,
        **(where or {}),
    )
    done = "approval.done.approved" if approve else "approval.done.refused"
    return Decision(
        outcome=row.outcome,
        round_code=rnd.code,
        institution=inst.code,
        plan_version=plan.version,
        at=now,
        actor=actor,
        reason=reason,
        message=t(done, lang, version=plan.version, institution=inst.name),
        team_message_id=team_message.id if team_message is not None else None,
    )


def approval_view(session: Session, plan: Plan, today: date) -> ApprovalView:
    """How far a version's approval has come on ``today``."""
    issued = session.exec(
        select(func.min(PlanApproval.issued_at)).where(PlanApproval.plan_id == plan.id)
    ).one()
    since = _local_day(issued) if issued is not None else None
    if plan.status == PlanState.APPROVED:
        return ApprovalView(
            "approved", since, plan.approval_due, plan.approved_at, plan.approved_by
        )
    decided = _decided(session, plan)
    if decided is not None and decided.outcome == REFUSED:
        return ApprovalView(
            "refused", since, plan.approval_due, decided.used_at, decided.actor, decided.reason
        )
    if not awaiting_approval(plan.status, plan.approval_due):
        return ApprovalView("draft", since, plan.approval_due)
    overdue = approval_overdue(plan.status, plan.approval_due, today)
    return ApprovalView("overdue" if overdue else "awaiting", since, plan.approval_due)


def approval_line(view: ApprovalView, lang: str) -> str:
    """The view as one sentence: "awaiting approval since … (due …)", "approved on … by …"."""
    return t(
        f"approval.state.{view.state}",
        lang,
        since=day(view.since, lang),
        due=day(view.due, lang),
        on=day(view.at, lang),
        by=view.by,
        reason=view.reason,
    )


def queue_due_approvals(session: Session, today: date, settings: Settings) -> Batch[Queued]:
    """The approval reminders and escalations due ``today`` for the newest version of every
    plan that is sent and awaiting approval (rule: :func:`approval_follow_up`); each is
    queued once, so running this every day is safe."""
    newest = (
        select(Plan.assignment_id, func.max(Plan.version).label("version"))
        .group_by(col(Plan.assignment_id))
        .subquery()
    )
    rows = session.exec(
        select(Plan, Round.code, Institution.code)
        .join(
            newest,
            (col(Plan.assignment_id) == newest.c.assignment_id)
            & (col(Plan.version) == newest.c.version),
        )
        .join(Assignment, col(Plan.assignment_id) == col(Assignment.id))
        .join(Round, col(Assignment.round_id) == col(Round.id))
        .join(Institution, col(Assignment.institution_id) == col(Institution.id))
        .where(Plan.status == PlanState.SENT, col(Plan.approval_due).is_not(None))
        .order_by(col(Round.code), col(Institution.code))
    ).all()
    refused = set(
        session.exec(
            select(PlanApproval.plan_id).where(
                col(PlanApproval.plan_id).in_([p.id for p, _, _ in rows]),
                PlanApproval.outcome == REFUSED,
            )
        ).all()
    )
    out: Batch[Queued] = Batch("approval reminder")
    for plan, round_code, code in rows:
        step = approval_follow_up(
            plan.status, plan.approval_due, today,
            escalate_after_days=settings.approval_escalation_days, refused=plan.id in refused,
        )  # fmt: skip
        if step is None:
            continue
        if step.kind == REMINDER:
            mail = partial(queue_approval_reminder, session, round_code=round_code,
                           institution=code, plan_version=plan.version, today=today,
                           settings=settings)  # fmt: skip
        elif step.kind == ESCALATION:
            mail = partial(queue_approval_escalation, session, round_code=round_code,
                           institution=code, plan_version=plan.version, number=step.number,
                           today=today, settings=settings)  # fmt: skip
        else:
            continue
        # Each in its own savepoint: one that cannot be queued is listed, the rest go on.
        queued = out.attempt_in(session, code, mail)
        if queued is not None:
            out.append(queued)
    return out


def token_from_message(message: OutboxMessage) -> str:
    """The approval token in a queued plan email, reminder or escalation (for tests and
    the demo, which act as the head; the store itself never holds a token)."""
    found = tokens_in(message.body_text)
    if not found:
        raise ValueError(f"outbox message {message.id} ({message.kind}) carries no approval link")
    return found[0]
