"""The disclosure rule (pvpp.disclosure): a figure over several institutions is shown to a
reader only with at least MIN_OTHERS institutions other than the reader."""

from __future__ import annotations

import statistics

from pvpp.disclosure import MIN_OTHERS, enough, published_minimum, shown_to


def test_the_reader_never_counts_towards_the_minimum() -> None:
    assert MIN_OTHERS == 3
    assert not enough(3) and enough(4)
    assert enough(3, reader_contributes=False) and not enough(2, reader_contributes=False)
    assert not shown_to({"A", "B", "C"}, "A") and shown_to({"A", "B", "C"}, "D")
    assert shown_to({"A", "B", "C", "D"}, "A")


def test_a_publication_is_judged_as_if_a_contributor_read_it() -> None:
    assert not shown_to({"A", "B", "C"}, None) and shown_to({"A", "B", "C", "D"}, None)
    assert published_minimum() == MIN_OTHERS + 1
    assert all(enough(n) == (n >= published_minimum()) for n in range(10))


def test_the_attacks_the_minimum_stops() -> None:
    """Why fewer others than MIN_OTHERS is not enough: each of these gives the reader another
    institution's value, and the rule withholds every one of them."""
    own, other = 2.5, 1.25
    # A median (or mean) of two: twice it minus one's own is the other's value.
    assert 2 * statistics.median([own, other]) - own == other
    assert not shown_to({"own", "other"}, "own")
    # A median of three, the reader's own value not the middle one: the median is one of the
    # two others' values exactly.
    values = {"own": 4.0, "a": 1.0, "b": 2.0}
    assert statistics.median(values.values()) in (values["a"], values["b"])
    assert not shown_to(set(values), "own")
    # A mean of three: the sum of the other two; knowing either gives the other.
    assert 3 * statistics.mean(values.values()) - values["own"] == values["a"] + values["b"]
    assert not shown_to(set(values), "own")
    # Three others: shown.
    assert shown_to({"own", "a", "b", "c"}, "own")
