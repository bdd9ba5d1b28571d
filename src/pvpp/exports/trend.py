"""The round workbook's trend sheet: per component, institution group and item, each
round's number of institutions rated, median and quartiles since the round before, and
the change of the median (:func:`pvpp.national.round_trend`); what was not compared and
the plan measures done go to the information sheet."""

from __future__ import annotations

from typing import Any

from openpyxl.workbook.workbook import Workbook
from sqlmodel import Session

from pvpp.exports.data import RoundData, group_name
from pvpp.exports.writer import Pair, col, new_sheet, write_table
from pvpp.i18n import number, t
from pvpp.national import round_trend
from pvpp.policy.models import Lang
from pvpp.queries import previous_round
from pvpp.trends import Row, Trend, left_out_text


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
    ]
    for r in tr.rounds:
        columns += [
            col("exports.column.trend_n", "int", 12, round=r),
            col("trends.median", "dec2", 12, round=r),
            col("exports.column.trend_q1", "dec2", 10, round=r),
            col("exports.column.trend_q3", "dec2", 10, round=r),
        ]
    columns.append(col("trends.change", "dec2", 10))
    policy = data.policy
    names = {c.id: c.name.get(lang) for c in policy.components}
    names |= {i.id: i.name.get(lang) for i in policy.items}
    rows: list[list[Any]] = []

    def add(level: str, table: list[Row], name: Any) -> None:
        for row in table:
            cells: list[Any] = [level, row.key, name(row.key)]
            for s in row.spreads:
                shown = [s.median, s.q1, s.q3]
                cells += [s.n, *([marker] * 3 if s.withheld else shown)]
            rows.append([*cells, row.change])

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
