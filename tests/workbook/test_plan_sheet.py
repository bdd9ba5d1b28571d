"""The plan sheet: built in either language, filled as a team would, checked cell by cell."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from pvpp.app import App
from pvpp.planning.library import load_library
from pvpp.policy.models import Lang
from pvpp.workbook.plan_sheet import (
    CAPACITY_CELL,
    ItemTarget,
    PlanSheetData,
    SheetStep,
    build_plan_sheet,
    check_plan_sheet,
    fill_plan_sheet,
    sheet_name,
)
from tests.conftest import TEST_KEY

LIB = load_library("pvpp2027-v1")
STEPS = (
    SheetStep("K1", "D2", 0, 1, "M-K1-D2-1", "2026H1"),  # has an alternative: M-K1-D2-1b
    SheetStep("K1", "D2", 1, 2, "M-K1-D2-2", "2026H2"),
    SheetStep("1.1", "D1", 1, 2, "M-1_1-D1-2", "2026H2"),
    SheetStep("1.1", "D1", 2, 3, "M-1_1-D1-3", "2027H1"),
)
ITEMS = tuple(
    ItemTarget(i.id, 2.5 if i.id == "K1" else 1.0, i.national_target, i.national_target)
    for i in LIB.policy.items
)


def data(**overrides: Any) -> PlanSheetData:
    base = PlanSheetData(
        "2026-K1",
        "VID",
        "Valsts ieņēmumu dienests",
        "pvpp2027-v1",
        1,
        date(2026, 1, 1),
        40,
        STEPS,
        ITEMS,
    )
    return PlanSheetData(**{**base.__dict__, **overrides})


def sheet(lang: Lang = "lv", key: str = TEST_KEY, **overrides: Any) -> bytes:
    return build_plan_sheet(data(**overrides), library=LIB, lang=lang, key=key.encode())


def test_the_sheet_lists_each_step_with_codes_and_names(root: App) -> None:
    wb = load_workbook(io.BytesIO(sheet()))
    assert wb.sheetnames[:4] == ["Plāna priekšlikums", "Savi pasākumi", "Mērķi", "Skaidrojumi"]
    ws = wb["Plāna priekšlikums"]
    assert ws["B8"].value == "M-K1-D2-1"
    # Codes never stand alone: the item and dimension carry their names.
    assert ws["C8"].value == f"K1 {LIB.policy.item('K1').name.lv}"
    assert ws["D8"].value.startswith("D2 ") and len(ws["D8"].value) > 4
    assert ws["E8"].value == "0→1" and ws["G8"].value == "2026H1"
    assert ws["F8"].value == LIB.by_id["M-K1-D2-1"].title.lv
    assert ws[CAPACITY_CELL].value == 40
    ref = wb["Skaidrojumi"]
    listed = [c.value for c in ref["A"] if c.value]
    assert "M-K1-D2-1b" in listed and "F5" in listed
    en = load_workbook(io.BytesIO(sheet("en")))
    assert en.sheetnames[:3] == ["Plan proposal", "Own measures", "Targets"]


def test_every_team_choice_is_read_back(root: App) -> None:
    filled = fill_plan_sheet(
        sheet(),
        capacity=30,
        decisions={
            "M-K1-D2-1": {
                "decision": "alternative",
                "alternative": "M-K1-D2-1b",
                "period": "2026H2",
            },
            "M-K1-D2-2": {"decision": "move", "period": "2028-2031"},
            "M-1_1-D1-2": {
                "decision": "accept",
                "funding_eur": "12 000",
                "funding": "f1; F3",
                "funding_ref": "NAP2027 [316]",
            },
            "M-1_1-D1-3": {"decision": "drop", "reason": "Jau paveikts cita projekta ietvaros"},
        },
        own=[
            {
                "name": "Terminu vārdnīca intranetā",
                "item": f"1.1 {LIB.policy.item('1.1').name.lv}",
                "dimension": "D2",
                "period": "2026-12-31",
                "role": "Komunikācijas vadītājs",
                "effort": "S — mazs",
            }
        ],
        targets={"1.1": (3, "Resursi līdz 2027. gadam ir ierobežoti"), "K1": (4, "")},
    )
    result = check_plan_sheet(filled, settings=root.settings)
    assert result.status == "accepted", result.problems
    assert result.capacity == 30
    got = {d.measure_id: d for d in result.decisions}
    chosen = got["M-K1-D2-1"]
    assert (chosen.decision, chosen.alternative, chosen.new_period) == (
        "alternative",
        "M-K1-D2-1b",
        "2026H2",
    )
    assert (got["M-K1-D2-2"].decision, got["M-K1-D2-2"].new_period) == ("move", "2028–2031")
    accepted = got["M-1_1-D1-2"]
    assert (accepted.decision, accepted.funding_eur, accepted.funding, accepted.funding_ref) == (
        "accept",
        12000,
        ("F1", "F3"),
        "NAP2027 [316]",
    )
    assert got["M-1_1-D1-3"].reason == "Jau paveikts cita projekta ietvaros"
    [own] = result.own
    assert (own.item, own.dimension, own.period, own.role, own.effort) == (
        "1.1",
        "D2",
        "2026H2",
        "communications",
        "S",
    )
    assert [(c.item, c.target) for c in result.targets] == [("1.1", 3), ("K1", 4)]


def test_an_empty_sheet_accepts_the_proposal(root: App) -> None:
    result = check_plan_sheet(sheet("en"), settings=root.settings)
    assert result.status == "accepted", result.problems
    assert [d.decision for d in result.decisions] == ["", "", "", ""]
    assert result.own == [] and result.targets == []


def test_every_problem_at_once_by_sheet_and_cell(root: App) -> None:
    filled = fill_plan_sheet(
        sheet(),
        capacity=0,
        decisions={
            "M-K1-D2-1": {"decision": "alternative", "alternative": "M-K1-D2-9"},
            "M-K1-D2-2": {"decision": "Varbūt", "funding_eur": "daudz"},
            "M-1_1-D1-2": {"decision": "move", "period": "2025H1", "funding": "F9"},
            "M-1_1-D1-3": {"decision": "drop"},
        },
        own=[
            {"item": "1.1"},
            {
                "name": "Bez perioda",
                "item": "Z9",
                "dimension": "D7",
                "role": "astrologs",
                "effort": "XL",
            },
        ],
        targets={"K1": (1, ""), "1.1": (3, ""), "1.2": (7, "")},
    )
    result = check_plan_sheet(filled, settings=root.settings)
    assert result.status == "rejected"
    assert result.decisions == [] and result.own == [] and result.targets == []
    got = [(p["code"], p["sheet"], p["cell"]) for p in result.problems]
    plan, own, targets = "Plāna priekšlikums", "Savi pasākumi", "Mērķi"
    assert got == [
        ("plan_bad_capacity", plan, "F5"),
        ("plan_unknown_alternative", plan, "I8"),
        ("plan_not_in_list", plan, "H9"),
        ("plan_bad_period", plan, "J10"),
        ("plan_bad_funding", plan, "M10"),
        ("plan_drop_needs_reason", plan, "K11"),
        ("plan_own_needs_name", own, "B5"),
        ("plan_own_needs_value", own, "E6"),
        ("plan_own_bad_item", own, "C6"),
        ("plan_own_bad_dimension", own, "D6"),
        ("plan_own_bad_role", own, "F6"),
        ("plan_own_bad_effort", own, "G6"),
        ("plan_target_needs_reason", targets, "G5"),
        ("plan_bad_target", targets, "F6"),
        ("plan_target_below_current", targets, "F12"),
    ]
    messages = {p["code"]: p["message"] for p in result.problems}
    assert (
        "“M-K1-D2-9” nav alternatīvs pasākums solim M-K1-D2-1 (K1 D2 0→1)"
        in messages["plan_unknown_alternative"]
        and "M-K1-D2-1b" in messages["plan_unknown_alternative"]
    )
    assert "norādiet pamatojumu" in messages["plan_drop_needs_reason"]
    assert f"K1 {LIB.policy.item('K1').name.lv}" in messages["plan_target_below_current"]
    assert "zemāks par pašreizējo pakāpi 2" in messages["plan_target_below_current"]
    # The amount "daudz" goes unreported only because its row's decision is already wrong.
    assert all(p["message"] for p in result.problems)


def test_english_messages(root: App) -> None:
    filled = fill_plan_sheet(
        sheet("en"),
        decisions={"M-1_1-D1-3": {"decision": "drop"}, "M-K1-D2-1": {"decision": "alternative"}},
        targets={"1.1": (2, "")},
    )
    result = check_plan_sheet(filled, settings=root.settings)
    messages = [p["message"] for p in result.problems]
    assert messages == [
        "Step M-K1-D2-1 (K1 D2 0→1) is marked “Choose an alternative” but gives no alternative "
        "measure ID. Choose one of: M-K1-D2-1b.",
        "Step M-1_1-D1-3 (1.1 D1 2→3) is marked “Drop”: give the reason.",
        f"The target 2 for item 1.1 {LIB.policy.item('1.1').name.en} is below the national "
        "target 4: give the reason.",
    ]


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_a_tampered_or_foreign_sheet_is_refused(root: App, lang: Lang) -> None:
    forged = check_plan_sheet(sheet(lang, key="someone-else"), settings=root.settings)
    assert [p["code"] for p in forged.problems] == ["bad_signature"]
    wb = load_workbook(io.BytesIO(sheet(lang)))
    meta = wb["_pvpp"]
    for row in meta.iter_rows(max_col=2):
        if row[0].value == "payload.0":
            row[1].value = str(row[1].value).replace('"VID"', '"UR"')
    out = io.BytesIO()
    wb.save(out)
    tampered = check_plan_sheet(out.getvalue(), settings=root.settings)
    assert tampered.status == "rejected" and tampered.meta is None
    assert [p["code"] for p in tampered.problems] == ["bad_signature"]
    assert check_plan_sheet(b"not a workbook", settings=root.settings).status == "rejected"


def test_a_deleted_row_or_sheet_is_named(root: App) -> None:
    wb = load_workbook(io.BytesIO(sheet()))
    wb["Plāna priekšlikums"]["B9"] = None
    del wb["Mērķi"]
    out = io.BytesIO()
    wb.save(out)
    result = check_plan_sheet(out.getvalue(), settings=root.settings)
    assert [p["code"] for p in result.problems] == ["missing_sheet"]
    wb = load_workbook(io.BytesIO(sheet()))
    wb["Plāna priekšlikums"]["B9"] = None
    out = io.BytesIO()
    wb.save(out)
    result = check_plan_sheet(out.getvalue(), settings=root.settings)
    assert [(p["code"], p["field"]) for p in result.problems] == [("plan_missing_row", "M-K1-D2-2")]
    assert sheet_name("plan", "lv") == "Plāna priekšlikums"
