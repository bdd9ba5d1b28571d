"""The national report for VARAM: progress, score distributions, gaps and needs of a round.

Publishable by default, by the disclosure rule (``docs/disclosure.md``): the progress of
the round as it stands, and its aggregates only from the round's closure, every figure
over too few institutions withheld with a marker; no institution is named.
``internal=True`` shows the current figures and adds the named heat map. The
template's words are the catalogue's ``national.*`` (:mod:`pvpp.i18n`).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlmodel import Session, select

from pvpp import measures
from pvpp.disclosure import enough
from pvpp.documents.charts import distribution_chart, heat_map, svg_uri
from pvpp.documents.render import render_pdf
from pvpp.funding import NO_SOURCE, SEVERAL, TOTAL
from pvpp.i18n import t
from pvpp.national import aggregates, population, round_scores, round_status
from pvpp.policy import load_policy
from pvpp.policy.models import ItemKind, Lang
from pvpp.queries import round_assignments, round_measure_facts
from pvpp.rounds import get_round
from pvpp.states.assignment import ASSESSED, NOT_STARTED
from pvpp.store.models import Institution


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
    status = round_status(session, round_code)
    view = aggregates(session, round_code, publish=not internal)
    pop = population(session, rnd, publish=not internal)
    scores = round_scores(session, round_code, pop.answer_sets) if pop else {}

    def shown(contributors: int) -> bool:
        return internal or enough(contributors)

    totals = status["totals"]
    assigned = totals.get("assigned", 0)
    states = {k: v for k, v in totals.items() if k not in ("assigned", "without assignment")}
    submitted = sum(v for k, v in states.items() if k not in NOT_STARTED)
    accepted = sum(v for k, v in states.items() if k in ASSESSED)

    institutions = {i.code: i for i in session.exec(select(Institution)).all()}
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
    by_group: dict[str, list[str]] = defaultdict(list)
    for code in scores:
        by_group[institutions[code].group_id].append(code)
    heat_rows: list[dict[str, Any]] = []
    for group in policy.institution_groups:
        codes = by_group.get(group.id, [])
        if not codes:
            continue
        cells = []
        for k in groups:
            values = [v for v in (scores[c].items[k.id].score for c in codes) if v is not None]
            withheld = bool(values) and not shown(len(values))
            value = statistics.median(values) if values and not withheld else None
            cells.append({"value": value, "withheld": withheld})
        heat_rows.append(
            {
                "group": group.id,
                "label": f"{group.id} {group.name.get(g)} ({len(codes)})",
                "institutions": len(codes),
                "cells": cells,
            }
        )
    named_rows: list[dict[str, Any]] = []
    if internal:
        for code, r in sorted(scores.items()):
            cells = [{"value": r.items[k.id].score, "withheld": False} for k in groups]
            named_rows.append({"label": f"{code} {institutions[code].name}", "cells": cells})
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

    gaps: list[dict[str, Any]] = []
    for item in policy.items:
        values = [v for v in (r.items[item.id].gap for r in scores.values()) if v is not None]
        if values and shown(len(values)):
            gaps.append({
                "item": f"{item.id} {item.name.get(g)}",
                "mean": sum(values) / len(values),
                "with_gap": sum(1 for v in values if v >= 1),
                "rated": len(values),
            })  # fmt: skip
    gaps.sort(key=lambda x: -x["mean"])

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
    overdue: list[dict[str, Any]] = []
    facts = round_measure_facts(session, rnd)
    for a, inst in round_assignments(session, rnd):
        late = sum(1 for f in facts.get(a.id or 0, []) if measures.is_overdue(f, today))
        if late:
            overdue.append(
                {
                    "label": inst.code if internal else None,
                    "group": inst.group_id,
                    "late": late,
                }
            )
    overdue_total = sum(o["late"] for o in overdue)
    # The round's progress is shown as it stands, over the planned institutions: only
    # with enough of them, like any figure over institutions.
    overdue_withheld = not shown(sum(1 for f in facts.values() if f))

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
    }


def national_pdf(
    session: Session, round_code: str, *, today: date, lang: Lang = "lv", internal: bool = False
) -> bytes:
    """The national report PDF as of ``today``."""
    return render_pdf(
        "national/report.html.j2",
        national_context(session, round_code, lang=lang, internal=internal, today=today),
    )
