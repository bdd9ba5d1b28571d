"""Readable Prefect run names (``collect 2026-K1 2026-11-29``) and finding a round's runs
on the Prefect server by them, with links into the Prefect UI."""

from __future__ import annotations

from datetime import date

import pytest
from prefect.settings import PREFECT_API_URL

from flows import cycle
from flows.root import using
from pvpp.app import App
from pvpp.prefect_runs import KINDS, parse_run_name, round_runs, run_name, run_url
from pvpp.rounds import RoundError
from tests.conftest import settings_for

DAY = date(2026, 11, 29)
FLOWS = [cycle.launch_round, cycle.collect_submissions, cycle.assess, cycle.follow_up,
         cycle.national_plans, cycle.cycle]  # fmt: skip


def test_every_round_flow_names_its_runs_by_kind_round_and_day(root: App) -> None:
    assert {f.name for f in FLOWS} == set(KINDS)
    for f in FLOWS:
        assert f.flow_run_name is not None
    assert cycle.name_of_run("collect", {"round_code": "2026-K1", "today": DAY}) == (
        "collect 2026-K1 2026-11-29"
    )
    # A deployment hands ``today`` over as text; without one, the root clock's day.
    assert cycle.name_of_run("assess", {"round_code": "2026-K1", "today": "2026-11-30"}) == (
        "assess 2026-K1 2026-11-30"
    )
    with using(root.on_day(DAY)):
        assert cycle.name_of_run("launch", {"round_code": "2026-K1"}) == "launch 2026-K1 2026-11-29"


def test_names_read_back() -> None:
    assert parse_run_name(run_name("follow-up", "2026-K1", DAY)) == ("follow-up", "2026-K1", DAY)
    for other in (
        "lush-wolf",
        "collect 2026-K1",
        "collect 2026-K1 29.11.2026",
        "x 2026-K1 2026-11-29",
    ):
        assert parse_run_name(other) is None
    with pytest.raises(ValueError, match="kind must be one of"):
        run_name("lush", "2026-K1", DAY)


def test_links_need_a_server(tmp_path) -> None:
    none = settings_for(tmp_path)
    assert none.prefect_ui() is None and run_url(none, "abc") is None
    assert round_runs("2026-K1", none) == []
    api = settings_for(tmp_path, prefect_api_url="http://prefect.example:4200/api/")
    assert run_url(api, "abc") == "http://prefect.example:4200/runs/flow-run/abc"
    ui = settings_for(tmp_path, prefect_api_url="http://p:4200/api",
                      prefect_ui_url="https://prefect.varam.example/")  # fmt: skip
    assert run_url(ui, "abc") == "https://prefect.varam.example/runs/flow-run/abc"


def test_a_rounds_runs_are_found_on_the_server_by_name(prefect: None, root: App, tmp_path) -> None:
    """Runs of the real flows (on a store without the round, so each fails at its first
    task, after Prefect has named it) are found for their round, not for another. The
    rounds are this test's own: the Prefect server is shared by the session's tests."""
    root.db.upgrade()
    with using(root.on_day(DAY)):
        for f, round_code in ((cycle.national_plans, "2099-K1"), (cycle.launch_round, "2099-K10")):
            with pytest.raises(RoundError, match=f"^no round '{round_code}'"):
                f(round_code)
    settings = settings_for(tmp_path, prefect_api_url=PREFECT_API_URL.value())
    runs = round_runs("2099-K1", settings)
    assert [(r.name, r.kind, r.day, r.state) for r in runs] == [
        ("national-plans 2099-K1 2026-11-29", "national-plans", DAY, "Failed")
    ]
    assert runs[0].url == f"{settings.prefect_ui()}/runs/flow-run/{runs[0].id}"
    assert [r.name for r in round_runs("2099-K10", settings)] == ["launch 2099-K10 2026-11-29"]
