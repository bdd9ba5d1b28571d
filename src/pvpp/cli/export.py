"""``pvpp export``: a round or an institution's plan as Excel, the item scores as CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from pvpp.cli.common import (
    command_group,
    console,
    file_errors,
    institution_code_arg,
    root,
    round_code_arg,
    transaction,
)
from pvpp.exports import (
    ExportSummary,
    export_plan,
    export_round,
    export_round_csv,
)

app = command_group(
    help="Exports: a round or a plan as Excel (.xlsx), item scores as CSV, a round's open data.",
    no_args_is_help=True,
)

OutOpt = Annotated[Path, typer.Option("--out", help="File to write", dir_okay=False)]
LangOpt = Annotated[str, typer.Option("--lang", help="lv (default) or en")]


def _run(ctx: typer.Context, fn: Callable[..., ExportSummary]) -> ExportSummary:
    """Run ``fn(session, now)`` in one transaction; ``now`` is the time the export
    says it was made (the root's clock)."""
    with file_errors(), transaction(ctx) as session:
        return fn(session, root(ctx).clock.now())


def _report(summary: ExportSummary) -> None:
    parts = ", ".join(f"{name}: {n}" for name, n in summary.rows.items())
    console.print(f"Written to {summary.path.resolve()}", highlight=False)
    if parts:
        console.print(f"  rows — {parts}", highlight=False)


@app.command("round")
def round_(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code, e.g. 2026-K1", callback=round_code_arg)],
    out: OutOpt,
    lang: LangOpt = "lv",
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="Publishable form: aggregates only, small groups withheld, nobody named",
        ),
    ] = False,
) -> None:
    """The round as a workbook: institutions, item scores, services, plans, needs."""
    _report(
        _run(
            ctx,
            lambda s, now: export_round(s, code, out, lang=lang, publish=publish, generated_at=now),
        )
    )


@app.command("plan")
def plan(
    ctx: typer.Context,
    round_code: Annotated[str, typer.Option("--round", help="Round code", callback=round_code_arg)],
    institution: Annotated[
        str, typer.Option("--institution", help="Institution code", callback=institution_code_arg)
    ],
    out: OutOpt,
    lang: LangOpt = "lv",
    version: Annotated[int | None, typer.Option(help="Plan version (default: the newest)")] = None,
) -> None:
    """One institution's improvement plan as a workbook: a summary and the measures."""
    _report(
        _run(
            ctx,
            lambda s, now: export_plan(
                s, round_code, institution, out, lang=lang, version=version, generated_at=now
            ),
        )
    )


@app.command("csv")
def csv_(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    out: OutOpt,
    lang: LangOpt = "lv",
) -> None:
    """Item scores as CSV: UTF-8 with BOM; lv: ';' and decimal comma, en: ',' and point.

    Text fields are quoted and, when they could start a formula, begin with a single
    quote (OWASP); computed numbers are bare number literals.
    """
    _report(_run(ctx, lambda s, now: export_round_csv(s, code, out, lang=lang)))


@app.command("open-data")
def open_data(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    folder: Annotated[
        Path, typer.Argument(help="Folder to write into (made if missing)", file_okay=False)
    ],
    lang: LangOpt = "lv",
) -> None:
    """The round's publishable aggregates as CSV and JSON with a Frictionless data package
    (datapackage.json): only from a closed round, figures over too few institutions
    withheld, nobody named. Licence CC BY 4.0."""
    from pvpp.exports.open_data import export_open_data

    _report(
        _run(ctx, lambda s, now: export_open_data(s, code, folder, lang=lang, generated_at=now))
    )
