"""``pvpp db``: create and upgrade the schema."""

from __future__ import annotations

import typer

from pvpp.cli.common import command_group, console, root
from pvpp.store import db

app = command_group(help="The database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Create the schema or bring it to the newest migration."""
    store = root(ctx).db
    before, after = store.upgrade()
    url = store.url
    shown = url.split("@")[-1] if "@" in url else url
    if before == after:
        console.print(f"Database {shown} is up to date (migration {after}).", highlight=False)
    else:
        console.print(f"Database {shown}: {before or 'empty'} → {after}.", highlight=False)


@app.command()
def status(ctx: typer.Context) -> None:
    """Show the migration the database is at and the newest one."""
    eng = root(ctx).db.engine()
    current, head = db.current_revision(eng), db.head_revision()
    state = "up to date" if current == head else "behind: run `pvpp db upgrade`"
    console.print(f"database at {current or 'no schema'}; newest {head}: {state}")
    if current != head:
        raise typer.Exit(1)
