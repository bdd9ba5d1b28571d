"""The measure rules, on plain data: no database."""

from __future__ import annotations

from datetime import date

import pytest

from pvpp import measures
from pvpp.measures import MeasureFacts
from pvpp.states.plan_measure import MeasureState
from pvpp.states.status_report import ReportedStatus

DUE = date(2026, 12, 31)


def fact(
    stored: MeasureState = MeasureState.PLANNED,
    reported: ReportedStatus | None = None,
    due: date = DUE,
    days: int = 5,
) -> MeasureFacts:
    return MeasureFacts("M", due, stored, reported, days)


@pytest.mark.parametrize(
    ("stored", "reported", "state"),
    [
        (MeasureState.PLANNED, None, MeasureState.PLANNED),
        (MeasureState.PLANNED, ReportedStatus.IN_PROGRESS, MeasureState.PLANNED),
        (MeasureState.PLANNED, ReportedStatus.NOT_STARTED, MeasureState.PLANNED),
        (MeasureState.PLANNED, ReportedStatus.MOVE, MeasureState.PLANNED),
        (MeasureState.PLANNED, ReportedStatus.DONE, MeasureState.DONE),
        (MeasureState.PLANNED, ReportedStatus.DROP, MeasureState.DROPPED),
        (MeasureState.DROPPED, None, MeasureState.DROPPED),
        # Dropped in the plan stays dropped whatever a later sheet says.
        (MeasureState.DROPPED, ReportedStatus.DONE, MeasureState.DROPPED),
    ],
)
def test_state_follows_the_plan_and_the_current_report(
    stored: MeasureState, reported: ReportedStatus | None, state: MeasureState
) -> None:
    m = fact(stored, reported)
    assert measures.state(m) is state
    assert measures.is_open(m) is (state is MeasureState.PLANNED)


def test_overdue_needs_an_open_measure_past_its_due_date() -> None:
    assert not measures.is_overdue(fact(), DUE)  # due today is not late
    assert measures.is_overdue(fact(), date(2027, 1, 1))
    assert measures.days_overdue(fact(), date(2027, 1, 15)) == 15
    # Reported done, or dropped: never overdue.
    assert not measures.is_overdue(fact(reported=ReportedStatus.DONE), date(2027, 6, 1))
    assert not measures.is_overdue(fact(reported=ReportedStatus.DROP), date(2027, 6, 1))
    assert not measures.is_overdue(fact(MeasureState.DROPPED), date(2027, 6, 1))
    assert measures.days_overdue(fact(reported=ReportedStatus.DONE), date(2027, 6, 1)) == 0
    # A grace period: more than 14 days late.
    assert not measures.is_overdue(fact(), date(2027, 1, 14), grace_days=14)
    assert measures.is_overdue(fact(), date(2027, 1, 15), grace_days=14)


def test_due_by_a_period_end_lists_open_measures_only() -> None:
    assert measures.is_due_by(fact(), DUE)
    assert not measures.is_due_by(fact(due=date(2027, 6, 30)), DUE)
    assert not measures.is_due_by(fact(reported=ReportedStatus.DONE), DUE)


def test_effort_of_a_period_leaves_out_dropped_measures_only() -> None:
    plan = [
        fact(days=5),
        fact(reported=ReportedStatus.DONE, days=10),
        fact(MeasureState.DROPPED, days=20),
        fact(due=date(2028, 6, 30), days=40),
    ]
    assert measures.effort_in(plan, date(2026, 1, 1), date(2027, 12, 31)) == 15
    counts = measures.count_by_state(plan)
    assert counts == {MeasureState.PLANNED: 2, MeasureState.DONE: 1, MeasureState.DROPPED: 1}


@pytest.mark.parametrize(
    ("today", "end"),
    [
        (date(2026, 1, 1), date(2026, 6, 30)),
        (date(2026, 6, 29), date(2026, 6, 30)),
        (date(2026, 6, 30), date(2026, 12, 31)),
        (date(2026, 12, 30), date(2026, 12, 31)),
        (date(2026, 12, 31), date(2027, 6, 30)),
    ],
)
def test_next_period_end_is_strictly_after_today(today: date, end: date) -> None:
    assert measures.next_period_end(today) == end


def test_next_check_is_after_today_and_ignores_closed_measures() -> None:
    today = date(2026, 7, 20)
    plan = [
        fact(due=date(2026, 6, 30)),  # open and overdue: asked about at the next period end
        fact(due=date(2027, 6, 30)),
        fact(reported=ReportedStatus.DONE, due=date(2026, 12, 31)),
    ]
    assert measures.next_check(plan, today) == date(2026, 12, 31)
    # Nothing open before mid-2027: the check is the first open measure's due date.
    later = [fact(reported=ReportedStatus.DONE, due=date(2026, 6, 30)), fact(due=date(2027, 6, 30))]
    assert measures.next_check(later, today) == date(2027, 6, 30)
    # Every check is in the future, whatever day the document is made on.
    for day in (date(2026, 6, 30), date(2027, 6, 30), date(2027, 12, 31)):
        found = measures.next_check(plan, day)
        assert found is not None and found > day
    assert measures.next_check([fact(stored=MeasureState.DROPPED)], today) is None
