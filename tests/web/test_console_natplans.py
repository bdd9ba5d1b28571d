"""The console's RV6/RV7 plans and open data: every console role reads a round's plans
(the analyst as published, the coordinator and reviewer naming the institutions), only
the coordinator drafts and edits; each save is a new version with its reason, shown in the
history; a form made from an older version is refused with what changed, keeping what was
typed; the PDF, workbook and open-data downloads read back; the pages read a round in a
constant number of statements."""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from pvpp.clock import FixedClock
from pvpp.console_auth import ConsolePerson
from pvpp.console_plans import open_data_page, plan_page
from pvpp.disclosure import published_minimum
from pvpp.national_plans import draft_plan, get_plan, plan_versions
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import AuditLog
from pvpp.web import create_app
from tests.conftest import make_root, require_program
from tests.rounds import close, run_round
from tests.store.test_queries import counting
from tests.web.conftest import NAMES, PUBLIC, ROUND, A, World, csrf_of, web_settings
from tests.web.consoles import ACCOUNTS, console_sign_in

PLAN = f"/console/plans/{ROUND}/RV6"
COORD = ACCOUNTS["coordinator"][0]
FIVE = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD"), ("RIGA", "RIGA")]


def _text(html: str) -> str:
    """A page's text, tags removed and spaces folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _draft(client: TestClient, url: str = PLAN) -> str:
    """Draft the plan through the index's button; the plan page's address."""
    index = client.get("/console/plans")
    answer = client.post(f"{url}/draft", data={"csrf": csrf_of(index.text)},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def _versions(world: World, round_code: str = ROUND) -> list[int]:
    with world.root.db.reading() as s:
        return [p.version for p in plan_versions(s, round_code, "RV6")]


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
TEXT = re.compile(r'<input type="(?:text|date)" id="[^"]+" name="([^"]+)" value="([^"]*)"')
AREA = re.compile(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>')
SELECTED = re.compile(r'name="policy_measure".*?<option value="([^"]+)" selected', re.S)
CHECKED = re.compile(r'name="items" value="([^"]+)" checked')


def _form_fields(html: str, action: str = "change") -> dict[str, object]:
    """The fields of the measure form (the form with ``action``), as a browser would post
    them unchanged."""
    before, after = html.split(f'name="action" value="{action}"', 1)
    chunk = before.rsplit("<form", 1)[1] + after.split("</form>", 1)[0]
    data: dict[str, object] = {"action": action}
    for pattern in (HIDDEN, TEXT, AREA):
        data.update({name: unescape(value) for name, value in pattern.findall(chunk)})
    if (selected := SELECTED.search(chunk)) is not None:
        data["policy_measure"] = selected.group(1)
    data["items"] = CHECKED.findall(chunk)
    return data


def _first_key(world: World) -> str:
    """The key of the plan's first measure."""
    with world.root.db.reading() as s:
        return get_plan(s, ROUND, "RV6").measures[0].key


# -- roles ------------------------------------------------------------------------------------


