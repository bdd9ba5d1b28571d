"""The flows' composition root and their one mapping of service errors.

A process that runs flows (``pvpp serve``, a Prefect worker, the demo) has one
:class:`~pvpp.app.App`: built on first use from the settings of the process (``PVPP_*``
variables, ``.env``), or handed in with :func:`using` by a caller that built its own (the
demo on its fixed clock, the tests on a temporary data folder). Tasks take it from
:func:`app` and hand its parts to the services.

A task that works through many items (institutions, submissions) runs each inside
:func:`each`: a service error (:class:`~pvpp.errors.PvppError`) of one item is logged with
the item's code, the others go on, and the task fails at the end naming the failed items,
so the run shows as failed and a rerun picks them up. Anything else is a bug and stops
the task at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from pvpp.app import App
from pvpp.errors import PvppError

T = TypeVar("T")
R = TypeVar("R")

_app: App | None = None


def app() -> App:
    """The process's root (built from the settings on first use)."""
    global _app
    if _app is None:
        _app = App.build()
    return _app


@contextmanager
def using(root: App) -> Iterator[App]:
    """Run the flows of this process on ``root`` inside the block, then restore the one
    that was there."""
    global _app
    before, _app = _app, root
    try:
        yield root
    finally:
        _app = before


class ItemsFailed(RuntimeError):
    """Some items of a task failed with a service error; the others were done."""


def each(what: str, items: Iterable[T], fn: Callable[[T], R]) -> list[R]:
    """``fn`` over ``items``; a :class:`PvppError` of one item is logged (with the item,
    which is a code, never a name) and the rest go on. Raises :class:`ItemsFailed` at the
    end when any item failed."""
    from prefect.logging import get_run_logger

    results: list[R] = []
    failed: list[str] = []
    for item in items:
        try:
            results.append(fn(item))
        except PvppError as exc:
            get_run_logger().error("%s %s: %s", what, item, exc.message)
            failed.append(str(item))
    if failed:
        raise ItemsFailed(f"{what}: {len(failed)} failed ({', '.join(failed)}); see the log")
    return results
