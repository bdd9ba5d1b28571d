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
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pvpp import drafts, portal, signin
from pvpp.approvals import ApprovalError
from pvpp.i18n import t
from pvpp.policy.models import Lang
from pvpp.sessions import Viewer, end_session, open_session
from pvpp.web.deps import Person, SignedIn, lang, root, where
from pvpp.web.errors import PageError
from pvpp.web.render import page

router = APIRouter()

MAX_EMAIL = 254
MAX_REASON = 2000

Text = Annotated[str, Form()]


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# -- signing in and out ------------------------------------------------------------------


@router.get("/signin")
def signin_form(request: Request, out: bool = False, kept: bool = False) -> Response:
    """The form that asks for a sign-in link (``?out=1``: after signing out; ``?kept=1``:
    after a session ended with answers in hand, which wait for the person to sign in)."""
    return page(request, "signin.html.j2", "web.signin.title", email="", error=None, out=out,
                kept=kept)  # fmt: skip


@router.post("/signin")
def signin_request(request: Request, email: Text = "") -> Response:
    """Queue a sign-in link to the address; the same answer whether or not it exists."""
    email = email.strip()
    if not email or "@" not in email or len(email) > MAX_EMAIL:
        return page(
            request, "signin.html.j2", "web.signin.title", status=400,
            email=email[:MAX_EMAIL], error=t("web.signin.no_email", lang(request)), out=False,
            kept=False,
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
        back = None
        if request.state.pending:  # answers kept when the last session ended
            back = drafts.apply_pending(
                session, request.state.pending, person, now=app.clock.now(),
                lang=lang(request), where=where(request),
            )  # fmt: skip
    request.state.session_cookie = sid
    if request.state.pending:
        request.state.pending_cookie = "clear"
    return _see_other(back or "/")


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


# -- the questionnaire online ------------------------------------------------------------


def _form_values(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf", "seen")}


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _kept(
    request: Request, assignment_id: int, values: dict[str, str], back_to: str,
    seen: int | None = None,
) -> Response:  # fmt: skip
    """Answers that arrived with a session that ended just now: kept for its person, who is
    sent to sign in again (:func:`pvpp.drafts.park`); anyone else signs in (401)."""
    app = root(request)
    sid = request.state.stale_sid
    key = None
    if sid:
        with app.db.unit_of_work() as session:
            key = drafts.park(
                session, sid, assignment_id, values, back_to=back_to,
                key=request.state.pending or None, now=app.clock.now(), seen=seen,
            )  # fmt: skip
    if key is None:
        raise PageError(401, "signin_required")
    request.state.pending_cookie = key
    # The ended session's cookie stays, so that the answers still in flight from this page
    # are kept too (the session itself is over: it opens nothing).
    request.state.session_cookie = None
    if _htmx(request):  # htmx follows this with a whole page, not into the field
        return Response(status_code=200, headers={"HX-Redirect": "/signin?kept=1"})
    return _see_other("/signin?kept=1")


def _page_view(
    session: Session, person: Viewer, assignment_id: int, page_id: str, lang: Lang,
    rows: int | None = None,
) -> tuple[str, dict[str, Any]]:  # fmt: skip
    draft = drafts.load(session, person.person, assignment_id, lang=lang)
    return _draft_view(draft, person, page_id, rows)


def _draft_view(
    draft: drafts.Draft, person: Viewer, page_id: str, rows: int | None = None
) -> tuple[str, dict[str, Any]]:
    if page_id == drafts.SERVICES:
        return "q_services.html.j2", drafts.services_page(draft, person.person, rows)
    return "q_page.html.j2", drafts.component_page(draft, person.person, page_id)


@router.get("/questionnaire")
def questionnaire_current(request: Request, person: SignedIn) -> Response:
    """The questionnaire of the institution's current round."""
    app = root(request)
    with app.db.reading() as session:
        assignment_id = drafts.current_assignment(session, person.person)
    return _see_other(f"/questionnaire/{assignment_id}")


def _overview(
    request: Request, person: Viewer, assignment_id: int, *, status: int = 200,
    missing: list[drafts.Missing] | None = None, submitted: bool = False,
) -> Response:  # fmt: skip
    app = root(request)
    with app.db.reading() as session:
        draft = drafts.load(session, person.person, assignment_id, lang=lang(request))
        view = drafts.overview(draft, person.person)
    return page(
        request, "questionnaire.html.j2", "web.q.title", status=status, page=None,
        missing=missing, submitted=submitted, **view,
    )  # fmt: skip


@router.get("/questionnaire/{assignment_id}")
def questionnaire(
    request: Request, assignment_id: int, person: SignedIn, submitted: bool = False
) -> Response:
    """The questionnaire's overview: progress per page, and the lead's submit button."""
    return _overview(request, person, assignment_id, submitted=submitted)


@router.post("/questionnaire/{assignment_id}/submit")
def questionnaire_submit(request: Request, assignment_id: int, person: SignedIn) -> Response:
    """The team lead submits the answers (:func:`pvpp.drafts.submit`); an incomplete
    draft is refused with the list of what is missing."""
    app = root(request)
    try:
        with app.db.unit_of_work() as session:
            drafts.submit(session, person.person, assignment_id, now=app.clock.now(),
                          lang=lang(request), where=where(request))  # fmt: skip
    except drafts.Incomplete as exc:
        return _overview(request, person, assignment_id, status=400, missing=exc.missing)
    return _see_other(f"/questionnaire/{assignment_id}?submitted=1")


@router.get("/questionnaire/{assignment_id}/{page_id}")
def questionnaire_page(
    request: Request, assignment_id: int, page_id: str, person: SignedIn,
    rows: int | None = None, saved: bool = False,
) -> Response:  # fmt: skip
    """One page of the questionnaire: a component's items, or the services' matrix."""
    app = root(request)
    with app.db.reading() as session:
        template, view = _page_view(session, person, assignment_id, page_id, lang(request), rows)
    return page(
        request, template, "web.q.page_title", title_values={"page": view["page"]["name"]},
        saved=saved, **view,
    )  # fmt: skip


@router.post("/questionnaire/{assignment_id}/{page_id}")
async def questionnaire_save(
    request: Request, assignment_id: int, page_id: str, person: Person, rows: int | None = None
) -> Response:
    """The page's Save button (without JavaScript): the fields changed on it are saved
    (:func:`pvpp.drafts.save_page`), then the page is shown again with its problems."""
    form = await request.form()
    values = _form_values(form)
    back = f"/questionnaire/{assignment_id}/{page_id}" + (f"?rows={rows}" if rows else "")
    posted_seen = form.get("seen")
    seen = int(posted_seen) if isinstance(posted_seen, str) and posted_seen.isdigit() else 0
    if person is None:
        return _kept(request, assignment_id, values, back, seen=seen)
    app = root(request)

    def save() -> None:
        with app.db.unit_of_work() as session:
            drafts.save_page(
                session, person.person, assignment_id, page_id, values,
                seen=seen,
                rows=rows, now=app.clock.now(), lang=lang(request), where=where(request),
            )  # fmt: skip

    await run_in_threadpool(save)
    joiner = "&" if "?" in back else "?"
    return _see_other(f"{back}{joiner}saved=1")


@router.post("/questionnaire/{assignment_id}/fields/{field_id}")
async def questionnaire_field(
    request: Request, assignment_id: int, field_id: str, person: Person
) -> Response:
    """Autosave of one field (htmx): saved (:func:`pvpp.drafts.save_field`), and its block
    returned with its message and last change, the messages of its item or service row
    and the page's progress."""
    form = await request.form()
    value = form.get(field_id, "")
    value = value if isinstance(value, str) else ""
    app = root(request)
    if person is None:
        return _kept(request, assignment_id, {field_id: value},
                     f"/questionnaire/{assignment_id}")  # fmt: skip

    def save() -> tuple[str, dict[str, Any], list[str]]:
        with app.db.unit_of_work() as session:
            draft = drafts.save_field(
                session, person.person, assignment_id, field_id, value, now=app.clock.now(),
                lang=lang(request), where=where(request),
            )  # fmt: skip
            # The draft as saved is the page's: not read again.
            page_id, view = drafts.field_block(draft, person.person, field_id)
            return page_id, view, drafts.related(draft.spec, field_id)

    page_id, view, related = await run_in_threadpool(save)
    if not _htmx(request):
        return _see_other(f"/questionnaire/{assignment_id}/{page_id}?saved=1")
    return page(request, "q_field.html.j2", "web.q.title", field_id=field_id,
                related=related, **view)  # fmt: skip
