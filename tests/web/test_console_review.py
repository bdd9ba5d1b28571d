"""The console's review pages (pvpp.web.console_review): the list of what waits, one
submission with its answers in words, changes, warnings and evidence files, and the
decision by the signed-in console person; who may open them; what a refused return
keeps; and the whole loop with the institution's portal (return in the console → the
team reads the comments → resubmits → the console shows the changes since the return →
accept → the answers count)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from pvpp.questionnaire import QuestionnaireSpec
from pvpp.review import open_review, waiting_changes
from pvpp.rounds import create_round
from pvpp.store.files import store_file
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    AuditLog,
    EvidenceFile,
    Institution,
    OutboxMessage,
    Review,
    ReviewComment,
    Round,
    StoredFile,
    Submission,
)
from tests.store.test_queries import counting
from tests.web.conftest import (
    K2,
    NAMES,
    A,
    B,
    World,
    assignment_id,
    built_world,
    client_of,
    csrf_of,
    team_of,
)
from tests.web.consoles import ACCOUNTS, console_sign_in, new_client
from tests.web.test_questionnaire import autosave

WHOLE = "Pierādījumi 1. komponentei nav pietiekami.\nLūdzam papildināt."
ON_ITEM = "Pievienojiet rīkojumu par vienoto terminoloģiju."
ON_SERVICES = "Norādiet pakalpojumu kataloga ID."
FIELD = "Q_1_1_D1"
A_FILE = "VID rīkojums par terminoloģiju.pdf"
B_FILE = "LAD iekšējais rīkojums.pdf"


@pytest.fixture
def rworld(tmp_path: Path, spec: QuestionnaireSpec) -> Iterator[World]:
    """The web tests' world with round 2026-K2 created with review, inviting A and B;
    A's lead has changed one degree and submitted (it waits for review)."""
    with built_world(tmp_path, spec) as w:
        with w.root.db.unit_of_work() as s:
            create_round(
                s, code=K2, opens_on=date(2026, 4, 1), due_on=date(2026, 6, 30),
                questionnaire_version=spec.id, institutions=[A, B], review_required=True,
            )  # fmt: skip
        lead = client_of(w, "lead")
        aid = assignment_id(w, A)
        assert autosave(lead, aid, FIELD, str(new_degree(w)))[0] == 200
        _attach(w, A, A_FILE)
        _attach(w, B, B_FILE)
        assert submit(lead, aid) == 303
        yield w


def new_degree(world: World) -> int:
    """The degree A's lead answers 1.1 D1 with in K2: one its K1 answer was not."""
    with world.root.db.reading() as s:
        k1 = s.exec(select(AnswerSet).where(AnswerSet.assignment_id == assignment_id(
            world, A, "2026-K1"))).one()  # fmt: skip
        return 2 if k1.answers.get(FIELD) != 2 else 3


def _attach(world: World, code: str, name: str) -> int:
    """An evidence file on item 1.1 of ``code``'s K2 assignment."""
    with world.root.db.unit_of_work() as s:
        data = b"%PDF-1.7 evidence of " + code.encode()
        stored = store_file(s, data)
        member = team_of(code)["team"]
        row = EvidenceFile(
            assignment_id=assignment_id(world, code), kind="item", target="1.1",
            file_sha256=stored.sha256, name=name, size=len(data),
            media_type="application/pdf", actor=member[1], actor_name=member[0],
        )  # fmt: skip
        s.add(row)
        s.flush()
        return row.id or 0


def _evidence_id(world: World, name: str) -> int:
    with world.root.db.reading() as s:
        return s.exec(select(EvidenceFile).where(EvidenceFile.name == name)).one().id or 0


