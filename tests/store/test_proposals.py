"""The team shapes its plan proposal through the plan sheet: every change a new version with
its change records, warnings and kept file; every sheet is kept and answered by email once
(its problems, or the new version and the warnings); a bad sheet changes no plan."""

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
from pvpp.planning.recheck import warning_text
from pvpp.plans import context, latest_plan, plan_measures, plan_version
from pvpp.policy.models import Lang
from pvpp.proposals import ingest_plan_sheet_files, plan_sheet, take_plan_sheet
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import (
    AuditLog,
    OutboxMessage,
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


def _plan_counts(s: Session) -> tuple[int, ...]:
    tables: list[Any] = [Plan, PlanMeasure, PlanChange]
    return tuple(s.exec(select(func.count()).select_from(t)).one() for t in tables)


def _sheet_mails(s: Session) -> list[OutboxMessage]:
    """The emails that answered plan sheets, oldest first (copies: they outlive ``s``)."""
    rows = s.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.kind).in_(["plan_sheet_returned", "plan_sheet_taken"]))
        .order_by(col(OutboxMessage.id))
    ).all()
    return [OutboxMessage(**m.model_dump()) for m in rows]


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


def test_a_bad_sheet_is_kept_with_its_problems_returned_once_and_changes_no_plan(
    planned: App,
) -> None:
    root = planned
    with root.db.reading() as s:
        v1 = _rows(s, 1)
        plans_before = _plan_counts(s)
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
    assert (outcome.outcome, outcome.mailed) == ("rejected", "plan_sheet_returned")
    codes = {p["code"] for p in outcome.problems}
    assert {
        "plan_bad_capacity",
        "plan_drop_needs_reason",
        "plan_unknown_alternative",
        "plan_bad_period",
    } <= codes
    with root.db.reading() as s:
        assert _plan_counts(s) == plans_before  # no version, no change record
        assert context(s, ROUND, CODE).assignment.state == State.PLAN_SENT.value
        sheet = PlanSheet(**s.exec(select(PlanSheet)).one().model_dump())
        assert s.get(StoredFile, sheet.file_sha256) is not None  # the file is kept
        mails = _sheet_mails(s)
    assert sheet.id == outcome.sheet_id
    assert (sheet.status, sheet.plan_version, sheet.new_plan_version) == ("rejected", 1, None)
    assert sheet.assignment_id is not None
    assert sheet.problems == outcome.problems
    assert [(m.kind, m.version, m.lang) for m in mails] == [("plan_sheet_returned", sheet.id, "lv")]
    body = mails[0].body_text
    # Every problem with its sheet and cell, in the sheet's language, and what to do.
    k8 = next(p for p in sheet.problems if p["code"] == "plan_drop_needs_reason")
    assert f"- '{k8['sheet']}'!{k8['cell']}: {k8['message']}" in body
    assert "'Plāna priekšlikums'!F5: " in body  # the capacity cell
    assert "novērst tālāk norādītās nepilnības" in body
    assert "P2.4 individuālais pilnveides plāns" in body and "ARM-plāns.xlsx" in body
    # The same file again: a duplicate, nothing new kept or mailed, not checked again.
    again = _take(root, data)
    assert (again.outcome, again.first_outcome, again.sheet_id) == (
        "duplicate",
        "rejected",
        sheet.id,
    )
    assert again.problems == sheet.problems
    with root.db.reading() as s:
        assert s.exec(select(func.count()).select_from(PlanSheet)).one() == 1
        assert len(_sheet_mails(s)) == 1


