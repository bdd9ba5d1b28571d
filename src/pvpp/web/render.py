"""Pages from the Jinja2 templates in ``templates/web/``, in the reader's language.

One environment, with ``autoescape=True`` set outright (``select_autoescape()`` would
leave ``.j2`` names unescaped) and undefined variables as errors, like the email and PDF
templates. It has the word catalogue (:func:`pvpp.i18n.install`): ``t('web.home.title')``
in the page's language, ``t('plan.steps', n=3)`` with the plural form of the count.

Every page gets, besides its own values: ``lang``, ``viewer`` (the signed-in person or
None), ``console`` (the signed-in console person or None), ``csrf`` (the token its forms
carry), ``path`` (for the language switch) and ``title``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pvpp.filetypes import attachment
from pvpp.i18n import install, t
from pvpp.paths import resources_dir


def templates_dir() -> Path:
    """``templates/web`` under the resources folder."""
    return resources_dir() / "templates" / "web"


def static_dir() -> Path:
    """The portal's own static files (its stylesheet)."""
    return templates_dir() / "static"


@lru_cache(maxsize=4)
def _env(folder: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(folder), encoding="utf-8"),
        autoescape=True,  # always: select_autoescape() would not cover .j2 names
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return install(env)


def page(
    request: Request, template: str, title_key: str, *, status: int = 200, **values: Any
) -> HTMLResponse:
    """The page ``template`` for this request, with ``status``; its title is the text of
    ``title_key`` (filled from ``title_values`` when given)."""
    state = request.state
    lang: str = state.lang
    title_values = values.pop("title_values", {})
    context = {
        "lang": lang,
        "viewer": getattr(state, "viewer", None),
        "console": getattr(state, "console", None),
        "csrf": getattr(state, "csrf", ""),
        "path": request.url.path,
        "title": t(title_key, lang, **title_values),
        **values,
    }
    html = _env(templates_dir()).get_template(template).render(context)
    return HTMLResponse(html, status_code=status)


#: What a file someone else handed in is served with: never sniffed into another kind,
#: never run as a page if a browser opens it anyway.
UNTRUSTED = {"X-Content-Type-Options": "nosniff",
             "Content-Security-Policy": "default-src 'none'; sandbox"}  # fmt: skip


def download(data: bytes, media_type: str, name: str, *, untrusted: bool = False) -> Response:
    """``data`` as a download named ``name`` (:func:`pvpp.filetypes.attachment`); a file an
    institution handed in (``untrusted``) also with :data:`UNTRUSTED`'s headers."""
    headers = {"Content-Disposition": attachment(name), **(UNTRUSTED if untrusted else {})}
    return Response(data, media_type=media_type, headers=headers)
