"""Tasks: a few lines each, over pvpp's services. Outside services (SMTP) get retries.

Every task takes the process's root from :func:`flows.root.app` and hands the services
what they need from it (settings, database, clock, mail transport).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from pathlib import Path

from prefect import get_run_logger, task
from sqlmodel import col, select

from flows.root import app, each, settle
from pvpp import followup, milestones, proposals
from pvpp.approvals import queue_due_approvals
from pvpp.batch import Batch
from pvpp.delivery import queue_plans, record_sent_plans
from pvpp.documents.national_pdf import national_pdf
from pvpp.files import write_atomic
from pvpp.invitations import invite_round
from pvpp.mail.compose import (
    Queued,
    queue_due_escalations,
    queue_due_reminders,
    queue_returned,
)
from pvpp.mail.relay import deliver_due
from pvpp.national import round_status
from pvpp.plans import build_plan, context
from pvpp.rounds import assignment_codes, get_round
from pvpp.states.assignment import READY_TO_PLAN
from pvpp.store.models import Assignment, Submission
from pvpp.submissions import ingest_paths

SMTP_RETRIES = 3
SMTP_RETRY_DELAYS: list[float] = [2, 5, 15]  # seconds before each retry


def created(queued: Batch[Queued]) -> int:
    """How many of the messages were queued now (not found already queued)."""
    return sum(new for _, new in queued)


@task
def assignments_in(round_code: str, states: Collection[str]) -> list[str]:
    """Codes of the round's institutions whose assignment is in one of ``states``."""
    with app().db.unit_of_work() as s:
        return assignment_codes(s, round_code, states)


@task
def invite(round_code: str, folder: str) -> int:
    """Build each open institution's workbook and queue its invitation (once each)."""
    root = app()
    return settle(invite_round(round_code, Path(folder), settings=root.settings, db=root.db), len)


@task
def ingest(folder: str) -> dict[str, int]:
    """Ingest what arrived in the drop folder; counts per outcome."""
    root = app()
    rows = ingest_paths([Path(folder)], source="flow", settings=root.settings, db=root.db)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.outcome.value] = counts.get(row.outcome.value, 0) + 1
        if row.submission_id is None:  # not read (a link, too large, …): only the log says so
            get_run_logger().warning("file %s not taken: %s", row.file, row.detail)
    return counts


@task
def return_problems(round_code: str) -> int:
    """Queue the "returned" email for every rejected or incomplete submission (once each)."""
    root = app()
    with root.db.unit_of_work() as s:
        rnd = get_round(s, round_code)
        rows = s.exec(
            select(Submission.id)
            .join(Assignment, col(Submission.assignment_id) == Assignment.id)
            .where(
                Assignment.round_id == rnd.id,
                col(Submission.status).in_(("rejected", "incomplete")),
                # A late file is kept, not applied: the team is not asked to correct it.
                col(Submission.late_state).is_(None),
            )
        ).all()
    # Primary keys: never None in the database, only on a model not yet stored.
    ids = [sid for sid in rows if sid is not None]

    def one(sid: int) -> int:
        with root.db.unit_of_work() as s:
            _, created = queue_returned(s, submission_id=sid, settings=root.settings)
            return int(created)

    return settle(each("return submission", ids, one), sum)


@task
def remind(today: date) -> int:
    root = app()
    with root.db.unit_of_work() as s:
        done = queue_due_reminders(s, today, root.settings)
    return settle(done, created)


@task
def plan(round_code: str, codes: list[str], today: date) -> int:
    """Build the plan of each accepted institution as of ``today``; returns how many new
    versions."""
    root = app()

    def one(code: str) -> int:
        with root.db.unit_of_work() as s:
            _, created = build_plan(s, context(s, round_code, code), today=today, actor="flow")
            return int(created)

    return settle(each("plan", codes, one), sum)


@task
def queue_plan_mails(round_code: str, folder: str, institutions: list[str] | None = None) -> int:
    """Render (and file in ``folder``) each new plan version, dated by the root's clock,
    and queue its email (of ``institutions`` only, when given)."""
    root = app()
    rows = queue_plans(
        round_code, institutions, pdf_dir=Path(folder),
        settings=root.settings, db=root.db, today=root.today(),
    )  # fmt: skip
    return settle(rows, lambda done: sum(1 for row in done if row.outcome == "queued"))


