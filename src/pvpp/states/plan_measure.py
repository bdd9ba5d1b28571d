"""A measure of a plan version.

    planned → done      (the team reports it done on a status sheet)
       ↓
    dropped             (the team drops it, with a reason; a new plan version records it)

A plan version's rows are written once. ``dropped`` is stored on the row of the version that
dropped it; ``done`` comes from the team's current report (see :mod:`pvpp.measures`), so a
report corrected later changes it without rewriting a plan.
"""

from __future__ import annotations

from enum import StrEnum


class MeasureState(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    DROPPED = "dropped"


M = MeasureState
ALLOWED: dict[MeasureState | None, frozenset[MeasureState]] = {
    None: frozenset({M.PLANNED}),
    M.PLANNED: frozenset({M.DONE, M.DROPPED}),
    # A corrected status sheet may take "done" back.
    M.DONE: frozenset({M.PLANNED}),
    M.DROPPED: frozenset(),
}
#: Still to be carried out.
OPEN = frozenset({M.PLANNED})
#: Nothing more is expected of it.
CLOSED = frozenset({M.DONE, M.DROPPED})
