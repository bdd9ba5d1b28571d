"""Excel exports: sheets, Latvian headers, values that match the store, real dates, and no
text from users ever turning into a formula."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.disclosure import published_minimum
from pvpp.exports import DATE_FORMAT, DATETIME_FORMAT, ExportError, export_plan, export_round
from pvpp.i18n import t
from pvpp.national import round_scores
from pvpp.planning.library import load_library
from pvpp.plans import PlanError, context, latest_plan, plan_measures
from pvpp.questionnaire import QuestionnaireSpec, load_questionnaire
from pvpp.rounds import create_round
from pvpp.submissions import ingest_paths
from tests.exports.conftest import HOSTILE_DROP_REASON, HOSTILE_INSTITUTION_NAME, Fixture
from tests.rounds import close

ROUND_SHEETS_LV = [
    "Iestādes",
    "Punktu vērtējumi",
    "Pakalpojumi",
    "Plānu pasākumi",
    "Nosacījumu grupas",
    "RV6 un RV7 vajadzības",
    "Pakāpju sadalījums",
    "Nesaprotami jautājumi",
    "Indekss pa grupām",
    "Pakalpojumu atbilstība",
    "Finansējums",
    "Informācija",
]


def _rows(ws: Worksheet) -> list[dict[str, Any]]:
    """Data rows as header → cell."""
    header = [c.value for c in ws[1]]
    return [dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2)]


def _pairs(ws: Worksheet) -> dict[str, Any]:
    return {r[0].value: r[1] for r in ws.iter_rows(min_row=2) if r[0].value}


def _all_cells(path: Path) -> list[Any]:
    wb = openpyxl.load_workbook(path)
    return [cell for ws in wb for row in ws.iter_rows() for cell in row]


def _no_formulas(path: Path) -> None:
    """No cell is a formula — as openpyxl reads it, and in the file's XML itself."""
    assert not [c.coordinate for c in _all_cells(path) if c.data_type == "f"]
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name


def _export(root: App, tmp_path: Path, name: str = "round.xlsx", **kw: Any) -> Path:
    out = tmp_path / name
    with root.db.unit_of_work() as s:
        export_round(s, "2026-K1", out, **kw)
    return out


