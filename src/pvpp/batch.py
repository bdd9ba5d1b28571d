"""One bad item never stops the rest: the services' loops over institutions and messages.

A service that works through many items (every planned institution's plan email, every
open assignment's invitation, the day's reminders) runs each item through a
:class:`Batch`. An item that fails is recorded with its code and the reason, its own
transaction or savepoint is rolled back (nothing half-written for it), and the loop goes
on with the next one. The batch is the list of what was done; ``batch.failed`` names
what was not, for the entry point to print (the CLI) or log (the flows), and to end with
a failure (a non-zero exit, a failed task) after the rest is done.

What counts as the item's fault: a :class:`~pvpp.errors.PvppError` (its message is for
people: a refused address, a name that cannot go into a header) and the ``ValueError``
family that libraries raise on data they cannot take (a control character in a workbook
cell, a header the email package refuses). Anything else is a bug; it is recorded for
the item just the same, named as unexpected, and logged with its traceback, because one
institution's row must not keep every institution after it from its mail. Only what
stops every item alike ends the loop at once: a database that cannot be reached, memory
exhausted, an interrupt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session

from pvpp.errors import PvppError

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)

# Failures of the whole run, not of one item: the loop stops and the caller reports them.
FATAL: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, MemoryError)


@dataclass(frozen=True)
class Failure:
    """One item that was not done: its code (never a name) and why, in plain words."""

    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


def reason_of(exc: BaseException) -> str:
    """The words for a failed item: a service error's message as it is; a data error
    with its kind; anything else marked as unexpected (a bug to report)."""
    if isinstance(exc, PvppError):
        return " ".join(exc.message.split()) or type(exc).__name__
    text = " ".join(str(exc).split())
    if isinstance(exc, ValueError):
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"unexpected error ({type(exc).__name__}: {text}); please report it"


@dataclass(frozen=True)
class Failed:
    """What a worker process returns for an item it could not do (see :func:`guarded`)."""

    reason: str


def guarded(fn: Callable[[T], R], item: T) -> R | Failed:
    """``fn(item)``, or :class:`Failed` with the reason: for the per-item work handed to
    worker processes (:func:`pvpp.parallel.imap`), where one item's error would otherwise
    end the whole map. Use as ``partial(guarded, fn)``."""
    try:
        return fn(item)
    except FATAL:
        raise
    except Exception as exc:
        if not isinstance(exc, PvppError | ValueError):
            log.exception("unexpected error on %r", item)
        return Failed(reason_of(exc))


class Batch(list[T]):
    """The results of a loop over items, and the items that failed (``failed``)."""

    def __init__(self, what: str, results: Iterable[T] = ()) -> None:
        super().__init__(results)
        self.what = what
        self.failed: list[Failure] = []

    def attempt(self, item: str, fn: Callable[[], R]) -> R | None:
        """``fn()``; when it fails, the item is recorded as failed and None returned.

        ``fn`` owns its transaction (``db.unit_of_work()``) so a failure rolls back what
        it began; within a caller's transaction use :meth:`attempt_in`."""
        try:
            return fn()
        except FATAL:
            raise
        except Exception as exc:
            self.fail(item, exc)
            return None

    def collect(self, item: str, fn: Callable[[], T]) -> bool:
        """:meth:`attempt`, keeping the result in the batch; True when it was done."""
        done = False

        def keep() -> None:
            nonlocal done
            self.append(fn())
            done = True

        self.attempt(item, keep)
        return done

    def attempt_in(self, session: Session, item: str, fn: Callable[[], R]) -> R | None:
        """``fn()`` inside a savepoint of the caller's transaction: a failure rolls back
        what this item wrote (and only that) and records the item as failed."""

        def inside() -> R:
            with session.begin_nested():
                return fn()

        return self.attempt(item, inside)

    def fail(self, item: str, exc_or_reason: BaseException | str) -> None:
        """Record ``item`` as failed (an unexpected error is logged with its traceback)."""
        if isinstance(exc_or_reason, str):
            reason = exc_or_reason
        else:
            reason = reason_of(exc_or_reason)
            if not isinstance(exc_or_reason, PvppError | ValueError):
                log.error("%s %s: unexpected error", self.what, item, exc_info=exc_or_reason)
        self.failed.append(Failure(item, reason))

    def absorb(self, other: Batch[R]) -> Batch[R]:
        """Take ``other``'s failures into this batch's; returns ``other``."""
        self.failed.extend(other.failed)
        return other

    def summary(self) -> str:
        """One line naming every failed item, e.g. ``plan email: 1 failed (UR: ...)``."""
        return f"{self.what}: {len(self.failed)} failed ({'; '.join(map(str, self.failed))})"
