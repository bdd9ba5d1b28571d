"""The deployments: what runs when, the same in prefect.yaml and in `pvpp serve`."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.deployments import SCHEDULES, TIMEZONE, deployments
from pvpp.launch import LAUNCH_DEPLOYMENT

ROOT = Path(__file__).resolve().parents[2]


def test_served_deployments_and_their_schedules() -> None:
    found = {d.name: d for d in deployments("2026-K1")}
    assert set(found) == {
        "cycle", "assess", "launch", "collect-daily", "follow-up-daily", "national-weekly",
    }  # fmt: skip
    for name in ("cycle", "assess", "launch"):
        assert found[name].schedules in (None, [])
    # The deployment a launch goes through when a Prefect server is configured.
    assert f"{found['launch'].flow_name}/launch" == LAUNCH_DEPLOYMENT
    for name, cron in SCHEDULES.items():
        (schedule,) = found[name].schedules
        assert schedule.schedule.cron == cron and schedule.schedule.timezone == TIMEZONE
        # Only the round code goes in as a parameter: no personal data in flow runs.
        assert found[name].parameters == {"round_code": "2026-K1"}


def test_prefect_yaml_matches_and_its_entrypoints_import() -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in spec["deployments"]}
    assert set(by_name) == {"cycle", "assess", "launch", *SCHEDULES}
    for name, cron in SCHEDULES.items():
        assert by_name[name]["schedules"] == [{"cron": cron, "timezone": TIMEZONE}]
    import importlib

    for d in spec["deployments"]:
        module, _, attr = d["entrypoint"].partition(":")
        flow = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), attr)
        assert flow.name.replace("-", "_") == attr or flow.name == attr.replace("_", "-")
