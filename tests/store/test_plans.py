"""Plans in the store: same inputs give the same version; adjustments make new versions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from pvpp.app import App
from pvpp.plans import PlanError, adjust_plan, build_plan, context, plan_measures
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import Assignment, Plan, Score, Transition
from tests.rounds import run_round


@pytest.fixture
def accepted(store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App) -> str:
    run_round(root, spec, tmp_path, [("VID", "Valsts ieņēmumu dienests")])
    return store


def test_same_inputs_same_plan_and_versions(accepted: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        plan, created = build_plan(s, context(s, "2026-K1", "VID"))
        first = [(m.measure_id, m.due_on, m.role, tuple(m.funding)) for m in plan_measures(s, plan)]
        assert created and plan.version == 1 and first
    with root.db.unit_of_work() as s:
        again, created = build_plan(s, context(s, "2026-K1", "VID"))
        assert not created and again.id == plan.id
        assert len(s.exec(select(Score)).all()) == 1
        assignment = s.exec(select(Assignment).where(Assignment.id == plan.assignment_id)).one()
        assert assignment.state == "planned"
        assert s.exec(select(Transition).where(Transition.to_state == "planned")).all()
    # A different capacity is a different input: a new version, the first one kept.
    with root.db.unit_of_work() as s:
        third, created = build_plan(s, context(s, "2026-K1", "VID"), capacity_days=10)
        assert created and third.version == 2
        assert len(s.exec(select(Plan)).all()) == 2

    with root.db.unit_of_work() as s:
        rows = plan_measures(s, third)
        target = next(
            m
            for m in rows
            if m.to_degree < 4
            and any(
                o.item_id == m.item_id
                and o.dimension_id == m.dimension_id
                and o.to_degree == m.to_degree + 1
                for o in rows
            )
        )
        moved = next(m for m in rows if m.measure_id != target.measure_id and m.period != "2027H2")
        adjusted = adjust_plan(
            s, context(s, "2026-K1", "VID"),
            drop={target.measure_id: "Finansējums pieejams tikai 2028. gadā"},
            move={moved.measure_id: date(2027, 12, 31)},
        )  # fmt: skip
        assert adjusted.version == 3
        new_rows = {m.measure_id: m for m in plan_measures(s, adjusted)}
        assert new_rows[target.measure_id].status == "dropped"
        assert new_rows[target.measure_id].dropped_reason == "Finansējums pieejams tikai 2028. gadā"
        above = [
            m
            for m in new_rows.values()
            if m.item_id == target.item_id
            and m.dimension_id == target.dimension_id
            and m.to_degree > target.to_degree
        ]
        assert above and all(m.status == "dropped" for m in above)
        assert new_rows[moved.measure_id].due_on == date(2027, 12, 31)
        assert new_rows[moved.measure_id].period == "2027H2"
        # The version before is untouched.
        assert {m.status for m in plan_measures(s, third)} == {"planned"}

    with pytest.raises(PlanError, match="needs a reason"), root.db.unit_of_work() as s:
        adjust_plan(s, context(s, "2026-K1", "VID"), drop={target.measure_id: " "})
    with pytest.raises(PlanError, match="is not a period end"), root.db.unit_of_work() as s:
        adjust_plan(s, context(s, "2026-K1", "VID"), move={moved.measure_id: date(2027, 5, 1)})


def test_plan_needs_an_accepted_workbook(accepted: str, root: App) -> None:
    with pytest.raises(PlanError, match="no accepted workbook"), root.db.unit_of_work() as s:
        build_plan(s, context(s, "2026-K1", "UR"))
    with pytest.raises(PlanError, match="has no assignment"), root.db.unit_of_work() as s:
        build_plan(s, context(s, "2026-K1", "NBS"))