def test_every_role_reads_the_plans_and_only_the_coordinator_drafts_and_edits(
    world: World,
) -> None:
    coordinator = console_sign_in(world, "coordinator")
    reviewer = console_sign_in(world, "reviewer")
    analyst = console_sign_in(world, "analyst")
    for who in (reviewer, analyst):  # no draft button, and a posted draft is refused
        index = who.get("/console/plans")
        assert index.status_code == 200 and "Izstrādāt RV6 plānu" not in index.text
        refused = who.post(f"{PLAN}/draft", data={"csrf": csrf_of(index.text)})
        assert refused.status_code == 403
    assert _versions(world) == []
    index = coordinator.get("/console/plans")
    assert "Izstrādāt RV6 plānu (2026-K1)" in index.text
    assert _draft(coordinator) == f"{PLAN}?drafted=1"
    key = _first_key(world)
    page = coordinator.get(f"{PLAN}?drafted=1")
    text = _text(page.text)
    assert "Plāns izstrādāts no cikla atšķirībām: 1. versija." in text
    assert "(provizorisks)" in text and f"Labot pasākumu {key}" in text
    assert NAMES[A] in text  # the coordinator's internal view names the institutions
    # The reviewer reads institutions' data: the internal view, without the edit links.
    seen = _text(reviewer.get(PLAN).text)
    assert NAMES[A] in seen and "Labot pasākumu" not in seen and "Pievienot" not in seen
    assert "ar iestāžu nosaukumiem" in seen
    # The analyst reads national results only: the plan as published (two institutions
    # rated: the counts withheld), no institution named, no internal downloads.
    published = analyst.get(PLAN)
    seen = _text(published.text)
    assert published.status_code == 200 and NAMES[A] not in seen and "VID" not in seen
    assert "Jūs redzat plānu tā, kā to publicē" in seen
    # Every need's count of institutions with a gap withheld (two rated, fewer than
    # the published minimum), the count rated shown, and the note saying why.
    needs = re.findall(
        r'<th scope="row">([^<]+)</th>\s*'
        r'<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>',
        published.text,
    )
    assert needs and {(w, r) for _, w, r in needs} == {("*", "2")}, needs
    minimum = published_minimum()
    assert (
        f"“*” — skaitlis nav rādīts, jo punktu novērtējušas mazāk nekā {minimum} iestādes." in seen
    )
    assert "internal=true" not in published.text and "Labot pasākumu" not in seen
    for who in (reviewer, analyst):
        assert who.get(f"{PLAN}/measures/{key}").status_code == 403
        assert who.get(f"{PLAN}/add").status_code == 403
        token = csrf_of(who.get(PLAN).text)
        for url in (f"{PLAN}/measures/{key}", f"{PLAN}/add"):
            answer = who.post(url, data={"csrf": token, "reason": "x", "title_lv": "y"})
            assert answer.status_code == 403, url
    assert analyst.get(f"{PLAN}/pdf?internal=true").status_code == 403
    assert _versions(world) == [1]


def test_unknown_rounds_directions_versions_and_measures_are_not_found(world: World) -> None:
    client = console_sign_in(world, "coordinator")
    _draft(client)
    for url in (
        "/console/plans/2030-K9/RV6", "/console/plans/2026-K1/RV5", f"{PLAN}?version=9",
        f"{PLAN}?version=x", f"{PLAN}/measures/RV6-99", "/console/plans/2026-K1/RV7",
        "/console/plans/2030-K9/RV6/pdf", f"{PLAN}/pdf?version=9",
        "/console/open-data/2030-K9", f"/console/open-data/{ROUND}/secrets.txt",
        f"/console/open-data/{ROUND}/needs.csv",  # the round is open: nothing published
    ):  # fmt: skip
        assert client.get(url).status_code == 404, url
    token = csrf_of(client.get(PLAN).text)
    answer = client.post("/console/plans/2030-K9/RV6/draft", data={"csrf": token})
    assert answer.status_code == 404


# -- the edit loop ------------------------------------------------------------------------------


