"""The console's pages of national results across rounds: the trend between rounds chosen
with a form (by default the two newest closed or launched), its tables as xlsx/csv, a
round's institutions with filters, and an institution's standing in its group; every
console role reads them, an unknown round or institution is not found; the pages read a
round in a constant number of statements.

The store is like the demo's: a round 2026-K1 and, a year later, 2027-K1 (here on the
next questionnaire version, so only the shared dimensions are compared), VID's K9 D1
jumping from 0 to 4 and LAD rating itself lower."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from pvpp.app import App
from pvpp.clock import FixedClock
from pvpp.console_trends import choose_rounds, position_page, trend_page
from pvpp.milestones import record_milestones
from pvpp.questionnaire import QuestionnaireSpec, load_questionnaire
from pvpp.rounds import create_round
from pvpp.store.models import Assignment, Institution, Round, RoundSkip
from pvpp.web import create_app
from tests.conftest import make_root
from tests.rounds import run_round
from tests.store.test_queries import _round_of, counting
from tests.web.conftest import PUBLIC, World, web_settings
from tests.web.consoles import console_sign_in

SIX = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD"), ("FM", "FM"),
       ("RIGA", "RIGA")]  # fmt: skip
R1, R2 = "2026-K1", "2027-K1"


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def two_rounds(root: App, spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec, tmp: Path) -> None:
    """2026-K1 on version 1 with plans; 2027-K1 a year later on version 2, VID's K9 D1
    from 0 to 4, LAD's K1 D1 lower."""
    run_round(
        root, spec, tmp / "r1", SIX, round_code=R1, plans=True,
        edits={"VID": {"Q_K9_D1": spec.degree_label(0, "lv")}},
    )  # fmt: skip
    run_round(
        root, spec_q2, tmp / "r2", SIX, round_code=R2,
        opens_on=date(2027, 1, 15), due_on=date(2027, 3, 31),
        edits={"VID": {"Q_K9_D1": spec_q2.degree_label(4, "lv")},
               "LAD": {"Q_K1_D1": spec_q2.degree_label(0, "lv")}},
    )  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The two rounds and the console on SQLite (made once: the pages change nothing)."""
    tmp_path = tmp_path_factory.mktemp("trends")
    spec, spec_q2 = load_questionnaire("pvpp2027-q1"), load_questionnaire("pvpp2027-q2")
    clock = FixedClock(date(2027, 4, 2))
    root = make_root(web_settings(tmp_path), clock)
    root.db.upgrade()
    try:
        two_rounds(root, spec, spec_q2, tmp_path)
        w = World(root, clock, TestClient(create_app(root), base_url=PUBLIC))
        with w.client:
            yield w
    finally:
        root.close()


def test_every_role_reads_the_trend_of_the_two_newest_rounds(world: World) -> None:
    for role in ("analyst", "reviewer", "coordinator"):
        client = console_sign_in(world, role)
        home = client.get("/console")
        assert 'href="/console/trends">Tendences</a>' in home.text
        page = client.get("/console/trends")
        assert page.status_code == 200, page.text
        if role == "analyst":  # national figures only: the warning counted, no names
            assert re.search(r"Šāds brīdinājums ir \d+ iestādēm\.", _text(page.text))
            assert "Valsts ieņēmumu dienests" not in page.text and "/institutions" not in page.text
            assert client.get("/console/trends.csv?table=jumps").status_code == 404
            assert client.get(f"/console/trends/{R2}/institutions").status_code == 403
            assert client.get(f"/console/trends/{R2}/institutions/VID").status_code == 403
            # RIGA alone in IG2: the analyst sees the group's figures as a publication
            # would (withheld: the marker only), on the page and in the download.
            text = _text(page.text)
            assert re.search(r"IG2 [^*]*? 1 – \* – \* 1 – \* – \* –", text), text
            groups = client.get("/console/trends.csv?table=groups").content.decode("utf-8-sig")
            [ig2] = [line for line in groups.splitlines() if line.startswith('"IG2"')]
            assert ig2.split(";")[2:] == ["1", '"*"', '"*"', '"*"', "1", '"*"', '"*"', '"*"', ""]
    text = _text(page.text)
    assert "Izmaiņas starp novērtēšanas cikliem" in text
    # Both rounds ticked by default (neither launched nor closed here: the two newest).
    assert re.search(r'name="rounds" value="2026-K1" checked', page.text)
    assert re.search(r'name="rounds" value="2027-K1" checked', page.text)
    assert "Salīdzināti novērtēšanas cikli: 2026-K1, 2027-K1" in text
    # Different questionnaire versions: only the shared dimensions, said and listed.
    assert "Cikli izmanto dažādas anketas versijas (pvpp2027-q1, pvpp2027-q2)" in text
    assert "K2 D3: anketas versijās jautāts atšķirīgā jautājumu skaitā" in text
    # A chart per component, its data in the components' table.
    assert page.text.count("<svg") == 4 and 'aria-labelledby="trend-C1-title' in page.text
    assert "Mediāna 2027-K1" in text and "Q1–Q3 2026-K1" in text
    # RIGA alone in its group: a publication would withhold its group's figures (marked).
    assert re.search(r"IG2 [^*]*? 1 [\d,]+ \*", text), text
    assert "publikācijā netiktu rādīts" in text
    # Plan measures done per round; the jump warning names VID and links its standing.
    assert "Izpildītie plānu pasākumi" in text
    assert re.search(r"Šāds brīdinājums ir \d+ iestādēm\.", text)
    assert 'href="/console/trends/2027-K1/institutions/VID"' in page.text
    assert "punkts K9 (D1 0 → 4)" in text
    english = client.get("/console/trends?lang=en")
    assert "Changes between assessment rounds" in english.text and "Jump of more than" in (
        english.text
    )


def test_choosing_rounds_and_what_is_refused(world: World) -> None:
    client = console_sign_in(world, "analyst")
    one = client.get("/console/trends?rounds=2027-K1")
    assert one.status_code == 400
    assert "Lūdzam atzīmēt vismaz divus novērtēšanas ciklus" in _text(one.text)
    assert re.search(r'name="rounds" value="2027-K1" checked', one.text)
    assert client.get("/console/trends?rounds=2026-K1&rounds=2099-K9").status_code == 404
    both = client.get("/console/trends?rounds=2027-K1&rounds=2026-K1")
    assert both.status_code == 200 and "Salīdzināti novērtēšanas cikli: 2026-K1, 2027-K1" in (
        _text(both.text)
    )
    # By default the two newest rounds closed or launched; the two newest when fewer are.
    with world.root.db.unit_of_work() as s:
        create_round(
            s, code="2028-K1", opens_on=date(2028, 1, 15), due_on=date(2028, 3, 31),
            questionnaire_version="pvpp2027-q2", institutions=["VID"], actor="test",
        )  # fmt: skip
    with world.root.db.reading() as s:
        assert choose_rounds(s, []).chosen == [R2, "2028-K1"]
    with world.root.db.unit_of_work() as s:
        record_milestones(s, R1)
        record_milestones(s, R2)
    with world.root.db.reading() as s:
        assert choose_rounds(s, []).chosen == [R1, R2]
    page = client.get("/console/trends")
    assert "2028-K1 (izveidots)" in _text(page.text) and "2027-K1 (palaists)" in _text(page.text)


def test_the_tables_download_as_xlsx_and_csv(world: World) -> None:
    client = console_sign_in(world, "reviewer")
    query = "rounds=2026-K1&rounds=2027-K1"
    book = client.get(f"/console/trends.xlsx?{query}")
    assert book.status_code == 200
    assert "Izmai%C5%86as%202026-K1%202027-K1.xlsx" in book.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(book.content))
    assert wb.sheetnames == ["Sastāvdaļas", "Iestāžu grupas", "Punkti", "Plānu pasākumi",
                             "Lēcieni", "Nav salīdzināts"]  # fmt: skip
    header = [c.value for c in wb["Sastāvdaļas"][1]]
    assert header[:3] == ["Kods", "Nosaukums", "Novērtētas iestādes 2026-K1"]
    assert wb["Sastāvdaļas"].max_row == 5
    jumps = [[c.value for c in row] for row in wb["Lēcieni"].iter_rows(min_row=2)]
    assert ["VID", "Valsts ieņēmumu dienests", "K9"] in [j[:3] for j in jumps]
    one = client.get(f"/console/trends.csv?{query}&table=plans")
    assert one.status_code == 200 and one.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(one.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Novērtēšanas cikls" and [r[0] for r in rows[1:]] == [R1, R2]
    assert client.get(f"/console/trends.csv?{query}&table=nope").status_code == 404
    assert client.get("/console/trends.csv?rounds=2026-K1").status_code == 404


def test_the_round_s_institutions_and_one_s_standing(world: World) -> None:
    client = console_sign_in(world, "reviewer")
    listed = client.get(f"/console/trends/{R2}/institutions")
    assert listed.status_code == 200
    text = _text(listed.text)
    everyone = re.search(r"Parādītās iestādes: (\d+) no (\d+)", text)
    assert everyone is not None and everyone.group(1) == everyone.group(2)
    assert "Rīgas valstspilsētas pašvaldība" in text and "nav novērtēta" in text
    found = client.get(f"/console/trends/{R2}/institutions?name=zemes&group=IG1")
    assert f"Parādītās iestādes: 1 no {everyone.group(2)}" in _text(found.text)
    assert "VZD" in found.text
    none = client.get(f"/console/trends/{R2}/institutions?group=IG9")
    assert "Neviena iestāde neatbilst atlasei." in _text(none.text)
    page = client.get(f"/console/trends/{R2}/institutions/VID")
    assert page.status_code == 200
    text = _text(page.text)
    assert "VID savā grupā: novērtēšanas cikls 2027-K1" in text
    assert "Grupas mediāna" in text and "Grupas Q1–Q3" in text and "Iestāžu skaits grupā" in text
    assert 'href="/console/trends/2026-K1/institutions/VID"' in page.text
    # RIGA is alone in its group: shown here, marked as what the institution would not see.
    riga = _text(client.get(f"/console/trends/{R2}/institutions/RIGA").text)
    assert "pašai iestādei netiktu rādīts" in riga and " *" in riga
    # An institution of no assignment in the round, an unknown one, an unknown round: 404.
    with world.root.db.reading() as s:  # left out of the round by RV1: no assignment
        skipped = s.exec(
            select(Institution.code)
            .join(RoundSkip, col(RoundSkip.institution_id) == Institution.id)
            .join(Round, col(Round.id) == RoundSkip.round_id)
            .where(Round.code == R2)
        ).first()
    assert skipped is not None
    assert client.get(f"/console/trends/{R2}/institutions/{skipped}").status_code == 404
    assert client.get(f"/console/trends/{R2}/institutions/NOPE").status_code == 404
    assert client.get("/console/trends/2099-K9/institutions").status_code == 404
    assert client.get("/console/trends/2099-K9/institutions/VID").status_code == 404


def test_the_pages_read_a_round_in_the_same_statements_for_10_or_400(store: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        for code, n in (("S1", 10), ("S2", 10), ("L1", 400), ("L2", 400)):
            _round_of(s, code, n)
        for a in s.exec(select(Assignment)).all():
            a.state = "planned"
    counts: dict[str, tuple[int, int]] = {}
    for first, second in (("S1", "S2"), ("L1", "L2")):
        with root.db.reading() as s, counting(s) as trend:
            view = trend_page(s, [first, second], lang="lv", internal=True)
        assert view["trend"] is not None
        with root.db.reading() as s, counting(s) as position:
            standing = position_page(s, second, f"{second}-0000", lang="lv")
        assert standing["standing"] is not None
        counts[first] = (len(trend), len(position))
    assert counts["S1"] == counts["L1"], counts
