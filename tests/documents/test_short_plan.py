"""The head's plan is short: at most 12 pages for the weakest synthetic institution, a
one-page summary whose legend names every code on it, what the head must decide and by
when, dates that are the plan's own; every step goes into the annex.

The PDFs are read back with pdftotext and pdfinfo (poppler): without them these tests
skip locally and fail under CI (see ``require_program``).
"""

from __future__ import annotations

import re
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from flows.demo.synthetic import profile_for, synthetic_answers
from pvpp.app import App
from pvpp.documents.plan_pdf import annex_context, plan_annex_pdf, plan_context, plan_pdf
from pvpp.i18n import day, t
from pvpp.planning.library import load_library
from pvpp.planning.planner import LAST_PERIOD, plan_start, plan_steps
from pvpp.plans import context, latest_plan, plan_measures
from pvpp.policy import load_policy
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.scoring import score_answers
from pvpp.store.models import Plan
from tests.conftest import make_root, require_program, settings_for
from tests.rounds import EXAMPLES, run_round

ROUND = "2026-K1"
MAX_PAGES = 12
BUILT_ON = date(2026, 3, 31)  # the day tests.rounds builds plans
TODAY = date(2026, 4, 15)  # the PDF's date, as the demo's assessment day
OWN_TITLE = "Mūsu pašu pasākums: klientu aptauja"
SERVICE = "Būvatļaujas izsniegšana"

# A code as the plan prints one: an item (1.1, K3, S2, R1), a dimension, a funding source,
# a PVPP2027 measure or action direction, a service type, a half-year.
CODE = re.compile(
    r"(?<![\w.\-/])(?:[12]\.\d|K\d{1,2}|S\d|R\d|D[1-4]|F[1-5]|P\d\.\d|RV\d|ST\d|\d{4}H[12])"
    r"(?![\w.])"
)


def weakest_institution(spec: QuestionnaireSpec) -> tuple[str, str]:
    """The registry's institution in the round whose synthetic answers give the longest
    plan (the demo's weakest: 20 measures to 2027 and about 300 after)."""
    policy, library = load_policy(spec.policy.id), load_library(spec.policy.id)
    sheet = load_workbook(EXAMPLES / "registry.xlsx", read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    start = plan_start(BUILT_ON, BUILT_ON)
    best: tuple[int, str, str] = (-1, "", "")
    for values in rows:
        row = dict(zip(header, values, strict=False))
        # Only institutions the round assigns: in scope, with a role (pvpp.rounds).
        if row.get("scope") != "round1" or not row.get("code") or not row.get("roles"):
            continue
        code = str(row["code"])
        answers = synthetic_answers(spec, profile_for(code), seed=zlib.crc32(code.encode()))
        steps = plan_steps(library, score_answers(policy, answers), start=start, capacity_days=40)
        best = max(best, (len(steps), code, str(row["name"])))
    return best[1], best[2]


@dataclass
class Weak:
    root: App
    code: str


@pytest.fixture(scope="module")
def weak(tmp_path_factory: pytest.TempPathFactory, spec: QuestionnaireSpec) -> Iterator[Weak]:
    """One store for the module: the weakest institution's plan, built on BUILT_ON.
    Tests that change it roll their changes back."""
    folder = tmp_path_factory.mktemp("weak")
    root = make_root(settings_for(folder / "var", database_url=f"sqlite:///{folder / 'w.db'}"))
    root.db.upgrade()
    code, name = weakest_institution(spec)
    run_round(root, spec, folder / "books", [(code, name)], plans=True)
    try:
        yield Weak(root, code)
    finally:
        root.close()


def _plan(s: Session, code: str) -> Plan:
    plan = latest_plan(s, context(s, ROUND, code).assignment)
    assert plan is not None
    return plan


def _run(program: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    exe = require_program(program)
    path = tmp_path / f"{program}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [exe, *args, str(path), *(["-"] if program == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def pages(pdf: bytes, tmp_path: Path) -> int:
    info = _run("pdfinfo", pdf, tmp_path)
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def page_text(pdf: bytes, tmp_path: Path, page: int) -> str:
    return _run("pdftotext", pdf, tmp_path, "-f", str(page), "-l", str(page))


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
def test_the_weakest_plan_fits_twelve_pages(weak: Weak, tmp_path: Path) -> None:
    code = weak.code
    with weak.root.db.unit_of_work() as s:
        rows = plan_measures(s, _plan(s, code))
        pdf = plan_pdf(s, ROUND, code, today=TODAY, approve_by=date(2026, 5, 15))
        annex = plan_annex_pdf(s, ROUND, code, today=TODAY)
    later = [m for m in rows if m.period == LAST_PERIOD]
    # The weakest plan is long: most of it comes after 2027.
    assert len(rows) >= 250 and len(later) > 10 * (len(rows) - len(later))
    count = pages(pdf, tmp_path)
    print(f"{code}: {len(rows)} measures ({len(rows) - len(later)} to 2027), {count} pages")
    assert count <= MAX_PAGES
    texts = [page_text(pdf, tmp_path, n) for n in range(1, count + 1)]
    # What comes after 2027 is one page: its heading and its total row on the same page
    # (the cover's contents name it too).
    after = [flat(t) for t in texts[1:] if "Pēc 2027. gada: kopsavilkums pa punktiem" in flat(t)]
    assert len(after) == 1 and "Kopā" in after[0]
    assert f"2028.–2031. gadā: {t('plan.steps', 'lv', n=len(later))}" in after[0]
    # No single step after 2027 is listed in the head's plan; the annex has every one.
    library = load_library("pvpp2027-v1")
    whole = flat(" ".join(texts))
    # (a title's start: a long one wraps beside the next column in the text read back)
    listed = {m.measure_id for m in rows if library.by_id[m.measure_id].title.lv[:30] in whole}
    assert listed >= {m.measure_id for m in rows if m.period != LAST_PERIOD}
    annex_text = flat(_run("pdftotext", annex, tmp_path))
    assert annex_text.count("Termiņš:") == len(rows)
    assert all(library.by_id[m.measure_id].title.lv in annex_text for m in later[:20])
    assert pages(annex, tmp_path) > count


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "legend"), [("lv", "Apzīmējumi šajā lapā"), ("en", "Codes on")])
def test_the_summary_legend_covers_every_code_on_it(
    weak: Weak, tmp_path: Path, lang: str, legend: str
) -> None:
    with weak.root.db.unit_of_work() as s:
        pdf = plan_pdf(s, ROUND, weak.code, today=TODAY, lang=lang)  # type: ignore[arg-type]
    text = flat(page_text(pdf, tmp_path, 2))
    body, found, key = text.partition(legend)
    assert found, "the summary page has its legend"
    shown = set(CODE.findall(body))
    assert len(shown) >= 3, shown  # the strongest and weakest items, by code and name
    explained = set(CODE.findall(key))
    assert shown <= explained, shown - explained
    # Each code on the page is followed by its name (the policy's name of the item).
    policy = load_policy("pvpp2027-v1")
    for code in shown:
        assert f"{code} {policy.item(code).name.get(lang)}" in body  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_summary_says_what_to_decide_and_by_when(weak: Weak, tmp_path: Path) -> None:
    code = weak.code
    with weak.root.db.unit_of_work() as s:
        pdf = plan_pdf(s, ROUND, code, today=TODAY, approve_by=date(2026, 5, 15))
        ctx = plan_context(s, ROUND, code, today=TODAY, approve_by=date(2026, 5, 15))
    summary = flat(page_text(pdf, tmp_path, 2))
    assert "Kas jums jāizlemj un līdz kuram datumam" in summary
    assert "Apstiprināt plāna 1. versiju 15.05.2026" in summary
    assert f"{day(ctx['next_check'], 'lv')}" in summary
    # The summary is one page: the charts begin on the next.
    assert "Stāvoklis un mērķi" in flat(page_text(pdf, tmp_path, 3))
    assert "Apzīmējumi šajā lapā" in summary


