"""The console's rounds pages (``/console/rounds/…``): create a round, a round's page with
the coordinator's actions (launch, extend the due date, remind now, close), and its
progress with downloads of every table.

Each route asks :mod:`pvpp.console_rounds` (the pages' data) or the services it names and
renders what they return; the coordinator acts, the reviewer reads, the analyst is refused
(403). Every action is audited by its service with the console person and their address.
An in-process launch runs after its answer, as the response's background task: the round's
page tells how it stands from the audit log (:func:`pvpp.launch.launch_status`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pvpp import console_rounds, launch, round_actions
from pvpp.access import READ_ROUNDS, roles_with
from pvpp.console_auth import ConsolePerson
from pvpp.i18n import t
from pvpp.launch import LaunchError
from pvpp.web.deps import CoordinatorOnly, console_person, lang, root, where
from pvpp.web.render import download, page

router = APIRouter()

#: The roles that read a round and its progress (pvpp.access.READ_ROUNDS: the coordinator
#: and the reviewer).
RoundReader = Annotated[ConsolePerson, Depends(console_person(*roles_with(READ_ROUNDS)))]
Text = Annotated[str, Form()]
#: What a redirect after an action may say on the round's page.
DONE = ("created", "launch", "queued", "extend", "remind", "close")
#: What a redirect after a milestone's change may say on the progress page.
MILESTONE_DONE = ("milestone", "milestone_unchanged")


def _see_other(path: str, **query: str | int) -> RedirectResponse:
    suffix = f"?{urlencode(query)}" if query else ""
    return RedirectResponse(path + suffix, status_code=303)


def _round_url(code: str) -> str:
    return f"/console/rounds/{quote(code, safe='')}"


# -- a new round -------------------------------------------------------------------------


@router.get("/console/rounds/new")
def console_round_new(request: Request, person: CoordinatorOnly) -> Response:
    """The new round's form, with the scope the registry gives it by RV1."""
    app = root(request)
    with app.db.reading() as session:
        view = console_rounds.new_round_page(session, today=app.clock.today(), lang=lang(request))
    return page(request, "console/rounds_new.html.j2", "console.rounds.new.title", **view)


@router.post("/console/rounds/new")
def console_round_create(
    request: Request, person: CoordinatorOnly, code: Text = "", due: Text = "",
    version: Text = "", review: Text = "",
) -> Response:  # fmt: skip
    """Create the round, or the form again with what is wrong beside each field."""
    values = {"code": code, "due": due, "version": version, "review": review}
    app = root(request)
    today = app.clock.today()
    report = None
    with app.db.unit_of_work() as session:
        form, errors = console_rounds.read_new_round(session, values, today=today)
        if not errors:
            report = console_rounds.create_from_form(
                session, form, today=today, person=person, ip=where(request)["ip"]
            )
    if report is None:
        with app.db.reading() as session:
            view = console_rounds.new_round_page(
                session, today=today, lang=lang(request), form=form, errors=errors
            )
        return page(request, "console/rounds_new.html.j2", "console.rounds.new.title",
                    status=400, **view)  # fmt: skip
    return _see_other(_round_url(report.round.code), done="created")


# -- a round's page and its actions ------------------------------------------------------


def _round_page(
    request: Request, code: str, *, status: int = 200, errors: list[tuple[str, str]] | None = None,
    typed: dict[str, str] | None = None, refused: str = "",
) -> Response:  # fmt: skip
    app = root(request)
    lng = lang(request)
    with app.db.reading() as session:
        view = console_rounds.round_page(
            session, code, today=app.clock.today(), settings=app.settings, lang=lng
        )
    runs = console_rounds.prefect_links(view["round"].code, app.settings)
    done = request.query_params.get("done", "")
    count = request.query_params.get("n", "")
    return page(
        request, "console/rounds_round.html.j2", "console.rounds.round.title", status=status,
        title_values={"round": view["round"].code}, runs=runs,
        done=done if done in DONE else "", done_n=int(count) if count.isdecimal() else 0,
        errors=[(f, t(key, lng)) for f, key in errors or []], typed=typed or {},
        refused=refused, **view,
    )  # fmt: skip


