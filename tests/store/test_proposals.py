"""The team shapes its plan proposal through the plan sheet: every change a new version with
its change records, warnings and kept file; a bad sheet stores nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.assignments import State, transition
from pvpp.cli.main import app as cli
from pvpp.exports import export_plan
from pvpp.planning.library import load_library
from pvpp.plans import context, latest_plan, plan_measures, plan_version
from pvpp.policy.models import Lang
from pvpp.proposals import ingest_plan_sheet_files, plan_sheet, take_plan_sheet
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import (
    AuditLog,
    Plan,
    PlanChange,
    PlanMeasure,
    PlanSheet,
    StoredFile,
)
from pvpp.workbook.plan_sheet import alternatives, check_plan_sheet, fill_plan_sheet
from tests.rounds import run_round

ROUND, CODE = "2026-K1", "ARM"  # a weak institution: a long plan with alternatives to choose
LIB = load_library("pvpp2027-v1")


@pytest.fixture
def planned(root: App, spec: QuestionnaireSpec, tmp_path: Path) -> App:
    """A round with ARM's plan version 1 sent to its head."""
    root.db.upgrade()
    run_round(root, spec, tmp_path / "books", [(CODE, CODE)], plans=True)
    with root.db.unit_of_work() as s:
        transition(s, context(s, ROUND, CODE).assignment, State.PLAN_SENT, actor="test")
    return root


def _rows(s: Session, version: int | None = None) -> list[PlanMeasure]:
    ctx = context(s, ROUND, CODE)
    plan = plan_version(s, ctx.assignment, version)
    assert plan is not None
    # Copies: the rows outlive the session they were read in.
    return [PlanMeasure(**r.model_dump()) for r in plan_measures(s, plan)]


def _counts(s: Session) -> tuple[int, ...]:
    tables: list[Any] = [Plan, PlanMeasure, PlanChange, PlanSheet, StoredFile, AuditLog]
    return tuple(s.exec(select(func.count()).select_from(t)).one() for t in tables)


def _sheet(root: App, lang: Lang = "lv") -> bytes:
    with root.db.unit_of_work() as s:
        return plan_sheet(s, ROUND, CODE, lang=lang, settings=root.settings)


def _take(root: App, data: bytes, name: str = "ARM-plāns.xlsx") -> Any:
    with root.db.unit_of_work() as s:
        return take_plan_sheet(
            s,
            data,
            filename=name,
            actor="anna@arm.gov.lv",
            settings=root.settings,
            round_code=ROUND,
        )


