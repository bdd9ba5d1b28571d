"""RV5 follow-up: status sheets out and back, re-plans, reminders, escalations; milestones."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pydantic import SecretStr
from sqlmodel import select

from pvpp.app import App
from pvpp.assignments import State, transition
from pvpp.delivery import queue_plans
from pvpp.documents.national_pdf import national_context
from pvpp.exports import export_plan
from pvpp.followup import ingest_status_files, remind_statuses, request_statuses
from pvpp.i18n import t
from pvpp.mail.compose import overdue_measures, queue_followup
from pvpp.mail.outbox import build_email
from pvpp.measures import count_by_state
from pvpp.milestones import MilestoneError, milestones, record_milestones, set_milestone
from pvpp.plans import context, latest_plan, plan_measures
from pvpp.queries import measure_facts
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.settings import Settings
from pvpp.states.plan_measure import MeasureState
from pvpp.store.models import OutboxMessage, StatusReport
from pvpp.workbook.status import StatusRow, build_status_sheet, check_status_sheet
from tests.rounds import run_round

KEY = b"test-key-of-the-status-sheets-0123456789"
PERIOD, NEXT = date(2026, 12, 31), date(2027, 6, 30)


def sheet(rows: int = 3, key: bytes | None = None) -> bytes:
    return build_status_sheet(
        institution_code="VID", institution_name="Valsts ieņēmumu dienests",
        round_code="2026-K1", plan_version=1, period_end=PERIOD, respond_by=date(2026, 7, 21),
        rows=[StatusRow(f"M-{i}", f"Pasākums {i} — ģērbonis", PERIOD) for i in range(rows)],
        later_dues=[NEXT, date(2027, 12, 31)], lang="lv", key=key or KEY,
    )  # fmt: skip


def filled(data: bytes, values: dict[str, object]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    for ref, value in values.items():
        wb["Statuss"][ref] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def key_settings(root: App) -> Settings:
    """The root's settings, signing with this module's key."""
    root.settings.secret_key = SecretStr(KEY.decode())
    return root.settings


def test_a_filled_sheet_is_accepted_with_each_update(key_settings, root: App) -> None:
    data = filled(sheet(), {
        "E8": "Izpildīts", "E9": "Jāpārceļ termiņš", "F9": "2027-06-30",
        "E10": "Netiks īstenots", "G10": "Nav finansējuma līdz 2027. gadam",
    })  # fmt: skip
    result = check_status_sheet(data, settings=root.settings)
    assert result.status == "accepted", result.problems
    assert [(u.measure_id, u.status, u.new_due) for u in result.updates] == [
        ("M-0", "done", None), ("M-1", "move", NEXT), ("M-2", "drop", None),
    ]  # fmt: skip
    assert result.meta is not None and result.meta.plan_version == 1


def test_every_problem_at_once_by_cell(key_settings, root: App) -> None:
    data = filled(sheet(4), {
        "E8": "Gandrīz", "E9": "Jāpārceļ termiņš", "E10": "Jāpārceļ termiņš",
        "F10": "2026-06-30", "E11": "Netiks īstenots",
    })  # fmt: skip
    result = check_status_sheet(data, settings=root.settings)
    assert result.status == "rejected" and result.updates == []
    got = [(p["code"], p["cell"]) for p in result.problems]
    assert got == [
        ("status_not_in_list", "E8"), ("status_move_needs_date", "F9"),
        ("status_bad_date", "F10"), ("status_drop_needs_reason", "G11"),
    ]  # fmt: skip
    assert "“Gandrīz” nav no saraksta" in result.problems[0]["message"]
    assert "2027-06-30" in result.problems[1]["message"]


def test_unanswered_is_incomplete_and_a_foreign_key_is_refused(key_settings, root: App) -> None:
    result = check_status_sheet(filled(sheet(2), {"E8": "Procesā"}), settings=root.settings)
    assert result.status == "incomplete"
    assert [(p["code"], p["cell"]) for p in result.problems] == [("status_unanswered", "E9")]
    forged = check_status_sheet(sheet(key=b"someone-else"), settings=root.settings)
    assert [p["code"] for p in forged.problems] == ["bad_signature"]
    assert check_status_sheet(b"not a workbook", settings=root.settings).status == "rejected"


def _plans_sent(root: App, spec: QuestionnaireSpec, tmp_path: Path, codes: list[str]) -> None:
    run_round(root, spec, tmp_path / "books", [(c, c) for c in codes], plans=True)
    with root.db.unit_of_work() as s:
        for code in codes:
            transition(s, context(s, "2026-K1", code).assignment, State.PLAN_SENT, actor="test")


def _sheet_from_outbox(root: App, code: str) -> bytes:
    with root.db.unit_of_work() as s:
        row = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "followup", OutboxMessage.institution_code == code
            )
        ).one()
        msg = build_email(row, s, root.settings)
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == f"PVPP-statuss-2026-K1-{code}-2026-12-31.xlsx"
    return part.get_content()


def test_status_round_trip_replans_reminds_and_escalates(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    _plans_sent(root, spec, tmp_path, ["VID", "UR"])
    sent = tmp_path / "sent"
    with root.db.unit_of_work() as s:
        assert (
            request_statuses(s, "2026-K1", date(2026, 5, 1), settings=root.settings) == []
        )  # no period end yet
        assert request_statuses(
            s, "2026-K1", date(2027, 1, 5), folder=sent, settings=root.settings
        ) == ["UR", "VID"]
        assert (
            request_statuses(s, "2026-K1", date(2027, 1, 6), settings=root.settings) == []
        )  # once per period
        vid = context(s, "2026-K1", "VID")
        assert vid.assignment.state == State.IN_FOLLOW_UP.value
        due = [m for m in plan_measures(s, latest_plan(s, vid.assignment)) if m.due_on <= PERIOD]
    assert sorted(p.name for p in sent.iterdir()) == ["UR-2026-12-31.xlsx", "VID-2026-12-31.xlsx"]
    data = _sheet_from_outbox(root, "VID")
    assert data == (sent / "VID-2026-12-31.xlsx").read_bytes()
    assert len(due) >= 3
    first, moved, dropped = due[0].measure_id, due[1].measure_id, due[2].measure_id
    ws = load_workbook(io.BytesIO(data))["Statuss"]
    rows = {ws[f"B{r}"].value: r for r in range(8, 8 + len(due))}
    values: dict[str, object] = {f"E{r}": "Procesā" for r in rows.values()}
    values |= {
        f"E{rows[first]}": "Izpildīts",
        f"E{rows[moved]}": "Jāpārceļ termiņš", f"F{rows[moved]}": "2027-06-30",
        f"E{rows[dropped]}": "Netiks īstenots", f"G{rows[dropped]}": "Pārklājas ar ES projektu",
    }  # fmt: skip
    inbox = tmp_path / "status"
    inbox.mkdir()
    (inbox / "VID-bad.xlsx").write_bytes(filled(data, {f"E{rows[first]}": "Varbūt"}))
    (inbox / "VID.xlsx").write_bytes(filled(data, values))
    out = ingest_status_files([inbox], settings=root.settings, db=root.db)
    assert [(r.outcome, r.new_plan_version) for r in out] == [("rejected", None), ("accepted", 2)]
    assert [
        r.outcome for r in ingest_status_files([inbox], settings=root.settings, db=root.db)
    ] == ["duplicate", "duplicate"]
    with root.db.unit_of_work() as s:
        reports = s.exec(select(StatusReport).order_by(StatusReport.id)).all()
        assert [r.status for r in reports] == ["rejected", "accepted"]
        assert reports[1].supersedes_id == reports[0].id  # both kept
        kinds = [r.kind for r in s.exec(select(OutboxMessage)).all()]
        assert kinds.count("status_returned") == 1
        vid = context(s, "2026-K1", "VID")
        assert vid.assignment.state == State.PLANNED.value
        plan = latest_plan(s, vid.assignment)
        assert plan is not None and plan.version == 2
        by_id = {m.measure_id: m for m in plan_measures(s, plan)}
        assert by_id[moved].due_on == NEXT and by_id[dropped].status == "dropped"
        # Escalation: the measure reported done is not overdue; the others are.
        late = {m.measure_id for m, _ in overdue_measures(s, plan, date(2027, 2, 1), 14)}
        assert first not in late and moved not in late and dropped not in late
        # Steps above the dropped one on its dimension are dropped with it.
        still_open = {m.measure_id for m in due[3:] if by_id[m.measure_id].status != "dropped"}
        assert late == still_open
        # The national report counts overdue measures by the same rule: the one reported
        # done, the moved one and the dropped one are not overdue.
        national = national_context(s, "2026-K1", internal=True, today=date(2027, 2, 1))
        vid_late = [o["late"] for o in national["overdue"] if o["label"] == "VID"]
        assert vid_late == [len(still_open)]
        # The plan's measures count as done once the team has said so.
        states = count_by_state(f for _, f in measure_facts(s, plan))
        assert states[MeasureState.DONE] == 1 and states[MeasureState.DROPPED] >= 1
        # ... and so does the plan export, which said 0 done whatever teams reported.
        export_plan(s, "2026-K1", "VID", tmp_path / "plan.xlsx")
    summary = load_workbook(tmp_path / "plan.xlsx").worksheets[0]
    figures = {row[0].value: row[1].value for row in summary.iter_rows() if row[0].value}
    assert figures[t("exports.plan.measures_done", "lv")] == 1
    assert figures[t("exports.plan.measures_dropped", "lv")] == states[MeasureState.DROPPED]
    with root.db.unit_of_work() as s:
        # UR never answered: one reminder after 14 days, and only one.
        assert remind_statuses(s, "2026-K1", date(2027, 1, 10), settings=root.settings) == []
        assert remind_statuses(s, "2026-K1", date(2027, 1, 20), settings=root.settings) == ["UR"]
        assert remind_statuses(s, "2026-K1", date(2027, 1, 30), settings=root.settings) == []
        # The next request lists what is still open: not the measure reported done, nor
        # the one given up; the moved one is due again.
        row, created = queue_followup(
            s, round_code="2026-K1", institution="VID", respond_by=date(2027, 7, 21),
            period_end=NEXT, settings=root.settings
        )  # fmt: skip
        assert created
        assert first not in row.body_text and dropped not in row.body_text
        assert moved in row.body_text
    # The re-planned version goes to the head like any plan version.
    assert [
        q.outcome
        for q in queue_plans(
            "2026-K1", ["VID"], settings=root.settings, db=root.db, today=root.today()
        )
    ] == ["queued"]


def test_milestones_are_recorded_once_and_tracked(
    store: str, spec: QuestionnaireSpec, root: App
) -> None:
    run_round(root, spec, Path("/nonexistent"), [])
    with root.db.unit_of_work() as s:
        made = record_milestones(s, "2026-K1")
        assert made >= 4 and record_milestones(s, "2026-K1") == 0
        set_milestone(s, "2026-K1", "P4.1", state="done", note="Vadlīnijas publicētas")
        with pytest.raises(MilestoneError, match="state must be one of"):
            set_milestone(s, "2026-K1", "P4.1", state="finished")
        with pytest.raises(MilestoneError, match=r"no milestone P1\.1"):
            set_milestone(s, "2026-K1", "P1.1", state="done")
        rows = {r["measure"]: r for r in milestones(s, "2026-K1", date(2028, 1, 1))}
    assert {m[:2] for m in rows} == {"P2", "P3", "P4"}
    assert {m for m in rows if m.startswith("P2")} == {"P2.1", "P2.2"}
    assert rows["P4.1"]["state"] == "done" and not rows["P4.1"]["late"]
    assert rows["P3.1"]["late"] and rows["P3.1"]["text_lv"].startswith("pilnveidot")


def test_cli_lists_milestones_and_reports_bad_status_sheets(
    spec: QuestionnaireSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: App
) -> None:
    from typer.testing import CliRunner

    from pvpp.cli.main import app

    root.db.upgrade()
    run_round(root, spec, tmp_path / "none", [])
    runner = CliRunner()
    out = runner.invoke(app, ["round", "milestones", "2026-K1", "--measure", "P3.1",
                              "--state", "in_progress", "--note", "Grozījumi MK"],
                        obj=root)  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "P3.1" in out.stdout and "in_progress" in out.stdout and "P4.4" in out.stdout
    bad = runner.invoke(app, ["round", "milestones", "2026-K1", "--measure", "P3.1",
                              "--state", "finished"], obj=root)  # fmt: skip
    assert bad.exit_code == 1 and "state must be one of" in bad.stderr
    (tmp_path / "junk.xlsx").write_bytes(b"PK\x03\x04 not really")
    got = runner.invoke(app, ["followup", "ingest", str(tmp_path / "junk.xlsx")], obj=root)
    assert got.exit_code == 1
    assert "rejected" in got.stdout and "bojāta" in got.stdout


def test_the_assessment_guidelines_and_their_training_are_milestones(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    """RV2 P2.1 (the assessment guidelines) and P2.2 (training on them) are tracked with
    the RV3/RV4 measures; nothing of RV1 or RV5 is."""
    from pvpp.milestones import milestone_measures
    from pvpp.policy import load_policy

    measures = [m.id for m in milestone_measures(load_policy("pvpp2027-v1"))]
    assert measures[:2] == ["P2.1", "P2.2"] and "P3.1" in measures and "P4.6" in measures
    assert not {"P1.1", "P2.3", "P5.1"} & set(measures)
    run_round(root, spec, tmp_path, [("VID", "VID")], round_code="M")
    with root.db.unit_of_work() as s:
        record_milestones(s, "M")
        set_milestone(s, "M", "P2.1", state="done", note="Vadlīnijas apstiprinātas")
        rows = {r["measure"]: r for r in milestones(s, "M", date(2026, 4, 1))}
    assert rows["P2.1"]["state"] == "done" and rows["P2.1"]["text_lv"].startswith("izveidot “Vad")
    assert rows["P2.2"]["state"] == "planned"
