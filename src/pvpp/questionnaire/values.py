"""The rules every answer of a questionnaire obeys, wherever it comes from.

One place for what the workbook checker (:mod:`pvpp.workbook.check`) and the online
questionnaire (:mod:`pvpp.drafts`) accept: a value is read leniently (labels in either
language, typed numbers, codes) into the stored answer, or refused with a problem whose
text is ``workbook.problem.<code>`` in the catalogue:

- a single value (:func:`parse_value`, :func:`value_problem`): degrees in the scale or a
  non-scoring code, targets in the scale, service types and conformity values from their
  lists, text within its length;
- an item's answers together (:func:`item_problems`): "not applicable" needs a reason, a
  target is not below the item's current degree (the floor of its rated dimensions' mean);
- the service rows (:func:`service_checks`): a row with values needs a name, a named row
  needs its type and every conformity value;
- all of it at once (:func:`check_values`), with what is still unanswered.

Pure: no I/O beyond the catalogue's words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from pvpp.i18n import t
from pvpp.policy.models import LANGS, Lang
from pvpp.questionnaire.loader import QuestionnaireSpec
from pvpp.questionnaire.models import (
    TEXT_KINDS,
    TEXT_LIMITS,
    AnswerField,
    FieldKind,
    item_field_id,
)
from pvpp.scoring import combine_parts

Answer = int | str

__all__ = [
    "Answer",
    "Checked",
    "Scope",
    "ValueProblem",
    "Vocabulary",
    "as_text",
    "check_values",
    "item_problems",
    "norm",
    "parse_value",
    "service_checks",
    "shown",
    "value_problem",
]


def norm(text: str) -> str:
    """Compare labels leniently: case, spacing and dash style do not matter."""
    text = re.sub(r"[\u2012\u2013\u2014\u2015-]", "-", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


def shown(value: Any) -> str:
    """A value as a message quotes it: dates as ISO, at most 60 characters."""
    if isinstance(value, datetime) and value.time() == time():
        value = value.date()
    text = value.isoformat() if isinstance(value, date | time) else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def as_text(value: Any) -> str | None:
    """A value as text; numbers and dates typed into text fields are fine."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return None


class Vocabulary:
    """Accepted spellings of every choice, in both languages."""

    def __init__(self, spec: QuestionnaireSpec) -> None:
        scale = spec.policy.degree_scale
        q = spec.questionnaire
        self.degrees: dict[str, int] = {}
        for lang in LANGS:
            for v in scale.values:
                self.degrees[norm(spec.degree_label(v, lang))] = v
        self.degree_values = set(scale.values)
        self.low, self.high = scale.min, scale.max
        self.non_scoring = {
            norm(o.label.get(lang)): o.code for o in q.non_scoring for lang in LANGS
        }
        self.non_scoring.update({norm(o.code): o.code for o in q.non_scoring})
        self.reason_codes = {o.code for o in q.non_scoring if o.requires_reason}
        self.conformity = {norm(o.label.get(lang)): o.code for o in q.conformity for lang in LANGS}
        self.conformity.update({norm(o.code): o.code for o in q.conformity})
        self.service_types: dict[str, str] = {}
        for st in spec.policy.service_types:
            self.service_types[norm(st.id)] = st.id
            for lang in LANGS:
                self.service_types[norm(spec.service_type_label(st.id, lang))] = st.id
        na = next(o for o in q.non_scoring if o.requires_reason)
        others = [o for o in q.non_scoring if not o.requires_reason] or [na]
        self._na, self._others = na.label, [o.label for o in others]

    def na_label(self, lang: Lang) -> str:
        """The name of the answer that needs a reason ("Nav attiecināms")."""
        return self._na.get(lang)

    def nk_label(self, lang: Lang) -> str:
        """The names of the other non-scoring answers ("Nav zināms", "Jautājums nav
        saprotams"), as the message quoting them joins them."""
        return "” / “".join(label.get(lang) for label in self._others)

    def degree(self, value: Any) -> int | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            if isinstance(value, float) and not value.is_integer():
                return None
            number = int(value)
            return number if number in self.degree_values else None
        if isinstance(value, str):
            key = norm(value)
            if key in self.degrees:
                return self.degrees[key]
            if re.fullmatch(r"\d{1,2}", key) and int(key) in self.degree_values:
                return int(key)
        return None


