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

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from pvpp import audit
from pvpp.batch import Failure
from pvpp.errors import PvppError
from pvpp.invitations import invite_round
from pvpp.mail.relay import deliver_due
from pvpp.mail.transport import make_transport
from pvpp.milestones import record_milestones
from pvpp.prefect_runs import run_name, run_url
from pvpp.queries import round_closure
from pvpp.rounds import get_round
from pvpp.settings import Settings
from pvpp.store.db import Database
from pvpp.store.models import AuditLog, Round, RoundMilestone, utcnow

log = logging.getLogger(__name__)

#: The deployment a launch goes through on a Prefect server: flow name / deployment name
#: (``flows/deployments.py``, ``prefect.yaml``).
LAUNCH_DEPLOYMENT = "launch-round/launch"
ROUND_LAUNCH = "round.launch"
#: How an in-process launch ended (audited after its work, by the process that did it).
LAUNCH_DONE = "round.launch.done"
LAUNCH_FAILED = "round.launch.failed"
#: An in-process launch with no end recorded after this long is taken as interrupted
#: (its process ended: a restart, a crash) and may be asked again. A launch of 1,000
#: institutions takes minutes (docs/performance.md), so this is far beyond any real one.
LAUNCH_STALE = timedelta(hours=2)
#: The most failed institutions kept by code in the audit entry of a launch's end.
MAX_FAILED_KEPT = 50

#: Queues a run of a deployment: (deployment, parameters, run name) → the run's id.
Submit = Callable[[str, dict[str, object], str], str]
#: Runs a piece of work later, after the caller has answered (the console hands in its
#: response's background tasks): the work of an in-process launch goes there.
Background = Callable[[Callable[[], None]], None]


