"""The console's pages of national results across rounds (issue 13): the trend between
two or more rounds, and an institution's standing in its group per round.

Routes in :mod:`pvpp.web.console_trends` call these and render what they return. The
figures are the services' (:func:`pvpp.national.round_trend`,
:func:`pvpp.national.round_standing`, rules in :mod:`pvpp.trends`); the tables' downloads
are :mod:`pvpp.exports.trend`'s; what would be withheld is :mod:`pvpp.disclosure`'s.

The console is VARAM's internal view (docs/disclosure.md): it counts the assessed
institutions' current answers and withholds nothing, but marks each figure that a
publication would withhold (the trend: fewer than :func:`~pvpp.disclosure.published_minimum`
institutions) or that its institution would not be shown (a position: fewer than three
institutions other than itself). An unknown round or an institution without an
assignment in the round is :class:`pvpp.portal.NotFound` (404).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup
from sqlmodel import Session, col, select

from pvpp.disclosure import MIN_OTHERS, enough, published_minimum
from pvpp.documents.charts import Series, line_chart
from pvpp.exports.data import group_name, name_of
from pvpp.exports.progress import MEDIA_TYPES
from pvpp.exports.trend import TABLES, download_name, trend_bytes
from pvpp.i18n import t
from pvpp.national import round_standing, round_trend
from pvpp.policy import Policy, load_policy
from pvpp.policy.models import Lang
from pvpp.portal import NotFound
from pvpp.queries import closing_days, institution_names, round_assignments, round_by_code
from pvpp.states.assignment import ASSESSED
from pvpp.store.models import Assignment, Institution, Round, RoundMilestone
from pvpp.trends import (
    JUMP,
    MAX_ROUNDS,
    Position,
    Row,
    Trend,
    as_published,
    comparison_notes,
    jump_text,
)

__all__ = [
    "ChosenRounds",
    "choose_rounds",
    "institutions_page",
    "position_page",
    "trend_download",
    "trend_page",
]

#: The longest name filter the institutions' list takes.
MAX_NAME_FILTER = 100
MEDIAN_COLOUR = "#1d4f91"
BAND_COLOUR = "#5c5c5c"


@dataclass(frozen=True)
class RoundChoice:
    """A round the form offers: its code, opening day, whether closed or launched."""

    code: str
    opens_on: date
    closed: bool
    launched: bool


@dataclass(frozen=True)
class ChosenRounds:
    """The rounds offered and those chosen (oldest first), with what was wrong."""

    offered: list[RoundChoice]
    chosen: list[str]
    error: str | None  # a catalogue key, or None


def choose_rounds(session: Session, asked: Sequence[str]) -> ChosenRounds:
    """Every round (newest first) and those ``asked`` (the form's ticks): by default the
    two newest rounds closed or launched (the two newest rounds when fewer are). An
    unknown round is :class:`NotFound`; fewer than two asked is an error to show. Three
    statements whatever the number of rounds."""
    rounds = session.exec(
        select(Round).order_by(col(Round.opens_on).desc(), col(Round.id).desc())
    ).all()
    closed = closing_days(session)
    launched = set(session.exec(select(RoundMilestone.round_id).distinct()).all())
    offered = [RoundChoice(r.code, r.opens_on, r.code in closed, r.id in launched) for r in rounds]
    order = {r.code: i for i, r in enumerate(offered)}
    wanted = list(dict.fromkeys(a.strip() for a in asked if a.strip()))[:MAX_ROUNDS]
    unknown = [c for c in wanted if c not in order]
    if unknown:
        raise NotFound(unknown[0])
    error = None
    if not wanted:
        ready = [r.code for r in offered if r.closed or r.launched]
        wanted = (ready if len(ready) >= 2 else [r.code for r in offered])[:2]
        if len(wanted) < 2:
            error = "console.trends.error.no_rounds"
    elif len(wanted) < 2:
        error = "console.trends.error.one_round"
    chosen = sorted(wanted, key=lambda c: -order[c])  # oldest first
    return ChosenRounds(offered, chosen, error)


def _would_withhold(n: int) -> bool:
    """Whether a publication would withhold a figure over ``n`` institutions."""
    return bool(n) and not enough(n)


def _rows(rows: list[Row], names: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "name": names.get(r.key, r.key),
            "spreads": [
                {
                    "n": s.n,
                    "median": s.median,
                    "q1": s.q1,
                    "q3": s.q3,
                    "marked": _would_withhold(s.n),
                }
                for s in r.spreads
            ],
            "change": r.change,
        }
        for r in rows
    ]


def _chart_days(opens: Sequence[date]) -> list[date]:
    """The rounds' places on the chart: their opening days, or one year apart when two
    opened on the same day (the chart's axis needs each day once, in order)."""
    if all(b > a for a, b in itertools.pairwise(opens)):
        return list(opens)
    return [opens[0] + timedelta(days=365 * i) for i in range(len(opens))]


def _charts(tr: Trend, policy: Policy, opens: Sequence[date], lang: Lang) -> list[dict[str, Any]]:
    """Per component: its median and Q1–Q3 over the rounds as a line chart (SVG)."""
    days = _chart_days(opens)
    top = float(policy.degree_scale.max)
    out = []
    for row, component in zip(tr.components, policy.components, strict=True):
        name = f"{component.id} {component.name.get(lang)}"
        series = [
            Series(t("console.trends.chart.median", lang), [s.median for s in row.spreads],
                   MEDIAN_COLOUR),
            Series("Q1", [s.q1 for s in row.spreads], BAND_COLOUR, dashed=True),
            Series("Q3", [s.q3 for s in row.spreads], BAND_COLOUR, dashed=True),
        ]  # fmt: skip
        svg = line_chart(
            days, series, max_value=top, lang=lang, labels=list(tr.rounds), decimals=2,
            title=name, width=420,
            height=260, label_id=f"trend-{row.key}",
        )  # fmt: skip
        out.append({"key": row.key, "name": name, "svg": Markup(svg)})  # escaped by charts
    return out


def trend_page(
    session: Session, asked: Sequence[str], *, lang: Lang, internal: bool
) -> dict[str, Any]:
    """The trend page: the rounds to choose from, and for those chosen (by default the
    two newest closed or launched) per component, institution group and item each
    round's n, median, Q1–Q3 and the change, the plan measures done, the jump warnings,
    what was not compared when the rounds use different questionnaire versions, a line
    chart per component. The jump warnings name institutions (linked to their standing
    in the last round) only ``internal``ly, for the roles that read institutions' own
    data (:func:`pvpp.console_plans.internal_view`); otherwise they are counted, as a
    publication counts them. A constant number of statements whatever the rounds'
    sizes."""
    rounds = choose_rounds(session, asked)
    view: dict[str, Any] = {
        "offered": rounds.offered,
        "chosen": rounds.chosen,
        "error": t(rounds.error, lang) if rounds.error else None,
        "trend": None,
        "min_published": published_minimum(),
        "tables": _tables(internal),
        "query": [("rounds", c) for c in rounds.chosen],
        "internal": internal,
    }
    if rounds.error:
        return view
    full = _compared(session, rounds.chosen)
    tr = full if internal else as_published(full)
    by_code = {r.code: r for r in rounds.offered}
    last = round_by_code(session, tr.rounds[-1])
    assert last is not None
    policy = load_policy(last.policy_version)
    components = {c.id: c.name.get(lang) for c in policy.components}
    items = {i.id: i.name.get(lang) for i in policy.items}
    groups = {g.id: g.name.get(lang) for g in policy.institution_groups}
    institutions = institution_names(session, {j.institution for j in tr.jumps}) if internal else {}
    view |= {
        "trend": tr,
        "rounds": list(tr.rounds),
        "last": tr.rounds[-1],
        **comparison_notes(tr, policy, lang),
        "components": _rows(tr.components, components),
        "groups": _rows(tr.groups, groups),
        "items": _rows(tr.items, items),
        "plans": [
            {
                "round": p.round,
                "plans": p.plans,
                "measures": p.measures,
                "done": p.done,
                "share": p.share,
                "marked": _would_withhold(p.plans),
            }
            for p in tr.plans
        ],
        "jumps": [
            {
                "code": j.institution,
                "name": institutions.get(j.institution, ""),
                "item": j.item,
                "item_name": items.get(j.item, j.item),
                "text": jump_text(j, lang),
            }
            for j in tr.jumps
            if internal
        ],
        "jumped": len({j.institution for j in full.jumps}),
        "jump": JUMP,
        "charts": _charts(tr, policy, [by_code[c].opens_on for c in tr.rounds], lang),
    }
    return view


def _compared(session: Session, codes: Sequence[str]) -> Trend:
    """The ministry's comparison of rounds ``codes`` (nothing withheld; the page marks
    what a publication would withhold, and :func:`pvpp.trends.as_published` takes it out
    for the readers who see the national results as the public will)."""
    tr = round_trend(session, codes, publish=False).trend
    assert tr is not None, "an internal comparison is never withheld"
    return tr


def _tables(internal: bool) -> tuple[str, ...]:
    """The tables a reader downloads: the jump warnings name institutions (internal)."""
    return TABLES if internal else tuple(x for x in TABLES if x != "jumps")


def trend_download(
    session: Session, asked: Sequence[str], *, lang: Lang, suffix: str, table: str | None,
    internal: bool,
) -> tuple[bytes, str, str]:  # fmt: skip
    """A table of the trend page (or, as ``.xlsx`` without ``table``, every table) for the
    rounds chosen as the page chooses them: its bytes, media type and file name; the jump
    warnings only ``internal``ly (they name institutions). An unknown table is
    :class:`NotFound`; fewer than two rounds too (nothing to compare)."""
    if table is not None and table not in _tables(internal):
        raise NotFound(table)
    rounds = choose_rounds(session, asked)
    if rounds.error:
        raise NotFound("rounds")
    tr = _compared(session, rounds.chosen)
    if not internal:
        tr = as_published(tr)
    last = round_by_code(session, tr.rounds[-1])
    assert last is not None
    policy = load_policy(last.policy_version)
    names = institution_names(session, {j.institution for j in tr.jumps})
    data = trend_bytes(tr, policy, suffix, lang=lang, table=table, institutions=names,
                       tables=_tables(internal))  # fmt: skip
    return data, MEDIA_TYPES[suffix], download_name(tr, suffix, lang=lang, table=table)


# -- an institution in its group -----------------------------------------------------------


def _round(session: Session, code: str) -> Round:
    rnd = round_by_code(session, code)
    if rnd is None:
        raise NotFound(code)
    return rnd


@dataclass(frozen=True)
class InstitutionFilter:
    """The institutions' list's filters as typed."""

    name: str = ""
    group: str = ""

    @classmethod
    def read(cls, values: Mapping[str, str]) -> InstitutionFilter:
        """The filters from a query string (a part of the name or code; a group)."""
        return cls(values.get("name", "").strip()[:MAX_NAME_FILTER],
                   values.get("group", "").strip()[:10])  # fmt: skip


def institutions_page(
    session: Session, round_code: str, filters: InstitutionFilter, *, lang: Lang
) -> dict[str, Any]:
    """The round's institutions (code, name, group, state, whether assessed), filtered by
    a part of the name or code and by group, each assessed one linked to its standing.
    Two statements whatever the round's size."""
    rnd = _round(session, round_code)
    policy = load_policy(rnd.policy_version)
    pairs = round_assignments(session, rnd)
    groups = sorted({i.group_id for _, i in pairs})
    needle = filters.name.casefold()
    rows = [
        {"code": i.code, "name": i.name, "group": i.group_id, "state": a.state,
         "state_name": name_of("state", a.state, lang), "assessed": a.state in ASSESSED}
        for a, i in sorted(pairs, key=lambda p: p[1].code)
        if (not needle or needle in i.name.casefold() or needle in i.code.casefold())
        and (not filters.group or (i.group_id or "").casefold() == filters.group.casefold())
    ]  # fmt: skip
    return {
        "round": rnd.code,
        "rows": rows,
        "total": len(pairs),
        "groups": [(g, group_name(policy, g, lang)) for g in groups],
        "filters": filters,
        "filtered": bool(filters.name or filters.group),
    }


def _position_row(key: str, name: str, p: Position, lang: Lang) -> dict[str, Any]:
    return {
        "key": key, "name": name, "score": p.score, "n": p.n, "median": p.median,
        "q1": p.q1, "q3": p.q3, "marked": p.withheld,
        "place": t(f"trends.place.{p.place}", lang) if p.place else None,
    }  # fmt: skip


def position_page(
    session: Session, round_code: str, institution: str, *, lang: Lang
) -> dict[str, Any]:
    """An institution's standing in its table-1 group in a round: overall, per component
    and per item its score, the group's median, Q1–Q3 and size, and where it lies;
    figures its institution would not be shown (fewer than three others) marked; the
    other rounds it has an assignment in. An institution without an assignment in the
    round is :class:`NotFound`. A constant number of statements whatever the round's
    size."""
    rnd = _round(session, round_code)
    found = session.exec(
        select(Institution, Assignment)
        .join(Assignment, col(Assignment.institution_id) == Institution.id)
        .where(Institution.code == institution, Assignment.round_id == rnd.id)
    ).first()
    if found is None:
        raise NotFound(institution)
    inst, assignment = found
    rounds = session.exec(
        select(Round.code)
        .join(Assignment, col(Assignment.round_id) == Round.id)
        .where(Assignment.institution_id == inst.id)
        .order_by(col(Round.opens_on), col(Round.id))
    ).all()
    policy = load_policy(rnd.policy_version)
    standing = round_standing(session, rnd, inst.code, hide=False)
    view: dict[str, Any] = {
        "round": rnd.code,
        "institution": {
            "code": inst.code,
            "name": inst.name,
            "group": group_name(policy, inst.group_id, lang),
        },
        "state_name": name_of("state", assignment.state, lang),
        "rounds": list(rounds),
        "standing": None,
        "min_others": MIN_OTHERS,
    }
    if standing is None:
        return view
    components = {c.id: c.name.get(lang) for c in policy.components}
    view |= {
        "standing": standing,
        "overall": _position_row("", t("trends.position_score", lang), standing.overall, lang),
        "components": [
            _position_row(k, components[k], p, lang) for k, p in standing.components.items()
        ],
        "items": [
            _position_row(k, policy.item(k).name.get(lang), p, lang)
            for k, p in standing.items.items()
        ],
        "marked": any(p.withheld for p in (standing.overall, *standing.components.values())),
    }
    return view
