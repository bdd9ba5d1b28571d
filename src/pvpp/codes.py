"""The shapes of round codes and institution codes: one pattern each, checked everywhere.

A code names a round or an institution in the store, in file and folder names, in email
subjects and in business keys, so every entry point that takes one (the registry import,
round creation, every command-line argument, the flows' parameters, a workbook's
metadata) checks it here, whole (``fullmatch``: a trailing newline is not "the end").

- **Round code**: 1 to 40 letters, digits, ``.``, ``_`` or ``-``, starting with a letter or
  a digit (``2026-K1``, ``2027-K2``, ``BENCH-1``).
- **Institution code**: 1 to 40 capital letters, digits or ``-``, starting with a capital
  letter or a digit (``VID``, ``DAUGAVPILS``, ``AM``).

Pure: no I/O.
"""

from __future__ import annotations

import re

from pvpp.errors import PvppError

MAX_CODE = 40
ROUND_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
INSTITUTION_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")
ROUND_CODE_WORDS = (
    "1 to 40 letters, digits, '.', '_' or '-', starting with a letter or a digit (e.g. 2026-K1)"
)
INSTITUTION_CODE_WORDS = (
    "1 to 40 capital letters, digits or '-', starting with a capital letter or a digit (e.g. VID)"
)


class CodeError(PvppError, ValueError):
    """A round or institution code that does not have its shape."""


def _shown(code: str) -> str:
    # repr shows a newline or control character as an escape, never raw.
    return repr(code) if len(code) <= 60 else repr(code[:60]) + "…"


def is_round_code(code: object) -> bool:
    return isinstance(code, str) and ROUND_CODE.fullmatch(code) is not None


def is_institution_code(code: object) -> bool:
    return isinstance(code, str) and INSTITUTION_CODE.fullmatch(code) is not None


def round_code_problem(code: str) -> str | None:
    """Why ``code`` is not a round code, or None."""
    if is_round_code(code):
        return None
    return f"{_shown(code)} is not a round code: a round code is {ROUND_CODE_WORDS}"


def institution_code_problem(code: str) -> str | None:
    """Why ``code`` is not an institution code, or None."""
    if is_institution_code(code):
        return None
    return (
        f"{_shown(code)} is not an institution code: an institution code is "
        f"{INSTITUTION_CODE_WORDS}"
    )


def check_round_code(code: str, what: str = "round code") -> str:
    """``code`` if it is a round code; otherwise :class:`CodeError` naming ``what``."""
    problem = round_code_problem(code) if isinstance(code, str) else "is not text"
    if problem is not None:
        raise CodeError(f"{what}: {problem}")
    return code


def check_institution_code(code: str, what: str = "institution code") -> str:
    """``code`` if it is an institution code; otherwise :class:`CodeError` naming ``what``."""
    problem = institution_code_problem(code) if isinstance(code, str) else "is not text"
    if problem is not None:
        raise CodeError(f"{what}: {problem}")
    return code
