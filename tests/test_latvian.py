"""Correct Latvian wherever a person reads it (issue 14; the decisions are in docs/glossary.md).

Each test here keeps a *class* of defect out, not one sentence:

- counts agree with their nouns: every catalogue entry and every email template is rendered
  with the numbers 0, 1, 2, 11, 21 and 101, and the words after each number are checked
  against a table of Latvian noun forms (a number printed before a noun in a page or
  document template must come through a plural entry, ``t(key, n=…)``);
- a date never follows a preposition, and an email's long date (nominative, "2026. gada
  31. marts") stands only after a label ("Termiņš: …");
- the terms decided once are used everywhere (banned phrases, with the reason);
- a "lai" clause takes the conditional ("lai varētu", not "lai var");
- the policy's own slip is shown only with [sic].
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from pvpp.i18n import catalogue, install, plural_category, t
from pvpp.mail.outbox import KINDS
from pvpp.mail.templates import render
from tests.mail.test_templates import COMMON, CONTEXT

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
NUMBERS = (0, 1, 2, 11, 21, 101)
LETTER = "a-zāčēģīķļņšūž"

# -- where Latvian lives -----------------------------------------------------------------------


def _lv_of(node: Any) -> Iterator[str]:
    """Every Latvian text of a YAML tree: the value of each ``lv`` key."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "lv" and isinstance(value, str):
                yield value
            else:
                yield from _lv_of(value)
    elif isinstance(node, list):
        for value in node:
            yield from _lv_of(value)


def _yaml_lv(path: Path) -> list[str]:
    return list(_lv_of(yaml.safe_load(path.read_text(encoding="utf-8"))))


def catalogue_texts() -> Iterator[tuple[str, str]]:
    for key, entry in catalogue("lv").items():
        for form, text in entry.items() if isinstance(entry, dict) else [("", entry)]:
            yield f"lv.yaml {key}{'.' + form if form else ''}", text


def template_texts() -> Iterator[tuple[str, str]]:
    """Latvian email templates and the page and document templates (their own words)."""
    for path in sorted(TEMPLATES.rglob("*.j2")):
        if ".en." in path.name:
            continue
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def library_texts() -> Iterator[tuple[str, str]]:
    """The measures library and the specialised plans' library (policy/national)."""
    paths = [
        *(ROOT / "policy" / "measures").rglob("*.yaml"),
        *(ROOT / "policy" / "national").glob("*.yaml"),
    ]
    for path in sorted(paths):
        for i, text in enumerate(_yaml_lv(path)):
            yield f"{path.relative_to(ROOT)} #{i}", text


def questionnaire_texts() -> Iterator[tuple[str, str]]:
    for path in sorted((ROOT / "questionnaires").glob("*.yaml")):
        for i, text in enumerate(_yaml_lv(path)):
            yield f"{path.relative_to(ROOT)} #{i}", text


def everything() -> list[tuple[str, str]]:
    """All Latvian a person reads that the project wrote (the policy's published wording is
    the plan's, checked only for its [sic])."""
    return [*catalogue_texts(), *template_texts(), *library_texts(), *questionnaire_texts()]


# -- agreement with numbers --------------------------------------------------------------------

CASES = ("nom", "gen", "dat", "acc", "loc")


def _decl(*pairs: tuple[str, str]) -> dict[str, tuple[str, str]]:
    return dict(zip(CASES, pairs, strict=True))


def _first(stem: str) -> dict[str, tuple[str, str]]:  # pasākums, punkts
    return _decl(
        (stem + "s", stem + "i"), (stem + "a", stem + "u"), (stem + "am", stem + "iem"),
        (stem + "u", stem + "us"), (stem + "ā", stem + "os"),
    )  # fmt: skip


def _fourth(stem: str) -> dict[str, tuple[str, str]]:  # problēma, diena
    return _decl(
        (stem + "a", stem + "as"), (stem + "as", stem + "u"), (stem + "ai", stem + "ām"),
        (stem + "u", stem + "as"), (stem + "ā", stem + "ās"),
    )  # fmt: skip


