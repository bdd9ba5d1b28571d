"""The hidden metadata sheet and its signature.

The signature is an HMAC over the round, institution and questionnaire version, keyed
with the settings' secret, so a workbook cannot be passed off as another institution's or
another round's without the change being noticed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from pvpp.codes import is_institution_code, is_round_code

META_SHEET = "_pvpp"
FORMAT = "pvpp-workbook"
FORMAT_VERSION = "1"
META_KEYS = (
    "format",
    "format_version",
    "questionnaire",
    "policy",
    "round",
    "institution",
    "institution_name",
    "lang",
    "created_at",
    "signature",
)


@dataclass(frozen=True)
class WorkbookMeta:
    """Who and what a workbook was issued for."""

    questionnaire: str
    policy: str
    round: str
    institution: str
    institution_name: str
    lang: str
    created_at: str


def sign(key: bytes, *, questionnaire: str, round_code: str, institution: str) -> str:
    """Hex HMAC-SHA256 over the identifying fields (newline-joined, so fields cannot blur)."""
    payload = "\n".join([FORMAT, FORMAT_VERSION, questionnaire, round_code, institution])
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(key: bytes, meta: WorkbookMeta, signature: str) -> bool:
    """Whether ``signature`` is the one this key gives for ``meta``."""
    expected = sign(
        key, questionnaire=meta.questionnaire, round_code=meta.round, institution=meta.institution
    )
    return hmac.compare_digest(expected, signature)


def bad_code_field(round_code: str, institution: str) -> str | None:
    """The metadata field (``round`` or ``institution``) whose code lacks the shape every
    entry point checks (:mod:`pvpp.codes`), or None. Workbooks, status sheets and plan
    sheets read their hidden metadata through this, so a code that reaches the store
    from a file has the same shape as one typed on the command line."""
    if not is_round_code(round_code):
        return "round"
    if not is_institution_code(institution):
        return "institution"
    return None
