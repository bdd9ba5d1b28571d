"""Reviewing in a real browser (Debian's chromium driven by Playwright, the app served by
uvicorn on loopback): a reviewer signs in to the console with a password and a TOTP code,
opens the submission waiting for review, returns it (first without the comment on the
whole submission: refused, the item's comment kept), the team resubmits through the
portal, and the reviewer sees what changed since the return and accepts. axe-core finds
no violation on any page seen (``PVPP_SCREENSHOTS`` keeps a screenshot of each, prefixed
``console-review-``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from pvpp.questionnaire import QuestionnaireSpec
from pvpp.rounds import create_round
from pvpp.store.models import Assignment, Review
from pvpp.web import create_app
from tests.web.browser import Checked, follow, free_port, serving
from tests.web.conftest import K2, NAMES, A, B, assignment_id, built_world, client_of
from tests.web.consoles import ACCOUNTS, add_console_account, sign_in_page
from tests.web.test_console_review import FIELD, new_degree, submit
from tests.web.test_questionnaire import autosave

WHOLE = "Pierādījumi 1. komponentei nav pietiekami. Lūdzam papildināt."
ON_ITEM = "Pievienojiet rīkojumu par vienoto terminoloģiju."


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
def test_a_reviewer_returns_a_submission_and_accepts_the_resubmission(
    chromium: str, tmp_path: Path, spec: QuestionnaireSpec
) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    with built_world(tmp_path, spec, public_url=f"http://127.0.0.1:{port}") as world:
        with world.root.db.unit_of_work() as s:
            create_round(
                s, code=K2, opens_on=date(2026, 4, 1), due_on=date(2026, 6, 30),
                questionnaire_version=spec.id, institutions=[A, B], review_required=True,
            )  # fmt: skip
        lead = client_of(world, "lead")
        aid = assignment_id(world, A)
        assert autosave(lead, aid, FIELD, str(new_degree(world)))[0] == 200
        assert submit(lead, aid) == 303
        secret = add_console_account(world, "reviewer")
        email = ACCOUNTS["reviewer"][0]
        checked = Checked("console-review-")
        with serving(create_app(world.root), port) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                page = browser.new_context().new_page()
                sign_in_page(page, base, world, email, secret)
                assert page.url == f"{base}/console"
                follow(page, page.get_by_role("link", name="Pārbaude"))
                assert page.get_by_text("Pārbaudi gaida 1 iesniegums.").is_visible()
                checked(page, "list")
                follow(page, page.get_by_role("link", name=f"{A} {NAMES[A]}"))
                assert (
                    page.get_by_role("heading", level=1)
                    .inner_text()
                    .startswith("Iesniegums pārbaudei")
                )
                assert page.get_by_text("Mainīts", exact=True).count() == 1
                checked(page, "submission")
                follow(page, page.get_by_role("link", name="Tikai mainītās atbildes"))
                assert page.get_by_text("Nemainīts", exact=True).count() == 0
                checked(page, "only-changes")

                # Return: the item's comment typed, the whole comment forgotten.
                page.locator('textarea[id="item-1.1"]').fill(ON_ITEM)
                with page.expect_navigation():
                    page.get_by_role("button", name="Atgriezt ar komentāriem").click()
                summary = page.locator(".error-summary")
                assert "Ierakstiet komentāru par iesniegumu kopumā" in summary.inner_text()
                assert page.locator('textarea[id="item-1.1"]').input_value() == ON_ITEM
                box = page.get_by_label("Komentārs par iesniegumu kopumā")
                assert box.get_attribute("aria-invalid") == "true"
                checked(page, "return-refused")
                summary.get_by_role("link").click()
                box.fill(WHOLE)
                with page.expect_navigation():
                    page.get_by_role("button", name="Atgriezt ar komentāriem").click()
                assert (
                    page.get_by_role("status")
                    .inner_text()
                    .startswith("Iesniegums atgriezts papildināšanai")
                )
                checked(page, "returned")

                # The team reads the comment in the portal, changes the answer, resubmits.
                overview = lead.get(f"/questionnaire/{aid}").text
                assert ON_ITEM in overview and WHOLE in overview
                assert autosave(lead, aid, "EVIDENCE_1_1", "Rīkojums Nr. 12.")[0] == 200
                assert submit(lead, aid) == 303

                follow(page, page.get_by_role("link", name="Atpakaļ uz cikla"))
                assert page.get_by_text("kopš atgrieztā iesnieguma").is_visible()
                follow(page, page.get_by_role("link", name=f"{A} {NAMES[A]}"))
                assert page.get_by_role(
                    "heading", name="Komentāri, ar kuriem iesniegums tika atgriezts"
                ).is_visible()
                assert page.get_by_text(ON_ITEM).first.is_visible()
                checked(page, "resubmission")
                follow(page, page.get_by_role("link", name="Tikai mainītās atbildes"))
                changed = page.locator("table.answers tbody tr")
                assert changed.count() == 1 and "Rīkojums Nr. 12." in changed.inner_text()
                checked(page, "resubmission-changes")
                page.get_by_label("Komentārs (neobligāts)").fill("Paldies, pieņemts.")
                with page.expect_navigation():
                    page.get_by_role("button", name="Pieņemt iesniegumu").click()
                assert page.get_by_role("status").inner_text().startswith("Iesniegums pieņemts")
                checked(page, "accepted")
                follow(page, page.get_by_role("link", name="In English"))
                assert page.get_by_text("accepted (" + email).is_visible()
                checked(page, "accepted-en")
            finally:
                browser.close()
        with world.root.db.reading() as s:
            assignment = s.get(Assignment, aid)
            assert assignment is not None and assignment.state == "accepted"
            assert [r.decision for r in s.exec(select(Review)).all()] == ["returned", "accepted"]
    assert len(checked.urls) == 9
