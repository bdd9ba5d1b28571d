"""Evidence files in the portal: attached to an item of the questionnaire (with the
page's typed answers saved by the same button) or to an open measure of the progress
report; listed with name, size, who and when; downloaded by the team, the lead and the
head as an attachment of the kind the content was found to be; removed by marking (the
stored file stays); refused when too large (beside its input, the typed answers saved;
a request over ten times the limit by its length, before it is read, naming the limit)
or of a kind not taken; read-only once the answers are submitted; another institution's
files not found.

A and B are planned in 2026-K1 (tests/web/conftest.py); here 2026-K2 invites both, so
A's questionnaire is open."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlmodel import col, select
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.testclient import TestClient

from pvpp import evidence
from pvpp.store.files import files_of
from pvpp.store.models import (
    Assignment,
    AuditLog,
    DraftAnswer,
    EvidenceFile,
    StoredFile,
    id_of,
)
from pvpp.web.deps import EVIDENCE_READ_FACTOR, MAX_PAGE_BYTES
from tests.web.conftest import (
    A,
    B,
    World,
    approved_and_later,
    assignment_id,
    client_of,
    csrf_of,
)
from tests.web.qforms import form_of

PDF = b"%PDF-1.7\n" + b"evidence " * 150  # 1,359 bytes
ITEM, OTHER = "1.1", "1.2"


def _page_form(client: TestClient, aid: int, page: str = "C1") -> dict[str, str]:
    html = client.get(f"/questionnaire/{aid}/{page}").text
    values = form_of(html, f"/questionnaire/{aid}/{page}")
    return {k: v for k, v in values.items() if not k.startswith("file:")}


def _post_files(
    client: TestClient, url: str, data: dict[str, str],
    files: list[tuple[str, tuple[str, bytes, str]]],
) -> tuple[int, str, str]:  # fmt: skip
    answer = client.post(url, data=data, files=files, follow_redirects=False)
    return answer.status_code, answer.text, answer.headers.get("location", "")


def _evidence(world: World) -> list[EvidenceFile]:
    with world.root.db.reading() as s:
        rows = s.exec(select(EvidenceFile).order_by(col(EvidenceFile.id))).all()
        return [EvidenceFile(**r.model_dump()) for r in rows]


def _stored(world: World) -> int:
    with world.root.db.reading() as s:
        return len(s.exec(select(StoredFile)).all())


def _attach(
    world: World, client: TestClient, aid: int, name: str = "Rīkojums Nr. 12.pdf",
    data: bytes = PDF, changes: dict[str, str] | None = None,
) -> tuple[int, str, str]:  # fmt: skip
    values = {**_page_form(client, aid), **(changes or {}), "item": ITEM}
    # A browser sends every file input of the page, the ones left empty without a name.
    files = [(f"file:{ITEM}", (name, data, "application/pdf")),
             (f"file:{OTHER}", ("", b"", "application/octet-stream"))]  # fmt: skip
    return _post_files(client, f"/questionnaire/{aid}/C1/evidence", values, files)


def test_a_member_attaches_a_file_to_an_item_and_the_typed_answers_are_saved_with_it(
    qworld: World,
) -> None:
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    page = client.get(f"/questionnaire/{aid}/C1").text
    assert f'name="file:{ITEM}"' in page and f'name="file:{OTHER}"' in page
    assert f'formaction="/questionnaire/{aid}/C1/evidence"' in page
    assert 'formenctype="multipart/form-data"' in page
    assert "Līdz 10 MB; pieņemtie veidi: PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, TXT/CSV." in page

    status, _, location = _attach(qworld, client, aid, changes={"COMMENT_1_1": "Skat. rīkojumu"})
    assert status == 303, location
    assert location == f"/questionnaire/{aid}/C1?evidence_done=added#ev-{ITEM}"
    after = client.get(location).text
    assert "Datne pievienota." in after
    rows = _evidence(qworld)
    assert len(rows) == 1
    row = rows[0]
    assert (row.kind, row.target, row.name, row.size) == ("item", ITEM, "Rīkojums Nr. 12.pdf", 1359)
    assert row.media_type == "application/pdf" and row.removed_at is None
    assert row.actor == qworld.person(A, "team").email
    assert f'<a href="/evidence/{row.id}">Rīkojums Nr. 12.pdf</a>' in after
    assert "(PDF, 1,3 KB) · pievienoja Jānis Ozols VID 02.04.2026 12:00" in after
    with qworld.root.db.reading() as s:
        # The typed comment went with the button; the file is in the file store by digest.
        comment = s.exec(select(DraftAnswer).where(DraftAnswer.field == "COMMENT_1_1")).one()
        assert comment.value == "Skat. rīkojumu"
        stored = s.get(StoredFile, row.file_sha256)
        assert stored is not None and files_of(s).read(stored) == PDF
        entry = s.exec(select(AuditLog).where(AuditLog.action == "evidence.add")).one()
        assert entry.actor == row.actor and entry.detail["ip"] and entry.detail["via"] == "web"
        assert entry.detail["sha256"] == row.file_sha256 and entry.detail["target"] == ITEM
    # In English, the size in English.
    english = client.get(f"/questionnaire/{aid}/C1?lang=en").text
    assert "(PDF, 1.3 KB) · attached by Jānis Ozols VID on 2 April 2026 12:00" in english


def test_the_team_the_lead_and_the_head_download_it_as_an_attachment(qworld: World) -> None:
    aid = assignment_id(qworld, A)
    _attach(qworld, client_of(qworld, "team"), aid, name="lapa<script>.html")
    row = _evidence(qworld)[0]
    assert row.name == "lapa<script>.html"
    for role in ("team", "lead", "head"):
        client = client_of(qworld, role)
        answer = client.get(f"/evidence/{row.id}")
        assert answer.status_code == 200, role
        assert answer.content == PDF
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["x-content-type-options"] == "nosniff"
        disposition = answer.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="lapa_script_.html.pdf"')
        assert "filename*=UTF-8''lapa_script_.html.pdf" in disposition
    # The head reads the round's files on their own page (and never a form to change them).
    listing = client_of(qworld, "head").get("/evidence").text
    assert f'<a href="/evidence/{row.id}">lapa&lt;script&gt;.html</a>' in listing
    assert "<script>" not in listing and 'type="file"' not in listing
    # The questionnaire page shows the name escaped too.
    page = client_of(qworld, "team").get(f"/questionnaire/{aid}/C1").text
    assert "lapa&lt;script&gt;.html" in page and "lapa<script>" not in page


def test_a_removed_file_leaves_the_list_and_stays_in_the_store(qworld: World) -> None:
    aid = assignment_id(qworld, A)
    _attach(qworld, client_of(qworld, "team"), aid)
    row = _evidence(qworld)[0]
    lead = client_of(qworld, "lead")
    page = lead.get(f"/questionnaire/{aid}/C1").text
    assert f'name="remove" value="{row.id}"' in page
    values = {**_page_form(lead, aid), "remove": str(row.id)}
    status, _, location = _post_files(lead, f"/questionnaire/{aid}/C1/evidence", values, [])
    assert status == 303 and location == f"/questionnaire/{aid}/C1?evidence_done=removed"
    assert "Datne noņemta no saraksta." in lead.get(location).text
    after = _evidence(qworld)[0]
    assert after.removed_at is not None and after.removed_by == qworld.person(A, "lead").email
    assert f"/evidence/{row.id}" not in lead.get(f"/questionnaire/{aid}/C1").text
    assert lead.get(f"/evidence/{row.id}").status_code == 404
    with qworld.root.db.reading() as s:
        stored = s.get(StoredFile, row.file_sha256)
        assert stored is not None and files_of(s).path(row.file_sha256).read_bytes() == PDF
        entry = s.exec(select(AuditLog).where(AuditLog.action == "evidence.remove")).one()
        assert entry.detail["evidence"] == row.id and entry.detail["ip"]
    # Removed once is removed: a second press (a double click, a colleague first) finds
    # nothing, says so, and what was typed on the page is saved all the same.
    again = {**_page_form(lead, aid), "remove": str(row.id), "COMMENT_1_1": "Vēl viens komentārs"}
    status, _, location = _post_files(lead, f"/questionnaire/{aid}/C1/evidence", again, [])
    assert status == 303 and location == f"/questionnaire/{aid}/C1?evidence_done=gone"
    assert "Šī datne jau ir noņemta vai nav atrodama" in lead.get(location).text
    with qworld.root.db.reading() as s:
        assert (
            s.exec(select(DraftAnswer).where(DraftAnswer.field == "COMMENT_1_1")).all()[-1].value
            == "Vēl viens komentārs"
        )
    for odd in ("99999999999999999999", "²", "-1"):
        status, _, _ = _post_files(
            lead, f"/questionnaire/{aid}/C1/evidence", {**_page_form(lead, aid), "remove": odd}, []
        )
        assert status == 404, odd


def test_a_file_over_the_limit_is_refused_beside_its_input_and_the_answers_are_saved(
    qworld: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file chosen too large, in a request the portal still reads (up to ten times the
    limit): the typed answers are saved, the file is refused beside its input with its
    size and the limit, and no more than the limit of it was ever kept while reading."""
    qworld.root.settings.max_evidence_bytes = 2000
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    before = _stored(qworld)
    kept: list[int] = []
    original = UploadFile.write

    async def counted(self: UploadFile, data: bytes) -> None:
        kept.append(len(data))
        await original(self, data)

    monkeypatch.setattr(UploadFile, "write", counted)
    big = b"%PDF-1.7\n" + b"x" * (MAX_PAGE_BYTES + 3000)  # over the limit, under ten times
    assert len(big) < EVIDENCE_READ_FACTOR * 2000 + MAX_PAGE_BYTES
    status, body, _ = _attach(qworld, client, aid, data=big, changes={"COMMENT_1_1": "kept"})
    assert status == 413
    assert "Datne “Rīkojums Nr. 12.pdf” ir par lielu (1 MB). Pievienojiet datni līdz 2 KB" in body
    assert re.search(rf'id="file-{re.escape(ITEM)}"[^>]*aria-invalid="true"', body)
    assert f'<a href="#file-{ITEM}">' in body
    assert sum(kept) <= 2000  # the rest of the file streamed past, not kept
    assert _evidence(qworld) == [] and _stored(qworld) == before
    with qworld.root.db.reading() as s:
        assert s.exec(select(DraftAnswer)).one().value == "kept"
    # A little over the limit: the same.
    status, body, _ = _attach(qworld, client, aid, data=b"%PDF-1.7\n" + b"x" * 5000,
                              changes={"COMMENT_1_1": "kept again"})  # fmt: skip
    assert status == 413
    assert "Datne “Rīkojums Nr. 12.pdf” ir par lielu (4,9 KB). Pievienojiet datni līdz 2 KB" in body
    with qworld.root.db.reading() as s:
        newest = s.exec(select(DraftAnswer).order_by(col(DraftAnswer.id).desc())).first()
        assert newest is not None and newest.value == "kept again"


