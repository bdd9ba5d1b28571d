"""Tokens of the read-only API (``/api/v1``, docs/api.md), held by console accounts.

``pvpp user token add`` makes one for an account (:func:`add_token`) and prints it once;
the store keeps its SHA-256 and a readable prefix (:class:`~pvpp.store.models.ApiToken`),
so a copy of the database opens nothing. A token carries a scope, the account's role or a
narrower one, and an expiry (:data:`pvpp.token_rules.DEFAULT_DAYS` days, at most
:data:`~pvpp.token_rules.MAX_DAYS`); it is revoked, never deleted (:func:`revoke_token`).

Each API request presents one (``Authorization: Bearer pvpp_…``): :func:`authenticate`
finds it by its hash and says who calls and what they may do, or why not (unknown,
revoked, expired, the account disabled). Its last use is written at most once a minute
(:func:`record_use`). Making and revoking are in the audit log (``api_token.*``); the rules
themselves are :mod:`pvpp.token_rules`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.access import ROLES
from pvpp.accounts import account_by_email
from pvpp.errors import PvppError
from pvpp.store.models import ApiToken, ConsoleAccount, id_of
from pvpp.token_rules import (
    DEFAULT_DAYS,
    LAST_USED_EVERY,
    MAX_DAYS,
    TOKEN_START,
    capabilities,
    digest,
    looks_like_token,
    prefix_of,
    scope_allowed,
    token_state,
    use_is_recorded,
)

__all__ = [
    "ApiCaller",
    "ApiTokenError",
    "NewToken",
    "TokenRefused",
    "add_token",
    "authenticate",
    "record_use",
    "revoke_token",
    "tokens",
]

MAX_NAME = 100


class ApiTokenError(PvppError):
    """A token that cannot be made or revoked as asked; the message says why and what to
    do."""


class TokenRefused(PvppError):
    """A token that opens nothing: ``reason`` is ``missing``, ``unknown``, ``revoked``,
    ``expired`` or ``disabled``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class NewToken:
    """A token just made: ``token`` is shown once (the store keeps its hash)."""

    row: ApiToken
    token: str
    email: str


@dataclass(frozen=True)
class ApiCaller:
    """Who calls the API with a token, and what they may do."""

    token_id: int
    prefix: str
    name: str
    email: str
    role: str  # the token's scope
    capabilities: frozenset[str]
    expires_at: datetime
    last_used_at: datetime | None

    def may(self, capability: str) -> bool:
        """Whether the token may do ``capability`` (:mod:`pvpp.access`)."""
        return capability in self.capabilities


def _clean_name(name: str) -> str:
    shown = name.strip()
    if len(shown) > MAX_NAME or any(ord(ch) < 32 or ord(ch) == 127 for ch in shown):
        raise ApiTokenError(
            f"a token's name is one line of at most {MAX_NAME} characters (what uses it)"
        )
    return shown


def add_token(
    session: Session,
    email: str,
    *,
    now: datetime,
    actor: str,
    days: int = DEFAULT_DAYS,
    name: str = "",
    role: str | None = None,
) -> NewToken:
    """A new token for the console account of ``email``, valid ``days`` days, of scope
    ``role`` (default: the account's role; a narrower one may be given). Refused: no such
    account, a disabled one, an unknown or wider scope, a lifetime outside 1–366 days."""
    account = account_by_email(session, email)
    if account is None:
        raise ApiTokenError(f"there is no console account {email.strip()!r} (`pvpp user list`)")
    if account.disabled:
        raise ApiTokenError(f"{account.email} is disabled: enable it first (`pvpp user enable`)")
    scope = role or account.role
    if scope not in ROLES:
        raise ApiTokenError(f"unknown role {scope!r}: choose one of {', '.join(ROLES)}")
    if not scope_allowed(scope, account.role):
        raise ApiTokenError(
            f"{account.email} has the role {account.role}: a token may have that role or a "
            f"narrower one, not {scope}"
        )
    if not 1 <= days <= MAX_DAYS:
        raise ApiTokenError(f"a token lasts 1 to {MAX_DAYS} days, not {days}")
    label = _clean_name(name)
    while True:  # a prefix taken already (one chance in 10^14): draw again
        token = TOKEN_START + secrets.token_urlsafe(32)
        taken = session.exec(select(ApiToken.id).where(ApiToken.prefix == prefix_of(token)))
        if taken.first() is None:
            break
    row = ApiToken(
        token_sha256=digest(token), prefix=prefix_of(token), account_id=id_of(account),
        name=label, role=scope, created_at=now, created_by=actor[:100],
        expires_at=now + timedelta(days=days),
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, actor=actor[:100], action="api_token.add", entity="api_token", key=row.prefix,
        account=account.email, role=scope, name=label, expires_at=row.expires_at.isoformat(),
    )  # fmt: skip
    return NewToken(row, token, account.email)


