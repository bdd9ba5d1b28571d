"""The relay: hands due outbox messages to the transport, one at a time, losing none.

For each message:

1. **claim** it in its own transaction: ``queued`` and due → ``sending``, stamped with
   this run's owner token (PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so several
   relays never claim one row twice; SQLite: the store's ``BEGIN IMMEDIATE`` serialises
   the claim, and only one relay runs at a time, see below), and **commit** — before any
   byte goes to the mail server;
2. **send** it with its stored Message-ID;
3. **record** the outcome right away in a second transaction: ``sent`` after the
   server's 250; back to ``queued`` with exponential backoff after a temporary failure
   (4xx, refused connection, timeout, the message deadline), or ``failed`` when the reply
   was a 5xx for this message, or when temporary failures went on for
   ``outbox_give_up_hours``. Every try is a :class:`~pvpp.store.models.DeliveryAttempt`
   row, and what the server said about each recipient a
   :class:`~pvpp.store.models.DeliveryRecipient` row.

**Per recipient**: the To addresses decide (:func:`pvpp.states.outbox.verdict`). A To
refused with a 5xx fails the message even when the server took the Cc (the head's
refusal is a failure someone sees, not a "sent"); a To deferred with a 4xx is tried again
with the usual backoff, and the retry's envelope leaves out whoever already accepted it,
so nobody gets the message twice; a Cc refused alone is recorded and listed, and the
message counts as delivered.

**A row found in "sending"** belonged to a relay that stopped between steps 1 and 3 —
possibly after the server had already accepted the message (SMTP has no way to close
that gap). Policy: *resend it with the same Message-ID*. Delivery is therefore
at-least-once: nothing is ever lost, and the rare duplicate is the identical message
with the identical Message-ID, which mail clients and archives recognise. The row gets an
``interrupted`` attempt and goes back to ``queued``, due at once.

To tell a stopped relay from one still sending, every run holds a lock for as long as it
runs: on PostgreSQL a session advisory lock keyed by its owner token (the server drops it
when the process dies), on SQLite an exclusive ``flock`` on a file next to the database
(the kernel drops it when the process dies; a second relay finds it taken and returns at
once with ``busy``). A ``sending`` row is recovered only when its owner's lock is free.

**Circuit breaker**: after ``outbox_breaker_threshold`` temporary failures in a row the
run stops, leaving the rest queued for the next run, instead of hammering a server that
is down. Messages already ``sent`` are never claimed again, so running the relay twice
sends nothing twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlmodel import Session, col, select

from pvpp.batch import FATAL, reason_of
from pvpp.mail.outbox import build_email, latest_outcomes, recipients
from pvpp.mail.transport import (
    DeliveryFailure,
    PermanentFailure,
    Refused,
    TemporaryFailure,
    Transport,
    is_permanent,
    make_transport,
)
from pvpp.settings import Settings
from pvpp.states.machine import check_move
from pvpp.states.outbox import ALLOWED, OutboxState, RecipientOutcome, envelope, verdict
from pvpp.states.outbox import OutboxState as Q
from pvpp.store.db import Database
from pvpp.store.models import (
    DeliveryAttempt,
    DeliveryRecipient,
    OutboxMessage,
    id_of,
    utcnow,
)

log = logging.getLogger(__name__)


@dataclass
class Failure:
    """A message that did not (fully) reach its recipients, with the server's reply."""

    id: int
    key: str
    to: list[str]
    code: int | None
    reply: str


@dataclass
class DeliveryReport:
    """What one run of :func:`deliver_due` did."""

    sent: int = 0
    retrying: int = 0
    failed: list[Failure] = field(default_factory=list)
    # Sent, but the server refused some recipients (their addresses and replies).
    partial: list[Failure] = field(default_factory=list)
    # Rows found in "sending" after a relay stopped, queued again to be resent.
    recovered: int = 0
    breaker_open: bool = False
    # Another relay holds the SQLite relay lock; this run did nothing.
    busy: bool = False