@dataclass(frozen=True)
class ValueProblem:
    """What is wrong with one field's answer (or with its item's answers, shown at the
    field that fixes it): ``workbook.problem.<code>`` filled with ``params``."""

    field: str
    code: str
    params: Mapping[str, object]

    def message(self, lang: Lang) -> str:
        # n=None: no problem text is counted, so the params fill only the text.
        return t(f"workbook.problem.{self.code}", lang, n=None, **self.params)


def parse_value(f: AnswerField, value: Any, vocab: Vocabulary) -> Answer | None:
    """The stored answer of a non-empty ``value`` for field ``f``, or None if refused."""
    kind = f.kind
    if kind is FieldKind.DEGREE:
        degree = vocab.degree(value)
        if degree is not None:
            return degree
        if isinstance(value, str):
            return vocab.non_scoring.get(norm(value))
        return None
    if kind is FieldKind.TARGET:
        return vocab.degree(value)
    if kind is FieldKind.SERVICE_TYPE:
        return vocab.service_types.get(norm(value)) if isinstance(value, str) else None
    if kind is FieldKind.CONFORMITY:
        return vocab.conformity.get(norm(value)) if isinstance(value, str) else None
    text = as_text(value)
    if text is None or len(text) > TEXT_LIMITS[kind]:
        return None
    return text


def value_problem(f: AnswerField, value: Any, vocab: Vocabulary, lang: Lang) -> ValueProblem:
    """Why :func:`parse_value` refused ``value`` for ``f``."""
    kind = f.kind
    if kind is FieldKind.DEGREE:
        return ValueProblem(f.id, "bad_degree", {
            "value": shown(value), "low": vocab.low, "high": vocab.high,
            "na": vocab.na_label(lang), "nk": vocab.nk_label(lang),
        })  # fmt: skip
    if kind is FieldKind.TARGET:
        params = {"value": shown(value), "low": vocab.low, "high": vocab.high}
        return ValueProblem(f.id, "bad_target", params)
    if kind is FieldKind.SERVICE_TYPE:
        return ValueProblem(f.id, "bad_service_type", {"value": shown(value)})
    if kind is FieldKind.CONFORMITY:
        labels = sorted({k for k in vocab.conformity if "_" not in k})
        params = {"value": shown(value), "allowed": ", ".join(labels)}
        return ValueProblem(f.id, "bad_conformity", params)
    assert kind in TEXT_KINDS
    text = as_text(value)
    if text is None:
        return ValueProblem(f.id, "not_text", {"kind": type(value).__name__})
    return ValueProblem(f.id, "text_too_long", {"length": len(text), "limit": TEXT_LIMITS[kind]})


def item_problems(
    spec: QuestionnaireSpec,
    answers: Mapping[str, Answer],
    bad: Iterable[str],
    vocab: Vocabulary,
    lang: Lang,
    items: Iterable[str] | None = None,
) -> list[ValueProblem]:
    """Each item's answers together (``items``: only these): "not applicable" without a
    reason (at the reason), a target below the current degree (at the target). A field in
    ``bad`` has its own problem already."""
    refused = set(bad)
    scale = spec.policy.degree_scale
    wanted = set(items) if items is not None else None
    out = []
    for item in spec.policy.items:
        if wanted is not None and item.id not in wanted:
            continue
        dims = spec.item_degree_fields.get(item.id, ())
        na_dims = list(
            dict.fromkeys(
                f.dimension_id
                for f in dims
                if f.dimension_id is not None and answers.get(f.id) in vocab.reason_codes
            )
        )
        reason_id = item_field_id(FieldKind.NA_REASON, item.id)
        if na_dims and reason_id not in answers and reason_id not in refused:
            out.append(ValueProblem(reason_id, "reason_required", {
                "item": item.id, "na": vocab.na_label(lang), "dims": ", ".join(na_dims),
            }))  # fmt: skip
        # A dimension asked in parts is at its lowest part, as the scorer reads it.
        combined = [
            combine_parts([answers.get(f.id) for f in spec.parts_of(item.id, dim.id)])
            for dim in spec.policy.dimensions
        ]
        rated = [v for v in combined if isinstance(v, int)]
        target_id = item_field_id(FieldKind.TARGET, item.id)
        target = answers.get(target_id)
        if rated and isinstance(target, int):
            current = math.floor(sum(rated) / len(rated))
            if target < current:
                out.append(ValueProblem(target_id, "target_below_current", {
                    "target": scale.name(target, lang) + f" ({target})",
                    "current": current, "item": item.id,
                }))  # fmt: skip
    return out


