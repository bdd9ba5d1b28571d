"""The one base class of the services' own errors.

A :class:`PvppError` carries a message written for the person who asked (what is wrong and,
where it helps, what to do). Entry points (CLI, flows, web) turn it into a message in one
place each; anything else that escapes a service is a bug and may show as one.
"""

from __future__ import annotations


class PvppError(Exception):
    """A request the services cannot carry out; ``str(exc)`` is the user-facing message."""

    @property
    def message(self) -> str:
        """The text for the person who asked."""
        return str(self)
