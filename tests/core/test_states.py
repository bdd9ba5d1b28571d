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
    assert assignment.AWAITING_REVIEW.isdisjoint(assignment.AWAITING_WORKBOOK | assignment.ASSESSED)
    assert set(A) == assignment.AWAITING_WORKBOOK | assignment.AWAITING_REVIEW | assignment.ASSESSED
    assert assignment.PLAN_OUT < assignment.PLANNED < assignment.ASSESSED
    assert "plan_sent" in assignment.PLAN_OUT  # stored strings compare as states


def test_a_move_outside_the_table_is_refused_with_the_way_out() -> None:
    check_move(assignment.ALLOWED, A.SUBMITTED, A.ACCEPTED, "assignment 1")
    refused = "can move to accepted, returned, submitted, not planned"
    with pytest.raises(InvalidTransition, match=refused):
        check_move(assignment.ALLOWED, A.SUBMITTED, A.PLANNED, "assignment 1")


def test_the_to_addresses_decide_a_messages_delivery() -> None:
    R, Q = outbox.RecipientOutcome, outbox.OutboxState
    to = ["head@a.lv"]
    assert outbox.verdict(to, {"head@a.lv": R.ACCEPTED, "lead@a.lv": R.REFUSED}) is Q.SENT
    assert outbox.verdict(to, {"head@a.lv": R.REFUSED, "lead@a.lv": R.ACCEPTED}) is Q.FAILED
    assert outbox.verdict(to, {"head@a.lv": R.DEFERRED, "lead@a.lv": R.ACCEPTED}) is Q.QUEUED
    assert outbox.verdict(to, {}) is Q.QUEUED  # nothing answered yet
    both = ["head@a.lv", "deputy@a.lv"]
    assert outbox.verdict(both, {"head@a.lv": R.ACCEPTED, "deputy@a.lv": R.DEFERRED}) is Q.QUEUED
    assert outbox.verdict(both, {"head@a.lv": R.DEFERRED, "deputy@a.lv": R.REFUSED}) is Q.FAILED
    # A retry goes to whoever has not accepted it yet, each once.
    latest = {"head@a.lv": R.DEFERRED, "lead@a.lv": R.ACCEPTED, "x@a.lv": R.REFUSED}
    addresses = ["head@a.lv", "lead@a.lv", "x@a.lv", "head@a.lv", "new@a.lv"]
    assert outbox.envelope(addresses, latest) == ["head@a.lv", "x@a.lv", "new@a.lv"]


def test_a_workbook_moves_an_assignment_only_before_the_plan_is_out() -> None:
    assert assignment.TAKES_WORKBOOK.isdisjoint(assignment.PLAN_OUT)
    assert set(A) == assignment.TAKES_WORKBOOK | assignment.PLAN_OUT
    assert A.PLANNED in assignment.TAKES_WORKBOOK  # not sent yet: a new plan follows
    # Only a reopen leaves PLAN_OUT backwards, and it can.
    for state in assignment.REOPENABLE:
        assert {A.SUBMITTED, A.RETURNED} <= assignment.ALLOWED[state]