def test_round_workbook_in_latvian_matches_the_store(
    exported_round: Fixture, tmp_path: Path, root: App
) -> None:
    path = _export(root, tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ROUND_SHEETS_LV
    with root.db.unit_of_work() as s:
        scores = round_scores(s, "2026-K1")
    assert sorted(scores) == exported_round.codes

    # Every table: bold header row, frozen below it, auto-filter over the whole table.
    for ws in wb.worksheets[:-1]:
        assert all(c.font.b for c in ws[1]), ws.title
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2"), ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert all(ws.column_dimensions[c.column_letter].width for c in ws[1]), ws.title

    institutions = _rows(wb["Iestādes"])
    assert [c.value for c in wb["Iestādes"][1]][:4] == [
        "Iestādes kods",
        "Iestāde",
        "1. tabulas grupa",
        "Statuss",
    ]
    by_code = {r["Iestādes kods"].value: r for r in institutions}
    assert sorted(by_code) == exported_round.codes
    for code, result in scores.items():
        row = by_code[code]
        assert row["Kopējais indekss (0–100)"].value == pytest.approx(result.index, abs=1e-9)
        assert row["Kopējais indekss (0–100)"].number_format == "0.0"
        assert row["1. sastāvdaļa"].value == pytest.approx(result.components["C1"].score)
        assert row["1. sastāvdaļa"].number_format == "0.00"
        assert row["Statuss"].value == "plāns sagatavots"
        changed = row["Pēdējās izmaiņas"]
        assert isinstance(changed.value, datetime) and changed.number_format == DATETIME_FORMAT
        assert "nav komandas" in row["RV1 atzīmes"].value
    assert by_code["RIGA"]["1. tabulas grupa"].value.startswith("2. Atvasinātās publiskās")

    items = _rows(wb["Punktu vērtējumi"])
    header = [c.value for c in wb["Punktu vērtējumi"][1]]
    for expected in ("Punkta nosaukums", "Vērtējums", "Mērķa pakāpe", "Atšķirība no mērķa"):
        assert expected in header
    assert header[5:9] == ["D1", "D2", "D3", "D4"]
    assert len(items) == len(scores) * 29
    for row in items:
        s = scores[row["Iestādes kods"].value].items[row["Punkts"].value]
        for key, value in (("Vērtējums", s.score), ("Atšķirība no mērķa", s.gap)):
            if value is None:
                assert row[key].value is None
            else:
                assert row[key].value == pytest.approx(value, abs=1e-12)
                assert row[key].number_format == "0.00"
        assert row["Mērķa pakāpe"].value == s.target
        assert row["Prioritāte"].value == (
            None if s.priority is None else pytest.approx(s.priority)
        )
    vid = {r["Punkts"].value: r for r in items if r["Iestādes kods"].value == "VID"}
    assert vid["K3"]["D3"].value == "Nav zināms"
    assert [vid["S3"][d].value for d in ("D1", "D2", "D3", "D4")] == ["Nav attiecināms"] * 4
    assert vid["S3"]["Vērtējums"].value is None  # unrated, never 0
    assert vid["1.1"]["Punkta nosaukums"].value == "Pakalpojumu pārvaldības vienota terminoloģija"

    with root.db.unit_of_work() as s:
        plans = {
            code: plan_measures(s, latest_plan(s, context(s, "2026-K1", code).assignment))  # type: ignore[arg-type]
            for code in exported_round.codes
        }
    measures = _rows(wb["Plānu pasākumi"])
    assert len(measures) == sum(len(v) for v in plans.values())
    library = load_library("pvpp2027-v1")
    first = next(r for r in measures if r["Iestādes kods"].value == "VID")
    stored = plans["VID"][0]
    assert first["Termiņš"].value == datetime.combine(stored.due_on, datetime.min.time())
    assert first["Termiņš"].number_format == DATE_FORMAT
    assert first["Pasākums"].value == library.by_id[stored.measure_id].title.lv
    assert first["Atbildīgā loma"].value == library.roles[stored.role].name.lv
    assert first["RV5 pasākums"].value == stored.rv5_measure
    assert first["Finansējuma avoti"].value.startswith("F1: iestāžu budžeta ietvaros")
    assert {r["Statuss"].value for r in measures} == {"plānots", "atcelts"}
    assert all(isinstance(r["Termiņš"].value, datetime) for r in measures)

    needs = _rows(wb["RV6 un RV7 vajadzības"])
    assert {r["Punkts"].value for r in needs} == {"K5", "K7", "K8", "R2", "S3", "S4"}
    distribution = _rows(wb["Pakāpju sadalījums"])
    assert all(r["Kopā"].value == len(scores) for r in distribution)
    # Per question: how many answered it "Jautājums nav saprotams", of how many answering.
    unclear = _rows(wb["Nesaprotami jautājumi"])
    assert len(unclear) == len(load_questionnaire("pvpp2027-q1").degree_fields)
    first = unclear[0]
    assert (first["Lauks"].value, first["Punkts"].value, first["Dimensija"].value) == (
        "Q_1_1_D1",
        "1.1",
        "D1",
    )
    assert first["Jautājums"].value.startswith("Cik lielā mērā")
    assert all(r["“Jautājums nav saprotams”"].value == 0 for r in unclear)
    assert all(r["Atbildējušas iestādes"].value == len(scores) for r in unclear)

    info = _pairs(wb["Informācija"])
    assert info["Novērtēšanas cikls"].value == "2026-K1"
    assert info["Politikas versija"].value == "pvpp2027-v1"
    assert info["Anketas versija"].value == "pvpp2027-q1"
    assert info["Vērtēšanas metode"].value == "pvpp-score-3"
    assert info["Iesniegšanas termiņš"].number_format == DATE_FORMAT
    assert isinstance(info["Izveidots (Rīgas laiks)"].value, datetime)
    note = info["Piezīme par provizoriskām vērtībām"].value
    assert "Valsts mērķa pakāpe; Dimensijas D1–D4" in note
    assert "iekšējā" in info["Forma"].value
    _no_formulas(path)


def test_english_on_request(exported_round: Fixture, tmp_path: Path, root: App) -> None:
    path = _export(root, tmp_path, lang="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["Institutions", "Item scores"]
    assert wb.sheetnames[-1] == "Information"
    items = _rows(wb["Item scores"])
    vid = {r["Item"].value: r for r in items if r["Institution code"].value == "VID"}
    assert vid["K3"]["D3"].value == "Unknown"
    assert vid["S3"]["D1"].value == "Not applicable"
    assert "Gap to target" in vid["K3"]
    assert _pairs(wb["Information"])["Assessment round"].value == "2026-K1"
    with root.db.unit_of_work() as s, pytest.raises(ExportError, match="lv or en"):
        export_round(s, "2026-K1", tmp_path / "x.xlsx", lang="de")


def test_user_text_is_text_never_a_formula(
    exported_round: Fixture, tmp_path: Path, root: App
) -> None:
    round_path = _export(root, tmp_path)
    plan_path = tmp_path / "plan.xlsx"
    with root.db.unit_of_work() as s:
        export_plan(s, "2026-K1", "VID", plan_path)
    for path in (round_path, plan_path):
        _no_formulas(path)
    cells = _all_cells(round_path)
    for field, text in exported_round.hostile.items():
        found = [c for c in cells if c.value == text]
        assert found, f"{field}: {text!r} is not in the export"
        for cell in found:
            assert cell.data_type == "s", (field, cell.coordinate)
            assert cell.quotePrefix, (field, cell.coordinate)
    plan_cells = _all_cells(plan_path)
    reason = [c for c in plan_cells if c.value == HOSTILE_DROP_REASON]
    assert reason and all(c.data_type == "s" for c in reason)
    # The hostile institution name sits in every per-institution sheet, always as text.
    named = [c for c in cells if c.value == HOSTILE_INSTITUTION_NAME]
    assert len({c.parent.title for c in named}) == 5
    # And the file itself holds them as inline strings.
    with zipfile.ZipFile(round_path) as z:
        xml = "".join(
            z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")
        )
    assert '=HYPERLINK("http://x","y")</t>' in xml


def test_publication_hides_small_groups_and_names_nobody(
    exported_round: Fixture, tmp_path: Path, root: App
) -> None:
    close(root)
    path = _export(root, tmp_path, publish=True)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "RV6 un RV7 vajadzības",
        "Pakāpju sadalījums",
        "Nesaprotami jautājumi",
        "Indekss pa grupām",
        "Pakalpojumu atbilstība",
        "Finansējums",
        "Informācija",
    ]
    groups = _rows(wb["Indekss pa grupām"])
    # IG1 has three scored institutions (VID, UR, VZD), IG2 only RIGA: a reader of either
    # group has fewer than three others in it, so both medians are withheld, marked.
    assert [(r["1. tabulas grupa"].value, r["Iestāžu skaits"].value) for r in groups] == [
        ("1. Valsts tiešās pārvaldes iestādes", 3),
        ("2. Atvasinātās publiskās personas un to iestādes", 1),
    ]
    assert all(r["Indeksa mediāna"].value == t("disclosure.marker", "lv") for r in groups)
    texts = [c.value for c in _all_cells(path) if isinstance(c.value, str)]
    for code in exported_round.codes:
        assert not any(code == t for t in texts), code
    assert not any("Rīgas valstspilsētas" in t or "ieņēmumu" in t for t in texts)
    assert not any(t == HOSTILE_INSTITUTION_NAME for t in texts)
    info = _pairs(wb["Informācija"])
    assert info["Forma"].value.startswith("publicējamā")
    assert info["Novērtētās iestādes"].value == 4
    assert info["Novērtēšanas cikls slēgts publicēšanai"].value == datetime(2026, 4, 1)
    assert t("disclosure.marker_note", "lv", n=4) in info["Piezīme"].value
    _no_formulas(path)


def test_publication_of_a_round_too_small_withholds_every_aggregate(
    exported_round: Fixture, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    with root.db.unit_of_work() as s:
        create_round(
            s,
            code="2026-K2",
            opens_on=date(2026, 9, 1),
            due_on=date(2026, 10, 31),
            institutions=["VID", "UR"],
            questionnaire_version=spec.id,
        )
    inbox = tmp_path / "k2"
    inbox.mkdir()
    books = filled_workbooks(
        spec, [("VID", "VID"), ("UR", "UR")], round_code="2026-K2", key=root.settings.signing_key()
    )
    for code, data in books.items():
        (inbox / f"{code}.xlsx").write_bytes(data)
    ingest_paths([inbox], settings=root.settings, db=root.db)
    close(root, "2026-K2", date(2026, 11, 1))
    out = tmp_path / "k2.xlsx"
    with root.db.unit_of_work() as s:
        export_round(s, "2026-K2", out, publish=True)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Informācija"]
    info = _pairs(wb["Informācija"])
    assert info["Novērtētās iestādes"].value == 2 < published_minimum()
    assert "netiek publicēti" in info["Piezīme"].value
    _no_formulas(out)


def test_plan_workbook(exported_round: Fixture, tmp_path: Path, root: App) -> None:
    out = tmp_path / "plan.xlsx"
    with root.db.unit_of_work() as s:
        summary = export_plan(s, "2026-K1", "VID", out)
        ctx = context(s, "2026-K1", "VID")
        plan = latest_plan(s, ctx.assignment)
        assert plan is not None
        stored = plan_measures(s, plan)
        result = round_scores(s, "2026-K1")["VID"]
    assert summary.path == out
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Kopsavilkums", "Pasākumi", "Informācija"]
    head = _pairs(wb["Kopsavilkums"])
    assert head["Iestāde"].value == "Valsts ieņēmumu dienests"
    assert head["Plāna versija"].value == plan.version == 2
    assert head["Pielāgots no versijas"].value == 1
    assert head["Kopējais indekss (0–100)"].value == pytest.approx(result.index)
    assert head["Kopējais indekss (0–100)"].number_format == "0.0"
    assert head["Plāna sākums"].number_format == DATE_FORMAT
    assert head["Pasākumi kopā"].value == len(stored)
    assert head["Atcelti"].value >= 1
    rows = _rows(wb["Pasākumi"])
    assert [r["Pasākuma kods"].value for r in rows] == [m.measure_id for m in stored]
    assert [c.value for c in wb["Pasākumi"][1]][:3] == ["Nr.", "Termiņš", "Periods"]
    assert all(r["Termiņš"].number_format == DATE_FORMAT for r in rows)
    dropped = next(r for r in rows if r["Pasākuma kods"].value == exported_round.dropped_measure)
    assert dropped["Statuss"].value == "atcelts"
    assert dropped["Atcelšanas pamatojums"].value == HOSTILE_DROP_REASON
    assert wb["Pasākumi"].freeze_panes == "D2"

    first = tmp_path / "plan-v1.xlsx"
    with root.db.unit_of_work() as s:
        export_plan(s, "2026-K1", "VID", first, version=1, lang="en")
        with pytest.raises(PlanError, match="no plan version 99"):
            export_plan(s, "2026-K1", "VID", tmp_path / "none.xlsx", version=99)
    wb = openpyxl.load_workbook(first)
    assert wb.sheetnames == ["Summary", "Measures", "Information"]
    assert {r["Status"].value for r in _rows(wb["Measures"])} == {"planned"}
    _no_formulas(out)
    _no_formulas(first)


def test_round_workbook_counts_services_and_funding(
    exported_round: Fixture, tmp_path: Path, root: App
) -> None:
    from pvpp.national import round_funding_totals, round_service_conformity

    path = _export(root, tmp_path)
    wb = openpyxl.load_workbook(path)
    with root.db.unit_of_work() as s:
        _, counts = round_service_conformity(s, "2026-K1")
        _, totals = round_funding_totals(s, "2026-K1")
    conformity = {r["Punkts"].value: r for r in _rows(wb["Pakalpojumu atbilstība"])}
    assert list(conformity) == [f"K{n}" for n in range(1, 11)]
    k3 = conformity["K3"]
    assert k3["Punkta nosaukums"].value == "Piekļūstamība"
    assert k3["Atbilstošie pakalpojumi"].value == counts["K3"].conforms
    assert k3["Neatbilst"].value == counts["K3"].not_conforming
    assert k3["Attiecināmie pakalpojumi"].value == counts["K3"].reported
    share = counts["K3"].share
    assert k3["Atbilst, % no attiecināmajiem"].value == pytest.approx(
        None if share is None else share * 100
    )
    funding = _rows(wb["Finansējums"])
    assert [r["Finansējuma avots"].value for r in funding][:5] == ["F1", "F2", "F3", "F4", "F5"]
    last = funding[-1]
    assert last["Avots"].value == "Kopā" and last["Finansējuma avots"].value is None
    assert last["Pasākumi"].value == totals["total"].measures > 0
    assert last["Bez summas"].value == totals["total"].without_amount


def test_plan_workbook_lists_every_measure_with_origin_services_and_funding(
    exported_round: Fixture, tmp_path: Path, root: App
) -> None:
    """The full list the head's PDF only summarises: every measure (after 2027 too), an own
    measure under the team's name, its services, funding available and planning document
    (typed text stays text, never a formula)."""
    from pvpp.planning.planner import LAST_PERIOD

    out = tmp_path / "plan.xlsx"
    with root.db.unit_of_work() as s:
        plan = latest_plan(s, context(s, "2026-K1", "VID").assignment)
        assert plan is not None
        stored = plan_measures(s, plan)
        own, alternative = stored[0], stored[1]
        own.origin, own.title, own.measure_id = "own", "Klientu aptauja", "OWN-1"
        own.services, own.funding_eur, own.funding_ref = ["Atļauja", "=1+1"], 15000, "@NAP2027"
        alternative.origin = "alternative"
        s.add_all([own, alternative])
        s.flush()
        export_plan(s, "2026-K1", "VID", out)
        later = [m.measure_id for m in stored if m.period == LAST_PERIOD]
        ids = [m.measure_id for m in stored]
        alt_title = load_library("pvpp2027-v1").by_id[alternative.measure_id].title.lv
    assert later, "the plan has measures after 2027"
    rows = _rows(openpyxl.load_workbook(out)["Pasākumi"])
    assert [r["Pasākuma kods"].value for r in rows] == ids
    first, second = rows[0], rows[1]
    assert first["Izcelsme"].value == "iestādes pasākums"
    assert first["Pasākums"].value == "Klientu aptauja"
    assert first["Pakalpojumi"].value == "Atļauja\n=1+1"
    assert first["Pieejamais finansējums, EUR"].value == 15000
    assert first["Plānošanas dokuments"].value == "@NAP2027"
    assert first["Finansējuma avoti"].value.startswith("F1: ")
    assert second["Izcelsme"].value == "izvēlēta alternatīva"
    assert second["Pasākums"].value == alt_title
    assert {r["Izcelsme"].value for r in rows[2:]} == {"bibliotēkas pasākums"}
    assert all(r["Pieejamais finansējums, EUR"].value is None for r in rows[1:])
    _no_formulas(out)


def test_the_heat_sheet_shades_one_hue_from_light_to_dark(
    exported_round: Fixture, root: App, tmp_path: Path
) -> None:
    """Darker is a higher degree, as in the national report; no red against green."""
    from pvpp.exports.round import HEAT_SCALE

    path = tmp_path / "heat.xlsx"
    with root.db.unit_of_work() as s:
        export_round(s, exported_round.round, path)
    wb = openpyxl.load_workbook(path)
    ws = wb[t("exports.sheet.heat", "lv")]
    (rule,) = [r for rng in ws.conditional_formatting for r in rng.rules]
    colours = [c.rgb[-6:] for c in rule.colorScale.color]
    assert colours == list(HEAT_SCALE)
    lightness = [sum(int(c[i : i + 2], 16) for i in (0, 2, 4)) for c in colours]
    assert lightness == sorted(lightness, reverse=True)
