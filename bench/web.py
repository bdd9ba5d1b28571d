"""The institution portal under load: N institutions, M signed-in team members, D seconds.

    .venv/bin/python -m bench.web [--institutions 1000] [--users 200] [--seconds 60]
        [--database sqlite|postgresql] [--workers W] [--think S] [--json out.json]

In a temporary folder it:

1. builds a store (SQLite, or with ``--database postgresql`` a throwaway PostgreSQL
   server on loopback, as ``tests/pg.py`` starts one) with N synthetic institutions, a
   team of ``--per-institution`` members (the first is the lead) for each of the first
   M / per-institution of them, and a round open for all N (``create_round``: every
   institution's assignment, invited); then opens a portal session for each of the M
   members through :func:`pvpp.sessions.open_session` (signing in is not what is
   measured);
2. starts the real portal with uvicorn on a free loopback port: ``create_app`` as
   ``pvpp web`` serves it, wrapped by ``bench.web_app`` with the baseline route — one
   process on SQLite (its single-machine default: one writer at a time, see
   docs/store.md), ``--workers`` (default 4) on PostgreSQL;
3. runs the M members for D seconds (after ``--warmup`` seconds not counted), each an
   httpx client with its own cookies and connection, in ``--clients`` processes. Each
   member waits a think time (exponential, mean ``--think`` s, default 5: a quick person
   who changes a field every 15 s or so and opens a page in between), then does one of
   (weights in :data:`MIX`): open a page (home, the questionnaire's overview, a
   component's page, the services' matrix, results); autosave one of its fields exactly as htmx does
   (``POST /questionnaire/{id}/fields/{field}`` with ``HX-Request``, the field and the
   CSRF token taken from the last page); the baseline (``POST /bench/draft``: the same
   ``DraftAnswer`` row written with no session, CSRF, audit or template work; into an
   assignment of an institution nobody is simulating, so that the drafts being filled
   stay the members' own); or upload its institution's filled workbook
   (``POST /questionnaire/{id}/workbook``, into the draft);
4. stops the server and checks the store: every autosave answered 2xx is there, and the
   newest row of every field autosaved (and not written by an upload) is the value its
   member saved last.

It prints per kind (page, autosave, baseline, upload) the count, p50, p95, p99 and errors,
whether the load generator kept up (its event loop's lateness and CPU), and the ratios
against the targets: page p95 ≤ 200 ms, autosave p95 ≤ 2 × baseline p95, 0 errors, every
autosaved answer in the store. Exits 1 when a target is missed.

The ministry's console (issue 13), ``--scenario console``:

    .venv/bin/python -m bench.web --scenario console [--institutions 1000]
        [--coordinators 20] [--accepted 0.17] [--seconds 60] [--database sqlite|postgresql]

A round of N institutions, launched (its milestones recorded) and under way (some
institutions filling in, some handed in and accepted, each with its state changes), and
``--coordinators`` console accounts signed in (a verified console session each, made
directly: signing in is not measured). Each coordinator waits a think time (mean
``--think``) and loads the round's progress page (``GET /console/rounds/{round}/progress``,
the whole page: session, guard, the view, the chart, the template) or the baseline
(``GET /bench/progress/{round}``: the same view's data, nothing else).
A third of the time it loads the round's national results instead
(``GET /console/rounds/{round}/national``: response and acceptance, distributions, heat
maps, gaps, needs, services, overdue measures, unclear questions; the handed-in
institutions have accepted answer sets, a plan with measures and some due already).
It prints every kind's p50/p95/p99, the ratio of the progress page's p95 to the
baseline's, and judges each page against the issue's target: p95 ≤ 500 ms, 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.procs import process_tree

if TYPE_CHECKING:
    from pvpp.app import App

REPO = Path(__file__).resolve().parents[1]
ROUND = "W-2026"
TARGET_PAGE_P95_MS = 200.0
#: The console's progress page of a 1,000-institution round (issue 13).
TARGET_CONSOLE_P95_MS = 500.0
#: What a coordinator does after each think time: the progress page, the national
#: results, or the baseline.
CONSOLE_MIX = {"progress": 1 / 3, "national": 1 / 3, "baseline": 1 / 3}
#: What each console page must hold to count as answered (not an error page).
CONSOLE_CHECK = {"progress": "line-chart-title", "national": "distribution-chart-title"}
TARGET_AUTOSAVE_RATIO = 2.0
#: What a member does after each think time: weights of the kinds.
MIX = {"page": 0.40, "autosave": 0.30, "baseline": 0.28, "upload": 0.02}
#: The load generator's idle connections last less than uvicorn's keep-alive (5 s).
KEEPALIVE_S = 4.0
PAGES = ("home", "overview", "component", "services", "results")
CSRF = re.compile(r'name="csrf" value="([^"]*)"')
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")


@dataclass
class Member:
    """One simulated team member: their session and what they fill."""

    uid: int
    sid: str
    email: str
    assignment_id: int
    institution: str
    fields: list[str]  # the fields this member autosaves (no one else of the team does)
    degrees: list[str]  # of those, the degree questions (the rest are texts)
    spare: list[int]  # assignments the baseline writes into
    workbook: str | None = None  # a filled workbook to upload (a file path), if any


@dataclass
class Sample:
    kind: str
    name: str
    at: float  # seconds after the start of the measured window
    ms: float
    status: int
    ok: bool
    error: str = ""
    server_ms: float | None = None  # the server's own time (its Server-Timing header)


@dataclass
class Drive:
    """What one load-generator process measured."""

    samples: list[Sample] = field(default_factory=list)
    saves: list[tuple[int, int, str, str]] = field(default_factory=list)  # uid, aid, fid, value
    lag_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)


# --- set-up -----------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _setup(root: Any, args: argparse.Namespace, folder: Path, upload: bool) -> list[Member]:
    """The store: N institutions, the members' teams, the round, one session per member."""
    from datetime import date

    from sqlmodel import col, select

    from bench.round import _registry
    from pvpp.planning.library import load_common
    from pvpp.policy import load_policy
    from pvpp.questionnaire import FieldKind, load_questionnaire
    from pvpp.registry import import_registry
    from pvpp.rounds import create_round
    from pvpp.sessions import open_session
    from pvpp.signin import person_of
    from pvpp.store.models import Assignment, Institution, TeamMember, id_of
    from pvpp.teams import add_member

    settings = root.settings
    n, m, per = args.institutions, args.users, args.per_institution
    teams = math.ceil(m / per)
    if teams >= n:
        raise SystemExit(
            "--institutions must exceed --users / --per-institution (the baseline writes "
            "into the assignments of institutions nobody simulates)"
        )
    spec = load_questionnaire(settings.default_questionnaire)
    _registry(folder / "registry.csv", n)
    codes = [f"B{i + 1:04d}" for i in range(teams)]
    today = date.today()
    common = load_common(spec.policy.id)
    with root.db.unit_of_work() as s:
        import_registry(s, folder / "registry.csv", load_policy(spec.policy.id), settings=settings)
        for code in codes:
            for k in range(per):
                add_member(
                    s, common, institution=code, name=f"Dalībnieks {k + 1} {code}",
                    email=f"dalibnieks{k + 1}@{code.lower()}.example.org",
                    roles=["team_lead"] if k == 0 else ["it_manager"], lead=k == 0, actor="bench",
                )  # fmt: skip
        create_round(
            s, code=ROUND, opens_on=today - timedelta(days=14), due_on=today + timedelta(days=60),
            questionnaire_version=spec.id, actor="bench",
        )  # fmt: skip
    # The fields members autosave: each item's four degrees, its evidence and comment.
    kinds = (FieldKind.DEGREE, FieldKind.EVIDENCE, FieldKind.COMMENT)
    fillable = [f for f in spec.fields if f.kind in kinds]
    members: list[Member] = []
    now = root.clock.now()
    where = {"ip": "127.0.0.1", "user_agent": "pvpp-bench", "via": "bench"}
    with root.db.unit_of_work() as s:
        assignment_of = dict(
            s.exec(
                select(Institution.code, Assignment.id).join(
                    Assignment, col(Assignment.institution_id) == col(Institution.id)
                )
            ).all()
        )
        spare = [a for c, a in assignment_of.items() if c not in set(codes) and a is not None]
        for code in codes:
            inst = s.exec(select(Institution).where(Institution.code == code)).one()
            for k in range(per):
                if len(members) == m:
                    break
                email = f"dalibnieks{k + 1}@{code.lower()}.example.org"
                member = s.exec(select(TeamMember).where(TeamMember.email == email)).one()
                person = person_of(s, id_of(inst), id_of(member), email)
                assert person is not None
                sid = open_session(s, person, now=now, where=where)
                mine = [f for i, f in enumerate(fillable) if i % per == k]
                members.append(Member(
                    uid=len(members), sid=sid, email=email, assignment_id=assignment_of[code],
                    institution=code, fields=[f.id for f in mine],
                    degrees=[f.id for f in mine if f.kind is FieldKind.DEGREE], spare=spare,
                ))  # fmt: skip
    if upload:
        _workbooks(root, spec, members, folder, args.upload_teams)
    return members


