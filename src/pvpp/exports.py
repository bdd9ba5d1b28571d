"""Excel and CSV exports of a round and of one institution's improvement plan.

Three exports, Latvian by default and English on request:

- :func:`export_round` — a workbook for VARAM: institutions, item scores, services, current
  plan measures, the condition-group heat map, RV6/RV7 needs, degree distributions, the
  median index per table-1 group and an "Informācija" sheet. With ``publish=True`` it is
  the publishable form: aggregates only, groups of fewer than
  :data:`pvpp.national.MIN_GROUP` institutions withheld and no institution named, so the
  per-institution sheets are left out.
- :func:`export_plan` — one institution's plan version: a summary sheet and the measures.
- :func:`export_round_csv` — the item-scores table as CSV.

Text that came from people (institution and service names, evidence, comments, reasons)
must never become a formula:

- Excel: every text cell is written as a string cell (``data_type = "s"``, an inline
  string in the file), never as a formula — openpyxl would otherwise store any text that
  starts with "=" as one. Text that starts like a formula also gets Excel's "quote prefix"
  style, so it stays text even when someone edits the cell later. No cell of an export is
  ever a formula; the tests check every cell.
- CSV (OWASP "CSV Injection"): every text field is quoted, embedded double quotes are
  doubled, and a text whose first character — or first character after leading spaces —
  is one of ``= + - @``, a tab, a carriage return, a line feed or NUL (or the full-width
  ``＝ ＋ － ＠``) gets a leading single quote. Numbers the system computed (degrees, scores,
  targets, gaps, priorities) are not text: they are written unquoted as plain number
  literals (digits, an optional minus sign and one decimal separator, nothing else), so a
  negative number stays a number and can never carry an expression. Text is never written
  unquoted, so a text that merely looks like a number stays text.

CSV dialect: UTF-8 with a byte-order mark (Excel then reads the Latvian letters right),
CRLF line ends, and the spreadsheet conventions of the export's language — Latvian:
semicolon delimiter and decimal comma (what Excel in a Latvian locale expects, so columns
split and numbers stay numbers); English: comma delimiter and decimal point.

Times (last change, generated at) are shown in Riga time; dates are real Excel dates shown
as DD.MM.YYYY.
"""

from __future__ import annotations

import io
import math
import os
import re
import secrets
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session, select

from pvpp.errors import PvppError
from pvpp.national import MIN_GROUP, aggregates
from pvpp.planning.library import Library, load_library
from pvpp.plans import PlanError, context, latest_plan, plan_measures, plan_version
from pvpp.policy import Policy, load_policy
from pvpp.policy.models import Lang
from pvpp.questionnaire import QuestionnaireSpec, load_questionnaire
from pvpp.questionnaire.models import FieldKind, item_field_id, service_field_id
from pvpp.rounds import get_round
from pvpp.scoring import METHOD, ScoreResult, score_answers
from pvpp.store.models import AnswerSet, Assignment, Institution, Plan, PlanMeasure, Round
from pvpp.teams import team_status

LOCAL_TZ = ZoneInfo("Europe/Riga")
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
# First characters that make a spreadsheet read a field as a formula (OWASP, ASVS 1.2.10),
# with the full-width forms some spreadsheet versions fold into them.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\0＝＋－＠")
EXCEL_CELL_LIMIT = 32_767
CSV_DIALECT: dict[Lang, tuple[str, str]] = {"lv": (";", ","), "en": (",", ".")}

# text: one line; long: wrapped; degree: a degree or a non-scoring label, centred.
Kind = Literal["text", "long", "degree", "int", "dec1", "dec2", "date", "datetime"]
NUMBER_FORMATS: dict[str, str] = {
    "int": "0",
    "degree": "0",
    "dec1": "0.0",
    "dec2": "0.00",
    "date": DATE_FORMAT,
    "datetime": DATETIME_FORMAT,
}


class ExportError(PvppError):
    """An export that cannot be made as asked."""


# -- wording --------------------------------------------------------------------------------

