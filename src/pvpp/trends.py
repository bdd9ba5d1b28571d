"""Rounds compared: what changed from one assessment round to the next, on what both asked.

Pure: plain data in (per round its questionnaire, the assessed institutions' answers and
the measures of their plans), plain data out; no I/O. The service that reads the rounds
from the store is :func:`pvpp.national.round_trend`; ``docs/trends.md`` explains the rules.

- **Like with like.** Rounds on different questionnaire versions are compared only on the
  dimensions every version asks with the same question(s): a dimension split into parts in
  one version (``pvpp2027-q2``) or asked in other words is not the same measurement, so
  it is left out, and the result lists what was left out and why (:func:`shared_questions`).
  Item, component and overall scores are then computed from the shared dimensions only,
  with the scorer's rules (:mod:`pvpp.scoring`): on one version they are the round's scores.
- **Per item, component and institution group**: per round the median, quartiles and the
  number of institutions at each degree, and the change of the median from the first round
  compared to the last.
- **Plan measures done**, per round: done of those not dropped, over the round's plans.
- **Position** of each institution of the last round against its table-1 group: its overall
  score, the group's median and interquartile band (Q1–Q3) and the group's size.
- **Jumps**: a dimension an institution rated more than :data:`pvpp.scoring.JUMP` degrees
  apart in the last two rounds, per institution and item (a consistency warning).

Disclosure (:mod:`pvpp.disclosure`, the one rule): with ``publish`` every figure over too
few institutions is withheld; a position is always judged as its institution would read it
(its group's figures need three institutions other than itself).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from pvpp import measures
from pvpp.disclosure import enough, published_minimum, shown_to
from pvpp.i18n import t
from pvpp.policy import Policy
from pvpp.policy.models import Lang
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.questionnaire.models import degree_field_id
from pvpp.scoring import JUMP, degree_of, dimension_answers

#: The most rounds one comparison takes (the console's form and the API cap a request at
#: it: a comparison's cost grows with its rounds).
MAX_ROUNDS = 12

__all__ = [
    "JUMP",
    "Assessed",
    "Jump",
    "LeftOut",
    "PlanProgress",
    "Position",
    "Reason",
    "RoundInput",
    "Row",
    "Scores",
    "Shared",
    "Spread",
    "Standing",
    "Trend",
    "comparable_scores",
    "compare",
    "jump_text",
    "left_out_text",
    "shared_questions",
    "spread",
    "standing",
]


class Reason(StrEnum):
    """Why a dimension (or an item) is left out of a comparison."""

    #: Not in the policy version of every round compared.
    NOT_IN_POLICY = "not_in_policy"
    #: Asked in a different number of questions (a version split it into parts).
    PARTS = "parts"
    #: Asked in other words.
    REWORDED = "reworded"


@dataclass(frozen=True)
class LeftOut:
    """A dimension of an item (or, with ``dimension`` None, a whole item) not compared."""

    item: str
    dimension: str | None
    reason: Reason
    #: With :attr:`Reason.PARTS`: the number of questions per version, in version order.
    parts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Shared:
    """What every questionnaire version compared asks alike."""

    versions: tuple[str, ...]  # distinct versions, in round order
    dimensions: dict[str, tuple[str, ...]]  # item → its shared dimensions, in policy order
    left_out: tuple[LeftOut, ...]

    @property
    def count(self) -> int:
        """How many item dimensions are compared."""
        return sum(len(d) for d in self.dimensions.values())


def shared_questions(specs: Sequence[QuestionnaireSpec]) -> Shared:
    """The item dimensions every questionnaire of ``specs`` asks with the same question(s)
    (same number of parts, same texts in every language), and the ones left out with
    their reason. Items and dimensions follow the first spec's policy order."""
    distinct = list({s.id: s for s in specs}.values())
    first = distinct[0]
    dims: dict[str, tuple[str, ...]] = {}
    left: list[LeftOut] = []
    for item in first.policy.items:
        if any(item.id not in s.questionnaire.items for s in distinct):
            left.append(LeftOut(item.id, None, Reason.NOT_IN_POLICY))
            continue
        kept: list[str] = []
        for dim in first.policy.dimensions:
            asked = []
            for s in distinct:
                questions = s.questionnaire.items[item.id].questions
                asked.append(
                    s.questionnaire.items[item.id].parts(dim.id) if dim.id in questions else None
                )
            if any(a is None for a in asked):
                left.append(LeftOut(item.id, dim.id, Reason.NOT_IN_POLICY))
            elif len({len(a or ()) for a in asked}) > 1:
                left.append(
                    LeftOut(item.id, dim.id, Reason.PARTS, tuple(len(a or ()) for a in asked))
                )
            elif len({a for a in asked}) > 1:
                left.append(LeftOut(item.id, dim.id, Reason.REWORDED))
            else:
                kept.append(dim.id)
        if kept:
            dims[item.id] = tuple(kept)
    return Shared(tuple(s.id for s in distinct), dims, tuple(left))


