"""Moving an assignment through its life cycle (:mod:`pvpp.states.assignment`) in the
store: every change is a :class:`~pvpp.store.models.Transition` row with who, when and why.
"""

from __future__ import annotations

from sqlmodel import Session

from pvpp.states.assignment import ALLOWED, AssignmentState
from pvpp.states.machine import InvalidTransition, check_move
from pvpp.store.models import Assignment, Transition, id_of, utcnow

# The states and their moves live in pvpp.states.assignment; ``State`` is the short name
# the services use.
State = AssignmentState

__all__ = ["ALLOWED", "InvalidTransition", "State", "transition"]


def transition(
    session: Session, assignment: Assignment, to: State, *, actor: str, reason: str = ""
) -> Transition:
    """Move ``assignment`` to ``to`` and record it; raise InvalidTransition if not allowed."""
    current = State(assignment.state) if assignment.state else None
    check_move(ALLOWED, current, to, f"assignment {assignment.id}")
    step = Transition(
        assignment_id=id_of(assignment),
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
