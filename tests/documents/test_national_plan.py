"""A specialised plan as VARAM reads it: the PDF (read back with pdftotext; tagged, with
its headings in order) and the workbook, publishable unless internal."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from pvpp.app import App
from pvpp.documents.national_plan_pdf import national_plan_pdf
from pvpp.exports.national_plan import export_national_plan
from pvpp.i18n import t
from pvpp.national_plans import draft_plan, edit_plan
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.specialised import Edit
from tests.conftest import require_program
from tests.rounds import close, run_round

# Five institutions, closed: every need is counted over enough of them to be published.
CODES = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD"), ("RIGA", "RIGA")]
TODAY = date(2026, 4, 2)
GENERATED = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        [require_program("pdftotext"), "-layout", str(path), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return " ".join(out.split())


@pytest.fixture
def edited(store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App) -> tuple[str, str]:
    """Round 2026-K1 closed, its RV6 plan drafted and edited: the first measure given to
    VARAM, the second dropped. Returns the two keys."""
    run_round(root, spec, tmp_path / "in", CODES)
    close(root)
    with root.db.unit_of_work() as s:
        view = draft_plan(s, "2026-K1", "RV6", today=TODAY, actor="koordinators@varam.gov.lv")
        first, second = view.measures[0].key, view.measures[1].key
        edit_plan(
            s, "2026-K1", "RV6",
            [Edit("change", "e1", "Saskaņots ar VARAM", key=first,
                  values={"responsible": "VARAM"}),
             Edit("drop", "e2", "Ietverts e-indeksa darbā", key=second)],
            today=TODAY, actor="koordinators@varam.gov.lv",
        )  # fmt: skip
    return first, second


def test_the_plan_pdf_reads_in_latvian_and_english(
    edited: tuple[str, str], tmp_path: Path, root: App
) -> None:
    first, second = edited
    with root.db.unit_of_work() as s:
        lv = national_plan_pdf(s, "2026-K1", "RV6", today=TODAY)
        en = national_plan_pdf(s, "2026-K1", "RV6", today=TODAY, lang="en")
        internal = national_plan_pdf(s, "2026-K1", "RV6", today=TODAY, internal=True)
        version1 = national_plan_pdf(s, "2026-K1", "RV6", today=TODAY, version=1)
    text = _text(lv, tmp_path)
    assert t("natplan.title_RV6", "lv") in text
    assert "Versija 2" in text and "Saglabāja: koordinators@varam.gov.lv" in text
    assert "01.04.2026" in text  # counted from the round's closure
    for heading in ("Pamatojums", "Vajadzības", "Pasākumi", "Atsauktie pasākumi",
                    "Izmaiņas šajā versijā", "Kas ir projekta izstrādāts"):  # fmt: skip
        assert heading in text
    assert "Viedās administrācijas un reģionālās attīstības ministrija (VARAM)" in text
    assert "Ietverts e-indeksa darbā" in text and "Saskaņots ar VARAM" in text
    assert f"mainīts {first} Saskaņots ar VARAM" in text  # what this version changed
    assert f"{second} " in text.split("Atsauktie pasākumi")[1]  # the dropped one, listed
    assert "(provizorisks)" in text  # the drafted values nobody has changed yet
    assert "VID" not in text  # publishable: nobody named
    # Tagged, with the document's headings as a reader's outline: h1 then h2s and h3s.
    reader = PdfReader(tmp_path / "plan.pdf")
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    english = _text(en, tmp_path)
    assert t("natplan.title_RV6", "en") in english and "Dropped measures" in english
    named = _text(internal, tmp_path)
    assert "Iekšējai lietošanai" in named
    assert any(code in named for code, _ in CODES)
    # The older version is kept and reads as it was: nothing dropped yet.
    old = _text(version1, tmp_path)
    assert "Versija 1" in old and "Ietverts e-indeksa darbā" not in old


def test_the_plan_workbook_holds_measures_needs_and_history(
    edited: tuple[str, str], tmp_path: Path, root: App
) -> None:
    first, second = edited
    path = tmp_path / "plan.xlsx"
    with root.db.unit_of_work() as s:
        summary = export_national_plan(s, "2026-K1", "RV6", path, generated_at=GENERATED)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Pasākumi", "Vajadzības", "Izmaiņas", "Informācija"]
    measures = list(wb["Pasākumi"].iter_rows(values_only=True))
    header, rows = measures[0], {r[0]: r for r in measures[1:]}
    assert header[:5] == ("Nr.", "Pasākums", "Apraksts", "Atbildīgā institūcija", "Termiņš")
    assert "Iestādes" not in header  # publishable: the institutions are counted, not named
    assert rows[first][3].endswith("(VARAM)")
    assert rows[second][header.index("Statuss")] == "atsaukts"
    assert rows[second][header.index("Iemesls")] == "Ietverts e-indeksa darbā"
    history = list(wb["Izmaiņas"].iter_rows(values_only=True))[1:]
    assert [(r[0], r[1], r[2]) for r in history] == [
        (1, "uzmetums", None),
        (2, "mainīts", first),
        (2, "atsaukts", second),
    ]
    assert summary.rows["Pasākumi"] == len(rows)
