"""The life cycles: every group is made of real states, and the moves are checked."""

from __future__ import annotations

import pytest

from pvpp.states import assignment, outbox, plan, plan_measure
from pvpp.states.assignment import AssignmentState as A
from pvpp.states.machine import InvalidTransition, check_move


@pytest.mark.parametrize("module", [assignment, outbox, plan, plan_measure])
def test_every_state_has_a_row_and_every_move_ends_in_a_state(module) -> None:
    table = module.ALLOWED
    states = {s for s in table if s is not None}
    assert states == set(next(iter(table[None])).__class__)
    for targets in table.values():
        assert targets <= states


def test_groups_of_assignments() -> None:
    assert assignment.AWAITING_WORKBOOK.isdisjoint(assignment.ASSESSED)
    assert set(A) == assignment.AWAITING_WORKBOOK | assignment.ASSESSED
    assert assignment.PLAN_OUT < assignment.PLANNED < assignment.ASSESSED
    assert "plan_sent" in assignment.PLAN_OUT  # stored strings compare as states


def test_a_move_outside_the_table_is_refused_with_the_way_out() -> None:
    check_move(assignment.ALLOWED, A.SUBMITTED, A.ACCEPTED, "assignment 1")
    with pytest.raises(InvalidTransition, match="can move to accepted, returned, not planned"):
        check_move(assignment.ALLOWED, A.SUBMITTED, A.PLANNED, "assignment 1")