def _workbooks(root: Any, spec: Any, members: list[Member], folder: Path, teams: int) -> None:
    """A filled workbook for each of the first ``teams`` teams (their members upload it)."""
    from flows.demo.synthetic import answer_workbook
    from pvpp.invitations import WorkbookJob, build

    settings = root.settings
    books = folder / "upload"
    books.mkdir(exist_ok=True)
    done: dict[str, str] = {}
    for member in members:
        code = member.institution
        if code not in done and len(done) < teams:
            job = WorkbookJob(code, code, ROUND, spec.id, None, "lv")
            path = books / f"{code}.xlsx"
            path.write_bytes(answer_workbook(spec, build(job, key=settings.signing_key()), code))
            done[code] = str(path)
        member.workbook = done.get(code)


# --- the server -------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the server's process before it starts: SIGTERM when the benchmark is gone."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _start_server(
    port: int, workers: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "uvicorn", "bench.web_app:app_factory", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--proxy-headers",
    ]  # fmt: skip
    if workers > 1:
        cmd += ["--workers", str(workers)]
    path = os.pathsep.join([str(REPO / "src"), str(REPO), env.get("PYTHONPATH", "")])
    out = log.open("wb")
    server = subprocess.Popen(
        cmd, cwd=REPO, env={**env, "PYTHONPATH": path}, stdout=out, stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )  # fmt: skip
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server ended at start: see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/static/portal.css").status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"the server did not answer within 120 s: see {log}")


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of the processes so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