def test_an_edit_is_a_new_version_with_its_reason_in_the_history(world: World) -> None:
    client = console_sign_in(world, "coordinator")
    _draft(client)
    key = _first_key(world)
    form = client.get(f"{PLAN}/measures/{key}")
    assert form.status_code == 200
    assert 'name="base_version" value="1"' in form.text
    data = _form_fields(form.text)
    data.update(due_on="2027-09-30", responsible="VARAM", reason="Saskaņots ar VDAA")
    answer = client.post(f"{PLAN}/measures/{key}", data=data, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"{PLAN}?saved=2"
    assert _versions(world) == [1, 2]
    with world.root.db.reading() as s:
        view = get_plan(s, ROUND, "RV6")
        measure = view.measures[0]
        # Only the fields changed were sent: the title and description stay provisional.
        assert (measure.due_on, measure.responsible) == (date(2027, 9, 30), "VARAM")
        assert measure.provisional == ("title", "description")
        entry = s.exec(select(AuditLog).where(AuditLog.action == "national_plan.edit")).one()
        assert entry.actor == COORD and entry.detail["via"] == "console"
        assert entry.detail["ip"] == "testclient"
    page = _text(client.get(f"{PLAN}?saved=2").text)
    assert "Izmaiņas saglabātas kā 2. versija." in page and "30.09.2027" in page
    history = _text(client.get(f"{PLAN}/history").text)
    assert "2. versija" in history and "1. versija" in history
    assert f"mainīts {key}" in history and "Saskaņots ar VDAA" in history
    assert "termiņš: “31.12.2026” → “30.09.2027”" in history
    assert f"Saglabāja {COORD}" in history
    # Version 1 is still there as it was, and cannot be edited from its page.
    old = _text(client.get(f"{PLAN}?version=1").text)
    assert "Šī nav jaunākā versija" in old and "Labot pasākumu" not in old


def test_confirming_drops_the_provisional_marks_and_a_drop_keeps_its_reason(
    world: World,
) -> None:
    client = console_sign_in(world, "coordinator")
    _draft(client)
    key = _first_key(world)
    data = _form_fields(client.get(f"{PLAN}/measures/{key}").text)
    data.update(confirm="1", reason="Uzmetuma vērtības der")
    assert client.post(f"{PLAN}/measures/{key}", data=data).status_code == 200
    with world.root.db.reading() as s:
        assert get_plan(s, ROUND, "RV6").measures[0].provisional == ()
    form = client.get(f"{PLAN}/measures/{key}").text
    data = _form_fields(form, "drop")
    data["reason"] = "Ietverts e-indeksa darbā"
    assert client.post(f"{PLAN}/measures/{key}", data=data).status_code == 200
    page = _text(client.get(PLAN).text)
    assert "Ietverts e-indeksa darbā" in page.split("Atsauktie pasākumi")[1]
    assert f"Labot pasākumu {key}" not in page
    assert "ir atsaukts" in _text(client.get(f"{PLAN}/measures/{key}").text)
    assert _versions(world) == [1, 2, 3]


def test_bad_values_are_refused_beside_their_fields_and_nothing_is_saved(world: World) -> None:
    client = console_sign_in(world, "coordinator")
    _draft(client)
    key = _first_key(world)
    data = _form_fields(client.get(f"{PLAN}/measures/{key}").text)
    data.update(due_on="2025-01-01", title_lv="Mans jaunais nosaukums", reason="")
    answer = client.post(f"{PLAN}/measures/{key}", data=data)
    assert answer.status_code == 400
    text = _text(answer.text)
    assert "Izmaiņas netika saglabātas" in text
    assert (
        "Termiņš 01.01.2025 ir pagātnē: norādiet datumu ne agrāk par šodienu (02.04.2026)." in text
    )
    assert "Aizpildiet šo lauku." in text  # the reason
    assert 'value="Mans jaunais nosaukums"' in answer.text  # what was typed is kept
    assert 'id="due_on" name="due_on" value="2025-01-01"' in answer.text
    assert 'aria-invalid="true"' in answer.text and 'href="#due_on"' in answer.text
    # Nothing changed at all.
    data.update(due_on=data["shown_due_on"], title_lv=data["shown_title_lv"], reason="x")
    answer = client.post(f"{PLAN}/measures/{key}", data=data)
    assert answer.status_code == 400 and "Nekas nav mainīts" in _text(answer.text)
    assert _versions(world) == [1]


def test_a_new_measure_needs_its_fields_and_then_is_added(world: World) -> None:
    client = console_sign_in(world, "coordinator")
    _draft(client)
    form = client.get(f"{PLAN}/add")
    assert form.status_code == 200
    data = _form_fields(form.text, "add")
    data.update(title_lv="Koplietošanas datu apmaiņas vadlīnijas", reason="Vajadzīgs K8")
    answer = client.post(f"{PLAN}/add", data=data)
    assert answer.status_code == 400
    text = _text(answer.text)
    # The description and the body, each in the summary and beside its field.
    assert text.count("Aizpildiet šo lauku.") == 4
    assert "Ierakstiet datumu, piemēram, 2027-06-30." in text
    assert "Atzīmējiet vismaz vienu punktu." in text
    assert 'value="Koplietošanas datu apmaiņas vadlīnijas"' in answer.text
    data.update(description_lv="Vadlīnijas iestādēm", responsible="VARAM", due_on="2027-06-30",
                items=["K8"])  # fmt: skip
    answer = client.post(f"{PLAN}/add", data=data, follow_redirects=False)
    assert answer.status_code == 303, _text(answer.text)
    with world.root.db.reading() as s:
        new = get_plan(s, ROUND, "RV6").measures[-1]
        assert new.title == {"lv": "Koplietošanas datu apmaiņas vadlīnijas"}
        assert new.items == ("K8",) and new.template == "" and new.provisional == ()
    history = _text(client.get(f"{PLAN}/history").text)
    assert f"pievienots {new.key}" in history and "Vajadzīgs K8" in history


def test_a_form_of_an_older_version_is_refused_with_what_changed_and_keeps_the_typing(
    world: World,
) -> None:
    """Two coordinators edit version 1; the second to save is told who saved what, keeps
    their typed title, sees the other's change in the fields they did not touch, and
    saves on top of it."""
    anna = console_sign_in(world, "coordinator")
    _draft(anna)
    key = _first_key(world)
    mine = _form_fields(anna.get(f"{PLAN}/measures/{key}").text)
    theirs = _form_fields(anna.get(f"{PLAN}/measures/{key}").text)
    theirs.update(due_on="2027-12-31", reason="VDAA termiņš")
    assert anna.post(f"{PLAN}/measures/{key}", data=theirs).status_code == 200
    assert _versions(world) == [1, 2]
    mine.update(title_lv="Centralizēta e-pakalpojumu pieteikumu sistēma", reason="Precīzāk")
    answer = anna.post(f"{PLAN}/measures/{key}", data=mine)
    assert answer.status_code == 409
    text = _text(answer.text)
    assert "Kamēr jūs labojāt, kāds saglabāja 2. versiju" in text
    assert "nav zudušas" in text
    assert f"mainīts {key}" in text and "VDAA termiņš" in text and "→ “31.12.2027”" in text
    assert 'value="Centralizēta e-pakalpojumu pieteikumu sistēma"' in answer.text
    assert 'name="base_version" value="2"' in answer.text
    assert 'id="due_on" name="due_on" value="2027-12-31"' in answer.text  # theirs, untouched
    assert "Precīzāk" in answer.text  # the reason typed is kept too
    assert _versions(world) == [1, 2]  # nothing saved
    again = _form_fields(answer.text)
    answer = anna.post(f"{PLAN}/measures/{key}", data=again, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"{PLAN}?saved=3"
    with world.root.db.reading() as s:
        m = get_plan(s, ROUND, "RV6").measures[0]
        assert m.title["lv"] == "Centralizēta e-pakalpojumu pieteikumu sistēma"
        assert m.due_on == date(2027, 12, 31)  # the other's change is not undone


# -- documents ---------------------------------------------------------------------------------


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "plan.pdf"
    path.write_bytes(data)
    out = subprocess.run([require_program("pdftotext"), "-layout", str(path), "-"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return " ".join(out.split())


def test_the_plan_downloads_as_pdf_and_workbook_of_any_version(
    world: World, tmp_path: Path
) -> None:
    client = console_sign_in(world, "coordinator")
    _draft(client)
    key = _first_key(world)
    data = _form_fields(client.get(f"{PLAN}/measures/{key}").text)
    data.update(responsible="VARAM", reason="Saskaņots")
    client.post(f"{PLAN}/measures/{key}", data=data)
    pdf = client.get(f"{PLAN}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "2026-K1-RV6-v2.pdf" in pdf.headers["content-disposition"]
    text = _pdf_text(pdf.content, tmp_path)
    assert "RV6 specializētais plāns" in text and "Versija 2" in text
    assert "VID" not in text  # publishable: nobody named
    first = _pdf_text(client.get(f"{PLAN}/pdf?version=1").content, tmp_path)
    assert "Versija 1" in first
    internal = client.get(f"{PLAN}/pdf?internal=true")
    assert "iekseja" in internal.headers["content-disposition"]
    assert NAMES[A] in _pdf_text(internal.content, tmp_path)
    book = client.get(f"{PLAN}/xlsx?version=2")
    assert book.status_code == 200 and "2026-K1-RV6-v2.xlsx" in book.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(book.content))
    assert wb.sheetnames[:3] == ["Pasākumi", "Vajadzības", "Izmaiņas"]
    keys = [row[0].value for row in wb["Pasākumi"].iter_rows(min_row=2) if row[0].value]
    assert key in keys
    english = client.get(f"{PLAN}/pdf?lang=en&internal=true")  # the page's language
    assert "Version 2" in _pdf_text(english.content, tmp_path)
    assert "2026-K1-RV6-v2-internal.pdf" in english.headers["content-disposition"]
    # The analyst downloads the publishable forms only; every download is audited.
    analyst = console_sign_in(world, "analyst")
    assert analyst.get(f"{PLAN}/xlsx").status_code == 200
    assert analyst.get(f"{PLAN}/xlsx?internal=true").status_code == 403
    with world.root.db.reading() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "national_plan.download")).all()
        assert len(rows) == 6 and {r.detail["internal"] for r in rows} == {True, False}


# -- open data ---------------------------------------------------------------------------------


@pytest.fixture
def closed(tmp_path: Path, spec: QuestionnaireSpec) -> Iterator[World]:
    """Round 2026-K1 of five institutions, closed; the console on 2 April 2026."""
    clock = FixedClock(date(2026, 4, 2))
    root = make_root(web_settings(tmp_path), clock)
    root.db.upgrade()
    try:
        run_round(root, spec, tmp_path / "books", FIVE)
        close(root)
        client = TestClient(create_app(root), base_url=PUBLIC)
        with client:
            yield World(root, clock, client)
    finally:
        root.close()


def test_a_closed_round_s_open_data_page_and_downloads(closed: World) -> None:
    for role in ("coordinator", "reviewer", "analyst"):
        client = console_sign_in(closed, role)
        page = client.get(f"/console/open-data/{ROUND}")
        assert page.status_code == 200, role
    text = _text(page.text)
    assert "Kad skaitļi netiek publicēti" in text
    assert "no mazāk nekā 4 iestādēm, netiek publicēts" in text
    for title in ("RV6 un RV7 vajadzības", "Indeksa mediāna pa iestāžu grupām"):
        assert title in text
    assert "01.04.2026" in text and "5 iestādes" in text
    archive = client.get(f"/console/open-data/{ROUND}/pvpp2027-2026-k1-open-data.zip")
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        names = set(z.namelist())
        package = json.loads(z.read("datapackage.json"))
    assert len(names) == 13 and {"needs.csv", "needs.json", "funding.csv"} <= names
    assert {r["path"] for r in package["resources"]} == names - {"datapackage.json"}
    assert package["suppression"]["min_institutions"] == 4
    assert package["pvpp"]["round"] == ROUND and package["licenses"][0]["name"] == "CC-BY-4.0"
    csv = client.get(f"/console/open-data/{ROUND}/needs.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith(b'"direction","item"')
    assert b"VID" not in csv.content
    single = client.get(f"/console/open-data/{ROUND}/datapackage.json")
    assert json.loads(single.content)["name"] == "pvpp2027-2026-k1"
    with closed.root.db.reading() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "open_data.download")).all()
        assert [r.detail["file"] for r in rows] == [
            "pvpp2027-2026-k1-open-data.zip", "needs.csv", "datapackage.json",
        ]  # fmt: skip
    # The index links the closed round's open data.
    index = client.get("/console/plans")
    assert f'href="/console/open-data/{ROUND}"' in index.text


def test_a_closed_round_s_open_data_is_made_once_per_language_and_then_read_as_kept(
    closed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed round's open data never changes: the page and the downloads after the
    first read the package made first, not a new one each time."""
    import pvpp.console_plans as console_plans

    made: list[tuple[str, str]] = []
    real = console_plans.open_data_package

    def counted(session: object, round_code: str, **kw: Any) -> Any:
        made.append((round_code, kw["lang"]))
        return real(session, round_code, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(console_plans, "open_data_package", counted)
    monkeypatch.setattr(console_plans, "_PACKAGES", OrderedDict())
    client = console_sign_in(closed, "analyst")
    url = f"/console/open-data/{ROUND}"
    first = client.get(f"{url}/datapackage.json")
    assert client.get(url).status_code == 200
    again = client.get(f"{url}/datapackage.json")
    assert again.content == first.content  # the same bytes, "created" included
    assert client.get(f"{url}/needs.csv").status_code == 200
    assert client.get(f"{url}/pvpp2027-2026-k1-open-data.zip").status_code == 200
    assert made == [(ROUND, "lv")]
    english = client.get(f"{url}/datapackage.json?lang=en")
    assert json.loads(english.content)["pvpp"]["language"] == "en"
    client.get(f"{url}?lang=en")
    assert made == [(ROUND, "lv"), (ROUND, "en")]
    # Each download is still audited.
    with closed.root.db.reading() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "open_data.download")).all()
    assert len(rows) == 5


def test_an_open_round_has_no_open_data_yet(world: World) -> None:
    client = console_sign_in(world, "analyst")
    page = client.get(f"/console/open-data/{ROUND}")
    assert page.status_code == 200
    assert "vēl nav slēgts" in _text(page.text) and ".zip" not in page.text
    assert "Cikls nav slēgts" in _text(client.get("/console/plans").text)


# -- statements ---------------------------------------------------------------------------------


def test_the_plan_and_open_data_pages_read_a_round_in_a_constant_number_of_statements(
    closed: World, spec: QuestionnaireSpec, tmp_path: Path
) -> None:
    """Round 2026-K1 of five institutions and 2026-K2 of nine: the same statements."""
    root = closed.root
    nine = [*FIVE, ("VSAA", "VSAA"), ("PMLP", "PMLP"), ("VDAA", "VDAA"), ("JELGAVA", "J")]
    run_round(root, spec, tmp_path / "k2", nine, round_code="2026-K2")
    close(root, "2026-K2")
    person = ConsolePerson(0, 0, COORD, "Ilze", "coordinator")
    today = date(2026, 4, 2)
    counts = {}
    for code in (ROUND, "2026-K2"):
        with root.db.unit_of_work() as s:
            draft_plan(s, code, "RV6", today=today, actor=COORD)
        with root.db.reading() as s:
            with counting(s) as plan_statements:
                view = plan_page(s, person, code, "RV6", None, lang="lv", today=today)
            with counting(s) as data_statements:
                data = open_data_page(s, person, code, lang="lv", now=closed.clock.now())
        assert view["measures"] and data["tables"], code
        counts[code] = (len(plan_statements), len(data_statements))
    assert counts[ROUND] == counts["2026-K2"], counts
    with root.db.reading() as s:
        assert s.exec(select(AuditLog).where(col(AuditLog.action) == "round.close")).all()
