"""The words of the exports come from the catalogue (exports.*): every state and flag an
export can meet has a name in both languages, headers are made in the export's language,
and a count agrees with the words around it."""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pvpp import disclosure
from pvpp.app import App
from pvpp.exports import export_round
from pvpp.exports.data import flag_label, name_of
from pvpp.exports.info import provisional_note
from pvpp.exports.writer import Column, code_col, col
from pvpp.i18n import LANGS, catalogue, keys
from pvpp.planning.library import load_library
from pvpp.policy import load_policy
from pvpp.policy.models import Lang
from pvpp.states.assignment import AssignmentState
from pvpp.states.plan import PlanState
from pvpp.states.plan_measure import MeasureState
from pvpp.teams import TRAININGS, TeamStatus
from tests.exports.conftest import Fixture
from tests.rounds import close


@pytest.mark.parametrize("lang", LANGS)
def test_every_state_an_export_shows_has_a_name(lang: str) -> None:
    """State names are looked up by the stored code (``exports.state.<code>``), a key no
    ``t("…")`` call spells out, so the states themselves are checked here."""
    for namespace, states in (
        ("state", AssignmentState),
        ("measure_state", MeasureState),
        ("plan_state", PlanState),
    ):
        for state in states:
            assert f"exports.{namespace}.{state}" in catalogue(lang), (namespace, state)


@pytest.mark.parametrize("lang", LANGS)
def test_every_rv1_flag_has_words(lang: str) -> None:
    flags = {
        flag
        for has_team, has_lead in product((False, True), repeat=2)
        for flag in TeamStatus(has_team, has_lead, frozenset()).flags()
    }
    assert {"no_team", "no_lead"} <= flags
    for flag in flags - {f"no_training_{t}" for t in TRAININGS}:
        assert f"exports.flag.{flag}" in catalogue(lang), flag
    assert flag_label("no_training_P1.1", "lv") == "nav apmeklēta apmācība P1.1"
    assert flag_label("no_training_P1.1", "en") == "P1.1 training not attended"
    assert flag_label("no_lead", "lv") == "nav komandas vadītāja"


def test_a_code_without_a_name_is_shown_as_stored() -> None:
    assert name_of("state", "archived", "lv") == "archived"
    assert name_of("state", "plan_sent", "lv") == "plāns nosūtīts"
    assert name_of("plan_state", "sent", "en") == "sent"


@pytest.mark.parametrize("lang", LANGS)
def test_sheet_names_fit_excel(lang: str) -> None:
    names = [catalogue(lang)[k] for k in keys("exports.sheet.", lang)]
    assert names and all(isinstance(n, str) and 0 < len(n) <= 31 for n in names)


def test_a_header_is_made_in_the_language_of_the_export() -> None:
    component = col("exports.column.component", "dec2", number=2)
    assert component.header("lv") == "2. sastāvdaļa"
    assert component.header("en") == "Component 2"
    assert col("exports.column.degree", degree="4").header("en") == "Degree 4"
    assert code_col("D1", "degree").header("lv") == code_col("D1").header("en") == "D1"
    with pytest.raises(ValueError):
        Column(None)
    with pytest.raises(ValueError):
        Column("exports.column.code", label="D1")


# -- counts that agree with their words ("1 iestādi", "21 punktam"; once "1 iestādēm") ----


def _information(path: Path) -> dict[str, Any]:
    """The information sheet (every workbook ends with it) as label → value."""
    ws = openpyxl.load_workbook(path).worksheets[-1]
    return {r[0].value: r[1].value for r in ws.iter_rows(min_row=2) if r[0].value}


def _publish(root: App, tmp_path: Path, lang: str) -> dict[str, Any]:
    out = tmp_path / f"public-{lang}-{disclosure.MIN_OTHERS}.xlsx"
    with root.db.unit_of_work() as s:
        export_round(s, "2026-K1", out, lang=lang, publish=True)
    return _information(out)


def test_the_publishable_form_agrees_with_its_minimum_group(
    exported_round: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: App
) -> None:
    close(root)
    # Three institutions other than any reader: a publication needs four.
    assert _publish(root, tmp_path, "lv")["Forma"] == (
        "publicējamā: tikai apkopojumi, skaitļi no mazāk nekā 4 iestādēm netiek rādīti, "
        "iestādes netiek nosauktas"
    )
    monkeypatch.setattr(disclosure, "MIN_OTHERS", 0)
    assert _publish(root, tmp_path, "lv")["Forma"] == (
        "publicējamā: tikai apkopojumi, skaitļi no mazāk nekā 1 iestādes netiek rādīti, "
        "iestādes netiek nosauktas"
    )
    assert _publish(root, tmp_path, "en")["Form"] == (
        "publishable: aggregates only, figures over fewer than 1 institution withheld, "
        "no institution named"
    )
    # 21 is "one" in Latvian, not in English; the four scored institutions are too few.
    monkeypatch.setattr(disclosure, "MIN_OTHERS", 20)
    lv = _publish(root, tmp_path, "lv")
    assert lv["Piezīme"] == "Novērtēta mazāk nekā 21 iestāde: apkopojumi netiek publicēti."
    assert "skaitļi no mazāk nekā 21 iestādes netiek rādīti" in lv["Forma"]
    en = _publish(root, tmp_path, "en")
    assert en["Note"] == "Fewer than 21 institutions scored: aggregates are withheld."


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_the_provisional_note_names_every_designed_value_numbers_depend_on(lang: Lang) -> None:
    policy = load_policy("pvpp2027-v1")
    library = load_library(policy.id)
    note = provisional_note(policy, library, lang)
    assert note is not None
    for designed in policy.designed_for_numbers():
        assert designed.name.get(lang) in note
    # Without plans (no library), the library's entry is left out.
    without = provisional_note(policy, None, lang)
    assert without is not None
    assert next(d for d in policy.designed if d.id == "library").name.get(lang) not in without
