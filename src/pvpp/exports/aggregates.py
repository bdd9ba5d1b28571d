"""The aggregate sheets of a round: RV6/RV7 needs, degree distributions and the median index
per table-1 group. They are the whole of the publishable form of the round workbook."""

from __future__ import annotations

from typing import Any

from openpyxl.workbook.workbook import Workbook

from pvpp.exports.data import RoundData, group_name
from pvpp.exports.writer import col, new_sheet, write_table
from pvpp.i18n import t
from pvpp.policy.models import Lang


def aggregate_sheets(
    wb: Workbook, data: RoundData, view: dict[str, Any], lang: Lang
) -> dict[str, int]:
    """Append the aggregate sheets made from ``view`` (:func:`pvpp.national.aggregates`);
    the rows each holds, by sheet title."""
    counts: dict[str, int] = {}
    policy = data.policy
    needs_columns = [
        col("exports.column.direction", width=12),
        col("exports.column.item", width=8),
        col("exports.column.item_name", width=34),
        col("exports.column.with_gap", "int", 14),
        col("exports.column.rated", "int", 14),
        col("exports.column.median_gap", "dec2", 12),
        col("exports.column.mean_gap", "dec2", 12),
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
    ws = new_sheet(wb, t("exports.sheet.needs", lang))
    write_table(ws, needs_columns, needs_rows, lang, freeze_cols=2)
    counts[ws.title] = len(needs_rows)

    values = [str(v) for v in policy.degree_scale.values]
    dist_columns = [
        col("exports.column.item", width=8),
        col("exports.column.item_name", width=34),
        *[col("exports.column.degree", "int", 10, degree=v) for v in values],
        col("exports.column.unrated", "int", 12),
        col("exports.column.total", "int", 9),
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
    ws = new_sheet(wb, t("exports.sheet.distribution", lang))
    write_table(ws, dist_columns, dist_rows, lang, freeze_cols=2)
    counts[ws.title] = len(dist_rows)

    group_columns = [
        col("exports.column.group", width=44),
        col("exports.column.institutions", "int", 14),
        col("exports.column.median_index", "dec1", 14),
    ]
    group_rows = [
        [group_name(policy, g, lang), v["institutions"], v["median_index"]]
        for g, v in view["index_by_group"].items()
    ]
    ws = new_sheet(wb, t("exports.sheet.groups", lang))
    write_table(ws, group_columns, group_rows, lang)
    counts[ws.title] = len(group_rows)
    return counts
