"""When a plan starts: never with a measure due before the day it is made."""

from __future__ import annotations

from datetime import date

import pytest

from pvpp.planning.planner import MIN_LEAD_DAYS, periods, plan_start

DUE = date(2026, 3, 31)


@pytest.mark.parametrize(
    ("made_on", "start"),
    [
        (date(2026, 3, 31), date(2026, 1, 1)),  # on the due date: the round's half-year
        (date(2026, 2, 1), date(2026, 1, 1)),  # early: still the round's half-year
        (date(2026, 5, 15), date(2026, 7, 1)),  # 46 days to 30.06: too close
        (date(2026, 9, 1), date(2026, 7, 1)),
        (date(2026, 11, 29), date(2027, 1, 1)),  # 32 days to 31.12: too close
        (date(2027, 12, 1), date(2028, 1, 1)),  # past 2027: only the 2028–2031 period
    ],
)
def test_the_first_period_ends_well_after_the_plan_is_made(made_on: date, start: date) -> None:
    assert plan_start(made_on, DUE) == start
    first = periods(start)
    if first:
        assert (first[0].due - made_on).days >= MIN_LEAD_DAYS
