"""A workbook filled and saved by LibreOffice checks clean and gives back the answers typed.

LibreOffice opens the workbook, answers are typed into the named cells through its UNO
API, and LibreOffice saves it in its own .xlsx writer. (LibreOffice turns "very hidden"
sheets into plain hidden ones; the checker must not mind.)
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pvpp.app import App
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.workbook.check import Status, check_workbook
from pvpp.workbook.fill import cell_values
from pvpp.workbook.meta import META_SHEET
from tests.workbook.libreoffice import libreoffice_fill

LATVIAN = "ĀČĒĢĪĶĻŅŠŪŽ āčēģīķļņšūž"

pytestmark = pytest.mark.xdist_group("libreoffice")


def test_libreoffice_filled_workbook_checks_clean(
    tmp_path: Path, spec: QuestionnaireSpec, build: Any, answers: dict[str, Any], root: App
) -> None:
    typed = {
        **answers,
        "EVIDENCE_K2": f"Klientu aptauja {LATVIAN}",
        "COMMENT_1_4": LATVIAN.upper(),
        "SVC01_NAME": f"Pakalpojums — {LATVIAN}",
        "SVC01_CATALOGUE": "12345",
    }
    cells = cell_values(spec, typed, "lv")
    blank = build(spec, "lv", name=f"Iestāde {LATVIAN}")
    saved = libreoffice_fill(tmp_path, blank, cells)

    # The file really is LibreOffice's own writing, not openpyxl's.
    with zipfile.ZipFile(io.BytesIO(saved)) as archive:
        assert b"LibreOffice" in archive.read("docProps/app.xml")
    wb = openpyxl.load_workbook(io.BytesIO(saved))
    assert wb[META_SHEET].sheet_state in ("hidden", "veryHidden")

    result = check_workbook(saved, settings=root.settings)
    assert result.status is Status.ACCEPTED, [p.message for p in result.problems]
    assert result.answers == typed
    assert result.answers["COMMENT_1_4"] == LATVIAN.upper()
    assert result.meta is not None
    assert result.meta.institution_name == f"Iestāde {LATVIAN}"


def test_libreoffice_saved_error_is_reported_with_cell(
    tmp_path: Path, spec: QuestionnaireSpec, blank_lv: bytes, answers: dict[str, Any], root: App
) -> None:
    cells = cell_values(spec, answers, "lv")
    cells["Q_K5_D2"] = "ļoti labi"
    saved = libreoffice_fill(tmp_path, blank_lv, cells)
    result = check_workbook(saved, settings=root.settings)
    assert result.status is Status.REJECTED
    (problem,) = result.problems
    assert (problem.code, problem.sheet, problem.field) == ("bad_degree", "3 Nosacījumi", "Q_K5_D2")
    assert "“ļoti labi” nav atļauta atbilde" in problem.message


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_libreoffice_prints_every_line_of_the_instructions(
    tmp_path: Path, spec_q2: QuestionnaireSpec, build: Any, lang: str
) -> None:
    """The instructions sheet printed by LibreOffice (to PDF, read back with pdftotext)
    shows every degree descriptor and every designed value to its last word: a row too
    short for its wrapped text is clipped in print, so its last line would be missing."""
    from pvpp.scoring import designed_lines
    from tests.conftest import require_program

    soffice, pdftotext = require_program("soffice"), require_program("pdftotext")
    book = tmp_path / "blank.xlsx"
    book.write_bytes(build(spec_q2, lang))
    subprocess.run(
        [soffice, "--headless", "--norestore",
         f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(book)],
        capture_output=True, check=True, timeout=300,
    )  # fmt: skip
    # The instructions are the first sheet; its pages come before the first component's.
    text = subprocess.run(
        [pdftotext, str(tmp_path / "blank.pdf"), "-"], capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    first = spec_q2.sheet_title(spec_q2.policy.components[0].id, lang)  # type: ignore[arg-type]
    printed = " ".join(text.split(first, 1)[0].split())
    policy = spec_q2.policy
    expected = [
        f"{d.id} {d.name.get(lang)}: {d.descriptors[v].get(lang)}"  # type: ignore[arg-type]
        for v in policy.degree_scale.values
        for d in policy.dimensions
    ]
    expected += [d["note"] for d in designed_lines(policy, lang)]  # type: ignore[arg-type]
    missing = [e for e in expected if " ".join(e.split()) not in printed]
    assert not missing, missing
