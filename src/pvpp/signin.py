"""Signing in to the institution portal: one-time links by email, for the people the
registry knows.

Who can sign in
    A *person* of an institution: an active member of its RV1 team (``TeamMember``; the
    lead signs in as ``lead``, the others as ``team``) or its head (the registry's
    ``head_email``, as ``head``). One address may be several people (the head of one
    institution and a team member of another): each is a person of their own, with their
    own link.

The link
    ``{public_url}/signin/{token}``; the token is 32 random bytes (URL-safe base64). The
    store keeps only its SHA-256 in a :class:`~pvpp.store.models.SigninToken` row with
    its expiry (``signin_link_hours``, 72 by default); a copy of the database opens
    nothing. The link works once: :func:`consume` marks it used in the same statement
    that checks it is unused and unexpired, so two clicks at once open one session.

Asking for a link
    :func:`request_links` takes an address typed into the sign-in form. Whether or not it
    belongs to anyone, the caller answers the same; when it does, each person with that
    address gets an email (kind ``signin``) through the outbox, at most one new link per
    person within ``signin_resend_minutes`` (so nobody can flood an inbox through the form).

Rate limits
    Counted in the store (:class:`~pvpp.store.models.SigninAttempt` rows), so every web
    process shares them, and decided by :func:`pvpp.throttle.retry_at`. Asking for a link:
    at most ``signin_address_per_hour`` requests per address (an HMAC of it under the
    installation's key is counted, not the address) and ``signin_client_per_hour`` per
    client (its IPv4 address or IPv6 /64); a request over either is answered as any other
    (the caller cannot tell), sends nothing, and is audited with ``limited``. Opening a
    link: a client that opened ``signin_guesses`` unknown links within
    ``signin_guess_minutes`` is refused every link (:class:`SigninLimited`, a 429 with the
    time to try again) until the window moves on; others are not affected.

Every link issued and used is in the audit log, with where the request came from.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, update
from sqlmodel import Session, col, func, select

from pvpp import audit, throttle
from pvpp.clock import LOCAL_ZONE
from pvpp.errors import PvppError
from pvpp.i18n import day, t
from pvpp.mail.compose import queue_signin
from pvpp.settings import Settings
from pvpp.store.db import Database
from pvpp.store.models import (
    Institution,
    SigninAttempt,
    SigninToken,
    Team,
    TeamMember,
    id_of,
)

__all__ = [
    "HEAD",
    "LEAD",
    "PATH",
    "ROLES",
    "TEAM",
    "Asked",
    "Issued",
    "Person",
    "SigninError",
    "SigninLimited",
    "address_key",
    "admit_link",
    "ask_links",
    "check",
    "consume",
    "digest",
    "issue",
    "link_url",
    "people_with_email",
    "person_from",
    "person_of",
    "request_links",
    "send_links",
    "tokens_in",
]

TEAM, LEAD, HEAD = "team", "lead", "head"
ROLES = (TEAM, LEAD, HEAD)
PATH = "/signin/"
TOKEN_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
ADDRESS_PURPOSE = b"pvpp-signin-address-v1"
# Kinds of SigninAttempt rows.
REQUEST, GUESS = "request", "guess"
# Counted rows are kept this long (longer than any window), then deleted.
KEEP_ATTEMPTS = timedelta(days=1)
HOUR = timedelta(hours=1)

log = logging.getLogger(__name__)


class SigninError(PvppError):
    """A sign-in link that cannot be used; the message is in the reader's language and
    ``reason`` says why: unknown | used | expired | gone (the person is no longer on the
    team or no longer the head)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class SigninLimited(PvppError):
    """Too many unknown sign-in links from this client: none is looked at until
    ``retry_at`` (``seconds`` from now, the ``Retry-After``); the message, in the reader's
    language, says when."""

    def __init__(self, retry_at: datetime, seconds: int, message: str) -> None:
        super().__init__(message)
        self.retry_at = retry_at
        self.seconds = seconds


@dataclass(frozen=True)
class Person:
    """Someone who may sign in for an institution, as the registry knows them now."""

    institution_id: int
    institution_code: str
    institution_name: str
    member_id: int | None  # None: the head
    name: str
    email: str
    role: str  # team | lead | head


@dataclass(frozen=True)
class Issued:
    """A link just issued (the token exists only here and in the email)."""

    token: str
    url: str
    expires_at: datetime
    row: SigninToken


