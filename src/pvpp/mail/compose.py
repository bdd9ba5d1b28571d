"""The sixteen kinds of message, composed from the store: who gets what, and when.

| kind       | to                        | cc        | attachment | version in the key      |
|------------|---------------------------|-----------|------------|-------------------------|
| plan       | head of the institution   | team lead | plan PDF   | plan version            |
| invitation | the team (head if none)   |           | workbook   | 0                       |
| reminder   | the team (head if none)   |           |            | 0: one per round³       |
| extension  | the team (head if none)   |           |            | new due date YYYYMMDD   |
| returned   | the team (head if none)   |           |            | submission id           |
| review_returned | the team (head if none) |        |            | review id               |
| followup   | the team (head if none)   |           | status sheet | period end YYYYMMDD   |
| escalation | head of the institution   | team lead |            | YYYYMM: one a month     |
| status_returned | the team (head if none) |        |            | status report id        |
| status_reminder | the team (head if none) |        |            | period end YYYYMMDD     |
| approval_reminder | head of the institution | team lead |          | plan version            |
| approval_escalation | head of the institution | coordinator¹ |        | version × 1000 + number |
| approval_refused | the team (head if none) | head    |            | plan version            |
| plan_sheet_returned | the team (head if none) |      |            | plan sheet id           |
| plan_sheet_taken | the team (head if none) |         |            | plan sheet id           |
| proposal   | the team (head if none)   |           | plan sheet | plan version            |
| signin     | the person signing in     |           |            | sign-in token id²       |

¹ ``coordinator_email`` when set, otherwise the team lead.
² Not about a round: the round part of its business key is :data:`PORTAL` (``portal``).
³ The one before the due date; one a coordinator sends (``pvpp round remind``) carries
  the day it is sent, YYYYMMDD: one a day at most.

The plan email and every approval reminder and escalation carry a one-time approval link
(:mod:`pvpp.approval_links`); a link is issued only when its message is queued for the
first time, never for a message already in the outbox.

Every function queues in the caller's transaction and returns ``(row, created)``; asking
again for the same business key returns the row already queued. Nothing here sends:
:func:`pvpp.mail.relay.deliver_due` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

from sqlmodel import Session, col, func, select

from pvpp import measures
from pvpp.approval_links import ApprovalLink, issue_link, withdraw_link
from pvpp.batch import Batch
from pvpp.i18n import Num, t
from pvpp.mail.outbox import MessageError, find, queue
from pvpp.mail.templates import render, render_html
from pvpp.planning.library import load_library
from pvpp.planning.planner import LAST_PERIOD
from pvpp.planning.recheck import warning_text
from pvpp.plans import (
    Context,
    PlanError,
    context,
    open_measures,
    plan_measures,
    plan_version,
)
from pvpp.policy import load_policy
from pvpp.queries import measure_facts
from pvpp.settings import Settings
from pvpp.states.assignment import AWAITING_WORKBOOK, PLAN_OUT, AssignmentState
from pvpp.states.status_report import ReportVerdict
from pvpp.store.models import (
    Assignment,
    Institution,
    OutboxMessage,
    Plan,
    PlanChange,
    PlanMeasure,
    PlanSheet,
    Review,
    ReviewComment,
    Round,
    StatusReport,
    Submission,
    id_of,
)
from pvpp.teams import members

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_LISTED_PROBLEMS = 50
# Reminders go to assignments not yet accepted (AWAITING_WORKBOOK); escalations to plans
# already sent (PLAN_OUT): both groups are defined once, in pvpp.states.assignment.

Queued = tuple[OutboxMessage, bool]
#: The round part of the business key of a message that is about no round (a sign-in link).
PORTAL = "portal"


def _render(kind: str, lang: str, **context: Any) -> tuple[str, str, str | None]:
    """Subject, text body and, when the kind has an HTML template, the HTML body."""
    subject, body = render(kind, lang, **context)
    return subject, body, render_html(kind, lang, **context)


def _lang(lang: str | None, settings: Settings) -> str:
    return lang or settings.language


def _context(session: Session, round_code: str, institution: str) -> Context:
    try:
        return context(session, round_code, institution)
    except PlanError as exc:
        raise MessageError(str(exc)) from None


def _head(inst: Institution) -> list[tuple[str, str]]:
    return [(inst.head_name, inst.head_email)]


def _team(session: Session, inst: Institution) -> list[tuple[str, str]]:
    """The active team members, lead first; the head when the team has nobody yet."""
    return [(m.name, m.email) for m in members(session, inst.code)] or _head(inst)


def _lead(session: Session, inst: Institution) -> tuple[str, str] | None:
    lead = next((m for m in members(session, inst.code) if m.is_lead), None)
    return (lead.name, lead.email) if lead else None


def _plan(session: Session, ctx: Context, version: int | None) -> Plan:
    plan = plan_version(session, ctx.assignment, version)
    if plan is None:
        which = "a plan" if version is None else f"plan version {version}"
        raise MessageError(f"{ctx.institution.code} has no {which} in round {ctx.round.code}")
    return plan


def _measure_view(rnd: Round, measures: list[PlanMeasure], lang: str) -> list[dict[str, Any]]:
    """Measures as a message lists them: no code stands alone — the measure's code comes
    with its name (the team's own name for an own measure), the item's code with the
    item's name, the dimension's with the dimension's (``D2 Dokumentēšana 1→2``)."""
    policy = load_policy(rnd.policy_version)
    titles = load_library(rnd.policy_version).by_id
    dims = {d.id: f"{d.id} {getattr(d.name, lang)}" for d in policy.dimensions}
    items = {i.id: f"{i.id} {getattr(i.name, lang)}" for i in policy.items}
    out = []
    for m in measures:
        definition = titles.get(m.measure_id)
        item = items.get(m.item_id, m.item_id)
        if m.origin == "own" or definition is None:
            title = m.title or item
        else:
            title = getattr(definition.title, lang)
        step = f"{dims.get(m.dimension_id, m.dimension_id)} {m.from_degree}→{m.to_degree}"
        out.append(
            {"id": m.measure_id, "title": title, "item": item, "step": step, "due_on": m.due_on}
        )
    return out


def queue_plan(
    session: Session,
    *,
    round_code: str,
    institution: str,
    plan_version: int,
    pdf: bytes,
    today: date,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """The plan PDF to the head of the institution, a copy to the team lead, with the
    version's one-time approval link and its approval date (``today`` +
    ``approval_days``, set on the plan as the email is queued).

    Callers can skip rendering the PDF when :func:`pvpp.mail.outbox.find` already
    finds the message for this plan version; asking again returns that message and
    issues no new link.
    """
    lang = _lang(lang, settings)
    ctx = _context(session, round_code, institution)
    rnd, inst = ctx.round, ctx.institution
    existing = find(
        session, round_code=rnd.code, institution_code=inst.code, kind="plan", version=plan_version
    )
    if existing is not None:
        return existing, False
    plan = _plan(session, ctx, plan_version)
    active = [m for m, f in measure_facts(session, plan) if not measures.is_dropped(f)]
    lead = _lead(session, inst)
    link = issue_link(session, plan, today=today, settings=settings, sets_due=True)
    subject, body, html = _render(
        "plan",
        lang,
        head_name=inst.head_name,
        institution_name=inst.name,
        round_code=rnd.code,
        plan_version=plan.version,
        # The head reads the measures to the end of 2027; the rest the PDF sums up.
        measure_count=sum(1 for m in active if m.period != LAST_PERIOD),
        later_count=sum(1 for m in active if m.period == LAST_PERIOD),
        first_due=min((m.due_on for m in active), default=None),
        lead_name=lead[0] if lead else None,
        approval_url=link.url,
        approval_due=link.approval_due,
        link_expires=link.expires_on,
    )
    filename = f"PVPP-plans-{rnd.code}-{inst.code}-v{plan.version}.pdf"
    return _with_link(
        session,
        link,
        queue(
            session,
            round_code=rnd.code,
            institution_code=inst.code,
            kind="plan",
            version=plan.version,
            to=_head(inst),
            cc=[lead] if lead else [],
            subject=subject,
            body=body,
            html=html,
            attachments=[(filename, PDF, pdf)],
            lang=lang,
            settings=settings,
        ),
    )


def queue_proposal(
    session: Session,
    *,
    round_code: str,
    institution: str,
    plan_version: int,
    sheet: bytes,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """The plan sheet of a plan version to the team, sent with the head's plan email: the
    proposal the team shapes and returns (:mod:`pvpp.proposals`). One per plan version."""
    lang = _lang(lang, settings)
    ctx = _context(session, round_code, institution)
    rnd, inst = ctx.round, ctx.institution
    plan = _plan(session, ctx, plan_version)
    active = [m for m, f in measure_facts(session, plan) if not measures.is_dropped(f)]
    name = f"PVPP-plana-lapa-{rnd.code}-{inst.code}-v{plan.version}.xlsx"
    return _to_team(
        session, "proposal", rnd, inst, lang=lang, settings=settings, version=plan.version,
        attachments=[(name, XLSX, sheet)], plan_version=plan.version,
        measure_count=len(active), head_name=inst.head_name,
        approval_due=plan.approval_due,
    )  # fmt: skip


def _with_link(session: Session, link: ApprovalLink, queued: Queued) -> Queued:
    """``queued``; when another process queued the same message first (the key existed
    after all), the link issued for this one is withdrawn: nobody will ever hold it."""
    if not queued[1]:
        withdraw_link(session, link)
    return queued


def _to_team(
    session: Session,
    kind: str,
    rnd: Round,
    inst: Institution,
    *,
    lang: str | None,
    settings: Settings,
    version: int = 0,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    **context: Any,
) -> Queued:
    """A message of ``kind`` to the team (to the head while there is none); its templates
    get the institution's name, the round's code and due date, and ``context``."""
    lang = _lang(lang, settings)
    subject, body, html = _render(
        kind, lang, institution_name=inst.name, round_code=rnd.code, due_on=rnd.due_on,
        **context,
    )  # fmt: skip
    return queue(
        session,
        round_code=rnd.code,
        institution_code=inst.code,
        kind=kind,
        version=version,
        to=_team(session, inst),
        subject=subject,
        body=body,
        html=html,
        attachments=attachments,
        lang=lang,
        settings=settings,
    )


def _of_assignment(session: Session, assignment_id: int) -> tuple[Round, Institution]:
    """The round and institution of an assignment."""
    assignment = session.get(Assignment, assignment_id)
    assert assignment is not None
    rnd = session.get(Round, assignment.round_id)
    inst = session.get(Institution, assignment.institution_id)
    assert rnd is not None and inst is not None
    return rnd, inst


def queue_invitation(
    session: Session,
    *,
    round_code: str,
    institution: str,
    workbook: bytes,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """The self-assessment workbook to the team (to the head while there is no team)."""
    ctx = _context(session, round_code, institution)
    filename = f"PVPP-{round_code}-{institution}.xlsx"
    # Teams that use the portal upload the workbook there (docs/web.md).
    portal_url = f"{settings.public_url.rstrip('/')}/signin"
    return _to_team(
        session, "invitation", ctx.round, ctx.institution, lang=lang, settings=settings,
        attachments=[(filename, XLSX, workbook)], portal_url=portal_url,
    )  # fmt: skip


def queue_reminder(
    session: Session,
    *,
    round_code: str,
    institution: str,
    lang: str | None = None,
    settings: Settings,
    today: date | None = None,
    version: int = 0,
) -> Queued:
    """A reminder that the workbook is due soon, or (``today`` after the due date) that it
    is overdue. Version 0 is the one before the due date (one per round and
    institution); a coordinator's reminder carries the day it is sent (YYYYMMDD)."""
    ctx = _context(session, round_code, institution)
    overdue = today is not None and today > ctx.round.due_on
    return _to_team(
        session, "reminder", ctx.round, ctx.institution, lang=lang, settings=settings,
        version=version, overdue=overdue,
    )  # fmt: skip


def day_key(day: date) -> int:
    """A day as the version part of a business key: YYYYMMDD (one message a day)."""
    return day.year * 10000 + day.month * 100 + day.day


def queue_extension(
    session: Session,
    *,
    round_code: str,
    institution: str,
    previous_due: date,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """The round's due date has been extended: the new date (the round's) and the one it
    replaces, to the team. One per institution and new due date."""
    ctx = _context(session, round_code, institution)
    return _to_team(
        session, "extension", ctx.round, ctx.institution, lang=lang, settings=settings,
        version=day_key(ctx.round.due_on), previous_due=previous_due,
    )  # fmt: skip


def problem_lines(problems: list[dict[str, Any]], lang: str) -> list[str]:
    """A submission's stored problems as lines people read: ``'Sheet'!D12: message``."""
    lines = []
    for p in problems:
        where = f"'{p['sheet']}'!{p['cell']}" if p.get("sheet") and p.get("cell") else ""
        where = where or p.get("sheet") or ""
        message = p.get("message") or ""
        if p.get("code") == "unanswered" and not message:
            message = t("mail.unanswered", lang)
        lines.append(f"{where}: {message}" if where else message)
    if len(lines) > MAX_LISTED_PROBLEMS:
        lines = [*lines[:MAX_LISTED_PROBLEMS], t("mail.more_problems", lang, total=Num(len(lines)))]
    return lines


def queue_returned(
    session: Session,
    *,
    submission_id: int,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """A returned workbook's problems to the team; each returned submission is one message."""
    submission = session.get(Submission, submission_id)
    if submission is None or submission.assignment_id is None:
        raise MessageError(f"no submission {submission_id} matched to an assignment")
    if submission.status == ReportVerdict.ACCEPTED:
        raise MessageError(f"submission {submission_id} was accepted, not returned")
    rnd, inst = _of_assignment(session, submission.assignment_id)
    lang = _lang(lang, settings)
    return _to_team(
        session, "returned", rnd, inst, lang=lang, settings=settings, version=submission_id,
        problems=problem_lines(submission.problems or [], lang),
    )  # fmt: skip


def queue_review_returned(
    session: Session,
    *,
    review_id: int,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """A reviewer's return to the team: the comment on the whole submission, each item's
    comment under the item's name, and where to correct the answers (the portal, or a new
    workbook); one message per return (:mod:`pvpp.review`)."""
    review = session.get(Review, review_id)
    if review is None or review.decision != "returned":
        raise MessageError(f"no return {review_id} by a reviewer")
    rnd, inst = _of_assignment(session, review.assignment_id)
    lang = _lang(lang, settings)
    names = {i.id: f"{i.id} {getattr(i.name, lang)}" for i in load_policy(rnd.policy_version).items}
    rows = session.exec(
        select(ReviewComment)
        .where(ReviewComment.review_id == review.id)
        .order_by(col(ReviewComment.id))
    ).all()
    items = [{"name": names.get(r.item) or t("web.q.services", lang), "text": r.text} for r in rows]
    return _to_team(
        session, "review_returned", rnd, inst, lang=lang, settings=settings, version=review_id,
        comment=review.comment, items=items,
        portal_url=f"{settings.public_url.rstrip('/')}/questionnaire",
    )  # fmt: skip


def queue_followup(
    session: Session,
    *,
    round_code: str,
    institution: str,
    respond_by: date,
    period_end: date | None = None,
    workbook: bytes | None = None,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """A status request about the current plan, listing its open measures due by the period
    end (default ``respond_by``), with the status sheet attached when given.

    One request per institution and period end (the business key's version)."""
    lang = _lang(lang, settings)
    ctx = _context(session, round_code, institution)
    rnd, inst = ctx.round, ctx.institution
    plan = _plan(session, ctx, None)
    until = period_end or respond_by
    due = open_measures(session, plan, until)  # the same measures as the status sheet
    attachments = []
    if workbook is not None:
        name = f"PVPP-statuss-{rnd.code}-{inst.code}-{until.isoformat()}.xlsx"
        attachments.append((name, XLSX, workbook))
    return _to_team(
        session, "followup", rnd, inst, lang=lang, settings=settings,
        version=int(until.strftime("%Y%m%d")), attachments=attachments,
        plan_version=plan.version, respond_by=respond_by,
        measures=_measure_view(rnd, due, lang),
    )  # fmt: skip


def queue_status_returned(
    session: Session,
    *,
    report_id: int,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """A returned status sheet's problems to the team; one message per returned sheet."""
    report = session.get(StatusReport, report_id)
    if report is None or report.assignment_id is None or report.status == ReportVerdict.ACCEPTED:
        raise MessageError(f"no returned status sheet {report_id} matched to an assignment")
    rnd, inst = _of_assignment(session, report.assignment_id)
    lang = _lang(lang, settings)
    return _to_team(
        session, "status_returned", rnd, inst, lang=lang, settings=settings,
        version=report_id, period_end=report.period_end,
        problems=problem_lines(report.problems or [], lang),
    )  # fmt: skip


def _plan_sheet(session: Session, sheet_id: int, status: str) -> tuple[PlanSheet, Assignment]:
    """A kept plan sheet of ``status`` matched to an assignment, with the assignment."""
    sheet = session.get(PlanSheet, sheet_id)
    if sheet is None or sheet.assignment_id is None or sheet.status != status:
        raise MessageError(f"no {status} plan sheet {sheet_id} matched to an assignment")
    assignment = session.get(Assignment, sheet.assignment_id)
    assert assignment is not None  # a foreign key: the row is there
    return sheet, assignment


def queue_plan_sheet_returned(
    session: Session,
    *,
    sheet_id: int,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """A rejected plan sheet's problems, each by sheet and cell, to the team with what to
    do (correct and send again); one message per rejected sheet. ``lang`` is the sheet's."""
    sheet, assignment = _plan_sheet(session, sheet_id, "rejected")
    rnd, inst = _of_assignment(session, id_of(assignment))
    lang = _lang(lang, settings)
    return _to_team(
        session, "plan_sheet_returned", rnd, inst, lang=lang, settings=settings,
        version=sheet_id, filename=sheet.filename, plan_version=sheet.plan_version,
        problems=problem_lines(sheet.problems or [], lang),
    )  # fmt: skip


def queue_plan_sheet_taken(
    session: Session,
    *,
    sheet_id: int,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """An accepted plan sheet to the team: the plan version it made, how many changes were
    recorded and the planner's warnings in ``lang`` (every code followed by its name); the
    version goes to the head for approval. One message per accepted sheet."""
    sheet, assignment = _plan_sheet(session, sheet_id, "accepted")
    rnd, inst = _of_assignment(session, id_of(assignment))
    plan = plan_version(session, assignment, sheet.new_plan_version)
    if plan is None or sheet.new_plan_version is None:
        raise MessageError(f"plan sheet {sheet_id} made no plan version")
    lang = _lang(lang, settings)
    library = load_library(rnd.policy_version)
    # The team's own measures are named by the team: the warnings name them by that title.
    titles = {m.measure_id: m.title for m in plan_measures(session, plan) if m.origin == "own"}
    changes = session.exec(
        select(func.count()).select_from(PlanChange).where(PlanChange.plan_id == plan.id)
    ).one()
    return _to_team(
        session, "plan_sheet_taken", rnd, inst, lang=lang, settings=settings,
        version=sheet_id, filename=sheet.filename, from_version=sheet.plan_version,
        plan_version=plan.version, changes=changes, head_name=inst.head_name,
        warnings=[warning_text(w, library, lang, titles) for w in plan.warnings or []],
    )  # fmt: skip


def queue_status_reminder(
    session: Session,
    *,
    round_code: str,
    institution: str,
    period_end: date,
    requested_on: date,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """A reminder that the status sheet for ``period_end`` has not come back (once each)."""
    ctx = _context(session, round_code, institution)
    return _to_team(
        session, "status_reminder", ctx.round, ctx.institution, lang=lang, settings=settings,
        version=int(period_end.strftime("%Y%m%d")), period_end=period_end,
        requested_on=requested_on,
    )  # fmt: skip


def overdue_measures(
    session: Session, plan: Plan, today: date, days: int
) -> list[tuple[PlanMeasure, int]]:
    """Open measures of ``plan`` more than ``days`` days past due, with days overdue
    (the rule of :func:`pvpp.measures.is_overdue`)."""
    return [
        (m, measures.days_overdue(f, today))
        for m, f in measure_facts(session, plan)
        if measures.is_overdue(f, today, grace_days=days)
    ]


def queue_escalation(
    session: Session,
    *,
    round_code: str,
    institution: str,
    today: date,
    lang: str | None = None,
    settings: Settings,
) -> Queued | None:
    """Overdue measures of the current plan to the head (at most one message a month).

    None when no measure is more than ``escalation_days_overdue`` days late.
    """
    lang = _lang(lang, settings)
    ctx = _context(session, round_code, institution)
    rnd, inst = ctx.round, ctx.institution
    plan = _plan(session, ctx, None)
    days = settings.escalation_days_overdue
    overdue = overdue_measures(session, plan, today, days)
    if not overdue:
        return None
    view = _measure_view(rnd, [m for m, _ in overdue], lang)
    for item, (_, late) in zip(view, overdue, strict=True):
        item["days_overdue"] = late
    lead = _lead(session, inst)
    subject, body, html = _render(
        "escalation",
        lang,
        head_name=inst.head_name,
        institution_name=inst.name,
        round_code=rnd.code,
        plan_version=plan.version,
        overdue=view,
        days=days,
    )
    return queue(
        session,
        round_code=rnd.code,
        institution_code=inst.code,
        kind="escalation",
        version=int(today.strftime("%Y%m")),
        to=_head(inst),
        cc=[lead] if lead else [],
        subject=subject,
        body=body,
        html=html,
        lang=lang,
        settings=settings,
    )


ESCALATION_KEY_BASE = 1000  # approval escalations: plan version × 1000 + escalation number


def approval_escalation_key(plan_version: int, number: int) -> int:
    """The version part of an approval escalation's business key (one per escalation)."""
    return plan_version * ESCALATION_KEY_BASE + number


def _plan_lang(session: Session, rnd: Round, inst: Institution, plan: Plan) -> str | None:
    """The language the version's plan email went out in (approval mails follow it)."""
    sent = find(
        session, round_code=rnd.code, institution_code=inst.code, kind="plan", version=plan.version
    )
    return sent.lang if sent is not None else None


def _approval_mail(
    session: Session,
    kind: str,
    *,
    round_code: str,
    institution: str,
    plan_version: int,
    key_version: int,
    cc: list[tuple[str, str]],
    today: date,
    lang: str | None,
    settings: Settings,
    **context: Any,
) -> Queued:
    """An approval reminder or escalation to the head, with a fresh one-time link."""
    ctx = _context(session, round_code, institution)
    rnd, inst = ctx.round, ctx.institution
    existing = find(
        session, round_code=rnd.code, institution_code=inst.code, kind=kind, version=key_version
    )
    if existing is not None:
        return existing, False
    plan = _plan(session, ctx, plan_version)
    if plan.approval_due is None:
        raise MessageError(
            f"{inst.code} plan version {plan.version} has no approval date: it was never sent"
        )
    lang = _lang(lang or _plan_lang(session, rnd, inst, plan), settings)
    link = issue_link(session, plan, today=today, settings=settings, sets_due=False)
    subject, body, html = _render(
        kind,
        lang,
        head_name=inst.head_name,
        institution_name=inst.name,
        round_code=rnd.code,
        plan_version=plan.version,
        approval_due=plan.approval_due,
        days_late=max(0, (today - plan.approval_due).days),
        approval_url=link.url,
        link_expires=link.expires_on,
        copied=bool(cc),
        **context,
    )
    return _with_link(
        session,
        link,
        queue(
            session,
            round_code=rnd.code,
            institution_code=inst.code,
            kind=kind,
            version=key_version,
            to=_head(inst),
            cc=cc,
            subject=subject,
            body=body,
            html=html,
            lang=lang,
            settings=settings,
        ),
    )


def queue_approval_reminder(
    session: Session,
    *,
    round_code: str,
    institution: str,
    plan_version: int,
    today: date,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """The head is reminded that the plan version awaits approval (once per version), a
    copy to the team lead; with a fresh approval link."""
    inst = _context(session, round_code, institution).institution
    lead = _lead(session, inst)
    return _approval_mail(
        session, "approval_reminder", round_code=round_code, institution=institution,
        plan_version=plan_version, key_version=plan_version, cc=[lead] if lead else [],
        today=today, lang=lang, settings=settings,
    )  # fmt: skip


def queue_approval_escalation(
    session: Session,
    *,
    round_code: str,
    institution: str,
    plan_version: int,
    number: int,
    today: date,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """The ``number``-th escalation of a late approval to the head, a copy to the VARAM
    coordinator (``coordinator_email``) or, without one, to the team lead; once each."""
    if number < 1 or number >= ESCALATION_KEY_BASE:
        raise MessageError(f"an escalation number is 1 to {ESCALATION_KEY_BASE - 1}, not {number}")
    inst = _context(session, round_code, institution).institution
    lead = _lead(session, inst)
    cc = (
        [("", settings.coordinator_email)] if settings.coordinator_email else [lead] if lead else []
    )
    return _approval_mail(
        session, "approval_escalation", round_code=round_code, institution=institution,
        plan_version=plan_version, key_version=approval_escalation_key(plan_version, number),
        cc=cc, today=today, lang=lang, settings=settings, number=number,
    )  # fmt: skip


def queue_approval_refused(
    session: Session,
    *,
    round_code: str,
    institution: str,
    plan_version: int,
    refused_on: date,
    reason: str,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """The head's refusal of a plan version, with the reason, to the team (a copy to the
    head); once per version."""
    ctx = _context(session, round_code, institution)
    rnd, inst = ctx.round, ctx.institution
    plan = _plan(session, ctx, plan_version)
    lang = _lang(lang or _plan_lang(session, rnd, inst, plan), settings)
    subject, body, html = _render(
        "approval_refused",
        lang,
        head_name=inst.head_name,
        institution_name=inst.name,
        round_code=rnd.code,
        plan_version=plan.version,
        refused_on=refused_on,
        reason=reason,
    )
    team = _team(session, inst)
    return queue(
        session,
        round_code=rnd.code,
        institution_code=inst.code,
        kind="approval_refused",
        version=plan.version,
        to=team,
        cc=[] if _head(inst) == team else _head(inst),
        subject=subject,
        body=body,
        html=html,
        lang=lang,
        settings=settings,
    )


def _assignments(
    session: Session, states: frozenset[AssignmentState]
) -> list[tuple[Round, Institution]]:
    rows = session.exec(
        select(Round, Institution)
        .join(Assignment, col(Assignment.round_id) == col(Round.id))
        .join(Institution, col(Assignment.institution_id) == col(Institution.id))
        .where(col(Assignment.state).in_(sorted(states)))
        .order_by(col(Round.code), col(Institution.code))
    ).all()
    return [(r, i) for r, i in rows]


def queue_due_reminders(session: Session, today: date, settings: Settings) -> Batch[Queued]:
    """Reminders for workbooks not yet accepted whose round is due within
    ``reminder_days_before_due`` days (and not past due). Each in its own savepoint: one
    that cannot be queued is listed in the result's ``failed`` and the others go on."""
    window = timedelta(days=settings.reminder_days_before_due)
    out: Batch[Queued] = Batch("reminder")
    for rnd, inst in _assignments(session, AWAITING_WORKBOOK):
        if rnd.due_on - window <= today <= rnd.due_on:
            queued = out.attempt_in(
                session, inst.code,
                partial(queue_reminder, session, round_code=rnd.code, institution=inst.code,
                        settings=settings, today=today),
            )  # fmt: skip
            if queued is not None:
                out.append(queued)
    return out


def queue_due_escalations(session: Session, today: date, settings: Settings) -> Batch[Queued]:
    """Escalations for sent plans with measures more than ``escalation_days_overdue`` late.
    Each in its own savepoint: one that cannot be queued is listed in the result's
    ``failed`` and the others go on."""
    out: Batch[Queued] = Batch("escalation")
    for rnd, inst in _assignments(session, PLAN_OUT):
        queued = out.attempt_in(
            session, inst.code,
            partial(queue_escalation, session, round_code=rnd.code, institution=inst.code,
                    today=today, settings=settings),
        )  # fmt: skip
        if queued is not None:
            out.append(queued)
    return out


__all__ = [
    "approval_escalation_key",
    "day_key",
    "overdue_measures",
    "problem_lines",
    "queue_approval_escalation",
    "queue_approval_refused",
    "queue_approval_reminder",
    "queue_due_escalations",
    "queue_due_reminders",
    "queue_escalation",
    "queue_extension",
    "queue_followup",
    "queue_invitation",
    "queue_plan",
    "queue_plan_sheet_returned",
    "queue_plan_sheet_taken",
    "queue_proposal",
    "queue_reminder",
    "queue_returned",
    "queue_review_returned",
    "queue_status_reminder",
    "queue_status_returned",
]


def queue_signin(
    session: Session,
    *,
    institution: Institution,
    token_id: int,
    person: tuple[str, str],
    role: str,
    url: str,
    expires: str,
    lang: str | None = None,
    settings: Settings,
) -> Queued:
    """A one-time sign-in link to one person (name, address) of ``institution``: a team
    member or the head (``role``: team | lead | head), valid until ``expires`` (already
    written in the reader's language). One message per sign-in token (:mod:`pvpp.signin`)."""
    lang = _lang(lang, settings)
    subject, body, html = _render(
        "signin", lang, institution_name=institution.name, person_name=person[0],
        role_name=t(f"web.role.{role}", lang), signin_url=url, expires=expires,
        request_url=f"{settings.public_url.rstrip('/')}/signin",
    )  # fmt: skip
    return queue(
        session,
        round_code=PORTAL,
        institution_code=institution.code,
        kind="signin",
        version=token_id,
        to=[person],
        subject=subject,
        body=body,
        html=html,
        lang=lang,
        settings=settings,
    )
