"""The one catalogue of words: both languages complete, plural forms from CLDR, and the
counts that used to disagree with their nouns ("1 problēmas", "1 iestādēm", "21 pasākumi",
"1 cilvēkdienas") now agreeing."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment, StrictUndefined

from pvpp.i18n import (
    LANGS,
    MissingText,
    Num,
    catalogue,
    day,
    install,
    number,
    phrase,
    placeholders,
    plural_categories,
    plural_category,
    t,
)

ROOT = Path(__file__).resolve().parents[1]


def test_every_key_is_in_both_languages_with_the_same_placeholders() -> None:
    lv, en = catalogue("lv"), catalogue("en")
    assert set(lv) == set(en), set(lv) ^ set(en)
    for key in lv:
        assert placeholders(lv[key]) == placeholders(en[key]), key


@pytest.mark.parametrize("lang", LANGS)
def test_every_plural_entry_has_exactly_the_categories_of_its_language(lang: str) -> None:
    needed = plural_categories(lang)
    plural = {k: v for k, v in catalogue(lang).items() if isinstance(v, dict)}
    assert plural, "the catalogue has plural entries"
    for key, forms in plural.items():
        assert set(forms) == needed, (key, sorted(forms), sorted(needed))


def test_plural_categories_come_from_cldr() -> None:
    assert plural_categories("lv") == {"zero", "one", "other"}
    assert plural_categories("en") == {"one", "other"}
    assert [plural_category(n, "lv") for n in (0, 1, 2, 10, 11, 21, 22, 111)] == [
        "zero", "one", "other", "zero", "zero", "one", "other", "zero",
    ]  # fmt: skip


def test_every_key_the_code_and_templates_name_exists() -> None:
    """A literal key in a ``t("…")`` call, Python or Jinja, must be in the catalogue; so
    must the key of an export column, ``col("exports.column.…")``."""
    call = re.compile(r"""\b(?:t|col)\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")
    sources = [*(ROOT / "src").rglob("*.py"), *(ROOT / "templates").rglob("*.j2")]
    named = {
        (path.name, key)
        for path in sources
        for key in call.findall(path.read_text(encoding="utf-8"))
    }
    assert named  # the pattern finds the calls
    missing = sorted((name, key) for name, key in named if key not in catalogue("lv"))
    assert not missing


# -- the agreement defects the old word tables had --------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "nevar pieņemt: 1 problēma. Lūdzam izlabot to"),
        (2, "nevar pieņemt: 2 problēmas."),
        (10, "nevar pieņemt: 10 problēmu."),
        (21, "nevar pieņemt: 21 problēma."),
    ],
)
def test_rejected_workbook_counts_its_problems(n: int, expected: str) -> None:
    assert expected in t("workbook.check.rejected", "lv", n=n)


def test_unanswered_questions_agree() -> None:
    assert t("workbook.check.incomplete", "lv", n=1).endswith(": 1 neatbildēts jautājums.")
    assert t("workbook.check.incomplete", "lv", n=11).endswith(": 11 neatbildētu jautājumu.")
    assert t("workbook.check.incomplete", "en", n=1).endswith(": 1 unanswered question.")


@pytest.mark.parametrize(
    ("institutions", "measures", "expected"),
    [
        (1, 1, "1 iestādei ir 1 pasākums, kura termiņš ir pagājis"),
        (1, 21, "1 iestādei ir 21 pasākums, kura termiņš ir pagājis"),
        (2, 3, "2 iestādēm ir 3 pasākumi, kuru termiņš ir pagājis"),
        (11, 10, "11 iestādēm ir 10 pasākumu, kuru termiņš ir pagājis"),
    ],
)
def test_overdue_sentence_agrees_with_both_counts(
    institutions: int, measures: int, expected: str
) -> None:
    text = t(
        "national.overdue_text",
        "lv",
        institutions=t("national.overdue_institutions", "lv", n=institutions),
        measures=t("national.overdue_measures", "lv", n=measures),
    )
    assert text == expected


def test_overdue_sentence_in_english() -> None:
    text = t(
        "national.overdue_text",
        "en",
        institutions=t("national.overdue_institutions", "en", n=1),
        measures=t("national.overdue_measures", "en", n=1),
    )
    assert text == "1 institution has 1 measure past its due date"


