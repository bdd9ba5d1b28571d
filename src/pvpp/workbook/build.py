"""Build the self-assessment workbook an institution team fills in.

Layout: an instructions sheet, one sheet per policy component, a service sheet (services
and their conformity with the condition groups), a hidden lists sheet feeding the
dropdowns, and a very hidden, signed metadata sheet. Every answer cell carries a
workbook-level defined name equal to its field id, so reading never depends on where a
cell sits. Input cells are unlocked; everything else is protected.
"""

from __future__ import annotations

import io
import math
import unicodedata
from datetime import UTC, date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from pvpp.i18n import catalogue, day, t
from pvpp.policy.models import Component, Dimension, Lang
from pvpp.questionnaire import FieldKind, QuestionnaireSpec
from pvpp.questionnaire.models import item_field_id, service_field_id
from pvpp.workbook.meta import FORMAT, FORMAT_VERSION, META_SHEET, sign
from pvpp.xlsx import active_sheet, writable_cell

BLUE = "1F4E79"
INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")
ITEM_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_FILL = PatternFill("solid", fgColor=BLUE)
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)

# Column widths in Excel's units (about one "0" of the default 11 pt font, 7 pixels). A
# component sheet prints on A4 landscape and the instructions on A4 portrait at full size:
# the widths add up to less than the printable width, so "fit to one page wide" never has
# to shrink the text below FONT_PT (tests/workbook/test_layout.py checks the sums).
COMPONENT_WIDTHS = {"A": 8, "B": 17, "C": 44, "D": 21, "E": 48}
INSTRUCTION_WIDTHS = {"A": 3, "B": 22, "C": 68}
FONT_PT = 10
BODY_PT = 11  # openpyxl's default font (Calibri 11), used by every cell without its own
LINE_SPACING = 1.37  # Excel's 15 pt row for 11 pt Calibri
MARGIN_IN = 0.5
# Printable width of A4 (210 mm × 297 mm) in points, less the left and right margins.
PRINTABLE_PT = {"portrait": 595.3 - 2 * 72 * MARGIN_IN, "landscape": 841.9 - 2 * 72 * MARGIN_IN}

# Advance widths in em of Calibri's glyphs (the workbook's font; LibreOffice's Carlito has
# the same metrics); a letter with a diacritic counts as its base letter.
_LOWER_EM = {
    letter: em
    for letters, em in (
        ("ijl", 0.23),
        ("frt", 0.35),
        ("sz", 0.40),
        ("cgkvxy", 0.47),
        ("ae", 0.50),
        ("bdhnopqu", 0.53),
        ("w", 0.72),
        ("m", 0.80),
    )
    for letter in letters
}
_UPPER_EM = 0.60  # Calibri's capitals run from 0.25 (I) to 0.89 (W); most near 0.55
_DIGIT_EM = 0.507
_NARROW_EM = 0.30  # space, punctuation, brackets, quotes
_OTHER_EM = 0.60  # dashes, symbols
# Fonts differ a little between Excel versions and LibreOffice; count wider.
_SAFETY = 1.05
_PADDING_PX = 6  # a wrapped cell's inner padding, left and right together


def _em(ch: str) -> float:
    base = unicodedata.normalize("NFD", ch)[:1] or ch
    if base in _LOWER_EM:
        em = _LOWER_EM[base]
    elif base.isupper():
        em = _UPPER_EM
    elif base.isdigit():
        em = _DIGIT_EM
    elif base.isspace() or base in ".,;:'!|()[]{}\"/-“”„‘’":
        em = _NARROW_EM
    else:
        em = _OTHER_EM
    return em * _SAFETY


def column_px(width: float) -> float:
    """Pixel width of a column ``width`` Excel units wide (7 pixels a unit at 96 dpi)."""
    return width * 7


