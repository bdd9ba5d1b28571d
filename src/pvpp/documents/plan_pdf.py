"""The individual improvement plan as a PDF for the head of an institution, and its annex.

The head's plan is short enough to read in ten minutes: a cover, a one-page summary that
says what the head must decide and by when (with a legend for every code it shows), the
charts, the assessment per item, the measures to the end of 2027 by half-year in one
compact table, what comes after 2027 summarised per item on one page, the funding, the
services and team, and the method. Every step of the plan, the later ones included, is in
the annex (:func:`plan_annex_pdf`, ``pvpp plan annex``) and the plan's Excel export.

``plan_context`` and ``annex_context`` gather everything from the store into plain data;
the templates ``templates/plan/plan.html.j2`` and ``annex.html.j2`` lay it out, with their
words from the catalogue (``plan.*``, :mod:`pvpp.i18n`). Nothing typed by an institution
reaches the HTML except through autoescaped template variables.

Where a person reads a code (an item, a dimension, a funding source, a PVPP2027 measure)
its name follows it: ``1.1 Pakalpojumu pārvaldības vienota terminoloģija``,
``D2 Dokumentēšana``, ``F1 iestādes budžets``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from pvpp import measures as rules
from pvpp.disclosure import MIN_OTHERS
from pvpp.documents.charts import Series, bar_chart, radar_chart, svg_uri
from pvpp.documents.render import render_pdf
from pvpp.funding import NO_SOURCE, SEVERAL, TOTAL, FundingTotal, bucket_of, funding_totals
from pvpp.i18n import catalogue, day, number, t
from pvpp.measures import MeasureFacts
from pvpp.national import medians_for
from pvpp.planning.library import Library, load_library
from pvpp.planning.planner import DEFAULT_CAPACITY_DAYS, LAST_PERIOD, ROADMAP_END, period_name
from pvpp.plans import (
    Context,
    PlanError,
    context,
    current_answers,
    latest_plan,
    plan_version,
    scores_for,
    start_of,
)
from pvpp.policy import Policy, load_policy
from pvpp.policy.models import ItemKind, Lang
from pvpp.queries import measure_facts
from pvpp.questionnaire import QuestionnaireSpec, load_questionnaire
from pvpp.scoring import ScoreResult, degree_of, designed_lines, method_paragraphs
from pvpp.services import conformity_by_group
from pvpp.states.plan_measure import MeasureState
from pvpp.store.models import Plan, PlanMeasure
from pvpp.teams import members

EVIDENCE_SHOWN = 300
COLOURS = {"current": "#1F4E79", "target": "#C55A11", "median": "#7F7F7F"}
#: The funding source a measure needs no decision for: the institution's own budget.
OWN_BUDGET = "F1"
#: How many strongest and weakest items the summary names.
SUMMARY_ITEMS = 3


def _series(name: str, values: list[float | None], kind: str) -> Series:
    # The institution's own values are solid; the reference lines are dashed.
    return Series(name, values, COLOURS[kind], kind != "current")


def _short(text: str | None, limit: int) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class _Source:
    """What both documents read from the store, loaded once."""

    ctx: Context
    plan: Plan
    policy: Policy
    spec: QuestionnaireSpec
    library: Library
    result: ScoreResult
    answers: dict[str, Any]
    pairs: list[tuple[PlanMeasure, MeasureFacts]]
    lang: Lang


def _load(
    session: Session, round_code: str, institution: str, lang: Lang, version: int | None = None
) -> _Source:
    ctx = context(session, round_code, institution)
    plan = (
        latest_plan(session, ctx.assignment)
        if version is None
        else plan_version(session, ctx.assignment, version)
    )
    if plan is None:
        which = "a plan" if version is None else f"plan version {version}"
        raise PlanError(
            f"{institution} has no {which} in round {round_code}: run `pvpp plan build`"
        )
    policy = load_policy(ctx.round.policy_version)
    library = load_library(policy.id)
    result, _ = scores_for(session, ctx)
    answer_set = current_answers(session, ctx.assignment)
    return _Source(
        ctx=ctx,
        plan=plan,
        policy=policy,
        spec=load_questionnaire(ctx.round.questionnaire_version),
        library=library,
        result=result,
        answers=answer_set.answers if answer_set else {},
        pairs=measure_facts(session, plan, library.effort_days),
        lang=lang,
    )


class Names:
    """Codes as a person reads them: the code followed by its name, in one language."""

    def __init__(self, policy: Policy, library: Library, lang: Lang) -> None:
        self.policy, self.library, self.lang = policy, library, lang
        self._dims = {d.id: d.name.get(lang) for d in policy.dimensions}
        self._rv5 = {m.id: m.text.get(lang) for m in policy.measures}
        self._funding = {f.id: f.name.get(lang) for f in policy.funding_sources}

    def item(self, item_id: str) -> str:
        """``1.1 Pakalpojumu pārvaldības vienota terminoloģija``."""
        try:
            return f"{item_id} {self.policy.item(item_id).name.get(self.lang)}"
        except KeyError:
            return item_id

    def dimension(self, dim_id: str) -> str:
        """``D2 Dokumentēšana``."""
        name = self._dims.get(dim_id)
        return f"{dim_id} {name}" if name else dim_id

    def rv5(self, measure_id: str) -> str:
        """``P5.1 katrā iestādē pilnveidot …``."""
        text = self._rv5.get(measure_id)
        return f"{measure_id} {text}" if text else measure_id

    def funding(self, source: str, *, short: bool = True) -> str:
        """``F1 iestādes budžets`` (short) or the policy's full name of the source."""
        key = f"plan.funding_short.{source}"
        if short and key in catalogue(self.lang):
            return f"{source} {t(key, self.lang)}"
        name = self._funding.get(source)
        return f"{source} {name}" if name else source

    def period(self, code: str) -> str:
        """A period as words: ``2026. gada 2. pusgads``; the last one ``2028.–2031. gads``."""
        return period_name(code, self.lang)

    def role(self, role: str) -> str:
        found = self.library.roles.get(role)
        return found.name.get(self.lang) if found else role

    def support(self, offer: str) -> str:
        found = self.library.support.get(offer)
        return found.name.get(self.lang) if found else offer


