"""Rounds compared from the store (pvpp.national.round_trend) and on the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.main import app
from pvpp.national import TrendError, round_trend
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import Assignment
from tests.rounds import close, run_round
from tests.store.test_queries import _round_of, counting

CODES = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD"), ("FM", "FM")]


def _two_rounds(root: App, spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec, tmp: Path) -> None:
    """R1 on version 1, R2 a year later on version 2: VID's K9 D1 goes from 0 to 4 (K9 is
    asked alike in both); FM's R2 workbook is incomplete, so FM is not assessed in R2."""
    run_round(
        root, spec, tmp / "r1", CODES, round_code="R1", plans=True,
        edits={"VID": {"Q_K9_D1": spec.degree_label(0, "lv")}},
    )  # fmt: skip
    run_round(
        root, spec_q2, tmp / "r2", CODES, round_code="R2",
        opens_on=date(2027, 1, 15), due_on=date(2027, 3, 31),
        edits={"VID": {"Q_K9_D1": spec_q2.degree_label(4, "lv")}, "FM": {"Q_K1_D1": None}},
    )  # fmt: skip


def test_two_stored_rounds_compared(
    store: str, spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    _two_rounds(root, spec, spec_q2, tmp_path)
    with root.db.reading() as s:
        view = round_trend(s, ["R2"], publish=False)  # one round: with the round before it
        assert round_trend(s, ["R2", "R1"], publish=False).rounds == ("R1", "R2")
        with pytest.raises(TrendError, match="no earlier round"):
            round_trend(s, ["R1"])
        with pytest.raises(TrendError, match="no round 'R9'"):
            round_trend(s, ["R1", "R9"])
    tr = view.trend
    assert tr is not None and view.rounds == ("R1", "R2")
    # Only the assessed count: FM's incomplete R2 workbook is not.
    assert [r.spreads[0].n for r in tr.components] == [5] * 4
    assert [r.spreads[1].n for r in tr.components] == [4] * 4
    assert not tr.same_questions and tr.shared.versions == ("pvpp2027-q1", "pvpp2027-q2")
    assert ("K2", "D3") in {(x.item, x.dimension) for x in tr.shared.left_out}
    assert any(j.institution == "VID" and ("D1", 0, 4) in j.changes for j in tr.jumps)
    assert tr.plans[0].plans == 5 and tr.plans[1].plans == 0
    assert {p.institution for p in tr.positions} == {"VID", "UR", "VZD", "LAD"}
    # Published: nothing while a round is open, then each round's closure.
    with root.db.reading() as s:
        assert round_trend(s, ["R1", "R2"]).withheld == "open"
    close(root, "R1")
    close(root, "R2", today=date(2027, 4, 1))
    with root.db.reading() as s:
        public = round_trend(s, ["R1", "R2"])
    assert public.trend is not None and public.withheld is None
    assert public.trend.components[0].spreads[1].median is not None


def test_a_trend_takes_the_same_statements_for_10_or_400(store: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        for code, n in (("S1", 10), ("S2", 10), ("L1", 400), ("L2", 400)):
            _round_of(s, code, n)
        for a in s.exec(select(Assignment)).all():
            a.state = "planned"
    counts = {}
    for pair in (["S1", "S2"], ["L1", "L2"]):
        with root.db.reading() as s, counting(s) as statements:
            view = round_trend(s, pair, publish=False)
        counts[pair[0]] = len(statements)
        assert view.trend is not None and view.trend.plans[0].plans == (
            2 if pair[0] == "S1" else 80
        )
    assert counts["S1"] == counts["L1"], counts


def test_the_trend_command(
    store: str, spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    _two_rounds(root, spec, spec_q2, tmp_path)
    result = CliRunner().invoke(app, ["round", "trend", "R1", "R2"], obj=root)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "Rounds compared: R1, R2" in out
    assert "K2 D3: asked in a different number of questions" in out
    assert "Component: median degree" in out and "Plan measures done" in out
    assert "Jump of more than 2 degrees since the last round: " in out
    assert "VID K9: D1 0 → 4" in out
    published = CliRunner().invoke(app, ["round", "trend", "R2", "--publish"], obj=root)
    assert published.exit_code == 0 and "not closed for publication" in published.output
    unknown = CliRunner().invoke(app, ["round", "trend", "R1"], obj=root)
    assert unknown.exit_code != 0 and "no earlier round" in unknown.output
    # The round workbook gains the trend sheet; what was not compared is on its info sheet.
    from openpyxl import load_workbook

    from pvpp.exports import export_round

    with root.db.unit_of_work() as s:
        export_round(s, "R2", tmp_path / "r2.xlsx")
        export_round(s, "R2", tmp_path / "r2-public.xlsx", publish=True)
    wb = load_workbook(tmp_path / "r2.xlsx")
    sheet = wb["Izmaiņas starp cikliem"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Līmenis", "Kods", "Nosaukums", "Novērtētas iestādes R1"]
    assert header[-1] == "Izmaiņas"
    assert sheet.max_row > 4 + 29  # components, groups, items
    info = "\n".join(str(c.value) for row in wb["Informācija"].iter_rows() for c in row)
    assert "K2 D3: anketas versijās jautāts atšķirīgā jautājumu skaitā" in info
    public = load_workbook(tmp_path / "r2-public.xlsx")
    assert "Izmaiņas starp cikliem" not in public.sheetnames  # the rounds are open
    info = "\n".join(str(c.value) for row in public["Informācija"].iter_rows() for c in row)
    assert "tiks publicētas, kad abi cikli būs slēgti" in info
