"""The questionnaire's workbook in the portal: downloaded with the draft's answers so
far, filled offline, uploaded into the same draft (checked by the drop folder's checker,
every problem by sheet and cell), and the person goes on online.

A and B are planned in round 2026-K1 (tests/web/conftest.py); here round 2026-K2 invites
both, and A's draft starts from its K1 answers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import col, select
from starlette.requests import Request
from starlette.testclient import TestClient

from pvpp import drafts
from pvpp.questionnaire import QuestionnaireSpec, filled
from pvpp.store.files import files_of
from pvpp.store.models import (
    Assignment,
    AuditLog,
    DraftAnswer,
    DraftUpload,
    StoredFile,
    Submission,
)
from pvpp.web.deps import UPLOAD_MARGIN
from pvpp.workbook.build import build_workbook
from pvpp.workbook.meta import META_SHEET
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
    open_second_round,
    team_of,
)
from tests.web.qforms import form_of

HX = {"HX-Request": "true"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(params=["sqlite", "postgresql"])
def anyworld(
    tmp_path: Path, spec: QuestionnaireSpec, request: pytest.FixtureRequest
) -> Iterator[World]:
    """The same on SQLite and on PostgreSQL."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").new_database()
    with built_world(tmp_path, spec, database_url=url) as w:
        yield open_second_round(w, spec.id)


def autosave(client: TestClient, aid: int, field: str, value: str) -> None:
    page = client.get(f"/questionnaire/{aid}/C1")
    answer = client.post(
        f"/questionnaire/{aid}/fields/{field}", headers=HX,
        data={"csrf": csrf_of(page.text), field: value},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text


def download(client: TestClient, aid: int) -> bytes:
    answer = client.get(f"/questionnaire/{aid}/workbook")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    return answer.content


def upload(client: TestClient, aid: int, data: bytes, name: str = "anketa.xlsx") -> tuple[int, str]:
    """Upload through the overview's form, as a browser would post it."""
    overview = client.get(f"/questionnaire/{aid}")
    answer = client.post(
        f"/questionnaire/{aid}/workbook", data={"csrf": csrf_of(overview.text)},
        files={"workbook": (name, data, XLSX)},
    )  # fmt: skip
    return answer.status_code, answer.text


def cells(data: bytes) -> dict[str, tuple[str, str, Any]]:
    """Each answer cell's defined name → (sheet, cell, value)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = {}
    for name, dn in wb.defined_names.items():
        ((sheet, ref),) = list(dn.destinations)
        ref = ref.replace("$", "")
        out[name] = (sheet, ref, wb[sheet][ref].value)
    return out


def edited(data: bytes, changes: dict[str, Any], meta: dict[str, str] | None = None) -> bytes:
    """The workbook with answer cells changed as a person does in a spreadsheet."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for name, value in changes.items():
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "")].value = value
    for key, value in (meta or {}).items():
        ws = wb[META_SHEET]
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == key)
        ws.cell(row, 2).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def draft_rows(world: World, aid: int, field: str | None = None) -> list[DraftAnswer]:
    with world.root.db.reading() as s:
        query = select(DraftAnswer).where(DraftAnswer.assignment_id == aid)
        if field is not None:
            query = query.where(DraftAnswer.field == field)
        rows = s.exec(query.order_by(col(DraftAnswer.id))).all()
        return [DraftAnswer(**r.model_dump()) for r in rows]


def uploads(world: World) -> list[DraftUpload]:
    with world.root.db.reading() as s:
        return [DraftUpload(**r.model_dump()) for r in s.exec(select(DraftUpload)).all()]


def audit_actions(world: World) -> list[str]:
    with world.root.db.reading() as s:
        return [a.action for a in s.exec(select(AuditLog).order_by(col(AuditLog.id))).all()]


