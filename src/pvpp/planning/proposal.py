"""The planner's proposal: the steps that raise degrees and the P5.2 service measures.

Every plan version the planner proposes comes from :func:`propose` — the first version
built from a workbook and the re-run under the team's own capacity and targets when it
returns its plan sheet — so both hold the same measures for the same inputs.

Capacity is kept for both kinds. The steps are placed first
(:func:`~pvpp.planning.planner.plan_steps`), then each service measure goes after its
group's steps (:mod:`pvpp.planning.service_steps`). When service measures find no
half-year with room, the steps are placed again with the person-days the service measures
need held back in the half-years they would take (at most a half-year's capacity: P5.2
work gets its share of the roadmap, it does not push every step out of it), and the
service measures are placed again; what still does not fit goes to 2028–2031, as any step
that does not fit does. So the proposal never asks more of a half-year than the capacity
the team stated (a single step bigger than a whole half-year aside).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from pvpp.planning.library import Library
from pvpp.planning.planner import DEFAULT_CAPACITY_DAYS, PlannedStep, plan_steps
from pvpp.planning.service_steps import service_steps, with_service_steps
from pvpp.scoring import ScoreResult
from pvpp.services import Service


def _overflow(
    steps: Sequence[PlannedStep], extra: Sequence[PlannedStep], capacity_days: int
) -> dict[str, int]:
    """Person-days of service measures over capacity, per period code."""
    used: dict[str, int] = {}
    for s in steps:
        used[s.period] = used.get(s.period, 0) + s.effort_days
    over: dict[str, int] = {}
    for s in extra:
        total = used.get(s.period, 0) + s.effort_days
        if total > capacity_days:
            over[s.period] = over.get(s.period, 0) + min(s.effort_days, total - capacity_days)
        used[s.period] = total
    return over


def propose(
    library: Library,
    scores: ScoreResult,
    services: Sequence[Service],
    *,
    start: date,
    capacity_days: int = DEFAULT_CAPACITY_DAYS,
    targets: Mapping[str, int] | None = None,
) -> list[PlannedStep]:
    """The proposal for ``scores`` and the services sheet's ``services``, in plan order;
    deterministic for equal inputs."""
    steps = plan_steps(library, scores, start=start, capacity_days=capacity_days, targets=targets)
    extra = service_steps(
        library, scores, services, steps, start=start, capacity_days=capacity_days
    )
    over = {
        code: min(days, capacity_days)
        for code, days in _overflow(steps, extra, capacity_days).items()
    }
    if over:
        steps = plan_steps(
            library,
            scores,
            start=start,
            capacity_days=capacity_days,
            targets=targets,
            reserved=over,
        )
    return with_service_steps(
        library,
        scores,
        services,
        steps,
        start=start,
        capacity_days=capacity_days,
        beyond_roadmap=True,
    )
