"""The console's OpenID Connect sign-in in a real browser (Debian's chromium driven by
Playwright; the app and the tests' provider both served by uvicorn on loopback): the
sign-in page offers "Pieteikties ar Latvija.lv"; a person the provider signs in whose
address has no console account gets the refusal beside the link; the coordinator goes
through the provider, types the TOTP code and sees the console. axe-core finds no violation
on any page seen (``PVPP_SCREENSHOTS`` keeps a screenshot of each, prefixed
``console-oidc-``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from pvpp.questionnaire import QuestionnaireSpec
from pvpp.web import create_app
from tests.web.browser import Checked, follow, free_port, serving
from tests.web.conftest import World, built_world
from tests.web.consoles import ACCOUNTS, add_console_account, code_now
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, Idp, running_idp


@pytest.fixture
def served(tmp_path: Path, spec: QuestionnaireSpec) -> Iterator[tuple[World, Idp, str]]:
    """The two institutions, the provider, and the app (configured for the provider)
    served by uvicorn on 127.0.0.1."""
    port = free_port()
    with (
        built_world(tmp_path, spec, public_url=f"http://127.0.0.1:{port}") as world,
        running_idp(world.clock.now) as idp,
    ):
        settings = world.root.settings.model_copy(update={
            "console_oidc_issuer": idp.issuer, "console_oidc_client_id": CLIENT_ID,
            "console_oidc_client_secret": SecretStr(CLIENT_SECRET),
            "console_oidc_name": "Latvija.lv",
        })  # fmt: skip
        root = dataclasses.replace(world.root, settings=settings)
        with serving(create_app(root), port) as base:
            yield world, idp, base


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
def test_a_coordinator_signs_in_through_the_provider_and_the_code(
    chromium: str, served: tuple[World, Idp, str]
) -> None:
    from playwright.sync_api import sync_playwright

    world, idp, base = served
    secret = add_console_account(world, "coordinator")
    name = ACCOUNTS["coordinator"][1]
    checked = Checked("console-oidc-")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_context().new_page()
            page.goto(f"{base}/console/signin")
            link = page.get_by_role("link", name="Pieteikties ar Latvija.lv")
            assert link.is_visible()
            checked(page, "signin")
            # Someone the provider knows but the console does not.
            idp.reset(email="nobody@varam.gov.lv")
            follow(page, link)
            assert page.url.startswith(f"{base}/console/signin/oidc/callback")
            assert page.locator(".error-summary li").count() == 1
            assert page.get_by_text("Pieteikšanās ar Latvija.lv neizdevās").first.is_visible()
            checked(page, "refused")
            # The coordinator: through the provider, then the code.
            idp.reset()
            follow(page, page.get_by_role("link", name="Pieteikties ar Latvija.lv"))
            assert page.url == f"{base}/console/signin/code"
            checked(page, "code")
            world.clock.advance(timedelta(seconds=30))
            page.get_by_label("Sešu ciparu kods").fill(code_now(world, secret))
            with page.expect_navigation():
                page.get_by_role("button", name="Pieteikties").click()
            assert page.url == f"{base}/console"
            assert page.get_by_text(f"{name} · koordinators").is_visible()
            checked(page, "home")
        finally:
            browser.close()
    assert len(checked.urls) == 4