WORDS: dict[str, tuple[str, str]] = {
    # sheets (Excel allows at most 31 characters)
    "sheet_institutions": ("Iestādes", "Institutions"),
    "sheet_items": ("Punktu vērtējumi", "Item scores"),
    "sheet_services": ("Pakalpojumi", "Services"),
    "sheet_plans": ("Plānu pasākumi", "Plan measures"),
    "sheet_heat": ("Nosacījumu grupas", "Condition groups"),
    "sheet_needs": ("RV6 un RV7 vajadzības", "RV6 and RV7 needs"),
    "sheet_distribution": ("Pakāpju sadalījums", "Degree distribution"),
    "sheet_groups": ("Indekss pa grupām", "Index by group"),
    "sheet_info": ("Informācija", "Information"),
    "sheet_summary": ("Kopsavilkums", "Summary"),
    "sheet_measures": ("Pasākumi", "Measures"),
    # columns
    "code": ("Iestādes kods", "Institution code"),
    "name": ("Iestāde", "Institution"),
    "group": ("1. tabulas grupa", "Table 1 group"),
    "state": ("Statuss", "State"),
    "index": ("Kopējais indekss (0–100)", "Overall index (0–100)"),
    "overall": ("Kopējais vērtējums (0–4)", "Overall score (0–4)"),
    "component": ("{n}. komponente", "Component {n}"),
    "changed": ("Pēdējās izmaiņas", "Last change"),
    "flags": ("RV1 atzīmes", "RV1 flags"),
    "item": ("Punkts", "Item"),
    "item_name": ("Punkta nosaukums", "Item name"),
    "component_id": ("Komponente", "Component"),
    "score": ("Vērtējums", "Score"),
    "target": ("Mērķa pakāpe", "Target degree"),
    "target_source": ("Mērķa avots", "Target source"),
    "gap": ("Plaisa līdz mērķim", "Gap to target"),
    "priority": ("Prioritāte", "Priority"),
    "evidence": ("Pierādījumi", "Evidence"),
    "comment": ("Komentārs", "Comment"),
    "na_reason": ("Pamatojums “Nav attiecināms”", "Reason for “Not applicable”"),
    "row": ("Rinda", "Row"),
    "service": ("Pakalpojuma nosaukums", "Service name"),
    "service_type": ("Veids", "Type"),
    "catalogue": ("Kataloga ID", "Catalogue ID"),
    "plan_version": ("Plāna versija", "Plan version"),
    "position": ("Nr.", "No."),
    "due": ("Termiņš", "Due date"),
    "period": ("Periods", "Period"),
    "dimension": ("Dimensija", "Dimension"),
    "from_degree": ("No pakāpes", "From degree"),
    "to_degree": ("Līdz pakāpei", "To degree"),
    "measure_id": ("Pasākuma kods", "Measure code"),
    "measure": ("Pasākums", "Measure"),
    "rv5": ("RV5 pasākums", "RV5 measure"),
    "role": ("Atbildīgā loma", "Responsible role"),
    "funding": ("Finansējuma avoti", "Funding sources"),
    "support": ("Atbalsta piedāvājumi", "Support offers"),
    "effort": ("Darbietilpība", "Effort"),
    "measure_status": ("Statuss", "Status"),
    "dropped_reason": ("Atcelšanas pamatojums", "Reason for dropping"),
    "direction": ("Rīcības virziens", "Action direction"),
    "with_gap": ("Iestādes ar plaisu", "Institutions with a gap"),
    "rated": ("Novērtētās iestādes", "Institutions rated"),
    "median_gap": ("Plaisas mediāna", "Median gap"),
    "mean_gap": ("Vidējā plaisa", "Mean gap"),
    "degree_n": ("Pakāpe {n}", "Degree {n}"),
    "unrated": ("Nav novērtēts", "Unrated"),
    "total": ("Kopā", "Total"),
    "institutions": ("Iestāžu skaits", "Institutions"),
    "median_index": ("Indeksa mediāna", "Median index"),
    "field": ("Lauks", "Field"),
    "note": ("Piezīme", "Note"),
    "value": ("Vērtība", "Value"),
    # information sheet
    "round": ("Novērtēšanas kārta", "Assessment round"),
    "opens": ("Kārta atvērta", "Round opened"),
    "round_due": ("Iesniegšanas termiņš", "Return by"),
    "generated": ("Izveidots (Rīgas laiks)", "Generated (Riga time)"),
    "policy": ("Politikas versija", "Policy version"),
    "questionnaire": ("Anketas versija", "Questionnaire version"),
    "method": ("Vērtēšanas metode", "Scoring method"),
    "form": ("Forma", "Form"),
    "form_public": (
        "publicējamā: tikai apkopojumi, grupas ar mazāk nekā {n} iestādēm netiek rādītas, "
        "iestādes netiek nosauktas",
        "publishable: aggregates only, groups of fewer than {n} institutions withheld, "
        "no institution named",
    ),
    "form_internal": (
        "iekšējā: ar iestāžu datiem, tikai VARAM darbam — nepublicēt",
        "internal: with institution data, for VARAM's work only — do not publish",
    ),
    "scored": ("Novērtētās iestādes", "Institutions scored"),
    "assigned": ("Iestādes kārtā", "Institutions in the round"),
    "withheld": (
        "Novērtētas mazāk nekā {n} iestādes: apkopojumi netiek publicēti.",
        "Fewer than {n} institutions scored: aggregates are withheld.",
    ),
    "provisional": ("Piezīme par provizoriskām vērtībām", "Note on provisional values"),
    "provisional_text": (
        "Provizoriskas (projekta izstrādātas, VARAM vēl nav publicējusi): {what}. Kad VARAM "
        "publicēs oficiālās vērtības, vērtējumi, plaisas, prioritātes un plāni var mainīties.",
        "Provisional (designed by the project, not yet published by VARAM): {what}. When "
        "VARAM publishes the official values, scores, gaps, priorities and plans may change.",
    ),
    "prov_target": ("valsts mērķa pakāpe ({n} punktiem)", "national target degree ({n} items)"),
    "prov_weight": ("punktu svars ({n} punktiem)", "item weight ({n} items)"),
    "prov_scale": ("pakāpju skala un pakāpju apraksti", "the degree scale and its descriptors"),
    "prov_component": (
        "komponenšu RV5 sasaiste un pamata komponente",
        "the components' RV5 links and the foundation component",
    ),
    "prov_library": (
        "pasākumu bibliotēkas lomas, atbalsta piedāvājumi un darbietilpība",
        "the measures library's roles, support offers and effort sizes",
    ),
    "how_read": ("Kā lasīt", "How to read"),
    "how_read_text": (
        "Vērtējums ir punkta novērtēto dimensiju vidējā pakāpe (0–4); “Nav attiecināms” un "
        "“Nav zināms” netiek ieskaitīti. Plaisa = mērķa pakāpe − vērtējums. Prioritāte = "
        "plaisa × svars × pamata koeficients (1,5 pirmās komponentes punktiem). Skaitļi "
        "šūnās nav noapaļoti; redzami ar 1–2 decimālzīmēm.",
        "A score is the mean degree (0–4) of the item's rated dimensions; “Not applicable” "
        "and “Unknown” are left out. Gap = target degree − score. Priority = gap × weight × "
        "foundation factor (1.5 for the items of component 1). Cells hold unrounded numbers, "
        "shown with 1–2 decimals.",
    ),
    "legend_components": ("Komponentes", "Components"),
    # plan summary
    "plan_status": ("Plāna statuss", "Plan status"),
    "plan_created": ("Plāns izveidots (Rīgas laiks)", "Plan created (Riga time)"),
    "plan_start": ("Plāna sākums", "Plan starts"),
    "capacity": ("Kapacitāte (cilvēkdienas pusgadā)", "Capacity (person-days per half-year)"),
    "adjusted_from": ("Pielāgots no versijas", "Adjusted from version"),
    "measures_total": ("Pasākumi kopā", "Measures in total"),
    "measures_planned": ("Plānoti", "Planned"),
    "measures_dropped": ("Atcelti", "Dropped"),
    "measures_done": ("Izpildīti", "Done"),
    "by_period": ("Plānotie pasākumi pa periodiem", "Planned measures by period"),
    "target_own": ("iestādes", "institution's"),
    "target_national": ("valsts", "national"),
}

