"""Every head gets exactly one plan email, with a PDF that opens, through a real SMTP server."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.main import app
from pvpp.delivery import record_sent_plans
from pvpp.mail.relay import deliver_due
from pvpp.planning.library import load_common
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import Assignment, Institution, Plan
from pvpp.teams import add_member
from tests.conftest import require_program
from tests.mail.conftest import smtp  # noqa: F401 - the real SMTP server fixture
from tests.rounds import run_round

CODES = [
    ("VID", "Valsts ieņēmumu dienests"),
    ("UR", "Uzņēmumu reģistrs"),
    ("VZD", "Valsts zemes dienests"),
]


@pytest.fixture
def planned_round(
    tmp_path: Path, spec: QuestionnaireSpec, monkeypatch: pytest.MonkeyPatch, root: App
) -> None:
    root.db.upgrade()

    def lead(s: Any) -> None:
        add_member(
            s, load_common("pvpp2027-v1"), institution="VID", name="Anna Liepa",
            email="anna.liepa@vid.example.org", roles=["team_lead"], lead=True,
        )  # fmt: skip

    run_round(root, spec, tmp_path, CODES, plans=True, before_round=lead)
    yield


PDF = "application/pdf"


@pytest.mark.slow
def test_every_head_gets_exactly_one_plan(
    planned_round: None,
    smtp: Any,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    root: App,
) -> None:
    runner = CliRunner()
    first = runner.invoke(
        app, ["plan", "send", "--round", "2026-K1", "--all"], catch_exceptions=False, obj=root
    )
    assert first.exit_code == 0, first.stderr
    assert "3 plan email(s) queued" in first.stdout
    report = deliver_due(root.settings, db=root.db)
    # Each head's plan, and each team's plan sheet (the proposal it may shape).
    assert report.sent == 6 and not report.failed
    with root.db.unit_of_work() as s:
        assert record_sent_plans(s) == 3
        heads = {i.code: i.head_email for i in s.exec(select(Institution)).all()}
        states = {
            a.state for a in s.exec(select(Assignment).where(Assignment.state != "invited")).all()
        }
        assert states == {"plan_sent"}
        assert {p.status for p in s.exec(select(Plan)).all()} == {"sent"}

    received = smtp.received
    assert len(received) == 6
    pdfs = [r for r in received if next(r.message.iter_attachments()).get_content_type() == PDF]
    sheets = [r for r in received if r not in pdfs]
    assert len(pdfs) == 3 and len(sheets) == 3
    # VID's team lead gets VID's sheet; the others have no team, so their heads get it.
    to_team = {str(r.message["To"]): r.message for r in sheets}
    vid = next(m for to, m in to_team.items() if "anna.liepa@vid.example.org" in to)
    (sheet,) = list(vid.iter_attachments())
    assert sheet.get_filename().endswith("-VID-v1.xlsx")
    by_head = {}
    for r in pdfs:
        msg = r.message
        to = str(msg["To"])
        head = next(code for code, email in heads.items() if email in to)
        by_head[head] = msg
    assert set(by_head) == {"VID", "UR", "VZD"}
    assert "anna.liepa@vid.example.org" in str(by_head["VID"]["Cc"])
    exe = require_program("pdftotext")
    for code, name in CODES:
        (attachment,) = list(by_head[code].iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        pdf = tmp_path / f"{code}.pdf"
        pdf.write_bytes(attachment.get_content())
        text = subprocess.run(
            [exe, str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert name in " ".join(text.split())

    # Sending again sends nothing twice.
    again = runner.invoke(
        app, ["plan", "send", "--round", "2026-K1", "--all"], catch_exceptions=False, obj=root
    )
    assert "0 plan email(s) queued" in again.stdout and "already queued" in again.stdout
    assert deliver_due(root.settings, db=root.db).sent == 0
    assert len(smtp.received) == 6


def test_plan_send_needs_a_target(planned_round: None, root: App) -> None:
    result = CliRunner().invoke(app, ["plan", "send", "--round", "2026-K1"], obj=root)
    assert result.exit_code == 2
