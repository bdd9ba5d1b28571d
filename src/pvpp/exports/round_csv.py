"""The item-scores table of a round as CSV, for spreadsheets and scripts."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from pvpp.exports.data import item_columns, item_rows, load_round
from pvpp.exports.writer import ExportSummary, check_lang, save_csv


def export_round_csv(
    session: Session, round_code: str, path: Path | str, *, lang: str = "lv"
) -> ExportSummary:
    """Write the item-scores table of a round as CSV (dialect: see ``writer.csv_bytes``)."""
    language = check_lang(lang)
    data = load_round(session, round_code, internal=False)
    columns = item_columns(data.policy)
    rows = item_rows(data, language)
    target = save_csv(path, [c.header(language) for c in columns], rows, language)
    return ExportSummary(target, {target.name: len(rows)})
