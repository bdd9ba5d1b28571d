"""Shared pieces of the command line: consoles and turning known errors into messages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from pvpp.yamlio import DataFileError

if TYPE_CHECKING:
    from sqlmodel import Session

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
def friendly_errors() -> Iterator[None]:
    """Print known errors as plain messages with exit code 1 instead of a traceback."""
    try:
        yield
    except DataFileError as exc:
        fail(*(f"{exc.path}: {problem}" for problem in exc.problems))
    except OSError as exc:
        fail(f"{exc.filename or ''}: {exc.strerror}")


@contextmanager
def known_errors(*kinds: type[Exception]) -> Iterator[None]:
    """Print the services' own errors (``kinds``: their text is written for people) as a
    plain message and exit with code 1, instead of a traceback."""
    try:
        yield
    except kinds as exc:
        fail(str(exc))


@contextmanager
def store_errors() -> Iterator[None]:
    """Turn a database that is behind (or unreachable) into a plain message."""
    from sqlalchemy.exc import OperationalError

    from pvpp.store.db import SchemaBehind

    try:
        yield
    except SchemaBehind as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"database: {exc.orig}")


@contextmanager
def transaction(*kinds: type[Exception]) -> Iterator[Session]:
    """One unit of work; the store's errors and the services' own (``kinds``) as messages."""
    from pvpp.store.db import unit_of_work

    with store_errors(), known_errors(*kinds), unit_of_work() as session:
        yield session


def parse_date(text: str, option: str) -> date:
    """A YYYY-MM-DD option value, or exit 2 with a message naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        err_console.print(
            f"[red]error:[/red] {option} must be a date like 2026-12-31, not {text!r}"
        )
        raise typer.Exit(2) from None


def write_json(payload: object) -> None:
    """Write ``payload`` as UTF-8 JSON to stdout (not through rich, which would wrap lines)."""
    import json

    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
