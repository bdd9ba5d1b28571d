"""A workbook's hidden metadata carries codes of the shape every entry point checks
(pvpp.codes): a signed workbook whose round or institution code lacks it is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pvpp.questionnaire import QuestionnaireSpec
from pvpp.settings import Settings
from pvpp.workbook.check import Status, check_workbook
from pvpp.workbook.meta import bad_code_field


@pytest.mark.parametrize(
    ("given", "field"),
    [({"round_code": "2026-K1\n"}, "round"), ({"institution": "VID\u2028"}, "institution")],
)
def test_a_signed_workbook_with_a_malformed_code_is_refused(
    build: Callable[..., bytes],
    spec: QuestionnaireSpec,
    settings: Settings,
    given: dict[str, Any],
    field: str,
) -> None:
    result = check_workbook(build(spec, **given), settings=settings)
    assert result.status == Status.REJECTED
    (problem,) = result.problems
    assert problem.code == "bad_metadata" and f"“{field}”" in problem.message


def test_bad_code_field_names_the_field() -> None:
    assert bad_code_field("2026-K1", "VID") is None
    assert bad_code_field("2026-K1\n", "VID") == "round"
    assert bad_code_field("2026-K1", "vid") == "institution"