@dataclass(frozen=True)
class Scores:
    """One institution's scores on the shared dimensions only (the scorer's rules)."""

    items: dict[str, float | None]
    components: dict[str, float | None]
    overall: float | None
    #: (item, dimension) → the degree the team stated (not an "unknown" counted as 0).
    stated: dict[tuple[str, str], int]


def _weighted(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    rated = [(s, w) for s, w in pairs if s is not None]
    total = sum(w for _, w in rated)
    return sum(s * w for s, w in rated) / total if rated and total else None


def comparable_scores(policy: Policy, answers: Mapping[str, Any], shared: Shared) -> Scores:
    """Item, component and overall scores of ``answers`` from the shared dimensions: each
    dimension's answer (its parts combined), "unknown" as the lowest degree, "not
    applicable" and "unclear" left out, an item without a rated dimension unrated;
    components and overall as weighted means of the rated items (:mod:`pvpp.scoring`)."""
    combined = dimension_answers(policy, dict(answers))
    items: dict[str, float | None] = {}
    stated: dict[tuple[str, str], int] = {}
    for item in policy.items:
        dims = shared.dimensions.get(item.id)
        if not dims:
            continue
        values = [combined.get(degree_field_id(item.id, d)) for d in dims]
        rated = [v for v in (degree_of(x) for x in values) if v is not None]
        items[item.id] = sum(rated) / len(rated) if rated else None
        for d, v in zip(dims, values, strict=True):
            if isinstance(v, int) and not isinstance(v, bool):
                stated[(item.id, d)] = v
    components = {
        c.id: _weighted((items[i.id], i.weight) for i in c.items if i.id in items)
        for c in policy.components
    }
    overall = _weighted((items[i.id], i.weight) for i in policy.items if i.id in items)
    return Scores(items, components, overall, stated)


@dataclass(frozen=True)
class Spread:
    """Scores of several institutions: how many, median, quartiles (the interquartile band
    Q1–Q3) and how many are at each degree (the score rounded, as the national report's
    distributions are). Withheld figures are None and no counts."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None
    counts: tuple[int, ...]
    withheld: bool = False


def spread(values: Sequence[float], degrees: Sequence[int], *, withheld: bool = False) -> Spread:
    """The :class:`Spread` of ``values`` over the scale ``degrees``; quartiles by the
    inclusive method (a value's rank interpolated between the lowest and the highest)."""
    n = len(values)
    if withheld or not n:
        return Spread(n, None, None, None, (), withheld)
    if n == 1:
        q1 = q3 = values[0]
    else:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    counts = [0] * len(degrees)
    for v in values:
        counts[degrees.index(min(max(round(v), degrees[0]), degrees[-1]))] += 1
    return Spread(n, statistics.median(values), q1, q3, tuple(counts))


@dataclass(frozen=True)
class Row:
    """An item, component or institution group across the rounds."""

    key: str
    spreads: tuple[Spread, ...]  # one per round, in round order
    #: Median of the last round − median of the first, when both are shown.
    change: float | None


@dataclass(frozen=True)
class PlanProgress:
    """A round's plans: measures not dropped, how many of them are done, the share (%)."""

    round: str
    plans: int
    measures: int
    done: int
    share: float | None
    withheld: bool


@dataclass(frozen=True)
class Position:
    """An institution of the last round against its table-1 group: its overall score,
    the group's median, Q1 and Q3 (None when withheld) and the group's size; ``place``
    is ``below`` Q1, ``within`` the band or ``above`` Q3."""

    institution: str
    group: str
    score: float | None
    n: int
    median: float | None
    q1: float | None
    q3: float | None
    withheld: bool
    place: str | None


@dataclass(frozen=True)
class Jump:
    """Dimensions of an item an institution rated more than :data:`JUMP` degrees apart in
    the last two rounds: (dimension, before, now) each."""

    institution: str
    item: str
    changes: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Assessed:
    """One assessed institution of a round: its code, table-1 group and answers."""

    institution: str
    group: str
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class RoundInput:
    """What a comparison needs of one round."""

    code: str
    spec: QuestionnaireSpec
    assessed: Sequence[Assessed]
    #: The measures of each plan counted (the newest plan of each assessed institution).
    plans: Sequence[Sequence[measures.MeasureFacts]] = ()


@dataclass(frozen=True)
class Trend:
    """Rounds compared (oldest first): see the module's documentation."""

    rounds: tuple[str, ...]
    shared: Shared
    publish: bool
    min_group: int
    degrees: tuple[int, ...]
    items: list[Row] = field(default_factory=list)
    components: list[Row] = field(default_factory=list)
    groups: list[Row] = field(default_factory=list)
    plans: list[PlanProgress] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    jumps: list[Jump] = field(default_factory=list)

    @property
    def same_questions(self) -> bool:
        """Whether every round asked every dimension alike (nothing left out)."""
        return not self.shared.left_out

    @property
    def jump_count(self) -> int | None:
        """How many institutions have the jump warning; published, None (withheld) when
        fewer institutions than a publication needs were rated in the last round
        (docs/disclosure.md: the count is public, the names internal)."""
        rated = self.components[0].spreads[-1].n if self.components else 0
        if self.publish and not enough(rated):
            return None
        return len({j.institution for j in self.jumps})

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self) | {"same_questions": self.same_questions}


def _row(key: str, per_round: list[list[float]], degrees: Sequence[int], publish: bool) -> Row:
    spreads = tuple(
        spread(values, degrees, withheld=publish and bool(values) and not enough(len(values)))
        for values in per_round
    )
    first, last = spreads[0].median, spreads[-1].median
    return Row(key, spreads, None if first is None or last is None else last - first)


def _plans(
    code: str, plans: Sequence[Sequence[measures.MeasureFacts]], publish: bool
) -> PlanProgress:
    counted = [m for plan in plans for m in plan if not measures.is_dropped(m)]
    done = sum(1 for m in counted if measures.is_done(m))
    withheld = publish and not enough(len(plans))
    share = done / len(counted) * 100 if counted and not withheld else None
    return PlanProgress(code, len(plans), len(counted), done, share, withheld)


def _position(
    institution: str, group: str, own: float | None, values: Mapping[str, float],
    degrees: Sequence[int], *, hide: bool = True,
) -> Position:  # fmt: skip
    """``institution``'s ``own`` score against ``values`` (its group's scores, by
    institution). ``withheld`` as the institution would read it: its group's figures need
    three institutions other than itself (:func:`pvpp.disclosure.shown_to`); with ``hide``
    the withheld figures are None, without it they are kept and only marked."""
    withheld = not shown_to(frozenset(values), institution)
    s = spread(list(values.values()), degrees, withheld=hide and withheld)
    place = None
    if own is not None and s.q1 is not None and s.q3 is not None:
        place = "below" if own < s.q1 else "above" if own > s.q3 else "within"
    return Position(institution, group, own, len(values), s.median, s.q1, s.q3, withheld, place)


def _positions(
    last: RoundInput, scores: Mapping[str, Scores], degrees: Sequence[int]
) -> list[Position]:
    by_group: dict[str, dict[str, float]] = defaultdict(dict)
    for a in last.assessed:
        value = scores[a.institution].overall
        if value is not None:
            by_group[a.group][a.institution] = value
    # The institution reads its own position: three others at least (pvpp.disclosure).
    return [
        _position(a.institution, a.group, scores[a.institution].overall,
                  by_group.get(a.group, {}), degrees)
        for a in sorted(last.assessed, key=lambda x: (x.group, x.institution))
    ]  # fmt: skip


@dataclass(frozen=True)
class Standing:
    """One institution of a round against its table-1 group: its overall, component and
    item positions (each over the group's institutions rated there)."""

    round: str
    institution: str
    group: str
    overall: Position
    components: dict[str, Position]
    items: dict[str, Position]


def standing(rnd: RoundInput, institution: str, *, hide: bool = True) -> Standing:
    """Where ``institution`` (assessed in ``rnd``) stands in its group on the round's own
    questions: per component, item and overall, its score, the group's median, Q1–Q3 and
    size. Each figure is judged as the institution would read it (``withheld``: fewer than
    three others rated there); with ``hide`` withheld figures are None, without it (an
    internal view) they are kept and only marked. Raises KeyError when ``institution`` is
    not assessed in ``rnd``."""
    own = next((a for a in rnd.assessed if a.institution == institution), None)
    if own is None:
        raise KeyError(institution)
    policy = rnd.spec.policy
    degrees = tuple(policy.degree_scale.values)
    every = shared_questions([rnd.spec])
    group = [a for a in rnd.assessed if a.group == own.group]
    scores = {a.institution: comparable_scores(policy, a.answers, every) for a in group}
    mine = scores[institution]

    def position(pick: Any) -> Position:
        values = {k: v for k, s in scores.items() if (v := pick(s)) is not None}
        return _position(institution, own.group, pick(mine), values, degrees, hide=hide)

    return Standing(
        rnd.code,
        institution,
        own.group,
        position(lambda s: s.overall),
        {c.id: position(lambda s, k=c.id: s.components.get(k)) for c in policy.components},
        {i: position(lambda s, k=i: s.items.get(k)) for i in every.dimensions},
    )


def _jumps(before: Mapping[str, Scores], now: Mapping[str, Scores], shared: Shared) -> list[Jump]:
    out = []
    for code in sorted(set(before) & set(now)):
        for item, dims in shared.dimensions.items():
            changes = tuple(
                (d, b, n)
                for d in dims
                if (b := before[code].stated.get((item, d))) is not None
                and (n := now[code].stated.get((item, d))) is not None
                and abs(n - b) > JUMP
            )
            if changes:
                out.append(Jump(code, item, changes))
    return out


def compare(rounds: Sequence[RoundInput], *, publish: bool = True) -> Trend:
    """Compare ``rounds`` (oldest first, at least two). With ``publish`` every figure over
    too few institutions is withheld (:func:`pvpp.disclosure.enough`)."""
    if len(rounds) < 2:
        raise ValueError("a trend compares two rounds or more")
    shared = shared_questions([r.spec for r in rounds])
    policy = rounds[-1].spec.policy
    degrees = tuple(policy.degree_scale.values)
    scored = [
        {a.institution: comparable_scores(r.spec.policy, a.answers, shared) for a in r.assessed}
        for r in rounds
    ]
    trend = Trend(tuple(r.code for r in rounds), shared, publish, published_minimum(), degrees)

    def values(pick: Any) -> list[list[float]]:
        return [[v for s in per.values() if (v := pick(s)) is not None] for per in scored]

    for item in policy.items:
        if item.id in shared.dimensions:
            trend.items.append(
                _row(item.id, values(lambda s, i=item.id: s.items.get(i)), degrees, publish)
            )
    for c in policy.components:
        trend.components.append(
            _row(c.id, values(lambda s, k=c.id: s.components.get(k)), degrees, publish)
        )
    groups = [g.id for g in policy.institution_groups]
    seen = {a.group for r in rounds for a in r.assessed}
    for g in [*[g for g in groups if g in seen], *sorted(seen - set(groups))]:
        per_round = [
            [
                v
                for a in r.assessed
                if a.group == g and (v := per[a.institution].overall) is not None
            ]
            for r, per in zip(rounds, scored, strict=True)
        ]
        trend.groups.append(_row(g, per_round, degrees, publish))
    trend.plans.extend(_plans(r.code, r.plans, publish) for r in rounds)
    # The last round's positions on its own questions: all of them, not only the shared.
    own = shared_questions([rounds[-1].spec])
    last = {a.institution: comparable_scores(policy, a.answers, own) for a in rounds[-1].assessed}
    trend.positions.extend(_positions(rounds[-1], last, degrees))
    trend.jumps.extend(_jumps(scored[-2], scored[-1], shared))
    return trend


def jump_text(jump: Jump, lang: Lang) -> str:
    """The warning in ``lang``: "Jump of more than 2 degrees since the last round: K3 D2
    1 → 4"."""
    changes = ", ".join(f"{d} {b} → {n}" for d, b, n in jump.changes)
    return t(
        "trends.jump_detail",
        lang,
        warning=t("trends.jump", lang, n=JUMP),
        item=jump.item,
        changes=changes,
    )


def left_out_text(left: LeftOut, versions: Sequence[str], lang: Lang) -> str:
    """Why ``left`` is not compared, in ``lang``."""
    what = left.item if left.dimension is None else f"{left.item} {left.dimension}"
    if left.reason is Reason.PARTS:
        parts = ", ".join(f"{v}: {p}" for v, p in zip(versions, left.parts, strict=True))
        return t("trends.left_out.parts", lang, what=what, parts=parts)
    return t(f"trends.left_out.{left.reason.value}", lang, what=what)


def comparison_notes(tr: Trend, policy: Policy, lang: Lang) -> dict[str, Any]:
    """What a reader is told about which questions ``tr`` compares, in ``lang``: whether
    the rounds asked the same questions (``same``), on how many of the policy's item ×
    dimension questions they are compared (``compared_on``) and why each question left
    out is (``left_out``). The national report and the console's trend page say it alike."""
    total = len(policy.items) * len(policy.dimensions)
    versions = tr.shared.versions
    return {
        "same": tr.same_questions,
        "compared_on": t(
            "trends.compared_on", lang, n=tr.shared.count, total=total, versions=", ".join(versions)
        ),
        "left_out": [left_out_text(x, versions, lang) for x in tr.shared.left_out],
    }


def as_published(tr: Trend) -> Trend:
    """``tr`` with what a publication would withhold taken out: every figure over fewer
    institutions than :func:`~pvpp.disclosure.published_minimum` (its count kept, its
    values None), a change that needs one of them, a round's plan share over too few
    plans, and the positions and jumps (they are institutions' own). For readers who see
    the national results as the public will (the console's analyst), from a comparison
    computed for the ministry (``publish=False``) on the same rounds."""

    def spread_of(s: Spread) -> Spread:
        if s.withheld or not s.n or enough(s.n):
            return s
        return Spread(s.n, None, None, None, (), withheld=True)

    def row_of(r: Row) -> Row:
        spreads = tuple(spread_of(x) for x in r.spreads)
        hidden = spreads[0].withheld or spreads[-1].withheld
        return Row(r.key, spreads, None if hidden else r.change)

    def plan_of(p: PlanProgress) -> PlanProgress:
        if p.withheld or not p.plans or enough(p.plans):
            return p
        return PlanProgress(p.round, p.plans, p.measures, p.done, None, withheld=True)

    return replace(
        tr,
        items=[row_of(r) for r in tr.items],
        components=[row_of(r) for r in tr.components],
        groups=[row_of(r) for r in tr.groups],
        plans=[plan_of(p) for p in tr.plans],
        positions=[],
        jumps=[],
    )
