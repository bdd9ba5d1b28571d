"""The console's rounds pages: creating a round (its RV1 scope shown first, errors beside
the fields), a round's page and the coordinator's actions (launch in the background,
extend, remind, close), the progress page with its filters and downloads; who may do
what (the analyst is refused, the reviewer reads, the coordinator acts); the audit trail;
and the progress page's constant number of statements."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import Engine, event
from sqlmodel import col, select
from starlette.testclient import TestClient

from pvpp.launch import LAUNCH_DONE, ROUND_LAUNCH
from pvpp.milestones import record_milestones
from pvpp.rounds import create_round
from pvpp.store.models import AuditLog, OutboxMessage, Round
from tests.web.conftest import ROUND, A, B, World, csrf_of
from tests.web.consoles import ACCOUNTS, console_sign_in

COORD = ACCOUNTS["coordinator"][0]


def _audit(world: World, action: str) -> list[AuditLog]:
    with world.root.db.reading() as s:
        rows = s.exec(
            select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))
        ).all()
        for r in rows:
            s.expunge(r)
        return list(rows)


def _post(client: TestClient, page_url: str, url: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={**data, "csrf": token}, follow_redirects=False)


def test_the_new_round_form_shows_the_scope_and_refuses_beside_the_fields(world: World) -> None:
    client = console_sign_in(world, "coordinator")
    form = client.get("/console/rounds/new")
    assert form.status_code == 200, form.text
    text = form.text
    assert "Jauns novērtēšanas cikls" in text
    assert 'value="pvpp2027-q2" selected' in text and "(jaunākā)" in text
    assert 'id="review" name="review" value="1" checked' in text
    assert "Uzdevumu saņems" in text and "Izslēgtas (4.1.5. punkts)" in text
    answer = _post(client, "/console/rounds/new", "/console/rounds/new",
                   {"code": ROUND, "due": "01.04.2026", "version": "nav-tādas"})  # fmt: skip
    assert answer.status_code == 400
    assert "Cikls ar šādu kodu jau ir" in answer.text
    assert "Termiņam jābūt pēc šodienas" in answer.text
    assert "Izvēlieties anketas versiju" in answer.text
    assert answer.text.count('aria-invalid="true"') == 3
    assert 'href="#code"' in answer.text and 'href="#due"' in answer.text
    # Nothing was created, and review is as posted (unticked).
    assert 'id="review" name="review" value="1" checked' not in answer.text
    with world.root.db.reading() as s:
        assert len(s.exec(select(Round)).all()) == 1


def test_a_coordinator_creates_a_round_and_it_is_audited(world: World) -> None:
    client = console_sign_in(world, "coordinator")
    answer = _post(client, "/console/rounds/new", "/console/rounds/new",
                   {"code": "2026-K9", "due": "2026-06-30", "version": "pvpp2027-q2",
                    "review": "1"})  # fmt: skip
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/rounds/2026-K9?done=created"
    page = client.get(answer.headers["location"])
    assert page.status_code == 200
    assert "Cikls ir izveidots" in page.text and "izveidots, vēl nav uzsākts" in page.text
    with world.root.db.reading() as s:
        rnd = s.exec(select(Round).where(Round.code == "2026-K9")).one()
        assert (rnd.opens_on, rnd.due_on, rnd.review_required) == (
            world.clock.today(), date(2026, 6, 30), True)  # fmt: skip
    [entry] = _audit(world, "round.create")[-1:]
    assert entry.actor == COORD and entry.entity_key == "2026-K9"
    assert entry.detail["ip"] == "testclient"


def _new_round(world: World, code: str = "2026-K5", institutions: list[str] | None = None) -> str:
    today = world.clock.today()
    with world.root.db.unit_of_work() as s:
        create_round(
            s, code=code, opens_on=today - timedelta(days=20), due_on=today + timedelta(days=30),
            questionnaire_version="pvpp2027-q2", institutions=institutions or [A, B],
            actor="test",
        )  # fmt: skip
    return code


def test_a_coordinator_launches_in_the_background_and_the_page_tells_how_it_went(
    world: World,
) -> None:
    code = _new_round(world)
    client = console_sign_in(world, "coordinator")
    page = client.get(f"/console/rounds/{code}")
    assert "Uzsākt ciklu" in page.text and "Cikls vēl nav uzsākts" in page.text
    answer = _post(client, f"/console/rounds/{code}", f"/console/rounds/{code}/launch", {})
    # The test client runs the response's background task before it returns.
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=launch")
    page = client.get(answer.headers["location"])
    assert "Cikla uzsākšana sākta" in page.text
    assert "notiek (atbildes tiek gaidītas)" in page.text
    section = page.text.split("<h2>Uzsākšana</h2>")[1].split("<h2>")[0]
    # Sent: the two invitations, and the plan emails the world had queued before.
    done = (
        "Sagatavoti uzaicinājumi: 2; neizdevās: 0. Nosūtītas vēstules no izejošo vēstuļu"
        " rindas (ieskaitot citas, kas tur gaidīja): 4."
    )
    assert done in section, section
    assert "Uzsākt vēlreiz" in page.text
    [launched] = [e for e in _audit(world, ROUND_LAUNCH) if e.entity_key == code]
    assert launched.actor == COORD and launched.detail == {"via": "in_process", "ip": "testclient"}
    [ended] = [e for e in _audit(world, LAUNCH_DONE) if e.entity_key == code]
    assert ended.detail["invited"] == 2 and ended.detail["sent"] == 4


def test_extend_refuses_beside_the_fields_then_extends_and_tells_the_teams(world: World) -> None:
    code = _new_round(world)
    client = console_sign_in(world, "coordinator")
    url = f"/console/rounds/{code}"
    answer = _post(client, url, f"{url}/extend", {"due": "2026-04-01", "reason": ""})
    assert answer.status_code == 400
    assert "Ievadiet iemeslu" in answer.text and "vēlākam par pašreizējo" in answer.text
    assert 'value="2026-04-01"' in answer.text  # what was typed stays
    answer = _post(client, url, f"{url}/extend",
                   {"due": "31.05.2026", "reason": "Vasaras atvaļinājumi"})  # fmt: skip
    assert answer.status_code == 303 and "done=extend&n=2" in answer.headers["location"]
    assert "paziņojums ielikts rindā 2 iestādēm" in client.get(answer.headers["location"]).text
    [entry] = _audit(world, "round.extend")
    assert entry.actor == COORD and entry.detail["reason"] == "Vasaras atvaļinājumi"
    assert entry.detail["due_on"] == "2026-05-31" and entry.detail["ip"] == "testclient"


def test_remind_asks_first_with_the_count_then_sends_once_a_day(world: World) -> None:
    code = _new_round(world)
    client = console_sign_in(world, "coordinator")
    confirm = client.get(f"/console/rounds/{code}/remind")
    assert confirm.status_code == 200 and "Tagad atgādinājumu saņemtu 2 iestādes" in confirm.text
    answer = _post(client, f"/console/rounds/{code}/remind", f"/console/rounds/{code}/remind", {})
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=remind&n=2")
    again = client.get(f"/console/rounds/{code}/remind")
    assert "atgādinājumu saņemtu 0 iestāžu" in again.text and "2 iestādes šodien" in again.text
    with world.root.db.reading() as s:
        kinds = s.exec(select(OutboxMessage.kind).where(OutboxMessage.round_code == code)).all()
    assert sorted(kinds) == ["reminder", "reminder"]
    [entry] = _audit(world, "round.remind")
    assert entry.actor == COORD and entry.detail["queued"] == 2


def test_close_waits_for_the_due_date_then_asks_and_closes(world: World) -> None:
    code = _new_round(world)
    client = console_sign_in(world, "coordinator")
    early = _post(client, f"/console/rounds/{code}", f"/console/rounds/{code}/close", {})
    assert early.status_code == 409 and "tikai pēc iesniegšanas termiņa" in early.text
    # 2026-K1 was due on 31 March; today is 2 April.
    confirm = client.get(f"/console/rounds/{ROUND}/close")
    assert "galīgi un nav atsaucams" in confirm.text and "Slēgt ciklu" in confirm.text
    answer = _post(client, f"/console/rounds/{ROUND}/close", f"/console/rounds/{ROUND}/close", {})
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    assert "slēgts publicēšanai" in page.text and "Uzsākt" not in page.text
    [entry] = _audit(world, "round.close")
    assert entry.actor == COORD


@pytest.mark.parametrize("role", ["analyst", "reviewer"])
def test_the_analyst_is_refused_and_the_reviewer_reads_but_does_not_act(
    world: World, role: str
) -> None:
    code = _new_round(world)
    client = console_sign_in(world, role)
    reads = 403 if role == "analyst" else 200
    here = f"/console/rounds/{code}"
    for url in (here, f"{here}/progress", f"{here}/progress.csv", f"{here}/progress.xlsx"):
        assert client.get(url).status_code == reads, url
    for url in ("/console/rounds/new", f"/console/rounds/{code}/remind",
                f"/console/rounds/{code}/close"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    token = csrf_of(client.get("/console").text)
    for action in ("launch", "extend", "remind", "close"):
        answer = client.post(f"/console/rounds/{code}/{action}",
                             data={"csrf": token, "due": "2026-06-30", "reason": "x"})  # fmt: skip
        assert answer.status_code == 403, action
    answer = client.post("/console/rounds/new", data={"csrf": token, "code": "2026-K8",
                                                       "due": "2026-06-30"})  # fmt: skip
    assert answer.status_code == 403
    if role == "reviewer":
        page = client.get(f"/console/rounds/{code}")
        assert "Jūsu loma ļauj ciklu skatīt" in page.text
        assert "/launch" not in page.text and "/extend" not in page.text
    with world.root.db.reading() as s:
        assert s.exec(select(Round).where(Round.code == "2026-K8")).first() is None
        assert s.exec(select(OutboxMessage).where(OutboxMessage.round_code == code)).all() == []
    assert _audit(world, ROUND_LAUNCH) == [] and _audit(world, "round.extend") == []


def test_an_unknown_round_is_not_found(world: World) -> None:
    client = console_sign_in(world, "coordinator")
    here = "/console/rounds/2099-K1"
    for url in (here, f"{here}/progress", f"{here}/progress.csv", f"{here}/remind"):
        assert client.get(url).status_code == 404, url
    token = csrf_of(client.get("/console").text)
    for action in ("launch", "extend", "remind", "close"):
        answer = client.post(f"{here}/{action}", data={"csrf": token, "due": "2026-06-30",
                                                       "reason": "x"})  # fmt: skip
        assert answer.status_code == 404, action
    assert client.get(f"/console/rounds/{ROUND}/progress.csv?table=nav").status_code == 404


def test_the_progress_page_filters_and_shows_the_chart_with_its_data(world: World) -> None:
    client = console_sign_in(world, "reviewer")
    page = client.get(f"/console/rounds/{ROUND}/progress")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Cikla 2026-K1 izpildes gaita" in text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in text and 'role="img"' in text
    assert '<title id="line-chart-title">' in text and '<desc id="line-chart-desc">' in text
    assert "Grafika dati tabulā" in text
    assert "2 no 37" in text  # A and B are complete (planned)
    filtered = client.get(f"/console/rounds/{ROUND}/progress", params={"name": "ieņēmumu"})
    assert "1 no 1" in filtered.text and "Valsts ieņēmumu dienests" in filtered.text
    assert "name=ie%C5%86%C4%93mumu" in filtered.text  # the downloads keep the filters
    bad = client.get(f"/console/rounds/{ROUND}/progress", params={"state": "nav"})
    assert bad.status_code == 400 and "Šāda stāvokļa nav" in bad.text
    assert "2 no 37" in bad.text  # the other filters (none) still apply


def test_every_table_downloads_as_xlsx_and_csv_with_a_latvian_name(world: World) -> None:
    client = console_sign_in(world, "coordinator")
    url = f"/console/rounds/{ROUND}/progress"
    whole = client.get(f"{url}.xlsx")
    assert whole.status_code == 200
    assert whole.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    disposition = whole.headers["content-disposition"]
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Cikla izpilde 2026-K1.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(whole.content))
    assert book.sheetnames[:2] == ["Kopsavilkums", "Statusi"] and "Iestādes" in book.sheetnames
    for table in ("summary", "states", "line", "behind", "idle", "institutions", "milestones"):
        one = client.get(f"{url}.csv", params={"table": table, "state": "planned"})
        assert one.status_code == 200 and one.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(one.content.decode("utf-8-sig")), delimiter=";"))
        assert rows and all(rows[0]), table  # a header, every column named
        sheet = client.get(f"{url}.xlsx", params={"table": table})
        assert sheet.status_code == 200, table
        assert len(openpyxl.load_workbook(io.BytesIO(sheet.content)).sheetnames) == 1, table
    institutions = client.get(f"{url}.csv", params={"state": "planned"})
    name = unquote(institutions.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert name == "Cikla izpilde 2026-K1 Iestādes.csv"
    rows = list(csv.reader(io.StringIO(institutions.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == [B, A]


def test_the_progress_page_takes_the_same_statements_for_a_small_and_a_large_round(
    world: World,
) -> None:
    """2026-K1 has 37 institutions; 2026-K5 two. Both launched (milestones recorded)."""
    small = _new_round(world)
    with world.root.db.unit_of_work() as s:
        for code in (ROUND, small):
            record_milestones(s, code, actor="test")
    client = console_sign_in(world, "reviewer")
    counts = {}
    statements: list[str] = []

    def record(_c, _cur, statement, *_a) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    for code in (ROUND, small):
        client.get(f"/console/rounds/{code}/progress")  # warm: templates, questionnaire
        statements.clear()
        event.listen(Engine, "before_cursor_execute", record)
        try:
            page = client.get(f"/console/rounds/{code}/progress", params={"group": ""})
        finally:
            event.remove(Engine, "before_cursor_execute", record)
        assert page.status_code == 200
        counts[code] = len(statements)
    assert counts[ROUND] == counts[small], counts


def test_with_a_prefect_server_the_launch_is_queued_and_linked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pvpp.launch as launching

    code = _new_round(world)
    asked: list[str] = []

    def fake_submit(settings: object) -> object:
        def submit(deployment: str, parameters: dict[str, object], name: str) -> str:
            asked.append(name)
            return "0f1e"

        return submit

    monkeypatch.setattr(launching, "submit_to_prefect", fake_submit)
    monkeypatch.setattr(world.root.settings, "prefect_api_url", "http://prefect.example:4200/api")
    # The runs' list asks the server too: here it does not answer, and the page says so.
    client = console_sign_in(world, "coordinator")
    answer = _post(client, f"/console/rounds/{code}", f"/console/rounds/{code}/launch", {})
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=queued")
    assert asked == [f"launch {code} {world.clock.today().isoformat()}"]
    page = client.get(answer.headers["location"])
    assert "nodota Prefect serverim" in page.text
    assert 'href="http://prefect.example:4200/runs/flow-run/0f1e"' in page.text
    assert "Prefect serveris neatbildēja" in page.text
    # Launched, and the run has not recorded the national milestones yet: said so.
    progress = client.get(f"/console/rounds/{code}/progress").text
    assert "valsts pasākumi būs redzami, kad tā tos ierakstīs" in progress
    assert "Cikls vēl nav uzsākts" not in progress


def test_the_coordinator_changes_a_milestone_from_the_progress_page_and_it_is_audited(
    world: World,
) -> None:
    code = _new_round(world)
    with world.root.db.unit_of_work() as s:
        record_milestones(s, code, actor="test")
    client = console_sign_in(world, "coordinator")
    progress = client.get(f"/console/rounds/{code}/progress")
    text = progress.text.split('id="milestones-title"')[1]
    # P2.1 guidelines, P2.2 trainings, and every RV3/RV4 measure, each with its edit link.
    for measure in ("P2.1", "P2.2", "P3.1", "P4.1"):
        assert f'<th scope="row">{measure}</th>' in text, measure
    assert f'href="/console/rounds/{code}/milestones/P2.1">Labot P2.1</a>' in text
    form_url = f"/console/rounds/{code}/milestones/P2.1"
    form = client.get(form_url)
    assert form.status_code == 200 and "Cikla 2026-K5 valsts pasākums P2.1" in form.text
    assert '<option value="planned" selected>plānots</option>' in form.text
    assert 'value="2027-12-31"' in form.text
    # A date in the wrong shape and a state that is none: each said beside its field.
    bad = _post(client, form_url, form_url,
                {"state": "finished", "due": "31/12/2027", "note": "x"})  # fmt: skip
    assert bad.status_code == 400
    assert "Izvēlieties izpildes stāvokli no saraksta" in bad.text
    assert "Termiņš nav derīgs datums" in bad.text
    assert bad.text.count('aria-invalid="true"') == 2
    assert 'href="#state"' in bad.text and 'href="#due"' in bad.text
    assert ">x</textarea>" in bad.text  # what was typed stays
    long = _post(client, form_url, form_url, {"state": "done", "due": "2027-12-31",
                                              "note": "ā" * 2001})  # fmt: skip
    assert long.status_code == 400 and "Piezīme ir par garu" in long.text
    assert _audit(world, "milestone.update") == []
    saved = _post(client, form_url, form_url,
                  {"state": "in_progress", "due": "30.06.2027",
                   "note": "Vadlīniju projekts nodots saskaņošanai"})  # fmt: skip
    assert saved.status_code == 303
    assert saved.headers["location"] == (
        f"/console/rounds/{code}/progress?done=milestone&measure=P2.1#milestones-title"
    )
    page = client.get(saved.headers["location"]).text
    assert "Pasākuma P2.1 izmaiņas ir saglabātas." in page
    row = page.split('<th scope="row">P2.1</th>')[1].split("</tr>")[0]
    assert "procesā" in row and "30.06.2027" in row and "Vadlīniju projekts" in row
    [entry] = _audit(world, "milestone.update")
    assert entry.actor == COORD and entry.entity_key == f"{code}:P2.1"
    assert entry.detail["before"] == {"state": "planned", "due_on": "2027-12-31", "note": ""}
    assert entry.detail["state"] == "in_progress" and entry.detail["due_on"] == "2027-06-30"
    assert entry.detail["ip"] == "testclient"
    # The same again changes nothing, and says so; nothing more is audited.
    again = _post(client, form_url, form_url,
                  {"state": "in_progress", "due": "2027-06-30",
                   "note": "Vadlīniju projekts nodots saskaņošanai"})  # fmt: skip
    assert again.headers["location"].startswith(f"/console/rounds/{code}/progress?done="
                                                "milestone_unchanged")  # fmt: skip
    assert "Pasākumā P2.1 nekas netika mainīts." in client.get(again.headers["location"]).text
    assert len(_audit(world, "milestone.update")) == 1


def test_a_milestone_is_read_only_to_the_reviewer_and_unknown_ones_are_not_found(
    world: World,
) -> None:
    code = _new_round(world)
    client = console_sign_in(world, "coordinator")
    # Not launched: no milestones yet, and the page says so; none to change.
    assert "Cikls vēl nav uzsākts" in client.get(f"/console/rounds/{code}/progress").text
    assert client.get(f"/console/rounds/{code}/milestones/P2.1").status_code == 404
    with world.root.db.unit_of_work() as s:
        record_milestones(s, code, actor="test")
    for url in (f"/console/rounds/{code}/milestones/P9.9",
                "/console/rounds/2099-K1/milestones/P2.1"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    token = csrf_of(client.get("/console").text)
    answer = client.post(f"/console/rounds/{code}/milestones/P9.9",
                         data={"csrf": token, "state": "done", "due": "2027-12-31"})  # fmt: skip
    assert answer.status_code == 404
    # Without the CSRF token nothing is changed.
    forged = client.post(f"/console/rounds/{code}/milestones/P2.1",
                         data={"state": "done", "due": "2027-12-31"},
                         follow_redirects=False)  # fmt: skip
    assert forged.status_code == 403
    reviewer = console_sign_in(world, "reviewer")
    page = reviewer.get(f"/console/rounds/{code}/progress").text
    assert '<th scope="row">P2.2</th>' in page and "/milestones/" not in page
    assert reviewer.get(f"/console/rounds/{code}/milestones/P2.1").status_code == 403
    token = csrf_of(reviewer.get("/console").text)
    answer = reviewer.post(f"/console/rounds/{code}/milestones/P2.1",
                           data={"csrf": token, "state": "done", "due": "2027-12-31"})  # fmt: skip
    assert answer.status_code == 403
    assert _audit(world, "milestone.update") == []
