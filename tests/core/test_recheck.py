"""The re-check of a plan the team shaped: each warning, never a change to the steps; and
the planner's own targets."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pvpp.planning.planner import LAST_DUE, LAST_PERIOD, PlannedStep, plan_steps
from pvpp.planning.recheck import CODES, FinalStep, OwnTarget, Warning, recheck, warning_text
from pvpp.scoring import ScoreResult, score_answers
from tests.core.test_planner import POLICY, START, answers, make_library

LIB = make_library(prerequisites={"M-1_1-D1-3": ("M-1_2-D1-3",)})
DUE = {
    "2026H1": date(2026, 6, 30),
    "2026H2": date(2026, 12, 31),
    "2027H1": date(2027, 6, 30),
    "2027H2": date(2027, 12, 31),
    LAST_PERIOD: LAST_DUE,
}


def final(steps: list[PlannedStep]) -> list[FinalStep]:
    return [
        FinalStep(s.measure.id, s.item, s.dimension, s.to_degree, s.period, s.due, s.effort_days)
        for s in steps
    ]


def scores_at(level: int = 2, **overrides: object) -> ScoreResult:
    return score_answers(POLICY, answers(level, **overrides))


def check(
    steps: list[FinalStep],
    *,
    capacity: int = 40,
    targets: dict[str, OwnTarget] | None = None,
    level: int = 2,
) -> list[Warning]:
    return recheck(
        LIB,
        scores_at(level),
        start=START,
        capacity_days=capacity,
        targets=targets or {},
        steps=steps,
    )


def moved(steps: list[FinalStep], mid: str, period: str) -> list[FinalStep]:
    return [replace(s, period=period, due=DUE[period]) if s.measure_id == mid else s for s in steps]


def codes(warnings: list[Warning]) -> list[str]:
    return [w["code"] for w in warnings]


def proposal(level: int = 2, capacity: int = 40) -> list[FinalStep]:
    return final(plan_steps(LIB, scores_at(level), start=START, capacity_days=capacity))


def test_the_planners_own_proposal_has_no_warning() -> None:
    steps = proposal()
    assert steps and check(steps) == []


def test_capacity_exceeded_in_a_half_year() -> None:
    steps = proposal()
    first = [s for s in steps if s.period == "2026H1"]
    later = next(s for s in steps if s.period == "2027H2")
    # Moving one more 5-day measure into a period the planner filled to 40 days.
    assert sum(s.effort_days for s in first) == 40
    warnings = check(moved(steps, later.measure_id, "2026H1"))
    assert warnings[0] == {
        "code": "capacity_exceeded",
        "params": {"period": "2026H1", "need": 45, "capacity": 40},
    }
    # The steps are the team's: the re-check reports, it never moves anything back.
    assert check(steps, capacity=10)[0]["params"] == {
        "period": "2026H1",
        "need": 40,
        "capacity": 10,
    }


def test_a_step_in_the_same_period_as_its_lower_step_breaks_gradualness() -> None:
    steps = proposal()
    upper = next(s for s in steps if s.measure_id == "M-1_1-D2-4")
    lower = next(s for s in steps if s.measure_id == "M-1_1-D2-3")
    assert lower.due < upper.due
    warnings = check(moved(steps, upper.measure_id, lower.period))
    assert {
        "code": "lower_step_not_before",
        "params": {
            "measure": "M-1_1-D2-4",
            "item": "1.1",
            "dimension": "D2",
            "period": lower.period,
            "previous": "M-1_1-D2-3",
            "previous_period": lower.period,
        },
    } in warnings


def test_a_dropped_or_missing_lower_step() -> None:
    steps = proposal()
    dropped = [replace(s, dropped=True) if s.measure_id == "M-1_1-D2-3" else s for s in steps]
    assert "lower_step_dropped" in codes(check(dropped))
    missing = [s for s in steps if s.measure_id != "M-1_1-D2-3"]
    got = [w for w in check(missing) if w["code"] == "lower_step_missing"]
    assert got[0]["params"]["measure"] == "M-1_1-D2-4" and got[0]["params"]["degree"] == 3


def test_a_measure_before_its_prerequisite() -> None:
    steps = proposal()
    pre = next(s for s in steps if s.measure_id == "M-1_2-D1-3")
    step = next(s for s in steps if s.measure_id == "M-1_1-D1-3")
    assert pre.due < step.due
    warnings = check(moved(steps, "M-1_2-D1-3", step.period))
    assert {
        "code": "prerequisite_not_before",
        "params": {
            "measure": "M-1_1-D1-3",
            "prerequisite": "M-1_2-D1-3",
            "period": step.period,
            "prerequisite_period": step.period,
        },
    } in warnings
    dropped = [replace(s, dropped=True) if s.measure_id == "M-1_2-D1-3" else s for s in steps]
    assert "prerequisite_dropped" in codes(check(dropped))
    missing = [s for s in steps if s.measure_id != "M-1_2-D1-3"]
    assert "prerequisite_missing" in codes(check(missing))


def test_two_steps_in_2028_2031_are_not_reported_against_each_other() -> None:
    steps = [moved([s], s.measure_id, LAST_PERIOD)[0] for s in proposal()]
    assert "lower_step_not_before" not in codes(check(steps))


def test_own_target_below_national_and_steps_kept_above_it() -> None:
    steps = proposal()
    targets = {"1.1": OwnTarget(3, "Nav resursu līdz 2027. gadam")}
    warnings = check(steps, targets=targets)
    assert {
        "code": "target_below_national",
        "params": {
            "item": "1.1",
            "target": 3,
            "national": 4,
            "reason": "Nav resursu līdz 2027. gadam",
        },
    } in warnings
    above = [w["params"]["measure"] for w in warnings if w["code"] == "above_own_target"]
    assert sorted(above) == ["M-1_1-D1-4", "M-1_1-D2-4", "M-1_1-D3-4", "M-1_1-D4-4"]


def test_own_measure_without_a_gap_or_without_a_link() -> None:
    own = FinalStep(
        "OWN-1",
        "1.1",
        "D1",
        None,
        "2026H2",
        DUE["2026H2"],
        5,
        origin="own",
        title="Terminu vārdnīca",
    )
    assert check([own], level=2) == []  # degree 2 of target 4: a gap to work on
    at_top = check([own], level=4)
    assert at_top == [
        {
            "code": "own_measure_no_gap",
            "params": {
                "measure": "OWN-1",
                "title": "Terminu vārdnīca",
                "item": "1.1",
                "dimension": "D1",
                "target": 4,
            },
        }
    ]
    lost = replace(own, item="9.9")
    assert codes(check([lost])) == ["own_measure_unknown_link"]


def test_every_code_has_words_in_both_languages_with_names_after_codes() -> None:
    warning = {
        "code": "lower_step_not_before",
        "params": {
            "measure": "M-1_1-D2-4",
            "item": "1.1",
            "dimension": "D2",
            "period": "2026H1",
            "previous": "M-1_1-D2-3",
            "previous_period": "2026H1",
        },
    }
    lv = warning_text(warning, LIB, "lv")
    en = warning_text(warning, LIB, "en")
    item = POLICY.item("1.1").name
    assert f"1.1 {item.lv}" in lv and f"1.1 {item.en}" in en
    assert "M-1_1-D2-4 “Solis M-1_1-D2-4”" in lv and "D2 " in en
    assert "vienā periodā dimensija pieaug ne vairāk kā par vienu pakāpi" in lv
    capacity = {
        "code": "capacity_exceeded",
        "params": {"period": "2026H1", "need": 45, "capacity": 40},
    }
    assert "vajadzīgās cilvēkdienas: 45" in warning_text(capacity, LIB, "lv")
    own = {
        "code": "own_measure_no_gap",
        "params": {
            "measure": "OWN-1",
            "title": "Vārdnīca",
            "item": "1.1",
            "dimension": "D1",
            "target": 4,
        },
    }
    assert "OWN-1 “Vārdnīca”" in warning_text(own, LIB, "en")
    for code in CODES:  # every code is worded (a missing key raises)
        params = {
            k: "x"
            for k in (
                "period",
                "measure",
                "prerequisite",
                "prerequisite_period",
                "previous",
                "previous_period",
                "degree",
                "target",
                "national",
                "reason",
                "title",
            )
        }
        params.update(item="1.1", dimension="D1", need=1, capacity=1)
        for lang in ("lv", "en"):
            assert warning_text({"code": code, "params": params}, LIB, lang)


def test_an_own_target_removes_the_steps_above_it_and_keeps_prerequisites() -> None:
    scores = scores_at(2)
    full = plan_steps(LIB, scores, start=START, capacity_days=40)
    lower = plan_steps(LIB, scores, start=START, capacity_days=40, targets={"1.1": 3})
    assert {s.measure.id for s in full} - {s.measure.id for s in lower} == {
        "M-1_1-D1-4",
        "M-1_1-D2-4",
        "M-1_1-D3-4",
        "M-1_1-D4-4",
    }
    # An item's own target does not take away a step another item needs first.
    need = plan_steps(LIB, scores, start=START, capacity_days=40, targets={"1.2": 2})
    assert [s.measure.id for s in need if s.item == "1.2"] == ["M-1_2-D1-3"]
    # Same inputs, same plan; no targets is the plan as before.
    again = plan_steps(LIB, scores, start=START, capacity_days=40, targets={"1.1": 3})
    assert [(s.measure.id, s.period) for s in again] == [(s.measure.id, s.period) for s in lower]
    assert plan_steps(LIB, scores, start=START, capacity_days=40, targets={}) == full
