"""The API's token rules (pvpp.token_rules): shape, hash, state, scope and capabilities,
when a use is written."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from pvpp.access import ANALYST, COORDINATOR, READ_NATIONAL, READ_ROUNDS, REVIEW, REVIEWER, RUN
from pvpp.token_rules import (
    LAST_USED_EVERY,
    capabilities,
    digest,
    looks_like_token,
    prefix_of,
    scope_allowed,
    token_state,
    use_is_recorded,
)

NOW = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)
TOKEN = "pvpp_" + "A" * 20 + "b-_9" * 5 + "xyz"


def test_a_token_has_its_shape_and_only_its_hash_and_prefix_are_kept() -> None:
    assert len(TOKEN) == 48 and looks_like_token(TOKEN)
    for wrong in ("", "pvpp_", TOKEN[:-1], TOKEN + "a", "PVPP_" + TOKEN[5:], TOKEN[:-1] + "="):
        assert not looks_like_token(wrong), wrong
    assert digest(TOKEN) == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert prefix_of(TOKEN) == "pvpp_AAAAAAAA"


@pytest.mark.parametrize(
    ("revoked", "expires_in", "disabled", "state"),
    [
        (None, timedelta(days=1), False, "active"),
        (NOW - timedelta(days=1), timedelta(days=1), False, "revoked"),
        (NOW - timedelta(days=1), -timedelta(days=1), True, "revoked"),
        (None, timedelta(0), False, "expired"),  # at the moment it expires: expired
        (None, -timedelta(seconds=1), True, "expired"),
        (None, timedelta(days=1), True, "disabled"),
    ],
)
def test_only_an_active_token_of_an_enabled_account_opens_anything(
    revoked: datetime | None, expires_in: timedelta, disabled: bool, state: str
) -> None:
    found = token_state(revoked_at=revoked, expires_at=NOW + expires_in,
                        account_disabled=disabled, now=NOW)  # fmt: skip
    assert found == state


def test_a_token_does_what_both_its_scope_and_its_account_allow() -> None:
    assert capabilities(COORDINATOR, COORDINATOR) == {READ_NATIONAL, READ_ROUNDS, REVIEW, RUN}
    assert capabilities(REVIEWER, COORDINATOR) == {READ_NATIONAL, READ_ROUNDS, REVIEW}
    assert capabilities(ANALYST, COORDINATOR) == {READ_NATIONAL}
    # An account given a smaller role takes its wider tokens down with it.
    assert capabilities(COORDINATOR, ANALYST) == {READ_NATIONAL}
    assert capabilities(COORDINATOR, "head") == frozenset()
    assert capabilities("boss", COORDINATOR) == frozenset()


def test_a_token_may_be_given_the_account_s_role_or_a_narrower_one() -> None:
    assert scope_allowed(COORDINATOR, COORDINATOR) and scope_allowed(ANALYST, COORDINATOR)
    assert scope_allowed(ANALYST, REVIEWER) and scope_allowed(REVIEWER, REVIEWER)
    assert not scope_allowed(COORDINATOR, REVIEWER) and not scope_allowed(REVIEWER, ANALYST)
    assert not scope_allowed("boss", COORDINATOR)


def test_a_use_is_written_first_and_then_at_most_once_a_minute() -> None:
    assert use_is_recorded(None, NOW)
    assert not use_is_recorded(NOW, NOW + timedelta(seconds=59))
    assert use_is_recorded(NOW, NOW + LAST_USED_EVERY)
    assert timedelta(minutes=1) == LAST_USED_EVERY
