"""Heavy per-institution work in a pool of processes, the store written by one.

Building a workbook, checking a returned one and rendering a plan PDF take 0.1–1.5 s of
pure-Python work each; threads would queue on the interpreter lock, so this work runs in
``Settings.worker_count()`` processes. The functions handed to :func:`imap` are pure or only
read the store; the caller writes their results in its own process, in input order. That
keeps the ordering rules (a correction supersedes what came before) and SQLite's one
writer, and a crash loses at most the results not yet written.

Memory: a worker gives the heap it freed back to the system after each item (glibc keeps
it otherwise), and the workers are replaced by fresh ones after every
``workers * tasks_per_worker`` items, because the libraries they run (WeasyPrint, Pango,
fontTools) keep a little of every document (docs/performance.md).

A :class:`Reporter` set with :func:`reporting` sees each batch start and advance; the demo
draws progress bars with it, and without one nothing is reported.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Items a worker process handles before a fresh one takes over. Replacing a worker costs
# about 2 s (start, imports, first document); 100 plan PDFs take about 150 s.
TASKS_PER_WORKER = 100


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


def exit_with_parent(parent: int) -> None:
    """Worker start-up: end this worker when the process that feeds it is gone.

    A killed flow (SIGKILL, out of memory) cannot shut its pool down, and an idle worker
    would otherwise wait for work forever.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="pvpp-parent-watch", daemon=True).start()


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL("libc.so.6"), "malloc_trim", None)
    except OSError:  # not glibc
        return None


_trim = _malloc_trim()


def release_memory() -> None:
    """Return the heap memory this process has freed to the system, where glibc allows it."""
    if _trim is not None:
        _trim(0)


def _run(fn: Callable[[T], R], item: T) -> R:
    """A worker's call: ``fn(item)``, then the memory it freed goes back to the system."""
    try:
        return fn(item)
    finally:
        release_memory()


def imap(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int,
    label: str,
    tasks_per_worker: int = TASKS_PER_WORKER,
) -> Iterator[R]:
    """``fn`` over ``items`` in ``workers`` processes; results in input order.

    ``fn`` must be importable (a module-level function, or a ``functools.partial`` of one).
    One item, or one worker, runs in this process: a rerun that redoes one institution
    does not pay for starting a pool. The items go to the workers in segments of
    ``workers * tasks_per_worker``, each with fresh worker processes.
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
        # Segments, not ProcessPoolExecutor(max_tasks_per_child=...): that hangs on the
        # Python versions we support once a worker retires with work still queued
        # (CPython gh-115634, fixed in 3.13.x and later only).
        size = workers * max(tasks_per_worker, 1)
        for start in range(0, len(items), size):
            segment = items[start : start + size]
            # "spawn": a fresh interpreter per worker. Forking a process that holds
            # database connections and Prefect's threads is not safe.
            pool = ProcessPoolExecutor(
                max_workers=min(workers, len(segment)),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_with_parent,
                initargs=(os.getpid(),),
            )
            try:
                for result in pool.map(partial(_run, fn), segment):
                    if reporter is not None:
                        reporter.advance()
                    yield result
                    # The caller has stored the result; trim while the workers still work.
                    release_memory()
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if reporter is not None:
            reporter.done()
