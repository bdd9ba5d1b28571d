"""Scores, targets, gaps and priorities of one answer set, each number with its reason.

Method ``pvpp-score-2`` (documented with a worked example in docs/scoring.md):

- item score: the mean of its rated dimensions; "unknown" counts as the lowest degree (0),
  "not applicable" is left out; an item without a rated dimension is *unrated*, never 0;
- component score and overall score: weighted means of the rated item scores (weights
  from the policy data); the overall index is the overall score over the top degree, ×100;
- target: the institution's own target for the item if given, else the national target;
- gap: target − item score, not below 0;
- priority: gap × item weight × foundation factor (1.5 for the foundation component,
  whose items the others depend on; 1.0 otherwise);
- warnings (not errors): a degree of 3 or more without evidence; documentation (D2) of 2
  or more while responsibility (D1) is 0; a change of more than 2 degrees on a dimension
  since the previous round.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pvpp.policy import Policy
from pvpp.policy.models import Lang
from pvpp.questionnaire.models import degree_field_id, item_key

METHOD = "pvpp-score-2"
#: The answer "Nav zināms": what a team cannot confirm, it cannot rely on.
UNKNOWN = "unknown"
FOUNDATION_FACTOR = 1.5
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
    explain: list[str] = field(default_factory=list)


@dataclass
class ComponentScore:
    component: str
    score: float | None
    rated_items: int
    items: int
    explain: str = ""


@dataclass
class Warning:
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
    explain: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def _weighted(pairs: list[tuple[float, float]]) -> float | None:
    total = sum(w for _, w in pairs)
    return sum(s * w for s, w in pairs) / total if pairs and total else None


def degree_of(value: Any) -> int | None:
    """The degree an answer counts as: a degree as given, "unknown" as the lowest degree
    (0), anything else ("not applicable", empty) as no degree. The scorer and the planner
    both read answers through this one rule."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return 0 if value == UNKNOWN else None


def score_answers(
    policy: Policy, answers: dict[str, Any], previous: dict[str, Any] | None = None
) -> ScoreResult:
    """Score one answer set (field id → value, as the workbook checker gives it)."""
    items: dict[str, ItemScore] = {}
    warnings: list[Warning] = []
    top = policy.degree_scale.max
    dims = [d.id for d in policy.dimensions]
    for component in policy.components:
        factor = FOUNDATION_FACTOR if component.foundation else 1.0
        for item in component.items:
            degrees = {d: answers.get(degree_field_id(item.id, d)) for d in dims}
            counted = {d: degree_of(v) for d, v in degrees.items()}
            rated = {d: v for d, v in counted.items() if v is not None}
            own = answers.get(f"TARGET_{item_key(item.id)}")
            own = own if isinstance(own, int) else None
            target = own if own is not None else item.national_target
            explain = []
            if rated:
                score = sum(rated.values()) / len(rated)
                left_out = [f"{d}: {degrees[d]}" for d in dims if d not in rated]
                terms = ", ".join(
                    f"{d} {v}" + (" (unknown)" if degrees[d] == UNKNOWN else "")
                    for d, v in rated.items()
                )
                explain.append(
                    f"score {item.id} = mean({terms}) = {_fmt(score)}"
                    + (f" (not counted: {', '.join(left_out)})" if left_out else "")
                )
                gap = max(0.0, target - score)
                priority = gap * item.weight * factor
                source = "own target" if own is not None else "national target"
                explain.append(f"gap {item.id} = {source} {target} − {_fmt(score)} = {_fmt(gap)}")
                explain.append(
                    f"priority {item.id} = gap {_fmt(gap)} × weight {item.weight:g} × foundation "
                    f"{factor:g} = {_fmt(priority)}"
                )
            else:
                score = gap = priority = None
                explain.append(f"score {item.id}: unrated (no dimension has a degree)")
            items[item.id] = ItemScore(
                item.id, component.id, degrees, score, item.weight, item.national_target, own,
                target, gap, factor, priority, explain,
            )  # fmt: skip
            given = {d: v for d, v in rated.items() if degrees[d] != UNKNOWN}
            warnings += _warnings(item.id, given, answers, previous, dims)
            unknown = [d for d in dims if degrees[d] == UNKNOWN]
            if unknown:
                names = ", ".join(unknown)
                warnings.append(
                    _warn(
                        "unknown_counts_as_zero",
                        item.id,
                        f'Punktā {item.id} atbilde "Nav zināms" ({names}) vērtēta kā 0. pakāpe.',
                        f'Item {item.id}: "unknown" ({names}) is counted as degree 0.',
                    )
                )

    components = {}
    for component in policy.components:
        pairs = [
            (items[i.id].score, i.weight) for i in component.items if items[i.id].score is not None
        ]
        value = _weighted(pairs)  # type: ignore[arg-type]
        text = (
            f"score {component.id} = weighted mean of {len(pairs)} rated item(s) = {_fmt(value)}"
            if value is not None
            else f"score {component.id}: unrated"
        )
        components[component.id] = ComponentScore(
            component.id, value, len(pairs), len(component.items), text
        )
    pairs = [(s.score, s.weight) for s in items.values() if s.score is not None]
    overall = _weighted(pairs)  # type: ignore[arg-type]
    index = overall / top * 100 if overall is not None else None
    explain = [
        f"overall = weighted mean of {len(pairs)} rated item(s) = {_fmt(overall)}; "
        f"index = {_fmt(overall)} / {top} × 100 = {index:.1f}"
        if overall is not None and index is not None
        else "overall: unrated"
    ]
    return ScoreResult(METHOD, items, components, overall, index, warnings, explain)


def _warn(code: str, item: str, lv: str, en: str) -> Warning:
    return Warning(code, item, {"lv": lv, "en": en})


def _warnings(
    item: str,
    rated: dict[str, int],
    answers: dict[str, Any],
    previous: dict[str, Any] | None,
    dims: list[str],
) -> list[Warning]:
    out = []
    evidence = answers.get(f"EVIDENCE_{item_key(item)}")
    high = ", ".join(d for d, v in rated.items() if v >= HIGH_DEGREE)
    if high and not evidence:
        out.append(
            _warn(
                "high_without_evidence",
                item,
                f"Punktā {item} augsta pakāpe ({high}) bez pierādījumiem.",
                f"Item {item}: a high degree ({high}) without evidence.",
            )
        )
    d2 = rated.get("D2", 0)
    if d2 >= 2 and rated.get("D1") == 0:
        out.append(
            _warn(
                "documented_without_owner",
                item,
                f"Punktā {item} dokumentēšana ir {d2}, bet atbildīgo nav (D1 = 0).",
                f"Item {item}: documentation is {d2} but nobody is responsible (D1 = 0).",
            )
        )
    for d in dims if previous else []:
        before = previous.get(degree_field_id(item, d))  # type: ignore[union-attr]
        now = rated.get(d)
        if isinstance(before, int) and now is not None and abs(now - before) > JUMP:
            out.append(
                _warn(
                    "jump",
                    item,
                    f"Punktā {item} {d} mainījies no {before} uz {now} kopš iepriekšējās kārtas.",
                    f"Item {item}: {d} changed from {before} to {now} since the previous round.",
                )
            )
    return out


def explain_lines(result: ScoreResult, lang: Lang = "en") -> list[str]:
    """Every computed number with how it was computed, in order."""
    lines = [*result.explain]
    lines += [c.explain for c in result.components.values()]
    for s in result.items.values():
        lines += s.explain
    lines += [f"warning {w.code}: {w.message[lang]}" for w in result.warnings]
    return lines
