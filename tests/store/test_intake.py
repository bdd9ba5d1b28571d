"""Files handed in (drop folder, command line) for all three intakes: workbooks, status
sheets, plan sheets. Only regular files are read, never through a link, never a FIFO or
device, never more than the upload limit; a file name that is not UTF-8 is stored and
shown escaped; one refused file never stops the others."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable
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
from pvpp.store.files import sha256
from pvpp.store.models import AuditLog, PlanSheet, StatusReport, StoredFile, Submission
from pvpp.submissions import Outcome, ingest_paths
from tests.conftest import TEST_KEY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROOT_DIR = Path(__file__).resolve().parents[2]
GiB = 1 << 30
BAD_NAME = os.fsdecode(b"0-\xff\xfe.xlsx")  # bytes that are not UTF-8
SHOWN_BAD_NAME = "0-\\xff\\xfe.xlsx"


@pytest.fixture
def round_root(root: App) -> App:
    """A migrated SQLite store with the example registry and round 2026-K1."""
    root.db.upgrade()
    with root.db.unit_of_work() as s:
        import_registry(
            s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"), settings=root.settings
        )
        create_round(
            s, code="2026-K1", opens_on=date(2026, 1, 15), due_on=date(2026, 3, 31),
            questionnaire_version="pvpp2027-q1",
        )  # fmt: skip
    return root


def books(root: App, spec: QuestionnaireSpec, codes: list[str]) -> dict[str, bytes]:
    return filled_workbooks(
        spec, [(c, c) for c in codes], round_code="2026-K1", key=root.settings.signing_key()
    )


def count(root: App, model: Any) -> int:
    with root.db.reading() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def within(seconds: float, fn: Callable[[], Any]) -> Any:
    """``fn()``, failing the test (instead of hanging it) when it takes longer."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s (blocked on a file?)"
    assert out, "raised (see the thread's traceback above)"
    return out[0]


Intake = Callable[[list[Path], App], list[Any]]


def workbooks_intake(paths: list[Path], root: App) -> list[Any]:
    return ingest_paths(paths, source="flow", settings=root.settings, db=root.db)


def status_intake(paths: list[Path], root: App) -> list[Any]:
    return ingest_status_files(paths, source="flow", settings=root.settings, db=root.db)


def plan_sheet_intake(paths: list[Path], root: App) -> list[Any]:
    return ingest_plan_sheet_files(paths, source="flow", settings=root.settings, db=root.db)


INTAKES = {
    "workbooks": (workbooks_intake, Submission),
    "status-sheets": (status_intake, StatusReport),
    "plan-sheets": (plan_sheet_intake, PlanSheet),
}


def reason(row: Any) -> str:
    """Why an intake refused a file, whatever the intake's row looks like."""
    if hasattr(row, "detail"):
        return str(row.detail)
    return " ".join(p["message"] for p in row.problems)


def by_name(rows: list[Any]) -> dict[str, Any]:
    return {Path(r.file).name: r for r in rows}


