"""The portal's side of review (pvpp.review): in a round with review the lead's submission
waits for the reviewer (read-only, "being reviewed"); a return reopens the questionnaire
with the reviewer's comment beside each commented item and the whole comment on the
overview, which also lists what the team changed since; the resubmission is read against
the returned one, and an acceptance ends the comments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from pvpp.answer_diff import FieldChange
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.review import accept, open_review, return_submission
from pvpp.rounds import create_round
from pvpp.store.models import AnswerSet, Assignment
from tests.web.conftest import K2, A, B, World, assignment_id, built_world, client_of, csrf_of
from tests.web.test_questionnaire import autosave

REVIEWER = "recenzents@varam.gov.lv"
NOW = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)
WHOLE = "Pierādījumi 1. komponentei nav pietiekami.\nLūdzam papildināt."
ON_ITEM = "Pievienojiet rīkojumu par vienoto terminoloģiju."
ON_SERVICES = "Norādiet pakalpojumu kataloga ID."


@pytest.fixture
def rworld(tmp_path: Path, spec: QuestionnaireSpec) -> Iterator[World]:
    """The web tests' world with round 2026-K2 created with review, inviting A and B."""
    with built_world(tmp_path, spec) as w:
        with w.root.db.unit_of_work() as s:
            create_round(
                s, code=K2, opens_on=date(2026, 4, 1), due_on=date(2026, 6, 30),
                questionnaire_version=spec.id, institutions=[A, B], review_required=True,
            )  # fmt: skip
        yield w