def test_each_team_change_makes_a_new_version(planned: App) -> None:
    root = planned
    with root.db.reading() as s:
        v1 = _rows(s, 1)
    with_alt = next(r for r in v1 if alternatives(LIB, (r.item_id, r.dimension_id, r.to_degree)))
    alt = alternatives(LIB, (with_alt.item_id, with_alt.dimension_id, with_alt.to_degree))[0]
    first = [r for r in v1 if r.period == v1[0].period and r.measure_id != with_alt.measure_id]
    moved, dropped, funded = first[0], first[1], first[2]
    # A lower own target for an item with steps above it: those steps leave the proposal.
    item = next(r.item_id for r in v1 if r.to_degree == 4 and r.item_id != with_alt.item_id)
    above = {r.measure_id for r in v1 if r.item_id == item and r.to_degree == 4}
    data = fill_plan_sheet(
        _sheet(root),
        capacity=30,
        decisions={
            with_alt.measure_id: {"decision": "alternative", "alternative": alt},
            moved.measure_id: {"decision": "move", "period": "2028–2031"},
            dropped.measure_id: {"decision": "drop", "reason": "Jau ieviests 2025. gadā"},
            funded.measure_id: {
                "decision": "accept",
                "funding_eur": 15000,
                "funding": "F3",
                "funding_ref": "NAP2027 [316]",
            },
        },
        own=[
            {
                "name": "Pakalpojumu dienas semināri darbiniekiem",
                "item": "1.1",
                "dimension": "D4",
                "period": "2027H1",
                "role": "hr_manager",
                "effort": "M",
            }
        ],
        targets={item: (3, "Līdz 2027. gadam resursi tikai 3. pakāpei")},
    )
    outcome = _take(root, data)
    assert outcome.outcome == "accepted", outcome.problems
    assert outcome.version == 2
    with root.db.reading() as s:
        assert [(r.measure_id, r.period, r.status) for r in _rows(s, 1)] == [
            (r.measure_id, r.period, r.status) for r in v1
        ]  # version 1 is untouched
        v2 = {r.measure_id: r for r in _rows(s, 2)}
        ctx = context(s, ROUND, CODE)
        plan = latest_plan(s, ctx.assignment)
        assert plan is not None
        assert ctx.assignment.state == State.PLANNED.value  # delivered again
        changes = [
            PlanChange(**c.model_dump())
            for c in s.exec(select(PlanChange).where(PlanChange.plan_id == plan.id)).all()
        ]
        sheet_row = PlanSheet(**s.exec(select(PlanSheet)).one().model_dump())
        audit = AuditLog(
            **s.exec(select(AuditLog).where(AuditLog.action == "plan.sheet")).one().model_dump()
        )
        plan = Plan(**plan.model_dump())
    chosen = v2[alt]
    measure = LIB.by_id[alt]
    assert (chosen.origin, chosen.role, chosen.effort) == (
        "alternative",
        measure.role,
        measure.effort,
    )
    assert with_alt.measure_id not in v2
    assert (v2[moved.measure_id].period, str(v2[moved.measure_id].due_on)) == (
        "2028–2031",
        "2031-12-31",
    )
    assert (v2[dropped.measure_id].status, v2[dropped.measure_id].dropped_reason) == (
        "dropped",
        "Jau ieviests 2025. gadā",
    )
    money = v2[funded.measure_id]
    assert (money.funding_eur, money.funding, money.funding_ref) == (15000, ["F3"], "NAP2027 [316]")
    own = v2["OWN-1"]
    assert (own.origin, own.title, own.item_id, own.rv5_measure, own.role, own.effort) == (
        "own",
        "Pakalpojumu dienas semināri darbiniekiem",
        "1.1",
        "P5.1",
        "hr_manager",
        "M",
    )
    assert not above & set(v2)  # the steps above the own target left the proposal
    assert plan.targets == {
        item: {"target": 3, "reason": "Līdz 2027. gadam resursi tikai 3. pakāpei"}
    }
    assert plan.adjustments["capacity_days"] == 30 and plan.adjustments["from_version"] == 1
    assert {
        "code": "target_below_national",
        "params": {
            "item": item,
            "target": 3,
            "national": 4,
            "reason": "Līdz 2027. gadam resursi tikai 3. pakāpei",
        },
    } in plan.warnings
    assert plan.warnings == outcome.warnings
    kinds = sorted(c.kind for c in changes)
    assert kinds == ["accept", "alternative", "capacity", "drop", "move", "own", "target"]
    by_kind = {c.kind: c for c in changes}
    assert by_kind["alternative"].before["measure_id"] == with_alt.measure_id
    assert by_kind["alternative"].after["measure_id"] == alt
    assert by_kind["drop"].reason == "Jau ieviests 2025. gadā"
    assert by_kind["capacity"].before == {"capacity_days": 40}
    assert by_kind["target"].after == {"item": item, "target": 3}
    assert {c.actor for c in changes} == {"anna@arm.gov.lv"}
    assert {c.source for c in changes} == {"ARM-plāns.xlsx"}
    assert (sheet_row.plan_version, sheet_row.new_plan_version) == (1, 2)
    assert audit.detail["changes"] == 7
    # The same file again changes nothing.
    assert _take(root, data).outcome == "duplicate"


