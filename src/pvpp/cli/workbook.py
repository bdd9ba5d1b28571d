"""``pvpp workbook``: build self-assessment workbooks and check returned ones."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from pvpp.cli.common import (
    command_group,
    console,
    data_table,
    err_console,
    fail,
    file_errors,
    inert,
    institution_code_arg,
    parse_lang,
    root,
    round_code_arg,
    write_json,
)
from pvpp.files import FileRefused, read_given, shown_name, write_atomic
from pvpp.i18n import t
from pvpp.questionnaire import load_questionnaire
from pvpp.workbook.build import build_workbook
from pvpp.workbook.check import CheckResult, Status, check_workbook

app = command_group(help="Build and check self-assessment workbooks.", no_args_is_help=True)

EXIT_REJECTED = 1
EXIT_INCOMPLETE = 3


@app.command()
def new(
    ctx: typer.Context,
    institution: Annotated[
        str, typer.Option(help="Institution code", callback=institution_code_arg)
    ],
    name: Annotated[str, typer.Option(help="Institution name (as it appears in the registry)")],
    round_code: Annotated[
        str, typer.Option("--round", help="Assessment round code", callback=round_code_arg)
    ],
    out: Annotated[Path, typer.Option(help="Where to write the .xlsx")],
    lang: Annotated[str, typer.Option(help="Language of the workbook: lv or en")] = "lv",
    due: Annotated[str | None, typer.Option(help="Return-by date, YYYY-MM-DD")] = None,
    questionnaire: Annotated[
        str | None,
        typer.Option(
            help="Questionnaire version (default: the setting default_questionnaire); "
            "a round takes only the version it was created on"
        ),
    ] = None,
) -> None:
    """Build the self-assessment workbook for one institution and round."""
    language = parse_lang(lang)
    for label, value in (("--institution", institution), ("--name", name), ("--round", round_code)):
        if not value.strip() or any(ch in value for ch in "\r\n\t"):
            err_console.print(
                f"[red]error:[/red] {label} must be a non-empty single line", markup=True
            )
            raise typer.Exit(2)
    due_date = None
    if due:
        try:
            due_date = date.fromisoformat(due)
        except ValueError:
            err_console.print(
                f"[red]error:[/red] --due must be a date like 2026-12-31, not {inert(repr(due))}",
                markup=True,
            )
            raise typer.Exit(2) from None
    app_ = root(ctx)
    settings = app_.settings
    with file_errors():
        spec = load_questionnaire(questionnaire or settings.default_questionnaire)
        data = build_workbook(
            spec,
            institution_code=institution.strip(),
            institution_name=name.strip(),
            round_code=round_code.strip(),
            lang=language,
            key=settings.signing_key(),
            due=due_date,
            now=app_.clock.now(),
        )
        write_atomic(out, data)
    console.print(f"Wrote {out} ({len(data) // 1024} KB, {len(spec.degree_fields)} questions)")


def render_result(result: CheckResult, file: Path) -> None:
    """Print a check result for people: problems with sheet and cell, or the answers."""
    lang = result.lang
    meta = result.meta
    name = inert(shown_name(file))
    if meta:
        console.print(
            f"[bold]{name}[/bold] — {inert(meta.institution_name)} "
            f"({inert(meta.institution)}), {inert(meta.round)}, {inert(meta.questionnaire)}",
            markup=True,
        )
    else:
        console.print(f"[bold]{name}[/bold]", markup=True)
    if result.status is Status.REJECTED:
        rejected = t("workbook.check.rejected", lang, n=len(result.problems))
        console.print(f"[red]{inert(rejected)}[/red]", markup=True)
        for p in result.problems:
            where = f"[cyan]{inert(p.where())}[/cyan]: " if p.where() else ""
            console.print(f"  • {where}{inert(p.message)}", markup=True)
        return
    if result.status is Status.INCOMPLETE:
        incomplete = t("workbook.check.incomplete", lang, n=len(result.unanswered))
        console.print(f"[yellow]{inert(incomplete)}[/yellow]", markup=True)
        per_sheet: dict[str, list[str]] = defaultdict(list)
        for u in result.unanswered:
            per_sheet[u.sheet].append(f"{u.cell} ({u.field})")
        for sheet, cells in per_sheet.items():
            console.print(
                f"  • [cyan]{inert(sheet)}[/cyan]: {inert(', '.join(cells))}", markup=True
            )
        return
    console.print(f"[green]{inert(t('workbook.check.accepted', lang))}[/green]", markup=True)
    table = data_table("id", t("workbook.check.answers", lang))
    for key, value in result.answers.items():
        table.add_row(key, str(value))
    console.print(table)


@app.command()
def check(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A returned workbook (.xlsx)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    institution: Annotated[
        str | None,
        typer.Option(
            help="Refuse unless the workbook is this institution's",
            callback=institution_code_arg,
        ),
    ] = None,
    round_code: Annotated[
        str | None,
        typer.Option(
            "--round",
            help="Refuse unless the workbook is for this round",
            callback=round_code_arg,
        ),
    ] = None,
) -> None:
    """Check a returned workbook: every problem at once (exit 1), unanswered questions
    (exit 3), or the parsed answers (exit 0)."""
    settings = root(ctx).settings
    try:
        data = read_given(file, limit=settings.max_upload_bytes)
    except FileRefused as exc:
        fail(f"cannot read {exc.message}")  # exit 1, as for a rejected workbook
    result = check_workbook(
        data,
        settings=settings,
        expect_institution=institution,
        expect_round=round_code,
    )
    if as_json:
        write_json(result.to_dict())
    else:
        render_result(result, file)
    if result.status is Status.REJECTED:
        raise typer.Exit(EXIT_REJECTED)
    if result.status is Status.INCOMPLETE:
        raise typer.Exit(EXIT_INCOMPLETE)