@pytest.mark.parametrize(
    ("n", "word"),
    [(0, "cilvēkdienu"), (1, "cilvēkdiena"), (5, "cilvēkdienas"), (20, "cilvēkdienu")],
)
def test_person_days_agree(n: int, word: str) -> None:
    assert t("plan.asks_effort", "lv", n=n).startswith(f"aptuveni {n} {word} ")


@pytest.mark.parametrize(
    ("key", "n", "start"),
    [
        ("plan.asks_measures", 1, "pasākums līdz"),
        ("plan.asks_measures", 21, "pasākums līdz"),
        ("plan.asks_measures", 10, "pasākumu līdz"),
        ("plan.asks_measures", 22, "pasākumi līdz"),
        ("plan.decide_head", 1, "Īstenot 1 pasākumu, par kuru"),
        ("plan.decide_head", 10, "Īstenot 10 pasākumus, par kuriem"),
        ("plan.decide_funding", 21, "Izlemt par papildu finansējumu 21 pasākumam "),
        ("plan.decide_capacity", 20, "Atvēlēt komandai aptuveni 20 cilvēkdienu "),
        ("plan.steps", 3, "3 soļi"),
        ("national.published", 1, "Publicējams: skaitļi, kas aprēķināti no mazāk nekā 1 iestādes,"),
        ("national.assigned", 1, "iestāde novērtēšanas ciklā"),
        ("national.suppressed", 21, "Novērtēta mazāk nekā 21 iestāde:"),
        ("scoring.explain.component", 1, "vērtējums C1 = 1 novērtētā punkta"),
    ],
)
def test_counted_phrases_take_the_form_of_their_count(key: str, n: int, start: str) -> None:
    values = {"later": 0, "component": "C1", "score": "1,00"}
    assert t(key, "lv", n=n, **values).startswith(start)


def test_a_plural_text_without_its_count_is_an_error() -> None:
    with pytest.raises(TypeError):
        t("plan.asks_effort", "lv")
    with pytest.raises(MissingText):
        t("plan.no_such_text", "lv")
    with pytest.raises(ValueError):
        t("plan.summary", "de")


# -- numbers, dates, deferred texts, templates -------------------------------------------------


def test_numbers_and_dates_in_each_language() -> None:
    assert number(2.25, "lv") == "2,2" and number(2.25, "en") == "2.2"  # as round() does
    assert number(1234.5, "lv", 2) == "1\xa0234,50"
    assert number(1234.5, "lv", 2, group=False) == "1234,50"
    assert number(-1234.5, "en", 2, group=False) == "-1234.50"
    assert number(12345, "en", 0, group=False) == "12345"
    assert number(1234.5, "lv", None, group=False) == "1234,5"
    assert number(None, "lv") == "—"
    assert number(1.5, "lv", None) == "1,5" and number(1.0, "en", None) == "1"
    assert t("plan.asks_effort", "lv", n=1234).startswith("aptuveni 1\xa0234 cilvēkdienas")
    assert day(date(2026, 3, 31), "lv") == "31.03.2026"
    assert day("2026-03-31T10:00:00", "en") == "31 March 2026"


def test_a_phrase_is_made_in_the_language_of_the_message_it_ends_up_in() -> None:
    detail = phrase("scoring.explain.component", n=4, component="C1", score=Num(1.75, 2))
    assert detail.text("lv") == "vērtējums C1 = 4 novērtēto punktu svērtais vidējais = 1,75"
    assert detail.text("en") == "score C1 = weighted mean of 4 rated items = 1.75"


def test_templates_use_the_same_catalogue() -> None:
    env = install(Environment(loader=DictLoader({"x": ""}), undefined=StrictUndefined))
    source = "{{ t('national.assigned', n=n) }} · {{ 2.5 | num(lang) }} · {{ d | day(lang) }}"
    template = env.from_string(source)
    assert template.render(lang="lv", n=21, d=date(2026, 1, 5)) == (
        "iestāde novērtēšanas ciklā · 2,5 · 05.01.2026"
    )
    assert template.render(lang="en", n=2, d=date(2026, 1, 5)) == (
        "institutions in the round · 2.5 · 5 January 2026"
    )
