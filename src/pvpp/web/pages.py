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

from fastapi import APIRouter, Form
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pvpp import draft_workbooks, drafts, evidence, portal, signin
from pvpp.approvals import ApprovalError
from pvpp.i18n import t
from pvpp.policy.models import Lang
from pvpp.questionnaire import filled
from pvpp.sessions import Viewer, end_session, open_session
from pvpp.signin import Person as Someone
from pvpp.web.deps import Person, SignedIn, lang, root, where
from pvpp.web.errors import PageError
from pvpp.web.render import download, page
from pvpp.workbook.guard import human_size

#: The largest id a path or a form may name: every id fits the store's INTEGER columns,
#: so a longer number is something that does not exist (404), not a database error.
MAX_ID = 10**9


class IdConvertor(Convertor[int]):
    """A stored row's id in a path (``{plan_id:id}``): one to nine ASCII digits."""

    regex = "[0-9]{1,9}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


# Registered before the routes below are made: their paths are compiled with it.
register_url_convertor("id", IdConvertor())
router = APIRouter()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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
        asked = signin.ask_links(
            session, email, now=app.clock.now(), settings=app.settings, where=where(request)
        )
    chosen = lang(request)

    def send() -> None:
        signin.send_asked(app.db, asked, lang=chosen, settings=app.settings)

    # The links are issued and their emails queued after the answer has gone: until then
    # the work is the same whether or not the address is anybody's (signin.ask_links).
    answer = page(request, "signin_sent.html.j2", "web.signin.sent_title", email=email)
    answer.background = BackgroundTask(send)
    return answer


@router.get("/signin/{token}")
def signin_confirm(request: Request, token: str) -> Response:
    """The page of a sign-in link: a button to sign in (a mail scanner that opens the link
    uses nothing). A link that cannot be used says why; a client that opened too many
    unknown links lately is asked to wait (429)."""
    app = root(request)
    signin.admit_link(
        app.db, token, client_ip=where(request)["ip"], now=app.clock.now(), lang=lang(request),
        settings=app.settings,
    )  # fmt: skip
    return page(request, "signin_confirm.html.j2", "web.signin.confirm_title", token=token)


@router.post("/signin/{token}")
def signin_use(request: Request, token: str) -> Response:
    """Use the link: a new session (replacing any this browser had), then the home page."""
    app = root(request)
    signin.admit_link(
        app.db, token, client_ip=where(request)["ip"], now=app.clock.now(), lang=lang(request),
        settings=app.settings,
    )  # fmt: skip
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


@router.get("/plans/{plan_id:id}")
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


@router.post("/plans/{plan_id:id}/decision")
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


@router.get("/plans/{plan_id:id}/pdf")
def plan_pdf(request: Request, plan_id: int, person: SignedIn) -> Response:
    """The PDF the head was sent for the version."""
    app = root(request)
    with app.db.reading() as session:
        name, data = portal.plan_pdf_file(session, person, plan_id)
    return download(data, "application/pdf", name)


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


@router.get("/plans/{plan_id:id}/shape")
def shape(request: Request, plan_id: int, person: SignedIn) -> Response:
    """The form that shapes the newest plan version, with the team's choices so far."""
    app = root(request)
    with app.db.reading() as session:
        view = portal.shaping_page(session, person, plan_id, lang=lang(request))
    return _shaping(request, view)


@router.post("/plans/{plan_id:id}/shape")
async def shape_post(request: Request, plan_id: int, person: SignedIn) -> Response:
    """ "Check" (the problems, or the warnings on the would-be plan; nothing stored),
    "Add another row" (the form again with one more own measure; nothing stored) or "Save
    as new version" (a new version through the plan sheet's service)."""
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
    if form.get("action") == "more_rows":  # one more own-measure row, all typed kept
        with app.db.reading() as session:
            view = portal.more_own_rows(session, person, plan_id, form, lang=lang(request))
        return _shaping(request, view)
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
        files = _measure_files(request, session, person.person)
    return page(request, "progress.html.j2", "web.progress.title", **view, **files)


