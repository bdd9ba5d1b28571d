"""The flows refuse a malformed round or institution code before touching a folder or
the store (the same pattern as the command line, pvpp.codes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flows import cycle
from flows.deployments import deployments
from pvpp.codes import CodeError


@pytest.mark.parametrize(
    "run",
    [
        lambda: cycle.launch_round.fn("2026-K1\n"),
        lambda: cycle.collect_submissions.fn("../2026-K1"),
        lambda: cycle.assess.fn("2026-K1", institutions=["VID", "vid\n"]),
        lambda: cycle.follow_up.fn("2026 K1"),
        lambda: cycle.national_plans.fn(""),
        lambda: cycle.cycle.fn("2026-K1/x"),
        lambda: deployments("2026-K1\n"),
    ],
)
def test_each_flow_refuses_a_malformed_code_naming_the_parameter(run: Callable[[], Any]) -> None:
    with pytest.raises(CodeError, match=r"^(round_code|institutions): .* is not an? "):
        run()
