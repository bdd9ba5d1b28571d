"""Launching a round: its national milestones recorded, every assigned institution's
workbook built and filed, its invitation queued and the outbox delivered.

One service, two ways of running it: through the ``launch-round`` deployment on the
Prefect server when one is configured (``prefect_api_url``: the run is queued for the
work pool's workers, named ``launch <round> <day>``, and its page in the Prefect UI is
returned), or in the process that asks when none is (the steps of the ``launch-round``
flow, over the same services). Either way it is safe to ask again: an invitation already
in the outbox is not queued twice. Every launch is audited with who asked and from where.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from pvpp import audit
from pvpp.batch import Failure
from pvpp.invitations import invite_round
from pvpp.mail.relay import deliver_due
from pvpp.mail.transport import make_transport
from pvpp.milestones import record_milestones
from pvpp.prefect_runs import run_name, run_url
from pvpp.rounds import get_round
from pvpp.settings import Settings
from pvpp.store.db import Database

#: The deployment a launch goes through on a Prefect server: flow name / deployment name
#: (``flows/deployments.py``, ``prefect.yaml``).
LAUNCH_DEPLOYMENT = "launch-round/launch"
ROUND_LAUNCH = "round.launch"

#: Queues a run of a deployment: (deployment, parameters, run name) → the run's id.
Submit = Callable[[str, dict[str, object], str], str]


@dataclass
class Launch:
    """What a launch did: queued a Prefect run (``via`` "prefect", with its id and UI
    page), or ran in-process (``via`` "in_process": the invitations queued now, those that
    failed, and how many emails went out)."""

    round_code: str
    via: str
    run_name: str
    run_id: str | None = None
    url: str | None = None
    invited: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    sent: int = 0


def submit_to_prefect(settings: Settings) -> Submit:
    """Queue a run of a deployment on the configured Prefect server, without waiting."""
    api = settings.prefect_api_url
    if not api:
        raise ValueError("no Prefect server is configured (prefect_api_url)")

    def submit(deployment: str, parameters: dict[str, object], name: str) -> str:
        from prefect.deployments import run_deployment
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from pvpp.prefect_sync import sync_result

        with temporary_settings({PREFECT_API_URL: api}):
            run = sync_result(
                run_deployment(deployment, parameters=parameters, flow_run_name=name,
                               timeout=0, as_subflow=False)
            )  # fmt: skip
        return str(run.id)

    return submit


def launch_round(
    round_code: str,
    *,
    settings: Settings,
    db: Database,
    today: date,
    actor: str,
    ip: str = "",
    submit: Submit | None = None,
) -> Launch:
    """Launch round ``round_code``: on the Prefect server when one is configured (or
    through ``submit``, which tests give), in this process otherwise."""
    with db.unit_of_work() as session:
        rnd = get_round(session, round_code)  # an unknown round is refused before anything
        code = rnd.code
    name = run_name("launch", code, today)
    if submit is None and settings.prefect_api_url:
        submit = submit_to_prefect(settings)
    if submit is not None:
        run_id = submit(LAUNCH_DEPLOYMENT, {"round_code": code}, name)
        with db.unit_of_work() as session:
            audit.record(session, actor=actor, action=ROUND_LAUNCH, entity="round", key=code,
                         via="prefect", run_id=run_id, ip=ip)  # fmt: skip
        return Launch(code, "prefect", name, run_id, run_url(settings, run_id))
    with db.unit_of_work() as session:
        record_milestones(session, code, actor=actor)
        audit.record(session, actor=actor, action=ROUND_LAUNCH, entity="round", key=code,
                     via="in_process", ip=ip)  # fmt: skip
    invited = invite_round(code, settings.round_folder(code, "workbooks"), settings=settings, db=db)
    transport = make_transport(settings)
    try:
        report = deliver_due(settings, db=db, transport=transport)
    finally:
        transport.close()
    return Launch(code, "in_process", name, invited=list(invited), failed=list(invited.failed),
                  sent=report.sent)  # fmt: skip