def service_checks(
    spec: QuestionnaireSpec,
    answers: Mapping[str, Answer],
    bad: Iterable[str],
    rows: Iterable[int] | None = None,
) -> tuple[list[ValueProblem], list[str]]:
    """The service rows (``rows``: only these): a row with values but no name (a problem
    at the name), and the type and conformity fields a named row still needs
    (unanswered, in field order)."""
    refused = set(bad)
    problems: list[ValueProblem] = []
    missing: list[str] = []
    wanted = set(rows) if rows is not None else None
    for row in range(1, spec.questionnaire.service_rows + 1):
        if wanted is not None and row not in wanted:
            continue
        row_fields = spec.row_fields.get(row, ())
        name_field = row_fields[0]
        if not any(f.id in answers or f.id in refused for f in row_fields):
            continue
        if name_field.id not in answers and name_field.id not in refused:
            problems.append(ValueProblem(name_field.id, "service_without_name", {"row": row}))
            continue
        for f in row_fields:
            needed = f.kind in (FieldKind.SERVICE_TYPE, FieldKind.CONFORMITY)
            if needed and f.id not in answers and f.id not in refused:
                missing.append(f.id)
    return problems, missing


@dataclass
class Checked:
    """A whole answer set checked: the answers read, the problems of single values (in
    field order) and of items and service rows together, and the fields still to answer
    (every degree question; a named service's type and conformity), in field order."""

    answers: dict[str, Answer] = field(default_factory=dict)
    value_problems: list[ValueProblem] = field(default_factory=list)
    rule_problems: list[ValueProblem] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[ValueProblem]:
        return [*self.value_problems, *self.rule_problems]

    @property
    def complete(self) -> bool:
        """Nothing wrong and nothing left: what an accepted workbook is."""
        return not self.value_problems and not self.rule_problems and not self.unanswered


def empty(value: Any) -> bool:
    """A value that counts as no answer (nothing, or blank text)."""
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Scope:
    """A part of a questionnaire checked on its own: some items (each with all its
    fields) and some service rows. Every rule looks at one item's or one row's fields
    only, so a part's check is exactly the whole check's, restricted to the part's
    fields (``tests/core/test_answer_scope.py`` holds it to that)."""

    items: frozenset[str] = frozenset()
    rows: frozenset[int] = frozenset()

    def fields(self, spec: QuestionnaireSpec) -> list[AnswerField]:
        """The part's fields, in field order."""
        chosen = [f for item in self.items for f in spec.item_fields.get(item, ())]
        chosen += [f for row in self.rows for f in spec.row_fields.get(row, ())]
        return sorted(chosen, key=lambda f: spec.field_order[f.id])

    def holds(self, f: AnswerField) -> bool:
        """Whether field ``f`` is in the part."""
        if f.item_id is not None:
            return f.item_id in self.items
        return f.service_row is not None and f.service_row in self.rows


def check_values(
    spec: QuestionnaireSpec,
    values: Mapping[str, Any],
    lang: Lang,
    *,
    refused: Mapping[str, ValueProblem] | None = None,
    scope: Scope | None = None,
) -> Checked:
    """Check every field's raw value (field id → value; empty or missing: unanswered).
    ``refused``: fields the caller has refused already (a formula in a workbook cell),
    with their problems, kept in field order among the others. ``scope``: only the
    fields of those items and service rows (an autosave's page), everything else left
    out of the answers, problems and what is unanswered."""
    vocab = spec.vocabulary
    out = Checked()
    bad: set[str] = set(refused or {})
    fields = spec.fields if scope is None else scope.fields(spec)
    for f in fields:
        if refused and f.id in refused:
            out.value_problems.append(refused[f.id])
            continue
        value = values.get(f.id)
        if empty(value):
            continue
        parsed = parse_value(f, value, vocab)
        if parsed is None:
            bad.add(f.id)
            out.value_problems.append(value_problem(f, value, vocab, lang))
        else:
            out.answers[f.id] = parsed
    items = None if scope is None else scope.items
    rows = None if scope is None else scope.rows
    out.rule_problems = item_problems(spec, out.answers, bad, vocab, lang, items)
    service_problems, missing = service_checks(spec, out.answers, bad, rows)
    out.rule_problems += service_problems
    degrees = spec.degree_fields
    if scope is not None:
        degrees = [f for f in fields if f.kind is FieldKind.DEGREE]
    missing += [f.id for f in degrees if f.id not in out.answers and f.id not in bad]
    out.unanswered = sorted(missing, key=spec.field_order.__getitem__)
    return out
