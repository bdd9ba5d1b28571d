"""The portal's one mapping of errors to pages.

Every error ends as a readable page in the reader's language with the right status:

- :class:`PageError` (raised by the portal's own checks: not signed in 401, a refused
  form 403, too large 413) with a title and a text from the catalogue;
- :class:`pvpp.portal.NotFound`, an unknown route or a malformed id: 404, worded the same
  whether the thing does not exist or belongs to another institution;
- a link that cannot be used (:class:`pvpp.signin.SigninError`,
  :class:`pvpp.approvals.ApprovalError`): its own message, 404 for an unknown link and 410
  for one used, expired or superseded;
- :class:`pvpp.portal.NotAllowed` (seen, but not to be done by this person): 403;
- :class:`pvpp.signin.SigninLimited` (too many unknown sign-in links from this client):
  429 with ``Retry-After`` and the time to try again;
- any other :class:`~pvpp.errors.PvppError`: its message, 400.

Anything else is a bug and shows as a plain 500 page (logged by the server), never a
traceback in the browser.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from pvpp.approvals import ApprovalError
from pvpp.errors import PvppError
from pvpp.portal import NotAllowed, NotFound
from pvpp.signin import SigninError, SigninLimited
from pvpp.web.render import page

# Which catalogue texts (web.error.<key>.title / .text) each HTTP status is shown with.
_BY_STATUS = {
    400: "bad_request",
    401: "signin_required",
    403: "csrf",
    404: "not_found",
    405: "method",
    413: "too_large",
    429: "too_many",
}


class PageError(Exception):
    """A request the portal refuses: ``status`` and the key of its words
    (``web.error.<key>``); ``message``, already in the reader's language, in place of the
    key's text."""

    def __init__(self, status: int, key: str, message: str | None = None) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.message = message


def error_page(request: Request, status: int, key: str, message: str | None = None) -> Response:
    """The error page for ``status``: the catalogue's title and text for ``key``, or
    ``message`` (already in the reader's language) in place of the text."""
    response = page(
        request, "error.html.j2", f"web.error.{key}.title", status=status,
        key=key, message=message,
    )  # fmt: skip
    if status == 401:
        response.headers["WWW-Authenticate"] = 'PVPP-Link realm="pvpp"'
    return response


def _link_status(reason: str) -> int:
    return 404 if reason == "unknown" else 410


def install_handlers(app: FastAPI) -> None:
    """Register the mapping above on ``app``."""

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return error_page(request, exc.status, exc.key, exc.message)

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_page(request, 404, "not_found")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        key = _BY_STATUS.get(exc.status_code, "bad_request")
        return error_page(request, exc.status_code, key)

    async def service_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PvppError)
        if isinstance(exc, SigninError | ApprovalError):
            return error_page(request, _link_status(exc.reason), "link", exc.message)
        if isinstance(exc, SigninLimited):
            response = error_page(request, 429, "too_many", exc.message)
            response.headers["Retry-After"] = str(exc.seconds)
            return response
        if isinstance(exc, NotAllowed):
            return error_page(request, 403, "not_allowed", exc.message)
        return error_page(request, 400, "bad_request", exc.message)

    app.add_exception_handler(PageError, page_error)
    app.add_exception_handler(NotFound, not_found)
    # A path parameter of the wrong shape (/plans/abc) is a page that does not exist.
    app.add_exception_handler(RequestValidationError, not_found)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(PvppError, service_error)
