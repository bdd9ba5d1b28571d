"""``pvpp followup``: RV5 status requests and returned status sheets."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pvpp.cli.common import console, parse_date, store_errors, transaction
from pvpp.followup import ingest_status_files, remind_statuses, request_statuses
from pvpp.rounds import RoundError
from pvpp.settings import get_settings

app = typer.Typer(help="RV5 follow-up: status sheets out and in.", no_args_is_help=True)
STYLE = {"accepted": "green", "incomplete": "yellow", "rejected": "red", "duplicate": "dim"}


@app.command()
def request(
    round_code: Annotated[str, typer.Option("--round", help="Round code")],
    today: Annotated[str | None, typer.Option(help="The day to act as (YYYY-MM-DD)")] = None,
) -> None:
    """Queue status requests for the latest period end, and reminders for late sheets."""
    day = parse_date(today, "--today") if today else date.today()
    folder = get_settings().round_folder(round_code, "status-sent")
    with transaction(RoundError) as s:
        asked = request_statuses(s, round_code, day, folder=folder)
        reminded = remind_statuses(s, round_code, day)
    console.print(
        f"Status requests queued: {len(asked)} (sheets in {folder}); reminders: {len(reminded)}. "
        "Send them with `pvpp outbox send`.",
        highlight=False,
    )


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Status sheets or folders of them")],
) -> None:
    """Check, keep and apply returned status sheets; re-plans when a team reports a change."""
    with store_errors():
        rows = ingest_status_files(paths)
    table = Table(header_style="bold")
    for col in ("file", "institution", "outcome", "new plan version", "detail"):
        table.add_column(col)
    for row in rows:
        style = STYLE.get(row.outcome, "white")
        table.add_row(
            row.file, row.institution or "", f"[{style}]{row.outcome}[/{style}]",
            str(row.new_plan_version or ""), row.detail,
        )  # fmt: skip
    console.print(table)
    if any(r.outcome in ("rejected", "incomplete") for r in rows):
        raise typer.Exit(1)
