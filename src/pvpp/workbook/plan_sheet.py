"""The plan sheet: the planner's proposal as a workbook the team shapes and returns.

Four sheets, in the team's language:

- **Plan proposal**: one row per step of the plan version (measure ID, item and dimension
  each with its name, the degree step, the measure's title, the period). The team
  chooses a decision per step — accept, choose an alternative (another library measure
  for the same item × dimension × degree), change the period, drop (a reason is
  required) — and may give the funding already available (whole euros), its sources
  (F1–F5) and the link to planning documents. An empty decision accepts the step. The
  team's capacity (person-days per half-year) is a cell above the table.
- **Own measures**: the team's own measures (name, item and dimension served, period,
  responsible role, effort S/M/L, funding).
- **Targets**: per item the current score, the national target, the target so far and
  the team's own target with its reason (never below the current degree; below the
  national target only with a reason).
- **Reference**: the alternatives per step, funding sources, roles and effort sizes.

A sheet built from a version that the team already shaped comes pre-filled with its
choices (see :mod:`pvpp.proposals`), so a returned sheet always states the whole of the
team's input. Like the status sheet, the workbook carries signed hidden metadata (round,
institution, plan version, the steps listed, current scores), and a returned sheet is
checked before anything is stored: the file guard, the signature, then every cell, with
all problems reported at once by sheet and cell in the sheet's language.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from pvpp.i18n import number, t
from pvpp.planning.library import Library, load_library
from pvpp.planning.planner import LAST_PERIOD, periods
from pvpp.policy.models import Lang
from pvpp.settings import Settings
from pvpp.workbook.guard import GuardLimits, Rejection, check_file
from pvpp.workbook.meta import bad_code_field
from pvpp.xlsx import Grid, SheetGrid, active_sheet

FORMAT, FORMAT_VERSION = "pvpp-plan-sheet", "1"
META_SHEET = "_pvpp"
LISTS_SHEET = "_lists"
CHUNK = 30_000  # characters of the metadata per cell (Excel holds up to 32,767)

#: The decisions a team can take per step; words: ``proposal.choice.<key>``.
CHOICES = ("accept", "alternative", "move", "drop")

# The plan proposal sheet.
CAPACITY_CELL = "F5"
#: Who filled the sheet (name, email): the person the plan's change records name.
FILLED_BY_CELL = "F6"
FILLED_BY_LIMIT = 200
HEADER_ROW, FIRST_ROW = 7, 8
PLAN_HEADERS = (
    "number",
    "measure",
    "item",
    "dimension",
    "step",
    "title",
    "period",
    "decision",
    "alternative",
    "new_period",
    "reason",
    "funding_eur",
    "funding",
    "funding_ref",
)
PLAN_WIDTHS = (5, 14, 30, 22, 7, 50, 12, 22, 16, 12, 36, 14, 14, 30)
DECISION, ALTERNATIVE, NEW_PERIOD, REASON = "H", "I", "J", "K"
FUNDING_EUR, FUNDING, FUNDING_REF = "L", "M", "N"
# The own measures sheet.
OWN_HEADER_ROW, OWN_FIRST_ROW, OWN_ROWS = 4, 5, 15
OWN_HEADERS = (
    "number",
    "name",
    "item",
    "dimension",
    "own_period",
    "role",
    "effort",
    "funding_eur",
    "funding",
    "funding_ref",
)
OWN_WIDTHS = (5, 50, 30, 22, 12, 30, 22, 14, 14, 30)
# The targets sheet.
TARGET_HEADER_ROW, TARGET_FIRST_ROW = 4, 5
TARGET_HEADERS = ("code", "description", "score", "national", "so_far", "own_target", "reason")
TARGET_WIDTHS = (7, 50, 12, 12, 12, 14, 50)
OWN_TARGET, TARGET_REASON = "F", "G"

MAX_CAPACITY = 1000
MAX_REASON, MAX_NAME, MAX_REF = 2000, 500, 500


def sheet_name(which: str, lang: str) -> str:
    """The title of sheet ``which`` (plan | own | targets | reference) in ``lang``."""
    return t(f"proposal.sheet.{which}", lang)


def choice_label(key: str, lang: str) -> str:
    """What the sheet's list shows for the decision ``key``."""
    return t(f"proposal.choice.{key}", lang)


# -- what a sheet holds ------------------------------------------------------------------


@dataclass(frozen=True)
class SheetStep:
    """One step of the plan version as the sheet lists it, with the team's choices so far."""

    item: str
    dimension: str
    from_degree: int
    to_degree: int
    measure_id: str
    period: str
    decision: str = ""  # "" (accept the proposal) or one of CHOICES
    alternative: str = ""
    new_period: str = ""
    reason: str = ""
    funding_eur: int | None = None
    funding: tuple[str, ...] = ()
    funding_ref: str = ""

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.item, self.dimension, self.to_degree)


@dataclass(frozen=True)
class OwnMeasure:
    """A measure the team adds itself."""

    name: str
    item: str
    dimension: str
    period: str
    role: str
    effort: str
    funding_eur: int | None = None
    funding: tuple[str, ...] = ()
    funding_ref: str = ""


