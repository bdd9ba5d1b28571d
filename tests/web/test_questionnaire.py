"""The questionnaire online: a draft saved field by field (autosave) or page by page
(without JavaScript), the workbook checker's rules beside each field in Latvian and
English, progress, the last change winning with who and when, the lead submitting a
complete draft the way an accepted workbook is received, read-only afterwards, and
answers that arrive with an ended session kept until the same person signs in again.

A and B are planned in round 2026-K1 (tests/web/conftest.py); here a second round,
2026-K2, invites both, and A's draft starts from its K1 answers."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from starlette.testclient import TestClient

from flows.demo.synthetic import filled_workbooks
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.questionnaire.values import check_values
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    AuditLog,
    DraftAnswer,
    PendingAnswers,
    Submission,
)
from pvpp.submissions import ingest_bytes
from pvpp.web import create_app
from pvpp.workbook.check import check_workbook
from tests.web.conftest import (
    K2,
    NAMES,
    PUBLIC,
    A,
    B,
    World,
    assignment_id,
    client_of,
    csrf_of,
)
from tests.web.qforms import form_of, post_page

HX = {"HX-Request": "true"}


def autosave(
    client: TestClient, aid: int, field: str, value: str, lang: str | None = None
) -> tuple[int, str]:
    page = client.get(f"/questionnaire/{aid}/C1")
    params = {"lang": lang} if lang else None
    answer = client.post(
        f"/questionnaire/{aid}/fields/{field}", params=params, headers=HX,
        data={"csrf": csrf_of(page.text), field: value},
    )  # fmt: skip
    return answer.status_code, answer.text


def draft_rows(world: World, aid: int, field: str) -> list[DraftAnswer]:
    with world.root.db.reading() as s:
        rows = s.exec(
            select(DraftAnswer)
            .where(DraftAnswer.assignment_id == aid, DraftAnswer.field == field)
            .order_by(col(DraftAnswer.id))
        ).all()
        return [DraftAnswer(**r.model_dump()) for r in rows]


def test_the_draft_starts_from_the_last_answers_and_shows_progress(qworld: World) -> None:
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    go = client.get("/questionnaire", follow_redirects=False)
    assert go.status_code == 303 and go.headers["location"] == f"/questionnaire/{aid}"
    overview = client.get(f"/questionnaire/{aid}").text
    assert "Pašnovērtējuma anketa" in overview and K2 in overview
    assert "Atbildes sākas no jūsu iestādes atbildēm" in overview
    assert f'href="/questionnaire/{aid}/C1"' in overview and "Atbildēts: 16 no 16" in overview
    assert f'href="/questionnaire/{aid}/services"' in overview
    page = client.get(f"/questionnaire/{aid}/C1").text
    assert "No iepriekš pieņemtajām atbildēm." in page
    # The degree descriptors of the policy beside each choice.
    assert "Atbildīgie nav noteikti; neviens neuzskata šo jomu par savu atbildību." in page
    assert 'name="Q_1_1_D1"' in page and 'value="not_applicable"' in page
    assert 'value="unknown"' in page and "Nav zināms" in page
    assert 'src="/static/htmx.min.js"' in page
    # Autosaves go one after another: each answer brings its item's messages and the
    # progress, and one overtaken by an older answer would show stale ones.
    assert page.count("hx-post=") == page.count('hx-sync="closest form:queue all"') > 0
    services = client.get(f"/questionnaire/{aid}/services").text
    assert 'name="SVC01_NAME"' in services and 'name="SVC01_K10"' in services
    js = client.get("/static/htmx.min.js")
    assert js.status_code == 200 and js.text.startswith("var htmx=")


def test_an_autosave_keeps_the_value_and_shows_problems_beside_the_field(qworld: World) -> None:
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    status, fragment = autosave(client, aid, "Q_1_1_D1", "not_applicable")
    assert status == 200
    assert fragment.startswith('<fieldset class="field degree" id="f-Q_1_1_D1"')
    assert 'value="not_applicable" checked' in fragment
    assert "Pēdējās izmaiņas: Jānis Ozols VID, 02.04.2026 12:00." in fragment
    # The item's reason is now required: its message arrives beside the reason field.
    assert 'id="s-NAREASON_1_1" aria-live="polite" hx-swap-oob="true"' in fragment
    assert "Punktā 1.1 izvēlēts “Nav attiecināms” (D1), bet nav norādīts pamatojums" in fragment
    # The answer holds the field and its own item's messages, nothing of another item.
    assert 's-Q_1_2_D1"' not in fragment and "s-COMMENT_1_1" in fragment
    assert "1 kļūda" in fragment
    # In English, the same rule in English.
    _, english = autosave(client, aid, "COMMENT_1_1", "x" * 4001, lang="en")
    assert "The text is too long (4001 characters; the limit is 4000)" in english
    assert 'aria-invalid="true"' in english
    page = client.get(f"/questionnaire/{aid}/C1?lang=lv").text
    # The error summary at the top links each problem to its field.
    assert 'class="error-summary"' in page and 'href="#f-NAREASON_1_1"' in page
    assert 'href="#f-COMMENT_1_1"' in page and "Teksts ir par garu (rakstzīmju skaits: 4001" in page
    # The over-long text is kept, not cut: nothing typed is lost.
    assert draft_rows(qworld, aid, "COMMENT_1_1")[-1].value == "x" * 4001
    autosave(client, aid, "NAREASON_1_1", "Terminus nosaka ministrija.")
    assert "Punktā 1.1 izvēlēts" not in client.get(f"/questionnaire/{aid}/C1").text
    # A target below the current degree.
    _, fragment = autosave(client, aid, "TARGET_1_2", "0")
    assert "ir zemāka par pašreizējo pakāpi" in fragment
    with qworld.root.db.reading() as s:
        assignment = s.get(Assignment, aid)
        assert assignment is not None and assignment.state == "in_progress"
        saves = s.exec(select(AuditLog).where(AuditLog.action == "answers.save")).all()
        assert saves and saves[0].detail["ip"] and saves[0].detail["via"] == "web"


def test_a_text_saved_as_it_is_typed_answers_with_its_status_only(qworld: World) -> None:
    """A text is posted after a pause in typing (``?typing=1``, ``hx-swap="none"``): the
    answer holds no input, only the inside of the field's status (a polite live region),
    its item's messages and the progress, so the person typing keeps focus and text."""
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    page = client.get(f"/questionnaire/{aid}/C1").text
    typing = (
        f'data-typed hx-post="/questionnaire/{aid}/fields/COMMENT_1_1?typing=1" '
        'hx-trigger="input changed delay:800ms" hx-swap="none"'
    )
    assert typing in page and 'src="/static/q.js"' in page
    assert 'id="s-COMMENT_1_1" aria-live="polite"' in page
    services = client.get(f"/questionnaire/{aid}/services").text
    assert f'hx-post="/questionnaire/{aid}/fields/SVC05_NAME?typing=1"' in services

    def typed(field: str, value: str, page: str = "C1") -> str:
        answer = client.post(
            f"/questionnaire/{aid}/fields/{field}", params={"typing": "1"}, headers=HX,
            data={"csrf": csrf_of(client.get(f"/questionnaire/{aid}/{page}").text),
                  field: value},
        )  # fmt: skip
        assert answer.status_code == 200
        return answer.text

    fragment = typed("COMMENT_1_1", "Termi")
    assert (
        '<div class="status" id="s-COMMENT_1_1" aria-live="polite" hx-swap-oob="innerHTML">'
        in fragment
    )
    assert "<textarea" not in fragment and 'id="f-COMMENT_1_1"' not in fragment
    assert "Pēdējās izmaiņas: Jānis Ozols VID, 02.04.2026 12:00." in fragment
    assert draft_rows(qworld, aid, "COMMENT_1_1")[-1].value == "Termi"
    # A problem while typing: said in the status, in words.
    fragment = typed("COMMENT_1_1", "x" * 4001)
    assert "Teksts ir par garu (rakstzīmju skaits: 4001" in fragment
    assert '<span class="visually-hidden">Kļūda: </span>' in fragment
    # Typing a reason clears the item's message beside another field (out of band).
    autosave(client, aid, "Q_1_1_D1", "not_applicable")
    fragment = typed("NAREASON_1_1", "Terminus nosaka")
    assert 'id="s-Q_1_1_D1" aria-live="polite" hx-swap-oob="true"' in fragment
    assert "nav norādīts pamatojums" not in fragment
    assert 'id="progress-C1" hx-swap-oob="true"' in fragment
    fragment = typed("SVC05_NAME", "Deklarāciju pie", page="services")
    assert 'id="s-SVC05_NAME" aria-live="polite" hx-swap-oob="innerHTML"' in fragment
    assert "<input" not in fragment and "<select" not in fragment
    js = client.get("/static/q.js")
    assert js.status_code == 200 and "keepalive: true" in js.text