# --- the load ---------------------------------------------------------------------------


async def _member(
    member: Member, base: str, start: float, warmup: float, end: float, think: float,
    rng: random.Random, out: Drive, upload: bool,
) -> None:  # fmt: skip
    import httpx

    aid = member.assignment_id
    origin = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
    csrf = ""
    last: dict[str, str] = {}
    counter = 0
    cookies = {"pvpp_session": member.sid}
    # An idle connection is dropped before the server drops it (uvicorn: after 5 s), as a
    # browser's would be retried: otherwise a request sent as the server closes the
    # connection fails in the client without reaching the portal.
    limits = httpx.Limits(max_connections=1, keepalive_expiry=KEEPALIVE_S)
    async with httpx.AsyncClient(
        base_url=base, cookies=cookies, timeout=30, limits=limits, follow_redirects=False
    ) as client:

        async def timed(
            kind: str, name: str, method: str, url: str, ok: tuple[int, ...],
            skip: tuple[int, ...] = (), **kw: Any,
        ) -> httpx.Response | None:  # fmt: skip
            t0 = time.perf_counter()
            try:
                response = await client.request(method, url, **kw)
            except httpx.HTTPError as exc:
                ms = (time.perf_counter() - t0) * 1000
                if t0 >= start + warmup:
                    out.samples.append(
                        Sample(kind, name, t0 - start - warmup, ms, 0, False, repr(exc))
                    )
                return None
            ms = (time.perf_counter() - t0) * 1000
            good = response.status_code in ok
            if t0 >= start + warmup and response.status_code not in skip:
                error = "" if good else f"{response.status_code} {response.text[:200]}"
                timing = SERVER_TIMING.search(response.headers.get("server-timing", ""))
                out.samples.append(Sample(
                    kind, name, t0 - start - warmup, ms, response.status_code, good, error,
                    float(timing.group(1)) if timing else None,
                ))  # fmt: skip
            return response

        async def open_page(name: str) -> None:
            nonlocal csrf
            url = {
                "home": "/", "overview": f"/questionnaire/{aid}",
                "component": f"/questionnaire/{aid}/C{rng.randint(1, 4)}",
                "services": f"/questionnaire/{aid}/services", "results": "/results",
            }[name]  # fmt: skip
            response = await timed("page", name, "GET", url, (200,))
            if response is not None and response.status_code == 200:
                found = CSRF.search(response.text)
                if found:
                    csrf = found.group(1)

        # Members arrive during the warm-up, each on the questionnaire's overview.
        arrive = rng.uniform(0, 0.8 * warmup)
        await asyncio.sleep(max(0.0, start - time.perf_counter()) + arrive)
        await open_page("overview")
        while time.perf_counter() < end:
            await asyncio.sleep(min(rng.expovariate(1 / think), 5 * think))
            if time.perf_counter() >= end:
                break
            kinds = [k for k in MIX if k != "upload" or (upload and member.workbook)]
            kind = rng.choices(kinds, weights=[MIX[k] for k in kinds])[0]
            counter += 1
            if kind == "page":
                await open_page(rng.choice(PAGES))
            elif kind == "autosave":
                fid = rng.choice(member.fields)
                if fid in member.degrees:
                    value = rng.choice([v for v in "01234" if v != last.get(fid)])
                else:
                    value = f"Atbilde {member.uid}.{counter}: ņemts vērā"
                headers = {
                    **origin, "HX-Request": "true", "HX-Trigger": f"f-{fid}",
                    "HX-Target": f"f-{fid}", "HX-Current-URL": f"{base}/questionnaire/{aid}",
                }  # fmt: skip
                response = await timed(
                    "autosave", "field", "POST", f"/questionnaire/{aid}/fields/{fid}", (200,),
                    data={"csrf": csrf, fid: value}, headers=headers,
                )  # fmt: skip
                if response is not None and response.status_code == 200:
                    last[fid] = value
                    out.saves.append((member.uid, aid, fid, value))
            elif kind == "baseline":
                fid = rng.choice(member.fields)
                data = {"assignment": str(rng.choice(member.spare)), "field": fid,
                        "value": f"Bāze {member.uid}.{counter}"}  # fmt: skip
                await timed("baseline", "draft", "POST", "/bench/draft", (204,), data=data)
            else:
                assert member.workbook is not None
                book = Path(member.workbook).read_bytes()
                await timed(
                    "upload", "workbook", "POST", f"/questionnaire/{aid}/workbook",
                    (200, 303), data={"csrf": csrf}, headers=origin,
                    files={"workbook": (f"{member.institution}.xlsx", book)},
                )  # fmt: skip


