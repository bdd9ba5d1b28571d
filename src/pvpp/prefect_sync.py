"""Prefect's dual sync/async functions, called from synchronous code.

Some Prefect functions (``run_deployment``, ``Flow.to_deployment``, ``Block.load``) run
synchronously, or hand back a coroutine when an event loop is running (Prefect's
``async_dispatch``), so their declared result is "the value, or a coroutine of it".
pvpp and its flows call them from synchronous code only, where they give the value:
:func:`sync_result` says so, checks it, and gives the value its own type.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def sync_result(result: T | Coroutine[Any, Any, T]) -> T:
    """The value a dual Prefect function returned when called from synchronous code.

    A coroutine means the call was made inside an event loop, where the function's
    ``a``-prefixed twin (``arun_deployment``, ``aload``) must be awaited instead.
    """
    if isinstance(result, Coroutine):
        result.close()  # never awaited: close it so Python does not warn about it
        raise RuntimeError("a Prefect call made inside an event loop: await its async twin")
    return result
