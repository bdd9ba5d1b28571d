"""The follow-up status sheet: one workbook per institution and period end (RV5).

It lists the plan's measures due by the period end. For each the team chooses a status
from a list — done, in progress, not started, move the due date (to a later period end,
chosen from a list), or will not be done (with a reason) — and may add a comment. Like
the questionnaire, the workbook carries signed hidden metadata (institution, round, plan
version, period end, the measures listed), and a returned sheet is checked before
anything is stored: the file guard first, then identity, then every row, with all
problems reported at once by sheet and cell in the sheet's language.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from pvpp.i18n import t
from pvpp.settings import Settings
from pvpp.workbook.guard import GuardLimits, Rejection, check_file
from pvpp.workbook.meta import bad_code_field
from pvpp.xlsx import Grid, SheetGrid, active_sheet

FORMAT, FORMAT_VERSION = "pvpp-status", "1"
META_SHEET = "_pvpp"
FIRST_ROW = 8  # the first measure row
COLUMNS = "ABCDEFG"  # no., measure, description, due, status, new due, comment
STATUS_COL, NEW_DUE_COL, COMMENT_COL = "E", "F", "G"

#: The statuses a team can choose, in the order of the list; their words are
#: ``status.choice.<key>`` in the catalogue (:mod:`pvpp.i18n`).
CHOICES = ("done", "in_progress", "not_started", "move", "drop")
HEADERS = ("number", "measure", "description", "due", "status", "new_due", "comment")


def choice_label(key: str, lang: str) -> str:
    """What the sheet's list shows for the status ``key``."""
    return t(f"status.choice.{key}", lang)


def sheet_title(lang: str) -> str:
    """The title of the status sheet in ``lang`` (a returned sheet is found by it)."""
    return t("status.text.sheet", lang)


@dataclass(frozen=True)
class StatusRow:
    """One measure the sheet asks about."""

    measure_id: str
    description: str
    due_on: date


@dataclass(frozen=True)
class StatusMeta:
    round: str
    institution: str
    plan_version: int
    period_end: date
    measures: tuple[str, ...]
    lang: str


@dataclass(frozen=True)
class StatusUpdate:
    measure_id: str
    status: str  # one of CHOICES
    new_due: date | None
    comment: str
    evidence: str = ""  # what shows it was done (the portal asks; the sheet has no column)


@dataclass
class StatusCheck:
    """The verdict on a returned status sheet."""

    status: str = "accepted"  # accepted | incomplete | rejected
    problems: list[dict[str, Any]] = field(default_factory=list)
    meta: StatusMeta | None = None
    updates: list[StatusUpdate] = field(default_factory=list)


