"""The PVPP2027 round as Prefect flows: launch, collect, assess, follow up, national.

Every flow is safe to run again: what is done is recognised (duplicate files, business
keys of emails, plan inputs), so a rerun — or a run killed and started again — finishes
the job without repeating it. State that must last lives in pvpp's store, not in Prefect.
"""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows import tasks
from pvpp.settings import get_settings


def _folder(round_code: str, *parts: str) -> str:
    return str(get_settings().round_folder(round_code, *parts))


@flow(name="launch-round")
def launch_round(round_code: str) -> int:
    """RV1/RV2: build every assigned institution's workbook and send the invitations;
    record the round's RV3/RV4 milestones."""
    tasks.record_milestones(round_code)
    queued = tasks.invite(round_code, _folder(round_code, "workbooks"))
    tasks.deliver()
    return queued


@flow(name="collect-submissions")
def collect_submissions(
    round_code: str, drop_folder: str | None = None, today: date | None = None
) -> dict[str, int]:
    """Ingest the drop folder, return problem workbooks to their teams, remind the late."""
    counts = tasks.ingest(drop_folder or _folder(round_code, "drop"))
    tasks.return_problems(round_code)
    tasks.remind(today or date.today())
    tasks.deliver()
    return counts


@flow(name="assess")
def assess(round_code: str) -> int:
    """RV2 P2.4: plan every newly accepted institution, send the plans to the heads."""
    made = tasks.plan(round_code, tasks.assignments_in(round_code, tasks.ACCEPTED))
    tasks.queue_plan_mails(round_code, _folder(round_code, "plans"))
    tasks.deliver()
    return made


@flow(name="follow-up")
def follow_up(round_code: str, today: date | None = None) -> dict[str, object]:
    """RV5: take status sheets in (re-planning on reported changes), request statuses at
    period ends, remind, escalate overdue measures, and send re-planned versions."""
    today = today or date.today()
    received = tasks.ingest_statuses(_folder(round_code, "status"))
    requested = tasks.request_statuses(round_code, today, _folder(round_code, "status-sent"))
    reminded = tasks.remind_statuses(round_code, today)
    escalated = tasks.escalate(today)
    replanned = tasks.queue_plan_mails(round_code, _folder(round_code, "plans"))
    tasks.deliver()
    return {
        "received": received,
        "requested": requested,
        "reminded": reminded,
        "escalated": escalated,
        "replanned": replanned,
    }


@flow(name="national-plans")
def national_plans(round_code: str, today: date | None = None) -> str:
    """RV6/RV7: the national report with the need lists; RV3/RV4 milestones as a table."""
    rows = tasks.milestone_states(round_code, today or date.today())
    create_table_artifact(
        key=f"round-{round_code.lower()}-milestones",
        table=[{**r, "due_on": str(r["due_on"])} for r in rows],
        description=f"RV3/RV4 milestones of round {round_code}",
    )
    return tasks.national_report(round_code, _folder(round_code))


@flow(name="cycle")
def cycle(
    round_code: str, drop_folder: str | None = None, today: date | None = None
) -> dict[str, object]:
    """The whole round in order; safe to rerun at any point."""
    invited = launch_round(round_code)
    counts = collect_submissions(round_code, drop_folder, today)
    planned = assess(round_code)
    followed = follow_up(round_code, today)
    report = national_plans(round_code, today)
    rows = tasks.status_rows(round_code)
    create_table_artifact(
        key=f"round-{round_code.lower()}", table=rows, description=f"Round {round_code}"
    )
    states: dict[str, int] = {}
    for row in rows:
        states[str(row["state"])] = states.get(str(row["state"]), 0) + 1
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(states.items()))
    create_markdown_artifact(
        key=f"round-{round_code.lower()}-summary",
        markdown=f"# Round {round_code}\n\n- invitations queued: {invited}\n- received: {counts}\n"
        f"- new plan versions: {planned}\n- follow-up: {followed}\n- states: {summary}\n",
    )
    return {
        "invited": invited,
        "received": counts,
        "planned": planned,
        "follow_up": followed,
        "report": report,
    }
