"""Shared pieces of the command line: consoles, the root of an invocation, and the one
place where errors become messages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from pvpp.errors import PvppError
from pvpp.policy.models import LANGS, Lang

if TYPE_CHECKING:
    from sqlmodel import Session

    # The context a group's invoke() receives: typer runs on its own copy of click and
    # has no public name for it (typer.Context is a subclass that groups never build).
    from typer._click import Context as GroupContext

    from pvpp.app import App

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def fail(*messages: str) -> NoReturn:
    """Print each message as an error line and exit with code 1 (no traceback).

    Messages are text, not markup: they carry what people typed (codes, file names), and a
    bracket in them must print as a bracket, not style the line or break it."""
    for message in messages:
        err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(1) from None


@contextmanager
def file_errors() -> Iterator[None]:
    """Print a file that cannot be read or written as a plain message with exit code 1.

    Only around reading what people named on the command line (and writing where they
    asked): an ``OSError`` anywhere else is a fault of the installation, shown as one.
    """
    try:
        yield
    except OSError as exc:
        from pvpp.files import shown_name

        fail(f"{shown_name(exc.filename or '')}: {exc.strerror}")


@contextmanager
def error_messages() -> Iterator[None]:
    """The command line's one mapping of errors to messages (exit code 1, no traceback).

    Every service error is a :class:`~pvpp.errors.PvppError` whose text is written for
    people; each line of it is printed as an error. A database that cannot be reached is
    the other thing people can fix. The ``pvpp`` group runs every command inside this
    (:mod:`pvpp.cli.main`); nothing else in the CLI catches service errors.
    """
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except PvppError as exc:
        fail(*(exc.message.splitlines() or [type(exc).__name__]))
    except OperationalError as exc:
        fail(f"database: {exc.orig}")


class PvppGroup(TyperGroup):
    """A command group whose commands run inside :func:`error_messages` (every group of
    the ``pvpp`` command line is one, so a sub-group invoked on its own maps errors too)."""

    def invoke(self, ctx: GroupContext) -> Any:
        with error_messages():
            return super().invoke(ctx)


def command_group(**kwargs: Any) -> typer.Typer:
    """A typer app for a group of ``pvpp`` commands (see :class:`PvppGroup`)."""
    return typer.Typer(cls=PvppGroup, **kwargs)


def root(ctx: typer.Context) -> App:
    """The composition root the ``pvpp`` callback built for this invocation."""
    app: App = ctx.find_root().obj  # set by the callback of pvpp.cli.main
    return app


def transaction(ctx: typer.Context) -> AbstractContextManager[Session]:
    """One unit of work on the invocation's store (errors become messages in
    :func:`error_messages`)."""
    return root(ctx).db.unit_of_work()


def today_option(ctx: typer.Context, text: str | None) -> App:
    """The root on the day ``--today`` names, or on its own clock without one."""
    app = root(ctx)
    return app if text is None else app.on_day(parse_date(text, "--today"))


def parse_date(text: str, option: str) -> date:
    """A YYYY-MM-DD option value, or exit 2 with a message naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        err_console.print(
            f"[red]error:[/red] {option} must be a date like 2026-12-31, not {text!r}"
        )
        raise typer.Exit(2) from None


def parse_lang(text: str, option: str = "--lang") -> Lang:
    """A language option value (lv or en), or exit 2 with a message naming the option."""
    if text not in LANGS:
        err_console.print(f"[red]error:[/red] {option} must be lv or en, not {text!r}")
        raise typer.Exit(2)
    return text


def write_json(payload: object) -> None:
    """Write ``payload`` as UTF-8 JSON to stdout (not through rich, which would wrap lines)."""
    import json

    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
