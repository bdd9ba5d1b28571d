"""The console's national results of a round: what each role sees (the internal figures,
institutions named, for those who read rounds; the analyst as the public will), the group
filter (two groups; an unknown one refused), only accepted answers counted, every table's
download, the cache that follows the store (evicting the oldest, no gate left after a
failure), and a constant number of statements
for a small and a large round."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import Engine, event
from sqlmodel import select
from starlette.testclient import TestClient

from pvpp import console_national
from pvpp.assignments import State, transition
from pvpp.exports.national import TABLES
from pvpp.national import round_fingerprint
from pvpp.queries import round_assignments
from pvpp.rounds import create_round, get_round
from pvpp.store.models import Institution
from tests.store.test_queries import _round_of
from tests.web.conftest import NAMES, ROUND, A, B, World
from tests.web.consoles import console_sign_in


def _group_of(world: World, code: str) -> str:
    with world.root.db.reading() as s:
        return s.exec(select(Institution.group_id).where(Institution.code == code)).one()


def test_a_coordinator_reads_the_round_s_national_results_with_names(world: World) -> None:
    console_national.clear_cache()
    client = console_sign_in(world, "coordinator")
    page = client.get(f"/console/rounds/{ROUND}/national")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Valsts rezultāti: 2026-K1" in text
    for heading in ("Atsaucība un pieņemšana", "Vērtējumu sadalījums pa punktiem",
                    "Nosacījumu grupas pa iestāžu grupām (mediāna)",
                    "Nosacījumu grupas pa iestādēm",
                    "Biežākās atšķirības no mērķa", "RV6 vajadzības", "RV7 vajadzības",
                    "Pakalpojumu atbilstība pa nosacījumu grupām", "Nokavētie plānu pasākumi",
                    "Jautājums nav saprotams"):  # fmt: skip
        assert heading in text, heading
    assert NAMES[A] in text and NAMES[B] in text  # the coordinator reads rounds: names
    assert 'id="distribution-chart-title"' in text  # the inline chart, named
    # Two institutions scored: every figure over them would be withheld when published.
    assert "publicējot netiktu rādīts" in text and '<span class="marker">*</span>' in text
    assert 'class="num heat-' in text  # the heat map's shading, with the value printed
    assert "Novērtēšanas cikls vēl nav slēgts publicēšanai" in text
    # Linked from the round's page and the console's home.
    assert f"/console/rounds/{ROUND}/national" in client.get(f"/console/rounds/{ROUND}").text
    assert f"/console/rounds/{ROUND}/national" in client.get("/console").text


def test_the_analyst_reaches_it_from_the_nav_and_reads_it_as_the_public_will(
    world: World,
) -> None:
    """No institution by code (the heat map by institution and the overdue rows are not
    there), every figure a publication would withhold the marker alone."""
    console_national.clear_cache()
    client = console_sign_in(world, "analyst")
    home = client.get("/console")
    assert 'href="/console/national"' in home.text
    index = client.get("/console/national")
    assert index.status_code == 200
    assert f'href="/console/rounds/{ROUND}/national"' in index.text
    page = client.get(f"/console/rounds/{ROUND}/national")
    assert page.status_code == 200
    text = page.text
    for code in (A, B):
        assert code not in text and NAMES[code] not in text
    assert "Nosacījumu grupas pa iestādēm" not in text  # the heat map by institution
    assert "table=institutions" not in text and "table=overdue" not in text
    # Two institutions scored: every withheld figure is the marker alone, no value.
    assert '<span class="marker">*</span>' in text
    scored = text.split("Skaitītas rezultātos")[1].split("</dd>")[0]
    assert scored.endswith('<dd><span class="marker">*</span>'), scored
    assert 'class="num heat-' not in text  # a withheld cell is not shaded by its value
    assert 'id="distribution-chart-title"' not in text
    # No link to the round's page, which the analyst may not read.
    assert f'href="/console/rounds/{ROUND}"' not in text
    url = f"/console/rounds/{ROUND}/national"
    for table in ("institutions", "overdue"):
        for suffix in (".csv", ".xlsx"):
            asked = client.get(f"{url}{suffix}", params={"table": table})
            assert asked.status_code == 404, (table, suffix)
    data = client.get(f"{url}.csv").content.decode("utf-8-sig")  # the summary
    assert "2026-K1" in data and A not in data and B not in data
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}.xlsx").content))
    assert len(book.sheetnames) == len(TABLES) - 2
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
             for c in row if c is not None]  # fmt: skip
    assert A not in cells and B not in cells
    heat = book.worksheets[TABLES.index("heat")]
    heat_rows = list(heat.iter_rows(min_row=2, values_only=True))
    assert heat_rows and all(v in ("*", None) for r in heat_rows for v in r[3:-1]), heat_rows
    # The coordinator reads the same kept view with every value.
    full = console_sign_in(world, "coordinator").get(f"{url}.csv", params={"table": "heat"})
    rows = list(csv.reader(io.StringIO(full.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1:] and all(v != "*" for r in rows[1:] for v in r[3:-1]), rows
    assert client.get("/console/rounds/2099-K9/national").status_code == 404


def _scored(html: str) -> str:
    """The "counted" figure of the page's rates, without the marker."""
    return html.split("Skaitītas rezultātos")[1].split("<dd>")[1].split("<")[0]


