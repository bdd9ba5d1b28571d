"""An assignment: one institution's way through a round.

    invited → in_progress → submitted → accepted → planned → plan_sent → in_follow_up
                              ↓   ↑
                            returned

A corrected workbook arriving before the plan has gone to the head moves the assignment
back to ``submitted`` and supersedes the earlier answers (:data:`TAKES_WORKBOOK`).

In a round with review (``Round.review_required``) a valid submission stays ``submitted``
until a reviewer accepts it or returns it with comments (:mod:`pvpp.review`); a newer
workbook arriving meanwhile takes its place in the queue (``submitted`` → ``submitted``). Once
the plan is out (:data:`PLAN_OUT`) a workbook no longer moves anything: a late file is
kept and reported, and applied only when a coordinator reopens the assignment
(``pvpp round reopen``: to ``submitted`` with the late file, else to ``returned`` to
await a new one).
"""

from __future__ import annotations

from enum import StrEnum


class AssignmentState(StrEnum):
    INVITED = "invited"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    PLANNED = "planned"
    PLAN_SENT = "plan_sent"
    IN_FOLLOW_UP = "in_follow_up"


S = AssignmentState
ALLOWED: dict[AssignmentState | None, frozenset[AssignmentState]] = {
    None: frozenset({S.INVITED}),
    S.INVITED: frozenset({S.IN_PROGRESS, S.SUBMITTED}),
    S.IN_PROGRESS: frozenset({S.SUBMITTED}),
    # To submitted: a newer workbook replaces the one waiting for review.
    S.SUBMITTED: frozenset({S.ACCEPTED, S.RETURNED, S.SUBMITTED}),
    S.RETURNED: frozenset({S.IN_PROGRESS, S.SUBMITTED}),
    S.ACCEPTED: frozenset({S.PLANNED, S.SUBMITTED}),
    S.PLANNED: frozenset({S.PLAN_SENT, S.SUBMITTED}),
    # To submitted or returned only by a coordinator's reopen (TAKES_WORKBOOK).
    S.PLAN_SENT: frozenset({S.IN_FOLLOW_UP, S.PLANNED, S.SUBMITTED, S.RETURNED}),
    S.IN_FOLLOW_UP: frozenset({S.PLANNED, S.SUBMITTED, S.RETURNED}),
}

# The groups other modules ask about, defined once.
#: Invited, no workbook in yet: the invitation may still be (re)sent.
NOT_STARTED = frozenset({S.INVITED, S.IN_PROGRESS})
#: No accepted workbook yet and the team's turn: these get the reminder before the due date.
AWAITING_WORKBOOK = frozenset({S.INVITED, S.IN_PROGRESS, S.RETURNED})
#: A valid submission waits for a reviewer (rounds with review; elsewhere a submission is
#: judged at once and never rests here).
AWAITING_REVIEW = frozenset({S.SUBMITTED})
#: An accepted workbook and no plan for it yet.
READY_TO_PLAN = frozenset({S.ACCEPTED})
#: A plan exists for the current answers.
PLANNED = frozenset({S.PLANNED, S.PLAN_SENT, S.IN_FOLLOW_UP})
#: A new plan version may be built from these (a re-plan moves them back to planned).
REPLANNABLE = frozenset({S.ACCEPTED, S.PLAN_SENT, S.IN_FOLLOW_UP})
#: The plan has gone to the head: RV5 follow-up and escalation apply.
PLAN_OUT = frozenset({S.PLAN_SENT, S.IN_FOLLOW_UP})
#: Its self-assessment is done: accepted and beyond.
ASSESSED = frozenset({S.ACCEPTED}) | PLANNED
#: A received workbook is applied (moves the assignment, supersedes the answers) only in
#: these: before the plan has gone to the head. In the others it is late: kept, reported,
#: not applied, so an old or stale file never takes an institution out of follow-up.
TAKES_WORKBOOK = frozenset(S) - PLAN_OUT
#: What a coordinator may reopen, so that a late workbook (or a new one) is applied.
REOPENABLE = PLAN_OUT
#: The team fills its answers online (:mod:`pvpp.drafts`): no workbook or answers in yet, or
#: returned to it. Once submitted the answers are read-only until the ministry returns them.
ANSWERS_OPEN = frozenset({S.INVITED, S.IN_PROGRESS, S.RETURNED})
#: The first answer saved online moves an invited assignment here.
STARTED_ONLINE = S.IN_PROGRESS
#: The institution's move is next: nothing handed in yet, or handed back to it. The
#: ministry's progress view lists these as behind and as idle (:mod:`pvpp.progress`).
OWES_WORK = frozenset({S.INVITED, S.IN_PROGRESS, S.RETURNED})
#: Handed in: a workbook or the online answers are with the ministry, or accepted and beyond.
HANDED_IN = frozenset({S.SUBMITTED}) | ASSESSED
#: How far along its way an assignment is, for ordering (the progress view's "behind"): a
#: returned one has handed answers in once, so it is ahead of one still filling them.
ORDER: dict[AssignmentState, int] = {
    s: n
    for n, s in enumerate(
        (S.INVITED, S.IN_PROGRESS, S.RETURNED, S.SUBMITTED, S.ACCEPTED, S.PLANNED,
         S.PLAN_SENT, S.IN_FOLLOW_UP)
    )
}  # fmt: skip


class ReturnedHow(StrEnum):
    """Why an assignment is ``returned``: the one state has three causes, which people
    are told apart ("returned" alone is ambiguous)."""

    ERRORS = "errors"  # its workbook (or online answers) failed the check
    REVIEW = "review"  # a reviewer sent the answers back for revision
    REOPENED = "reopened"  # a coordinator reopened it after the plan had gone out


#: The reasons written by the moves to ``returned`` begin so (pvpp.review, pvpp.submissions).
REVIEW_REASON = "returned by a reviewer"
REOPEN_REASON = "reopened by a coordinator"


def returned_how(reason: str) -> ReturnedHow:
    """The cause of a move to ``returned``, from the reason its transition recorded."""
    if reason.startswith(REVIEW_REASON):
        return ReturnedHow.REVIEW
    if reason.startswith(REOPEN_REASON):
        return ReturnedHow.REOPENED
    return ReturnedHow.ERRORS
