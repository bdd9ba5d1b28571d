"""Specialised plans in the store: drafted from the round's gaps (the aggregates' figures),
edited into new versions with the older ones kept, and refused when stale or wrong."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from pvpp.app import App
from pvpp.national import aggregates
from pvpp.national_plans import (
    NationalPlanError,
    StaleVersion,
    draft_plan,
    edit_plan,
    get_plan,
    parse_edit_file,
    plan_history,
    plan_versions,
)
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.specialised import Edit, EditError
from pvpp.store.models import AuditLog, NationalPlanChange
from tests.rounds import close, run_round

CODES = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD"), ("RIGA", "RIGA")]
TODAY = date(2026, 4, 2)


def test_a_plan_is_drafted_from_the_needs_and_each_edit_is_a_new_version(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path / "in", CODES)
    with root.db.unit_of_work() as s:
        view = draft_plan(s, "2026-K1", "RV6", today=TODAY, actor="koordinators@varam.gov.lv")
        internal = aggregates(s, "2026-K1", publish=False)
    # The needs are the aggregates' RV6 needs, with the institutions named.
    figures = {n["item"]: n for n in internal["rv6_needs"]}
    for need in view.needs:
        row = figures[need.item]
        assert (len(need.with_gap), need.rated) == (
            row["institutions_with_gap"],
            row["institutions_rated"],
        )
        assert (need.median_gap, need.mean_gap) == (row["median_gap"], row["mean_gap"])
    assert view.plan.version == 1 and view.plan.counted_on is None  # the round is open
    assert view.measures, "the synthetic round has RV6 gaps"
    first = view.measures[0]
    served = {c for i in first.items for n in view.needs if n.item == i for c in n.with_gap}
    assert set(first.institutions) == served

    with root.db.unit_of_work() as s, pytest.raises(NationalPlanError, match="already has"):
        draft_plan(s, "2026-K1", "RV6", today=TODAY, actor="x")

    with root.db.unit_of_work() as s:
        edited = edit_plan(
            s, "2026-K1", "RV6",
            [Edit("change", "--measure", "VDAA agreed", key=first.key,
                  values={"responsible": "VARAM"})],
            today=TODAY, actor="koordinators@varam.gov.lv", base_version=1,
            where={"ip": "192.0.2.7"},
        )  # fmt: skip
    assert edited.plan.version == 2 and edited.measures[0].responsible == "VARAM"
    with root.db.unit_of_work() as s:
        # Version 1 is kept as it was; each version says what it changed, who and why.
        assert get_plan(s, "2026-K1", "RV6", version=1).measures[0].responsible == first.responsible
        assert [p.version for p in plan_versions(s, "2026-K1", "RV6")] == [1, 2]
        (change,) = get_plan(s, "2026-K1", "RV6").changes
        assert (change.kind, change.measure_key, change.reason) == (
            "change",
            first.key,
            "VDAA agreed",
        )
        assert change.before["responsible"] == first.responsible
        entries = s.exec(
            select(AuditLog).where(AuditLog.entity == "national_plan").order_by(AuditLog.id)
        ).all()
        assert [e.action for e in entries] == ["national_plan.draft", "national_plan.edit"]
        assert entries[1].detail["ip"] == "192.0.2.7"
        assert entries[1].actor == "koordinators@varam.gov.lv"

    # Edits made against version 1 are refused now that the plan is at version 2.
    with root.db.unit_of_work() as s, pytest.raises(StaleVersion, match="at version 2") as stale:
        edit_plan(
            s, "2026-K1", "RV6", [Edit("drop", "d", "why", key=first.key)],
            today=TODAY, actor="x", base_version=1,
        )  # fmt: skip
    assert (stale.value.base, stale.value.current) == (1, 2)
    # The history: each version with the changes it made.
    with root.db.reading() as s:
        history = plan_history(s, "2026-K1", "RV6")
        versions = [(p.version, [c.kind for c in cs]) for p, cs in history]
    assert versions == [
        (1, ["draft"]), (2, ["change"]),
    ]  # fmt: skip
    # A bad edit changes nothing: no version 3, no change rows.
    with root.db.unit_of_work() as s, pytest.raises(EditError):
        edit_plan(s, "2026-K1", "RV6", [Edit("drop", "d", "", key=first.key)],
                  today=TODAY, actor="x")  # fmt: skip
    with root.db.unit_of_work() as s:
        assert len(plan_versions(s, "2026-K1", "RV6")) == 2
        assert len(s.exec(select(NationalPlanChange)).all()) == 2  # the draft and the change


def test_a_closed_round_drafts_from_its_closure_and_again_makes_a_new_version(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path / "in", CODES)
    close(root)
    with root.db.unit_of_work() as s:
        first = draft_plan(s, "2026-K1", "RV7", today=TODAY, actor="x")
        again = draft_plan(s, "2026-K1", "RV7", today=TODAY, actor="x", again=True)
    assert first.plan.counted_on == date(2026, 4, 1)
    assert again.plan.version == 2
    assert [m.record() for m in again.measures] == [m.record() for m in first.measures]
    assert {i for m in first.measures for i in m.items} <= {"S3", "S4"}


def test_no_plan_for_an_unknown_direction_or_before_one_is_drafted(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path / "in", CODES[:1])
    with root.db.unit_of_work() as s:
        with pytest.raises(NationalPlanError, match="direction must be RV6 or RV7"):
            draft_plan(s, "2026-K1", "RV5", today=TODAY, actor="x")
        with pytest.raises(NationalPlanError, match="no RV6 plan yet"):
            get_plan(s, "2026-K1", "RV6")


def test_an_edit_file_is_read_with_every_problem_named() -> None:
    good = parse_edit_file(
        b"base_version: 2\nnote: Agreed\nedits:\n"
        b"  - change: RV6-01\n    due_on: 2027-06-30\n    reason: VDAA\n"
        b"  - drop: RV6-02\n    reason: gone\n"
        b"  - add: {title: T, description: D, responsible: VARAM, due_on: 2027-12-31,"
        b" items: [K8]}\n    reason: new\n",
        "edits.yaml",
    )
    assert good.base_version == 2 and good.note == "Agreed"
    assert [(e.kind, e.key) for e in good.edits] == [
        ("change", "RV6-01"),
        ("drop", "RV6-02"),
        ("add", ""),
    ]
    assert good.edits[0].values == {"due_on": date(2027, 6, 30)}
    assert good.edits[0].where == "edits.yaml: edits[1]"

    with pytest.raises(EditError) as caught:
        parse_edit_file(
            b"edits:\n  - change: RV6-01\n    drop: RV6-02\n  - 5\n  - drop: RV6-03\n"
            b"    confirm: true\n",
            "e.yaml",
        )
    assert caught.value.problems == [
        "e.yaml: edits[1]: give exactly one of add:, change: or drop:",
        "e.yaml: edits[2]: give a mapping (add:, change: or drop:, and reason:)",
        "e.yaml: edits[3]: confirm is for a change, not a drop",
    ]
    with pytest.raises(EditError, match=r"e.yaml: line 3: not valid YAML"):
        parse_edit_file(b"edits:\n  - [\n", "e.yaml")
    with pytest.raises(EditError, match="not UTF-8"):
        parse_edit_file(b"\xff\xfe", "e.yaml")
