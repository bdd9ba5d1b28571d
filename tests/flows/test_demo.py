"""``pvpp demo``: the whole scenario through the flows, as ``make demo`` runs it.

The command comes from the ``pvpp.commands`` entry point of the flows side, so this also
checks that the installed package offers it to ``pvpp``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

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
        "invitation": 37, "plan": 38, "plan_sheet_taken": 1, "proposal": 38, "reminder": 5,
        "returned": 4, "status_reminder": 2, "status_returned": 1,
    }  # fmt: skip
    shown = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    assert f"Emails in the outbox by kind: {shown}" in out
    assert len(list((tmp_path / "demo" / "mail").glob("*.eml"))) == sum(kinds.values())
    assert len(list((tmp_path / "demo" / "2026-K1" / "plans").glob("*-v*.pdf"))) == 38
    # Every plan's page count is printed, and none is over the limit.
    assert "ARM-v1 " in out and "ARM-v2 " in out and "over the limit: none" in out
    _shaped_and_approved(root)
    assert root.settings.mail_folder is None  # the demo's settings stay in the demo
    counts = _table_counts(root)

    second = run(root, "demo", "--out", str(tmp_path / "demo"))
    assert second.exit_code == 0, second.stdout
    out = " ".join(second.stdout.split())
    assert "42 unchanged" in out
    assert "First collection (2026-03-24): duplicate 40" in out
    assert "Cycle (2026-04-15): received duplicate 40; new plan versions 0" in out
    assert (
        "plan sheets duplicate 1; new versions sent 0; heads approved 0; approval reminders 0"
        in out
    )
    assert (
        "status sheets duplicate 35; reminders 0, escalations 0, re-planned versions sent 0" in out
    )
    after = _table_counts(root)
    # Only the audit log grows: it notes that the same files arrived again.
    assert {k: v for k, v in after.items() if k != "auditlog"} == {
        k: v for k, v in counts.items() if k != "auditlog"
    }


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
