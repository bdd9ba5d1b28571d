"""The console's RV6 plan in a real browser (Debian's chromium driven by Playwright, the
app served by uvicorn on loopback): a coordinator signs in with a password and a TOTP
code, drafts the round's RV6 plan, edits a measure (a due date in the past refused beside
its field, what was typed kept; then saved as version 2), reads the history and downloads
the PDF, read back with pdftotext; a second tab's save meanwhile refuses the first's
with what changed, keeping what was typed; the open round's open-data page says why there
is none. An analyst reads a closed round's plan as published and its open data, and
downloads the zip. axe-core finds no violation on any page seen (``PVPP_SCREENSHOTS``
keeps a screenshot of each, prefixed ``natplans-``)."""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pvpp.clock import FixedClock
from pvpp.national_plans import draft_plan, get_plan
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.web import create_app
from tests.conftest import make_root, require_program
from tests.rounds import close, run_round
from tests.web.browser import Checked, follow, free_port, serving
from tests.web.conftest import PUBLIC, ROUND, World, web_settings
from tests.web.consoles import ACCOUNTS, add_console_account, sign_in_page
from tests.web.test_console_natplans import FIVE


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
def test_a_coordinator_drafts_an_rv6_plan_edits_a_measure_and_downloads_the_pdf(
    chromium: str, served: tuple[World, str], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    world, base = served
    secret = add_console_account(world, "coordinator")
    email, _ = ACCOUNTS["coordinator"]
    checked = Checked("natplans-")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            sign_in_page(page, base, world, email, secret)
            assert page.url == f"{base}/console"
            # The plans of every round, from the console's navigation.
            follow(page, page.get_by_role("link", name="RV6/RV7 plāni un atvērtie dati"))
            assert page.get_by_role(
                "heading", name="Specializētie plāni un atvērtie dati"
            ).is_visible()
            checked(page, "index")
            with page.expect_navigation():
                page.get_by_role("button", name=f"Izstrādāt RV6 plānu ({ROUND})").click()
            assert page.get_by_text(
                "Plāns izstrādāts no cikla atšķirībām: 1. versija."
            ).is_visible()
            assert page.get_by_role("heading", level=2, name="Vajadzības").is_visible()
            assert page.get_by_text("(provizorisks)").first.is_visible()
            checked(page, "plan")
            with world.root.db.reading() as s:
                key = get_plan(s, ROUND, "RV6").measures[0].key
            follow(page, page.get_by_role("link", name=f"Labot pasākumu {key}"))
            checked(page, "measure")
            # A due date in the past: refused beside its field, the typed values kept.
            page.get_by_label("Atbildīgā institūcija").fill("VARAM")
            page.get_by_label("Termiņš").fill("2025-01-31")
            page.get_by_label("Iemesls", exact=True).fill("Saskaņots ar VDAA")
            with page.expect_navigation():
                page.get_by_role("button", name="Saglabāt kā jaunu versiju").click()
            assert page.get_by_text("Izmaiņas netika saglabātas").is_visible()
            due = page.get_by_label("Termiņš")
            assert due.get_attribute("aria-invalid") == "true"
            assert page.get_by_label("Atbildīgā institūcija").input_value() == "VARAM"
            assert page.get_by_label("Iemesls", exact=True).input_value() == "Saskaņots ar VDAA"
            checked(page, "measure-refused")
            due.fill("2027-09-30")
            with page.expect_navigation():
                page.get_by_role("button", name="Saglabāt kā jaunu versiju").click()
            assert page.get_by_text("Izmaiņas saglabātas kā 2. versija.").is_visible()
            section = page.get_by_role("region", name=key)
            assert "30.09.2027" in section.inner_text()
            assert "Viedās administrācijas" in section.inner_text()
            checked(page, "plan-v2")
            # Two tabs on version 2: the second to save is told what the first changed,
            # and keeps what it typed.
            follow(page, page.get_by_role("link", name=f"Labot pasākumu {key}"))
            other = page.context.new_page()
            other.goto(f"{base}/console/plans/{ROUND}/RV6/measures/{key}")
            other.get_by_label("Termiņš").fill("2027-12-31")
            other.get_by_label("Iemesls", exact=True).fill("VDAA termiņš")
            with other.expect_navigation():
                other.get_by_role("button", name="Saglabāt kā jaunu versiju").click()
            assert other.get_by_text("Izmaiņas saglabātas kā 3. versija.").is_visible()
            other.close()
            page.get_by_label("Nosaukums latviski").fill("Kopīgi automatizācijas komponenti")
            page.get_by_label("Iemesls", exact=True).fill("Īsāk")
            with page.expect_navigation():
                page.get_by_role("button", name="Saglabāt kā jaunu versiju").click()
            assert page.get_by_role("heading", name="kāds saglabāja 3. versiju").is_visible()
            assert "VDAA termiņš" in page.get_by_role("table").inner_text()
            assert page.get_by_label("Nosaukums latviski").input_value() == (
                "Kopīgi automatizācijas komponenti"
            )
            assert page.get_by_label("Termiņš").input_value() == "2027-12-31"
            checked(page, "measure-stale")
            with page.expect_navigation():
                page.get_by_role("button", name="Saglabāt kā jaunu versiju").click()
            assert page.get_by_text("Izmaiņas saglabātas kā 4. versija.").is_visible()
            follow(page, page.get_by_role("link", name="Versiju vēsture"))
            history = page.get_by_role("main").inner_text()
            assert all(f"{n}. versija" in history for n in (1, 2, 3, 4))
            assert "Saskaņots ar VDAA" in history and "VDAA termiņš" in history
            checked(page, "history")
            follow(page, page.get_by_role("link", name="Atpakaļ uz RV6 plānu"))
            with page.expect_download() as info:
                page.get_by_role("link", name="4. versija PDF formātā (publicējama)").click()
            download = info.value
            assert download.suggested_filename == "2026-K1-RV6-v4.pdf"
            pdf = tmp_path / "plan.pdf"
            download.save_as(pdf)
            text = " ".join(
                subprocess.run(
                    [require_program("pdftotext"), "-layout", str(pdf), "-"],
                    capture_output=True, text=True, check=True,
                ).stdout.split()
            )  # fmt: skip
            assert "Versija 4" in text and "31.12.2027" in text
            assert "Kopīgi automatizācijas komponenti" in text
            # The round is open: its open-data page says why there is nothing yet.
            page.goto(f"{base}/console/open-data/{ROUND}")
            assert page.get_by_text("vēl nav slēgts").is_visible()
            checked(page, "open-data-open")
            # Nothing but the refused form's own status (400): no script or style refused.
            assert all(e.startswith("Failed to load resource") for e in errors), errors
        finally:
            browser.close()
    assert len(checked.urls) == 8


@pytest.fixture
def closed_served(tmp_path: Path, spec: QuestionnaireSpec) -> Iterator[tuple[World, str]]:
    """Round 2026-K1 of five institutions, closed, its RV6 plan drafted; the app served by
    uvicorn on 127.0.0.1, on 2 April 2026."""
    port = free_port()
    clock = FixedClock(date(2026, 4, 2))
    root = make_root(web_settings(tmp_path, public_url=f"http://127.0.0.1:{port}"), clock)
    root.db.upgrade()
    try:
        run_round(root, spec, tmp_path / "books", FIVE)
        close(root)
        with root.db.unit_of_work() as s:
            draft_plan(s, ROUND, "RV6", today=clock.today(), actor="test")
        world = World(root, clock, TestClient(create_app(root), base_url=PUBLIC))
        with serving(create_app(root), port) as base:
            yield world, base
    finally:
        root.close()


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
def test_an_analyst_reads_the_published_plan_and_downloads_a_closed_round_s_open_data(
    chromium: str, closed_served: tuple[World, str], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    world, base = closed_served
    secret = add_console_account(world, "analyst")
    email, _ = ACCOUNTS["analyst"]
    checked = Checked("natplans-analyst-")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            sign_in_page(page, base, world, email, secret)
            follow(page, page.get_by_role("link", name="RV6/RV7 plāni un atvērtie dati"))
            assert page.get_by_role("button").filter(has_text="Izstrādāt").count() == 0
            checked(page, "index")
            follow(page, page.get_by_role("link", name=f"Atvērt RV6 plānu ({ROUND})"))
            assert page.get_by_text("Jūs redzat plānu tā, kā to publicē").is_visible()
            assert page.get_by_role("link", name="Labot pasākumu").count() == 0
            assert "Valsts ieņēmumu dienests" not in page.content()
            checked(page, "plan")
            follow(page, page.get_by_role("link", name="Specializētie plāni un atvērtie dati"))
            follow(page, page.get_by_role("link", name=f"Cikla {ROUND} atvērtie dati"))
            assert page.get_by_role("heading", name="Kad skaitļi netiek publicēti").is_visible()
            assert page.get_by_role("rowheader", name="RV6 un RV7 vajadzības").is_visible()
            checked(page, "open-data")
            with page.expect_download() as info:
                page.get_by_role("link", name="Visas datnes vienā ZIP arhīvā").click()
            path = tmp_path / "open-data.zip"
            info.value.save_as(path)
            with zipfile.ZipFile(path) as z:
                package = json.loads(z.read("datapackage.json"))
            assert package["pvpp"]["institutions_scored"] == 5
            follow(page, page.get_by_role("link", name="In English"))
            assert page.get_by_role("heading", name="When figures are withheld").is_visible()
            checked(page, "open-data-en")
        finally:
            browser.close()
    assert len(checked.urls) == 4
