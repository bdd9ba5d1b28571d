"""Build → fill → check gives back exactly the answers written, in both languages."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell

from pvpp.app import App
from pvpp.questionnaire import FieldKind, QuestionnaireSpec
from pvpp.workbook.check import Status, check_workbook
from pvpp.workbook.fill import cell_values, fill_workbook
from pvpp.workbook.meta import META_SHEET
from tests.conftest import INSTITUTION, ROUND

LATVIAN = "ĀČĒĢĪĶĻŅŠŪŽ āčēģīķļņšūž — “pēdiņas” un €"


def test_filled_workbook_gives_back_the_answers(
    filled_lv: bytes, answers: dict[str, Any], root: App
) -> None:
    result = check_workbook(
        filled_lv, expect_institution=INSTITUTION, expect_round=ROUND, settings=root.settings
    )
    assert result.status is Status.ACCEPTED, result.problems
    assert result.answers == answers
    assert result.meta is not None
    assert (result.meta.institution, result.meta.round) == (INSTITUTION, ROUND)


def test_english_workbook_round_trip(
    spec: QuestionnaireSpec, blank_en: bytes, answers: dict[str, Any], root: App
) -> None:
    data = fill_workbook(blank_en, cell_values(spec, answers, "en"))
    result = check_workbook(data, settings=root.settings)
    assert result.status is Status.ACCEPTED
    assert result.lang == "en"
    assert result.answers == answers


def test_every_latvian_letter_survives(
    spec: QuestionnaireSpec, build: Any, answers: dict[str, Any], root: App
) -> None:
    blank = build(spec, "lv", name=f"Iestāde {LATVIAN}")
    texts = {
        "EVIDENCE_K1": LATVIAN,
        "COMMENT_S3": LATVIAN.upper(),
        "SVC01_NAME": f"Pakalpojums {LATVIAN}",
        "EVIDENCE_1_1": "=this stays text, not a formula",
    }
    data = fill_workbook(blank, cell_values(spec, {**answers, **texts}, "lv"))
    result = check_workbook(data, settings=root.settings)
    assert result.status is Status.ACCEPTED, result.problems
    for key, value in texts.items():
        assert result.answers[key] == value
    assert result.meta is not None
    assert result.meta.institution_name == f"Iestāde {LATVIAN}"


def test_blank_workbook_is_incomplete_not_broken(
    spec: QuestionnaireSpec, blank_lv: bytes, root: App
) -> None:
    result = check_workbook(blank_lv, settings=root.settings)
    assert result.status is Status.INCOMPLETE
    assert result.problems == []
    assert [u.field for u in result.unanswered] == [f.id for f in spec.degree_fields]
    first = result.unanswered[0]
    assert (first.sheet, first.cell, first.field) == ("1 Pamatnosacījumi", "D8", "Q_1_1_D1")


def test_partly_filled_lists_exactly_the_gaps(fill: Any, root: App) -> None:
    result = check_workbook(
        fill({"Q_K3_D2": None, "Q_R3_D4": None, "SVC01_K7": None}), settings=root.settings
    )
    assert result.status is Status.INCOMPLETE
    # In workbook order: component sheets first, then the services sheet.
    assert [u.field for u in result.unanswered] == ["Q_K3_D2", "Q_R3_D4", "SVC01_K7"]
    assert {u.sheet for u in result.unanswered} == {
        "3 Nosacījumi",
        "4 Spējas un resursi",
        "Pakalpojumi",
    }


def test_answers_accept_bare_numbers_and_either_language(fill: Any, root: App) -> None:
    result = check_workbook(
        fill(
            {
                "Q_1_1_D1": 3,
                "Q_1_1_D2": "2",
                "Q_1_1_D3": "4 – National Target",
                "Q_1_1_D4": "Unknown",
            }
        ),
        settings=root.settings,
    )
    assert result.status is Status.ACCEPTED, result.problems
    assert [result.answers[f"Q_1_1_D{i}"] for i in range(1, 5)] == [3, 2, 4, "unknown"]


def test_workbook_structure(spec: QuestionnaireSpec, blank_lv: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(blank_lv))
    assert wb.sheetnames == [*spec.required_sheets("lv")[:-1], "Saraksti", META_SHEET]
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb["Saraksti"].sheet_state == "hidden"
    assert wb.security.lockStructure
    # Every field has a defined name pointing at one unlocked cell; nothing else is unlocked.
    input_cells = set()
    for f in spec.fields:
        ((sheet, ref),) = list(wb.defined_names[f.id].destinations)
        cell = wb[sheet][ref.replace("$", "")]
        assert cell.protection.locked is False, f.id
        input_cells.add((sheet, cell.coordinate))
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell):
                    continue  # the covered part of a merged input shares the input's style
                if (ws.title, cell.coordinate) not in input_cells and cell.has_style:
                    assert cell.protection.locked is not False, (ws.title, cell.coordinate)
    # Dropdowns on every degree cell and frozen headers on every component sheet.
    sheet = wb["3 Nosacījumi"]
    assert sheet.freeze_panes == "A6"
    validated = {str(c) for dv in sheet.data_validations.dataValidation for c in dv.sqref.ranges}
    ((_, ref),) = list(wb.defined_names["Q_K1_D1"].destinations)
    assert ref.replace("$", "") in validated
    assert str(sheet["C3"].value).startswith("=(COUNTA(")
    assert sheet.column_dimensions["C"].width == 44


@pytest.mark.parametrize("kind", [FieldKind.DEGREE, FieldKind.CONFORMITY, FieldKind.TARGET])
def test_every_option_label_parses_back(
    spec: QuestionnaireSpec, fill: Any, kind: FieldKind, root: App
) -> None:
    """Each dropdown label of the Latvian workbook is read back as its value."""
    q = spec.questionnaire
    if kind is FieldKind.CONFORMITY:
        values = [o.code for o in q.conformity]
        fields = [f"SVC01_K{i}" for i in range(1, len(values) + 1)]
    else:
        values = list(spec.policy.degree_scale.values)
        prefix = "Q_K1_D" if kind is FieldKind.DEGREE else "TARGET_K"
        fields = [f"{prefix}{i}" for i in range(1, len(values) + 1)]
        if kind is FieldKind.DEGREE:
            values = values[:4]
            fields = fields[:4]
        else:
            # A target is compared with the current degree; rate the items at 0 first.
            base = {
                f"Q_K{i}_D{d}": spec.degree_label(0, "lv") for i in range(1, 6) for d in range(1, 5)
            }
            data = fill(
                {
                    **base,
                    **dict(zip(fields, [spec.degree_label(v, "lv") for v in values], strict=True)),
                }
            )
            result = check_workbook(data, settings=root.settings)
            assert [result.answers[f] for f in fields] == values
            return
    overrides = cell_values(spec, dict(zip(fields, values, strict=True)), "lv")
    result = check_workbook(fill(overrides), settings=root.settings)
    assert result.status is Status.ACCEPTED, result.problems
    assert [result.answers[f] for f in fields] == values


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_the_instructions_list_every_designed_value_the_scores_depend_on(
    spec: QuestionnaireSpec, blank_lv: bytes, blank_en: bytes, lang: str
) -> None:
    """Generated from the policy's `designed` entries marked `numbers`, with their notes."""
    wb = openpyxl.load_workbook(io.BytesIO(blank_lv if lang == "lv" else blank_en))
    sheet = wb[spec.sheet_title("instructions", lang)]  # type: ignore[arg-type]
    rows = {
        str(row[1].value): str(row[2].value)
        for row in sheet.iter_rows(min_col=1, max_col=3)
        if row[1].value is not None
    }
    designed = spec.policy.designed_for_numbers()
    assert designed
    for entry in designed:
        assert rows.get(entry.name.get(lang)) == entry.note.get(lang)  # type: ignore[arg-type]


def test_the_question_is_unclear_is_in_the_dropdown_and_read_back(
    fill: Any, blank_lv: bytes, root: App
) -> None:
    """The answer list offers "Jautājums nav saprotams"; the checker reads it as "unclear",
    apart from "unknown"."""
    wb = openpyxl.load_workbook(io.BytesIO(blank_lv))
    offered = [c.value for c in wb["Saraksti"]["A"] if c.value]
    assert offered[-3:] == ["Nav attiecināms", "Nav zināms", "Jautājums nav saprotams"]
    result = check_workbook(
        fill({"Q_1_1_D2": "Jautājums nav saprotams", "Q_1_1_D3": "Nav zināms"}),
        settings=root.settings,
    )
    assert result.status is Status.ACCEPTED, result.problems
    assert (result.answers["Q_1_1_D2"], result.answers["Q_1_1_D3"]) == ("unclear", "unknown")
