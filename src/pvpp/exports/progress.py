"""A round's progress view (:mod:`pvpp.round_progress`) as Excel or CSV: every table of
it, Latvian by default and English on request.

A workbook holds every table as a sheet (or the one asked for); a CSV holds one table
(``institutions`` unless another is named). The tables, by name: ``summary``, ``states``,
``line``, ``behind``, ``idle``, ``institutions``, ``milestones``. Names and notes from
people go through the shared writer, so none becomes a formula.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pvpp.exports.data import name_of
from pvpp.exports.writer import (
    FORMATS,
    LOCAL_TZ,
    Column,
    ExportError,
    ExportSummary,
    check_lang,
    col,
    csv_bytes,
    download_suffix,
    new_sheet,
    new_workbook,
    write_file,
    write_pairs,
    write_table,
)
from pvpp.i18n import t
from pvpp.policy.models import Lang
from pvpp.round_progress import InstitutionProgress, RoundProgress

TABLES = ("summary", "states", "line", "behind", "idle", "institutions", "milestones")
#: The table a CSV holds when none is named.
DEFAULT_CSV_TABLE = "institutions"


@dataclass(frozen=True)
class Table:
    """One table of the view: its columns and rows, ready for a sheet or a CSV."""

    name: str
    columns: list[Column]
    rows: list[list[Any]]


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def filters_text(view: RoundProgress, lang: Lang) -> str:
    """The view's filters in words ("visas iestādes" when none)."""
    f = view.filters
    parts = []
    if f.group:
        parts.append(t("progress.filter.group", lang, group=f.group))
    if f.state:
        parts.append(t("progress.filter.state", lang, state=name_of("state", f.state, lang)))
    if f.name:
        parts.append(t("progress.filter.name", lang, name=f.name))
    return "; ".join(parts) or t("progress.filter.all", lang)


def _summary(view: RoundProgress, lang: Lang) -> list[tuple[str, Any]]:
    return [
        (t("exports.info.round", lang), view.round_code),
        (t("exports.info.opens", lang), view.opens_on),
        (t("exports.info.round_due", lang), view.due_on),
        (t("progress.column.as_of", lang), view.today),
        (t("progress.column.filters", lang), filters_text(view, lang)),
        (t("exports.info.assigned", lang), view.total),
        (t("progress.column.handed_in", lang), view.handed_in),
        (t("progress.column.complete", lang), view.complete),
        (t("progress.column.share_handed_in", lang), _percent(view.share_handed_in)),
        (t("progress.column.share_complete", lang), _percent(view.share_complete)),
    ]


INSTITUTION_COLUMNS = [
    col("exports.column.code"),
    col("exports.column.name"),
    col("exports.column.group"),
    col("exports.column.state"),
    col("progress.column.answered", "int"),
    col("progress.column.questions", "int"),
    col("progress.column.answered_share", "dec1"),
    col("progress.column.last_active", "datetime"),
    col("progress.column.idle_days", "int"),
]


def _institution(r: InstitutionProgress, lang: Lang) -> list[Any]:
    state = name_of("state", r.state, lang)
    share = _percent(r.answered_share)
    return [r.code, r.name, r.group, state, r.answered, r.questions, share, r.last_active,
            r.idle_days]  # fmt: skip


def _institutions(rows: list[InstitutionProgress], lang: Lang) -> list[list[Any]]:
    return [_institution(r, lang) for r in rows]


def _milestone(m: dict[str, Any], lang: Lang) -> list[Any]:
    state = m["state"]
    if state in ("planned", "in_progress", "done"):
        state = t(f"progress.milestone_state.{state}", lang)
    text = m["text_lv"] if lang == "lv" else m["text_en"]
    late = t("progress.yes", lang) if m["late"] else ""
    return [m["measure"], text, state, m["due_on"], late, m["note"]]


