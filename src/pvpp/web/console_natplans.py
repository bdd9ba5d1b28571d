"""The console's routes for national results across rounds: the RV6/RV7 specialised plans
of each round (``/console/plans/…``: read by every console role, drafted and edited by the
coordinator, each save a new version) and a closed round's open data
(``/console/open-data/…``).

Each route asks :mod:`pvpp.console_plans` and renders what it returns; the rules are the
plans' services (:mod:`pvpp.national_plans`, :mod:`pvpp.specialised`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pvpp import console_plans
from pvpp.access import READ_NATIONAL, roles_with
from pvpp.console_auth import ConsolePerson
from pvpp.console_plans import FORM_FIELDS, MeasureForm, Refused
from pvpp.web.deps import CoordinatorOnly, console_person, lang, root, where
from pvpp.web.render import download, page

router = APIRouter()

#: The roles that read national results (pvpp.access.READ_NATIONAL): every console role.
READERS = roles_with(READ_NATIONAL)
Reader = Annotated[ConsolePerson, Depends(console_person(*READERS))]

PLAN = "/console/plans/{round_code}/{direction}"


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _plan_url(round_code: str, direction: str) -> str:
    return f"/console/plans/{quote(round_code)}/{quote(direction)}"


# -- the plans of every round ---------------------------------------------------------------


@router.get("/console/plans")
def console_plans_index(request: Request, person: Reader) -> Response:
    """Every round with its RV6 and RV7 plans and its open data."""
    app = root(request)
    with app.db.reading() as session:
        view = console_plans.plans_index(session, person)
    return page(request, "console/natplans_index.html.j2", "console.natplans.index_title",
                **view)  # fmt: skip


@router.post(PLAN + "/draft")
async def console_plan_draft(
    request: Request, round_code: str, direction: str, person: CoordinatorOnly
) -> Response:
    """Draft the plan from the round's gaps (``again``: a new version drafted afresh)."""
    app = root(request)
    form = await request.form()
    again = form.get("again") == "1"
    with app.db.unit_of_work() as session:
        view = console_plans.draft(
            session, person, round_code, direction, today=app.today(), again=again,
            where=where(request),
        )  # fmt: skip
        version = view.plan.version
    return _see_other(f"{_plan_url(round_code, direction)}?drafted={version}")


@router.get(PLAN)
def console_plan(
    request: Request, round_code: str, direction: str, person: Reader,
    version: int | None = None, saved: int | None = None, drafted: int | None = None,
) -> Response:  # fmt: skip
    """A version of the plan (the newest by default)."""
    app = root(request)
    with app.db.reading() as session:
        view = console_plans.plan_page(session, person, round_code, direction, version,
                                       lang=lang(request), today=app.today())  # fmt: skip
    return page(
        request, "console/natplans_plan.html.j2", "console.natplans.plan_title",
        title_values={"direction": direction, "round": round_code}, saved=saved,
        drafted=drafted, **view,
    )  # fmt: skip


@router.get(PLAN + "/history")
def console_plan_history(
    request: Request, round_code: str, direction: str, person: Reader
) -> Response:
    """Every version of the plan: who saved it, when, and what it changed."""
    app = root(request)
    with app.db.reading() as session:
        view = console_plans.plan_history_page(session, person, round_code, direction,
                                               lang=lang(request))  # fmt: skip
    return page(
        request, "console/natplans_history.html.j2", "console.natplans.history_title",
        title_values={"direction": direction, "round": round_code}, **view,
    )  # fmt: skip


def _document(
    request: Request, person: ConsolePerson, round_code: str, direction: str, fmt: str,
    version: int | None, internal: bool,
) -> Response:  # fmt: skip
    app = root(request)
    with app.db.unit_of_work() as session:
        doc = console_plans.plan_document(
            session, person, round_code, direction, version, fmt, internal=internal,
            lang=lang(request), today=app.today(), now=app.clock.now(), where=where(request),
        )  # fmt: skip
    return download(doc.data, doc.media_type, doc.filename)


@router.get(PLAN + "/pdf")
def console_plan_pdf(
    request: Request, round_code: str, direction: str, person: Reader,
    version: int | None = None, internal: bool = False,
) -> Response:  # fmt: skip
    """A version of the plan as a PDF: as published, or (``internal``) naming the
    institutions, for the roles that read them."""
    return _document(request, person, round_code, direction, "pdf", version, internal)


@router.get(PLAN + "/xlsx")
def console_plan_xlsx(
    request: Request, round_code: str, direction: str, person: Reader,
    version: int | None = None, internal: bool = False,
) -> Response:  # fmt: skip
    """A version of the plan as a workbook (as the PDF)."""
    return _document(request, person, round_code, direction, "xlsx", version, internal)


