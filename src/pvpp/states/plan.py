"""A plan version.

    draft → sent

A version is a draft until its PDF has gone to the head; a change makes a new draft version
and never alters one that was sent.
"""

from __future__ import annotations

from enum import StrEnum


class PlanState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"


ALLOWED: dict[PlanState | None, frozenset[PlanState]] = {
    None: frozenset({PlanState.DRAFT}),
    PlanState.DRAFT: frozenset({PlanState.SENT}),
    PlanState.SENT: frozenset(),
}
