"""``pvpp user``: console accounts made and changed on the command line, errors in the
CLI's ``error:`` form, every change audited."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.main import app
from pvpp.store.models import AuditLog, ConsoleAccount

runner = CliRunner()
EMAIL = "ilze.berzina@varam.gov.lv"
PASSWORD = "zaļš kalns mazs ezers"


@pytest.fixture
def migrated(root: App) -> App:
    """The root on a migrated SQLite store."""
    root.db.upgrade()
    return root


def run(root: App, *args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False, obj=root)


def _add(root: App, *extra: str, password: str = PASSWORD) -> Any:
    return run(root, "user", "add", EMAIL, "--name", "Ilze Bērziņa", "--role", "coordinator",
               *extra, input=password + "\n" + password + "\n")  # fmt: skip


def test_add_prints_the_secret_and_uri_once_and_the_secret_makes_codes(migrated: App) -> None:
    result = _add(migrated, "--password-stdin")
    assert result.exit_code == 0, result.output
    secret = re.search(r"TOTP secret \(shown once[^)]*\): ([A-Z2-7]{32})", result.stdout)
    assert secret is not None
    assert f"otpauth://totp/PVPP2027:ilze.berzina%40varam.gov.lv?secret={secret.group(1)}" in (
        result.stdout
    )
    with migrated.db.reading() as s:
        row = s.exec(select(ConsoleAccount)).one()
        # Neither the password nor the secret is stored readable.
        assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
        assert secret.group(1) not in row.totp_secret
        from pvpp.accounts import totp_of

        assert (
            totp_of(row, migrated.settings.signing_key()).now() == pyotp.TOTP(secret.group(1)).now()
        )
    listed = run(migrated, "user", "list")
    assert EMAIL in listed.stdout and "coordinator" in listed.stdout and "active" in listed.stdout


def test_the_password_is_typed_twice_at_a_hidden_prompt(migrated: App) -> None:
    result = _add(migrated)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Password") == 1 and "Repeat for confirmation" in result.stdout
    assert PASSWORD not in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--password-stdin",), "the password is too short (9 characters): use at least 12"),
        (("--role", "boss"), "unknown role 'boss': choose one of coordinator, reviewer, analyst"),
    ],
)
def test_refusals_are_plain_error_lines(migrated: App, args: tuple[str, ...], says: str) -> None:
    result = run(migrated, "user", "add", EMAIL, "--name", "Ilze", "--role", "coordinator",
                 *args, input="too short\n")  # fmt: skip
    assert result.exit_code == 1
    assert f"error: {says}" in result.stderr
    with migrated.db.reading() as s:
        assert s.exec(select(ConsoleAccount)).all() == []


def test_an_address_has_one_account(migrated: App) -> None:
    assert _add(migrated, "--password-stdin").exit_code == 0
    again = _add(migrated, "--password-stdin")
    assert again.exit_code == 1 and "already has a console account" in again.stderr


def test_disable_enable_reset_totp_set_password_unlock_and_the_audit(migrated: App) -> None:
    assert _add(migrated, "--password-stdin").exit_code == 0
    assert "disabled" in run(migrated, "user", "disable", EMAIL).stdout
    assert "disabled" in run(migrated, "user", "list").stdout
    assert "enabled" in run(migrated, "user", "enable", EMAIL).stdout
    reset = run(migrated, "user", "reset-totp", EMAIL)
    assert reset.exit_code == 0 and "otpauth://totp/" in reset.stdout
    changed = run(migrated, "user", "set-password", EMAIL, "--password-stdin",
                  input="a new long passphrase\n")  # fmt: skip
    assert changed.exit_code == 0 and "password changed" in changed.stdout
    assert run(migrated, "user", "unlock", EMAIL).exit_code == 0
    missing = run(migrated, "user", "disable", "nobody@varam.gov.lv")
    assert missing.exit_code == 1 and "error: there is no console account" in missing.stderr
    with migrated.db.reading() as s:
        actions = s.exec(
            select(AuditLog.action).where(col(AuditLog.entity) == "account").order_by(
                col(AuditLog.id))
        ).all()  # fmt: skip
        actors = set(s.exec(select(AuditLog.actor).where(col(AuditLog.entity) == "account")))
    assert actions == [
        "account.add", "account.disable", "account.enable", "account.totp_reset",
        "account.password", "account.unlock",
    ]  # fmt: skip
    assert all(a.startswith("cli") for a in actors)
