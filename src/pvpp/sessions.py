"""Server-side sessions of the institution portal, and the CSRF token bound to them.

A session is opened when a person uses a sign-in link (:func:`open_session`). The browser
holds only the session id (32 random bytes) in a cookie; the store keeps its SHA-256 in a
:class:`~pvpp.store.models.WebSession` row with the person, the institution, the role, when
it began and was last used, and the browser's user agent and address. So every process
of the portal (several, on PostgreSQL) knows every session, and a copy of the database
opens none.

A session ends (the row is kept, with ``ended_at`` and ``end_reason``):

- ``signout``: the person signs out;
- ``idle``: no request for ``session_idle_minutes`` (30);
- ``expired``: ``session_hours`` (12) after signing in, however busy;
- ``replaced``: the same browser signed in again (a new id each time: a session id known
  before signing in is never the one used after);
- ``revoked``: the person is no longer on the team, or no longer the head.

Times come from the root's clock, never the machine's, so tests move a
:class:`~pvpp.clock.FixedClock` to see a session end.

CSRF: the token a form carries is an HMAC of the session id under the installation's key
(:func:`csrf_token`), checked on every state-changing request (:func:`csrf_ok`). Without a
session (the sign-in forms, an approval link opened without signing in) it is bound the
same way to a random per-browser value kept in its own cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.settings import Settings
from pvpp.signin import Person, person_from
from pvpp.store.models import Institution, Team, TeamMember, WebSession, id_of

__all__ = [
    "Looked",
    "Viewer",
    "csrf_ok",
    "csrf_token",
    "current",
    "digest",
    "end_session",
    "look",
    "new_secret",
    "open_session",
    "settle",
]

SID_BYTES = 32
CSRF_PURPOSE = b"pvpp-csrf-v1"
# last_seen_at is written at most this often: a page view is not a write each time.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person of a request, as the registry has them now."""

    session_id: int
    person: Person

    @property
    def institution_id(self) -> int:
        return self.person.institution_id

    @property
    def role(self) -> str:
        return self.person.role

    @property
    def actor(self) -> str:
        """How the audit log names them: their address."""
        return self.person.email[:100]


def new_secret() -> str:
    """A new random value for a cookie (a session id, a browser's CSRF binding)."""
    return secrets.token_urlsafe(SID_BYTES)


def digest(sid: str) -> str:
    """How the store keeps a session id (``WebSession.sid_sha256``): its SHA-256."""
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


_digest = digest


def open_session(
    session: Session,
    person: Person,
    *,
    now: datetime,
    where: Mapping[str, str],
    replaces: str | None = None,
) -> str:
    """A new session for ``person``; returns its id (for the cookie only). ``replaces``:
    the session id the browser held before, ended as ``replaced``."""
    if replaces:
        end_session(session, replaces, now=now, reason="replaced")
    sid = new_secret()
    row = WebSession(
        sid_sha256=_digest(sid),
        institution_id=person.institution_id,
        member_id=person.member_id,
        email=person.email,
        role=person.role,
        created_at=now,
        last_seen_at=now,
        user_agent=where.get("user_agent", "")[:300],
        ip=where.get("ip", "")[:45],
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=person.email[:100], action="session.open", entity="session",
        key=f"{person.institution_code}|{person.role}|{id_of(row)}", **where,
    )  # fmt: skip
    return sid


def _row(session: Session, sid: str) -> WebSession | None:
    if not sid or len(sid) > 100:
        return None
    return session.exec(select(WebSession).where(WebSession.sid_sha256 == _digest(sid))).first()


def _end(session: Session, row: WebSession, now: datetime, reason: str) -> None:
    row.ended_at, row.end_reason = now, reason
    session.add(row)
    audit.record(
        session, actor=row.email[:100], action=f"session.{reason}", entity="session",
        key=str(id_of(row)),
    )  # fmt: skip