STATES: dict[str, tuple[str, str]] = {
    "invited": ("uzaicināta", "invited"),
    "in_progress": ("aizpilda", "in progress"),
    "submitted": ("iesniegta", "submitted"),
    "accepted": ("pieņemta", "accepted"),
    "returned": ("atgriezta labošanai", "returned"),
    "planned": ("plāns sagatavots", "planned"),
    "plan_sent": ("plāns nosūtīts", "plan sent"),
    "in_follow_up": ("uzraudzībā", "in follow-up"),
}
MEASURE_STATES: dict[str, tuple[str, str]] = {
    "planned": ("plānots", "planned"),
    "dropped": ("atcelts", "dropped"),
    "done": ("izpildīts", "done"),
}
PLAN_STATES: dict[str, tuple[str, str]] = {
    "draft": ("melnraksts", "draft"),
    "agreed": ("saskaņots", "agreed"),
    "sent": ("nosūtīts", "sent"),
}
FLAGS: dict[str, tuple[str, str]] = {
    "no_team": ("nav komandas", "no team"),
    "no_lead": ("nav komandas vadītāja", "no team lead"),
}


def _w(key: str, lang: Lang, **params: object) -> str:
    lv, en = WORDS[key]
    text = lv if lang == "lv" else en
    return text.format(**params) if params else text


def _pick(table: dict[str, tuple[str, str]], key: str, lang: Lang) -> str:
    pair = table.get(key)
    return key if pair is None else pair[0 if lang == "lv" else 1]


def _flag(flag: str, lang: Lang) -> str:
    if flag.startswith("no_training_"):
        training = flag.removeprefix("no_training_")
        return (
            f"nav apmeklēta apmācība {training}"
            if lang == "lv"
            else f"{training} training not attended"
        )
    return _pick(FLAGS, flag, lang)


def _check_lang(lang: str) -> Lang:
    if lang not in ("lv", "en"):
        raise ExportError(f"language must be lv or en, not {lang!r}")
    return lang  # type: ignore[return-value]


# -- cells and tables -----------------------------------------------------------------------

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
HEADER_BORDER = Border(bottom=Side(style="thin", color="7F8FA6"))
HEADER_ALIGN = Alignment(wrap_text=True, vertical="top")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
CENTRED = Alignment(horizontal="center", vertical="top", wrap_text=True)
ALIGN: dict[str, Alignment] = {"long": WRAP, "degree": CENTRED}


@dataclass(frozen=True)
class Column:
    """A column of an exported table: its header in both languages and how values look."""

    lv: str
    en: str
    kind: Kind = "text"
    width: float | None = None

    def header(self, lang: Lang) -> str:
        return self.lv if lang == "lv" else self.en


def _col(key: str, kind: Kind = "text", width: float | None = None, **params: object) -> Column:
    return Column(_w(key, "lv", **params), _w(key, "en", **params), kind, width)


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (first or first non-blank char)."""
    if not text:
        return False
    stripped = text.lstrip(" ")
    return text[0] in FORMULA_TRIGGERS or (bool(stripped) and stripped[0] in FORMULA_TRIGGERS)


def _clean_text(text: str) -> str:
    """Text Excel can hold: characters XML forbids replaced, at most one cell's length."""
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return text[:EXCEL_CELL_LIMIT]


def _local(value: datetime) -> datetime:
    """A stored time (UTC) as naive Riga time, which is what Excel can hold."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None)


def put(cell: Cell, value: Any, kind: Kind = "text") -> None:
    """Write ``value`` into ``cell``: text always as a string cell, never as a formula."""
    if value is None:
        return
    cell.alignment = ALIGN.get(kind, TOP)
    if isinstance(value, str):
        text = _clean_text(value)
        cell.value = text
        cell.data_type = "s"  # openpyxl made any text starting with "=" a formula
        if looks_like_formula(text):
            cell.quotePrefix = True  # stays text even when edited in Excel later
        return
    if isinstance(value, bool):
        raise TypeError("booleans are not exported; give a text")
    if isinstance(value, datetime):
        cell.value = _local(value)
        cell.number_format = DATETIME_FORMAT
        return
    if isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
        return
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return
        cell.value = value
        fmt = NUMBER_FORMATS.get(kind) if kind not in ("date", "datetime") else None
        cell.number_format = fmt or ("0.00" if isinstance(value, float) else "0")
        return
    raise TypeError(f"cannot export a {type(value).__name__}")


def _display_len(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return 7
    return max((len(line) for line in str(value).splitlines()), default=0)


def _set_widths(
    ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[Any]], lang: Lang
) -> None:
    """Fixed widths where a column gives one, else fitted to the first rows' content."""
    for n, column in enumerate(columns, start=1):
        width = column.width
        if width is None:
            longest = max((_display_len(r[n - 1]) for r in rows[:500]), default=0)
            cap = 60 if column.kind == "long" else 45
            width = min(max(longest, len(column.header(lang)), 6) + 2, cap)
        ws.column_dimensions[get_column_letter(n)].width = width


LINE_HEIGHT = 15.0  # points per line of the default 11 pt font
MAX_ROW_HEIGHT = 409.0  # Excel's limit


