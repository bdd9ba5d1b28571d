"""Signing in to the ministry's console, and its sessions.

Two steps, each a form (``/console/signin``, then ``/console/signin/code``):

1. **Address and password** (:func:`check_password_step`). An unknown address, a wrong
   password, a disabled account and a locked one get the same answer
   (:class:`ConsoleSigninFailed`, one message), after the same work (argon2 runs against a
   stand-in hash when there is no account): the page never says which addresses have
   accounts. A right password opens a *pending* session
   (:class:`~pvpp.store.models.ConsoleSession` with no ``verified_at``) that only the
   second step accepts, for ``console_code_minutes``.
2. **The TOTP code** (:func:`check_code_step`): a code of the current 30-second step or one
   either side, never one of a step already used for the account (so a code seen over a
   shoulder does not work again). Then the session is verified and gets a new id (an id
   known before the second factor is never the one used after it).

Failures:

- the account's lock-out (:func:`pvpp.access.after_failure`): a wrong password or a wrong
  code counts; ``console_lockout_failures`` in a row lock the account for
  ``console_lockout_minutes``. Only a complete sign-in (password and code) sets the count
  back to 0, so a known password does not buy endless guesses at the code;
- rate limits (:mod:`pvpp.throttle`) on the failures counted in the store
  (:class:`~pvpp.store.models.SigninAttempt`, kind ``console``): per client (IPv4 address,
  IPv6 /64) and per typed address (its HMAC, whether or not it has an account), each per
  hour. Over either, :class:`pvpp.signin.SigninLimited` (429 with the time to try again)
  before any password is checked.

Another first step may open the pending session: an OpenID Connect provider's verified
address (:mod:`pvpp.console_oidc`, :func:`start_pending`, method ``oidc``); when the
provider did a second factor the settings accept, the session starts verified
(:func:`start_verified`).

Sessions end (the row kept, ``ended_at`` and ``end_reason``): ``signout``, ``idle``
(``console_session_idle_minutes``), ``expired`` (``console_session_hours``), ``replaced``
(the browser signed in again), ``revoked`` (the account disabled, given a new password or
second factor), ``abandoned`` (a pending one whose code never came, or a new one began).
Every step is in the audit log with where the request came from.

The console's sessions are not the portal's (:mod:`pvpp.sessions`): their own table and
cookie, so an institution's session opens no console page and a console session no
institution page.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from pvpp import audit, throttle
from pvpp.access import Lockout, after_failure, candidate_steps, is_locked, step_is_fresh
from pvpp.accounts import check_password, totp_of
from pvpp.clock import LOCAL_ZONE
from pvpp.errors import PvppError
from pvpp.i18n import day, t
from pvpp.sessions import new_secret
from pvpp.settings import Settings
from pvpp.signin import SigninLimited, address_key
from pvpp.store.db import Database
from pvpp.store.models import ConsoleAccount, ConsoleSession, SigninAttempt, id_of

__all__ = [
    "ConsoleCodeRefused",
    "ConsolePerson",
    "ConsoleSigninFailed",
    "check_code_step",
    "check_limits",
    "check_password_step",
    "count_failure",
    "current",
    "end_session",
    "pending",
    "start_pending",
    "start_verified",
]

ATTEMPT_KIND = "console"
HOUR = timedelta(hours=1)
KEEP_ATTEMPTS = timedelta(days=1)
TOUCH_EVERY = timedelta(seconds=60)
_CODE = re.compile(r"[0-9]{6}")


class ConsoleSigninFailed(PvppError):
    """The first step failed, or the sign-in cannot go on: one message whatever the reason
    (``reason``, for the audit log only: unknown | password | disabled | locked |
    expired)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ConsoleCodeRefused(PvppError):
    """The code was wrong (``reason`` ``wrong``, or ``reused``: of a step already used);
    the pending sign-in goes on unless the failure locked the account (then
    :class:`ConsoleSigninFailed`)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ConsolePerson:
    """The signed-in person of a console request, as their account is now."""

    session_id: int
    account_id: int
    email: str
    name: str
    role: str

    @property
    def actor(self) -> str:
        """How the audit log names them: their address."""
        return self.email[:100]


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def _policy(settings: Settings) -> Lockout:
    return Lockout(settings.console_lockout_failures,
                   timedelta(minutes=settings.console_lockout_minutes))  # fmt: skip


def check_limits(
    session: Session, client: str, address: str | None, now: datetime, settings: Settings,
    lang: str,
) -> None:  # fmt: skip
    """:class:`SigninLimited` when the client's or the address's (unless None) failures
    this hour are at their limit."""
    kind = col(SigninAttempt.kind) == ATTEMPT_KIND
    limits = (
        (throttle.Limit(settings.console_client_failures_per_hour, HOUR),
         col(SigninAttempt.client) == client),
        (throttle.Limit(settings.console_address_failures_per_hour, HOUR),
         col(SigninAttempt.address) == address),
    )  # fmt: skip
    for limit, which in limits if address is not None else limits[:1]:
        moments = session.exec(
            select(SigninAttempt.at).where(col(SigninAttempt.at) > limit.since(now), kind, which)
        ).all()
        until = throttle.retry_at(moments, limit, now)
        if until is not None:
            at = f"{day(until.astimezone(LOCAL_ZONE), lang)} {until.astimezone(LOCAL_ZONE):%H:%M}"
            seconds = throttle.seconds_until(until, now)
            raise SigninLimited(until, seconds, t("console.signin.limited", lang, at=at))


def count_failure(session: Session, now: datetime, client: str, address: str) -> None:
    """Count one failed sign-in of ``client`` with ``address`` (an HMAC, or ``""``)."""
    session.exec(delete(SigninAttempt).where(col(SigninAttempt.at) < now - KEEP_ATTEMPTS))
    session.add(SigninAttempt(at=now, kind=ATTEMPT_KIND, client=client, address=address))


def _account_of(session: Session, email: str) -> ConsoleAccount | None:
    text = email.strip().lower()
    if not text or len(text) > 254:
        return None
    return session.exec(select(ConsoleAccount).where(ConsoleAccount.email == text)).first()


def _fail(account: ConsoleAccount, now: datetime, settings: Settings) -> bool:
    """Count one failure on the account; True when it is locked by it."""
    account.failed, until = after_failure(account.failed, now, _policy(settings))
    if until is not None:
        account.locked_until = until
    return until is not None


def check_password_step(
    db: Database,
    email: str,
    password: str,
    *,
    now: datetime,
    settings: Settings,
    lang: str,
    where: Mapping[str, str],
) -> str:
    """The first step: the id of a new pending session for the account of ``email``
    when ``password`` is its password and the account may sign in; otherwise
    :class:`ConsoleSigninFailed` with the one message (the failure counted and audited),
    or :class:`SigninLimited` over a rate limit."""
    client = throttle.client_key(where.get("ip", ""))
    address = address_key(email, settings.signing_key())
    failed: ConsoleSigninFailed | None = None
    sid = ""
    with db.unit_of_work() as session:
        check_limits(session, client, address, now, settings, lang)
        account = _account_of(session, email)
        right = check_password(account, password)  # also when there is no account
        reason = (
            "unknown" if account is None
            else "disabled" if account.disabled
            else "locked" if is_locked(account.locked_until, now)
            else "password" if not right
            else ""
        )  # fmt: skip
        if reason:
            count_failure(session, now, client, address)
            if account is not None and reason == "password":
                _fail(account, now, settings)
                session.add(account)
            audit.record(
                session, actor=account.email if account else "anonymous",
                action="console.signin.password", entity="console", key="-", outcome="failed",
                reason=reason, **where,
            )  # fmt: skip
            failed = ConsoleSigninFailed(reason, t("console.signin.failed", lang))
        else:
            assert account is not None
            session.add(account)  # a password hash made again with today's parameters
            row = ConsoleSession(
                sid_sha256="", account_id=id_of(account), created_at=now, last_seen_at=now,
                user_agent=where.get("user_agent", "")[:300], ip=where.get("ip", "")[:45],
            )  # fmt: skip
            sid = _new_sid(row)
            session.add(row)
            audit.record(
                session, actor=account.email, action="console.signin.password", entity="console",
                key=account.email, outcome="ok", **where,
            )  # fmt: skip
    if failed is not None:
        raise failed
    return sid


def _new_sid(row: ConsoleSession) -> str:
    sid = new_secret()
    row.sid_sha256 = _digest(sid)
    return sid


def _row(session: Session, sid: str | None) -> ConsoleSession | None:
    if not sid or len(sid) > 100:
        return None
    return session.exec(
        select(ConsoleSession).where(ConsoleSession.sid_sha256 == _digest(sid))
    ).first()


def pending(session: Session, sid: str | None, *, now: datetime, settings: Settings) -> bool:
    """Whether ``sid`` is a pending sign-in still waiting for its code (an expired one is
    ended as ``abandoned``)."""
    row = _row(session, sid)
    if row is None or row.ended_at is not None or row.verified_at is not None:
        return False
    if now - row.created_at >= timedelta(minutes=settings.console_code_minutes):
        _end(session, row, now, "abandoned")
        return False
    return True


def _matched_step(account: ConsoleAccount, code: str, now: datetime, key: bytes) -> int | None:
    """The time step ``code`` is the account's code of (now or one either side), or
    None."""
    totp = totp_of(account, key)
    now_step = totp.timecode(now)
    for step in candidate_steps(now_step):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_code_step(
    db: Database,
    pending_sid: str,
    code: str,
    *,
    now: datetime,
    settings: Settings,
    lang: str,
    where: Mapping[str, str],
    replaces: str | None = None,
) -> tuple[str, ConsolePerson]:
    """The second step: with the right, unused code the pending session ``pending_sid`` is
    verified under a new id (returned, with the person) and ``replaces`` (the console
    session the browser held) is ended. A wrong or reused code: :class:`ConsoleCodeRefused`
    (counted on the account and the client); one that locks the account, a pending sign-in
    too old or gone, an account disabled or locked meanwhile: :class:`ConsoleSigninFailed`
    (start again); :class:`SigninLimited` over the client's limit."""
    client = throttle.client_key(where.get("ip", ""))
    typed = re.sub(r"\s+", "", code)
    error: PvppError | None = None
    done: tuple[str, ConsolePerson] | None = None
    with db.unit_of_work() as session:
        row = _row(session, pending_sid)
        alive = pending(session, pending_sid, now=now, settings=settings)
        account = session.get(ConsoleAccount, row.account_id) if row is not None else None
        address = address_key(account.email if account else "", settings.signing_key())
        check_limits(session, client, address, now, settings, lang)
        if not alive or row is None or account is None:
            error = ConsoleSigninFailed("expired", t("console.signin.expired", lang))
        elif account.disabled or is_locked(account.locked_until, now):
            _end(session, row, now, "abandoned")
            error = ConsoleSigninFailed("locked", t("console.signin.failed", lang))
        else:
            step = _matched_step(account, typed, now, settings.signing_key()) if _CODE.fullmatch(
                typed) else None  # fmt: skip
            fresh = step is not None and step_is_fresh(step, [account.totp_step])
            if step is not None and fresh:
                account.totp_step, account.failed, account.locked_until = step, 0, None
                session.add(account)
                if replaces and replaces != pending_sid:
                    end_session(session, replaces, now=now, reason="replaced")
                sid = _new_sid(row)
                row.verified_at = row.last_seen_at = now
                session.add(row)
                audit.record(
                    session, actor=account.email, action="console.signin", entity="console",
                    key=account.email, outcome="ok", method=row.method, session_id=id_of(row),
                    **where,
                )  # fmt: skip
                done = sid, _person(row, account)
            else:
                reason = "reused" if step is not None else "wrong"
                count_failure(session, now, client, address)
                locked = _fail(account, now, settings)
                session.add(account)
                audit.record(
                    session, actor=account.email, action="console.signin.code", entity="console",
                    key=account.email, outcome="failed", reason=reason, locked=locked, **where,
                )  # fmt: skip
                if locked:
                    _end(session, row, now, "abandoned")
                    error = ConsoleSigninFailed("locked", t("console.signin.failed", lang))
                else:
                    error = ConsoleCodeRefused(reason, t(f"console.code.{reason}", lang))
    if error is not None or done is None:
        raise error or ConsoleSigninFailed("expired", t("console.signin.expired", lang))
    return done


