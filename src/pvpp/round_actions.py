"""What a coordinator does to a running round besides creating and closing it: extend its
due date and send reminders now. The CLI (``pvpp round extend``, ``pvpp round remind``)
and the ministry's console call these; each is audited with who and from where.

- :func:`extend_due`: a later due date, with a reason kept in the audit log. The teams
  whose move it is (:data:`~pvpp.states.assignment.OWES_WORK`: invited, filling in,
  returned) are told the new date by email (kind ``extension``, one per institution and
  new date; the reason is the ministry's and is not in the email). Those that have handed
  in are not written to. A closed round's date stays as it is.
- :func:`remind_now`: the reminder of :func:`pvpp.mail.compose.queue_reminder` to every
  assignment the reminder rule names (:data:`~pvpp.states.assignment.AWAITING_WORKBOOK`),
  whatever the day: before the due date it says the date is near, after it that it has
  passed. One a day per institution (the business key carries the day), so a second
  click sends nothing twice; the scheduled reminder before the due date is not used up.

Nothing here sends: the outbox's relay does (``pvpp outbox send``, or the next flow).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from sqlmodel import Session, select

from pvpp import audit
from pvpp.batch import Batch
from pvpp.mail.compose import Queued, day_key, queue_extension, queue_reminder
from pvpp.queries import round_assignment_facts, round_assignments, round_closure
from pvpp.rounds import RoundError, get_round
from pvpp.settings import Settings
from pvpp.states.assignment import AWAITING_WORKBOOK, OWES_WORK
from pvpp.store.models import OutboxMessage

ROUND_EXTEND = "round.extend"
ROUND_REMIND = "round.remind"
MAX_REASON = 2000


#: Why a new due date is refused, by code (the console words each under
#: ``console.rounds.extend.error.<code>``), in English for the command line.
EXTENSION_PROBLEMS = {
    "no_reason": "give the reason for the new due date: it is kept in the audit log",
    "not_later": "the new due date {due_on} must be after the current one, {previous}: a due "
    "date is extended, never brought forward (teams plan by it)",
    "not_after_today": "the new due date {due_on} must be after today, {today}",
}


def extension_problems(previous: date, due_on: date, reason: str, today: date) -> list[str]:
    """Everything wrong with moving a due date from ``previous`` to ``due_on`` on
    ``today`` for ``reason`` (codes of :data:`EXTENSION_PROBLEMS`; the reason's first)."""
    found = []
    if not reason.strip():
        found.append("no_reason")
    if due_on <= previous:
        found.append("not_later")
    elif due_on <= today:
        found.append("not_after_today")
    return found


def extension_problem(previous: date, due_on: date, reason: str, today: date) -> str | None:
    """The first thing wrong with an extension (:func:`extension_problems`), or None."""
    return next(iter(extension_problems(previous, due_on, reason, today)), None)


@dataclass
class Extension:
    """A due date extended: from ``previous`` to ``due_on``, and the emails queued."""

    round_code: str
    previous: date
    due_on: date
    queued: Batch[Queued]


def extend_due(
    session: Session,
    round_code: str,
    *,
    due_on: date,
    reason: str,
    today: date,
    settings: Settings,
    actor: str,
    ip: str = "",
) -> Extension:
    """Move round ``round_code``'s due date to ``due_on`` (later than the current one and
    than ``today``), audited with ``reason``; queue the new date to every team whose move
    it is. Each email in its own savepoint: one that cannot be queued is in the result's
    ``failed`` and the date moves all the same."""
    reason = reason.strip()
    if not reason:
        raise RoundError(EXTENSION_PROBLEMS["no_reason"])
    rnd = get_round(session, round_code)
    if round_closure(session, rnd) is not None:
        raise RoundError(f"round {round_code} is closed for publication: its due date stays")
    previous = rnd.due_on
    problem = extension_problem(previous, due_on, reason, today)
    if problem is not None:
        raise RoundError(
            EXTENSION_PROBLEMS[problem].format(due_on=due_on, previous=previous, today=today)
        )
    rnd.due_on = due_on
    session.add(rnd)
    session.flush()
    audit.record(
        session, actor=actor, action=ROUND_EXTEND, entity="round", key=rnd.code,
        before=previous.isoformat(), due_on=due_on.isoformat(), reason=reason[:MAX_REASON],
        ip=ip,
    )  # fmt: skip
    queued: Batch[Queued] = Batch("extension")
    for assignment, inst in round_assignments(session, rnd):
        if assignment.state not in OWES_WORK:
            continue
        done = queued.attempt_in(
            session, inst.code,
            partial(queue_extension, session, round_code=rnd.code, institution=inst.code,
                    previous_due=previous, settings=settings),
        )  # fmt: skip
        if done is not None:
            queued.append(done)
    return Extension(rnd.code, previous, due_on, queued)


def remind_now(
    session: Session,
    round_code: str,
    *,
    today: date,
    settings: Settings,
    actor: str,
    ip: str = "",
) -> Batch[Queued]:
    """Queue a reminder now to every assignment of the round that the reminder rule names
    (at most one a day each; asked again the same day, the ones queued are found, not
    queued again: ``created`` is False for them). Audited."""
    rnd = get_round(session, round_code)
    if round_closure(session, rnd) is not None:
        raise RoundError(f"round {round_code} is closed for publication: nobody is reminded")
    out: Batch[Queued] = Batch("reminder")
    for assignment, inst in round_assignments(session, rnd):
        if assignment.state not in AWAITING_WORKBOOK:
            continue
        done = out.attempt_in(
            session, inst.code,
            partial(queue_reminder, session, round_code=rnd.code, institution=inst.code,
                    settings=settings, today=today, version=day_key(today)),
        )  # fmt: skip
        if done is not None:
            out.append(done)
    audit.record(
        session, actor=actor, action=ROUND_REMIND, entity="round", key=rnd.code,
        day=today.isoformat(), queued=sum(new for _, new in out), failed=len(out.failed), ip=ip,
    )  # fmt: skip
    return out


@dataclass(frozen=True)
class ReminderPreview:
    """Who "send reminders now" would write to on a day: ``awaiting`` assignments the
    reminder rule names, of which ``reminded_today`` already had that day's reminder."""

    awaiting: int
    reminded_today: int

    @property
    def would_send(self) -> int:
        """How many institutions a click would send a reminder to now."""
        return max(0, self.awaiting - self.reminded_today)


def reminder_preview(session: Session, round_code: str, *, today: date) -> ReminderPreview:
    """What :func:`remind_now` would do on ``today`` (the console's confirmation), without
    doing it: two statements whatever the round's size."""
    rnd = get_round(session, round_code)
    awaiting = {
        a.code for a in round_assignment_facts(session, rnd) if a.state in AWAITING_WORKBOOK
    }
    sent = set(
        session.exec(
            select(OutboxMessage.institution_code).where(
                OutboxMessage.round_code == rnd.code, OutboxMessage.kind == "reminder",
                OutboxMessage.version == day_key(today),
            )
        ).all()
    )  # fmt: skip
    return ReminderPreview(len(awaiting), len(awaiting & sent))