def _rows_needed(text: str, width: float, font_pt: float = BODY_PT) -> int:
    """Lines the text takes when wrapped at word boundaries in a column ``width`` units wide.

    The letter widths are Calibri's, rounded up, so the estimate errs towards one line too
    many rather than one too few: a row a line too tall costs a little space, a row a line
    too short hides the end of a descriptor.
    """
    px_per_em = font_pt * 96 / 72
    room = column_px(width) - _PADDING_PX
    lines = 0
    for paragraph in text.split("\n"):
        used, count = 0.0, 1
        for word in paragraph.split(" "):
            size = sum(_em(ch) for ch in word) * px_per_em
            space = _em(" ") * px_per_em if used else 0.0
            if used and used + space + size > room:
                count += 1
                used = 0.0
                space = 0.0
            # A word longer than the column is broken across lines.
            while size > room:
                count += 1
                size -= room
            used += space + size
        lines += count
    return lines


def _fit(ws: Worksheet, row: int, cells: list[tuple[str, float, float]]) -> None:
    """Set a row's height so all its wrapped text shows; neither Excel nor openpyxl do it.

    ``cells`` holds (text, column width, font size) for each wrapped cell of the row.
    """
    heights = [
        _rows_needed(text, width, font_pt) * font_pt * LINE_SPACING
        for text, width, font_pt in cells
        if text
    ]
    # A few points more than the lines take: Excel's row holds its text with a small gap.
    ws.row_dimensions[row].height = math.ceil(max([15.0, *heights]) + 4)


def print_scale(widths: list[float], orientation: str) -> float:
    """The scale "fit to one page wide" prints columns of these widths at (at most 1)."""
    content_pt = sum(column_px(w) for w in widths) * 72 / 96
    return min(1.0, PRINTABLE_PT[orientation] / content_pt)


def _text(cell: Cell, value: str) -> Cell:
    # openpyxl writes any string starting with "=" as a live formula; texts from data must
    # stay texts.
    cell.value = value
    cell.data_type = "s"
    return cell