def test_the_download_holds_the_draft_s_answers(qworld: World, spec: QuestionnaireSpec) -> None:
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    overview = client.get(f"/questionnaire/{aid}").text
    assert f'href="/questionnaire/{aid}/workbook"' in overview
    assert f'action="/questionnaire/{aid}/workbook" enctype="multipart/form-data"' in overview
    assert 'type="file" id="workbook" name="workbook"' in overview
    autosave(client, aid, "Q_1_1_D1", "not_applicable")
    autosave(client, aid, "COMMENT_1_1", "Jāpārrunā ar IT nodaļu")
    autosave(client, aid, "TARGET_1_2", "0")  # below the current degree: kept, as typed
    answer = client.get(f"/questionnaire/{aid}/workbook")
    assert answer.status_code == 200
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"PVPP-{K2}-{A}.xlsx" in disposition
    found = cells(answer.content)
    assert found["Q_1_1_D1"][2] == "Nav attiecināms"
    assert found["COMMENT_1_1"][2] == "Jāpārrunā ar IT nodaļu"
    assert found["TARGET_1_2"][2] == spec.degree_label(0, "lv")
    # The answers the draft starts from (A's K1 answers) are in it too.
    with qworld.root.db.reading() as s:
        draft = drafts.load(s, qworld.person(A, "team"), aid, lang="lv")
    assert found["Q_1_2_D1"][2] == spec.degree_label(int(draft.values["Q_1_2_D1"]), "lv")
    assert found["SVC01_NAME"][2] == draft.values["SVC01_NAME"]
    wb = openpyxl.load_workbook(io.BytesIO(answer.content))
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    assert meta["round"] == K2 and meta["institution"] == A and meta["signature"]
    # What it was filled with: the digest of each value, as an upload reads it back.
    carried = filled.decode(meta["draft_shown"])
    assert carried is not None and "draft_seen" not in meta
    assert carried["COMMENT_1_1"] == filled.digest("Jāpārrunā ar IT nodaļu")
    assert carried["Q_1_1_D1"] == filled.digest("not_applicable")
    assert carried["TARGET_1_2"] == filled.digest("0")
    assert "NAREASON_1_1" not in carried  # empty: left out
    # In English, the English workbook.
    english = cells(client.get(f"/questionnaire/{aid}/workbook?lang=en").content)
    assert english["Q_1_1_D1"][2] == "Not applicable"
    assert "answers.download" in audit_actions(qworld)


def test_a_round_trip_writes_only_what_was_changed_in_the_workbook(
    anyworld: World, spec: QuestionnaireSpec
) -> None:
    """Download, change cells offline, upload: the draft has the new values (source
    workbook, who), and a colleague's change made online since the download stands."""
    team, lead = client_of(anyworld, "team"), client_of(anyworld, "lead")
    aid = assignment_id(anyworld, A)
    book = download(team, aid)
    anyworld.clock.advance(timedelta(minutes=5))
    autosave(lead, aid, "Q_1_1_D2", "0")  # online, after the download
    anyworld.clock.advance(timedelta(minutes=5))
    changed = edited(book, {
        "Q_1_1_D1": spec.degree_label(3, "lv"),
        "EVIDENCE_1_1": "Iekšējie noteikumi Nr. 7",
        "SVC05_NAME": "Deklarāciju pieņemšana",
    })  # fmt: skip
    status, page = upload(team, aid, changed, "VID anketa.xlsx")
    assert status == 200, page
    assert "Darbgrāmata augšupielādēta" in page and "No darbgrāmatas pārņemtās atbildes: 3." in page
    assert "Datne: VID anketa.xlsx" in page
    assert f'href="/questionnaire/{aid}?lang=en"' in page  # the switch does not download
    name, email, _ = team_of(A)["team"]
    written = {r.field: r for r in draft_rows(anyworld, aid) if r.source == "workbook"}
    assert set(written) == {"Q_1_1_D1", "EVIDENCE_1_1", "SVC05_NAME"}
    assert written["Q_1_1_D1"].value == "3"
    assert written["EVIDENCE_1_1"].value == "Iekšējie noteikumi Nr. 7"
    assert all(r.name == name and r.actor == email for r in written.values())
    # The workbook's unchanged cell did not undo the lead's newer change.
    assert draft_rows(anyworld, aid, "Q_1_1_D2")[-1].value == "0"
    # Online, the uploaded answers are there with who changed them.
    c1 = team.get(f"/questionnaire/{aid}/C1").text
    assert 'id="Q_1_1_D1-3" value="3" checked' in c1 and "Iekšējie noteikumi Nr. 7" in c1
    # The file is kept, content-addressed, with the upload.
    (row,) = uploads(anyworld)
    assert row.assignment_id == aid and row.filename == "VID anketa.xlsx" and row.actor == email
    assert sorted(row.fields) == sorted(written) and row.problems == []
    with anyworld.root.db.reading() as s:
        stored = s.get(StoredFile, row.file_sha256)
        assert stored is not None and files_of(s).read(stored) == changed
        assert s.get(Assignment, aid).state == "in_progress"  # type: ignore[union-attr]
    actions = audit_actions(anyworld)
    assert "answers.upload" in actions and "answers.download" in actions
    # The same workbook again changes nothing: its values are the draft's now.
    status, page = upload(team, aid, changed)
    assert status == 200 and "nekas netika mainīts" in page
    assert len([r for r in draft_rows(anyworld, aid) if r.source == "workbook"]) == 3


