"""The console's review routes (``/console/review/…``): what waits for a reviewer, one
submission with its answers, changes, warnings and evidence files, and the decision
(accept, or return with comments).

Open to the roles that may review (:data:`pvpp.access.REVIEW`: the coordinator and the
reviewer; the analyst gets 403). The data comes from :mod:`pvpp.console_review`, the
decisions are :func:`pvpp.review.accept` and :func:`pvpp.review.return_submission` (the
ones the CLI calls), made by the signed-in console person (their address as the
reviewer, the request's address as where), each audited by the service.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pvpp import console_review
from pvpp.access import REVIEW, roles_with
from pvpp.console_auth import ConsolePerson
from pvpp.portal import NotFound
from pvpp.review import ReviewError, accept, return_submission
from pvpp.web.deps import console_person, lang, root, where
from pvpp.web.pages import MAX_ID
from pvpp.web.render import download, page

router = APIRouter()

#: The roles that may review (pvpp.access.REVIEW).
Reviewing = Annotated[ConsolePerson, Depends(console_person(*roles_with(REVIEW)))]
#: What a decision's form may say about the page it was made on.
NOTICES = ("accepted", "returned")


@router.get("/console/review")
def review_queue(request: Request, person: Reviewing) -> Response:
    """What waits for a reviewer in every round, oldest first."""
    app = root(request)
    with app.db.reading() as session:
        view = console_review.queue(session, lang(request))
    return page(request, "console/review_list.html.j2", "console.review.title", **view)


@router.get("/console/review/{round_code}")
def review_round(request: Request, round_code: str, person: Reviewing) -> Response:
    """What waits for a reviewer in one round (an unknown round: 404)."""
    app = root(request)
    with app.db.reading() as session:
        view = console_review.queue(session, lang(request), round_code)
    return page(request, "console/review_list.html.j2", "console.review.round_title",
                title_values={"round": round_code}, **view)  # fmt: skip


def _submission(
    request: Request,
    round_code: str,
    institution: str,
    *,
    only_changes: bool = False,
    notice: str = "",
    error: ReviewError | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    app = root(request)
    lng = lang(request)
    with app.db.reading() as session:
        view = console_review.submission_page(
            session, round_code, institution, lng, only_changes=only_changes
        )
        errors = (
            console_review.comment_errors(session, round_code, error.problems, lng)
            if error is not None and error.problems
            else []
        )
    if error is not None and error.reason == "reviewer":
        errors = [("return-comment", console_review.reviewer_error(lng))]
    name = f"{view['institution']['code']} {view['institution']['name']}"
    return page(
        request, "console/review_submission.html.j2", "console.review.submission_title",
        title_values={"institution": name, "round": round_code}, status=status,
        notice=notice, errors=errors,
        typed=typed or {"comment": "", "accept_comment": "", "items": {}}, **view,
    )  # fmt: skip


@router.get("/console/review/{round_code}/{institution}")
def review_submission(
    request: Request,
    round_code: str,
    institution: str,
    person: Reviewing,
    changes: bool = False,
    decided: str = "",
) -> Response:
    """One submission for the reviewer (``?changes=1``: only the answers that changed;
    ``?decided=accepted|returned``: after a decision, says what was done)."""
    return _submission(request, round_code, institution, only_changes=changes,
                       notice=decided if decided in NOTICES else "")  # fmt: skip


def _submission_id(form: Any) -> int:
    """The submission the decision's page showed (-1 when the form names none: then the
    service finds it is not the one waiting)."""
    value = form.get("submission")
    if isinstance(value, str) and value.isdecimal() and value.isascii() and int(value) < MAX_ID:
        return int(value)
    return -1


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _refused(
    request: Request, round_code: str, institution: str, exc: ReviewError, typed: dict[str, Any],
    only_changes: bool,
) -> Response:  # fmt: skip
    """The page again after a refused decision: the comments' problems beside their boxes
    (400, nothing typed lost), or why nothing could be decided (409)."""
    if exc.reason == "not_found":
        raise NotFound(str(exc))
    if exc.reason in ("stale", "not_waiting"):
        return _submission(request, round_code, institution, notice=exc.reason, status=409)
    return _submission(request, round_code, institution, only_changes=only_changes, error=exc,
                       typed=typed, status=400)  # fmt: skip


def _decided(round_code: str, institution: str, what: str) -> RedirectResponse:
    url = f"/console/review/{quote(round_code)}/{quote(institution)}?decided={what}"
    return RedirectResponse(url, status_code=303)


@router.post("/console/review/{round_code}/{institution}/accept")
async def review_accept(
    request: Request, round_code: str, institution: str, person: Reviewing
) -> Response:
    """Accept the submission the page showed, with the optional comment."""
    form = await request.form()
    comment = _text(form, "comment")
    app = root(request)
    try:
        with app.db.unit_of_work() as session:
            accept(
                session, round_code, institution, reviewer=person.email, comment=comment,
                now=app.clock.now(), where=where(request), submission_id=_submission_id(form),
            )  # fmt: skip
    except ReviewError as exc:
        typed = {"comment": "", "accept_comment": comment, "items": {}}
        return _refused(request, round_code, institution, exc, typed, False)
    return _decided(round_code, institution, "accepted")


@router.post("/console/review/{round_code}/{institution}/return")
async def review_return(
    request: Request, round_code: str, institution: str, person: Reviewing
) -> Response:
    """Return the submission the page showed with the comment on the whole submission
    (required) and the comments typed beside the items; the team is emailed them."""
    form = await request.form()
    comment = _text(form, "comment")
    items = console_review.typed_items(form)
    only_changes = _text(form, "changes") == "1"
    app = root(request)
    try:
        with app.db.unit_of_work() as session:
            return_submission(
                session, round_code, institution, reviewer=person.email, comment=comment,
                item_comments=items, now=app.clock.now(), settings=app.settings,
                where=where(request), submission_id=_submission_id(form),
            )  # fmt: skip
    except ReviewError as exc:
        typed = {"comment": comment, "accept_comment": "", "items": items}
        return _refused(request, round_code, institution, exc, typed, only_changes)
    return _decided(round_code, institution, "returned")


@router.get("/console/review/{round_code}/{institution}/evidence/{evidence_id:id}")
def review_evidence(
    request: Request, round_code: str, institution: str, evidence_id: int, person: Reviewing
) -> Response:
    """An evidence file of the submission's items, as an attachment of the kind its
    content was found to be (never a page the browser would show); a file of another
    institution or round named here: 404."""
    app = root(request)
    with app.db.reading() as session:
        name, media_type, data = console_review.evidence_file(
            session, round_code, institution, evidence_id
        )
    return download(data, media_type, name, untrusted=True)
