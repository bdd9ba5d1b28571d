"""The API's tokens and a round's lists on SQLite and PostgreSQL: a token found by its
hash, its last use written once a minute by a conditional update, the filters of a
round's assignments and plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pvpp.accounts import add_account
from pvpp.api_data import ApiBadRequest, round_assignments, round_plans
from pvpp.api_tokens import TokenRefused, add_token, authenticate, record_use, revoke_token
from pvpp.app import App
from pvpp.store.models import ApiToken
from tests.store.test_queries import _round_of

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
EMAIL = "ilze.berzina@varam.gov.lv"


def test_a_token_is_found_by_its_hash_and_its_use_written_once_a_minute(
    store: str, root: App
) -> None:
    with root.db.unit_of_work() as s:
        add_account(s, email=EMAIL, name="Ilze Bērziņa", role="reviewer",
                    password="zaļš kalns mazs ezers", key=root.settings.signing_key(), now=NOW,
                    actor="test")  # fmt: skip
        token = add_token(s, EMAIL, now=NOW, actor="test", days=1).token
    with root.db.unit_of_work() as s:
        caller = authenticate(s, token, now=NOW)
        assert caller.role == "reviewer" and caller.may("read_rounds") and not caller.may("run")
        assert record_use(s, caller, now=NOW, ip="10.0.0.1")
    # A second process that read the token before the first wrote: its write is a no-op.
    with root.db.unit_of_work() as s:
        assert not record_use(s, caller, now=NOW + timedelta(seconds=30), ip="10.0.0.2")
        later = authenticate(s, token, now=NOW + timedelta(seconds=30))
        assert later.last_used_at == NOW
        assert not record_use(s, later, now=NOW + timedelta(seconds=59), ip="10.0.0.2")
        assert record_use(s, later, now=NOW + timedelta(minutes=1), ip="10.0.0.3")
    with root.db.reading() as s:
        row = s.get(ApiToken, caller.token_id)
        assert row is not None
        assert (row.last_used_at, row.last_used_ip) == (NOW + timedelta(minutes=1), "10.0.0.3")
    with root.db.unit_of_work() as s:
        with pytest.raises(TokenRefused) as expired:
            authenticate(s, token, now=NOW + timedelta(days=1))
        assert expired.value.reason == "expired"
        revoke_token(s, token[:13], now=NOW, actor="test")
    with root.db.reading() as s, pytest.raises(TokenRefused) as revoked:
        authenticate(s, token, now=NOW)
    assert revoked.value.reason == "revoked"


def test_a_round_s_lists_filter_by_state_and_group_in_the_store(store: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        _round_of(s, "S", 12)
    with root.db.reading() as s:
        every = round_assignments(s, "S")
        assert (len(every.rows), every.next) == (12, None)
        assert len(round_assignments(s, "S", states=["invited"], group="g1").rows) == 12
        assert round_assignments(s, "S", states=["planned"]).rows == []
        assert round_assignments(s, "S", group="G2").rows == []
        page = round_plans(s, "S", today=date(2027, 1, 15))
        plans = page.rows
        assert [p["institution_code"] for p in plans] == ["S-0000", "S-0005", "S-0010"]
        assert page.next is None
        assert plans[0]["measures"] == {"total": 2, "open": 2, "done": 0, "dropped": 0,
                                        "overdue": 2}  # fmt: skip
        with pytest.raises(ApiBadRequest):
            round_assignments(s, "S", states=["lost"])
