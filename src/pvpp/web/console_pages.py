"""The ministry console's routes (``/console/…``): signing in with a password and a TOTP
code (or through OpenID Connect, :mod:`pvpp.web.console_oidc`), signing out, and the
console's pages.

Like the portal's routes, each asks a service and renders what it returns
(:mod:`pvpp.console_auth` for signing in, :mod:`pvpp.console` for the pages' data). Every
page of the console takes its person through a role guard
(:func:`pvpp.web.deps.console_person`): the console's own session, never the portal's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pvpp import console, console_auth
from pvpp.console_auth import ConsoleCodeRefused, ConsoleSigninFailed
from pvpp.i18n import t
from pvpp.web.deps import (
    CONSOLE_COOKIE,
    CONSOLE_STEP_COOKIE,
    AnyConsole,
    ConsoleViewer,
    CoordinatorOnly,
    cookie_name,
    lang,
    root,
    where,
)
from pvpp.web.render import page

router = APIRouter()

MAX_EMAIL = 254
#: Longer than any password the policy allows (pvpp.access.MAX_PASSWORD): a longer one is
#: wrong without being looked at in full.
MAX_PASSWORD_FIELD = 1024

Text = Annotated[str, Form()]


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def signin_page(
    request: Request, *, email: str = "", errors: list[tuple[str, str]] | None = None,
    status: int = 200, notice: str = "",
) -> Response:  # fmt: skip
    """The first step's page (with the OpenID Connect provider's link when one is
    configured), its errors given as (field, catalogue key)."""
    settings = root(request).settings
    provider = settings.console_oidc_name if settings.oidc_enabled() else ""
    shown = [(field, t(key, lang(request), provider=provider)) for field, key in errors or []]
    return page(
        request, "console/signin.html.j2", "console.signin.title", status=status,
        email=email[:MAX_EMAIL], errors=shown, notice=notice, oidc_provider=provider,
    )  # fmt: skip


@router.get("/console/signin")
def console_signin_form(request: Request, person: ConsoleViewer, out: bool = False) -> Response:
    """The first step: address and password (``?out=1``: after signing out). Someone
    already signed in to the console goes to its home."""
    if person is not None:
        return _see_other("/console")
    return signin_page(request, notice="out" if out else "")


@router.post("/console/signin")
def console_signin(request: Request, email: Text = "", password: Text = "") -> Response:
    """Check the address and password; on success the code step, otherwise the same
    answer whatever was wrong (:func:`pvpp.console_auth.check_password_step`)."""
    email = email.strip()
    errors = []
    if not email:
        errors.append(("email", "console.signin.no_email"))
    if not password:
        errors.append(("password", "console.signin.no_password"))
    if errors:
        return signin_page(request, email=email, errors=errors, status=400)
    app = root(request)
    try:
        sid = console_auth.check_password_step(
            app.db, email[:MAX_EMAIL], password[:MAX_PASSWORD_FIELD], now=app.clock.now(),
            settings=app.settings, lang=lang(request), where=where(request),
        )  # fmt: skip
    except ConsoleSigninFailed:
        return signin_page(request, email=email, errors=[("email", "console.signin.failed")],
                            status=400)  # fmt: skip
    minutes = app.settings.console_code_minutes
    request.state.cookies_out[CONSOLE_STEP_COOKIE] = (sid, minutes * 60)
    return _see_other("/console/signin/code")


def _step_sid(request: Request) -> str:
    name = cookie_name(CONSOLE_STEP_COOKIE, root(request).settings.cookies_secure())
    return request.cookies.get(name, "")


def _code_page(request: Request, error: str = "", status: int = 200) -> Response:
    return page(request, "console/code.html.j2", "console.code.title", status=status,
                error=error)  # fmt: skip


@router.get("/console/signin/code")
def console_code_form(request: Request) -> Response:
    """The second step: the code from the authenticator app. Without a pending sign-in
    (none, or too old), back to the first step."""
    app = root(request)
    with app.db.unit_of_work() as session:
        waiting = console_auth.pending(
            session, _step_sid(request), now=app.clock.now(), settings=app.settings
        )
    if not waiting:
        request.state.cookies_out[CONSOLE_STEP_COOKIE] = (None, None)
        return signin_page(request, notice="expired")
    return _code_page(request)


@router.post("/console/signin/code")
def console_code(request: Request, code: Text = "") -> Response:
    """Check the code: signed in (a new session id in the console's cookie), the code asked
    again (wrong or used), or the first step again (too late, locked)."""
    app = root(request)
    if not code.strip():
        return _code_page(request, "console.code.missing", status=400)
    try:
        sid, _ = console_auth.check_code_step(
            app.db, _step_sid(request), code[:100], now=app.clock.now(), settings=app.settings,
            lang=lang(request), where=where(request), replaces=request.state.console_sid,
        )  # fmt: skip
    except ConsoleCodeRefused as exc:
        return _code_page(request, f"console.code.{exc.reason}", status=400)
    except ConsoleSigninFailed as exc:
        request.state.cookies_out[CONSOLE_STEP_COOKIE] = (None, None)
        key = "console.signin.expired" if exc.reason == "expired" else "console.signin.failed"
        return signin_page(request, errors=[("email", key)], status=400)
    request.state.cookies_out[CONSOLE_STEP_COOKIE] = (None, None)
    request.state.cookies_out[CONSOLE_COOKIE] = (sid, None)
    return _see_other("/console")


@router.post("/console/signout")
def console_signout(request: Request) -> Response:
    """End the console session and clear its cookie."""
    app = root(request)
    if request.state.console_sid:
        with app.db.unit_of_work() as session:
            console_auth.end_session(session, request.state.console_sid, now=app.clock.now())
    request.state.cookies_out[CONSOLE_COOKIE] = (None, None)
    return _see_other("/console/signin?out=1")


# -- the console's pages -------------------------------------------------------------------


@router.get("/console")
def console_home(request: Request, person: AnyConsole) -> Response:
    """Every round with how many institutions are in each state."""
    app = root(request)
    with app.db.reading() as session:
        view = console.home(session, person)
    return page(request, "console/home.html.j2", "console.home.title", **view)


@router.get("/console/accounts")
def console_accounts(request: Request, person: CoordinatorOnly) -> Response:
    """The console's accounts (the coordinator's; changed with ``pvpp user``)."""
    app = root(request)
    with app.db.reading() as session:
        view = console.accounts_page(session, person)
    return page(request, "console/accounts.html.j2", "console.accounts.title", **view)
