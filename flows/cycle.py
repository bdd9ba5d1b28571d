"""The PVPP2027 round as Prefect flows: launch, collect, assess, follow up, national.

Every flow is safe to run again: what is done is recognised (duplicate files, business
keys of emails, plan inputs), so a rerun — or a run killed and started again — finishes
the job without repeating it. State that must last lives in pvpp's store, not in Prefect.

A flow without ``today`` acts on the day of the root's clock (:mod:`flows.root`): the
system clock in production, the scenario's day in the demo.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from prefect import flow, get_client
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.deployments import run_deployment
from prefect.runtime import flow_run

from flows import tasks
from flows.root import Steps, app
from pvpp.codes import check_institution_code, check_round_code
from pvpp.prefect_runs import parameter_day, run_name
from pvpp.prefect_sync import sync_result

ASSESS_DEPLOYMENT = "assess/assess"  # flow name / deployment name


def _codes(round_code: str, institutions: list[str] | None = None) -> None:
    """Refuse a round or institution code without its shape (:mod:`pvpp.codes`) before a
    flow touches a folder or the store: the run fails at once, naming the parameter."""
    check_round_code(round_code, "round_code")
    for code in institutions or []:
        check_institution_code(code, "institutions")


def name_of_run(kind: str, parameters: Mapping[str, Any]) -> str:
    """A run's readable name (:func:`pvpp.prefect_runs.run_name`) from its parameters:
    ``collect 2026-K1 2026-11-29``, the day being its ``today`` or the root clock's."""
    day = parameter_day(parameters.get("today")) or app().today()
    return run_name(kind, str(parameters.get("round_code", "")), day)


def _named(kind: str) -> Callable[[], str]:
    """The ``flow_run_name`` of a flow whose runs are named ``<kind> <round> <day>``."""
    return lambda: name_of_run(kind, flow_run.parameters)


def _folder(round_code: str, *parts: str) -> str:
    return str(app().settings.round_folder(round_code, *parts))


@flow(name="launch-round", flow_run_name=_named("launch"))
def launch_round(round_code: str) -> int:
    """RV1/RV2: build every assigned institution's workbook and send the invitations;
    record the round's RV3/RV4 milestones."""
    _codes(round_code)
    steps = Steps("launch-round")
    tasks.record_milestones(round_code)
    queued = steps(lambda: tasks.invite(round_code, _folder(round_code, "workbooks")))
    tasks.deliver()
    return steps.end(queued)


@flow(name="collect-submissions", flow_run_name=_named("collect"))
def collect_submissions(
    round_code: str, drop_folder: str | None = None, today: date | None = None
) -> dict[str, int]:
    """Ingest the drop folder, return problem workbooks to their teams, remind the late."""
    _codes(round_code)
    steps = Steps("collect-submissions")
    counts = tasks.ingest(drop_folder or _folder(round_code, "drop"))
    steps(lambda: tasks.return_problems(round_code))
    steps(lambda: tasks.remind(today or app().today()))
    tasks.deliver()
    return steps.end(counts)


@flow(name="assess", flow_run_name=_named("assess"))
def assess(
    round_code: str, institutions: list[str] | None = None, today: date | None = None
) -> int:
    """RV2 P2.4: plan every newly accepted institution (or those of ``institutions``) as of
    ``today``, render the PDFs and send the plans to the heads."""
    _codes(round_code, institutions)
    codes = tasks.assignments_in(round_code, tasks.ACCEPTED)
    if institutions is not None:
        codes = [c for c in codes if c in set(institutions)]
    steps = Steps("assess")
    made = steps(lambda: tasks.plan(round_code, codes, today or app().today()))
    steps(lambda: tasks.queue_plan_mails(round_code, _folder(round_code, "plans"), institutions))
    tasks.deliver()
    return steps.end(made)


