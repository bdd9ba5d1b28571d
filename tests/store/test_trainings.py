"""Trainings before the self-assessment: P1.1 for an institution's representatives before
a team exists, P1.3 and P2.2 for the team; each shown as a condition while missing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.main import app
from pvpp.planning.library import load_common
from pvpp.policy import load_policy
from pvpp.queries import team_statuses
from pvpp.registry import import_registry
from pvpp.store.models import AuditLog, Institution
from pvpp.teams import TeamError, add_member, record_training, representatives_trained, team_status

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POLICY = load_policy("pvpp2027-v1")


@pytest.fixture
def registry(store: str, root: App) -> str:
    with root.db.unit_of_work() as s:
        import_registry(s, EXAMPLES / "registry.xlsx", POLICY, settings=root.settings)
    return store


def _flags(root: App, code: str) -> list[str]:
    with root.db.reading() as s:
        inst = s.exec(select(Institution).where(Institution.code == code)).one()
        return team_status(s, inst).flags()


def test_p1_1_is_recorded_for_a_representative_before_a_team_exists(
    registry: str, root: App
) -> None:
    assert _flags(root, "VID") == [
        "no_team", "no_training_P1.1", "no_training_P1.3", "no_training_P2.2"
    ]  # fmt: skip
    with root.db.unit_of_work() as s:
        assert record_training(
            s, institution="VID", email="Ilze.Berzina@vid.gov.lv", measure="P1.1",
            attended_on=date(2025, 3, 4), name="Ilze Bērziņa",
        )  # fmt: skip
        # The same attendance again is not a second one.
        assert not record_training(
            s, institution="VID", email="ilze.berzina@vid.gov.lv", measure="P1.1",
            attended_on=date(2025, 3, 4), name="Ilze Bērziņa",
        )  # fmt: skip
    assert _flags(root, "VID") == ["no_team", "no_training_P1.3", "no_training_P2.2"]
    with root.db.reading() as s:
        (row,) = representatives_trained(s, "VID")
        assert (row.name, row.email, row.measure_id) == (
            "Ilze Bērziņa", "ilze.berzina@vid.gov.lv", "P1.1"
        )  # fmt: skip
        logged = s.exec(select(AuditLog).where(AuditLog.action == "team.training")).one()
        assert logged.detail["representative"] == "ilze.berzina@vid.gov.lv"
    # Once the team exists, the representative's P1.1 still counts; P1.3 and P2.2 are the
    # team's, and the self-assessment's condition holds when both are recorded.
    common = load_common("pvpp2027-v1")
    with root.db.unit_of_work() as s:
        add_member(s, common, institution="VID", name="Jānis Ozols", email="janis@vid.gov.lv",
                   roles=["team_lead"], lead=True)  # fmt: skip
    assert _flags(root, "VID") == ["no_training_P1.3", "no_training_P2.2"]
    with root.db.unit_of_work() as s:
        for measure in ("P1.3", "P2.2"):
            record_training(s, institution="VID", email="janis@vid.gov.lv", measure=measure,
                            attended_on=date(2025, 5, 20))  # fmt: skip
    assert _flags(root, "VID") == []
    with root.db.reading() as s:
        institutions = s.exec(select(Institution)).all()
        statuses = team_statuses(s, institutions)
        vid = next(i for i in institutions if i.code == "VID")
        assert statuses[vid.id].flags() == []  # type: ignore[index]


def test_team_trainings_need_a_member_and_a_representative_needs_a_name(
    registry: str, root: App
) -> None:
    p22 = r"P2\.2 trains the team: add them first"
    with pytest.raises(TeamError, match=p22), root.db.unit_of_work() as s:
        record_training(s, institution="VID", email="x@vid.gov.lv", measure="P2.2",
                        attended_on=date(2025, 3, 4), name="X")  # fmt: skip
    named = r"give the representative's name \(--name\)"
    with pytest.raises(TeamError, match=named), root.db.unit_of_work() as s:
        record_training(s, institution="VID", email="x@vid.gov.lv", measure="P1.1",
                        attended_on=date(2025, 3, 4))  # fmt: skip
    with pytest.raises(TeamError, match="not an email address"), root.db.unit_of_work() as s:
        record_training(s, institution="VID", email="nav-adrese", measure="P1.1",
                        attended_on=date(2025, 3, 4), name="X")  # fmt: skip


def test_the_command_line_records_a_representative(registry: str, root: App) -> None:
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False, obj=root)

    done = run("team", "training", "VID", "--email", "ilze@vid.gov.lv", "--measure", "P1.1",
               "--date", "2025-03-04", "--name", "Ilze Bērziņa")  # fmt: skip
    assert done.exit_code == 0 and "VID: ilze@vid.gov.lv attended P1.1" in done.stdout
    shown = run("team", "show", "VID")
    assert "Ilze Bērziņa" in shown.stdout and "P1.1" in shown.stdout
    refused = run("team", "training", "VID", "--email", "ilze@vid.gov.lv", "--measure", "P2.2",
                  "--date", "2025-03-04")  # fmt: skip
    assert refused.exit_code != 0
    assert "P2.2 trains the team" in refused.stdout + refused.stderr


def test_a_representatives_p1_1_counts_in_the_rounds_status_end_to_end(
    registry: str, root: App
) -> None:
    """Recorded on the command line before any team exists, P1.1 is no longer asked of the
    institution in `pvpp round status` (the flags the round workbook and the console's
    pages read through the same query); P2.2 still is, as a condition before P2.3."""
    import json

    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False, obj=root)

    assert run("round", "create", "2026-K1", "--opens", "2026-01-15",
               "--due", "2026-03-31").exit_code == 0  # fmt: skip
    before = json.loads(run("round", "status", "2026-K1", "--json").stdout)
    flags = {r["code"]: r["flags"] for r in before["institutions"]}
    assert "no_training_P1.1" in flags["VID"] and "no_team" in flags["VID"]
    assert run("team", "training", "VID", "--email", "ilze@vid.gov.lv", "--measure", "P1.1",
               "--date", "2025-03-04", "--name", "Ilze Bērziņa").exit_code == 0  # fmt: skip
    after = json.loads(run("round", "status", "2026-K1", "--json").stdout)
    flags = {r["code"]: r["flags"] for r in after["institutions"]}
    assert flags["VID"] == ["no_team", "no_training_P1.3", "no_training_P2.2"]
