"""The national view for VARAM: round progress and aggregates across institutions.

What is shown outside VARAM follows the disclosure rule (:mod:`pvpp.disclosure`,
``docs/disclosure.md``): a figure over institutions needs at least three institutions
other than its reader, and a publication is made only from the round's closure (the
answer sets and plan versions fixed when the round was closed), so no two publications
differ by one institution.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from pvpp import measures
from pvpp.disclosure import enough, published_minimum, shown_to
from pvpp.errors import PvppError
from pvpp.funding import FundingTotal, funding_totals
from pvpp.policy import Policy, load_policy
from pvpp.policy.models import ItemKind
from pvpp.queries import (
    ROUND_CLOSE,
    assessed_answer_sets,
    current_answer_sets,
    late_files,
    previous_round,
    returned_causes,
    round_assignment_facts,
    round_assignments,
    round_closure,
    round_funding,
    round_measure_facts,
    round_undelivered,
    rounds_by_codes,
    team_statuses,
)
from pvpp.questionnaire import load_questionnaire
from pvpp.rounds import get_round
from pvpp.scoring import UNCLEAR, ScoreResult, score_answers
from pvpp.services import ConformityCount, condition_groups, conformity_by_group, total_counts
from pvpp.states.assignment import ASSESSED, AssignmentState
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    AuditLog,
    Institution,
    MeasureStatus,
    Plan,
    Round,
    RoundSkip,
    Transition,
    id_of,
)
from pvpp.trends import Assessed, RoundInput, Standing, Trend, compare, standing

# RV6: central shared services and digital technologies; RV7: specialised competences.
RV6_ITEMS = ("K5", "K7", "K8", "R2")
RV7_ITEMS = ("S3", "S4")


def round_status(session: Session, code: str) -> dict[str, Any]:
    """Per institution: state (and for a returned one, why: ``returned_how``), overall
    index, last change and RV1 flags; what needs a coordinator: emails not delivered (a
    head's address refused) and late workbooks kept but not applied; with totals."""
    rnd = get_round(session, code)
    policy = load_policy(rnd.policy_version)
    assignments = round_assignments(session, rnd)
    answer_sets = current_answer_sets(session, rnd)
    teams = team_statuses(session, [inst for _, inst in assignments])
    undelivered = round_undelivered(session, rnd)
    late = late_files(session, [id_of(a) for a, _ in assignments])
    returned = returned_causes(
        session, [id_of(a) for a, _ in assignments if a.state == AssignmentState.RETURNED]
    )
    rows: list[dict[str, Any]] = []
    for a, inst in assignments:
        answers = answer_sets.get(id_of(a))
        index = score_answers(policy, answers.answers).index if answers else None
        rows.append(
            {
                "code": inst.code,
                "name": inst.name,
                "state": a.state,
                # why a returned one is returned: errors, review or reopened
                "returned_how": returned.get(id_of(a)),
                "index": None if index is None else round(index, 1),
                "changed_at": a.updated_at.strftime("%Y-%m-%d %H:%M"),
                "flags": teams[id_of(inst)].flags(),
                "undelivered": [vars(u) for u in undelivered.get(inst.code, [])],
                "late_files": [
                    {**vars(f), "received_at": f.received_at.strftime("%Y-%m-%d %H:%M")}
                    for f in late.get(id_of(a), [])
                ],
            }
        )
    rows.sort(key=lambda r: r["code"])
    institutions = {i.id: i for i in session.exec(select(Institution)).all()}
    skipped = {
        institutions[s.institution_id].code: s.reason
        for s in session.exec(select(RoundSkip).where(RoundSkip.round_id == rnd.id)).all()
    }
    totals = dict(sorted(Counter(r["state"] for r in rows).items()))
    totals["assigned"] = len(rows)
    totals["without assignment"] = len(skipped)
    return {"round": code, "institutions": rows, "totals": totals, "skipped": skipped}


def round_totals(session: Session, rnd: Round) -> dict[str, int]:
    """The totals of :func:`round_status` alone (assignments per state, sorted by state,
    then "assigned" and "without assignment"), in two statements and without scoring."""
    counts = session.exec(
        select(Assignment.state, func.count())
        .where(Assignment.round_id == rnd.id)
        .group_by(col(Assignment.state))
    ).all()
    skipped = session.exec(
        select(func.count()).select_from(RoundSkip).where(RoundSkip.round_id == rnd.id)
    ).one()
    totals = {state: int(n) for state, n in sorted(counts)}
    totals["assigned"] = sum(totals.values())
    totals["without assignment"] = int(skipped)
    return totals


@dataclass(frozen=True)
class Population:
    """The answer sets and plan versions a view of a round counts."""

    answer_sets: dict[int, AnswerSet]  # assignment id → answer set
    plans: dict[int, Plan] | None  # assignment id → plan version; None: the newest
    closed_on: date | None  # the round's closure they come from, if any
    # Assignment id → institution code, for every assignment of the round (filled by
    # round_figures; a filtered population keeps only those of the filter).
    assignment_codes: dict[int, str] = field(default_factory=dict)


def population(session: Session, rnd: Round, *, publish: bool) -> Population | None:
    """What a view counts: for publication, the round's closure (None while the round is
    open: nothing is published from a round that can still change); otherwise the current
    answer sets and newest plans."""
    if not publish:
        return Population(current_answer_sets(session, rnd), None, None)
    closure = round_closure(session, rnd)
    if closure is None:
        return None
    return Population(closure.answer_sets, closure.plans, closure.closed_on)


@dataclass(frozen=True)
class RoundFigures:
    """A round's population and the scores of each of its institutions, computed once:
    what :func:`aggregates`, the national report and the console's national page share
    instead of each scoring the whole round again."""

    round_code: str
    population: Population | None  # None: a publication of a round not closed
    scores: dict[str, ScoreResult]  # institution code → scores, by code
    groups: dict[str, str]  # institution code → its table-1 group, for those scored

    def of_group(self, group: str | None) -> RoundFigures:
        """The same figures over the institutions of table-1 group ``group`` alone (all
        when None): the answer sets, scores and fixed plan versions of the others left
        out. Plans that are "the newest" (``plans`` None) stay so, for every institution:
        :func:`aggregates`' funding is not filtered by group (the console does not show
        it)."""
        if group is None or self.population is None:
            return self
        kept = {c for c, g in self.groups.items() if g.casefold() == group.casefold()}
        pop = self.population
        chosen = {k: v for k, v in pop.assignment_codes.items() if v in kept}
        plans = None if pop.plans is None else {
            k: v for k, v in pop.plans.items() if k in chosen
        }  # fmt: skip
        answer_sets = {k: v for k, v in pop.answer_sets.items() if k in chosen}
        return RoundFigures(
            self.round_code,
            Population(answer_sets, plans, pop.closed_on, chosen),
            {c: r for c, r in self.scores.items() if c in kept},
            {c: g for c, g in self.groups.items() if c in kept},
        )


def round_figures(session: Session, code: str, *, publish: bool) -> RoundFigures:
    """The round's population (:func:`population`) and every counted institution's
    scores: the one scoring pass of a view of the round."""
    rnd = get_round(session, code)
    pop = population(session, rnd, publish=publish)
    if pop is None:
        return RoundFigures(rnd.code, None, {}, {})
    policy = load_policy(rnd.policy_version)
    facts = {a.id: (a.code, a.group_id) for a in round_assignment_facts(session, rnd)}
    pop = Population(pop.answer_sets, pop.plans, pop.closed_on,
                     {k: code_ for k, (code_, _) in facts.items()})  # fmt: skip
    scores = {
        facts[k][0]: score_answers(policy, a.answers)
        for k, a in pop.answer_sets.items()
        if k in facts
    }
    groups = {facts[k][0]: facts[k][1] for k in pop.answer_sets if k in facts}
    return RoundFigures(rnd.code, pop, dict(sorted(scores.items())), groups)


def round_scores(
    session: Session, code: str, answer_sets: Mapping[int, AnswerSet] | None = None
) -> dict[str, ScoreResult]:
    """Institution code → scores of its current answers (or of ``answer_sets``), for every
    scored institution."""
    rnd = get_round(session, code)
    policy = load_policy(rnd.policy_version)
    institutions = {i.id: i for i in session.exec(select(Institution)).all()}
    assignments = {
        a.id: a for a in session.exec(select(Assignment).where(Assignment.round_id == rnd.id)).all()
    }
    if answer_sets is None:
        answer_sets = current_answer_sets(session, rnd)
    out = {}
    for assignment_id, answer_set in answer_sets.items():
        inst = institutions[assignments[assignment_id].institution_id]
        out[inst.code] = score_answers(policy, answer_set.answers)
    return dict(sorted(out.items()))


#: A median over institutions and the codes of those it is computed from.
Median = tuple[float | None, frozenset[str]]
Medians = tuple[dict[str, Median], dict[str, Median]]
_medians: dict[tuple[str, int, int, int | None], Medians] = {}


def round_medians(session: Session, code: str) -> Medians:
    """Median score per component and per item over the round's scored institutions, each
    with the institutions it is computed from: the round's closure once it is closed (so
    every plan made after that shows the same), until then the current answers.

    Every plan PDF shows them; scoring the whole round for each of N plans would make a
    round's rendering grow with N². So they are kept per process until the round's answer
    sets change (a new one raises their count and newest id) or it is closed.
    """
    rnd = get_round(session, code)
    closure = round_closure(session, rnd)
    if closure is not None:
        count, newest = -1, None  # a closure never changes
    else:
        count, newest = session.exec(
            select(func.count(col(AnswerSet.id)), func.max(AnswerSet.id))
            .join(Assignment, col(AnswerSet.assignment_id) == Assignment.id)
            .where(Assignment.round_id == rnd.id)
        ).one()
    # A session may be bound to a connection; its engine has the URL either way.
    key = (str(session.get_bind().engine.url), id_of(rnd), count, newest)
    if key not in _medians:
        policy = load_policy(rnd.policy_version)
        everyone = round_scores(session, code, closure.answer_sets if closure else None)

        def median(values: dict[str, float | None]) -> Median:
            present = {k: v for k, v in values.items() if v is not None}
            value = statistics.median(present.values()) if present else None
            return value, frozenset(present)

        components = {
            c.id: median({k: r.components[c.id].score for k, r in everyone.items()})
            for c in policy.components
        }
        items = {
            i.id: median({k: r.items[i.id].score for k, r in everyone.items()})
            for i in policy.items
        }
        if len(_medians) >= 8:
            _medians.clear()
        _medians[key] = (components, items)
    return _medians[key]


def medians_for(
    session: Session, code: str, reader: str
) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """The round medians per component and per item as institution ``reader`` may see them:
    each None unless computed from enough institutions other than the reader
    (:func:`pvpp.disclosure.shown_to`)."""
    components, items = round_medians(session, code)

    def shown(medians: dict[str, Median]) -> dict[str, float | None]:
        return {k: v if shown_to(who, reader) else None for k, (v, who) in medians.items()}

    return shown(components), shown(items)


def round_service_conformity(
    session: Session, code: str, answer_sets: Mapping[int, AnswerSet] | None = None
) -> tuple[int, dict[str, ConformityCount]]:
    """(institutions that listed services, condition group → how their services meet it),
    summed over the current answer sets of a round (or ``answer_sets``; one statement)."""
    rnd = get_round(session, code)
    policy = load_policy(rnd.policy_version)
    groups = condition_groups(policy)
    if answer_sets is None:
        answer_sets = current_answer_sets(session, rnd)
    per_institution = []
    for answer_set in answer_sets.values():
        counts = conformity_by_group(policy, answer_set.answers)
        if any(c.services for c in counts.values()):
            per_institution.append(counts)
    return len(per_institution), total_counts(per_institution, groups)


def round_funding_totals(
    session: Session, code: str, plans: Mapping[int, Plan] | None = None
) -> tuple[int, dict[str, FundingTotal]]:
    """(plans counted, funding totals per source and overall) over the newest plan version
    of every planned assignment of a round, or over ``plans`` (see :mod:`pvpp.funding`)."""
    rnd = get_round(session, code)
    policy = load_policy(rnd.policy_version)
    facts = round_funding(session, rnd, plans)
    rows = (row for measures in facts.values() for row in measures)
    return len(facts), funding_totals(rows, [f.id for f in policy.funding_sources])


def _conformity_view(session: Session, code: str, publish: bool, pop: Population) -> dict[str, Any]:
    institutions, counts = round_service_conformity(session, code, pop.answer_sets)
    view: dict[str, Any] = {"institutions": institutions}
    if publish and not enough(institutions):
        view["suppressed"] = True
        return view
    view["suppressed"] = False
    view["groups"] = {
        g: {
            "conforms": c.conforms,
            "partly": c.partly,
            "not": c.not_conforming,
            "not_applicable": c.not_applicable,
            "unanswered": c.unanswered,
            "reported": c.reported,
        }
        for g, c in counts.items()
    }
    return view


def _funding_view(session: Session, code: str, publish: bool, pop: Population) -> dict[str, Any]:
    plans, totals = round_funding_totals(session, code, pop.plans)
    view: dict[str, Any] = {"plans": plans}
    if publish and not enough(plans):
        view["suppressed"] = True
        return view
    view["suppressed"] = False
    view["sources"] = {
        k: {"eur": v.eur, "measures": v.measures, "with_amount": v.with_amount}
        for k, v in totals.items()
    }
    return view


def unclear_questions(
    rnd: Round, pop: Population, shown: Callable[[int], bool]
) -> list[dict[str, Any]]:
    """Per question of the round's questionnaire (in field order): how many institutions
    answered it "Jautājums nav saprotams" (``unclear``), of how many that answered it.

    For the ministry, to see which questions teams do not understand. The count is about
    the question, not about an institution's score, but an answer is still one
    institution's: the publishable form treats it as the degree distribution is treated
    (the whole view withheld below the minimum, and a row whose answering institutions
    are too few withheld by ``shown``; docs/policy-data.md)."""
    spec = load_questionnaire(rnd.questionnaire_version)
    out = []
    for f in spec.degree_fields:
        values = [a.answers.get(f.id) for a in pop.answer_sets.values()]
        answered = sum(v is not None for v in values)
        ok = shown(answered)
        # A dimension asked in several questions names the part ("D3 (2/3)").
        parts = len(spec.parts_of(f.item_id or "", f.dimension_id or ""))
        dimension = f.dimension_id if parts < 2 else f"{f.dimension_id} ({f.part}/{parts})"
        out.append({
            "field": f.id, "item": f.item_id, "dimension": dimension,
            "unclear": sum(v == UNCLEAR for v in values) if ok else None,
            "answered": answered, "withheld": bool(answered) and not ok,
        })  # fmt: skip
    return out


def aggregates(
    session: Session, code: str, *, publish: bool = True, figures: RoundFigures | None = None
) -> dict[str, Any]:
    """Degree distributions per item, how often each question was found unclear,
    institutions × condition groups, RV6/RV7 needs, services' conformity per condition
    group and the plans' funding per source.

    With ``publish`` (the default) the view follows the disclosure rule: nothing while the
    round is open (``withheld`` "open"), then the round's closure, with every figure over
    too few institutions withheld (``withheld`` "few" for the whole view, or a row's
    ``withheld``); the unsuppressed, current view is for VARAM's internal work only.

    ``figures`` (:func:`round_figures` with the same ``publish``, perhaps of one group)
    are used instead of scoring the round again.
    """
    rnd = get_round(session, code)
    policy = load_policy(rnd.policy_version)
    minimum = published_minimum()
    result: dict[str, Any] = {"round": code, "min_group": minimum, "closed_on": None}
    pop = figures.population if figures else population(session, rnd, publish=publish)
    if pop is None:
        result |= {
            "institutions_scored": None,
            "suppressed": True,
            "withheld": "open",
            "note": f"round {code} is not closed: its aggregates are published once it is "
            "(pvpp round close)",
        }
        return result
    result["closed_on"] = pop.closed_on.isoformat() if pop.closed_on else None
    scores = figures.scores if figures else round_scores(session, code, pop.answer_sets)
    n = len(scores)
    suppressed = publish and not enough(n)
    result |= {"institutions_scored": n, "suppressed": suppressed}
    if suppressed:
        result["withheld"] = "few"
        result["note"] = f"fewer than {minimum} institutions scored: aggregates withheld"
        return result
    result["withheld"] = None

    def shown(contributors: int) -> bool:
        return not publish or enough(contributors)

    distribution: dict[str, dict[str, int]] = {}
    for item in policy.items:
        counts: Counter[str] = Counter()
        for scored in scores.values():
            s = scored.items[item.id].score
            counts["unrated" if s is None else str(round(s))] += 1
        distribution[item.id] = dict(sorted(counts.items()))
    groups = [i.id for i in policy.items if i.kind.value == "condition_group"]
    heat = {code_: {g: r.items[g].score for g in groups} for code_, r in scores.items()}

    def needs(items: tuple[str, ...]) -> list[dict[str, Any]]:
        out = []
        for item in items:
            gaps = [g for g in (r.items[item].gap for r in scores.values()) if g is not None]
            with_gap = [g for g in gaps if g > 0]
            ok = bool(gaps) and shown(len(gaps))
            out.append(
                {
                    "item": item,
                    "name": policy.item(item).name.lv,
                    "institutions_with_gap": len(with_gap) if ok else None,
                    "institutions_rated": len(gaps),
                    "median_gap": round(statistics.median(gaps), 2) if ok else None,
                    "mean_gap": round(sum(gaps) / len(gaps), 2) if ok else None,
                    "withheld": bool(gaps) and not ok,
                }
            )
        return sorted(out, key=lambda r: -(r["mean_gap"] or 0))

    result["degree_distribution"] = distribution
    result["unclear_questions"] = unclear_questions(rnd, pop, shown)
    # Services per condition group (how many conform, of those the group applies to) and
    # the funding the plans state, each withheld like the rest when too few.
    result["service_conformity"] = _conformity_view(session, code, publish, pop)
    result["funding"] = _funding_view(session, code, publish, pop)
    result["rv6_needs"] = needs(RV6_ITEMS)
    result["rv7_needs"] = needs(RV7_ITEMS)
    by_group: dict[str, list[float]] = defaultdict(list)
    institutions = {i.code: i for i in session.exec(select(Institution)).all()}
    for code_, r in scores.items():
        if r.index is not None:
            by_group[institutions[code_].group_id].append(r.index)
    result["index_by_group"] = {
        g: {
            "institutions": len(v),
            "median_index": round(statistics.median(v), 1) if shown(len(v)) else None,
            "withheld": not shown(len(v)),
        }
        for g, v in sorted(by_group.items())
    }
    if not publish:
        # Named institutions only in the internal view.
        result["institutions_by_condition_group"] = heat
    return result


def round_fingerprint(session: Session, rnd: Round) -> tuple[Any, ...]:
    """What changes whenever a view of the round computed from the store would change, in
    one statement: the count and newest id of its answer sets, the newest state change,
    plan version and reported measure status of its assignments, its closure, and the
    newest change of the registry (an institution's group or name).

    Stored rows of these kinds are only ever added (answers, plans and reports supersede,
    state changes are :class:`Transition` rows), so a view keyed by this is never stale;
    a cache of such views (:mod:`pvpp.console_national`) needs no other invalidation."""
    mine = select(Assignment.id).where(Assignment.round_id == rnd.id)

    def newest(column: Any, of: Any) -> Any:
        return select(func.max(column)).where(col(of).in_(mine)).scalar_subquery()

    # Seven columns: past what sqlmodel's select is typed for, so SQLAlchemy's own (Core).
    row = (
        session.connection()
        .execute(
            sa_select(
                select(func.count(col(AnswerSet.id)))
                .where(col(AnswerSet.assignment_id).in_(mine))
                .scalar_subquery(),
                newest(AnswerSet.id, AnswerSet.assignment_id),
                newest(Transition.id, Transition.assignment_id),
                newest(Plan.id, Plan.assignment_id),
                newest(MeasureStatus.id, MeasureStatus.assignment_id),
                select(func.max(AuditLog.id))
                .where(AuditLog.action == ROUND_CLOSE, AuditLog.entity_key == rnd.code)
                .scalar_subquery(),
                select(func.max(Institution.updated_at)).scalar_subquery(),
                select(func.count(col(Institution.id))).scalar_subquery(),
            )
        )
        .one()
    )
    return tuple(row)


def condition_group_items(policy: Policy) -> list[str]:
    """The ids of the policy's condition groups (the heat map's columns), in policy order."""
    return [i.id for i in policy.items if i.kind is ItemKind.CONDITION_GROUP]


def item_gaps(policy: Policy, scores: Mapping[str, ScoreResult]) -> list[dict[str, Any]]:
    """Per item rated by at least one institution: the mean gap to the target, how many
    institutions have a gap of at least one degree and how many were rated; the largest
    mean first (the common gaps of a round; the caller applies the disclosure rule to
    ``rated``)."""
    out: list[dict[str, Any]] = []
    for item in policy.items:
        values = [v for v in (r.items[item.id].gap for r in scores.values()) if v is not None]
        if values:
            out.append({
                "item": item.id,
                "mean": sum(values) / len(values),
                "with_gap": sum(1 for v in values if v >= 1),
                "rated": len(values),
            })  # fmt: skip
    out.sort(key=lambda x: -x["mean"])
    return out


def group_medians(
    policy: Policy,
    scores: Mapping[str, ScoreResult],
    groups: Mapping[str, str],
    shown: Callable[[int], bool],
) -> list[dict[str, Any]]:
    """Per table-1 group with a scored institution (in policy order) and per condition
    group: the median degree of its institutions (``value``), from how many (``n``), and
    whether ``shown`` withholds it (``withheld``, the value then None). ``groups`` maps an
    institution code to its table-1 group."""
    columns = condition_group_items(policy)
    by_group: dict[str, list[str]] = defaultdict(list)
    for code in scores:
        by_group[groups[code]].append(code)
    rows = []
    for group in policy.institution_groups:
        codes = by_group.get(group.id, [])
        if not codes:
            continue
        cells = []
        for k in columns:
            values = [v for v in (scores[c].items[k].score for c in codes) if v is not None]
            withheld = bool(values) and not shown(len(values))
            value = statistics.median(values) if values and not withheld else None
            cells.append({"value": value, "withheld": withheld, "n": len(values)})
        rows.append({"group": group.id, "institutions": len(codes), "cells": cells})
    return rows


@dataclass(frozen=True)
class OverdueRow:
    """A planned institution of a round and how many of its plan's measures are overdue
    (:func:`pvpp.measures.is_overdue`: open and past the due date)."""

    code: str
    name: str
    group: str
    late: int


def overdue_measures(
    session: Session, rnd: Round, today: date, plans: Mapping[int, Plan] | None = None
) -> list[OverdueRow]:
    """Every planned institution of the round (its newest plan, or ``plans``) with its
    overdue measures on ``today``, by code: four statements whatever the round's size."""
    facts = round_measure_facts(session, rnd, plans)
    return [
        OverdueRow(a.code, a.name, a.group_id,
                   sum(1 for f in facts[a.id] if measures.is_overdue(f, today)))
        for a in round_assignment_facts(session, rnd)
        if facts.get(a.id)
    ]  # fmt: skip


class TrendError(PvppError):
    """Rounds cannot be compared as asked."""


@dataclass(frozen=True)
class TrendView:
    """Rounds compared (oldest first), or why not shown: ``withheld`` "open" when a
    published comparison names a round not closed for publication (``open_round``)."""

    rounds: tuple[str, ...]
    trend: Trend | None
    withheld: str | None = None
    open_round: str | None = None


def trend_rounds(session: Session, codes: Sequence[str]) -> list[Round]:
    """The rounds ``codes`` name, oldest first; one code alone is compared with the round
    opened before it. Raises :class:`TrendError` for an unknown round or nothing to compare."""
    wanted = list(dict.fromkeys(codes))
    found = rounds_by_codes(session, wanted)
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise TrendError(f"no round {', '.join(repr(c) for c in unknown)}")
    rounds = [found[c] for c in wanted]
    if len(rounds) == 1:
        earlier = previous_round(session, rounds[0])
        if earlier is None:
            raise TrendError(
                f"round {rounds[0].code} has no earlier round to compare with: name two rounds"
            )
        rounds.insert(0, earlier)
    return sorted(rounds, key=lambda r: (r.opens_on, id_of(r)))


def round_trend(session: Session, codes: Sequence[str], *, publish: bool = True) -> TrendView:
    """Compare rounds (:mod:`pvpp.trends`): ``codes`` oldest first after sorting by opening
    day, or one round with the round before it.

    Only assessed institutions count (accepted and beyond, :data:`ASSESSED`), with their
    current answers and newest plans; with ``publish``, each round's closure instead (the
    answer sets and plan versions fixed when it was closed, as every publication of it
    counts) and nothing while a round compared is open. A constant number of statements
    per round, whatever the number of institutions.
    """
    rounds = trend_rounds(session, codes)
    inputs: list[RoundInput] = []
    for rnd in rounds:
        spec = load_questionnaire(rnd.questionnaire_version)
        if publish:
            closure = round_closure(session, rnd)
            if closure is None:
                return TrendView(tuple(r.code for r in rounds), None, "open", rnd.code)
            institutions = {id_of(a): i for a, i in round_assignments(session, rnd)}
            pairs = [(institutions[k], v) for k, v in closure.answer_sets.items()]
            facts = round_measure_facts(session, rnd, closure.plans)
        else:
            pairs = assessed_answer_sets(session, rnd, ASSESSED)
            counted = {a.assignment_id for _, a in pairs}
            facts = {k: v for k, v in round_measure_facts(session, rnd).items() if k in counted}
        assessed = [
            Assessed(inst.code, inst.group_id, answers.answers)
            for inst, answers in sorted(pairs, key=lambda p: p[0].code)
        ]
        plans = [facts[k] for k in sorted(facts)]
        inputs.append(RoundInput(rnd.code, spec, assessed, plans))
    return TrendView(tuple(r.code for r in rounds), compare(inputs, publish=publish))


def round_standing(
    session: Session, rnd: Round, institution: str, *, hide: bool = True
) -> Standing | None:
    """Where ``institution`` stands in its table-1 group in round ``rnd``, per component,
    item and overall (:func:`pvpp.trends.standing`), over the round's assessed
    institutions (accepted and beyond, their current answers), as the institution would
    read it (``hide``: withheld figures None; without it kept and marked, for VARAM's
    internal view). None when the institution is not assessed in the round. Two
    statements whatever the round's size."""
    spec = load_questionnaire(rnd.questionnaire_version)
    pairs = assessed_answer_sets(session, rnd, ASSESSED)
    assessed = [Assessed(inst.code, inst.group_id, answers.answers) for inst, answers in pairs]
    if all(a.institution != institution for a in assessed):
        return None
    return standing(RoundInput(rnd.code, spec, assessed), institution, hide=hide)