def submit(client: TestClient, aid: int) -> int:
    page = client.get(f"/questionnaire/{aid}")
    answer = client.post(
        f"/questionnaire/{aid}/submit", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    return answer.status_code


def _state(world: World, code: str) -> str:
    with world.root.db.reading() as s:
        assignment = s.get(Assignment, assignment_id(world, code))
        assert assignment is not None
        return assignment.state


def _post(client: TestClient, url: str, data: dict[str, str]) -> tuple[int, str]:
    page = client.get(url.rsplit("/", 1)[0])
    token = csrf_of(page.text)
    answer = client.post(url, data={"csrf": token, **data}, follow_redirects=False)
    return answer.status_code, answer.text


def _submission_id(client: TestClient, url: str) -> str:
    found = re.search(r'name="submission" value="(\d+)"', client.get(url).text)
    assert found is not None
    return found.group(1)


SUB = f"/console/review/{K2}/{A}"


def test_a_reviewer_reads_the_waiting_submission_with_its_changes_and_evidence(
    rworld: World,
) -> None:
    reviewer = console_sign_in(rworld, "reviewer")
    home = reviewer.get("/console").text
    assert 'href="/console/review"' in home  # the nav link of a role that reviews
    listing = reviewer.get("/console/review")
    assert listing.status_code == 200
    text = listing.text
    assert "Pārbaudi gaida 1 iesniegums." in text
    assert f'href="{SUB}"' in text and NAMES[A] in text and NAMES[B] not in text
    # A's lead changed one degree since the answers accepted in K1.
    assert "1 atbilde" in text and "kopš iepriekšējā cikla pieņemtajām atbildēm" in text
    assert "nav atgriezts" in text
    assert reviewer.get(f"/console/review/{K2}").status_code == 200
    page = reviewer.get(SUB)
    assert page.status_code == 200
    html = page.text
    assert "Iestādes pieņemtās atbildes ciklā 2026-K1." in html
    assert "mainītas: 1; pievienotas: 0; noņemtas: 0" in html
    assert "1. sastāvdaļa" in html and "1.1 " in html
    # The changed degree: the word, the new and the earlier value, each with its
    # descriptor; the rest marked unchanged.
    row = html[html.index('<tr class="changed">') :]
    row = row[: row.index("</tr>")]
    assert "Mainīts" in row and "Iepriekš:" in row and f"{new_degree(rworld)} — " in row
    assert html.count("Nemainīts") > 50
    # The evidence file of item 1.1, downloadable through the console.
    evidence = _evidence_id(rworld, A_FILE)
    assert f'href="{SUB}/evidence/{evidence}"' in html and A_FILE in html
    got = reviewer.get(f"{SUB}/evidence/{evidence}")
    assert got.status_code == 200 and got.content == b"%PDF-1.7 evidence of VID"
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    # B's file named under A's submission is not found; B has nothing to review.
    assert reviewer.get(f"{SUB}/evidence/{_evidence_id(rworld, B_FILE)}").status_code == 404
    assert reviewer.get(f"/console/review/{K2}/{B}").status_code == 404
    assert reviewer.get("/console/review/2099-K9").status_code == 404
    assert reviewer.get(f"/console/review/2099-K9/{A}").status_code == 404
    # Only the changes: the changed row, not the unchanged ones; the other items counted.
    only = reviewer.get(f"{SUB}?changes=1").text
    assert "Mainīts" in only and "Nemainīts" not in only
    assert "Jautājumi bez izmaiņām, kas šeit nav parādīti:" in only
    assert 'aria-current="page">Tikai mainītās atbildes' in only
    # A comment box beside each item (part of the return form), the whole comment once.
    assert html.count('form="return-form"') == 30  # 29 items and the services
    english = reviewer.get(f"{SUB}?lang=en").text
    assert "Changed" in english and "Unchanged" in english and "Before:" in english


def test_the_review_pages_admit_the_coordinator_and_the_reviewer_only(rworld: World) -> None:
    evidence = _evidence_id(rworld, A_FILE)
    gets = ["/console/review", f"/console/review/{K2}", SUB, f"{SUB}/evidence/{evidence}"]
    for role in ("coordinator", "reviewer"):
        client = console_sign_in(rworld, role)
        assert [client.get(url).status_code for url in gets] == [200, 200, 200, 200], role
    analyst = console_sign_in(rworld, "analyst")
    assert [analyst.get(url).status_code for url in gets] == [403, 403, 403, 403]
    assert 'href="/console/review"' not in analyst.get("/console").text
    status, body = _post(analyst, f"{SUB}/accept", {"submission": "1"})
    assert status == 403 and NAMES[A] not in body
    # Nobody signed in to the console (an institution's lead included): 401.
    for client in (new_client(rworld), client_of(rworld, "lead")):
        for url in gets:
            answer = client.get(url)
            assert answer.status_code == 401 and A_FILE not in answer.text, url
    assert _state(rworld, A) == "submitted"


def test_a_return_without_the_whole_comment_is_refused_and_keeps_the_item_comments(
    rworld: World,
) -> None:
    reviewer = console_sign_in(rworld, "reviewer")
    sub = _submission_id(reviewer, SUB)
    form = {"submission": sub, "comment": "  ", "item-1.1": ON_ITEM, "item-services": ON_SERVICES,
            "item-1.2": ""}  # fmt: skip
    status, html = _post(reviewer, f"{SUB}/return", form)
    assert status == 400
    summary = html[html.index('class="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert 'href="#return-comment"' in summary
    assert "Ierakstiet komentāru par iesniegumu kopumā" in summary
    box = html[html.index('<textarea id="return-comment"') :]
    assert 'aria-invalid="true"' in box[: box.index(">")]
    # What was typed beside the items is still there.
    item = html[html.index('<textarea id="item-1.1"') :]
    assert item[item.index(">") + 1 :].startswith(ON_ITEM)
    assert ON_SERVICES in html
    # Nothing was decided, nobody emailed.
    assert _state(rworld, A) == "submitted"
    with rworld.root.db.reading() as s:
        assert s.exec(select(Review)).all() == []
        mails = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "review_returned"))
        assert mails.all() == []
    # A comment too long on an item is named beside that item, the whole one kept.
    form = {"submission": sub, "comment": WHOLE, "item-1.1": "x" * 5001}
    status, html = _post(reviewer, f"{SUB}/return", form)
    assert status == 400 and 'href="#item-1.1"' in html and "5001" in html.replace("\xa0", "")
    assert WHOLE in html
    # A form made for an older submission decides nothing (409) and says why.
    form = {"submission": str(int(sub) + 100), "comment": WHOLE}
    status, html = _post(reviewer, f"{SUB}/return", form)
    assert status == 409 and "iesniedza jaunāku iesniegumu" in html
    status, html = _post(reviewer, f"{SUB}/accept", {"submission": str(int(sub) + 100)})
    assert status == 409
    assert _state(rworld, A) == "submitted"


def test_the_whole_loop_with_the_portal(rworld: World) -> None:
    """Return in the console → the team reads the comments in the portal → resubmits →
    the console shows what changed since the return → accept → the answers count."""
    reviewer = console_sign_in(rworld, "reviewer")
    email = ACCOUNTS["reviewer"][0]
    sub = _submission_id(reviewer, SUB)
    form = {"submission": sub, "comment": WHOLE, "item-1.1": ON_ITEM,
            "item-services": ON_SERVICES}  # fmt: skip
    status, _ = _post(reviewer, f"{SUB}/return", form)
    assert status == 303
    assert _state(rworld, A) == "returned"
    with rworld.root.db.reading() as s:
        review = s.exec(select(Review)).one()
        assert review.reviewer == email and review.comment == WHOLE
        comments = s.exec(select(ReviewComment)).all()
        assert {c.item: c.text for c in comments} == {"1.1": ON_ITEM, "services": ON_SERVICES}
        mail = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "review_returned")).one()
        assert ON_ITEM in mail.body_text and mail.institution_code == A
        entry = s.exec(select(AuditLog).where(AuditLog.action == "review.return")).one()
        assert entry.actor == email and entry.detail["ip"] == "testclient"
        assert entry.detail["via"] == "web"
    page = reviewer.get(f"{SUB}?decided=returned").text
    assert "Iesniegums atgriezts papildināšanai" in page and "atgriezts papildināšanai (" in page
    assert 'form="return-form"' not in page  # decided: no decision forms
    assert "Pārbaudi gaida 0 iesniegumu." in reviewer.get("/console/review").text

    # The team reads the comments in the portal and changes an answer of item 1.1.
    lead = client_of(rworld, "lead")
    aid = assignment_id(rworld, A)
    overview = lead.get(f"/questionnaire/{aid}").text
    assert "PVPP2027 koordinācijas komentāri" in overview and ON_ITEM in overview
    assert autosave(lead, aid, "COMMENT_1_1", "Rīkojums Nr. 12 pievienots.")[0] == 200
    assert submit(lead, aid) == 303
    assert _state(rworld, A) == "submitted"

    # The console shows the resubmission against the returned one, with the comments.
    listing = reviewer.get("/console/review").text
    assert "kopš atgrieztā iesnieguma" in listing and "1 reizi" in listing
    html = reviewer.get(f"{SUB}?changes=1").text
    assert "Komentāri, ar kuriem iesniegums tika atgriezts" in html
    assert WHOLE.split("\n")[0] in html and ON_ITEM in html and ON_SERVICES in html
    assert "Iesniegums, kas tika atgriezts papildināšanai" in html
    rows = re.findall(r'<tr class="(changed|added|removed)">(.*?)</tr>', html, re.S)
    assert len(rows) == 1, rows  # only the comment typed since the return
    change, row = rows[0]
    assert "Rīkojums Nr. 12 pievienots." in row
    assert {"changed": "Mainīts", "added": "Pievienots"}[change] in row
    new_sub = _submission_id(reviewer, SUB)
    assert new_sub != sub
    status, _ = _post(reviewer, f"{SUB}/accept", {"submission": new_sub, "comment": "Paldies."})
    assert status == 303
    assert _state(rworld, A) == "accepted"
    with rworld.root.db.reading() as s:
        answers = s.exec(select(AnswerSet).where(AnswerSet.assignment_id == aid)).one()
        assert answers.answers["COMMENT_1_1"] == "Rīkojums Nr. 12 pievienots."
        assert answers.answers[FIELD] == new_degree(rworld)
        accepted = s.exec(select(Review).where(Review.decision == "accepted")).one()
        assert accepted.comment == "Paldies." and accepted.reviewer == email
        entry = s.exec(select(AuditLog).where(AuditLog.action == "review.accept")).one()
        assert entry.actor == email and entry.detail["ip"] == "testclient"
    page = reviewer.get(f"{SUB}?decided=accepted").text
    assert "Iesniegums pieņemts" in page and "Paldies." in page
    # The acceptance ends the comments in the portal.
    assert ON_ITEM not in lead.get(f"/questionnaire/{aid}").text
    # A decision posted again decides nothing more.
    status, html = _post(reviewer, f"{SUB}/accept", {"submission": new_sub})
    assert status == 409 and "vairs negaida pārbaudi" in html
    with rworld.root.db.reading() as s:
        assert len(s.exec(select(Review)).all()) == 2


