"""Turn gaps into an individual improvement plan.

Gradualness ("pakāpeniskums"): a plan raises a dimension one degree per step, and a
dimension rises at most one degree per period. Steps go into half-year periods from the
plan's start to the end of 2027, each period holding at most the institution's capacity
(person-days); what does not fit goes to the 2028–2031 period. Steps are placed in
priority order (the item's priority, then lower degrees first, then policy order), and a
step is placed only after its predecessors (the previous degree of the same dimension and
the library's prerequisites) sit in an earlier period. Same inputs, same plan.

The team's own targets (``targets``) replace the scores' target of an item: a target lower
than the national one leaves the steps above it out of the proposal (unless another
item's step needs one as a prerequisite), and the item's priority follows the gap to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from pvpp.i18n import t
from pvpp.planning.library import Library, MeasureDef
from pvpp.scoring import ScoreResult, degree_of

#: The end of the PVPP2027 roadmap: the last half-year period ends here.
ROADMAP_END = date(2027, 12, 31)
LAST_PERIOD = "2028–2031"
LAST_DUE = date(2031, 12, 31)
DEFAULT_CAPACITY_DAYS = 40


@dataclass(frozen=True)
class Period:
    code: str
    due: date


@dataclass(frozen=True)
class PlannedStep:
    measure: MeasureDef
    item: str
    dimension: str
    from_degree: int
    to_degree: int
    priority: float
    period: str
    due: date
    rv5_measure: str
    effort_days: int
    #: The services a P5.2 service measure names (see pvpp.planning.service_steps).
    services: tuple[str, ...] = ()


#: A plan's first period is the first half-year that ends at least this many days after the
#: day the plan is made: nothing may be due before that day, and a measure due within weeks
#: of the plan that names it could not be carried out.
MIN_LEAD_DAYS = 60


def plan_start(made_on: date, round_due: date) -> date:
    """The first day of a plan's first half-year.

    Plans start in the half-year the round is due in, or, for a plan made later, in the
    first half-year ending at least MIN_LEAD_DAYS after the day it is made. The result is a
    half-year's first day, so plans built on different days of one half-year are equal."""
    day = max(made_on, round_due)
    first = periods(day, until_year=day.year + 1)[0]
    if (first.due - made_on).days < MIN_LEAD_DAYS:
        day = first.due + timedelta(days=1)
    return date(day.year, 1, 1) if day.month <= 6 else date(day.year, 7, 1)


def period_name(code: str, lang: str) -> str:
    """A period as words where a person reads it: ``2026. gada 2. pusgads`` (``2026H2``),
    ``2028.–2031. gads`` for the horizon after the roadmap; an unknown code as it is."""
    if code == LAST_PERIOD:
        return t("plan.after_period", lang)
    year, _, half = code.partition("H")
    if half in ("1", "2") and year.isdigit():
        return t(f"plan.half_year_{half}", lang, year=year)
    return code


def periods(start: date, *, until_year: int = 2027) -> list[Period]:
    """Half-year periods from the one containing ``start`` to the end of ``until_year``."""
    out = []
    year, half = start.year, 1 if start.month <= 6 else 2
    while year <= until_year:
        due = date(year, 6, 30) if half == 1 else date(year, 12, 31)
        out.append(Period(f"{year}H{half}", due))
        year, half = (year, 2) if half == 1 else (year + 1, 1)
    return out


@dataclass(frozen=True)
class _Step:
    key: tuple[str, str, int]  # item, dimension, to_degree
    measure: MeasureDef
    priority: float
    order: int


def _current(scores: ScoreResult, item: str, dim: str) -> int | None:
    """The degree a step starts from, read as the scorer reads it ("unknown" is 0)."""
    return degree_of(scores.items[item].degrees.get(dim))


def plan_steps(
    library: Library,
    scores: ScoreResult,
    *,
    start: date,
    capacity_days: int = DEFAULT_CAPACITY_DAYS,
    targets: Mapping[str, int] | None = None,
    reserved: Mapping[str, int] | None = None,
) -> list[PlannedStep]:
    """The scheduled steps of a plan for ``scores``; deterministic for equal inputs.

    ``targets`` are the team's own targets per item (degree), in place of the target the
    scores carry (the questionnaire's own target, else the national one). ``reserved``
    holds person-days of a period (by its code) back for measures placed after the steps
    (the P5.2 service measures, see :mod:`pvpp.planning.proposal`)."""
    policy = library.policy
    order = {i.id: n for n, i in enumerate(policy.items)}
    dim_order = {d.id: n for n, d in enumerate(policy.dimensions)}
    steps: dict[tuple[str, str, int], _Step] = {}

    def want(item: str, dim: str, to: int, priority: float) -> None:
        """Ask for every step of (item, dim) up to degree ``to``, with their prerequisites."""
        current = _current(scores, item, dim)
        if current is None:
            return  # not applicable, or unclear until the team clarifies: nothing to raise
        for degree in range(current + 1, to + 1):
            key = (item, dim, degree)
            if key in steps:
                if priority > steps[key].priority:
                    steps[key] = replace(steps[key], priority=priority)
                continue
            measure = library.by_step[key][0]
            steps[key] = _Step(
                key, measure, priority, order[item] * 100 + dim_order[dim] * 10 + degree
            )
            for pre in measure.prerequisites:
                p = library.by_id[pre]
                want(p.item, p.dimension, p.to_degree, priority)

    for item_id, s in scores.items.items():
        target, gap, priority = s.target, s.gap, s.priority
        if targets is not None and item_id in targets and s.score is not None:
            target = targets[item_id]
            gap = max(0.0, target - s.score)
            priority = gap * s.weight * s.foundation_factor
        if s.score is None or not gap:
            continue
        for dim in s.degrees:
            want(item_id, dim, target, priority or 0.0)

    def predecessors(step: _Step) -> list[tuple[str, str, int]]:
        item, dim, degree = step.key
        out = [(item, dim, degree - 1)] if (item, dim, degree - 1) in steps else []
        for pre in step.measure.prerequisites:
            p = library.by_id[pre]
            key = (p.item, p.dimension, p.to_degree)
            if key in steps:
                out.append(key)
        return out

    ranked = sorted(steps.values(), key=lambda s: (-s.priority, s.key[2], s.order))
    plan_periods = periods(start)
    placed: dict[tuple[str, str, int], int] = {}  # key → period index
    held = reserved or {}
    for index, period in enumerate(plan_periods):
        used = held.get(period.code, 0)
        for step in ranked:
            if step.key in placed:
                continue
            before = predecessors(step)
            if any(placed.get(k, len(plan_periods)) >= index for k in before):
                continue
            days = library.effort_days[step.measure.effort]
            # A measure bigger than a whole period still gets a period of its own.
            if used + days > capacity_days and used > 0:
                continue
            placed[step.key] = index
            used += days
    last = len(plan_periods)
    out = []
    component_of = {i.id: c for c in policy.components for i in c.items}
    for step in ranked:
        index = placed.get(step.key, last)
        period = plan_periods[index] if index < last else Period(LAST_PERIOD, LAST_DUE)
        item, dim, degree = step.key
        out.append(
            PlannedStep(
                measure=step.measure,
                item=item,
                dimension=dim,
                from_degree=degree - 1,
                to_degree=degree,
                priority=round(step.priority, 4),
                period=period.code,
                due=period.due,
                rv5_measure=component_of[item].rv5_measure,
                effort_days=library.effort_days[step.measure.effort],
            )
        )
    out.sort(key=lambda p: (p.due, -p.priority, order[p.item], dim_order[p.dimension], p.to_degree))
    return out
