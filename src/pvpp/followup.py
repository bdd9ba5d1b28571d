"""RV5 follow-up: status requests at period ends, status sheets in, re-plans out.

At each half-year end (the due dates the planner gives measures), every institution whose
plan has open measures due by then gets a status request with its status sheet
(:mod:`pvpp.workbook.status`) attached, once per period end. Returned sheets are checked
like the questionnaire and kept as received; an accepted one records each measure's
reported status, and when the team moves a due date or gives a measure up, the plan is
adjusted into a new version, which the assessment flow renders and sends to the head.
Teams that do not answer are reminded; measures still open well after their due date are
escalated to the head (:func:`pvpp.mail.compose.queue_due_escalations`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from pvpp import audit
from pvpp import measures as rules
from pvpp.assignments import State, transition
from pvpp.batch import Batch
from pvpp.files import FileRefused, read_given, shown_name, write_atomic
from pvpp.i18n import t
from pvpp.mail.compose import queue_followup, queue_status_reminder, queue_status_returned
from pvpp.mail.outbox import find
from pvpp.planning.library import load_library
from pvpp.planning.planner import LAST_DUE, periods
from pvpp.plans import (
    Context,
    PlanError,
    adjust_plan,
    context,
    latest_plan,
    open_measures,
    plan_measures,
)
from pvpp.policy.models import Lang
from pvpp.queries import current_statuses, measure_facts
from pvpp.rounds import assignment_codes
from pvpp.services import with_services
from pvpp.settings import Settings
from pvpp.states.assignment import PLAN_OUT
from pvpp.states.plan import PlanState
from pvpp.states.status_report import ReportVerdict
from pvpp.store.concurrency import hold, hold_row
from pvpp.store.db import Database
from pvpp.store.files import sha256, store_file
from pvpp.store.models import (
    MeasureStatus,
    OutboxMessage,
    Plan,
    PlanMeasure,
    Round,
    StatusReport,
    id_of,
)
from pvpp.submissions import unreadable_detail, workbook_files
from pvpp.workbook.plan_sheet import ValueGrid
from pvpp.workbook.status import (
    CHOICES,
    COMMENT_COL,
    FIRST_ROW,
    NEW_DUE_COL,
    STATUS_COL,
    StatusMeta,
    StatusRow,
    StatusUpdate,
    build_status_sheet,
    check_rows,
    check_status_sheet,
    sheet_title,
)
from pvpp.workbook.status import choice_label as status_label

#: The file name a report made in the portal is kept under (its source names the person).
WEB_REPORT = "portal"


@dataclass(frozen=True)
class StatusOutcome:
    """What happened to one received status sheet."""

    file: str
    outcome: str  # accepted | incomplete | rejected | duplicate
    institution: str | None = None
    detail: str = ""
    new_plan_version: int | None = None


def period_ends(rnd: Round) -> list[date]:
    """The round's period ends: half-years to 2027, then the 2028–2031 horizon."""
    return [p.due for p in periods(rnd.due_on)] + [LAST_DUE]


def last_period_end(rnd: Round, today: date) -> date | None:
    """The newest period end on or before ``today`` (None before the first)."""
    past = [d for d in period_ends(rnd) if d <= today]
    return past[-1] if past else None


def request_statuses(
    session: Session,
    round_code: str,
    today: date,
    *,
    folder: Path | None = None,
    settings: Settings,
) -> Batch[str]:
    """Queue the status request of the latest period end for every institution with open
    measures due by then (once per institution and period end); returns their codes.

    With ``folder``, each status sheet sent is also filed there as ``CODE-<period end>.xlsx``.
    Each institution is done in its own savepoint: one that fails (its sheet or its email
    cannot be made) is rolled back and listed in the result's ``failed``; the others go on.
    """
    out: Batch[str] = Batch("status request")

    def one(code: str) -> bool:
        ctx = context(session, round_code, code)
        period = last_period_end(ctx.round, today)
        plan = latest_plan(session, ctx.assignment)
        if period is None or plan is None:
            return False
        version = int(period.strftime("%Y%m%d"))
        if find(session, round_code=round_code, institution_code=code, kind="followup",
                version=version):  # fmt: skip
            return False
        measures = open_measures(session, plan, period)
        if not measures:
            return False
        library = load_library(ctx.round.policy_version).by_id
        lang = settings.language
        rows = [
            StatusRow(
                m.measure_id,
                # An own measure's name is in the row; a library measure's in the library.
                with_services(
                    m.title
                    or (
                        getattr(library[m.measure_id].title, lang)
                        if m.measure_id in library
                        else ""
                    ),
                    m.services,
                    lang,
                ),
                m.due_on,
            )
            for m in measures
        ]
        respond_by = today + timedelta(days=settings.status_respond_days)
        sheet = build_status_sheet(
            institution_code=code, institution_name=ctx.institution.name,
            round_code=round_code, plan_version=plan.version, period_end=period,
            respond_by=respond_by, rows=rows,
            later_dues=[d for d in period_ends(ctx.round) if d > period], lang=lang,
            key=settings.signing_key(),
        )  # fmt: skip
        queue_followup(
            session, round_code=round_code, institution=code, respond_by=respond_by,
            period_end=period, workbook=sheet, settings=settings,
        )  # fmt: skip
        if ctx.assignment.state == State.PLAN_SENT.value:
            transition(session, ctx.assignment, State.IN_FOLLOW_UP, actor="follow-up",
                       reason=f"status requested for the period ending {period}")  # fmt: skip
        if folder is not None:
            write_atomic(folder / f"{code}-{period.isoformat()}.xlsx", sheet)
        return True

    for code in assignment_codes(session, round_code, PLAN_OUT):
        if out.attempt_in(session, code, partial(one, code)):
            out.append(code)
    return out


