"""Late workbooks: a file arriving after the plan went to the head is kept and reported,
never applied (no move back to "returned" or "submitted", no new answers, no re-plan),
until a coordinator reopens the institution with ``pvpp round reopen``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.main import app as cli
from pvpp.delivery import record_sent_plans
from pvpp.mail.compose import queue_plan
from pvpp.plans import context
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.rounds import assignment_codes
from pvpp.states.assignment import PLAN_OUT
from pvpp.store.models import AnswerSet, Plan, StoredFile, Submission, Transition
from pvpp.submissions import Outcome, ingest_paths
from tests.rounds import run_round

ROUND = "2026-K1"
runner = CliRunner()


@pytest.fixture
def plan_sent(store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App) -> Iterator[str]:
    """VID's plan v1 delivered to its head: the assignment is "plan_sent"."""
    run_round(root, spec, tmp_path / "in", [("VID", "Valsts ieņēmumu dienests")], plans=True)
    with root.db.unit_of_work() as s:
        message, _ = queue_plan(
            s, round_code=ROUND, institution="VID", plan_version=1, pdf=b"%PDF plan",
            today=date(2026, 4, 1), settings=root.settings,
        )  # fmt: skip
        message.state = "sent"
        s.add(message)
        s.flush()
        assert record_sent_plans(s) == 1
    yield store


def _state(root: App) -> str:
    with root.db.unit_of_work() as s:
        return context(s, ROUND, "VID").assignment.state


def _counts(root: App) -> tuple[int, int, int]:
    with root.db.unit_of_work() as s:
        return (
            len(s.exec(select(Transition)).all()),
            len(s.exec(select(AnswerSet)).all()),
            len(s.exec(select(Plan)).all()),
        )


def _ingest(root: App, tmp_path: Path, name: str, data: bytes) -> list[str]:
    path = tmp_path / name
    path.write_bytes(data)
    result = runner.invoke(cli, ["submissions", "ingest", str(path)], obj=root)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_an_incomplete_workbook_after_the_plan_was_sent_is_kept_not_applied(
    plan_sent: str, blank_lv: bytes, tmp_path: Path, root: App
) -> None:
    before = _counts(root)
    (row,) = ingest_paths(
        [_write(tmp_path, "stale.xlsx", blank_lv)], settings=root.settings, db=root.db
    )
    # Not moved backwards (today's defect: "returned", out of follow-up and escalation).
    assert _state(root) == "plan_sent"
    assert row.outcome.value == "late" and row.institution == "VID"
    assert "kept, not applied" in row.detail and "incomplete" in row.detail
    # Not moved backwards: still plan_sent, still in follow-up and escalation.
    assert _state(root) == "plan_sent"
    with root.db.unit_of_work() as s:
        assert "VID" in assignment_codes(s, ROUND, PLAN_OUT)
        sub = s.exec(select(Submission).order_by(col(Submission.id).desc())).first()
        assert sub is not None and sub.id == row.submission_id
        assert (sub.status, sub.late_state) == ("incomplete", "plan_sent")
        assert s.get(StoredFile, sub.file_sha256) is not None  # the file is kept
    assert _counts(root) == before  # no transition, no answers, no plan

    # Coordinators see it in the round status.
    status = runner.invoke(cli, ["round", "status", ROUND, "--json"], obj=root)
    (vid,) = [r for r in json.loads(status.stdout)["institutions"] if r["code"] == "VID"]
    assert vid["state"] == "plan_sent"
    (late,) = vid["late_files"]
    assert (late["filename"], late["status"], late["state"]) == (
        "stale.xlsx",
        "incomplete",
        "plan_sent",
    )
    shown = runner.invoke(cli, ["round", "status", ROUND], obj=root)
    assert "VID: late workbook stale.xlsx (incomplete" in shown.stdout


def test_a_valid_late_workbook_does_not_re_plan_and_ingest_reports_it(
    plan_sent: str, filled_lv: bytes, tmp_path: Path, root: App
) -> None:
    before = _counts(root)
    lines = _ingest(root, tmp_path, "newer.xlsx", filled_lv)
    assert any("late" in line for line in lines)
    assert any(line.startswith("late: 1") or " late: 1" in line for line in lines)
    assert _state(root) == "plan_sent"
    assert _counts(root) == before  # the plan the head has is still the plan


def test_reopen_applies_the_late_file_with_who_and_why(
    plan_sent: str, filled_lv: bytes, tmp_path: Path, root: App
) -> None:
    ingest_paths([_write(tmp_path, "newer.xlsx", filled_lv)], settings=root.settings, db=root.db)
    with root.db.unit_of_work() as s:
        late_id = s.exec(select(Submission.id).where(Submission.filename == "newer.xlsx")).one()
    reopened = runner.invoke(
        cli,
        ["round", "reopen", ROUND, "VID", "--actor", "ieva@varam.example.lv",
         "--reason", "the team corrected its answers"],
        obj=root,
    )  # fmt: skip
    assert reopened.exit_code == 0, reopened.output
    assert "newer.xlsx" in reopened.stdout and "accepted" in reopened.stdout
    assert _state(root) == "accepted"  # ready for a new plan version
    with root.db.unit_of_work() as s:
        moves = s.exec(select(Transition).order_by(col(Transition.id).desc()).limit(2)).all()
        accept, reopen = moves
        assert (reopen.from_state, reopen.to_state) == ("plan_sent", "submitted")
        assert reopen.actor == "ieva@varam.example.lv"
        assert "the team corrected its answers" in reopen.reason
        assert (accept.to_state, accept.actor) == ("accepted", f"submission:{late_id}")
        newest = s.exec(select(AnswerSet).order_by(col(AnswerSet.id).desc())).first()
        assert newest is not None and newest.submission_id == late_id
    status = runner.invoke(cli, ["round", "status", ROUND, "--json"], obj=root)
    (vid,) = [r for r in json.loads(status.stdout)["institutions"] if r["code"] == "VID"]
    assert vid["late_files"] == []  # applied now

    # Nothing to reopen in "accepted": a workbook arriving now is applied as it is.
    again = runner.invoke(
        cli, ["round", "reopen", ROUND, "VID", "--actor", "ieva", "--reason", "x"], obj=root
    )
    assert again.exit_code == 1 and "accepted" in again.stderr


def test_reopen_without_a_late_file_awaits_a_new_workbook(
    plan_sent: str, filled_lv: bytes, tmp_path: Path, root: App
) -> None:
    reopened = runner.invoke(
        cli, ["round", "reopen", ROUND, "VID", "--actor", "ieva", "--reason", "new head"], obj=root
    )
    assert reopened.exit_code == 0, reopened.output
    assert _state(root) == "returned"
    (row,) = ingest_paths(
        [_write(tmp_path, "new.xlsx", filled_lv)], settings=root.settings, db=root.db
    )
    assert row.outcome is Outcome.ACCEPTED and _state(root) == "accepted"
    missing = runner.invoke(cli, ["round", "reopen", ROUND, "VID"], obj=root)
    assert missing.exit_code != 0  # --actor and --reason are required


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path
