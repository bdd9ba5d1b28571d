"""The rate-limit rule (pvpp.throttle): counted moments in a moving window, the moment one
more is allowed, and what a client is counted by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pvpp.throttle import Limit, client_key, retry_at, seconds_until

NOW = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _ago(*minutes: int) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_under_the_limit_one_more_is_allowed() -> None:
    assert retry_at([], Limit(3, HOUR), NOW) is None
    assert retry_at(_ago(50, 10), Limit(3, HOUR), NOW) is None


def test_at_the_limit_the_next_is_allowed_when_the_oldest_counted_leaves_the_window() -> None:
    assert retry_at(_ago(50, 20, 10), Limit(3, HOUR), NOW) == NOW + timedelta(minutes=10)
    # More than the limit (two processes allowed one each at once): the surplus waits too.
    assert retry_at(_ago(50, 40, 20, 10), Limit(3, HOUR), NOW) == NOW + timedelta(minutes=20)


def test_the_window_moves_with_now() -> None:
    moments = _ago(50, 20, 10)
    assert retry_at(moments, Limit(3, HOUR), NOW + timedelta(minutes=9)) is not None
    # Exactly an hour after the oldest, it no longer counts.
    assert retry_at(moments, Limit(3, HOUR), NOW + timedelta(minutes=10)) is None


def test_moments_outside_the_window_do_not_count_and_moments_ahead_do() -> None:
    assert retry_at(_ago(120, 61, 60, 5), Limit(2, HOUR), NOW) is None
    ahead = [NOW + timedelta(minutes=1), NOW]
    assert retry_at(ahead, Limit(2, HOUR), NOW) == NOW + HOUR


def test_a_limit_allows_at_least_one_in_some_window() -> None:
    with pytest.raises(ValueError):
        Limit(0, HOUR)
    with pytest.raises(ValueError):
        Limit(1, timedelta(0))


def test_retry_after_is_whole_seconds_rounded_up_and_never_zero() -> None:
    assert seconds_until(NOW + timedelta(seconds=90, milliseconds=1), NOW) == 91
    assert seconds_until(NOW, NOW) == 1
    assert seconds_until(NOW - HOUR, NOW) == 1


def test_a_client_is_its_ipv4_address_or_its_ipv6_network() -> None:
    assert client_key(" 192.0.2.7 ") == "192.0.2.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_key("testclient") == "testclient"
    assert client_key("x" * 80) == "x" * 50
