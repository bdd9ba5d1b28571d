"""``pvpp user``: the ministry console's accounts (:mod:`pvpp.accounts`).

The first coordinator is made here (``pvpp user add``); the console has no page that makes
accounts. Passwords are typed twice at a hidden prompt, or read from the first line of
standard input with ``--password-stdin`` (for scripts: never on the command line, where
``ps`` and the shell's history would show it). A new TOTP secret is printed once, with its
``otpauth://`` URI, and never again: a lost phone needs ``pvpp user reset-totp``.

``pvpp user token`` makes, lists and revokes the read-only API's tokens
(:mod:`pvpp.api_tokens`, docs/api.md); a new token is printed once.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from pvpp.access import ROLES, is_locked
from pvpp.accounts import (
    NewSecret,
    accounts,
    add_account,
    reset_totp,
    set_disabled,
    set_password,
    unlock,
)
from pvpp.api_tokens import add_token, revoke_token, tokens
from pvpp.cli.common import command_group, console, data_table, fail, root, transaction
from pvpp.token_rules import DEFAULT_DAYS, MAX_DAYS, token_state

app = command_group(
    help="Console accounts: coordinators, reviewers, analysts (password + TOTP).",
    no_args_is_help=True,
)

EmailArg = Annotated[str, typer.Argument(help="The person's work email address")]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin"),
]


def _actor() -> str:
    """Who runs the command, for the audit log: ``cli:<operating-system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        text = line.removesuffix("\n").removesuffix("\r")
        if not text:
            fail("--password-stdin: standard input has no password on its first line")
        return text
    typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return typed


def _show_secret(made: NewSecret, public_url: str) -> None:
    console.print(f"TOTP secret (shown once, not stored readable): {made.secret}")
    console.print(f"otpauth URI: {made.uri}")
    console.print(
        "Add it to the person's authenticator app (type the secret, or show the URI as a QR "
        "code, e.g. `qrencode -t ansiutf8 '<URI>'`); they then sign in at "
        f"{public_url.rstrip('/')}/console/signin"
    )


