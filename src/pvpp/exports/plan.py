"""One institution's improvement plan as a workbook: a summary sheet and the measures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from pvpp import measures as rules
from pvpp.exports.data import RoundData, name_of
from pvpp.exports.info import info_sheet
from pvpp.exports.writer import (
    Column,
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
from pvpp.i18n import t
from pvpp.measures import MeasureFacts
from pvpp.planning.library import Library, load_library
from pvpp.plans import PlanError, context, plan_version
from pvpp.policy import Policy, load_policy
from pvpp.policy.models import Lang
from pvpp.queries import measure_facts
from pvpp.questionnaire import load_questionnaire
from pvpp.scoring import score_answers
from pvpp.states.plan_measure import MeasureState
from pvpp.store.models import AnswerSet, PlanMeasure


def measure_columns(prefix: bool) -> list[Column]:
    """Columns of a plan-measures table; ``prefix`` adds the institution and plan version."""
    head = [
        col("exports.column.code", width=14),
        col("exports.column.name", width=32),
        col("exports.column.plan_version", "int", 9),
    ]
    return [
        *(head if prefix else []),
        col("exports.column.position", "int", 6),
        col("exports.column.due", "date", 12),
        col("exports.column.period", width=11),
        col("exports.column.item", width=8),
        col("exports.column.item_name", "long", 30),
        col("exports.column.dimension", width=24),
        col("exports.column.from_degree", "int", 9),
        col("exports.column.to_degree", "int", 9),
        col("exports.column.measure_id", width=14),
        col("exports.column.origin", width=16),
        col("exports.column.measure", "long", 50),
        col("exports.column.services", "long", 36),
        col("exports.column.rv5", width=10),
        col("exports.column.role", "long", 28),
        col("exports.column.funding", "long", 45),
        col("exports.column.funding_eur", "int", 14),
        col("exports.column.funding_ref", "long", 24),
        col("exports.column.support", "long", 45),
        col("exports.column.effort", width=30),
        col("exports.column.priority", "dec2", 10),
        col("exports.column.measure_status", width=12),
        col("exports.column.dropped_reason", "long", 36),
    ]


def measure_rows(
    policy: Policy,
    library: Library,
    measures: Iterable[tuple[PlanMeasure, MeasureFacts]],
    lang: Lang,
) -> list[list[Any]]:
    """The measures of a plan version, as the plan tables show them; the state column is
    where each measure stands by the rules of :mod:`pvpp.measures` (reported done counts).

    Every measure is listed, those after 2027 too (the head's PDF only summarises them).
    An own measure is named by the team's title; a library or alternative one by the
    library's."""
    funding = {f.id: f"{f.id}: {f.name.get(lang)}" for f in policy.funding_sources}
    dims = {d.id: f"{d.id} {d.name.get(lang)}" for d in policy.dimensions}
    efforts = {e.id: e.name.get(lang) for e in library.common.effort}
    rows = []
    for m, facts in measures:
        measure = library.by_id.get(m.measure_id)
        own = m.origin == "own" or measure is None
        title = (m.title or None) if own or measure is None else measure.title.get(lang)
        role = library.roles.get(m.role)
        rows.append(
            [
                m.position,
                m.due_on,
                m.period,
                m.item_id,
                policy.item(m.item_id).name.get(lang),
                dims.get(m.dimension_id, m.dimension_id),
                m.from_degree,
                m.to_degree,
                m.measure_id,
                name_of("origin", m.origin, lang),
                title,
                "\n".join(m.services) or None,
                m.rv5_measure,
                role.name.get(lang) if role else m.role,
                "\n".join(funding.get(f, f) for f in m.funding) or None,
                m.funding_eur,
                m.funding_ref or None,
                "\n".join(
                    library.support[s].name.get(lang) if s in library.support else s
                    for s in m.support
                )
                or None,
                f"{m.effort} — {efforts[m.effort]}" if m.effort in efforts else m.effort,
                m.priority,
                name_of("measure_state", rules.state(facts), lang),
                m.dropped_reason or None,
            ]
        )
    return rows


def export_plan(
    session: Session,
    round_code: str,
    institution: str,
    path: Path | str,
    *,
    lang: str = "lv",
    version: int | None = None,
    generated_at: datetime | None = None,
) -> ExportSummary:
    """Write one institution's plan version (default: the newest) as a workbook."""
    language = check_lang(lang)
    generated_at = generated_at or datetime.now(UTC)
    ctx = context(session, round_code, institution)
    plan = plan_version(session, ctx.assignment, version)
    if plan is None:
        raise PlanError(
            f"{institution} has no plan version {version} in round {round_code}"
            if version is not None
            else f"{institution} has no plan in round {round_code} yet: run `pvpp plan build`"
        )
    rnd = ctx.round
    policy = load_policy(rnd.policy_version)
    library = load_library(rnd.policy_version)
    spec = load_questionnaire(rnd.questionnaire_version)
    answer_set = session.get(AnswerSet, plan.answer_set_id)
    result = score_answers(policy, answer_set.answers) if answer_set else None
    measures = measure_facts(session, plan)
    adjustments = plan.adjustments or {}

    states = rules.count_by_state(f for _, f in measures)
    by_period = Counter(m.period for m, f in measures if not rules.is_dropped(f))
    pairs: list[Pair] = [
        (t("exports.column.name", language), ctx.institution.name),
        (t("exports.column.code", language), ctx.institution.code),
        (t("exports.info.round", language), rnd.code),
        (t("exports.column.plan_version", language), plan.version),
        (t("exports.plan.status", language), name_of("plan_state", plan.status, language)),
        (t("exports.plan.created", language), plan.created_at),
    ]
    if "start" in adjustments:
        pairs.append((t("exports.plan.start", language), date.fromisoformat(adjustments["start"])))
    if "capacity_days" in adjustments:
        pairs.append((t("exports.plan.capacity", language), int(adjustments["capacity_days"])))
    if "from_version" in adjustments:
        pairs.append((t("exports.plan.adjusted_from", language), int(adjustments["from_version"])))
    if result is not None:
        pairs.append((t("exports.column.index", language), result.index, "dec1"))
        pairs.append((t("exports.column.overall", language), result.overall))
        for c in policy.components:
            component = t("exports.column.component", language, number=c.number)
            label = f"{component}: {c.name.get(language)}"
            pairs.append((label, result.components[c.id].score))
    pairs += [
        (t("exports.plan.measures_total", language), len(measures)),
        (t("exports.plan.measures_planned", language), states[MeasureState.PLANNED]),
        (t("exports.plan.measures_dropped", language), states[MeasureState.DROPPED]),
        (t("exports.plan.measures_done", language), states[MeasureState.DONE]),
        (t("exports.plan.by_period", language), None),
        *[(f"  {p}", n) for p, n in sorted(by_period.items())],
    ]

    wb = new_workbook(f"PVPP2027 — {ctx.institution.code} — {rnd.code}", language)
    rows: dict[str, int] = {}
    ws = new_sheet(wb, t("exports.sheet.summary", language))
    write_pairs(ws, pairs, language, widths=(52, 60))
    rows[ws.title] = len(pairs)

    ws = new_sheet(wb, t("exports.sheet.measures", language))
    table = measure_rows(policy, library, measures, language)
    write_table(ws, measure_columns(prefix=False), table, language, freeze_cols=3)
    rows[ws.title] = len(table)

    # The information sheet reads only the round, its policy and library.
    data = RoundData(rnd, policy, spec, library, {}, [], [])
    ws = info_sheet(wb, data, language, generated_at)
    rows[ws.title] = ws.max_row - 1
    return ExportSummary(save_workbook(wb, path), rows)
