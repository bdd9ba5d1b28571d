"""The rules of a round's progress: complete, the completion line, behind and idle."""

from __future__ import annotations

from datetime import date

from pvpp import progress
from pvpp.progress import LinePoint, Move, Standing
from pvpp.states.assignment import ORDER, OWES_WORK, AssignmentState

A = AssignmentState
D = date(2026, 3, 1)


def _s(code: str, state: A, answered: int = 0, last: date | None = None) -> Standing:
    return Standing(code, state, answered, 100, last)


def test_every_state_has_its_place_on_the_way() -> None:
    assert set(ORDER) == set(A)
    assert ORDER[A.IN_PROGRESS] < ORDER[A.RETURNED] < ORDER[A.SUBMITTED] < ORDER[A.ACCEPTED]
    assert {A.INVITED, A.IN_PROGRESS, A.RETURNED} == OWES_WORK


def test_complete_and_handed_in() -> None:
    assert progress.is_complete("accepted") and progress.is_complete("in_follow_up")
    assert not progress.is_complete("submitted")
    assert progress.is_handed_in("submitted") and progress.is_handed_in("plan_sent")
    assert not progress.is_handed_in("returned")
    assert progress.share(1, 4) == 0.25
    assert progress.share(0, 0) is None


def test_the_completion_line_follows_the_moves_and_a_return_takes_one_off() -> None:
    moves = [
        Move(1, date(2026, 2, 20), "invited"),
        Move(2, date(2026, 2, 20), "invited"),
        Move(1, date(2026, 2, 28), "submitted"),  # before the line starts: its start
        Move(2, date(2026, 3, 2), "submitted"),
        Move(1, date(2026, 3, 2), "accepted"),
        Move(2, date(2026, 3, 3), "returned"),
    ]
    line = progress.completion_line(moves, D, date(2026, 3, 4))
    assert line == [
        LinePoint(date(2026, 3, 1), 1, 0),
        LinePoint(date(2026, 3, 2), 2, 1),
        LinePoint(date(2026, 3, 3), 1, 1),
        LinePoint(date(2026, 3, 4), 1, 1),
    ]
    assert progress.completion_line(moves, D, date(2026, 2, 1)) == []


def test_furthest_behind_orders_by_state_then_share_then_quiet_then_code() -> None:
    rows = [
        _s("E", A.SUBMITTED),  # with the ministry: never behind
        _s("D", A.RETURNED, 90),
        _s("C", A.IN_PROGRESS, 50, date(2026, 2, 1)),
        _s("B", A.IN_PROGRESS, 50, date(2026, 1, 1)),
        _s("F", A.IN_PROGRESS, 10),
        _s("A", A.INVITED, 0, date(2026, 3, 1)),
        _s("G", A.INVITED, 0, date(2026, 3, 1)),
    ]
    assert [s.code for s in progress.furthest_behind(rows)] == ["A", "G", "F", "B", "C", "D"]
    assert [s.code for s in progress.furthest_behind(rows, 2)] == ["A", "G"]
    assert progress.furthest_behind(rows, 0) == []


def test_idle_counts_from_the_last_activity_or_the_opening_day() -> None:
    opens = date(2026, 1, 15)
    assert progress.idle_days(None, opens, date(2026, 1, 29)) == 14
    assert progress.idle_days(date(2026, 1, 1), opens, date(2026, 1, 20)) == 5
    assert progress.idle_days(date(2026, 2, 1), opens, date(2026, 2, 10)) == 9
    assert progress.idle_days(None, opens, date(2026, 1, 1)) == 0  # not open yet
    today = date(2026, 3, 1)
    rows = [
        _s("A", A.IN_PROGRESS, last=date(2026, 2, 15)),  # 14 days: idle
        _s("B", A.IN_PROGRESS, last=date(2026, 2, 16)),  # 13 days
        _s("C", A.SUBMITTED, last=date(2026, 1, 20)),  # waits for the ministry
        _s("D", A.INVITED),  # nothing since the opening day
    ]
    assert [s.code for s in progress.idle(rows, opens, today)] == ["D", "A"]
    assert [s.code for s in progress.idle(rows, opens, today, days=30)] == ["D"]


def test_a_round_s_phase() -> None:
    due = date(2026, 3, 31)

    def phase(launched: bool, closed: bool, today: date) -> str:
        return progress.round_phase(launched=launched, closed=closed, due_on=due, today=today)

    assert phase(False, False, date(2026, 1, 1)) == "created"
    assert phase(True, False, due) == "open"  # the due day is still open
    assert phase(True, False, date(2026, 4, 1)) == "past_due"
    assert phase(False, False, date(2026, 4, 1)) == "created"
    assert phase(True, True, date(2026, 4, 1)) == "closed"
    assert progress.PHASES == ("created", "open", "past_due", "closed")


def test_a_round_may_be_closed_only_after_its_due_date() -> None:
    due = date(2026, 3, 31)
    assert not progress.may_close(due, due)
    assert progress.may_close(due, date(2026, 4, 1))
