"""The ministry console's pages' data, for one signed-in console person
(:class:`pvpp.console_auth.ConsolePerson`). Routes in :mod:`pvpp.web.console_pages` call
these and render what they return; which roles may open a page is the route's guard
(:func:`pvpp.web.deps.console_person`), the split itself :mod:`pvpp.access`.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from pvpp.accounts import accounts
from pvpp.console_auth import ConsolePerson
from pvpp.queries import assignment_state_counts
from pvpp.states.assignment import AssignmentState
from pvpp.store.models import Round, id_of

__all__ = ["accounts_page", "home"]


def home(session: Session, person: ConsolePerson) -> dict[str, Any]:
    """Every round, newest first, with how many of its institutions are in each state
    (every state listed, in the order of the life cycle) and in all: two statements
    whatever the number of rounds."""
    counts = assignment_state_counts(session)
    rounds = session.exec(
        select(Round).order_by(col(Round.opens_on).desc(), col(Round.code).desc())
    ).all()
    out = []
    for rnd in rounds:
        mine = counts.get(id_of(rnd), {})
        out.append(
            {
                "code": rnd.code,
                "opens_on": rnd.opens_on,
                "due_on": rnd.due_on,
                "questionnaire": rnd.questionnaire_version,
                "counts": {state.value: mine.get(state.value, 0) for state in AssignmentState},
                "total": sum(mine.values()),
            }
        )
    return {"rounds": out, "states": [state.value for state in AssignmentState]}


def accounts_page(session: Session, person: ConsolePerson) -> dict[str, Any]:
    """The console's accounts (the coordinator's page): address, name, role, disabled,
    locked until. Secrets and hashes never leave the store."""
    return {
        "accounts": [
            {
                "email": a.email,
                "name": a.name,
                "role": a.role,
                "disabled": a.disabled,
                "locked_until": a.locked_until,
                "created_at": a.created_at,
            }
            for a in accounts(session)
        ]
    }
