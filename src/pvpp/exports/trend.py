"""Rounds compared (:func:`pvpp.national.round_trend`) as tables.

- The round workbook's trend sheet: per component, institution group and item, each
  round's number of institutions rated, median and quartiles since the round before, and
  the change of the median; what was not compared and the plan measures done go to the
  information sheet.
- The console's trend page's downloads (:func:`trend_bytes`): each of its tables
  (:data:`TABLES`) as a CSV, or all of them (or one) as a workbook, through the shared
  writer as the progress downloads are (:mod:`pvpp.exports.progress`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from openpyxl.workbook.workbook import Workbook
from sqlmodel import Session

from pvpp.exports.data import RoundData, group_name
from pvpp.exports.progress import Table
from pvpp.exports.writer import (
    Column,
    Pair,
    check_lang,
    col,
    csv_bytes,
    download_suffix,
    new_sheet,
    new_workbook,
    write_table,
)
from pvpp.i18n import number, t
from pvpp.national import round_trend
from pvpp.policy import Policy
from pvpp.policy.models import Lang
from pvpp.queries import previous_round
from pvpp.trends import Row, Trend, jump_text, left_out_text

#: The console trend page's tables, by name (each a sheet of the workbook).
TABLES = ("components", "groups", "items", "plans", "jumps", "left_out")
#: The table a CSV holds when none is named.
DEFAULT_CSV_TABLE = "items"


def _spread_columns(tr: Trend) -> list[Column]:
    """Per round: institutions rated, median, Q1, Q3; then the change of the median."""
    columns = []
    for r in tr.rounds:
        columns += [
            col("exports.column.trend_n", "int", 12, round=r),
            col("trends.median", "dec2", 12, round=r),
            col("exports.column.trend_q1", "dec2", 10, round=r),
            col("exports.column.trend_q3", "dec2", 10, round=r),
        ]
    columns.append(col("trends.change", "dec2", 10))
    return columns


def _spread_cells(row: Row, marker: str) -> list[Any]:
    """A row's per-round figures (``marker`` for those withheld) and its change."""
    cells: list[Any] = []
    for s in row.spreads:
        shown = [s.median, s.q1, s.q3]
        cells += [s.n, *([marker] * 3 if s.withheld else shown)]
    return [*cells, row.change]


def trend_sheet(
    wb: Workbook, session: Session, data: RoundData, lang: Lang, *, publish: bool
) -> tuple[dict[str, int], list[Pair]]:
    """Append the trend sheet when a round was opened before ``data.round``: (rows by sheet
    title, the information sheet's lines about it). With ``publish`` from both rounds'
    closures, nothing while either is open (a line says so)."""
    earlier = previous_round(session, data.round)
    if earlier is None:
        return {}, []
    view = round_trend(session, [earlier.code, data.round.code], publish=publish)
    title = t("exports.sheet.trend", lang)
    if view.trend is None:
        return {}, [(title, t("trends.not_closed", lang, round=earlier.code))]
    tr = view.trend
    marker = t("disclosure.marker", lang)
    columns = [
        col("exports.column.trend_level", width=16),
        col("exports.column.trend_code", width=8),
        col("exports.column.trend_name", "long", 34),
        *_spread_columns(tr),
    ]
    policy = data.policy
    names = {c.id: c.name.get(lang) for c in policy.components}
    names |= {i.id: i.name.get(lang) for i in policy.items}
    rows: list[list[Any]] = []

    def add(level: str, table: list[Row], name: Any) -> None:
        for row in table:
            rows.append([level, row.key, name(row.key), *_spread_cells(row, marker)])

    add(t("national.component", lang), tr.components, names.get)
    add(t("national.group", lang), tr.groups, lambda g: group_name(policy, g, lang))
    add(t("national.item", lang), tr.items, names.get)
    ws = new_sheet(wb, title)
    write_table(ws, columns, rows, lang, freeze_cols=3)
    return {ws.title: len(rows)}, _info(tr, lang)