def _waiting_round(world: World, code: str, n: int) -> None:
    """Round ``code`` with review, its ``n`` institutions each with a submission
    waiting, every other one's a resubmission after a return."""
    with world.root.db.unit_of_work() as s:
        rnd = Round(
            code=code, policy_version="pvpp2027-v1", questionnaire_version="pvpp2027-q1",
            opens_on=date(2026, 5, 1), due_on=date(2026, 6, 30), review_required=True,
        )  # fmt: skip
        s.add(rnd)
        s.flush()
        for i in range(n):
            inst = Institution(
                code=f"{code}-{i:03d}", name=f"Iestāde {i}", group_id="G1", head_name="V",
                head_email=f"head{i}@example.org", scope="round1",
            )  # fmt: skip
            s.add(inst)
            s.flush()
            a = Assignment(round_id=rnd.id, institution_id=inst.id, state="submitted")
            s.add(a)
            s.flush()
            digest, older = f"{code}a{i:060d}"[-64:], f"{code}b{i:060d}"[-64:]
            for made in (digest, older):
                s.add(StoredFile(sha256=made, size=1, path=made))
            if i % 2:
                old = Submission(assignment_id=a.id, file_sha256=older, filename="a.json",
                                 source="test", status="returned", answers={FIELD: 1})  # fmt: skip
                s.add(old)
                s.flush()
                s.add(Review(submission_id=old.id, assignment_id=a.id, decision="returned",
                             reviewer="r@varam.gov.lv", comment="x"))  # fmt: skip
            s.add(Submission(assignment_id=a.id, file_sha256=digest, filename="b.json",
                             source="test", status="submitted", answers={FIELD: 2}))  # fmt: skip


def test_the_list_reads_any_number_of_waiting_submissions_in_the_same_statements(
    rworld: World,
) -> None:
    _waiting_round(rworld, "S", 3)
    _waiting_round(rworld, "L", 40)
    counts = {}
    for code, n in (("S", 3), ("L", 40)):
        with rworld.root.db.reading() as s:
            with counting(s) as statements:
                rows = waiting_changes(s, code)
            counts[code] = len(statements)
        assert len(rows) == n
        assert {r.changed for r in rows if r.returned} == {1}
    with rworld.root.db.reading() as s:
        with counting(s) as statements:
            every = waiting_changes(s)
        assert len(every) == 44
    assert counts["S"] == counts["L"], counts
    # The count agrees with the submission's own page.
    with rworld.root.db.reading() as s:
        view = open_review(s, K2, A)
        mine = next(r for r in waiting_changes(s, K2) if r.waiting.institution == A)
        assert mine.changed == sum(1 for d in view.diff if d.change.value != "unchanged")
