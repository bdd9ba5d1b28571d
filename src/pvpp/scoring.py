"""Scores, targets, gaps and priorities of one answer set, each number with its reason.

Method ``pvpp-score-3`` (documented with a worked example in docs/scoring.md):

- dimension: its answer; where the questionnaire asks a dimension in several questions
  (parts, ``Q_<item>_<dim>_2`` …), the lowest of their answers — a dimension is at a
  degree only when every part of it is;
- item score: the mean of its rated dimensions; "unknown" counts as the lowest degree (0),
  "not applicable" and "the question is unclear" are left out (the latter with a
  warning); an item without a rated dimension is *unrated*, never 0;
- component score and overall score: weighted means of the rated item scores (weights
  from the policy data); the overall index is the overall score over the top degree, ×100;
- target: the institution's own target for the item if given, else the national target;
- gap: target − item score, not below 0;
- priority: gap × item weight × the component's foundation factor (policy data: 1.5 for
  component 1 in ``pvpp2027-v1``, whose items the others depend on, a designed value;
  1.0 otherwise);
- warnings (not errors): a degree of 3 or more without evidence; documentation (D2) of 2
  or more while responsibility (D1) is 0; a change of more than 2 degrees on a dimension
  since the previous round; an "unknown" counted as 0; a question answered "unclear",
  left out (and the item unrated when nothing else rates it).

Every number can explain itself: :func:`explain_lines` writes how each was computed, in
the reader's language, from the catalogue (``scoring.*`` in :mod:`pvpp.i18n`). The result
keeps only numbers and codes, so it reads the same whichever language asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from pvpp.i18n import Num, number, t
from pvpp.policy import Policy
from pvpp.policy.models import Lang
from pvpp.questionnaire.models import degree_field_id, item_key

METHOD = "pvpp-score-3"
#: The answer "Nav zināms": what a team cannot confirm, it cannot rely on.
UNKNOWN = "unknown"
#: The answer "Jautājums nav saprotams": a non-scoring answer (the question failed, not
#: the institution), left out of the score with a warning; the ministry sees how often
#: each question gets it.
UNCLEAR = "unclear"
#: The answers that count as the lowest degree.
COUNTS_AS_LOWEST = (UNKNOWN,)
HIGH_DEGREE = 3
JUMP = 2


@dataclass
class ItemScore:
    item: str
    component: str
    degrees: dict[str, int | str | None]
    score: float | None
    weight: float
    national_target: int
    own_target: int | None
    target: int
    gap: float | None
    foundation_factor: float
    priority: float | None


@dataclass
class ComponentScore:
    component: str
    score: float | None
    rated_items: int
    items: int


@dataclass
class Warning:
    """A consistency warning; ``message`` holds its text in each language (lv, en)."""

    code: str
    item: str
    message: dict[str, str]


@dataclass
class ScoreResult:
    method: str
    items: dict[str, ItemScore]
    components: dict[str, ComponentScore]
    overall: float | None
    index: float | None
    warnings: list[Warning]
    top_degree: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rated(pairs: Iterable[tuple[float | None, float]]) -> list[tuple[float, float]]:
    """The (score, weight) pairs with a score: an unrated item does not count."""
    return [(score, weight) for score, weight in pairs if score is not None]


def _weighted(pairs: list[tuple[float, float]]) -> float | None:
    total = sum(w for _, w in pairs)
    return sum(s * w for s, w in pairs) / total if pairs and total else None


def method_paragraphs(policy: Policy, lang: Lang) -> list[str]:
    """How the scores are computed, in the reader's language, with the policy's own
    values (its lowest degree, the foundation component and its factor): the plan's
    method page and the portal's results page."""
    foundation = next((c for c in policy.components if c.foundation), policy.components[0])
    low = policy.degree_scale.min
    factor = number(foundation.foundation_factor, lang, None)
    out = [t("plan.method_text", lang, low=low, factor=factor, component=foundation.number)]
    if "items" in foundation.provisional:
        out.append(t("plan.method_component", lang, component=foundation.number))
    return out


def designed_lines(policy: Policy, lang: Lang) -> list[dict[str, str]]:
    """The designed values a reader's numbers depend on (the policy's ``designed``
    entries marked ``numbers``), each with its name and why: listed wherever scores are
    shown to an institution, generated from the data, never kept by hand."""
    return [
        {"id": d.id, "name": d.name.get(lang), "note": d.note.get(lang)}
        for d in policy.designed_for_numbers()
    ]


