"""``pvpp demo``: build, fill and check example workbooks for a few example institutions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from pvpp.cli.common import console, friendly_errors
from pvpp.files import write_atomic
from pvpp.questionnaire import load_questionnaire
from pvpp.settings import get_settings
from pvpp.synthetic import synthetic_answers
from pvpp.workbook.build import build_workbook
from pvpp.workbook.check import Status, check_workbook
from pvpp.workbook.fill import cell_values, fill_workbook

DEMO_ROUND = "2026-K1"
# (code, name, answer profile, what happens to the returned workbook)
EXAMPLES = [
    ("VARAM", "Viedās administrācijas un reģionālās attīstības ministrija", "strong", "complete"),
    ("VID", "Valsts ieņēmumu dienests", "average", "complete"),
    ("UR", "Uzņēmumu reģistrs", "average", "incomplete"),
    ("RIGA", "Rīgas valstspilsētas pašvaldība", "weak", "complete"),
    ("LVC", "VSIA “Latvijas Valsts ceļi”", "weak", "broken"),
]


def demo(
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: <data dir>/demo)")
    ] = None,
) -> None:
    """Build example workbooks, fill them with example answers, check them, print a summary."""
    settings = get_settings()
    folder = out or settings.data_dir / "demo"
    with friendly_errors():
        spec = load_questionnaire(settings.default_questionnaire)
    table = Table(title=f"Round {DEMO_ROUND}: example workbooks", header_style="bold")
    for col in ("code", "institution", "lang", "answers", "status", "answered", "problems"):
        table.add_column(col)
    findings: list[str] = []
    styles = {Status.ACCEPTED: "green", Status.INCOMPLETE: "yellow", Status.REJECTED: "red"}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Building, filling and checking", total=len(EXAMPLES))
        for index, (code, name, profile, outcome) in enumerate(EXAMPLES):
            lang = "en" if code == "VID" else "lv"
            blank = build_workbook(
                spec,
                institution_code=code,
                institution_name=name,
                round_code=DEMO_ROUND,
                lang=lang,
                key=settings.signing_key(),
            )
            write_atomic(folder / "blank" / f"{code}.xlsx", blank)
            answers = synthetic_answers(spec, profile, seed=index)
            if outcome == "incomplete":
                answers = {k: v for i, (k, v) in enumerate(answers.items()) if i % 9}
            cells = cell_values(spec, answers, lang)
            if outcome == "broken":
                # Typical mistakes: a typed-in value outside the list, a missing reason.
                cells["Q_K5_D2"] = "5 — izcila"
                cells["Q_1_2_D3"] = spec.questionnaire.non_scoring[0].label.get(lang)
                cells.pop("NAREASON_1_2", None)
            filled = fill_workbook(blank, cells)
            path = folder / "returned" / f"{code}.xlsx"
            write_atomic(path, filled)
            result = check_workbook(filled)
            answered = sum(1 for f in spec.degree_fields if f.id in result.answers)
            style = styles[result.status]
            table.add_row(
                code,
                name,
                lang,
                profile,
                f"[{style}]{result.status.value}[/{style}]",
                "—"
                if result.status is Status.REJECTED
                else f"{answered}/{len(spec.degree_fields)}",
                str(len(result.problems) or len(result.unanswered) or ""),
            )
            for problem in result.problems:
                findings.append(f"{code} [cyan]{problem.where()}[/cyan]: {problem.message}")
            if result.unanswered:
                cells_list = ", ".join(f"{u.sheet}!{u.cell}" for u in result.unanswered[:6])
                more = len(result.unanswered) - 6
                findings.append(
                    f"{code} unanswered: {cells_list}" + (f" and {more} more" if more > 0 else "")
                )
            progress.advance(task)
    console.print(table)
    for line in findings:
        console.print(f"  • {line}", highlight=False)
    console.print(
        f"Workbooks are in [bold]{folder}[/bold] (blank/ and returned/).", highlight=False
    )
