"""``pvpp demo``: the whole scenario through the flows, as ``make demo`` runs it.

The command comes from the ``pvpp.commands`` entry point of the flows side, so this also
checks that the installed package offers it to ``pvpp``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flows.demo.scenario import kinds_text
from pvpp.app import App
from pvpp.cli.main import app

runner = CliRunner()


def run(root: App, *args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False, obj=root)


@pytest.mark.slow
def test_demo_runs_a_round_and_a_rerun_changes_nothing(
    prefect: None, tmp_path: Path, root: App
) -> None:
    first = run(root, "demo", "--out", str(tmp_path / "demo"))
    assert first.exit_code == 0, first.stdout
    out = " ".join(first.stdout.split())  # rich wraps long lines at the terminal width
    assert "Registry: 42 created" in out
    assert "First collection (2026-03-24): accepted 32, incomplete 1, rejected 3" in out
    assert "Cycle (2026-04-15): received accepted 4, duplicate 36; new plan versions 36" in out
    assert (
        "Follow-up (2026-07-20): status sheets accepted 34, rejected 1; reminders 2, "
        "escalations 26, re-planned versions sent 1" in out
    )
    assert (
        "Plans shaped (2026-05-06): plan sheets accepted 1; new versions sent 1; "
        "heads approved 35; approval reminders 1" in out
    )
    kinds = {
        "approval_escalation": 2, "approval_reminder": 1, "escalation": 26, "followup": 36,
        "invitation": 74, "plan": 38, "plan_sheet_taken": 1, "proposal": 38, "reminder": 5,
        "returned": 4, "status_reminder": 2, "status_returned": 1,
    }  # fmt: skip
    shown = kinds_text(kinds)
    assert f"Emails in the outbox by kind: {shown}" in out
    assert len(list((tmp_path / "demo" / "mail").glob("*.eml"))) == sum(kinds.values())
    assert len(list((tmp_path / "demo" / "2026-K1" / "plans").glob("*-v*.pdf"))) == 38
    # The second round: every team answers again, FM lower (the jump warning); the plans
    # are built, the round closed and its report shows the trend since the first.
    assert (
        "Round 2027-K1 (2027-03-24): received accepted 37; plans built 37 (2027-04-15, not "
        "yet sent); closed 2027-04-15" in out
    )
    assert "Trend 2026-K1 → 2027-K1: median change per component C1 +" in out
    assert "jump of more than 2 degrees: FM" in out
    assert (tmp_path / "demo" / "2027-K1" / "national-2027-K1.pdf").exists()
    assert (tmp_path / "demo" / "exports" / "2027-K1.xlsx").exists()
    # Every plan's page count is printed, and none is over the limit.
    assert "ARM-v1 " in out and "ARM-v2 " in out and "over the limit: none" in out
    _shaped_and_approved(root)
    links = _portal_links(first.stdout)
    _console_works(root, first.stdout)
    assert root.settings.mail_folder is None  # the demo's settings stay in the demo
    counts = _table_counts(root)

    second = run(root, "demo", "--out", str(tmp_path / "demo"))
    assert second.exit_code == 0, second.stdout
    out = " ".join(second.stdout.split())
    assert "42 unchanged" in out
    assert "First collection (2026-03-24): duplicate 40" in out
    assert "Cycle (2026-04-15): received duplicate 40; new plan versions 0" in out
    assert "Round 2027-K1 (2027-03-24): received duplicate 37; plans built 0" in out
    assert (
        "plan sheets duplicate 1; new versions sent 0; heads approved 0; approval reminders 0"
        in out
    )
    assert (
        "status sheets duplicate 35; reminders 0, escalations 0, re-planned versions sent 0" in out
    )
    after = _table_counts(root)
    # Only the audit log grows (it notes that the same files arrived again), and the
    # sign-in links: each run prints fresh ones, the store keeping only their digests.
    grows = ("auditlog", "signintoken")
    assert {k: v for k, v in after.items() if k not in grows} == {
        k: v for k, v in counts.items() if k not in grows
    }
    assert after["signintoken"] == counts["signintoken"] + 6
    assert _portal_links(second.stdout) != links
    _portal_works(root, links)


def _portal_links(stdout: str) -> dict[str, str]:
    """The demo's last lines: the portal command and, for VID, ARM and IZM, the sign-in
    links of the team lead and the head (institution and role → link)."""
    assert "The portal: .venv/bin/pvpp web --today 2026-07-20" in stdout
    found: dict[str, str] = {}
    code = ""
    for line in stdout.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("VID", "ARM", "IZM"):
            code = words[0]
        elif words and words[0] in ("lead", "head") and "/signin/" in line:
            found[f"{code} {words[0]}"] = words[-1]
    assert sorted(found) == ["ARM head", "ARM lead", "IZM head", "IZM lead", "VID head", "VID lead"]
    assert all(link.startswith("http://localhost:8000/signin/") for link in found.values())
    return found


def _portal_works(root: App, links: dict[str, str]) -> None:
    """The README's steps: the portal on the story's day takes the printed links."""
    import re
    from datetime import date

    from starlette.testclient import TestClient

    from pvpp.web import create_app

    story = root.on_day(date(2026, 7, 20))
    for who, name in (("VID lead", "Valsts ieņēmumu dienests"), ("IZM head", "Izglītības")):
        client = TestClient(create_app(story), base_url="http://localhost:8000")
        path = links[who].removeprefix("http://localhost:8000")
        page = client.get(path)
        assert page.status_code == 200, page.text
        token = re.search(r'name="csrf" value="([^"]*)"', page.text)
        assert token is not None
        signed_in = client.post(path, data={"csrf": token.group(1)})
        assert signed_in.status_code == 200 and name in signed_in.text


def _console_works(root: App, stdout: str) -> None:
    """The README's steps for a coordinator: the console on the story's day takes the
    printed address, password and first code, and shows both rounds."""
    import re
    from datetime import date

    from starlette.testclient import TestClient

    from pvpp.web import create_app
    from tests.web.consoles import post_code, post_password

    text = " ".join(stdout.split())
    assert "The ministry's console: http://localhost:8000/console/signin" in text
    account = re.search(r"coordinator [^<]*<([^>]+)>, password (\S+)", text)
    codes = re.search(r"takes are (\d{6}), (\d{6}), (\d{6})", text)
    assert account is not None and codes is not None, text[-800:]
    client = TestClient(create_app(root.on_day(date(2026, 7, 20))),
                        base_url="http://localhost:8000")  # fmt: skip
    assert post_password(client, account.group(1), account.group(2)).status_code == 303
    assert post_code(client, codes.group(1)).status_code == 303
    home = client.get("/console")
    assert home.status_code == 200 and "2026-K1" in home.text and "2027-K1" in home.text


def _shaped_and_approved(root: App) -> None:
    """ARM's team changed its proposal (an alternative, a move, an own measure, a lower
    own target with its reason) and its head approved that version; IZM's head did not
    approve and was reminded."""
    from sqlmodel import select

    from pvpp.plans import context, latest_plan
    from pvpp.states.plan import PlanState
    from pvpp.store.models import OutboxMessage, PlanChange

    with root.db.reading() as s:
        arm = latest_plan(s, context(s, "2026-K1", "ARM").assignment)
        assert arm is not None and arm.version == 2
        assert arm.status == PlanState.APPROVED and arm.approved_by
        changes = s.exec(select(PlanChange).where(PlanChange.plan_id == arm.id)).all()
        assert {"alternative", "move", "own", "target"} <= {c.kind for c in changes}
        target = next(c for c in changes if c.kind == "target")
        # Who: the person the sheet says filled it; when: as it was recorded.
        assert target.reason and target.actor == "Anna Kalniņa, komanda@arm.example.org"
        izm = latest_plan(s, context(s, "2026-K1", "IZM").assignment)
        assert izm is not None and izm.status == PlanState.SENT
        reminded = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.institution_code == "IZM",
                OutboxMessage.kind == "approval_reminder",
            )
        ).all()
        assert len(reminded) == 1


def _table_counts(root: App) -> dict[str, int]:
    from sqlmodel import SQLModel, func, select

    with root.db.unit_of_work() as s:
        return {
            name: s.exec(select(func.count()).select_from(table)).one()
            for name, table in SQLModel.metadata.tables.items()
        }
