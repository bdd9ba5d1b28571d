"""The planner's re-check of a plan the team has shaped.

A team may choose another library measure for a step, move a step to another period, drop
it, add its own measures, lower its targets and state its capacity. The re-check reads the
final list of steps and reports what no longer fits as *warnings*: it never changes a
step, because the choices are the team's (PVPP2027 6.2, "saimnieka attieksme"). Each
warning is ``{"code": ..., "params": {...}}`` with plain values (ids, periods, numbers), so
it is stored once and worded in the reader's language when shown
(:func:`warning_text`, catalogue keys ``proposal.warning.<code>``).

What is checked:

- ``capacity_exceeded``: a half-year needs more person-days than the team's capacity (a
  period holding a single measure is not reported: the planner gives a measure bigger
  than a period's capacity a period of its own);
- ``prerequisite_not_before`` / ``prerequisite_dropped`` / ``prerequisite_missing``: a
  step is due in the same or an earlier period than a library prerequisite, or the
  prerequisite is dropped or not in the plan at all while the current degree needs it;
- ``lower_step_not_before`` / ``lower_step_dropped`` / ``lower_step_missing``:
  gradualness, one degree per dimension per period — the previous degree step of the same
  dimension is due in the same or a later period, dropped, or missing;
- ``target_below_national``: an own target below the national target (with the team's
  reason);
- ``above_own_target``: a step kept above the team's own target for its item;
- ``own_measure_no_gap`` / ``own_measure_unknown_link``: an own measure serving an item
  and dimension already at its target (or not applicable), or one not in the policy.

The 2028–2031 period is a horizon of four years whose order is set at a later round, so
two steps both in it are not reported against each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pvpp.i18n import Num, t
from pvpp.planning.library import Library
from pvpp.planning.planner import LAST_PERIOD, period_name, periods
from pvpp.scoring import ScoreResult, degree_of

Warning = dict[str, Any]

#: Every warning code, in the order they are reported.
CODES = (
    "capacity_exceeded",
    "prerequisite_not_before",
    "prerequisite_dropped",
    "prerequisite_missing",
    "lower_step_not_before",
    "lower_step_dropped",
    "lower_step_missing",
    "target_below_national",
    "above_own_target",
    "own_measure_no_gap",
    "own_measure_unknown_link",
)


@dataclass(frozen=True)
class FinalStep:
    """One step of the plan after the team's choices.

    ``to_degree`` is None for the team's own measure (it serves an item and dimension
    without being a degree step); ``title`` is an own measure's name."""

    measure_id: str
    item: str
    dimension: str
    to_degree: int | None
    period: str
    due: date
    effort_days: int
    origin: str = "library"  # library | alternative | own
    dropped: bool = False
    title: str = ""


@dataclass(frozen=True)
class OwnTarget:
    """The team's own target for an item, and why."""

    target: int
    reason: str = ""


def _key(step: FinalStep) -> tuple[str, str, int] | None:
    return None if step.to_degree is None else (step.item, step.dimension, step.to_degree)