def test_a_stale_sheet_is_returned_and_an_unmatched_one_kept_without_mail(
    planned: App,
) -> None:
    root = planned
    old = _sheet(root)
    assert _take(root, fill_plan_sheet(old, capacity=35)).version == 2
    with root.db.reading() as s:
        plans_before = _plan_counts(s)
    stale = _take(root, fill_plan_sheet(old, capacity=20), "old.xlsx")
    assert [p["code"] for p in stale.problems] == ["plan_stale"]
    assert "versijai 1" in stale.problems[0]["message"]
    with root.db.reading() as s:
        assert _plan_counts(s) == plans_before
        kept = PlanSheet(
            **s.exec(select(PlanSheet).where(PlanSheet.id == stale.sheet_id)).one().model_dump()
        )
        mails = _sheet_mails(s)
    assert (kept.status, kept.plan_version, kept.new_plan_version) == ("rejected", 1, None)
    assert [m.kind for m in mails] == ["plan_sheet_taken", "plan_sheet_returned"]
    assert "lejupielādēt jaunu plāna lapu" in mails[1].body_text
    # A file that is no plan sheet is kept too, but has nobody to write back to.
    junk = _take(root, b"not a workbook", "junk.xlsx")
    assert (junk.outcome, junk.mailed) == ("rejected", None)
    with root.db.reading() as s:
        row = s.get(PlanSheet, junk.sheet_id)
        assert row is not None and (row.assignment_id, row.plan_version) == (None, None)
        assert row.problems and len(_sheet_mails(s)) == 2
    # A sheet of another round (the operator's slip) is refused and not kept.
    with root.db.reading() as s:
        before = _counts(s)
    with root.db.unit_of_work() as s:
        other = take_plan_sheet(
            s, _sheet(root), filename="x.xlsx", settings=root.settings, round_code="2027-K2"
        )
    assert [p["code"] for p in other.problems] == ["wrong_round"]
    with root.db.reading() as s:
        assert _counts(s) == before and len(_sheet_mails(s)) == 2


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_an_accepted_sheet_tells_the_team_the_version_and_the_warnings(
    planned: App, lang: Lang
) -> None:
    root = planned
    with root.db.reading() as s:
        v1 = _rows(s, 1)
    lower = next(r for r in v1 if r.to_degree == 1 and r.period != "2028–2031")
    upper = next(
        o
        for o in v1
        if (o.item_id, o.dimension_id, o.to_degree) == (lower.item_id, lower.dimension_id, 2)
    )
    data = fill_plan_sheet(
        _sheet(root, lang),
        capacity=10,
        decisions={lower.measure_id: {"decision": "drop", "reason": "Nav resursu"}},
    )
    outcome = _take(root, data)
    assert (outcome.outcome, outcome.mailed) == ("accepted", "plan_sheet_taken")
    assert outcome.warnings
    with root.db.reading() as s:
        sheet = PlanSheet(**s.exec(select(PlanSheet)).one().model_dump())
        mails = _sheet_mails(s)
        changes = s.exec(select(func.count()).select_from(PlanChange)).one()
        head = context(s, ROUND, CODE).institution.head_name
    assert (sheet.status, sheet.plan_version, sheet.new_plan_version) == ("accepted", 1, 2)
    assert sheet.problems == []
    assert [(m.kind, m.version, m.lang) for m in mails] == [("plan_sheet_taken", sheet.id, lang)]
    body = mails[0].body_text
    version, recorded = (
        ("Jaunā plāna versija: 2", "Reģistrēto izmaiņu skaits:")
        if lang == "lv"
        else ("New plan version: 2", "Changes recorded:")
    )
    assert version in body and f"{recorded} {changes}" in body and changes == outcome.changes
    # Every warning worded in the team's language, each code followed by its name.
    for w in outcome.warnings:
        assert f"- {warning_text(w, LIB, lang)}" in body
    assert any(w["code"] == "lower_step_dropped" for w in outcome.warnings)
    measure = LIB.by_id[upper.measure_id]
    assert f"{upper.measure_id} “{measure.title.text(lang)}”" in body
    item = LIB.policy.item(upper.item_id)
    assert f"{upper.item_id} {item.name.text(lang)}" in body
    words = {
        "lv": (
            "Plānotāja brīdinājumi:",
            "iestādes vadītājam apstiprināšanai",
            "P2.4 individuālais",
        ),
        "en": ("Planner warnings:", "head of the institution for approval", "P2.4 individual"),
    }[lang]
    assert all(w in body for w in words)
    assert head in body
    # Taken again: a duplicate, no second mail.
    assert _take(root, data).first_outcome == "accepted"
    with root.db.reading() as s:
        assert len(_sheet_mails(s)) == 1


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
    assert "Email to the team queued: plan_sheet_returned." in result.output
    # The same file again: reported with its problems, kept and mailed only the first time.
    result = runner.invoke(cli, ["plan", "take", ROUND, str(bad)], obj=planned)
    assert result.exit_code == 1
    assert "already received and rejected" in result.output
    assert f"Plan proposal!K8: Step {first}" in result.output
    with planned.db.reading() as s:
        assert [(m.kind, m.lang) for m in _sheet_mails(s)] == [("plan_sheet_returned", "en")]
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
    assert "Email to the team queued: plan_sheet_taken." in result.output
    with planned.db.reading() as s:
        actors = s.exec(select(PlanChange.actor).where(col(PlanChange.kind) == "capacity")).all()
    assert actors == ["anna@arm.gov.lv"]


