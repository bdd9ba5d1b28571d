"""Rounds compared (pvpp.trends): shared questions, spreads, suppression, positions, jumps."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pvpp.i18n import t
from pvpp.measures import MeasureFacts
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.questionnaire.models import degree_field_id
from pvpp.scoring import score_answers
from pvpp.states.plan_measure import MeasureState
from pvpp.states.status_report import ReportedStatus
from pvpp.trends import (
    Assessed,
    Jump,
    Reason,
    RoundInput,
    Row,
    Shared,
    Trend,
    comparable_scores,
    compare,
    jump_text,
    left_out_text,
    shared_questions,
    spread,
    standing,
)


def answers(spec: QuestionnaireSpec, degree: int, **overrides: Any) -> dict[str, Any]:
    """Every degree field of ``spec`` at ``degree``, then ``overrides`` (field id → value)."""
    out: dict[str, Any] = {f.id: degree for f in spec.degree_fields}
    return out | overrides


def field(item: str, dim: str) -> str:
    return degree_field_id(item, dim)


def test_one_version_shares_every_dimension(spec: QuestionnaireSpec) -> None:
    shared = shared_questions([spec, spec])
    assert shared.left_out == ()
    assert shared.count == len(spec.policy.items) * len(spec.policy.dimensions)
    assert shared.versions == (spec.id,)


def test_versions_compare_only_what_both_ask_alike(
    spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec
) -> None:
    shared = shared_questions([spec, spec_q2])
    left = {(x.item, x.dimension): x for x in shared.left_out}
    # K2 D3 is asked in two questions in version 2: not the same measurement.
    assert left[("K2", "D3")].reason is Reason.PARTS
    assert left[("K2", "D3")].parts == (1, 2)
    # S1 D3 is asked in other words.
    assert left[("S1", "D3")].reason is Reason.REWORDED
    # K9 is asked alike on every dimension; K2 keeps D1 and D2.
    assert shared.dimensions["K9"] == ("D1", "D2", "D3", "D4")
    assert shared.dimensions["K2"] == ("D1", "D2")
    assert shared.count + len(shared.left_out) == 29 * 4
    assert shared.versions == (spec.id, spec_q2.id)
    # Why, in both languages.
    text = left_out_text(left[("K2", "D3")], shared.versions, "en")
    assert text == (
        "K2 D3: asked in a different number of questions by the questionnaire versions "
        "(pvpp2027-q1: 1, pvpp2027-q2: 2)"
    )
    assert "citādi" in left_out_text(left[("S1", "D3")], shared.versions, "lv")


def test_comparable_scores_are_the_scorers_on_one_version(spec: QuestionnaireSpec) -> None:
    given = answers(
        spec, 2, **{field("K3", "D3"): "unknown", field("S3", "D1"): "not_applicable",
                    field("1.4", "D1"): 0, field("K5", "D2"): 4}
    )  # fmt: skip
    scored = score_answers(spec.policy, given)
    mine = comparable_scores(spec.policy, given, shared_questions([spec]))
    assert mine.items == {k: v.score for k, v in scored.items.items()}
    assert mine.components == {k: v.score for k, v in scored.components.items()}
    assert mine.overall == scored.overall
    # "unknown" is no stated degree (a jump looks only at what a team stated).
    assert ("K3", "D3") not in mine.stated and mine.stated[("K5", "D2")] == 4


def test_comparable_scores_leave_out_what_is_not_shared(
    spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec
) -> None:
    shared = shared_questions([spec, spec_q2])
    # K2: D1 and D2 are shared; D3 and D4 (asked in parts in version 2) are not counted.
    given = answers(spec_q2, 1, **{field("K2", "D1"): 3, field("K2", "D2"): 3})
    mine = comparable_scores(spec_q2.policy, given, shared)
    assert mine.items["K2"] == 3.0
    assert score_answers(spec_q2.policy, given).items["K2"].score == 2.0


def test_spread_median_quartiles_and_counts() -> None:
    s = spread([0.0, 1.0, 2.0, 3.0, 4.0], (0, 1, 2, 3, 4))
    assert (s.n, s.median, s.q1, s.q3) == (5, 2.0, 1.0, 3.0)
    assert s.counts == (1, 1, 1, 1, 1)
    # Inclusive quartiles interpolate between ranks.
    s = spread([1.0, 2.0, 2.5, 4.0], (0, 1, 2, 3, 4))
    assert (s.median, s.q1, s.q3) == (2.25, 1.75, 2.875)
    assert s.counts == (0, 1, 2, 0, 1)  # 2.5 rounds to 2, as the national report rounds
    one = spread([3.0], (0, 1, 2, 3, 4))
    assert (one.median, one.q1, one.q3) == (3.0, 3.0, 3.0)
    withheld = spread([1.0, 2.0], (0, 1, 2, 3, 4), withheld=True)
    assert withheld.withheld and withheld.median is None and withheld.counts == ()
    assert withheld.n == 2


def _round(
    code: str, spec: QuestionnaireSpec, institutions: dict[str, tuple[str, dict[str, Any]]],
    plans: list[list[MeasureFacts]] | None = None,
) -> RoundInput:  # fmt: skip
    assessed = [Assessed(c, g, a) for c, (g, a) in sorted(institutions.items())]
    return RoundInput(code, spec, assessed, plans or [])


def _fact(stored: str = "planned", reported: ReportedStatus | None = None) -> MeasureFacts:
    return MeasureFacts("M", date(2026, 12, 31), MeasureState(stored), reported)


def test_compare_two_rounds_on_one_version(spec: QuestionnaireSpec) -> None:
    before = {c: ("G1", answers(spec, 1)) for c in ("A", "B", "C", "D")}
    after = {c: ("G1", answers(spec, 2)) for c in ("A", "B", "C")}
    # D got worse on K3 by three degrees on D2: a jump.
    after["D"] = ("G1", answers(spec, 1, **{field("K3", "D2"): 4}))
    done = ReportedStatus.DONE
    plans = [[_fact(reported=done), _fact(), _fact("dropped")] for _ in range(4)]
    trend = compare(
        [_round("2026-K1", spec, before), _round("2027-K1", spec, after, plans)], publish=True
    )
    assert trend.rounds == ("2026-K1", "2027-K1") and trend.same_questions
    k1 = next(r for r in trend.items if r.key == "K1")
    assert [s.median for s in k1.spreads] == [1.0, 2.0] and k1.change == 1.0
    assert k1.spreads[1].counts == (0, 1, 3, 0, 0)
    c3 = next(r for r in trend.components if r.key == "C3")
    assert c3.change is not None and c3.change > 0
    assert [r.key for r in trend.groups] == ["G1"]
    # Plans: 8 measures not dropped over 4 plans, 4 done; the first round had none.
    assert trend.plans[0].plans == 0 and trend.plans[0].withheld
    last = trend.plans[1]
    assert (last.plans, last.measures, last.done, last.share) == (4, 8, 4, 50.0)
    [jump] = trend.jumps
    assert (jump.institution, jump.item, jump.changes) == ("D", "K3", (("D2", 1, 4),))
    assert jump_text(jump, "en") == (
        "Jump of more than 2 degrees since the last round: item K3 (D2 1 → 4)"
    )
    assert jump_text(jump, "lv").startswith(
        "Lēciens par vairāk nekā 2 pakāpēm kopš iepriekšējā novērtēšanas cikla: punkts K3"
    )
    assert trend.to_dict()["items"][0]["key"] == "1.1"


def test_a_change_of_two_degrees_is_no_jump(spec: QuestionnaireSpec) -> None:
    before = {"A": ("G1", answers(spec, 1))}
    after = {"A": ("G1", answers(spec, 3, **{field("K1", "D1"): "unknown"}))}
    trend = compare([_round("R1", spec, before), _round("R2", spec, after)], publish=False)
    assert trend.jumps == []
    # "unknown" after a stated degree is no jump either: nothing was stated.
    after = {"A": ("G1", answers(spec, 1, **{field("K1", "D1"): "unknown"}))}
    before = {"A": ("G1", answers(spec, 4))}
    trend = compare([_round("R1", spec, before), _round("R2", spec, after)], publish=False)
    assert {(j.item) for j in trend.jumps} == {i.id for i in spec.policy.items}
    assert all(("D1", 4, 0) not in j.changes for j in trend.jumps)


def test_published_figures_over_too_few_are_withheld(spec: QuestionnaireSpec) -> None:
    # Group G1 has five institutions, G2 three: G2's figures are withheld when published.
    insts = {f"A{i}": ("G1", answers(spec, 2)) for i in range(5)}
    insts |= {f"B{i}": ("G2", answers(spec, 1)) for i in range(3)}
    rounds = [_round("R1", spec, insts), _round("R2", spec, insts)]
    published = compare(rounds, publish=True)
    groups = {r.key: r for r in published.groups}
    assert not groups["G1"].spreads[1].withheld and groups["G1"].spreads[1].median == 2.0
    assert groups["G2"].spreads[1].withheld and groups["G2"].spreads[1].median is None
    assert groups["G2"].spreads[1].n == 3 and groups["G2"].change is None
    internal = compare(rounds, publish=False)
    assert {r.key: r.change for r in internal.groups} == {"G1": 0.0, "G2": 0.0}


def test_positions_within_the_group_withheld_below_three_others(spec: QuestionnaireSpec) -> None:
    insts = {
        "A": ("G1", answers(spec, 1)), "B": ("G1", answers(spec, 2)),
        "C": ("G1", answers(spec, 3)), "D": ("G1", answers(spec, 4)),
        "E": ("G2", answers(spec, 2)), "F": ("G2", answers(spec, 3)),
        "H": ("G2", answers(spec, 4)),
    }  # fmt: skip
    trend = compare([_round("R1", spec, insts), _round("R2", spec, insts)], publish=False)
    pos = {p.institution: p for p in trend.positions}
    a = pos["A"]
    assert (a.group, a.n, a.score, a.withheld) == ("G1", 4, 1.0, False)
    assert (a.median, a.q1, a.q3, a.place) == (2.5, 1.75, 3.25, "below")
    assert pos["B"].place == "within" and pos["D"].place == "above"
    # G2 has three institutions: each reader has only two others; withheld, size shown.
    e = pos["E"]
    assert e.withheld and e.median is None and e.q1 is None and e.place is None
    assert (e.n, e.score) == (3, 2.0)


def test_an_institution_stands_in_its_group_per_component_and_item(
    spec: QuestionnaireSpec,
) -> None:
    insts = {
        "A": ("G1", answers(spec, 1, **{field("K9", "D1"): 4})), "B": ("G1", answers(spec, 2)),
        "C": ("G1", answers(spec, 3)), "D": ("G1", answers(spec, 4)),
        "E": ("G2", answers(spec, 2)), "F": ("G2", answers(spec, 3)),
        "H": ("G2", answers(spec, 4)),
    }  # fmt: skip
    rnd = _round("R1", spec, insts)
    a = standing(rnd, "A")
    assert (a.round, a.group, a.overall.n) == ("R1", "G1", 4)
    # The overall position is the comparison's own (one rule for both).
    trend = compare([rnd, rnd], publish=False)
    assert a.overall == next(p for p in trend.positions if p.institution == "A")
    # Per item: K9 is A's own (D1 at 4 of 1s), every item of the questionnaire is there.
    assert set(a.items) == {i.id for i in spec.policy.items}
    assert a.items["K9"].score == pytest.approx(1.75) and a.items["K1"].score == 1.0
    assert (a.items["K1"].median, a.items["K1"].q1, a.items["K1"].place) == (2.5, 1.75, "below")
    assert set(a.components) == {c.id for c in spec.policy.components}
    # A group of three: withheld as E would read it; kept (and marked) without hide.
    e, shown = standing(rnd, "E"), standing(rnd, "E", hide=False)
    assert e.items["K1"].withheld and e.items["K1"].median is None
    assert shown.items["K1"].withheld and shown.items["K1"].median == 3.0
    assert shown.items["K1"].place == "below" and shown.overall.n == 3
    with pytest.raises(KeyError):
        standing(rnd, "ZZ")


def test_rounds_on_two_versions_say_what_they_left_out(
    spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec
) -> None:
    before = {"A": ("G1", answers(spec, 1))}
    # Version 2 splits K2 D3; the institution rates its new parts far apart. Not a jump:
    # K2 D3 is not compared.
    after = {
        "A": ("G1", answers(spec_q2, 1, **{field("K2", "D3"): 4, field("K2", "D3") + "_2": 4}))
    }
    trend = compare([_round("R1", spec, before), _round("R2", spec_q2, after)], publish=False)
    assert not trend.same_questions
    assert ("K2", "D3") in {(x.item, x.dimension) for x in trend.shared.left_out}
    assert trend.jumps == []
    assert next(r for r in trend.items if r.key == "K2").change == 0.0


def test_a_trend_needs_two_rounds(spec: QuestionnaireSpec) -> None:
    with pytest.raises(ValueError, match=r"^a trend compares two rounds or more$"):
        compare([_round("R1", spec, {})])


def test_the_warning_counts_its_degrees_in_latvian() -> None:
    assert t("trends.jump", "lv", n=1).startswith("Lēciens par vairāk nekā 1 pakāpi")
    assert t("trends.jump", "lv", n=2).startswith("Lēciens par vairāk nekā 2 pakāpēm")


def test_the_jump_warning_is_counted_and_withheld_when_published_from_too_few() -> None:
    """Published, the count of institutions with the jump warning needs as many rated in
    the last round as any published figure; the internal form always counts them."""
    shared = Shared((), {}, ())
    jumps = [Jump("VID", "1.1", (("D1", 0, 3),)), Jump("VID", "1.2", (("D2", 4, 1),)),
             Jump("LAD", "1.1", (("D1", 1, 4),))]  # fmt: skip

    def trend(rated: int, publish: bool) -> Trend:
        row = Row("C1", (spread([2.0] * rated, (0, 1, 2, 3, 4)),) * 2, None)
        return Trend(("A", "B"), shared, publish, 4, (0, 1, 2, 3, 4), components=[row],
                     jumps=jumps)  # fmt: skip

    assert trend(4, publish=True).jump_count == 2
    assert trend(3, publish=True).jump_count is None
    assert trend(3, publish=False).jump_count == 2