def recheck(
    library: Library,
    scores: ScoreResult,
    *,
    start: date,
    capacity_days: int,
    targets: Mapping[str, OwnTarget],
    steps: Sequence[FinalStep],
) -> list[Warning]:
    """The warnings for ``steps``, the plan after the team's choices (never changed here)."""
    out: list[Warning] = []
    policy = library.policy
    live = [s for s in steps if not s.dropped]
    by_key: dict[tuple[str, str, int], FinalStep] = {}
    for s in steps:
        k = _key(s)
        # A kept step wins over a dropped one of the same step (an own re-add is not a key).
        if k is not None and (k not in by_key or by_key[k].dropped):
            by_key[k] = s

    def current(item: str, dim: str) -> int | None:
        found = scores.items.get(item)
        return None if found is None else degree_of(found.degrees.get(dim))

    # Capacity, per half-year of the plan.
    for period in periods(start):
        in_period = [s for s in live if s.period == period.code]
        need = sum(s.effort_days for s in in_period)
        if need > capacity_days and len(in_period) > 1:
            out.append(
                _w("capacity_exceeded", period=period.code, need=need, capacity=capacity_days)
            )

    def before(pre: FinalStep, step: FinalStep) -> bool:
        """Whether ``pre`` comes in an earlier period than ``step``."""
        if pre.period == LAST_PERIOD and step.period == LAST_PERIOD:
            return True  # both in the 2028–2031 horizon: their order is set later
        return pre.due < step.due

    order: list[Warning] = []
    for step in live:
        k = _key(step)
        if k is None:
            continue
        item, dim, degree = k
        measure = library.by_id.get(step.measure_id)
        for pre_id in measure.prerequisites if measure else ():
            pre = library.by_id[pre_id]
            have = current(pre.item, pre.dimension)
            if have is None or have >= pre.to_degree:
                continue  # already reached (or not applicable): nothing to wait for
            found = by_key.get((pre.item, pre.dimension, pre.to_degree))
            params = {
                "measure": step.measure_id,
                "prerequisite": found.measure_id if found else pre.id,
                "period": step.period,
            }
            if found is None:
                order.append(_w("prerequisite_missing", **params))
            elif found.dropped:
                order.append(_w("prerequisite_dropped", **params))
            elif not before(found, step):
                order.append(
                    _w("prerequisite_not_before", **params, prerequisite_period=found.period)
                )
        have = current(item, dim)
        if have is not None and degree - 1 > have:
            lower = by_key.get((item, dim, degree - 1))
            params = {
                "measure": step.measure_id,
                "item": item,
                "dimension": dim,
                "period": step.period,
            }
            if lower is None:
                order.append(_w("lower_step_missing", **params, degree=degree - 1))
            elif lower.dropped:
                order.append(_w("lower_step_dropped", **params, previous=lower.measure_id))
            elif not before(lower, step):
                order.append(
                    _w(
                        "lower_step_not_before",
                        **params,
                        previous=lower.measure_id,
                        previous_period=lower.period,
                    )
                )
    rank = {code: n for n, code in enumerate(CODES)}
    out += sorted(order, key=lambda w: rank[w["code"]])

    for node in policy.items:
        own = targets.get(node.id)
        if own is not None and own.target < node.national_target:
            out.append(
                _w(
                    "target_below_national",
                    item=node.id,
                    target=own.target,
                    national=node.national_target,
                    reason=own.reason,
                )
            )
    for step in live:
        own = targets.get(step.item)
        if own is not None and step.to_degree is not None and step.to_degree > own.target:
            out.append(
                _w(
                    "above_own_target",
                    measure=step.measure_id,
                    item=step.item,
                    dimension=step.dimension,
                    degree=step.to_degree,
                    target=own.target,
                )
            )

    dims = {d.id for d in policy.dimensions}
    for step in live:
        if step.origin != "own":
            continue
        if step.item not in scores.items or step.dimension not in dims:
            out.append(
                _w(
                    "own_measure_unknown_link",
                    measure=step.measure_id,
                    title=step.title,
                    item=step.item,
                    dimension=step.dimension,
                )
            )
            continue
        have = current(step.item, step.dimension)
        own = targets.get(step.item)
        target = own.target if own else scores.items[step.item].target
        if have is None or have >= target:
            out.append(
                _w(
                    "own_measure_no_gap",
                    measure=step.measure_id,
                    title=step.title,
                    item=step.item,
                    dimension=step.dimension,
                    target=target,
                )
            )
    return out


def _w(code: str, **params: Any) -> Warning:
    return {"code": code, "params": params}


def warning_text(
    warning: Warning, library: Library, lang: str, titles: Mapping[str, str] | None = None
) -> str:
    """``warning`` in ``lang``: every code followed by its name (item, dimension, measure).

    ``titles`` names measures the library does not know (the team's own, by id)."""
    policy = library.policy
    params = dict(warning.get("params") or {})
    names = dict(titles or {})
    if params.get("title"):
        names.setdefault(str(params.get("measure")), str(params["title"]))

    def measure(mid: str) -> str:
        found = library.by_id.get(mid)
        title = found.title.text(lang) if found else names.get(mid, "")
        return f"{mid} “{title}”" if title else mid

    values: dict[str, object] = {}
    for name, value in params.items():
        if name == "item":
            try:
                values[name] = f"{value} {policy.item(str(value)).name.text(lang)}"
            except KeyError:
                values[name] = str(value)
        elif name == "dimension":
            dim = next((d for d in policy.dimensions if d.id == value), None)
            values[name] = f"{value} {dim.name.text(lang)}" if dim else str(value)
        elif name in ("measure", "prerequisite", "previous"):
            values[name] = measure(str(value))
        elif name in ("period", "prerequisite_period", "previous_period"):
            values[name] = period_name(str(value), lang)
        elif name in ("need", "capacity"):
            values[name] = Num(float(value))
        elif name == "reason":
            values[name] = str(value) or "—"
        else:
            values[name] = value
    return t(f"proposal.warning.{warning['code']}", lang, None, **values)
