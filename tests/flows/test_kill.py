"""Killing `cycle` at random points and starting it again loses nothing and duplicates nothing.

Each run is a separate process with Prefect in its local mode, killed with SIGKILL after a
random delay (fixed seed); a last run goes to the end. Afterwards the store must look
like one clean run: each file received once, one answer set and one plan per accepted
institution, one outbox row per business key, everything delivered; an email delivered
twice (SMTP cannot be exactly-once) carries the same Message-ID both times.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlmodel import func, select

from flows.demo.synthetic import filled_workbooks
from flows.root import local_prefect
from pvpp.app import App
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import AnswerSet, Assignment, OutboxMessage, Plan, StoredFile, Submission
from tests.conftest import TEST_KEY
from tests.rounds import run_round

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect")]
ROOT = Path(__file__).resolve().parents[2]
KILLS = 5


def _count(root: App, model: object) -> int:
    with root.db.unit_of_work() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_cycle_killed_and_restarted(spec: QuestionnaireSpec, tmp_path: Path, root: App) -> None:
    mail = tmp_path / "mail"
    # The child processes are configured as a deployment is: PVPP_ variables, here for the
    # store and data folder of this test's root.
    env = {
        **os.environ,
        "PVPP_DATABASE_URL": root.settings.db_url(),
        "PVPP_DATA_DIR": str(root.settings.data_dir),
        "PVPP_SECRET_KEY": TEST_KEY,
        "PVPP_MAIL_FOLDER": str(mail),
        # Worker pools too: killing the flow must not leave them writing or running.
        "PVPP_WORKERS": "2",
    }
    local_prefect(env, tmp_path / "prefect")
    root.db.upgrade()
    run_round(root, spec, tmp_path / "none", [])
    drop = tmp_path / "drop"
    drop.mkdir()
    codes = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD")]
    for code, data in filled_workbooks(
        spec, codes, round_code="2026-K1", key=root.settings.signing_key()
    ).items():
        (drop / f"{code}.xlsx").write_bytes(data)

    command = [sys.executable, "-m", "tests.flows.run_cycle", "2026-K1", str(drop)]
    rng = random.Random(20261123)
    killed = 0
    for _ in range(KILLS):
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(6.0, 16.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=30)
    final = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-3000:]
    assert killed >= 3, "the delays never caught the flow running; the test proved nothing"

    # Like one clean run.
    assert _count(root, Submission) == 3 and _count(root, AnswerSet) == 3
    # The registry, the three returned workbooks, and what the emails carry: 37 invitation
    # workbooks, 3 plan PDFs and the teams' 3 plan sheets. A killed run's half-made file
    # never got a row.
    assert _count(root, StoredFile) == 1 + 3 + 37 + 3 + 3
    with root.db.unit_of_work() as s:
        plans = s.exec(select(Plan)).all()
        assert sorted(Counter(p.assignment_id for p in plans).values()) == [1, 1, 1]
        rows = s.exec(select(OutboxMessage)).all()
        assert {r.state for r in rows} == {"sent"}
        kinds = Counter(r.kind for r in rows)
        assert kinds["invitation"] == 37 and kinds["plan"] == 3 and kinds["proposal"] == 3
        ids = {r.message_id for r in rows}
        states = Counter(a.state for a in s.exec(select(Assignment)).all())
    assert states["plan_sent"] == 3
    # Every delivered file is one of the outbox's messages; duplicates share a Message-ID.
    delivered = [
        message_from_bytes(p.read_bytes(), policy=policy.default)["Message-ID"]
        for p in mail.glob("*.eml")
    ]
    assert set(delivered) == ids
    ours = f"PVPP_DATA_DIR={root.settings.data_dir}"
    try:
        # No worker of a killed run lives on: they exit when the process feeding them dies.
        assert _processes_with(ours, "multiprocessing.spawn", wait=10.0) == []
    finally:
        # Prefect's local-mode server of a killed run outlives it (Prefect's behaviour; a
        # deployment runs a real server). Stop those this test started.
        for pid in _processes_with(ours, "uvicorn", wait=0):
            os.kill(pid, signal.SIGTERM)


def _processes_with(variable: str, command: str, *, wait: float) -> list[int]:
    """Live processes (not this one) whose environment has ``variable`` and whose command
    line has ``command``; waits up to ``wait`` seconds for them to go."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                env = (entry / "environ").read_bytes().split(b"\0")
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if variable.encode() in env and command.encode() in cmdline:
                found.append(int(entry.name))
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.5)