def test_a_sheet_of_the_new_version_restates_the_teams_choices(planned: App) -> None:
    root = planned
    with root.db.reading() as s:
        v1 = _rows(s, 1)
    moved, dropped = v1[0], v1[1]
    data = fill_plan_sheet(
        _sheet(root),
        decisions={
            moved.measure_id: {"decision": "move", "period": "2027H2"},
            dropped.measure_id: {"decision": "drop", "reason": "Nav attiecināms"},
        },
        own=[
            {
                "name": "Klientu aptauja",
                "item": "K2",
                "dimension": "D4",
                "period": "2026H2",
                "role": "customer_service",
                "effort": "S",
                "funding": "F1",
            }
        ],
    )
    assert _take(root, data).version == 2
    again = check_plan_sheet(_sheet(root, "en"), settings=root.settings)
    assert again.status == "accepted", again.problems
    decided = {d.measure_id: (d.decision, d.new_period, d.reason) for d in again.decisions}
    assert decided[moved.measure_id] == ("move", "2027H2", "")
    assert decided[dropped.measure_id] == ("drop", "", "Nav attiecināms")
    assert [o.name for o in again.own] == ["Klientu aptauja"]
    # Taken back unchanged, it makes the same plan and records no change.
    outcome = _take(root, _sheet(root, "en"), "again.xlsx")
    assert (outcome.version, outcome.changes) == (3, 0)
    with root.db.reading() as s:
        assert [(r.measure_id, r.period, r.status) for r in _rows(s, 3)] == [
            (r.measure_id, r.period, r.status) for r in _rows(s, 2)
        ]


def test_conflicts_are_warnings_and_the_teams_choice_stands(planned: App) -> None:
    root = planned
    with root.db.reading() as s:
        v1 = _rows(s, 1)
    lower = next(
        r
        for r in v1
        if any(
            o.item_id == r.item_id
            and o.dimension_id == r.dimension_id
            and o.to_degree == r.to_degree + 1
            and o.period != "2028–2031"
            for o in v1
        )
    )
    upper = next(
        o
        for o in v1
        if (o.item_id, o.dimension_id, o.to_degree)
        == (lower.item_id, lower.dimension_id, lower.to_degree + 1)
    )
    # Everything of the last half-year moved into the first: more than the capacity.
    crowd = {
        r.measure_id: {"decision": "move", "period": v1[0].period}
        for r in v1
        if r.period == "2027H2" and r.measure_id != upper.measure_id
    }
    data = fill_plan_sheet(
        _sheet(root),
        decisions={**crowd, lower.measure_id: {"decision": "move", "period": upper.period}},
    )
    outcome = _take(root, data)
    assert outcome.outcome == "accepted"
    codes = [w["code"] for w in outcome.warnings]
    assert "capacity_exceeded" in codes and "lower_step_not_before" in codes
    with root.db.reading() as s:
        v2 = {r.measure_id: r for r in _rows(s, 2)}
    assert v2[lower.measure_id].period == upper.period  # kept as the team chose


def test_a_bad_sheet_is_rejected_and_stores_nothing(planned: App) -> None:
    root = planned
    with root.db.reading() as s:
        v1 = _rows(s, 1)
        before = _counts(s)
    data = fill_plan_sheet(
        _sheet(root),
        capacity="daudz",
        decisions={
            v1[0].measure_id: {"decision": "drop"},
            v1[1].measure_id: {"decision": "alternative", "alternative": "M-XX-D1-1"},
            v1[2].measure_id: {"decision": "move", "period": "2030H1"},
        },
        targets={"1.1": (0, "")},
    )
    outcome = _take(root, data)
    assert outcome.outcome == "rejected"
    codes = {p["code"] for p in outcome.problems}
    assert {
        "plan_bad_capacity",
        "plan_drop_needs_reason",
        "plan_unknown_alternative",
        "plan_bad_period",
    } <= codes
    with root.db.reading() as s:
        assert _counts(s) == before
        assert context(s, ROUND, CODE).assignment.state == State.PLAN_SENT.value
    # A sheet made for an older version is refused once a newer one exists.
    old = _sheet(root)
    assert _take(root, fill_plan_sheet(old, capacity=35)).version == 2
    with root.db.reading() as s:
        before = _counts(s)
    stale = _take(root, fill_plan_sheet(old, capacity=20), "old.xlsx")
    assert [p["code"] for p in stale.problems] == ["plan_stale"]
    assert "versijai 1" in stale.problems[0]["message"]
    with root.db.reading() as s:
        assert _counts(s) == before


