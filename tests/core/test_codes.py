"""Round and institution codes: one pattern each, matched whole (pvpp.codes)."""

from __future__ import annotations

import pytest

from pvpp.codes import (
    CodeError,
    check_institution_code,
    check_round_code,
    institution_code_problem,
    is_institution_code,
    is_round_code,
    round_code_problem,
)


@pytest.mark.parametrize("code", ["2026-K1", "2027-K2", "R", "B1", "BENCH-1", "2026.k1_a"])
def test_existing_round_codes_pass(code: str) -> None:
    assert is_round_code(code) and round_code_problem(code) is None


@pytest.mark.parametrize(
    "code", ["2026-K1\n", "\n2026-K1", "2026 K1", "-K1", "", "x" * 41, "2026/K1", "..", "K1\u2028"]
)
def test_bad_round_codes_are_refused(code: str) -> None:
    assert not is_round_code(code)
    with pytest.raises(CodeError, match=r"--round: .* a round code is 1 to 40 letters"):
        check_round_code(code, "--round")


@pytest.mark.parametrize("code", ["VID", "DAUGAVPILS", "AM", "RIGA", "VARAM", "X-1", "123"])
def test_existing_institution_codes_pass(code: str) -> None:
    assert is_institution_code(code) and institution_code_problem(code) is None


@pytest.mark.parametrize("code", ["VID\n", "vid", "VID.", "-VID", "", "V" * 41, "VĪD", "V|D"])
def test_bad_institution_codes_are_refused(code: str) -> None:
    assert not is_institution_code(code)
    with pytest.raises(CodeError, match="capital letters, digits or '-'"):
        check_institution_code(code)


def test_the_message_shows_a_newline_escaped() -> None:
    assert "'2026-K1\\n'" in (round_code_problem("2026-K1\n") or "")