def test_the_group_filter_narrows_every_figure(world: World) -> None:
    # The registry moves B to another table-1 group: A (IG1) and B (IG2) in one round.
    with world.root.db.unit_of_work() as s:
        inst = s.exec(select(Institution).where(Institution.code == B)).one()
        inst.group_id = "IG2"
        s.add(inst)
    assert _group_of(world, A) == "IG1"
    client = console_sign_in(world, "reviewer")
    url = f"/console/rounds/{ROUND}/national"
    every = client.get(url)
    assert NAMES[A] in every.text and NAMES[B] in every.text
    assert _scored(every.text) == "2"
    page = client.get(url, params={"group": "ig1"})  # case-insensitive
    assert page.status_code == 200
    assert NAMES[A] in page.text and NAMES[B] not in page.text
    assert _scored(page.text) == "1"  # and the counts shrink with it
    assigned = [
        t.split("Iestādes novērtēšanas ciklā</dt><dd>")[1].split("<")[0]
        for t in (every.text, page.text)
    ]
    assert int(assigned[1]) < int(assigned[0]), assigned
    data = client.get(f"{url}.csv", params={"group": "IG1"})
    rows = list(csv.reader(io.StringIO(data.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == [A]
    other = client.get(f"{url}.csv", params={"group": "IG2"})
    rows = list(csv.reader(io.StringIO(other.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == [B]
    # A group the policy does not know is refused, not computed (and kept).
    console_national.clear_cache()
    assert client.get(url, params={"group": "ZZ"}).status_code == 404
    assert client.get(f"{url}.csv", params={"group": "ZZ"}).status_code == 404
    assert not console_national._cache


def test_the_kept_views_are_evicted_one_at_a_time_and_a_failure_leaves_no_gate(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    console_national.clear_cache()
    monkeypatch.setattr(console_national, "CACHE_SIZE", 2)
    client = console_sign_in(world, "coordinator")
    url = f"/console/rounds/{ROUND}/national"
    for group in ("", "IG1", "IG2"):
        assert client.get(url, params={"group": group}).status_code == 200
    kept = [k[2] for k in console_national._cache]
    assert kept == ["ig1", "ig2"]  # the oldest (all groups) went, the others stay
    assert client.get(url, params={"group": "IG1"}).status_code == 200
    assert client.get(url, params={"group": "IG3"}).status_code == 200
    assert [k[2] for k in console_national._cache] == ["ig1", "ig3"]  # IG1 read recently

    def fails(*_a: object, **_k: object) -> None:
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(console_national, "national_view", fails)
    with pytest.raises(RuntimeError):
        client.get(url, params={"group": "IG4"})
    assert not console_national._gates


def test_every_table_downloads_as_xlsx_and_csv(world: World) -> None:
    client = console_sign_in(world, "coordinator")
    url = f"/console/rounds/{ROUND}/national"
    whole = client.get(f"{url}.xlsx")
    assert whole.status_code == 200
    name = unquote(whole.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert name == "Valsts rezultāti 2026-K1.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(whole.content))
    assert book.sheetnames[0] == "Kopsavilkums" and len(book.sheetnames) == len(TABLES)
    for table in TABLES:
        one = client.get(f"{url}.csv", params={"table": table})
        assert one.status_code == 200 and one.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(one.content.decode("utf-8-sig")), delimiter=";"))
        assert rows and all(rows[0]), table
        sheet = client.get(f"{url}.xlsx", params={"table": table})
        assert sheet.status_code == 200, table
        assert len(openpyxl.load_workbook(io.BytesIO(sheet.content)).sheetnames) == 1, table
    assert client.get(f"{url}.csv", params={"table": "nope"}).status_code == 404


def test_only_accepted_answers_count_and_the_kept_view_follows_the_store(world: World) -> None:
    """A submission without accepted answers raises "submitted", not "counted"; the kept
    view is computed again once the round's state changes."""
    today = world.clock.today()
    with world.root.db.unit_of_work() as s:
        create_round(
            s, code="2026-K5", opens_on=today - timedelta(days=20),
            due_on=today + timedelta(days=30), questionnaire_version="pvpp2027-q2",
            institutions=[A, B], actor="test", review_required=True,
        )  # fmt: skip
    client = console_sign_in(world, "coordinator")
    url = "/console/rounds/2026-K5/national"
    before = client.get(url).text
    assert "0 no 2 (0,0 %)" in before  # nothing handed in yet
    with world.root.db.unit_of_work() as s:
        rnd = get_round(s, "2026-K5")
        print_before = round_fingerprint(s, rnd)
        assignment, _ = round_assignments(s, rnd)[0]
        transition(s, assignment, State.SUBMITTED, actor="test")
    with world.root.db.reading() as s:
        assert round_fingerprint(s, get_round(s, "2026-K5")) != print_before
    after = client.get(url).text
    assert "1 no 2 (50,0 %)" in after  # handed in, awaiting review
    assert "Gaida pārbaudi" in after
    counted = after.split("Skaitītas rezultātos")[1].split("</dd>")[0]
    assert "<dd>0" in counted, counted  # not counted until accepted


def _counted(client: TestClient, url: str) -> int:
    statements: list[str] = []

    def record(_c, _cur, statement, *_a) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        page = client.get(url)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert page.status_code == 200, page.text
    return len(statements)


def test_the_page_takes_the_same_statements_for_a_small_and_a_large_round(world: World) -> None:
    """5 and 40 institutions, every fifth with accepted answers and a plan: the same
    statements computed, and the same (fewer) when the view is kept."""
    with world.root.db.unit_of_work() as s:
        _round_of(s, "S", 5)
        _round_of(s, "L", 40)
    client = console_sign_in(world, "analyst")
    cold, kept = {}, {}
    for code in ("S", "L"):
        url = f"/console/rounds/{code}/national"
        client.get(url)  # warm: templates, questionnaire, policy
        console_national.clear_cache()
        cold[code] = _counted(client, url)
        kept[code] = _counted(client, url)
    assert cold["S"] == cold["L"], cold
    assert kept["S"] == kept["L"], kept
    assert kept["S"] < cold["S"], (kept, cold)


def test_the_heat_map_s_shades_are_the_charts_shades() -> None:
    """Each step's class in the stylesheet has the charts' shade and a readable ink."""
    from pvpp.documents.charts import ink, shade
    from pvpp.web.render import static_dir

    css = (static_dir() / "portal.css").read_text(encoding="utf-8")
    steps = console_national.HEAT_STEPS
    for k in range(steps + 1):
        fill = shade(k / steps * 4, 4)
        rule = f"table.heat td.heat-{k} {{ background-color: {fill}; color: {ink(fill)}; }}"
        assert rule in css, rule
    assert console_national.heat_class(None, 4) == ""
    assert console_national.heat_class(4, 4) == f"heat-{steps}"
    assert console_national.heat_class(2.1, 4) == "heat-4"