@dataclass(frozen=True)
class ItemTarget:
    """An item on the targets sheet: where it is and the targets so far."""

    item: str
    score: float | None
    national: int
    so_far: int
    own_target: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class PlanSheetData:
    """Everything a plan sheet shows for one plan version."""

    round_code: str
    institution_code: str
    institution_name: str
    policy: str
    plan_version: int
    start: date
    capacity: int
    steps: tuple[SheetStep, ...]
    items: tuple[ItemTarget, ...]
    own: tuple[OwnMeasure, ...] = ()


@dataclass(frozen=True)
class SheetMeta:
    """The signed identity of a plan sheet and what it listed."""

    round: str
    institution: str
    policy: str
    plan_version: int
    start: date
    lang: Lang
    steps: tuple[tuple[str, str, int, str, str], ...]  # item, dimension, to, measure, period
    items: tuple[tuple[str, float | None, int, int], ...]  # item, score, national, so far

    @property
    def periods(self) -> list[str]:
        """The periods a step may go to: the plan's half-years and 2028–2031."""
        return [p.code for p in periods(self.start)] + [LAST_PERIOD]


@dataclass(frozen=True)
class StepDecision:
    """The team's decision on one listed step."""

    item: str
    dimension: str
    to_degree: int
    measure_id: str  # as listed
    period: str  # as listed
    decision: str  # "" or one of CHOICES
    alternative: str = ""
    new_period: str = ""
    reason: str = ""
    funding_eur: int | None = None
    funding: tuple[str, ...] = ()
    funding_ref: str = ""

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.item, self.dimension, self.to_degree)


@dataclass(frozen=True)
class TargetChoice:
    item: str
    target: int
    reason: str


@dataclass
class PlanSheetCheck:
    """The verdict on a returned plan sheet: accepted (with the team's input) or rejected."""

    status: str = "accepted"  # accepted | rejected
    problems: list[dict[str, Any]] = field(default_factory=list)
    meta: SheetMeta | None = None
    capacity: int | None = None
    filled_by: str = ""
    decisions: list[StepDecision] = field(default_factory=list)
    own: list[OwnMeasure] = field(default_factory=list)
    targets: list[TargetChoice] = field(default_factory=list)


# -- metadata ----------------------------------------------------------------------------


