"""Under Prefect, the SMTP password can come from a Secret block."""

from __future__ import annotations

import pytest

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
