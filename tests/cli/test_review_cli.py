"""``pvpp review``: list what waits, show a submission's changes and warnings, accept, and
return with comments; refusals say what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select
from typer.testing import CliRunner

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.cli.main import app
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import OutboxMessage
from pvpp.submissions import ingest_paths
from pvpp.workbook.fill import fill_workbook
from tests.rounds import run_round

runner = CliRunner()
REVIEWER = "recenzents@varam.gov.lv"


def run(root: App, *args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False, obj=root)


def test_review_from_the_command_line(spec: QuestionnaireSpec, tmp_path: Path, root: App) -> None:
    root.db.upgrade()
    run_round(root, spec, tmp_path, [("VID", "VID"), ("UR", "UR")], round_code="R", review=True)
    listed = run(root, "review", "list", "R")
    assert listed.exit_code == 0, listed.output
    assert "VID" in listed.stdout and "UR" in listed.stdout and "2 waiting" in listed.stdout

    shown = run(root, "review", "show", "R", "UR")
    assert shown.exit_code == 0, shown.output
    assert "State: waiting for review" in shown.stdout
    assert "Compared with: nothing earlier" in shown.stdout
    assert "Item 1.1 " in shown.stdout and "added" in shown.stdout
    assert "Consistency warnings" in shown.stdout

    refused = run(root, "review", "return", "R", "UR", "--reviewer", REVIEWER, "--comment", "")
    assert refused.exit_code == 1 and "comment on the whole submission is required" in (
        refused.stderr
    )
    bad = run(root, "review", "return", "R", "UR", "--reviewer", REVIEWER, "--comment", "x",
              "--item-comment", "1.1")  # fmt: skip
    assert bad.exit_code == 2 and "ITEM=TEXT" in bad.stderr
    returned = run(
        root, "review", "return", "R", "UR", "--reviewer", REVIEWER,
        "--comment", "Pierādījumi nav pietiekami.", "--item-comment", "1.1=Pievienojiet rīkojumu.",
    )  # fmt: skip
    assert returned.exit_code == 0, returned.output
    assert "with 1 item comment;" in returned.stdout
    with root.db.reading() as s:
        mail = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "review_returned")).one()
        assert "Pievienojiet rīkojumu." in mail.body_text

    data = filled_workbooks(spec, [("UR", "UR")], round_code="R", key=root.settings.signing_key())
    again = tmp_path / "UR-2.xlsx"
    again.write_bytes(fill_workbook(data["UR"], {"COMMENT_1_1": "Rīkojums pievienots."}))
    ingest_paths([again], settings=root.settings, db=root.db)
    shown = run(root, "review", "show", "R", "UR")
    assert "Compared with: the previous submission" in shown.stdout
    assert "returned by a reviewer" in shown.stdout
    assert "Returned before" in shown.stdout and "1.1: Pievienojiet rīkojumu." in shown.stdout
    assert "Item 1.1 Unified service management terminology: 5 unchanged, 1 added" in shown.stdout
    assert "    added     comment: Rīkojums pievienots." in shown.stdout
    assert "Answers: 0 changed, 220 unchanged, 1 added, 0 removed" in shown.stdout

    accepted = run(root, "review", "accept", "R", "UR", "--reviewer", REVIEWER)
    assert accepted.exit_code == 0 and "Accepted submission" in accepted.stdout
    twice = run(root, "review", "accept", "R", "UR", "--reviewer", REVIEWER)
    assert twice.exit_code == 1 and "no submission waiting for review" in twice.stderr
    assert "Nothing waits" not in run(root, "review", "list", "R").stdout  # VID still waits