def _lines(text: str, width: float, *, factor: float = 1.1) -> int:
    """Lines ``text`` takes when wrapped at word breaks in a column ``width`` wide (an
    estimate: a width unit holds about one character of the default font)."""
    per_line = max(int(width * factor) - 1, 1)
    return sum(max(len(textwrap.wrap(part, per_line)), 1) for part in text.split("\n"))


def _set_heights(
    ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[Any]], *, first_row: int
) -> None:
    """Row heights for wrapped text: spreadsheets do not all re-fit rows when opening."""
    wrapped = [
        (n, column.width or ws.column_dimensions[get_column_letter(n + 1)].width)
        for n, column in enumerate(columns)
        if column.kind in ALIGN
    ]
    if not wrapped:
        return
    for r, row in enumerate(rows, start=first_row):
        lines = max(
            (_lines(row[n], width) for n, width in wrapped if isinstance(row[n], str)),
            default=1,
        )
        if lines > 1:
            ws.row_dimensions[r].height = min(lines * LINE_HEIGHT, MAX_ROW_HEIGHT)


def write_table(
    ws: Worksheet,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    lang: Lang,
    *,
    freeze_cols: int = 0,
) -> None:
    """A table from A1: bold frozen header row, auto-filter, widths, formats, wrapping."""
    for n, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=n)
        put(cell, column.header(lang))
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = HEADER_ALIGN
    for r, row in enumerate(rows, start=2):
        for n, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = ws.cell(row=r, column=n)
            put(cell, value, column.kind)
    ws.freeze_panes = ws.cell(row=2, column=freeze_cols + 1)
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
    _set_widths(ws, columns, rows, lang)
    _set_heights(ws, columns, rows, first_row=2)
    header_lines = max(  # bold letters are wider
        _lines(c.header(lang), ws.column_dimensions[get_column_letter(n)].width, factor=0.95)
        for n, c in enumerate(columns, start=1)
    )
    if header_lines > 1:
        ws.row_dimensions[1].height = header_lines * LINE_HEIGHT
    _print_setup(ws, landscape=len(columns) > 6)


Pair = tuple[str, Any] | tuple[str, Any, Kind]


def write_pairs(
    ws: Worksheet, pairs: Sequence[Pair], lang: Lang, *, widths: tuple[float, float] = (42, 90)
) -> None:
    """A two-column sheet of labelled values (labels bold); a pair may name its value's kind."""
    columns = [_col("field", width=widths[0]), _col("value", "long", width=widths[1])]
    for n, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=n)
        put(cell, column.header(lang))
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        ws.column_dimensions[get_column_letter(n)].width = column.width
    for r, pair in enumerate(pairs, start=2):
        label, value = pair[0], pair[1]
        kind: Kind = pair[2] if len(pair) == 3 else _kind_of(value)  # type: ignore[misc]
        head = ws.cell(row=r, column=1)
        put(head, label)
        head.font = BOLD
        head.alignment = WRAP
        cell = ws.cell(row=r, column=2)
        put(cell, value, kind)
        cell.alignment = WRAP if kind == "long" else Alignment(horizontal="left", vertical="top")
        lines = max(
            _lines(label, widths[0]),
            _lines(value, widths[1]) if isinstance(value, str) else 1,
        )
        if lines > 1:
            ws.row_dimensions[r].height = min(lines * LINE_HEIGHT, MAX_ROW_HEIGHT)
    ws.freeze_panes = "A2"
    _print_setup(ws, landscape=False)


def _print_setup(ws: Worksheet, *, landscape: bool) -> None:
    """Printed: A4, one page wide, the header row repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _kind_of(value: Any) -> Kind:
    if isinstance(value, str):
        return "long"
    if isinstance(value, float):
        return "dec2"
    if isinstance(value, int) and not isinstance(value, bool):
        return "int"
    return "text"


def _new_sheet(wb: Workbook, title: str) -> Worksheet:
    ws = wb.create_sheet(title=title[:31])
    return ws


def _save(wb: Workbook, path: Path) -> Path:
    """Save atomically: a reader never sees a half-written file."""
    path = Path(path)
    buffer = io.BytesIO()
    wb.save(buffer)
    _write_atomic(path, buffer.getvalue())
    return path


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    # os.open applies the umask, so the export gets ordinary file permissions.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _workbook(title: str, lang: Lang) -> Workbook:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    wb.properties.title = title
    wb.properties.creator = "pvpp"
    wb.properties.language = "lv-LV" if lang == "lv" else "en-GB"
    return wb


# -- round data -----------------------------------------------------------------------------


@dataclass
class Scored:
    """A scored institution of a round: its current answers and their scores."""

    institution: Institution
    assignment: Assignment
    answers: dict[str, Any]
    result: ScoreResult


@dataclass
class RoundData:
    """Everything an export of a round reads, loaded once."""

    round: Round
    policy: Policy
    spec: QuestionnaireSpec
    library: Library
    institutions: dict[int, Institution]
    assignments: list[Assignment]
    scored: list[Scored]
    plans: dict[int, tuple[Plan, list[PlanMeasure]]] = field(default_factory=dict)
    flags: dict[int, list[str]] = field(default_factory=dict)


def load_round(session: Session, round_code: str, *, internal: bool = True) -> RoundData:
    """The round with its assignments (by institution code), current answers and scores;
    ``internal`` adds each assignment's current plan and its institution's RV1 flags."""
    rnd = get_round(session, round_code)
    policy = load_policy(rnd.policy_version)
    spec = load_questionnaire(rnd.questionnaire_version)
    library = load_library(rnd.policy_version)
    institutions = {i.id: i for i in session.exec(select(Institution)).all()}  # type: ignore[misc]
    assignments = sorted(
        session.exec(select(Assignment).where(Assignment.round_id == rnd.id)).all(),
        key=lambda a: institutions[a.institution_id].code,
    )
    current: dict[int, AnswerSet] = {}
    for answer_set in session.exec(
        select(AnswerSet)
        .join(Assignment, AnswerSet.assignment_id == Assignment.id)  # type: ignore[arg-type]
        .where(Assignment.round_id == rnd.id)
        .order_by(AnswerSet.id)  # type: ignore[arg-type]
    ).all():
        current[answer_set.assignment_id] = answer_set  # the newest wins
    scored = [
        Scored(
            institutions[a.institution_id],
            a,
            current[a.id].answers,  # type: ignore[index]
            score_answers(policy, current[a.id].answers),  # type: ignore[index]
        )
        for a in assignments
        if a.id in current
    ]
    data = RoundData(rnd, policy, spec, library, institutions, list(assignments), scored)
    if internal:
        for a in assignments:
            plan = latest_plan(session, a)
            if plan is not None:
                data.plans[a.id] = (plan, plan_measures(session, plan))  # type: ignore[index]
            # RV1 flags as of now: they change as teams are set up.
            data.flags[a.id] = team_status(session, institutions[a.institution_id]).flags()  # type: ignore[index]
    return data


def _non_scoring(spec: QuestionnaireSpec, lang: Lang) -> dict[str, str]:
    return {o.code: o.label.get(lang) for o in spec.questionnaire.non_scoring}


def _degree(value: Any, labels: dict[str, str]) -> int | str | None:
    """A degree as a number; a non-scoring answer by its label; nothing when unanswered."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return labels.get(str(value), str(value))


