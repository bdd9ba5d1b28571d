"""The one source of "now" and "today".

Every rule that depends on the date (what is overdue, when a plan may start, the date a
document carries) asks a :class:`Clock` handed in by the composition root. The system clock
is the default; the demo and the tests set a :class:`FixedClock` so that documents carry the
date their scenario says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# "Today" is the calendar day in Latvia, whatever the server's time zone.
LOCAL_ZONE = ZoneInfo("Europe/Riga")


class Clock(Protocol):
    """What a service may ask about the time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...

    def today(self) -> date:
        """The current calendar day in Latvia."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return datetime.now(LOCAL_ZONE).date()


@dataclass
class FixedClock:
    """A clock that shows one day (at noon in Latvia, or at ``at``) until it is moved; for
    demos and tests."""

    day: date
    at: time = time(12)

    def now(self) -> datetime:
        return datetime.combine(self.day, self.at, LOCAL_ZONE).astimezone(UTC)

    def today(self) -> date:
        return self.day

    def advance(self, delta: timedelta) -> None:
        """Move the clock on by ``delta`` (a test of timeouts: minutes, hours, days)."""
        moved = datetime.combine(self.day, self.at) + delta
        self.day, self.at = moved.date(), moved.time()
