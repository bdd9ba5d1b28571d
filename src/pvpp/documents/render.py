"""Render documents: Jinja2 HTML templates turned into PDF by WeasyPrint.

Safety, because institutions type the evidence, comments and service names we print:

- autoescape is always on (for every template name, including ``.j2``) and undefined
  variables are errors, so typed text is shown as text and a template bug fails loudly;
- the URL fetcher serves only the project's own files under ``templates/`` and ``data:``
  URLs; ``file://`` anywhere else, ``http(s)://`` and every other scheme are refused, so
  nothing in a document can pull a local file or a network resource into a PDF.
"""

from __future__ import annotations

import logging
import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import weasyprint
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pvpp.i18n import install
from pvpp.paths import resources_dir

log = logging.getLogger(__name__)


def templates_dir() -> Path:
    return resources_dir() / "templates"


class BlockedResource(ValueError):
    """A document asked for something outside the project's own assets."""


class AssetFetcher(URLFetcher):
    """Serves ``data:`` URLs and files under ``templates/``; refuses everything else."""

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.root = (root or templates_dir()).resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path.is_file() and path.is_relative_to(self.root):
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                headers = {"Content-Type": kind}
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers, 200)
        self.refused.append(url[:200])
        log.warning("document asked for a resource outside its assets; refused: %.200s", url)
        raise BlockedResource(f"refused: {url[:200]}")


@lru_cache(maxsize=2)
def environment(root: str | None = None) -> Environment:
    """The one Jinja environment for documents, with the word catalogue installed
    (``t('plan.summary')``, ``| num(lang, 2)``, ``| day(lang)``; see :mod:`pvpp.i18n`)."""
    env = Environment(
        loader=FileSystemLoader(root or str(templates_dir())),
        autoescape=True,  # a bool, not select_autoescape(): that skips .j2 names
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return install(env)


def render_html(template: str, context: dict[str, Any]) -> str:
    """Render ``template`` (a path under templates/) with ``context``."""
    return environment().get_template(template).render(**context)


@lru_cache(maxsize=1)
def _fonts() -> FontConfiguration:
    """One font configuration per process for every document.

    The documents' ``@font-face`` rules name the same bundled fonts; a configuration per
    document would register them again with fontconfig and Pango each time, which is
    memory a long-running worker never gets back (about 0.35 MiB per plan PDF, measured;
    with the shared one about a third of that). WeasyPrint keys the registered faces by
    their content, so sharing returns the same fonts.
    """
    return FontConfiguration()


def html_to_pdf(html: str, *, fetcher: AssetFetcher | None = None) -> bytes:
    """Turn HTML into a tagged PDF, fetching only the project's own assets."""
    fetcher = fetcher or AssetFetcher()
    document = weasyprint.HTML(
        string=html, base_url=templates_dir().as_uri() + "/", url_fetcher=fetcher
    )
    pdf: bytes = document.write_pdf(pdf_tags=True, font_config=_fonts())  # weasyprint: untyped
    return pdf


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes."""
    return html_to_pdf(render_html(template, context))