@pytest.mark.parametrize("intake", list(INTAKES))
def test_links_fifos_and_huge_files_in_the_drop_folder_are_refused(
    intake: str, round_root: App, spec: QuestionnaireSpec, tmp_path: Path
) -> None:
    run, model = INTAKES[intake]
    secret = books(round_root, spec, ["UR"])["UR"]  # what a link would smuggle in
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "UR.xlsx").write_bytes(secret)
    (outside / "folder" / "UR2.xlsx").write_bytes(secret)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "x.xlsx").symlink_to(outside / "UR.xlsx")
    (drop / "linked").symlink_to(outside / "folder", target_is_directory=True)
    os.mkfifo(drop / "pipe.xlsx")
    with (drop / "big.xlsx").open("wb") as fh:
        fh.truncate(GiB)  # sparse: reading it whole would take 1 GiB of memory
    (drop / "zz-junk.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    before = count(round_root, StoredFile)  # the registry file

    tracemalloc.start()
    try:
        rows = by_name(within(120, lambda: run([drop], round_root)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB: a file was read whole"

    assert set(rows) == {"x.xlsx", "pipe.xlsx", "big.xlsx", "zz-junk.xlsx"}
    assert "symbolic link" in reason(rows["x.xlsx"])
    assert "not a regular file" in reason(rows["pipe.xlsx"])
    assert "too large" in reason(rows["big.xlsx"])
    for name in ("x.xlsx", "pipe.xlsx", "big.xlsx"):
        assert rows[name].outcome == "rejected"
    # Only the junk file, a regular file, was kept (rejected by its check).
    assert count(round_root, StoredFile) == before + 1
    with round_root.db.reading() as s:
        assert s.get(StoredFile, sha256(b"PK\x03\x04 not a workbook")) is not None
        assert s.get(StoredFile, sha256(secret)) is None
        assert len(s.exec(select(model)).all()) == 1


def test_a_huge_file_given_by_name_is_not_read(round_root: App, tmp_path: Path) -> None:
    big = tmp_path / "big.xlsx"
    with big.open("wb") as fh:
        fh.truncate(GiB)
    before = count(round_root, StoredFile)
    tracemalloc.start()
    try:
        (row,) = ingest_paths([big], settings=round_root.settings, db=round_root.db)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024
    assert row.outcome is Outcome.REJECTED and "too large" in row.detail
    assert count(round_root, StoredFile) == before and count(round_root, Submission) == 0


def cli(root: App, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[bytes]:
    """The ``pvpp`` command in its own process, on ``root``'s store (as an operator runs it)."""
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT_DIR / 'src'}{os.pathsep}{ROOT_DIR}",
        "PVPP_DATA_DIR": str(root.settings.data_dir),
        "PVPP_DATABASE_URL": root.settings.db_url(),
        "PVPP_SECRET_KEY": TEST_KEY,
        "PVPP_WORKERS": "1",
        "COLUMNS": "200",
        "PYTHONIOENCODING": "utf-8:strict",  # as under lv_LV.UTF-8: no surrogate passes
    }
    return subprocess.run(
        [sys.executable, "-m", "pvpp.cli.main", *args],
        env=env, cwd=root.settings.data_dir.parent, capture_output=True, timeout=timeout,
    )  # fmt: skip


@pytest.mark.slow
def test_a_fifo_named_on_the_command_line_never_hangs(round_root: App, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    commands = [
        ("workbook", "check", str(fifo)),
        ("submissions", "ingest", str(fifo)),
        ("followup", "ingest", str(fifo)),
        ("plan", "take", "2026-K1", str(fifo)),
    ]
    before = count(round_root, StoredFile)
    for args in commands:
        done = cli(round_root, *args)  # raises TimeoutExpired if it blocks on the FIFO
        out = (done.stdout + done.stderr).decode()
        assert "Traceback" not in out, (args, out)
        assert "not a regular file" in out, (args, out)
        assert done.returncode in (0, 1), (args, out)  # ingest reports, exit 0
    assert count(round_root, StoredFile) == before


def test_a_file_name_that_is_not_utf8_is_ingested_and_later_files_too(
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
    made = books(root, spec, ["VID", "UR"])
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / BAD_NAME).write_bytes(made["VID"])
    (drop / "UR.xlsx").write_bytes(made["UR"])  # after it in name order

    rows = {r.file: r for r in workbooks_intake([drop], root)}
    assert rows[SHOWN_BAD_NAME].outcome is Outcome.ACCEPTED
    assert rows["UR.xlsx"].outcome is Outcome.ACCEPTED
    with root.db.reading() as s:
        names = {x.filename for x in s.exec(select(Submission)).all()}
        sources = {x.source for x in s.exec(select(Submission)).all()}
        audited = {(a.detail or {}).get("filename") for a in s.exec(select(AuditLog)).all()}
    assert names == {SHOWN_BAD_NAME, "UR.xlsx"}
    assert f"flow:{drop}/{SHOWN_BAD_NAME}" in sources
    assert SHOWN_BAD_NAME in audited
    # Again: recognised as received, not a crash.
    again = {r.file: r.outcome for r in workbooks_intake([drop], root)}
    assert again == {SHOWN_BAD_NAME: Outcome.DUPLICATE, "UR.xlsx": Outcome.DUPLICATE}


@pytest.mark.parametrize("intake", ["status-sheets", "plan-sheets"])
def test_sheets_with_names_that_are_not_utf8_are_kept_and_later_ones_too(
    intake: str, round_root: App, tmp_path: Path
) -> None:
    run, model = INTAKES[intake]
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / BAD_NAME).write_bytes(b"PK\x03\x04 first")
    (drop / "later.xlsx").write_bytes(b"PK\x03\x04 second")
    rows = by_name(run([drop], round_root))
    assert set(rows) == {SHOWN_BAD_NAME, "later.xlsx"}
    with round_root.db.reading() as s:
        assert sorted(x.filename for x in s.exec(select(model)).all()) == [
            SHOWN_BAD_NAME,
            "later.xlsx",
        ]


@pytest.mark.slow
def test_the_command_line_shows_a_name_that_is_not_utf8(
    round_root: App, spec: QuestionnaireSpec, tmp_path: Path
) -> None:
    made = books(round_root, spec, ["VID", "UR"])
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / BAD_NAME).write_bytes(made["VID"])
    (drop / "UR.xlsx").write_bytes(made["UR"])
    done = cli(round_root, "submissions", "ingest", str(drop))
    out = done.stdout.decode()
    assert done.returncode == 0, (out, done.stderr.decode())
    assert SHOWN_BAD_NAME in out and "UR.xlsx" in out
    assert "accepted: 2" in out
    checked = cli(round_root, "workbook", "check", os.fsdecode(drop / BAD_NAME))
    assert checked.returncode == 0, checked.stderr.decode()
    assert SHOWN_BAD_NAME in checked.stdout.decode()
    for args in (("followup", "ingest"), ("plan", "take", "2026-K1")):
        done = cli(round_root, *args, os.fsdecode(drop / BAD_NAME))
        text = (done.stdout + done.stderr).decode()
        assert "Traceback" not in text, (args, text)


def test_a_name_the_command_line_prints_never_stops_it(round_root: App, tmp_path: Path) -> None:
    out = tmp_path / os.fsdecode(b"\xfe.xlsx")
    done = cli(round_root, "workbook", "new", "--institution", "VID", "--name", "VID",
               "--round", "2026-K1", "--out", os.fsdecode(out))  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert out.exists() and b"Wrote" in done.stdout