@task(retries=SMTP_RETRIES, retry_delay_seconds=SMTP_RETRY_DELAYS)
def deliver() -> dict[str, int]:
    """Deliver the outbox; a run stopped by the circuit breaker is retried later."""
    root = app()
    transport = root.transport()
    try:
        report = deliver_due(root.settings, db=root.db, transport=transport)
    finally:
        transport.close()
    if report.breaker_open:
        raise RuntimeError("the mail server refused repeatedly; delivery will be retried")
    with root.db.unit_of_work() as s:
        moved = record_sent_plans(s)
    return {
        "sent": report.sent,
        "failed": len(report.failed),
        "retrying": report.retrying,
        "plans_sent": moved,
    }


@task
def record_milestones(round_code: str) -> int:
    """RV3/RV4: the round's national milestones (created once)."""
    with app().db.unit_of_work() as s:
        return milestones.record_milestones(s, round_code)


@task
def milestone_states(round_code: str, today: date) -> list[dict[str, object]]:
    """Each RV3/RV4 milestone's state, due date and whether it is late."""
    with app().db.unit_of_work() as s:
        return [
            {k: row[k] for k in ("measure", "state", "due_on", "late")}
            for row in milestones.milestones(s, round_code, today)
        ]


@task
def ingest_statuses(folder: str) -> dict[str, int]:
    """Check and apply the status sheets that arrived; counts per outcome."""
    root = app()
    counts: dict[str, int] = {}
    for row in followup.ingest_status_files(
        [Path(folder)], source="flow", settings=root.settings, db=root.db
    ):
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
        if row.outcome == "rejected" and row.institution is None:
            get_run_logger().warning("status sheet %s not taken: %s", row.file, row.detail)
    return counts


@task
def ingest_plan_sheets(folder: str) -> dict[str, int]:
    """Take the plan sheets teams returned into ``folder``: each right one makes a new plan
    version (sent to the head by the next plan mailing) and a ``plan_sheet_taken`` email;
    counts per outcome. A rejected sheet is kept with its problems, changes no plan, goes
    back to the team as a ``plan_sheet_returned`` email and is named in the flow's log
    with its first problem; on later runs it is a duplicate."""
    root = app()
    counts: dict[str, int] = {}
    for row in proposals.ingest_plan_sheet_files(
        [Path(folder)], source="flow", settings=root.settings, db=root.db
    ):
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
        if row.outcome == "rejected" and row.problems:
            get_run_logger().warning(
                "plan sheet %s rejected: %s", row.file, row.problems[0]["message"]
            )
    return counts


@task
def request_statuses(round_code: str, today: date, folder: str) -> int:
    """Status requests (with the status sheet, filed in ``folder``) for the latest period
    end, once per institution."""
    root = app()
    with root.db.unit_of_work() as s:
        done = followup.request_statuses(
            s, round_code, today, folder=Path(folder), settings=root.settings
        )
    return settle(done, len)


@task
def remind_statuses(round_code: str, today: date) -> int:
    root = app()
    with root.db.unit_of_work() as s:
        done = followup.remind_statuses(s, round_code, today, settings=root.settings)
    return settle(done, len)


@task
def escalate(today: date) -> int:
    root = app()
    with root.db.unit_of_work() as s:
        done = queue_due_escalations(s, today, root.settings)
    return settle(done, created)


@task
def remind_approvals(today: date) -> int:
    """Approval reminders and escalations due ``today`` for plans the heads have not yet
    approved (once each)."""
    root = app()
    with root.db.unit_of_work() as s:
        done = queue_due_approvals(s, today, root.settings)
    return settle(done, created)


@task
def national_report(round_code: str, folder: str, today: date) -> str:
    """The national report PDF, dated ``today``, filed in ``folder``."""
    path = Path(folder) / f"{round_code}-national-report.pdf"
    with app().db.unit_of_work() as s:
        write_atomic(path, national_pdf(s, round_code, today=today))
    return str(path)


@task
def status_rows(round_code: str) -> list[dict[str, object]]:
    """Per institution: code, state, index and flags (no names, no addresses)."""
    with app().db.unit_of_work() as s:
        view = round_status(s, round_code)
    return [
        {
            "institution": r["code"],
            "state": r["state"],
            "index": r["index"],
            "flags": ", ".join(r["flags"]),
        }
        for r in view["institutions"]
    ]


# Which assignments the flows pick up; the groups are defined in pvpp.states.assignment.
ACCEPTED = READY_TO_PLAN
