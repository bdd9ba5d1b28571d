"""The console's national results page of a round (issue 13, "National results, across
rounds"): response and acceptance, degree distributions per item, the institutions ×
condition groups heat map, common gaps, RV6/RV7 needs, the services' conformity per
condition group, overdue plan measures and how often each question was found unclear,
over every institution of the round or those of one table-1 group.

The ministry reads the internal figures (the current accepted answers, every institution
named): each figure that a publication would withhold by the disclosure rule
(:mod:`pvpp.disclosure`) is marked as such, and the page says whether the round is closed
for publication yet (a publication counts the round's closure, not the current answers).
A console role that does not read rounds (the analyst) reads them as the public will
(:func:`withheld_view`, applied to the shared kept view): no institution one by one, and
each figure a publication would withhold as the marker alone.

**Only accepted answers count.** An institution counts with its newest answer set, and an
answer set is made only when a submission is accepted (at once in a round without review,
by a reviewer in one with review, :mod:`pvpp.review`); a submission waiting for review, or
returned, is not counted until it is accepted (an institution accepted before keeps its
accepted answers meanwhile).

**One scoring pass, kept per process.** The view is computed from
:func:`pvpp.national.round_figures` (each institution scored once) and the services of
:mod:`pvpp.national` given those figures, in a constant number of statements. Scoring a
thousand answer sets takes longer than a page may, so each computed view is kept in this
process, keyed by the round's fingerprint (:func:`pvpp.national.round_fingerprint`: one
statement that changes with any new answer set, state change, plan version, reported
status, closure or registry change), the group, the language and the day. The processes
keep nothing else; a view a process has not computed yet is computed there once.

Routes in :mod:`pvpp.web.console_national` call these; the tables download through
:mod:`pvpp.exports.national`.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from datetime import date
from typing import Any

from sqlmodel import Session

from pvpp.access import READ_ROUNDS, may
from pvpp.console_rounds import RoundFacts, find_round
from pvpp.disclosure import enough, published_minimum
from pvpp.documents.charts import distribution_chart
from pvpp.i18n import t
from pvpp.national import (
    RV6_ITEMS,
    RV7_ITEMS,
    aggregates,
    condition_group_items,
    group_medians,
    item_gaps,
    overdue_measures,
    round_figures,
    round_fingerprint,
)
from pvpp.policy import load_policy
from pvpp.policy.models import Lang
from pvpp.portal import NotFound
from pvpp.queries import round_assignment_facts
from pvpp.states.assignment import ASSESSED, AWAITING_REVIEW, NOT_STARTED
from pvpp.store.models import Round

__all__ = [
    "LIST_LIMIT",
    "clear_cache",
    "national_page",
    "national_view",
    "read_group",
    "withheld_view",
]

#: The most institutions the page lists in its per-institution heat map (the download has
#: them all; a group filter narrows the list).
LIST_LIMIT = 100
#: The most common gaps shown (the download has every item with a gap).
GAPS_SHOWN = 10
#: The steps of a heat map cell's shade (``heat-0`` … ``heat-8`` in the stylesheet: the
#: page's policy forbids inline styles).
HEAT_STEPS = 8
#: The most views kept per process (a few rounds × groups × languages); the one read
#: longest ago goes first.
CACHE_SIZE = 32

_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_gates: dict[tuple[Any, ...], threading.Lock] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every kept view (the tests' way to count a computed view's statements)."""
    with _lock:
        _cache.clear()
        _gates.clear()


def read_group(value: str) -> str | None:
    """The group filter from the query string, trimmed, or None for all (checked against
    the round's policy by :func:`national_page`)."""
    group = value.strip()[:10]
    return group or None


def _policy_group(rnd: Round, group: str | None) -> str | None:
    """``group`` as the round's policy spells a table-1 group's id (case-insensitive), or
    :class:`~pvpp.portal.NotFound`: an unknown group would otherwise compute (and keep) a
    view of nobody for every string asked."""
    if group is None:
        return None
    for g in load_policy(rnd.policy_version).institution_groups:
        if g.id.casefold() == group.casefold():
            return g.id
    raise NotFound(group)


def heat_class(value: float | None, max_value: float) -> str:
    """A heat map cell's class: ``heat-k``, the value's step of :data:`HEAT_STEPS` on
    ``0..max_value`` (darker is a higher degree; the stylesheet gives each step the
    charts' shade, :func:`pvpp.documents.charts.shade`, and a text colour that keeps its
    contrast on it); none (white) for no value. The value is printed in the cell too."""
    if value is None:
        return ""
    step = round(min(max(value, 0.0), max_value) / max_value * HEAT_STEPS)
    return f"heat-{step}"


