"""The console's rounds in a real browser (Debian's chromium driven by Playwright, the app
served by uvicorn on loopback): a coordinator signs in with a password and a TOTP code,
creates a round (first with an empty form: the errors beside the fields and in the
summary), launches it (in the background: the page says so at once and, reloaded, how it
went), opens its progress, filters it by name, and downloads the institutions as CSV;
changes a national milestone (P2.1: a date left out refused, then saved); the reminder and
closing confirmations. axe-core finds no violation on any page seen
(``PVPP_SCREENSHOTS`` keeps a screenshot of each, prefixed ``console-rounds-``)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from tests.web.browser import Checked, follow
from tests.web.conftest import World
from tests.web.consoles import ACCOUNTS, add_console_account, sign_in_page

NEW = "2026-K3"


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
def test_a_coordinator_creates_launches_and_watches_a_round(
    chromium: str, served: tuple[World, str], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    world, base = served
    secret = add_console_account(world, "coordinator")
    email = ACCOUNTS["coordinator"][0]
    checked = Checked("console-rounds-")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            sign_in_page(page, base, world, email, secret)
            assert page.url == f"{base}/console"

            # A new round: the scope first, an empty form refused beside its fields.
            follow(page, page.get_by_role("link", name="Jauns cikls"))
            assert page.get_by_role("heading", name="Iestādes pēc RV1 noteikumiem").is_visible()
            assert page.get_by_label("Iesniegumus pārbauda koordinācija").is_checked()
            checked(page, "new")
            with page.expect_navigation():
                page.get_by_role("button", name="Izveidot ciklu").click()
            assert page.locator(".error-summary li").count() == 2
            assert page.get_by_label("Cikla kods").get_attribute("aria-invalid") == "true"
            checked(page, "new-errors")
            page.get_by_label("Cikla kods").fill(NEW)
            page.get_by_label("Iesniegšanas termiņš").fill("2026-06-30")
            with page.expect_navigation():
                page.get_by_role("button", name="Izveidot ciklu").click()
            assert page.url == f"{base}/console/rounds/{NEW}?done=created"
            assert page.get_by_text("izveidots, vēl nav uzsākts").is_visible()
            checked(page, "round-created")

            # Launch: the answer comes at once, the work goes on in the background.
            started = time.monotonic()
            with page.expect_navigation():
                page.get_by_role("button", name="Uzsākt ciklu").click()
            assert page.get_by_text("Cikla uzsākšana sākta").is_visible()
            answered = time.monotonic() - started
            deadline = time.monotonic() + 120
            while "Sagatavoti uzaicinājumi:" not in page.content():
                assert time.monotonic() < deadline, "the launch did not end within 120 s"
                time.sleep(1)
                page.reload()
            assert page.get_by_text("notiek (atbildes tiek gaidītas)").is_visible()
            checked(page, "round-launched")

            # Progress: the chart with its data, filtered by name, a table downloaded.
            follow(page, page.get_by_role("link", name="Izpildes gaita"))
            assert page.get_by_role("img", name=f"Cikla {NEW} izpildes gaita").is_visible()
            checked(page, "progress")
            page.get_by_label("Nosaukums vai kods satur").fill("ieņēmumu")
            with page.expect_navigation():
                page.get_by_role("button", name="Atlasīt").click()
            assert page.url == (
                f"{base}/console/rounds/{NEW}/progress?group=&state=&name=ie%C5%86%C4%93mumu"
            )
            assert page.get_by_text("nosaukumā vai kodā: “ieņēmumu”").is_visible()
            checked(page, "progress-filtered")
            link = page.get_by_role("link", name="Iestādes, csv")
            with page.expect_download() as download:
                link.click()
            got = download.value
            assert got.suggested_filename == f"Cikla izpilde {NEW} Iestādes.csv"
            target = tmp_path / "iestades.csv"
            got.save_as(target)
            rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig")), delimiter=";"))
            assert [r[0] for r in rows[1:]] == ["VID"], rows

            # A national milestone (P2.1 guidelines): changed from the progress page, a
            # date left out refused beside its field.
            page.goto(f"{base}/console/rounds/{NEW}/progress")
            follow(page, page.get_by_role("link", name="Labot P2.1"))
            assert page.get_by_label("Izpilde").input_value() == "planned"
            checked(page, "milestone")
            page.get_by_label("Termiņš", exact=True).fill("")
            with page.expect_navigation():
                page.get_by_role("button", name="Saglabāt").click()
            assert page.locator(".error-summary li").count() == 1
            assert page.get_by_label("Termiņš", exact=True).get_attribute("aria-invalid") == "true"
            checked(page, "milestone-errors")
            page.get_by_label("Izpilde").select_option("in_progress")
            page.get_by_label("Termiņš", exact=True).fill("2027-06-30")
            page.get_by_label("Piezīme").fill("Vadlīniju projekts nodots saskaņošanai")
            with page.expect_navigation():
                page.get_by_role("button", name="Saglabāt").click()
            assert page.get_by_text("Pasākuma P2.1 izmaiņas ir saglabātas.").is_visible()
            row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="P2.1"))
            assert "procesā" in row.inner_text() and "30.06.2027" in row.inner_text()
            checked(page, "milestone-saved")

            # The confirmations before reminding and closing.
            page.goto(f"{base}/console/rounds/{NEW}")
            follow(page, page.get_by_role("button", name="Nosūtīt atgādinājumus…"))
            assert page.get_by_role("button", name="Nosūtīt atgādinājumus").is_visible()
            checked(page, "remind")
            page.goto(f"{base}/console/rounds/2026-K1/close")
            assert page.get_by_role("button", name="Slēgt ciklu").is_visible()
            checked(page, "close")
            assert all(e.startswith("Failed to load resource") for e in errors), errors
        finally:
            browser.close()
    assert answered < 10, f"the launch's answer took {answered:.1f} s"
    assert len(checked.urls) == 11
