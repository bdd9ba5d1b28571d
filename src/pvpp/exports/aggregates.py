"""The aggregate sheets of a round: RV6/RV7 needs, degree distributions, the median index
per table-1 group, the services' conformity per condition group and the plans' funding
per source. They are the whole of the publishable form of the round workbook; a figure
the disclosure rule withholds (:mod:`pvpp.disclosure`) shows the catalogue's marker."""

from __future__ import annotations

from typing import Any

from openpyxl.workbook.workbook import Workbook

from pvpp.exports.data import RoundData, group_name
from pvpp.exports.writer import col, new_sheet, write_table
from pvpp.funding import NO_SOURCE, SEVERAL, TOTAL
from pvpp.i18n import t
from pvpp.policy.models import Lang


def aggregate_sheets(
    wb: Workbook, data: RoundData, view: dict[str, Any], lang: Lang
) -> dict[str, int]:
    """Append the aggregate sheets made from ``view`` (:func:`pvpp.national.aggregates`);
    the rows each holds, by sheet title."""
    counts: dict[str, int] = {}
    policy = data.policy
    marker = t("disclosure.marker", lang)

    def cell(row: dict[str, Any], key: str) -> Any:
        return marker if row.get("withheld") else row[key]

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
            cell(n, "institutions_with_gap"),
            n["institutions_rated"],
            cell(n, "median_gap"),
            cell(n, "mean_gap"),
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
    counts |= _unclear_sheet(wb, data, view, lang)

    group_columns = [
        col("exports.column.group", width=44),
        col("exports.column.institutions", "int", 14),
        col("exports.column.median_index", "dec1", 14),
    ]
    group_rows = [
        [group_name(policy, g, lang), v["institutions"], cell(v, "median_index")]
        for g, v in view["index_by_group"].items()
    ]
    ws = new_sheet(wb, t("exports.sheet.groups", lang))
    write_table(ws, group_columns, group_rows, lang)
    counts[ws.title] = len(group_rows)
    counts |= _conformity_sheet(wb, data, view, lang)
    counts |= _funding_sheet(wb, data, view, lang)
    return counts


def _unclear_sheet(
    wb: Workbook, data: RoundData, view: dict[str, Any], lang: Lang
) -> dict[str, int]:
    """How often each question was answered "Jautājums nav saprotams", of how many
    institutions answered it: the questions to reword first."""
    marker = t("disclosure.marker", lang)
    spec = data.spec
    columns = [
        col("exports.column.field", width=14),
        col("exports.column.item", width=8),
        col("exports.column.dimension", width=10),
        col("exports.column.question", width=70),
        col("exports.column.unclear", "int", 14),
        col("exports.column.answered", "int", 14),
    ]
    rows = [
        [
            q["field"],
            q["item"],
            q["dimension"],
            spec.question_text(q["field"], lang),
            marker if q["withheld"] else q["unclear"],
            q["answered"],
        ]
        for q in view["unclear_questions"]
    ]
    ws = new_sheet(wb, t("exports.sheet.unclear", lang))
    write_table(ws, columns, rows, lang, freeze_cols=1)
    return {ws.title: len(rows)}


def _conformity_sheet(
    wb: Workbook, data: RoundData, view: dict[str, Any], lang: Lang
) -> dict[str, int]:
    """Per condition group, the services of the round's institutions by conformity (left
    out when too few institutions listed services, in the publishable form)."""
    conformity = view.get("service_conformity", {})
    if conformity.get("suppressed", True):
        return {}
    columns = [
        col("exports.column.item", width=8),
        col("exports.column.item_name", width=34),
        col("exports.column.conforms", "int", 14),
        col("exports.column.partly", "int", 14),
        col("exports.column.not_conforming", "int", 14),
        col("exports.column.not_applicable", "int", 14),
        col("exports.column.unanswered", "int", 14),
        col("exports.column.reported", "int", 14),
        col("exports.column.conforming_percent", "dec1", 16),
    ]
    rows = [
        [
            group,
            data.policy.item(group).name.get(lang),
            c["conforms"],
            c["partly"],
            c["not"],
            c["not_applicable"],
            c["unanswered"],
            c["reported"],
            c["conforms"] / c["reported"] * 100 if c["reported"] else None,
        ]
        for group, c in conformity["groups"].items()
    ]
    ws = new_sheet(wb, t("exports.sheet.conformity", lang))
    write_table(ws, columns, rows, lang, freeze_cols=2)
    return {ws.title: len(rows)}


def _funding_sheet(
    wb: Workbook, data: RoundData, view: dict[str, Any], lang: Lang
) -> dict[str, int]:
    """The funding the newest plan versions state as already available, per source
    (:func:`pvpp.funding.funding_totals`; left out with too few plans when published)."""
    funding = view.get("funding", {})
    if funding.get("suppressed", True):
        return {}
    names = {f.id: f.name.get(lang) for f in data.policy.funding_sources}
    names |= {
        SEVERAL: t("national.funding_several", lang),
        NO_SOURCE: t("national.funding_no_source", lang),
        TOTAL: t("national.funding_total", lang),
    }
    columns = [
        col("exports.column.funding_source", width=12),
        col("exports.column.funding_source_name", "long", 50),
        col("exports.column.measures_count", "int", 12),
        col("exports.column.with_amount", "int", 14),
        col("exports.column.without_amount", "int", 14),
        col("exports.column.funding_total_eur", "int", 16),
    ]
    rows = [
        [
            key if key in (f.id for f in data.policy.funding_sources) else None,
            names.get(key, key),
            line["measures"],
            line["with_amount"],
            line["measures"] - line["with_amount"],
            line["eur"],
        ]
        for key, line in funding["sources"].items()
    ]
    ws = new_sheet(wb, t("exports.sheet.funding", lang))
    write_table(ws, columns, rows, lang, freeze_cols=2)
    return {ws.title: len(rows)}
