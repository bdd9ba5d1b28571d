"""How an export reaches a file: workbook sheets and CSV text, written so that no text from
people ever becomes a formula, and saved with one atomic write."""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from pvpp.errors import PvppError
from pvpp.files import write_atomic
from pvpp.i18n import number, t
from pvpp.policy.models import LANGS, Lang
from pvpp.xlsx import active_sheet, writable_cell

# Times (last change, generated at) are shown in Riga time; dates are real Excel dates.
LOCAL_TZ = ZoneInfo("Europe/Riga")
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
# First characters that make a spreadsheet read a field as a formula (OWASP, ASVS 1.2.10),
# with the full-width forms some spreadsheet versions fold into them.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\0＝＋－＠")
# What csv_text puts before such a field (OWASP "CSV Injection").
QUOTE_PREFIX = "'"
EXCEL_CELL_LIMIT = 32_767
# Each language's CSV: field delimiter and decimal separator (the one Babel writes).
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


def check_lang(lang: str) -> Lang:
    """``lang`` as a language the exports are written in, or an :class:`ExportError`."""
    if lang not in LANGS:
        raise ExportError(f"language must be lv or en, not {lang!r}")
    return lang


@dataclass
class ExportSummary:
    """Where an export went and how many rows each sheet (or the CSV) holds."""

    path: Path
    rows: dict[str, int]


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
    """A column of an exported table: what heads it and how its values look.

    ``key`` names the header's text in the catalogue (``exports.column.*``, see
    :mod:`pvpp.i18n`), made in the export's language with ``values`` filled in. A column
    headed by a code of the policy or the questionnaire (a dimension "D1", a condition
    group "K1"), which reads the same in every language, has no key and carries the code
    as ``label``.
    """

    key: str | None
    kind: Kind = "text"
    width: float | None = None
    values: tuple[tuple[str, object], ...] = ()
    label: str | None = None

    def __post_init__(self) -> None:
        if (self.key is None) == (self.label is None):
            raise ValueError("a column is headed by a catalogue key or by a code: one of them")

    def header(self, lang: Lang) -> str:
        """The header in ``lang``."""
        if self.key is not None:
            return t(self.key, lang, None, **dict(self.values))  # a header counts nothing
        assert self.label is not None  # a column without a key has a label (__post_init__)
        return self.label


#: The formats a table download is written in.
FORMATS = (".xlsx", ".csv")


def download_suffix(suffix: str, table: str | None, tables: Sequence[str]) -> str:
    """``suffix`` in lower case, once it is a download's format and ``table`` (when given)
    one of ``tables``; otherwise an :class:`ExportError` saying what is allowed."""
    suffix = suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"the export is written as .xlsx or .csv, not {suffix!r}")
    if table is not None and table not in tables:
        raise ExportError(f"table must be one of {', '.join(tables)}, not {table!r}")
    return suffix


def col(key: str, kind: Kind = "text", width: float | None = None, **values: object) -> Column:
    """A column headed by the catalogue text ``key`` (e.g. ``"exports.column.code"``),
    with ``values`` for its placeholders."""
    return Column(key, kind, width, tuple(values.items()))


def code_col(code: str, kind: Kind = "text", width: float | None = None) -> Column:
    """A column headed by ``code`` (a dimension, a condition group) in every language."""
    return Column(None, kind, width, label=code)


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
    """Write ``value`` into ``cell``: text always as a string cell, never as a formula.

    Text is written as a string cell (``data_type = "s"``, an inline string in the file):
    openpyxl would otherwise store any text that starts with "=" as a formula. Text that
    starts like a formula also gets Excel's "quote prefix" style, so it stays text even when
    someone edits the cell later. Datetimes are shown in Riga time, dates as DD.MM.YYYY.
    """
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
        _fit_row(ws, r, lines)


def _header_row(ws: Worksheet, columns: Sequence[Column], lang: Lang, alignment: Alignment) -> None:
    """Row 1: the columns' headers, bold on a tinted fill with a rule below."""
    for n, column in enumerate(columns, start=1):
        cell = writable_cell(ws, 1, n)
        put(cell, column.header(lang))
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = alignment


def _fit_row(ws: Worksheet, row: int, lines: int) -> None:
    """A row tall enough for ``lines`` lines of wrapped text, within Excel's limit."""
    if lines > 1:
        ws.row_dimensions[row].height = min(lines * LINE_HEIGHT, MAX_ROW_HEIGHT)


def write_table(
    ws: Worksheet,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    lang: Lang,
    *,
    freeze_cols: int = 0,
) -> None:
    """A table from A1: bold frozen header row, auto-filter, widths, formats, wrapping."""
    _header_row(ws, columns, lang, HEADER_ALIGN)
    for r, row in enumerate(rows, start=2):
        for n, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = writable_cell(ws, r, n)
            put(cell, value, column.kind)
    ws.freeze_panes = writable_cell(ws, 2, freeze_cols + 1)
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
    columns = [
        col("exports.column.field", width=widths[0]),
        col("exports.column.value", "long", width=widths[1]),
    ]
    _header_row(ws, columns, lang, TOP)
    for n, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    for r, pair in enumerate(pairs, start=2):
        label, value = pair[0], pair[1]
        kind: Kind = pair[2] if len(pair) == 3 else _kind_of(value)
        head = writable_cell(ws, r, 1)
        put(head, label)
        head.font = BOLD
        head.alignment = WRAP
        cell = writable_cell(ws, r, 2)
        put(cell, value, kind)
        cell.alignment = WRAP if kind == "long" else Alignment(horizontal="left", vertical="top")
        lines = max(
            _lines(label, widths[0]),
            _lines(value, widths[1]) if isinstance(value, str) else 1,
        )
        _fit_row(ws, r, lines)
    ws.freeze_panes = "A2"
    _print_setup(ws, landscape=False)