def _fifth(stem: str, gen_pl: str) -> dict[str, tuple[str, str]]:  # iestāde: iestāžu
    return _decl(
        (stem + "e", stem + "es"), (stem + "es", gen_pl), (stem + "ei", stem + "ēm"),
        (stem + "i", stem + "es"), (stem + "ē", stem + "ēs"),
    )  # fmt: skip


#: The words counted anywhere in the catalogue or the emails, with every case form. A new
#: counted word goes here (the test says which); each form's case and number is what the
#: check compares across 1, 2 and 11.
FIRST = (
    "pasākums", "punkts", "jautājums", "pakalpojums", "plāns", "brīdinājums", "baits",
    "iesniegums",
)  # fmt: skip
FOURTH = (
    "problēma",
    "daļa",
    "diena",
    "cilvēkdiena",
    "kļūda",
    "lieta",
    "versija",
    "dimensija",
    "izmaiņa",
)
NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    **{w: _first(w[:-1]) for w in FIRST},
    **{w: _fourth(w[:-1]) for w in FOURTH},
    "iestāde": _fifth("iestād", "iestāžu"),
    "rakstzīme": _fifth("rakstzīm", "rakstzīmju"),
    "pakāpe": _fifth("pakāp", "pakāpju"),
    "reize": _fifth("reiz", "reižu"),
    "atbilde": _fifth("atbild", "atbilžu"),
    "solis": _decl(
        ("solis", "soļi"),
        ("soļa", "soļu"),
        ("solim", "soļiem"),
        ("soli", "soļus"),
        ("solī", "soļos"),
    ),
}
#: Adjectives and participles that stand between a number and its noun.
ADJECTIVES: dict[str, dict[str, tuple[str, str]]] = {
    "neatbildēts": _first("neatbildēt"),
    "cits": _first("cit"),
    "cita": _fourth("cit"),
    "novērtētais": _decl(
        ("novērtētais", "novērtētie"),
        ("novērtētā", "novērtēto"),
        ("novērtētajam", "novērtētajiem"),
        ("novērtēto", "novērtētos"),
        ("novērtētajā", "novērtētajos"),
    ),
}
#: Words that may follow a number without agreeing with it: they are not counted.
NOT_COUNTED = {
    "no", "līdz", "un", "vai", "ir", "uz", "kopš", "nav", "cilvēkd", "d",
}  # fmt: skip
#: Catalogue placeholders that are given a number; every other placeholder is listed in
#: NOT_NUMBERS, so a new one has to be put in one of the two.
NUMBER_PLACEHOLDERS = {
    "n", "total", "limit", "length", "days", "need", "capacity", "later", "share", "top",
    "degree", "version", "number", "year", "row", "low", "high", "index", "score", "gap",
    "overall", "priority", "weight", "factor", "target", "current", "national", "d1", "d2",
    "before", "now", "amount", "count", "part", "changed", "added", "removed", "unchanged",
    "min", "newest", "invited", "sent", "failed", "whole",
}  # fmt: skip
NOT_NUMBERS = {
    "allowed", "at", "by", "choice", "choices", "clause", "code", "column", "component",
    "date", "day", "first", "groups", "last", "others",
    "detail", "dimension", "dimensions", "dims", "drop", "due", "effort", "expected",
    "field", "formula", "found", "group", "institution", "institutions", "item", "kind",
    "known", "latest", "left_out", "measure", "measures", "member", "message", "move", "na",
    "name", "names", "nk", "note", "on", "page", "period", "prerequisite", "provider",
    "prerequisite_period", "previous", "previous_period", "ratio", "reason", "respond_by",
    "round", "scale", "services", "sheet", "since", "size", "source", "start", "state", "steps",
    "terms", "title", "training", "types", "value", "what", "where", "who",
    "changes", "parts", "rounds", "versions", "warning", "after", "direction", "fields",
    "today", "opens", "actor", "error", "filters", "table", "format", "how",
}  # fmt: skip