def test_progress_counts_answered_questions_per_component(qworld: World) -> None:
    client = client_of(qworld, "lead")
    aid = assignment_id(qworld, A)
    _, fragment = autosave(client, aid, "Q_1_2_D3", "")
    assert 'id="progress-C1" hx-swap-oob="true">Atbildēts: 15 no 16' in fragment
    assert "Atbildēts: 15 no 16" in client.get(f"/questionnaire/{aid}").text
    overview = client.get(f"/questionnaire/{aid}").text
    assert "Pilnībā aizpildīti pakalpojumi: 4 no 4" in overview  # from K1
    autosave(client, aid, "SVC05_NAME", "Deklarāciju pieņemšana")
    overview = client.get(f"/questionnaire/{aid}").text
    assert "Pilnībā aizpildīti pakalpojumi: 4 no 5" in overview


def test_the_last_change_wins_with_who_and_when_and_history_is_kept(qworld: World) -> None:
    team, lead = client_of(qworld, "team"), client_of(qworld, "lead")
    aid = assignment_id(qworld, A)
    autosave(team, aid, "Q_1_1_D2", "1")
    qworld.clock.advance(timedelta(minutes=5))
    autosave(lead, aid, "Q_1_1_D2", "3")
    page = team.get(f"/questionnaire/{aid}/C1").text
    assert 'id="Q_1_1_D2-3" value="3" checked' in page
    assert 'id="Q_1_1_D2-1" value="1" checked' not in page
    assert "Pēdējās izmaiņas: Anna Liepa VID, 02.04.2026 12:05." in page
    rows = draft_rows(qworld, aid, "Q_1_1_D2")
    assert [(r.value, r.name) for r in rows] == [("1", "Jānis Ozols VID"), ("3", "Anna Liepa VID")]


