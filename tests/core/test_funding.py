"""Funding totals of plan measures (PVPP2027 6.5): per source, several sources, overall."""

from __future__ import annotations

from datetime import date

from pvpp.funding import (
    NO_SOURCE,
    SEVERAL,
    TOTAL,
    FundingFacts,
    FundingTotal,
    bucket_of,
    funding_totals,
    round_funding_totals,
)
from pvpp.policy import load_policy
from pvpp.store.models import PlanMeasure

SOURCES = [f.id for f in load_policy("pvpp2027-v1").funding_sources]


def test_the_policy_has_five_sources() -> None:
    assert SOURCES == ["F1", "F2", "F3", "F4", "F5"]


def test_attribution() -> None:
    assert bucket_of(["F3"]) == "F3"
    assert bucket_of(["F1", "F3"]) == SEVERAL
    assert bucket_of(["F1", "F1"]) == "F1"
    assert bucket_of([]) == NO_SOURCE


def test_totals_per_source_and_overall() -> None:
    rows = [
        FundingFacts(["F1"], 12_000, "planned"),
        FundingFacts(["F1"], None, "planned"),
        FundingFacts(["F3"], 80_000, "done"),
        FundingFacts(["F1", "F3"], 5_000, "planned"),
        FundingFacts(["F1", "F3"], None, "planned"),
        FundingFacts([], 0, "planned"),
        FundingFacts(["F2"], 99_999, "dropped"),  # dropped: not carried out, not counted
    ]
    totals = funding_totals(rows, SOURCES)
    assert list(totals) == [*SOURCES, SEVERAL, NO_SOURCE, TOTAL]
    assert totals["F1"] == FundingTotal("F1", eur=12_000, measures=2, with_amount=1)
    assert totals["F1"].without_amount == 1
    assert totals["F2"] == FundingTotal("F2")
    assert totals["F3"] == FundingTotal("F3", eur=80_000, measures=1, with_amount=1)
    assert totals[SEVERAL] == FundingTotal(SEVERAL, eur=5_000, measures=2, with_amount=1)
    # A stated 0 is a stated amount.
    assert totals[NO_SOURCE] == FundingTotal(NO_SOURCE, eur=0, measures=1, with_amount=1)
    total = totals[TOTAL]
    assert (total.eur, total.measures, total.with_amount) == (97_000, 6, 4)
    lines = [v for k, v in totals.items() if k != TOTAL]
    assert sum(v.eur for v in lines) == total.eur
    assert sum(v.measures for v in lines) == total.measures


def test_without_sources_listed_only_the_buckets_met_appear() -> None:
    totals = funding_totals([FundingFacts(["F4"], 10, "planned")])
    assert list(totals) == ["F4", TOTAL]
    assert funding_totals([]) == {TOTAL: FundingTotal(TOTAL)}


def test_plan_measure_rows_and_several_plans() -> None:
    def row(funding: list[str], eur: int | None, status: str = "planned") -> PlanMeasure:
        return PlanMeasure(
            plan_id=1, position=1, measure_id="M-K1-D1-1", item_id="K1", dimension_id="D1",
            from_degree=0, to_degree=1, period="2026H1", due_on=date(2026, 6, 30),
            rv5_measure="P5.2", role="head", effort="S", priority=1.0, funding=funding,
            funding_eur=eur, status=status,
        )  # fmt: skip

    one = [row(["F1"], 1_000), row(["F1", "F3"], 2_000)]
    other = [row(["F1"], 500), row(["F5"], None, "dropped")]
    totals = round_funding_totals([one, other], SOURCES)
    assert totals["F1"].eur == 1_500 and totals["F1"].measures == 2
    assert totals[SEVERAL].eur == 2_000
    assert totals["F5"].measures == 0
    assert totals[TOTAL].eur == 3_500
