"""Plans in the store: same inputs give the same version; adjustments make new versions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from pvpp.app import App
from pvpp.documents.national_pdf import national_context
from pvpp.plans import PlanError, adjust_plan, build_plan, context, plan_measures
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import Assignment, Plan, Transition
from tests.rounds import run_round

# The round of tests.rounds is due on 31.03.2026; its plans are made on that day.
TODAY = date(2026, 3, 31)


@pytest.fixture
def accepted(store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App) -> str:
    run_round(root, spec, tmp_path, [("VID", "Valsts ieņēmumu dienests")])
    return store


def test_same_inputs_same_plan_and_versions(accepted: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        plan, created = build_plan(s, context(s, "2026-K1", "VID"), today=TODAY)
        first = [(m.measure_id, m.due_on, m.role, tuple(m.funding)) for m in plan_measures(s, plan)]
        assert created and plan.version == 1 and first
    with root.db.unit_of_work() as s:
        again, created = build_plan(s, context(s, "2026-K1", "VID"), today=TODAY)
        assert not created and again.id == plan.id
        assignment = s.exec(select(Assignment).where(Assignment.id == plan.assignment_id)).one()
        assert assignment.state == "planned"
        assert s.exec(select(Transition).where(Transition.to_state == "planned")).all()
    # A different capacity is a different input: a new version, the first one kept.
    with root.db.unit_of_work() as s:
        third, created = build_plan(s, context(s, "2026-K1", "VID"), today=TODAY, capacity_days=10)
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
        build_plan(s, context(s, "2026-K1", "UR"), today=TODAY)
    with pytest.raises(PlanError, match="has no assignment"), root.db.unit_of_work() as s:
        build_plan(s, context(s, "2026-K1", "NBS"), today=TODAY)


def test_a_plan_made_after_its_round_schedules_nothing_in_the_past(
    accepted: str, root: App
) -> None:
    """Built on 29.11.2026 for a round due in March, no measure is due before that day;
    31.12.2026 is too close to carry a measure out, so the plan starts in 2027H1."""
    made_on = date(2026, 11, 29)
    with root.db.unit_of_work() as s:
        plan, _ = build_plan(s, context(s, "2026-K1", "VID"), today=made_on)
        rows = plan_measures(s, plan)
        assert rows and min(m.due_on for m in rows) == date(2027, 6, 30)
        assert {m.period for m in rows} <= {"2027H1", "2027H2", "2028–2031"}
    # The national report straight after finds nothing overdue.
    with root.db.unit_of_work() as s:
        national = national_context(s, "2026-K1", internal=True, today=made_on)
        assert national["overdue_total"] == 0
    # Building again later in the same half-year changes nothing.
    with root.db.unit_of_work() as s:
        again, created = build_plan(s, context(s, "2026-K1", "VID"), today=date(2026, 12, 20))
        assert not created and again.id == plan.id
    # A measure cannot be moved before the plan's start.
    with pytest.raises(PlanError, match="is not a period end"), root.db.unit_of_work() as s:
        adjust_plan(s, context(s, "2026-K1", "VID"), move={rows[0].measure_id: date(2026, 12, 31)})
