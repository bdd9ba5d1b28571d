"""``pvpp export``: a round or an institution's plan as Excel, the item scores as CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from pvpp.cli.common import console, friendly_errors, transaction
from pvpp.exports import (
    ExportError,
    ExportSummary,
    export_plan,
    export_round,
    export_round_csv,
)
from pvpp.plans import PlanError
from pvpp.rounds import RoundError

app = typer.Typer(
    help="Exports: a round or a plan as Excel (.xlsx), item scores as CSV.",
    no_args_is_help=True,
)

OutOpt = Annotated[Path, typer.Option("--out", help="File to write", dir_okay=False)]
LangOpt = Annotated[str, typer.Option("--lang", help="lv (default) or en")]


def _run(fn: Callable[..., ExportSummary]) -> ExportSummary:
    """Run ``fn(session)`` in one read transaction, known errors as plain messages."""
    with friendly_errors(), transaction(ExportError, PlanError, RoundError) as session:
        return fn(session)


def _report(summary: ExportSummary) -> None:
    parts = ", ".join(f"{name}: {n}" for name, n in summary.rows.items())
    console.print(f"Written to {summary.path.resolve()}", highlight=False)
    if parts:
        console.print(f"  rows — {parts}", highlight=False)


@app.command("round")
def round_(
    code: Annotated[str, typer.Argument(help="Round code, e.g. 2026-K1")],
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
    _report(_run(lambda s: export_round(s, code, out, lang=lang, publish=publish)))


@app.command("plan")
def plan(
    round_code: Annotated[str, typer.Option("--round", help="Round code")],
    institution: Annotated[str, typer.Option("--institution", help="Institution code")],
    out: OutOpt,
    lang: LangOpt = "lv",
    version: Annotated[int | None, typer.Option(help="Plan version (default: the newest)")] = None,
) -> None:
    """One institution's improvement plan as a workbook: a summary and the measures."""
    _report(
        _run(lambda s: export_plan(s, round_code, institution, out, lang=lang, version=version))
    )


@app.command("csv")
def csv_(
    code: Annotated[str, typer.Argument(help="Round code")],
    out: OutOpt,
    lang: LangOpt = "lv",
) -> None:
    """Item scores as CSV: UTF-8 with BOM; lv: ';' and decimal comma, en: ',' and point.

    Text fields are quoted and, when they could start a formula, begin with a single
    quote (OWASP); computed numbers are bare number literals.
    """
    _report(_run(lambda s: export_round_csv(s, code, out, lang=lang)))
