"""What every route may ask of its request: the root, the language, the signed-in person,
where the request came from; and the two checks every request passes (:func:`guard`).

The session cookie holds a session id (:mod:`pvpp.sessions`); :func:`viewer` loads its
person from the store on each request, so every process of the portal sees the same
sessions and a person removed from the team is signed out on their next request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from pvpp import console_auth
from pvpp.access import COORDINATOR, ROLES
from pvpp.app import App
from pvpp.console_auth import ConsolePerson
from pvpp.evidence import human_size as evidence_size
from pvpp.i18n import t
from pvpp.policy.models import Lang
from pvpp.sessions import Viewer, csrf_ok, csrf_token, current, look
from pvpp.settings import Settings
from pvpp.web.errors import PageError
from pvpp.web.forms import read_capped_form
from pvpp.workbook.guard import human_size

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The most a form may send: the portal's forms are a few fields of text.
MAX_FORM_BYTES = 64 * 1024
#: The most fields a form may have.
MAX_FORM_FIELDS = 1000
#: The questionnaire's pages post all their fields at once (the services' matrix: 30 rows
#: of 13; a component: up to 12 items of 8, with texts of up to 4,000 characters).
QUESTIONNAIRE = "/questionnaire/"
MAX_PAGE_BYTES = 1024 * 1024
MAX_PAGE_FIELDS = 500
#: The questionnaire's workbook upload: one file of at most ``max_upload_bytes``, with the
#: form's token and the multipart framing in the margin.
WORKBOOK_UPLOAD = re.compile(r"/questionnaire/[0-9]+/workbook")
#: The autosave of one field: its route reads the session in the save's transaction.
AUTOSAVE = re.compile(r"/questionnaire/[0-9]+/fields/[^/]+")
UPLOAD_MARGIN = 64 * 1024
#: The plan's shaping form has seven fields per step, nine per own measure and two per
#: item, with free-text reasons: an average institution's plan has some 250 steps, one
#: answered 0 everywhere about 470 (3,300 fields).
SHAPE = re.compile(r"/plans/\d+/shape")
MAX_SHAPE_BYTES = 1024 * 1024
MAX_SHAPE_FIELDS = 5000
CSRF_FIELD = "csrf"
#: The forms that carry evidence files (:mod:`pvpp.evidence`): a questionnaire page's or
#: the progress report's whole form, with a file input per item or measure (a browser
#: sends every one, chosen or not). So that a file chosen too large does not lose what was
#: typed beside it, such a form is read up to :data:`EVIDENCE_READ_FACTOR` times the
#: evidence limit (plus a page), keeping at most the limit of each file
#: (:mod:`pvpp.web.forms`): the answers are saved and the file refused beside its input.
EVIDENCE_FORM = re.compile(r"/questionnaire/\d+/[^/]+/evidence|/progress/evidence")
EVIDENCE_READ_FACTOR = 10
#: The progress report posts four fields and a file input per open measure: a plan that
#: answered 0 everywhere has some 470 measures.
PROGRESS_FORM = re.compile(r"/progress(/evidence)?")
MAX_PROGRESS_FIELDS = 5000
MAX_EVIDENCE_INPUTS = 1000


def root(request: Request) -> App:
    """The composition root the app was built with."""
    app: App = request.app.state.root
    return app


def lang(request: Request) -> Lang:
    """The language of the request's page (chosen around every request, see
    :mod:`pvpp.web.app`)."""
    return "en" if request.state.lang == "en" else "lv"


def cookie_name(base: str, secure: bool) -> str:
    """``__Host-<base>`` on HTTPS (the browser then refuses the cookie from anywhere but
    this host, over anything but HTTPS, on any path but /), ``<base>`` on local http."""
    return f"__Host-{base}" if secure else base


def session_cookie(request: Request) -> str:
    return cookie_name("pvpp_session", root(request).settings.cookies_secure())


def where(request: Request) -> dict[str, str]:
    """Where a request came from, for the audit log: the client's address (as the server
    sees it; behind a proxy, uvicorn's ``--forwarded-allow-ips`` decides whom to believe)
    and its user agent."""
    client = request.client.host if request.client is not None else ""
    agent = request.headers.get("user-agent", "")[:300]
    return {"ip": client, "user_agent": agent, "via": "web"}


async def viewer(request: Request) -> Viewer | None:
    """The signed-in person of the request, or None. A session found ended (idle, too
    old, its person gone) has its cookie cleared on the response.

    A coroutine, so that a request without a session, and the autosave (which reads its
    session itself), cost no trip through the thread pool; the store is read in it."""
    sid = request.cookies.get(session_cookie(request))
    request.state.sid = None
    request.state.viewer = None
    request.state.ended_sid = None
    request.state.session_deferred = False
    if not sid:
        return None
    if request.method == "POST" and AUTOSAVE.fullmatch(request.url.path):
        # The autosave reads its session itself, in its save's transaction
        # (pvpp.drafts.autosave); the CSRF guard binds its token to the cookie's id.
        request.state.sid = sid
        request.state.session_deferred = True
        return None
    found = await run_in_threadpool(_session_viewer, root(request), sid)
    if found is None:
        request.state.session_cookie = "clear"
        # Answers posted with it are kept for its person (pvpp.drafts.park), see guard.
        request.state.ended_sid = sid
        return None
    request.state.sid = sid
    request.state.viewer = found
    return found


def _session_viewer(app: App, sid: str) -> Viewer | None:
    """The person of session ``sid`` (None: no such session, or it has ended)."""
    now = app.clock.now()
    # Most requests only read their session: one statement outside a transaction. One
    # that ends it, or notes the session's latest request, does so in a transaction.
    with app.db.snapshot() as session:
        looked = look(session, sid, now=now, settings=app.settings)
    found = looked.viewer
    if not looked.settled:
        with app.db.unit_of_work() as session:
            found = current(session, sid, now=now, settings=app.settings)
    return found


Person = Annotated[Viewer | None, Depends(viewer)]


def signed_in(person: Person) -> Viewer:
    """The signed-in person; anyone else gets the sign-in page (401)."""
    if person is None:
        raise PageError(401, "signin_required")
    return person


SignedIn = Annotated[Viewer, Depends(signed_in)]

#: The console's pages: their own session cookie (:mod:`pvpp.console_auth`), their own
#: CSRF binding.
CONSOLE = "/console"
CONSOLE_COOKIE = "pvpp_console"
#: The pending sign-in between the password and the code.
CONSOLE_STEP_COOKIE = "pvpp_console_step"
#: A sign-in begun at the OpenID Connect provider (the id of its ConsoleOidcStart).
CONSOLE_OIDC_COOKIE = "pvpp_console_oidc"


def is_console(path: str) -> bool:
    """Whether ``path`` is one of the console's (``/console`` and below)."""
    return path == CONSOLE or path.startswith(CONSOLE + "/")


