"""The rules of a round's progress, as the ministry watches it: what counts as done, the
completion line over time, who is furthest behind and who has gone quiet.

Pure: plain values in, plain values out; :mod:`pvpp.round_progress` reads the store and
hands them here.

- **Complete**: an assignment whose self-assessment is accepted, or beyond
  (:data:`~pvpp.states.assignment.ASSESSED`); **handed in**: submitted or beyond
  (:data:`~pvpp.states.assignment.HANDED_IN`). A returned assignment is neither: it went
  back to its team.
- **The completion line**: for each day, how many assignments were handed in and how many
  complete at the end of that day, from their recorded state changes (a return takes one
  off the line again).
- **Behind**: only an assignment whose institution's move is next
  (:data:`~pvpp.states.assignment.OWES_WORK`: invited, filling in, returned) is behind.
  Among them, the furthest behind comes first: the earlier its state on the way
  (:data:`~pvpp.states.assignment.ORDER`), then the smaller the share of the degree
  questions answered in its online draft, then the longer since its last activity, then
  by code (so the list is the same on every reading).
- **Idle**: an assignment whose institution owes work and that has had no activity for
  :data:`IDLE_DAYS` days. Activity is anything that shows the institution at work or
  the round moving for it (listed in :mod:`pvpp.round_progress`); the days are counted
  from the round's opening day when nothing happened since.
- **A round's phase** (:func:`round_phase`): created (not launched yet), open (launched,
  collecting until its due date), past due (launched, after its due date, not closed),
  closed (for publication).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pvpp.states.assignment import ASSESSED, HANDED_IN, ORDER, OWES_WORK, AssignmentState

#: Days without activity after which an institution that owes work is listed as idle.
IDLE_DAYS = 14
#: How many institutions the "furthest behind" list shows by default.
BEHIND_LIMIT = 10


@dataclass(frozen=True)
class Move:
    """A recorded state change of an assignment, on a (local) day."""

    assignment_id: int
    day: date
    state: str


@dataclass(frozen=True)
class LinePoint:
    """The completion line on one day: assignments handed in and complete at its end."""

    day: date
    handed_in: int
    complete: int


@dataclass(frozen=True)
class Standing:
    """Where one assignment stands: what the rules of "behind" and "idle" look at."""

    code: str
    state: AssignmentState
    answered: int  # degree questions answered in the online draft
    questions: int  # degree questions of the questionnaire
    last_active: date | None  # the day of its last activity, if any

    @property
    def answered_share(self) -> float:
        """Answered of all degree questions, 0–1 (0 for a questionnaire without any)."""
        return share(self.answered, self.questions) or 0.0


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as 0–1; None when there is no whole."""
    return part / whole if whole > 0 else None


def is_handed_in(state: str) -> bool:
    """Whether an assignment in ``state`` has its answers with the ministry (or beyond)."""
    return state in HANDED_IN


def is_complete(state: str) -> bool:
    """Whether an assignment in ``state`` has its self-assessment accepted (or beyond)."""
    return state in ASSESSED


def completion_line(moves: Iterable[Move], start: date, end: date) -> list[LinePoint]:
    """One point per day from ``start`` to ``end`` (inclusive; none when ``end`` is
    before ``start``). ``moves`` in the order they were recorded; those before ``start``
    set the state the line starts from."""
    by_day: dict[date, list[Move]] = {}
    state: dict[int, str] = {}
    for move in moves:
        if move.day < start:
            state[move.assignment_id] = move.state
        else:
            by_day.setdefault(move.day, []).append(move)
    points = []
    day = start
    while day <= end:
        for move in by_day.get(day, ()):
            state[move.assignment_id] = move.state
        points.append(
            LinePoint(
                day,
                sum(is_handed_in(s) for s in state.values()),
                sum(is_complete(s) for s in state.values()),
            )
        )
        day += timedelta(days=1)
    return points


def owes_work(state: str) -> bool:
    """Whether the institution's move is next in ``state`` (only these can be behind)."""
    return state in OWES_WORK


def behind_key(standing: Standing) -> tuple[int, float, date, str]:
    """The order of "furthest behind": first the smallest key (see the module docstring)."""
    return (
        ORDER[standing.state],
        standing.answered_share,
        standing.last_active or date.min,
        standing.code,
    )


def furthest_behind(standings: Iterable[Standing], limit: int = BEHIND_LIMIT) -> list[Standing]:
    """The ``limit`` assignments furthest behind, the furthest first."""
    owing = [s for s in standings if owes_work(s.state)]
    return sorted(owing, key=behind_key)[: max(limit, 0)]


def idle_days(last_active: date | None, opens_on: date, today: date) -> int:
    """Whole days since the last activity, counted from the opening day at the earliest
    (0 before the round opens)."""
    since = max(last_active or opens_on, opens_on)
    return max((today - since).days, 0)


def is_idle(standing: Standing, opens_on: date, today: date, days: int = IDLE_DAYS) -> bool:
    """Whether the institution owes work and nothing has happened for ``days`` days."""
    return owes_work(standing.state) and idle_days(standing.last_active, opens_on, today) >= days


def idle(
    standings: Sequence[Standing], opens_on: date, today: date, days: int = IDLE_DAYS
) -> list[Standing]:
    """The idle assignments, the longest idle first (then by code)."""
    found = [s for s in standings if is_idle(s, opens_on, today, days)]
    return sorted(found, key=lambda s: (s.last_active or date.min, s.code))


#: A round's phases, in order (:func:`round_phase`).
PHASES = ("created", "open", "past_due", "closed")


def round_phase(*, launched: bool, closed: bool, due_on: date, today: date) -> str:
    """Where a round stands on ``today``: ``closed`` once closed for publication,
    ``created`` until it is launched (its milestones recorded, its invitations out),
    ``open`` until its due date (the due day included), ``past_due`` after it."""
    if closed:
        return "closed"
    if not launched:
        return "created"
    return "open" if today <= due_on else "past_due"


def may_close(due_on: date, today: date) -> bool:
    """Whether a round due on ``due_on`` may be closed for publication on ``today``: only
    after its due date (its last day still collects answers)."""
    return today > due_on
