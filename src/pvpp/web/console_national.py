"""The console's national results pages: the rounds to choose from (``/console/national``)
and a round's national results (``/console/rounds/{round_code}/national``), with every
table downloadable as xlsx or csv, over all institutions or one table-1 group.

Every console role reads them (:data:`pvpp.access.READ_NATIONAL`). The roles that read
rounds (:data:`pvpp.access.READ_ROUNDS`) read the internal figures, institutions named;
the analyst, who reads national results only, reads them as the public will
(:func:`pvpp.console_national.withheld_view`: no table of institutions one by one, a
withheld figure shown as the marker alone; asking for the ``institutions`` or ``overdue``
table is 404). An unknown ``?group=`` is 404. Each route asks
:mod:`pvpp.console_national` and renders what it returns; reading changes nothing, so
nothing is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from pvpp import console, console_national
from pvpp.access import READ_NATIONAL, READ_ROUNDS, may, roles_with
from pvpp.console_auth import ConsolePerson
from pvpp.exports.national import (
    MEDIA_TYPES,
    TABLES,
    available,
    csv_table,
    download_name,
    national_bytes,
)
from pvpp.portal import NotFound
from pvpp.web.deps import console_person, lang, root
from pvpp.web.render import download, page

router = APIRouter()

#: Every console role reads national results (pvpp.access.READ_NATIONAL).
READERS = roles_with(READ_NATIONAL)
Reader = Annotated[ConsolePerson, Depends(console_person(*READERS))]


@router.get("/console/national")
def console_national_index(request: Request, person: Reader) -> Response:
    """Every round, newest first, each with a link to its national results."""
    with root(request).db.reading() as session:
        view = console.home(session, person)
    return page(request, "console/national_index.html.j2", "console.national.index_title",
                **view)  # fmt: skip


def _view(request: Request, code: str, person: ConsolePerson) -> tuple[dict[str, Any], str | None]:
    app = root(request)
    group = console_national.read_group(request.query_params.get("group", ""))
    with app.db.reading() as session:
        found = console_national.national_page(
            session, code, today=app.clock.today(), group=group, lang=lang(request),
            role=person.role,
        )  # fmt: skip
    return found, group


@router.get("/console/rounds/{round_code}/national")
def console_national_round(request: Request, round_code: str, person: Reader) -> Response:
    """A round's national results (``?group=`` one table-1 group)."""
    found, group = _view(request, round_code, person)
    view = found["view"]
    chart = view["chart"]
    return page(
        request, "console/national_round.html.j2", "console.national.title",
        title_values={"round": found["round"].code},
        round=found["round"], view=view, names=may(person.role, READ_ROUNDS),
        chart=Markup(chart) if chart else None,  # the project's own SVG, every text escaped
        query={"group": group} if group else {}, tables=TABLES,
        listed=view["heat_named"][: console_national.LIST_LIMIT],
    )  # fmt: skip


def _download(request: Request, round_code: str, person: ConsolePerson, suffix: str) -> Response:
    table = request.query_params.get("table") or None
    if table is not None and table not in TABLES:
        raise NotFound(table)
    found, _ = _view(request, round_code, person)
    view, code = found["view"], found["round"].code
    if table is not None and table not in available(view):
        raise NotFound(table)  # a table listing institutions, for the analyst
    if table is None and suffix == ".csv":
        table = csv_table(view)
    language = lang(request)
    data = national_bytes(view, code, suffix, lang=language, table=table,
                          names=may(person.role, READ_ROUNDS))  # fmt: skip
    name = download_name(code, suffix, lang=language, table=table)
    return download(data, MEDIA_TYPES[suffix], name)


@router.get("/console/rounds/{round_code}/national.xlsx")
def console_national_xlsx(request: Request, round_code: str, person: Reader) -> Response:
    """Every table of the round's national results (or ``?table=``) as a workbook."""
    return _download(request, round_code, person, ".xlsx")


@router.get("/console/rounds/{round_code}/national.csv")
def console_national_csv(request: Request, round_code: str, person: Reader) -> Response:
    """One table of the round's national results (``?table=``, the institutions by
    default) as CSV."""
    return _download(request, round_code, person, ".csv")
