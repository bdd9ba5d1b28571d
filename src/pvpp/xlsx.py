"""Typed access to the parts of openpyxl that pvpp writes to.

openpyxl declares any worksheet cell as possibly a merged cell (which has no value to
set) and a workbook's active sheet as possibly missing or a chart sheet. pvpp writes only
into worksheets it has just created, which have neither merged cells nor charts: these
helpers check that and give the narrower type, so a broken assumption fails where it is
made instead of as a confusing error later.
"""

from __future__ import annotations

from typing import Any, Protocol

from openpyxl.cell.cell import Cell
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet


def writable_cell(ws: Worksheet, row: int, column: int) -> Cell:
    """The cell at ``row``, ``column`` (from 1) of ``ws``, which must not be merged."""
    cell = ws.cell(row=row, column=column)
    if not isinstance(cell, Cell):
        raise TypeError(f"{ws.title}!{cell.coordinate} is merged: it cannot be written")
    return cell


def active_sheet(wb: Workbook) -> Worksheet:
    """The active sheet of ``wb`` (a new workbook's first sheet), which must be a worksheet."""
    ws = wb.active
    if not isinstance(ws, Worksheet):
        raise TypeError(f"the active sheet of the workbook is not a worksheet: {ws!r}")
    return ws


class Grid(Protocol):
    """What a sheet's checks read: its title and the value of a cell by its reference. A
    returned workbook's sheet (:class:`SheetGrid`) or the portal's form laid out as the
    sheet's cells (:class:`pvpp.workbook.plan_sheet.ValueGrid`) go through the same rules."""

    @property
    def title(self) -> str: ...

    def value(self, ref: str) -> Any: ...


class SheetGrid:
    """A worksheet of a returned workbook, as the checks read it."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws

    @property
    def title(self) -> str:
        return str(self.ws.title)

    def value(self, ref: str) -> Any:
        return self.ws[ref].value