def remind_statuses(
    session: Session, round_code: str, today: date, settings: Settings
) -> Batch[str]:
    """Remind teams whose status request is older than ``status_reminder_days`` and whose
    sheet for that period has not been accepted (once per period end). One that fails is
    rolled back (its savepoint) and listed in the result's ``failed``; the others go on."""
    out: Batch[str] = Batch("status reminder")
    requests = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.round_code == round_code, col(OutboxMessage.kind) == "followup"
        )
    ).all()

    def one(req: OutboxMessage, period: date, requested_on: date) -> bool:
        ctx = context(session, round_code, req.institution_code)
        answered = session.exec(
            select(StatusReport.id).where(
                StatusReport.assignment_id == ctx.assignment.id,
                StatusReport.period_end == period,
                StatusReport.status == ReportVerdict.ACCEPTED,
            )
        ).first()
        if answered is not None:
            return False
        _, created = queue_status_reminder(
            session, round_code=round_code, institution=req.institution_code,
            period_end=period, requested_on=requested_on, settings=settings,
        )  # fmt: skip
        return created

    for req in requests:
        period = date(req.version // 10000, req.version // 100 % 100, req.version % 100)
        # The day the request went out; a run dated before it was queued (a catch-up or
        # a simulated day) counts from the period end instead.
        sent_on = req.created_at.date()
        requested_on = sent_on if period <= sent_on <= today else period
        if (today - requested_on).days < settings.status_reminder_days:
            continue
        if out.attempt_in(session, req.institution_code, partial(one, req, period, requested_on)):
            out.append(req.institution_code)
    return out


def ingest_status_files(
    paths: Iterable[Path], *, source: str = "cli", settings: Settings, db: Database
) -> list[StatusOutcome]:
    """Check and keep every status sheet under ``paths`` (one transaction per file)."""
    rows = []
    for path in workbook_files(paths):
        try:
            data = read_given(path, limit=settings.max_upload_bytes)
        except FileRefused as exc:
            rows.append(StatusOutcome(shown_name(path), "rejected", detail=unreadable_detail(exc)))
            continue
        with db.unit_of_work() as session:
            rows.append(
                ingest_status(
                    session, data, filename=path.name, source=f"{source}:{path}",
                    settings=settings,
                )
            )  # fmt: skip
    return rows


def ingest_status(
    session: Session, data: bytes, *, filename: str, source: str, settings: Settings
) -> StatusOutcome:
    """Check one status sheet, keep it as received, and apply it when accepted.

    ``filename`` and ``source`` are kept and shown as :func:`pvpp.files.shown_name` gives
    them."""
    filename, source = shown_name(filename), shown_name(source)
    digest = sha256(data)
    hold(session, f"file:{digest}")  # the same file taken at once elsewhere: waited for
    earlier = session.exec(select(StatusReport).where(StatusReport.file_sha256 == digest)).first()
    if earlier is not None:
        return StatusOutcome(
            filename, "duplicate", detail=f"same file as status report {earlier.id}"
        )
    result = check_status_sheet(data, settings=settings)
    meta = result.meta
    ctx: Context | None = None
    assignment = None
    detail = ""
    if meta is not None:
        try:
            ctx = context(session, meta.round, meta.institution)
            assignment = ctx.assignment
            hold_row(session, assignment)  # one sheet of an assignment at a time
        except PlanError as exc:
            result.status, detail = "rejected", str(exc)
    store_file(session, data)
    previous = None
    if assignment is not None:
        previous = session.exec(
            select(StatusReport)
            .where(StatusReport.assignment_id == assignment.id)
            .order_by(col(StatusReport.id).desc())
        ).first()
    report = StatusReport(
        assignment_id=assignment.id if assignment else None,
        plan_version=meta.plan_version if meta else None,
        period_end=meta.period_end if meta else None,
        file_sha256=digest, filename=filename[:500], source=source[:500],
        status=result.status, problems=result.problems,
        supersedes_id=previous.id if previous else None,
    )  # fmt: skip
    session.add(report)
    session.flush()
    if not detail and result.problems:
        first = result.problems[0]
        where = f"{first['sheet']}!{first['cell']}: " if first.get("cell") else ""
        more = f" (+{len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        detail = f"{where}{first['message']}{more}"
    new_version = None
    if ctx is not None and meta is not None:
        if result.status == ReportVerdict.ACCEPTED:
            new_version = record_statuses(session, ctx, report, result.updates)
        else:
            queue_status_returned(session, report_id=id_of(report), settings=settings)
    audit.record(
        session, actor=source[:100], action=f"status.{result.status}", entity="status_report",
        key=str(report.id), sha256=digest, filename=filename,
    )  # fmt: skip
    return StatusOutcome(
        filename, result.status, meta.institution if meta else None, detail, new_version
    )


def record_statuses(
    session: Session, ctx: Context, report: StatusReport, updates: list[StatusUpdate]
) -> int | None:
    """Record each reported status of an accepted report (a status sheet's or the portal's
    form's); re-plan when the team moved or gave up measures. Returns the new plan version,
    if one was made."""
    for u in updates:
        session.add(
            MeasureStatus(
                report_id=id_of(report), assignment_id=id_of(ctx.assignment),
                measure_id=u.measure_id, status=u.status, new_due=u.new_due, comment=u.comment,
                evidence=u.evidence,
            )
        )  # fmt: skip
    plan = latest_plan(session, ctx.assignment)
    if plan is None:
        return None
    current = {m.measure_id: m for m in plan_measures(session, plan)}
    drop = {u.measure_id: u.comment for u in updates if u.status == "drop"}
    move = {
        u.measure_id: u.new_due
        for u in updates
        if u.status == "move" and u.new_due and current.get(u.measure_id)
        and current[u.measure_id].due_on != u.new_due
    }  # fmt: skip
    drop = {k: v for k, v in drop.items() if k in current and current[k].status != "dropped"}
    if not drop and not move:
        return None
    new = adjust_plan(session, ctx, drop=drop, move=move, actor=f"status_report:{report.id}")
    report.new_plan_version = new.version
    session.add(report)
    if ctx.assignment.state in PLAN_OUT:
        transition(session, ctx.assignment, State.PLANNED, actor=f"status_report:{report.id}",
                   reason=f"re-planned from the status sheet: version {new.version}")  # fmt: skip
    return new.version


# -- reporting online --------------------------------------------------------------------

#: The plan states whose measures the team reports on: sent to the head, or approved.
REPORTED_PLANS = (PlanState.SENT, PlanState.APPROVED)
MAX_EVIDENCE = 2000


@dataclass(frozen=True)
class Progress:
    """What the team reports on online: the plan in force (the newest that went to the head), its
    open measures (the rules of :mod:`pvpp.measures`), the due dates a measure may move
    to, the period end the report answers, and the team's current report per measure."""

    plan: Plan | None
    measures: list[PlanMeasure]
    later: list[date]
    period_end: date | None
    current: dict[str, MeasureStatus]
    # A newer version than ``plan`` not yet sent to the head (shaped or re-planned since
    # the plan went out): its number, or None.
    newer: int | None = None


def progress(session: Session, ctx: Context, today: date) -> Progress:
    """The open measures of the institution's plan in force and its reports so far.

    The plan in force is the newest version that went to the head (sent or approved): a
    version made since (the team shaped the plan, or a report re-planned it) is not yet
    the head's, so the team reports on the one in force meanwhile (``newer`` says that a
    newer one waits); a move or drop it reports re-plans from the newest version
    (:func:`record_statuses`), so nothing shaped since is lost."""
    latest = latest_plan(session, ctx.assignment)
    plan = session.exec(
        select(Plan)
        .where(Plan.assignment_id == ctx.assignment.id, col(Plan.status).in_(REPORTED_PLANS))
        .order_by(col(Plan.version).desc())
    ).first()
    later = [d for d in period_ends(ctx.round) if d > today]
    period = last_period_end(ctx.round, today)
    if plan is None:
        return Progress(None, [], later, period, {})
    newer = latest.version if latest is not None and latest.version > plan.version else None
    rows = [row for row, facts in measure_facts(session, plan) if rules.is_open(facts)]
    current = current_statuses(session, id_of(ctx.assignment))
    return Progress(plan, rows, later, period, current, newer)


@dataclass(frozen=True)
class OnlineReport:
    """What became of a report made in the portal."""

    status: str  # accepted | rejected (nothing stored)
    problems: list[dict[str, Any]]
    report_id: int | None = None
    new_plan_version: int | None = None


def report_online(
    session: Session,
    ctx: Context,
    answers: Mapping[str, tuple[str, str, str, str]],
    *,
    plan_version: int,
    today: date,
    now: datetime,
    actor: str,
    lang: Lang,
    where: Mapping[str, str] | None = None,
) -> OnlineReport:
    """A team's report on its open measures made in the portal: ``answers`` maps each
    measure ID to (status key, new due date, comment, evidence). Checked by the status
    sheet's own rules (:func:`pvpp.workbook.status.check_rows`: every measure answered,
    a status from the list, a move with a later due date, a drop with a reason), with the
    problems by cell (``STATUS_COL`` etc. and the row: :data:`FIRST_ROW` + its position);
    a report with any problem stores nothing. An accepted one is kept like a status sheet
    (the submitted values as a JSON document in the file store, a ``StatusReport`` of
    source ``web``, superseding the previous one) and applied by :func:`record_statuses`
    as an accepted sheet is: each status recorded, a move or drop re-planned."""
    hold_row(session, ctx.assignment)
    now_progress = progress(session, ctx, today)
    plan = now_progress.plan
    if plan is None or plan.version != plan_version:
        latest = plan.version if plan else 0
        message = t("proposal.problem.stale", lang, version=plan_version, latest=latest)
        return OnlineReport("rejected", [{"code": "stale", "sheet": None, "cell": None,
                                          "field": None, "message": message}])  # fmt: skip
    ids = [m.measure_id for m in now_progress.measures]
    cells: dict[str, str] = {}
    for n, mid in enumerate(ids):
        status, new_due, comment, _ = answers.get(mid, ("", "", "", ""))
        r = FIRST_ROW + n
        cells[f"B{r}"] = mid
        cells[f"{STATUS_COL}{r}"] = status_label(status, lang) if status in CHOICES else status
        cells[f"{NEW_DUE_COL}{r}"] = new_due
        cells[f"{COMMENT_COL}{r}"] = comment
    meta = StatusMeta(ctx.round.code, ctx.institution.code, plan.version,
                      now_progress.period_end or today, tuple(ids), lang)  # fmt: skip
    result = check_rows(ValueGrid(sheet_title(lang), cells), meta, now_progress.later)
    for n, mid in enumerate(ids):
        evidence = answers.get(mid, ("", "", "", ""))[3]
        if len(evidence) > MAX_EVIDENCE:
            result.problems.append(
                {"code": "status_text_too_long", "sheet": sheet_title(lang),
                 "cell": f"H{FIRST_ROW + n}", "field": mid,
                 "message": t("proposal.problem.text_too_long", lang, length=len(evidence),
                              limit=MAX_EVIDENCE)}
            )  # fmt: skip
    if result.problems:
        return OnlineReport("rejected", result.problems)
    updates = [
        StatusUpdate(u.measure_id, u.status, u.new_due, u.comment, answers[u.measure_id][3])
        for u in result.updates
    ]
    document = json.dumps(
        {
            "round": ctx.round.code, "institution": ctx.institution.code,
            "plan_version": plan.version, "period_end": now_progress.period_end,
            "by": actor, "at": now, "via": "web",
            "updates": [asdict(u) for u in updates],
        },
        ensure_ascii=False, sort_keys=True, indent=1, default=str,
    ).encode("utf-8")  # fmt: skip
    digest = sha256(document)
    store_file(session, document)
    previous = session.exec(
        select(StatusReport)
        .where(StatusReport.assignment_id == ctx.assignment.id)
        .order_by(col(StatusReport.id).desc())
    ).first()
    report = StatusReport(
        assignment_id=id_of(ctx.assignment), plan_version=plan.version,
        period_end=now_progress.period_end, file_sha256=digest, filename=WEB_REPORT,
        source=f"web:{actor}"[:500], status=ReportVerdict.ACCEPTED, problems=[],
        supersedes_id=previous.id if previous else None,
    )  # fmt: skip
    session.add(report)
    session.flush()
    new_version = record_statuses(session, ctx, report, updates)
    audit.record(
        session, actor=actor[:100], action="status.accepted", entity="status_report",
        key=str(report.id), sha256=digest, filename=WEB_REPORT, measures=len(updates),
        **(where or {}),
    )  # fmt: skip
    return OnlineReport("accepted", [], report.id, new_version)
