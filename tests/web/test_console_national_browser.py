"""The console's national results in a real browser (Debian's chromium driven by
Playwright, the app served by uvicorn on loopback): an analyst signs in with a password
and a TOTP code, goes from the nav to the rounds, opens a round's national results, filters
them by institution group and downloads a table as CSV; the coordinator's page with the
institutions' names, in English too. axe-core finds no violation on any page seen
(``PVPP_SCREENSHOTS`` keeps a screenshot of each, prefixed ``console-national-``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.web.browser import Checked, follow
from tests.web.conftest import NAMES, ROUND, A, World
from tests.web.consoles import ACCOUNTS, add_console_account, sign_in_page


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
def test_an_analyst_and_a_coordinator_read_a_round_s_national_results(
    chromium: str, served: tuple[World, str], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    world, base = served
    analyst = add_console_account(world, "analyst")
    coordinator = add_console_account(world, "coordinator")
    checked = Checked("console-national-")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            sign_in_page(page, base, world, ACCOUNTS["analyst"][0], analyst)
            follow(page, page.get_by_role("link", name="Valsts rezultāti"))
            assert page.url == f"{base}/console/national"
            checked(page, "index")
            follow(page, page.get_by_role("link", name=f"Rezultāti: {ROUND}"))
            assert page.get_by_role("heading", name=f"Valsts rezultāti: {ROUND}").is_visible()
            # As the public will: two scored, so no chart, no institution by code.
            assert page.get_by_role("img", name="Vērtējumu sadalījums pa sastāvdaļām").count() == 0
            assert page.get_by_role("rowheader", name=A, exact=True).count() == 0
            assert NAMES[A] not in page.content()
            checked(page, "round-analyst")

            # One institution group: the filter keeps it in the address and the downloads.
            group = page.locator("#group option").nth(1).get_attribute("value") or ""
            page.get_by_label("Iestāžu grupa").select_option(group)
            with page.expect_navigation():
                page.get_by_role("button", name="Atlasīt").click()
            assert f"group={group}" in page.url
            checked(page, "round-group")
            with page.expect_download() as info:
                page.get_by_role("link", name="Lejupielādēt tabulu “Atšķirības” (csv)").click()
            saved = tmp_path / "gaps.csv"
            info.value.save_as(saved)
            rows = list(csv.reader(io.StringIO(saved.read_text("utf-8-sig")), delimiter=";"))
            assert rows[0][0] == "Punkts"

            # The coordinator: names, a link back to the round, and the page in English.
            page = browser.new_context().new_page()
            sign_in_page(page, base, world, ACCOUNTS["coordinator"][0], coordinator)
            page.goto(f"{base}/console/rounds/{ROUND}")
            follow(page, page.get_by_role("link", name=f"Rezultāti: {ROUND}"))
            assert page.get_by_text(NAMES[A]).first.is_visible()
            checked(page, "round-coordinator")
            page.goto(f"{base}/console/rounds/{ROUND}/national?lang=en")
            assert page.get_by_role("heading", name=f"National results: {ROUND}").is_visible()
            checked(page, "round-en")
            assert not errors, errors
        finally:
            browser.close()