def _eur(amount: int | None, lang: Lang) -> str:
    if amount is None:
        return t("plan.not_stated", lang)
    return t("plan.eur", lang, amount=number(amount, lang, 0))


def _step(m: PlanMeasure, names: Names) -> str:
    """The degree step a measure makes: ``D2 Dokumentēšana 0→1``; an own measure names the
    dimension it serves, a P5.2 service measure raises none (its services are listed)."""
    if not m.dimension_id:
        return ""
    if m.origin == "own":
        return names.dimension(m.dimension_id)
    return f"{names.dimension(m.dimension_id)} {m.from_degree}→{m.to_degree}"


def _measure_row(m: PlanMeasure, facts: MeasureFacts, src: _Source, names: Names) -> dict[str, Any]:
    """One measure as both documents show it."""
    g = src.lang
    definition = src.library.by_id.get(m.measure_id)
    # An own measure is named by the team; a library or alternative one by the library.
    if m.origin == "own" or definition is None:
        title = m.title or m.measure_id
    else:
        title = definition.title.get(g)
    state = rules.state(facts)
    return {
        "id": m.measure_id,
        "title": title,
        "origin": t(f"plan.origin.{m.origin}", g) if m.origin in ("own", "alternative") else "",
        "description": definition.description.get(g) if definition else "",
        "item": names.item(m.item_id),
        "step": _step(m, names),
        "rv5": names.rv5(m.rv5_measure),
        "due": m.due_on,
        "role": names.role(m.role),
        "effort": facts.effort_days,
        "funding": [names.funding(f) for f in m.funding],
        "funding_eur": _eur(m.funding_eur, g) if m.funding_eur is not None else "",
        "funding_ref": m.funding_ref,
        "support": [names.support(s) for s in m.support],
        # Names as the services table shows them: cut to a readable length.
        "services": ", ".join(_short(name, 120) for name in m.services),
        "dropped": state is MeasureState.DROPPED,
        "done": state is MeasureState.DONE,
        "dropped_reason": m.dropped_reason,
    }


def _period_order(code: str) -> tuple[int, str]:
    return (1, code) if code == LAST_PERIOD else (0, code)


