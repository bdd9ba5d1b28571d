"""The plan sheet as a web form: the portal's way of shaping a plan proposal.

The form holds what the plan sheet holds (:mod:`pvpp.workbook.plan_sheet`): a decision per
step of the newest version (accept, an alternative, another period, drop with a reason)
and the funding already available; the team's own measures; its capacity; its own
targets with their reasons. Each field is named after the sheet's cell it stands for
(``p-H8``: the decision of the first step; ``o-B5``: the name of the first own measure;
``t-F5``: the target of the first item), so a form is read into the same cells and
checked by the sheet's own rules (:func:`pvpp.workbook.plan_sheet.check_values`), and
every problem comes back beside the field of its cell. An accepted form is the same
:class:`pvpp.proposals.Shaping` a plan sheet gives, and makes a new version through the
same service (:func:`pvpp.proposals.shape_plan`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pvpp.planning.library import Library
from pvpp.policy.models import Lang
from pvpp.workbook.plan_sheet import (
    ALTERNATIVE,
    CAPACITY_CELL,
    CHOICES,
    DECISION,
    FILLED_BY_CELL,
    FIRST_ROW,
    FUNDING,
    FUNDING_EUR,
    FUNDING_REF,
    NEW_PERIOD,
    OWN_FIRST_ROW,
    OWN_ROWS,
    OWN_TARGET,
    REASON,
    TARGET_FIRST_ROW,
    TARGET_REASON,
    PlanSheetCheck,
    PlanSheetData,
    ValueGrid,
    check_values,
    choice_label,
    meta_of,
    sheet_name,
)

SHEETS = ("plan", "own", "targets")
PREFIX = {"plan": "p", "own": "o", "targets": "t"}
STEP_COLUMNS = (DECISION, ALTERNATIVE, NEW_PERIOD, REASON, FUNDING_EUR, FUNDING, FUNDING_REF)
OWN_COLUMNS = "BCDEFGHIJ"
#: What each column of a step row and of an own-measure row holds (the form's field keys).
STEP_KEYS = ("decision", "alternative", "new_period", "reason", "funding_eur", "funding",
             "funding_ref")  # fmt: skip
OWN_KEYS = ("name", "item", "dimension", "period", "role", "effort", "funding_eur", "funding",
            "funding_ref")  # fmt: skip
#: Empty rows for new own measures shown below the team's own measures so far.
SPARE_OWN_ROWS = 2
CAPACITY = f"p-{CAPACITY_CELL}"


def name(which: str, ref: str) -> str:
    """The form field of cell ``ref`` of sheet ``which`` (plan | own | targets)."""
    return f"{PREFIX[which]}-{ref}"


def step_fields(n: int) -> dict[str, str]:
    """The form fields of the ``n``-th step (from 0), by what they hold."""
    row = step_row(n)
    return {k: name("plan", f"{col}{row}") for k, col in zip(STEP_KEYS, STEP_COLUMNS, strict=True)}


def own_fields(n: int) -> dict[str, str]:
    """The form fields of the ``n``-th own measure (from 0), by what they hold."""
    row = own_row(n)
    return {k: name("own", f"{col}{row}") for k, col in zip(OWN_KEYS, OWN_COLUMNS, strict=True)}


def step_row(n: int) -> int:
    return FIRST_ROW + n


def own_row(n: int) -> int:
    return OWN_FIRST_ROW + n


def target_row(n: int) -> int:
    return TARGET_FIRST_ROW + n


def _amount(value: int | None) -> str:
    return "" if value is None else str(value)


def initial(data: PlanSheetData) -> dict[str, str]:
    """The form's values for the newest version: the team's choices so far, as the plan
    sheet is pre-filled with them (:func:`pvpp.proposals.sheet_data`)."""
    values = {CAPACITY: str(data.capacity)}
    for n, s in enumerate(data.steps):
        r = step_row(n)
        for col, value in zip(
            STEP_COLUMNS,
            (s.decision, s.alternative, s.new_period, s.reason, _amount(s.funding_eur),
             ", ".join(s.funding), s.funding_ref),
            strict=True,
        ):  # fmt: skip
            values[name("plan", f"{col}{r}")] = value
    for n, m in enumerate(data.own):
        r = own_row(n)
        for col, value in zip(
            OWN_COLUMNS,
            (m.name, m.item, m.dimension, m.period, m.role, m.effort, _amount(m.funding_eur),
             ", ".join(m.funding), m.funding_ref),
            strict=True,
        ):  # fmt: skip
            values[name("own", f"{col}{r}")] = value
    for n, i in enumerate(data.items):
        r = target_row(n)
        values[name("targets", f"{OWN_TARGET}{r}")] = (
            "" if i.own_target is None else str(i.own_target)
        )
        values[name("targets", f"{TARGET_REASON}{r}")] = i.reason
    return values


def own_rows_shown(data: PlanSheetData, values: Mapping[str, str]) -> int:
    """How many own-measure rows the form shows: those with values, and spare ones."""
    used = [
        n
        for n in range(OWN_ROWS)
        if any(values.get(name("own", f"{col}{own_row(n)}")) for col in OWN_COLUMNS)
    ]
    filled = max(len(data.own), (used[-1] + 1) if used else 0)
    return min(OWN_ROWS, filled + SPARE_OWN_ROWS)


def values_of(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields that stand for cells, as text (anything else is left out)."""
    prefixes = tuple(f"{p}-" for p in PREFIX.values())
    return {k: str(v).strip() for k, v in form.items() if k.startswith(prefixes)}


