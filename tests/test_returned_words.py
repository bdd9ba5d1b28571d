""" "Returned" alone is ambiguous: an assignment is returned because its workbook failed the
check, because a reviewer sent it back, or because a coordinator reopened it. What people
read says which (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.common import console
from pvpp.cli.main import app as cli
from pvpp.exports.data import state_label
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.states.assignment import REOPEN_REASON, REVIEW_REASON, ReturnedHow, returned_how
from pvpp.submissions import ingest_paths
from tests.rounds import run_round
from tests.test_late_workbooks import ROUND, plan_sent

__all__ = ["plan_sent"]  # the fixture, shared with the late workbooks' tests
runner = CliRunner()


def test_the_cause_is_read_from_the_reason_its_move_recorded() -> None:
    assert returned_how(f"{REVIEW_REASON} (submission 3): add evidence") is ReturnedHow.REVIEW
    assert returned_how(f"{REOPEN_REASON}: new head") is ReturnedHow.REOPENED
    assert returned_how("incomplete: 3 unanswered") is ReturnedHow.ERRORS


def test_each_cause_has_its_own_words_in_both_languages() -> None:
    shown = {how: state_label("returned", how, "en") for how in ReturnedHow}
    assert len(set(shown.values())) == 3
    assert (
        shown[ReturnedHow.ERRORS]
        == "returned to the institution: the workbook or answers had errors"
    )
    assert state_label("returned", "review", "lv") == (
        "atgriezta iestādei: pārbaudītājs atgrieza papildināšanai"
    )
    assert state_label("accepted", None, "en") == "accepted"


def _status(root: App) -> tuple[dict[str, object], str]:
    as_json = runner.invoke(cli, ["round", "status", ROUND, "--json"], obj=root)
    (vid,) = [r for r in json.loads(as_json.stdout)["institutions"] if r["code"] == "VID"]
    wide, console.width = console.width, 300  # one line per row, so phrases are not wrapped
    try:
        shown = runner.invoke(cli, ["round", "status", ROUND], obj=root)
    finally:
        console.width = wide
    return vid, shown.stdout


def test_a_workbook_with_errors_and_a_reopen_read_differently(
    plan_sent: str, blank_lv: bytes, tmp_path: Path, root: App
) -> None:
    reopened = runner.invoke(
        cli, ["round", "reopen", ROUND, "VID", "--actor", "ieva", "--reason", "new head"], obj=root
    )
    assert reopened.exit_code == 0, reopened.output
    vid, shown = _status(root)
    assert (vid["state"], vid["returned_how"]) == ("returned", "reopened")
    assert "returned to the institution: reopened by a coordinator" in shown

    path = tmp_path / "blank.xlsx"
    path.write_bytes(blank_lv)
    (row,) = ingest_paths([path], settings=root.settings, db=root.db)
    assert row.outcome.value == "incomplete"
    vid, shown = _status(root)
    assert (vid["state"], vid["returned_how"]) == ("returned", "errors")
    assert "returned to the institution: the workbook or answers had errors" in shown
    assert "reopened" not in shown


def test_an_assignment_never_returned_has_no_cause(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path / "in", [("VID", "Valsts ieņēmumu dienests")])
    vid, _ = _status(root)
    assert vid["returned_how"] is None
