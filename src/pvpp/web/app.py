"""The portal's application, built once per process from the composition root.

:func:`create_app` takes the :class:`~pvpp.app.App` the process built (``pvpp web`` builds
it from the settings) and returns a FastAPI application that keeps nothing of its own
between requests: sessions, links and everything shown are in the database, so several
processes on PostgreSQL serve the same people behind any proxy.

Around every request (:func:`_frame`):

- the language: ``?lang=en`` or ``?lang=lv`` chooses it and a cookie keeps the choice;
  otherwise the cookie's, otherwise the settings' (Latvian);
- the browser's own random value (a cookie) to which forms are bound before signing in
  (:func:`pvpp.web.deps.guard`);
- the session cookie set after signing in and cleared after signing out or when the
  session has ended (the console's own, ``pvpp_console`` and the sign-in step's
  ``pvpp_console_step``, through ``request.state.cookies_out``); every cookie HttpOnly,
  SameSite=Lax and, unless the portal runs on a developer's http://localhost, Secure
  with the ``__Host-`` prefix;
- headers that keep pages out of frames, caches and other sites' Referer (sign-in and
  approval links carry their token in the path).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from pvpp.app import App
from pvpp.drafts import PENDING_HOURS
from pvpp.i18n import LANGS
from pvpp.sessions import new_secret
from pvpp.web import console_pages, console_rounds, pages
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
        *console_rounds.router.routes,
    ]:
        assert isinstance(route, APIRoute)
        web.add_api_route(route.path, route.endpoint, methods=sorted(route.methods or ()),
                          name=route.name)  # fmt: skip
    web.mount("/static", StaticFiles(directory=static_dir()), name="static")
    settings = app.settings
    secure = settings.cookies_secure()
    names = {
        "session": cookie_name("pvpp_session", secure),
        "browser": cookie_name("pvpp_browser", secure),
        "lang": cookie_name("pvpp_lang", secure),
        "pending": cookie_name("pvpp_pending", secure),
    }
    web.state.cookie_names = names

    def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax"
        )

    @web.middleware("http")
    async def _frame(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        chosen = request.query_params.get("lang")
        kept = request.cookies.get(names["lang"])
        lang = chosen if chosen in LANGS else kept if kept in LANGS else settings.language
        request.state.lang = lang
        browser = request.cookies.get(names["browser"], "")
        fresh = not (20 <= len(browser) <= 100)
        if fresh:
            browser = new_secret()
        request.state.browser = browser
        request.state.sid = None
        request.state.session_cookie = None
        request.state.pending_cookie = None
        request.state.pending = request.cookies.get(names["pending"], "")
        # Other cookies a route sets or clears: base name -> (value, or None to clear;
        # max age in seconds, or None for the browser's session) (the console's).
        request.state.cookies_out = {}
        response = await call_next(request)
        if chosen in LANGS and chosen != kept:
            set_cookie(response, names["lang"], lang, LANG_COOKIE_DAYS * 24 * 3600)
        if fresh and not request.url.path.startswith("/static/"):
            set_cookie(response, names["browser"], browser)
        change = request.state.session_cookie
        if change == "clear":
            response.delete_cookie(
                names["session"], path="/", secure=secure, httponly=True, samesite="lax"
            )
        elif change:
            set_cookie(response, names["session"], change)
        pending = request.state.pending_cookie
        if pending == "clear":
            response.delete_cookie(
                names["pending"], path="/", secure=secure, httponly=True, samesite="lax"
            )
        elif pending:
            set_cookie(response, names["pending"], pending, PENDING_COOKIE_SECONDS)
        for base, (value, max_age) in request.state.cookies_out.items():
            name = cookie_name(base, secure)
            if value is None:
                response.delete_cookie(name, path="/", secure=secure, httponly=True,
                                       samesite="lax")  # fmt: skip
            else:
                set_cookie(response, name, value, max_age)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        # Never a Referer to another site (sign-in and approval links carry their token in
        # the path); "no-referrer" would also make the browser send "Origin: null" with
        # the portal's own forms, which the origin check refuses.
        headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith("/static/"):
            headers["Cache-Control"] = "no-store"
        if secure:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    return web


def from_environment() -> FastAPI:
    """The portal on a root built from the environment's settings: what each process of
    ``pvpp web --workers N`` or ``--reload`` serves (uvicorn imports it by name)."""
    return create_app(App.build())