class WorkbookBuilder:
    """Builds one institution's workbook for one round."""

    def __init__(
        self,
        spec: QuestionnaireSpec,
        *,
        institution_code: str,
        institution_name: str,
        round_code: str,
        lang: Lang,
        key: bytes,
        due: date | None = None,
        now: datetime | None = None,
    ) -> None:
        self.spec = spec
        self.policy = spec.policy
        self.q = spec.questionnaire
        self.code = institution_code
        self.name = institution_name
        self.round = round_code
        self.lang: Lang = lang
        self.key = key
        self.due = due
        self.now = now or datetime.now(UTC)
        self.wb = Workbook()

    # -- public ----------------------------------------------------------------------------

    def build(self) -> bytes:
        """The finished workbook as .xlsx bytes."""
        wb = self.wb
        instructions = active_sheet(wb)
        instructions.title = self.spec.sheet_title("instructions", self.lang)
        component_sheets = [
            wb.create_sheet(self.spec.sheet_title(c.id, self.lang)) for c in self.policy.components
        ]
        services = wb.create_sheet(self.spec.sheet_title("services", self.lang))
        lists = wb.create_sheet(self.spec.sheet_title("lists", self.lang))
        meta = wb.create_sheet(META_SHEET)

        self._lists(lists)
        self._instructions(instructions)
        for ws, component in zip(component_sheets, self.policy.components, strict=True):
            self._component(ws, component)
        self._services(services)
        self._meta(meta)

        lists.sheet_state = "hidden"
        meta.sheet_state = "veryHidden"
        for ws in wb.worksheets:
            self._protect(ws)
        # Structure protection stops sheets being renamed, moved or deleted by accident.
        wb.security = WorkbookProtection(lockStructure=True)
        wb.active = 0
        wb.properties.title = self.q.title.get(self.lang)
        wb.properties.subject = f"{self.round} · {self.code}"
        wb.properties.creator = "pvpp"
        wb.properties.language = self.lang
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    # -- pieces ----------------------------------------------------------------------------

    def _name(self, field_id: str, ws: Worksheet, coord: str) -> None:
        col = "".join(ch for ch in coord if ch.isalpha())
        row = coord[len(col) :]
        ref = f"{quote_sheetname(ws.title)}!${col}${row}"
        self.wb.defined_names[field_id] = DefinedName(field_id, attr_text=ref)

    def _input(self, ws: Worksheet, coord: str, field_id: str, dv: DataValidation | None) -> None:
        cell = ws[coord]
        cell.protection = UNLOCKED
        cell.fill = INPUT_FILL
        cell.border = BOX
        cell.alignment = WRAP
        cell.font = Font(size=FONT_PT + 1)
        if dv is not None:
            dv.add(coord)
        self._name(field_id, ws, coord)

    def _list_ref(self, column: str, count: int) -> str:
        lists_title = quote_sheetname(self.spec.sheet_title("lists", self.lang))
        return f"{lists_title}!${column}$1:${column}${count}"

    def _dropdown(
        self, ws: Worksheet, column: str, count: int, kind: str, **fields: str
    ) -> DataValidation:
        """A list validation with an input prompt and an error box that say what to enter.

        ``kind`` names the texts under ``workbook.validation.<kind>`` in the catalogue;
        ``fields`` fill their placeholders.
        """
        lang = self.lang
        dv = DataValidation(
            type="list",
            formula1=self._list_ref(column, count),
            allow_blank=True,
            showErrorMessage=True,
            showInputMessage=True,
            errorStyle="stop",
        )
        dv.promptTitle = t(f"workbook.validation.{kind}.title", lang)
        dv.prompt = t(f"workbook.validation.{kind}.prompt", lang, None, **fields)
        dv.errorTitle = t(f"workbook.validation.{kind}.error_title", lang)
        dv.error = t(f"workbook.validation.{kind}.error", lang, None, **fields)
        ws.add_data_validation(dv)
        return dv

    def _degree_range(self) -> dict[str, str]:
        scale = self.policy.degree_scale
        return {"low": str(scale.min), "high": str(scale.max)}

    def _lists(self, ws: Worksheet) -> None:
        lang = self.lang
        answers = self.spec.degree_labels(lang) + [o.label.get(lang) for o in self.q.non_scoring]
        targets = self.spec.degree_labels(lang)
        types = [self.spec.service_type_label(st.id, lang) for st in self.policy.service_types]
        conformity = [o.label.get(lang) for o in self.q.conformity]
        for col, values in zip("ABCD", (answers, targets, types, conformity), strict=True):
            for row, value in enumerate(values, start=1):
                _text(ws[f"{col}{row}"], value)
        self.n_answers, self.n_targets = len(answers), len(targets)
        self.n_types, self.n_conformity = len(types), len(conformity)

    def _header(self, ws: Worksheet, title: str, last_col: str) -> None:
        ws.merge_cells(f"A1:{last_col}1")
        _text(ws["A1"], title).font = Font(size=15, bold=True, color=BLUE)
        ws.row_dimensions[1].height = 24
        lang = self.lang
        info = f"{t('workbook.label.institution', lang)}: {self.name} ({self.code})   ·   "
        info += f"{t('workbook.label.round', lang)}: {self.round}"
        if self.due:
            info += f"   ·   {t('workbook.label.due', lang)}: {day(self.due, lang)}"
        ws.merge_cells(f"A2:{last_col}2")
        _text(ws["A2"], info).font = Font(size=FONT_PT + 1, color="404040")

    def _progress(self, ws: Worksheet, refs: list[str], row: int = 3) -> None:
        """A completion figure that Excel/LibreOffice compute as the team fills the sheet."""
        _text(ws[f"B{row}"], t("workbook.label.progress", self.lang)).font = Font(bold=True)
        # COUNTA takes at most 255 arguments; chunk so any component size works.
        chunks = [refs[i : i + 200] for i in range(0, len(refs), 200)]
        counted = "+".join(f"COUNTA({','.join(chunk)})" for chunk in chunks)
        cell = ws[f"C{row}"]
        cell.value = f"=({counted})/{len(refs)}"
        cell.number_format = "0%"
        cell.font = Font(bold=True, size=12, color=BLUE)
        cell.alignment = Alignment(horizontal="left")

    def _column_header(self, ws: Worksheet, row: int, titles: list[str]) -> None:
        for idx, title in enumerate(titles, start=1):
            cell = _text(writable_cell(ws, row, idx), title)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cell.border = BOX
        ws.row_dimensions[row].height = 30

    def _descriptors(self, dim_id: str) -> str:
        dim = next(d for d in self.policy.dimensions if d.id == dim_id)
        scale = self.policy.degree_scale
        return "\n".join(
            f"{v} {scale.name(v, self.lang)}: {dim.descriptors[v].get(self.lang)}"
            for v in scale.values
        )

    def _questions(self, item_id: str) -> list[tuple[Dimension, str, int, int]]:
        """(dimension, field id, part, parts) of each question of an item, in order."""
        out = []
        for dim in self.policy.dimensions:
            fields = self.spec.parts_of(item_id, dim.id)
            out += [(dim, f.id, f.part, len(fields)) for f in fields]
        return out

    def _component(self, ws: Worksheet, component: Component) -> None:
        lang = self.lang
        for col, width in COMPONENT_WIDTHS.items():
            ws.column_dimensions[col].width = width
        self._header(ws, f"{component.number}. {component.name.get(lang)}", "E")
        self._column_header(
            ws,
            5,
            [
                t("workbook.label.col_code", lang),
                t("workbook.label.col_field", lang),
                t("workbook.label.col_question", lang),
                t("workbook.label.col_answer", lang),
                t("workbook.label.col_degrees", lang),
            ],
        )
        ws.freeze_panes = "A6"
        others = " / ".join(f"“{o.label.get(lang)}”" for o in self.q.non_scoring)
        answer_dv = self._dropdown(
            ws, "A", self.n_answers, "answer", others=others, **self._degree_range()
        )
        target_dv = self._dropdown(ws, "B", self.n_targets, "target", **self._degree_range())
        answer_refs: list[str] = []
        row = 6
        for item in component.items:
            qi = self.q.items[item.id]
            ws.merge_cells(f"A{row}:E{row}")
            cell = _text(ws[f"A{row}"], f"{item.id}  {item.name.get(lang)}")
            cell.font = Font(bold=True, size=12, color=BLUE)
            cell.fill = ITEM_FILL
            ws.row_dimensions[row].height = 20
            row += 1
            about = (
                f"{qi.intro.get(lang)}\n{t('workbook.label.target_result', lang)}: "
                f"{item.target_result.get(lang)}"
            )
            about_label = _text(ws[f"B{row}"], t("workbook.label.about", lang))
            about_label.font = Font(italic=True)
            about_label.alignment = WRAP
            ws.merge_cells(f"C{row}:E{row}")
            _text(ws[f"C{row}"], about).alignment = WRAP
            merged = COMPONENT_WIDTHS["C"] + COMPONENT_WIDTHS["D"] + COMPONENT_WIDTHS["E"]
            _fit(ws, row, [(about, merged, BODY_PT)])
            row += 1
            for dim, fid, part, parts in self._questions(item.id):
                question = qi.parts(dim.id)[part - 1].get(lang)
                code, label = f"{item.id}.{dim.id}", f"{dim.id} {dim.name.get(lang)}"
                if parts > 1:
                    # One row per question of a dimension asked in several parts.
                    code, label = f"{code} ({part}/{parts})", f"{label} ({part}/{parts})"
                code_cell = _text(ws[f"A{row}"], code)
                code_cell.font = Font(size=FONT_PT, color="606060")
                code_cell.alignment = WRAP
                _text(ws[f"B{row}"], label).alignment = WRAP
                _text(ws[f"C{row}"], question).alignment = WRAP
                descriptors = self._descriptors(dim.id)
                desc = _text(ws[f"E{row}"], descriptors)
                desc.alignment = WRAP
                desc.font = Font(size=FONT_PT, color="404040")
                self._input(ws, f"D{row}", fid, answer_dv)
                answer_refs.append(f"D{row}")
                # The descriptors are set one point smaller, so more fit on a line.
                _fit(
                    ws,
                    row,
                    [
                        (label, COMPONENT_WIDTHS["B"], BODY_PT),
                        (question, COMPONENT_WIDTHS["C"], BODY_PT),
                        (descriptors, COMPONENT_WIDTHS["E"], FONT_PT),
                    ],
                )
                row += 1
            national = self.spec.degree_label(item.national_target, lang)
            target_hint = t("workbook.label.own_target_hint", lang, target=national)
            _text(ws[f"B{row}"], t("workbook.label.own_target", lang)).alignment = WRAP
            _text(ws[f"C{row}"], target_hint).alignment = WRAP
            self._input(ws, f"D{row}", item_field_id(FieldKind.TARGET, item.id), target_dv)
            _fit(
                ws,
                row,
                [
                    (t("workbook.label.own_target", lang), COMPONENT_WIDTHS["B"], BODY_PT),
                    (target_hint, COMPONENT_WIDTHS["C"], BODY_PT),
                ],
            )
            row += 1
            for kind, name_key, hint in (
                (FieldKind.NA_REASON, "na_reason", t("workbook.label.na_reason_hint", lang)),
                (FieldKind.EVIDENCE, "evidence", qi.evidence_hint.get(lang)),
                (FieldKind.COMMENT, "comment", t("workbook.label.comment_hint", lang)),
            ):
                _text(ws[f"B{row}"], t(f"workbook.label.{name_key}", lang)).alignment = WRAP
                _text(ws[f"C{row}"], hint).alignment = WRAP
                ws.merge_cells(f"D{row}:E{row}")
                self._input(ws, f"D{row}", item_field_id(kind, item.id), None)
                _fit(
                    ws,
                    row,
                    [
                        (t(f"workbook.label.{name_key}", lang), COMPONENT_WIDTHS["B"], BODY_PT),
                        (hint, COMPONENT_WIDTHS["C"], BODY_PT),
                    ],
                )
                ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 15, 45)
                row += 1
            row += 1
        self._progress(ws, answer_refs)
        ws.print_title_rows = "5:5"
        self._page_setup(ws, landscape=True)

    def _services(self, ws: Worksheet) -> None:
        lang = self.lang
        groups = [self.policy.item(g) for g in self.spec.condition_groups]
        last_col = get_column_letter(4 + len(groups))
        self._header(ws, t("workbook.label.services_title", lang), last_col)
        ws.merge_cells(f"A4:{last_col}4")
        intro = t("workbook.label.services_intro", lang)
        _text(ws["A4"], intro).alignment = WRAP
        ws.row_dimensions[4].height = 45
        titles = [
            t("workbook.label.col_no", lang),
            t("workbook.label.col_service", lang),
            t("workbook.label.col_type", lang),
            t("workbook.label.col_catalogue", lang),
        ] + [f"{g.id} {g.name.get(lang)}" for g in groups]
        self._column_header(ws, 6, titles)
        ws.row_dimensions[6].height = 60
        widths = [5, 44, 30, 14] + [15] * len(groups)
        for idx, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(idx)].width = width
        ws.freeze_panes = "C7"
        types = self.policy.service_types
        type_dv = self._dropdown(
            ws, "C", self.n_types, "service_type", first=types[0].id, last=types[-1].id
        )
        allowed = " / ".join(f"“{o.label.get(lang)}”" for o in self.q.conformity)
        conf_dv = self._dropdown(ws, "D", self.n_conformity, "conformity", allowed=allowed)
        name_refs = []
        for n in range(1, self.q.service_rows + 1):
            row = 6 + n
            ws[f"A{row}"] = n
            ws[f"A{row}"].alignment = WRAP
            # Two lines: the service type labels wrap in their column.
            ws.row_dimensions[row].height = 28
            self._input(ws, f"B{row}", service_field_id(n, "NAME"), None)
            self._input(ws, f"C{row}", service_field_id(n, "TYPE"), type_dv)
            self._input(ws, f"D{row}", service_field_id(n, "CATALOGUE"), None)
            for idx, group in enumerate(groups):
                col = get_column_letter(5 + idx)
                self._input(ws, f"{col}{row}", service_field_id(n, group.id), conf_dv)
            name_refs.append(f"B{row}")
        _text(ws["B3"], t("workbook.label.services_listed", lang)).font = Font(bold=True)
        ws["C3"] = f"=COUNTA({','.join(name_refs)})"
        ws["C3"].font = Font(bold=True, size=12, color=BLUE)
        ws["C3"].alignment = Alignment(horizontal="left")
        ws.print_title_rows = "6:6"
        self._page_setup(ws, landscape=True)

    def _instructions(self, ws: Worksheet) -> None:
        lang = self.lang
        for col, width in INSTRUCTION_WIDTHS.items():
            ws.column_dimensions[col].width = width
        ws.merge_cells("A1:C1")
        _text(ws["A1"], self.q.title.get(lang)).font = Font(size=16, bold=True, color=BLUE)
        ws.row_dimensions[1].height = 26
        facts = [
            (t("workbook.label.institution", lang), f"{self.name} ({self.code})"),
            (t("workbook.label.round", lang), self.round),
        ]
        if self.due:
            facts.append((t("workbook.label.due", lang), day(self.due, lang)))
        facts.append((t("workbook.label.questionnaire", lang), f"{self.q.id} / {self.policy.id}"))
        row = 3
        for key, value in facts:
            _text(ws[f"B{row}"], key).font = Font(bold=True)
            _text(ws[f"C{row}"], value)
            row += 1
        row += 1
        for paragraph in self.q.instructions:
            text = paragraph.get(lang)
            ws.merge_cells(f"B{row}:C{row}")
            _text(ws[f"B{row}"], text).alignment = WRAP
            _fit(ws, row, [(text, INSTRUCTION_WIDTHS["B"] + INSTRUCTION_WIDTHS["C"], BODY_PT)])
            row += 1
        row += 1
        _text(ws[f"B{row}"], t("workbook.label.scale_title", lang)).font = Font(
            bold=True, size=12, color=BLUE
        )
        row += 1
        for degree in self.policy.degree_scale.degrees:
            label = self.spec.degree_label(degree.value, lang)
            degree_cell = _text(ws[f"B{row}"], label)
            degree_cell.font = Font(bold=True)
            degree_cell.alignment = WRAP
            # The generic meaning of a degree: its descriptor on each dimension, one line each
            # (the same descriptors stand next to each question on the component sheets).
            summary = "\n".join(
                f"{d.id} {d.name.get(lang)}: {d.descriptors[degree.value].get(lang)}"
                for d in self.policy.dimensions
            )
            _text(ws[f"C{row}"], summary).alignment = WRAP
            _fit(
                ws,
                row,
                [
                    (label, INSTRUCTION_WIDTHS["B"], BODY_PT),
                    (summary, INSTRUCTION_WIDTHS["C"], BODY_PT),
                ],
            )
            row += 1
        row += 1
        _text(ws[f"B{row}"], t("workbook.label.non_scoring_title", lang)).font = Font(
            bold=True, size=12, color=BLUE
        )
        row += 1
        for option in self.q.non_scoring:
            _text(ws[f"B{row}"], option.label.get(lang)).font = Font(bold=True)
            # What the answer does to the score, so a team chooses knowing it.
            key = f"workbook.label.answer_meaning.{option.code}"
            if key in catalogue(lang):
                hint = t(key, lang)
            else:
                reason = option.requires_reason
                hint = t("workbook.label.na_reason_hint", lang) if reason else ""
            _text(ws[f"C{row}"], hint)
            _fit(ws, row, [(hint, INSTRUCTION_WIDTHS["C"], BODY_PT)])
            row += 1
        row += 1
        row = self._designed(ws, row)
        _text(ws[f"B{row}"], t("workbook.label.sheets_title", lang)).font = Font(
            bold=True, size=12, color=BLUE
        )
        row += 1
        for component in self.policy.components:
            _text(ws[f"B{row}"], self.spec.sheet_title(component.id, lang)).font = Font(bold=True)
            _text(ws[f"C{row}"], f"{component.name.get(lang)} ({len(component.items)})")
            row += 1
        _text(ws[f"B{row}"], self.spec.sheet_title("services", lang)).font = Font(bold=True)
        _text(ws[f"C{row}"], t("workbook.label.services_title", lang))
        self._page_setup(ws, landscape=False)

    def _designed(self, ws: Worksheet, row: int) -> int:
        """The designed values the team's scores depend on (the policy's ``designed``
        entries marked ``numbers``), from the data; returns the next free row."""
        lang = self.lang
        _text(ws[f"B{row}"], t("workbook.label.designed_title", lang)).font = Font(
            bold=True, size=12, color=BLUE
        )
        row += 1
        intro = t("workbook.label.designed_intro", lang)
        ws.merge_cells(f"B{row}:C{row}")
        _text(ws[f"B{row}"], intro).alignment = WRAP
        _fit(ws, row, [(intro, INSTRUCTION_WIDTHS["B"] + INSTRUCTION_WIDTHS["C"], BODY_PT)])
        row += 1
        for designed in self.policy.designed_for_numbers():
            name = _text(ws[f"B{row}"], designed.name.get(lang))
            name.font = Font(bold=True)
            name.alignment = WRAP
            note = designed.note.get(lang)
            _text(ws[f"C{row}"], note).alignment = WRAP
            _fit(
                ws,
                row,
                [
                    (note, INSTRUCTION_WIDTHS["C"], BODY_PT),
                    (designed.name.get(lang), INSTRUCTION_WIDTHS["B"], BODY_PT),
                ],
            )
            row += 1
        return row + 1

    def _meta(self, ws: Worksheet) -> None:
        values = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "questionnaire": self.q.id,
            "policy": self.policy.id,
            "round": self.round,
            "institution": self.code,
            "institution_name": self.name,
            "lang": self.lang,
            "created_at": self.now.isoformat(timespec="seconds"),
            "signature": sign(
                self.key, questionnaire=self.q.id, round_code=self.round, institution=self.code
            ),
        }
        for row, (key, value) in enumerate(values.items(), start=1):
            _text(writable_cell(ws, row, 1), key)
            _text(writable_cell(ws, row, 2), value)

    @staticmethod
    def _protect(ws: Worksheet) -> None:
        ws.protection.sheet = True
        # Let people resize rows and columns to read long texts; everything else stays locked.
        ws.protection.formatRows = False
        ws.protection.formatColumns = False
        ws.protection.selectLockedCells = False
        ws.protection.selectUnlockedCells = False

    @staticmethod
    def _page_setup(ws: Worksheet, *, landscape: bool) -> None:
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = MARGIN_IN


def build_workbook(
    spec: QuestionnaireSpec,
    *,
    institution_code: str,
    institution_name: str,
    round_code: str,
    lang: Lang,
    key: bytes,
    due: date | None = None,
    now: datetime | None = None,
) -> bytes:
    """Build the workbook for one institution and round; returns .xlsx bytes."""
    return WorkbookBuilder(
        spec,
        institution_code=institution_code,
        institution_name=institution_name,
        round_code=round_code,
        lang=lang,
        key=key,
        due=due,
        now=now,
    ).build()
