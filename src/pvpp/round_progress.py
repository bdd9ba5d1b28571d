"""A round's progress, as the ministry watches it: share complete, the completion line
with the due date, counts per state, the institutions furthest behind and those idle for
14 days, and the round's national milestones (P2.1, P2.2, RV3, RV4).

The rules (what is complete, behind, idle) are in :mod:`pvpp.progress`; this module reads
the store through the named queries of :mod:`pvpp.queries`, each asked once for the whole
round, so the view costs the same number of statements for 10 institutions or 1,000.

**Activity** (for "idle"): a state change of the assignment (the invitation, a
submission, an acceptance, a return), a save in its online draft, a workbook uploaded in
the portal or received in the drop folder, an evidence file attached, and a sign-in of
one of the institution's people. Reading pages once signed in is not counted: a session
shows its sign-in, not every page.

**Share answered** (for "behind"): the degree questions that have a value in the
assignment's online draft (the newest save of each, not blank), of all the
questionnaire's degree questions. Answers carried over from an earlier round count once
the team has saved them in this one; a value a rule refuses still counts as answered
(its team sees the problem beside it).

Filters (institution group, state, a part of the name or code) choose the assignments
everything is counted over; the milestones are the round's and are not filtered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from pvpp import progress
from pvpp.clock import LOCAL_ZONE
from pvpp.errors import PvppError
from pvpp.milestones import milestones
from pvpp.progress import LinePoint, Move, Standing
from pvpp.queries import (
    round_assignment_facts,
    round_draft_answered,
    round_last_activity,
    round_moves,
)
from pvpp.questionnaire import load_questionnaire
from pvpp.rounds import get_round
from pvpp.states.assignment import ORDER, AssignmentState


class ProgressError(PvppError):
    """A progress view asked for with a filter that cannot match (an unknown state)."""


@dataclass(frozen=True)
class Filters:
    """Which assignments a progress view counts: all, or those of an institution group,
    in a state, whose institution's name or code contains ``name`` (any case)."""

    group: str | None = None
    state: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.state is not None and self.state not in set(AssignmentState):
            known = ", ".join(s.value for s in ORDER)
            raise ProgressError(f"state must be one of {known}, not {self.state!r}")

    def admits(self, code: str, name: str, group: str, state: str) -> bool:
        """Whether an assignment with these values is counted."""
        if self.group and group.casefold() != self.group.casefold():
            return False
        if self.state and state != self.state:
            return False
        if self.name:
            needle = self.name.casefold().strip()
            return needle in name.casefold() or needle in code.casefold()
        return True

    def given(self) -> dict[str, str]:
        """The filters that are set, by name."""
        return {k: v for k, v in (("group", self.group), ("state", self.state),
                                  ("name", self.name)) if v}  # fmt: skip


@dataclass(frozen=True)
class InstitutionProgress:
    """One assignment's line in the progress view."""

    code: str
    name: str
    group: str
    state: str
    answered: int
    questions: int
    last_active: datetime | None
    idle_days: int

    @property
    def answered_share(self) -> float | None:
        """Answered of all degree questions, 0–1."""
        return progress.share(self.answered, self.questions)


@dataclass
class RoundProgress:
    """A round's progress view on ``today`` (see the module docstring)."""

    round_code: str
    opens_on: date
    due_on: date
    today: date
    filters: Filters
    total: int
    handed_in: int
    complete: int
    states: list[tuple[str, int]]  # every state, in the order of the way, with its count
    line: list[LinePoint]
    institutions: list[InstitutionProgress]
    behind: list[InstitutionProgress]
    idle: list[InstitutionProgress]
    idle_after: int
    milestones: list[dict[str, Any]] = field(default_factory=list)

    @property
    def share_complete(self) -> float | None:
        """Complete (accepted and beyond) of all counted assignments, 0–1."""
        return progress.share(self.complete, self.total)

    @property
    def share_handed_in(self) -> float | None:
        """Handed in (submitted and beyond) of all counted assignments, 0–1."""
        return progress.share(self.handed_in, self.total)


def local_day(moment: datetime) -> date:
    """The day in Riga of a stored time (UTC; naive as SQLite gives it back)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_ZONE).date()


def round_progress(
    session: Session,
    round_code: str,
    *,
    today: date,
    filters: Filters | None = None,
    behind_limit: int = progress.BEHIND_LIMIT,
    idle_after: int = progress.IDLE_DAYS,
) -> RoundProgress:
    """The progress of round ``round_code`` on ``today``, over the assignments ``filters``
    admit. A constant number of statements, whatever the round's size."""
    filters = filters or Filters()
    rnd = get_round(session, round_code)
    spec = load_questionnaire(rnd.questionnaire_version)
    degree_ids = [f.id for f in spec.degree_fields]
    chosen = [
        a
        for a in round_assignment_facts(session, rnd)
        if filters.admits(a.code, a.name, a.group_id, a.state)
    ]
    ids = {a.id for a in chosen}
    answered = round_draft_answered(session, rnd, degree_ids)
    activity = round_last_activity(session, rnd)
    moves = [
        Move(a, local_day(at), state) for a, at, state in round_moves(session, rnd) if a in ids
    ]

    rows: list[InstitutionProgress] = []
    standings: dict[str, Standing] = {}
    for a in chosen:
        last = activity.get(a.id)
        last_day = local_day(last) if last is not None else None
        standing = Standing(
            a.code, AssignmentState(a.state), answered.get(a.id, 0), len(degree_ids), last_day,
        )  # fmt: skip
        standings[a.code] = standing
        idle_for = progress.idle_days(last_day, rnd.opens_on, today)
        rows.append(InstitutionProgress(
            a.code, a.name, a.group_id, a.state, standing.answered, standing.questions, last,
            idle_for,
        ))  # fmt: skip
    by_code = {r.code: r for r in rows}
    counts = {s.value: 0 for s in ORDER}
    for r in rows:
        counts[r.state] += 1
    start = min([rnd.opens_on, *(m.day for m in moves)])
    return RoundProgress(
        round_code=rnd.code,
        opens_on=rnd.opens_on,
        due_on=rnd.due_on,
        today=today,
        filters=filters,
        total=len(rows),
        handed_in=sum(progress.is_handed_in(r.state) for r in rows),
        complete=sum(progress.is_complete(r.state) for r in rows),
        states=list(counts.items()),
        line=progress.completion_line(moves, start, max(today, start)),
        institutions=rows,
        behind=[
            by_code[s.code] for s in progress.furthest_behind(standings.values(), behind_limit)
        ],
        idle=[
            by_code[s.code]
            for s in progress.idle(list(standings.values()), rnd.opens_on, today, idle_after)
        ],
        idle_after=idle_after,
        milestones=milestones(session, rnd.code, today),
    )
