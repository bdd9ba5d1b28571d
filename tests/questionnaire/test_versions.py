"""Questionnaire versions: version 2 splits the questions that asked several things,
keeps every field id of version 1, and goes through the workbook and the checker."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from flows.demo.synthetic import synthetic_answers
from pvpp.app import App
from pvpp.questionnaire import load_questionnaire
from pvpp.questionnaire.values import check_values
from pvpp.scoring import combine_parts, score_answers
from pvpp.workbook.check import Status, check_workbook
from pvpp.workbook.fill import cell_values, fill_workbook
from tests.conftest import _build

Q1 = load_questionnaire("pvpp2027-q1")
Q2 = load_questionnaire("pvpp2027-q2")


def test_version_2_keeps_every_field_of_version_1_and_adds_parts() -> None:
    """A split question keeps its dimension's field id for part 1; new questions get new
    ids (``_2``, ``_3``), so answers of earlier rounds keep their meaning."""
    old = {f.id for f in Q1.fields}
    new = {f.id for f in Q2.fields}
    assert old <= new
    added = sorted(new - old)
    assert added and all(Q2.field_by_id[f].part > 1 for f in added)
    assert {"Q_K2_D3_2", "Q_2_2_D2_2", "Q_2_2_D2_3", "Q_K2_D4_3"} <= set(added)


def test_the_named_defects_are_gone() -> None:
    """2.2 D2 no longer asks for an undefined "pārvaldības pakāpe"; K2 D3 asks about the
    needs met and the recipients' satisfaction in two questions."""
    for f in Q2.degree_fields:
        assert "pārvaldības pakāpē" not in Q2.question_text(f.id, "lv"), f.id
    needs, satisfaction = (Q2.question_text(f.id, "lv") for f in Q2.parts_of("K2", "D3"))
    assert "vajadzībām" in needs and "apmierināt" not in needs
    assert "apmierināti" in satisfaction and "vajadzīb" not in satisfaction
    # Every question is one question.
    for f in Q2.degree_fields:
        for lang in ("lv", "en"):
            text = Q2.question_text(f.id, lang)  # type: ignore[arg-type]
            assert text.count("?") == 1 and text.endswith("?"), (f.id, lang)


def test_a_version_2_workbook_round_trips_with_one_row_per_part(root: App) -> None:
    answers: dict[str, Any] = synthetic_answers(Q2, "average", seed=3)
    blank = _build(Q2, "lv")
    wb = openpyxl.load_workbook(io.BytesIO(blank))
    sheet = wb["3 Nosacījumi"]
    codes = [c.value for c in sheet["A"] if isinstance(c.value, str)]
    assert "K2.D3 (1/2)" in codes and "K2.D3 (2/2)" in codes and "K2.D1" in codes

    def row_of(field_id: str) -> int:
        ((_, ref),) = list(wb.defined_names[field_id].destinations)
        return int(sheet[ref.replace("$", "")].row)

    assert row_of("Q_K2_D3_2") == row_of("Q_K2_D3") + 1
    result = check_workbook(
        fill_workbook(blank, cell_values(Q2, answers, "lv")), settings=root.settings
    )
    assert result.status is Status.ACCEPTED, result.problems
    assert result.answers["Q_K2_D3_2"] == answers["Q_K2_D3_2"]
    # An unanswered part is unanswered, as any question is.
    cells = cell_values(Q2, answers, "lv")
    del cells["Q_K2_D3_2"]
    partial = check_workbook(fill_workbook(blank, cells), settings=root.settings)
    assert partial.status is Status.INCOMPLETE
    # The scorer puts K2's D3 at the lower of its two parts.
    scored = score_answers(Q2.policy, answers)
    parts = [answers["Q_K2_D3"], answers["Q_K2_D3_2"]]
    assert scored.items["K2"].degrees["D3"] == combine_parts(parts)


def test_synthetic_answers_are_valid_on_both_versions() -> None:
    """The demo's and the tests' synthetic teams answer validly on version 2 too: an own
    target is never below the current degree the checker computes from the lowest parts
    (the demo's LPS once gave K10 a target below it)."""
    for spec in (Q1, Q2):
        for profile in ("weak", "average", "strong"):
            for seed in range(40):
                checked = check_values(spec, synthetic_answers(spec, profile, seed), "lv")
                assert checked.problems == [] and checked.complete, (spec.id, profile, seed)