def _submit(client: TestClient, aid: int) -> int:
    page = client.get(f"/questionnaire/{aid}")
    answer = client.post(
        f"/questionnaire/{aid}/submit", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    return answer.status_code


def _state(world: World, aid: int) -> str:
    with world.root.db.reading() as s:
        assignment = s.get(Assignment, aid)
        assert assignment is not None
        return assignment.state


def test_a_return_reopens_the_questionnaire_with_the_comments_beside_their_items(
    rworld: World,
) -> None:
    lead = client_of(rworld, "lead")
    aid = assignment_id(rworld, A)
    assert _submit(lead, aid) == 303  # the draft starts complete from A's K1 answers
    assert _state(rworld, aid) == "submitted"
    overview = lead.get(f"/questionnaire/{aid}?submitted=1").text
    assert "PVPP2027 koordinācija tās izskatīs" in overview
    assert "Atbildes ir iesniegtas un pieņemtas" not in overview
    page = lead.get(f"/questionnaire/{aid}/C1").text
    assert "tās izskata PVPP2027 koordinācija" in page and "hx-post" not in page
    assert "tās izskata PVPP2027 koordinācija" in lead.get("/").text
    with rworld.root.db.reading() as s:
        assert s.exec(select(AnswerSet).where(AnswerSet.assignment_id == aid)).all() == []

    with rworld.root.db.unit_of_work() as s:
        return_submission(
            s, K2, A, reviewer=REVIEWER, comment=WHOLE,
            item_comments={"1.1": ON_ITEM, "services": ON_SERVICES},
            now=NOW, settings=rworld.root.settings,
        )  # fmt: skip
    assert _state(rworld, aid) == "returned"

    overview = lead.get(f"/questionnaire/{aid}").text
    assert "PVPP2027 koordinācijas komentāri" in overview
    assert "Komentārs par pašnovērtējumu kopumā" in overview and WHOLE in overview
    assert f'href="/questionnaire/{aid}/C1#item-1.1"' in overview and ON_ITEM in overview
    assert f'href="/questionnaire/{aid}/services"' in overview and ON_SERVICES in overview
    assert "Kopš atgriešanas atbildes vēl nav mainītas." in overview
    assert "Atgriešanas datums: 02.04.2026 12:30." in overview  # Latvian time
    page = lead.get(f"/questionnaire/{aid}/C1").text
    assert "hx-post" in page  # open again
    item = page[page.index('id="item-1.1"') : page.index('id="item-1.2"')]
    assert "Koordinācijas komentārs" in item and ON_ITEM in item
    assert ON_ITEM not in page[page.index('id="item-1.2"') :]  # only beside its item
    assert ON_SERVICES in lead.get(f"/questionnaire/{aid}/services").text
    english = lead.get(f"/questionnaire/{aid}?lang=en").text
    assert "Comments of the PVPP2027 coordination" in english and ON_ITEM in english
    home = lead.get("/?lang=lv").text
    assert "atgrieza atbildes papildināšanai ar komentāriem" in home
    assert "problēm" not in home  # not a workbook's problems
    # Another institution's people see nothing of it.
    other = client_of(rworld, "lead", B)
    assert ON_ITEM not in other.get(f"/questionnaire/{assignment_id(rworld, B)}").text

    status, _ = autosave(lead, aid, "COMMENT_1_1", "Rīkojums Nr. 12 pievienots.")
    assert status == 200
    overview = lead.get(f"/questionnaire/{aid}").text
    changed = overview[overview.index("Jautājumi, kuru atbildes mainītas") :]
    assert "<li>1.1 " in changed
    assert _submit(lead, aid) == 303
    assert _state(rworld, aid) == "submitted"
    with rworld.root.db.unit_of_work() as s:
        view = open_review(s, K2, A)
        assert view.base is not None and view.base.returned
        assert [d.field for d in view.diff if d.change is not FieldChange.UNCHANGED] == [
            "COMMENT_1_1"
        ]
        assert view.last_return is not None and view.last_return.items["1.1"] == ON_ITEM
        accept(s, K2, A, reviewer=REVIEWER, now=NOW)
    assert _state(rworld, aid) == "accepted"
    overview = lead.get(f"/questionnaire/{aid}").text
    assert ON_ITEM not in overview and "PVPP2027 koordinācijas komentāri" not in overview


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
def test_the_returned_questionnaire_in_a_browser_has_no_accessibility_violation(
    chromium: str, tmp_path: Path, spec: QuestionnaireSpec
) -> None:
    """The overview with the reviewer's comments, a component's page with an item's comment
    and the services' page with its own: axe finds nothing (screenshots with
    ``PVPP_SCREENSHOTS``)."""
    from playwright.sync_api import sync_playwright

    from pvpp.web import create_app
    from tests.web.browser import Checked, free_port, serving

    port = free_port()
    with built_world(tmp_path, spec, public_url=f"http://127.0.0.1:{port}") as w:
        with w.root.db.unit_of_work() as s:
            create_round(
                s, code=K2, opens_on=date(2026, 4, 1), due_on=date(2026, 6, 30),
                questionnaire_version=spec.id, institutions=[A, B], review_required=True,
            )  # fmt: skip
        aid = assignment_id(w, A)
        assert _submit(client_of(w, "lead"), aid) == 303
        with w.root.db.unit_of_work() as s:
            return_submission(
                s, K2, A, reviewer=REVIEWER, comment=WHOLE,
                item_comments={"1.1": ON_ITEM, "services": ON_SERVICES},
                now=NOW, settings=w.root.settings,
            )  # fmt: skip
        token = w.issue(A, "lead")
        checked = Checked("review-")
        with serving(create_app(w.root), port) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                page = browser.new_context().new_page()
                page.goto(f"{base}/signin/{token}")
                with page.expect_navigation():
                    page.get_by_role("button", name="Pieteikties").click()
                page.goto(f"{base}/questionnaire/{aid}")
                assert page.get_by_role(
                    "heading", name="PVPP2027 koordinācijas komentāri"
                ).is_visible()
                checked(page, "overview")
                page.goto(f"{base}/questionnaire/{aid}/C1")
                note = page.get_by_role("note").first
                assert ON_ITEM in note.inner_text()
                checked(page, "C1")
                page.goto(f"{base}/questionnaire/{aid}/services")
                checked(page, "services")
            finally:
                browser.close()
        assert len(checked.urls) == 3
