"""The disclosure rule: when a figure computed from several institutions may be shown.

A figure over several institutions (a median, a mean, a count per degree, a total) is
shown to a reader only if at least :data:`MIN_OTHERS` of the institutions it is computed
from are not the reader. The reader knows its own values and can take them out of the
figure: what is left must still cover enough other institutions that none of them can be
singled out. A publication may be read by any of its contributors, so it is judged as if
the reader contributed (it needs ``MIN_OTHERS + 1`` contributors).

Why three others, and why not fewer (``docs/disclosure.md`` has the whole reasoning):

- a median or mean of two, read by one of the two: ``2 × median − own`` is the other's
  value, exactly;
- a median of three read by one of them: unless the reader's own value is the middle one,
  the median *is* one other's value, exactly, and it belongs to one of only two others
  (a coin toss, or certainty for a reader who knows either); a mean of three gives the
  sum of the other two, and knowing either gives the other;
- with three others, what is left after the reader takes itself out is a value or a sum
  that belongs to one of at least three institutions, no one of them singled out.

Pure: no I/O. Every place that shows such a figure asks :func:`enough` or
:func:`shown_to`; no other module holds the threshold.
"""

from __future__ import annotations

from collections.abc import Hashable, Set

#: The fewest institutions other than the reader a shown figure must be computed from.
MIN_OTHERS = 3


def enough(contributors: int, *, reader_contributes: bool = True) -> bool:
    """Whether a figure computed from ``contributors`` institutions may be shown: at least
    :data:`MIN_OTHERS` of them are not the reader. A publication's reader may be any of its
    contributors, so ``reader_contributes`` defaults to the safe side."""
    others = contributors - 1 if reader_contributes else contributors
    return others >= MIN_OTHERS


def shown_to(contributors: Set[Hashable], reader: Hashable | None) -> bool:
    """Whether a figure computed from ``contributors`` may be shown to ``reader`` (an
    institution), or to anyone (``reader`` None: a publication, which a contributor may
    read)."""
    return enough(len(contributors), reader_contributes=reader is None or reader in contributors)


def published_minimum() -> int:
    """The fewest contributors a published figure needs (for the notes that say so)."""
    return MIN_OTHERS + 1