def _sign(key: bytes, meta: StatusMeta) -> str:
    payload = "\n".join(
        [FORMAT, FORMAT_VERSION, meta.round, meta.institution, str(meta.plan_version),
         meta.period_end.isoformat(), ",".join(meta.measures)]
    )  # fmt: skip
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def build_status_sheet(
    *,
    institution_code: str,
    institution_name: str,
    round_code: str,
    plan_version: int,
    period_end: date,
    respond_by: date,
    rows: list[StatusRow],
    later_dues: list[date],
    lang: str,
    key: bytes,
) -> bytes:
    """The status workbook for one institution and period end; returns .xlsx bytes."""
    wb = Workbook()
    ws = active_sheet(wb)
    ws.title = sheet_title(lang)
    bold = Font(bold=True)
    ws["A1"] = t("status.text.title", lang)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = t("status.text.who", lang, name=institution_name, code=institution_code)
    # Dates stay ISO here: the new-due-date list holds ISO dates, read back as written.
    ws["A3"] = t(
        "status.text.what", lang, round=round_code, version=plan_version,
        period=period_end.isoformat(),
    )  # fmt: skip
    ws["A5"] = t("status.text.intro", lang, respond_by=respond_by.isoformat())
    ws["A5"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A5:G5")
    ws.row_dimensions[5].height = 48
    for col, header in zip(COLUMNS, HEADERS, strict=True):
        cell = ws[f"{col}{FIRST_ROW - 1}"]
        cell.value = t(f"status.column.{header}", lang)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
    for col, width in zip(COLUMNS, (5, 12, 60, 12, 20, 16, 40), strict=True):
        ws.column_dimensions[col].width = width
    choices = [choice_label(k, lang) for k in CHOICES]
    status_list = DataValidation(type="list", formula1=f'"{",".join(choices)}"', allow_blank=True)
    due_list = DataValidation(
        type="list", formula1=f'"{",".join(d.isoformat() for d in later_dues)}"', allow_blank=True
    )
    ws.add_data_validation(status_list)
    ws.add_data_validation(due_list)
    for i, row in enumerate(rows):
        r = FIRST_ROW + i
        ws[f"A{r}"] = i + 1
        ws[f"B{r}"] = row.measure_id
        ws[f"C{r}"] = row.description
        ws[f"C{r}"].data_type = "s"
        ws[f"C{r}"].alignment = Alignment(wrap_text=True, vertical="top")
        ws[f"D{r}"] = row.due_on.isoformat()
        for col in (STATUS_COL, NEW_DUE_COL, COMMENT_COL):
            ws[f"{col}{r}"].protection = Protection(locked=False)
        status_list.add(f"{STATUS_COL}{r}")
        due_list.add(f"{NEW_DUE_COL}{r}")
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.protection.sheet = True
    meta = StatusMeta(
        round_code, institution_code, plan_version, period_end,
        tuple(r.measure_id for r in rows), lang,
    )  # fmt: skip
    hidden = wb.create_sheet(META_SHEET)
    values = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "round": meta.round,
        "institution": meta.institution,
        "plan_version": str(meta.plan_version),
        "period_end": meta.period_end.isoformat(),
        "measures": ",".join(meta.measures),
        "later_dues": ",".join(d.isoformat() for d in later_dues),
        "lang": lang,
        "signature": _sign(key, meta),
    }
    for i, (k, v) in enumerate(values.items(), start=1):
        hidden.cell(row=i, column=1, value=k)
        hidden.cell(row=i, column=2, value=v).data_type = "s"
    hidden.sheet_state = "veryHidden"
    hidden.protection.sheet = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def check_status_sheet(data: bytes, *, settings: Settings) -> StatusCheck:
    """Check a returned status sheet; never raises on bad input."""
    result = StatusCheck()
    lang = "lv"

    def problem(
        code: str, sheet: str | None = None, cell: str | None = None, **params: Any
    ) -> None:
        # The sheet's own problems are status.problem.*; the file and identity problems
        # (from the guard and the signature) are the questionnaire's workbook.problem.*.
        key = (
            f"status.problem.{code.removeprefix('status_')}"
            if code.startswith("status_")
            else f"workbook.problem.{code}"
        )
        text = t(key, lang, **{"sheet": sheet or META_SHEET, "field": "", **params})
        result.problems.append(
            {"code": code, "sheet": sheet, "cell": cell, "field": params.get("measure"),
             "message": text}
        )  # fmt: skip

    try:
        check_file(data, GuardLimits.from_settings(settings))
    except Rejection as exc:
        problem(exc.code, sheet=None, cell=None, **exc.params)  # the file, not a sheet
        result.status = "rejected"
        return result
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # a received file never crashes a command
        problem("damaged", detail=f"{type(exc).__name__}: {exc}"[:200])
        result.status = "rejected"
        return result
    if META_SHEET not in wb.sheetnames:
        problem("no_metadata")
        result.status = "rejected"
        return result
    raw = {
        _text(r[0].value): _text(r[1].value)
        for r in wb[META_SHEET].iter_rows(min_row=1, max_row=20, max_col=2)
        if r[0].value
    }
    try:
        lang = raw["lang"] if raw.get("lang") in ("lv", "en") else "lv"
        meta = StatusMeta(
            raw["round"], raw["institution"], int(raw["plan_version"]),
            date.fromisoformat(raw["period_end"]), tuple(filter(None, raw["measures"].split(","))),
            lang,
        )  # fmt: skip
        later = [date.fromisoformat(d) for d in raw.get("later_dues", "").split(",") if d]
    except (KeyError, ValueError) as exc:
        problem("bad_metadata", field=str(exc).strip("'")[:40])
        result.status = "rejected"
        return result
    if (bad_code := bad_code_field(meta.round, meta.institution)) is not None:
        problem("bad_metadata", field=bad_code)
        result.status = "rejected"
        return result
    if raw.get("format") != FORMAT or not hmac.compare_digest(
        _sign(settings.signing_key(), meta), raw.get("signature", "")
    ):
        problem("bad_signature")
        result.status = "rejected"
        return result
    result.meta = meta
    sheet = sheet_title(lang)
    if sheet not in wb.sheetnames:
        problem("status_missing_row", sheet, None, measure=", ".join(meta.measures))
        result.status = "rejected"
        return result
    _check_rows(result, SheetGrid(wb[sheet]), meta, later)
    return result