def degree_of(value: Any) -> int | None:
    """The degree an answer counts as: a degree as given, "unknown" as the lowest degree
    (0), anything else ("not applicable", "unclear", empty) as no degree. The scorer and the planner
    both read answers through this one rule."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return 0 if value in COUNTS_AS_LOWEST else None


def _parts(answers: dict[str, Any], bases: set[str]) -> dict[str, list[Any]]:
    """Dimension field id → the answers of its further parts (``<id>_2``, ``<id>_3`` …),
    in part order."""
    found: dict[str, list[tuple[int, Any]]] = {}
    for key, value in answers.items():
        base, _, part = key.rpartition("_")
        if base in bases and part.isdigit():
            found.setdefault(base, []).append((int(part), value))
    return {base: [v for _, v in sorted(values)] for base, values in found.items()}


def combine_parts(values: list[Any]) -> Any:
    """The answer of a dimension asked in several parts: the part answer that counts
    lowest (a degree before an unknown of the same count); parts answered "not
    applicable" or "unclear" are left out; when no part counts, "unclear" if a part is
    (the dimension is to be clarified), else "not applicable"; None when no part is
    answered."""
    given = [v for v in values if v is not None]
    counted = [(d, v) for v in given if (d := degree_of(v)) is not None]
    if counted:
        return min(counted, key=lambda dv: (dv[0], not _is_degree(dv[1])))[1]
    if UNCLEAR in given:
        return UNCLEAR
    return given[0] if given else None


def unclear_fields(answers: dict[str, Any]) -> set[str]:
    """The dimension field ids with a question (or a part of one: ``<id>_2`` …) answered
    "unclear": a part left out of a dimension that still has a degree counts too."""
    out = set()
    for key, value in answers.items():
        if value == UNCLEAR:
            base, _, part = key.rpartition("_")
            out.add(base if part.isdigit() else key)
    return out


def dimension_answers(policy: Policy, answers: dict[str, Any]) -> dict[str, Any]:
    """``answers`` with each dimension's field holding the dimension's answer: its parts'
    combined (:func:`combine_parts`) where it was asked in several."""
    bases = {degree_field_id(i.id, d.id) for i in policy.items for d in policy.dimensions}
    parts = _parts(answers, bases)
    if not parts:
        return answers
    out = dict(answers)
    for base, rest in parts.items():
        out[base] = combine_parts([answers.get(base), *rest])
    return out


def score_answers(
    policy: Policy, answers: dict[str, Any], previous: dict[str, Any] | None = None
) -> ScoreResult:
    """Score one answer set (field id → value, as the workbook checker gives it)."""
    items: dict[str, ItemScore] = {}
    warnings: list[Warning] = []
    unclear_ids = unclear_fields(answers)
    answers = dimension_answers(policy, answers)
    previous = dimension_answers(policy, previous) if previous else previous
    top = policy.degree_scale.max
    dims = [d.id for d in policy.dimensions]
    for component in policy.components:
        factor = component.foundation_factor
        for item in component.items:
            degrees = {d: answers.get(degree_field_id(item.id, d)) for d in dims}
            counted = {d: degree_of(v) for d, v in degrees.items()}
            rated = {d: v for d, v in counted.items() if v is not None}
            own = answers.get(f"TARGET_{item_key(item.id)}")
            own = own if isinstance(own, int) else None
            target = own if own is not None else item.national_target
            score: float | None = None
            gap: float | None = None
            priority: float | None = None
            if rated:
                score = sum(rated.values()) / len(rated)
                gap = max(0.0, target - score)
                priority = gap * item.weight * factor
            items[item.id] = ItemScore(
                item.id, component.id, degrees, score, item.weight, item.national_target, own,
                target, gap, factor, priority,
            )  # fmt: skip
            given = {d: v for d, v in rated.items() if degrees[d] not in COUNTS_AS_LOWEST}
            warnings += _warnings(policy, item.id, given, answers, previous, dims)
            if lowest := [d for d in dims if degrees[d] == UNKNOWN]:
                warnings.append(_warn(policy, "unknown_counts_as_zero", item.id, dimensions=lowest))
            if unclear := [d for d in dims if degree_field_id(item.id, d) in unclear_ids]:
                # Left out, not counted: the item is rated on the rest, or unrated (no
                # gap, so nothing planned for it) until the team clarifies the question.
                code = "unclear_left_out" if score is not None else "unclear_unrated"
                warnings.append(_warn(policy, code, item.id, dimensions=unclear))

    components = {}
    for component in policy.components:
        pairs = _rated((items[i.id].score, i.weight) for i in component.items)
        value = _weighted(pairs)
        components[component.id] = ComponentScore(
            component.id, value, len(pairs), len(component.items)
        )
    pairs = _rated((s.score, s.weight) for s in items.values())
    overall = _weighted(pairs)
    index = overall / top * 100 if overall is not None else None
    return ScoreResult(METHOD, items, components, overall, index, warnings, top)


#: The parameters of a warning that hold dimension codes (one, or a list).
_DIMENSION_VALUES = ("dimension", "dimensions", "high", "d1")


def _warn(policy: Policy, code: str, item: str, **values: object) -> Warning:
    """A warning in both languages (the plan PDF and the command line each pick their
    reader's), every item and dimension code followed by its name where a person reads
    it: "1.1 Pakalpojumu pārvaldības vienota terminoloģija", "D1 Atbildīgie"."""
    node = policy.item(item)
    dims = {d.id: d for d in policy.dimensions}

    def named(code: str, lang: Lang) -> str:
        d = dims.get(code)
        return f"{code} {d.name.get(lang)}" if d else code

    message: dict[str, str] = {}
    langs: tuple[Lang, ...] = ("lv", "en")
    for lang in langs:
        shown: dict[str, object] = dict(values)
        for key in _DIMENSION_VALUES:
            if key in shown:
                codes = shown[key]
                listed = codes if isinstance(codes, (list, tuple)) else [codes]
                shown[key] = ", ".join(named(str(c), lang) for c in listed)
        # n=None: a warning counts nothing, and naming it lets ``values`` fill only the text.
        message[lang] = t(
            f"scoring.warning.{code}", lang, None, item=f"“{item} {node.name.get(lang)}”", **shown
        )
    return Warning(code, item, message)


def _warnings(
    policy: Policy,
    item: str,
    rated: dict[str, int],
    answers: dict[str, Any],
    previous: dict[str, Any] | None,
    dims: list[str],
) -> list[Warning]:
    out = []
    evidence = answers.get(f"EVIDENCE_{item_key(item)}")
    high = [d for d, v in rated.items() if v >= HIGH_DEGREE]
    if high and not evidence:
        out.append(_warn(policy, "high_without_evidence", item, high=high))
    d2 = rated.get("D2", 0)
    if d2 >= 2 and rated.get("D1") == 0:
        out.append(_warn(policy, "documented_without_owner", item, d2=d2, d1="D1"))
    if previous:
        for d in dims:
            before = previous.get(degree_field_id(item, d))
            now = rated.get(d)
            if isinstance(before, int) and now is not None and abs(now - before) > JUMP:
                out.append(_warn(policy, "jump", item, dimension=d, before=before, now=now))
    return out


def _is_degree(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _answer(value: Any, lang: Lang) -> str:
    """A left-out answer as the reader's language names it ("Nav zināms", "unknown")."""
    if value is None:
        return t("scoring.answer.missing", lang)
    if value in ("not_applicable", UNCLEAR, *COUNTS_AS_LOWEST):
        return t(f"scoring.answer.{value}", lang)
    return str(value)


def _item_lines(s: ItemScore, lang: Lang) -> list[str]:
    if s.score is None or s.gap is None or s.priority is None:
        return [t("scoring.explain.item_unrated", lang, item=s.item)]
    score, gap = Num(s.score, 2), Num(s.gap, 2)
    terms = ", ".join(
        f"{d} {degree_of(v)}" + ("" if _is_degree(v) else f" ({_answer(v, lang)})")
        for d, v in s.degrees.items()
        if degree_of(v) is not None
    )
    left_out = [f"{d}: {_answer(v, lang)}" for d, v in s.degrees.items() if degree_of(v) is None]
    if left_out:
        line = t(
            "scoring.explain.item_partial",
            lang,
            item=s.item,
            terms=terms,
            score=score,
            left_out=", ".join(left_out),
        )
    else:
        line = t("scoring.explain.item", lang, item=s.item, terms=terms, score=score)
    source = "own_target" if s.own_target is not None else "national_target"
    return [
        line,
        t(
            "scoring.explain.gap",
            lang,
            item=s.item,
            source=t(f"scoring.explain.{source}", lang),
            target=s.target,
            score=score,
            gap=gap,
        ),
        t(
            "scoring.explain.priority",
            lang,
            item=s.item,
            gap=gap,
            weight=Num(s.weight),
            factor=Num(s.foundation_factor),
            priority=Num(s.priority, 2),
        ),
    ]


def _component_line(c: ComponentScore, lang: Lang) -> str:
    if c.score is None:
        return t("scoring.explain.component_unrated", lang, component=c.component)
    return t(
        "scoring.explain.component",
        lang,
        c.rated_items,
        component=c.component,
        score=Num(c.score, 2),
    )


def component_lines(result: ScoreResult, lang: Lang = "lv") -> list[str]:
    """How each component score was computed, in ``lang``."""
    return [_component_line(c, lang) for c in result.components.values()]


def explain_lines(result: ScoreResult, lang: Lang = "lv") -> list[str]:
    """Every computed number with how it was computed, in order, all in ``lang``: the
    overall score and index, each component, each item (score, gap, priority), then the
    warnings."""
    if result.overall is None or result.index is None:
        lines = [t("scoring.explain.overall_unrated", lang)]
    else:
        rated = sum(1 for s in result.items.values() if s.score is not None)
        overall = Num(result.overall, 2)
        lines = [
            t(
                "scoring.explain.overall",
                lang,
                rated,
                overall=overall,
                top=result.top_degree,
                index=Num(result.index, 1),
            )
        ]
    lines += component_lines(result, lang)
    for s in result.items.values():
        lines += _item_lines(s, lang)
    lines += [
        t("scoring.explain.warning", lang, code=w.code, message=w.message[lang])
        for w in result.warnings
    ]
    return lines
