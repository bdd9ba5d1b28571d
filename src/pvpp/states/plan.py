"""A plan version.

    draft → sent → approved

A version is a draft until its PDF has gone to the head, and the agreed plan once the head
has approved it. A change makes a new draft version and never alters one that was sent or
approved; the new version needs the head's approval again.

Until the head approves, a sent version awaits approval: it is reminded on its approval
date and escalated later, monthly (:func:`approval_follow_up`; the services queue the
emails, :mod:`pvpp.approvals`).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class PlanState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    APPROVED = "approved"


ALLOWED: dict[PlanState | None, frozenset[PlanState]] = {
    None: frozenset({PlanState.DRAFT}),
    PlanState.DRAFT: frozenset({PlanState.SENT}),
    PlanState.SENT: frozenset({PlanState.APPROVED}),
    PlanState.APPROVED: frozenset(),
}


# -- the head's approval: who is waiting, and what follows when it does not come ---------

#: A version the head has received and neither approved nor refused.
AWAITING_APPROVAL = frozenset({PlanState.SENT})

REMINDER = "approval_reminder"
ESCALATION = "approval_escalation"


@dataclass(frozen=True)
class ApprovalFollowUp:
    """What is due about one version's approval on a day: the reminder (``number`` 0) or
    the ``number``-th escalation, and the day it fell due."""

    kind: str  # REMINDER | ESCALATION
    number: int
    due_on: date


def approval_due_on(sent_on: date, days: int) -> date:
    """The day the head's approval is due for a version whose email goes out ``sent_on``."""
    return sent_on + timedelta(days=days)


def awaiting_approval(status: str, approval_due: date | None, *, refused: bool = False) -> bool:
    """True for a version that went to the head with an approval date and has been neither
    approved nor refused (a refused version waits for the team's new version, not the head)."""
    return status in AWAITING_APPROVAL and approval_due is not None and not refused


def approval_overdue(
    status: str, approval_due: date | None, today: date, *, refused: bool = False
) -> bool:
    """True once the approval date has passed without an approval."""
    return (
        awaiting_approval(status, approval_due, refused=refused)
        and approval_due is not None
        and today > approval_due
    )


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months; the 31st becomes the month's last day where needed."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def escalation_day(approval_due: date, number: int, after_days: int) -> date:
    """The day of the ``number``-th escalation (1, 2, …): ``after_days`` after the due
    date, then monthly."""
    return add_months(approval_due + timedelta(days=after_days), number - 1)


def approval_follow_up(
    status: str,
    approval_due: date | None,
    today: date,
    *,
    escalate_after_days: int,
    refused: bool = False,
) -> ApprovalFollowUp | None:
    """The reminder or escalation due ``today`` for a version awaiting approval, or None.

    The reminder is due on the approval date; the first escalation ``escalate_after_days``
    later, then one each month. Only the newest step is returned: a day that finds an
    escalation due does not also send the reminder it passed. Callers queue each step
    once (its number is part of the message's key), so asking every day is safe.
    """
    if not awaiting_approval(status, approval_due, refused=refused) or approval_due is None:
        return None
    if today < approval_due:
        return None
    first = escalation_day(approval_due, 1, escalate_after_days)
    if today < first:
        return ApprovalFollowUp(REMINDER, 0, approval_due)
    number = 1
    while escalation_day(approval_due, number + 1, escalate_after_days) <= today:
        number += 1
    return ApprovalFollowUp(
        ESCALATION, number, escalation_day(approval_due, number, escalate_after_days)
    )
