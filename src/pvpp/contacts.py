"""Names and email addresses that can be delivered: the one rule, for every entry point.

The registry import, the team commands and the outbox (which checks every header before a
message is queued) ask the same questions here, so a name or address that an import
accepts is one that delivery can send: nothing stored can stop a send later.

- **Text in a header or a name** holds no control or format character (Unicode categories
  Cc, Cf, Zl, Zp, Cs, Co: NUL, tab, escape, vertical tab, line and paragraph separators,
  bidirectional overrides, zero-width characters), so it stays one visible line.
- **A name** (an institution's, a head's, a team member's) is at most :data:`MAX_NAME`
  characters: it goes into subjects, which the outbox bounds.
- **An address** is one plain ASCII addr-spec, at most 254 characters (RFC 5321): a
  dot-atom before the ``@`` (no quoted strings, no comments, no source routes) and a
  domain of at least two letter-digit-hyphen labels after it, without a trailing dot.
  An internationalised domain is written in its ASCII (``xn--``) form; the problem names it.

Each function returns the problem in words (what is wrong and what to do) or ``None``.
Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 200
MAX_ADDRESS = 254  # RFC 5321 path limit less the angle brackets
MAX_LOCAL_PART = 64
MAX_DOMAIN = 253
MAX_LABEL = 63
#: Unicode categories never allowed in a name, an address or a header: controls (NUL, tab,
#: ESC, VT), format characters (bidi overrides, zero-width), line and paragraph separators,
#: surrogates and private-use characters.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_TLD = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}")


def forbidden_char(text: str) -> str | None:
    """The first character of ``text`` in :data:`FORBIDDEN_CATEGORIES`, or None."""
    for ch in text:
        if unicodedata.category(ch) in FORBIDDEN_CATEGORIES:
            return ch
    return None


def describe_char(ch: str) -> str:
    """A character as people can find it: ``U+2028 (LINE SEPARATOR)``."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def text_problem(text: str, *, max_length: int | None = None) -> str | None:
    """Why ``text`` cannot be one line of a name or a header, or None."""
    bad = forbidden_char(text)
    if bad is not None:
        return (
            f"contains the invisible or control character {describe_char(bad)}; "
            "retype the text without it"
        )
    if max_length is not None and len(text) > max_length:
        return f"is {len(text)} characters long; at most {max_length} are allowed"
    return None


def name_problem(text: str) -> str | None:
    """Why ``text`` cannot be a name (an institution's, a person's), or None."""
    if not text.strip():
        return "is empty"
    return text_problem(text, max_length=MAX_NAME)


def _ascii_domain(domain: str) -> str | None:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def address_problem(text: str) -> str | None:
    """Why ``text`` is not an address pvpp can deliver to, or None (see the module)."""
    if not text:
        return "is empty"
    problem = text_problem(text)
    if problem is not None:
        return problem
    if len(text) > MAX_ADDRESS:
        return f"is {len(text)} characters long; an address has at most {MAX_ADDRESS}"
    if any(ch.isspace() for ch in text):
        return "contains a space; write the address alone, e.g. vards.uzvards@iestade.gov.lv"
    if "<" in text or ">" in text:
        return "write the address alone, without a name or angle brackets < >"
    if text.count("@") != 1:
        return "must contain exactly one @ (e.g. vards.uzvards@iestade.gov.lv)"
    local, domain = text.split("@")
    if not local:
        return "has nothing before the @"
    if not local.isascii():
        return (
            "has letters outside plain ASCII before the @: "
            "only plain ASCII addresses can be delivered"
        )
    if len(local) > MAX_LOCAL_PART:
        return f"has {len(local)} characters before the @; at most {MAX_LOCAL_PART} are allowed"
    if not _DOT_ATOM.fullmatch(local):
        return (
            f"the part before the @ ({local!r}) may hold letters, digits and "
            "!#$%&'*+/=?^_`{|}~- with single dots between them (no quotes, no dot at "
            "either end)"
        )
    if not domain:
        return "has nothing after the @"
    if not domain.isascii():
        ascii_form = _ascii_domain(domain)
        if ascii_form is None:
            return f"the domain {domain!r} is not a valid domain name"
        return f"write the domain in its ASCII form: {local}@{ascii_form}"
    if domain.endswith("."):
        return "ends with a dot; remove it"
    if len(domain) > MAX_DOMAIN:
        return f"the domain is {len(domain)} characters long; at most {MAX_DOMAIN} are allowed"
    labels = domain.split(".")
    if len(labels) < 2:
        return f"the domain {domain!r} needs a dot (e.g. iestade.gov.lv)"
    if any(not label for label in labels):
        return f"the domain {domain!r} has an empty part between dots"
    for label in labels:
        if len(label) > MAX_LABEL or not _LABEL.fullmatch(label):
            return (
                f"the domain part {label!r} may hold only letters, digits and inner "
                f"hyphens (at most {MAX_LABEL})"
            )
    if not _TLD.fullmatch(labels[-1]):
        return f"the domain {domain!r} must end in a name such as .lv, not {labels[-1]!r}"
    return None
