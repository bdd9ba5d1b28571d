"""The words of the exports come from the catalogue (exports.*): every state and flag an
export can meet has a name in both languages, and headers are made in the export's
language."""

from __future__ import annotations

from itertools import product

import pytest

from pvpp.exports.data import flag_label, name_of
from pvpp.exports.writer import Column, code_col, col
from pvpp.i18n import LANGS, catalogue, keys
from pvpp.states.assignment import AssignmentState
from pvpp.states.plan import PlanState
from pvpp.states.plan_measure import MeasureState
from pvpp.teams import TRAININGS, TeamStatus


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
    assert component.header("lv") == "2. komponente"
    assert component.header("en") == "Component 2"
    assert col("exports.column.degree", degree="4").header("en") == "Degree 4"
    assert code_col("D1", "degree").header("lv") == code_col("D1").header("en") == "D1"
    with pytest.raises(ValueError):
        Column(None)
    with pytest.raises(ValueError):
        Column("exports.column.code", label="D1")
