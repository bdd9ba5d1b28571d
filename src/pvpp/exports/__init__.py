"""Excel and CSV exports of a round and of one institution's improvement plan, Latvian by
default and English on request.

- :func:`export_round` (:mod:`.round`, :mod:`.aggregates`): the round workbook for VARAM,
  or with ``publish=True`` its publishable form (aggregates only, nobody named).
- :func:`export_plan` (:mod:`.plan`): one institution's plan version.
- :func:`export_round_csv` (:mod:`.round_csv`): the item-scores table as CSV.

:mod:`.writer` writes the cells and CSV fields (text from people never becomes a formula)
and the file. Sheet names, column headers, notes and the names of states are catalogue
texts under ``exports.*`` (:mod:`pvpp.i18n`), made in the export's language.
"""

from __future__ import annotations

from pvpp.exports.data import load_round
from pvpp.exports.plan import export_plan
from pvpp.exports.round import export_round
from pvpp.exports.round_csv import export_round_csv
from pvpp.exports.writer import (
    CSV_DIALECT,
    DATE_FORMAT,
    DATETIME_FORMAT,
    FORMULA_TRIGGERS,
    Column,
    ExportError,
    ExportSummary,
    csv_bytes,
    csv_field,
    csv_number,
    csv_text,
    looks_like_formula,
    put,
    write_pairs,
    write_table,
)

__all__ = [
    "CSV_DIALECT",
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "FORMULA_TRIGGERS",
    "Column",
    "ExportError",
    "ExportSummary",
    "csv_bytes",
    "csv_field",
    "csv_number",
    "csv_text",
    "export_plan",
    "export_round",
    "export_round_csv",
    "load_round",
    "looks_like_formula",
    "put",
    "write_pairs",
    "write_table",
]
