"""The diff of two answer sets: each field changed, unchanged, added or removed."""

from __future__ import annotations

from pvpp.answer_diff import FieldChange, FieldDiff, diff_answers, shown_value, summary

C = FieldChange


def test_each_field_is_changed_unchanged_added_or_removed() -> None:
    before = {"Q_1_1_D1": 2, "Q_1_1_D2": 3, "EVIDENCE_1_1": "Rīkojums", "COMMENT_1_1": "x"}
    after = {"Q_1_1_D1": 3, "Q_1_1_D2": 3, "EVIDENCE_1_1": "Rīkojums", "TARGET_1_1": 4}
    diff = {d.field: d for d in diff_answers(before, after)}
    assert diff["Q_1_1_D1"] == FieldDiff("Q_1_1_D1", C.CHANGED, 2, 3)
    assert diff["Q_1_1_D2"].change is C.UNCHANGED
    assert diff["EVIDENCE_1_1"].change is C.UNCHANGED
    assert diff["TARGET_1_1"] == FieldDiff("TARGET_1_1", C.ADDED, None, 4)
    assert diff["COMMENT_1_1"] == FieldDiff("COMMENT_1_1", C.REMOVED, "x", None)
    assert summary(diff.values()) == {C.CHANGED: 1, C.UNCHANGED: 2, C.ADDED: 1, C.REMOVED: 1}


def test_values_compare_as_the_team_sees_them() -> None:
    before = {"a": 3, "b": "Rīkojums Nr. 5\r\n", "c": "", "d": "  ", "e": "not_applicable"}
    after = {"a": "3", "b": "  Rīkojums Nr. 5", "c": None, "e": "unknown"}
    diff = {d.field: d.change for d in diff_answers(before, after)}
    # "c" and "d" are no answer on either side: left out.
    assert diff == {"a": C.UNCHANGED, "b": C.UNCHANGED, "e": C.CHANGED}
    assert shown_value(" x\r\ny ") == "x\ny"
    assert shown_value("") is None and shown_value(None) is None and shown_value(0) == "0"


def test_without_earlier_answers_everything_answered_is_added() -> None:
    diff = diff_answers(None, {"a": 1, "b": ""})
    assert diff == [FieldDiff("a", C.ADDED, None, 1)]
    assert summary([]) == dict.fromkeys(C, 0)


def test_fields_come_in_the_order_given_then_by_name() -> None:
    before = {"z": 1, "b": 1}
    after = {"a": 1, "y": 2, "b": 2}
    assert [d.field for d in diff_answers(before, after, ["y", "b", "missing"])] == [
        "y", "b", "a", "z",
    ]  # fmt: skip
