"""What a page or a workbook showed of each answer (pvpp.questionnaire.filled): a digest
per value, carried as text and read back; a field is changed when what comes back
differs from what was shown."""

from __future__ import annotations

from pvpp.questionnaire import filled


def test_a_digest_is_short_stable_and_differs_with_the_value() -> None:
    assert filled.digest("Rīkojums Nr. 3") == filled.digest("Rīkojums Nr. 3")
    assert len(filled.digest("x")) == 12
    assert filled.digest("3") != filled.digest("3 ") != filled.digest("")


def test_the_carried_text_names_each_field_shown_with_a_value() -> None:
    text = filled.encode({"Q_1_1_D1": "3", "COMMENT_1_1": "Teksts", "NAREASON_1_1": " "})
    assert text == f"COMMENT_1_1={filled.digest('Teksts')} Q_1_1_D1={filled.digest('3')}"
    assert filled.decode(text) == {
        "COMMENT_1_1": filled.digest("Teksts"), "Q_1_1_D1": filled.digest("3"),
    }  # fmt: skip
    assert filled.decode("") == {}


def test_anything_else_is_not_read_as_what_was_shown() -> None:
    for text in ("17", "Q_1_1_D1=short", "Q_1_1_D1", "a b", "x=" + "A" * 13,
                 "Q=AAAAAAAAAAAA " * 3000):  # fmt: skip
        assert filled.decode(text) is None, text


def test_a_field_is_changed_when_its_value_differs_from_what_was_shown() -> None:
    shown = filled.decode(filled.encode({"Q_1_1_D1": "3", "COMMENT_1_1": "Teksts"}))
    assert shown is not None
    assert not filled.changed(shown, "Q_1_1_D1", "3")
    assert filled.changed(shown, "Q_1_1_D1", "2")
    assert filled.changed(shown, "COMMENT_1_1", "")  # cleared
    assert not filled.changed(shown, "TARGET_1_1", "")  # shown empty, still empty
    assert not filled.changed(shown, "TARGET_1_1", "  ")
    assert filled.changed(shown, "TARGET_1_1", "4")