async def console_viewer(request: Request) -> ConsolePerson | None:
    """The signed-in console person of the request (their own cookie, never the
    portal's), or None. A session found ended has its cookie cleared on the response.
    A coroutine: a request without a console cookie (every portal request) costs no trip
    through the thread pool."""
    request.state.console_sid = None
    request.state.console = None
    name = cookie_name(CONSOLE_COOKIE, root(request).settings.cookies_secure())
    sid = request.cookies.get(name)
    if not sid:
        return None
    app = root(request)

    def read() -> ConsolePerson | None:
        with app.db.unit_of_work() as session:
            return console_auth.current(session, sid, now=app.clock.now(), settings=app.settings)

    found = await run_in_threadpool(read)
    if found is None:
        request.state.cookies_out[CONSOLE_COOKIE] = (None, None)
        return None
    request.state.console_sid = sid
    request.state.console = found
    return found


ConsoleViewer = Annotated[ConsolePerson | None, Depends(console_viewer)]


def console_person(*roles: str) -> Callable[[ConsolePerson | None], ConsolePerson]:
    """A dependency for a console route open to ``roles`` (:data:`pvpp.access.ROLES`):
    the signed-in console person; nobody signed in to the console gets the console's
    sign-in page (401; an institution's session does not count), a person of another role
    403. Use it as ``person: Annotated[ConsolePerson, Depends(console_person(COORDINATOR,
    REVIEWER))]``, or one of :data:`AnyConsole`, :data:`CoordinatorOnly`."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"console roles are {ROLES}, not {sorted(unknown) or 'none'}")
    admitted = frozenset(roles)

    def person(found: ConsoleViewer) -> ConsolePerson:
        if found is None:
            raise PageError(401, "console_signin_required")
        if found.role not in admitted:
            raise PageError(403, "console_role")
        return found

    return person


#: Any console role (coordinator, reviewer, analyst).
AnyConsole = Annotated[ConsolePerson, Depends(console_person(*ROLES))]
#: The coordinator only.
CoordinatorOnly = Annotated[ConsolePerson, Depends(console_person(COORDINATOR))]


def _origin_ok(request: Request, public_url: str) -> bool:
    """A state-changing request must come from the portal's own pages: the browser's
    ``Sec-Fetch-Site`` must not say cross-site, and ``Origin`` (or, without it,
    ``Referer``), when sent, must be the portal's public origin or the host the request
    was sent to."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    sent = request.headers.get("origin") or request.headers.get("referer")
    if sent is None:
        return True  # not every client sends one; the token still has to match
    parts = urlsplit(sent)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    public = urlsplit(public_url)
    allowed = {
        f"{public.scheme}://{public.netloc}".lower(),
        f"{request.url.scheme}://{request.url.netloc}".lower(),
    }
    return origin in allowed