# -- editing a measure ----------------------------------------------------------------------


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _measure_form(form: FormData, action: str, key: str = "") -> MeasureForm:
    """The posted form as typed (nothing checked here: the plan's rules check it)."""
    values: dict[str, object] = {f: _text(form, f) for f in FORM_FIELDS if f != "items"}
    values["items"] = [v for v in form.getlist("items") if isinstance(v, str)]
    shown: dict[str, object] = {f: _text(form, f"shown_{f}") for f in FORM_FIELDS}
    shown["items"] = [i for i in _text(form, "shown_items").split(",") if i]
    base = _text(form, "base_version")
    return MeasureForm(
        action=action, key=key, values=values, shown=shown,
        confirm=_text(form, "confirm") == "1", reason=_text(form, "reason"),
        # A base that is not a number is no version the person saw: refused as stale.
        base_version=int(base) if base.isdecimal() else 0,
    )  # fmt: skip


def _form_page(
    request: Request, person: ConsolePerson, round_code: str, direction: str,
    key: str | None, *, form: MeasureForm | None = None, refused: Refused | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    app = root(request)
    with app.db.reading() as session:
        view = console_plans.measure_form(
            session, person, round_code, direction, key, lang=lang(request), form=form,
            refused=refused,
        )  # fmt: skip
    title = "console.natplans.form_title_add" if key is None else "console.natplans.form_title"
    return page(
        request, "console/natplans_measure.html.j2", title, status=status,
        title_values={"measure": key or ""}, errors=refused.fields if refused else {},
        general=refused.general if refused else [], stale=refused.stale if refused else None,
        action=form.action if form else "change", **view,
    )  # fmt: skip


async def _save(
    request: Request, person: ConsolePerson, round_code: str, direction: str, key: str | None
) -> Response:
    app = root(request)
    posted = await request.form()
    action = "add" if key is None else ("drop" if _text(posted, "action") == "drop" else "change")
    form = _measure_form(posted, action, key or "")
    try:
        with app.db.unit_of_work() as session:
            saved = console_plans.save_measure(
                session, person, round_code, direction, form, today=app.today(),
                lang=lang(request), where=where(request),
            )  # fmt: skip
            version = saved.plan.version
    except Refused as refused:  # nothing saved: the form again, as typed
        status = 409 if refused.stale is not None else 400
        return _form_page(request, person, round_code, direction, key, form=form,
                          refused=refused, status=status)  # fmt: skip
    return _see_other(f"{_plan_url(round_code, direction)}?saved={version}")


@router.get(PLAN + "/add")
def console_measure_new(
    request: Request, round_code: str, direction: str, person: CoordinatorOnly
) -> Response:
    """The form of a new measure."""
    return _form_page(request, person, round_code, direction, None)


@router.post(PLAN + "/add")
async def console_measure_add(
    request: Request, round_code: str, direction: str, person: CoordinatorOnly
) -> Response:
    """Add the measure as the next version of the plan."""
    return await _save(request, person, round_code, direction, None)


@router.get(PLAN + "/measures/{key}")
def console_measure(
    request: Request, round_code: str, direction: str, key: str, person: CoordinatorOnly
) -> Response:
    """The form of a measure of the newest version: change, confirm, drop."""
    return _form_page(request, person, round_code, direction, key)


@router.post(PLAN + "/measures/{key}")
async def console_measure_save(
    request: Request, round_code: str, direction: str, key: str, person: CoordinatorOnly
) -> Response:
    """Save the measure's change (or its drop, ``action=drop``) as the next version."""
    return await _save(request, person, round_code, direction, key)


# -- open data ----------------------------------------------------------------------------------


@router.get("/console/open-data/{round_code}")
def console_open_data(request: Request, round_code: str, person: Reader) -> Response:
    """A closed round's publishable tables, the suppression rule and the downloads."""
    app = root(request)
    with app.db.reading() as session:
        view = console_plans.open_data_page(session, person, round_code, lang=lang(request),
                                            now=app.clock.now())  # fmt: skip
    return page(
        request, "console/natplans_opendata.html.j2", "console.natplans.od_title",
        title_values={"round": round_code}, zip_name=console_plans.zip_name(round_code), **view,
    )  # fmt: skip


@router.get("/console/open-data/{round_code}/{name}")
def console_open_data_file(
    request: Request, round_code: str, name: str, person: Reader
) -> Response:
    """One file of the round's open data, or all of them as a zip."""
    app = root(request)
    with app.db.unit_of_work() as session:
        found = console_plans.open_data_file(
            session, person, round_code, name, lang=lang(request), now=app.clock.now(),
            where=where(request),
        )  # fmt: skip
    return download(found.data, found.media_type, found.filename)
