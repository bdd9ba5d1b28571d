"""``pvpp demo``: a whole assessment round on the embedded defaults.

Imports the example registry, sets up most teams, creates a round, writes a workbook per
institution and fills it as that institution would (weak, average and strong answers; a
few returned with mistakes, one half done), ingests them, ingests the corrections, and
scores and plans every accepted one. Files already written are kept, so running the demo
again changes nothing in the store.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table
from sqlmodel import select

from pvpp.cli.common import console, friendly_errors, store_errors
from pvpp.files import write_atomic
from pvpp.national import aggregates, round_status
from pvpp.paths import resources_dir
from pvpp.planning.library import load_common
from pvpp.plans import build_plan, context
from pvpp.policy import load_policy
from pvpp.questionnaire import load_questionnaire
from pvpp.registry import import_registry
from pvpp.rounds import assignment_codes, create_round
from pvpp.settings import get_settings
from pvpp.store import db
from pvpp.store.models import Institution
from pvpp.submissions import Outcome, ingest_paths
from pvpp.synthetic import filled_workbooks
from pvpp.teams import add_member, record_training
from pvpp.workbook.build import build_workbook
from pvpp.workbook.fill import fill_workbook, formula

ROUND = "2026-K1"
OPENS, DUE = date(2026, 1, 15), date(2026, 3, 31)
# Institutions that return workbooks with mistakes first, then correct them.
MISTAKES = {
    "VID": {"Q_K5_D2": "5 — izcila"},  # a value outside the list
    "LAD": {"Q_1_2_D3": "Nav attiecināms", "NAREASON_1_2": None},  # no reason given
    "RIGA": {"Q_K1_D1": formula("=2+2")},  # a formula where an answer belongs
}
HALF_DONE = "UR"
NO_TEAM = ("KEM", "VARAM")


def _write_once(path: Path, data: bytes) -> None:
    # A received file is what it is: the demo never rewrites one it already produced.
    if not path.exists():
        write_atomic(path, data)


def demo(
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: <data dir>/demo)")
    ] = None,
) -> None:
    """Run a whole assessment round on example data and print where everything is."""
    settings = get_settings()
    folder = out or settings.data_dir / "demo"
    with friendly_errors():
        spec = load_questionnaire(settings.default_questionnaire)
        policy = load_policy(spec.policy.id)
        common = load_common(policy.id)
    db.upgrade(settings)
    with store_errors(), Progress(console=console, transient=True) as progress:
        step = progress.add_task("Registry, teams and round", total=None)
        with db.unit_of_work(settings) as s:
            reg = import_registry(s, resources_dir() / "examples" / "registry.xlsx", policy)
            for inst in s.exec(select(Institution).order_by(Institution.code)).all():
                if not inst.roles or inst.scope == "excluded" or inst.code in NO_TEAM:
                    continue
                _demo_team(s, common, inst)
            rnd = create_round(
                s,
                code=ROUND,
                opens_on=OPENS,
                due_on=DUE,
                questionnaire_version=spec.id,
                actor="demo",
            )
            names = {i.code: i.name for i in s.exec(select(Institution)).all()}
            assigned = [(c, names[c]) for c in assignment_codes(s, ROUND)]
        progress.update(step, description="Writing workbooks", total=len(assigned), completed=0)
        key = settings.signing_key()
        returned, corrections = folder / "returned", folder / "corrections"
        for code, name in assigned:
            if not (returned / f"{code}.xlsx").exists():
                _demo_workbooks(spec, folder, code, name, key)
            progress.advance(step)
        progress.update(step, description="Ingesting returned workbooks", total=None)
        first = ingest_paths([returned], source="demo")
        progress.update(step, description="Ingesting corrections")
        second = ingest_paths([corrections], source="demo") if corrections.exists() else []
        progress.update(step, description="Scoring and planning", total=len(assigned), completed=0)
        plans_made = 0
        for code, _ in assigned:
            with db.unit_of_work(settings) as s:
                ctx = context(s, ROUND, code)
                if ctx.assignment.state in ("accepted", "planned", "plan_sent", "in_follow_up"):
                    _, created = build_plan(s, ctx, actor="demo")
                    plans_made += created
            progress.advance(step)
        progress.update(step, description="Plan PDFs and emails", total=None)
        documents = _documents(settings, folder)
        with db.unit_of_work(settings) as s:
            status = round_status(s, ROUND)
            national = aggregates(s, ROUND)

    _summary(reg, rnd, first, second, plans_made, status, national, folder)
    for line in documents:
        console.print(line, highlight=False)


def _demo_team(session, common, inst) -> None:
    """A lead who attended the RV1 trainings, for most institutions."""
    email = f"komanda@{inst.code.lower()}.example.org"
    name = f"{inst.head_name.split()[0]} (komandas vadītājs)"
    add_member(
        session, common, institution=inst.code, name=name, email=email,
        roles=["team_lead"], lead=True, actor="demo",
    )  # fmt: skip
    for measure, day in (("P1.1", date(2025, 3, 4)), ("P1.3", date(2025, 5, 20))):
        record_training(
            session, institution=inst.code, email=email, measure=measure, attended_on=day,
            actor="demo",
        )  # fmt: skip


def _demo_workbooks(spec, folder: Path, code: str, name: str, key: bytes) -> None:
    """The blank workbook, what the institution returns, and its correction if any."""
    blank = build_workbook(
        spec, institution_code=code, institution_name=name, round_code=ROUND, lang="lv", key=key
    )
    _write_once(folder / "workbooks" / f"{code}.xlsx", blank)
    filled = filled_workbooks(spec, [(code, name)], round_code=ROUND, key=key)[code]
    if code in MISTAKES:
        _write_once(folder / "corrections" / f"{code}.xlsx", filled)
        filled = fill_workbook(filled, MISTAKES[code])
    elif code == HALF_DONE:
        filled = fill_workbook(
            filled, {f"Q_S{i}_D{d}": None for i in range(1, 10) for d in range(1, 5)}
        )
    _write_once(folder / "returned" / f"{code}.xlsx", filled)


def _documents(settings, folder: Path) -> list[str]:
    """Plan PDFs, the plan emails delivered to the mail folder, the national report,
    exports and page images of two PDFs; returns lines saying where they are."""
    from pvpp.delivery import queue_plans, record_sent_plans
    from pvpp.documents.national_pdf import national_pdf
    from pvpp.documents.plan_pdf import plan_pdf
    from pvpp.exports import export_plan, export_round, export_round_csv
    from pvpp.mail.relay import deliver_due

    mail_settings = settings.model_copy(
        update={"email_transport": "folder", "mail_folder": folder / "mail"}
    )
    plans_dir = folder / "plans"
    before = set(plans_dir.glob("*.pdf"))
    queued = queue_plans(ROUND, pdf_dir=plans_dir, settings=mail_settings)
    rendered = len(set(plans_dir.glob("*.pdf")) - before)
    new_mail = sum(1 for q in queued if q.outcome == "queued")
    filed = sorted(plans_dir.glob("*-v*.pdf"))
    # One example in English beside the Latvian ones.
    english = plans_dir / "VARAM.en.pdf"
    if not english.exists():
        with db.unit_of_work(settings) as s:
            write_atomic(english, plan_pdf(s, ROUND, "VARAM", lang="en"))
    report = deliver_due(mail_settings)
    with db.unit_of_work(settings) as s:
        record_sent_plans(s)
        write_atomic(folder / "national-report.pdf", national_pdf(s, ROUND))
        exports = folder / "exports"
        exports.mkdir(parents=True, exist_ok=True)
        export_round(s, ROUND, exports / f"{ROUND}.xlsx")
        export_round_csv(s, ROUND, exports / f"{ROUND}.csv")
        export_plan(s, ROUND, "VID", exports / f"{ROUND}-VID-plan.xlsx")
    vid = next(p for p in filed if p.name.startswith("VID-"))
    images = _page_images(folder, [vid, folder / "national-report.pdf"])
    return [
        f"Plan PDFs: {rendered} rendered this run, {len(filed)} in {plans_dir}",
        f"Plan emails: {new_mail} queued, {report.sent} delivered as .eml to {folder / 'mail'}",
        f"National report: {folder / 'national-report.pdf'}",
        f"Exports: {exports}",
        images,
    ]


def _page_images(folder: Path, pdfs: list[Path]) -> str:
    """PNG pages of example PDFs, for a look without a PDF viewer (needs poppler)."""
    import shutil
    import subprocess

    exe = shutil.which("pdftoppm")
    if exe is None:
        return "Page images: skipped (pdftoppm from poppler-utils is not installed)"
    out = folder / "pages"
    out.mkdir(parents=True, exist_ok=True)
    for pdf in pdfs:
        if pdf.exists() and not any(out.glob(f"{pdf.stem}-*.png")):
            subprocess.run([exe, "-r", "60", "-png", str(pdf), str(out / pdf.stem)], check=True)
    return f"Page images: {out}"


def _summary(reg, rnd, first, second, plans_made, status, national, folder) -> None:
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(rnd.skipped.items()))
    console.print(
        f"Registry: {len(reg.created)} created, {len(reg.updated)} updated, "
        f"{len(reg.unchanged)} unchanged. Round {ROUND}: {len(rnd.assigned)} assigned, "
        f"{len(rnd.skipped)} without assignment ({skipped}).",
        highlight=False,
    )
    for title, rows in (("Returned workbooks", first), ("Corrections", second)):
        counts = {o.value: sum(1 for r in rows if r.outcome is o) for o in Outcome}
        console.print(
            f"{title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), highlight=False
        )
        for r in rows:
            if r.outcome in (Outcome.REJECTED, Outcome.INCOMPLETE):
                console.print(
                    f"  • {r.institution or r.file}: {r.outcome.value} — {r.detail}",
                    highlight=False,
                )
    table = Table(title=f"Round {ROUND}", header_style="bold")
    for col in ("institution", "state", "index", "flags"):
        table.add_column(col)
    for row in status["institutions"]:
        index = "" if row["index"] is None else f"{row['index']:.1f}"
        table.add_row(f"{row['code']} {row['name']}", row["state"], index, ", ".join(row["flags"]))
    console.print(table)
    console.print(
        "Totals: " + ", ".join(f"{k} {v}" for k, v in status["totals"].items()), highlight=False
    )
    console.print(f"New plan versions this run: {plans_made}", highlight=False)
    if not national.get("suppressed"):
        needs = ", ".join(
            f"{n['item']} {n['institutions_with_gap']}/{n['institutions_rated']}"
            for n in national["rv6_needs"]
        )
        console.print(f"RV6 needs (institutions with a gap): {needs}", highlight=False)
    console.print(
        f"Workbooks are in [bold]{folder}[/bold] (workbooks/, returned/, corrections/).",
        highlight=False,
    )
    console.print(
        "Next: .venv/bin/pvpp scores show --round 2026-K1 --institution VID --explain\n"
        "      .venv/bin/pvpp plan show --round 2026-K1 --institution VID",
        highlight=False,
    )
