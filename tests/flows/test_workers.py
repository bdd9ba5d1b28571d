"""A real Prefect server with two process workers runs a round like one process does.

Starts ``prefect server start`` on loopback (its database in a temporary folder), a
process work pool and two workers (one flow run at a time each), deploys ``cycle`` and
``assess``, and runs the cycle with the assessment in two batches: the cycle's run holds
one worker, so the batches must go to the other as well. The store it leaves is then
compared with the one a single-process run of the same workbooks leaves.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from flows.demo.synthetic import filled_workbooks
from flows.root import local_prefect
from pvpp.app import App
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import (
    Assignment,
    Institution,
    OutboxMessage,
    Plan,
    PlanMeasure,
    Submission,
)
from tests.conftest import TEST_KEY, make_root, settings_for
from tests.rounds import run_round

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CODES = ["LAD", "UR", "VID", "VZD"]
TODAY = "2026-04-01"  # the day tests/flows/run_cycle.py runs the single-process cycle
POOL = "pvpp-test"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _store_env(tmp_path: Path, name: str) -> dict[str, str]:
    """The PVPP_ variables of one store, as the flows' processes are configured."""
    return {
        "PVPP_DATABASE_URL": f"sqlite:///{tmp_path / name / 'pvpp.db'}",
        "PVPP_DATA_DIR": str(tmp_path / name / "var"),
        "PVPP_MAIL_FOLDER": str(tmp_path / name / "mail"),
        "PVPP_WORKERS": "1",
        "PVPP_SECRET_KEY": TEST_KEY,
    }


def _store_root(tmp_path: Path, name: str) -> App:
    """This process's root on the store :func:`_store_env` describes."""
    return make_root(
        settings_for(
            tmp_path / name / "var",
            database_url=f"sqlite:///{tmp_path / name / 'pvpp.db'}",
            mail_folder=tmp_path / name / "mail",
        )
    )


def _prepare(root: App, spec: QuestionnaireSpec, books: dict[str, bytes], drop: Path) -> None:
    root.db.upgrade()
    run_round(root, spec, drop.parent / "none", [])
    drop.mkdir(parents=True)
    for code, data in books.items():
        (drop / f"{code}.xlsx").write_bytes(data)


def _snapshot(root: App) -> dict[str, object]:
    """What a round leaves in the store, without ids, times and Message-IDs."""
    with root.db.unit_of_work() as s:
        codes = {i.id: i.code for i in s.exec(select(Institution)).all()}
        assignments = {a.id: codes[a.institution_id] for a in s.exec(select(Assignment)).all()}
        plans = {}
        for plan in s.exec(select(Plan)).all():
            measures = s.exec(select(PlanMeasure).where(PlanMeasure.plan_id == plan.id)).all()
            plans[(assignments[plan.assignment_id], plan.version)] = (
                plan.inputs_sha256, plan.status,
                [(m.measure_id, m.due_on.isoformat(), m.status) for m in measures],
            )  # fmt: skip
        snap = {
            "states": sorted((assignments[a.id], a.state) for a in s.exec(select(Assignment))),
            "submissions": sorted(
                (x.filename, x.status, x.file_sha256) for x in s.exec(select(Submission))
            ),
            "plans": sorted(plans.items()),
            "outbox": sorted(
                (m.kind, m.institution_code, m.version, m.state, m.subject)
                for m in s.exec(select(OutboxMessage))
            ),
        }
    return snap


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """``prefect server start`` on loopback; yields the environment that reaches it."""
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-server"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "server.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        yield env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _run(args: list[str], env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


DEPLOY = """
from prefect import flow
for name, entry in (("cycle", "flows/cycle.py:cycle"), ("assess", "flows/cycle.py:assess")):
    flow.from_source(source={root!r}, entrypoint=entry).deploy(
        name=name, work_pool_name={pool!r}, print_next_steps=False
    )
"""
RUN = """
import json
from prefect.deployments import run_deployment
run = run_deployment("cycle/cycle", parameters={params}, timeout=900)
print(json.dumps({{"id": str(run.id), "state": run.state.type.value}}))
"""
# Which worker started each deployment run, as the server records it: a worker labels a run
# with its name when it takes it. (Two workers may both log "submitting" for the same run;
# the server lets one have it and the other aborts, so worker logs are not the record. The
# steps the cycle calls in its own process are not deployment runs.)
RAN_BY = """
import json
from prefect import get_client
with get_client(sync_client=True) as client:
    runs = client.read_flow_runs()
print(json.dumps({
    str(r.id): (r.labels or {}).get("prefect.worker.name") for r in runs if r.deployment_id
}))
"""


def test_two_workers_share_a_round_and_match_one_process(
    prefect_server: dict[str, str],
    spec: QuestionnaireSpec,
    tmp_path: Path,
    root: App,
) -> None:
    books = filled_workbooks(
        spec, [(c, c) for c in CODES], round_code="2026-K1", key=root.settings.signing_key()
    )
    on_workers, single = _store_env(tmp_path, "workers"), _store_env(tmp_path, "single")
    workers_root, single_root = _store_root(tmp_path, "workers"), _store_root(tmp_path, "single")
    _prepare(workers_root, spec, books, tmp_path / "workers" / "drop")
    _prepare(single_root, spec, books, tmp_path / "single" / "drop")

    client_env = {**prefect_server, **on_workers}
    _run([str(BIN / "prefect"), "work-pool", "create", POOL, "--type", "process"], client_env)
    _run([sys.executable, "-c", DEPLOY.format(root=str(ROOT), pool=POOL)], client_env)
    workers, logs = [], []
    try:
        for name in ("w1", "w2"):
            logs.append(tmp_path / f"{name}.log")
            workers.append(
                subprocess.Popen(
                    [
                        str(BIN / "prefect"),
                        "worker",
                        "start",
                        "--pool",
                        POOL,
                        "--limit",
                        "1",
                        "--name",
                        name,
                    ],
                    env=client_env,
                    cwd=ROOT,
                    stdout=logs[-1].open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        params = {
            "round_code": "2026-K1",
            "drop_folder": str(tmp_path / "workers" / "drop"),
            "today": TODAY,
            "batches": 2,
        }
        out = _run([sys.executable, "-c", RUN.format(params=repr(params))], client_env, 900)
        result = json.loads(out.strip().splitlines()[-1])
        assert result["state"] == "COMPLETED", out
    finally:
        for proc in workers:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in workers:
            # A worker's graceful shutdown (Prefect's) can outlast a busy CI machine's
            # minute; what this test checks is the work done, so one still running then
            # is stopped for good rather than left behind.
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
    # Each worker ran flow runs: the cycle on one, an assessment batch on the other (the
    # cycle's worker is busy with it, one run at a time).
    ran_by = json.loads(_run([sys.executable, "-c", RAN_BY], client_env).strip().splitlines()[-1])
    assert len(ran_by) >= 3, ran_by  # the cycle and two assessment batches
    assert set(ran_by.values()) == {"w1", "w2"}, (
        ran_by, [log.read_text(errors="replace")[-2000:] for log in logs],
    )  # fmt: skip

    local_env = {**os.environ, **single}
    local_prefect(local_env, tmp_path / "prefect-local")
    _run([sys.executable, "-m", "tests.flows.run_cycle", "2026-K1",
          str(tmp_path / "single" / "drop")], local_env, 600)  # fmt: skip

    a, b = _snapshot(workers_root), _snapshot(single_root)
    workers_root.close()
    single_root.close()
    assert a == b
    assert sum(1 for _, state in a["states"] if state == "plan_sent") == len(CODES)
    assert len(a["plans"]) == len(CODES)
