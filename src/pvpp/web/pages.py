"""The portal's routes. Each one asks a service and renders what it returns: no rule of
the programme lives here (:mod:`pvpp.signin`, :mod:`pvpp.sessions`, :mod:`pvpp.portal`,
:mod:`pvpp.approvals` hold them).

Every route runs after :func:`pvpp.web.deps.guard` (the CSRF and origin checks of every
state-changing request); the routes with an institution's data take the signed-in person
(:data:`pvpp.web.deps.SignedIn`) and the services refuse, as not found, anything of
another institution. Sign-in and approval links are credentials of their own: their
pages work without a session.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pvpp import portal, signin
from pvpp.approvals import ApprovalError
from pvpp.i18n import t
from pvpp.sessions import end_session, open_session
from pvpp.web.deps import Person, SignedIn, lang, root, where
from pvpp.web.render import page

router = APIRouter()

MAX_EMAIL = 254
MAX_REASON = 2000

Text = Annotated[str, Form()]


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# -- signing in and out ------------------------------------------------------------------


@router.get("/signin")
def signin_form(request: Request, out: bool = False) -> Response:
    """The form that asks for a sign-in link (``?out=1``: after signing out)."""
    return page(request, "signin.html.j2", "web.signin.title", email="", error=None, out=out)


@router.post("/signin")
def signin_request(request: Request, email: Text = "") -> Response:
    """Queue a sign-in link to the address; the same answer whether or not it exists."""
    email = email.strip()
    if not email or "@" not in email or len(email) > MAX_EMAIL:
        return page(
            request, "signin.html.j2", "web.signin.title", status=400,
            email=email[:MAX_EMAIL], error=t("web.signin.no_email", lang(request)), out=False,
        )  # fmt: skip
    app = root(request)
    with app.db.unit_of_work() as session:
        signin.request_links(
            session, email, now=app.clock.now(), lang=lang(request),
            settings=app.settings, where=where(request),
        )  # fmt: skip
    return page(request, "signin_sent.html.j2", "web.signin.sent_title", email=email)


@router.get("/signin/{token}")
def signin_confirm(request: Request, token: str) -> Response:
    """The page of a sign-in link: a button to sign in (a mail scanner that opens the link
    uses nothing). A link that cannot be used says why."""
    app = root(request)
    with app.db.reading() as session:
        signin.check(session, token, now=app.clock.now(), lang=lang(request))
    return page(request, "signin_confirm.html.j2", "web.signin.confirm_title", token=token)


@router.post("/signin/{token}")
def signin_use(request: Request, token: str) -> Response:
    """Use the link: a new session (replacing any this browser had), then the home page."""
    app = root(request)
    with app.db.unit_of_work() as session:
        person = signin.consume(
            session, token, now=app.clock.now(), lang=lang(request), where=where(request)
        )
        sid = open_session(
            session, person, now=app.clock.now(), where=where(request), replaces=request.state.sid
        )
    request.state.session_cookie = sid
    return _see_other("/")


@router.post("/signout")
def signout(request: Request) -> Response:
    """End the session and clear its cookie."""
    app = root(request)
    if request.state.sid:
        with app.db.unit_of_work() as session:
            end_session(session, request.state.sid, now=app.clock.now())
    request.state.session_cookie = "clear"
    return _see_other("/signin?out=1")


# -- the institution's pages -------------------------------------------------------------


@router.get("/")
def home(request: Request, person: SignedIn) -> Response:
    """The institution, its round and what is missing, its plans, its team."""
    app = root(request)
    with app.db.reading() as session:
        view = portal.home(
            session, person, today=app.today(), lang=lang(request), settings=app.settings
        )
    return page(request, "home.html.j2", "web.home.title", **view)


@router.get("/plans/{plan_id}")
def plan(request: Request, plan_id: int, person: SignedIn, shaped: bool = False) -> Response:
    """One plan version: its measures by period and its approval."""
    app = root(request)
    with app.db.reading() as session:
        view = portal.plan_page(session, person, plan_id, today=app.today(),
                                lang=lang(request))  # fmt: skip
    return page(
        request, "plan.html.j2", "web.plan.title", error=None, reason="", request_shaped=shaped,
        title_values={"version": view["plan"]["version"]}, **view,
    )  # fmt: skip


@router.post("/plans/{plan_id}/decision")
def plan_decide(
    request: Request, plan_id: int, person: SignedIn, decision: Text = "", reason: Text = ""
) -> Response:
    """The signed-in head approves the version, or sends it back to the team with a
    reason (:func:`pvpp.portal.decide_plan`); anyone else is refused."""
    app = root(request)
    error = None
    if decision not in ("approve", "refuse"):
        error = t("web.approve.no_decision", lang(request))
    else:
        try:
            with app.db.unit_of_work() as session:
                done = portal.decide_plan(
                    session, person, plan_id, approve=decision == "approve",
                    reason=reason[:MAX_REASON], lang=lang(request), settings=app.settings,
                    clock=app.clock, where=where(request),
                )  # fmt: skip
        except ApprovalError as exc:
            if exc.reason != "no_reason":
                raise
            error = exc.message
        else:
            return page(request, "approve_done.html.j2", "web.approve.done_title", decision=done)
    with app.db.reading() as session:
        view = portal.plan_page(session, person, plan_id, today=app.today(), lang=lang(request))
    return page(
        request, "plan.html.j2", "web.plan.title", status=400,
        title_values={"version": view["plan"]["version"]}, error=error, reason=reason,
        request_shaped=False, **view,
    )  # fmt: skip


@router.get("/plans/{plan_id}/pdf")
def plan_pdf(request: Request, plan_id: int, person: SignedIn) -> Response:
    """The PDF the head was sent for the version."""
    app = root(request)
    with app.db.reading() as session:
        name, data = portal.plan_pdf_file(session, person, plan_id)
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": disposition})  # fmt: skip


# -- the head's approval link ------------------------------------------------------------


def _approval(request: Request, token: str, person: Person, *, status: int = 200,
              error: str | None = None, reason: str = "") -> Response:  # fmt: skip
    app = root(request)
    with app.db.reading() as session:
        view = portal.approval_page(
            session, token, viewer=person, lang=lang(request), settings=app.settings,
            clock=app.clock,
        )  # fmt: skip
    return page(
        request, "approve.html.j2", "web.approve.title", status=status, token=token,
        error=error, reason=reason, **view,
    )  # fmt: skip


@router.get("/plans/approve/{token}")
def approval(request: Request, token: str, person: Person) -> Response:
    """The plan version of a head's approval link, with the approve and refuse forms."""
    return _approval(request, token, person)


