"""The console's OpenID Connect sign-in (optional; off until the settings name a provider):
``GET /console/signin/oidc`` sends the browser to the provider, and the provider sends it
back to ``GET /console/signin/oidc/callback`` (:data:`pvpp.oidc.CALLBACK_PATH`), which
opens the console's code step or, when the provider's second factor counts, the console.

Both are GETs: the provider's return is a navigation, and the start is a link on the
sign-in page (a form's redirect to another site would be stopped by the pages'
``form-action 'self'``). Neither changes anything a person could be tricked into: what a
return is checked against (state, nonce, PKCE's verifier) is on the server
(:mod:`pvpp.console_oidc`), bound to this browser's cookie ``pvpp_console_oidc``.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pvpp import console_oidc
from pvpp.console_auth import ConsoleSigninFailed
from pvpp.web.console_pages import signin_page
from pvpp.web.deps import (
    CONSOLE_COOKIE,
    CONSOLE_OIDC_COOKIE,
    CONSOLE_STEP_COOKIE,
    ConsoleViewer,
    cookie_name,
    lang,
    root,
    where,
)
from pvpp.web.errors import PageError

router = APIRouter()


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/console/signin/oidc")
def console_oidc_start(request: Request, person: ConsoleViewer) -> Response:
    """Off to the provider's sign-in (404 when none is configured); someone signed in to
    the console goes to its home."""
    app = root(request)
    provider = app.oidc()
    if provider is None:
        raise PageError(404, "not_found")
    if person is not None:
        return _see_other("/console")
    try:
        sid, url = console_oidc.begin(
            app.db, provider, now=app.clock.now(), settings=app.settings, lang=lang(request),
            where=where(request),
        )  # fmt: skip
    except ConsoleSigninFailed:
        return signin_page(request, errors=[("oidc", "console.oidc.failed")], status=400)
    request.state.cookies_out[CONSOLE_OIDC_COOKIE] = (sid, app.settings.console_oidc_minutes * 60)
    return _see_other(url)


@router.get("/console/signin/oidc/callback")
def console_oidc_callback(request: Request) -> Response:
    """Back from the provider: the code step (or the console, when the provider's second
    factor counts); any refusal: the sign-in page with one message, the reason in the
    audit log."""
    app = root(request)
    provider = app.oidc()
    if provider is None:
        raise PageError(404, "not_found")
    start = request.cookies.get(cookie_name(CONSOLE_OIDC_COOKIE, app.settings.cookies_secure()))
    request.state.cookies_out[CONSOLE_OIDC_COOKIE] = (None, None)
    params = {k: v for k, v in request.query_params.items() if k in ("code", "state", "error")}
    try:
        done = console_oidc.finish(
            app.db, provider, start or "", params, now=app.clock.now(), settings=app.settings,
            lang=lang(request), where=where(request), replaces=request.state.console_sid,
        )  # fmt: skip
    except ConsoleSigninFailed:
        return signin_page(request, errors=[("oidc", "console.oidc.failed")], status=400)
    if done.person is not None:
        request.state.cookies_out[CONSOLE_STEP_COOKIE] = (None, None)
        request.state.cookies_out[CONSOLE_COOKIE] = (done.sid, None)
        return _see_other("/console")
    minutes = app.settings.console_code_minutes
    request.state.cookies_out[CONSOLE_STEP_COOKIE] = (done.sid, minutes * 60)
    return _see_other("/console/signin/code")
