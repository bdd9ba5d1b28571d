"""A workbook filled and saved by LibreOffice checks clean and gives back the answers typed.

LibreOffice opens the workbook, answers are typed into the named cells through its UNO
API, and LibreOffice saves it in its own .xlsx writer. (LibreOffice turns "very hidden"
sheets into plain hidden ones; the checker must not mind.)
"""

from __future__ import annotations

import io
import json
import os
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
from tests.conftest import REQUIRE_PROGRAMS_VAR, require_program

HERE = Path(__file__).parent
LATVIAN = "ĀČĒĢĪĶĻŅŠŪŽ āčēģīķļņšūž"

pytestmark = pytest.mark.xdist_group("libreoffice")


def _system_python_with_uno() -> str:
    python = require_program("soffice") and "/usr/bin/python3"
    probe = subprocess.run([python, "-c", "import uno"], capture_output=True, check=False)
    if probe.returncode != 0:
        reason = "Debian's python3-uno is not installed (see .ci/run)"
        if os.environ.get(REQUIRE_PROGRAMS_VAR) == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return python


def _libreoffice_fill(tmp_path: Path, blank: bytes, cells: dict[str, Any]) -> bytes:
    python = _system_python_with_uno()
    src, dst, spec_file = tmp_path / "blank.xlsx", tmp_path / "filled.xlsx", tmp_path / "cells.json"
    src.write_bytes(blank)
    spec_file.write_text(json.dumps(cells, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run(
        [
            python,
            str(HERE / "lo_fill.py"),
            str(src),
            str(dst),
            str(spec_file),
            str(tmp_path / "lo"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return dst.read_bytes()


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
    saved = _libreoffice_fill(tmp_path, blank, cells)

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
    saved = _libreoffice_fill(tmp_path, blank_lv, cells)
    result = check_workbook(saved, settings=root.settings)
    assert result.status is Status.REJECTED
    (problem,) = result.problems
    assert (problem.code, problem.sheet, problem.field) == ("bad_degree", "3 Nosacījumi", "Q_K5_D2")
    assert "“ļoti labi” nav atļauta atbilde" in problem.message
