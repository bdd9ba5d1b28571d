"""A part of the questionnaire checked on its own (pvpp.questionnaire.values.Scope): for
any answers and any items and service rows, the part's check is the whole check
restricted to the part's fields — the same answers, the same problems in the same order,
the same fields unanswered. An autosave checks only its page on this promise."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvpp.policy.models import LANGS, Lang
from pvpp.questionnaire import AnswerField, FieldKind, QuestionnaireSpec, load_questionnaire
from pvpp.questionnaire.values import Checked, Scope, check_values

SPECS = {version: load_questionnaire(version) for version in ("pvpp2027-q1", "pvpp2027-q2")}


def candidates(spec: QuestionnaireSpec, f: AnswerField) -> list[Any]:
    """Values worth trying in field ``f``: good ones, bad ones, blanks; each rule of
    :mod:`pvpp.questionnaire.values` meets some of them."""
    scale = list(spec.policy.degree_scale.values)
    codes = [o.code for o in spec.questionnaire.non_scoring]
    blank = ["", "  "]
    if f.kind is FieldKind.DEGREE:
        return [*map(str, scale), *codes, spec.degree_label(scale[-1], "en"), "9", "x", *blank]
    if f.kind is FieldKind.TARGET:
        return [*map(str, scale), "9", "not_applicable", *blank]
    if f.kind is FieldKind.SERVICE_TYPE:
        return [st.id for st in spec.policy.service_types] + ["st1", "nav", *blank]
    if f.kind is FieldKind.CONFORMITY:
        return [o.code for o in spec.questionnaire.conformity] + ["varbūt", *blank]
    return ["Teksts", " 12 ", "x" * 5000, *blank]


@st.composite
def answers(draw: st.DrawFn, spec: QuestionnaireSpec) -> dict[str, Any]:
    """Answers to some fields, gathered in a few items and service rows (so that the
    rules between an item's or a row's fields meet)."""
    items = draw(st.lists(st.sampled_from(sorted(spec.item_fields)), max_size=4))
    rows = draw(st.lists(st.sampled_from(sorted(spec.row_fields)), max_size=3))
    pool = [f for i in items for f in spec.item_fields[i]]
    pool += [f for r in rows for f in spec.row_fields[r]]
    pool += list(spec.fields[:3])
    chosen = draw(st.lists(st.sampled_from(pool), max_size=40))
    return {f.id: draw(st.sampled_from(candidates(spec, f))) for f in chosen}


@st.composite
def scopes(draw: st.DrawFn, spec: QuestionnaireSpec) -> Scope:
    items = draw(st.frozensets(st.sampled_from(sorted(spec.item_fields)), max_size=6))
    rows = draw(st.frozensets(st.sampled_from(sorted(spec.row_fields)), max_size=5))
    return Scope(items=items, rows=rows)


def restricted(checked: Checked, spec: QuestionnaireSpec, scope: Scope) -> Checked:
    """The whole check's findings about the part's fields only."""
    inside = {f.id for f in scope.fields(spec)}
    return Checked(
        answers={k: v for k, v in checked.answers.items() if k in inside},
        value_problems=[p for p in checked.value_problems if p.field in inside],
        rule_problems=[p for p in checked.rule_problems if p.field in inside],
        unanswered=[f for f in checked.unanswered if f in inside],
    )


@pytest.mark.parametrize("version", sorted(SPECS))
def test_a_part_is_checked_as_the_whole_check_restricted_to_it(version: str) -> None:
    spec = SPECS[version]

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(values=answers(spec), scope=scopes(spec), lang=st.sampled_from(LANGS))
    def check(values: dict[str, Any], scope: Scope, lang: Lang) -> None:
        whole = check_values(spec, values, lang)
        part = check_values(spec, values, lang, scope=scope)
        assert part == restricted(whole, spec, scope)

    check()


def test_the_whole_questionnaire_as_a_part_is_the_whole_check() -> None:
    spec = SPECS["pvpp2027-q2"]
    everything = Scope(items=frozenset(spec.item_fields), rows=frozenset(spec.row_fields))
    assert [f.id for f in everything.fields(spec)] == [f.id for f in spec.fields]
    values = {
        "Q_1_1_D1": "not_applicable", "TARGET_1_2": "0", "Q_1_2_D1": "3", "SVC02_K1": "yes",
        "SVC03_NAME": "Pakalpojums", "COMMENT_1_3": "x" * 5000,
    }  # fmt: skip
    assert check_values(spec, values, "lv", scope=everything) == check_values(spec, values, "lv")