def _group_name(policy: Policy, group_id: str, lang: Lang) -> str:
    for g in policy.institution_groups:
        if g.id == group_id:
            return f"{g.number}. {g.name.get(lang)}"
    return group_id


def _text(answers: dict[str, Any], key: str) -> str | None:
    value = answers.get(key)
    return None if value is None else str(value)


def item_columns(policy: Policy) -> list[Column]:
    """Columns of the item-scores table (the Excel sheet and the CSV)."""
    # Wrapped: a non-scoring answer shows its label ("Nav attiecināms") on two lines.
    dims = [Column(d.id, d.id, "degree", 12) for d in policy.dimensions]
    return [
        _col("code", width=14),
        _col("name", width=36),
        _col("component_id", width=12),
        _col("item", width=8),
        _col("item_name", "long", 34),
        *dims,
        _col("score", "dec2", 11),
        _col("target", "int", 10),
        _col("target_source", width=12),
        _col("gap", "dec2", 11),
        _col("priority", "dec2", 11),
        _col("evidence", "long", 50),
        _col("comment", "long", 40),
        _col("na_reason", "long", 30),
    ]


def item_rows(data: RoundData, lang: Lang) -> list[list[Any]]:
    """One row per scored institution and item, in policy order."""
    labels = _non_scoring(data.spec, lang)
    dims = [d.id for d in data.policy.dimensions]
    rows = []
    for s in data.scored:
        for item in data.policy.items:
            score = s.result.items[item.id]
            rows.append(
                [
                    s.institution.code,
                    s.institution.name,
                    score.component,
                    item.id,
                    item.name.get(lang),
                    *[_degree(score.degrees.get(d), labels) for d in dims],
                    score.score,
                    score.target,
                    _w("target_own" if score.own_target is not None else "target_national", lang),
                    score.gap,
                    score.priority,
                    _text(s.answers, item_field_id(FieldKind.EVIDENCE, item.id)),
                    _text(s.answers, item_field_id(FieldKind.COMMENT, item.id)),
                    _text(s.answers, item_field_id(FieldKind.NA_REASON, item.id)),
                ]
            )
    return rows


def _institution_sheet(wb: Workbook, data: RoundData, lang: Lang) -> int:
    by_assignment = {s.assignment.id: s for s in data.scored}
    columns = [
        _col("code", width=14),
        _col("name", "long", 40),
        _col("group", "long", 34),
        _col("state", width=20),
        _col("index", "dec1", 14),
        _col("overall", "dec2", 14),
        *[_col("component", "dec2", 14, n=c.number) for c in data.policy.components],
        _col("changed", "datetime", 18),
        _col("flags", "long", 36),
    ]
    rows = []
    for a in data.assignments:
        inst = data.institutions[a.institution_id]
        s = by_assignment.get(a.id)
        comps = [s.result.components[c.id].score if s else None for c in data.policy.components]
        rows.append(
            [
                inst.code,
                inst.name,
                _group_name(data.policy, inst.group_id, lang),
                _pick(STATES, a.state, lang),
                s.result.index if s else None,
                s.result.overall if s else None,
                *comps,
                a.updated_at,
                "; ".join(_flag(f, lang) for f in data.flags.get(a.id, [])) or None,  # type: ignore[arg-type]
            ]
        )
    ws = _new_sheet(wb, _w("sheet_institutions", lang))
    write_table(ws, columns, rows, lang, freeze_cols=2)
    return len(rows)


def _items_sheet(wb: Workbook, data: RoundData, lang: Lang) -> int:
    rows = item_rows(data, lang)
    ws = _new_sheet(wb, _w("sheet_items", lang))
    write_table(ws, item_columns(data.policy), rows, lang, freeze_cols=5)
    return len(rows)


