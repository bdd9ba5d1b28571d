"""``pvpp user``: the ministry console's accounts (:mod:`pvpp.accounts`).

The first coordinator is made here (``pvpp user add``); the console has no page that makes
accounts. Passwords are typed twice at a hidden prompt, or read from the first line of
standard input with ``--password-stdin`` (for scripts: never on the command line, where
``ps`` and the shell's history would show it). A new TOTP secret is printed once, with its
``otpauth://`` URI, and never again: a lost phone needs ``pvpp user reset-totp``.
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
from pvpp.cli.common import command_group, console, data_table, fail, root, transaction

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
