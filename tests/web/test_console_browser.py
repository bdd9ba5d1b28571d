"""The console's sign-in in a real browser (Debian's chromium driven by Playwright, the app
served by uvicorn on loopback): a coordinator opens the console, is sent to sign in, types
the address and password, then a wrong code (refused beside the field) and the code pyotp
computes, and sees the console home with the rounds and their counts, in Latvian and
English; the accounts page; sign-out. axe-core finds no violation on any page seen
(``PVPP_SCREENSHOTS`` keeps a screenshot of each, prefixed ``console-``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.browser import Checked, follow
from tests.web.conftest import World
from tests.web.consoles import ACCOUNTS, PASSWORD, add_console_account, code_now


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
def test_a_coordinator_signs_in_with_password_and_totp_and_sees_the_console(
    chromium: str, served: tuple[World, str]
) -> None:
    from playwright.sync_api import sync_playwright

    world, base = served
    secret = add_console_account(world, "coordinator")
    add_console_account(world, "analyst")
    email, name = ACCOUNTS["coordinator"]
    checked = Checked("console-")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_context().new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            # The console without a session: asked to sign in (401), the way there a link.
            answer = page.goto(f"{base}/console")
            assert answer is not None and answer.status == 401
            checked(page, "required")
            follow(page, page.get_by_role("link", name="Pieteikšanās konsolē"))
            checked(page, "signin")
            # An empty form: both fields named in the summary and beside themselves.
            with page.expect_navigation():
                page.get_by_role("button", name="Turpināt").click()
            assert page.locator(".error-summary li").count() == 2
            checked(page, "signin-empty")
            page.get_by_label("E-pasta adrese").fill(email)
            page.get_by_label("Parole").fill(PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Turpināt").click()
            assert page.get_by_role(
                "heading", name="Kods no autentifikācijas lietotnes"
            ).is_visible()
            checked(page, "code")
            right = code_now(world, secret)
            page.get_by_label("Sešu ciparu kods").fill("000000" if right != "000000" else "111111")
            with page.expect_navigation():
                page.get_by_role("button", name="Pieteikties").click()
            assert page.get_by_label("Sešu ciparu kods").get_attribute("aria-invalid") == "true"
            checked(page, "code-wrong")
            page.get_by_label("Sešu ciparu kods").fill(right)
            with page.expect_navigation():
                page.get_by_role("button", name="Pieteikties").click()
            assert page.url == f"{base}/console"
            assert page.get_by_role("heading", name="Konsole", exact=True).is_visible()
            assert page.get_by_text(f"{name} · koordinators").is_visible()
            assert page.get_by_role("columnheader", name="2026-K1").is_visible()
            assert "37 iestādes" in page.get_by_role("row", name="Kopā").inner_text()
            checked(page, "home")
            follow(page, page.get_by_role("link", name="In English"))
            assert page.get_by_text(f"{name} · coordinator").is_visible()
            assert "37 institutions" in page.get_by_role("row", name="In all").inner_text()
            checked(page, "home-en")
            follow(page, page.get_by_role("link", name="Accounts"))
            assert page.get_by_role("rowheader", name=ACCOUNTS["analyst"][0]).is_visible()
            checked(page, "accounts")
            with page.expect_navigation():
                page.get_by_role("button", name="Sign out").click()
            assert page.get_by_text("You have signed out of the console").is_visible()
            checked(page, "signed-out")
            # The session is over on the server: the console asks to sign in again.
            world.clock.advance(timedelta(seconds=1))
            answer = page.goto(f"{base}/console")
            assert answer is not None and answer.status == 401
            # Nothing but the refused answers' own statuses (401, 400) in the console: no
            # script or style the CSP refused.
            assert all(e.startswith("Failed to load resource") for e in errors), errors
        finally:
            browser.close()
    assert len(checked.urls) == 9
