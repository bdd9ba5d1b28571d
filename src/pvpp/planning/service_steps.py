"""P5.2 measures that name services: one per condition group some services fall short of.

The step measures of a condition group (K1–K10) raise how the institution manages the
group; the services sheet says which of its services do not or only partly meet the group
today. For each such group the plan gets the group's service measure from the library
(``M-<group>-SVC``, RV5 link P5.2), naming those services.

Scheduling, by the planner's own rules (see :mod:`pvpp.planning.planner`):

- **after the group's own steps**: a service measure waits, as a step waits for its
  predecessors, until the group's steps placed by the end of 2027 sit in an earlier
  period (bringing services into line with a group's conditions builds on the
  responsibility, documentation and practice those steps put in place); a group without
  steps by then (at its target, or every step after 2027) does not hold it back;
- **within the roadmap where it fits**: P5.2 is "pilnveidot pakalpojumus ... šim
  periodam" (SEED 5.1.5.2), and a service named as not conforming is a concrete defect,
  so the proposal holds room for service measures by the end of 2027 (see ``propose``);
  when the group's last step sits in the roadmap's last half-year, the service measure
  shares it;
- **capacity**: the first period from there with room for the measure's effort (what the
  steps leave of the institution's person-days); when none has room, the roadmap's last
  half-year, over capacity — or, with ``beyond_roadmap``, 2028–2031 like any step that
  does not fit. :func:`pvpp.planning.proposal.propose` uses the first to learn how much
  room the service measures need, holds that much (at most a half-year's capacity) back
  from the steps, and places them with the second;
- groups are placed in priority order (the group's item priority, then policy order).

Pure and deterministic: same steps, scores, services and library give the same result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pvpp.planning.library import Library
from pvpp.planning.planner import (
    DEFAULT_CAPACITY_DAYS,
    LAST_DUE,
    LAST_PERIOD,
    Period,
    PlannedStep,
    periods,
)
from pvpp.scoring import ScoreResult
from pvpp.services import Service, condition_groups, needing_work


def service_steps(
    library: Library,
    scores: ScoreResult,
    services: Sequence[Service],
    steps: Sequence[PlannedStep],
    *,
    start: date,
    capacity_days: int = DEFAULT_CAPACITY_DAYS,
    beyond_roadmap: bool = False,
) -> list[PlannedStep]:
    """The P5.2 service measures for ``services`` given the plan's ``steps``, scheduled as
    the module says; one per condition group that some service does not or partly meet."""
    policy = library.policy
    order = {g: n for n, g in enumerate(condition_groups(policy))}
    plan_periods = periods(start)
    index_of = {p.code: n for n, p in enumerate(plan_periods)}
    used = [0] * len(plan_periods)
    for step in steps:
        if step.period in index_of:
            used[index_of[step.period]] += step.effort_days
    component_of = {i.id: c for c in policy.components for i in c.items}

    wanted = []
    for group in order:
        names = needing_work(services, group)
        measure = library.for_services.get(group)
        if names and measure is not None:
            item = scores.items.get(group)
            priority = (item.priority if item is not None else None) or 0.0
            wanted.append((group, names, measure, round(priority, 4)))
    wanted.sort(key=lambda w: (-w[3], order[w[0]]))

    out = []
    for group, names, measure, priority in wanted:
        days = library.effort_days[measure.effort]
        if plan_periods:
            own = [index_of[s.period] for s in steps if s.item == group and s.period in index_of]
            earliest = min(max(own) + 1, len(plan_periods) - 1) if own else 0
            fallback = len(plan_periods) if beyond_roadmap else len(plan_periods) - 1
            index = next(
                (
                    n
                    for n in range(earliest, len(plan_periods))
                    if used[n] == 0 or used[n] + days <= capacity_days
                ),
                fallback,
            )
            if index < len(plan_periods):
                used[index] += days
                period = plan_periods[index]
            else:
                period = Period(LAST_PERIOD, LAST_DUE)
        else:
            # A plan that starts after 2027 has no roadmap half-year left.
            period = Period(LAST_PERIOD, LAST_DUE)
        out.append(
            PlannedStep(
                measure=measure,
                item=group,
                dimension="",
                from_degree=0,
                to_degree=0,
                priority=priority,
                period=period.code,
                due=period.due,
                rv5_measure=component_of[group].rv5_measure,
                effort_days=days,
                services=tuple(names),
            )
        )
    return out


def with_service_steps(
    library: Library,
    scores: ScoreResult,
    services: Sequence[Service],
    steps: Sequence[PlannedStep],
    *,
    start: date,
    capacity_days: int = DEFAULT_CAPACITY_DAYS,
    beyond_roadmap: bool = False,
) -> list[PlannedStep]:
    """The plan's ``steps`` with its service measures, in plan order: by due date and
    priority as the planner orders steps, a service measure after its group's steps of the
    same period. The steps keep their order among themselves."""
    extra = service_steps(
        library,
        scores,
        services,
        steps,
        start=start,
        capacity_days=capacity_days,
        beyond_roadmap=beyond_roadmap,
    )
    if not extra:
        return list(steps)
    policy = library.policy
    item_order = {i.id: n for n, i in enumerate(policy.items)}
    dim_order = {d.id: n for n, d in enumerate(policy.dimensions)}

    def key(s: PlannedStep) -> tuple[date, float, int, bool, int, int]:
        is_service = bool(s.services)
        dim = dim_order.get(s.dimension, 0)
        return (s.due, -s.priority, item_order[s.item], is_service, dim, s.to_degree)

    return sorted([*steps, *extra], key=key)