@dataclass
class FormCheck:
    """A form read and checked: the sheet's verdict, and its problems by field."""

    check: PlanSheetCheck
    by_field: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.check.status == "accepted"


def read(
    data: PlanSheetData, library: Library, values: Mapping[str, str], *, lang: Lang, by: str
) -> FormCheck:
    """Check the form's ``values`` by the plan sheet's rules, as the sheet of ``data``
    (the version the form was made on) filled in by ``by`` would be."""
    plan: dict[str, Any] = {CAPACITY_CELL: values.get(CAPACITY, ""), FILLED_BY_CELL: by}
    for n, s in enumerate(data.steps):
        r = step_row(n)
        plan[f"B{r}"] = s.measure_id
        for col in STEP_COLUMNS:
            plan[f"{col}{r}"] = values.get(name("plan", f"{col}{r}"), "")
        key = plan[f"{DECISION}{r}"]
        if key in CHOICES:
            plan[f"{DECISION}{r}"] = choice_label(key, lang)
    own: dict[str, Any] = {
        f"{col}{own_row(n)}": values.get(name("own", f"{col}{own_row(n)}"), "")
        for n in range(OWN_ROWS)
        for col in OWN_COLUMNS
    }
    targets: dict[str, Any] = {}
    for n, i in enumerate(data.items):
        r = target_row(n)
        targets[f"A{r}"] = i.item
        for col in (OWN_TARGET, TARGET_REASON):
            targets[f"{col}{r}"] = values.get(name("targets", f"{col}{r}"), "")
    meta = meta_of(data, lang)
    grids = {
        which: ValueGrid(sheet_name(which, lang), cells)
        for which, cells in (("plan", plan), ("own", own), ("targets", targets))
    }
    check = check_values(meta, library, **grids)
    out = FormCheck(check)
    prefix = {sheet_name(which, lang): PREFIX[which] for which in SHEETS}
    for p in check.problems:
        where = prefix.get(p.get("sheet") or "")
        if where and p.get("cell"):
            key = f"{where}-{p['cell']}"
            out.by_field[key] = (
                f"{out.by_field[key]} {p['message']}" if key in out.by_field else p["message"]
            )
        else:
            out.general.append(p["message"])
    return out