def check_rows(grid: Grid, meta: StatusMeta, later: list[date]) -> StatusCheck:
    """The checks of a returned sheet's rows on values given another way (the portal's
    form laid out as the sheet's cells, :class:`pvpp.workbook.plan_sheet.ValueGrid`): the
    same rules and problems, by cell, in ``meta.lang``. ``later``: the due dates a
    measure may move to."""
    result = StatusCheck(meta=meta)
    _check_rows(result, grid, meta, later)
    return result


def _check_rows(result: StatusCheck, ws: Grid, meta: StatusMeta, later: list[date]) -> None:
    lang, sheet = meta.lang, ws.title

    def problem(code: str, sheet: str | None, cell: str | None, **params: Any) -> None:
        text = t(f"status.problem.{code.removeprefix('status_')}", lang,
                 **{"sheet": sheet or META_SHEET, "field": "", **params})  # fmt: skip
        result.problems.append(
            {"code": code, "sheet": sheet, "cell": cell, "field": params.get("measure"),
             "message": text}
        )  # fmt: skip

    by_id: dict[str, int] = {}
    for row in range(FIRST_ROW, FIRST_ROW + len(meta.measures) + 200):
        mid = _text(ws.value(f"B{row}"))
        if mid in meta.measures and mid not in by_id:
            by_id[mid] = row
    names = {choice_label(key, lang): key for key in CHOICES}
    shown_choices = ", ".join(names)
    allowed = ", ".join(d.isoformat() for d in later)
    unanswered = False
    for mid in meta.measures:
        r = by_id.get(mid)
        if r is None:
            problem("status_missing_row", sheet, None, measure=mid)
            continue
        value = _text(ws.value(f"{STATUS_COL}{r}"))
        comment = _text(ws.value(f"{COMMENT_COL}{r}"))[:2000]
        if not value:
            problem("status_unanswered", sheet, f"{STATUS_COL}{r}", measure=mid)
            unanswered = True
            continue
        status = names.get(value)
        if status is None:
            problem("status_not_in_list", sheet, f"{STATUS_COL}{r}", value=value[:80],
                    choices=shown_choices, measure=mid)  # fmt: skip
            continue
        new_due = None
        if status == "move":
            raw_due = _text(ws.value(f"{NEW_DUE_COL}{r}"))
            if not raw_due:
                problem("status_move_needs_date", sheet, f"{NEW_DUE_COL}{r}", measure=mid,
                        move=choice_label("move", lang), allowed=allowed)  # fmt: skip
                continue
            try:
                new_due = date.fromisoformat(raw_due[:10])
            except ValueError:
                new_due = None
            if new_due not in later:
                problem("status_bad_date", sheet, f"{NEW_DUE_COL}{r}", value=raw_due[:40],
                        measure=mid, allowed=allowed)  # fmt: skip
                continue
        if status == "drop" and len(comment) < 3:
            problem("status_drop_needs_reason", sheet, f"{COMMENT_COL}{r}", measure=mid,
                    drop=choice_label("drop", lang))  # fmt: skip
            continue
        result.updates.append(StatusUpdate(mid, status, new_due, comment))
    if any(p["code"] != "status_unanswered" for p in result.problems):
        result.status = "rejected"
    elif unanswered:
        result.status = "incomplete"
    if result.status != "accepted":
        result.updates.clear()
