"""Every word people read, in Latvian and English: one catalogue and one way to use it.

Where the words live
    ``templates/locale/lv.yaml`` and ``templates/locale/en.yaml`` under the resources
    folder (:func:`pvpp.paths.resources_dir`, so ``PVPP_RESOURCES_DIR`` moves them with the
    templates they serve). They sit beside the templates, not in the code, so that the
    wording can be corrected without touching Python, like the policy and questionnaire
    data. Each file is a tree of namespaces (``workbook``, ``status``, ``plan``,
    ``national``, ``scoring``, ``charts``, ``mail``, ``exports``); a key is the dotted path
    to a text, e.g. ``plan.asks_effort``.

A text
    is a ``str.format`` string with named placeholders (``"Iestāde: {name}"``), or a
    *plural entry*: a mapping from CLDR plural category to such a string. Latvian needs
    ``zero`` (0, 10–20, 30, …: "10 pasākumu"), ``one`` (1, 21, 31, …, not 11: "21
    pasākums") and ``other`` ("2 pasākumi"); English ``one`` and ``other``. The category of
    a count comes from CLDR through Babel, never from rules written here.

Using it
    ``t("plan.asks_effort", lang, n=days)`` picks the plural form for ``n``, fills ``{n}``
    with ``n`` in the language's number format and the other placeholders from keyword
    arguments. A value that knows how to print itself in a language (anything with a
    ``text(lang)`` method: :class:`Num`, :class:`Phrase`) is printed in ``lang``, so a
    message can be built before the reader's language is known. Templates get the same
    function as the global ``t`` (the language comes from the template's ``lang``
    variable) and the filters ``num`` and ``day``; see :func:`install`.

Numbers and dates are formatted by Babel (:func:`number`, :func:`day`), never by hand.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Protocol, cast

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from pvpp.paths import resources_dir
from pvpp.yamlio import read_yaml

LANGS = ("lv", "en")
#: Babel locales: British English writes "31 March 2026" and a decimal point.
LOCALES = {"lv": "lv_LV", "en": "en_GB"}
#: Dates in documents and workbooks: 31.03.2026 in Latvian, 31 March 2026 in English.
DATE_PATTERNS = {"lv": "dd.MM.y", "en": "d MMMM y"}
NO_VALUE = "—"  # how a missing number or date is shown everywhere
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})

Entry = str | dict[str, str]


class MissingText(KeyError):
    """A key that the catalogue of a language does not have."""


class Localized(Protocol):
    """A value that prints itself in a language (a number, a phrase)."""

    def text(self, lang: str) -> str: ...


def locale_dir() -> Path:
    """Folder of the catalogues, ``templates/locale`` under the resources folder."""
    return resources_dir() / "templates" / "locale"


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


def _is_plural(node: Mapping[str, Any]) -> bool:
    return bool(node) and "other" in node and set(node) <= PLURAL_CATEGORIES


def _flatten(node: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Entry]]:
    for name, value in node.items():
        if not isinstance(name, str):  # YAML reads a bare no/yes/on/off key as a bool
            raise ValueError(f"catalogue key {name!r} under {prefix!r} is not a string; quote it")
        key = f"{prefix}{name}"
        if isinstance(value, str):
            yield key, value
        elif isinstance(value, Mapping) and _is_plural(value):
            if not all(isinstance(v, str) for v in value.values()):
                raise ValueError(f"plural entry {key!r} must map categories to texts")
            yield key, dict(value)
        elif isinstance(value, Mapping):
            yield from _flatten(value, f"{key}.")
        else:
            raise ValueError(f"catalogue entry {key!r} is neither a text nor a mapping")


def catalogue(lang: str) -> dict[str, Entry]:
    """All texts of ``lang`` by dotted key (each file is read once per process)."""
    return _catalogue_in(resources_dir(), _check_lang(lang))


@cache
def _catalogue_in(resources: Path, lang: str) -> dict[str, Entry]:
    # Every text a page shows asks for its catalogue: the file's path is made once per
    # resources folder and language, not on each call.
    return _load(resources / "templates" / "locale" / f"{lang}.yaml")


@cache
def _load(path: Path) -> dict[str, Entry]:
    # Keyed by path, not language: a moved resources folder is read afresh. Read strictly:
    # a key given twice would silently drop one of the texts.
    tree = read_yaml(path) or {}
    return dict(_flatten(tree))


def keys(prefix: str = "", lang: str = "lv") -> list[str]:
    """The keys under ``prefix`` (e.g. ``"workbook.problem."``), in catalogue order."""
    return [k for k in catalogue(lang) if k.startswith(prefix)]


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(LOCALES[lang])


def plural_category(n: float, lang: str) -> str:
    """The CLDR plural category of ``n`` in ``lang`` ("zero", "one", "other" ...)."""
    return _locale(_check_lang(lang)).plural_form(abs(n))


def plural_categories(lang: str) -> frozenset[str]:
    """The categories a plural entry of ``lang`` must have, and no others."""
    return frozenset(_locale(_check_lang(lang)).plural_form.tags | {"other"})


def placeholders(entry: Entry) -> set[str]:
    """The placeholder names an entry uses (over all its plural forms)."""
    texts = entry.values() if isinstance(entry, dict) else [entry]
    return {
        name.split(".")[0].split("[")[0]
        for text in texts
        for _, name, _, _ in string.Formatter().parse(text)
        if name
    }


def _shown(value: object, lang: str) -> object:
    text = getattr(value, "text", None)
    return text(lang) if callable(text) else value


def t(key: str, lang: str, n: float | None = None, **values: object) -> str:
    """The text ``key`` in ``lang``, with the plural form for ``n`` and ``values`` filled in.

    ``n`` also fills ``{n}``, printed in the language's number format. Raises
    :class:`MissingText` for an unknown key and ``TypeError`` when a plural entry gets no
    count (a plural text without its count cannot be right).
    """
    try:
        entry = catalogue(_check_lang(lang))[key]
    except KeyError:
        raise MissingText(f"no text {key!r} in the {lang} catalogue") from None
    if isinstance(entry, dict):
        if n is None:
            raise TypeError(f"text {key!r} has plural forms: give the count as n")
        entry = entry[plural_category(n, lang)]
    if n is not None:
        values.setdefault("n", number(n, lang, digits=None))
    return entry.format(**{name: _shown(value, lang) for name, value in values.items()})


def both(key: str, n: float | None = None, **values: object) -> dict[str, str]:
    """The text ``key`` in every language, e.g. for a message stored for either reader."""
    return {lang: t(key, lang, n, **values) for lang in LANGS}


def number(
    value: float | Decimal | None, lang: str, digits: int | None = 1, *, group: bool = True
) -> str:
    """``value`` as the language writes it: ``2,5`` in Latvian, ``2.5`` in English.

    ``digits`` decimals are always shown (rounded first with ``round``, so a chart, a table
    and a text show the same digit); ``digits=None`` shows up to three, none when whole.
    ``group=False`` leaves out the thousands separator (``1234,50``), for a file that a
    program or a spreadsheet reads back as a number. A ``Decimal`` keeps every digit it
    has; a rounded float is written as its shortest repr, which has all its digits below
    15 significant ones. ``None`` is shown as a dash.
    """
    if value is None:
        return NO_VALUE
    locale = LOCALES[_check_lang(lang)]
    if digits is None:
        return format_decimal(value, locale=locale, group_separator=group)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    rounded = cast("float | Decimal", round(value, digits))  # a float or Decimal, as given
    return format_decimal(rounded, format=pattern, locale=locale, group_separator=group)


def day(value: date | datetime | str | None, lang: str) -> str:
    """A date in documents and workbooks: ``31.03.2026`` (lv), ``31 March 2026`` (en)."""
    if value is None:
        return NO_VALUE
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    lang = _check_lang(lang)
    return format_date(value, format=DATE_PATTERNS[lang], locale=LOCALES[lang])


@dataclass(frozen=True)
class Num:
    """A number that is printed in the reader's language when the text is made."""

    value: float
    digits: int | None = None

    def text(self, lang: str) -> str:
        return number(self.value, lang, self.digits)

    def __str__(self) -> str:
        return self.text("en")


@dataclass(frozen=True)
class Phrase:
    """A catalogue text to be made later, in the reader's language (e.g. a detail carried
    by an exception raised before anyone knows which language the message is for)."""

    key: str
    n: float | None = None
    values: dict[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return t(self.key, lang, self.n, **self.values)

    def __str__(self) -> str:
        return self.text("en")


def phrase(key: str, n: float | None = None, **values: object) -> Phrase:
    """A :class:`Phrase` of ``key`` with its count and values."""
    return Phrase(key, n, values)


@pass_context
def _template_t(context: Context, key: str, n: float | None = None, **values: object) -> str:
    return t(key, context["lang"], n, **values)


def install(env: Environment) -> Environment:
    """Give a Jinja environment the catalogue: ``{{ t('plan.summary') }}``, with the
    language taken from the template's ``lang`` variable, and the filters
    ``{{ value | num(lang, 2) }}`` and ``{{ value | day(lang) }}``."""
    env.globals["t"] = _template_t
    env.filters["num"] = number
    env.filters["day"] = day
    return env
