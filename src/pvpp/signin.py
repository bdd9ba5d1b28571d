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

Every link issued and used is in the audit log, with where the request came from.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, func, select

from pvpp import audit
from pvpp.clock import LOCAL_ZONE
from pvpp.errors import PvppError
from pvpp.i18n import day, t
from pvpp.mail.compose import queue_signin
from pvpp.settings import Settings
from pvpp.store.models import Institution, SigninToken, Team, TeamMember, id_of

__all__ = [
    "HEAD",
    "LEAD",
    "PATH",
    "ROLES",
    "TEAM",
    "Issued",
    "Person",
    "SigninError",
    "check",
    "consume",
    "digest",
    "issue",
    "link_url",
    "people_with_email",
    "person_of",
    "request_links",
    "tokens_in",
]

TEAM, LEAD, HEAD = "team", "lead", "head"
ROLES = (TEAM, LEAD, HEAD)
PATH = "/signin/"
TOKEN_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class SigninError(PvppError):
    """A sign-in link that cannot be used; the message is in the reader's language and
    ``reason`` says why: unknown | used | expired | gone (the person is no longer on the
    team or no longer the head)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


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
    if member_id is None:
        same = inst.head_email.strip().lower() == email.strip().lower()
        return _head_person(inst) if same else None
    member = session.get(TeamMember, member_id)
    if member is None or not member.active:
        return None
    team = session.get(Team, member.team_id)
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
    to the form is the same either way). A person who was sent a link within
    ``signin_resend_minutes`` that is still unused gets no new one."""
    since = now - timedelta(minutes=settings.signin_resend_minutes)
    queued = 0
    for person in people_with_email(session, email):
        if settings.signin_resend_minutes and _recently_issued(session, person, since):
            continue
        issued = issue(session, person, now=now, settings=settings, actor="request")
        inst = session.get(Institution, person.institution_id)
        assert inst is not None  # the person was found through it
        queue_signin(
            session, institution=inst, token_id=id_of(issued.row),
            person=(person.name, person.email), role=person.role, url=issued.url,
            expires=_local(issued.expires_at, lang), lang=lang, settings=settings,
        )  # fmt: skip
        queued += 1
    audit.record(
        session, actor="anonymous", action="signin.request", entity="signin", key="-",
        queued=queued, **where,
    )  # fmt: skip
    return queued


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