def _periods(
    src: _Source, names: Names, pairs: Iterable[tuple[PlanMeasure, MeasureFacts]]
) -> list[dict[str, Any]]:
    """Measures grouped by period, in plan order, with each period's count and days."""
    grouped: dict[str, list[tuple[PlanMeasure, MeasureFacts]]] = defaultdict(list)
    for m, f in pairs:
        grouped[m.period].append((m, f))
    out = []
    for code in sorted(grouped, key=_period_order):
        rows = grouped[code]
        active = [f for _, f in rows if not rules.is_dropped(f)]
        out.append(
            {
                "code": code,
                "name": names.period(code),
                "due": rows[0][0].due_on if code != LAST_PERIOD else None,
                "count": len(active),
                "days": sum(f.effort_days for f in active),
                "measures": [_measure_row(m, f, src, names) for m, f in rows],
            }
        )
    return out


def _schedule_paragraph(src: _Source, adjustments: Any) -> str:
    """What the plan's dates and person-days rest on: the capacity this version was
    scheduled with (the team's, or the project's assumption when the team gave none) and
    the designed effort of a measure of each size."""
    given = (adjustments or {}).get("capacity_days")
    effort = "; ".join(f"{k} {v}" for k, v in src.library.effort_days.items())
    return t(
        "plan.method_schedule",
        src.lang,
        capacity=int(given) if given is not None else DEFAULT_CAPACITY_DAYS,
        days=DEFAULT_CAPACITY_DAYS,
        effort=effort,
    )


def _degree_reached(
    src: _Source, item_id: str, steps: list[PlanMeasure], until: date
) -> float | None:
    """The item's score once the plan's steps due by ``until`` are done: each dimension at
    the highest degree a step reaches (or where it stands now), averaged over the
    dimensions that have a degree, as the score is."""
    values = []
    for dim, value in src.result.items[item_id].degrees.items():
        current = degree_of(value)
        if current is None:
            continue
        reached = [s.to_degree for s in steps if s.dimension_id == dim and s.due_on <= until]
        values.append(max([current, *reached]))
    return sum(values) / len(values) if values else None


def _after_2027(src: _Source, names: Names, active: list[PlanMeasure]) -> dict[str, Any]:
    """What comes after 2027, per item: steps, person-days, the degree reached."""
    effort = src.library.effort_days
    by_item: dict[str, list[PlanMeasure]] = defaultdict(list)
    for m in active:
        by_item[m.item_id].append(m)
    rows: list[dict[str, Any]] = []
    steps = days = 0
    for item in src.policy.items:
        later = [m for m in by_item.get(item.id, []) if m.period == LAST_PERIOD]
        if not later:
            continue
        item_days = sum(effort.get(m.effort, 0) for m in later)
        steps, days = steps + len(later), days + item_days
        rows.append(
            {
                "item": names.item(item.id),
                "steps": len(later),
                "days": item_days,
                "now": src.result.items[item.id].score,
                "by_2027": _degree_reached(src, item.id, by_item[item.id], ROADMAP_END),
                "end": _degree_reached(src, item.id, by_item[item.id], date.max),
                "target": src.result.items[item.id].target,
            }
        )
    g = src.lang
    return {
        "rows": rows,
        "steps": steps,
        "days": days,
        "intro": t(
            "plan.after_intro",
            g,
            steps=t("plan.steps", g, n=steps),
            effort=t("plan.person_days", g, n=days),
        ),
    }