def _analyses(table: dict[str, dict[str, tuple[str, str]]], word: str) -> set[tuple[str, str]]:
    return {
        (case, number)
        for forms in table.values()
        for case, pair in forms.items()
        for number, form in zip(("sg", "pl"), pair, strict=True)
        if form == word
    }


MARK = re.compile(r"⟦(\d+)⟧")
#: A count after one of these (within three words: "no mazāk nekā 5 iestādēm") takes its
#: case in the singular and the dative in the plural: "no 1 pakalpojuma", "no 2 pakalpojumiem".
PREPOSITION_WORDS = {"no", "par", "ar", "pēc", "uz", "pie", "bez", "līdz", "pa", "pirms"}
Phrase = tuple[str, set[tuple[str, str]], bool]


def _phrases(text: str) -> list[Phrase | str | None]:
    """For each marked number in ``text``: the words counted by it with the (case, number)
    readings they share; None where nothing is counted; the word itself where it is an
    unknown word (maybe a noun missing from NOUNS)."""
    found: list[Phrase | str | None] = []
    for mark in MARK.finditer(text):
        rest = text[mark.end() :]
        if not rest.startswith(" "):  # "3." (an ordinal), "3%", "3:" ...
            found.append(None)
            continue
        words: list[str] = []
        shared: set[tuple[str, str]] = set()
        for token in rest.split()[:4]:
            w = token.rstrip(".,;:)!?”")
            if not re.fullmatch(rf"[{LETTER}]+", w):  # a symbol, a number, a name ...
                break
            readings = _analyses(ADJECTIVES, w) | _analyses(NOUNS, w)
            if not readings:
                if not words and w not in NOT_COUNTED:
                    words = ["?"]
                    found.append(w)
                break
            shared = readings if not words else shared & readings
            words.append(w)
            if _analyses(NOUNS, w) or token != w:  # the noun, or punctuation, ends it
                break
        if words == ["?"]:
            continue
        after_preposition = bool(PREPOSITION_WORDS & set(text[: mark.start()].split()[-3:]))
        found.append((" ".join(words), shared, after_preposition) if words else None)
    return found


def _agrees(by_number: dict[int, Phrase | str | None]) -> str | None:
    """Why the phrases after the numbers do not agree, or None if they do."""
    values = list(by_number.values())
    if all(v is None for v in values):
        return None
    if any(isinstance(v, str) for v in values):
        words = sorted({v for v in values if isinstance(v, str)})
        return f"unknown word after a count {words}: add it to NOUNS or NOT_COUNTED"
    if any(v is None for v in values):
        return "a count is followed by a word for some numbers only"
    phrases = {n: v for n, v in by_number.items() if isinstance(v, tuple)}
    readings = {n: v[1] for n, v in phrases.items()}
    category = {n: plural_category(n, "lv") for n in phrases}

    def fits(singular: str, plural: str, zero: set[tuple[str, str]]) -> bool:
        return all(
            (singular, "sg") in readings[n] if category[n] == "one"
            else (plural, "pl") in readings[n] if category[n] == "other"
            else bool(zero & readings[n])
            for n in phrases
        )  # fmt: skip

    for case in CASES:
        # 0, 10–20, 30 …: the genitive plural where a nominative or accusative stands
        # ("10 pasākumu"), or the plural of the case itself ("10 pasākumiem").
        zero = {(case, "pl")} | ({("gen", "pl")} if case in ("nom", "acc") else set())
        if fits(case, case, zero):
            return None
        if all(v[2] for v in phrases.values()) and fits(case, "dat", {("dat", "pl")}):
            return None
    shown = {n: v[0] for n, v in phrases.items()}
    return f"no case fits the count: {shown}"


