"""API tokens for the web tests: one per console role, made through the service."""

from __future__ import annotations

from pvpp.accounts import account_by_email
from pvpp.api_tokens import add_token
from tests.web.conftest import World
from tests.web.consoles import ACCOUNTS, add_console_account


def api_token(world: World, role: str, *, scope: str | None = None, days: int = 90) -> str:
    """A new API token of the ``role`` account (made when missing), of ``scope`` (default:
    the account's role)."""
    email = ACCOUNTS[role][0]
    with world.root.db.reading() as s:
        missing = account_by_email(s, email) is None
    if missing:
        add_console_account(world, role)
    with world.root.db.unit_of_work() as s:
        made = add_token(s, email, now=world.clock.now(), actor="test", days=days,
                         name=f"{role} tests", role=scope)  # fmt: skip
    return made.token


def bearer(token: str) -> dict[str, str]:
    """The request header that presents ``token``."""
    return {"Authorization": f"Bearer {token}"}
