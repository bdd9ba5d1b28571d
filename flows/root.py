"""The flows' composition root and their one mapping of service errors.

A process that runs flows (``pvpp serve``, a Prefect worker, the demo) has one
:class:`~pvpp.app.App`: built on first use from the settings of the process (``PVPP_*``
variables, ``.env``), or handed in with :func:`using` by a caller that built its own (the
demo on its fixed clock, the tests on a temporary data folder). Tasks take it from
:func:`app` and hand its parts to the services.

One bad item never stops the rest (:mod:`pvpp.batch`). A task that works through many
items (institutions, submissions) runs each inside :func:`each`, or calls a service that
does and returns a :class:`~pvpp.batch.Batch`; :func:`settle` then logs each failed item
with its code and reason and fails the task at the end, naming them, so the run shows as
failed and a rerun picks them up. A flow runs its steps through a :class:`Steps`: a step
whose items partly failed hands on what it did, the later steps (delivering the mail of
the others) still run, and the flow fails at its end naming every failed item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar, cast

from pvpp.app import App
from pvpp.batch import Batch

T = TypeVar("T")
R = TypeVar("R")

_app: App | None = None


def local_prefect(env: MutableMapping[str, str], home: Path) -> None:
    """Set ``env`` (``os.environ``, or a child process's) for Prefect's local mode: a
    temporary server of its own, its state in ``home``, warnings only.

    ``PREFECT_API_URL`` is removed, never set empty: Prefect's client takes an empty URL
    for "start a local server", but its event worker takes any text for "a server runs
    there", fails without an address, and every later event (each task run's Pending,
    Running, Completed) then printed "Cannot put items in a stopped service instance"
    with a traceback."""
    env.pop("PREFECT_API_URL", None)
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )


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
    """Some items of a task or flow failed; the others were done (``result``).

    ``failed`` holds one ``"CODE: reason"`` per failed item. The arguments are kept in
    ``args``, so the exception survives Prefect's pickling as it is."""

    def __init__(self, what: str, failed: list[str], result: object = None) -> None:
        super().__init__(what, failed, result)
        self.what, self.failed, self.result = what, failed, result

    def __str__(self) -> str:
        return f"{self.what}: {len(self.failed)} failed ({'; '.join(self.failed)})"


def each(what: str, items: Iterable[T], fn: Callable[[T], R]) -> Batch[R]:
    """``fn`` over ``items``, each on its own: a failed item (named by ``str(item)``,
    which is a code, never a name) is recorded in the batch's ``failed`` and the rest go
    on. Hand the batch to :func:`settle`."""
    batch: Batch[R] = Batch(what)
    for item in items:
        batch.collect(str(item), partial(fn, item))
    return batch


def settle(batch: Batch[T], value: Callable[[Batch[T]], R]) -> R:
    """``value(batch)``, the task's result; when items failed, each is logged with its
    code and reason and :class:`ItemsFailed` raised (carrying that result) instead."""
    result = value(batch)
    if batch.failed:
        from prefect.logging import get_run_logger

        logger = get_run_logger()
        for failure in batch.failed:
            logger.error("%s %s: %s", batch.what, failure.item, failure.reason)
        raise ItemsFailed(batch.what, [str(f) for f in batch.failed], result)
    return result


class Steps:
    """The steps of one flow run: a step (a task or a sub-flow) whose items partly failed
    hands on what it did and the run goes on; :meth:`end` fails the run, naming them."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.failed: list[str] = []

    def __call__(self, step: Callable[[], R]) -> R:
        """``step()``; its result, or what it did before :class:`ItemsFailed`."""
        try:
            return step()
        except ItemsFailed as exc:
            self.failed.extend(exc.failed)
            return cast(R, exc.result)

    def end(self, result: R) -> R:
        """``result``, or :class:`ItemsFailed` carrying it when some step's items failed."""
        if self.failed:
            raise ItemsFailed(self.what, self.failed, result)
        return result
