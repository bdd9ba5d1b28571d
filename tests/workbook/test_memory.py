"""Peak memory while checking any file the guard lets through stays under 256 MiB.

The hostile-but-admissible files come from ``bench/check_memory.py``; each is checked in a
fresh process whose own high-water mark is read. (Memory, unlike time, is stable enough
to assert on.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.check_memory import LIMIT_MIB, cases, filled_workbook, measure
from pvpp.app import App

pytestmark = pytest.mark.slow


def test_worst_admissible_files_stay_under_the_memory_limit(tmp_path: Path, root: App) -> None:
    settings = root.settings
    peaks = {}
    for name, blob in cases(filled_workbook(), settings.max_member_bytes).items():
        path = tmp_path / "case.xlsx"
        path.write_bytes(blob)
        found = measure(path)
        peaks[name] = found["peak_mib"]
        # Each case must actually reach the parser (not be refused by the guard) except the
        # one built to be refused on its value.
        if "huge text" not in name:
            assert found["status"] == "accepted", (name, found)
    assert max(peaks.values()) < LIMIT_MIB, peaks
    # The combined case is the heaviest: it must have exercised the parser for real.
    assert (
        peaks["names, styles and strings together"]
        > 2 * peaks["baseline: a normal filled workbook"]
    )
