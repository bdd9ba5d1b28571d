"""The assignment state machine: one institution's way through a round.

    invited → in_progress → submitted → accepted → planned → plan_sent → in_follow_up
                              ↓   ↑
                            returned

A corrected workbook may arrive at any point after the first submission; it moves the
assignment back to ``submitted`` and supersedes the earlier answers. Every change is a
:class:`~pvpp.store.models.Transition` row with who, when and why.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session

from pvpp.errors import PvppError
from pvpp.store.models import Assignment, Transition, utcnow


class State(StrEnum):
    INVITED = "invited"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    PLANNED = "planned"
    PLAN_SENT = "plan_sent"
    IN_FOLLOW_UP = "in_follow_up"


ALLOWED: dict[State | None, set[State]] = {
    None: {State.INVITED},
    State.INVITED: {State.IN_PROGRESS, State.SUBMITTED},
    State.IN_PROGRESS: {State.SUBMITTED},
    State.SUBMITTED: {State.ACCEPTED, State.RETURNED},
    State.RETURNED: {State.IN_PROGRESS, State.SUBMITTED},
    State.ACCEPTED: {State.PLANNED, State.SUBMITTED},
    State.PLANNED: {State.PLAN_SENT, State.SUBMITTED},
    State.PLAN_SENT: {State.IN_FOLLOW_UP, State.PLANNED, State.SUBMITTED},
    State.IN_FOLLOW_UP: {State.PLANNED, State.SUBMITTED},
}


class InvalidTransition(PvppError):
    """A state change the machine does not allow."""


def transition(
    session: Session, assignment: Assignment, to: State, *, actor: str, reason: str = ""
) -> Transition:
    """Move ``assignment`` to ``to`` and record it; raise InvalidTransition if not allowed."""
    current = State(assignment.state) if assignment.state else None
    if to not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "nothing"
        raise InvalidTransition(
            f"assignment {assignment.id} is {current}; it can move to {allowed}, not {to}"
        )
    step = Transition(
        assignment_id=assignment.id,  # type: ignore[arg-type]
        from_state=current.value if current else None,
        to_state=to.value,
        actor=actor,
        reason=reason[:2000],
    )
    assignment.state = to.value
    assignment.updated_at = utcnow()
    session.add(assignment)
    session.add(step)
    return step
