"""A plan version.

    draft → sent → approved

A version is a draft until its PDF has gone to the head, and the agreed plan once the head
has approved it. A change makes a new draft version and never alters one that was sent or
approved; the new version needs the head's approval again.
"""

from __future__ import annotations

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