def _measure_files(
    request: Request, session: Session, person: Someone,
    errors: dict[str, str] | None = None, notice: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What the progress page shows of the measures' evidence files."""
    return {
        "files": evidence.measure_listing(session, person, lang(request)),
        "evidence_hint": evidence.hint(root(request).settings.max_evidence_bytes, lang(request)),
        "evidence_check": evidence.browser_check(
            root(request).settings.max_evidence_bytes, lang(request)
        ),
        "evidence_errors": errors or {},
        "evidence_notice": notice,
    }


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
        files = _measure_files(request, session, person.person)
    return page(request, "progress.html.j2", "web.progress.title", status=400, **view, **files)


# -- evidence files -------------------------------------------------------------------------


def _uploads(form: FormData) -> list[evidence.Upload]:
    """The files chosen in a form's file inputs (``file:<item or measure id>``); an input
    left empty sends a part without a name, which is no file."""
    return [
        evidence.Upload(key.removeprefix("file:"), value.filename or "", value.size or 0)
        for key, value in form.multi_items()
        if key.startswith("file:") and isinstance(value, UploadFile) and value.filename
    ]


async def _read(form: FormData, upload: evidence.Upload, max_bytes: int) -> evidence.Upload:
    """The upload with its bytes, unless its size already refuses it (then it is not read)."""
    if upload.size > max_bytes:
        return upload
    for key, value in form.multi_items():
        if key == f"file:{upload.target}" and isinstance(value, UploadFile):
            return evidence.Upload(upload.target, upload.name, upload.size, await value.read())
    return upload


def _evidence_changes(
    request: Request, person: Someone, kind: str, remove: str, uploads: list[evidence.Upload],
    assignment_id: int | None = None,
) -> tuple[dict[str, str], str | None, int]:  # fmt: skip
    """Remove the file ``remove`` names, then attach each upload, each in its own
    transaction (one file refused keeps the others). Returns the refusals by target, the
    notice to show, and the status of the page (413 when a file was too large)."""
    app = root(request)
    lng = lang(request)
    notice = None
    if remove:
        # Not a number, or not a file of this institution: not found (404), as any id.
        if not (remove.isdecimal() and remove.isascii() and int(remove) < MAX_ID):
            raise portal.NotFound(f"no evidence file {remove!r}")
        try:
            with app.db.unit_of_work() as session:
                evidence.remove(
                    session, person, int(remove), today=app.today(), now=app.clock.now(),
                    lang=lng, where=where(request),
                )  # fmt: skip
            notice = "removed"
        except portal.NotFound:
            # Removed already (a double click, a colleague first): the page is shown again
            # with what was typed on it, and says so.
            with app.db.reading() as session:
                if not evidence.already_removed(session, person, int(remove)):
                    raise
            notice = "gone"
    errors: dict[str, str] = {}
    status = 200
    for upload in uploads:
        try:
            with app.db.unit_of_work() as session:
                evidence.attach(
                    session, person, kind, upload, assignment_id=assignment_id,
                    max_bytes=app.settings.max_evidence_bytes, today=app.today(),
                    now=app.clock.now(), lang=lng, where=where(request),
                )  # fmt: skip
            notice = "added"
        except evidence.EvidenceRefused as exc:
            errors[exc.target] = exc.message
            status = 413 if exc.reason == "too_large" or status == 413 else 400
        except portal.NotAllowed:
            # The answers were submitted meanwhile: the page says so beside the input.
            errors[upload.target] = t("web.evidence.closed", lng)
            status = 413 if status == 413 else 400
    return errors, notice, status


@router.post("/progress/evidence")
async def progress_evidence(request: Request, person: SignedIn) -> Response:
    """A measure's Upload or Remove button: the whole progress form comes with it, and is
    shown again as it was typed (the report itself is sent only by its own button)."""
    form = await request.form()
    app = root(request)
    max_bytes = app.settings.max_evidence_bytes
    uploads = [await _read(form, u, max_bytes) for u in _uploads(form)]
    remove = form.get("remove")
    errors, notice, status = await run_in_threadpool(
        _evidence_changes, request, person.person, evidence.MEASURE,
        remove if isinstance(remove, str) else "", uploads,
    )  # fmt: skip
    values = _form_values(form)
    with app.db.reading() as session:
        view = portal.progress_page(session, person, today=app.today(), lang=lang(request),
                                    form=values)  # fmt: skip
        files = _measure_files(request, session, person.person, errors, notice)
    return page(request, "progress.html.j2", "web.progress.title", status=status, **view,
                **files)  # fmt: skip


@router.get("/evidence")
def evidence_list(request: Request, person: SignedIn) -> Response:
    """Every evidence file of the institution's current round, to download (the head
    reads them here)."""
    app = root(request)
    with app.db.reading() as session:
        view = evidence.round_files(session, person.person, lang=lang(request))
    return page(request, "evidence.html.j2", "web.evidence.title", **view)


@router.get("/evidence/{evidence_id:id}")
def evidence_download(request: Request, evidence_id: int, person: SignedIn) -> Response:
    """One evidence file of the institution, as an attachment of the kind its content was
    found to be (never a page the browser would show)."""
    app = root(request)
    with app.db.reading() as session:
        name, media_type, data = evidence.download(session, person.person, evidence_id)
    return download(data, media_type, name, untrusted=True)


# -- the questionnaire online ------------------------------------------------------------


def _form_values(form: FormData) -> dict[str, str]:
    return {
        k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf", "seen", "shown")
    }


def _shown(form: FormData) -> tuple[int, dict[str, str] | None]:
    """What a posted page says it showed: the digest of each value (``shown``,
    :mod:`pvpp.questionnaire.filled`), or, from a page made before pages carried them, the
    newest draft row (``seen``)."""
    posted = form.get("shown")
    shown = filled.decode(posted) if isinstance(posted, str) else None
    posted_seen = form.get("seen")
    seen = (
        int(posted_seen)
        if isinstance(posted_seen, str) and posted_seen.isdecimal() and len(posted_seen) <= 9
        else 0
    )
    return seen, shown


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _kept(
    request: Request, assignment_id: int, values: dict[str, str], back_to: str,
    seen: int | None = None, shown: dict[str, str] | None = None,
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
                key=request.state.pending or None, now=app.clock.now(), seen=seen, shown=shown,
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
    rows: int | None = None, max_bytes: int = 0,
) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """A component's page or the services' matrix, with the component's evidence files."""
    draft = drafts.load(session, person.person, assignment_id, lang=lang)
    if page_id == drafts.SERVICES:
        return "q_services.html.j2", drafts.services_page(draft, person.person, rows)
    view = drafts.component_page(draft, person.person, page_id)
    view["files"] = evidence.listing(session, assignment_id, evidence.ITEM, lang)
    view["evidence_hint"] = evidence.hint(max_bytes, lang)
    view["evidence_check"] = evidence.browser_check(max_bytes, lang)
    view["evidence_errors"] = {}
    view["evidence_notice"] = None
    return "q_page.html.j2", view


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
    limit = human_size(app.settings.max_upload_bytes).text(lang(request))
    return page(
        request, "questionnaire.html.j2", "web.q.title", status=status, page=None,
        missing=missing, submitted=submitted, upload_limit=limit, **view,
    )  # fmt: skip


@router.get("/questionnaire/{assignment_id:id}")
def questionnaire(
    request: Request, assignment_id: int, person: SignedIn, submitted: bool = False
) -> Response:
    """The questionnaire's overview: progress per page, and the lead's submit button."""
    return _overview(request, person, assignment_id, submitted=submitted)


@router.post("/questionnaire/{assignment_id:id}/submit")
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


# The workbook's two routes come before the pages' (``/questionnaire/{id}/{page_id}``).


@router.get("/questionnaire/{assignment_id:id}/workbook")
def questionnaire_workbook(request: Request, assignment_id: int, person: SignedIn) -> Response:
    """The round's workbook for the institution, filled with the answers so far
    (:func:`pvpp.draft_workbooks.workbook_file`)."""
    app = root(request)
    with app.db.reading() as session:
        workbook = draft_workbooks.workbook_file(
            session, person.person, assignment_id, settings=app.settings,
            now=app.clock.now(), lang=lang(request),
        )  # fmt: skip
    with app.db.unit_of_work() as session:
        draft_workbooks.record_download(session, person.person, workbook, where=where(request))
    return download(workbook.data, XLSX, workbook.filename)


@router.post("/questionnaire/{assignment_id:id}/workbook")
async def questionnaire_upload(request: Request, assignment_id: int, person: SignedIn) -> Response:
    """A workbook uploaded into the draft (:mod:`pvpp.draft_workbooks`): refused with
    every problem, or its changed answers written and its rule breaches listed by sheet
    and cell. The guard has refused a body over the upload limit before reading it."""
    form = await request.form()
    upload = form.get("workbook")
    app = root(request)
    data, filename = b"", ""
    if isinstance(upload, UploadFile):
        # One byte over the limit is enough for the checker to say it is too large.
        data = await upload.read(app.settings.max_upload_bytes + 1)
        filename = upload.filename or ""

    def take() -> draft_workbooks.Uploaded:
        with app.db.reading() as session:
            checked = draft_workbooks.check_upload(
                session, person.person, assignment_id, data, filename=filename,
                settings=app.settings, lang=lang(request),
            )  # fmt: skip
        with app.db.unit_of_work() as session:
            return draft_workbooks.take_upload(
                session, person.person, assignment_id, checked, now=app.clock.now(),
                lang=lang(request), where=where(request),
            )  # fmt: skip

    outcome = await run_in_threadpool(take)
    with app.db.reading() as session:
        draft = drafts.load(session, person.person, assignment_id, lang=lang(request))
        view = drafts.overview(draft, person.person)
    title = "web.wb.refused_title" if outcome.refused else "web.wb.done_title"
    # The language switch leads to the overview: a GET of this path is the download.
    return page(
        request, "q_upload.html.j2", title, status=400 if outcome.refused else 200,
        page=None, outcome=outcome, path=f"/questionnaire/{assignment_id}", **view,
    )  # fmt: skip


@router.get("/questionnaire/{assignment_id:id}/{page_id}")
def questionnaire_page(
    request: Request, assignment_id: int, page_id: str, person: SignedIn,
    rows: int | None = None, saved: bool = False, evidence_done: str = "",
) -> Response:  # fmt: skip
    """One page of the questionnaire: a component's items, or the services' matrix
    (``?evidence_done=added|removed|gone``: after an evidence file's button)."""
    app = root(request)
    with app.db.reading() as session:
        template, view = _page_view(session, person, assignment_id, page_id, lang(request), rows,
                                    app.settings.max_evidence_bytes)  # fmt: skip
    if evidence_done in ("added", "removed", "gone"):
        view["evidence_notice"] = evidence_done
    return page(
        request, template, "web.q.page_title", title_values={"page": view["page"]["name"]},
        saved=saved, **view,
    )  # fmt: skip


@router.post("/questionnaire/{assignment_id:id}/{page_id}")
async def questionnaire_save(
    request: Request, assignment_id: int, page_id: str, person: Person, rows: int | None = None
) -> Response:
    """The page's Save button (without JavaScript): the fields changed on it are saved
    (:func:`pvpp.drafts.save_page`), then the page is shown again with its problems."""
    form = await request.form()
    values = _form_values(form)
    back = f"/questionnaire/{assignment_id}/{page_id}" + (f"?rows={rows}" if rows else "")
    seen, shown = _shown(form)
    if person is None:
        return _kept(request, assignment_id, values, back, seen=seen, shown=shown)
    app = root(request)

    def save() -> None:
        with app.db.unit_of_work() as session:
            drafts.save_page(
                session, person.person, assignment_id, page_id, values,
                seen=seen, shown=shown,
                rows=rows, now=app.clock.now(), lang=lang(request), where=where(request),
            )  # fmt: skip

    await run_in_threadpool(save)
    joiner = "&" if "?" in back else "?"
    return _see_other(f"{back}{joiner}saved=1")


@router.post("/questionnaire/{assignment_id:id}/fields/{field_id}")
async def questionnaire_field(
    request: Request, assignment_id: int, field_id: str, typing: bool = False
) -> Response:
    """Autosave of one field (htmx): saved (:func:`pvpp.drafts.autosave`, which reads the
    request's session in the save's own transaction: :func:`pvpp.web.deps.viewer` leaves it
    to this route), and its block returned with its message and last change, the messages
    of its item or service row and the page's progress. ``?typing=1``: a text saved as it
    is typed (or as the page is closed): only the field's status comes back, never the
    input being typed in."""
    form = await request.form()
    value = form.get(field_id, "")
    value = value if isinstance(value, str) else ""
    app = root(request)
    sid: str | None = request.state.sid
    back = f"/questionnaire/{assignment_id}"

    Saved = tuple[Viewer | None, tuple[str, dict[str, Any], list[str]] | None]

    def save(session: Session) -> Saved:
        done = drafts.autosave(
            session, sid or "", assignment_id, field_id, value, now=app.clock.now(),
            settings=app.settings, lang=lang(request), where=where(request),
        )  # fmt: skip
        if done.viewer is None or done.draft is None:
            return None, None
        # The draft as saved is the page's: not read again.
        page_id, view = drafts.field_block(done.draft, done.viewer.person, field_id)
        return done.viewer, (page_id, view, drafts.related(done.draft.spec, field_id))

    # Run again if PostgreSQL broke a deadlock (two first saves into one assignment).
    no_one: Saved = (None, None)
    person, shown = await run_in_threadpool(app.db.retrying, save) if sid else no_one
    if person is None or shown is None:
        # The session had ended (the guard checked the token against it): the answer is
        # kept for its person, as for any questionnaire form (_kept).
        request.state.sid = None
        if sid is not None:
            request.state.session_cookie = "clear"
            request.state.stale_sid = sid
        return _kept(request, assignment_id, {field_id: value}, back)
    request.state.viewer = person
    page_id, view, related = shown
    if not _htmx(request):
        return _see_other(f"/questionnaire/{assignment_id}/{page_id}?saved=1")
    template = "q_typed.html.j2" if typing else "q_field.html.j2"
    return page(request, template, "web.q.title", field_id=field_id,
                related=related, **view)  # fmt: skip


@router.post("/questionnaire/{assignment_id:id}/{page_id}/evidence")
async def questionnaire_evidence(
    request: Request, assignment_id: int, page_id: str, person: Person
) -> Response:
    """An item's Upload or Remove button. It posts the whole page (without JavaScript
    nothing typed may be lost), so the page's changed answers are saved first, as its
    Save button saves them; then the file named by ``remove`` is removed and each file
    chosen is attached to its item (:mod:`pvpp.evidence`). Back to the page; a refused
    file's message is shown beside its input."""
    form = await request.form()
    values = _form_values(form)
    back = f"/questionnaire/{assignment_id}/{page_id}"
    seen, shown = _shown(form)
    if person is None:  # the session has just ended: the answers are kept, not the files
        return _kept(request, assignment_id, values, back, seen=seen, shown=shown)
    app = root(request)
    max_bytes = app.settings.max_evidence_bytes
    uploads = [await _read(form, u, max_bytes) for u in _uploads(form)]
    remove = form.get("remove")
    remove = remove if isinstance(remove, str) else ""

    def save() -> None:
        with app.db.unit_of_work() as session:
            drafts.save_page(
                session, person.person, assignment_id, page_id, values, seen=seen,
                shown=shown, now=app.clock.now(), lang=lang(request), where=where(request),
            )  # fmt: skip

    await run_in_threadpool(save)
    errors, notice, status = await run_in_threadpool(
        _evidence_changes, request, person.person, evidence.ITEM, remove, uploads,
        assignment_id,
    )  # fmt: skip
    if not errors:
        item = form.get("item")
        anchor = f"#ev-{item}" if isinstance(item, str) and item and not remove else ""
        done = f"evidence_done={notice}" if notice else "saved=1"
        return _see_other(f"{back}?{done}{anchor}")
    with app.db.reading() as session:
        template, view = _page_view(session, person, assignment_id, page_id, lang(request),
                                    max_bytes=max_bytes)  # fmt: skip
    view["evidence_errors"] = errors
    view["evidence_notice"] = notice
    return page(
        request, template, "web.q.page_title", status=status,
        title_values={"page": view["page"]["name"]}, saved=False, **view,
    )  # fmt: skip
