"""Secrets under Prefect: the SMTP password from a Secret block; a refused signing key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from pvpp.mail.transport import smtp_password
from pvpp.settings import Settings

pytestmark = pytest.mark.xdist_group("prefect")


def test_password_from_a_secret_block(prefect: None) -> None:
    from prefect.blocks.system import Secret

    Secret(value="sl3pen-parole").save("pvpp-smtp-test", overwrite=True)
    assert smtp_password(Settings(smtp_password_block="pvpp-smtp-test")) == "sl3pen-parole"
    # The password itself, when set, wins over the block.
    assert (
        smtp_password(Settings(smtp_password="env", smtp_password_block="pvpp-smtp-test")) == "env"
    )
    assert smtp_password(Settings()) is None
    with pytest.raises(ValueError, match="cannot be read"):
        smtp_password(Settings(smtp_password_block="no-such-block"))


def test_a_flow_refuses_an_empty_signing_key_and_says_what_to_do(
    prefect: None, tmp_path: Path
) -> None:
    """A key file left empty (a full disk) stops the intake before any file is read, with
    the message naming the file and what to do; nothing is stored."""
    from flows.cycle import collect_submissions
    from flows.root import using
    from pvpp.app import App
    from pvpp.settings import SECRET_KEY_FILE, KeyRefused
    from pvpp.store.models import Submission
    from tests.conftest import settings_for

    settings = settings_for(tmp_path / "var", secret_key=None)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / SECRET_KEY_FILE).write_bytes(b"")
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "x.xlsx").write_bytes(b"PK\x03\x04 forged")
    root = App.build(settings)
    try:
        root.db.upgrade()
        with using(root), pytest.raises(KeyRefused, match="delete it"):
            collect_submissions("2026-K1", str(drop))
        with root.db.reading() as s:
            assert s.exec(select(Submission)).all() == []
    finally:
        root.close()
