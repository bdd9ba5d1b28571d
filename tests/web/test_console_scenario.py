"""The console end to end in a real browser (Debian's chromium driven by Playwright, the
app served by uvicorn on loopback), one area after another as a ministry's round goes:

1. a coordinator signs in with a password and a TOTP code (pyotp), creates round 2026-K2
   (its RV1 scope shown first) and launches it in the background, waiting for the launch
   by reloading the round's page;
2. a team of the round submits (through the portal's own requests: the portal's pages have
   their browser tests), and the coordinator watches the progress: the page, a filter by
   state, and the filtered institutions downloaded as a workbook;
3. a reviewer (a second console account) opens the submission and returns it with a
   comment on an item and one on the whole submission; the team changes one answer and
   resubmits; the reviewer sees the change since the return highlighted and accepts;
4. the coordinator reads the rounds side by side, and the trend page (a skipped subtest
   while the console has no ``/console/trends``);
5. the coordinator drafts the RV6 plan, edits a measure, saves it as version 2 and
   downloads it as PDF and xlsx.

axe-core finds no violation on any page seen (``PVPP_SCREENSHOTS`` keeps a screenshot of
each, prefixed ``scenario-``). The accounts come from the accounts service and the team's
answers from the portal's requests without a browser, so that the test stays well under a
minute on two cores; the launch (37 workbooks of the example registry's RV1 scope) is most
of it."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import col, select

from pvpp.launch import ROUND_LAUNCH
from pvpp.national_plans import get_plan
from pvpp.store.models import Assignment, AuditLog, Review
from tests.conftest import require_program
from tests.web.browser import Checked, follow
from tests.web.conftest import K2, NAMES, ROUND, A, World, assignment_id, client_of
from tests.web.consoles import ACCOUNTS, add_console_account, sign_in_page
from tests.web.test_console_review import FIELD, new_degree, submit
from tests.web.test_questionnaire import autosave

ON_ITEM = "Pievienojiet rīkojumu par vienoto terminoloģiju."
WHOLE = "Pierādījumi 1. komponentei nav pietiekami. Lūdzam papildināt."
EVIDENCE = "Rīkojums Nr. 12 par vienoto terminoloģiju."
TRENDS = "/console/trends"


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
def test_a_round_through_every_area_of_the_console(
    chromium: str, served: tuple[World, str], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    world, base = served
    coordinator_secret = add_console_account(world, "coordinator")
    reviewer_secret = add_console_account(world, "reviewer")
    coordinator_email = ACCOUNTS["coordinator"][0]
    reviewer_email = ACCOUNTS["reviewer"][0]
    checked = Checked("scenario-")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            # 1. The coordinator signs in (password, then the TOTP code) and opens a round.
            sign_in_page(page, base, world, coordinator_email, coordinator_secret)
            assert page.url == f"{base}/console"
            checked(page, "home")
            follow(page, page.get_by_role("link", name="Jauns cikls"))
            assert page.get_by_role("heading", name="Iestādes pēc RV1 noteikumiem").is_visible()
            assert page.get_by_label("Iesniegumus pārbauda koordinācija").is_checked()
            checked(page, "new-round")
            page.get_by_label("Cikla kods").fill(K2)
            page.get_by_label("Iesniegšanas termiņš").fill("2026-06-30")
            # The version round 2026-K1 was answered on: every answer compares.
            page.get_by_label("Anketas versija").select_option("pvpp2027-q1")
            with page.expect_navigation():
                page.get_by_role("button", name="Izveidot ciklu").click()
            assert page.url == f"{base}/console/rounds/{K2}?done=created"
            assert page.get_by_text("izveidots, vēl nav uzsākts").is_visible()
            checked(page, "round-created")
            # Launched in the background (no Prefect server): the round's page polled.
            with page.expect_navigation():
                page.get_by_role("button", name="Uzsākt ciklu").click()
            assert page.get_by_text("Cikla uzsākšana sākta").is_visible()
            deadline = time.monotonic() + 120
            while "Sagatavoti uzaicinājumi:" not in page.content():
                assert time.monotonic() < deadline, "the launch did not end within 120 s"
                time.sleep(0.5)
                page.reload()
            assert page.get_by_text("notiek (atbildes tiek gaidītas)").is_visible()
            checked(page, "round-launched")

            # 2. A's lead answers and submits; the coordinator watches the progress.
            lead = client_of(world, "lead")
            aid = assignment_id(world, A)
            assert autosave(lead, aid, FIELD, str(new_degree(world)))[0] == 200
            assert submit(lead, aid) == 303
            follow(page, page.get_by_role("link", name="Izpildes gaita"))
            assert page.get_by_role("img", name=f"Cikla {K2} izpildes gaita").is_visible()
            checked(page, "progress")
            page.get_by_label("Stāvoklis").select_option("submitted")
            with page.expect_navigation():
                page.get_by_role("button", name="Atlasīt").click()
            assert page.url == f"{base}/console/rounds/{K2}/progress?group=&state=submitted&name="
            checked(page, "progress-submitted")
            with page.expect_download() as info:
                page.get_by_role("link", name="Iestādes, xlsx").click()
            book = tmp_path / "iestades.xlsx"
            info.value.save_as(book)
            sheet = openpyxl.load_workbook(book, read_only=True).active
            assert sheet is not None
            rows = [r for r in sheet.iter_rows(values_only=True) if any(r)]
            assert [(r[0], r[1], r[3]) for r in rows[1:]] == [(A, NAMES[A], "iesniegta")], rows

            # 3. The reviewer, in a browser of their own, returns the submission.
            reviewing = browser.new_context().new_page()
            reviewing.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            sign_in_page(reviewing, base, world, reviewer_email, reviewer_secret)
            follow(reviewing, reviewing.get_by_role("link", name="Pārbaude"))
            assert reviewing.get_by_text("Pārbaudi gaida 1 iesniegums.").is_visible()
            checked(reviewing, "review-list")
            follow(reviewing, reviewing.get_by_role("link", name=f"{A} {NAMES[A]}"))
            assert (
                reviewing.get_by_role("heading", level=1)
                .inner_text()
                .startswith("Iesniegums pārbaudei")
            )
            checked(reviewing, "submission")
            reviewing.locator('textarea[id="item-1.1"]').fill(ON_ITEM)
            reviewing.get_by_label("Komentārs par iesniegumu kopumā").fill(WHOLE)
            with reviewing.expect_navigation():
                reviewing.get_by_role("button", name="Atgriezt ar komentāriem").click()
            assert (
                reviewing.get_by_role("status")
                .inner_text()
                .startswith("Iesniegums atgriezts papildināšanai")
            )
            checked(reviewing, "returned")
            # The team reads both comments, changes one answer and resubmits.
            overview = lead.get(f"/questionnaire/{aid}").text
            assert ON_ITEM in overview and WHOLE in overview
            assert autosave(lead, aid, "EVIDENCE_1_1", EVIDENCE)[0] == 200
            assert submit(lead, aid) == 303
            # The change since the return, highlighted (a row of its own class, and said
            # in words), then accepted.
            follow(reviewing, reviewing.get_by_role("link", name="Atpakaļ uz cikla"))
            assert reviewing.get_by_text("kopš atgrieztā iesnieguma").is_visible()
            follow(reviewing, reviewing.get_by_role("link", name=f"{A} {NAMES[A]}"))
            assert reviewing.get_by_text(ON_ITEM).first.is_visible()
            checked(reviewing, "resubmission")
            follow(reviewing, reviewing.get_by_role("link", name="Tikai mainītās atbildes"))
            changed = reviewing.locator("table.answers tbody tr")
            assert changed.count() == 1
            assert changed.get_attribute("class") == "changed"
            assert EVIDENCE in changed.inner_text() and "Mainīts" in changed.inner_text()
            checked(reviewing, "resubmission-changes")
            with reviewing.expect_navigation():
                reviewing.get_by_role("button", name="Pieņemt iesniegumu").click()
            assert reviewing.get_by_role("status").inner_text().startswith("Iesniegums pieņemts")
            checked(reviewing, "accepted")
            reviewing.context.close()

            # 4. The coordinator reads the rounds side by side: K2's acceptance counted.
            page.goto(f"{base}/console")
            heads = page.locator("table.counts thead th").all_inner_texts()[1:]
            accepted = page.get_by_role("row", name="pieņemta").locator("td").all_inner_texts()
            assert dict(zip(heads, accepted, strict=True)) == {ROUND: "0", K2: "1"}
            checked(page, "home-two-rounds")
            # The trend across rounds, from the console's navigation.
            follow(page, page.get_by_role("link", name="Tendences"))
            assert page.url == f"{base}{TRENDS}"
            assert page.get_by_role(
                "heading", level=1, name="Izmaiņas starp novērtēšanas cikliem"
            ).is_visible()
            main = page.get_by_role("main").inner_text()
            assert f"Salīdzināti novērtēšanas cikli: {ROUND}, {K2}" in main
            checked(page, "trends")

            # 5. The RV6 plan: drafted from round K1's gaps, a measure edited as version 2,
            # the version downloaded as PDF and as a workbook.
            follow(page, page.get_by_role("link", name="RV6/RV7 plāni un atvērtie dati"))
            checked(page, "plans")
            with page.expect_navigation():
                page.get_by_role("button", name=f"Izstrādāt RV6 plānu ({ROUND})").click()
            assert page.get_by_text(
                "Plāns izstrādāts no cikla atšķirībām: 1. versija."
            ).is_visible()
            checked(page, "plan")
            with world.root.db.reading() as s:
                key = get_plan(s, ROUND, "RV6").measures[0].key
            follow(page, page.get_by_role("link", name=f"Labot pasākumu {key}"))
            checked(page, "measure")
            page.get_by_label("Atbildīgā institūcija").fill("VARAM")
            page.get_by_label("Termiņš").fill("2027-09-30")
            page.get_by_label("Iemesls", exact=True).fill("Saskaņots ar VDAA")
            with page.expect_navigation():
                page.get_by_role("button", name="Saglabāt kā jaunu versiju").click()
            assert page.get_by_text("Izmaiņas saglabātas kā 2. versija.").is_visible()
            assert "30.09.2027" in page.get_by_role("region", name=key).inner_text()
            checked(page, "plan-v2")
            with page.expect_download() as info:
                page.get_by_role("link", name="2. versija PDF formātā (publicējama)").click()
            assert info.value.suggested_filename == "2026-K1-RV6-v2.pdf"
            pdf = tmp_path / "plan.pdf"
            info.value.save_as(pdf)
            with page.expect_download() as info:
                page.get_by_role("link", name="2. versija Excel darbgrāmatā (publicējama)").click()
            assert info.value.suggested_filename == "2026-K1-RV6-v2.xlsx"
            workbook = tmp_path / "plan.xlsx"
            info.value.save_as(workbook)
            assert all(e.startswith("Failed to load resource") for e in errors), errors
        finally:
            browser.close()

    text = " ".join(
        subprocess.run(
            [require_program("pdftotext"), "-layout", str(pdf), "-"],
            capture_output=True, text=True, check=True,
        ).stdout.split()
    )  # fmt: skip
    assert "Versija 2" in text and "30.09.2027" in text
    sheet = openpyxl.load_workbook(workbook, read_only=True).worksheets[0]
    edited = [r for r in sheet.iter_rows(values_only=True) if r[0] == key]
    assert [r[3:5] for r in edited] == [
        (
            "Viedās administrācijas un reģionālās attīstības ministrija (VARAM)",
            datetime(2027, 9, 30),
        )
    ], edited
    with world.root.db.reading() as s:
        assignment = s.get(Assignment, aid)
        assert assignment is not None and assignment.state == "accepted"
        assert [(r.decision, r.reviewer) for r in s.exec(select(Review))] == [
            ("returned", reviewer_email),
            ("accepted", reviewer_email),
        ]
        launched = s.exec(
            select(AuditLog).where(AuditLog.action == ROUND_LAUNCH).order_by(col(AuditLog.id))
        ).all()
        assert [e.actor for e in launched] == [coordinator_email]
    assert len(checked.urls) == 18
