"""The round workbook for VARAM: institutions, item scores, services, current plan measures
and the condition-group heat map, then the aggregate sheets and the information sheet."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from sqlmodel import Session

from pvpp.exports.aggregates import aggregate_sheets
from pvpp.exports.data import (
    RoundData,
    answer_text,
    flag_label,
    group_name,
    item_columns,
    item_rows,
    load_round,
    name_of,
    non_scoring,
)
from pvpp.exports.info import info_sheet
from pvpp.exports.plan import measure_columns, measure_rows
from pvpp.exports.trend import trend_sheet
from pvpp.exports.writer import (
    ExportSummary,
    Pair,
    check_lang,
    code_col,
    col,
    new_sheet,
    new_workbook,
    save_workbook,
    write_table,
)
from pvpp.i18n import day, t
from pvpp.national import aggregates
from pvpp.policy.models import Lang
from pvpp.questionnaire.models import service_field_id
from pvpp.store.models import id_of


def export_round(
    session: Session,
    round_code: str,
    path: Path | str,
    *,
    lang: str = "lv",
    publish: bool = False,
    generated_at: datetime | None = None,
) -> ExportSummary:
    """Write the round's workbook for VARAM to ``path``.

    The sheets: institutions, item scores, services, current plan measures, the
    condition-group heat map, RV6/RV7 needs, degree distributions, the median index per
    table-1 group, the trend since the round before (when there is one) and an
    "Informācija" sheet. ``publish`` makes the publishable form: only
    aggregates, by the disclosure rule (``docs/disclosure.md``): from the round's closure
    only (an open round's publishable form says it is not closed and has no figures),
    every figure over too few institutions withheld with a marker, and no institution
    named, so the per-institution sheets are left out.
    """
    language = check_lang(lang)
    generated_at = generated_at or datetime.now(UTC)
    data = load_round(session, round_code, internal=not publish)
    view = aggregates(session, round_code, publish=publish)
    min_group = view["min_group"]  # the threshold the aggregates were withheld by
    wb = new_workbook(f"PVPP2027 — {data.round.code}", language)
    rows: dict[str, int] = {}
    if not publish:
        rows[t("exports.sheet.institutions", language)] = _institution_sheet(wb, data, language)
        rows[t("exports.sheet.items", language)] = _items_sheet(wb, data, language)
        rows[t("exports.sheet.services", language)] = _services_sheet(wb, data, language)
        rows[t("exports.sheet.plans", language)] = _plans_sheet(wb, data, language)
        rows[t("exports.sheet.heat", language)] = _heat_sheet(wb, data, view, language)
    if not view["suppressed"]:
        rows |= aggregate_sheets(wb, data, view, language)
    trend_rows, trend_info = trend_sheet(wb, session, data, language, publish=publish)
    rows |= trend_rows
    extra: list[Pair] = [
        (
            t("exports.info.form", language),
            t("exports.info.form_public", language, n=min_group)
            if publish
            else t("exports.info.form_internal", language),
        ),
    ]
    closed = date.fromisoformat(view["closed_on"]) if view["closed_on"] else None
    if closed is not None:
        extra.append((t("disclosure.closed_on", language), closed))
    if view["institutions_scored"] is not None:
        extra.append((t("exports.info.scored", language), view["institutions_scored"]))
    if not publish:
        extra.append((t("exports.info.assigned", language), len(data.assignments)))
    if view["withheld"] == "open":
        extra.append((t("exports.info.note", language), t("disclosure.not_closed", language)))
    elif view["suppressed"]:
        extra.append(
            (t("exports.info.note", language), t("exports.info.withheld", language, n=min_group))
        )
    elif publish:
        notes = [t("disclosure.marker_note", language, n=min_group)]
        if closed is not None:
            notes.append(t("disclosure.closed_text", language, day=day(closed, language)))
        extra.append((t("exports.info.note", language), "\n".join(notes)))
    info_sheet(wb, data, language, generated_at, extra + trend_info)
    return ExportSummary(save_workbook(wb, path), rows)


def _institution_sheet(wb: Workbook, data: RoundData, lang: Lang) -> int:
    by_assignment = {s.assignment.id: s for s in data.scored}
    columns = [
        col("exports.column.code", width=14),
        col("exports.column.name", "long", 40),
        col("exports.column.group", "long", 34),
        col("exports.column.state", width=20),
        col("exports.column.index", "dec1", 14),
        col("exports.column.overall", "dec2", 14),
        *[
            col("exports.column.component", "dec2", 14, number=c.number)
            for c in data.policy.components
        ],
        col("exports.column.changed", "datetime", 18),
        col("exports.column.flags", "long", 36),
        # The newest plan version and how far the head's approval of it has come.
        col("exports.column.plan_version", "int", 10),
        col("exports.column.plan_status", width=16),
        col("exports.column.approval_due", "date", 14),
        col("exports.column.approved_at", "datetime", 18),
        col("exports.column.approved_by", width=30),
    ]
    rows = []
    for a in data.assignments:
        inst = data.institutions[a.institution_id]
        s = by_assignment.get(a.id)
        plan = data.plans[a.id][0] if a.id in data.plans else None
        comps = [s.result.components[c.id].score if s else None for c in data.policy.components]
        rows.append(
            [
                inst.code,
                inst.name,
                group_name(data.policy, inst.group_id, lang),
                name_of("state", a.state, lang),
                s.result.index if s else None,
                s.result.overall if s else None,
                *comps,
                a.updated_at,
                "; ".join(flag_label(f, lang) for f in data.flags.get(id_of(a), [])) or None,
                plan.version if plan else None,
                name_of("plan_state", plan.status, lang) if plan else None,
                plan.approval_due if plan else None,
                plan.approved_at if plan else None,
                (plan.approved_by or None) if plan else None,
            ]
        )
    ws = new_sheet(wb, t("exports.sheet.institutions", lang))
    write_table(ws, columns, rows, lang, freeze_cols=2)
    return len(rows)


def _items_sheet(wb: Workbook, data: RoundData, lang: Lang) -> int:
    rows = item_rows(data, lang)
    ws = new_sheet(wb, t("exports.sheet.items", lang))
    write_table(ws, item_columns(data.policy), rows, lang, freeze_cols=5)
    return len(rows)


def _services_sheet(wb: Workbook, data: RoundData, lang: Lang) -> int:
    groups = data.spec.condition_groups
    conformity = {o.code: o.label.get(lang) for o in data.spec.questionnaire.conformity}
    conformity |= non_scoring(data.spec, lang)
    types = {st.id: data.spec.service_type_label(st.id, lang) for st in data.policy.service_types}
    columns = [
        col("exports.column.code", width=14),
        col("exports.column.name", width=36),
        col("exports.column.row", "int", 7),
        col("exports.column.service", "long", 40),
        col("exports.column.service_type", width=30),
        col("exports.column.catalogue", width=14),
        *[code_col(g, "text", 14) for g in groups],
    ]
    rows = []
    for s in data.scored:
        for row in range(1, data.spec.questionnaire.service_rows + 1):
            name = answer_text(s.answers, service_field_id(row, "NAME"))
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
                    answer_text(s.answers, service_field_id(row, "CATALOGUE")),
                    *[
                        conformity.get(v, v)
                        if (v := s.answers.get(service_field_id(row, g)))
                        else None
                        for g in groups
                    ],
                ]
            )
    ws = new_sheet(wb, t("exports.sheet.services", lang))
    write_table(ws, columns, rows, lang, freeze_cols=4)
    return len(rows)


def _plans_sheet(wb: Workbook, data: RoundData, lang: Lang) -> int:
    rows = []
    for a in data.assignments:
        if a.id not in data.plans:
            continue
        inst = data.institutions[a.institution_id]
        plan, measures = data.plans[a.id]
        for row in measure_rows(data.policy, data.library, measures, lang):
            rows.append([inst.code, inst.name, plan.version, *row])
    ws = new_sheet(wb, t("exports.sheet.plans", lang))
    write_table(ws, measure_columns(prefix=True), rows, lang, freeze_cols=2)
    return len(rows)


#: Lowest, middle and highest degree's fill on the heat sheet (the PDF's first three shades).
HEAT_SCALE = ("F7FBFF", "C6DBEF", "6BAED6")


def _heat_sheet(wb: Workbook, data: RoundData, view: dict[str, Any], lang: Lang) -> int:
    heat: dict[str, dict[str, float | None]] = view.get("institutions_by_condition_group", {})
    groups = data.spec.condition_groups
    names = {s.institution.code: s.institution.name for s in data.scored}
    columns = [
        col("exports.column.code", width=14),
        col("exports.column.name", width=36),
        # "K1 <name of item K1>": the name in the export's language, from the policy
        *[
            col(
                "exports.column.condition_group", "dec2", 14, group=g, name=data.policy.item(g).name
            )
            for g in groups
        ],
    ]
    rows = [
        [code, names.get(code), *[scores.get(g) for g in groups]] for code, scores in heat.items()
    ]
    ws = new_sheet(wb, t("exports.sheet.heat", lang))
    write_table(ws, columns, rows, lang, freeze_cols=2)
    if rows:
        last = get_column_letter(2 + len(groups))
        # The national report's scale: one hue, light for the lowest degree, darker for
        # higher ones (no red against green, which many readers cannot tell apart); light
        # enough throughout for the black value printed in each cell.
        ws.conditional_formatting.add(
            f"C2:{last}{len(rows) + 1}",
            ColorScaleRule(
                start_type="num",
                start_value=data.policy.degree_scale.min,
                start_color=HEAT_SCALE[0],
                mid_type="num",
                mid_value=(data.policy.degree_scale.min + data.policy.degree_scale.max) / 2,
                mid_color=HEAT_SCALE[1],
                end_type="num",
                end_value=data.policy.degree_scale.max,
                end_color=HEAT_SCALE[2],
            ),
        )
    return len(rows)