def start_pending(
    session: Session, account: ConsoleAccount, *, now: datetime, where: Mapping[str, str],
    method: str,
) -> str:  # fmt: skip
    """A pending session for ``account`` whose first step was done another way (``method``
    ``oidc``), waiting for the code step (:func:`check_code_step`); returns its id."""
    row = ConsoleSession(
        sid_sha256="", account_id=id_of(account), method=method, created_at=now,
        last_seen_at=now, user_agent=where.get("user_agent", "")[:300],
        ip=where.get("ip", "")[:45],
    )  # fmt: skip
    sid = _new_sid(row)
    session.add(row)
    return sid


def start_verified(
    session: Session, account: ConsoleAccount, *, now: datetime, where: Mapping[str, str],
    method: str, replaces: str | None = None,
) -> tuple[str, ConsolePerson]:  # fmt: skip
    """A verified session for ``account`` signed in completely another way (``oidc`` with
    the provider's own second factor), ending ``replaces`` (the console session the browser
    held); returns its id and the person. A complete sign-in sets the account's failures
    back, as the code step does."""
    if replaces:
        end_session(session, replaces, now=now, reason="replaced")
    row = ConsoleSession(
        sid_sha256="", account_id=id_of(account), method=method, created_at=now,
        verified_at=now, last_seen_at=now, user_agent=where.get("user_agent", "")[:300],
        ip=where.get("ip", "")[:45],
    )  # fmt: skip
    sid = _new_sid(row)
    session.add(row)
    account.failed, account.locked_until = 0, None
    session.add(account)
    session.flush()
    audit.record(session, actor=account.email, action="console.signin", entity="console",
                 key=account.email, outcome="ok", method=method, session_id=id_of(row),
                 **where)  # fmt: skip
    return sid, _person(row, account)


