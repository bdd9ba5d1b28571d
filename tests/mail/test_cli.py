"""``pvpp outbox send`` and ``pvpp outbox list`` as people use them."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli import common
from pvpp.cli.outbox import app
from pvpp.mail.outbox import last_problem
from tests.mail.conftest import SmtpServer, queue_plans

runner = CliRunner()


def test_send_and_list(
    store: str, smtp: SmtpServer, root: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = queue_plans(root, 4)
    smtp.handler.reject = {rows[2].to_addrs[0]["email"], rows[2].cc_addrs[0]["email"]}
    listed = runner.invoke(app, ["list"], obj=root)
    assert listed.exit_code == 0, listed.output
    assert "Outbox" in listed.stdout and "queued: 4" in listed.stdout

    sent = runner.invoke(app, ["send"], obj=root)
    assert sent.exit_code == 0, sent.output
    assert "Sent 3, failed 1, retrying 0." in sent.stdout
    assert "failed 2026-K1|I002|plan|1" in sent.stdout and "550" in sent.stdout

    failed = runner.invoke(app, ["list", "--state", "failed", "--json"], obj=root)
    (row,) = json.loads(failed.stdout)
    assert row["key"] == "2026-K1|I002|plan|1" and row["last_code"] == 550
    assert "Sent 0, failed 0, retrying 0." in runner.invoke(app, ["send"], obj=root).stdout

    bad = runner.invoke(app, ["list", "--state", "lost"], obj=root)
    assert bad.exit_code == 2 and "--state must be one of" in bad.stderr

    # The server's 250 for a delivered message is not an error; the refusal is shown.
    # Wide enough that each message is one line (rich fixes a console's width once set).
    monkeypatch.setattr(common.console, "_width", 300)
    table = runner.invoke(app, ["list"], obj=root).stdout
    (failed_line,) = [line for line in table.splitlines() if "I002" in line]
    assert "550" in failed_line
    sent_lines = [line for line in table.splitlines() if "|plan|1" in line and "sent" in line]
    assert len(sent_lines) == 3 and not any("250" in line for line in sent_lines)
    # What each message is, in words beside its key.
    assert all("the plan to the head" in line for line in [failed_line, *sent_lines])


def test_last_problem_shows_only_what_went_wrong() -> None:
    assert last_problem(250, "") == ""
    assert last_problem(250, "refused recipients: a@b.lv: 550 no") == (
        "refused recipients: a@b.lv: 550 no"
    )
    assert last_problem(550, "mailbox unavailable") == "550 mailbox unavailable"
    assert last_problem(None, "Connection refused") == "Connection refused"
    assert last_problem(None, "") == ""


def test_send_says_when_the_server_is_down(store: str, smtp: SmtpServer, root: App) -> None:
    queue_plans(root, 5)
    smtp.stop()
    result = runner.invoke(app, ["send"], obj=root)
    assert result.exit_code == 1
    assert "Sent 0, failed 0, retrying 3." in result.stdout
    assert "mail server seems unavailable" in result.stderr


def test_commands_say_when_the_schema_is_behind(empty_store: None, root: App) -> None:
    result = runner.invoke(app, ["send"], obj=root)
    assert result.exit_code == 1 and "pvpp db upgrade" in result.stderr
    result = runner.invoke(app, ["list"], obj=root)
    assert result.exit_code == 1 and "pvpp db upgrade" in result.stderr


def test_send_refuses_a_password_in_clear_text(
    store: str, monkeypatch: pytest.MonkeyPatch, root: App
) -> None:
    root.settings.email_transport = "smtp"
    root.settings.smtp_host = "mail.example.org"
    root.settings.smtp_user = "pvpp"
    root.settings.smtp_password = SecretStr("secret")
    result = runner.invoke(app, ["send"], obj=root)
    assert result.exit_code == 1
    assert "PVPP_SMTP_SECURITY=starttls or tls" in result.stderr
