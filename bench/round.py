"""A whole round of N synthetic institutions through the flows, against the hardware limit.

    .venv/bin/python -m bench.round --institutions 1000 [--workers W] [--json out.json]

In a temporary folder (SQLite store, Prefect's local mode, a loopback SMTP server in its
own process) it:

1. registers N synthetic institutions and opens a round;
2. runs the flows as a ministry would: ``launch-round`` (build every workbook, queue and
   deliver the invitations), then — after the synthetic teams have filled their workbooks
   (not timed: that is the institutions' work) — ``collect-submissions`` (check and store
   every workbook), ``assess`` (score, plan, render every plan PDF, deliver the emails),
   ``follow-up`` and ``national-plans``;
3. measures the limit: the same library work — build a workbook, check the returned one,
   render the plan PDF, build the team's plan sheet, send the institution's emails
   (invitation, plan, plan sheet) over SMTP, and the national
   report once — in a plain ``ProcessPoolExecutor.map`` over as many processes as workers,
   with no store writes and no orchestration;
4. changes one institution's submission and runs the ``cycle`` flow again: only that
   institution is redone (one PDF; two emails: its plan to the head, its plan sheet to the team).

It prints per-stage times, peak memory (sampled sum of resident memory of this process
and its children, and the largest single process), and the ratios against the targets:
round ≤ 1.15 × limit, peak < 1 GiB, rerun < 5 % of the round.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.procs import process_tree

ROUND = "B-2026"
OPENS, DUE = date(2026, 1, 15), date(2026, 3, 31)
ASSESS_DAY = date(2026, 4, 15)
TARGET_RATIO, TARGET_MEMORY, TARGET_RERUN = 1.15, 1024**3, 0.05


# --- memory ---------------------------------------------------------------------------


def _rss(pid: int) -> tuple[int, str]:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return 0, ""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024, cmdline
    return 0, cmdline


class MemorySampler:
    """Peak of the summed resident memory of this process and its descendants.

    ``pvpp`` counts this process and its workers; ``all`` adds Prefect's local server
    (a separate service in a deployment). The SMTP server is not counted: it stands for
    the ministry's mail server.
    """

    def __init__(self, exclude: set[int]) -> None:
        self.exclude = exclude
        self.peak_pvpp = self.peak_all = self.peak_one = 0
        self.by_kind: dict[str, int] = {}  # largest process of each kind
        self.stage = ""  # samples taken while stage starts with "(" are not counted
        # per stage: the peak with Prefect's server ("total") and the largest of each kind
        self.by_stage: dict[str, dict[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            pvpp = other = 0
            stage = self.stage
            kinds: dict[str, int] = {}
            for pid in process_tree(os.getpid()):
                if pid in self.exclude:
                    continue
                rss, cmd = _rss(pid)
                kind = (
                    "prefect server" if "prefect.server" in cmd
                    else "worker" if "multiprocessing" in cmd
                    else "main" if pid == os.getpid() else "other"
                )  # fmt: skip
                kinds[kind] = max(kinds.get(kind, 0), rss)
                if kind == "prefect server":
                    other += rss
                else:
                    pvpp += rss
            peaks = self.by_stage.setdefault(stage, {})
            for kind, rss in [("total", pvpp + other), *kinds.items()]:
                peaks[kind] = max(peaks.get(kind, 0), rss)
            if stage.startswith("("):
                continue
            for kind, rss in kinds.items():
                self.by_kind[kind] = max(self.by_kind.get(kind, 0), rss)
                self.peak_one = max(self.peak_one, rss)
            self.peak_pvpp = max(self.peak_pvpp, pvpp)
            self.peak_all = max(self.peak_all, pvpp + other)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- a loopback SMTP server in its own process ------------------------------------------


def _smtp_server(port: int, count: Any, ready: Any, parent: int) -> None:
    from aiosmtpd.controller import Controller

    from pvpp.parallel import exit_with_parent

    exit_with_parent(parent)  # an interrupted benchmark leaves no server behind

    class Sink:
        async def handle_DATA(self, server, session, envelope) -> str:
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    ready.set()
    threading.Event().wait()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- set-up -----------------------------------------------------------------------------


def _registry(path: Path, n: int) -> None:
    """N institutions modelled on the example registry's assigned rows."""
    from pvpp.paths import resources_dir

    with (resources_dir() / "examples" / "registry.csv").open(encoding="utf-8") as fh:
        models = [r for r in csv.DictReader(fh) if r["roles"] and r["scope"] == "round1"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(models[0]))
        writer.writeheader()
        for i in range(n):
            row = dict(models[i % len(models)])
            code = f"B{i + 1:04d}"
            row.update(
                code=code,
                name=f"{row['name']} ({i + 1})",
                parent="",
                head_email=f"vaditajs@{code.lower()}.example.org",
            )
            writer.writerow(row)