@router.get("/console/rounds/{code}")
def console_round(request: Request, code: str, person: RoundReader) -> Response:
    """A round: its state, due date, counts, launch, Prefect runs; the coordinator's
    actions."""
    return _round_page(request, code)


@router.post("/console/rounds/{code}/launch")
def console_round_launch(
    request: Request, code: str, person: CoordinatorOnly, tasks: BackgroundTasks
) -> Response:
    """Launch the round: a queued run of the launch deployment when a Prefect server is
    configured, otherwise in this process after the answer (the page then shows it in
    progress, done or failed)."""
    app = root(request)
    with app.db.reading() as session:
        code = console_rounds.find_round(session, code).code
    try:
        done = launch.launch_round(
            code, settings=app.settings, db=app.db, today=app.clock.today(),
            actor=person.actor, ip=where(request)["ip"], background=tasks.add_task,
        )  # fmt: skip
    except LaunchError as exc:
        return _round_page(request, code, status=409, refused=f"launch_{exc.reason}")
    return _see_other(_round_url(code), done="queued" if done.via == "prefect" else "launch")


@router.post("/console/rounds/{code}/extend")
def console_round_extend(
    request: Request, code: str, person: CoordinatorOnly, due: Text = "", reason: Text = ""
) -> Response:
    """A later due date with its reason; the teams whose move it is are told by email."""
    due = due[:20]
    app = root(request)
    today = app.clock.today()
    done = None
    with app.db.unit_of_work() as session:
        rnd = console_rounds.find_round(session, code)
        new, errors = console_rounds.extension_errors(session, rnd.code, due, reason, today=today)
        if not errors and new is not None:
            done = round_actions.extend_due(
                session, rnd.code, due_on=new, reason=reason, today=today, settings=app.settings,
                actor=person.actor, ip=where(request)["ip"],
            )  # fmt: skip
    if done is None:
        typed = {"due": due, "reason": reason[: round_actions.MAX_REASON]}
        return _round_page(request, rnd.code, status=400, errors=errors, typed=typed)
    return _see_other(_round_url(rnd.code), done="extend", n=sum(new_ for _, new_ in done.queued))


def _confirm(request: Request, code: str, action: str) -> Response:
    app = root(request)
    with app.db.reading() as session:
        view = console_rounds.round_page(
            session, code, today=app.clock.today(), settings=app.settings, lang=lang(request)
        )
    return page(
        request, "console/rounds_confirm.html.j2", f"console.rounds.{action}.title",
        title_values={"round": view["round"].code}, action=action, **view,
    )  # fmt: skip


@router.get("/console/rounds/{code}/remind")
def console_round_remind_confirm(request: Request, code: str, person: CoordinatorOnly) -> Response:
    """Asks before sending: how many institutions would get a reminder now."""
    return _confirm(request, code, "remind")


@router.post("/console/rounds/{code}/remind")
def console_round_remind(request: Request, code: str, person: CoordinatorOnly) -> Response:
    """Queue today's reminder to every team that owes its self-assessment."""
    app = root(request)
    with app.db.unit_of_work() as session:
        rnd = console_rounds.find_round(session, code)
        done = round_actions.remind_now(
            session, rnd.code, today=app.clock.today(), settings=app.settings,
            actor=person.actor, ip=where(request)["ip"],
        )  # fmt: skip
    return _see_other(_round_url(rnd.code), done="remind", n=sum(new for _, new in done))


@router.get("/console/rounds/{code}/close")
def console_round_close_confirm(request: Request, code: str, person: CoordinatorOnly) -> Response:
    """Asks before closing the round for publication (final)."""
    return _confirm(request, code, "close")


@router.post("/console/rounds/{code}/close")
def console_round_close(request: Request, code: str, person: CoordinatorOnly) -> Response:
    """Close the round for publication (only after its due date; once)."""
    app = root(request)
    today = app.clock.today()
    with app.db.unit_of_work() as session:
        rnd = console_rounds.find_round(session, code)
        refused = console_rounds.close(session, rnd.code, today=today, person=person)
    if refused:
        return _round_page(request, rnd.code, status=409, refused=refused)
    return _see_other(_round_url(rnd.code), done="close")


