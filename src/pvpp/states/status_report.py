"""A received status sheet (RV5 follow-up) and what a team reports per measure.

A status report is checked once and keeps its verdict: a correction is a new report that
supersedes it. Each reported measure status is a row; the newest per measure is current.
"""

from __future__ import annotations

from enum import StrEnum


class ReportVerdict(StrEnum):
    """The checker's verdict on a received file (workbook or status sheet)."""

    ACCEPTED = "accepted"
    INCOMPLETE = "incomplete"
    REJECTED = "rejected"


class ReportedStatus(StrEnum):
    """What a team says of one measure on a status sheet."""

    DONE = "done"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    MOVE = "move"
    DROP = "drop"


#: A report with one of these closes the measure for follow-up.
CLOSING = frozenset({ReportedStatus.DONE, ReportedStatus.DROP})