def _person(row: ConsoleSession, account: ConsoleAccount) -> ConsolePerson:
    return ConsolePerson(id_of(row), id_of(account), account.email, account.name, account.role)


def _end(session: Session, row: ConsoleSession, now: datetime, reason: str) -> None:
    row.ended_at, row.end_reason = now, reason
    session.add(row)
    account = session.get(ConsoleAccount, row.account_id)
    audit.record(
        session, actor=account.email if account else "-", action=f"console.session.{reason}",
        entity="console", key=str(id_of(row)),
    )  # fmt: skip


def current(
    session: Session, sid: str | None, *, now: datetime, settings: Settings
) -> ConsolePerson | None:
    """The person of verified session ``sid`` if it is still open; ends it (and returns
    None) when it has been idle too long, is too old, or its account is disabled. A pending
    session is nobody yet (None, left as it is). Notes the request."""
    row = _row(session, sid)
    if row is None or row.ended_at is not None or row.verified_at is None:
        return None
    if now - row.verified_at >= timedelta(hours=settings.console_session_hours):
        _end(session, row, now, "expired")
        return None
    if now - row.last_seen_at >= timedelta(minutes=settings.console_session_idle_minutes):
        _end(session, row, now, "idle")
        return None
    account = session.get(ConsoleAccount, row.account_id)
    if account is None or account.disabled:
        _end(session, row, now, "revoked")
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return _person(row, account)


def end_session(session: Session, sid: str, *, now: datetime, reason: str = "signout") -> bool:
    """End console session ``sid`` (sign-out); False when there was no open session."""
    row = _row(session, sid)
    if row is None or row.ended_at is not None:
        return False
    _end(session, row, now, reason)
    return True
