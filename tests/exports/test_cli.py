"""``pvpp export``: where the file went, and plain errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.export import app
from tests.exports.conftest import Fixture

runner = CliRunner()


def run(root: App, *args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False, obj=root)


def test_export_commands(exported_round: Fixture, tmp_path: Path, root: App) -> None:
    out = tmp_path / "out" / "round.xlsx"
    result = run(root, "round", "2026-K1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert str(out.resolve()) in result.stdout and out.exists()
    assert "Punktu vērtējumi: 116" in result.stdout

    public = tmp_path / "public.xlsx"
    result = run(root, "round", "2026-K1", "--out", str(public), "--publish", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(public).sheetnames[-1] == "Information"

    plan = tmp_path / "plan.xlsx"
    result = run(root, "plan", "--round", "2026-K1", "--institution", "VID", "--out", str(plan))
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(plan).sheetnames[0] == "Kopsavilkums"

    table = tmp_path / "items.csv"
    result = run(root, "csv", "2026-K1", "--out", str(table))
    assert result.exit_code == 0, result.output
    assert table.read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_errors_are_plain_messages(
    exported_round: Fixture, tmp_path: Path, root: App
) -> None:
    result = run(root, "round", "NOPE", "--out", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 1 and "no round 'NOPE'" in result.stderr
    result = run(root, "round", "2026-K1", "--out", str(tmp_path / "x.xlsx"), "--lang", "de")
    assert result.exit_code == 1 and "lv or en" in result.stderr
    result = run(
        root, "plan", "--round", "2026-K1", "--institution", "XX", "--out", str(tmp_path / "p.xlsx")
    )
    assert result.exit_code == 1 and "no institution 'XX'" in result.stderr
    result = run(
        root,
        "plan",
        "--round",
        "2026-K1",
        "--institution",
        "VID",
        "--version",
        "9",
        "--out",
        str(tmp_path / "p.xlsx"),
    )
    assert result.exit_code == 1 and "no plan version 9" in result.stderr
    assert not list(tmp_path.glob("*.xlsx"))