def test_cli_builds_and_takes_a_sheet(planned: App, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "ARM.xlsx"
    result = runner.invoke(
        cli, ["plan", "sheet", ROUND, CODE, "--out", str(out), "--lang", "en"], obj=planned
    )
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.xlsx"
    with planned.db.reading() as s:
        first = _rows(s, 1)[0].measure_id
    bad.write_bytes(fill_plan_sheet(out.read_bytes(), decisions={first: {"decision": "drop"}}))
    result = runner.invoke(cli, ["plan", "take", ROUND, str(bad)], obj=planned)
    assert result.exit_code == 1
    assert "The plan sheet cannot be accepted: 1 problem." in result.output
    assert f"Plan proposal!K8: Step {first}" in result.output
    good = tmp_path / "good.xlsx"
    big = {
        "name": "Service days",
        "item": "1.1",
        "dimension": "D4",
        "period": "2026H2",
        "role": "head",
        "effort": "L",
    }
    good.write_bytes(fill_plan_sheet(out.read_bytes(), capacity=10, own=[big]))
    result = runner.invoke(
        cli, ["plan", "take", ROUND, str(good), "--actor", "anna@arm.gov.lv"], obj=planned
    )
    assert result.exit_code == 0, result.output
    assert "Plan sheet accepted: plan version 2 made." in result.output
    assert "exceed the team's capacity" in result.output
    with planned.db.reading() as s:
        actors = s.exec(select(PlanChange.actor).where(col(PlanChange.kind) == "capacity")).all()
    assert actors == ["anna@arm.gov.lv"]


def test_the_drop_folder_intake_takes_each_sheet_once(planned: App, tmp_path: Path) -> None:
    folder = tmp_path / "plan-sheets"
    folder.mkdir()
    (folder / "ARM.xlsx").write_bytes(fill_plan_sheet(_sheet(planned), capacity=35))
    (folder / "wrong.xlsx").write_bytes(b"not a workbook")
    rows = ingest_plan_sheet_files(
        [folder], source="flow", settings=planned.settings, db=planned.db
    )
    assert [(Path(r.file).name, r.outcome, r.version) for r in rows] == [
        ("ARM.xlsx", "accepted", 2),
        ("wrong.xlsx", "rejected", None),
    ]
    again = ingest_plan_sheet_files(
        [folder], source="flow", settings=planned.settings, db=planned.db
    )
    assert [r.outcome for r in again] == ["duplicate", "rejected"]


def test_an_own_measure_is_exported_by_its_name(planned: App, tmp_path: Path) -> None:
    own = {
        "name": "Klientu aptauja par e-pakalpojumu",
        "item": "K2",
        "dimension": "D4",
        "period": "2026H2",
        "role": "customer_service",
        "effort": "S",
    }
    assert _take(planned, fill_plan_sheet(_sheet(planned), own=[own])).version == 2
    with planned.db.unit_of_work() as s:
        export_plan(s, ROUND, CODE, tmp_path / "plan.xlsx")
    book = load_workbook(tmp_path / "plan.xlsx")
    values = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "OWN-1" in values and "Klientu aptauja par e-pakalpojumu" in values


def test_service_measures_survive_the_sheet_and_the_proposal_keeps_capacity(
    planned: App,
) -> None:
    """The re-run under the team's inputs proposes the P5.2 service measures too (naming the
    same services), and neither proposal asks more of a half-year than the capacity."""
    root = planned
    with root.db.reading() as s:
        before = _rows(s)
    services = {r.measure_id: r.services for r in before if r.services}
    assert services, "ARM names services that fall short of a condition group"
    assert all(r.rv5_measure == "P5.2" for r in before if r.services)

    def busiest(rows: list[PlanMeasure]) -> int:
        days: dict[str, int] = {}
        for r in rows:
            if r.period != "2028–2031":
                days[r.period] = days.get(r.period, 0) + LIB.effort_days[r.effort]
        return max(days.values())

    assert busiest(before) <= 40
    out = _take(root, fill_plan_sheet(_sheet(root), capacity=30))
    assert out.outcome == "accepted", out.problems
    with root.db.reading() as s:
        after = _rows(s, out.version)
    assert {r.measure_id: r.services for r in after if r.services} == services
    assert busiest(after) <= 30
    assert not [w for w in out.warnings if w["code"] == "capacity_exceeded"]