@app.command()
def add(
    ctx: typer.Context,
    email: EmailArg,
    name: Annotated[str, typer.Option(help="The person's name, as the console shows it")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a console account with a password and a new TOTP second factor."""
    if role not in ROLES:
        fail(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    password = _password(password_stdin)
    app_root = root(ctx)
    with transaction(ctx) as session:
        made = add_account(
            session, email=email, name=name, role=role, password=password,
            key=app_root.settings.signing_key(), now=app_root.clock.now(), actor=_actor(),
        )  # fmt: skip
    console.print(f"console account {made.account.email} ({role}) created")
    _show_secret(made, app_root.settings.public_url)


@app.command("list")
def list_accounts(ctx: typer.Context) -> None:
    """Every console account: address, name, role, and whether it is disabled or locked."""
    app_root = root(ctx)
    now = app_root.clock.now()
    with app_root.db.reading() as session:
        rows = accounts(session)
        table = data_table("email", "name", "role", "state", "created")
        for a in rows:
            state = (
                "disabled" if a.disabled
                else f"locked until {a.locked_until:%Y-%m-%d %H:%M} UTC"
                if a.locked_until is not None and is_locked(a.locked_until, now)
                else "active"
            )  # fmt: skip
            table.add_row(a.email, a.name, a.role, state, f"{a.created_at:%Y-%m-%d}")
    if not rows:
        console.print(
            "no console accounts yet: `pvpp user add EMAIL --name ... --role coordinator`"
        )
        return
    console.print(table)


@app.command()
def disable(ctx: typer.Context, email: EmailArg) -> None:
    """Disable an account: its sessions end and it can no longer sign in."""
    app_root = root(ctx)
    with transaction(ctx) as session:
        row = set_disabled(session, email, disabled=True, now=app_root.clock.now(),
                           actor=_actor())  # fmt: skip
    console.print(f"{row.email} disabled")


@app.command()
def enable(ctx: typer.Context, email: EmailArg) -> None:
    """Enable a disabled account again."""
    app_root = root(ctx)
    with transaction(ctx) as session:
        row = set_disabled(session, email, disabled=False, now=app_root.clock.now(),
                           actor=_actor())  # fmt: skip
    console.print(f"{row.email} enabled")


@app.command("reset-totp")
def reset_totp_command(ctx: typer.Context, email: EmailArg) -> None:
    """Give an account a new TOTP secret (a lost or new phone); the old one stops working
    and the account's sessions end."""
    app_root = root(ctx)
    with transaction(ctx) as session:
        made = reset_totp(session, email, key=app_root.settings.signing_key(),
                          now=app_root.clock.now(), actor=_actor())  # fmt: skip
    console.print(f"{made.account.email}: new TOTP secret")
    _show_secret(made, app_root.settings.public_url)


@app.command("set-password")
def set_password_command(
    ctx: typer.Context, email: EmailArg, password_stdin: PasswordStdin = False
) -> None:
    """Set a new password for an account; its sessions and any lock-out end."""
    password = _password(password_stdin)
    app_root = root(ctx)
    with transaction(ctx) as session:
        row = set_password(session, email, password, now=app_root.clock.now(), actor=_actor())
    console.print(f"{row.email}: password changed")


@app.command("unlock")
def unlock_command(ctx: typer.Context, email: EmailArg) -> None:
    """End an account's lock-out after repeated failed sign-ins before its time."""
    app_root = root(ctx)
    with transaction(ctx) as session:
        row = unlock(session, email, now=app_root.clock.now(), actor=_actor())
    console.print(f"{row.email} unlocked")


# -- API tokens ----------------------------------------------------------------------------

token_app = command_group(
    help="Tokens of the read-only API (docs/api.md), held by console accounts.",
    no_args_is_help=True,
)
app.add_typer(token_app, name="token")


@token_app.command("add")
def token_add(
    ctx: typer.Context,
    email: EmailArg,
    expires: Annotated[
        int, typer.Option(help=f"Days until it stops working (1–{MAX_DAYS})")
    ] = DEFAULT_DAYS,
    name: Annotated[str, typer.Option(help="What uses it (a dashboard, a script)")] = "",
    role: Annotated[
        str | None,
        typer.Option(help="Its scope: the account's role (default) or a narrower one"),
    ] = None,
) -> None:
    """Make an API token for a console account and print it once (only its SHA-256 is
    kept)."""
    app_root = root(ctx)
    with transaction(ctx) as session:
        made = add_token(
            session, email, now=app_root.clock.now(), actor=_actor(), days=expires, name=name,
            role=role,
        )  # fmt: skip
        row = made.row
        line = (
            f"API token {row.prefix} for {made.email} ({row.role}), expires "
            f"{row.expires_at:%Y-%m-%d %H:%M} UTC"
        )
    console.print(line)
    console.print(f"token (shown once, not stored readable): {made.token}")
    console.print(
        "Send it as `Authorization: Bearer <token>` to "
        f"{app_root.settings.public_url.rstrip('/')}/api/v1/ (docs/api.md); revoke it with "
        f"`pvpp user token revoke {row.prefix}`"
    )


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    email: Annotated[
        str | None, typer.Argument(help="Only this account's tokens", show_default=False)
    ] = None,
) -> None:
    """Every API token: prefix, account, name, role, created, last used, expires, state."""
    app_root = root(ctx)
    now = app_root.clock.now()
    with app_root.db.reading() as session:
        rows = tokens(session, email)
        table = data_table("prefix", "account", "name", "role", "created", "last used",
                           "expires", "state")  # fmt: skip
        for token, account in rows:
            state = token_state(revoked_at=token.revoked_at, expires_at=token.expires_at,
                                account_disabled=account.disabled, now=now)  # fmt: skip
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            table.add_row(
                token.prefix, account.email, token.name, token.role,
                f"{token.created_at:%Y-%m-%d}", used, f"{token.expires_at:%Y-%m-%d}", state,
            )  # fmt: skip
    if not rows:
        console.print("no API tokens yet: `pvpp user token add EMAIL --name ...`")
        return
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    prefix: Annotated[str, typer.Argument(help="The token's prefix (pvpp_…) as listed")],
) -> None:
    """Revoke an API token: it opens nothing from then on."""
    app_root = root(ctx)
    with transaction(ctx) as session:
        row = revoke_token(session, prefix, now=app_root.clock.now(), actor=_actor())
        shown = row.prefix
    console.print(f"API token {shown} revoked")