def _share(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None


def _rates(rnd: Round, states: list[str], scored: int) -> dict[str, Any]:
    assigned = len(states)
    submitted = sum(1 for s in states if s not in NOT_STARTED)
    accepted = sum(1 for s in states if s in ASSESSED)
    waiting = sum(1 for s in states if s in AWAITING_REVIEW) if rnd.review_required else 0
    return {
        "assigned": assigned,
        "submitted": submitted,
        "accepted": accepted,
        "awaiting_review": waiting,
        "scored": scored,
        "response": _share(submitted, assigned),
        "acceptance": _share(accepted, assigned),
    }


def national_view(
    session: Session, rnd: Round, *, today: date, group: str | None, lang: Lang
) -> dict[str, Any]:
    """The page's figures (plain data, no stored rows), computed now (see the module
    docstring; :func:`national_page` keeps them)."""
    policy = load_policy(rnd.policy_version)
    every = round_figures(session, rnd.code, publish=False)
    figures = every.of_group(group)
    view = aggregates(session, rnd.code, publish=False, figures=figures)
    scores = figures.scores
    facts = round_assignment_facts(session, rnd)
    chosen = [a for a in facts if group is None or a.group_id.casefold() == group.casefold()]
    names = {a.code: a.name for a in facts}
    degrees = list(policy.degree_scale.values)
    scale_names = [f"{v} {policy.degree_scale.name(v, lang)}" for v in degrees]
    scored = len(scores)

    # Degree distributions: per item (the table) and per component (the chart).
    dist = view.get("degree_distribution", {})
    items = [
        {
            "item": i.id,
            "name": i.name.get(lang),
            "counts": [dist.get(i.id, {}).get(str(d), 0) for d in degrees],
            "unrated": dist.get(i.id, {}).get("unrated", 0),
        }
        for i in policy.items
    ]
    components: list[dict[str, Any]] = []
    for c in policy.components:
        counted = Counter(
            None if s is None else round(s)
            for s in (r.components[c.id].score for r in scores.values())
        )
        components.append({"name": f"{c.number}. {c.name.get(lang)}",
                           "counts": [counted.get(d, 0) for d in degrees]})  # fmt: skip
    chart = None
    if scored:
        chart = distribution_chart(
            [c["name"] for c in components], [c["counts"] for c in components], scale_names,
            title=t("national.distribution", lang), lang=lang, label_id="distribution-chart",
        )  # fmt: skip

    columns = condition_group_items(policy)
    top = float(policy.degree_scale.max)
    group_names = {g.id: g.name.get(lang) for g in policy.institution_groups}
    heat_groups = [
        {**row, "name": group_names.get(row["group"], row["group"]),
         "cells": [{**c, "published": enough(c["n"]), "shade": heat_class(c["value"], top)}
                   for c in row["cells"]]}
        for row in group_medians(policy, scores, figures.groups, lambda n: True)
    ]  # fmt: skip
    heat_named = [
        {"code": code, "name": names.get(code, ""), "group": figures.groups[code],
         "cells": [{"value": v, "shade": heat_class(v, top)}
                   for v in (r.items[k].score for k in columns)]}
        for code, r in scores.items()
    ]  # fmt: skip

    gaps = [
        {**x, "name": policy.item(x["item"]).name.get(lang), "published": enough(x["rated"])}
        for x in item_gaps(policy, scores)
    ]
    needs = {
        key: [
            {**n, "name": policy.item(n["item"]).name.get(lang),
             "published": enough(n["institutions_rated"])}
            for n in view.get(key, [])
        ]
        for key in ("rv6_needs", "rv7_needs")
    }  # fmt: skip

    conformity = view.get("service_conformity", {"institutions": 0, "groups": {}})
    listed = int(conformity.get("institutions", 0))
    services = [
        {"group": k, "name": policy.item(k).name.get(lang), **c,
         "share": _share(c["conforms"], c["reported"])}
        for k in columns
        if (c := conformity.get("groups", {}).get(k)) is not None
    ]  # fmt: skip

    in_group = {a.code for a in chosen}
    planned = [o for o in overdue_measures(session, rnd, today) if o.code in in_group]
    overdue = [
        {"code": o.code, "name": o.name, "group": o.group, "late": o.late}
        for o in planned
        if o.late
    ]

    unclear = [{**u, "published": enough(u["answered"])} for u in view.get("unclear_questions", [])]
    return {
        "internal": True,
        "group": group,
        "groups": sorted({a.group_id for a in facts}),
        "today": today,
        "min_group": published_minimum(),
        "closed_on": every.population.closed_on if every.population else None,
        "rates": _rates(rnd, [a.state for a in chosen], scored),
        "published": enough(scored),
        "degrees": degrees,
        "scale_names": scale_names,
        "max_degree": top,
        "items": items,
        "components": components,
        "chart": chart,
        "columns": columns,
        "column_names": {k: policy.item(k).name.get(lang) for k in columns},
        "heat_groups": heat_groups,
        "heat_named": heat_named,
        "gaps": gaps,
        "rv6": needs["rv6_needs"],
        "rv7": needs["rv7_needs"],
        "rv6_items": RV6_ITEMS,
        "rv7_items": RV7_ITEMS,
        "services": {"institutions": listed, "published": enough(listed), "rows": services},
        "overdue": {
            "rows": overdue,
            "institutions": len(overdue),
            "measures": sum(o["late"] for o in overdue),
            "planned": len(planned),
            "published": enough(len(planned)),
        },
        "unclear": unclear,
        "unclear_total": sum(u["unclear"] or 0 for u in unclear),
    }


def _withheld(value: Any, published: bool, marker: str) -> Any:
    return value if published else marker


def withheld_view(view: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """The view as a reader of national results only (the analyst, no
    :data:`~pvpp.access.READ_ROUNDS`) gets it, "as the public will": no table listing
    institutions one by one (the heat map by institution, the overdue measures per
    institution; their totals stay), and every figure a publication would withhold by the
    disclosure rule replaced by the marker alone. A new dict: the kept view is shared by
    every reader."""
    marker = t("disclosure.marker", lang)
    ok = bool(view["published"])

    def hide(row: dict[str, Any], keys: tuple[str, ...], published: bool) -> dict[str, Any]:
        return {**row, **{k: _withheld(row[k], published, marker) for k in keys}}

    rates = hide(view["rates"], ("scored",), ok)
    items = [
        {**i, "counts": [_withheld(c, ok, marker) for c in i["counts"]]} for i in view["items"]
    ]
    components = [
        {**c, "counts": [_withheld(n, ok, marker) for n in c["counts"]]} for c in view["components"]
    ]
    heat_groups = [
        {**r, "cells": [c if c["published"] else {**c, "value": marker, "shade": ""}
                        for c in r["cells"]]}
        for r in view["heat_groups"]
    ]  # fmt: skip
    gaps = [hide(g, ("mean", "with_gap"), g["published"]) for g in view["gaps"]]
    needs_keys = ("institutions_with_gap", "median_gap", "mean_gap")
    rv6 = [hide(n, needs_keys, n["published"]) for n in view["rv6"]]
    rv7 = [hide(n, needs_keys, n["published"]) for n in view["rv7"]]
    services = view["services"]
    service_keys = ("conforms", "partly", "not", "not_applicable", "unanswered", "reported",
                    "share")  # fmt: skip
    services = {
        **hide(services, ("institutions",), services["published"]),
        "rows": [hide(r, service_keys, services["published"]) for r in services["rows"]],
    }
    overdue = view["overdue"]
    overdue = {**hide(overdue, ("institutions", "measures"), overdue["published"]), "rows": []}
    unclear = [hide(u, ("unclear",), u["published"]) for u in view["unclear"]]
    every_unclear = all(u["published"] for u in view["unclear"])
    return {
        **view,
        "internal": False,
        "rates": rates,
        "items": items,
        "components": components,
        "chart": view["chart"] if ok else None,
        "heat_groups": heat_groups,
        "heat_named": [],
        "gaps": gaps,
        "rv6": rv6,
        "rv7": rv7,
        "services": services,
        "overdue": overdue,
        "unclear": unclear,
        "unclear_total": _withheld(view["unclear_total"], every_unclear, marker),
    }


def _kept(session: Session, rnd: Round, *, today: date, group: str | None, lang: Lang
          ) -> dict[str, Any]:  # fmt: skip
    fingerprint = round_fingerprint(session, rnd)
    url = str(session.get_bind().engine.url)
    key = (url, rnd.id, (group or "").casefold(), lang, today, fingerprint)
    with _lock:
        view = _cache.get(key)
        if view is not None:
            _cache.move_to_end(key)
        gate = _gates.setdefault(key, threading.Lock()) if view is None else None
    if gate is not None:
        # One request computes a view; others asking for it meanwhile wait for it rather
        # than each scoring the round again.
        with gate:
            with _lock:
                view = _cache.get(key)
            if view is None:
                try:
                    view = national_view(session, rnd, today=today, group=group, lang=lang)
                    with _lock:
                        _cache[key] = view
                        while len(_cache) > CACHE_SIZE:
                            _cache.popitem(last=False)
                finally:
                    # A failed computation leaves no gate behind (the next request
                    # tries again with a new one).
                    with _lock:
                        _gates.pop(key, None)
    assert view is not None
    return view


def national_page(
    session: Session, code: str, *, today: date, group: str | None, lang: Lang, role: str
) -> dict[str, Any]:
    """The national results page of round ``code`` as console role ``role`` reads them
    (:class:`~pvpp.portal.NotFound` for an unknown round or table-1 group): its facts,
    whether it is closed, and the figures of :func:`national_view`, kept per process while
    the round's fingerprint stays the same; for a role that does not read rounds, as
    :func:`withheld_view` leaves them. Two statements when kept, a constant number
    otherwise, whatever the round's size."""
    rnd = find_round(session, code)
    chosen = _policy_group(rnd, group)
    view = _kept(session, rnd, today=today, group=chosen, lang=lang)
    if not may(role, READ_ROUNDS):
        view = withheld_view(view, lang)
    return {"round": RoundFacts.of(rnd), "view": view}
