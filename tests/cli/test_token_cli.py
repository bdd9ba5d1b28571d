"""``pvpp user token``: API tokens made (printed once, only the hash kept), listed with
their state and last use, revoked; refusals as error lines; every change audited."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from pvpp.api_tokens import authenticate, record_use
from pvpp.app import App
from pvpp.cli.common import console
from pvpp.cli.main import app
from pvpp.clock import FixedClock
from pvpp.store.models import ApiToken, AuditLog
from pvpp.token_rules import digest

runner = CliRunner()
EMAIL = "ilze.berzina@varam.gov.lv"
ANALYST = "marta.ozola@varam.gov.lv"
PASSWORD = "zaļš kalns mazs ezers"
TOKEN = re.compile(r"token \(shown once, not stored readable\): (pvpp_[A-Za-z0-9_-]{43})")


@pytest.fixture
def migrated(root: App, monkeypatch: pytest.MonkeyPatch) -> App:
    """A migrated store with a coordinator's and an analyst's account, on a fixed clock;
    the console as wide as a terminal that shows the list's eight columns."""
    monkeypatch.setattr(console, "width", 200)
    root.db.upgrade()
    fixed = root.with_clock(FixedClock(root.clock.today()))
    for email, role in ((EMAIL, "coordinator"), (ANALYST, "analyst")):
        result = run(fixed, "user", "add", email, "--name", "Ilze Bērziņa", "--role", role,
                     "--password-stdin", input=PASSWORD + "\n")  # fmt: skip
        assert result.exit_code == 0, result.output
    return fixed


def run(root: App, *args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False, obj=root)


def _token(result: Any) -> str:
    found = TOKEN.search(result.stdout)
    assert found is not None, result.output
    return found.group(1)


def test_add_prints_the_token_once_and_keeps_only_its_hash(migrated: App) -> None:
    result = run(migrated, "user", "token", "add", EMAIL, "--name", "dashboard",
                 "--expires", "30")  # fmt: skip
    assert result.exit_code == 0, result.output
    token = _token(result)
    assert result.stdout.count(token) == 1
    assert f"API token {token[:13]} for {EMAIL} (coordinator), expires" in result.stdout
    with migrated.db.reading() as s:
        row = s.exec(select(ApiToken)).one().model_dump()
        details = [str(d) for d in s.exec(select(AuditLog.detail)).all()]
    assert row["token_sha256"] == digest(token) and row["name"] == "dashboard"
    assert row["expires_at"] == migrated.clock.now() + timedelta(days=30)
    assert not any(token in str(v) for v in row.values())
    assert not any(token in d for d in details)
    listed = run(migrated, "user", "token", "list")
    assert token[:13] in listed.stdout and "never" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout


def test_list_shows_the_last_use_revoked_and_expired_tokens(migrated: App) -> None:
    used = _token(run(migrated, "user", "token", "add", EMAIL))
    gone = _token(run(migrated, "user", "token", "add", ANALYST, "--expires", "1"))
    now = migrated.clock.now()
    with migrated.db.unit_of_work() as s:
        record_use(s, authenticate(s, used, now=now), now=now, ip="10.0.0.7")
    revoked = run(migrated, "user", "token", "revoke", used[:13])
    assert revoked.exit_code == 0 and f"API token {used[:13]} revoked" in revoked.stdout
    later = migrated.with_clock(FixedClock(migrated.clock.today() + timedelta(days=2)))
    listed = run(later, "user", "token", "list").stdout
    line = next(line for line in listed.splitlines() if used[:13] in line)
    assert "revoked" in line and f"{now:%Y-%m-%d %H:%M}" in line
    assert "expired" in next(line for line in listed.splitlines() if gone[:13] in line)
    only = run(later, "user", "token", "list", ANALYST).stdout
    assert gone[:13] in only and used[:13] not in only
    with migrated.db.reading() as s:
        actions = s.exec(
            select(AuditLog.action, AuditLog.actor).where(col(AuditLog.entity) == "api_token")
            .order_by(col(AuditLog.id))
        ).all()  # fmt: skip
    assert [a for a, _ in actions] == ["api_token.add", "api_token.add", "api_token.revoke"]
    assert all(actor.startswith("cli") for _, actor in actions)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("add", "nobody@varam.gov.lv"), "there is no console account 'nobody@varam.gov.lv'"),
        (
            ("add", ANALYST, "--role", "coordinator"),
            f"{ANALYST} has the role analyst: a token may have that role or a narrower one, "
            "not coordinator",
        ),
        (("add", EMAIL, "--role", "boss"), "unknown role 'boss'"),
        (("add", EMAIL, "--expires", "0"), "a token lasts 1 to 366 days, not 0"),
        (("add", EMAIL, "--expires", "400"), "a token lasts 1 to 366 days, not 400"),
        (("add", EMAIL, "--name", "two\nlines"), "a token's name is one line of at most 100"),
        (("revoke", "pvpp_nothing1"), "there is no token 'pvpp_nothing1'"),
        (("list", "nobody@varam.gov.lv"), "there is no console account"),
    ],
)
def test_refusals_are_error_lines(migrated: App, args: tuple[str, ...], says: str) -> None:
    result = run(migrated, "user", "token", *args)
    assert result.exit_code == 1, result.output
    assert f"error: {says}" in result.stderr
    with migrated.db.reading() as s:
        assert s.exec(select(ApiToken)).all() == []


def test_a_disabled_account_gets_no_token_and_a_token_is_revoked_once(migrated: App) -> None:
    token = _token(run(migrated, "user", "token", "add", EMAIL, "--role", "analyst"))
    assert " analyst " in run(migrated, "user", "token", "list").stdout
    assert run(migrated, "user", "token", "revoke", token).exit_code == 0  # the whole token
    again = run(migrated, "user", "token", "revoke", token[:13])
    assert again.exit_code == 1 and "was revoked already" in again.stderr
    assert run(migrated, "user", "disable", ANALYST).exit_code == 0
    refused = run(migrated, "user", "token", "add", ANALYST)
    assert refused.exit_code == 1 and "is disabled: enable it first" in refused.stderr