def tokens(session: Session, email: str | None = None) -> list[tuple[ApiToken, ConsoleAccount]]:
    """Every token (of the account of ``email``, when given) with its account, newest
    first."""
    query = select(ApiToken, ConsoleAccount).join(
        ConsoleAccount, col(ApiToken.account_id) == ConsoleAccount.id
    )
    if email is not None:
        account = account_by_email(session, email)
        if account is None:
            raise ApiTokenError(f"there is no console account {email.strip()!r}")
        query = query.where(ApiToken.account_id == account.id)
    rows = session.exec(query.order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc()))
    return [(token, account) for token, account in rows.all()]


def revoke_token(session: Session, prefix: str, *, now: datetime, actor: str) -> ApiToken:
    """Revoke the token named by its ``prefix`` (as ``pvpp user token list`` shows it, or
    the whole token): it opens nothing from then on."""
    text = prefix.strip()
    wanted = prefix_of(text) if looks_like_token(text) else text
    row = session.exec(select(ApiToken).where(ApiToken.prefix == wanted)).first()
    if row is None or (looks_like_token(text) and row.token_sha256 != digest(text)):
        raise ApiTokenError(f"there is no token {wanted!r} (`pvpp user token list`)")
    if row.revoked_at is not None:
        raise ApiTokenError(f"token {row.prefix} was revoked already, on {row.revoked_at:%Y-%m-%d}")
    row.revoked_at, row.revoked_by = now, actor[:100]
    session.add(row)
    audit.record(session, actor=actor[:100], action="api_token.revoke", entity="api_token",
                 key=row.prefix, name=row.name)  # fmt: skip
    return row


_MESSAGES = {
    "missing": "send a token: Authorization: Bearer pvpp_…",
    "unknown": "the token is not known",
    "revoked": "the token was revoked",
    "expired": "the token has expired",
    "disabled": "the token's console account is disabled",
}


def _refused(reason: str) -> TokenRefused:
    return TokenRefused(reason, _MESSAGES[reason])


def authenticate(session: Session, token: str | None, *, now: datetime) -> ApiCaller:
    """The caller a token presented at ``now`` stands for; :class:`TokenRefused` when it
    opens nothing (absent or malformed, unknown, revoked, expired, its account disabled).
    One statement; it writes nothing (see :func:`record_use`)."""
    if not token:
        raise _refused("missing")
    if not looks_like_token(token):
        raise _refused("unknown")
    found = session.exec(
        select(ApiToken, ConsoleAccount)
        .join(ConsoleAccount, col(ApiToken.account_id) == ConsoleAccount.id)
        .where(ApiToken.token_sha256 == digest(token))
    ).first()
    if found is None:
        raise _refused("unknown")
    row, account = found
    state = token_state(revoked_at=row.revoked_at, expires_at=row.expires_at,
                        account_disabled=account.disabled, now=now)  # fmt: skip
    if state != "active":
        raise _refused(state)
    return ApiCaller(
        token_id=id_of(row), prefix=row.prefix, name=row.name, email=account.email,
        role=row.role, capabilities=capabilities(row.role, account.role),
        expires_at=row.expires_at, last_used_at=row.last_used_at,
    )  # fmt: skip


def record_use(session: Session, caller: ApiCaller, *, now: datetime, ip: str) -> bool:
    """Write ``now`` (and the client's address) as the token's last use when it is due
    (:func:`pvpp.token_rules.use_is_recorded`); whether it was written. The update is
    conditional, so several processes serving the same token at once write it once."""
    if not use_is_recorded(caller.last_used_at, now):
        return False
    done = session.exec(
        update(ApiToken)
        .where(
            col(ApiToken.id) == caller.token_id,
            or_(
                col(ApiToken.last_used_at).is_(None),
                col(ApiToken.last_used_at) <= now - LAST_USED_EVERY,
            ),
        )
        .values(last_used_at=now, last_used_ip=ip[:45])
    )
    return bool(done.rowcount)
