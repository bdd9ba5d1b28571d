"""Rate limits as a pure rule: given the moments of what was already allowed, may one
more happen now, and if not, when.

The portal's sign-in (:mod:`pvpp.signin`) keeps its counts as rows in the store, so that
every web process sees the same ones; this module only decides on the moments those rows
hold. Nothing here reads a clock or a database: "now" is the caller's (the root's clock).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Limit", "client_key", "retry_at", "seconds_until"]

# One IPv6 subscriber usually holds a whole /64 and may pick any address in it: counting
# per address would give them 2**64 tries.
IPV6_PREFIX = 64


@dataclass(frozen=True)
class Limit:
    """At most ``most`` events in any ``window``."""

    most: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.most < 1:
            raise ValueError(f"a limit allows at least one event, not {self.most}")
        if self.window <= timedelta(0):
            raise ValueError("a limit's window must be longer than nothing")

    def since(self, now: datetime) -> datetime:
        """The start of the window that ends ``now`` (events after it count)."""
        return now - self.window


def retry_at(moments: Iterable[datetime], limit: Limit, now: datetime) -> datetime | None:
    """None when one more event is allowed at ``now``; otherwise the first moment it is.

    ``moments`` are those of the events already allowed; those after ``now - window``
    count (a moment ahead of ``now``, from a process whose clock runs ahead, counts too).
    With ``n`` counted, sorted, one more is allowed once ``n - most + 1`` of them have left
    the window: at the ``(n - most)``-th (from 0) plus the window.
    """
    since = limit.since(now)
    counted = sorted(m for m in moments if m > since)
    if len(counted) < limit.most:
        return None
    return counted[len(counted) - limit.most] + limit.window


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` to ``moment``, rounded up, at least 1 (a
    ``Retry-After`` value)."""
    return max(1, math.ceil((moment - now).total_seconds()))


def client_key(ip: str) -> str:
    """What a client is counted by: its IPv4 address; for IPv6 its /64 network
    (``2001:db8:1:2::/64``); anything that is not an address (a test client's name, an
    empty string behind an odd server) as given, cut to 50 characters."""
    text = ip.strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text[:50]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
