"""The planner's rules on a generated library: gradualness, order, capacity, determinism."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from pvpp.planning.library import Common, Library, MeasureDef, library_problems
from pvpp.planning.planner import LAST_PERIOD, periods, plan_steps
from pvpp.policy import load_policy
from pvpp.policy.models import Text
from pvpp.scoring import score_answers

POLICY = load_policy("pvpp2027-v1")
COMMON = Common.model_validate(
    {
        "policy": POLICY.id,
        "roles": [{"id": "team_lead", "name": {"lv": "Vadītājs", "en": "Lead"}}],
        "support_offers": [{"id": "VAS", "name": {"lv": "VAS", "en": "VAS"}}],
        "effort": [
            {"id": "S", "days": 5, "name": {"lv": "mazs", "en": "small"}},
            {"id": "M", "days": 20, "name": {"lv": "vidējs", "en": "medium"}},
            {"id": "L", "days": 60, "name": {"lv": "liels", "en": "large"}},
        ],
    }
)


def make_library(
    prerequisites: dict[str, tuple[str, ...]] | None = None, effort: str = "S"
) -> Library:
    measures = []
    for item in POLICY.items:
        key = item.id.replace(".", "_")
        for dim in ("D1", "D2", "D3", "D4"):
            for step in (1, 2, 3, 4):
                mid = f"M-{key}-{dim}-{step}"
                fields = {
                    "id": mid, "item": item.id, "dimension": dim, "to_degree": step,
                    "title": Text(lv=f"Solis {mid}", en=f"Step {mid}"),
                    "description": Text(lv="Apraksts.", en="Description."),
                    "effort": effort, "role": "team_lead",
                    "prerequisites": (prerequisites or {}).get(mid, ()),
                    "support": ("VAS",), "funding": ("F1",),
                }  # fmt: skip
                measures.append(MeasureDef(**fields))
    lib = Library(POLICY, COMMON, measures)
    assert library_problems(lib) == []
    return lib


def answers(level: int = 2, **overrides: Any) -> dict[str, Any]:
    out = {
        f"Q_{i.id.replace('.', '_')}_{d}": level
        for i in POLICY.items
        for d in ("D1", "D2", "D3", "D4")
    }
    out.update(overrides)
    return out


START = date(2026, 3, 31)


def test_periods_are_half_years_to_2027() -> None:
    assert [p.code for p in periods(START)] == ["2026H1", "2026H2", "2027H1", "2027H2"]
    assert periods(date(2026, 7, 1))[0].due == date(2026, 12, 31)


def test_same_inputs_same_plan() -> None:
    lib = make_library()
    scores = score_answers(POLICY, answers(1))
    first = plan_steps(lib, scores, start=START, capacity_days=40)
    second = plan_steps(
        make_library(), score_answers(POLICY, answers(1)), start=START, capacity_days=40
    )
    assert [(s.measure.id, s.period) for s in first] == [(s.measure.id, s.period) for s in second]


def test_one_degree_per_step_and_per_period() -> None:
    steps = plan_steps(
        make_library(), score_answers(POLICY, answers(0)), start=START, capacity_days=1000
    )
    by_dim: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for s in steps:
        assert s.to_degree == s.from_degree + 1
        by_dim[(s.item, s.dimension)].append(s)
    for dim_steps in by_dim.values():
        assert [s.to_degree for s in dim_steps] == [1, 2, 3, 4]
        dues = [s.due for s in dim_steps]
        assert dues == sorted(dues) and len(set(dues)) == len(dues)
    # 0 → 4 takes four half-years: exactly the four periods to the end of 2027.
    assert {s.period for s in steps} == {"2026H1", "2026H2", "2027H1", "2027H2"}


def test_capacity_is_respected_and_the_rest_waits_for_2028_2031() -> None:
    steps = plan_steps(
        make_library(effort="M"), score_answers(POLICY, answers(2)), start=START, capacity_days=40
    )
    per_period: dict[str, int] = defaultdict(int)
    for s in steps:
        per_period[s.period] += s.effort_days
    for code, days in per_period.items():
        if code != LAST_PERIOD:
            assert days <= 40, (code, days)
    assert per_period[LAST_PERIOD] > 0
    assert steps[-1].due == date(2031, 12, 31)


def test_priority_decides_what_comes_first() -> None:
    # Component 1 items carry the foundation factor; K5 has the largest gap.
    scores = score_answers(POLICY, answers(3, **{f"Q_K5_D{i}": 0 for i in range(1, 5)}))
    steps = plan_steps(make_library(effort="M"), scores, start=START, capacity_days=40)
    first_period = [s for s in steps if s.period == "2026H1"]
    assert {s.item for s in first_period} == {"K5"}
    assert all(s.to_degree == 1 for s in first_period)


def test_prerequisites_are_added_and_come_earlier() -> None:
    lib = make_library(prerequisites={"M-K1-D1-4": ("M-1_4-D1-3",)})
    scores = score_answers(POLICY, answers(4, Q_K1_D1=3, Q_1_4_D1=1))
    steps = plan_steps(lib, scores, start=START, capacity_days=40)
    ids = {s.measure.id: s for s in steps}
    assert {"M-K1-D1-4", "M-1_4-D1-2", "M-1_4-D1-3"} <= set(ids)
    assert ids["M-1_4-D1-3"].due < ids["M-K1-D1-4"].due


def test_not_applicable_is_not_planned_and_unknown_is_planned_from_zero() -> None:
    na = score_answers(POLICY, answers(4, Q_K2_D1=1, Q_K2_D2="not_applicable"))
    steps = plan_steps(make_library(), na, start=START, capacity_days=1000)
    assert [(s.item, s.dimension) for s in steps] == [("K2", "D1")] * 3
    unknown = score_answers(POLICY, answers(4, Q_K2_D1=1, Q_K2_D2="unknown"))
    steps = plan_steps(make_library(), unknown, start=START, capacity_days=1000)
    d2 = sorted(s.to_degree for s in steps if (s.item, s.dimension) == ("K2", "D2"))
    assert d2 == [1, 2, 3, 4]


def test_rv5_links_follow_the_component() -> None:
    steps = plan_steps(
        make_library(), score_answers(POLICY, answers(3)), start=START, capacity_days=1000
    )
    links = {s.item: s.rv5_measure for s in steps}
    assert links["1.1"] == "P5.1" and links["2.3"] == "P5.1"
    assert links["K7"] == "P5.2" and links["S4"] == "P5.3" and links["R2"] == "P5.3"