def _fill(job: tuple[str, str, str]) -> None:
    """A synthetic team fills the workbook it was sent (the institution's work; not timed)."""
    from flows.demo.synthetic import answer_workbook
    from pvpp.files import write_atomic
    from pvpp.questionnaire import load_questionnaire
    from pvpp.settings import Settings

    code, sent, drop = job
    # A worker process of the benchmark: configured, as a deployment is, by PVPP_ variables.
    spec = load_questionnaire(Settings().default_questionnaire)
    write_atomic(Path(drop), answer_workbook(spec, Path(sent).read_bytes(), code))


# --- the limit: the same library work in a plain pool ----------------------------------


def _limit_one(code: str, *, drop: str) -> int:
    from sqlmodel import select

    from pvpp.app import App
    from pvpp.delivery import render
    from pvpp.invitations import WorkbookJob, build
    from pvpp.mail.outbox import build_email
    from pvpp.mail.transport import SmtpTransport
    from pvpp.proposals import plan_sheet
    from pvpp.store.models import Institution, OutboxMessage
    from pvpp.workbook.check import check_workbook

    root = _worker_root(App)
    settings = root.settings
    with root.db.reading() as s:
        name = s.exec(select(Institution.name).where(Institution.code == code)).one()
        rows = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.round_code == ROUND, OutboxMessage.institution_code == code
            )
        ).all()
        messages = [build_email(row, s, settings) for row in rows]
    job = WorkbookJob(code, name, ROUND, settings.default_questionnaire, DUE, "lv")
    build(job, key=settings.signing_key())
    check_workbook((Path(drop) / f"{code}.xlsx").read_bytes(), settings=settings)
    render(code, round_code=ROUND, lang="lv", db=root.db, today=ASSESS_DAY)
    # The team's plan sheet, sent with the plan (the "proposal" email).
    with root.db.reading() as s:
        plan_sheet(s, ROUND, code, lang="lv", settings=settings)
    transport = SmtpTransport.from_settings(settings)
    for msg in messages:
        transport.send(msg)
    transport.close()
    return len(messages)


def _limit_national(_: int) -> int:
    from pvpp.app import App
    from pvpp.documents.national_pdf import national_pdf

    with _worker_root(App).db.reading() as s:
        return len(national_pdf(s, ROUND, today=ASSESS_DAY))


_root: Any = None


def _worker_root(app_class: Any) -> Any:
    """The worker process's one root, from the PVPP_ variables it inherited."""
    global _root
    if _root is None:
        _root = app_class.build()
    return _root