def _funding(src: _Source, names: Names, active: list[PlanMeasure]) -> dict[str, Any]:
    """Per source F1–F5 and in total: how many measures name the source, and the funding
    stated, attributed by the one rule of :func:`pvpp.funding.funding_totals` (an amount
    counts for a source only when its measure names that one source), as the national
    report attributes it."""
    g = src.lang
    totals = funding_totals(active, [f.id for f in src.policy.funding_sources])

    def amount(line: FundingTotal) -> str:
        return _eur(line.eur if line.with_amount else None, g)

    sources = []
    for f in src.policy.funding_sources:
        rows = [m for m in active if f.id in m.funding]
        sources.append(
            {
                "source": names.funding(f.id),
                "full": f.name.get(g),
                "by_2027": sum(1 for m in rows if m.period != LAST_PERIOD),
                "count": len(rows),
                "amount": amount(totals[f.id]),
            }
        )
    for key, label in ((SEVERAL, "national.funding_several"),
                       (NO_SOURCE, "national.funding_no_source")):  # fmt: skip
        if key in totals:
            rows = [m for m in active if bucket_of(m.funding) == key]
            sources.append(
                {
                    "source": t(label, g),
                    "full": "",
                    "by_2027": sum(1 for m in rows if m.period != LAST_PERIOD),
                    "count": len(rows),
                    "amount": amount(totals[key]),
                }
            )
    refs = Counter(m.funding_ref.strip() for m in active if m.funding_ref.strip())
    return {
        "sources": sources,
        "total": {
            "by_2027": sum(1 for m in active if m.period != LAST_PERIOD),
            "count": len(active),
            "amount": amount(totals[TOTAL]),
        },
        "refs": [{"ref": ref, "count": n} for ref, n in sorted(refs.items())],
    }


def _approval(plan: Plan, approve_by: date | None, today: date, lang: Lang) -> dict[str, Any]:
    """The head's approval: done (when and by whom) or due (by when, if known)."""
    if plan.approved_at is not None:
        when = day(plan.approved_at, lang)
        return {
            "approved": t(
                "plan.approved", lang, version=plan.version, date=when, who=plan.approved_by
            )
        }
    due = plan.approval_due or approve_by
    if due is None:
        when = t("plan.approve_no_date", lang)
    else:
        when = day(due, lang) + (f" ({t('plan.approve_late', lang)})" if due < today else "")
    return {"text": t("plan.approve", lang, version=plan.version), "when": when}


def _decisions(
    src: _Source,
    approve_by: date | None,
    today: date,
    by_2027: list[tuple[PlanMeasure, MeasureFacts]],
    effort_days: int,
    next_check: date | None,
) -> tuple[list[dict[str, str]], str | None]:
    """What the head must decide or approve and by when; the approval note when done."""
    g = src.lang
    approval = _approval(src.plan, approve_by, today, g)
    rows: list[dict[str, str]] = []
    if "text" in approval:
        rows.append({"text": approval["text"], "when": approval["when"]})
    open_2027 = [(m, f) for m, f in by_2027 if rules.is_open(f)]
    head = sorted(m.due_on for m, _ in open_2027 if m.role == "head")
    if head:
        rows.append({"text": t("plan.decide_head", g, n=len(head)), "when": day(head[0], g)})
    if effort_days:
        rows.append(
            {"text": t("plan.decide_capacity", g, n=effort_days), "when": day(ROADMAP_END, g)}
        )
    extra = sorted(m.due_on for m, _ in open_2027 if any(f != OWN_BUDGET for f in m.funding))
    if extra:
        rows.append({"text": t("plan.decide_funding", g, n=len(extra)), "when": day(extra[0], g)})
    if next_check is not None:
        rows.append({"text": t("plan.decide_check", g), "when": day(next_check, g)})
    return rows, approval.get("approved")


def _legend(src: _Source, item_ids: list[str]) -> list[str]:
    """A line for every code the summary shows: its kind, component and name."""
    g = src.lang
    lines = []
    for item_id in dict.fromkeys(item_ids):
        item = src.policy.item(item_id)
        component = src.policy.component_of(item_id)
        lines.append(
            t(
                "plan.legend_item",
                g,
                code=item_id,
                kind=t(f"plan.kind.{item.kind.value}", g),
                number=component.number,
                component=component.name.get(g),
                name=item.name.get(g),
            )
        )
    scale = ", ".join(f"{d.value} {d.name.get(g)}" for d in src.policy.degree_scale.degrees)
    lines.append(t("plan.legend_scale", g, scale=scale))
    lines.append(t("plan.legend_index", g, note=t("plan.index_note", g)))
    return lines