def test_a_request_over_ten_times_the_limit_is_refused_by_its_length_naming_the_limit(
    qworld: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    qworld.root.settings.max_evidence_bytes = 2000
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    read: list[str] = []
    original = Request.stream

    def spy(self: Request) -> Any:
        read.append(self.url.path)
        return original(self)

    monkeypatch.setattr(Request, "stream", spy)
    huge = b"%PDF-1.7\n" + b"x" * (EVIDENCE_READ_FACTOR * 2000 + MAX_PAGE_BYTES)
    status, body, _ = _attach(qworld, client, aid, data=huge, changes={"COMMENT_1_1": "lost"})
    assert status == 413 and read == []  # refused by Content-Length, nothing read
    assert "<h1>Datne ir pārāk liela</h1>" in body
    assert "katra pierādījumu datne var būt līdz 2 KB, bet nosūtītais bija 1 MB" in body
    assert "pogu “Atpakaļ”" in body
    with qworld.root.db.reading() as s:
        assert s.exec(select(DraftAnswer)).all() == []
    answer = client.post(
        f"/questionnaire/{aid}/C1/evidence?lang=en", data={"csrf": "x"},
        files=[(f"file:{ITEM}", ("big.pdf", huge, "application/pdf"))],
    )  # fmt: skip
    assert answer.status_code == 413
    assert "each evidence file may be up to 2 KB, and what was sent was 1 MB" in answer.text


def test_a_file_of_a_kind_not_taken_is_refused_naming_the_kinds_taken(qworld: World) -> None:
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    before = _stored(qworld)
    page = b"<!DOCTYPE html><html><body>Rikojums</body></html>"
    status, body, _ = _attach(qworld, client, aid, name="rikojums.pdf", data=page)
    assert status == 400
    assert (
        "Datni “rikojums.pdf” nevar pievienot: tās saturs neatbilst nevienam pieņemtajam "
        "datnes veidam (PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, TXT/CSV)."
    ) in body
    assert _evidence(qworld) == [] and _stored(qworld) == before
    # Empty: its own message.
    status, body, _ = _attach(qworld, client, aid, name="tukša.pdf", data=b"")
    assert status == 400 and "Datne “tukša.pdf” ir tukša." in body


def test_after_submission_the_evidence_is_read_only(qworld: World) -> None:
    aid = assignment_id(qworld, A)
    team = client_of(qworld, "team")
    _attach(qworld, team, aid)
    row = _evidence(qworld)[0]
    with qworld.root.db.unit_of_work() as s:  # submitted (the way is tested with the drafts)
        assignment = s.get(Assignment, aid)
        assert assignment is not None
        assignment.state = "submitted"
        s.add(assignment)
    page = team.get(f"/questionnaire/{aid}/C1").text
    assert f'<a href="/evidence/{row.id}">' in page
    assert 'type="file"' not in page and 'name="remove"' not in page
    values = {**_page_form(team, aid), "remove": str(row.id)}
    assert _post_files(team, f"/questionnaire/{aid}/C1/evidence", values, [])[0] == 403
    assert _attach(qworld, team, aid)[0] == 403
    assert len(_evidence(qworld)) == 1 and _evidence(qworld)[0].removed_at is None
    assert team.get(f"/evidence/{row.id}").content == PDF


def _b_file(world: World) -> int:
    """A file of B's, attached by B's team."""
    with world.root.db.unit_of_work() as s:
        row = evidence.attach(
            s, world.person(B, "team"), evidence.ITEM,
            evidence.Upload(ITEM, "LAD rīkojums.pdf", len(PDF), PDF),
            assignment_id=assignment_id(world, B), max_bytes=10_000, today=date(2026, 4, 2),
            now=world.clock.now(), lang="lv", where={"ip": "test"},
        )  # fmt: skip
        return id_of(row)


@pytest.mark.parametrize("role", ["team", "lead", "head"])
def test_another_institution_s_files_are_not_found(qworld: World, role: str) -> None:
    b_file = _b_file(qworld)
    client = client_of(qworld, role)
    assert client.get(f"/evidence/{b_file}").status_code == 404
    assert "LAD rīkojums" not in client.get("/evidence").text
    token = csrf_of(client.get("/").text)
    b_aid = assignment_id(qworld, B)
    answer = client.post(
        f"/questionnaire/{b_aid}/C1/evidence", data={"csrf": token, "remove": str(b_file)},
        files=[(f"file:{ITEM}", ("x.pdf", PDF, "application/pdf"))],
    )  # fmt: skip
    assert answer.status_code == 404
    a_aid = assignment_id(qworld, A)
    own_page_remove = client.post(
        f"/questionnaire/{a_aid}/C1/evidence", data={"csrf": token, "remove": str(b_file)}
    )
    assert own_page_remove.status_code == (403 if role == "head" else 404)
    rows = _evidence(qworld)
    assert len(rows) == 1 and rows[0].removed_at is None


# -- the progress report ----------------------------------------------------------------------


def test_a_file_attached_to_a_measure_keeps_what_was_typed_on_the_report(world: World) -> None:
    approved_and_later(world)
    client = client_of(world, "lead")
    page = client.get("/progress").text
    first = re.findall(r"<legend>(\S+) ", page)[0]
    assert f'name="file:{first}"' in page and 'formaction="/progress/evidence"' in page
    form = {"csrf": csrf_of(page), "version": "1", "m0-status": "done",
            "m0-evidence": "Rīkojums Nr. 12", "item": first}  # fmt: skip
    chosen = [(f"file:{first}", ("rikojums.pdf", PDF, "application/pdf"))]
    answer = client.post("/progress/evidence", data=form, files=chosen)
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert "Datne pievienota." in html
    assert 'value="done" selected' in html and "Rīkojums Nr. 12</textarea>" in html
    rows = _evidence(world)
    assert [(r.kind, r.target, r.name) for r in rows] == [("measure", first, "rikojums.pdf")]
    assert f'<a href="/evidence/{rows[0].id}">rikojums.pdf</a>' in html
    assert f'<a href="/evidence/{rows[0].id}">' in client.get("/progress").text
    # The head downloads it and sees it among the round's files; attaching is the team's.
    head = client_of(world, "head")
    assert head.get(f"/evidence/{rows[0].id}").content == PDF
    assert "rikojums.pdf" in head.get("/evidence").text
    refused = head.post(
        "/progress/evidence", data={"csrf": csrf_of(head.get("/").text)},
        files=[(f"file:{first}", ("x.pdf", PDF, "application/pdf"))],
    )  # fmt: skip
    assert refused.status_code == 403
    # A measure that is not an open one of the plan is not found.
    stray = client.post(
        "/progress/evidence", data={"csrf": csrf_of(page)},
        files=[("file:NO-SUCH", ("x.pdf", PDF, "application/pdf"))],
    )  # fmt: skip
    assert stray.status_code == 404
    assert len(_evidence(world)) == 1


def test_a_file_over_the_limit_on_the_progress_report_keeps_what_was_typed(
    world: World,
) -> None:
    approved_and_later(world)
    world.root.settings.max_evidence_bytes = 2000
    client = client_of(world, "lead")
    page = client.get("/progress").text
    first = re.findall(r"<legend>(\S+) ", page)[0]
    form = {"csrf": csrf_of(page), "version": "1", "m0-status": "done",
            "m0-evidence": "Rīkojums Nr. 12", "item": first}  # fmt: skip
    big = b"%PDF-1.7\n" + b"x" * 50_000
    chosen = [(f"file:{first}", ("liels.pdf", big, "application/pdf"))]
    answer = client.post("/progress/evidence", data=form, files=chosen)
    assert answer.status_code == 413
    assert "Datne “liels.pdf” ir par lielu (48,8 KB). Pievienojiet datni līdz 2 KB" in answer.text
    assert 'value="done" selected' in answer.text and "Rīkojums Nr. 12</textarea>" in answer.text
    assert _evidence(world) == []
