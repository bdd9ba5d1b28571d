"""What a person sees in the blank workbook: dropdown help, row heights, printed text size."""

from __future__ import annotations

import io
import math

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell
from openpyxl.worksheet.worksheet import Worksheet

from pvpp.questionnaire import QuestionnaireSpec
from pvpp.workbook.build import _rows_needed

# A4 minus half-inch margins, in points; an Excel width unit is 7 pixels (0.75 pt each).
PRINTABLE_PT = {"portrait": 595.3 - 72, "landscape": 841.9 - 72}
# Calibri's lowercase letters average about 0.45 em in Latvian and English text: a row
# shorter than the lines this gives certainly hides text.
AVERAGE_EM = 0.45


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _printed_sheets(spec: QuestionnaireSpec, wb: openpyxl.Workbook, lang: str) -> list[Worksheet]:
    names = [spec.sheet_title("instructions", lang)]  # type: ignore[arg-type]
    names += [spec.sheet_title(c.id, lang) for c in spec.policy.components]  # type: ignore[arg-type]
    return [wb[name] for name in names]


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_dropdowns_explain_what_to_enter(
    spec: QuestionnaireSpec, blank_lv: bytes, blank_en: bytes, lang: str
) -> None:
    wb = _book(blank_lv if lang == "lv" else blank_en)
    degree_labels = set(spec.degree_labels(lang))  # type: ignore[arg-type]
    checked = 0
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            checked += 1
            where = (ws.title, str(dv.sqref))
            assert dv.showInputMessage and dv.showErrorMessage, where
            assert dv.promptTitle and dv.prompt and dv.errorTitle and dv.error, where
            # Excel refuses to open a workbook whose validation texts are longer.
            assert len(dv.promptTitle) <= 32 and len(dv.errorTitle) <= 32, where
            assert len(dv.prompt) <= 255 and len(dv.error) <= 255, where
            # An explanation, not an answer label standing in for one.
            assert dv.error not in degree_labels and dv.errorTitle not in degree_labels, where
            assert dv.error != dv.prompt, where
    # Answers and targets on each component sheet; type and conformity on the services one.
    assert checked == len(spec.policy.components) * 2 + 2


def test_answer_cell_error_names_the_allowed_values(
    spec: QuestionnaireSpec, blank_lv: bytes
) -> None:
    wb = _book(blank_lv)
    ((sheet, ref),) = list(wb.defined_names["Q_K1_D1"].destinations)
    cell = ref.replace("$", "")
    (dv,) = [dv for dv in wb[sheet].data_validations.dataValidation if cell in dv.sqref]
    scale = spec.policy.degree_scale
    assert f"{scale.min}–{scale.max}" in dv.error
    for option in spec.questionnaire.non_scoring:
        assert option.label.get("lv") in dv.error
        assert option.label.get("lv") in dv.prompt


def _lower_bound_lines(text: str, width: float, font_pt: float) -> int:
    chars = max(1, int(width * 7 / (AVERAGE_EM * font_pt * 96 / 72)))
    return sum(max(1, math.ceil(len(line) / chars)) for line in text.split("\n"))


def test_long_descriptor_gets_every_line() -> None:
    descriptor = (
        "Atbildīgie ir noteikti, darbojas pilnvērtīgi un dara vairāk, nekā nepieciešams. " * 12
    )
    text = "\n".join([descriptor, "4 valstī kopējā sasniedzamā: " + descriptor])
    for width, font_pt in ((48, 10), (68, 11), (20, 11)):
        assert _rows_needed(text, width, font_pt) >= _lower_bound_lines(text, width, font_pt)
    # A word longer than the column takes several lines, not one.
    assert _rows_needed("x" * 400, 10, 11) >= 400 * 0.47 * 11 * 96 / 72 // 70


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_rows_are_tall_enough_for_their_text(
    spec: QuestionnaireSpec, blank_lv: bytes, blank_en: bytes, lang: str
) -> None:
    wb = _book(blank_lv if lang == "lv" else blank_en)
    for ws in _printed_sheets(spec, wb, lang):
        merged = {str(r).split(":")[0]: r for r in ws.merged_cells.ranges}
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell) or not isinstance(cell.value, str):
                    continue
                if not (cell.alignment and cell.alignment.wrap_text):
                    continue
                span = merged.get(cell.coordinate)
                first, last = (span.min_col, span.max_col) if span else (cell.column, cell.column)
                width = sum(
                    ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width
                    for c in range(first, last + 1)
                )
                font_pt = cell.font.sz or 11
                lines = _lower_bound_lines(cell.value, width, font_pt)
                height = ws.row_dimensions[cell.row].height or 15
                assert height >= lines * font_pt * 1.2, (ws.title, cell.coordinate, height, lines)


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_sheets_print_at_a_readable_size(
    spec: QuestionnaireSpec, blank_lv: bytes, blank_en: bytes, lang: str
) -> None:
    """Fit to one page wide, the columns' texts print at 10 pt or larger."""
    wb = _book(blank_lv if lang == "lv" else blank_en)
    for ws in _printed_sheets(spec, wb, lang):
        setup = ws.page_setup
        assert str(setup.paperSize) == ws.PAPERSIZE_A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        last = ws.max_column
        widths = [
            ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width
            for c in range(1, last + 1)
        ]
        content_pt = sum(widths) * 7 * 0.75
        scale = min(1.0, PRINTABLE_PT[setup.orientation] / content_pt)
        smallest = min(
            cell.font.sz or 11
            for row in ws.iter_rows()
            for cell in row
            if cell.value is not None and not isinstance(cell, MergedCell)
        )
        assert smallest * scale >= 10, (ws.title, smallest, round(scale, 2))


def test_instructions_say_what_each_other_answer_does_to_the_score(
    spec: QuestionnaireSpec, blank_lv: bytes
) -> None:
    """Beside each non-scoring answer, what it does to the score: "Nav zināms" counts as 0,
    "Jautājums nav saprotams" and "Nav attiecināms" do not count (method pvpp-score-3)."""
    ws = _book(blank_lv)[spec.sheet_title("instructions", "lv")]
    meaning = {
        row[1].value: row[2].value for row in ws.iter_rows(min_col=1, max_col=3) if row[1].value
    }
    assert "tiek ieskaitīta kā 0. pakāpe" in meaning["Nav zināms"]
    assert "netiek ieskaitīta" in meaning["Jautājums nav saprotams"]
    assert "netiek ieskaitīta" in meaning["Nav attiecināms"]
    assert "Pamatojums ir obligāts" in meaning["Nav attiecināms"]
