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
        "Emails in the outbox by kind: escalation 26, followup 36, invitation 37, plan 37, "
        "reminder 5, returned 4, status_reminder 2, status_returned 1" in out
    )
    assert len(list((tmp_path / "demo" / "mail").glob("*.eml"))) == 26 + 36 + 37 + 37 + 5 + 4 + 3
    assert len(list((tmp_path / "demo" / "2026-K1" / "plans").glob("*-v*.pdf"))) == 37
    assert root.settings.mail_folder is None  # the demo's settings stay in the demo
    counts = _table_counts(root)

    second = run(root, "demo", "--out", str(tmp_path / "demo"))
    assert second.exit_code == 0, second.stdout
    out = " ".join(second.stdout.split())
    assert "42 unchanged" in out
    assert "First collection (2026-03-24): duplicate 40" in out
    assert "Cycle (2026-04-15): received duplicate 40; new plan versions 0" in out
    assert (
        "status sheets duplicate 35; reminders 0, escalations 0, re-planned versions sent 0" in out
    )
    after = _table_counts(root)
    # Only the audit log grows: it notes that the same files arrived again.
    assert {k: v for k, v in after.items() if k != "auditlog"} == {
        k: v for k, v in counts.items() if k != "auditlog"
    }


def _table_counts(root: App) -> dict[str, int]:
    from sqlmodel import SQLModel, func, select

    with root.db.unit_of_work() as s:
        return {
            name: s.exec(select(func.count()).select_from(table)).one()
            for name, table in SQLModel.metadata.tables.items()
        }
