"""``pvpp round progress|extend|remind|launch|runs``: the round's progress and the
coordinator's round actions on the command line."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from pvpp.app import App
from pvpp.mail.outbox import list_messages
from tests.cli.test_cli import run
from tests.store.test_round_progress import _round_of


@pytest.fixture
def progress_root(root: App) -> App:
    """Round P of ten institutions (tests.store.test_round_progress)."""
    root.db.upgrade()
    with root.db.unit_of_work() as s:
        _round_of(s, "P", 10)
    return root


def test_progress_prints_every_part(progress_root: App) -> None:
    result = run(progress_root, "round", "progress", "P", "--today", "2026-03-01")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Round P on 2026-03-01 (all institutions): 10 assigned, 2 handed in (20.0 %)" in out
    for title in ("Per state", "Completion over time", "Furthest behind",
                  "No activity for 14 days or more", "National milestones"):  # fmt: skip
        assert title in out
    assert "P-0004 Iestāde 4" in out and "P2.1" in out
    filtered = run(progress_root, "round", "progress", "P", "--today", "2026-03-01",
                   "--group", "G2", "--name", "iestāde")  # fmt: skip
    assert "(group 'G2', name 'iestāde'): 5 assigned" in filtered.output


def test_progress_exports_xlsx_and_csv(progress_root: App, tmp_path: Path) -> None:
    xlsx = tmp_path / "p.xlsx"
    result = run(progress_root, "round", "progress", "P", "--today", "2026-03-01",
                 "--state", "invited", "--export", str(xlsx))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "institutions: 4" in result.output
    assert "Valsts pasākumi" in openpyxl.load_workbook(xlsx).sheetnames
    csv_ = tmp_path / "behind.csv"
    result = run(progress_root, "round", "progress", "P", "--export", str(csv_),
                 "--table", "behind", "--lang", "en", "--today", "2026-03-01")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert csv_.read_text(encoding="utf-8-sig").startswith('"Institution code","Institution"')


def test_progress_refuses_what_it_cannot_do(progress_root: App, tmp_path: Path) -> None:
    bad = run(progress_root, "round", "progress", "P", "--state", "done")
    assert bad.exit_code == 1 and "state must be one of invited" in bad.output
    pdf = run(progress_root, "round", "progress", "P", "--export", str(tmp_path / "p.pdf"))
    assert pdf.exit_code == 1 and "written as .xlsx or .csv" in pdf.output
    assert run(progress_root, "round", "progress", "X-1").exit_code == 1


def test_extend_and_remind(progress_root: App) -> None:
    result = run(progress_root, "round", "extend", "P", "--due", "2026-04-14",
                 "--reason", "Lieldienas", "--actor", "k@varam.example",
                 "--today", "2026-03-20")  # fmt: skip
    assert result.exit_code == 0, result.output
    # Invited and filling in and returned: 8 of the 10 owe work.
    assert "due date 2026-03-31 → 2026-04-14; 8 teams told" in result.output
    refused = run(progress_root, "round", "extend", "P", "--due", "2026-04-01", "--reason", "x")
    assert refused.exit_code == 1 and "must be after the current one" in refused.output
    result = run(progress_root, "round", "remind", "P", "--today", "2026-03-21")
    assert "8 reminders queued" in result.output, result.output
    again = run(progress_root, "round", "remind", "P", "--today", "2026-03-21")
    assert "0 reminders queued, 8 already queued today" in again.output
    with progress_root.db.reading() as s:
        kinds = sorted({m.kind for m in list_messages(s)})
    assert kinds == ["extension", "reminder"]


def test_runs_without_a_server(progress_root: App) -> None:
    result = run(progress_root, "round", "runs", "P")
    assert result.exit_code == 0 and "No Prefect server is configured" in result.output