def test_a_page_saved_without_javascript_saves_only_what_was_changed(qworld: World) -> None:
    team, lead = client_of(qworld, "team"), client_of(qworld, "lead")
    aid = assignment_id(qworld, A)
    url = f"/questionnaire/{aid}/C1"
    shown = team.get(url).text  # the team member opens the page ...
    autosave(lead, aid, "Q_1_1_D3", "0")  # ... the lead changes an answer meanwhile ...
    values = {**form_of(shown, url), "EVIDENCE_1_1": "Iekšējie noteikumi Nr. 7\r\n2. punkts"}
    answer = team.post(url, data=values, follow_redirects=False)  # ... the member saves
    assert answer.status_code == 303 and answer.headers["location"] == f"{url}?saved=1"
    assert draft_rows(qworld, aid, "Q_1_1_D3")[-1].value == "0"  # the lead's change stands
    assert (
        draft_rows(qworld, aid, "EVIDENCE_1_1")[-1].value == "Iekšējie noteikumi Nr. 7\n2. punkts"
    )
    assert draft_rows(qworld, aid, "Q_1_1_D1") == []  # untouched: nothing written
    page = team.get(f"{url}?saved=1").text
    assert "Lapa ir saglabāta." in page and "Iekšējie noteikumi Nr. 7\n2. punkts" in page
    assert 'name="shown" value="' in page and 'name="seen"' not in page
    # A refused value comes back beside its field and in the summary.
    status, location = post_page(team, url, {"TARGET_1_1": "0"})
    assert status == 303
    page = team.get(location).text
    assert 'href="#f-TARGET_1_1"' in page and "ir zemāka par pašreizējo pakāpi" in page


