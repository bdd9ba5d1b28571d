"""Email subjects and bodies from the Jinja2 templates in ``templates/email/``.

File names: ``<kind>.<lang>.subject.j2`` and ``<kind>.<lang>.txt.j2`` (plain text, always
present) and, optionally, ``<kind>.<lang>.html.j2``. Undefined variables are errors
(``StrictUndefined``): a template never silently prints an empty name.

Two environments, on purpose:

- HTML is rendered only by an environment with ``autoescape=True`` set outright (not
  ``select_autoescape()``, which leaves ``.j2`` files unescaped), so text an institution
  typed can never become markup.
- Plain text (subjects and ``.txt.j2`` bodies) is rendered by a separate environment with
  autoescape off, whose loader serves nothing but ``.subject.j2`` and ``.txt.j2`` files.
  Escaping text/plain would show people ``&amp;`` instead of ``&`` and protect nothing:
  text has no markup to inject into. The one dangerous place in plain text is a header,
  so every rendered subject is checked for line breaks and control characters here, and
  every header again when the message is queued (:mod:`pvpp.mail.outbox`).

Both environments have the word catalogue (:func:`pvpp.i18n.install`): ``t('key', n=…)``
gives a catalogue text in the message's language, with the plural form its count needs.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    pass_context,
)
from jinja2.runtime import Context

from pvpp.i18n import install
from pvpp.mail.outbox import KINDS, LANGS, MessageError, check_header_text
from pvpp.paths import resources_dir

TEXT_SUFFIXES = (".subject.j2", ".txt.j2")


def templates_dir() -> Path:
    """Folder of the email templates (``templates/email`` under the resources folder)."""
    return resources_dir() / "templates" / "email"


class _PlainTextOnly(BaseLoader):
    """Serves only plain-text templates, so an HTML template can never be rendered
    by the environment that does not escape."""

    def __init__(self, folder: Path) -> None:
        self._inner = FileSystemLoader(str(folder), encoding="utf-8")

    def get_source(self, environment: Environment, template: str) -> tuple[str, Any, Any]:
        if not template.endswith(TEXT_SUFFIXES):
            raise TemplateNotFound(template)
        return self._inner.get_source(environment, template)


@pass_context
def _format_date(context: Context, value: date | datetime | None) -> str:
    """A date as people write it in the message's language: "2026. gada 31. marts"."""
    from babel.dates import format_date

    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, "long", locale=context["lang"])


@lru_cache(maxsize=4)
def _text_env(folder: Path) -> Environment:
    env = Environment(
        loader=_PlainTextOnly(folder),
        autoescape=False,  # plain text only; see the module docstring
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date"] = _format_date
    return install(env)


@lru_cache(maxsize=4)
def _html_env(folder: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(folder), encoding="utf-8"),
        autoescape=True,  # always: select_autoescape() would not cover .j2 names
        undefined=StrictUndefined,
    )
    env.filters["date"] = _format_date
    return install(env)


def _check(kind: str, lang: str) -> None:
    if kind not in KINDS:
        raise MessageError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if lang not in LANGS:
        raise MessageError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")


def render(kind: str, lang: str, **context: Any) -> tuple[str, str]:
    """The (subject, plain-text body) of a message of ``kind`` in ``lang`` ("lv" or "en").

    A subject that would span lines or carry control characters (a hostile value in the
    context) raises :class:`~pvpp.mail.outbox.MessageError`.
    """
    _check(kind, lang)
    env = _text_env(templates_dir())
    values = {**context, "lang": lang}
    subject = env.get_template(f"{kind}.{lang}.subject.j2").render(values).strip()
    check_header_text(subject, "subject")
    body = env.get_template(f"{kind}.{lang}.txt.j2").render(values)
    return subject, body.rstrip("\n") + "\n"


def render_html(kind: str, lang: str, **context: Any) -> str | None:
    """The HTML body of ``kind`` in ``lang``, escaped throughout; None without a template."""
    _check(kind, lang)
    env = _html_env(templates_dir())
    try:
        template = env.get_template(f"{kind}.{lang}.html.j2")
    except TemplateNotFound:
        return None
    return template.render({**context, "lang": lang})
