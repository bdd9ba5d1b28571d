"""A specialised plan (RV6, RV7) as a workbook: its measures (dropped ones with their
reasons), the needs it answers, the changes of every version up to this one, and an
information sheet. Publishable by default like the plan PDF
(:mod:`pvpp.documents.national_plan_pdf`): no institution named, a figure over too few
institutions withheld with the marker; ``internal`` names the institutions served."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl.workbook.workbook import Workbook
from sqlmodel import Session, select
from sqlmodel import col as sql_col

from pvpp.disclosure import enough, published_minimum
from pvpp.documents.national_plan_pdf import institution_names, served_shown, text_of
from pvpp.exports.writer import (
    ExportSummary,
    Pair,
    check_lang,
    col,
    new_sheet,
    new_workbook,
    save_workbook,
    write_pairs,
    write_table,
)
from pvpp.i18n import day, t
from pvpp.national_plans import PlanView, get_plan
from pvpp.policy.models import Lang
from pvpp.specialised import DRAFTED
from pvpp.store.models import NationalPlan, NationalPlanChange


def export_national_plan(
    session: Session,
    round_code: str,
    direction: str,
    path: Path | str,
    *,
    lang: str = "lv",
    internal: bool = False,
    version: int | None = None,
    generated_at: datetime,
) -> ExportSummary:
    """Write the plan (its newest version, or ``version``) as a workbook to ``path``."""
    language = check_lang(lang)
    view = get_plan(session, round_code, direction, version)
    names = institution_names(session) if internal else {}
    wb = new_workbook(t(f"natplan.title_{direction}", language), language)
    rows = {
        t("natplan.sheet_measures", language): _measures(wb, view, language, internal, names),
        t("natplan.sheet_needs", language): _needs(wb, view, language, internal),
        t("natplan.sheet_changes", language): _changes(wb, session, view, language),
    }
    _info(wb, view, language, internal, generated_at)
    return ExportSummary(save_workbook(wb, path), rows)


def _measures(
    wb: Workbook, view: PlanView, lang: Lang, internal: bool, names: dict[str, str]
) -> int:
    library = view.library
    marker = t("disclosure.marker", lang)
    fields = {f: t(f"natplan.field_{f}", lang) for f in DRAFTED}
    columns = [
        col("natplan.column_key", width=9),
        col("natplan.column_title", "long", 40),
        col("natplan.description", "long", 60),
        col("natplan.responsible", "long", 30),
        col("natplan.due", "date", 12),
        col("natplan.policy_measure", width=10),
        col("natplan.column_items", width=14),
        col("natplan.column_served_count", "int", 12),
        *([col("natplan.column_served", "long", 40)] if internal else []),
        col("natplan.column_status", width=12),
        col("natplan.reason", "long", 40),
        col("natplan.column_provisional", "long", 30),
    ]
    rows = []
    for m in view.measures:
        rows.append([
            m.key,
            text_of(m.title, lang),
            text_of(m.description, lang),
            library.body_name(m.responsible, lang),
            m.due_on,
            m.policy_measure,
            ", ".join(m.items),
            len(m.institutions) if served_shown(view, m, internal) else marker,
            *(
                ["; ".join(f"{c} {names.get(c, '')}".strip() for c in m.institutions) or None]
                if internal
                else []
            ),
            t(f"natplan.status_{m.status}", lang),
            m.dropped_reason or None,
            ", ".join(fields[f] for f in m.provisional if f in fields) or None,
        ])  # fmt: skip
    ws = new_sheet(wb, t("natplan.sheet_measures", lang))
    write_table(ws, columns, rows, lang, freeze_cols=2)
    return len(rows)


def _needs(wb: Workbook, view: PlanView, lang: Lang, internal: bool) -> int:
    marker = t("disclosure.marker", lang)
    columns = [
        col("exports.column.item", width=8),
        col("exports.column.item_name", width=40),
        col("exports.column.with_gap", "int", 14),
        col("exports.column.rated", "int", 14),
        col("exports.column.median_gap", "dec2", 12),
        col("exports.column.mean_gap", "dec2", 12),
    ]
    rows = []
    for n in view.needs:
        ok = internal or enough(n.rated)
        rows.append([
            n.item,
            view.policy.item(n.item).name.get(lang),
            len(n.with_gap) if ok else marker,
            n.rated,
            n.median_gap if ok else marker,
            n.mean_gap if ok else marker,
        ])  # fmt: skip
    ws = new_sheet(wb, t("natplan.sheet_needs", lang))
    write_table(ws, columns, rows, lang, freeze_cols=1)
    return len(rows)


def _changes(wb: Workbook, session: Session, view: PlanView, lang: Lang) -> int:
    """Every change from the first version to this one: the plan's history in one table."""
    versions = {
        p.id: p.version
        for p in session.exec(
            select(NationalPlan).where(
                NationalPlan.round_id == view.plan.round_id,
                NationalPlan.direction == view.plan.direction,
                sql_col(NationalPlan.version) <= view.plan.version,
            )
        ).all()
    }
    changes = session.exec(
        select(NationalPlanChange)
        .where(sql_col(NationalPlanChange.plan_id).in_(list(versions)))
        .order_by(sql_col(NationalPlanChange.id))
    ).all()
    columns = [
        col("natplan.column_version", "int", 9),
        col("natplan.column_kind", width=12),
        col("natplan.column_key", width=9),
        col("natplan.reason", "long", 50),
        col("natplan.column_who", width=30),
        col("natplan.column_at", "datetime", 18),
    ]
    rows = [
        [
            versions[c.plan_id],
            t(f"natplan.kind_{c.kind}", lang),
            c.measure_key or None,
            c.reason,
            c.actor,
            c.at,
        ]
        for c in changes
    ]
    ws = new_sheet(wb, t("natplan.sheet_changes", lang))
    write_table(ws, columns, rows, lang)
    return len(rows)


