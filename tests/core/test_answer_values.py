"""The rules every answer obeys, shared by the workbook checker and the questionnaire
online (pvpp.questionnaire.values): values read leniently, refused with the catalogue's
message, item and service-row rules, what is unanswered."""

from __future__ import annotations

from pvpp.questionnaire import QuestionnaireSpec
from pvpp.questionnaire.values import Vocabulary, check_values, parse_value


def test_values_are_read_in_either_language_and_as_codes(spec: QuestionnaireSpec) -> None:
    vocab = Vocabulary(spec)
    degree = spec.field_by_id["Q_1_1_D1"]
    assert parse_value(degree, "3", vocab) == 3
    assert parse_value(degree, 3.0, vocab) == 3
    assert parse_value(degree, spec.degree_label(2, "en"), vocab) == 2
    assert parse_value(degree, "Nav zināms", vocab) == "unknown"
    assert parse_value(degree, "not_applicable", vocab) == "not_applicable"
    assert parse_value(degree, "7", vocab) is None
    assert parse_value(degree, True, vocab) is None
    assert parse_value(spec.field_by_id["SVC01_TYPE"], "st2", vocab) == "ST2"
    assert parse_value(spec.field_by_id["SVC01_K3"], "Daļēji atbilst", vocab) == "partly"
    assert parse_value(spec.field_by_id["COMMENT_1_1"], " ok ", vocab) == "ok"
    assert parse_value(spec.field_by_id["COMMENT_1_1"], "x" * 4001, vocab) is None


def test_problems_are_placed_at_the_field_that_fixes_them(spec: QuestionnaireSpec) -> None:
    values = {
        "Q_1_1_D1": "not_applicable", "Q_1_1_D2": "3", "Q_1_1_D3": "3", "Q_1_1_D4": "4",
        "TARGET_1_2": "0", "Q_1_2_D1": "2", "Q_1_2_D2": "2",
        "COMMENT_1_3": "x" * 4001, "Q_1_4_D1": "9",
        "SVC02_K1": "yes", "SVC03_NAME": "Pakalpojums",
    }  # fmt: skip
    checked = check_values(spec, values, "en")
    found = {p.field: p.code for p in checked.problems}
    assert found == {
        "NAREASON_1_1": "reason_required",
        "TARGET_1_2": "target_below_current",
        "COMMENT_1_3": "text_too_long",
        "Q_1_4_D1": "bad_degree",
        "SVC02_NAME": "service_without_name",
    }
    messages = {p.field: p.message("en") for p in checked.problems}
    assert messages["NAREASON_1_1"].startswith("Item 1.1 has “Not applicable” (D1)")
    assert "Pamatojums" not in messages["NAREASON_1_1"]
    assert "SVC03_TYPE" in checked.unanswered and "SVC03_K10" in checked.unanswered
    assert "Q_1_2_D3" in checked.unanswered and "Q_1_4_D1" not in checked.unanswered
    assert not checked.complete
    lv = {p.field: p.message("lv") for p in check_values(spec, values, "lv").problems}
    assert lv["NAREASON_1_1"].startswith("Punktā 1.1 izvēlēts “Nav attiecināms” (D1)")


def test_the_question_is_unclear_is_an_answer_of_its_own(spec: QuestionnaireSpec) -> None:
    """ "Jautājums nav saprotams" is read in both languages and by its code, distinct from
    "Nav zināms", and the message for a bad degree names it."""
    vocab = Vocabulary(spec)
    degree = spec.field_by_id["Q_1_1_D1"]
    assert parse_value(degree, "Jautājums nav saprotams", vocab) == "unclear"
    assert parse_value(degree, "The question is unclear", vocab) == "unclear"
    assert parse_value(degree, "unclear", vocab) == "unclear"
    checked = check_values(spec, {"Q_1_1_D1": "9"}, "lv")
    message = checked.problems[0].message("lv")
    assert "“Nav zināms” / “Jautājums nav saprotams”" in message, message
