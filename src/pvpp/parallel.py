"""Heavy per-institution work in a pool of processes, the store written by one.

Building a workbook, checking a returned one and rendering a plan PDF take 0.1–1.5 s of
pure-Python work each; threads would queue on the interpreter lock, so this work runs in
``Settings.worker_count()`` processes. The functions handed to :func:`imap` are pure or only
read the store; the caller writes their results in its own process, in input order. That
keeps the ordering rules (a correction supersedes what came before) and SQLite's one
writer, and a crash loses at most the results not yet written.

A :class:`Reporter` set with :func:`reporting` sees each batch start and advance; the demo
draws progress bars with it, and without one nothing is reported.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Reporter(Protocol):
    """Something that shows progress (rich bars in the demo)."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self) -> None: ...

    def done(self) -> None: ...


_reporter: Reporter | None = None


@contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Report the progress of every batch run inside the block to ``reporter``."""
    global _reporter
    before, _reporter = _reporter, reporter
    try:
        yield reporter
    finally:
        _reporter = before


def _exit_with_parent(parent: int) -> None:
    """Worker start-up: end this worker when the process that feeds it is gone.

    A killed flow (SIGKILL, out of memory) cannot shut its pool down, and an idle worker
    would otherwise wait for work forever.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="pvpp-parent-watch", daemon=True).start()


def imap(fn: Callable[[T], R], items: Iterable[T], *, workers: int, label: str) -> Iterator[R]:
    """``fn`` over ``items`` in ``workers`` processes; results in input order.

    ``fn`` must be importable (a module-level function, or a ``functools.partial`` of one).
    One item, or one worker, runs in this process: a rerun that redoes one institution
    does not pay for starting a pool.
    """
    items = list(items)
    reporter = _reporter
    if reporter is not None:
        reporter.start(label, len(items))
    try:
        if workers <= 1 or len(items) <= 1:
            for item in items:
                result = fn(item)
                if reporter is not None:
                    reporter.advance()
                yield result
            return
        # "spawn": a fresh interpreter per worker. Forking a process that holds database
        # connections and Prefect's threads is not safe.
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(items)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )
        try:
            for result in pool.map(fn, items):
                if reporter is not None:
                    reporter.advance()
                yield result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if reporter is not None:
            reporter.done()