def plan_context(
    session: Session,
    round_code: str,
    institution: str,
    *,
    today: date,
    lang: Lang = "lv",
    approve_by: date | None = None,
) -> dict[str, Any]:
    """Everything the head's plan PDF shows, as plain data.

    ``today`` is the date it carries. ``approve_by`` is the date the head's approval
    would be due if the plan were sent now; the plan's own ``approval_due`` wins when
    set, and without either the summary says the date comes with the message.
    """
    src = _load(session, round_code, institution, lang)
    ctx, plan, policy, spec, result, answers = (
        src.ctx,
        src.plan,
        src.policy,
        src.spec,
        src.result,
        src.answers,
    )
    g = lang  # which text of a {lv, en} pair to show
    names = Names(policy, src.library, lang)

    # The round median as this institution may see it: each value only when computed from
    # enough other institutions (pvpp.disclosure); a series with none shown is left out.
    comp_median, item_median = medians_for(session, round_code, ctx.institution.code)
    label = {k: t(f"plan.{k}", lang) for k in ("current", "target", "median")}

    def median_series(values: list[float | None]) -> list[Series]:
        if all(v is None for v in values):
            return []
        return [_series(label["median"], values, "median")]

    def component_target(cid: str) -> float:
        items = next(c for c in policy.components if c.id == cid).items
        return sum(result.items[i.id].target * i.weight for i in items) / sum(
            i.weight for i in items
        )

    axes = [f"{c.number}. {spec.sheet_title(c.id, g).split(' ', 1)[-1]}" for c in policy.components]
    comps = policy.components
    radar = radar_chart(
        axes,
        [
            _series(label["current"], [result.components[c.id].score for c in comps], "current"),
            _series(label["target"], [component_target(c.id) for c in comps], "target"),
            *median_series([comp_median[c.id] for c in comps]),
        ],
        max_value=policy.degree_scale.max,
        lang=lang,
    )
    groups = [i for i in policy.items if i.kind is ItemKind.CONDITION_GROUP]
    bars = bar_chart(
        [names.item(i.id) for i in groups],
        [
            _series(label["current"], [result.items[i.id].score for i in groups], "current"),
            _series(label["target"], [float(result.items[i.id].target) for i in groups], "target"),
            *median_series([item_median[i.id] for i in groups]),
        ],
        max_value=policy.degree_scale.max,
        lang=lang,
    )

    shown_medians = [comp_median[c.id] for c in comps] + [item_median[i.id] for i in groups]
    withheld = any(v is None for v in shown_medians)

    non_scoring = {o.code: o.label.get(g) for o in spec.questionnaire.non_scoring}
    order = [i.id for i in policy.items]
    rated = sorted(
        (s for s in result.items.values() if s.score is not None),
        key=lambda s: (s.score, order.index(s.item)),
    )

    def item_row(item_id: str) -> dict[str, Any]:
        s = result.items[item_id]
        return {
            "id": item_id,
            "label": names.item(item_id),
            "degrees": [
                non_scoring.get(v, v) if isinstance(v, str) else v for v in s.degrees.values()
            ],
            "score": s.score,
            "target": s.target,
            "gap": s.gap,
            "priority": s.priority,
        }

    components = [
        {
            "title": f"{c.number}. {c.name.get(g)}",
            "score": result.components[c.id].score,
            "items": [item_row(i.id) for i in c.items],
        }
        for c in policy.components
    ]

    pairs = src.pairs
    active_pairs = [(m, f) for m, f in pairs if not rules.is_dropped(f)]
    active = [m for m, _ in active_pairs]
    by_2027 = [(m, f) for m, f in active_pairs if m.period != LAST_PERIOD]
    # The person-days of the plan's own measures in the period the summary names: from the
    # plan's start to the end of 2027.
    effort_days = rules.effort_in((f for _, f in pairs), start_of(plan, ctx.round), ROADMAP_END)
    next_check = rules.next_check((f for _, f in pairs), today)
    decisions, approved = _decisions(src, approve_by, today, by_2027, effort_days, next_check)
    stated = [m.funding_eur for m in active if m.funding_eur is not None]

    strongest = [item_row(s.item) for s in reversed(rated[-SUMMARY_ITEMS:])]
    weakest = [item_row(s.item) for s in rated[:SUMMARY_ITEMS]]

    services = []
    conformity = {o.code: o.label.get(g) for o in spec.questionnaire.conformity}
    types = {st.id: f"{st.id} {st.name.get(g)}" for st in policy.service_types}
    for row in range(1, spec.questionnaire.service_rows + 1):
        name = answers.get(f"SVC{row:02d}_NAME")
        if not name:
            continue
        kind = answers.get(f"SVC{row:02d}_TYPE")
        services.append(
            {
                "name": _short(name, 120),
                "type": types.get(kind, kind) if kind else "",
                "cells": [
                    conformity.get(answers.get(f"SVC{row:02d}_{k.id}", ""), "") for k in groups
                ],
            }
        )

    team = [
        {"name": m.name, "roles": ", ".join(names.role(r) for r in m.roles), "lead": m.is_lead}
        for m in members(session, institution)
    ]

    return {
        "lang": lang,
        "institution": {
            "code": ctx.institution.code,
            "name": ctx.institution.name,
            "head": ctx.institution.head_name,
        },
        "round": {"code": ctx.round.code, "due": ctx.round.due_on},
        "plan": {"version": plan.version, "status": plan.status},
        "today": today,
        "index": result.index,
        "strongest": strongest,
        "weakest": weakest,
        "decisions": decisions,
        "approved": approved,
        "asks": {
            "by_2027": len(by_2027),
            "later": len(active) - len(by_2027),
            "effort_days": effort_days,
            "funding": _eur(sum(stated) if stated else None, lang),
        },
        "next_check": next_check,
        "legend": _legend(src, [r["id"] for r in strongest + weakest]),
        "radar": svg_uri(radar),
        "bars": svg_uri(bars),
        "median_shown": any(v is not None for v in comp_median.values()),
        "median_note": t("plan.median_withheld", lang, n=MIN_OTHERS) if withheld else None,
        "components": components,
        "dimensions": [names.dimension(d.id) for d in policy.dimensions],
        "until_2027": _periods(src, names, [(m, f) for m, f in pairs if m.period != LAST_PERIOD]),
        "after_2027": _after_2027(src, names, active),
        "funding": _funding(src, names, active),
        "condition_groups": [k.id for k in groups],
        # How many of the listed services conform, per group: "2/5" (of those it applies to).
        "conforming": [
            f"{c.conforms}/{c.reported}" if c.reported else "—"
            for c in conformity_by_group(policy, answers).values()
        ],
        "groups_legend": [names.item(k.id) for k in groups],
        "services": services,
        "team": team,
        "method": [*method_paragraphs(policy, lang), _schedule_paragraph(src, plan.adjustments)],
        "designed": designed_lines(policy, lang),
        # A warning's text names its item and dimensions with their names already.
        "warnings": [{"item": names.item(w.item), "text": w.message[g]} for w in result.warnings],
    }