def _assess_on_workers(round_code: str, batches: int, today: date | None) -> int:
    """The assessment as ``batches`` runs of the ``assess`` deployment, which the work
    pool's workers (on any machine) take up side by side; waits for all of them."""
    codes = tasks.assignments_in(round_code, tasks.ACCEPTED)
    chunks = [chunk for chunk in (codes[i::batches] for i in range(batches)) if chunk]
    runs = [
        sync_result(
            run_deployment(
                ASSESS_DEPLOYMENT,
                parameters={"round_code": round_code, "institutions": chunk, "today": today},
                timeout=0,
                as_subflow=True,
            )
        )
        for chunk in chunks
    ]
    with get_client(sync_client=True) as client:
        while True:
            states = [client.read_flow_run(run.id).state for run in runs]
            if all(state is not None and state.is_final() for state in states):
                break
            time.sleep(2)
    failed = [s.name for s in states if s is not None and not s.is_completed()]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(runs)} assessment batches did not complete")
    tasks.deliver()
    return len(codes)


@flow(name="follow-up", flow_run_name=_named("follow-up"))
def follow_up(round_code: str, today: date | None = None) -> dict[str, object]:
    """RV5: take status sheets and plan sheets in (re-planning on reported changes and on
    the teams' own shaping of their plans), request statuses at period ends, remind,
    escalate overdue measures, remind heads of plans awaiting their approval (and escalate
    late ones), and send re-planned versions."""
    _codes(round_code)
    today = today or app().today()
    steps = Steps("follow-up")
    received = tasks.ingest_statuses(_folder(round_code, "status"))
    shaped = tasks.ingest_plan_sheets(_folder(round_code, "plan-sheets"))
    day = today
    requested = steps(
        lambda: tasks.request_statuses(round_code, day, _folder(round_code, "status-sent"))
    )
    reminded = steps(lambda: tasks.remind_statuses(round_code, day))
    escalated = steps(lambda: tasks.escalate(day))
    approvals = steps(lambda: tasks.remind_approvals(day))
    replanned = steps(lambda: tasks.queue_plan_mails(round_code, _folder(round_code, "plans")))
    tasks.deliver()
    return steps.end(
        {
            "received": received,
            "plan_sheets": shaped,
            "requested": requested,
            "reminded": reminded,
            "escalated": escalated,
            "approval_reminders": approvals,
            "replanned": replanned,
        }
    )


@flow(name="national-plans", flow_run_name=_named("national-plans"))
def national_plans(round_code: str, today: date | None = None) -> str:
    """RV6/RV7: the national report with the need lists; RV3/RV4 milestones as a table."""
    _codes(round_code)
    today = today or app().today()
    rows = tasks.milestone_states(round_code, today)
    create_table_artifact(
        key=f"round-{round_code.lower()}-milestones",
        table=[{**r, "due_on": str(r["due_on"])} for r in rows],
        description=f"RV3/RV4 milestones of round {round_code}",
    )
    return tasks.national_report(round_code, _folder(round_code), today)


@flow(name="cycle", flow_run_name=_named("cycle"))
def cycle(
    round_code: str,
    drop_folder: str | None = None,
    today: date | None = None,
    batches: int = 1,
) -> dict[str, object]:
    """The whole round in order; safe to rerun at any point.

    With ``batches`` > 1 (a deployment on a Prefect server), the assessment — the heavy
    part: plan PDFs — runs as that many runs of the ``assess`` deployment, so workers on
    several machines share it; the pool needs room for them beside this run.
    """
    _codes(round_code)
    steps = Steps("cycle")
    invited = steps(lambda: launch_round(round_code))
    counts = steps(lambda: collect_submissions(round_code, drop_folder, today))
    planned = steps(
        lambda: (
            assess(round_code, today=today)
            if batches <= 1
            else _assess_on_workers(round_code, batches, today)
        )
    )
    followed = steps(lambda: follow_up(round_code, today))
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
    if steps.failed:
        failed = "".join(f"- {line}\n" for line in steps.failed)
        create_markdown_artifact(
            key=f"round-{round_code.lower()}-failed",
            markdown=f"# Round {round_code}: failed items\n\n{failed}",
        )
    return steps.end(
        {
            "invited": invited,
            "received": counts,
            "planned": planned,
            "follow_up": followed,
            "report": report,
        }
    )
