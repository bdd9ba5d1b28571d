"""Specialised plans (RV6, RV7): the pure rules of drafting and editing one.

PVPP2027 gives VARAM two plans of its own, made "atbilstoši atbilstības novērtējumam":
RV6 for the centralised shared services and their digital technologies (Business.gov.lv
among them), RV7 for the competences service management needs. A plan is a list of
measures, each with a title, a description, a responsible body, a due date, the need it
answers (the items whose gaps it closes) and the institutions it serves (those with a gap
on one of its items).

- :func:`needs_from_gaps`: per item, which institutions have a gap and how large the gaps
  are (the figures :func:`pvpp.national.aggregates` publishes as ``rv6_needs``/``rv7_needs``);
- :func:`draft`: the measures of the specialised plans' library whose items show a need,
  due sooner the wider the need (:mod:`pvpp.planning.national_library`);
- :func:`apply_edits`: a coordinator's additions, changes and drops, each with a reason,
  all checked before any is applied, giving the next version's measures and what changed.

What a draft takes from the library is the project's proposal: a drafted measure names
those fields ``provisional`` until the coordinator changes or confirms them.
Pure: no I/O; the service :mod:`pvpp.national_plans` stores the versions.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from dataclasses import field as dataclass_field
from datetime import date
from typing import Any

from pvpp.errors import PvppError
from pvpp.planning.national_library import Direction, DueRule

PLANNED, DROPPED = "planned", "dropped"
#: What a drafted measure takes from the library: provisional until changed or confirmed.
DRAFTED = ("title", "description", "responsible", "due_on")
#: What an edit may set.
FIELDS = ("title", "description", "responsible", "due_on", "policy_measure", "items")
#: The last day a measure may be due: the end of the next plan period (PVPP 2028–2031).
LATEST_DUE = date(2031, 12, 31)
LIMITS = {"title": 300, "description": 4000, "responsible": 300, "reason": 2000}


@dataclass(frozen=True)
class Problem:
    """One problem of an edit: the edit it is in (``where``), the field (``""`` for the
    edit as a whole), a ``code`` a page can put in its own words with ``values``, and the
    English ``message`` the command line shows."""

    where: str
    field: str
    code: str
    message: str
    values: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def __str__(self) -> str:
        at = f"{self.field}: " if self.field else ""
        return f"{self.where}: {at}{self.message}"


class EditError(PvppError):
    """Edits that cannot be applied: every problem, each naming the edit it is in
    (``problems``, as lines; ``details``, as :class:`Problem` where the rules gave one)."""

    def __init__(self, problems: Sequence[str | Problem]) -> None:
        self.details = [p for p in problems if isinstance(p, Problem)]
        self.problems = [str(p) for p in problems]
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Need:
    """Which institutions have a gap on an item, of how many rated it, and how large."""

    item: str
    with_gap: tuple[str, ...]
    rated: int
    median_gap: float | None
    mean_gap: float | None

    @property
    def share(self) -> float:
        """The share of the rated institutions with a gap (0 when none rated it)."""
        return len(self.with_gap) / self.rated if self.rated else 0.0

    def record(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "with_gap": list(self.with_gap),
            "rated": self.rated,
            "median_gap": self.median_gap,
            "mean_gap": self.mean_gap,
        }

    @classmethod
    def from_record(cls, row: Mapping[str, Any]) -> Need:
        return cls(
            row["item"], tuple(row["with_gap"]), row["rated"], row["median_gap"], row["mean_gap"]
        )


def needs_from_gaps(
    items: Sequence[str], gaps: Mapping[str, Mapping[str, float | None]]
) -> list[Need]:
    """Per item of ``items`` (in that order), from ``gaps`` (institution code → item →
    its gap, None when unrated): the institutions with a gap above 0, how many rated the
    item, and the median and mean gap (rounded to 2 places, as the aggregates are)."""
    out = []
    for item in items:
        rated = {c: g[item] for c, g in gaps.items() if g.get(item) is not None}
        values = [v for v in rated.values() if v is not None]
        out.append(
            Need(
                item=item,
                with_gap=tuple(sorted(c for c, v in rated.items() if v is not None and v > 0)),
                rated=len(values),
                median_gap=round(statistics.median(values), 2) if values else None,
                mean_gap=round(sum(values) / len(values), 2) if values else None,
            )
        )
    return out


@dataclass(frozen=True)
class Measure:
    """A measure of a specialised plan version."""

    key: str
    template: str  # the library measure it was drafted from; "" for the coordinator's own
    title: Mapping[str, str]  # {"lv": ..., "en": ...}; "en" may be missing
    description: Mapping[str, str]
    responsible: str  # a library body's id, or a body named by the coordinator
    due_on: date
    policy_measure: str
    items: tuple[str, ...]
    institutions: tuple[str, ...]
    status: str = PLANNED
    dropped_reason: str = ""
    provisional: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        """The measure as plain JSON-ready data (what a change row keeps)."""
        return {
            "key": self.key,
            "template": self.template,
            "title": dict(self.title),
            "description": dict(self.description),
            "responsible": self.responsible,
            "due_on": self.due_on.isoformat(),
            "policy_measure": self.policy_measure,
            "items": list(self.items),
            "institutions": list(self.institutions),
            "status": self.status,
            "dropped_reason": self.dropped_reason,
            "provisional": list(self.provisional),
        }


@dataclass(frozen=True)
class Change:
    """One change of a version: ``kind`` draft | add | change | drop, with the measure
    before and after (None for none) and the reason."""

    kind: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str


#: What a change of a measure can differ in, in the order a reader is told.
COMPARED = (*FIELDS, "status", "dropped_reason", "provisional")


def changed_fields(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[tuple[str, Any, Any]]:
    """The fields of :data:`COMPARED` whose values differ between two measure records
    (:meth:`Measure.record`; None for none: a measure added has every field of ``after``
    set), each as (field, before, after), in that order."""
    old, new = before or {}, after or {}
    return [
        (name, old.get(name), new.get(name))
        for name in COMPARED
        if old.get(name) != new.get(name) and (name in old or name in new)
    ]


def half_year_end(today: date, half_years: int) -> date:
    """The last day of the half-year ``half_years`` after the one ``today`` is in."""
    index = today.year * 2 + (0 if today.month <= 6 else 1) + half_years
    year, second = divmod(index, 2)
    return date(year, 12, 31) if second else date(year, 6, 30)


def due_after(rule: DueRule, share: float) -> int:
    """Half-years until a need reaching ``share`` is due: the first step it reaches."""
    return next(s.half_years for s in rule.steps if share >= s.share)


def draft(
    direction: Direction, needs: Mapping[str, Need], rule: DueRule, today: date
) -> list[Measure]:
    """The measures of ``direction`` whose items show a need (an institution with a gap),
    each serving the institutions with a gap on one of its items and due by ``rule`` from
    its widest need, plus its wave. Sooner first (then the wider need, then file order);
    keyed ``RV6-01``, ``RV6-02``, …"""
    drafted: list[tuple[date, float, int, Measure]] = []
    for n, template in enumerate(direction.measures):
        answered = [needs[i] for i in template.items if i in needs and needs[i].with_gap]
        if not answered:
            continue
        share = max(need.share for need in answered)
        due = half_year_end(today, due_after(rule, share) + template.wave)
        served = tuple(sorted({c for need in answered for c in need.with_gap}))
        measure = Measure(
            key="",
            template=template.id,
            title={"lv": template.title.lv, "en": template.title.en},
            description={"lv": template.description.lv, "en": template.description.en},
            responsible=template.responsible,
            due_on=due,
            policy_measure=template.policy_measure,
            items=template.items,
            institutions=served,
            provisional=DRAFTED,
        )
        drafted.append((due, -share, n, measure))
    drafted.sort(key=lambda row: row[:3])
    return [replace(m, key=f"{direction.id}-{k:02d}") for k, (*_, m) in enumerate(drafted, 1)]


# -- edits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """One edit as the coordinator gave it: ``kind`` add | change | drop; ``where`` names
    it in messages (``edits[2]``); ``values`` as given (checked by :func:`apply_edits`);
    ``confirm`` keeps a change's drafted values as the coordinator's own."""

    kind: str
    where: str
    reason: str
    key: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    confirm: bool = False


@dataclass(frozen=True)
class Allowed:
    """What the values of an edit may be, for one plan."""

    direction: str
    items: tuple[str, ...]  # the direction's items
    policy_measures: tuple[str, ...]  # the direction's measures (P6.1–P6.4, P7.1–P7.2)
    today: date


def _text_problem(value: str, limit: int) -> tuple[str, str, dict[str, Any]] | None:
    """What is wrong with a text of at most ``limit`` characters: code, message, values."""
    if not value.strip():
        return "empty", "must not be empty", {}
    if len(value) > limit:
        return "too_long", f"is {len(value)} characters long; at most {limit}", {
            "length": len(value), "limit": limit}  # fmt: skip
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        return "control", "contains a control character; type plain text", {}
    return None


def _check(name: str, value: Any, allowed: Allowed, problems: list[Problem], where: str) -> Any:
    """``value`` of field ``name`` as stored, or None with a problem added."""

    def bad(code: str, message: str, **values: Any) -> None:
        problems.append(Problem(where, name, code, message, values))

    if name in ("title", "description"):
        texts = value if isinstance(value, Mapping) else {"lv": value}
        if not isinstance(value, str | Mapping) or set(texts) - {"lv", "en"} or "lv" not in texts:
            bad("text_shape", "give the text (Latvian), or lv: and en: texts")
            return None
        out = {}
        for lang, text in texts.items():
            if not isinstance(text, str):
                bad("text_shape", f"{lang}: give a text")
                return None
            if (problem := _text_problem(text, LIMITS[name])) is not None:
                code, message, more = problem
                if isinstance(value, Mapping):
                    message = f"{lang}: {message}"
                bad(code, message, lang=lang, **more)
                return None
            out[lang] = text.strip()
        return out
    if name == "responsible":
        if not isinstance(value, str):
            bad("text_shape", "give the body's id (VARAM, VDAA, …) or its name")
            return None
        if (problem := _text_problem(value, LIMITS[name])) is not None:
            code, message, more = problem
            bad(code, message, **more)
            return None
        return value.strip()
    if name == "due_on":
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                bad("not_a_date", f"{value!r} is not a date like 2027-06-30", value=value)
                return None
        if not isinstance(value, date):
            bad("not_a_date", "give a date like 2027-06-30", value=str(value))
            return None
        if value < allowed.today:
            today = allowed.today
            bad("before_today", f"{value.isoformat()} is before today ({today.isoformat()})",
                value=value, today=today)  # fmt: skip
            return None
        if value > LATEST_DUE:
            bad("after_latest",
                f"{value.isoformat()} is after {LATEST_DUE.isoformat()}, the end of PVPP 2028–2031",
                value=value, latest=LATEST_DUE)  # fmt: skip
            return None
        return value
    if name == "policy_measure":
        if value not in allowed.policy_measures:
            bad("policy_measure", f"{value!r} is not a measure of {allowed.direction} "
                f"({', '.join(allowed.policy_measures)})", value=str(value),
                allowed=", ".join(allowed.policy_measures))  # fmt: skip
            return None
        return value
    if name == "items":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not items:
            bad("no_items", "give one item or a list of items")
            return None
        unknown = [i for i in items if i not in allowed.items]
        if unknown:
            bad("unknown_items", f"{', '.join(map(str, unknown))} not of {allowed.direction}'s "
                f"items ({', '.join(allowed.items)})", value=", ".join(map(str, unknown)),
                allowed=", ".join(allowed.items))  # fmt: skip
            return None
        return tuple(dict.fromkeys(items))
    bad("unknown_field", f"unknown field; a measure has {', '.join(FIELDS)}")
    return None


def _served(items: Sequence[str], needs: Mapping[str, Need]) -> tuple[str, ...]:
    return tuple(sorted({c for i in items if i in needs for c in needs[i].with_gap}))


def apply_edits(
    measures: Sequence[Measure],
    edits: Sequence[Edit],
    needs: Mapping[str, Need],
    allowed: Allowed,
) -> tuple[list[Measure], list[Change]]:
    """The measures after ``edits``, in order, and one :class:`Change` per edit.

    Every edit needs a reason. ``add`` needs a title, description, responsible body, due
    date and items (the policy measure defaults to the direction's first "carry out"
    measure); ``change`` names a planned measure by key and sets any fields (a field set
    is no longer provisional; ``confirm`` takes the rest as the coordinator's own); ``drop``
    names a planned measure, which stays in the plan as dropped with its reason. The
    institutions a measure serves follow its items. All edits are checked first: any
    problem raises :class:`EditError` listing them all, and nothing is applied.
    """
    problems: list[Problem] = []
    current = {m.key: m for m in measures}
    result = list(measures)
    changes: list[Change] = []
    numbers = [int(k.rsplit("-", 1)[1]) for k in current if k.rsplit("-", 1)[-1].isdigit()]
    next_number = max(numbers, default=0) + 1
    for edit in edits:
        where = edit.where
        if (problem := _text_problem(edit.reason, LIMITS["reason"])) is not None:
            code, message, more = problem
            problems.append(Problem(where, "reason", code, f"{message} (say why)", more))
        if edit.kind not in ("add", "change", "drop"):
            problems.append(Problem(where, "", "kind", "give add, change or drop"))
            continue
        if edit.kind != "add":
            m = current.get(edit.key)
            if m is None:
                known = ", ".join(k for k, v in current.items() if v.status == PLANNED)
                problems.append(Problem(
                    where, "", "no_measure",
                    f"no measure {edit.key!r} in the plan (measures: {known})", {"key": edit.key},
                ))  # fmt: skip
                continue
            if m.status == DROPPED:
                problems.append(Problem(where, "", "dropped",
                                        f"{edit.key} is dropped; add a new measure instead",
                                        {"key": edit.key}))  # fmt: skip
                continue
        values = {
            name: _check(name, value, allowed, problems, where)
            for name, value in edit.values.items()
        }
        if any(v is None for v in values.values()):
            continue
        if edit.kind == "add":
            required = ("title", "description", "responsible", "due_on", "items")
            missing = [f for f in required if f not in values]
            if missing:
                problems.append(Problem(where, "", "missing",
                                        f"a new measure needs {', '.join(missing)}",
                                        {"fields": tuple(missing)}))  # fmt: skip
                continue
            items = values["items"]
            new = Measure(
                key=f"{allowed.direction}-{next_number:02d}",
                template="",
                title=values["title"],
                description=values["description"],
                responsible=values["responsible"],
                due_on=values["due_on"],
                policy_measure=values.get("policy_measure", _carry_out(allowed)),
                items=items,
                institutions=_served(items, needs),
            )
            next_number += 1
            result.append(new)
            current[new.key] = new
            changes.append(Change("add", new.key, None, new.record(), edit.reason.strip()))
            continue
        m = current[edit.key]
        if edit.kind == "drop":
            if values:
                problems.append(Problem(where, "", "drop_values",
                                        "a drop takes only the key and the reason"))  # fmt: skip
                continue
            after = replace(m, status=DROPPED, dropped_reason=edit.reason.strip())
        else:
            if not values and not edit.confirm:
                message = "nothing to change (give fields, or confirm: true)"
                problems.append(Problem(where, "", "nothing", message))
                continue
            after = replace(m, **values)
            if "items" in values:
                after = replace(after, institutions=_served(values["items"], needs))
            kept = () if edit.confirm else tuple(f for f in m.provisional if f not in values)
            after = replace(after, provisional=kept)
        result = [after if x.key == m.key else x for x in result]
        current[m.key] = after
        changes.append(Change(edit.kind, m.key, m.record(), after.record(), edit.reason.strip()))
    if problems:
        raise EditError(problems)
    return result, changes


def _carry_out(allowed: Allowed) -> str:
    """The direction's first measure that carries a plan out (P6.2, P7.2)."""
    return (
        allowed.policy_measures[1]
        if len(allowed.policy_measures) > 1
        else allowed.policy_measures[0]
    )