def _services_sheet(wb: Workbook, data: RoundData, lang: Lang) -> int:
    groups = data.spec.condition_groups
    conformity = {o.code: o.label.get(lang) for o in data.spec.questionnaire.conformity}
    conformity |= _non_scoring(data.spec, lang)
    types = {st.id: data.spec.service_type_label(st.id, lang) for st in data.policy.service_types}
    columns = [
        _col("code", width=14),
        _col("name", width=36),
        _col("row", "int", 7),
        _col("service", "long", 40),
        _col("service_type", width=30),
        _col("catalogue", width=14),
        *[Column(g, g, "text", 14) for g in groups],
    ]
    rows = []
    for s in data.scored:
        for row in range(1, data.spec.questionnaire.service_rows + 1):
            name = _text(s.answers, service_field_id(row, "NAME"))
            if name is None:
                continue
            kind = s.answers.get(service_field_id(row, "TYPE"))
            rows.append(
                [
                    s.institution.code,
                    s.institution.name,
                    row,
                    name,
                    types.get(kind, kind) if kind else None,
                    _text(s.answers, service_field_id(row, "CATALOGUE")),
                    *[
                        conformity.get(v, v)
                        if (v := s.answers.get(service_field_id(row, g)))
                        else None
                        for g in groups
                    ],
                ]
            )
    ws = _new_sheet(wb, _w("sheet_services", lang))
    write_table(ws, columns, rows, lang, freeze_cols=4)
    return len(rows)


def measure_columns(prefix: bool) -> list[Column]:
    """Columns of a plan-measures table; ``prefix`` adds the institution and plan version."""
    head = [_col("code", width=14), _col("name", width=32), _col("plan_version", "int", 9)]
    return [
        *(head if prefix else []),
        _col("position", "int", 6),
        _col("due", "date", 12),
        _col("period", width=11),
        _col("item", width=8),
        _col("item_name", "long", 30),
        _col("dimension", width=24),
        _col("from_degree", "int", 9),
        _col("to_degree", "int", 9),
        _col("measure_id", width=14),
        _col("measure", "long", 50),
        _col("rv5", width=10),
        _col("role", "long", 28),
        _col("funding", "long", 45),
        _col("support", "long", 45),
        _col("effort", width=30),
        _col("priority", "dec2", 10),
        _col("measure_status", width=12),
        _col("dropped_reason", "long", 36),
    ]


def measure_rows(
    policy: Policy, library: Library, measures: Iterable[PlanMeasure], lang: Lang
) -> list[list[Any]]:
    """The measures of a plan version, as the plan tables show them."""
    funding = {f.id: f"{f.id}: {f.name.get(lang)}" for f in policy.funding_sources}
    dims = {d.id: f"{d.id} {d.name.get(lang)}" for d in policy.dimensions}
    efforts = {e.id: e.name.get(lang) for e in library.common.effort}
    rows = []
    for m in measures:
        measure = library.by_id.get(m.measure_id)
        role = library.roles.get(m.role)
        rows.append(
            [
                m.position,
                m.due_on,
                m.period,
                m.item_id,
                policy.item(m.item_id).name.get(lang),
                dims.get(m.dimension_id, m.dimension_id),
                m.from_degree,
                m.to_degree,
                m.measure_id,
                measure.title.get(lang) if measure else None,
                m.rv5_measure,
                role.name.get(lang) if role else m.role,
                "\n".join(funding.get(f, f) for f in m.funding) or None,
                "\n".join(
                    library.support[s].name.get(lang) if s in library.support else s
                    for s in m.support
                )
                or None,
                f"{m.effort} — {efforts[m.effort]}" if m.effort in efforts else m.effort,
                m.priority,
                _pick(MEASURE_STATES, m.status, lang),
                m.dropped_reason or None,
            ]
        )
    return rows


def _plans_sheet(wb: Workbook, data: RoundData, lang: Lang) -> int:
    rows = []
    for a in data.assignments:
        if a.id not in data.plans:
            continue
        inst = data.institutions[a.institution_id]
        plan, measures = data.plans[a.id]  # type: ignore[index]
        for row in measure_rows(data.policy, data.library, measures, lang):
            rows.append([inst.code, inst.name, plan.version, *row])
    ws = _new_sheet(wb, _w("sheet_plans", lang))
    write_table(ws, measure_columns(prefix=True), rows, lang, freeze_cols=2)
    return len(rows)


def _heat_sheet(wb: Workbook, data: RoundData, view: dict[str, Any], lang: Lang) -> int:
    heat: dict[str, dict[str, float | None]] = view.get("institutions_by_condition_group", {})
    groups = data.spec.condition_groups
    names = {s.institution.code: s.institution.name for s in data.scored}
    columns = [
        _col("code", width=14),
        _col("name", width=36),
        *[
            Column(
                f"{g} {data.policy.item(g).name.lv}",
                f"{g} {data.policy.item(g).name.en}",
                "dec2",
                14,
            )
            for g in groups
        ],
    ]
    rows = [
        [code, names.get(code), *[scores.get(g) for g in groups]] for code, scores in heat.items()
    ]
    ws = _new_sheet(wb, _w("sheet_heat", lang))
    write_table(ws, columns, rows, lang, freeze_cols=2)
    if rows:
        last = get_column_letter(2 + len(groups))
        ws.conditional_formatting.add(
            f"C2:{last}{len(rows) + 1}",
            ColorScaleRule(
                start_type="num",
                start_value=data.policy.degree_scale.min,
                start_color="F8696B",
                mid_type="num",
                mid_value=(data.policy.degree_scale.min + data.policy.degree_scale.max) / 2,
                mid_color="FFEB84",
                end_type="num",
                end_value=data.policy.degree_scale.max,
                end_color="63BE7B",
            ),
        )
    return len(rows)