@router.post("/plans/approve/{token}")
def approval_decide(
    request: Request, token: str, person: Person, decision: Text = "", reason: Text = ""
) -> Response:
    """Approve, or refuse with a reason, through :func:`pvpp.approvals.decide`."""
    if decision not in ("approve", "refuse"):
        message = t("web.approve.no_decision", lang(request))
        return _approval(request, token, person, status=400, error=message)
    app = root(request)
    try:
        with app.db.unit_of_work() as session:
            done = portal.decide(
                session, token, viewer=person, approve=decision == "approve",
                reason=reason[:MAX_REASON], lang=lang(request), settings=app.settings,
                clock=app.clock, where=where(request),
            )  # fmt: skip
    except ApprovalError as exc:
        if exc.reason != "no_reason":
            raise
        return _approval(request, token, person, status=400, error=exc.message, reason=reason)
    return page(request, "approve_done.html.j2", "web.approve.done_title", decision=done)


# -- the team: results, shaping the plan, reporting progress -------------------------------


@router.get("/results")
def results(request: Request, person: SignedIn) -> Response:
    """The current round's scores with their explanation and charts."""
    app = root(request)
    with app.db.reading() as session:
        view = portal.results_page(session, person, today=app.today(), lang=lang(request))
    return page(request, "results.html.j2", "web.results.title", **view)


def _shaping(request: Request, view: dict[str, Any], status: int = 200) -> Response:
    return page(
        request, "shape.html.j2", "web.shape.title", status=status,
        title_values={"version": view["plan"]["version"]}, **view,
    )  # fmt: skip


@router.get("/plans/{plan_id}/shape")
def shape(request: Request, plan_id: int, person: SignedIn) -> Response:
    """The form that shapes the newest plan version, with the team's choices so far."""
    app = root(request)
    with app.db.reading() as session:
        view = portal.shaping_page(session, person, plan_id, lang=lang(request))
    return _shaping(request, view)


@router.post("/plans/{plan_id}/shape")
async def shape_post(request: Request, plan_id: int, person: SignedIn) -> Response:
    """ "Check" (the problems, or the warnings on the would-be plan; nothing stored) or
    "Save as new version" (a new version through the plan sheet's service)."""
    form = dict((await request.form()).items())
    app = root(request)
    if form.get("action") == "save":
        with app.db.unit_of_work() as session:
            saved = portal.save_shaping(
                session, person, plan_id, form, lang=lang(request), where=where(request)
            )
        if isinstance(saved, int):
            return _see_other(f"/plans/{saved}?shaped=1")
        return _shaping(request, saved, status=400)
    with app.db.reading() as session:
        view = portal.check_shaping(session, person, plan_id, form, lang=lang(request))
    return _shaping(request, view, status=400 if view.get("errors") or view.get("general") else 200)


@router.get("/progress")
def progress(request: Request, person: SignedIn, done: int | None = None) -> Response:
    """Each open measure of the current plan with its status, to report on (RV5)."""
    app = root(request)
    with app.db.reading() as session:
        view = portal.progress_page(
            session, person, today=app.today(), lang=lang(request), done=done
        )
    return page(request, "progress.html.j2", "web.progress.title", **view)


@router.post("/progress")
async def progress_post(request: Request, person: SignedIn) -> Response:
    """The team's report, through the same service as an accepted status sheet; the
    problems beside their fields (nothing stored)."""
    form = dict((await request.form()).items())
    app = root(request)
    with app.db.unit_of_work() as session:
        outcome = portal.report_progress(
            session, person, form, today=app.today(), now=app.clock.now(),
            lang=lang(request), where=where(request),
        )  # fmt: skip
    if outcome.status == "accepted":
        return _see_other(f"/progress?done={outcome.new_plan_version or 0}")
    with app.db.reading() as session:
        view = portal.progress_page(
            session, person, today=app.today(), lang=lang(request), form=form,
            problems=outcome.problems,
        )  # fmt: skip
    return page(request, "progress.html.j2", "web.progress.title", status=400, **view)