def _form_limits(path: str, settings: Settings) -> tuple[int, int, int]:
    """The most bytes, fields and files a form posted to ``path`` may have."""
    if PROGRESS_FORM.fullmatch(path):
        files = MAX_EVIDENCE_INPUTS if EVIDENCE_FORM.fullmatch(path) else 0
        extra = EVIDENCE_READ_FACTOR * settings.max_evidence_bytes if files else 0
        return extra + MAX_PAGE_BYTES, MAX_PROGRESS_FIELDS, files
    if EVIDENCE_FORM.fullmatch(path):
        most = EVIDENCE_READ_FACTOR * settings.max_evidence_bytes + MAX_PAGE_BYTES
        return most, MAX_PAGE_FIELDS, MAX_EVIDENCE_INPUTS
    if WORKBOOK_UPLOAD.fullmatch(path):
        return settings.max_upload_bytes + UPLOAD_MARGIN, MAX_FORM_FIELDS, 1
    if path.startswith(QUESTIONNAIRE):
        return MAX_PAGE_BYTES, MAX_PAGE_FIELDS, 0
    if SHAPE.fullmatch(path):
        return MAX_SHAPE_BYTES, MAX_SHAPE_FIELDS, 0
    return MAX_FORM_BYTES, MAX_FORM_FIELDS, 0


def _too_large(request: Request, path: str, settings: Settings, length: int) -> PageError:
    """413 for a form over its limit; an upload's and an evidence file's say the limit and
    what to do."""
    if EVIDENCE_FORM.fullmatch(path):
        lng = lang(request)
        message = t(
            "web.evidence.request_too_large", lng,
            limit=evidence_size(settings.max_evidence_bytes, lng), size=evidence_size(length, lng),
        )  # fmt: skip
        return PageError(413, "file_too_large", message)
    if not WORKBOOK_UPLOAD.fullmatch(path):
        return PageError(413, "too_large")
    limit = human_size(settings.max_upload_bytes).text(lang(request))
    return PageError(413, "file_too_large", t("web.wb.too_large", lang(request), limit=limit))


async def guard(request: Request, person: Person, console: ConsoleViewer) -> None:
    """Run before every route (a dependency of the whole app): gives the request its CSRF
    token, bound to the session or, without one, to the browser's own cookie; and refuses
    (403) any state-changing request that does not carry that token in its form or does
    not come from the portal's own pages, and (413) a form larger than
    :data:`MAX_FORM_BYTES` (:data:`MAX_PAGE_BYTES` for the questionnaire's pages,
    :data:`EVIDENCE_READ_FACTOR` times the evidence limit plus a page for the routes that
    take evidence files, the upload limit for the workbook), judged by its
    ``Content-Length`` before any of it is read.

    One exception, so that nothing typed is lost: answers posted to the questionnaire
    with the token of the session the browser held until this very request (it has just
    ended, idle or too old) pass, marked ``request.state.stale_sid``; the route keeps them
    for that session's person and asks them to sign in again (:func:`pvpp.drafts.park`).

    The console's forms (``/console/…``) are bound to the console's session, never the
    portal's (without one, to the browser's value), so a token of one area is refused by
    the other."""
    app = root(request)
    key = app.settings.signing_key()
    deferred = getattr(request.state, "session_deferred", False)  # see viewer
    binding: str | None = (
        request.state.sid if person is not None or deferred else request.state.browser
    )
    if is_console(request.url.path):  # the console's forms: its own session's token
        binding = request.state.console_sid if console is not None else request.state.browser
    request.state.csrf = csrf_token(key, binding) if binding else ""
    request.state.stale_sid = None
    if request.method in SAFE_METHODS:
        return
    if not _origin_ok(request, app.settings.public_url):
        raise PageError(403, "csrf")
    most_bytes, most_fields, most_files = _form_limits(request.url.path, app.settings)
    length = request.headers.get("content-length", "")
    # A form's size is known before it is read. A request that also names a transfer
    # encoding is read by that encoding, whatever its Content-Length says: refused, so the
    # stated length is the length read.
    if not (length.isdecimal() and length.isascii()) or "transfer-encoding" in request.headers:
        raise PageError(411, "bad_request")
    if int(length) > most_bytes:
        raise _too_large(request, request.url.path, app.settings, int(length))
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    if EVIDENCE_FORM.fullmatch(request.url.path) and multipart:
        form = await read_capped_form(
            request, max_file_bytes=app.settings.max_evidence_bytes, max_files=most_files,
            max_fields=most_fields,
        )  # fmt: skip
    else:
        form = await request.form(max_files=most_files, max_fields=most_fields)
    token = form.get(CSRF_FIELD)
    sent = token if isinstance(token, str) else None
    if csrf_ok(key, binding, sent):
        return
    ended = getattr(request.state, "ended_sid", None)
    path = request.url.path
    if person is None and ended and path.startswith(QUESTIONNAIRE) and csrf_ok(key, ended, sent):
        request.state.stale_sid = ended
        return
    raise PageError(403, "csrf")
