"""Specialised plans (RV6, RV7): needs from gaps, the draft, and a coordinator's edits
(pvpp.specialised), on plain data; and the library they are drafted from."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pvpp.national import RV6_ITEMS, RV7_ITEMS
from pvpp.planning.national_library import (
    NationalLibraryError,
    library_path,
    load_national_library,
    load_national_library_file,
)
from pvpp.policy import load_policy
from pvpp.specialised import (
    DRAFTED,
    Allowed,
    Edit,
    EditError,
    Need,
    apply_edits,
    changed_fields,
    draft,
    half_year_end,
    needs_from_gaps,
)

TODAY = date(2026, 4, 2)
LIBRARY = load_national_library("pvpp2027-v1")
RV6 = LIBRARY.direction("RV6")
ALLOWED = Allowed("RV6", RV6.items, ("P6.1", "P6.2", "P6.3", "P6.4"), TODAY)


def _needs(**with_gap: tuple[str, ...]) -> dict[str, Need]:
    """RV6 needs of ten rated institutions, with the given ones having a gap."""
    return {item: Need(item, with_gap.get(item, ()), 10, 1.0, 1.0) for item in RV6.items}


def test_needs_count_gaps_above_zero_of_the_rated() -> None:
    gaps = {
        "A": {"K5": 2.0, "K7": 0.0},
        "B": {"K5": 0.5, "K7": None},
        "C": {"K5": 0.0, "K7": 1.0},
    }
    k5, k7 = needs_from_gaps(["K5", "K7"], gaps)
    assert (k5.with_gap, k5.rated, k5.median_gap, k5.mean_gap) == (("A", "B"), 3, 0.5, 0.83)
    assert (k7.with_gap, k7.rated, k7.share) == (("C",), 2, 0.5)
    (none,) = needs_from_gaps(["R2"], gaps)
    assert (none.rated, none.median_gap, none.share) == (0, None, 0.0)


def test_half_years_end_on_30_june_and_31_december() -> None:
    assert half_year_end(date(2026, 4, 2), 1) == date(2026, 12, 31)
    assert half_year_end(date(2026, 4, 2), 2) == date(2027, 6, 30)
    assert half_year_end(date(2026, 7, 1), 1) == date(2027, 6, 30)
    assert half_year_end(date(2026, 12, 31), 3) == date(2028, 6, 30)


def test_a_draft_answers_the_items_with_a_need_widest_first() -> None:
    needs = _needs(
        K5=tuple(f"I{n}" for n in range(6)),  # 6 of 10: due in one half-year
        K8=("I0", "I7", "I8"),  # 3 of 10: two half-years
    )
    measures = draft(RV6, needs, LIBRARY.due, TODAY)
    by_template = {m.template: m for m in measures}
    # No institution has a K7 or R2 gap: no measure for them.
    assert set(by_template) == {"RV6-K5", "RV6-K8", "RV6-BGL"}
    assert by_template["RV6-K5"].due_on == date(2026, 12, 31)
    assert by_template["RV6-K8"].due_on == date(2027, 6, 30)
    # Business.gov.lv answers K5 and K8: it serves both sets, second wave of the wider need.
    bgl = by_template["RV6-BGL"]
    assert bgl.institutions == ("I0", "I1", "I2", "I3", "I4", "I5", "I7", "I8")
    assert bgl.due_on == date(2027, 6, 30) and bgl.policy_measure == "P6.4"
    assert bgl.responsible == "LIAA"
    assert [m.key for m in measures] == ["RV6-01", "RV6-02", "RV6-03"]
    assert measures[0].template == "RV6-K5"  # sooner first
    assert all(m.provisional == DRAFTED for m in measures)


def test_edits_add_change_and_drop_with_their_reasons() -> None:
    measures = draft(RV6, _needs(K5=("A", "B"), K8=("C",)), LIBRARY.due, TODAY)
    first, second = measures[0].key, measures[1].key
    edits = [
        Edit("change", "e[1]", "agreed with VDAA", key=first,
             values={"due_on": date(2027, 3, 31), "responsible": "VARAM"}),
        Edit("drop", "e[2]", "covered by the e-index work", key=second),
        Edit("add", "e[3]", "the K8 gap needs a register first",
             values={"title": {"lv": "Jauns", "en": "New"}, "description": "Apraksts",
                     "responsible": "Finanšu ministrija", "due_on": "2027-12-31",
                     "items": ["K8", "K5"]}),
        Edit("change", "e[4]", "the draft's texts stand", key=measures[2].key, confirm=True),
    ]  # fmt: skip
    after, changes = apply_edits(measures, edits, _needs(K5=("A", "B"), K8=("C",)), ALLOWED)
    changed = after[0]
    assert (changed.due_on, changed.responsible) == (date(2027, 3, 31), "VARAM")
    assert changed.provisional == ("title", "description")  # the fields set are its own
    assert after[1].status == "dropped" and after[1].dropped_reason == "covered by the e-index work"
    new = after[-1]
    assert new.key == f"RV6-{len(measures) + 1:02d}" and new.template == ""
    assert new.items == ("K8", "K5") and new.institutions == ("A", "B", "C")
    assert new.policy_measure == "P6.2" and new.provisional == ()
    assert after[2].provisional == ()  # confirmed
    assert [(c.kind, c.key) for c in changes] == [
        ("change", first),
        ("drop", second),
        ("add", new.key),
        ("change", measures[2].key),
    ]
    assert changes[0].before["responsible"] == "VDAA"
    assert changes[0].after["responsible"] == "VARAM"
    # The measures given are untouched (each version is kept as it was).
    assert measures[0].responsible == "VDAA"


def test_bad_edits_are_all_named_and_none_applied() -> None:
    measures = draft(RV6, _needs(K5=("A",)), LIBRARY.due, TODAY)
    key = measures[0].key
    edits = [
        Edit("change", "edits[1]", "", key=key, values={"due_on": "2027-02-30"}),
        Edit("change", "edits[2]", "why", key="RV6-99", values={"title": "x"}),
        Edit("add", "edits[3]", "why", values={"title": "x", "items": ["S4"]}),
        Edit("change", "edits[4]", "why", key=key, values={"due_on": date(2025, 1, 1)}),
        Edit("change", "edits[5]", "why", key=key, values={"policy_measure": "P7.1"}),
        Edit("change", "edits[6]", "why", key=key, values={"colour": "red"}),
        Edit("change", "edits[7]", "why", key=key, values={"title": "a\x1bb"}),
        Edit("change", "edits[8]", "why", key=key),
    ]
    with pytest.raises(EditError) as caught:
        apply_edits(measures, edits, _needs(K5=("A",)), ALLOWED)
    problems = caught.value.problems
    keys = ", ".join(m.key for m in measures)  # K5's own and Business.gov.lv
    assert problems == [
        "edits[1]: reason: must not be empty (say why)",
        "edits[1]: due_on: '2027-02-30' is not a date like 2027-06-30",
        f"edits[2]: no measure 'RV6-99' in the plan (measures: {keys})",
        "edits[3]: items: S4 not of RV6's items (K5, K7, K8, R2)",
        "edits[4]: due_on: 2025-01-01 is before today (2026-04-02)",
        "edits[5]: policy_measure: 'P7.1' is not a measure of RV6 (P6.1, P6.2, P6.3, P6.4)",
        "edits[6]: colour: unknown field; a measure has title, description, responsible, "
        "due_on, policy_measure, items",
        "edits[7]: title: contains a control character; type plain text",
        "edits[8]: nothing to change (give fields, or confirm: true)",
    ]
    # The same problems for a page to word itself: field, code and values.
    details = [(p.where, p.field, p.code) for p in caught.value.details]
    assert details == [
        ("edits[1]", "reason", "empty"),
        ("edits[1]", "due_on", "not_a_date"),
        ("edits[2]", "", "no_measure"),
        ("edits[3]", "items", "unknown_items"),
        ("edits[4]", "due_on", "before_today"),
        ("edits[5]", "policy_measure", "policy_measure"),
        ("edits[6]", "colour", "unknown_field"),
        ("edits[7]", "title", "control"),
        ("edits[8]", "", "nothing"),
    ]
    assert caught.value.details[4].values == {"value": date(2025, 1, 1), "today": TODAY}
    assert caught.value.details[3].values["value"] == "S4"


def test_a_new_measure_missing_fields_names_them() -> None:
    measures = draft(RV6, _needs(K5=("A",)), LIBRARY.due, TODAY)
    with pytest.raises(EditError) as caught:
        apply_edits(measures, [Edit("add", "e", "why", values={"title": "x"})], {}, ALLOWED)
    (problem,) = caught.value.details
    assert problem.code == "missing"
    assert problem.values["fields"] == ("description", "responsible", "due_on", "items")
    assert str(problem) == "e: a new measure needs description, responsible, due_on, items"


def test_changed_fields_are_the_differences_in_reading_order() -> None:
    (m,) = draft(RV6, _needs(K7=("A",)), LIBRARY.due, TODAY)
    before = m.record()
    after = {**before, "due_on": "2027-03-31", "responsible": "VARAM", "provisional": ["title"]}
    assert changed_fields(before, after) == [
        ("responsible", m.responsible, "VARAM"),
        ("due_on", m.due_on.isoformat(), "2027-03-31"),
        ("provisional", list(m.provisional), ["title"]),
    ]
    assert changed_fields(before, before) == []
    added = changed_fields(None, before)
    assert [name for name, old, _ in added][:3] == ["title", "description", "responsible"]
    assert all(old is None for _, old, _ in added)


def test_a_dropped_measure_is_not_changed_again() -> None:
    measures = draft(RV6, _needs(K5=("A",)), LIBRARY.due, TODAY)
    key = measures[0].key
    dropped, _ = apply_edits(measures, [Edit("drop", "d", "gone", key=key)], {}, ALLOWED)
    with pytest.raises(EditError, match="is dropped; add a new measure instead"):
        apply_edits(dropped, [Edit("drop", "d", "again", key=key)], {}, ALLOWED)


def test_the_library_is_the_aggregates_directions_and_checks_its_designed_marks(
    tmp_path: Path,
) -> None:
    assert LIBRARY.direction("RV6").items == RV6_ITEMS
    assert LIBRARY.direction("RV7").items == RV7_ITEMS
    # A designed value without its marker, or a marker without its explanation, is refused.
    text = library_path("pvpp2027-v1").read_text(encoding="utf-8")
    unmarked = tmp_path / "unmarked.yaml"
    unmarked.write_text(text.replace("  provisional: [steps]\n", "", 1), encoding="utf-8")
    with pytest.raises(NationalLibraryError, match=r"due\.steps.*does not mark 'steps'"):
        load_national_library_file(unmarked, load_policy("pvpp2027-v1"))
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(text.replace('policy_measure: "P6.4"', 'policy_measure: "P7.2"'), "utf-8")
    with pytest.raises(NationalLibraryError, match=r"RV6-BGL\]\.policy_measure: 'P7.2'"):
        load_national_library_file(wrong, load_policy("pvpp2027-v1"))