def plan_pdf(
    session: Session,
    round_code: str,
    institution: str,
    *,
    today: date,
    lang: Lang = "lv",
    approve_by: date | None = None,
) -> bytes:
    """The head's PDF of the institution's newest plan version, dated ``today``; see
    :func:`plan_context` for ``approve_by``."""
    return render_pdf(
        "plan/plan.html.j2",
        plan_context(
            session, round_code, institution, today=today, lang=lang, approve_by=approve_by
        ),
    )


def annex_context(
    session: Session,
    round_code: str,
    institution: str,
    *,
    today: date,
    lang: Lang = "lv",
    version: int | None = None,
) -> dict[str, Any]:
    """Every measure of the newest plan version (or of ``version``), step by step and
    grouped by period (the annex PDF; the portal's plan page shows the same)."""
    src = _load(session, round_code, institution, lang, version)
    names = Names(src.policy, src.library, lang)
    return {
        "lang": lang,
        "institution": {"code": src.ctx.institution.code, "name": src.ctx.institution.name},
        "round": {"code": src.ctx.round.code},
        "plan": {"version": src.plan.version},
        "today": today,
        "periods": _periods(src, names, src.pairs),
    }


def plan_annex_pdf(
    session: Session, round_code: str, institution: str, *, today: date, lang: Lang = "lv"
) -> bytes:
    """The annex of the newest plan version as a PDF dated ``today``: every measure."""
    return render_pdf(
        "plan/annex.html.j2",
        annex_context(session, round_code, institution, today=today, lang=lang),
    )
