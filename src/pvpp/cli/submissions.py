"""``pvpp submissions``: ingest returned workbooks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from pvpp.cli.common import command_group, console, data_table, root
from pvpp.submissions import Outcome, ingest_paths

app = command_group(help="Returned workbooks.", no_args_is_help=True)

STYLE = {
    Outcome.ACCEPTED: "green",
    Outcome.INCOMPLETE: "yellow",
    Outcome.REJECTED: "red",
    Outcome.DUPLICATE: "dim",
    Outcome.LATE: "magenta",
    Outcome.SUBMITTED: "cyan",
}


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Workbooks or folders of them")],
) -> None:
    """Check, match, store and record every workbook; one bad file never stops the others."""
    app_ = root(ctx)
    rows = ingest_paths(paths, settings=app_.settings, db=app_.db)
    table = data_table("file", "institution", "round", "outcome", "detail")
    for row in rows:
        style = STYLE[row.outcome]
        table.add_row(
            row.file,
            row.institution or "",
            row.round or "",
            Text(row.outcome.value, style=style),
            row.detail,
        )
    console.print(table)
    counts = {o.value: sum(1 for r in rows if r.outcome is o) for o in Outcome}
    console.print("  ".join(f"{k}: {v}" for k, v in counts.items()), highlight=False)
