"""Funding of plan measures (PVPP2027 section 6.5): totals per source and overall.

A plan measure carries its funding sources (F1–F5 of the policy's ``funding_sources``,
SEED 6.4.1–6.4.5) and, when the team states it, the funding already available for it in
whole euros (``funding_eur``) with its link to the planning documents (``funding_ref``:
NAP2027, VPMP2027, DTP2027 or another). This module totals them. Pure: no store.

Attribution: an amount is attributed to a source only when the measure names exactly
one. A measure naming several sources (the library's "F1, F3": the institution's budget
or EU funds) goes to the bucket :data:`SEVERAL`, never split or given to its first source:
the plan does not say how the amount divides, and any split would be a number nobody
stated. A measure naming none goes to :data:`NO_SOURCE`. A dropped measure is not counted:
it will not be carried out, so its money is not planned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from pvpp.states.plan_measure import MeasureState

#: Bucket of the measures naming more than one funding source.
SEVERAL = "several"
#: Bucket of the measures naming no funding source.
NO_SOURCE = "none"
#: The key of the overall total.
TOTAL = "total"


class FundedMeasure(Protocol):
    """What the totals read of a measure: a ``PlanMeasure`` row or :class:`FundingFacts`."""

    @property
    def funding(self) -> Sequence[str]: ...

    @property
    def funding_eur(self) -> int | None: ...

    @property
    def status(self) -> str: ...


class FundingFacts(NamedTuple):
    """The three columns of a plan measure the totals need (a round's query reads only
    these, not whole rows)."""

    funding: Sequence[str]
    funding_eur: int | None
    status: str


@dataclass(frozen=True)
class FundingTotal:
    """One line of the totals: a source (F1–F5), :data:`SEVERAL`, :data:`NO_SOURCE` or
    :data:`TOTAL`."""

    source: str
    #: Sum of the stated amounts, whole euros.
    eur: int = 0
    #: Measures counted on this line.
    measures: int = 0
    #: Of those, measures with a stated amount (0 counts as stated).
    with_amount: int = 0

    @property
    def without_amount(self) -> int:
        return self.measures - self.with_amount

    def add(self, amount: int | None) -> FundingTotal:
        stated = amount is not None
        return FundingTotal(
            self.source,
            self.eur + (amount or 0),
            self.measures + 1,
            self.with_amount + int(stated),
        )


def bucket_of(funding: Sequence[str]) -> str:
    """The line a measure's amount is attributed to (see the module)."""
    sources = list(dict.fromkeys(funding))  # a source named twice is still one source
    if not sources:
        return NO_SOURCE
    return sources[0] if len(sources) == 1 else SEVERAL


def funding_totals(
    rows: Iterable[FundedMeasure], sources: Sequence[str] = ()
) -> dict[str, FundingTotal]:
    """Totals of ``rows`` (measures not dropped) per funding source and overall.

    The result holds, in this order: every source of ``sources`` (give the policy's
    F1–F5 to list them even when no measure names one), any other single source met, then
    :data:`SEVERAL` and :data:`NO_SOURCE` when any measure falls there, and :data:`TOTAL`
    last. The per-source lines add up to the total."""
    lines: dict[str, FundingTotal] = {s: FundingTotal(s) for s in sources}
    extra: dict[str, FundingTotal] = {}
    total = FundingTotal(TOTAL)
    for row in rows:
        if row.status == MeasureState.DROPPED.value:
            continue
        key = bucket_of(row.funding)
        target = lines if key in lines or key not in (SEVERAL, NO_SOURCE) else extra
        target[key] = target.get(key, FundingTotal(key)).add(row.funding_eur)
        total = total.add(row.funding_eur)
    for key in (SEVERAL, NO_SOURCE):
        if key in extra:
            lines[key] = extra[key]
    lines[TOTAL] = total
    return lines


def round_funding_totals(
    plans: Iterable[Iterable[FundedMeasure]], sources: Sequence[str] = ()
) -> dict[str, FundingTotal]:
    """The totals over several plans (a round's newest plan versions)."""
    return funding_totals((row for plan in plans for row in plan), sources)