def _print_setup(ws: Worksheet, *, landscape: bool) -> None:
    """Printed: A4, one page wide, the header row repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"


def _kind_of(value: Any) -> Kind:
    if isinstance(value, str):
        return "long"
    if isinstance(value, float):
        return "dec2"
    if isinstance(value, int) and not isinstance(value, bool):
        return "int"
    return "text"


def new_workbook(title: str, lang: Lang) -> Workbook:
    """An empty workbook (no sheets yet) titled and tagged with its language."""
    wb = openpyxl.Workbook()
    wb.remove(active_sheet(wb))
    wb.properties.title = title
    wb.properties.creator = "pvpp"
    wb.properties.language = "lv-LV" if lang == "lv" else "en-GB"
    return wb


def new_sheet(wb: Workbook, title: str) -> Worksheet:
    """A sheet appended to ``wb``; the title cut to the 31 characters Excel allows."""
    ws: Worksheet = wb.create_sheet(title=title[:31])  # openpyxl declares Any
    return ws


def save_workbook(wb: Workbook, path: Path | str) -> Path:
    """Save ``wb`` to ``path``, opening on its first sheet."""
    wb.active = 0
    buffer = io.BytesIO()
    wb.save(buffer)
    return write_file(path, buffer.getvalue())


def write_file(path: Path | str, data: bytes) -> Path:
    """The one way an export reaches the disk: a reader never sees a half-written file."""
    target = Path(path)
    write_atomic(target, data)
    return target


# -- CSV ------------------------------------------------------------------------------------


def csv_text(value: str) -> str:
    """A text field as OWASP asks ("CSV Injection"): a leading quote when it could start a
    formula, then quoted with embedded double quotes doubled.

    Text is never written unquoted, so a text that merely looks like a number stays text.
    """
    if needs_quote_prefix(value):
        value = QUOTE_PREFIX + value
    return '"' + value.replace('"', '""') + '"'


def needs_quote_prefix(value: str) -> bool:
    """Whether :func:`csv_text` writes ``value`` with the leading quote: when it could start
    a formula, and when it already starts with quotes before such a start (``'=1``), so
    that :func:`strip_quote_prefix` gives back exactly the text written."""
    return looks_like_formula(value.lstrip(QUOTE_PREFIX))


def strip_quote_prefix(value: str) -> str:
    """A field of a CSV this module wrote, as the text it was: the neutralising quote of
    :func:`csv_text` removed (a file meant to be edited and read back, such as the
    registry, reads its fields through this)."""
    if value.startswith(QUOTE_PREFIX) and needs_quote_prefix(value[1:]):
        return value[1:]
    return value


_NUMBER = re.compile(r"^-?[0-9]+([.,][0-9]+)?$")
# The language whose CSV dialect has a decimal separator, to write numbers in its format.
_LANG_OF_DECIMAL: dict[str, Lang] = {decimal: lang for lang, (_, decimal) in CSV_DIALECT.items()}


def csv_number(value: int | float, decimal: str, places: int = 2) -> str:
    """A computed number as a bare literal (never quoted, never an expression).

    Numbers the system computed (degrees, scores, targets, gaps, priorities) are not text:
    digits, an optional minus sign and one decimal separator, nothing else, so a negative
    number stays a number and can never carry an expression. ``decimal`` is a dialect's
    decimal separator (:data:`CSV_DIALECT`): Babel writes the number as that dialect's
    language does, a float with ``places`` decimals, without thousands separators (a
    spreadsheet would split the field at them, or read the number as text).
    """
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if decimal not in _LANG_OF_DECIMAL:
        raise ValueError(f"no CSV dialect has the decimal separator {decimal!r}")
    digits = 0 if isinstance(value, int) else places
    # Rounded from the float's exact binary value, as Python's own formatting rounds (a
    # float's shortest repr would round 107158447462737.59... up to ,60), with precision
    # for every digit of the integer part.
    exact = Decimal(value)
    with localcontext(prec=max(28, exact.adjusted() + digits + 2)):
        rounded = round(exact, digits)
        if rounded == 0:
            rounded = abs(rounded)  # -0.001 is written 0,00, not -0,00
        text = number(rounded, _LANG_OF_DECIMAL[decimal], digits, group=False)
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
    """UTF-8 with BOM, CRLF, the language's delimiter and decimal separator; header quoted.

    The BOM makes Excel read the Latvian letters right. Latvian uses a semicolon and a
    decimal comma, English a comma and a point: what Excel in that locale expects, so
    columns split and numbers stay numbers.
    """
    delimiter, decimal = CSV_DIALECT[lang]
    lines = [delimiter.join(csv_text(h) for h in header)]
    lines += [delimiter.join(csv_field(v, decimal) for v in row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def save_csv(
    path: Path | str, header: Sequence[str], rows: Iterable[Sequence[Any]], lang: Lang
) -> Path:
    """Write a table to ``path`` as CSV (dialect: :func:`csv_bytes`)."""
    return write_file(path, csv_bytes(header, rows, lang))
