"""Write answers into a workbook's named cells, as a person choosing from the dropdowns would.

Used for example and test data; real answers arrive in workbooks filled by people.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import openpyxl

from pvpp.policy.models import Lang
from pvpp.questionnaire import FieldKind, QuestionnaireSpec
from pvpp.workbook.meta import META_SHEET


def cell_values(spec: QuestionnaireSpec, answers: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """Turn parsed answers (degrees as ints, option codes) into what the cells show."""
    q = spec.questionnaire
    codes = {o.code: o.label.get(lang) for o in (*q.non_scoring, *q.conformity)}
    out: dict[str, Any] = {}
    for fid, value in answers.items():
        f = spec.field_by_id[fid]
        if f.kind in (FieldKind.DEGREE, FieldKind.TARGET) and isinstance(value, int):
            out[fid] = spec.degree_label(value, lang)
        elif f.kind in (FieldKind.DEGREE, FieldKind.CONFORMITY) and value in codes:
            out[fid] = codes[value]
        elif f.kind is FieldKind.SERVICE_TYPE:
            out[fid] = spec.service_type_label(value, lang)
        else:
            out[fid] = value
    return out


def fill_workbook(
    data: bytes, cells: dict[str, Any], marks: Mapping[str, str] | None = None
) -> bytes:
    """Set the cells named by ``cells`` (defined name → value) and return the saved bytes.

    Strings are stored as text even when they start with "=", like a typed text would be;
    pass a value through :func:`formula` to store a live formula. ``marks``: lines (key,
    text) added below the hidden metadata sheet's own, outside its signature.
    """
    wb = openpyxl.load_workbook(io.BytesIO(data))
    if marks:
        meta = wb[META_SHEET]
        for row, (key, text) in enumerate(marks.items(), start=meta.max_row + 1):
            meta.cell(row, 1, key).data_type = "s"
            meta.cell(row, 2, text).data_type = "s"
    for name, value in cells.items():
        dn = wb.defined_names.get(name)
        if dn is None:
            raise KeyError(f"the workbook has no answer cell named {name!r}")
        ((sheet, ref),) = list(dn.destinations)
        cell = wb[sheet][ref.replace("$", "")]
        if isinstance(value, _Formula):
            cell.value = value.text
        else:
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class _Formula(str):
    __slots__ = ()

    @property
    def text(self) -> str:
        return str(self)


def formula(text: str) -> _Formula:
    """Mark ``text`` (starting with "=") as a formula for :func:`fill_workbook`."""
    return _Formula(text)
