"""The rules about plan measures, written once: open, done, dropped, due, overdue.

Pure functions over :class:`MeasureFacts` (plain data: what the plan row says and what the
team last reported), so every reader of a plan (status requests, escalations, the plan PDF,
exports, the national report) counts the same measures, and the rules are tested without a
database. :func:`pvpp.queries.measure_facts` builds the facts from the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pvpp.states.plan_measure import CLOSED, MeasureState
from pvpp.states.status_report import ReportedStatus


@dataclass(frozen=True)
class MeasureFacts:
    """One measure of a plan version with the team's current report on it, if any."""

    measure_id: str
    due_on: date
    #: What the plan version's row says: planned or dropped.
    stored: MeasureState
    #: The newest status the team reported for the measure, if any.
    reported: ReportedStatus | None = None
    effort_days: int = 0


def state(m: MeasureFacts) -> MeasureState:
    """Where the measure stands: dropped in the plan or by report, done by report, or
    planned. A report of "drop" counts at once, before the re-plan that records it."""
    if m.stored is MeasureState.DROPPED or m.reported is ReportedStatus.DROP:
        return MeasureState.DROPPED
    if m.stored is MeasureState.DONE or m.reported is ReportedStatus.DONE:
        return MeasureState.DONE
    return MeasureState.PLANNED


def is_open(m: MeasureFacts) -> bool:
    """Still to be carried out: neither done nor dropped."""
    return state(m) not in CLOSED


def is_done(m: MeasureFacts) -> bool:
    return state(m) is MeasureState.DONE


def is_dropped(m: MeasureFacts) -> bool:
    return state(m) is MeasureState.DROPPED


def is_due_by(m: MeasureFacts, until: date) -> bool:
    """Open and due on or before ``until`` (what a status request for a period asks about)."""
    return is_open(m) and m.due_on <= until


def days_overdue(m: MeasureFacts, today: date) -> int:
    """Days past the due date of an open measure; 0 when not past due or closed."""
    return max(0, (today - m.due_on).days) if is_open(m) else 0


def is_overdue(m: MeasureFacts, today: date, *, grace_days: int = 0) -> bool:
    """Open and more than ``grace_days`` days past its due date."""
    return is_open(m) and (today - m.due_on).days > grace_days


def is_due_in(m: MeasureFacts, start: date, end: date) -> bool:
    """Due within [start, end] and not dropped (done measures still count for the period
    they were planned in)."""
    return not is_dropped(m) and start <= m.due_on <= end


def effort_in(measures: Iterable[MeasureFacts], start: date, end: date) -> int:
    """Person-days of the measures due within [start, end], dropped ones left out."""
    return sum(m.effort_days for m in measures if is_due_in(m, start, end))


def count_by_state(measures: Iterable[MeasureFacts]) -> dict[MeasureState, int]:
    """How many measures stand in each state (every state present, zeros included)."""
    out = dict.fromkeys(MeasureState, 0)
    for m in measures:
        out[state(m)] += 1
    return out


def next_period_end(today: date) -> date:
    """The first half-year end (30 June or 31 December) strictly after ``today``."""
    if today < date(today.year, 6, 30):
        return date(today.year, 6, 30)
    if today < date(today.year, 12, 31):
        return date(today.year, 12, 31)
    return date(today.year + 1, 6, 30)


def next_check(measures: Iterable[MeasureFacts], today: date) -> date | None:
    """The period end on which the team next reports on open measures, always after
    ``today``: the first due date of an open measure, but never before the next half-year
    end (a measure already past due is asked about at the next one). None when nothing is
    open.

    A plan document dated ``today`` must not name a check that has already passed."""
    dues = [m.due_on for m in measures if is_open(m)]
    if not dues:
        return None
    return max(next_period_end(today), min(dues))