def test_the_drop_folder_intake_takes_each_sheet_once(planned: App, tmp_path: Path) -> None:
    """Each run of the follow-up flow reads the whole folder: a sheet received before is a
    duplicate, so a rejected one left there is neither checked nor mailed about again."""
    folder = tmp_path / "plan-sheets"
    folder.mkdir()
    blank = _sheet(planned)
    with planned.db.reading() as s:
        first = _rows(s, 1)[0].measure_id
    (folder / "ARM.xlsx").write_bytes(fill_plan_sheet(blank, capacity=35))
    (folder / "ARM-bad.xlsx").write_bytes(
        fill_plan_sheet(blank, decisions={first: {"decision": "drop"}})
    )
    (folder / "wrong.xlsx").write_bytes(b"not a workbook")
    rows = ingest_plan_sheet_files(
        [folder], source="flow", settings=planned.settings, db=planned.db
    )
    assert [(Path(r.file).name, r.outcome, r.version, r.mailed) for r in rows] == [
        ("ARM-bad.xlsx", "rejected", None, "plan_sheet_returned"),
        ("ARM.xlsx", "accepted", 2, "plan_sheet_taken"),
        ("wrong.xlsx", "rejected", None, None),
    ]
    with planned.db.reading() as s:
        kept = {r.filename: (r.status, r.source) for r in s.exec(select(PlanSheet)).all()}
        mails = [(m.kind, m.version) for m in _sheet_mails(s)]
        before = _counts(s)
    assert kept == {
        "ARM-bad.xlsx": ("rejected", f"flow:{folder / 'ARM-bad.xlsx'}"),
        "ARM.xlsx": ("accepted", f"flow:{folder / 'ARM.xlsx'}"),
        "wrong.xlsx": ("rejected", f"flow:{folder / 'wrong.xlsx'}"),
    }
    assert sorted(k for k, _ in mails) == ["plan_sheet_returned", "plan_sheet_taken"]
    again = ingest_plan_sheet_files(
        [folder], source="flow", settings=planned.settings, db=planned.db
    )
    assert [(r.outcome, r.first_outcome) for r in again] == [
        ("duplicate", "rejected"),
        ("duplicate", "accepted"),
        ("duplicate", "rejected"),
    ]
    with planned.db.reading() as s:
        assert _counts(s) == before
        assert [(m.kind, m.version) for m in _sheet_mails(s)] == mails


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


def test_the_changes_name_who_filled_the_sheet(planned: App) -> None:
    """The change records name the person the sheet says filled it (else the sender); a
    name longer than the cell allows rejects the sheet."""
    root = planned
    with root.db.reading() as s:
        first = _rows(s)[0]
    move = {first.measure_id: {"decision": "move", "period": "2028–2031"}}
    too_long = fill_plan_sheet(_sheet(root), filled_by="x" * 201, decisions=move)
    assert _take(root, too_long).outcome == "rejected"
    out = _take(root, fill_plan_sheet(_sheet(root), filled_by="Anna Liepa, anna@arm.gov.lv",
                                      decisions=move))  # fmt: skip
    assert out.outcome == "accepted", out.problems
    with root.db.reading() as s:
        plan = plan_version(s, context(s, ROUND, CODE).assignment, out.version)
        assert plan is not None
        actors = s.exec(select(PlanChange.actor).where(PlanChange.plan_id == plan.id)).all()
    assert actors and set(actors) == {"Anna Liepa, anna@arm.gov.lv"}