def _payload(meta: SheetMeta) -> str:
    return json.dumps(
        {
            "round": meta.round,
            "institution": meta.institution,
            "policy": meta.policy,
            "plan_version": meta.plan_version,
            "start": meta.start.isoformat(),
            "steps": [list(s) for s in meta.steps],
            "items": [list(i) for i in meta.items],
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def _sign(key: bytes, payload: str, lang: str) -> str:
    blob = "\n".join([FORMAT, FORMAT_VERSION, lang, payload])
    return hmac.new(key, blob.encode("utf-8"), hashlib.sha256).hexdigest()


def meta_of(data: PlanSheetData, lang: Lang) -> SheetMeta:
    return SheetMeta(
        data.round_code,
        data.institution_code,
        data.policy,
        data.plan_version,
        data.start,
        lang,
        tuple((s.item, s.dimension, s.to_degree, s.measure_id, s.period) for s in data.steps),
        tuple((i.item, i.score, i.national, i.so_far) for i in data.items),
    )


def _parse_meta(payload: str, lang: Lang) -> SheetMeta:
    raw = json.loads(payload)
    return SheetMeta(
        str(raw["round"]),
        str(raw["institution"]),
        str(raw["policy"]),
        int(raw["plan_version"]),
        date.fromisoformat(raw["start"]),
        lang,
        tuple((str(a), str(b), int(c), str(d), str(e)) for a, b, c, d, e in raw["steps"]),
        tuple(
            (str(a), None if b is None else float(b), int(c), int(d)) for a, b, c, d in raw["items"]
        ),
    )


# -- building ------------------------------------------------------------------------------


def _names(library: Library, lang: Lang) -> dict[str, dict[str, str]]:
    """Code → "code name" for items and dimensions; role and effort labels."""
    policy = library.policy
    return {
        "item": {i.id: f"{i.id} {i.name.get(lang)}" for i in policy.items},
        "dimension": {d.id: f"{d.id} {d.name.get(lang)}" for d in policy.dimensions},
        "role": {r.id: r.name.get(lang) for r in library.common.roles},
        "effort": {e.id: f"{e.id} — {e.name.get(lang)}" for e in library.common.effort},
    }


def _header(ws: Worksheet, row: int, keys: Sequence[str], widths: Sequence[int], lang: str) -> None:
    for n, (key, width) in enumerate(zip(keys, widths, strict=True), start=1):
        cell = ws.cell(row=row, column=n, value=t(f"proposal.column.{key}", lang))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = cell.column_letter
        ws.column_dimensions[letter].width = width


def _intro(ws: Worksheet, ref: str, text: str, span: str, height: int) -> None:
    ws[ref] = text
    ws[ref].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(f"{ref}:{span}")
    ws.row_dimensions[ws[ref].row].height = height


def _list(ws: Worksheet, column: str, values: Sequence[str]) -> str:
    """Write ``values`` into ``column`` of the lists sheet; the range a dropdown refers to."""
    for n, value in enumerate(values, start=1):
        ws[f"{column}{n}"] = value
        ws[f"{column}{n}"].data_type = "s"
    return f"'{LISTS_SHEET}'!${column}$1:${column}${max(len(values), 1)}"


def _unlock(ws: Worksheet, refs: Sequence[str]) -> None:
    for ref in refs:
        ws[ref].protection = Protection(locked=False)


def _print(ws: Worksheet, header_row: int) -> None:
    """A4 landscape, fitted to the width, the header repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{header_row}:{header_row}"


def _lines(*texts: tuple[str, int]) -> int:
    """How many lines the longest of (text, column width) wraps to."""
    return max(1, *(-(-len(text) // max(width - 2, 1)) for text, width in texts))


def _write_text(ws: Worksheet, ref: str, value: str) -> None:
    ws[ref] = value
    ws[ref].data_type = "s"  # a team's text is never read as a formula


def build_plan_sheet(data: PlanSheetData, *, library: Library, lang: Lang, key: bytes) -> bytes:
    """The plan sheet of one plan version; returns .xlsx bytes."""
    names = _names(library, lang)
    meta = meta_of(data, lang)
    wb = Workbook()
    lists = wb.create_sheet(LISTS_SHEET)
    item_list = _list(lists, "A", list(names["item"].values()))
    dim_list = _list(lists, "B", list(names["dimension"].values()))
    period_list = _list(lists, "C", meta.periods)
    role_list = _list(lists, "D", list(names["role"].values()))
    effort_list = _list(lists, "E", list(names["effort"].values()))
    lists.sheet_state = "veryHidden"
    lists.protection.sheet = True

    ws = active_sheet(wb)
    ws.title = sheet_name("plan", lang)
    ws["A1"] = t("proposal.text.title", lang)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = t("proposal.text.who", lang, name=data.institution_name, code=data.institution_code)
    ws["A3"] = t(
        "proposal.text.what",
        lang,
        round=data.round_code,
        version=data.plan_version,
        start=data.start.isoformat(),
    )
    _intro(ws, "A4", t("proposal.text.intro", lang), "N4", 75)
    _intro(ws, "A5", t("proposal.text.capacity", lang), "E5", 30)
    ws[CAPACITY_CELL] = data.capacity
    ws[CAPACITY_CELL].font = Font(bold=True)
    ws[CAPACITY_CELL].fill = PatternFill("solid", fgColor="FFF2CC")
    _unlock(ws, [CAPACITY_CELL])
    whole = DataValidation(
        type="whole",
        operator="between",
        formula1="1",
        formula2=str(MAX_CAPACITY),
        allow_blank=False,
    )
    ws.add_data_validation(whole)
    whole.add(CAPACITY_CELL)
    _intro(ws, "A6", t("proposal.text.filled_by", lang), "E6", 30)
    ws.merge_cells(f"{FILLED_BY_CELL}:I6")
    ws[FILLED_BY_CELL].fill = PatternFill("solid", fgColor="FFF2CC")
    _unlock(ws, [FILLED_BY_CELL])
    _header(ws, HEADER_ROW, PLAN_HEADERS, PLAN_WIDTHS, lang)
    decisions = DataValidation(
        type="list",
        formula1=f'"{",".join(choice_label(k, lang) for k in CHOICES)}"',
        allow_blank=True,
    )
    new_periods = DataValidation(type="list", formula1=f"={period_list}", allow_blank=True)
    amounts = DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
    )
    for dv in (decisions, new_periods, amounts):
        ws.add_data_validation(dv)
    alt_lists: dict[str, DataValidation] = {}
    for n, step in enumerate(data.steps):
        r = FIRST_ROW + n
        measure = library.by_id.get(step.measure_id)
        ws[f"A{r}"] = n + 1
        ws[f"B{r}"] = step.measure_id
        ws[f"C{r}"] = names["item"].get(step.item, step.item)
        ws[f"D{r}"] = names["dimension"].get(step.dimension, step.dimension)
        ws[f"E{r}"] = f"{step.from_degree}→{step.to_degree}"
        _write_text(ws, f"F{r}", measure.title.get(lang) if measure else step.measure_id)
        ws[f"G{r}"] = step.period
        for col in "CDFK":
            ws[f"{col}{r}"].alignment = Alignment(wrap_text=True, vertical="top")
        # Wrapped cells need their height: not every program grows a row by itself.
        texts = [
            (str(ws[f"{c}{r}"].value or ""), w)
            for c, w in zip("CDFK", (30, 22, 50, 36), strict=True)
        ]
        ws.row_dimensions[r].height = 15 * _lines(*texts)
        values = {
            DECISION: choice_label(step.decision, lang) if step.decision else None,
            ALTERNATIVE: step.alternative or None,
            NEW_PERIOD: step.new_period or None,
            REASON: step.reason or None,
            FUNDING_EUR: step.funding_eur,
            FUNDING: ", ".join(step.funding) or None,
            FUNDING_REF: step.funding_ref or None,
        }
        for col, value in values.items():
            if isinstance(value, str):
                _write_text(ws, f"{col}{r}", value)
            elif value is not None:
                ws[f"{col}{r}"] = value
        _unlock(ws, [f"{c}{r}" for c in values])
        decisions.add(f"{DECISION}{r}")
        new_periods.add(f"{NEW_PERIOD}{r}")
        amounts.add(f"{FUNDING_EUR}{r}")
        others = alternatives(library, step.key)
        if others:
            # One list per set of ids (a few steps have alternatives): ids are short.
            ids = ",".join(others)
            if ids not in alt_lists:
                alt_lists[ids] = DataValidation(type="list", formula1=f'"{ids}"', allow_blank=True)
                ws.add_data_validation(alt_lists[ids])
            alt_lists[ids].add(f"{ALTERNATIVE}{r}")
    ws.freeze_panes = f"C{FIRST_ROW}"
    _print(ws, HEADER_ROW)
    ws.protection.sheet = True

    own = wb.create_sheet(sheet_name("own", lang))
    own["A1"] = t("proposal.sheet.own", lang)
    own["A1"].font = Font(bold=True, size=14)
    _intro(own, "A2", t("proposal.text.own_intro", lang), "J2", 45)
    _header(own, OWN_HEADER_ROW, OWN_HEADERS, OWN_WIDTHS, lang)
    own_dvs = {
        "C": DataValidation(type="list", formula1=f"={item_list}", allow_blank=True),
        "D": DataValidation(type="list", formula1=f"={dim_list}", allow_blank=True),
        "E": DataValidation(type="list", formula1=f"={period_list}", allow_blank=True),
        "F": DataValidation(type="list", formula1=f"={role_list}", allow_blank=True),
        "G": DataValidation(type="list", formula1=f"={effort_list}", allow_blank=True),
        "H": DataValidation(
            type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
        ),
    }
    for dv in own_dvs.values():
        own.add_data_validation(dv)
    for n in range(OWN_ROWS):
        r = OWN_FIRST_ROW + n
        own[f"A{r}"] = n + 1
        for col, dv in own_dvs.items():
            dv.add(f"{col}{r}")
        _unlock(own, [f"{c}{r}" for c in "BCDEFGHIJ"])
        if n < len(data.own):
            m = data.own[n]
            cells = {
                "B": m.name,
                "C": names["item"].get(m.item, m.item),
                "D": names["dimension"].get(m.dimension, m.dimension),
                "E": m.period,
                "F": names["role"].get(m.role, m.role),
                "G": names["effort"].get(m.effort, m.effort),
                "I": ", ".join(m.funding),
                "J": m.funding_ref,
            }
            for col, text in cells.items():
                if text:
                    _write_text(own, f"{col}{r}", text)
            if m.funding_eur is not None:
                own[f"H{r}"] = m.funding_eur
    own.freeze_panes = f"B{OWN_FIRST_ROW}"
    _print(own, OWN_HEADER_ROW)
    own.protection.sheet = True

    tg = wb.create_sheet(sheet_name("targets", lang))
    tg["A1"] = t("proposal.sheet.targets", lang)
    tg["A1"].font = Font(bold=True, size=14)
    _intro(tg, "A2", t("proposal.text.targets_intro", lang), "G2", 45)
    _header(tg, TARGET_HEADER_ROW, TARGET_HEADERS, TARGET_WIDTHS, lang)
    scale = library.policy.degree_scale
    degrees = DataValidation(
        type="list", formula1=f'"{",".join(str(v) for v in scale.values)}"', allow_blank=True
    )
    tg.add_data_validation(degrees)
    for n, it in enumerate(data.items):
        r = TARGET_FIRST_ROW + n
        tg[f"A{r}"] = it.item
        tg[f"A{r}"].data_type = "s"
        tg[f"B{r}"] = library.policy.item(it.item).name.get(lang)
        tg[f"C{r}"] = "" if it.score is None else number(it.score, lang, 2)
        tg[f"D{r}"] = it.national
        tg[f"E{r}"] = it.so_far
        if it.own_target is not None:
            tg[f"{OWN_TARGET}{r}"] = it.own_target
        if it.reason:
            _write_text(tg, f"{TARGET_REASON}{r}", it.reason)
        degrees.add(f"{OWN_TARGET}{r}")
        _unlock(tg, [f"{OWN_TARGET}{r}", f"{TARGET_REASON}{r}"])
    tg.freeze_panes = f"C{TARGET_FIRST_ROW}"
    _print(tg, TARGET_HEADER_ROW)
    tg.protection.sheet = True

    _reference(wb.create_sheet(sheet_name("reference", lang)), data, library, lang, names)
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))

    hidden = wb.create_sheet(META_SHEET)
    payload = _payload(meta)
    chunks = [payload[i : i + CHUNK] for i in range(0, len(payload), CHUNK)] or [""]
    rows = [
        ("format", FORMAT),
        ("format_version", FORMAT_VERSION),
        ("lang", lang),
        ("chunks", str(len(chunks))),
        ("signature", _sign(key, payload, lang)),
    ]
    rows += [(f"payload.{n}", chunk) for n, chunk in enumerate(chunks)]
    for n, (k, v) in enumerate(rows, start=1):
        hidden.cell(row=n, column=1, value=k)
        hidden.cell(row=n, column=2, value=v).data_type = "s"
    hidden.sheet_state = "veryHidden"
    hidden.protection.sheet = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def alternatives(library: Library, key: tuple[str, str, int]) -> list[str]:
    """The library's measures for a step other than the planner's own choice (the first)."""
    return [m.id for m in library.by_step.get(key, [])[1:]]


def _reference(
    ws: Worksheet,
    data: PlanSheetData,
    library: Library,
    lang: Lang,
    names: dict[str, dict[str, str]],
) -> None:
    bold = Font(bold=True)
    for col, width in zip("ABCDE", (14, 18, 60, 30, 22), strict=True):
        ws.column_dimensions[col].width = width
    r = 1
    ws[f"A{r}"] = t("proposal.text.alternatives", lang)
    ws[f"A{r}"].font = Font(bold=True, size=12)
    r += 1
    listed = sorted({s.key for s in data.steps if alternatives(library, s.key)})
    if not listed:
        ws[f"A{r}"] = t("proposal.text.no_alternatives", lang)
        r += 1
    for key in listed:
        for m in library.by_step[key]:
            ws[f"A{r}"] = m.id
            ws[f"B{r}"] = f"{m.item} {m.dimension} {m.to_degree - 1}→{m.to_degree}"
            ws[f"C{r}"] = m.title.get(lang)
            ws[f"C{r}"].alignment = Alignment(wrap_text=True, vertical="top")
            ws[f"D{r}"] = names["role"].get(m.role, m.role)
            ws[f"E{r}"] = names["effort"].get(m.effort, m.effort)
            r += 1
    sections = [
        ("funding_sources", [(f.id, f.name.get(lang)) for f in library.policy.funding_sources]),
        ("roles", [(ro.id, ro.name.get(lang)) for ro in library.common.roles]),
        ("effort", [(e.id, e.name.get(lang)) for e in library.common.effort]),
    ]
    for title, rows in sections:
        r += 1
        ws[f"A{r}"] = t(f"proposal.text.{title}", lang)
        ws[f"A{r}"].font = bold
        r += 1
        for code, name in rows:
            ws[f"A{r}"] = code
            ws[f"C{r}"] = name
            ws[f"C{r}"].alignment = Alignment(wrap_text=True, vertical="top")
            r += 1
    ws.protection.sheet = True


# -- checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueGrid:
    """Values laid out as a sheet's cells (reference → value), e.g. a form's fields."""

    title: str
    cells: Mapping[str, Any]

    def value(self, ref: str) -> Any:
        return self.cells.get(ref)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _code(value: str) -> str:
    """The code a list entry starts with ("1.1 Name" → "1.1", "S — small" → "S")."""
    return value.split(" ", 1)[0].strip() if value else ""


class _Checker:
    def __init__(self, result: PlanSheetCheck, lang: str) -> None:
        self.result = result
        self.lang = lang

    def problem(
        self, code: str, sheet: str | None = None, cell: str | None = None, **params: Any
    ) -> None:
        # File and identity problems are the questionnaire's workbook.problem.*; the
        # sheet's own are proposal.problem.*.
        if code.startswith("plan_"):
            key = f"proposal.problem.{code.removeprefix('plan_')}"
        else:
            key = f"workbook.problem.{code}"
        text = t(key, self.lang, None, **{"sheet": sheet or META_SHEET, "field": "", **params})
        self.result.problems.append(
            {
                "code": code,
                "sheet": sheet,
                "cell": cell,
                "field": params.get("measure"),
                "message": text,
            }
        )
        self.result.status = "rejected"


def _amount(value: Any) -> int | None:
    """Whole euros from a cell, or None when it is not one (ValueError when empty)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    text = re.sub(r"[\s\u00a0\u202f]", "", _text(value)).removesuffix("EUR").removesuffix("€")
    return int(text) if text.isdigit() else None


def check_plan_sheet(
    data: bytes, *, settings: Settings, library: Library | None = None
) -> PlanSheetCheck:
    """Check a returned plan sheet; never raises on bad input. ``library`` defaults to the
    shipped library of the sheet's policy version."""
    result = PlanSheetCheck()
    check = _Checker(result, "lv")
    try:
        check_file(data, GuardLimits.from_settings(settings))
    except Rejection as exc:
        check.problem(exc.code, None, None, **exc.params)
        return result
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # a received file never crashes a command
        check.problem("damaged", detail=f"{type(exc).__name__}: {exc}"[:200])
        return result
    if META_SHEET not in wb.sheetnames:
        check.problem("no_metadata")
        return result
    raw = {
        _text(r[0].value): _text(r[1].value)
        for r in wb[META_SHEET].iter_rows(min_row=1, max_row=60, max_col=2)
        if r[0].value
    }
    lang: Lang = "en" if raw.get("lang") == "en" else "lv"
    check.lang = lang
    try:
        payload = "".join(raw[f"payload.{n}"] for n in range(int(raw["chunks"])))
        signature = raw["signature"]
    except (KeyError, ValueError) as exc:
        check.problem("bad_metadata", field=str(exc).strip("'")[:40])
        return result
    if raw.get("format") != FORMAT or not hmac.compare_digest(
        _sign(settings.signing_key(), payload, lang), signature
    ):
        check.problem("bad_signature")
        return result
    meta = _parse_meta(payload, lang)
    if (bad_code := bad_code_field(meta.round, meta.institution)) is not None:
        check.problem("bad_metadata", field=bad_code)
        return result
    result.meta = meta
    lib = library or load_library(meta.policy)
    for which in ("plan", "own", "targets"):
        if sheet_name(which, lang) not in wb.sheetnames:
            check.problem("missing_sheet", sheet=sheet_name(which, lang))
    if result.problems:
        return result
    _check_values(
        result,
        check,
        meta,
        lib,
        *(SheetGrid(wb[sheet_name(which, lang)]) for which in ("plan", "own", "targets")),
    )
    return result


def _check_values(
    result: PlanSheetCheck,
    check: _Checker,
    meta: SheetMeta,
    lib: Library,
    plan: Grid,
    own: Grid,
    targets: Grid,
) -> None:
    _check_plan(plan, meta, lib, check)
    _check_own(own, meta, lib, check)
    _check_targets(targets, meta, lib, check)
    if result.status != "accepted":
        result.decisions.clear()
        result.own.clear()
        result.targets.clear()
        result.capacity = None


def check_values(
    meta: SheetMeta, lib: Library, *, plan: Grid, own: Grid, targets: Grid
) -> PlanSheetCheck:
    """The checks of a returned sheet's three sheets, on values given another way (the
    portal's form laid out as the sheets' cells: :class:`ValueGrid`); the same rules and
    the same problems, by sheet and cell, in ``meta.lang``."""
    result = PlanSheetCheck(meta=meta)
    check = _Checker(result, meta.lang)
    _check_values(result, check, meta, lib, plan, own, targets)
    return result


def _period(value: str, meta: SheetMeta) -> str | None:
    """A period code from what a cell holds: a code, 2028-2031 with a hyphen, or a period
    end date."""
    allowed = meta.periods
    text = value.replace("-", "–") if re.fullmatch(r"\d{4}-\d{4}", value) else value
    if text in allowed:
        return text
    ends = {p.due.isoformat(): p.code for p in periods(meta.start)}
    return ends.get(value[:10])


def _funding(
    value: str, lib: Library, check: _Checker, sheet: str, cell: str
) -> tuple[str, ...] | None:
    known = [f.id for f in lib.policy.funding_sources]
    codes = [c.strip().upper() for c in re.split(r"[,;\s]+", value) if c.strip()]
    bad = [c for c in codes if c not in known]
    if bad:
        check.problem(
            "plan_bad_funding", sheet, cell, value=", ".join(bad)[:80], allowed=", ".join(known)
        )
        return None
    return tuple(dict.fromkeys(codes))


def _long(check: _Checker, sheet: str, cell: str, text: str, limit: int) -> bool:
    if len(text) > limit:
        check.problem("plan_text_too_long", sheet, cell, length=len(text), limit=limit)
        return True
    return False


def _check_plan(ws: Grid, meta: SheetMeta, lib: Library, check: _Checker) -> None:
    sheet, lang, result = ws.title, meta.lang, check.result
    cap_raw = ws.value(CAPACITY_CELL)
    capacity = _amount(cap_raw)
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        check.problem(
            "plan_bad_capacity", sheet, CAPACITY_CELL, value=_text(cap_raw)[:40], high=MAX_CAPACITY
        )
    else:
        result.capacity = capacity
    filled_by = _text(ws.value(FILLED_BY_CELL))
    if not _long(check, sheet, FILLED_BY_CELL, filled_by, FILLED_BY_LIMIT):
        result.filled_by = filled_by
    rows: dict[str, int] = {}
    for n in range(FIRST_ROW, FIRST_ROW + len(meta.steps) + 200):
        listed = _text(ws.value(f"B{n}"))
        if listed and listed not in rows:
            rows[listed] = n
    labels = {choice_label(k, lang): k for k in CHOICES}
    shown = ", ".join(labels)
    allowed_periods = ", ".join(meta.periods)
    for item, dim, to, mid, period in meta.steps:
        if mid not in rows:
            check.problem("plan_missing_row", sheet, None, measure=mid)
            continue
        r = rows[mid]

        def cell(col: str, row: int = r) -> str:
            return _text(ws.value(f"{col}{row}"))

        shown_mid = f"{mid} ({item} {dim} {to - 1}→{to})"
        value = cell(DECISION)
        decision = "" if not value else labels.get(value)
        if decision is None:
            check.problem(
                "plan_not_in_list",
                sheet,
                f"{DECISION}{r}",
                value=value[:80],
                choices=shown,
                measure=mid,
            )
            continue
        reason = cell(REASON)
        ok = not _long(check, sheet, f"{REASON}{r}", reason, MAX_REASON)
        alternative = cell(ALTERNATIVE)
        if decision == "alternative":
            valid = [m.id for m in lib.by_step.get((item, dim, to), [])]
            others = alternatives(lib, (item, dim, to))
            if not alternative:
                ok = False
                check.problem(
                    "plan_alternative_needs_id",
                    sheet,
                    f"{ALTERNATIVE}{r}",
                    measure=shown_mid,
                    choice=value,
                    allowed=", ".join(others) or "—",
                )
            elif alternative not in valid:
                ok = False
                check.problem(
                    "plan_unknown_alternative",
                    sheet,
                    f"{ALTERNATIVE}{r}",
                    value=alternative[:40],
                    measure=shown_mid,
                    allowed=", ".join(others) or "—",
                )
        new_period = ""
        raw_period = cell(NEW_PERIOD)
        # A new period goes with "change the period" and may go with an alternative too;
        # a dropped step has no period to move to.
        if decision == "move" or (raw_period and decision != "drop"):
            if not raw_period:
                ok = False
                check.problem(
                    "plan_move_needs_period",
                    sheet,
                    f"{NEW_PERIOD}{r}",
                    measure=shown_mid,
                    choice=value,
                    allowed=allowed_periods,
                )
            else:
                found = _period(raw_period, meta)
                if found is None:
                    ok = False
                    check.problem(
                        "plan_bad_period",
                        sheet,
                        f"{NEW_PERIOD}{r}",
                        value=raw_period[:40],
                        allowed=allowed_periods,
                    )
                else:
                    new_period = found
        if decision == "drop" and len(reason) < 3:
            ok = False
            check.problem(
                "plan_drop_needs_reason", sheet, f"{REASON}{r}", measure=shown_mid, choice=value
            )
        eur_raw = ws.value(f"{FUNDING_EUR}{r}")
        eur = None
        if _text(eur_raw):
            eur = _amount(eur_raw)
            if eur is None:
                ok = False
                check.problem(
                    "plan_bad_amount", sheet, f"{FUNDING_EUR}{r}", value=_text(eur_raw)[:40]
                )
        funding = _funding(cell(FUNDING), lib, check, sheet, f"{FUNDING}{r}")
        ref = cell(FUNDING_REF)
        ok = (
            ok
            and funding is not None
            and not _long(check, sheet, f"{FUNDING_REF}{r}", ref, MAX_REF)
        )
        if ok and funding is not None:
            result.decisions.append(
                StepDecision(
                    item,
                    dim,
                    to,
                    mid,
                    period,
                    decision,
                    alternative if decision == "alternative" else "",
                    new_period,
                    reason,
                    eur,
                    funding,
                    ref,
                )
            )


def _check_own(ws: Grid, meta: SheetMeta, lib: Library, check: _Checker) -> None:
    sheet, lang = ws.title, meta.lang
    names = _names(lib, lang)
    items = {i.id for i in lib.policy.items}
    dims = [d.id for d in lib.policy.dimensions]
    roles = {name: rid for rid, name in names["role"].items()} | {r: r for r in names["role"]}
    efforts = list(names["effort"])
    for n in range(OWN_ROWS):
        r = OWN_FIRST_ROW + n
        cells = {col: _text(ws.value(f"{col}{r}")) for col in "BCDEFGHIJ"}
        if not any(cells.values()):
            continue
        name = cells["B"]
        if not name:
            check.problem("plan_own_needs_name", sheet, f"B{r}", row=n + 1)
            continue
        ok = not _long(check, sheet, f"B{r}", name, MAX_NAME)
        headers = dict(zip("BCDEFGHIJ", OWN_HEADERS[1:], strict=True))
        for col in "CDEFG":
            if not cells[col]:
                ok = False
                check.problem(
                    "plan_own_needs_value",
                    sheet,
                    f"{col}{r}",
                    row=n + 1,
                    name=name[:80],
                    field=t(f"proposal.column.{headers[col]}", lang),
                )
        item, dim = _code(cells["C"]), _code(cells["D"])
        if cells["C"] and item not in items:
            ok = False
            check.problem("plan_own_bad_item", sheet, f"C{r}", value=cells["C"][:80])
        if cells["D"] and dim not in dims:
            ok = False
            check.problem(
                "plan_own_bad_dimension",
                sheet,
                f"D{r}",
                value=cells["D"][:80],
                allowed=", ".join(names["dimension"].values()),
            )
        period = _period(cells["E"], meta) if cells["E"] else ""
        if period is None:
            ok = False
            check.problem(
                "plan_bad_period",
                sheet,
                f"E{r}",
                value=cells["E"][:40],
                allowed=", ".join(meta.periods),
            )
        role = roles.get(cells["F"], "")
        if cells["F"] and not role:
            ok = False
            check.problem("plan_own_bad_role", sheet, f"F{r}", value=cells["F"][:80])
        effort = _code(cells["G"])
        if cells["G"] and effort not in efforts:
            ok = False
            check.problem(
                "plan_own_bad_effort",
                sheet,
                f"G{r}",
                value=cells["G"][:40],
                allowed=", ".join(efforts),
            )
        eur = None
        if cells["H"]:
            eur = _amount(ws.value(f"H{r}"))
            if eur is None:
                ok = False
                check.problem("plan_bad_amount", sheet, f"H{r}", value=cells["H"][:40])
        funding = _funding(cells["I"], lib, check, sheet, f"I{r}")
        ok = ok and funding is not None and not _long(check, sheet, f"J{r}", cells["J"], MAX_REF)
        if ok and funding is not None and period:
            check.result.own.append(
                OwnMeasure(name, item, dim, period, role, effort, eur, funding, cells["J"])
            )


def _check_targets(ws: Grid, meta: SheetMeta, lib: Library, check: _Checker) -> None:
    sheet, lang = ws.title, meta.lang
    scale = lib.policy.degree_scale
    for n, (item, score, national, _so_far) in enumerate(meta.items):
        r = TARGET_FIRST_ROW + n
        if _text(ws.value(f"A{r}")) != item:
            check.problem("plan_missing_row", sheet, f"A{r}", measure=item)
            continue
        raw = ws.value(f"{OWN_TARGET}{r}")
        reason = _text(ws.value(f"{TARGET_REASON}{r}"))
        if _long(check, sheet, f"{TARGET_REASON}{r}", reason, MAX_REASON) or not _text(raw):
            continue
        value = _amount(raw)
        if value is None or value not in scale.values:
            check.problem(
                "plan_bad_target",
                sheet,
                f"{OWN_TARGET}{r}",
                value=_text(raw)[:40],
                low=scale.min,
                high=scale.max,
            )
            continue
        shown_item = f"{item} {lib.policy.item(item).name.get(lang)}"
        # The questionnaire's rule: a target may not be below today's whole degree.
        current = int(score) if score is not None else None
        if current is not None and value < current:
            check.problem(
                "plan_target_below_current",
                sheet,
                f"{OWN_TARGET}{r}",
                item=shown_item,
                target=value,
                current=current,
            )
            continue
        if value < national and len(reason) < 3:
            check.problem(
                "plan_target_needs_reason",
                sheet,
                f"{TARGET_REASON}{r}",
                item=shown_item,
                target=value,
                national=national,
            )
            continue
        check.result.targets.append(TargetChoice(item, value, reason))


# -- filling (tests, the demo) ----------------------------------------------------------


def fill_plan_sheet(
    data: bytes,
    *,
    capacity: int | None = None,
    filled_by: str | None = None,
    decisions: Mapping[str, Mapping[str, Any]] | None = None,
    own: Sequence[Mapping[str, Any]] | None = None,
    targets: Mapping[str, tuple[int | None, str]] | None = None,
) -> bytes:
    """A plan sheet filled in as a team would, for tests and the demo.

    ``decisions`` maps a listed measure ID to ``{"decision": accept|alternative|move|drop,
    "alternative": id, "period": code, "reason": text, "funding_eur": int, "funding":
    "F1, F3", "funding_ref": text}`` (any subset); ``own`` lists own measures as
    ``{"name", "item", "dimension", "period", "role", "effort", ...}`` (codes or the
    list's labels); ``targets`` maps an item to (own target or None, reason)."""
    wb = load_workbook(io.BytesIO(data))
    raw = {
        _text(r[0].value): _text(r[1].value)
        for r in wb[META_SHEET].iter_rows(min_row=1, max_row=10, max_col=2)
        if r[0].value
    }
    lang = "en" if raw.get("lang") == "en" else "lv"
    ws = wb[sheet_name("plan", lang)]
    if capacity is not None:
        ws[CAPACITY_CELL] = capacity
    if filled_by is not None:
        ws[FILLED_BY_CELL] = filled_by
    rows = {
        _text(ws[f"B{r}"].value): r
        for r in range(FIRST_ROW, ws.max_row + 1)
        if ws[f"B{r}"].value is not None
    }
    columns = {
        "alternative": ALTERNATIVE,
        "period": NEW_PERIOD,
        "reason": REASON,
        "funding_eur": FUNDING_EUR,
        "funding": FUNDING,
        "funding_ref": FUNDING_REF,
    }
    for mid, values in (decisions or {}).items():
        r = rows[mid]
        if "decision" in values:
            choice = values["decision"]
            ws[f"{DECISION}{r}"] = choice_label(choice, lang) if choice in CHOICES else choice
        for name, col in columns.items():
            if name in values:
                ws[f"{col}{r}"] = values[name]
    sheet = wb[sheet_name("own", lang)]
    own_cols = {
        "name": "B",
        "item": "C",
        "dimension": "D",
        "period": "E",
        "role": "F",
        "effort": "G",
        "funding_eur": "H",
        "funding": "I",
        "funding_ref": "J",
    }
    for n, measure in enumerate(own or []):
        for name, col in own_cols.items():
            if name in measure:
                sheet[f"{col}{OWN_FIRST_ROW + n}"] = measure[name]
    sheet = wb[sheet_name("targets", lang)]
    target_rows = {
        _text(sheet[f"A{r}"].value): r for r in range(TARGET_FIRST_ROW, sheet.max_row + 1)
    }
    for item, (target, reason) in (targets or {}).items():
        r = target_rows[item]
        sheet[f"{OWN_TARGET}{r}"] = target
        sheet[f"{TARGET_REASON}{r}"] = reason or None
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