def tables(view: RoundProgress, lang: Lang) -> dict[str, Table]:
    """Every table of the view, by name, in ``lang``."""
    summary = _summary(view, lang)
    milestone_rows = [_milestone(m, lang) for m in view.milestones]
    return {
        "summary": Table(
            "summary",
            [col("exports.column.field"), col("exports.column.value")],
            [list(pair) for pair in summary],
        ),
        "states": Table(
            "states",
            [col("exports.column.state"), col("exports.column.institutions", "int")],
            [[name_of("state", s, lang), n] for s, n in view.states],
        ),
        "line": Table(
            "line",
            [
                col("progress.column.day", "date"),
                col("progress.column.handed_in", "int"),
                col("progress.column.complete", "int"),
            ],
            [[p.day, p.handed_in, p.complete] for p in view.line],
        ),
        "behind": Table("behind", INSTITUTION_COLUMNS, _institutions(view.behind, lang)),
        "idle": Table("idle", INSTITUTION_COLUMNS, _institutions(view.idle, lang)),
        "institutions": Table(
            "institutions", INSTITUTION_COLUMNS, _institutions(view.institutions, lang)
        ),
        "milestones": Table(
            "milestones",
            [
                col("exports.column.measure_id"),
                col("exports.column.measure", "long", width=60),
                col("progress.column.milestone_state"),
                col("exports.column.due", "date"),
                col("progress.column.late"),
                col("progress.column.note", "long", width=40),
            ],
            milestone_rows,
        ),
    }


def _csv_value(value: Any) -> Any:
    """A value as a CSV field takes it: a time as Riga time, to the minute."""
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return value


#: The media type of each format, for a download.
MEDIA_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
}


def progress_bytes(
    view: RoundProgress, suffix: str, *, lang: str = "lv", table: str | None = None
) -> tuple[bytes, dict[str, int]]:
    """The progress view as the bytes of a workbook (``.xlsx``: every table, or ``table``)
    or a CSV (``.csv``: ``table``, by default the institutions), with the rows of each
    table written: what :func:`export_progress` writes, and what the console's download
    sends."""
    language = check_lang(lang)
    suffix = download_suffix(suffix, table, TABLES)
    made = tables(view, language)
    if suffix == ".csv":
        one = made[table or DEFAULT_CSV_TABLE]
        rows = [[_csv_value(v) for v in row] for row in one.rows]
        data = csv_bytes([c.header(language) for c in one.columns], rows, language)
        return data, {one.name: len(rows)}
    wb = new_workbook(f"{view.round_code} — {t('progress.sheet.summary', language)}", language)
    counts: dict[str, int] = {}
    for name in (table,) if table else TABLES:
        sheet = new_sheet(wb, t(f"progress.sheet.{name}", language))
        one = made[name]
        if name == "summary":
            write_pairs(sheet, _summary(view, language), language)
        else:
            write_table(sheet, one.columns, one.rows, language, freeze_cols=1)
        counts[name] = len(one.rows)
    wb.active = 0
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), counts


def download_name(view: RoundProgress, suffix: str, *, lang: str = "lv",
                  table: str | None = None) -> str:  # fmt: skip
    """The file name a download of the view is offered as, in ``lang``: "Izpilde 2026-K1"
    and, for one table, its sheet's name ("Izpilde 2026-K1 Iestādes.csv")."""
    language = check_lang(lang)
    one = table or (DEFAULT_CSV_TABLE if suffix.lower() == ".csv" else None)
    name = t("progress.file_name", language, round=view.round_code)
    if one is not None:
        name += " " + t(f"progress.sheet.{one}", language)
    return name + suffix.lower()


def export_progress(
    view: RoundProgress, path: Path | str, *, lang: str = "lv", table: str | None = None
) -> ExportSummary:
    """Write the progress view to ``path``: a workbook (``.xlsx``: every table, or
    ``table``) or a CSV (``.csv``: ``table``, by default the institutions)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"{target.name}: the export is written as .xlsx or .csv, not {suffix!r}")
    data, counts = progress_bytes(view, suffix, lang=lang, table=table)
    return ExportSummary(write_file(target, data), counts)