def digest(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(public_url: str, token: str) -> str:
    """``{public_url}/signin/{token}``."""
    return f"{public_url.rstrip('/')}{PATH}{token}"


def tokens_in(body: str) -> list[str]:
    """Every sign-in token in an email body, in order (tests and the demo read the link a
    person received)."""
    found = re.findall(re.escape(PATH) + r"(" + _TOKEN.pattern + r")(?![A-Za-z0-9_-])", body)
    return list(dict.fromkeys(found))


def _same_address(column: Any, email: str) -> ColumnElement[bool]:
    """``column`` holds ``email``, whatever the case of its letters."""
    return func.lower(column) == email.strip().lower()


def people_with_email(session: Session, email: str) -> list[Person]:
    """Every person the address belongs to: active team members, then heads."""
    email = email.strip()
    if not email or "@" not in email:
        return []
    out = []
    members = session.exec(
        select(TeamMember, Institution)
        .join(Team, col(TeamMember.team_id) == col(Team.id))
        .join(Institution, col(Team.institution_id) == col(Institution.id))
        .where(_same_address(col(TeamMember.email), email), col(TeamMember.active).is_(True))
        .order_by(col(Institution.code))
    ).all()
    for member, inst in members:
        out.append(_member_person(member, inst))
    heads = session.exec(
        select(Institution)
        .where(_same_address(col(Institution.head_email), email))
        .order_by(col(Institution.code))
    ).all()
    out += [_head_person(inst) for inst in heads]
    return out


def _member_person(member: TeamMember, inst: Institution) -> Person:
    return Person(
        id_of(inst), inst.code, inst.name, id_of(member), member.name, member.email,
        LEAD if member.is_lead else TEAM,
    )  # fmt: skip


def _head_person(inst: Institution) -> Person:
    return Person(id_of(inst), inst.code, inst.name, None, inst.head_name, inst.head_email, HEAD)


def person_of(
    session: Session, institution_id: int, member_id: int | None, email: str
) -> Person | None:
    """The person a link or session was for, as the registry has them now: None when the
    member has left the team (or moved to another) or the address is no longer the head's.
    A member made lead (or no longer lead) gets their role of today."""
    inst = session.get(Institution, institution_id)
    if inst is None:
        return None
    member = session.get(TeamMember, member_id) if member_id is not None else None
    team = session.get(Team, member.team_id) if member is not None else None
    return person_from(inst, member, team, institution_id, member_id, email)


def person_from(
    inst: Institution | None,
    member: TeamMember | None,
    team: Team | None,
    institution_id: int,
    member_id: int | None,
    email: str,
) -> Person | None:
    """:func:`person_of` from the rows already read (the institution, the member and the
    member's team, each None when not found): a session's request reads them with its
    session row in one statement (:func:`pvpp.sessions.current`)."""
    if inst is None:
        return None
    if member_id is None:
        same = inst.head_email.strip().lower() == email.strip().lower()
        return _head_person(inst) if same else None
    if member is None or not member.active:
        return None
    if team is None or team.institution_id != institution_id:
        return None
    return _member_person(member, inst)


def issue(
    session: Session, person: Person, *, now: datetime, settings: Settings, actor: str
) -> Issued:
    """A new one-time link for ``person``, stored as its digest, valid for
    ``signin_link_hours`` from ``now``. Nothing is sent: :func:`request_links` queues the
    email; the demo prints the link."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + timedelta(hours=settings.signin_link_hours)
    row = SigninToken(
        token_sha256=digest(token),
        institution_id=person.institution_id,
        member_id=person.member_id,
        email=person.email,
        issued_at=now,
        expires_at=expires_at,
        issued_by=actor[:100],
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=actor[:100], action="signin.issue", entity="signin",
        key=f"{person.institution_code}|{person.role}|{id_of(row)}", email=person.email,
    )  # fmt: skip
    return Issued(token, link_url(settings.public_url, token), expires_at, row)


def _recently_issued(session: Session, person: Person, since: datetime) -> bool:
    found = session.exec(
        select(SigninToken.id).where(
            SigninToken.institution_id == person.institution_id,
            SigninToken.member_id == person.member_id
            if person.member_id is not None
            else col(SigninToken.member_id).is_(None),
            col(SigninToken.issued_at) > since,
            col(SigninToken.used_at).is_(None),
        )
    ).first()
    return found is not None


def _local(moment: datetime, lang: str) -> str:
    """A moment as the reader writes it: ``02.12.2026 15:00`` (lv), ``2 December 2026
    15:00`` (en), in Latvian time."""
    here = moment.astimezone(LOCAL_ZONE)
    return f"{day(here, lang)} {here:%H:%M}"


def address_key(email: str, key: bytes) -> str:
    """What a typed address is counted by: the HMAC-SHA256 (hex) of it, letters in lower
    case, under the installation's key (a copy of the table does not say who asked)."""
    text = email.strip().lower().encode("utf-8")
    return hmac.new(key, ADDRESS_PURPOSE + b"|" + text, hashlib.sha256).hexdigest()


def _moments(session: Session, since: datetime, *where: ColumnElement[bool]) -> list[datetime]:
    """The moments of the counted attempts after ``since`` that match ``where`` (at most a
    limit's worth: what is refused is not counted)."""
    return list(
        session.exec(select(SigninAttempt.at).where(col(SigninAttempt.at) > since, *where)).all()
    )


def _note(session: Session, row: SigninAttempt) -> None:
    """Store a counted attempt, and delete those too old to count for anything."""
    session.exec(delete(SigninAttempt).where(col(SigninAttempt.at) < row.at - KEEP_ATTEMPTS))
    session.add(row)
    session.flush()


def _request_limit(
    session: Session, client: str, address: str, now: datetime, settings: Settings
) -> str | None:
    """Which limit a request for a link is over: ``client``, ``address`` or None."""
    allowed = col(SigninAttempt.limited).is_(False), col(SigninAttempt.kind) == REQUEST
    per_client = throttle.Limit(settings.signin_client_per_hour, HOUR)
    moments = _moments(session, per_client.since(now), col(SigninAttempt.client) == client,
                       *allowed)  # fmt: skip
    if throttle.retry_at(moments, per_client, now) is not None:
        return "client"
    per_address = throttle.Limit(settings.signin_address_per_hour, HOUR)
    moments = _moments(session, per_address.since(now), col(SigninAttempt.address) == address,
                       *allowed)  # fmt: skip
    if throttle.retry_at(moments, per_address, now) is not None:
        return "address"
    return None


def request_links(
    session: Session,
    email: str,
    *,
    now: datetime,
    lang: str,
    settings: Settings,
    where: Mapping[str, str],
) -> int:
    """Queue a sign-in email to every person ``email`` belongs to (none for an address
    nobody has); returns how many were queued, which the caller must not show (the answer
    to the form is the same either way): :func:`ask_links`, then :func:`send_links` in the
    same transaction. The portal runs the two apart (the second after its answer is
    sent), so that its answer takes the same work whether the address exists or not."""
    asked = ask_links(session, email, now=now, settings=settings, where=where)
    return send_links(session, asked, lang=lang, settings=settings)


@dataclass(frozen=True)
class Asked:
    """A request for links, counted and audited (:func:`ask_links`): the people its address
    belongs to (none when over a limit) and when it was made."""

    people: tuple[Person, ...]
    now: datetime


def ask_links(
    session: Session,
    email: str,
    *,
    now: datetime,
    settings: Settings,
    where: Mapping[str, str],
) -> Asked:
    """The part of a request for links that decides: the limits (a request over the
    address's or the client's hourly limit, ``where["ip"]``, finds nobody and is audited as
    ``limited``), the attempt counted, the people of ``email`` found and the request
    audited. The same statements run whether or not the address is anybody's (nothing in
    its work depends on who it found): what differs, issuing and queueing the links, is
    :func:`send_links`'s."""
    client = throttle.client_key(where.get("ip", ""))
    address = address_key(email, settings.signing_key())
    limited = _request_limit(session, client, address, now, settings)
    _note(session, SigninAttempt(at=now, kind=REQUEST, client=client, address=address,
                                 limited=limited is not None))  # fmt: skip
    people = () if limited is not None else tuple(people_with_email(session, email))
    if limited is not None:
        # No address in the log: the audit entry (with where from) is the record.
        log.warning("sign-in request over the %s limit from %s: nothing sent", limited, client)
    audit.record(
        session, actor="anonymous", action="signin.request", entity="signin", key="-",
        found=len(people), **({"limited": limited} if limited is not None else {}), **where,
    )  # fmt: skip
    session.flush()
    return Asked(people, now)


def send_links(session: Session, asked: Asked, *, lang: str, settings: Settings) -> int:
    """Issue a link to each person of ``asked`` and queue its email; returns how many. A
    person who was sent a link within ``signin_resend_minutes`` that is still unused gets
    no new one."""
    since = asked.now - timedelta(minutes=settings.signin_resend_minutes)
    queued = 0
    for person in asked.people:
        if settings.signin_resend_minutes and _recently_issued(session, person, since):
            continue
        issued = issue(session, person, now=asked.now, settings=settings, actor="request")
        inst = session.get(Institution, person.institution_id)
        assert inst is not None  # the person was found through it
        queue_signin(
            session, institution=inst, token_id=id_of(issued.row),
            person=(person.name, person.email), role=person.role, url=issued.url,
            expires=_local(issued.expires_at, lang), lang=lang, settings=settings,
        )  # fmt: skip
        queued += 1
    return queued


def send_asked(db: Database, asked: Asked, *, lang: str, settings: Settings) -> int:
    """:func:`send_links` in a transaction of its own, for after the answer has gone (the
    person has been told "sent" already, so nothing can be shown to them): a failure is
    logged and put in the audit log (how many people it concerned, not who), never
    raised into the web server. Returns how many links were queued (0 on a failure)."""
    try:
        with db.unit_of_work() as session:
            return send_links(session, asked, lang=lang, settings=settings)
    except Exception as exc:  # reported here: the request has ended
        log.exception("sign-in links not sent (%d people)", len(asked.people))
        try:
            with db.unit_of_work() as session:
                audit.record(session, actor="request", action="signin.send_failed",
                             entity="signin", key="", people=len(asked.people),
                             error=type(exc).__name__)  # fmt: skip
        except Exception:  # the store itself may be what failed
            log.exception("the failure to send sign-in links could not be audited")
        return 0


def _row(session: Session, token: str, lang: str) -> SigninToken:
    row = None
    if _TOKEN.fullmatch(token):
        row = session.exec(
            select(SigninToken).where(SigninToken.token_sha256 == digest(token))
        ).first()
    if row is None:
        raise SigninError("unknown", t("web.signin.error.unknown", lang))
    return row


def check(session: Session, token: str, *, now: datetime, lang: str) -> Person:
    """The person a link is for, if it can still be used; otherwise :class:`SigninError`
    in ``lang``. Records nothing (the confirmation page asks this before the POST)."""
    row = _row(session, token, lang)
    if row.used_at is not None:
        raise SigninError("used", t("web.signin.error.used", lang, on=_local(row.used_at, lang)))
    if now >= row.expires_at:
        raise SigninError(
            "expired", t("web.signin.error.expired", lang, on=_local(row.expires_at, lang))
        )
    person = person_of(session, row.institution_id, row.member_id, row.email)
    if person is None:
        raise SigninError("gone", t("web.signin.error.gone", lang))
    return person


def _guess_limit(session: Session, client: str, now: datetime, settings: Settings,
                 lang: str) -> None:  # fmt: skip
    limit = throttle.Limit(
        settings.signin_guesses, timedelta(minutes=settings.signin_guess_minutes)
    )
    moments = _moments(session, limit.since(now), col(SigninAttempt.kind) == GUESS,
                       col(SigninAttempt.client) == client)  # fmt: skip
    until = throttle.retry_at(moments, limit, now)
    if until is not None:
        log.warning("sign-in links refused to %s until %s: too many unknown links", client,
                    until.isoformat())  # fmt: skip
        raise SigninLimited(
            until, throttle.seconds_until(until, now),
            t("web.signin.error.limited", lang, at=_local(until, lang)),
        )  # fmt: skip


def admit_link(
    db: Database, token: str, *, client_ip: str, now: datetime, lang: str, settings: Settings
) -> Person:
    """The person a link is for (as :func:`check`), unless the client (``client_ip``) has
    opened too many unknown links lately: then :class:`SigninLimited`, whatever the link.
    An unknown link is counted against its client (in its own transaction, kept although
    the lookup fails) and raises :class:`SigninError` as :func:`check` does."""
    client = throttle.client_key(client_ip)
    failed: SigninError | None = None
    with db.unit_of_work() as session:
        _guess_limit(session, client, now, settings, lang)
        try:
            return check(session, token, now=now, lang=lang)
        except SigninError as exc:
            if exc.reason != "unknown":
                raise
            failed = exc
            _note(session, SigninAttempt(at=now, kind=GUESS, client=client))
    raise failed


def consume(
    session: Session, token: str, *, now: datetime, lang: str, where: Mapping[str, str]
) -> Person:
    """Use a link once: the person it is for (as :func:`check`), with the link marked used
    by one conditional update, so of two requests at once only one signs in."""
    person = check(session, token, now=now, lang=lang)
    taken = session.exec(
        update(SigninToken)
        .where(
            col(SigninToken.token_sha256) == digest(token),
            col(SigninToken.used_at).is_(None),
            col(SigninToken.expires_at) > now,
        )
        .values(used_at=now)
    )
    if taken.rowcount != 1:
        raise SigninError("used", t("web.signin.error.used", lang, on=_local(now, lang)))
    audit.record(
        session, actor=person.email[:100], action="signin.use", entity="signin",
        key=f"{person.institution_code}|{person.role}", **where,
    )  # fmt: skip
    return person