class LaunchError(PvppError):
    """A launch that cannot be started now (one is already running, the round is
    closed)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


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
    pending: bool = False  # handed to the background: its end is in the audit log


@dataclass(frozen=True)
class LaunchStatus:
    """The newest launch of a round as the audit log tells it: ``state`` is ``queued``
    (handed to the Prefect server: its run's page is ``url``), ``running`` (in-process,
    no end recorded yet), ``done`` or ``failed`` (in-process, ended), or ``interrupted``
    (in-process, no end recorded within :data:`LAUNCH_STALE`)."""

    state: str
    via: str
    actor: str
    started: datetime
    ended: datetime | None = None
    run_id: str | None = None
    url: str | None = None
    invited: int = 0
    failed: int = 0
    sent: int = 0
    error: str = ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def launch_status(
    session: Session, round_code: str, settings: Settings, *, now: datetime | None = None
) -> LaunchStatus | None:
    """The newest launch of round ``round_code`` and how it stands (None: never launched
    through this service). One statement. ``now`` (the wall clock, as the audit log's
    times are) decides whether a launch still running is taken as interrupted."""
    rows = session.exec(
        select(AuditLog)
        .where(
            AuditLog.entity == "round", AuditLog.entity_key == round_code,
            col(AuditLog.action).in_((ROUND_LAUNCH, LAUNCH_DONE, LAUNCH_FAILED)),
        )
        .order_by(col(AuditLog.id).desc())
        .limit(20)
    ).all()  # fmt: skip
    start = next((i for i, r in enumerate(rows) if r.action == ROUND_LAUNCH), None)
    if start is None:
        return None
    began = rows[start]
    detail: dict[str, Any] = dict(began.detail or {})
    via = str(detail.get("via", ""))
    started = _aware(began.at)
    if via == "prefect":
        run_id = str(detail.get("run_id", "")) or None
        url = run_url(settings, run_id) if run_id else None
        return LaunchStatus("queued", via, began.actor, started, run_id=run_id, url=url)
    ended = next((r for r in reversed(rows[:start]) if r.action != ROUND_LAUNCH), None)
    if ended is None:
        late = (now or utcnow()) - started > LAUNCH_STALE
        return LaunchStatus("interrupted" if late else "running", via, began.actor, started)
    end: dict[str, Any] = dict(ended.detail or {})
    return LaunchStatus(
        "done" if ended.action == LAUNCH_DONE else "failed", via, began.actor, started,
        ended=_aware(ended.at), invited=int(end.get("invited", 0)),
        failed=int(end.get("failed", 0)), sent=int(end.get("sent", 0)),
        error=str(end.get("error", "")),
    )  # fmt: skip


def round_launched(session: Session, rnd: Round, status: LaunchStatus | None) -> bool:
    """Whether round ``rnd`` counts as launched, given its newest launch ``status``
    (:func:`launch_status`): its national milestones are recorded (the first step of
    every launch, in-process or the Prefect flow's, and of ``pvpp round milestones``), or
    a launch was asked and has not failed (queued on the Prefect server, running, done or
    interrupted). One statement."""
    recorded = session.exec(
        select(func.count()).select_from(RoundMilestone).where(RoundMilestone.round_id == rnd.id)
    ).one()
    return bool(recorded) or (status is not None and status.state != "failed")


def check_launchable(
    session: Session, round_code: str, settings: Settings, *, now: datetime | None = None
) -> None:
    """Refuse a launch while one of the round's is running in a process, and of a round
    closed for publication (its invitations would come after the answers are fixed)."""
    rnd = get_round(session, round_code)
    if round_closure(session, rnd) is not None:
        raise LaunchError(f"round {round_code} is closed for publication: it is not launched "
                          "again", "closed")  # fmt: skip
    status = launch_status(session, round_code, settings, now=now)
    if status is not None and status.state == "running":
        raise LaunchError(
            f"round {round_code} is being launched (since {status.started:%Y-%m-%d %H:%M} "
            "UTC): wait for that launch to end", "running",
        )  # fmt: skip


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
    background: Background | None = None,
) -> Launch:
    """Launch round ``round_code``: on the Prefect server when one is configured (or
    through ``submit``, which tests give), in this process otherwise.

    In-process, the milestones and the audit entry are recorded at once and the rest
    (workbooks, invitations, delivery) runs now, or, given ``background``, is handed to it
    and the launch returned ``pending``; either way its end is audited
    (:data:`LAUNCH_DONE` with the counts, or :data:`LAUNCH_FAILED` with the error), which
    :func:`launch_status` reads. A launch still running refuses another
    (:func:`check_launchable`)."""
    with db.unit_of_work() as session:
        rnd = get_round(session, round_code)  # an unknown round is refused before anything
        code = rnd.code
        check_launchable(session, code, settings)
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

    def work() -> Launch:
        try:
            invited = invite_round(
                code, settings.round_folder(code, "workbooks"), settings=settings, db=db
            )
            transport = make_transport(settings)
            try:
                report = deliver_due(settings, db=db, transport=transport)
            finally:
                transport.close()
        except Exception as exc:
            with db.unit_of_work() as session:
                audit.record(session, actor=actor, action=LAUNCH_FAILED, entity="round",
                             key=code, error=f"{type(exc).__name__}: {exc}"[:500])  # fmt: skip
            raise
        failed = list(invited.failed)
        with db.unit_of_work() as session:
            audit.record(
                session, actor=actor, action=LAUNCH_DONE, entity="round", key=code,
                invited=len(invited), failed=len(failed), sent=report.sent,
                failed_codes=[f.item for f in failed[:MAX_FAILED_KEPT]],
            )  # fmt: skip
        return Launch(code, "in_process", name, invited=list(invited), failed=failed,
                      sent=report.sent)  # fmt: skip

    if background is None:
        return work()

    def later() -> None:
        try:
            work()
        except Exception:  # recorded as the launch's end; the page reads it from there
            log.exception("the launch of round %s failed", code)

    background(later)
    return Launch(code, "in_process", name, pending=True)
