"""The portal's application, built once per process from the composition root.

:func:`create_app` takes the :class:`~pvpp.app.App` the process built (``pvpp web`` builds
it from the settings) and returns a FastAPI application that keeps nothing of its own
between requests: sessions, links and everything shown are in the database, so several
processes on PostgreSQL serve the same people behind any proxy.

Around every request (:class:`Frame`):

- the language: ``?lang=en`` or ``?lang=lv`` chooses it and a cookie keeps the choice;
  otherwise the cookie's, otherwise the settings' (Latvian);
- the browser's own random value (a cookie) to which forms are bound before signing in
  (:func:`pvpp.web.deps.guard`);
- the session cookie set after signing in and cleared after signing out or when the
  session has ended (the console's own, ``pvpp_console``, the sign-in step's
  ``pvpp_console_step`` and the OpenID Connect start's ``pvpp_console_oidc``, through
  ``request.state.cookies_out``); every cookie HttpOnly, SameSite=Lax and, unless the
  portal runs on a developer's http://localhost, Secure with the ``__Host-`` prefix;
- headers that keep pages out of frames, caches and other sites' Referer (sign-in and
  approval links carry their token in the path).

The read-only JSON API (:mod:`pvpp.web.api`) is mounted at ``/api/v1`` as an application
of its own: its OpenAPI document and JSON errors, tokens instead of cookies (no cookie is
set on its answers, and the pages' CSRF guard, a dependency of this app, is not its).
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pvpp.app import App
from pvpp.drafts import PENDING_HOURS
from pvpp.i18n import LANGS
from pvpp.sessions import new_secret
from pvpp.web import (
    console_national,
    console_natplans,
    console_oidc,
    console_pages,
    console_review,
    console_rounds,
    console_trends,
    pages,
)
from pvpp.web.api import PREFIX as API_PREFIX
from pvpp.web.api import create_api
from pvpp.web.deps import cookie_name, guard
from pvpp.web.errors import install_handlers
from pvpp.web.render import static_dir

LANG_COOKIE_DAYS = 365
# Scripts: only the portal's own (the vendored htmx of the questionnaire's autosave), which
# talks only to the portal.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: The cookie of answers kept over an ended session lasts as long as they wait.
PENDING_COOKIE_SECONDS = PENDING_HOURS * 3600


class Frame:
    """Around every request (the module's docstring): its language, the browser's own
    value, and on the way out the cookies that changed and the headers every page has.

    A plain ASGI middleware (it edits the response's start, not its body): Starlette's
    ``BaseHTTPMiddleware`` ran each request through a task group and a stream of its own,
    which cost every request more than the rest of this frame."""

    def __init__(
        self, app: ASGIApp, *, names: dict[str, str], default_lang: str, secure: bool
    ) -> None:
        self.app, self.names, self.default_lang, self.secure = app, names, default_lang, secure

    def _cookie(self, name: str, value: str, max_age: int | None = None) -> str:
        # The header Starlette's Response.set_cookie would write, made the same way.
        out = Response()
        out.set_cookie(name, value, max_age=max_age, path="/", secure=self.secure,
                       httponly=True, samesite="lax")  # fmt: skip
        return out.headers["set-cookie"]

    def _deleted(self, name: str) -> str:
        out = Response()
        out.delete_cookie(name, path="/", secure=self.secure, httponly=True, samesite="lax")
        return out.headers["set-cookie"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names = self.names
        request = Request(scope)
        # The API sets no cookie (nor reads one): its callers hold tokens.
        path = request.url.path
        api = path == API_PREFIX or path.startswith(API_PREFIX + "/")
        chosen = None if api else request.query_params.get("lang")
        kept = request.cookies.get(names["lang"])
        lang = chosen if chosen in LANGS else kept if kept in LANGS else self.default_lang
        state = request.state
        state.lang = lang
        browser = request.cookies.get(names["browser"], "")
        fresh = not (20 <= len(browser) <= 100)
        if fresh:
            browser = new_secret()
        state.browser = browser
        state.sid = None
        state.session_cookie = None
        state.pending_cookie = None
        state.pending = request.cookies.get(names["pending"], "")
        # Other cookies a route sets or clears: base name -> (value, or None to clear;
        # max age in seconds, or None for the browser's session) (the console's).
        state.cookies_out = {}
        static = path.startswith("/static/")

        async def sending(message: Message) -> None:
            if message["type"] != "http.response.start":
                await send(message)
                return
            headers = MutableHeaders(scope=message)
            if chosen in LANGS and chosen != kept:
                headers.append(
                    "set-cookie", self._cookie(names["lang"], lang, LANG_COOKIE_DAYS * 24 * 3600)
                )
            if fresh and not api and not static:
                headers.append("set-cookie", self._cookie(names["browser"], browser))
            change = state.session_cookie
            if change == "clear":
                headers.append("set-cookie", self._deleted(names["session"]))
            elif change:
                headers.append("set-cookie", self._cookie(names["session"], change))
            pending = state.pending_cookie
            if pending == "clear":
                headers.append("set-cookie", self._deleted(names["pending"]))
            elif pending:
                headers.append(
                    "set-cookie", self._cookie(names["pending"], pending, PENDING_COOKIE_SECONDS)
                )
            for base, (value, max_age) in state.cookies_out.items():
                name = cookie_name(base, self.secure)
                cookie = (
                    self._deleted(name) if value is None else self._cookie(name, value, max_age)
                )
                headers.append("set-cookie", cookie)
            headers.setdefault("Content-Security-Policy", CSP)
            headers["X-Content-Type-Options"] = "nosniff"
            headers["X-Frame-Options"] = "DENY"
            # Never a Referer to another site (sign-in and approval links carry their token
            # in the path); "no-referrer" would also make the browser send "Origin: null"
            # with the portal's own forms, which the origin check refuses.
            headers["Referrer-Policy"] = "same-origin"
            if not static:
                headers["Cache-Control"] = "no-store"
            if self.secure:
                headers["Strict-Transport-Security"] = "max-age=31536000"
            await send(message)

        await self.app(scope, receive, sending)


def create_app(app: App) -> FastAPI:
    """The portal on ``app`` (its settings, database, files and clock)."""
    web = FastAPI(
        title="PVPP2027",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(guard)],
    )
    web.state.root = app
    install_handlers(web)
    # Each route is added to the app itself (not as an included router), so the app's
    # own list of routes is the whole list: the authorisation test walks it.
    for route in [
        *pages.router.routes,
        *console_pages.router.routes,
        *console_oidc.router.routes,
        *console_review.router.routes,
        *console_natplans.router.routes,
        *console_rounds.router.routes,
        *console_national.router.routes,
        *console_trends.router.routes,
    ]:
        assert isinstance(route, APIRoute)
        web.add_api_route(route.path, route.endpoint, methods=sorted(route.methods or ()),
                          name=route.name)  # fmt: skip
    web.mount("/static", StaticFiles(directory=static_dir()), name="static")
    # The JSON API is an application of its own (pvpp.web.api): its OpenAPI document, its
    # JSON errors, tokens instead of cookies (so the pages' guard is not its).
    web.mount(API_PREFIX, create_api(app), name="api")
    settings = app.settings
    secure = settings.cookies_secure()
    names = {
        "session": cookie_name("pvpp_session", secure),
        "browser": cookie_name("pvpp_browser", secure),
        "lang": cookie_name("pvpp_lang", secure),
        "pending": cookie_name("pvpp_pending", secure),
    }
    web.state.cookie_names = names

    web.add_middleware(Frame, names=names, default_lang=settings.language, secure=secure)
    return web


def from_environment() -> FastAPI:
    """The portal on a root built from the environment's settings: what each process of
    ``pvpp web --workers N`` or ``--reload`` serves (uvicorn imports it by name)."""
    return create_app(App.build())