#: The session, its institution, member and team in one statement (made once): every
#: request of a signed-in person asks, and each statement is a round trip to the database.
_LOOK_UP = (
    select(WebSession, Institution, TeamMember, Team)
    .outerjoin(Institution, col(Institution.id) == col(WebSession.institution_id))
    .outerjoin(TeamMember, col(TeamMember.id) == col(WebSession.member_id))
    .outerjoin(Team, col(Team.id) == col(TeamMember.team_id))
    .where(col(WebSession.sid_sha256) == bindparam("digest"))
)


def _look_up(session: Session, sid: str) -> tuple[WebSession, Person | None] | None:
    """Session ``sid`` and its person as the registry has them now (None: gone)."""
    if not sid or len(sid) > 100:
        return None
    found = session.exec(_LOOK_UP, params={"digest": _digest(sid)}).first()
    if found is None:
        return None
    row, inst, member, team = found
    return row, person_from(inst, member, team, row.institution_id, row.member_id, row.email)


def _ends(row: WebSession, person: Person | None, now: datetime, settings: Settings) -> str | None:
    """Why an open session ends now (``expired``, ``idle``, ``revoked``), or None."""
    if now - row.created_at >= timedelta(hours=settings.session_hours):
        return "expired"
    if now - row.last_seen_at >= timedelta(minutes=settings.session_idle_minutes):
        return "idle"
    return "revoked" if person is None else None


def current(session: Session, sid: str, *, now: datetime, settings: Settings) -> Viewer | None:
    """The person of session ``sid`` if it is still open; ends it (and returns None) when
    it has been idle too long, is too old, or its person is gone. Notes the request."""
    found = _look_up(session, sid)
    if found is None:
        return None
    return settle(session, found[0], found[1], now=now, settings=settings)


def settle(
    session: Session, row: WebSession, person: Person | None, *, now: datetime,
    settings: Settings,
) -> Viewer | None:  # fmt: skip
    """:func:`current` for a session row and its person already read in this transaction
    (with other rows, in one statement: :func:`pvpp.drafts.autosave`). Ends it when it has
    been idle too long, is too old or its person is gone; notes the request when the last
    one noted is :data:`TOUCH_EVERY` old (the idle timeout counts from that: a session
    ends between ``session_idle_minutes`` and that plus a minute after its last request)."""
    if row.ended_at is not None:
        return None
    reason = _ends(row, person, now, settings)
    if reason is not None or person is None:
        _end(session, row, now, reason or "revoked")
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return Viewer(id_of(row), person)


@dataclass(frozen=True)
class Looked:
    """What a read of a session found: its viewer (None: none), and whether that is all
    (``settled``); when not, the session is to be ended or its request noted, which
    :func:`current` does in a transaction that writes."""

    viewer: Viewer | None
    settled: bool


def look(session: Session, sid: str, *, now: datetime, settings: Settings) -> Looked:
    """:func:`current` without writing: most requests of a session need nothing written
    (its last request is noted at most every :data:`TOUCH_EVERY`), so they read it in
    one statement outside a transaction (:meth:`pvpp.store.db.Database.snapshot`)."""
    found = _look_up(session, sid)
    if found is None or found[0].ended_at is not None:
        return Looked(None, settled=True)
    row, person = found
    if person is None or _ends(row, person, now, settings) or now - row.last_seen_at >= TOUCH_EVERY:
        return Looked(None, settled=False)
    return Looked(Viewer(id_of(row), person), settled=True)


def end_session(session: Session, sid: str, *, now: datetime, reason: str = "signout") -> bool:
    """End session ``sid`` (sign-out); False when there was no open session."""
    row = _row(session, sid)
    if row is None or row.ended_at is not None:
        return False
    _end(session, row, now, reason)
    return True


def csrf_token(key: bytes, binding: str) -> str:
    """The token a form carries for ``binding`` (a session id, or the browser's value)."""
    mac = hmac.new(key, CSRF_PURPOSE + b"|" + binding.encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def csrf_ok(key: bytes, binding: str | None, token: str | None) -> bool:
    """Whether ``token`` is the one for ``binding`` (both present, compared in constant
    time)."""
    if not binding or not token:
        return False
    return hmac.compare_digest(csrf_token(key, binding), token)
