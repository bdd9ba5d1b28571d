"""``pvpp registry``: import and list institutions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import select

from pvpp.cli.common import command_group, console, data_table, root, transaction
from pvpp.policy import load_policy
from pvpp.registry import import_registry, registry_rows, write_registry
from pvpp.store.models import Institution

app = command_group(help="The institution registry.", no_args_is_help=True)


@app.command("import")
def import_(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Registry .xlsx or .csv")]
) -> None:
    """Validate every row, then create or update institutions (all or nothing)."""
    app_ = root(ctx)
    policy = load_policy(app_.settings.default_policy)
    with app_.db.unit_of_work() as session:
        report = import_registry(session, file, policy, settings=app_.settings)
    console.print(
        f"{file}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged"
        + (
            f", {len(report.not_in_file)} in the registry but not in the file"
            if report.not_in_file
            else ""
        ),
        highlight=False,
    )
    for code, diff in report.updated.items():
        changes = "; ".join(f"{k}: {old!r} → {new!r}" for k, (old, new) in diff.items())
        console.print(f"  • {code}: {changes}", highlight=False)
    for code, withdrawals in report.withdrawn.items():
        old = report.updated[code]["head_email"][0]
        withdrawn = [w.text() for w in withdrawals if w.outcome == "withdrawn"]
        late = [w.text() for w in withdrawals if w.outcome != "withdrawn"]
        if withdrawn:
            console.print(
                f"  • {code}: {len(withdrawn)} message(s) to the old head address {old!r} "
                f"were not sent yet and are withdrawn: {', '.join(withdrawn)}. The run that "
                "queues each (`pvpp plan send` for the plan email) queues it again to the "
                "new address.",
                highlight=False,
            )
        if late:
            console.print(
                f"  • {code}: too late to withdraw, already going to {old!r}: "
                f"{', '.join(late)}; tell the new head.",
                highlight=False,
            )


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """The institutions in the registry."""
    with transaction(ctx) as session:
        rows = session.exec(select(Institution).order_by(Institution.code)).all()
    table = data_table("code", "name", "group", "scope", "roles", "head")
    for i in rows:
        scope = i.scope + (f" ({i.exclusion_id})" if i.exclusion_id else "")
        table.add_row(
            i.code, i.name, i.subtype_id or i.group_id, scope, ", ".join(i.roles), i.head_email
        )
    console.print(table)


@app.command("export")
def export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the .xlsx or .csv")],
) -> None:
    """Write the registry in the import format (edit it, import it again): a workbook, or
    a CSV in the settings' language's dialect (Latvian: semicolon-separated)."""
    with transaction(ctx) as session:
        rows = registry_rows(session)
    write_registry(rows, file, root(ctx).settings.language)
    console.print(f"Wrote {len(rows)} institutions to {file}", highlight=False)