def test_approval_dates_come_from_the_plan_first(weak: Weak) -> None:
    code = weak.code
    with weak.root.db.unit_of_work() as s:
        asked = plan_context(s, ROUND, code, today=TODAY, approve_by=date(2026, 5, 15))
        assert asked["decisions"][0]["when"] == "15.05.2026"
        none = plan_context(s, ROUND, code, today=TODAY)
        assert "vēstule" in none["decisions"][0]["when"]
        plan = _plan(s, code)
        plan.approval_due = date(2026, 5, 1)
        s.add(plan)
        s.flush()
        own = plan_context(s, ROUND, code, today=TODAY, approve_by=date(2026, 5, 15))
        assert own["decisions"][0]["when"] == "01.05.2026"
        late = plan_context(s, ROUND, code, today=date(2026, 5, 2))
        assert late["decisions"][0]["when"] == "01.05.2026 (termiņš ir pagājis)"
        plan.approved_at = datetime(2026, 4, 20, 9, 30, tzinfo=UTC)
        plan.approved_by = "vaditajs@example.org"
        s.add(plan)
        s.flush()
        done = plan_context(s, ROUND, code, today=TODAY)
        assert done["approved"] == (
            "Plāna 1. versija apstiprināta 20.04.2026 (vaditajs@example.org)."
        )
        assert not any("Apstiprināt" in d["text"] for d in done["decisions"])
        s.rollback()


def test_dates_are_the_plans_own(weak: Weak) -> None:
    """Nothing is due before the plan was made, and the next check is after the PDF's
    date, whatever day the PDF is made on."""
    code = weak.code
    with weak.root.db.unit_of_work() as s:
        for today in (TODAY, date(2026, 6, 30), date(2026, 7, 20), date(2027, 12, 31)):
            ctx = plan_context(s, ROUND, code, today=today)
            assert ctx["next_check"] is not None and ctx["next_check"] > today
        dues = [m["due"] for p in ctx["until_2027"] for m in p["measures"]]
        assert dues and min(dues) > BUILT_ON
        first_due = min(dues)
        # On the plan's first day the check is the first measures' due date.
        assert plan_context(s, ROUND, code, today=TODAY)["next_check"] == first_due