# -- progress ----------------------------------------------------------------------------


@router.get("/console/rounds/{code}/progress")
def console_round_progress(request: Request, code: str, person: RoundReader) -> Response:
    """The round's progress, filtered by the query string's group, state and name."""
    app = root(request)
    filters = console_rounds.read_filters(request.query_params)
    with app.db.reading() as session:
        view = console_rounds.progress_page(
            session, code, today=app.clock.today(), filters=filters, lang=lang(request),
            settings=app.settings, person=person,
        )  # fmt: skip
    done = request.query_params.get("done", "")
    measure = request.query_params.get("measure", "")
    known = {m["measure"] for m in view["view"].milestones}
    return page(
        request, "console/rounds_progress.html.j2", "console.rounds.progress.title",
        title_values={"round": view["round"].code}, status=400 if view["errors"] else 200,
        done=done if done in MILESTONE_DONE and measure in known else "", done_measure=measure,
        **view,
    )  # fmt: skip


# -- a national milestone ----------------------------------------------------------------


@router.get("/console/rounds/{code}/milestones/{measure}")
def console_milestone(
    request: Request, code: str, measure: str, person: CoordinatorOnly
) -> Response:
    """A national milestone's form: its state, due date and note."""
    app = root(request)
    with app.db.reading() as session:
        view = console_rounds.milestone_page(
            session, code, measure, today=app.clock.today(), lang=lang(request)
        )
    return page(
        request, "console/rounds_milestone.html.j2", "console.rounds.milestone.title",
        title_values={"round": view["round"].code, "measure": view["milestone"]["measure"]},
        **view,
    )  # fmt: skip


@router.post("/console/rounds/{code}/milestones/{measure}")
def console_milestone_save(
    request: Request, code: str, measure: str, person: CoordinatorOnly, state: Text = "",
    due: Text = "", note: Text = "",
) -> Response:  # fmt: skip
    """Save the milestone's state, due date and note, or the form again with what is wrong
    beside each field; back to the progress page's milestones."""
    app = root(request)
    today = app.clock.today()
    form, errors = console_rounds.read_milestone_form({"state": state, "due": due, "note": note})
    changed = None
    with app.db.unit_of_work() as session:
        rnd = console_rounds.find_round(session, code)
        if not errors:
            changed = console_rounds.save_milestone(
                session, rnd.code, measure, form, today=today, person=person,
                ip=where(request)["ip"],
            )  # fmt: skip
    if changed is None:
        with app.db.reading() as session:
            view = console_rounds.milestone_page(
                session, rnd.code, measure, today=today, lang=lang(request), form=form,
                errors=errors,
            )  # fmt: skip
        return page(
            request, "console/rounds_milestone.html.j2", "console.rounds.milestone.title",
            title_values={"round": rnd.code, "measure": view["milestone"]["measure"]},
            status=400, **view,
        )  # fmt: skip
    done = "milestone" if changed else "milestone_unchanged"
    url = f"{_round_url(rnd.code)}/progress?{urlencode({'done': done, 'measure': measure})}"
    return RedirectResponse(url + "#milestones-title", status_code=303)


def _download(request: Request, code: str, suffix: str) -> Response:
    app = root(request)
    filters = console_rounds.read_filters(request.query_params)
    table = request.query_params.get("table") or None
    with app.db.reading() as session:
        data, media_type, name = console_rounds.progress_download(
            session, code, today=app.clock.today(), filters=filters, lang=lang(request),
            suffix=suffix, table=table,
        )  # fmt: skip
    return download(data, media_type, name)


@router.get("/console/rounds/{code}/progress.xlsx")
def console_round_progress_xlsx(request: Request, code: str, person: RoundReader) -> Response:
    """Every table of the progress (or ``?table=``) as a workbook, with the page's filters."""
    return _download(request, code, ".xlsx")


@router.get("/console/rounds/{code}/progress.csv")
def console_round_progress_csv(request: Request, code: str, person: RoundReader) -> Response:
    """One table of the progress (``?table=``, the institutions by default) as CSV."""
    return _download(request, code, ".csv")
