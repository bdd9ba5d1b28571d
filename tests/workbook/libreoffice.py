"""LibreOffice filling a workbook the way a person would: Debian's python3 with UNO runs
lo_fill.py, which types values into named cells and saves with LibreOffice's own .xlsx
writer. Skipped without LibreOffice or python3-uno, failing under CI (see .ci/run)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REQUIRE_PROGRAMS_VAR, require_program

HERE = Path(__file__).parent


def system_python_with_uno() -> str:
    """Debian's python3 when it can import uno (skip, or fail under CI, otherwise)."""
    python = require_program("soffice") and "/usr/bin/python3"
    probe = subprocess.run([python, "-c", "import uno"], capture_output=True, check=False)
    if probe.returncode != 0:
        reason = "Debian's python3-uno is not installed (see .ci/run)"
        if os.environ.get(REQUIRE_PROGRAMS_VAR) == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return python


def libreoffice_fill(tmp_path: Path, workbook: bytes, cells: dict[str, Any]) -> bytes:
    """``workbook`` with ``cells`` (defined name → value) typed in by LibreOffice and saved
    by it; its files (and a fresh profile) go in ``tmp_path``."""
    python = system_python_with_uno()
    src, dst, spec_file = tmp_path / "blank.xlsx", tmp_path / "filled.xlsx", tmp_path / "cells.json"
    src.write_bytes(workbook)
    spec_file.write_text(json.dumps(cells, ensure_ascii=False), encoding="utf-8")
    script = HERE / "lo_fill.py"
    proc = subprocess.run(
        [python, str(script), str(src), str(dst), str(spec_file), str(tmp_path / "lo")],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return dst.read_bytes()
