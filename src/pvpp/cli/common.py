"""Shared pieces of the command line: consoles and turning known errors into messages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console

from pvpp.yamlio import DataFileError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Print known errors as plain messages with exit code 1 instead of a traceback."""
    try:
        yield
    except DataFileError as exc:
        for problem in exc.problems:
            err_console.print(f"[red]error:[/red] {exc.path}: {problem}", highlight=False)
        raise typer.Exit(1) from None
    except OSError as exc:
        err_console.print(
            f"[red]error:[/red] {exc.filename or ''}: {exc.strerror}", highlight=False
        )
        raise typer.Exit(1) from None


@contextmanager
def known_errors(*kinds: type[Exception]) -> Iterator[None]:
    """Print the services' own errors (``kinds``: their text is written for people) as a
    plain message and exit with code 1, instead of a traceback."""
    try:
        yield
    except kinds as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


@contextmanager
def store_errors() -> Iterator[None]:
    """Turn a database that is behind (or unreachable) into a plain message."""
    from sqlalchemy.exc import OperationalError

    from pvpp.store.db import SchemaBehind

    try:
        yield
    except SchemaBehind as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except OperationalError as exc:
        err_console.print(f"[red]error:[/red] database: {exc.orig}", highlight=False)
        raise typer.Exit(1) from None


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
