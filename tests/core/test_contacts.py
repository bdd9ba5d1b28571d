"""Names and addresses that can be delivered: the one rule the registry, the team commands
and the outbox share (pvpp.contacts)."""

from __future__ import annotations

import pytest

from pvpp.contacts import MAX_NAME, address_problem, forbidden_char, name_problem

GOOD = [
    "janis.ozols@vid.gov.lv",
    "a@b.lv",
    "o'brien+pvpp@iestade.example.org",
    "x_y-z@sub.xn--iestde-jva.lv",
    "A.B@VID.GOV.LV",
]
BAD = {
    "<a@b.lv>": "angle brackets",
    "Jānis <a@b.lv>": "space",
    "a@b.lv.": "ends with a dot",
    "a@b..lv": "empty part between dots",
    "a@.lv": "empty part between dots",
    "a@b@c.lv": "exactly one @",
    "@a.lv:b@c.lv": "exactly one @",
    "a@b": "needs a dot",
    "a b@c.lv": "space",
    '"a b"@c.lv': "space",
    '"ab"@c.lv': "no quotes",
    ".a@b.lv": "no dot at either end",
    "a..b@c.lv": "single dots",
    "a@-b.lv": "inner hyphens",
    "a@b_c.lv": "inner hyphens",
    "a@1.2.3.4": "must end in a name",
    "a@b.lv\n": "U+000A",
    "a@b.lv\u2028": "U+2028",
    "a\x1b@b.lv": "U+001B",
    "a@b.lv\x00": "U+0000",
    "a@bērns.lv": "ASCII form: a@xn--brns-",
    "jānis@b.lv": "outside plain ASCII",
    "x" * 65 + "@b.lv": "at most 64",
    "a@" + "b" * 64 + ".lv": "letters, digits",
    "a@" + ".".join(["b" * 60] * 5) + ".lv": "at most 254",
    "": "empty",
    "a@": "nothing after",
    "@b.lv": "nothing before",
}


@pytest.mark.parametrize("address", GOOD)
def test_deliverable_addresses_pass(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize(("address", "words"), BAD.items())
def test_each_malformed_address_is_refused_with_its_reason(address: str, words: str) -> None:
    problem = address_problem(address)
    assert problem is not None and words in problem, problem


@pytest.mark.parametrize(
    "char", ["\x00", "\t", "\x0b", "\x0c", "\x1b", "\x85", "\u2028", "\u2029", "\u202e", "\u200b"]
)
def test_control_and_format_characters_are_refused_in_names(char: str) -> None:
    assert forbidden_char(f"Valsts{char}dienests") == char
    problem = name_problem(f"Valsts{char}dienests")
    assert problem is not None and f"U+{ord(char):04X}" in problem


def test_names_are_bounded_and_not_empty() -> None:
    assert name_problem("Valsts ieņēmumu dienests") is None
    assert name_problem('=HYPERLINK("x")') is None  # text, neutralised by the exports
    assert name_problem("x" * MAX_NAME) is None
    assert "600 characters" in (name_problem("x" * 600) or "")
    assert name_problem("  ") == "is empty"
