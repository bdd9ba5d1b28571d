"""Several intakes of one drop folder at once (two schedulers, an operator beside the
flow): every process ends normally and each file is taken once, on SQLite and PostgreSQL.

Before, two processes that checked the same new file both found it unknown and both
inserted it: on PostgreSQL the slower one died with an integrity error on the file
store's primary key (3 of 8 processes in the attack run)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import traceback
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.followup import ingest_status_files
from pvpp.policy import load_policy
from pvpp.proposals import ingest_plan_sheet_files
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.registry import import_registry
from pvpp.rounds import create_round
from pvpp.settings import Settings
from pvpp.store.files import sha256
from pvpp.store.models import (
    AnswerSet,
    PlanSheet,
    StatusReport,
    StoredFile,
    Submission,
    Transition,
)
from tests.conftest import TEST_KEY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROOT_DIR = Path(__file__).resolve().parents[2]
PROCESSES = 6
CODES = ["VID", "UR", "VARAM", "LAD", "FM", "IEM", "IZM", "EM", "KM", "AM"]


@pytest.mark.slow
def test_processes_ingesting_one_folder_at_once_all_finish(
    store: str, root: App, spec: QuestionnaireSpec, tmp_path: Path
) -> None:
    with root.db.unit_of_work() as s:
        import_registry(
            s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"), settings=root.settings
        )
        create_round(
            s, code="2026-K1", opens_on=date(2026, 1, 15), due_on=date(2026, 3, 31),
            questionnaire_version="pvpp2027-q1",
        )  # fmt: skip
    books = filled_workbooks(
        spec, [(c, c) for c in CODES], round_code="2026-K1", key=root.settings.signing_key()
    )
    drop = tmp_path / "drop"
    drop.mkdir()
    for code, data in books.items():
        (drop / f"{code}.xlsx").write_bytes(data)

    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT_DIR / 'src'}{os.pathsep}{ROOT_DIR}",
        "PVPP_DATA_DIR": str(root.settings.data_dir),
        "PVPP_DATABASE_URL": root.settings.db_url(),
        "PVPP_SECRET_KEY": TEST_KEY,
        "PVPP_WORKERS": "1",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pvpp.cli.main", "submissions", "ingest", str(drop)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()
        assert b"Traceback" not in err

    with root.db.reading() as s:
        subs = s.exec(select(Submission)).all()
        assert Counter(x.filename for x in subs) == Counter(f"{c}.xlsx" for c in books)
        assert {x.status for x in subs} == {"accepted"}
        for data in books.values():
            assert s.get(StoredFile, sha256(data)) is not None
        assert s.exec(select(func.count()).select_from(AnswerSet)).one() == len(books)
        moves = Counter(t.to_state for t in s.exec(select(Transition)).all())
        assert moves["submitted"] == moves["accepted"] == len(books)


def _take_folder(intake: str, settings: Settings, drop: Path, barrier: Any) -> None:
    """One process taking the drop folder, started with the others."""
    try:
        root = App.build(settings)
        barrier.wait()
        try:
            if intake == "status-sheets":
                ingest_status_files([drop], settings=settings, db=root.db)
            else:
                ingest_plan_sheet_files([drop], settings=settings, db=root.db)
        finally:
            root.close()
    except BaseException:
        # The parent sees only the exit code: leave the child's error where it can show it.
        (drop.parent / f"error-{os.getpid()}.txt").write_text(traceback.format_exc())
        raise


@pytest.mark.parametrize("intake", ["status-sheets", "plan-sheets"])
def test_sheet_intakes_at_once_keep_each_file_once(
    intake: str, store: str, root: App, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    files = 40
    for i in range(files):  # kept as rejected sheets: each must be kept once
        (drop / f"s{i:02}.xlsx").write_bytes(b"PK\x03\x04 sheet %d" % i)
    # spawn: fresh processes, as separate intakes are, with nothing inherited from the test
    # run (a forked child of a test worker inherits its threads and after-fork hooks).
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    procs = [
        ctx.Process(target=_take_folder, args=(intake, root.settings, drop, barrier))
        for _ in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    errors = [f.read_text() for f in sorted(tmp_path.glob("error-*.txt"))]
    assert [p.exitcode for p in procs] == [0] * PROCESSES, "\n".join(errors)
    model = StatusReport if intake == "status-sheets" else PlanSheet
    with root.db.reading() as s:
        kept = Counter(x.filename for x in s.exec(select(model)).all())
        assert kept == Counter(f"s{i:02}.xlsx" for i in range(files))
        assert s.exec(select(func.count()).select_from(StoredFile)).one() == files
