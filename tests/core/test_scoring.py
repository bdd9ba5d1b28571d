"""Scoring follows docs/scoring.md: the worked example's lines are checked verbatim."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pvpp.policy import load_policy
from pvpp.scoring import explain_lines, score_answers

POLICY = load_policy("pvpp2027-v1")
DOC = (Path(__file__).resolve().parents[2] / "docs" / "scoring.md").read_text(encoding="utf-8")


def all_twos() -> dict[str, Any]:
    return {
        f"Q_{item.id.replace('.', '_')}_{d}": 2
        for item in POLICY.items
        for d in ("D1", "D2", "D3", "D4")
    }


def worked_example() -> dict[str, Any]:
    answers = all_twos()
    answers.update({"Q_K3_D1": 2, "Q_K3_D2": 3, "Q_K3_D3": "unknown", "Q_K3_D4": 1})
    answers.update({"Q_1_4_D1": 0, "Q_1_4_D2": 2, "Q_1_4_D3": 1, "Q_1_4_D4": 1, "TARGET_1_4": 2})
    answers.update({f"Q_S3_D{i}": "not_applicable" for i in range(1, 5)})
    answers["NAREASON_S3"] = "Personāla funkcija nodota ministrijai."
    return answers


@pytest.mark.parametrize(
    ("lang", "starts"),
    [
        ("en", ("overall", "score C", "warning")),
        ("lv", ("kopējais", "vērtējums C", "brīdinājums")),
    ],
)
def test_worked_example_matches_the_documentation(lang: str, starts: tuple[str, ...]) -> None:
    result = score_answers(POLICY, worked_example())
    lines = explain_lines(result, lang)  # type: ignore[arg-type]
    shown = [
        line
        for line in lines
        if any(f" {key} " in f" {line} " or f" {key}:" in line for key in ("K3", "1.4", "S3"))
        or line.startswith(starts)
    ]
    assert len(shown) == 15
    for line in shown:
        assert line in DOC, line
    assert result.items["K3"].score == pytest.approx(1.5)
    assert result.items["S3"].score is None and result.items["S3"].gap is None
    assert result.components["C1"].score == pytest.approx(1.75)
    assert result.overall == pytest.approx(54.5 / 28)
    assert result.index == pytest.approx(54.5 / 28 / 4 * 100)
    assert result.items["1.4"].priority == pytest.approx(1.5)
    assert {w.code for w in result.warnings} == {
        "documented_without_owner",
        "high_without_evidence",
        "unknown_counts_as_zero",
    }


def test_explanation_speaks_one_language() -> None:
    """Latvian lines throughout, warnings included, with decimal commas; and the counts agree
    ("1 novērtētā punkta", "1 rated item")."""
    answers = {k: "not_applicable" for k in all_twos()} | {"Q_K1_D1": 3}
    result = score_answers(POLICY, answers)
    lv = explain_lines(result, "lv")
    assert "vērtējums C3 = 1 novērtētā punkta svērtais vidējais = 3,00" in lv
    assert (
        "brīdinājums high_without_evidence: Punktā “K1 Pārvaldāmība” augsta pakāpe "
        "(D1 Atbildīgie) bez pierādījumiem." in lv
    )
    english = ("score", "gap", "priority", "overall", "warning", "unrated", "mean", "Item")
    assert not [line for line in lv if any(word in line for word in english)]
    en = explain_lines(result, "en")
    assert "score C3 = weighted mean of 1 rated item = 3.00" in en
    assert not [line for line in en if "vērtējums" in line or "Punktā" in line]


def test_unrated_is_never_zero() -> None:
    answers = {k: "not_applicable" for k in all_twos()}
    result = score_answers(POLICY, answers)
    assert result.overall is None and result.index is None
    assert all(c.score is None for c in result.components.values())


def test_unknown_counts_as_the_lowest_degree() -> None:
    """Rated 4 on one dimension and "Nav zināms" on three, an item scores 1.0, not 4.0."""
    answers = all_twos() | {"Q_K1_D1": 4, "EVIDENCE_K1": "Rīkojums Nr. 5"}
    answers |= {f"Q_K1_D{i}": "unknown" for i in (2, 3, 4)}
    result = score_answers(POLICY, answers)
    assert result.items["K1"].score == pytest.approx(1.0)
    assert result.items["K1"].gap == pytest.approx(3.0)
    assert [(w.code, w.item) for w in result.warnings] == [("unknown_counts_as_zero", "K1")]
    everything_unknown = score_answers(POLICY, {k: "unknown" for k in all_twos()})
    assert everything_unknown.overall == 0 and everything_unknown.index == 0


def test_evidence_silences_the_warning_and_jump_is_reported() -> None:
    answers = all_twos() | {"Q_K1_D1": 4, "EVIDENCE_K1": "Rīkojums Nr. 5"}
    previous = all_twos() | {"Q_K1_D1": 1}
    result = score_answers(POLICY, answers, previous)
    codes = [(w.code, w.item) for w in result.warnings]
    assert ("high_without_evidence", "K1") not in codes
    assert ("jump", "K1") in codes
    lv = next(w for w in result.warnings if w.code == "jump").message["lv"]
    assert "mainījies no 1 uz 4" in lv


def test_weights_and_targets_come_from_the_policy() -> None:
    import copy

    raw = POLICY.model_dump()
    raw = copy.deepcopy(raw)
    raw["components"][2]["items"][0]["weight"] = 3.0  # K1
    raw["components"][2]["items"][0]["national_target"] = 3
    policy = type(POLICY).model_validate(raw)
    answers = all_twos() | {f"Q_K1_D{i}": 0 for i in range(1, 5)}
    result = score_answers(policy, answers)
    c3 = [result.items[f"K{i}"].score for i in range(1, 11)]
    assert result.components["C3"].score == pytest.approx((0 * 3 + sum(c3[1:])) / 12)
    assert result.items["K1"].gap == pytest.approx(3.0)
    assert result.items["K1"].priority == pytest.approx(9.0)


def test_an_unclear_question_is_left_out_of_the_score_with_a_warning() -> None:
    """ "Jautājums nav saprotams" is a non-scoring answer (method pvpp-score-3): left out of
    the mean as "Nav attiecināms" is, without a reason, with its own warning; the answer
    itself stays "unclear"."""
    answers = all_twos() | {"Q_K1_D1": 4, "EVIDENCE_K1": "Rīkojums Nr. 5"}
    answers |= {"Q_K1_D2": "unclear", "Q_K1_D3": "unknown", "Q_K1_D4": "unclear"}
    result = score_answers(POLICY, answers)
    assert result.method == "pvpp-score-3"
    # D1 4 and D3 "unknown" (0) count; D2 and D4 are left out.
    assert result.items["K1"].score == pytest.approx(2.0)
    assert result.items["K1"].gap == pytest.approx(2.0)
    assert result.items["K1"].degrees["D2"] == "unclear"
    assert [(w.code, w.item) for w in result.warnings] == [
        ("unknown_counts_as_zero", "K1"),
        ("unclear_left_out", "K1"),
    ]
    assert (
        "“the question is unclear” (D2 Documentation, D4 Practical use) does not count"
        in result.warnings[1].message["en"]
    )
    lines = explain_lines(result, "lv")
    assert any(
        "vidējais(D1 4, D3 0 (“Nav zināms”)) = 2,00 (neieskaitot D2: “Jautājums nav saprotams”"
        in line
        for line in lines
    ), lines


def test_an_item_with_only_unclear_answers_is_unrated_and_to_be_clarified() -> None:
    """No scoring answer, no score: the item is unrated (no gap, no priority, out of every
    mean), never 0, and its warning says it waits for the question to be clarified."""
    answers = all_twos() | {f"Q_K1_D{i}": "unclear" for i in range(1, 4)}
    answers |= {"Q_K1_D4": "not_applicable"}
    result = score_answers(POLICY, answers)
    k1 = result.items["K1"]
    assert (k1.score, k1.gap, k1.priority) == (None, None, None)
    c3 = next(c for c in POLICY.components if c.id == "C3")
    assert result.components["C3"].rated_items == len(c3.items) - 1
    assert result.components["C3"].score == pytest.approx(2.0)
    assert [(w.code, w.item) for w in result.warnings] == [("unclear_unrated", "K1")]
    assert "nav novērtēts" in result.warnings[0].message["lv"]


def test_an_unclear_part_is_left_out_of_its_dimension_but_still_warned() -> None:
    """A dimension asked in parts: an unclear part is left out (the other parts rate the
    dimension); the dimension is "unclear" only when no part counts; the warning names
    the dimension either way."""
    from pvpp.scoring import combine_parts

    assert combine_parts([3, "unclear"]) == 3
    assert combine_parts(["unclear", "not_applicable"]) == "unclear"
    assert combine_parts(["not_applicable", "unclear"]) == "unclear"
    assert combine_parts(["unclear", "unknown"]) == "unknown"
    answers = all_twos() | {"Q_K2_D3": 3, "Q_K2_D3_2": "unclear", "EVIDENCE_K2": "Aptauja"}
    result = score_answers(POLICY, answers)
    assert result.items["K2"].degrees["D3"] == 3
    assert result.items["K2"].score == pytest.approx((2 + 2 + 3 + 2) / 4)
    assert [(w.code, w.item) for w in result.warnings] == [("unclear_left_out", "K2")]


def test_a_dimension_asked_in_parts_is_at_its_lowest_part() -> None:
    """Q_K2_D3 and Q_K2_D3_2 (needs met; satisfaction): the dimension is at the lower
    answer; a not-applicable part is left out; an unknown part counts 0."""
    from pvpp.scoring import combine_parts

    assert combine_parts([3, 1]) == 1
    assert combine_parts([3, "not_applicable"]) == 3
    assert combine_parts(["not_applicable", "not_applicable"]) == "not_applicable"
    assert combine_parts([2, "unknown"]) == "unknown"
    assert combine_parts([0, "unclear"]) == 0  # a part that counts rates the dimension
    assert combine_parts([None, 2]) == 2 and combine_parts([None, None]) is None
    result = score_answers(POLICY, all_twos() | {"Q_K2_D3": 4, "Q_K2_D3_2": 1})
    assert result.items["K2"].degrees["D3"] == 1
    assert result.items["K2"].score == pytest.approx((2 + 2 + 1 + 2) / 4)
    # Without the part, the same answers score as before.
    assert score_answers(POLICY, all_twos()).items["K2"].score == 2
