"""A normal run prints no traceback: the cycle flow in its own process, configured for
Prefect's local mode as the benchmark and the tests configure it, finishes with nothing on
stderr that looks like a failure (it once printed "Cannot put items in a stopped service
instance" with a traceback for every task run's events)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.demo.synthetic import filled_workbooks
from flows.root import local_prefect
from pvpp.app import App
from pvpp.questionnaire import QuestionnaireSpec
from tests.conftest import TEST_KEY
from tests.rounds import run_round

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect")]
ROOT = Path(__file__).resolve().parents[2]


def test_a_cycle_in_prefects_local_mode_prints_no_traceback(
    spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    root.db.upgrade()
    run_round(root, spec, tmp_path / "none", [])
    drop = tmp_path / "drop"
    drop.mkdir()
    books = filled_workbooks(spec, [("VID", "VID")], round_code="2026-K1", key=TEST_KEY.encode())
    for code, data in books.items():
        (drop / f"{code}.xlsx").write_bytes(data)
    env = {
        **os.environ,
        "PVPP_DATABASE_URL": root.settings.db_url(),
        "PVPP_DATA_DIR": str(root.settings.data_dir),
        "PVPP_SECRET_KEY": TEST_KEY,
        "PVPP_MAIL_FOLDER": str(tmp_path / "mail"),
        "PVPP_WORKERS": "1",
        # As a shell that once configured a server may leave it: set, but empty.
        "PREFECT_API_URL": "",
    }
    local_prefect(env, tmp_path / "prefect")
    done = subprocess.run(
        [sys.executable, "-m", "tests.flows.run_cycle", "2026-K1", str(drop)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "Cannot put items" not in done.stderr
    assert "ERROR" not in done.stderr, done.stderr[-3000:]