# --- the run ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--institutions", type=int, default=100)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pvpp-bench-"))
    folder.mkdir(parents=True, exist_ok=True)

    ctx = get_context("spawn")
    count, ready = ctx.Value("i", 0), ctx.Event()
    port = _free_port()
    smtp = ctx.Process(target=_smtp_server, args=(port, count, ready, os.getpid()), daemon=True)
    smtp.start()
    ready.wait(30)

    os.environ.update(
        PVPP_DATA_DIR=str(folder / "var"),
        PVPP_SECRET_KEY="bench-signing-key-0123456789abcdef",
        PVPP_WORKERS=str(args.workers),
        PVPP_EMAIL_TRANSPORT="smtp",
        PVPP_SMTP_HOST="127.0.0.1",
        PVPP_SMTP_PORT=str(port),
    )
    from flows.root import local_prefect

    local_prefect(os.environ, folder / "prefect")
    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.cycle import assess, collect_submissions, cycle, follow_up, launch_round
    from flows.cycle import national_plans as national
    from flows.demo.synthetic import answer_workbook
    from flows.root import using
    from pvpp.app import App
    from pvpp.parallel import exit_with_parent
    from pvpp.policy import load_policy
    from pvpp.questionnaire import load_questionnaire
    from pvpp.registry import import_registry
    from pvpp.rounds import create_round
    from pvpp.submissions import reopen

    # The benchmark configures itself, its worker pools and the flows it runs as a
    # deployment does: with the PVPP_ variables above, read once into one root.
    root = App.build()
    settings = root.settings
    n, w = args.institutions, args.workers
    # The benchmark's own pools end with it when it is interrupted (as pvpp's do).
    orphan_safe: dict[str, Any] = {"initializer": exit_with_parent, "initargs": (os.getpid(),)}
    print(f"pvpp round benchmark: {n} institutions, {w} worker processes, in {folder}")
    root.db.upgrade()
    spec = load_questionnaire(settings.default_questionnaire)
    _registry(folder / "registry.csv", n)
    with root.db.unit_of_work() as s:
        import_registry(s, folder / "registry.csv", load_policy(spec.policy.id), settings=settings)
        create_round(
            s, code=ROUND, opens_on=OPENS, due_on=DUE, questionnaire_version=spec.id,
            actor="bench",
        )  # fmt: skip

    @flow(name="bench-warm-up")
    def warm_up() -> None:
        """Starts Prefect's local server: in a deployment it is already running."""

    stages: dict[str, float] = {}

    def timed(name: str, fn, *a: Any) -> Any:
        memory.stage = name
        start = time.perf_counter()
        result = fn(*a)
        stages[name] = time.perf_counter() - start
        peak = {k: v / 2**20 for k, v in memory.by_stage.get(name, {}).items()}
        shown = result if name != "national" else ""
        print(
            f"  {name:<24} {stages[name]:8.1f} s  {peak.get('total', 0):5.0f} MiB "
            f"(main {peak.get('main', 0):.0f}, worker {peak.get('worker', 0):.0f})  {shown}"
        )
        return result

    sent_dir = settings.round_folder(ROUND, "workbooks")
    drop = settings.round_folder(ROUND, "drop")
    # Heartbeats off for the whole run: each flow run would otherwise wait ~1 s at its end.
    quiet = temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    quiet.__enter__()
    flows_root = using(root)
    flows_root.__enter__()
    memory = MemorySampler(exclude={smtp.pid})
    with memory:
        memory.stage = "(Prefect start)"
        start = time.perf_counter()
        warm_up()
        prefect_start = time.perf_counter() - start
        print(f"  Prefect local server start {prefect_start:.1f} s (not counted)")
        print("Orchestrated round:")
        timed("launch-round", launch_round, ROUND)
        # The teams' filling runs in a pool of this process: its memory is not pvpp's.
        memory.stage = "(teams fill workbooks)"
        t = time.perf_counter()
        jobs = [(f"B{i + 1:04d}", str(sent_dir), str(drop)) for i in range(n)]
        jobs = [(c, str(Path(s_) / f"{c}.xlsx"), str(Path(d) / f"{c}.xlsx")) for c, s_, d in jobs]
        with ProcessPoolExecutor(w, mp_context=ctx, **orphan_safe) as pool:
            list(pool.map(_fill, jobs, chunksize=8))
        print(f"  (teams fill workbooks    {time.perf_counter() - t:8.1f} s, not counted)")
        timed("collect-submissions", collect_submissions, ROUND, str(drop), ASSESS_DAY)
        timed("assess", assess, ROUND)
        timed("follow-up", follow_up, ROUND, ASSESS_DAY)
        timed("national", national, ROUND)
        round_time = sum(stages.values())
        round_memory = (
            memory.peak_pvpp, memory.peak_all, memory.peak_one, memory.by_kind, memory.by_stage
        )  # fmt: skip
    delivered = count.value
    print(f"  {'round':<24} {round_time:8.1f} s   emails received by SMTP: {delivered}")

    print("Limit (same library work, plain process pool):")
    with MemorySampler(exclude={smtp.pid}) as memory:
        t = time.perf_counter()
        with ProcessPoolExecutor(w, mp_context=ctx, **orphan_safe) as pool:
            future = pool.submit(_limit_national, 0)
            sent = sum(pool.map(partial(_limit_one, drop=str(drop)), [j[0] for j in jobs]))
            future.result()
        limit_time = time.perf_counter() - t
        limit_memory = memory.peak_all
    print(f"  {'limit':<24} {limit_time:8.1f} s   emails sent: {sent}")

    print("Rerun after one changed submission (cycle flow):")
    code = jobs[n // 2][0]
    # The team sends a corrected workbook: the same institution, other answers. Its plan
    # has gone out, so a coordinator reopens it first (a late file is otherwise kept, not
    # applied: docs/status.md).
    with root.db.unit_of_work() as s:
        reopen(s, ROUND, code, actor="bench", reason="corrected workbook", settings=settings)
    changed = answer_workbook(spec, (sent_dir / f"{code}.xlsx").read_bytes(), code, seed=1)
    (drop / f"{code}-labots.xlsx").write_bytes(changed)
    plans_dir = settings.round_folder(ROUND, "plans")
    pdfs_before, mail_before = len(list(plans_dir.glob("*.pdf"))), count.value
    t = time.perf_counter()
    cycle(ROUND, str(drop), ASSESS_DAY)
    rerun_time = time.perf_counter() - t
    flows_root.__exit__(None, None, None)
    quiet.__exit__(None, None, None)
    pdfs = len(list(plans_dir.glob("*.pdf"))) - pdfs_before
    mails = count.value - mail_before
    print(f"  {'rerun':<24} {rerun_time:8.1f} s   PDFs rendered: {pdfs}, emails: {mails}")

    figures = {
        "institutions": n,
        "workers": w,
        "stages_s": {k: round(v, 1) for k, v in stages.items()},
        "round_s": round(round_time, 1),
        "limit_s": round(limit_time, 1),
        "ratio": round(round_time / limit_time, 3),
        "peak_memory_mib": {
            "pvpp": round(round_memory[0] / 2**20),
            "with_prefect_server": round(round_memory[1] / 2**20),
            "largest_process": round(round_memory[2] / 2**20),
            "limit": round(limit_memory / 2**20),
            "by_process": {k: round(v / 2**20) for k, v in round_memory[3].items()},
            "by_stage": {
                stage: {k: round(v / 2**20) for k, v in peaks.items()}
                for stage, peaks in round_memory[4].items()
            },
        },
        "rerun_s": round(rerun_time, 1),
        "rerun_share": round(rerun_time / round_time, 4),
        "rerun_pdfs": pdfs,
        "rerun_emails": mails,
        "emails_delivered": delivered,
        "prefect_start_s": round(prefect_start, 1),
    }
    ok = {
        "ratio": figures["ratio"] <= TARGET_RATIO,
        "memory": round_memory[1] < TARGET_MEMORY,
        # A re-plan sends its institution two emails: the plan to the head, the plan sheet
        # to the team; a round sends each institution those and its invitation.
        "rerun": figures["rerun_share"] < TARGET_RERUN and pdfs == 1 and mails == 2,
        "delivered": delivered == 3 * n,
    }
    figures["met"] = ok
    print(
        f"Ratio round / limit: {figures['ratio']:.3f} (target ≤ {TARGET_RATIO})  "
        f"{'met' if ok['ratio'] else 'NOT met'}\n"
        f"Peak memory: {figures['peak_memory_mib']['with_prefect_server']} MiB with Prefect's "
        f"server, {figures['peak_memory_mib']['pvpp']} MiB pvpp alone, largest process "
        f"{figures['peak_memory_mib']['largest_process']} MiB (target < 1024)  "
        f"{'met' if ok['memory'] else 'NOT met'}\n"
        f"Rerun: {figures['rerun_share']:.2%} of the round (target < 5 %), {pdfs} PDF, "
        f"{mails} emails (plan and plan sheet)  {'met' if ok['rerun'] else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    smtp.terminate()
    return 0 if all(ok.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