def _aggregate_sheets(wb: Workbook, data: RoundData, view: dict[str, Any], lang: Lang) -> dict:
    counts: dict[str, int] = {}
    policy = data.policy
    needs_columns = [
        _col("direction", width=12),
        _col("item", width=8),
        _col("item_name", width=34),
        _col("with_gap", "int", 14),
        _col("rated", "int", 14),
        _col("median_gap", "dec2", 12),
        _col("mean_gap", "dec2", 12),
    ]
    needs_rows = [
        [
            direction,
            n["item"],
            policy.item(n["item"]).name.get(lang),
            n["institutions_with_gap"],
            n["institutions_rated"],
            n["median_gap"],
            n["mean_gap"],
        ]
        for direction, key in (("RV6", "rv6_needs"), ("RV7", "rv7_needs"))
        for n in view[key]
    ]
    ws = _new_sheet(wb, _w("sheet_needs", lang))
    write_table(ws, needs_columns, needs_rows, lang, freeze_cols=2)
    counts[ws.title] = len(needs_rows)

    values = [str(v) for v in policy.degree_scale.values]
    dist_columns = [
        _col("item", width=8),
        _col("item_name", width=34),
        *[_col("degree_n", "int", 10, n=v) for v in values],
        _col("unrated", "int", 12),
        _col("total", "int", 9),
    ]
    dist_rows = []
    for item in policy.items:
        dist = view["degree_distribution"][item.id]
        dist_rows.append(
            [
                item.id,
                item.name.get(lang),
                *[dist.get(v, 0) for v in values],
                dist.get("unrated", 0),
                sum(dist.values()),
            ]
        )
    ws = _new_sheet(wb, _w("sheet_distribution", lang))
    write_table(ws, dist_columns, dist_rows, lang, freeze_cols=2)
    counts[ws.title] = len(dist_rows)

    group_columns = [
        _col("group", width=44),
        _col("institutions", "int", 14),
        _col("median_index", "dec1", 14),
    ]
    group_rows = [
        [_group_name(policy, g, lang), v["institutions"], v["median_index"]]
        for g, v in view["index_by_group"].items()
    ]
    ws = _new_sheet(wb, _w("sheet_groups", lang))
    write_table(ws, group_columns, group_rows, lang)
    counts[ws.title] = len(group_rows)
    return counts


def provisional_note(policy: Policy, library: Library | None, lang: Lang) -> str | None:
    """Which figures rest on designed values, from the policy's own ``provisional`` lists."""
    items = policy.items
    parts = []
    if n := sum("national_target" in i.provisional for i in items):
        parts.append(_w("prov_target", lang, n=n))
    if n := sum("weight" in i.provisional for i in items):
        parts.append(_w("prov_weight", lang, n=n))
    if policy.degree_scale.provisional or any(d.provisional for d in policy.dimensions):
        parts.append(_w("prov_scale", lang))
    if any(c.provisional for c in policy.components):
        parts.append(_w("prov_component", lang))
    if library is not None and library.common.provisional:
        parts.append(_w("prov_library", lang))
    return _w("provisional_text", lang, what="; ".join(parts)) if parts else None


def _info_pairs(
    data: RoundData, lang: Lang, generated_at: datetime, extra: list[Pair]
) -> list[Pair]:
    rnd = data.round
    pairs: list[Pair] = [
        (_w("round", lang), rnd.code),
        (_w("opens", lang), rnd.opens_on),
        (_w("round_due", lang), rnd.due_on),
        (_w("generated", lang), generated_at),
        (_w("policy", lang), rnd.policy_version),
        (_w("questionnaire", lang), rnd.questionnaire_version),
        (_w("method", lang), METHOD),
        *extra,
    ]
    note = provisional_note(data.policy, data.library, lang)
    if note:
        pairs.append((_w("provisional", lang), note))
    pairs.append((_w("how_read", lang), _w("how_read_text", lang)))
    pairs.append(
        (
            _w("legend_components", lang),
            "\n".join(
                f"{_w('component', lang, n=c.number)} ({c.id}): {c.name.get(lang)}"
                for c in data.policy.components
            ),
        )
    )
    return pairs


@dataclass
class ExportSummary:
    """Where an export went and how many rows each sheet (or the CSV) holds."""

    path: Path
    rows: dict[str, int]


def export_round(
    session: Session,
    round_code: str,
    path: Path | str,
    *,
    lang: str = "lv",
    publish: bool = False,
    generated_at: datetime | None = None,
) -> ExportSummary:
    """Write the round's workbook to ``path`` (see the module docstring for the sheets).

    ``publish`` makes the publishable form: only aggregates, with groups of fewer than
    :data:`pvpp.national.MIN_GROUP` institutions withheld and no institution named.
    """
    language = _check_lang(lang)
    generated_at = generated_at or datetime.now(UTC)
    data = load_round(session, round_code, internal=not publish)
    view = aggregates(session, round_code, publish=publish)
    wb = _workbook(f"PVPP2027 — {data.round.code}", language)
    rows: dict[str, int] = {}
    if not publish:
        rows[_w("sheet_institutions", language)] = _institution_sheet(wb, data, language)
        rows[_w("sheet_items", language)] = _items_sheet(wb, data, language)
        rows[_w("sheet_services", language)] = _services_sheet(wb, data, language)
        rows[_w("sheet_plans", language)] = _plans_sheet(wb, data, language)
        rows[_w("sheet_heat", language)] = _heat_sheet(wb, data, view, language)
    if not view["suppressed"]:
        rows |= _aggregate_sheets(wb, data, view, language)
    extra: list[Pair] = [
        (
            _w("form", language),
            _w("form_public" if publish else "form_internal", language, n=MIN_GROUP),
        ),
        (_w("scored", language), view["institutions_scored"]),
    ]
    if not publish:
        extra.append((_w("assigned", language), len(data.assignments)))
    if view["suppressed"]:
        extra.append((_w("note", language), _w("withheld", language, n=MIN_GROUP)))
    ws = _new_sheet(wb, _w("sheet_info", language))
    write_pairs(ws, _info_pairs(data, language, generated_at, extra), language)
    wb.active = 0
    return ExportSummary(_save(wb, Path(path)), rows)


# -- one institution's plan -----------------------------------------------------------------