def as_old_download(data: bytes, seen: int, as_number: bool = False) -> bytes:
    """The workbook as a download made before workbooks carried digests: its hidden
    sheet's last line the newest draft row it was filled from (``draft_seen``; with
    ``as_number``, as a spreadsheet that made the text a number saves it)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[META_SHEET]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "draft_shown")
    ws.cell(row, 1).value = "draft_seen"
    ws.cell(row, 2).value = seen if as_number else str(seen)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("as_number", [False, True])
def test_an_older_download_carrying_the_row_it_was_filled_from_is_still_read(
    qworld: World, spec: QuestionnaireSpec, as_number: bool
) -> None:
    """A workbook downloaded before workbooks carried digests (``draft_seen``: the newest
    draft row it was filled from) writes back only what was changed in it: the draft at
    that row is what it showed, so a field changed online since, and left as it was in the
    workbook, keeps its newer value."""
    team, lead = client_of(qworld, "team"), client_of(qworld, "lead")
    aid = assignment_id(qworld, A)
    autosave(team, aid, "COMMENT_1_1", "Pirms lejupielādes")
    (row,) = draft_rows(qworld, aid, "COMMENT_1_1")
    book = as_old_download(download(team, aid), seen=row.id or 0, as_number=as_number)
    autosave(lead, aid, "Q_1_1_D2", "0")  # online, after the download
    autosave(lead, aid, "COMMENT_1_1", "Mainīts tiešsaistē")  # shown in the book as before
    changed = edited(book, {"EVIDENCE_1_1": "Rīkojums Nr. 3"})
    status, page = upload(team, aid, changed)
    assert status == 200, page
    written = {r.field for r in draft_rows(qworld, aid) if r.source == "workbook"}
    assert written == {"EVIDENCE_1_1"}
    assert draft_rows(qworld, aid, "Q_1_1_D2")[-1].value == "0"  # the lead's stands
    assert draft_rows(qworld, aid, "COMMENT_1_1")[-1].value == "Mainīts tiešsaistē"


def test_problems_are_listed_by_sheet_and_cell_and_shown_beside_the_fields(
    qworld: World,
) -> None:
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    book = download(client, aid)
    where = cells(book)
    changed = edited(book, {
        "Q_1_1_D1": "7", "Q_1_3_D1": "Nav attiecināms", "COMMENT_1_2": "=1+1",
    })  # fmt: skip
    status, page = upload(client, aid, changed)
    assert status == 200, page
    assert "Darbgrāmatā atrastās kļūdas" in page and "3 kļūdas" in page
    for field in ("Q_1_1_D1", "NAREASON_1_3", "COMMENT_1_2"):
        sheet, cell, _ = where[field]
        assert f"<td>{sheet}</td>\n      <td>{cell}</td>" in page, field
        assert f'/C1#f-{field}"' in page
    # The values are kept as written (the formula is not): the problems show online.
    assert draft_rows(qworld, aid, "Q_1_1_D1")[-1].value == "7"
    assert draft_rows(qworld, aid, "Q_1_3_D1")[-1].value == "not_applicable"
    assert draft_rows(qworld, aid, "COMMENT_1_2") == []
    c1 = client.get(f"/questionnaire/{aid}/C1").text
    assert 'href="#f-Q_1_1_D1"' in c1 and 'href="#f-NAREASON_1_3"' in c1
    (row,) = uploads(qworld)
    assert {(p["sheet"], p["cell"]) for p in row.problems} == {
        where[f][:2] for f in ("Q_1_1_D1", "NAREASON_1_3", "COMMENT_1_2")
    }
    # In English, the same problems in English.
    overview = client.get(f"/questionnaire/{aid}?lang=en")
    answer = client.post(
        f"/questionnaire/{aid}/workbook", data={"csrf": csrf_of(overview.text)},
        files={"workbook": ("a.xlsx", edited(changed, {"Q_1_1_D1": "8"}), XLSX)},
    )  # fmt: skip
    assert answer.status_code == 200 and "Problems found in the workbook" in answer.text
    assert "The cell holds a formula (=1+1) where an answer belongs." in answer.text
    assert "Šūnā ir formula" in page  # the first upload's, in Latvian


def test_an_oversized_upload_is_refused_by_its_length_before_it_is_read(
    qworld: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    overview = client.get(f"/questionnaire/{aid}")
    before = audit_actions(qworld)
    with qworld.root.db.reading() as s:
        files_before = len(s.exec(select(StoredFile)).all())
    read: list[str] = []
    original = Request.stream

    def spy(self: Request) -> Any:
        read.append(self.url.path)
        return original(self)

    monkeypatch.setattr(Request, "stream", spy)
    limit = qworld.root.settings.max_upload_bytes
    big = b"PK\x03\x04" + b"\0" * (limit + UPLOAD_MARGIN)
    answer = client.post(
        f"/questionnaire/{aid}/workbook", data={"csrf": csrf_of(overview.text)},
        files={"workbook": ("big.xlsx", big, XLSX)},
    )  # fmt: skip
    assert answer.status_code == 413
    assert "Datne ir pārāk liela" in answer.text and "atļauts līdz 5,0 MB" in answer.text
    assert read == []  # refused by Content-Length: the body was never read
    assert uploads(qworld) == [] and draft_rows(qworld, aid) == []
    with qworld.root.db.reading() as s:
        assert len(s.exec(select(StoredFile)).all()) == files_before
    assert audit_actions(qworld) == before
    # The other forms keep their own limit and their own words.
    answer = client.post(f"/questionnaire/{aid}/C1", data={"csrf": "x", "t": "y" * 2_000_000})
    assert answer.status_code == 413 and "Veidlapa ir pārāk liela" in answer.text


def test_a_file_that_is_not_a_workbook_is_refused(qworld: World) -> None:
    client = client_of(qworld, "team")
    aid = assignment_id(qworld, A)
    status, page = upload(client, aid, b"%PDF-1.7\n1 0 obj\n", "anketa.xlsx")
    assert status == 400
    assert "Darbgrāmata netika pieņemta" in page and "Nekas netika mainīts." in page
    assert "PDF" in page and 'class="error-summary"' in page
    status, page = upload(client, aid, b"", "")
    assert status == 400 and "Datne nav izvēlēta" in page
    assert uploads(qworld) == [] and draft_rows(qworld, aid) == []
    assert "answers.upload_refused" in audit_actions(qworld)
    # More than one file is not a form of the portal's.
    overview = client.get(f"/questionnaire/{aid}")
    answer = client.post(
        f"/questionnaire/{aid}/workbook", data={"csrf": csrf_of(overview.text)},
        files=[("workbook", ("a.xlsx", b"PK", XLSX)), ("workbook", ("b.xlsx", b"PK", XLSX))],
    )  # fmt: skip
    assert answer.status_code == 400 and uploads(qworld) == []


def test_another_institution_s_or_a_tampered_workbook_is_refused(qworld: World) -> None:
    a_team, b_team = client_of(qworld, "team"), client_of(qworld, "team", B)
    aid, aid_b = assignment_id(qworld, A), assignment_id(qworld, B)
    theirs = edited(download(b_team, aid_b), {"Q_1_1_D1": "2"})
    status, page = upload(a_team, aid, theirs)
    assert status == 400 and "Darbgrāmata netika pieņemta" in page
    assert f"Šī darbgrāmata ir iestādei {B}, nevis {A}." in page
    # Its hidden sheet changed to say A: the signature no longer fits.
    forged = edited(theirs, {}, meta={"institution": A, "institution_name": NAMES[A]})
    status, page = upload(a_team, aid, forged)
    assert status == 400 and "Darbgrāmatas paraksts neatbilst" in page
    # Last round's workbook of A itself: the wrong round.
    with qworld.root.db.reading() as s:
        k1 = s.exec(select(Submission).where(Submission.status == "accepted")).first()
        assert k1 is not None and k1.meta["round"] == "2026-K1"
        stored = s.get(StoredFile, k1.file_sha256)
        assert stored is not None
        old = files_of(s).read(stored)
    status, page = upload(a_team, aid, old)
    assert status == 400 and f"Šī darbgrāmata ir novērtēšanas ciklam 2026-K1, nevis {K2}." in page
    assert uploads(qworld) == [] and draft_rows(qworld, aid) == []
    assert draft_rows(qworld, aid_b) == []
    # B's assignment is not A's to upload to, whatever the file.
    overview = a_team.get(f"/questionnaire/{aid}")
    answer = a_team.post(
        f"/questionnaire/{aid_b}/workbook", data={"csrf": csrf_of(overview.text)},
        files={"workbook": ("b.xlsx", theirs, XLSX)},
    )  # fmt: skip
    assert answer.status_code == 404 and NAMES[B] not in answer.text
    assert draft_rows(qworld, aid_b) == [] and uploads(qworld) == []


def test_an_upload_after_submission_is_refused_and_the_head_has_no_workbook(
    qworld: World,
) -> None:
    lead = client_of(qworld, "lead")
    aid = assignment_id(qworld, A)
    book = download(lead, aid)
    overview = lead.get(f"/questionnaire/{aid}")
    submitted = lead.post(
        f"/questionnaire/{aid}/submit", data={"csrf": csrf_of(overview.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert submitted.status_code == 303, submitted.text
    overview = lead.get(f"/questionnaire/{aid}").text
    assert 'name="workbook"' not in overview  # no upload form on read-only answers
    assert f'href="/questionnaire/{aid}/workbook"' in overview  # still to download
    status, page = upload(lead, aid, edited(book, {"Q_1_1_D1": "3"}))
    assert status == 403 and "Atbildes ir iesniegtas" in page
    assert uploads(qworld) == [] and draft_rows(qworld, aid) == []
    head = client_of(qworld, "head")
    assert head.get(f"/questionnaire/{aid}/workbook").status_code == 403


@pytest.fixture
def q2world(tmp_path: Path, spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec) -> Iterator[World]:
    """K1 on version 1 (tests/web/conftest.py), K2 on version 2, the default of new
    rounds: its dimensions asked in parts have a cell per part."""
    with built_world(tmp_path, spec) as w:
        yield open_second_round(w, spec_q2.id)


def test_a_version_2_workbook_has_a_cell_per_part_and_round_trips(
    q2world: World, spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec
) -> None:
    """Downloaded for a version 2 round: each part its own answer cell (the K1 answers in
    the first parts, the new parts empty); a part filled offline comes into the draft, a
    wrong value in a part is listed by its sheet and cell, and a version 1 workbook is
    refused by name."""
    client = client_of(q2world, "team")
    aid = assignment_id(q2world, A)
    book = download(client, aid)
    wb = openpyxl.load_workbook(io.BytesIO(book))
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    assert meta["questionnaire"] == spec_q2.id
    found = cells(book)
    assert {f.id for f in spec_q2.degree_fields} <= set(found)
    with q2world.root.db.reading() as s:
        draft = drafts.load(s, q2world.person(A, "team"), aid, lang="lv")
    first = int(draft.values["Q_1_1_D3"])
    assert found["Q_1_1_D3"][2] == spec_q2.degree_label(first, "lv")
    assert found["Q_1_1_D3_2"][2] is None and found["Q_2_2_D2_3"][2] is None
    # The part's row is labelled as a part of its dimension, beside the first part's.
    sheet, cell, _ = found["Q_1_1_D3_2"]
    row = int("".join(ch for ch in cell if ch.isdigit()))
    labels = [str(v) for v in next(wb[sheet].iter_rows(min_row=row, max_row=row,
                                                        values_only=True)) if v]  # fmt: skip
    assert any("1.1.D3 (2/2)" in v for v in labels), labels

    changed = edited(book, {"Q_1_1_D3_2": spec_q2.degree_label(1, "lv"),
                            "Q_2_2_D2_3": "Nav zināms"})  # fmt: skip
    status, page = upload(client, aid, changed)
    assert status == 200, page
    assert "No darbgrāmatas pārņemtās atbildes: 2." in page
    written = {r.field: r.value for r in draft_rows(q2world, aid) if r.source == "workbook"}
    assert written == {"Q_1_1_D3_2": "1", "Q_2_2_D2_3": "unknown"}
    c1 = client.get(f"/questionnaire/{aid}/C1").text
    assert 'id="Q_1_1_D3_2-1" value="1" checked' in c1
    assert "Atbildēts: 17 no 22" in client.get(f"/questionnaire/{aid}").text

    status, page = upload(client, aid, edited(changed, {"Q_1_3_D2_2": "7"}))
    assert status == 200 and "Darbgrāmatā atrastās kļūdas" in page
    sheet, cell, _ = found["Q_1_3_D2_2"]
    assert f"<td>{sheet}</td>\n      <td>{cell}</td>" in page
    assert f'href="/questionnaire/{aid}/C1#f-Q_1_3_D2_2"' in page

    # A version 1 workbook for this round and institution: not this round's questionnaire.
    old = build_workbook(spec, institution_code=A, institution_name=NAMES[A], round_code=K2,
                         lang="lv", key=q2world.root.settings.signing_key())  # fmt: skip
    before = len(draft_rows(q2world, aid))
    status, page = upload(client, aid, old)
    assert status == 400
    assert f"Šī darbgrāmata ir anketas versijai {spec.id}" in page and spec_q2.id in page
    assert len(draft_rows(q2world, aid)) == before


def test_a_colleague_s_save_uncommitted_at_download_is_not_undone(
    tmp_path: Path, spec: QuestionnaireSpec, postgres: Any
) -> None:
    """On PostgreSQL a row's id is handed out before it is committed. The lead's save is
    under way (its row has an id, not yet committed) while the team member's own save
    commits (a higher id) and the member downloads the workbook and opens a page: both
    show the lead's field as it was. The lead's save commits; the member sends back the
    workbook, then the page, each with that field untouched: the lead's change stands,
    and what the member changed is written."""
    with built_world(tmp_path, spec, database_url=postgres.new_database()) as world:
        open_second_round(world, spec.id)
        team = client_of(world, "team")
        aid = assignment_id(world, A)
        autosave(team, aid, "COMMENT_1_2", "Sākums")  # the answers are in progress
        before = draft_rows(world, aid, "Q_1_1_D2")
        url = f"/questionnaire/{aid}/C1"
        with world.root.db.unit_of_work() as s:
            drafts.save_field(
                s, world.person(A, "lead"), aid, "Q_1_1_D2", "0", now=world.clock.now(),
                lang="lv", where={"ip": "127.0.0.1"},
            )  # fmt: skip
            # Meanwhile, in other transactions:
            autosave(team, aid, "COMMENT_1_1", "Pēc vadītājas")
            book = download(team, aid)
            shown = team.get(url).text
        lead_row = draft_rows(world, aid, "Q_1_1_D2")[-1]
        assert lead_row.value == "0" and lead_row not in before
        assert (lead_row.id or 0) < (draft_rows(world, aid, "COMMENT_1_1")[-1].id or 0)
        status, page = upload(team, aid, edited(book, {"EVIDENCE_1_1": "Rīkojums Nr. 3"}))
        assert status == 200, page
        assert draft_rows(world, aid, "Q_1_1_D2")[-1].value == "0"
        assert {r.field for r in draft_rows(world, aid) if r.source == "workbook"} == {
            "EVIDENCE_1_1"
        }
        values = {**form_of(shown, url), "COMMENT_1_3": "No lapas"}
        answer = team.post(url, data=values, follow_redirects=False)
        assert answer.status_code == 303
        assert draft_rows(world, aid, "Q_1_1_D2")[-1].value == "0"
        assert draft_rows(world, aid, "COMMENT_1_3")[-1].value == "No lapas"
        # The page was made before the upload: the evidence it showed is not undone either.
        assert draft_rows(world, aid, "EVIDENCE_1_1")[-1].value == "Rīkojums Nr. 3"