class _RelayLock:
    """Held for a whole run so other runs can tell this relay is alive."""

    def __init__(self, eng: Engine) -> None:
        self.eng = eng
        self.owner = secrets.token_hex(8)
        self._conn: Connection | None = None
        self._fd: int | None = None

    @staticmethod
    def _key(owner: str) -> int:
        # A signed 64-bit integer: the form pg_advisory_lock takes.
        return int.from_bytes(bytes.fromhex(owner), "big", signed=True)

    def acquire(self) -> bool:
        """Take the lock; False when another relay holds the SQLite one."""
        if self.eng.dialect.name == "postgresql":
            self._conn = self.eng.connect()
            self._conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": self._key(self.owner)})
            self._conn.commit()
            return True
        database = self.eng.url.database
        if not database or database == ":memory:":
            return True  # one process only: nobody to coordinate with
        path = Path(database).with_name(Path(database).name + ".relay-lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def is_dead(self, owner: str | None) -> bool:
        """Whether the relay that claimed a row with ``owner`` has stopped."""
        if owner == self.owner:
            return False
        if self._conn is None or owner is None:
            # SQLite: this run holds the only relay lock, so any other owner is gone.
            return True
        try:
            key = self._key(owner)
        except ValueError:
            return True
        free = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        if free:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        self._conn.commit()
        return bool(free)

    def release(self) -> None:
        """Let go of the lock (the process ending does it too)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.execute(text("SELECT pg_advisory_unlock_all()"))
                conn.commit()
            finally:
                conn.close()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor releases the flock


def backoff(attempts: int, settings: Settings) -> timedelta:
    """Wait before try ``attempts + 1``: base × 2^(attempts-1), capped."""
    exponent = min(max(attempts - 1, 0), 30)
    seconds = min(
        settings.outbox_backoff_seconds * 2**exponent, settings.outbox_backoff_max_seconds
    )
    return timedelta(seconds=seconds)


def _recover(eng: Engine, lock: _RelayLock, at: datetime) -> int:
    """Queue again every row left in "sending" by a relay that has stopped."""
    with Session(eng) as session:
        owners = set(
            session.exec(
                select(OutboxMessage.claimed_by).where(OutboxMessage.state == Q.SENDING)
            ).all()
        )
    recovered = 0
    for owner in owners:
        if not lock.is_dead(owner):
            continue
        with Session(eng) as session:
            rows = session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.state == Q.SENDING, OutboxMessage.claimed_by == owner
                )
            ).all()
            for row in rows:
                row.state, row.claimed_by, row.next_attempt_at = Q.QUEUED, None, at
                session.add(row)
                session.add(
                    DeliveryAttempt(
                        outbox_id=id_of(row),
                        at=at,
                        outcome="interrupted",
                        reply="found in sending after its relay stopped; "
                        "resending with the same Message-ID",
                    )
                )
                log.warning("outbox %s was left in sending; resending it", row.business_key)
            session.commit()
            recovered += len(rows)
    return recovered


def _claim(eng: Engine, owner: str, at: datetime) -> OutboxMessage | None:
    """The next due message, moved to "sending" and committed; None when none is due."""
    with Session(eng, expire_on_commit=False) as session:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.state == Q.QUEUED, OutboxMessage.next_attempt_at <= at)
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(1)
        )
        if eng.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = session.exec(query).first()
        if row is None:
            return None
        check_move(ALLOWED, Q(row.state), Q.SENDING, f"outbox row {row.id}")
        row.state, row.claimed_by, row.claimed_at = Q.SENDING, owner, at
        row.attempts += 1
        session.add(row)
        session.commit()
        return row


def _finish(
    eng: Engine,
    row_id: int,
    owner: str,
    at: datetime,
    *,
    state: OutboxState,
    outcome: str,
    code: int | None = None,
    reply: str = "",
    next_attempt_at: datetime | None = None,
    error: str | None = None,
    answers: list[DeliveryRecipient] | None = None,
) -> bool:
    """Record the outcome of this run's try; False if the row is no longer ours.

    ``reply`` goes to the attempt; ``error`` (default: ``reply``) to the row's last error;
    ``answers``: what the server said about each recipient (their attempt id is set here).
    """
    with Session(eng) as session:
        row = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.id == row_id,
                OutboxMessage.state == Q.SENDING,
                OutboxMessage.claimed_by == owner,
            )
        ).first()
        if row is None:
            # Another relay judged this one dead and took the row over: it will resend.
            log.warning("outbox row %s was taken over by another relay", row_id)
            return False
        check_move(ALLOWED, Q.SENDING, state, f"outbox row {row_id}")
        row.state, row.claimed_by = state, None
        row.last_code, row.last_error = code, (reply if error is None else error)[:2000]
        if state is Q.SENT:
            row.sent_at = at
        if next_attempt_at is not None:
            row.next_attempt_at = next_attempt_at
        session.add(row)
        attempt = DeliveryAttempt(
            outbox_id=row_id, at=at, outcome=outcome, smtp_code=code, reply=reply[:2000]
        )
        session.add(attempt)
        session.flush()
        for answer in answers or []:
            answer.attempt_id = id_of(attempt)
            session.add(answer)
        session.commit()
        return True


def _refused_text(refused: Refused) -> str:
    return "; ".join(f"{addr}: {code} {reply}" for addr, (code, reply) in refused.items())


def _answers(row: OutboxMessage, tried: list[str], refused: Refused) -> list[DeliveryRecipient]:
    """One row per recipient tried: refused ones with their reply, the others accepted."""
    to = {a["email"] for a in row.to_addrs}
    out = []
    for addr in tried:
        code, reply = refused.get(addr, (250, ""))
        if addr not in refused:
            outcome = RecipientOutcome.ACCEPTED
        elif is_permanent(code):
            outcome = RecipientOutcome.REFUSED
        else:
            outcome = RecipientOutcome.DEFERRED
        answer = DeliveryRecipient(
            outbox_id=id_of(row), attempt_id=0, role="to" if addr in to else "cc",
            address=addr, outcome=outcome.value, smtp_code=code, reply=reply[:2000],
        )  # fmt: skip
        out.append(answer)
    return out


def _send_one(
    db: Database,
    eng: Engine,
    owner: str,
    row: OutboxMessage,
    transport: Transport,
    settings: Settings,
    now: datetime | None,
    report: DeliveryReport,
) -> bool:
    """Build, send and record one claimed message; True when it failed temporarily."""
    assert row.id is not None
    failure = Failure(row.id, row.business_key, recipients(row), None, "")
    try:
        with db.session(eng) as session:
            msg = build_email(row, session, settings)
            before = latest_outcomes(session, [row.id]).get(row.id, {})
    except FATAL:
        raise
    except Exception as exc:
        # The message cannot be built here (an attachment missing from the file store, a
        # stored value the email package refuses): no server will change that, so it
        # fails now and is listed, and the run goes on with the next message.
        known = isinstance(exc, OSError | ValueError)
        if not known:
            log.error("outbox %s: cannot build the message", row.business_key, exc_info=exc)
        failure.reply = f"cannot build the message: {exc if known else reason_of(exc)}"
        _finish(
            eng, row.id, owner, now or utcnow(),
            state=Q.FAILED, outcome="local", reply=failure.reply,
        )  # fmt: skip
        report.failed.append(failure)
        return False
    tried = envelope(recipients(row), before)
    try:
        refused = transport.send(msg, tried, label=f"{row.kind}_{row.institution_code}")
    except DeliveryFailure as exc:
        if exc.refused:  # every recipient refused: judged per recipient below
            refused = exc.refused
        else:
            return _failed(eng, owner, row, exc, settings, now, report, failure)
    answers = _answers(row, tried, refused)
    latest = {**before, **{a.address: RecipientOutcome(a.outcome) for a in answers}}
    to = [a["email"] for a in row.to_addrs]
    state = verdict(to, latest)
    at = now or utcnow()
    note = _refused_text(refused)
    if state is Q.SENT:
        # Accepted: record it at once; this commit is the only window for a duplicate.
        _finish(
            eng, row.id, owner, at,
            state=Q.SENT, outcome="sent", code=250,
            reply=f"accepted; refused recipients: {note}" if note else "accepted",
            error=f"refused recipients: {note}" if note else "", answers=answers,
        )  # fmt: skip
        report.sent += 1
        if refused:
            failure.to, failure.reply = list(refused), note
            failure.code = max(code for code, _ in refused.values())
            report.partial.append(failure)
        return False
    # A To address refused or deferred: the message is not delivered, whoever else took it.
    heads = {a: refused[a] for a in to if a in refused}
    failure.to = list(heads) or to
    failure.code = max(code for code, _ in heads.values()) if heads else None
    took = [a.address for a in answers if a.outcome == RecipientOutcome.ACCEPTED]
    word = "refused" if state is Q.FAILED else "deferred"
    failure.reply = f"main recipient (To) {word}: {_refused_text(heads)}" + (
        f"; accepted for {', '.join(took)}" if took else ""
    )
    if state is Q.FAILED:
        _finish(
            eng, row.id, owner, at,
            state=Q.FAILED, outcome="permanent", code=failure.code, reply=failure.reply,
            answers=answers,
        )  # fmt: skip
        report.failed.append(failure)
        return False
    _retry_or_give_up(
        eng, owner, row, settings, at, report, failure, code=failure.code, answers=answers
    )
    return True


def _failed(
    eng: Engine,
    owner: str,
    row: OutboxMessage,
    exc: DeliveryFailure,
    settings: Settings,
    now: datetime | None,
    report: DeliveryReport,
    failure: Failure,
) -> bool:
    """Record a try the server did not take at all; True when the failure was temporary."""
    assert row.id is not None
    at = now or utcnow()
    failure.code = exc.code
    failure.reply = reply = f"{exc.code or ''} {exc.reply}".strip()
    if isinstance(exc, PermanentFailure):
        _finish(
            eng, row.id, owner, at,
            state=Q.FAILED, outcome="permanent", code=exc.code, reply=reply,
        )  # fmt: skip
        report.failed.append(failure)
        return False
    assert isinstance(exc, TemporaryFailure)
    _retry_or_give_up(eng, owner, row, settings, at, report, failure, code=exc.code)
    return True


def _retry_or_give_up(
    eng: Engine,
    owner: str,
    row: OutboxMessage,
    settings: Settings,
    at: datetime,
    report: DeliveryReport,
    failure: Failure,
    *,
    code: int | None,
    answers: list[DeliveryRecipient] | None = None,
) -> None:
    """Queue a temporarily failed message again with backoff, or fail it for good after
    ``outbox_give_up_hours``."""
    assert row.id is not None
    if at >= row.created_at + timedelta(hours=settings.outbox_give_up_hours):
        failure.reply = f"gave up after {row.attempts} attempts: {failure.reply}"
        _finish(
            eng, row.id, owner, at,
            state=Q.FAILED, outcome="temporary", code=code, reply=failure.reply,
            answers=answers,
        )  # fmt: skip
        report.failed.append(failure)
    else:
        _finish(
            eng, row.id, owner, at,
            state=Q.QUEUED, outcome="temporary", code=code, reply=failure.reply,
            next_attempt_at=at + backoff(row.attempts, settings), answers=answers,
        )  # fmt: skip
        report.retrying += 1


def deliver_due(
    settings: Settings,
    *,
    db: Database,
    now: datetime | None = None,
    limit: int | None = None,
    transport: Transport | None = None,
) -> DeliveryReport:
    """Send every message that is due (at most ``limit``) and report what happened.

    ``now`` fixes the clock for the whole run (tests move it forward instead of
    sleeping); ``transport`` replaces the configured one. See the module docstring for
    the states, the retry policy and what happens to a row found in "sending".
    An unexpected error from the transport propagates and leaves its row in "sending";
    the next run resends it. A transport misconfiguration raises ``ValueError`` before
    anything is claimed.
    """
    eng = db.require_current()
    own_transport = transport is None
    transport = transport or make_transport(settings)
    report = DeliveryReport()
    lock = _RelayLock(eng)
    if not lock.acquire():
        report.busy = True
        return report
    try:
        report.recovered = _recover(eng, lock, now or utcnow())
        in_a_row = handled = 0
        while limit is None or handled < limit:
            row = _claim(eng, lock.owner, now or utcnow())
            if row is None:
                break
            handled += 1
            temporary = _send_one(db, eng, lock.owner, row, transport, settings, now, report)
            # A success or a permanent failure means the server answers: start counting again.
            in_a_row = in_a_row + 1 if temporary else 0
            if in_a_row >= settings.outbox_breaker_threshold:
                report.breaker_open = True
                log.warning("outbox: %d temporary failures in a row, stopping this run", in_a_row)
                break
    finally:
        if own_transport:
            transport.close()
        lock.release()
    return report
