"""The console's pages of national results across rounds (``/console/trends…``): the
trend between rounds chosen with a form (and its tables as xlsx/csv), a round's
institutions, and an institution's standing in its group in a round.

Every console role reads the trend (:data:`pvpp.access.READ_NATIONAL`); what names
institutions — the jump warnings' names, the round's institutions and one's standing — is
for the roles that read institutions' own data (:data:`pvpp.access.READ_ROUNDS`:
coordinator, reviewer), as the RV6/RV7 plans' internal view is. Each route asks
:mod:`pvpp.console_trends` and renders what it returns; nothing changes, so nothing is
audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from pvpp import console_trends
from pvpp.access import READ_NATIONAL, READ_ROUNDS, roles_with
from pvpp.console_auth import ConsolePerson
from pvpp.web.deps import console_person, lang, root
from pvpp.web.render import download, page

router = APIRouter()

#: The roles that read national results (pvpp.access.READ_NATIONAL): every console role.
READERS = roles_with(READ_NATIONAL)
Reader = Annotated[ConsolePerson, Depends(console_person(*READERS))]
#: The roles that read institutions' own data (READ_ROUNDS: coordinator, reviewer): an
#: institution's standing, the round's institutions, the jump warnings' names.
NAMING = roles_with(READ_ROUNDS)
Naming = Annotated[ConsolePerson, Depends(console_person(*NAMING))]


def _asked(request: Request) -> list[str]:
    """The rounds the form ticked (``rounds``, repeated)."""
    return request.query_params.getlist("rounds")


@router.get("/console/trends")
def console_trends_page(request: Request, person: Reader) -> Response:
    """Rounds compared: the form to choose them, the tables, the charts."""
    app = root(request)
    with app.db.reading() as session:
        view = console_trends.trend_page(
            session, _asked(request), lang=lang(request), internal=person.role in NAMING
        )
    status = 400 if view["error"] and request.query_params.getlist("rounds") else 200
    return page(request, "console/trends_index.html.j2", "console.trends.title",
                status=status, **view)  # fmt: skip


def _download(request: Request, person: ConsolePerson, suffix: str) -> Response:
    app = root(request)
    table = request.query_params.get("table") or None
    with app.db.reading() as session:
        data, media_type, name = console_trends.trend_download(
            session, _asked(request), lang=lang(request), suffix=suffix, table=table,
            internal=person.role in NAMING,
        )  # fmt: skip
    return download(data, media_type, name)


@router.get("/console/trends.xlsx")
def console_trends_xlsx(request: Request, person: Reader) -> Response:
    """Every table of the trend (or ``?table=``) as a workbook, for the rounds chosen."""
    return _download(request, person, ".xlsx")


@router.get("/console/trends.csv")
def console_trends_csv(request: Request, person: Reader) -> Response:
    """One table of the trend (``?table=``, the items by default) as CSV."""
    return _download(request, person, ".csv")


@router.get("/console/trends/{round_code}/institutions")
def console_trends_institutions(request: Request, round_code: str, person: Naming) -> Response:
    """The round's institutions, filtered by name and group, each linked to its standing."""
    app = root(request)
    filters = console_trends.InstitutionFilter.read(request.query_params)
    with app.db.reading() as session:
        view = console_trends.institutions_page(session, round_code, filters, lang=lang(request))
    return page(request, "console/trends_institutions.html.j2",
                "console.trends.institutions.title", title_values={"round": view["round"]},
                **view)  # fmt: skip


@router.get("/console/trends/{round_code}/institutions/{institution}")
def console_trends_position(
    request: Request, round_code: str, institution: str, person: Naming
) -> Response:
    """An institution's standing in its group in the round, per component and item."""
    app = root(request)
    with app.db.reading() as session:
        view = console_trends.position_page(session, round_code, institution, lang=lang(request))
    return page(
        request, "console/trends_position.html.j2", "console.trends.position.title",
        title_values={"institution": view["institution"]["code"], "round": view["round"]},
        **view,
    )  # fmt: skip
