"""The head's approval as a pure rule: who awaits approval, what is overdue, and when the
reminder and the escalations fall due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pvpp.approval_links import make_token, signature_ok, token_in, tokens_in
from pvpp.states.machine import InvalidTransition, check_move
from pvpp.states.plan import (
    ALLOWED,
    ESCALATION,
    REMINDER,
    ApprovalFollowUp,
    PlanState,
    add_months,
    approval_due_on,
    approval_follow_up,
    approval_overdue,
    awaiting_approval,
    escalation_day,
)

DUE = date(2026, 4, 15)
AFTER = 14


def step(today: date, status: str = "sent", *, refused: bool = False) -> ApprovalFollowUp | None:
    return approval_follow_up(status, DUE, today, escalate_after_days=AFTER, refused=refused)


def test_the_approval_is_due_days_after_the_email() -> None:
    assert approval_due_on(date(2026, 4, 1), 14) == DUE


def test_only_a_sent_version_with_a_date_that_is_neither_approved_nor_refused_awaits() -> None:
    assert awaiting_approval("sent", DUE)
    assert not awaiting_approval("draft", DUE)
    assert not awaiting_approval("approved", DUE)
    assert not awaiting_approval("sent", None)
    assert not awaiting_approval("sent", DUE, refused=True)


def test_overdue_only_after_the_due_day() -> None:
    assert not approval_overdue("sent", DUE, DUE)
    assert approval_overdue("sent", DUE, DUE + timedelta(days=1))
    assert not approval_overdue("approved", DUE, DUE + timedelta(days=30))


def test_the_reminder_falls_due_on_the_due_day_and_stays_until_the_escalation() -> None:
    assert step(DUE - timedelta(days=1)) is None
    assert step(DUE) == ApprovalFollowUp(REMINDER, 0, DUE)
    assert step(DUE + timedelta(days=AFTER - 1)) == ApprovalFollowUp(REMINDER, 0, DUE)


def test_escalations_follow_after_the_delay_and_then_monthly() -> None:
    first = DUE + timedelta(days=AFTER)  # 2026-04-29
    assert step(first) == ApprovalFollowUp(ESCALATION, 1, first)
    assert step(date(2026, 5, 28)) == ApprovalFollowUp(ESCALATION, 1, first)
    assert step(date(2026, 5, 29)) == ApprovalFollowUp(ESCALATION, 2, date(2026, 5, 29))
    assert step(date(2026, 8, 1)) == ApprovalFollowUp(ESCALATION, 4, date(2026, 7, 29))


@pytest.mark.parametrize("status", ["draft", "approved"])
def test_nothing_follows_a_draft_or_an_approved_version(status: str) -> None:
    assert step(DUE + timedelta(days=100), status) is None


def test_nothing_follows_a_refused_version_the_team_is_to_change() -> None:
    assert step(DUE + timedelta(days=100), refused=True) is None


def test_months_keep_the_day_or_take_the_last_one() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert escalation_day(date(2026, 1, 17), 2, 14) == date(2026, 2, 28)


def test_an_approved_version_never_moves_again() -> None:
    check_move(ALLOWED, PlanState.SENT, PlanState.APPROVED, "plan version 1")
    with pytest.raises(InvalidTransition):
        check_move(ALLOWED, PlanState.APPROVED, PlanState.SENT, "plan version 1")
    with pytest.raises(InvalidTransition):
        check_move(ALLOWED, PlanState.DRAFT, PlanState.APPROVED, "plan version 1")


def test_tokens_are_signed_and_never_start_like_an_option() -> None:
    key = b"k" * 32
    tokens = [make_token(key) for _ in range(300)]
    assert len(set(tokens)) == 300
    assert all(signature_ok(tok, key) and not tok.startswith("-") for tok in tokens)
    assert not signature_ok(tokens[0], b"other key")
    link = f"https://pvpp.example.lv/plans/approve/{tokens[0]}"
    assert token_in(f" <{link}/> ") == tokens[0]
    assert tokens_in(f"Saite: {link}\nvēlreiz {link}\n") == [tokens[0]]