def test_a_page_made_before_pages_carried_what_they_showed_is_still_saved(
    qworld: World,
) -> None:
    """A page still open from before carries the newest row it showed (``seen``), not the
    digests: it is read as the draft at that row."""
    team, lead = client_of(qworld, "team"), client_of(qworld, "lead")
    aid = assignment_id(qworld, A)
    url = f"/questionnaire/{aid}/C1"
    autosave(team, aid, "COMMENT_1_2", "Sākums")
    shown = team.get(url).text
    (row,) = draft_rows(qworld, aid, "COMMENT_1_2")
    autosave(lead, aid, "Q_1_1_D3", "0")  # after the page was made
    values = {**form_of(shown, url), "EVIDENCE_1_1": "Vecā lapa"}
    del values["shown"]
    values["seen"] = str(row.id)
    assert team.post(url, data=values, follow_redirects=False).status_code == 303
    assert draft_rows(qworld, aid, "EVIDENCE_1_1")[-1].value == "Vecā lapa"
    assert draft_rows(qworld, aid, "Q_1_1_D3")[-1].value == "0"  # the lead's stands
    assert draft_rows(qworld, aid, "Q_1_1_D1") == []


def test_a_form_without_its_token_is_refused(qworld: World) -> None:
    client = client_of(qworld, "lead")
    aid = assignment_id(qworld, A)
    for url in (f"/questionnaire/{aid}/fields/Q_1_1_D1", f"/questionnaire/{aid}/C1",
                f"/questionnaire/{aid}/submit"):  # fmt: skip
        answer = client.post(url, data={"Q_1_1_D1": "0"}, headers=HX)
        assert answer.status_code == 403, url
    assert draft_rows(qworld, aid, "Q_1_1_D1") == []


def test_the_head_and_another_institution_get_nothing(qworld: World) -> None:
    aid_b = assignment_id(qworld, B)
    team = client_of(qworld, "team")
    for url in (f"/questionnaire/{aid_b}", f"/questionnaire/{aid_b}/C1",
                f"/questionnaire/{aid_b}/services"):  # fmt: skip
        page = team.get(url)
        assert page.status_code == 404 and NAMES[B] not in page.text
    status, _ = autosave(team, aid_b, "Q_1_1_D1", "0")
    assert status == 404 and draft_rows(qworld, aid_b, "Q_1_1_D1") == []
    head = client_of(qworld, "head")
    page = head.get(f"/questionnaire/{assignment_id(qworld, A)}")
    assert page.status_code == 403 and "Anketu aizpilda politikas īstenošanas komanda" in page.text