def _info(wb: Workbook, view: PlanView, lang: Lang, internal: bool, generated_at: datetime) -> None:
    rnd, plan = view.round, view.plan
    counted = (
        t("natplan.counted_closure", lang, day=day(plan.counted_on, lang))
        if plan.counted_on
        else t("natplan.counted_current", lang)
    )
    pairs: list[Pair] = [
        (t("exports.info.round", lang), rnd.code),
        (t("natplan.info_direction", lang), t(f"natplan.title_{view.direction}", lang)),
        (t("natplan.column_version", lang), plan.version),
        (t("natplan.saved", lang), plan.created_at),
        (t("natplan.saved_by", lang), plan.created_by),
        (t("exports.info.generated", lang), generated_at),
        (t("exports.info.policy", lang), rnd.policy_version),
        (t("exports.info.questionnaire", lang), rnd.questionnaire_version),
        (t("natplan.info_counted", lang), counted),
        (
            t("exports.info.form", lang),
            t("exports.info.form_internal", lang)
            if internal
            else t("exports.info.form_public", lang, n=published_minimum()),
        ),
        (
            t("natplan.basis", lang),
            t(
                "natplan.basis_text",
                lang,
                measure=view.library.direction(view.direction).plan_measure,
                what=next(
                    m.text.get(lang)
                    for m in view.policy.measures
                    if m.id == view.library.direction(view.direction).plan_measure
                ),
            ),
        ),
        *[
            (f"{t('natplan.designed', lang)}: {d.name.get(lang)}", d.note.get(lang))
            for d in view.library.designed
        ],
    ]
    if not internal:
        pairs.append((t("exports.info.note", lang), t("disclosure.marker_note", lang,
                                                      n=published_minimum())))  # fmt: skip
    ws = new_sheet(wb, t("natplan.sheet_info", lang))
    write_pairs(ws, pairs, lang)
