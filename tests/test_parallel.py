"""The process pools behind heavy work: order, progress, and the same results as one process."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.parallel import imap, reporting
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.submissions import ingest_paths
from pvpp.workbook.fill import fill_workbook
from tests.rounds import run_round


def pid_and_square(x: int, *, offset: int) -> tuple[int, int]:
    return os.getpid(), x * x + offset


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, label: str, total: int) -> None:
        self.events.append(("start", (label, total)))

    def advance(self) -> None:
        self.events.append(("advance", None))

    def done(self) -> None:
        self.events.append(("done", None))


def test_imap_keeps_order_uses_other_processes_and_reports() -> None:
    recorder = Recorder()
    with reporting(recorder):
        out = list(imap(partial(pid_and_square, offset=1), range(20), workers=2, label="Squares"))
    assert [v for _, v in out] == [x * x + 1 for x in range(20)]
    assert os.getpid() not in {pid for pid, _ in out}
    assert recorder.events[0] == ("start", ("Squares", 20))
    assert recorder.events.count(("advance", None)) == 20
    assert recorder.events[-1] == ("done", None)


def test_workers_are_replaced_after_their_share_of_items() -> None:
    out = list(
        imap(
            partial(pid_and_square, offset=0), range(9), workers=2, label="Segments",
            tasks_per_worker=2,
        )
    )  # fmt: skip
    assert [v for _, v in out] == [x * x for x in range(9)]
    pids = [pid for pid, _ in out]
    # Segments of 2 workers x 2 items: items 0-3, 4-7 and 8 each ran in fresh processes.
    assert not set(pids[:4]) & set(pids[4:8])
    assert pids[8] not in pids[:8]


def test_one_item_runs_in_this_process() -> None:
    [(pid, value)] = imap(partial(pid_and_square, offset=0), [3], workers=2, label="One")
    assert (pid, value) == (os.getpid(), 9)


@pytest.mark.parametrize("workers", [1, 2])
def test_ingest_in_workers_equals_one_process(
    spec: QuestionnaireSpec,
    tmp_path: Path,
    workers: int,
    root: App,
) -> None:
    """Corrections keep their order however many processes check them."""
    root.settings.workers = workers
    root.db.upgrade()
    run_round(root, spec, tmp_path / "none", [])
    codes = [("LAD", "LAD"), ("UR", "UR"), ("VID", "VID"), ("VZD", "VZD")]  # name order
    good = filled_workbooks(spec, codes, round_code="2026-K1", key=root.settings.signing_key())
    drop = tmp_path / "drop"
    drop.mkdir()
    for code, data in good.items():
        (drop / f"1-{code}.xlsx").write_bytes(fill_workbook(data, {"Q_K5_D2": "5 — izcila"}))
        (drop / f"2-{code}.xlsx").write_bytes(data)
    (drop / "3-VID-again.xlsx").write_bytes(good["VID"])
    rows = ingest_paths([drop], settings=root.settings, db=root.db)
    assert [(r.file, r.outcome.value, r.institution) for r in rows] == [
        *[(f"1-{c}.xlsx", "rejected", c) for c, _ in codes],
        *[(f"2-{c}.xlsx", "accepted", c) for c, _ in codes],
        ("3-VID-again.xlsx", "duplicate", "VID"),
    ]
    assert "“5 — izcila”" in rows[0].detail
    # Run again: every file is known by its SHA-256 and none is opened.
    assert {r.outcome.value for r in ingest_paths([drop], settings=root.settings, db=root.db)} == {
        "duplicate"
    }
