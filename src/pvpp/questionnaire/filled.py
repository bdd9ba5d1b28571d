"""What a page or a workbook showed of each answer, so that only what the person changed
is written back.

A questionnaire page (its Save button, without JavaScript) and a downloaded workbook are
filled with the draft as it stood; when they come back, a field is written only if its
value differs from the one it was filled with. Comparing with the values themselves (as
digests: the form or the workbook carries a short SHA-256 of each value it showed, not
the value again) and not with the newest draft row it was filled from matters on
PostgreSQL: row ids are handed out before commit, so a colleague's row still uncommitted
when the page was made may have a lower id than the newest one it saw, and counting it
as seen would let an untouched field undo the colleague's change.

The digests are no secret and need no key: a field shown with a value the person already
sees; a forged digest can only make the server write what the person posted, which they
could save anyway.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping

__all__ = ["changed", "decode", "digest", "encode"]

#: One field's entry: its id, "=", the digest of the value shown.
_ENTRY = re.compile(r"([A-Za-z0-9_.-]{1,40})=([A-Za-z0-9_-]{12})")
#: The most a carried text may hold (a workbook cell holds 32,767 characters; a
#: questionnaire of 670 fields, all filled, takes about 15,000).
MAX_TEXT = 32_000


def digest(value: str) -> str:
    """A short digest of a value as shown (72 bits of its SHA-256, 12 characters)."""
    raw = hashlib.sha256(value.encode("utf-8")).digest()[:9]
    return base64.urlsafe_b64encode(raw).decode("ascii")


def encode(values: Mapping[str, str]) -> str:
    """The text a page or workbook carries: ``field=digest`` of each non-empty value,
    separated by spaces (an empty value is left out: a field not named was shown
    empty)."""
    return " ".join(f"{fid}={digest(v)}" for fid, v in sorted(values.items()) if v.strip())


def decode(text: str) -> dict[str, str] | None:
    """The digests carried by ``text`` (field id → digest), or None when it is not such
    a text (then what was shown is not known)."""
    if len(text) > MAX_TEXT:
        return None
    out: dict[str, str] = {}
    for entry in text.split():
        found = _ENTRY.fullmatch(entry)
        if found is None:
            return None
        out[found.group(1)] = found.group(2)
    return out


def changed(shown: Mapping[str, str], field_id: str, value: str) -> bool:
    """Whether ``value`` (as posted or read back) differs from what was shown of the
    field: a blank value of a field shown empty is no change."""
    before = shown.get(field_id)
    if before is None:
        return bool(value.strip())
    return digest(value) != before
