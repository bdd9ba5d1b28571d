"""Readable names for the round flows' Prefect runs, and finding a round's runs on the
Prefect server with links into its UI.

Every run of a round flow is named ``<kind> <round> <day>`` — ``collect 2026-K1
2026-11-29`` — instead of Prefect's generated "lush-wolf": the kind of flow
(:data:`KINDS`), the round's code and the day the run acts on (its ``today``, else the
day of the root's clock). The flows name their runs with :func:`run_name`
(``flow_run_name`` in ``flows/cycle.py``); :func:`round_runs` finds a round's runs by
that name, so the ministry's console can link each to the Prefect UI — the technical
view beside the console's domain view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pvpp.codes import round_code_problem
from pvpp.settings import Settings

#: Flow name → the kind its runs are named by.
KINDS = {
    "launch-round": "launch",
    "collect-submissions": "collect",
    "assess": "assess",
    "follow-up": "follow-up",
    "national-plans": "national-plans",
    "cycle": "cycle",
}
#: How many of a round's runs are listed, newest first.
RUN_LIMIT = 50


def run_name(kind: str, round_code: str, day: date) -> str:
    """The name of a run: ``collect 2026-K1 2026-11-29``."""
    if kind not in KINDS.values():
        raise ValueError(f"kind must be one of {', '.join(KINDS.values())}, not {kind!r}")
    return f"{kind} {round_code} {day.isoformat()}"


def parse_run_name(name: str) -> tuple[str, str, date] | None:
    """The kind, round and day of a run named by :func:`run_name`; None for any other."""
    parts = name.split(" ")
    if len(parts) != 3 or parts[0] not in KINDS.values() or round_code_problem(parts[1]):
        return None
    try:
        return parts[0], parts[1], date.fromisoformat(parts[2])
    except ValueError:
        return None


def parameter_day(value: Any) -> date | None:
    """A flow's ``today`` parameter as a day (a deployment hands it over as text)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def run_url(settings: Settings, run_id: str) -> str | None:
    """The Prefect UI's page of a flow run, when a server is configured."""
    ui = settings.prefect_ui()
    return f"{ui}/runs/flow-run/{run_id}" if ui else None


@dataclass(frozen=True)
class RunLink:
    """One Prefect run of a round: what it is, how it went, and its page in the UI."""

    id: str
    name: str
    kind: str
    day: date
    state: str  # Prefect's state name: Scheduled, Running, Completed, Failed, …
    started: datetime | None
    url: str | None


def round_runs(round_code: str, settings: Settings, *, limit: int = RUN_LIMIT) -> list[RunLink]:
    """The round's flow runs on the configured Prefect server, newest first, each with
    its UI link; none without a server (``prefect_api_url``). Runs are found by their
    names (:func:`run_name`)."""
    if (problem := round_code_problem(round_code)) is not None:
        raise ValueError(f"round code: {problem}")
    if not settings.prefect_api_url:
        return []
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # "like" matches a part of the name: the round's code between spaces, so 2026-K1 does
    # not find 2026-K10; the whole name is checked below.
    wanted = FlowRunFilter(name=FlowRunFilterName(like_=f" {round_code} "))
    with (
        temporary_settings({PREFECT_API_URL: settings.prefect_api_url}),
        get_client(sync_client=True) as client,
    ):
        runs = client.read_flow_runs(
            flow_run_filter=wanted, sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=limit
        )
    out = []
    for run in runs:
        parsed = parse_run_name(run.name)
        if parsed is None or parsed[1] != round_code:
            continue
        state = (run.state.name or "") if run.state is not None else ""
        url = run_url(settings, str(run.id))
        out.append(RunLink(str(run.id), run.name, parsed[0], parsed[2], state, run.start_time, url))
    return out
