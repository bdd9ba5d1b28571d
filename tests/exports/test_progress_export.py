"""The progress view as Excel and CSV: every table, Latvian headers by default, English on
request, and no name from the registry ever read as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from pvpp.exports.progress import TABLES, export_progress
from pvpp.exports.writer import ExportError
from pvpp.progress import LinePoint
from pvpp.round_progress import Filters, InstitutionProgress, RoundProgress

HOSTILE = '=HYPERLINK("http://x","y")'


def _view() -> RoundProgress:
    late = InstitutionProgress("VID", HOSTILE, "IG1", "invited", 0, 120, None, 45)
    busy = InstitutionProgress(
        "UR", "Uzņēmumu reģistrs", "IG1", "in_progress", 30, 120,
        datetime(2026, 2, 20, 10, 5, tzinfo=UTC), 9,
    )  # fmt: skip
    done = InstitutionProgress("VZD", "Valsts zemes dienests", "IG2", "accepted", 0, 120, None, 0)
    return RoundProgress(
        round_code="2026-K1", opens_on=date(2026, 1, 15), due_on=date(2026, 3, 31),
        today=date(2026, 3, 1), filters=Filters(group="IG1"), total=3, handed_in=1,
        complete=1, states=[("invited", 1), ("in_progress", 1), ("accepted", 1)],
        line=[LinePoint(date(2026, 2, 28), 1, 0), LinePoint(date(2026, 3, 1), 1, 1)],
        institutions=[busy, late, done], behind=[late, busy], idle=[late], idle_after=14,
        milestones=[{
            "measure": "P2.1", "text_lv": "Vadlīnijas", "text_en": "Guidelines",
            "due_on": date(2027, 12, 31), "state": "in_progress", "late": False,
            "note": "-1+1",
        }],
    )  # fmt: skip


def test_the_workbook_has_every_table_in_latvian(tmp_path: Path) -> None:
    out = export_progress(_view(), tmp_path / "p.xlsx")
    assert out.rows == {
        "summary": 10, "states": 3, "line": 2, "behind": 2, "idle": 1, "institutions": 3,
        "milestones": 1,
    }  # fmt: skip
    assert set(out.rows) == set(TABLES)
    wb = openpyxl.load_workbook(out.path)
    assert wb.sheetnames == [
        "Kopsavilkums", "Statusi", "Izpildes gaita", "Visvairāk atpalikušās", "Bez darbības",
        "Iestādes", "Valsts pasākumi",
    ]  # fmt: skip
    summary = {r[0]: r[1] for r in wb["Kopsavilkums"].iter_rows(min_row=2, values_only=True)}
    assert summary["Atlase"] == "1. tabulas grupa: IG1"
    assert summary["Pabeigušo īpatsvars, %"] == pytest.approx(33.3)
    idle = wb["Bez darbības"]
    assert [c.value for c in idle[1]][:4] == ["Iestādes kods", "Iestāde", "1. tabulas grupa",
                                             "Statuss"]  # fmt: skip
    name = idle["B2"]
    assert (name.value, name.data_type, name.quotePrefix) == (HOSTILE, "s", True)
    assert idle["D2"].value == "uzaicināta"
    rows = list(wb["Iestādes"].iter_rows(min_row=2, values_only=True))
    assert rows[0][7] == datetime(2026, 2, 20, 12, 5)  # Riga time
    assert rows[0][6] == 25.0
    milestone = next(wb["Valsts pasākumi"].iter_rows(min_row=2, values_only=True))
    assert milestone[:3] == ("P2.1", "Vadlīnijas", "procesā")


def test_one_table_in_english(tmp_path: Path) -> None:
    out = export_progress(_view(), tmp_path / "p.xlsx", lang="en", table="behind")
    wb = openpyxl.load_workbook(out.path)
    assert wb.sheetnames == ["Furthest behind"]
    assert wb["Furthest behind"]["D2"].value == "invited"


def test_csv_holds_one_table_with_formulas_neutralised(tmp_path: Path) -> None:
    out = export_progress(_view(), tmp_path / "p.csv")
    text = out.path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:2] == ["Iestādes kods", "Iestāde"]
    assert rows[2][1] == "'" + HOSTILE
    assert rows[1][7] == "2026-02-20 12:05" and rows[1][6] == "25,00"
    line = export_progress(_view(), tmp_path / "line.csv", lang="en", table="line")
    assert line.path.read_bytes().decode("utf-8-sig").splitlines()[1] == '"2026-02-28",1,0'
    milestones = export_progress(_view(), tmp_path / "m.csv", table="milestones")
    assert '"\'-1+1"' in milestones.path.read_text(encoding="utf-8-sig")


def test_a_wrong_format_or_table_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"p.pdf: the export is written as .xlsx or .csv"):
        export_progress(_view(), tmp_path / "p.pdf")
    with pytest.raises(ExportError, match="table must be one of summary, states"):
        export_progress(_view(), tmp_path / "p.csv", table="plans")
    assert not list(tmp_path.iterdir())