def _fill(text: str, n: int, numbers: set[str]) -> str:
    """``text`` with each number placeholder as a marked ``n`` and any other one as a word
    that counts nothing."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"⟦{n}⟧" if name in numbers else "‹x›"

    return re.sub(r"\{(\w+)[^{}]*\}", one, text)


def test_every_placeholder_is_known_as_a_number_or_not() -> None:
    names = {
        m.group(1) for _, text in catalogue_texts() for m in re.finditer(r"\{(\w+)[^{}]*\}", text)
    }
    assert not NUMBER_PLACEHOLDERS & NOT_NUMBERS
    assert not names - NUMBER_PLACEHOLDERS - NOT_NUMBERS, "classify the new placeholders"


def test_every_catalogue_entry_agrees_with_0_1_2_11_21_and_101() -> None:
    """A count in a text that is not a plural entry cannot agree with every number ("1
    problēmas"): such a text is a plural entry, or says "Label: N"."""
    wrong = []
    for key, entry in catalogue("lv").items():
        by_number: dict[int, list[Any]] = {}
        for n in NUMBERS:
            text = entry[plural_category(n, "lv")] if isinstance(entry, dict) else entry
            by_number[n] = _phrases(_fill(text, n, NUMBER_PLACEHOLDERS))
        for i in range(len(by_number[1])):
            why = _agrees({n: found[i] for n, found in by_number.items()})
            if why:
                wrong.append(f"{key}: {why}")
    assert not wrong, "\n".join(wrong)


class Count(int):
    """A number that prints marked, so the check finds what the template printed."""

    def __str__(self) -> str:
        return f"⟦{int(self)}⟧"

    def __format__(self, spec: str) -> str:
        return str(self)


def _counted(value: Any, n: int) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Count(n)
    if isinstance(value, dict):
        return {k: _counted(v, n) for k, v in value.items()}
    if isinstance(value, list):
        return [_counted(v, n) for v in value]
    return value


def _keyed(text: str) -> dict[str, Phrase | str | None]:
    """The phrases of ``text`` by the words before each number (a block an email shows
    only for some numbers leaves its numbers out, so the places are matched by name)."""
    keys = [MARK.sub("#", text[max(0, m.start() - 40) : m.start()]) for m in MARK.finditer(text)]
    return dict(zip(keys, _phrases(text), strict=True))


@pytest.mark.parametrize("kind", KINDS)
def test_every_email_agrees_with_0_1_2_11_21_and_101(kind: str) -> None:
    by_number = {}
    for n in NUMBERS:
        subject, body = render(kind, "lv", **COMMON, **_counted(CONTEXT[kind], n))
        by_number[n] = _keyed(subject + "\n" + body)
    places = {key for found in by_number.values() for key in found}
    wrong = [
        f"{place!r}: {why}"
        for place in sorted(places)
        if (why := _agrees({n: f[place] for n, f in by_number.items() if place in f}))
    ]
    assert not wrong, wrong


def test_a_printed_value_is_never_followed_by_a_counted_noun_in_a_template() -> None:
    """In the page and document templates a count reaches a noun only through a plural
    entry (``t('plan.steps', n=…)``); ``{{ n }} pasākumi`` would be right for some n only."""
    wrong = []
    for where, text in template_texts():
        for m in re.finditer(rf"\}}\}}\s+([{LETTER}]+)", text):
            if _analyses(NOUNS, m.group(1)):
                wrong.append(f"{where}: {text[max(0, m.start() - 40) : m.end()]!r}")
    assert not wrong, "\n".join(wrong)


def test_the_check_finds_the_defects_it_is_for() -> None:
    def check(text: str, plural: dict[str, str] | None = None) -> str | None:
        entry = plural or text
        by_number = {
            n: _phrases(
                _fill(entry[plural_category(n, "lv")] if isinstance(entry, dict) else entry,
                      n, {"n"})
            )
            for n in NUMBERS
        }  # fmt: skip
        return _agrees({n: found[0] for n, found in by_number.items()})

    assert check("Atgrieztajā darbgrāmatā ir {n} problēmas")  # "1 problēmas"
    assert check("{n} iestādēm ir")  # "1 iestādēm"
    assert check("{n} pasākumi")  # "21 pasākumi"
    assert check("aptuveni {n} cilvēkdienas")  # "1 cilvēkdienas"
    assert check("{n} kaut kas")  # a word the table does not know
    assert check("", {"zero": "{n} pasākumu", "one": "{n} pasākums", "other": "{n} pasākumu"})
    assert check("", {"zero": "{n} pasākumiem", "one": "{n} pasākums", "other": "{n} pasākumi"})
    assert not check("", {"zero": "{n} pasākumu", "one": "{n} pasākums", "other": "{n} pasākumi"})
    assert not check(
        "", {"zero": "no {n} pakalpojumiem", "one": "no {n} pakalpojuma",
             "other": "no {n} pakalpojumiem"},
    )  # fmt: skip
    assert not check(
        "", {"zero": "{n} novērtēto punktu", "one": "{n} novērtētā punkta",
             "other": "{n} novērtēto punktu"},
    )  # fmt: skip
    assert not check("Pasākumu skaits: {n}")
    assert not check("{n}. versija")


# -- dates -------------------------------------------------------------------------------------

PREPOSITIONS = r"(?:līdz|no|pēc|pirms|uz|kopš|ap|starp|ar|par)"
DATE_PLACEHOLDERS = r"(?:date|day|on|since|due|respond_by|expires|start|period|period_end)"


def test_no_date_follows_a_preposition_or_governs_a_case() -> None:
    """Catalogue dates are written 31.03.2026 (``pvpp.i18n.day``), which reads right after a
    verb; but "līdz {date}" needs a dative the text cannot give, and a long email date is a
    nominative: it stands only after a label."""
    wrong = []
    for where, text in catalogue_texts():
        if re.search(rf"\b{PREPOSITIONS}\s+\{{{DATE_PLACEHOLDERS}\}}", text, re.IGNORECASE):
            wrong.append(f"{where}: {text}")
        if re.search(rf"\{{{DATE_PLACEHOLDERS}\}}\s+[{LETTER}]", text):
            wrong.append(f"{where}: a word after the date: {text}")
    for where, text in template_texts():
        for m in re.finditer(r"\{\{[^{}]*\|\s*(?:date|day)\b[^{}]*\}\}", text):
            before, after = text[: m.start()], text[m.end() :]
            if re.search(rf"\b{PREPOSITIONS}\s*$", before, re.IGNORECASE):
                wrong.append(f"{where}: after a preposition: {before[-30:]}{m.group()}")
            if "|date" in m.group().replace(" ", "") and not before.endswith(": "):
                wrong.append(f"{where}: a long date not after a label: {before[-30:]}{m.group()}")
            if re.match(rf"\s+[{LETTER}]", after):
                wrong.append(f"{where}: a word after the date: {m.group()}{after[:30]}")
    assert not wrong, "\n".join(wrong)


# -- terms -------------------------------------------------------------------------------------

#: (pattern, why) — each a term decided in docs/glossary.md, searched in everything Latvian
#: the project wrote: catalogue, templates, measures library, questionnaire.
BANNED: list[tuple[str, str]] = [
    (
        r"(?<!\d\. )(?<!\d\.)\bkārt(?:a|as|ai|u|ā|ām|ās|e)\b",
        "an assessment round is a 'novērtēšanas cikls'; 'N. kārta' is only the plan's tranche",
    ),
    (r"Inovāciju laboratorij", "the State Chancellery's 'Inovācijas laboratorija'"),
    (
        r"pakalpojumu turētāj|turētāja atbildīg|pakalpojuma turētāj(?!s\b)",
        "a service holder is an institution; a person is 'par pakalpojumu atbildīgais darbinieks'",
    ),
    (
        r"pakalpojuma turētāj\w*[^.;()]{0,60}\b(?:vadītāj|darbiniek|pārzin)",
        "a service holder listed among people's roles is a person: 'par pakalpojumu atbildīgais "
        "darbinieks'",
    ),
    (r"\bsavietojam\w*\s+ar\b", "systems are 'sadarbspējīgas' (interoperable)"),
    (r"biznesa īpašniek", "a public-sector term: 'par sistēmas funkcionalitāti atbildīgais'"),
    (r"(?<!\()\bSLA\b", "written out: 'pakalpojuma līmeņa līgums (SLA)'"),
    (r"\bDIVS\b", "DIVS is e-adrese's platform; a document management system is a DVS"),
    (
        r"privātums pēc noklusējuma|(?<!integrēta )datu aizsardzība un datu aizsardzība",
        "GDPR art. 25: 'integrēta datu aizsardzība un datu aizsardzība pēc noklusējuma'",
    ),
    (r"ieviešanas komand", "the plan's own 'politikas īstenošanas komanda'"),
    (r"(?<!attiecībā )\bpret\b", "a calque of 'against': 'salīdzinot ar', 'atbilstība'"),
    (r"Mediānā atšķirība", "'Atšķirības mediāna'"),
    (r"\bsavu darba\b", "'sava darba'"),
    (r"\bJa [^.]*siet, tiek\b", "a future condition takes a future result: 'tiks'"),
    (
        r"\b[Pp]lais",
        "one word for a gap across report, exports and library: 'atšķirība' (to a target), "
        "'neatbilstība' (to a profile)",
    ),
]
#: Only in the catalogue and templates: what reports, exports and messages call things.
BANNED_IN_CATALOGUE: list[tuple[str, str]] = [
    (r"\b[Ll]ūdzu\b", "one voice to institutions: 'Lūdzam' with an infinitive"),
    (r"\b[Kk]omponent", "the policy's components are 'sastāvdaļas' (its own word)"),
    (
        r"\b[Ff]ail(?:s|a|u|ā|i|us|iem)\b(?! →)",
        "a file is a 'datne' (Excel's menu 'Fails →' aside)",
    ),
]


@pytest.mark.parametrize(("pattern", "why"), BANNED)
def test_a_decided_term_is_used_everywhere(pattern: str, why: str) -> None:
    found = [f"{where}: {m.group()!r}" for where, text in everything()
             for m in [re.search(pattern, text)] if m]  # fmt: skip
    assert not found, f"{why}\n" + "\n".join(found)


@pytest.mark.parametrize(("pattern", "why"), BANNED_IN_CATALOGUE)
def test_a_decided_word_is_used_in_every_message(pattern: str, why: str) -> None:
    texts = [*catalogue_texts(), *template_texts()]
    found = [where for where, text in texts if re.search(pattern, text)]
    assert not found, f"{why}\n" + "\n".join(found)


def test_the_tranche_may_still_be_named() -> None:
    pattern = BANNED[0][0]
    assert not re.search(pattern, "iestādes, kurām saistošs darba plāns (1. kārta)")
    assert re.search(pattern, "Iestāde nav iekļauta nevienā pašnovērtējuma kārtā.")


def test_the_per_institution_view_is_named_by_institution() -> None:
    """The internal report's per-institution view is a heat map whose rows are institutions:
    its heading says so, and nothing in it is headed "Iestāžu grupa"."""
    report = (TEMPLATES / "national" / "report.html.j2").read_text(encoding="utf-8")
    named = report[report.index("national.heat_named") :]
    named = named[: named.index("{% endif %}")]
    assert "national.group" not in named
    assert "pa iestādēm" in str(catalogue("lv")["national.heat_named"])
    assert catalogue("lv")["national.median_gap"] == "Atšķirības mediāna"
    # the chart's heading and its legend name the same median
    assert "valsts mediāna" in str(catalogue("lv")["plan.radar_title"])
    assert catalogue("lv")["plan.median"] == "Valsts mediāna"


# -- grammar -----------------------------------------------------------------------------------


def test_a_lai_clause_takes_the_conditional() -> None:
    """ "lai tos var pieteikt" → "lai tos varētu pieteikt": a purpose clause has a verb in
    -tu (or -tos); "lai gan" and "lai arī" ("although") are not purpose clauses."""
    wrong = []
    for where, text in everything():
        for m in re.finditer(r"\b[Ll]ai\b(?! gan\b| arī\b)([^.;:–()]*)", text):
            clause = " ".join(m.group(1).split()[:12])
            if not re.search(rf"[{LETTER}](?:tu|tos)\b", clause):
                wrong.append(f"{where}: lai {clause}")
    assert not wrong, "\n".join(wrong)


def test_the_policys_own_slip_is_shown_only_with_sic() -> None:
    texts = _yaml_lv(ROOT / "policy" / "pvpp2027-v1.yaml")
    slips = [t for t in texts if "tiek lietota" in t]
    assert slips and all("tiek lietota [sic]" in t for t in slips)


# -- page and document templates, rendered -----------------------------------------------------

#: Values a page or document template prints whose name says they are counts: printed as
#: the marked number, everything else as ‹its name›.
COUNTED_NAME = re.compile(r"count|total|_n$|^n_|days$")
#: Loops whose items unpack to a number of values of their own, whatever the width tried
#: for the rest of the template (a template may unpack items of 2 and of 3 values).
UNPACKED = {"non_scoring": 3, "last_return['items']": 3}


def _stand_in(number: int, width: int) -> type[jinja2.Undefined]:
    """A value for every variable a template is not given: printed as a marked ``number``
    when its name is a count's, iterated as ``width`` items, true, and equal to nothing."""

    class StandIn(jinja2.Undefined):
        __slots__ = ()

        def __str__(self) -> str:
            name = self._undefined_name or ""
            counted = name in NUMBER_PLACEHOLDERS or COUNTED_NAME.search(name)
            return f"⟦{number}⟧" if counted else f"‹{name}›"

        def __html__(self) -> str:
            return str(self)

        def __format__(self, spec: str) -> str:
            return str(self)

        def __iter__(self) -> Iterator[Any]:
            return iter([self] * UNPACKED.get(self._undefined_name or "", width))

        def __len__(self) -> int:
            return 1

        def __bool__(self) -> bool:
            return True

        def __getattr__(self, name: str) -> Any:
            if name.startswith(("__", "_undefined")):
                raise AttributeError(name)
            return type(self)(name=name)

        def __getitem__(self, key: object) -> Any:
            whole = f"{self._undefined_name}[{key!r}]"  # as UNPACKED names a subscript
            return type(self)(name=whole if whole in UNPACKED else str(key))

        def __call__(self, *args: object, **kwargs: object) -> Any:
            return self

        def keys(self) -> list[str]:
            # ``t(key, **counts)``: a mapping of every count a catalogue entry may name.
            return sorted(NUMBER_PLACEHOLDERS)

        def __int__(self) -> int:
            return number

        def __float__(self) -> float:
            return float(number)

        def __index__(self) -> int:
            return number

        def __eq__(self, other: object) -> bool:
            return False

        def __ne__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return id(self)

        def __lt__(self, other: object) -> bool:
            return False

        __le__ = __gt__ = __ge__ = __lt__

        def __add__(self, other: object) -> Any:
            return self

        __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __add__
        __rtruediv__ = __mod__ = __add__

        def __neg__(self) -> Any:
            return self

        def __round__(self, *args: object) -> Any:
            return self

        def __contains__(self, item: object) -> bool:
            return True

    return StandIn


def _environment(folder: Path, number: int, width: int) -> jinja2.Environment:
    """The templates' environment with stand-ins for every value: ``t()`` gets the count as
    its ``n``; a key built from a value (``t('web.role.' ~ role)``) gives a placeholder."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=_stand_in(number, width),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install(env)

    def plain(value: Any) -> Any:
        if isinstance(value, Count):
            return int(value)
        return str(value) if isinstance(value, jinja2.Undefined) else value

    def words(key: str, n: Any = None, **values: Any) -> str:
        if "⟦" in key or "‹" in key:
            return "‹key›"
        count = number if isinstance(n, jinja2.Undefined) else plain(n)
        return t(key, "lv", count, **{k: plain(v) for k, v in values.items()})

    env.globals["t"] = words
    env.filters["num"] = lambda value, *args, **kwargs: str(value)
    env.filters["day"] = lambda value, *args, **kwargs: "31.03.2026"
    env.filters["length"] = env.filters["count"] = lambda value: Count(number)
    return env


def _page_templates() -> dict[str, tuple[Path, str]]:
    """Every page and document template: shown name → (its loader's folder, its name)."""
    found = {}
    for folder in (TEMPLATES / "plan", TEMPLATES / "national", TEMPLATES / "web"):
        root = TEMPLATES / "web" if folder.name == "web" else TEMPLATES
        for path in sorted(folder.rglob("*.html.j2")):
            found[str(path.relative_to(root))] = (root, str(path.relative_to(root)))
    return found


def _rendered(number: int) -> tuple[dict[str, str], dict[str, str]]:
    """Each template's text rendered with stand-ins printing ``number``, and the error of
    each that would not render (loops whose items unpack to 2, 3 or 1 values are tried)."""
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    for width in (2, 3, 1):
        envs = {root: _environment(root, number, width) for root in (TEMPLATES, TEMPLATES / "web")}
        for shown, (root, name) in _page_templates().items():
            if shown in texts:
                continue
            try:
                html = envs[root].get_template(name).render(lang="lv")
            except (TypeError, ValueError) as exc:
                errors[shown] = f"{type(exc).__name__}: {exc}"
                continue
            errors.pop(shown, None)
            texts[shown] = _text_of(html)
    return texts, errors


def _text_of(html: str) -> str:
    """What a reader reads of ``html``: no scripts, styles or tags."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _disagreements(by_number: dict[int, dict[str, str]]) -> list[str]:
    wrong = []
    for name in sorted(by_number[1]):
        found = {n: _keyed(texts[name]) for n, texts in by_number.items()}
        for place in sorted({k for f in found.values() for k in f}):
            # A word the noun table does not know after a value (a name, a code) is not a
            # count; only the known counted nouns are compared.
            phrases = {
                n: None if isinstance(f[place], str) else f[place]
                for n, f in found.items()
                if place in f
            }
            if why := _agrees(phrases):
                wrong.append(f"{name}: {place!r}: {why}")
    return wrong


def test_every_page_and_document_template_agrees_with_0_1_2_11_21_and_101() -> None:
    """The plan, the national report and plan, the portal's and the console's pages,
    rendered with every count 0, 1, 2, 11, 21 and 101: a noun after a count agrees with it
    (the count reaches it through a plural entry, never ``{{ n }} pasākumi``)."""
    by_number = {}
    for n in NUMBERS:
        texts, errors = _rendered(n)
        assert not errors, errors
        by_number[n] = texts
    assert set(by_number[1]) == set(_page_templates())  # every one of them rendered
    assert not (wrong := _disagreements(by_number)), "\n".join(wrong)


def test_the_rendered_check_finds_a_count_before_a_noun(tmp_path: Path) -> None:
    (tmp_path / "wrong.html.j2").write_text(
        "<p>{{ rows | length }} pasākumi</p><p>{{ total }} iestādes</p>", encoding="utf-8"
    )
    (tmp_path / "right.html.j2").write_text(
        "<p>{{ t('plan.steps', n=rows | length) }}; {{ plan.code }} plāns</p>", encoding="utf-8"
    )
    by_number = {
        n: {
            name: _text_of(_environment(tmp_path, n, 2).get_template(name).render(lang="lv"))
            for name in ("wrong.html.j2", "right.html.j2")
        }
        for n in NUMBERS
    }
    wrong = _disagreements(by_number)
    assert wrong and all(w.startswith("wrong.html.j2") for w in wrong), wrong
    assert len(wrong) == 2
