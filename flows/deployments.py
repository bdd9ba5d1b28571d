"""Deployments of the round flows with their schedules (Europe/Riga time).

``pvpp serve --round R`` serves them from one process; on a Prefect server with workers,
``prefect deploy --all`` reads the same definitions from ``prefect.yaml``.
"""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.cycle import (
    assess,
    collect_submissions,
    cycle,
    follow_up,
    launch_round,
    national_plans,
)
from pvpp.codes import check_round_code
from pvpp.prefect_sync import sync_result

TIMEZONE = "Europe/Riga"
SCHEDULES = {
    "collect-daily": "0 7 * * *",  # every morning: what arrived overnight
    "follow-up-daily": "30 7 * * *",  # then reminders and escalations
    "national-weekly": "0 8 * * 1",  # Monday morning: the national report
}


def deployments(round_code: str) -> list[RunnerDeployment]:
    """The round's deployments; ``cycle``, ``assess`` (which ``cycle`` runs in batches on
    workers) and ``launch`` (which :func:`pvpp.launch.launch_round` runs when a server is
    configured) have no schedule and are run on demand."""
    check_round_code(round_code, "round_code")
    params = {"round_code": round_code}
    made = [
        cycle.to_deployment(name="cycle", parameters=params),
        assess.to_deployment(name="assess", parameters=params),
        launch_round.to_deployment(name="launch", parameters=params),
        collect_submissions.to_deployment(
            name="collect-daily",
            parameters=params,
            schedules=[Cron(SCHEDULES["collect-daily"], timezone=TIMEZONE)],
        ),
        follow_up.to_deployment(
            name="follow-up-daily",
            parameters=params,
            schedules=[Cron(SCHEDULES["follow-up-daily"], timezone=TIMEZONE)],
        ),
        national_plans.to_deployment(
            name="national-weekly",
            parameters=params,
            schedules=[Cron(SCHEDULES["national-weekly"], timezone=TIMEZONE)],
        ),
    ]
    return [sync_result(d) for d in made]