async def _lag(end: float, out: Drive) -> None:
    """How late the load generator's event loop wakes up: when it is busy, the times it
    measures include its own waiting."""
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        await asyncio.sleep(0.05)
        out.lag_ms.append((time.perf_counter() - t0 - 0.05) * 1000)


def _drive(
    members: list[Member], base: str, at: float, warmup: float, seconds: float, think: float,
    seed: int, upload: bool,
) -> Drive:  # fmt: skip
    """One load-generator process: its members until ``at`` + warmup + seconds (wall)."""
    out = Drive()
    rng = random.Random(seed)

    async def run() -> None:
        start = time.perf_counter() + (at - time.time())
        end = start + warmup + seconds
        tasks = [
            _member(m, base, start, warmup, end, think, random.Random(rng.random()), out, upload)
            for m in members
        ]
        await asyncio.gather(_lag(end, out), *tasks)

    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(run())
    out.cpu_s, out.wall_s = time.process_time() - cpu, time.perf_counter() - wall
    out.notes = sorted(set(out.notes))
    return out


# --- the check and the figures ------------------------------------------------------------


def _check_store(root: Any, saves: list[tuple[int, int, str, str]]) -> dict[str, Any]:
    """Every autosave answered 2xx is in the store; each field's newest row is its last save.

    An autosave of the value the draft already holds writes no row (nothing changed): after
    a teammate's workbook upload set that value, the upload's row holds it. So an autosave
    is found by a row of its field and value from any source, and the newest-row check is
    made on the fields no upload wrote (an upload after a member's last save rightly wins).
    """
    from sqlmodel import col, select

    from pvpp.store.models import DraftAnswer

    with root.db.reading() as s:
        rows = s.exec(
            select(DraftAnswer.id, DraftAnswer.assignment_id, DraftAnswer.field,
                   DraftAnswer.value, DraftAnswer.source)
            .order_by(col(DraftAnswer.id))
        ).all()  # fmt: skip
    stored = Counter((a, f, v) for _, a, f, v, _ in rows)
    stored_web = Counter((a, f, v) for _, a, f, v, source in rows if source == "web")
    uploaded = {(a, f) for _, a, f, _, source in rows if source != "web"}
    newest = {(a, f): v for _, a, f, v, _ in rows}
    sent = Counter((a, f, v) for _, a, f, v in saves)
    found = sum(min(c, stored[k]) for k, c in sent.items())
    found_web = sum(min(c, stored_web[k]) for k, c in sent.items())
    last = {(a, f): v for _, a, f, v in saves}  # each field has one member: saves in order
    wrong = [k for k, v in last.items() if k not in uploaded and newest.get(k) != v]
    return {
        "autosaves_2xx": sum(sent.values()),
        "found": found,
        "found_by_upload": found - found_web,
        "missing": sum(sent.values()) - found,
        "rows_without_2xx": sum(stored_web.values()) - found_web,
        "fields": len(last),
        "fields_uploaded": len(uploaded & set(last)),
        "fields_last_value_wrong": len(wrong),
        "ok": found == sum(sent.values()) and not wrong,
    }


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def _stats(samples: list[Sample]) -> dict[str, Any]:
    ms = [s.ms for s in samples]
    inside = [s.server_ms for s in samples if s.server_ms is not None]
    return {
        "count": len(samples),
        "p50_ms": round(_pct(ms, 50), 1),
        "p95_ms": round(_pct(ms, 95), 1),
        "p99_ms": round(_pct(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else float("nan"),
        "errors": sum(not s.ok for s in samples),
        "server_p50_ms": round(_pct(inside, 50), 1),
        "server_p95_ms": round(_pct(inside, 95), 1),
    }


def _postgres() -> Any:
    """A throwaway PostgreSQL server on loopback (the tests' helper)."""
    from tests.pg import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries (initdb, pg_ctl) found")
    return PostgresServer(bindir).start()


# --- the console scenario ---------------------------------------------------------------


def _setup_console(root: Any, args: argparse.Namespace, folder: Path) -> list[str]:
    """A round of N institutions under way, launched, and one verified console session
    per coordinator (their ids)."""
    import hashlib
    from datetime import date

    from bench.round import _registry
    from pvpp.accounts import add_account
    from pvpp.assignments import State, transition
    from pvpp.milestones import record_milestones
    from pvpp.policy import load_policy
    from pvpp.queries import round_assignments
    from pvpp.questionnaire import load_questionnaire
    from pvpp.registry import import_registry
    from pvpp.rounds import create_round, get_round
    from pvpp.sessions import new_secret
    from pvpp.store.models import ConsoleSession, id_of

    settings = root.settings
    spec = load_questionnaire(settings.default_questionnaire)
    _registry(folder / "registry.csv", args.institutions)
    today = date.today()
    rng = random.Random(args.seed)
    with root.db.unit_of_work() as s:
        import_registry(s, folder / "registry.csv", load_policy(spec.policy.id), settings=settings)
        create_round(
            s, code=ROUND, opens_on=today - timedelta(days=30), due_on=today + timedelta(days=30),
            questionnaire_version=spec.id, actor="bench",
        )  # fmt: skip
        record_milestones(s, ROUND, actor="bench")
        # Under way: a third filling in, a share (--accepted) handed in and accepted (state
        # changes, so the completion line has something to draw), each of those with its
        # accepted answers and a plan (for the national results).
        accepted = []
        for assignment, inst in round_assignments(s, get_round(s, ROUND)):
            roll = rng.random()
            if roll < max(0.5, args.accepted):
                transition(s, assignment, State.IN_PROGRESS, actor="bench")
            if roll < args.accepted:
                transition(s, assignment, State.SUBMITTED, actor="bench")
                transition(s, assignment, State.ACCEPTED, actor="bench")
                accepted.append((assignment, inst))
        _accepted_answers(s, spec, accepted, today, rng)
    sids = []
    now = root.clock.now()
    with root.db.unit_of_work() as s:
        for k in range(args.coordinators):
            made = add_account(
                s, email=f"koordinators{k + 1}@varam.gov.lv", name=f"Koordinators {k + 1}",
                role="coordinator", password="zaļš kalns mazs ezers", key=settings.signing_key(),
                now=now, actor="bench",
            )  # fmt: skip
            sid = new_secret()
            # As pvpp.console_auth stores a verified session: only the id's SHA-256.
            s.add(ConsoleSession(
                sid_sha256=hashlib.sha256(sid.encode("utf-8")).hexdigest(),
                account_id=id_of(made.account), created_at=now, last_seen_at=now,
                verified_at=now, user_agent="pvpp-bench", ip="127.0.0.1",
            ))  # fmt: skip
            sids.append(sid)
    return sids


def _accepted_answers(s: Any, spec: Any, accepted: list[Any], today: Any,
                      rng: random.Random) -> None:  # fmt: skip
    """Each accepted assignment's answer set (synthetic answers, as the demo's teams give)
    through a stored submission, and a plan of five measures, some due already."""
    from flows.demo.synthetic import profile_for, synthetic_answers
    from pvpp.store.models import AnswerSet, Plan, PlanMeasure, StoredFile, Submission, id_of

    for k, (assignment, inst) in enumerate(accepted):
        digest = f"{k:064x}"
        s.add(StoredFile(sha256=digest, size=1, path=digest))
        sub = Submission(
            assignment_id=id_of(assignment), file_sha256=digest, filename=f"{inst.code}.xlsx",
            source="bench", status="accepted",
        )  # fmt: skip
        s.add(sub)
        s.flush()
        answers = synthetic_answers(spec, profile_for(inst.code), seed=k)
        answer_set = AnswerSet(assignment_id=id_of(assignment), submission_id=id_of(sub),
                               answers=answers)  # fmt: skip
        s.add(answer_set)
        s.flush()
        plan = Plan(assignment_id=id_of(assignment), version=1, answer_set_id=id_of(answer_set),
                    inputs_sha256="bench", created_by="bench")  # fmt: skip
        s.add(plan)
        s.flush()
        for position in range(1, 6):
            s.add(PlanMeasure(
                plan_id=id_of(plan), position=position, measure_id=f"M{position}", item_id="K1",
                dimension_id="D1", from_degree=1, to_degree=2, period="2026H2",
                due_on=today + timedelta(days=rng.randint(-60, 120)), rv5_measure="P5.2",
                role="head", effort="S", priority=1.0,
            ))  # fmt: skip


def _national_cold(root: Any) -> float:
    """Seconds to compute the round's national results once (what a page that finds no
    kept view costs more than one that does)."""
    from pvpp.console_national import national_view
    from pvpp.rounds import get_round

    with root.db.reading() as s:
        t = time.perf_counter()
        national_view(s, get_round(s, ROUND), today=root.clock.today(), group=None, lang="lv")
        return time.perf_counter() - t


async def _coordinator(
    sid: str, base: str, start: float, warmup: float, end: float, think: float,
    rng: random.Random, out: Drive,
) -> None:  # fmt: skip
    import httpx

    limits = httpx.Limits(max_connections=1, keepalive_expiry=KEEPALIVE_S)
    async with httpx.AsyncClient(base_url=base, cookies={"pvpp_console": sid}, timeout=60,
                                 limits=limits, follow_redirects=False) as client:  # fmt: skip
        await asyncio.sleep(max(0.0, start - time.perf_counter()) + rng.uniform(0, 0.8 * warmup))
        while time.perf_counter() < end:
            kind = rng.choices(list(CONSOLE_MIX), weights=list(CONSOLE_MIX.values()))[0]
            url = (f"/console/rounds/{ROUND}/{kind}" if kind in CONSOLE_CHECK
                   else f"/bench/progress/{ROUND}")  # fmt: skip
            ok = (200,) if kind in CONSOLE_CHECK else (204,)
            t0 = time.perf_counter()
            try:
                response = await client.get(url)
                status, error = response.status_code, ""
                timing = SERVER_TIMING.search(response.headers.get("server-timing", ""))
                inside = float(timing.group(1)) if timing else None
                check = CONSOLE_CHECK.get(kind)
                if status == 200 and check and check not in response.text:
                    status, error = 0, "the page has no chart"
            except httpx.HTTPError as exc:
                status, error, inside = 0, repr(exc), None
            ms = (time.perf_counter() - t0) * 1000
            if t0 >= start + warmup:
                good = status in ok
                error = error or ("" if good else str(status))
                at = t0 - start - warmup
                out.samples.append(Sample(kind, kind, at, ms, status, good, error, inside))
            await asyncio.sleep(min(rng.expovariate(1 / think), 5 * think))


def _drive_console(
    sids: list[str], base: str, at: float, warmup: float, seconds: float, think: float, seed: int
) -> Drive:
    """One load-generator process: its coordinators until ``at`` + warmup + seconds."""
    out = Drive()
    rng = random.Random(seed)

    async def run() -> None:
        start = time.perf_counter() + (at - time.time())
        end = start + warmup + seconds
        tasks = [
            _coordinator(sid, base, start, warmup, end, think, random.Random(rng.random()), out)
            for sid in sids
        ]
        await asyncio.gather(_lag(end, out), *tasks)

    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(run())
    out.cpu_s, out.wall_s = time.process_time() - cpu, time.perf_counter() - wall
    return out


def _finish(
    args: argparse.Namespace, folder: Path, figures: dict[str, Any], met: dict[str, bool]
) -> int:
    """The figures written as JSON when asked, the run's folder removed unless kept; the
    exit status: 0 when every target is met."""
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if all(met.values()) else 1


def _root_on(pg: Any, env: dict[str, str]) -> App:
    """The root the server processes will share: ``env`` (with a new database on ``pg``,
    or SQLite in the folder without it) made this process's environment, migrated."""
    if pg is not None:
        env["PVPP_DATABASE_URL"] = pg.new_database()
    else:
        env.pop("PVPP_DATABASE_URL", None)
    os.environ.clear()
    os.environ.update(env)
    from pvpp.app import App

    root = App.build()
    root.db.upgrade()
    return root


def main_console(args: argparse.Namespace, folder: Path, env: dict[str, str], port: int,
                 workers: int) -> int:  # fmt: skip
    """The console scenario (see the module's docstring)."""
    base = f"http://127.0.0.1:{port}"
    pg = _postgres() if args.database == "postgresql" else None
    server = None
    try:
        root = _root_on(pg, env)
        print(
            f"pvpp console benchmark: the progress and national pages of a "
            f"{args.institutions}-institution round ({args.accepted:.0%} accepted), "
            f"{args.coordinators} coordinators, {args.seconds:g} s (+{args.warmup:g} s "
            f"warm-up), think {args.think:g} s, {args.database} with {workers} server "
            f"process{'es' if workers > 1 else ''}, in {folder}"
        )
        t = time.perf_counter()
        sids = _setup_console(root, args, folder)
        print(f"  set-up {time.perf_counter() - t:.1f} s (not counted)")
        cold = _national_cold(root)
        print(f"  the national results' view computed once, not kept: {cold:.2f} s "
              "(each server process does this once per round state; not counted)")  # fmt: skip
        server = _start_server(port, workers, env, folder / "server.log")
        at = time.time() + 3.0
        load_before = os.getloadavg()
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            future = pool.submit(_drive_console, sids, base, at, args.warmup, args.seconds,
                                 args.think, args.seed)  # fmt: skip
            time.sleep(max(0.0, at + args.warmup - time.time()))
            cpu_start = _cpu_seconds(process_tree(server.pid))
            time.sleep(args.seconds)
            server_cpu = _cpu_seconds(process_tree(server.pid)) - cpu_start
            load_during = os.getloadavg()
            drive = future.result()
        server.send_signal(signal.SIGINT)
        server.wait(60)
        server = None
        root.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        if pg is not None:
            pg.stop()
    by_kind = {k: _stats([s for s in drive.samples if s.kind == k]) for k in CONSOLE_MIX}
    page_p95, base_p95 = by_kind["progress"]["p95_ms"], by_kind["baseline"]["p95_ms"]
    national_p95 = by_kind["national"]["p95_ms"]
    errors = [s for s in drive.samples if not s.ok]
    ratio = round(page_p95 / base_p95, 2) if base_p95 else None
    figures: dict[str, Any] = {
        "scenario": "console",
        "institutions": args.institutions,
        "coordinators": args.coordinators,
        "seconds": args.seconds,
        "think_s": args.think,
        "database": args.database,
        "server_processes": workers,
        "by_kind": by_kind,
        "progress_p95_over_baseline_p95": ratio,
        "progress_p95_over_500ms": round(page_p95 / TARGET_CONSOLE_P95_MS, 3),
        "national_p95_over_500ms": round(national_p95 / TARGET_CONSOLE_P95_MS, 3),
        "accepted_share": args.accepted,
        "national_view_cold_s": round(cold, 3),
        "server_cpu_share": round(server_cpu / args.seconds, 2),
        "load_generator": {
            "cpu_share": round(drive.cpu_s / drive.wall_s, 2) if drive.wall_s else 0.0,
            "loop_lag_p95_ms": round(_pct(drive.lag_ms, 95), 1),
        },
        "load_average": {"before": load_before, "during": load_during},
        "errors_first": [asdict(e) for e in errors[:5]],
    }
    met = {"page": page_p95 <= TARGET_CONSOLE_P95_MS,
           "national": national_p95 <= TARGET_CONSOLE_P95_MS, "errors": not errors}  # fmt: skip
    figures["met"] = met
    print(f"  {'kind':<10} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
          f"   in the server: {'p50 ms':>7} {'p95 ms':>7}")  # fmt: skip
    for name, st in by_kind.items():
        print(f"  {name:<10} {st['count']:>6} {st['p50_ms']:>8} {st['p95_ms']:>8} "
              f"{st['p99_ms']:>8} {st['errors']:>7}   {'':>14} {st['server_p50_ms']:>7} "
              f"{st['server_p95_ms']:>7}")  # fmt: skip
    gen = figures["load_generator"]
    print(f"  server CPU {figures['server_cpu_share']:.0%} of one core; load generator CPU "
          f"{gen['cpu_share']:.0%}, event-loop lateness p95 {gen['loop_lag_p95_ms']} ms; load "
          f"average {load_during[0]:.1f}")  # fmt: skip
    for e in errors[:5]:
        print(f"  error: {e.kind} {e.status} {e.error[:150]!r}")
    print(
        f"Progress page p95 {page_p95} ms / baseline p95 {base_p95} ms = {ratio}\n"
        f"Progress page p95 {page_p95} ms / {TARGET_CONSOLE_P95_MS:g} ms = "
        f"{figures['progress_p95_over_500ms']} (target ≤ 1)  "
        f"{'met' if met['page'] else 'NOT met'}\n"
        f"National page p95 {national_p95} ms / {TARGET_CONSOLE_P95_MS:g} ms = "
        f"{figures['national_p95_over_500ms']} (target ≤ 1)  "
        f"{'met' if met['national'] else 'NOT met'}\n"
        f"Errors: {len(errors)} (target 0)  {'met' if met['errors'] else 'NOT met'}"
    )
    return _finish(args, folder, figures, met)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=("portal", "console"), default="portal",
                        help="the portal (default) or the console's progress page")  # fmt: skip
    parser.add_argument("--coordinators", type=int, default=20,
                        help="console: simulated coordinators")  # fmt: skip
    parser.add_argument("--institutions", type=int, default=1000)
    parser.add_argument("--accepted", type=float, default=0.17,
                        help="console: share of the round handed in and accepted")  # fmt: skip
    parser.add_argument("--users", type=int, default=200, help="simulated team members")
    parser.add_argument("--per-institution", type=int, default=2, help="members per team")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured time")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds not counted first (the members arrive in them)")  # fmt: skip
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean seconds a member waits between two requests")  # fmt: skip
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, help="server processes (sqlite 1, postgresql 4)")
    parser.add_argument("--clients", type=int, default=1, help="load-generator processes")
    parser.add_argument("--upload-teams", type=int, default=20,
                        help="teams whose members also upload a workbook")  # fmt: skip
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    workers = args.workers or (4 if args.database == "postgresql" else 1)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pvpp-bench-web-"))
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PVPP_DATA_DIR": str(folder / "var"),
        "PVPP_SECRET_KEY": "bench-signing-key-0123456789abcdef",
        "PVPP_PUBLIC_URL": base,
        "PVPP_COOKIE_SECURE": "false",
        "PVPP_EMAIL_TRANSPORT": "folder",
    }
    if args.scenario == "console":
        return main_console(args, folder, env, port, workers)
    pg = _postgres() if args.database == "postgresql" else None
    server = None
    try:
        root = _root_on(pg, env)
        print(
            f"pvpp portal benchmark: {args.institutions} institutions, {args.users} members, "
            f"{args.seconds:g} s (+{args.warmup:g} s warm-up), think {args.think:g} s, "
            f"{args.database} with {workers} server process{'es' if workers > 1 else ''}, "
            f"{args.clients} load process{'es' if args.clients > 1 else ''}, in {folder}"
        )
        t = time.perf_counter()
        upload = args.upload_teams > 0
        members = _setup(root, args, folder, upload)
        print(f"  set-up {time.perf_counter() - t:.1f} s (not counted)")
        server = _start_server(port, workers, env, folder / "server.log")
        chunks = [members[i :: args.clients] for i in range(args.clients)]
        at = time.time() + 3.0  # every load process starts at the same moment
        ctx = get_context("spawn")
        load_before = os.getloadavg()
        with ProcessPoolExecutor(args.clients, mp_context=ctx) as pool:
            timing = (at, args.warmup, args.seconds, args.think)
            futures = [
                pool.submit(_drive, chunk, base, *timing, args.seed + i, upload)
                for i, chunk in enumerate(chunks)
            ]
            time.sleep(max(0.0, at + args.warmup - time.time()))
            cpu_start = _cpu_seconds(process_tree(server.pid))
            time.sleep(args.seconds)
            server_cpu = _cpu_seconds(process_tree(server.pid)) - cpu_start
            load_during = os.getloadavg()
            drives = [f.result() for f in futures]
        server.send_signal(signal.SIGINT)
        server.wait(60)
        server = None
        check = _check_store(root, [s for d in drives for s in d.saves])
        root.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        if pg is not None:
            pg.stop()

    samples = [s for d in drives for s in d.samples]
    by_kind = {k: _stats([s for s in samples if s.kind == k]) for k in MIX}
    by_page = {p: _stats([s for s in samples if s.kind == "page" and s.name == p]) for p in PAGES}
    lag = [x for d in drives for x in d.lag_ms]
    client_cpu = max((d.cpu_s / d.wall_s for d in drives), default=0.0)
    notes = sorted({n for d in drives for n in d.notes})
    errors = [s for s in samples if not s.ok]
    page_p95, save_p95 = by_kind["page"]["p95_ms"], by_kind["autosave"]["p95_ms"]
    base_p95 = by_kind["baseline"]["p95_ms"]
    figures: dict[str, Any] = {
        "institutions": args.institutions,
        "users": args.users,
        "seconds": args.seconds,
        "think_s": args.think,
        "database": args.database,
        "server_processes": workers,
        "load_processes": args.clients,
        "requests_per_s": round(len(samples) / args.seconds, 1),
        "by_kind": by_kind,
        "pages": by_page,
        "server_cpu_share": round(server_cpu / args.seconds, 2),
        # Steadier than the latencies on a shared machine: what a request costs the server.
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, len(samples)), 1),
        "load_generator": {
            "cpu_share_max": round(client_cpu, 2),
            "loop_lag_p95_ms": round(_pct(lag, 95), 1),
            "loop_lag_max_ms": round(max(lag, default=0.0), 1),
        },
        "load_average": {"before": load_before, "during": load_during},
        "store_check": check,
        "notes": notes,
        "errors_first": [asdict(e) for e in errors[:5]],
    }
    ratios = {
        "page_p95_over_200ms": round(page_p95 / TARGET_PAGE_P95_MS, 3),
        "autosave_p95_over_baseline_p95": round(save_p95 / base_p95, 3) if base_p95 else None,
    }
    figures["ratios"] = ratios
    ok = {
        "page": page_p95 <= TARGET_PAGE_P95_MS,
        "autosave": ratios["autosave_p95_over_baseline_p95"] is not None
        and ratios["autosave_p95_over_baseline_p95"] <= TARGET_AUTOSAVE_RATIO,
        "errors": not errors,
        "stored": check["ok"],
    }
    figures["met"] = ok

    def verdict(name: str) -> str:
        return "met" if ok[name] else "NOT met"

    print(f"  {'kind':<10} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
          f"   in the server: {'p50 ms':>7} {'p95 ms':>7}")  # fmt: skip
    rows = [(k, by_kind[k]) for k in MIX] + [(f"  {p}", by_page[p]) for p in PAGES]
    for name, st in rows:
        print(f"  {name:<10} {st['count']:>6} {st['p50_ms']:>8} {st['p95_ms']:>8} "
              f"{st['p99_ms']:>8} {st['errors']:>7}   {'':>14} {st['server_p50_ms']:>7} "
              f"{st['server_p95_ms']:>7}")  # fmt: skip
    gen = figures["load_generator"]
    print(
        f"  {figures['requests_per_s']} requests/s; server CPU {figures['server_cpu_share']:.0%} "
        f"of one core ({figures['server_cpu_ms_per_request']} ms a request); load generator "
        f"CPU {gen['cpu_share_max']:.0%}, event-loop lateness "
        f"p95 {gen['loop_lag_p95_ms']} ms (max {gen['loop_lag_max_ms']} ms); load average "
        f"{load_during[0]:.1f}"
    )
    for note in notes:
        print(f"  note: {note}")
    for e in errors[:5]:
        print(f"  error: {e.kind} {e.name} {e.status} {e.error[:150]!r}")
    print(
        f"Page p95 {page_p95} ms / {TARGET_PAGE_P95_MS:g} ms = {ratios['page_p95_over_200ms']} "
        f"(target ≤ 1)  {verdict('page')}\n"
        f"Autosave p95 {save_p95} ms / baseline p95 {base_p95} ms = "
        f"{ratios['autosave_p95_over_baseline_p95']} (target ≤ {TARGET_AUTOSAVE_RATIO:g})  "
        f"{verdict('autosave')}\n"
        f"Errors: {len(errors)} (target 0)  {verdict('errors')}\n"
        f"Autosaves in the store: {check['found']} of {check['autosaves_2xx']} "
        f"({check['found_by_upload']} held by a teammate's upload of the same value), "
        f"{check['fields']} fields ({check['fields_uploaded']} also written by an upload), "
        f"{check['fields_last_value_wrong']} with another last value "
        f"({check['rows_without_2xx']} rows from requests not answered 2xx)  {verdict('stored')}"
    )
    return _finish(args, folder, figures, ok)


if __name__ == "__main__":
    sys.exit(main())
