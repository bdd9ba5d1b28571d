"""The API's tokens as pure rules: their shape, what is stored of them, whether one may be
used now, what it may do, and when its use is recorded.

A token is ``pvpp_`` followed by 43 URL-safe characters (32 random bytes, made by
:func:`pvpp.api_tokens.add_token`). The store keeps its SHA-256 and a readable prefix (the
first :data:`PREFIX_LENGTH` characters) that names it in lists and in ``pvpp user token
revoke``; the prefix alone opens nothing.

A token belongs to a console account (:mod:`pvpp.accounts`) and carries a role of
:mod:`pvpp.access` (its scope): the account's own or a narrower one. What it may do is what
both the scope and the account's role allow (:func:`capabilities`), so a token never does
more than its person could on the console's pages.

Nothing here reads a clock or a database: the service hands in "now" and the stored values;
``tests/core/test_token_rules.py`` uses plain values.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from pvpp.access import CAPABILITIES

__all__ = [
    "DEFAULT_DAYS",
    "LAST_USED_EVERY",
    "MAX_DAYS",
    "PREFIX_LENGTH",
    "TOKEN_START",
    "capabilities",
    "digest",
    "looks_like_token",
    "prefix_of",
    "scope_allowed",
    "token_state",
    "use_is_recorded",
]

#: What every token starts with: a secret scanner (and a person) recognises one.
TOKEN_START = "pvpp_"
#: ``pvpp_`` and eight random characters: readable, and unique enough to name a token.
PREFIX_LENGTH = 13
#: 32 random bytes in URL-safe base64, without padding.
_SHAPE = re.compile(r"pvpp_[A-Za-z0-9_-]{43}")
#: A token lasts this long unless the command says otherwise; at most :data:`MAX_DAYS`.
DEFAULT_DAYS = 90
MAX_DAYS = 366
#: A token's last use is written at most this often (a request every second must not
#: write every second).
LAST_USED_EVERY = timedelta(minutes=1)


def looks_like_token(text: str) -> bool:
    """Whether ``text`` has a token's shape (anything else is refused unread)."""
    return _SHAPE.fullmatch(text) is not None


def digest(token: str) -> str:
    """What the store keeps of a token: its SHA-256, hex. A token is 256 random bits, so
    a plain hash suffices (no salt or slow hash: nothing to guess)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def prefix_of(token: str) -> str:
    """The readable part of a token that names it (``pvpp_AbC12xyZ``)."""
    return token[:PREFIX_LENGTH]


def token_state(
    *, revoked_at: datetime | None, expires_at: datetime, account_disabled: bool, now: datetime
) -> str:
    """Where a token stands at ``now``: ``revoked``, ``expired``, ``disabled`` (its
    account is) or ``active``; only an active token opens the API."""
    if revoked_at is not None:
        return "revoked"
    if now >= expires_at:
        return "expired"
    if account_disabled:
        return "disabled"
    return "active"


def capabilities(scope: str, account_role: str) -> frozenset[str]:
    """What a token of ``scope`` belonging to an account of ``account_role`` may do: what
    both allow (an unknown role allows nothing), so a narrowed token stays narrow and an
    account given a smaller role takes its tokens down with it."""
    empty: frozenset[str] = frozenset()
    return CAPABILITIES.get(scope, empty) & CAPABILITIES.get(account_role, empty)


def scope_allowed(scope: str, account_role: str) -> bool:
    """Whether an account of ``account_role`` may be given a token of ``scope``: its own
    role or one that may do less."""
    wanted = CAPABILITIES.get(scope)
    return wanted is not None and wanted <= CAPABILITIES.get(account_role, frozenset())


def use_is_recorded(last_used: datetime | None, now: datetime) -> bool:
    """Whether a use at ``now`` is written as the token's last use: the first, and then at
    most once every :data:`LAST_USED_EVERY`."""
    return last_used is None or now - last_used >= LAST_USED_EVERY
