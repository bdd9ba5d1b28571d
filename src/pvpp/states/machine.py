"""What every life cycle shares: a table of allowed moves and one check of it."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from pvpp.errors import PvppError

S = TypeVar("S", bound=StrEnum)


class InvalidTransition(PvppError):
    """A state change the life cycle does not allow."""


def check_move(
    allowed: Mapping[S | None, frozenset[S]], current: S | None, to: S, what: str
) -> None:
    """Raise :class:`InvalidTransition` unless ``current`` → ``to`` is in ``allowed``."""
    if to not in allowed.get(current, frozenset()):
        options = ", ".join(sorted(allowed.get(current, frozenset()))) or "nothing"
        raise InvalidTransition(f"{what} is {current}; it can move to {options}, not {to}")
