"""The individual improvement plan as a PDF for the head of an institution.

``plan_context`` gathers everything from the store into plain data; the template
``templates/plan/plan.html.j2`` lays it out, with its words from the catalogue
(``plan.*``, :mod:`pvpp.i18n`). Nothing typed by an institution reaches the
HTML except through autoescaped template variables.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import date
from typing import Any

from sqlmodel import Session

from pvpp import measures
from pvpp.documents.charts import Series, bar_chart, radar_chart
from pvpp.documents.render import render_pdf
from pvpp.i18n import t
from pvpp.national import round_medians
from pvpp.planning.library import load_library
from pvpp.planning.planner import LAST_PERIOD, ROADMAP_END
from pvpp.plans import PlanError, context, current_answers, latest_plan, scores_for, start_of
from pvpp.policy import load_policy
from pvpp.policy.models import ItemKind, Lang
from pvpp.queries import measure_facts
from pvpp.questionnaire import load_questionnaire
from pvpp.teams import members

EVIDENCE_SHOWN = 300
COLOURS = {"current": "#1F4E79", "target": "#C55A11", "median": "#7F7F7F"}


def _series(name: str, values: list[float | None], kind: str) -> Series:
    # The institution's own values are solid; the reference lines are dashed.
    return Series(name, values, COLOURS[kind], kind != "current")


def _svg_uri(svg: str) -> str:
    # Charts go in as data: images, which the fetcher serves without touching any file.
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _short(text: str | None, limit: int) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plan_context(
    session: Session,
    round_code: str,
    institution: str,
    *,
    today: date,
    lang: Lang = "lv",
) -> dict[str, Any]:
    """Everything the plan PDF shows, as plain data; ``today`` is the date it carries."""
    ctx = context(session, round_code, institution)
    plan = latest_plan(session, ctx.assignment)
    if plan is None:
        raise PlanError(f"{institution} has no plan in round {round_code}: run `pvpp plan build`")
    policy = load_policy(ctx.round.policy_version)
    spec = load_questionnaire(ctx.round.questionnaire_version)
    library = load_library(policy.id)
    result, _ = scores_for(session, ctx)
    answer_set = current_answers(session, ctx.assignment)
    answers: dict[str, Any] = answer_set.answers if answer_set else {}
    g = lang  # which text of a {lv, en} pair to show

    comp_median, item_median = round_medians(session, round_code)
    names = {
        "current": t("plan.current", lang),
        "target": t("plan.target", lang),
        "median": t("plan.median", lang),
    }

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
            _series(
                t("plan.current", lang), [result.components[c.id].score for c in comps], "current"
            ),
            _series(names["target"], [component_target(c.id) for c in comps], "target"),
            _series(names["median"], [comp_median[c.id] for c in comps], "median"),
        ],
        max_value=policy.degree_scale.max,
        lang=lang,
    )
    groups = [i for i in policy.items if i.kind is ItemKind.CONDITION_GROUP]
    bars = bar_chart(
        [f"{i.id} {i.name.get(g)}" for i in groups],
        [
            _series(names["current"], [result.items[i.id].score for i in groups], "current"),
            _series(
                t("plan.target", lang), [float(result.items[i.id].target) for i in groups], "target"
            ),
            _series(names["median"], [item_median[i.id] for i in groups], "median"),
        ],
        max_value=policy.degree_scale.max,
        lang=lang,
    )

    non_scoring = {o.code: o.label.get(g) for o in spec.questionnaire.non_scoring}
    rated = sorted(
        (s for s in result.items.values() if s.score is not None),
        key=lambda s: (s.score, [i.id for i in policy.items].index(s.item)),
    )

    def item_row(item_id: str) -> dict[str, Any]:
        s = result.items[item_id]
        item = policy.item(item_id)
        return {
            "id": item_id,
            "name": item.name.get(g),
            "degrees": [
                non_scoring.get(v, v) if isinstance(v, str) else v for v in s.degrees.values()
            ],
            "score": s.score,
            "target": s.target,
            "gap": s.gap,
            "priority": s.priority,
            "evidence": _short(
                answers.get(f"EVIDENCE_{item_id.replace('.', '_')}"), EVIDENCE_SHOWN
            ),
        }

    components = [
        {
            "id": c.id,
            "title": f"{c.number}. {c.name.get(g)}",
            "score": result.components[c.id].score,
            "items": [item_row(i.id) for i in c.items],
        }
        for c in policy.components
    ]

    pairs = measure_facts(session, plan, library.effort_days)
    rows = [m for m, _ in pairs]
    roles = {r.id: r.name.get(g) for r in library.common.roles}
    funding = {f.id: f.name.get(g) for f in policy.funding_sources}
    support = {s.id: s.name.get(g) for s in library.common.support_offers}
    periods: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in rows:
        measure = library.by_id[m.measure_id]
        periods[m.period].append(
            {
                "title": measure.title.get(g),
                "description": measure.description.get(g),
                "item": m.item_id,
                "item_name": policy.item(m.item_id).name.get(g),
                "step": f"{m.dimension_id} {m.from_degree}→{m.to_degree}",
                "rv5": m.rv5_measure,
                "due": m.due_on,
                "role": roles.get(m.role, m.role),
                "funding": [funding.get(f, f) for f in m.funding],
                "support": [support.get(s, s) for s in m.support],
                "effort": m.effort,
                "dropped": m.status == "dropped",
                "dropped_reason": m.dropped_reason,
            }
        )
    active = [m for m, f in pairs if not measures.is_dropped(f)]
    by_2027 = [m for m in active if m.period != LAST_PERIOD]
    # The person-days of the plan's own measures in the period the summary names: from the
    # plan's start to the end of 2027.
    effort_days = measures.effort_in((f for _, f in pairs), start_of(plan, ctx.round), ROADMAP_END)
    extra_funding = sum(1 for m in active if any(f != "F1" for f in m.funding))
    head_measures = sum(1 for m in active if m.role == "head")
    upcoming = sorted(m.due_on for m in active if m.period != LAST_PERIOD)

    services = []
    conformity = {o.code: o.label.get(g) for o in spec.questionnaire.conformity}
    for row in range(1, spec.questionnaire.service_rows + 1):
        name = answers.get(f"SVC{row:02d}_NAME")
        if not name:
            continue
        services.append(
            {
                "name": _short(name, 120),
                "type": answers.get(f"SVC{row:02d}_TYPE", ""),
                "cells": [
                    conformity.get(answers.get(f"SVC{row:02d}_{k.id}", ""), "") for k in groups
                ],
            }
        )

    team = [
        {
            "name": m.name,
            "roles": ", ".join(roles.get(r, r) for r in m.roles),
            "lead": m.is_lead,
        }
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
        "plan": {"version": plan.version, "status": plan.status, "created": plan.created_at.date()},
        "today": today,
        "index": result.index,
        "strongest": [item_row(s.item) for s in reversed(rated[-3:])],
        "weakest": [item_row(s.item) for s in rated[:3]],
        "asks": {
            "by_2027": len(by_2027),
            "later": len(active) - len(by_2027),
            "effort_days": effort_days,
            "head": head_measures,
            "extra_funding": extra_funding,
        },
        "next_check": upcoming[0] if upcoming else None,
        "radar": _svg_uri(radar),
        "bars": _svg_uri(bars),
        "components": components,
        "dimensions": [d.name.get(g) for d in policy.dimensions],
        "periods": [
            {"code": code, "measures": periods[code]} for code in sorted(periods, key=_period_order)
        ],
        "condition_groups": [k.id for k in groups],
        "services": services,
        "team": team,
        "warnings": [w.message[g] for w in result.warnings],
    }


def _period_order(code: str) -> tuple[int, str]:
    return (1, code) if code == LAST_PERIOD else (0, code)


def plan_pdf(
    session: Session, round_code: str, institution: str, *, today: date, lang: Lang = "lv"
) -> bytes:
    """The plan PDF of the institution's newest plan version, dated ``today``."""
    return render_pdf(
        "plan/plan.html.j2",
        plan_context(session, round_code, institution, today=today, lang=lang),
    )
