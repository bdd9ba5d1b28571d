"""What changed between two answer sets: per field, changed, unchanged, added or removed.

A reviewer reads a submission against the institution's previous one (an earlier
submission of the same round, or the answers accepted in an earlier round), and a team
reads what it changed since a return; both ask this one function.

Values compare as the team sees them: a degree ``3`` and the text ``"3"`` are the same
answer, text compares without the spaces around it and with one kind of line end, and an
empty text is no answer. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["FieldChange", "FieldDiff", "diff_answers", "shown_value", "summary"]


class FieldChange(StrEnum):
    """How one field differs between the earlier answers and the later ones."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"
    ADDED = "added"  # answered now, not before
    REMOVED = "removed"  # answered before, not now


@dataclass(frozen=True)
class FieldDiff:
    """One field of the later answers against the earlier: its change and both values
    (None where a side has no answer)."""

    field: str
    change: FieldChange
    before: Any
    after: Any


def shown_value(value: Any) -> str | None:
    """A value as it is compared: text without the spaces around it and with ``\\n`` line
    ends, a number as its text; None for no answer (None or an empty text)."""
    if value is None:
        return None
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    return text or None


def diff_answers(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    order: Iterable[str] = (),
) -> list[FieldDiff]:
    """Every field answered on either side, with its change from ``before`` to ``after``.

    ``before`` None (no earlier answers) makes every answered field ``added``. Fields come
    in ``order`` (a questionnaire's field order), then any others by name; a field
    answered on neither side is left out."""
    earlier = before or {}
    fields = list(dict.fromkeys([*order, *sorted({*earlier, *after})]))
    out = []
    for name in fields:
        old, new = shown_value(earlier.get(name)), shown_value(after.get(name))
        if old is None and new is None:
            continue
        if old is None:
            change = FieldChange.ADDED
        elif new is None:
            change = FieldChange.REMOVED
        elif old == new:
            change = FieldChange.UNCHANGED
        else:
            change = FieldChange.CHANGED
        out.append(FieldDiff(name, change, earlier.get(name), after.get(name)))
    return out


def summary(diff: Iterable[FieldDiff]) -> dict[FieldChange, int]:
    """How many fields of each change, every change named (0 where none)."""
    counts = dict.fromkeys(FieldChange, 0)
    for d in diff:
        counts[d.change] += 1
    return counts
