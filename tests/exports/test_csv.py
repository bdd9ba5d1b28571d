"""CSV export: UTF-8 with BOM, the language's dialect, and every field escaped per OWASP."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from babel.numbers import get_decimal_symbol

from pvpp.app import App
from pvpp.exports import (
    CSV_DIALECT,
    csv_bytes,
    csv_field,
    csv_number,
    csv_text,
    export_round_csv,
    looks_like_formula,
)
from pvpp.i18n import LOCALES
from pvpp.national import round_scores
from tests.exports.conftest import HOSTILE_INSTITUTION_NAME, Fixture

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "\0=1",
    "  =1+1",
    "＝1+1",
    "=cmd|' /C calc'!A0",
]
HARMLESS = ["Valsts ieņēmumu dienests", 'Teksts ar "pēdiņām"; semikolu, komatu', "1+1", ""]


def _parse(blob: bytes, lang: str = "lv") -> list[list[str]]:
    assert blob.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    delimiter = CSV_DIALECT[lang][0]  # type: ignore[index]
    text = blob.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_gets_a_quote_and_round_trips(text: str) -> None:
    assert looks_like_formula(text)
    field = csv_text(text)
    assert field.startswith("\"'")
    for lang in ("lv", "en"):
        (row,) = _parse(csv_bytes(["h"], [[text]], lang), lang)[1:]  # type: ignore[arg-type]
        assert row == ["'" + text]


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_round_trips_unchanged(text: str) -> None:
    assert not looks_like_formula(text)
    (row,) = _parse(csv_bytes(["h"], [[text, 1]], "lv"))[1:]
    assert row == [text, "1"]
    assert csv_text(text).startswith('"')  # text is always quoted, even "1+1"


def test_computed_numbers_are_bare_literals() -> None:
    # Negative numbers are computed, not typed: written bare, never taken for text.
    assert csv_number(-1.5, ",") == "-1,50"
    assert csv_number(-1.5, ".") == "-1.50"
    assert csv_number(-0.001, ",") == "0,00"
    assert csv_number(3, ",") == "3"
    assert csv_field(2.0 / 3, ".") == "0.67"
    assert csv_field(float("nan"), ".") == ""
    assert csv_field(None, ".") == ""
    # The same characters typed as text are escaped.
    assert csv_field("-1.5", ".") == '"\'-1.5"'
    with pytest.raises(TypeError):
        csv_field(True, ".")
    line = csv_bytes(["a", "b", "c"], [[-1.25, "-1.25", None]], "lv").decode("utf-8-sig")
    assert line.splitlines()[1] == '-1,25;"\'-1.25";'
    assert "\r\n" in line


def test_round_csv(exported_round: Fixture, tmp_path: Path, root: App) -> None:
    out = tmp_path / "items.csv"
    with root.db.unit_of_work() as s:
        summary = export_round_csv(s, "2026-K1", out)
        scores = round_scores(s, "2026-K1")
    rows = _parse(out.read_bytes())
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Iestādes kods", "Iestāde", "Sastāvdaļa", "Punkts", "Punkta nosaukums"]
    assert "Atšķirība no mērķa" in header and "Pierādījumi" in header
    assert len(body) == summary.rows["items.csv"] == 4 * 29
    col = {h: n for n, h in enumerate(header)}

    # Numbers: the store's scores, with two decimals and a decimal comma.
    for row in body:
        item = scores[row[col["Iestādes kods"]]].items[row[col["Punkts"]]]
        for key, value in (
            ("Vērtējums", item.score),
            ("Atšķirība no mērķa", item.gap),
            ("Prioritāte", item.priority),
        ):
            if value is None:
                assert row[col[key]] == ""
            else:
                assert float(row[col[key]].replace(",", ".")) == round(value, 2)
        assert row[col["Mērķa pakāpe"]] == str(item.target)
    vid = {r[col["Punkts"]]: r for r in body if r[col["Iestādes kods"]] == "VID"}
    assert vid["K3"][col["D3"]] == "Nav zināms"
    assert vid["S3"][col["D1"]] == "Nav attiecināms"

    # Every hostile text that reaches the table starts with a quote and is otherwise intact.
    fields = [f for row in body for f in row]
    hostile = {k: v for k, v in exported_round.hostile.items() if not k.startswith("SVC")}
    hostile.pop("dropped_reason")
    for key, text in hostile.items():
        assert "'" + text in fields, key
        assert text not in fields, key
    assert "'" + HOSTILE_INSTITUTION_NAME in fields
    # No field at all starts like a formula once parsed.
    assert not [f for f in fields if looks_like_formula(f)]
    # Names of others round-trip unchanged.
    assert "Valsts zemes dienests" in fields

    en = tmp_path / "items-en.csv"
    with root.db.unit_of_work() as s:
        export_round_csv(s, "2026-K1", en, lang="en")
    rows = _parse(en.read_bytes(), "en")
    assert rows[0][:2] == ["Institution code", "Institution"]
    score_col = rows[0].index("Score")
    assert all("," not in r[score_col] for r in rows[1:])


def test_csv_numbers_are_written_by_babel_as_python_would_round_them() -> None:
    # Each dialect's decimal separator is the one Babel writes for its language.
    for lang, (_, decimal) in CSV_DIALECT.items():
        assert get_decimal_symbol(LOCALES[lang]) == decimal
    assert csv_number(1234567.891, ",") == "1234567,89"  # no thousands separator
    assert csv_number(1234567.891, ".") == "1234567.89"
    assert csv_number(-1234567, ",") == "-1234567"
    # Rounded from the float's exact value: 2.675 is 2.67499…, 0.125 is a tie (to even).
    assert csv_number(2.675, ",") == "2,67" and csv_number(0.125, ".") == "0.12"
    assert csv_number(107158447462737.6, ".") == "107158447462737.59"
    assert csv_number(1e300, ".") == f"{1e300:.2f}"
    assert csv_number(10**30, ",") == "1" + "0" * 30
    with pytest.raises(ValueError):
        csv_number(1.5, ";")
