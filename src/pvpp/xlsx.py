"""Typed access to the parts of openpyxl that pvpp writes to.

openpyxl declares any worksheet cell as possibly a merged cell (which has no value to
set) and a workbook's active sheet as possibly missing or a chart sheet. pvpp writes only
into worksheets it has just created, which have neither merged cells nor charts: these
helpers check that and give the narrower type, so a broken assumption fails where it is
made instead of as a confusing error later.
"""

from __future__ import annotations

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
