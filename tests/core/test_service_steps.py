"""P5.2 measures naming services: which groups get one, when, and in what order."""

from __future__ import annotations

from datetime import date
from typing import Any

from pvpp.planning.library import Library, MeasureDef, library_problems, load_library
from pvpp.planning.planner import LAST_PERIOD, plan_steps
from pvpp.planning.service_steps import service_steps, with_service_steps
from pvpp.policy.models import Text
from pvpp.scoring import score_answers
from pvpp.services import read_services
from tests.core.test_planner import COMMON, POLICY, START, answers, make_library

GROUPS = [f"K{n}" for n in range(1, 11)]


def library(effort: str = "S") -> Library:
    base = make_library()
    extra = [
        MeasureDef(
            id=f"M-{g}-SVC",
            item=g,
            title=Text(lv=f"Pakalpojumi {g}", en=f"Services {g}"),
            description=Text(lv="Apraksts.", en="Description."),
            effort=effort,
            role="team_lead",
            funding=("F1",),
        )
        for g in GROUPS
    ]
    lib = Library(POLICY, COMMON, base.measures, extra)
    assert library_problems(lib) == []
    return lib


def with_services(base: dict[str, Any], rows: dict[str, dict[str, str]]) -> dict[str, Any]:
    """``base`` answers with services: name → {group: answer}, every other group "yes"."""
    out = dict(base)
    for row, (name, values) in enumerate(rows.items(), start=1):
        out[f"SVC{row:02d}_NAME"] = name
        out[f"SVC{row:02d}_TYPE"] = "ST1"
        for g in GROUPS:
            out[f"SVC{row:02d}_{g}"] = values.get(g, "yes")
    return out


# Every item at its target except K3 (all four dimensions at 2): the plan raises K3 only.
ONLY_K3 = answers(4, **{f"Q_K3_{d}": 2 for d in ("D1", "D2", "D3", "D4")})
SERVICES = {
    "Atļaujas izsniegšana": {"K3": "no", "K1": "no"},
    "Sūdzību izskatīšana": {"K3": "partly", "K2": "na"},
    "Reģistra izziņa": {},
}


def plan(answers_: dict[str, Any], capacity: int = 40, start: date = START) -> list[Any]:
    lib = library()
    scores = score_answers(POLICY, answers_)
    steps = plan_steps(lib, scores, start=start, capacity_days=capacity)
    services = read_services(POLICY, answers_)
    return with_service_steps(lib, scores, services, steps, start=start, capacity_days=capacity)


def test_groups_not_or_partly_met_get_a_measure_naming_their_services() -> None:
    steps = plan(with_services(ONLY_K3, SERVICES))
    named = {s.item: s for s in steps if s.services}
    assert set(named) == {"K1", "K3"}
    k3 = named["K3"]
    assert k3.services == ("Atļaujas izsniegšana", "Sūdzību izskatīšana")
    assert named["K1"].services == ("Atļaujas izsniegšana",)
    assert k3.measure.id == "M-K3-SVC" and k3.rv5_measure == "P5.2"
    assert (k3.dimension, k3.from_degree, k3.to_degree) == ("", 0, 0)
    # The group's priority: K3's gap 2 × weight 1; K1 is at its target.
    assert k3.priority == 2.0 and named["K1"].priority == 0.0
    # Steps are unchanged: the service measures come on top.
    assert [s for s in steps if not s.services] == plan_steps(
        library(), score_answers(POLICY, ONLY_K3), start=START
    )


def test_a_service_measure_comes_after_its_groups_steps() -> None:
    steps = plan(with_services(ONLY_K3, SERVICES))
    k3_steps = [s for s in steps if s.item == "K3" and not s.services]
    assert {s.period for s in k3_steps} == {"2026H1", "2026H2"}
    k3 = next(s for s in steps if s.services and s.item == "K3")
    assert k3.period == "2027H1" and k3.due == date(2027, 6, 30)
    # A group at its target has no steps to wait for: its measure starts at once.
    k1 = next(s for s in steps if s.services and s.item == "K1")
    assert k1.period == "2026H1"
    # Plan order: by due date; in a period, a service measure after its group's steps.
    dues = [s.due for s in steps]
    assert dues == sorted(dues)


def test_capacity_moves_it_later_but_never_past_2027() -> None:
    # 20 person-days: K3's four S steps fill 2026H1 and 2026H2.
    steps = plan(with_services(ONLY_K3, SERVICES), capacity=20)
    named = {s.item: s.period for s in steps if s.services}
    assert named == {"K3": "2027H1", "K1": "2027H1"}
    # 5 person-days: K3's steps take every half-year to 2027 and more; the service
    # measure still stays in the roadmap, in its last half-year, over capacity.
    steps = plan(with_services(ONLY_K3, SERVICES), capacity=5)
    assert any(s.item == "K3" and s.period == LAST_PERIOD for s in steps)
    named = {s.item: s.period for s in steps if s.services}
    assert named == {"K3": "2027H2", "K1": "2027H2"}


def test_within_a_period_the_service_measure_follows_the_groups_steps() -> None:
    # K3 at 3 on every dimension: one step each to 4, in a plan made for 2027H2.
    base = answers(4, **{f"Q_K3_{d}": 3 for d in ("D1", "D2", "D3", "D4")})
    steps = plan(with_services(base, SERVICES), start=date(2027, 7, 1))
    k3 = [s for s in steps if s.item == "K3"]
    # Only 2027H2 is left in the roadmap: steps and the service measure share it, the
    # service measure last.
    assert {s.period for s in k3} == {"2027H2"}
    assert k3[-1].services and not any(s.services for s in k3[:-1])


def test_a_plan_starting_after_2027_puts_it_in_the_last_period() -> None:
    steps = plan(with_services(ONLY_K3, SERVICES), start=date(2028, 1, 1))
    assert {s.period for s in steps if s.services} == {LAST_PERIOD}


def test_no_services_or_all_conforming_adds_nothing() -> None:
    lib = library()
    scores = score_answers(POLICY, ONLY_K3)
    steps = plan_steps(lib, scores, start=START)
    conforming = read_services(POLICY, with_services(ONLY_K3, {"Reģistra izziņa": {}}))
    assert service_steps(lib, scores, conforming, steps, start=START) == []
    assert with_service_steps(lib, scores, [], steps, start=START) == steps
    # A library without service measures (built in code) plans none.
    bare = make_library()
    services = read_services(POLICY, with_services(ONLY_K3, SERVICES))
    assert service_steps(bare, scores, services, steps, start=START) == []


def test_same_inputs_same_plan() -> None:
    first = plan(with_services(ONLY_K3, SERVICES))
    second = plan(with_services(ONLY_K3, SERVICES))
    assert first == second


def test_the_shipped_library_has_one_service_measure_per_group() -> None:
    lib = load_library("pvpp2027-v1")
    assert sorted(lib.for_services, key=GROUPS.index) == GROUPS
    for group, m in lib.for_services.items():
        assert m.id == f"M-{group}-SVC" and lib.by_id[m.id] is m
        assert (m.dimension, m.to_degree, m.prerequisites) == ("", 0, ())
        assert len(m.title.lv) <= 90 and m.title.lv != m.title.en
        assert any(ch in m.title.lv + m.description.lv for ch in "āčēģīķļņšūž")
    # They are not steps: the per-step index holds none of them.
    assert all(m.dimension for ms in lib.by_step.values() for m in ms)
