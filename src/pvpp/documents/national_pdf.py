"""The national report for VARAM: progress, score distributions, gaps and needs of a round.

Publishable by default, by the disclosure rule (``docs/disclosure.md``): the progress of
the round as it stands, and its aggregates only from the round's closure, every figure
over too few institutions withheld with a marker; no institution is named.
``internal=True`` shows the current figures and adds the named heat map. The
template's words are the catalogue's ``national.*`` (:mod:`pvpp.i18n`).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlmodel import Session, select

from pvpp.disclosure import enough
from pvpp.documents.charts import Series, bar_chart, distribution_chart, heat_map, svg_uri
from pvpp.documents.render import render_pdf
from pvpp.funding import NO_SOURCE, SEVERAL, TOTAL
from pvpp.i18n import number, t
from pvpp.national import (
    aggregates,
    group_medians,
    item_gaps,
    overdue_measures,
    round_figures,
    round_totals,
    round_trend,
)
from pvpp.policy import Policy, load_policy
from pvpp.policy.models import ItemKind, Lang
from pvpp.queries import previous_round
from pvpp.rounds import get_round
from pvpp.states.assignment import ASSESSED, NOT_STARTED
from pvpp.store.models import Institution, Round
from pvpp.trends import JUMP, Row, comparison_notes, jump_text

#: The trend charts: the last round's median as a bar, the previous round's as a tick.
TREND_COLOURS = ("#1F4E79", "#7F7F7F")


def national_context(
    session: Session,
    round_code: str,
    *,
    lang: Lang = "lv",
    internal: bool = False,
    today: date,
) -> dict[str, Any]:
    """Everything the national report shows, as plain data, as of ``today``."""
    rnd = get_round(session, round_code)
    policy = load_policy(rnd.policy_version)
    g = lang
    # One scoring pass for the whole report (the aggregates take the same figures).
    figures = round_figures(session, round_code, publish=not internal)
    view = aggregates(session, round_code, publish=not internal, figures=figures)
    scores = figures.scores

    def shown(contributors: int) -> bool:
        return internal or enough(contributors)

    totals = round_totals(session, rnd)
    assigned = totals.get("assigned", 0)
    states = {k: v for k, v in totals.items() if k not in ("assigned", "without assignment")}
    submitted = sum(v for k, v in states.items() if k not in NOT_STARTED)
    accepted = sum(v for k, v in states.items() if k in ASSESSED)

    distribution: list[dict[str, Any]] = []
    for c in policy.components:
        counts = Counter(
            "—" if score is None else str(round(score))
            for score in (r.components[c.id].score for r in scores.values())
        )
        distribution.append(
            {
                "name": f"{c.number}. {c.name.get(g)}",
                "counts": [counts.get(str(d), 0) for d in policy.degree_scale.values],
            }
        )

    groups = [i for i in policy.items if i.kind is ItemKind.CONDITION_GROUP]
    group_names = {group.id: group.name.get(g) for group in policy.institution_groups}
    heat_rows: list[dict[str, Any]] = [
        {
            **row,
            "label": f"{row['group']} {group_names[row['group']]} ({row['institutions']})",
        }
        for row in group_medians(policy, scores, figures.groups, shown)
    ]
    named_rows: list[dict[str, Any]] = []
    if internal:
        names = dict(session.exec(select(Institution.code, Institution.name)).all())
        for code, r in sorted(scores.items()):
            cells = [{"value": r.items[k.id].score, "withheld": False} for k in groups]
            named_rows.append({"label": f"{code} {names[code]}", "cells": cells})
    # What the disclosure rule withheld, said in words: which institution groups and how
    # many institutions they hold.
    withheld_rows = [row for row in heat_rows if any(c["withheld"] for c in row["cells"])]
    top = float(policy.degree_scale.max)
    scale_names = [f"{v} {policy.degree_scale.name(v, g)}" for v in policy.degree_scale.values]

    def heat_svg(rows: list[dict[str, Any]], title: str) -> str:
        return svg_uri(
            heat_map(
                [row["label"] for row in rows],
                [k.id for k in groups],
                [[c["value"] for c in row["cells"]] for row in rows],
                withheld=[[c["withheld"] for c in row["cells"]] for row in rows],
                max_value=top,
                scale_names=scale_names,
                title=title,
                lang=lang,
            )
        )

    charts = {}
    if scores and not view["suppressed"]:
        charts["distribution"] = svg_uri(
            distribution_chart(
                [row["name"] for row in distribution],
                [row["counts"] for row in distribution],
                scale_names,
                lang=lang,
            )
        )
        if heat_rows:
            charts["heat"] = heat_svg(heat_rows, "")
        if named_rows:
            charts["heat_named"] = heat_svg(named_rows, "")

    gaps = [
        {**x, "item": f"{x['item']} {policy.item(x['item']).name.get(g)}"}
        for x in item_gaps(policy, scores)
        if shown(x["rated"])
    ]

    # How often each question was answered "Jautājums nav saprotams" (a non-scoring
    # answer): the questions someone found unclear, most often first; the questions whose
    # count the disclosure rule withholds, counted in words.
    dim_names = {d.id: d.name.get(g) for d in policy.dimensions}
    item_names = {i.id: i.name.get(g) for i in policy.items}
    unclear_rows = sorted(
        (
            {
                "question": f"{q['item']} {item_names.get(q['item'], '')} · "
                f"{q['dimension']} {dim_names.get(q['dimension'][:2], '')}",
                "field": q["field"],
                "unclear": q["unclear"],
                "answered": q["answered"],
            }
            for q in view.get("unclear_questions", [])
            if not q["withheld"] and q["unclear"]
        ),
        key=lambda r: (-r["unclear"], r["field"]),
    )
    unclear_withheld = sum(1 for q in view.get("unclear_questions", []) if q["withheld"])

    # Services: per condition group, how many of the services it applies to conform,
    # across the institutions that listed services (withheld below MIN_GROUP).
    conformity = view.get("service_conformity", {})
    service_rows = [
        {
            "group": f"{k.id} {k.name.get(g)}",
            "conforms": c["conforms"],
            "partly": c["partly"],
            "not": c["not"],
            "na": c["not_applicable"],
            "reported": c["reported"],
            "share": c["conforms"] / c["reported"] * 100 if c["reported"] else None,
        }
        for k in groups
        if (c := conformity.get("groups", {}).get(k.id)) is not None
    ]
    # Funding the plans state as already available (PVPP2027 6.5), per source.
    funding = view.get("funding", {})
    source_names = {f.id: f"{f.id} {f.name.get(g)}" for f in policy.funding_sources}
    bucket_names = {
        SEVERAL: t("national.funding_several", g),
        NO_SOURCE: t("national.funding_no_source", g),
        TOTAL: t("national.funding_total", g),
    }
    funding_rows = [
        {
            "label": source_names.get(key) or bucket_names.get(key, key),
            "total": key == TOTAL,
            **line,
        }
        for key, line in funding.get("sources", {}).items()
    ]

    # Overdue by the one rule every reader of a plan uses: open (not done or dropped, by
    # the plan or by the team's status sheet) and past its due date.
    planned = overdue_measures(session, rnd, today)
    overdue: list[dict[str, Any]] = [
        {"label": o.code if internal else None, "group": o.group, "late": o.late}
        for o in planned
        if o.late
    ]
    overdue_total = sum(o["late"] for o in overdue)
    # The round's progress is shown as it stands, over the planned institutions: only
    # with enough of them, like any figure over institutions.
    overdue_withheld = not shown(len(planned))

    return {
        "lang": lang,
        "round": {
            "code": rnd.code,
            "opens": rnd.opens_on,
            "due": rnd.due_on,
            "policy": rnd.policy_version,
        },
        "today": today,
        "internal": internal,
        "min_group": view["min_group"],
        "not_closed": view["withheld"] == "open",
        "closed_on": view["closed_on"],
        "rates": {
            "assigned": assigned,
            "without": totals.get("without assignment", 0),
            "submitted": submitted,
            "accepted": accepted,
            "response": submitted / assigned * 100 if assigned else None,
            "acceptance": accepted / assigned * 100 if assigned else None,
        },
        "scored": len(scores),
        "suppressed": view["suppressed"],
        "degrees": list(policy.degree_scale.values),
        "distribution": distribution,
        "condition_groups": [k.id for k in groups],
        "heat_rows": heat_rows,
        "named_rows": named_rows,
        "charts": charts,
        "withheld_groups": ", ".join(row["group"] for row in withheld_rows),
        "withheld_institutions": sum(row["institutions"] for row in withheld_rows),
        "gaps": gaps[:10],
        "unclear": unclear_rows,
        "unclear_withheld": unclear_withheld,
        "rv6": view.get("rv6_needs", []),
        "rv7": view.get("rv7_needs", []),
        "services": {
            "institutions": conformity.get("institutions", 0),
            "suppressed": conformity.get("suppressed", True),
            "rows": service_rows,
        },
        "funding": {
            "plans": funding.get("plans", 0),
            "suppressed": funding.get("suppressed", True),
            "rows": funding_rows,
        },
        "overdue": overdue,
        "overdue_institutions": len(overdue),
        "overdue_total": overdue_total,
        "overdue_withheld": overdue_withheld,
        "trend": trend_context(session, rnd, policy, lang=lang, internal=internal),
    }


def trend_context(
    session: Session, rnd: Round, policy: Policy, *, lang: Lang, internal: bool
) -> dict[str, Any] | None:
    """The report's section on the changes since the round before ``rnd``
    (:func:`pvpp.national.round_trend`), or None when there is no earlier round."""
    earlier = previous_round(session, rnd)
    if earlier is None:
        return None
    view = round_trend(session, [earlier.code, rnd.code], publish=not internal)
    tr = view.trend
    if tr is None:
        return {"open": True, "earlier": earlier.code}
    marker = t("disclosure.marker", lang)

    def median(row: Row, i: int) -> str:
        s = row.spreads[i]
        return marker if s.withheld else number(s.median, lang, 2)

    def band(row: Row, i: int) -> str:
        s = row.spreads[i]
        if s.withheld:
            return marker
        return (
            "—"
            if s.q1 is None or s.q3 is None
            else f"{number(s.q1, lang, 2)}–{number(s.q3, lang, 2)}"
        )

    def change(row: Row) -> str:
        if row.change is None:
            return "—"
        return ("+" if row.change > 0 else "") + number(row.change, lang, 2)

    def table(rows: list[Row], names: dict[str, str]) -> list[dict[str, Any]]:
        return [
            {
                "label": f"{r.key} {names.get(r.key, '')}".strip(),
                "medians": [median(r, i) for i in range(len(tr.rounds))],
                "bands": [band(r, i) for i in range(len(tr.rounds))],
                "change": change(r),
                "n": r.spreads[-1].n,
            }
            for r in rows
        ]

    def chart(rows: list[Row], labels: dict[str, str]) -> str | None:
        shown = [r for r in rows if not any(s.withheld or s.median is None for s in r.spreads)]
        if not shown:
            return None
        last, first = tr.rounds[-1], tr.rounds[0]
        series = [
            Series(
                t("trends.median", lang, round=last),
                [r.spreads[-1].median for r in shown],
                TREND_COLOURS[0],
            ),
            Series(
                t("trends.median", lang, round=first),
                [r.spreads[0].median for r in shown],
                TREND_COLOURS[1],
                dashed=True,
            ),
        ]
        top = float(policy.degree_scale.max)
        names = [labels[r.key] for r in shown]
        return svg_uri(bar_chart(names, series, max_value=top, lang=lang))

    components = {c.id: f"{c.number}. {c.name.get(lang)}" for c in policy.components}
    groups = {g.id: f"{g.id} {g.name.get(lang)}" for g in policy.institution_groups}
    groups |= {r.key: r.key for r in tr.groups if r.key not in groups}
    items = {i.id: i.name.get(lang) for i in policy.items}
    return {
        "open": False,
        "rounds": list(tr.rounds),
        **comparison_notes(tr, policy, lang),
        "components": table(tr.components, {k: v.split(" ", 1)[1] for k, v in components.items()}),
        "groups": table(tr.groups, {k: v.split(" ", 1)[-1] for k, v in groups.items()}),
        "items": table(tr.items, items),
        "charts": {
            "components": chart(tr.components, components),
            "groups": chart(tr.groups, groups),
        },
        "plans": [
            {
                "round": p.round,
                "plans": p.plans,
                "measures": marker if p.withheld else p.measures,
                "done": marker if p.withheld else p.done,
                "share": marker if p.withheld or p.share is None else number(p.share, lang, 0),
            }
            for p in tr.plans
        ],
        "jump_title": t("trends.jump", lang, n=JUMP),
        "jump_count": tr.jump_count or 0,
        # Named only in the internal report; the published one counts institutions, when
        # enough were compared for a count over them to be shown.
        "jumps": [f"{j.institution}: {jump_text(j, lang)}" for j in tr.jumps] if internal else [],
        "jumps_withheld": tr.jump_count is None,
    }


def national_pdf(
    session: Session, round_code: str, *, today: date, lang: Lang = "lv", internal: bool = False
) -> bytes:
    """The national report PDF as of ``today``."""
    return render_pdf(
        "national/report.html.j2",
        national_context(session, round_code, lang=lang, internal=internal, today=today),
    )
