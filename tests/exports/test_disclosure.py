"""Publishable exports cannot be told apart by one institution (pvpp.disclosure): two taken
before and after the only member of a group is scored must not differ by its scores."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.exports import export_round
from pvpp.i18n import t
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.submissions import ingest_paths
from tests.rounds import run_round

GENERATED = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
# Four of table-1 group IG1, then RIGA, the only one of IG2 scored in the round.
FIRST = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD")]
LATER = "RIGA"


def _cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def _publish(root: App, path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with root.db.unit_of_work() as s:
        export_round(s, "2026-K1", path, publish=True, generated_at=GENERATED)
    return _cells(path)


def _score_later(root: App, spec: QuestionnaireSpec, folder: Path) -> None:
    books = filled_workbooks(
        spec, [(LATER, LATER)], round_code="2026-K1", key=root.settings.signing_key()
    )
    path = folder / f"{LATER}.xlsx"
    path.write_bytes(books[LATER])
    ingest_paths([path], settings=root.settings, db=root.db)


def test_an_open_round_publishes_nothing_one_institution_changes(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path / "in", FIRST)
    before = _publish(root, tmp_path / "before.xlsx")
    _score_later(root, spec, tmp_path)
    after = _publish(root, tmp_path / "after.xlsx")
    assert before == after
    # What it does say: the figures come once the round is closed.
    (info,) = before.values()
    assert any(v == t("disclosure.not_closed", "lv") for row in info for v in row)


def test_a_closed_round_publishes_the_same_figures_whoever_comes_later(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    from pvpp.rounds import close_round

    run_round(root, spec, tmp_path / "in", FIRST)
    with root.db.unit_of_work() as s:
        close_round(s, "2026-K1", today=date(2026, 4, 1), actor="test")
    before = _publish(root, tmp_path / "before.xlsx")
    _score_later(root, spec, tmp_path)
    after = _publish(root, tmp_path / "after.xlsx")
    assert before == after
    # The figures are there: four institutions, three others for any reader of them.
    assert len(before) > 1