def export_plan(
    session: Session,
    round_code: str,
    institution: str,
    path: Path | str,
    *,
    lang: str = "lv",
    version: int | None = None,
    generated_at: datetime | None = None,
) -> ExportSummary:
    """Write one institution's plan version (default: the newest) as a workbook."""
    language = _check_lang(lang)
    generated_at = generated_at or datetime.now(UTC)
    ctx = context(session, round_code, institution)
    plan = plan_version(session, ctx.assignment, version)
    if plan is None:
        raise PlanError(
            f"{institution} has no plan version {version} in round {round_code}"
            if version is not None
            else f"{institution} has no plan in round {round_code} yet: run `pvpp plan build`"
        )
    rnd = ctx.round
    policy = load_policy(rnd.policy_version)
    library = load_library(rnd.policy_version)
    spec = load_questionnaire(rnd.questionnaire_version)
    answer_set = session.get(AnswerSet, plan.answer_set_id)
    result = score_answers(policy, answer_set.answers) if answer_set else None
    measures = plan_measures(session, plan)
    adjustments = plan.adjustments or {}

    states = Counter(m.status for m in measures)
    by_period = Counter(m.period for m in measures if m.status != "dropped")
    pairs: list[Pair] = [
        (_w("name", language), ctx.institution.name),
        (_w("code", language), ctx.institution.code),
        (_w("round", language), rnd.code),
        (_w("plan_version", language), plan.version),
        (_w("plan_status", language), _pick(PLAN_STATES, plan.status, language)),
        (_w("plan_created", language), plan.created_at),
    ]
    if "start" in adjustments:
        pairs.append((_w("plan_start", language), date.fromisoformat(adjustments["start"])))
    if "capacity_days" in adjustments:
        pairs.append((_w("capacity", language), int(adjustments["capacity_days"])))
    if "from_version" in adjustments:
        pairs.append((_w("adjusted_from", language), int(adjustments["from_version"])))
    if result is not None:
        pairs.append((_w("index", language), result.index, "dec1"))
        pairs.append((_w("overall", language), result.overall))
        for c in policy.components:
            label = f"{_w('component', language, n=c.number)}: {c.name.get(language)}"
            pairs.append((label, result.components[c.id].score))
    pairs += [
        (_w("measures_total", language), len(measures)),
        (_w("measures_planned", language), states.get("planned", 0)),
        (_w("measures_dropped", language), states.get("dropped", 0)),
        (_w("measures_done", language), states.get("done", 0)),
        (_w("by_period", language), None),
        *[(f"  {p}", n) for p, n in sorted(by_period.items())],
    ]

    wb = _workbook(f"PVPP2027 — {ctx.institution.code} — {rnd.code}", language)
    rows: dict[str, int] = {}
    ws = _new_sheet(wb, _w("sheet_summary", language))
    write_pairs(ws, pairs, language, widths=(52, 60))
    rows[ws.title] = len(pairs)

    ws = _new_sheet(wb, _w("sheet_measures", language))
    table = measure_rows(policy, library, measures, language)
    write_table(ws, measure_columns(prefix=False), table, language, freeze_cols=3)
    rows[ws.title] = len(table)

    data = RoundData(rnd, policy, spec, library, {}, [], [])
    ws = _new_sheet(wb, _w("sheet_info", language))
    write_pairs(ws, _info_pairs(data, language, generated_at, []), language)
    rows[ws.title] = ws.max_row - 1
    wb.active = 0
    return ExportSummary(_save(wb, Path(path)), rows)


# -- CSV ------------------------------------------------------------------------------------


def csv_text(value: str) -> str:
    """A text field as OWASP asks: a leading quote when it could start a formula, then quoted."""
    if looks_like_formula(value):
        value = "'" + value
    return '"' + value.replace('"', '""') + '"'


_NUMBER = re.compile(r"^-?[0-9]+([.,][0-9]+)?$")


def csv_number(value: int | float, decimal: str, places: int = 2) -> str:
    """A computed number as a bare literal (never quoted, never an expression)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int):
        text = str(value)
    elif not math.isfinite(value):
        return ""
    else:
        text = f"{value:.{places}f}"
        if text.startswith("-") and float(text) == 0:
            text = text[1:]
        text = text.replace(".", decimal)
    assert _NUMBER.match(text), text  # digits, one separator, a minus sign: nothing else
    return text


def csv_field(value: Any, decimal: str) -> str:
    """One CSV field: text escaped and quoted, numbers bare, nothing as an empty field."""
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return csv_number(value, decimal)
    if isinstance(value, date):
        return csv_text(value.isoformat())
    raise TypeError(f"cannot export a {type(value).__name__}")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], lang: Lang) -> bytes:
    """UTF-8 with BOM, CRLF, the language's delimiter and decimal separator; header quoted."""
    delimiter, decimal = CSV_DIALECT[lang]
    lines = [delimiter.join(csv_text(h) for h in header)]
    lines += [delimiter.join(csv_field(v, decimal) for v in row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def export_round_csv(
    session: Session, round_code: str, path: Path | str, *, lang: str = "lv"
) -> ExportSummary:
    """Write the item-scores table of a round as CSV (dialect: see the module docstring)."""
    language = _check_lang(lang)
    data = load_round(session, round_code, internal=False)
    columns = item_columns(data.policy)
    rows = item_rows(data, language)
    blob = csv_bytes([c.header(language) for c in columns], rows, language)
    target = Path(path)
    _write_atomic(target, blob)
    return ExportSummary(target, {target.name: len(rows)})


__all__ = [
    "CSV_DIALECT",
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "FORMULA_TRIGGERS",
    "Column",
    "ExportError",
    "ExportSummary",
    "csv_bytes",
    "csv_field",
    "csv_number",
    "csv_text",
    "export_plan",
    "export_round",
    "export_round_csv",
    "load_round",
    "looks_like_formula",
    "put",
    "write_pairs",
    "write_table",
]