def test_own_measures_services_and_funding_are_shown(weak: Weak, tmp_path: Path) -> None:
    """An own measure shows the team's name for it, a measure's services are listed, and
    the funding stated is totalled per source and in all."""
    code = weak.code
    with weak.root.db.unit_of_work() as s:
        plan = _plan(s, code)
        rows = plan_measures(s, plan)
        early = [m for m in rows if m.period != LAST_PERIOD]
        own, alternative, funded = early[0], early[1], rows[-1]
        own.origin, own.title, own.measure_id = "own", OWN_TITLE, "OWN-1"
        own.services, own.funding_eur, own.funding = [SERVICE], 12000, ["F1", "F3"]
        own.funding_ref = "NAP2027"
        alternative.origin, alt_id = "alternative", alternative.measure_id
        funded.funding_eur, funded.funding = 3500, ["F3"]
        for m in (own, alternative, funded):
            s.add(m)
        s.flush()
        ctx = plan_context(s, ROUND, code, today=TODAY)
        pdf = plan_pdf(s, ROUND, code, today=TODAY)
        annex = annex_context(s, ROUND, code, today=TODAY)
        s.rollback()
    shown = [m for p in ctx["until_2027"] for m in p["measures"]]
    assert shown[0]["title"] == OWN_TITLE and shown[0]["origin"] == "iestādes pasākums"
    library = load_library("pvpp2027-v1")
    assert shown[1]["title"] == library.by_id[alt_id].title.lv
    funding = {row["source"].split()[0]: row for row in ctx["funding"]["sources"]}
    # One rule with the national report: an amount counts for a source only when its
    # measure names that one source; two sources go to "Vairāki avoti", not divided.
    assert funding["F3"]["amount"] == "3\u00a0500 €" and funding["F3"]["count"] >= 2
    assert funding["F1"]["amount"] == "nav norādīts" and funding["F1"]["count"] >= 1
    assert funding["Vairāki"]["amount"] == "12\u00a0000 €"
    assert ctx["funding"]["total"]["amount"] == "15\u00a0500 €"
    assert ctx["funding"]["refs"] == [{"ref": "NAP2027", "count": 1}]
    text = flat(_run("pdftotext", pdf, tmp_path))
    assert OWN_TITLE in text and f"Pakalpojumi: {SERVICE}" in text
    assert "F3 ES fondi" in text
    every = [m for p in annex["periods"] for m in p["measures"]]
    assert len(every) == len(rows) and every[0]["title"] == OWN_TITLE


def test_an_institution_with_nothing_after_2027(weak: Weak) -> None:
    """A plan whose steps all fall by 2027 says so instead of an empty table."""
    code = weak.code
    with weak.root.db.unit_of_work() as s:
        plan = _plan(s, code)
        for m in plan_measures(s, plan):
            if m.period == LAST_PERIOD:
                s.delete(m)
        s.flush()
        ctx = plan_context(s, ROUND, code, today=TODAY)
        s.rollback()
    assert ctx["after_2027"]["rows"] == [] and ctx["asks"]["later"] == 0


@pytest.mark.slow
def test_the_cli_writes_the_plan_and_its_annex(weak: Weak, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pvpp.cli.main import app

    runner = CliRunner()
    annex, head = tmp_path / "annex.pdf", tmp_path / "plan.pdf"
    args = ["plan", "annex", ROUND, weak.code, "--out", str(annex), "--today", "2026-04-15"]
    result = runner.invoke(app, args, catch_exceptions=False, obj=weak.root)
    assert result.exit_code == 0, result.output
    text = flat(_run("pdftotext", annex.read_bytes(), tmp_path))
    assert "Plāna pielikums: visi pasākumi soli pa solim" in text and "15.04.2026" in text
    args = [
        "plan", "pdf", "--round", ROUND, "--institution", weak.code, "--out", str(head),
        "--today", "2026-04-15", "--approve-by", "2026-05-15",
    ]  # fmt: skip
    result = runner.invoke(app, args, catch_exceptions=False, obj=weak.root)
    assert result.exit_code == 0, result.output
    assert "Apstiprināt plāna 1. versiju 15.05.2026" in flat(
        page_text(head.read_bytes(), tmp_path, 2)
    )
    bad = runner.invoke(app, [*args[:-1], "15.05.2026"], catch_exceptions=False, obj=weak.root)
    assert bad.exit_code == 2 and "--approve-by must be a date" in bad.stderr
    missing = runner.invoke(
        app, ["plan", "annex", ROUND, "NOPE", "--out", str(tmp_path / "x.pdf")], obj=weak.root
    )
    assert missing.exit_code == 1 and not (tmp_path / "x.pdf").exists()
    assert "NOPE" in missing.output and "Traceback" not in missing.output