def _submit(client: TestClient, aid: int) -> tuple[int, str]:
    page = client.get(f"/questionnaire/{aid}")
    answer = client.post(
        f"/questionnaire/{aid}/submit", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    return answer.status_code, answer.text


def test_only_the_lead_submits_and_an_incomplete_draft_is_refused_with_the_list(
    qworld: World,
) -> None:
    team, lead = client_of(qworld, "team"), client_of(qworld, "lead")
    aid = assignment_id(qworld, A)
    assert "Atbildes iesniedz komandas vadītājs." in team.get(f"/questionnaire/{aid}").text
    status, body = _submit(team, aid)
    assert status == 403 and "Atbildes iesniedz komandas vadītājs." in body
    autosave(lead, aid, "Q_2_1_D4", "")
    autosave(lead, aid, "Q_1_3_D1", "not_applicable")
    status, body = _submit(lead, aid)
    assert status == 400
    assert "Atbildes vēl nevar iesniegt: 2 lietas jāpapildina vai jālabo" in body
    assert f'href="/questionnaire/{aid}/C2#f-Q_2_1_D4"' in body and "nav atbildēts" in body
    assert f'href="/questionnaire/{aid}/C1#f-NAREASON_1_3"' in body
    with qworld.root.db.reading() as s:
        assignment = s.get(Assignment, aid)
        assert assignment is not None and assignment.state == "in_progress"


def test_a_submission_is_received_as_an_accepted_workbook_is_and_then_read_only(
    qworld: World, spec: QuestionnaireSpec
) -> None:
    """A's answers entered online, page by page, equal what B's workbook with the same
    answers gives through the drop folder's intake: the same stored answer set."""
    root = qworld.root
    books = filled_workbooks(spec, [(B, NAMES[B])], round_code=K2,
                             key=root.settings.signing_key(), seed=7)  # fmt: skip
    with root.db.unit_of_work() as s:
        row = ingest_bytes(s, books[B], filename="LAD.xlsx", source="test", settings=root.settings)
    assert row.outcome == "accepted"
    expected = check_workbook(books[B], settings=root.settings).answers
    lead = client_of(qworld, "lead")
    aid = assignment_id(qworld, A)
    # Typed as a person would: labels of the workbook's dropdowns are not needed online.
    typed = {fid: str(value) for fid, value in expected.items()}
    for page in ("C1", "C2", "C3", "C4"):
        url = f"/questionnaire/{aid}/{page}"
        fields = [f.id for f in spec.fields if f.component_id == page]
        status, _ = post_page(lead, url, {fid: typed.get(fid, "") for fid in fields})
        assert status == 303
    services = [f.id for f in spec.fields if f.service_row is not None]
    status, _ = post_page(lead, f"/questionnaire/{aid}/services",
                          {fid: typed.get(fid, "") for fid in services}, rows="30")  # fmt: skip
    assert status == 303
    status, _ = _submit(lead, aid)
    assert status == 303
    with root.db.reading() as s:
        a_set = s.exec(select(AnswerSet).where(AnswerSet.assignment_id == aid)).one()
        b_set = s.exec(
            select(AnswerSet).where(AnswerSet.assignment_id == assignment_id(qworld, B))
        ).one()
        assert a_set.answers == b_set.answers == expected
        assignment = s.get(Assignment, aid)
        assert assignment is not None and assignment.state == "accepted"
        submission = s.get(Submission, a_set.submission_id)
        assert submission is not None and submission.source == "web:anna.liepa@vid.example.org"
        assert submission.status == "accepted" and submission.meta["round"] == K2
    assert check_values(spec, typed, "lv").complete
    overview = lead.get(f"/questionnaire/{aid}?submitted=1").text
    assert "Atbildes ir iesniegtas un pieņemtas." in overview
    page = lead.get(f"/questionnaire/{aid}/C1").text
    assert "nevar mainīt, līdz PVPP2027 koordinācija tās atgriež" in page
    assert "hx-post" not in page and "disabled" in page and "Saglabāt šo lapu" not in page
    status, body = autosave(lead, aid, "Q_1_1_D1", "0")
    assert status == 403 and "nevar mainīt" in body
    status, _ = _submit(lead, aid)
    assert status == 403


def test_answers_sent_with_an_ended_session_are_saved_after_signing_in_again(
    qworld: World,
) -> None:
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    url = f"/questionnaire/{aid}/C1"
    shown = client.get(url).text
    qworld.clock.advance(timedelta(minutes=31))  # idle: the session ends on the next request
    answer = client.post(
        f"/questionnaire/{aid}/fields/Q_1_1_D4", headers=HX,
        data={"csrf": csrf_of(shown), "Q_1_1_D4": "1"},
    )  # fmt: skip
    assert answer.status_code == 200 and answer.headers["hx-redirect"] == "/signin?kept=1"
    assert draft_rows(qworld, aid, "Q_1_1_D4") == []
    # The page's Save button after that: kept too, with the same key.
    values = {**form_of(shown, url), "COMMENT_1_1": "Vēl jāprecizē."}
    answer = client.post(url, data=values, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?kept=1"
    assert "Jūsu sesija bija beigusies" in client.get("/signin?kept=1").text
    with qworld.root.db.reading() as s:
        (kept,) = s.exec(select(PendingAnswers)).all()
        assert kept.answers["Q_1_1_D4"] == "1" and kept.answers["COMMENT_1_1"] == "Vēl jāprecizē."
    # Signing in again as the same person saves them and returns to the page.
    token = qworld.issue(A, "team")
    page = client.get(f"/signin/{token}")
    back = client.post(f"/signin/{token}", data={"csrf": csrf_of(page.text)},
                       follow_redirects=False)  # fmt: skip
    assert back.status_code == 303 and back.headers["location"] == url
    assert [r.value for r in draft_rows(qworld, aid, "Q_1_1_D4")] == ["1"]
    assert draft_rows(qworld, aid, "COMMENT_1_1")[-1].source == "pending"
    assert "pēc atkārtotas pieteikšanās" in client.get(url).text
    # Untouched fields of the page were not written.
    assert draft_rows(qworld, aid, "Q_1_1_D1") == []


def test_kept_answers_are_not_saved_for_another_person(qworld: World) -> None:
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    shown = client.get(f"/questionnaire/{aid}/C1").text
    qworld.clock.advance(timedelta(minutes=31))
    answer = client.post(
        f"/questionnaire/{aid}/fields/Q_1_1_D4", headers=HX,
        data={"csrf": csrf_of(shown), "Q_1_1_D4": "0"},
    )  # fmt: skip
    assert answer.headers["hx-redirect"] == "/signin?kept=1"
    qworld.sign_in(A, "lead", client)  # someone else signs in on this browser
    assert draft_rows(qworld, aid, "Q_1_1_D4") == []
    with qworld.root.db.reading() as s:
        (kept,) = s.exec(select(PendingAnswers)).all()
        assert kept.outcome == "other_person"
    # Without a session that has just ended, a post is simply refused.
    fresh = TestClient(create_app(qworld.root), base_url=PUBLIC)
    token = csrf_of(fresh.get("/signin").text)
    answer = fresh.post(f"/questionnaire/{aid}/fields/Q_1_1_D4", headers=HX,
                        data={"csrf": token, "Q_1_1_D4": "0"})  # fmt: skip
    assert answer.status_code == 401


def test_the_question_is_unclear_is_offered_and_kept_as_its_own_answer(qworld: World) -> None:
    """The radio group offers "Jautājums nav saprotams"; saved, it is stored as "unclear",
    not as "unknown", and counts as an answer (not left unanswered)."""
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    page = client.get(f"/questionnaire/{aid}/C1").text
    assert 'value="unclear"' in page and "Jautājums nav saprotams" in page
    english = client.get(f"/questionnaire/{aid}/C1?lang=en").text
    assert "The question is unclear" in english
    status, fragment = autosave(client, aid, "Q_1_1_D2", "unclear")
    assert status == 200 and 'value="unclear" checked' in fragment
    assert draft_rows(qworld, aid, "Q_1_1_D2")[-1].value == "unclear"
    overview = client.get(f"/questionnaire/{aid}?lang=lv").text
    assert "Atbildēts: 16 no 16" in overview
