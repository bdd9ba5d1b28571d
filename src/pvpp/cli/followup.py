"""``pvpp followup``: RV5 status requests and returned status sheets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from pvpp.cli.common import (
    command_group,
    console,
    data_table,
    failed_items,
    root,
    round_code_arg,
    today_option,
)
from pvpp.followup import ingest_status_files, remind_statuses, request_statuses

app = command_group(help="RV5 follow-up: status sheets out and in.", no_args_is_help=True)
STYLE = {"accepted": "green", "incomplete": "yellow", "rejected": "red", "duplicate": "dim"}


@app.command()
def request(
    ctx: typer.Context,
    round_code: Annotated[str, typer.Option("--round", help="Round code", callback=round_code_arg)],
    today: Annotated[str | None, typer.Option(help="The day to act as (YYYY-MM-DD)")] = None,
) -> None:
    """Queue status requests for the latest period end, and reminders for late sheets."""
    app_ = today_option(ctx, today)
    day, settings = app_.today(), app_.settings
    folder = settings.round_folder(round_code, "status-sent")
    with app_.db.unit_of_work() as s:
        asked = request_statuses(s, round_code, day, folder=folder, settings=settings)
        reminded = remind_statuses(s, round_code, day, settings=settings)
    console.print(
        f"Status requests queued: {len(asked)} (sheets in {folder}); reminders: {len(reminded)}. "
        "Send them with `pvpp outbox send`.",
        highlight=False,
    )
    failed_items(asked, reminded)


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Status sheets or folders of them")],
) -> None:
    """Check, keep and apply returned status sheets; re-plans when a team reports a change."""
    app_ = root(ctx)
    rows = ingest_status_files(paths, settings=app_.settings, db=app_.db)
    table = data_table("file", "institution", "outcome", "new plan version", "detail")
    for row in rows:
        style = STYLE.get(row.outcome, "white")
        table.add_row(
            row.file, row.institution or "", Text(row.outcome, style=style),
            str(row.new_plan_version or ""), row.detail,
        )  # fmt: skip
    console.print(table)
    if any(r.outcome in ("rejected", "incomplete") for r in rows):
        raise typer.Exit(1)
