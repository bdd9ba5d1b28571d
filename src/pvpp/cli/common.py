"""Shared pieces of the command line: consoles and turning known errors into messages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

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


def write_json(payload: object) -> None:
    """Write ``payload`` as UTF-8 JSON to stdout (not through rich, which would wrap lines)."""
    import json

    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