def _info(tr: Trend, lang: Lang) -> list[Pair]:
    marker = t("disclosure.marker", lang)
    lines: list[Pair] = [
        (t("trends.title", lang), t("trends.intro", lang, rounds=", ".join(tr.rounds)))
    ]
    if tr.same_questions:
        lines.append((t("trends.left_out_title", lang), t("trends.same_questions", lang)))
    else:
        lines.append(
            (
                t("trends.left_out_title", lang),
                "\n".join(left_out_text(x, tr.shared.versions, lang) for x in tr.shared.left_out),
            )
        )
    for p in tr.plans:
        share = marker if p.withheld or p.share is None else f"{number(p.share, lang, 0)} %"
        lines.append((f"{t('trends.plans', lang)} {p.round}", share))
    return lines


def trend_tables(
    tr: Trend, policy: Policy, lang: Lang, institutions: Mapping[str, str]
) -> dict[str, Table]:
    """Every table of the console's trend page, by name, in ``lang``: components, groups
    and items (per round n, median, Q1, Q3, and the change), plan measures done per round,
    the jump warnings (naming institutions: ``institutions`` maps their codes to names)
    and what was not compared."""
    marker = t("disclosure.marker", lang)
    names = {c.id: c.name.get(lang) for c in policy.components}
    names |= {i.id: i.name.get(lang) for i in policy.items}
    head = [col("exports.column.trend_code", width=8), col("exports.column.trend_name", "long", 34)]

    def spreads(name: str, rows: list[Row], label: Callable[[str], str]) -> Table:
        return Table(name, [*head, *_spread_columns(tr)],
                     [[r.key, label(r.key), *_spread_cells(r, marker)] for r in rows])  # fmt: skip

    return {
        "components": spreads("components", tr.components, lambda k: names.get(k, k)),
        "groups": spreads("groups", tr.groups, lambda g: group_name(policy, g, lang)),
        "items": spreads("items", tr.items, lambda k: names.get(k, k)),
        "plans": Table(
            "plans",
            [
                col("trends.round"),
                col("trends.plans_count", "int"),
                col("trends.measures_count", "int"),
                col("trends.done", "int"),
                col("trends.share", "dec1"),
            ],
            [
                [p.round, p.plans, p.measures, p.done, marker if p.withheld else p.share]
                for p in tr.plans
            ],
        ),
        "jumps": Table(
            "jumps",
            [
                col("exports.column.code"),
                col("exports.column.name", "long", 34),
                col("exports.column.trend_code", width=8),
                col("trends.jumps", "long", 60),
            ],
            [
                [j.institution, institutions.get(j.institution, ""), j.item, jump_text(j, lang)]
                for j in tr.jumps
            ],
        ),
        "left_out": Table(
            "left_out",
            [col("trends.left_out_title", "long", 80)],
            [[left_out_text(x, tr.shared.versions, lang)] for x in tr.shared.left_out],
        ),
    }


def trend_bytes(
    tr: Trend, policy: Policy, suffix: str, *, lang: str = "lv", table: str | None = None,
    institutions: Mapping[str, str] | None = None, tables: tuple[str, ...] = TABLES,
) -> bytes:  # fmt: skip
    """Rounds compared as the bytes of a workbook (``.xlsx``: every table of ``tables``,
    or ``table``) or a CSV (``.csv``: ``table``, by default the items)."""
    language = check_lang(lang)
    suffix = download_suffix(suffix, table, TABLES)
    made = trend_tables(tr, policy, language, institutions or {})
    if suffix == ".csv":
        one = made[table or DEFAULT_CSV_TABLE]
        return csv_bytes([c.header(language) for c in one.columns], one.rows, language)
    wb = new_workbook(f"{t('trends.title', language)} {', '.join(tr.rounds)}", language)
    for name in (table,) if table else tables:
        one = made[name]
        sheet = new_sheet(wb, t(f"console.trends.table.{name}", language))
        write_table(sheet, one.columns, one.rows, language, freeze_cols=1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def download_name(tr: Trend, suffix: str, *, lang: str = "lv", table: str | None = None) -> str:
    """The file name a download is offered as: "Izmaiņas 2026-K1 2027-K1" and, for one
    table, its name."""
    language = check_lang(lang)
    one = table or (DEFAULT_CSV_TABLE if suffix.lower() == ".csv" else None)
    name = t("console.trends.file_name", language, rounds=" ".join(tr.rounds))
    if one is not None:
        name += " " + t(f"console.trends.table.{one}", language)
    return name + suffix.lower()
