"""The console's trend across rounds in a real browser (Debian's chromium driven by
Playwright, the app served by uvicorn on loopback): a reviewer signs in with a password
and a TOTP code, opens "Tendences" from the navigation, reads the trend of 2026-K1 and
2027-K1 (the versions' note, a chart per component, the tables), ticks one round only
(refused with the error summary), follows a jump warning's institution to its standing in
its group and back to the round's institutions, filtered by name. An analyst reads the
trend without names. axe-core finds no violation on any page seen (``PVPP_SCREENSHOTS``
keeps a screenshot of each, prefixed ``trends-``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pvpp.clock import FixedClock
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.web import create_app
from tests.conftest import make_root
from tests.web.browser import Checked, follow, free_port, serving
from tests.web.conftest import World, web_settings
from tests.web.consoles import ACCOUNTS, add_console_account, sign_in_page
from tests.web.test_console_trends import two_rounds


@pytest.fixture
def trend_served(
    tmp_path: Path, spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec
) -> Iterator[tuple[World, str]]:
    """The two rounds, and the app served on 127.0.0.1."""
    from starlette.testclient import TestClient

    port = free_port()
    clock = FixedClock(date(2027, 4, 2))
    root = make_root(web_settings(tmp_path, public_url=f"http://127.0.0.1:{port}"), clock)
    root.db.upgrade()
    try:
        two_rounds(root, spec, spec_q2, tmp_path)
        world = World(root, clock, TestClient(create_app(root)))
        with serving(create_app(root), port) as base:
            yield world, base
    finally:
        root.close()


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
def test_a_reviewer_reads_the_trend_and_an_institution_s_standing(
    chromium: str, trend_served: tuple[World, str]
) -> None:
    from playwright.sync_api import sync_playwright

    world, base = trend_served
    checked = Checked("trends-")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_context().new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            secret = add_console_account(world, "reviewer")
            sign_in_page(page, base, world, ACCOUNTS["reviewer"][0], secret)
            follow(page, page.get_by_role("link", name="Tendences"))
            assert page.get_by_role(
                "heading", level=1, name="Izmaiņas starp novērtēšanas cikliem"
            ).is_visible()
            assert page.get_by_label("2026-K1 (izveidots)").is_checked()
            assert page.get_by_text("Cikli izmanto dažādas anketas versijas").is_visible()
            assert page.locator("svg[role=img]").count() == 4
            checked(page, "index")
            # One round ticked: refused, said in the error summary and beside the ticks.
            page.get_by_label("2026-K1 (izveidots)").uncheck()
            with page.expect_navigation():
                page.get_by_role("button", name="Salīdzināt").click()
            assert page.get_by_role("alert").is_visible()
            checked(page, "one-round")
            page.get_by_label("2026-K1 (izveidots)").check()
            with page.expect_navigation():
                page.get_by_role("button", name="Salīdzināt").click()
            # A jump warning's institution: its standing in its group in the last round.
            follow(page, page.get_by_role("link", name="VID", exact=True))
            assert page.get_by_role(
                "heading", level=1, name="VID savā grupā: novērtēšanas cikls 2027-K1"
            ).is_visible()
            assert page.get_by_role("columnheader", name="Grupas mediāna").first.is_visible()
            checked(page, "position")
            follow(page, page.get_by_role("link", name="Atpakaļ uz iestāžu sarakstu"))
            page.get_by_label("Nosaukums vai kods").fill("zemes")
            with page.expect_navigation():
                page.get_by_role("button", name="Atlasīt").click()
            assert page.get_by_role("rowheader", name="VZD").is_visible()
            checked(page, "institutions")
            # An analyst: the trend, without names.
            page2 = browser.new_context().new_page()
            secret = add_console_account(world, "analyst")
            sign_in_page(page2, base, world, ACCOUNTS["analyst"][0], secret)
            page2.goto(f"{base}/console/trends?lang=en")
            assert page2.get_by_role(
                "heading", level=1, name="Changes between assessment rounds"
            ).is_visible()
            assert page2.get_by_role("link", name="VID", exact=True).count() == 0
            checked(page2, "analyst-en")
            # The one-round form's answer is a 400 (refused as asked): no other error.
            assert [e for e in errors if "status of 400" not in e] == []
        finally:
            browser.close()
