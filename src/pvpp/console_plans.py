"""The console's pages of national results across rounds: the specialised plans (RV6,
RV7) of each round and a closed round's open data, for one signed-in console person
(:class:`pvpp.console_auth.ConsolePerson`).

Routes in :mod:`pvpp.web.console_natplans` call these and render what they return. The
plans themselves are :mod:`pvpp.national_plans` (drafts, versions, edits; the rules in
:mod:`pvpp.specialised`), their documents :mod:`pvpp.documents.national_plan_pdf` and
:mod:`pvpp.exports.national_plan`, the open data :mod:`pvpp.exports.open_data`.

Who reads what (:mod:`pvpp.access`): every console role reads national results
(``READ_NATIONAL``); the coordinator alone drafts and edits (``RUN``). The institutions a
plan's needs and measures name are the internal view, for the roles that read
institutions' own data (``READ_ROUNDS``: coordinator, reviewer); an analyst reads the plan
as it is published — counts only, withheld where too few institutions are counted
(docs/disclosure.md), the same as the plan's publishable PDF.
"""

from __future__ import annotations

import io
import json
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.access import READ_ROUNDS, RUN, may
from pvpp.clock import LOCAL_ZONE
from pvpp.console_auth import ConsolePerson
from pvpp.disclosure import published_minimum
from pvpp.documents.national_plan_pdf import national_plan_pdf, plan_context, text_of
from pvpp.exports.national_plan import export_national_plan
from pvpp.exports.open_data import TABLES, WITHHELD, open_data_package
from pvpp.exports.writer import ExportError
from pvpp.i18n import day, number, t
from pvpp.national_plans import (
    DRAFT_REASON,
    NationalPlanError,
    PlanView,
    StaleVersion,
    draft_plan,
    edit_plan,
    get_plan,
    plan_history,
)
from pvpp.planning.national_library import DIRECTIONS
from pvpp.policy.models import Lang
from pvpp.portal import NotAllowed, NotFound
from pvpp.queries import closing_days, institution_names, round_by_code
from pvpp.specialised import DRAFTED, DROPPED, Edit, EditError, Measure, changed_fields
from pvpp.store.models import (
    NationalPlan,
    NationalPlanChange,
    Round,
    id_of,
)

__all__ = [
    "FORM_FIELDS",
    "MeasureForm",
    "OpenDataFile",
    "PlanDocument",
    "Refused",
    "change_rows",
    "draft",
    "measure_form",
    "open_data_file",
    "open_data_page",
    "plan_document",
    "plan_history_page",
    "plan_page",
    "plans_index",
    "save_measure",
]

#: The fields of a measure's form (the Latvian and English texts apart).
FORM_FIELDS = (
    "title_lv", "title_en", "description_lv", "description_en", "responsible", "due_on",
    "policy_measure", "items",
)  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def internal_view(person: ConsolePerson) -> bool:
    """Whether ``person`` reads the institutions a plan names (the roles that read
    institutions' own data), rather than the plan as it is published."""
    return may(person.role, READ_ROUNDS)


def _may_edit(person: ConsolePerson) -> bool:
    return may(person.role, RUN)


def _local(at: datetime) -> datetime:
    """A stored UTC time in Riga."""
    return at.replace(tzinfo=at.tzinfo or UTC).astimezone(LOCAL_ZONE)


def _round(session: Session, code: str) -> Round:
    rnd = round_by_code(session, code)
    if rnd is None:
        raise NotFound(f"no round {code!r}")
    return rnd


def _direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise NotFound(f"no direction {direction!r}")
    return direction


def _plan(session: Session, code: str, direction: str, version: int | None = None) -> PlanView:
    _round(session, code)
    try:
        return get_plan(session, code, _direction(direction), version)
    except NationalPlanError as exc:  # none drafted yet, or no such version
        raise NotFound(str(exc)) from None


# -- the plans of every round -----------------------------------------------------------


def plans_index(session: Session, person: ConsolePerson) -> dict[str, Any]:
    """Every round, newest first, with its RV6 and RV7 plans (how many versions, the
    newest: who saved it and when) and whether it is closed: three statements whatever
    the number of rounds and versions."""
    rounds = session.exec(
        select(Round).order_by(col(Round.opens_on).desc(), col(Round.code).desc())
    ).all()
    plans = session.exec(select(NationalPlan).order_by(col(NationalPlan.version))).all()
    newest: dict[tuple[int | None, str], dict[str, Any]] = {}
    for p in plans:
        newest[(p.round_id, p.direction)] = {
            "version": p.version, "saved_at": _local(p.created_at), "saved_by": p.created_by,
        }  # fmt: skip
    closed = closing_days(session)
    return {
        "rounds": [
            {
                "code": r.code,
                "opens_on": r.opens_on,
                "due_on": r.due_on,
                "closed_on": closed.get(r.code),
                "plans": {d: newest.get((r.id, d)) for d in DIRECTIONS},
            }
            for r in rounds
        ],
        "directions": DIRECTIONS,
        "may_edit": _may_edit(person),
    }


def draft(
    session: Session, person: ConsolePerson, round_code: str, direction: str, *, today: date,
    again: bool = False, where: Mapping[str, str],
) -> PlanView:  # fmt: skip
    """Draft the round's plan for ``direction`` from its gaps (``again``: a new version
    drafted afresh), as the coordinator ``person``; audited with where it came from."""
    if not _may_edit(person):
        raise NotAllowed("only a coordinator drafts a plan")
    _round(session, round_code)
    return draft_plan(
        session, round_code, _direction(direction), today=today, actor=person.actor,
        again=again, where={**where, "via": "console"},
    )  # fmt: skip


# -- a plan's page --------------------------------------------------------------------------


def _format(name: str, value: Any, view: PlanView, lang: Lang) -> str:
    """A measure field's stored value as a person reads it."""
    if value is None or value == "" or value == []:
        return t("console.natplans.empty", lang)
    if name in ("title", "description") and isinstance(value, Mapping):
        return text_of(value, lang)
    if name == "responsible":
        return view.library.body_name(str(value), lang)
    if name == "due_on":
        return day(str(value), lang)
    if name == "status":
        return t(f"natplan.status_{value}", lang)
    if name == "provisional":
        return ", ".join(t(f"natplan.field_{f}", lang) for f in value if f in DRAFTED)
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def change_rows(
    view: PlanView, changes: Sequence[tuple[int, NationalPlanChange]], lang: Lang
) -> list[dict[str, Any]]:
    """The changes (each with the version it made) as a person reads them: what kind, to
    which measure, why, who and when, and each field before and after."""
    out = []
    for version, c in changes:
        if c.kind == "draft":
            drafted = len((c.after or {}).get("measures", []))
            fields = [{"name": t("console.natplans.drafted", lang, n=drafted),
                       "before": "", "after": ""}]  # fmt: skip
        else:
            fields = [
                {
                    "name": t(f"console.natplans.field.{name}", lang),
                    "before": _format(name, old, view, lang) if c.kind != "add" else "",
                    "after": _format(name, new, view, lang),
                }
                for name, old, new in changed_fields(c.before, c.after)
                if name not in ("institutions", "template", "key")
            ]
        out.append({
            "version": version, "kind": t(f"natplan.kind_{c.kind}", lang),
            "key": c.measure_key, "who": c.actor, "at": _local(c.at),
            # The draft's own reason, in the reader's language; a person's, as they typed it.
            "reason": t("console.natplans.draft_reason", lang)
            if c.kind == "draft" and c.reason == DRAFT_REASON else c.reason,
            "fields": fields,
        })  # fmt: skip
    return out


def plan_page(
    session: Session, person: ConsolePerson, round_code: str, direction: str,
    version: int | None, *, lang: Lang, today: date,
) -> dict[str, Any]:  # fmt: skip
    """A version of the round's plan (the newest by default): the needs it was drafted
    from, its measures (provisional values marked in words), those dropped and why, what
    this version changed, the other versions. The institutions named only in the internal
    view (:func:`internal_view`); a constant number of statements."""
    view = _plan(session, round_code, direction, version)
    internal = internal_view(person)
    versions = [p.version for p in _versions(session, view)]
    codes = {c for n in view.needs for c in n.with_gap} if internal else set()
    names = institution_names(session, codes)
    context = plan_context(view, lang=lang, internal=internal, institutions=names, today=today)
    plan_title = context.pop("title")
    needs = []
    for n, row in zip(view.needs, context["needs"], strict=True):
        needs.append({
            **row,
            "names": [f"{c} {names.get(c, '')}".strip() for c in n.with_gap] if internal else [],
            "median": number(row["median_gap"], lang, 2) if row["median_gap"] is not None
            else t("disclosure.marker", lang),
            "mean": number(row["mean_gap"], lang, 2) if row["mean_gap"] is not None
            else t("disclosure.marker", lang),
        })  # fmt: skip
    newest = versions[-1]
    plan = view.plan
    return {
        **context,
        "plan_title": plan_title,
        "needs": needs,
        "direction": view.direction,
        "saved_at": _local(plan.created_at),
        "note": plan.note,
        "versions": versions,
        "newest": newest,
        "is_newest": plan.version == newest,
        "may_edit": _may_edit(person) and plan.version == newest,
        "may_draft": _may_edit(person),
        "internal_names": internal,
        "keys": [m.key for m in view.measures if m.status != DROPPED],
        "this_changes": change_rows(view, [(plan.version, c) for c in view.changes], lang),
    }


def _versions(session: Session, view: PlanView) -> list[NationalPlan]:
    return list(
        session.exec(
            select(NationalPlan)
            .where(NationalPlan.round_id == view.round.id,
                   NationalPlan.direction == view.direction)
            .order_by(col(NationalPlan.version))
        ).all()
    )  # fmt: skip


def plan_history_page(
    session: Session, person: ConsolePerson, round_code: str, direction: str, *, lang: Lang
) -> dict[str, Any]:
    """Every version of the round's plan, newest first: who saved it and when, its note,
    and what it changed (each field before and after, with the reason)."""
    view = _plan(session, round_code, direction)
    history = plan_history(session, round_code, direction)
    return {
        "round": round_code,
        "direction": direction,
        "plan_title": t(f"natplan.title_{direction}", lang),
        "versions": [
            {
                "version": p.version,
                "saved_at": _local(p.created_at),
                "saved_by": p.created_by,
                "note": p.note,
                "changes": change_rows(view, [(p.version, c) for c in changes], lang),
            }
            for p, changes in reversed(history)
        ],
    }


def changes_since(
    session: Session, round_code: str, direction: str, base: int, *, lang: Lang
) -> list[dict[str, Any]]:
    """The changes of every version after ``base``, oldest first (what someone else saved
    while a person edited ``base``)."""
    view = _plan(session, round_code, direction)
    history = plan_history(session, round_code, direction)
    later = [(p.version, c) for p, changes in history if p.version > base for c in changes]
    return change_rows(view, later, lang)


# -- editing a measure ---------------------------------------------------------------------


@dataclass
class MeasureForm:
    """A measure's form as posted: ``action`` change | drop | add; the values typed
    (:data:`FORM_FIELDS`, items as a list) and those the form showed (``shown``: only the
    fields a person changed are sent to the plan, so what someone else saved meanwhile is
    not undone by a value merely shown); ``confirm`` takes the drafted values as the
    coordinator's own; the reason; the version the form was made from."""

    action: str
    key: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    shown: dict[str, Any] = field(default_factory=dict)
    confirm: bool = False
    reason: str = ""
    base_version: int | None = None


def _form_values(m: Measure) -> dict[str, Any]:
    """A measure's values as its form shows them."""
    return {
        "title_lv": m.title.get("lv", ""),
        "title_en": m.title.get("en", ""),
        "description_lv": m.description.get("lv", ""),
        "description_en": m.description.get("en", ""),
        "responsible": m.responsible,
        "due_on": m.due_on.isoformat(),
        "policy_measure": m.policy_measure,
        "items": list(m.items),
    }


def _form_choices(view: PlanView, lang: Lang) -> dict[str, Any]:
    rv = next(rv for rv in view.policy.action_directions if rv.id == view.direction)
    item_names = {i.id: i.name.get(lang) for i in view.policy.items}
    return {
        "bodies": [(b.id, b.name.text(lang)) for b in view.library.responsible_bodies],
        "items": [(i, item_names.get(i, i)) for i in view.library.direction(view.direction).items],
        "policy_measures": [(m.id, m.text.get(lang)) for m in rv.measures],
    }


def measure_form(
    session: Session, person: ConsolePerson, round_code: str, direction: str, key: str | None,
    *, lang: Lang, form: MeasureForm | None = None, refused: Refused | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The form of measure ``key`` of the newest version (None: a new measure) and the
    choices it offers. Posted back (``form``, ``refused``): with the values typed. A form
    refused as stale is made anew from the newest version — the fields the person changed
    keep what they typed, the others show the newest values — with what changed since."""
    if not _may_edit(person):
        raise NotAllowed("only a coordinator edits a plan")
    view = _plan(session, round_code, direction)
    measure = None
    if key is not None:
        measure = next((m for m in view.measures if m.key == key), None)
        if measure is None:
            raise NotFound(f"no measure {key!r}")
    choices = _form_choices(view, lang)
    if measure is not None:
        current = _form_values(measure)
    else:
        current = {f: [] if f == "items" else "" for f in FORM_FIELDS}
        current["policy_measure"] = choices["policy_measures"][-1][0]
    base = view.plan.version
    values, shown = dict(current), dict(current)
    changes: list[dict[str, Any]] = []
    if form is not None:
        if refused is not None and refused.stale is not None:
            touched = {f for f in FORM_FIELDS if form.values.get(f) != form.shown.get(f)}
            values.update({f: form.values[f] for f in touched if f in form.values})
            if form.base_version is not None:
                changes = changes_since(session, round_code, direction, form.base_version,
                                        lang=lang)  # fmt: skip
        else:
            values.update(form.values)
            shown.update(form.shown)
            base = form.base_version if form.base_version is not None else base
    return {
        "round": round_code,
        "direction": direction,
        "plan_title": t(f"natplan.title_{direction}", lang),
        "key": key,
        "measure": measure,
        "dropped": measure is not None and measure.status == DROPPED,
        "provisional": [f for f in measure.provisional if f in DRAFTED] if measure else [],
        "provisional_words": ", ".join(
            t(f"natplan.field_{f}", lang)
            for f in (measure.provisional if measure else ())
            if f in DRAFTED
        ),
        "values": values,
        "shown": shown,
        "confirm": bool(form and form.confirm),
        "reason": form.reason if form else "",
        "base_version": base,
        "newest": view.plan.version,
        "stale_changes": changes,
        "served": len(measure.institutions) if measure else 0,
        **choices,
    }


def _texts(lv: str, en: str) -> dict[str, str]:
    return {"lv": lv, "en": en} if en.strip() else {"lv": lv}


def _edit_values(form: MeasureForm, *, all_fields: bool) -> dict[str, Any]:
    """What an edit sets: every field (a new measure), or those changed from what the form
    showed; the texts as {lv, en} (en left out when empty)."""
    typed, shown = form.values, form.shown

    def changed(*names: str) -> bool:
        return all_fields or any(typed.get(n) != shown.get(n) for n in names)

    out: dict[str, Any] = {}
    for name in ("title", "description"):
        if changed(f"{name}_lv", f"{name}_en"):
            out[name] = _texts(typed.get(f"{name}_lv", ""), typed.get(f"{name}_en", ""))
    for name in ("responsible", "due_on", "policy_measure"):
        if changed(name) and (typed.get(name) or name != "policy_measure"):
            out[name] = typed.get(name, "")
    if changed("items"):
        out["items"] = list(typed.get("items") or [])
    return out


@dataclass
class Refused(Exception):
    """A measure's form that was not saved: the errors beside their fields (form field →
    message) and for the form as a whole, in the reader's language; for a stale form, the
    version someone else saved and what they changed. Nothing was saved."""

    fields: dict[str, str]
    general: list[str]
    stale: int | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)


def _problem_text(code: str, values: Mapping[str, Any], lang: Lang) -> str:
    def shown(value: Any) -> object:
        if isinstance(value, date):
            return day(value, lang)
        return ", ".join(value) if isinstance(value, tuple) else value

    # "key" and "lang" name the catalogue's own arguments: the measure is {measure}.
    words = {"measure" if k == "key" else k: shown(v) for k, v in values.items() if k != "lang"}
    if code == "missing":
        names = [t(f"console.natplans.field.{f}", lang) for f in values["fields"]]
        words["fields"] = ", ".join(names)
    return t(f"console.natplans.problem.{code}", lang, None, **words)


def _refusal(exc: EditError, lang: Lang) -> Refused:
    fields: dict[str, str] = {}
    general: list[str] = []
    for p in exc.details:
        text = _problem_text(p.code, p.values, lang)
        if p.code == "missing":
            for f in p.values["fields"]:
                name = f"{f}_lv" if f in ("title", "description") else f
                fields.setdefault(name, t("console.natplans.problem.required", lang))
            continue
        if p.field in ("title", "description"):
            name = f"{p.field}_{p.values.get('lang', 'lv')}"
        else:
            name = p.field
        if name and (name in FORM_FIELDS or name == "reason"):
            fields.setdefault(name, text)
        else:
            general.append(text)
    if not exc.details:
        general += exc.problems
    return Refused(fields, general)


def save_measure(
    session: Session, person: ConsolePerson, round_code: str, direction: str,
    form: MeasureForm, *, today: date, lang: Lang, where: Mapping[str, str],
) -> PlanView:  # fmt: skip
    """Save ``form`` as the next version of the plan, through the plan's service (the
    rules of :func:`pvpp.specialised.apply_edits`, the version check): only the fields
    the person changed, with their reason. :class:`Refused` says why not, beside each
    field; a form made from an older version than the newest is refused with the version
    someone saved meanwhile and what they changed."""
    if not _may_edit(person):
        raise NotAllowed("only a coordinator edits a plan")
    _plan(session, round_code, direction)
    if form.action == "drop":
        edit = Edit("drop", "form", form.reason, key=form.key)
    elif form.action == "add":
        edit = Edit("add", "form", form.reason, values=_edit_values(form, all_fields=True))
    elif form.action == "change":
        values = _edit_values(form, all_fields=False)
        edit = Edit("change", "form", form.reason, key=form.key, values=values,
                    confirm=form.confirm)  # fmt: skip
    else:
        raise NotFound(f"no action {form.action!r}")
    try:
        return edit_plan(
            session, round_code, direction, [edit], today=today, actor=person.actor,
            base_version=form.base_version, where={**where, "via": "console"},
        )  # fmt: skip
    except EditError as exc:
        raise _refusal(exc, lang) from None
    except StaleVersion as exc:
        raise Refused({}, [], stale=exc.current) from None


# -- documents --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanDocument:
    """A plan version as a file to download."""

    filename: str
    media_type: str
    data: bytes


def plan_document(
    session: Session, person: ConsolePerson, round_code: str, direction: str,
    version: int | None, fmt: str, *, internal: bool, lang: Lang, today: date,
    now: datetime, where: Mapping[str, str],
) -> PlanDocument:  # fmt: skip
    """The PDF (``fmt`` "pdf") or workbook ("xlsx") of a plan version: as published, or
    (``internal``) naming the institutions served, for the roles that read them. Each
    download is in the audit log."""
    if fmt not in ("pdf", "xlsx"):
        raise NotFound(f"no format {fmt!r}")
    if internal and not internal_view(person):
        raise NotAllowed("the internal form names institutions: it is not for this role")
    view = _plan(session, round_code, direction, version)
    number_ = view.plan.version
    if fmt == "pdf":
        data = national_plan_pdf(session, round_code, direction, today=today, lang=lang,
                                 internal=internal, version=number_)  # fmt: skip
        media = "application/pdf"
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "plan.xlsx"
            export_national_plan(session, round_code, direction, path, lang=lang,
                                 internal=internal, version=number_, generated_at=now)  # fmt: skip
            data = path.read_bytes()
        media = XLSX
    kind = "-iekseja" if internal and lang == "lv" else "-internal" if internal else ""
    name = f"{round_code}-{direction}-v{number_}{kind}.{fmt}"
    audit.record(
        session, actor=person.actor, action="national_plan.download", entity="national_plan",
        key=f"{round_code}|{direction}", version=number_, format=fmt, internal=internal,
        **where,
    )  # fmt: skip
    return PlanDocument(name, media, data)


# -- open data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenDataFile:
    """A file of a round's open data to download."""

    filename: str
    media_type: str
    data: bytes


#: The open-data packages made in this process (see :func:`_package`), by database,
#: round id, closure day and language: the files, or why there are none (too few scored).
_PACKAGES: OrderedDict[tuple[str, int, date, str], dict[str, bytes] | str] = OrderedDict()
_PACKAGES_LOCK = threading.Lock()
#: The most packages kept (each a few hundred kB for a round of 1,000 institutions): the
#: rounds read recently, in two languages.
MAX_PACKAGES = 16


def _package(
    session: Session, rnd: Round, closed_on: date, lang: Lang, now: datetime
) -> dict[str, bytes]:
    """Every file of the round's open data by name, sorted (``datapackage.json`` and each
    table's CSV and JSON), as ``pvpp export open-data`` makes them; an
    :class:`~pvpp.exports.writer.ExportError` when too few institutions are scored.

    Made in memory once per process and kept: a closed round's open data never changes
    (its answer sets and plan versions are fixed at its closure, which is final,
    docs/disclosure.md), so the page and every download after the first read the same
    bytes, ``created`` in ``datapackage.json`` being when it was first made. The key holds
    the database (its URL), the round's id, its closure day and the language."""
    key = (str(session.get_bind().engine.url), id_of(rnd), closed_on, lang)
    with _PACKAGES_LOCK:
        found = _PACKAGES.get(key)
        if found is not None:
            _PACKAGES.move_to_end(key)
    if found is None:
        try:
            made = open_data_package(session, rnd.code, lang=lang, generated_at=now)
            found = dict(sorted(made.files.items()))
        except ExportError as exc:
            found = str(exc)
        with _PACKAGES_LOCK:
            _PACKAGES[key] = found
            while len(_PACKAGES) > MAX_PACKAGES:
                _PACKAGES.popitem(last=False)
    if isinstance(found, str):
        raise ExportError(found)
    return found


def open_data_page(
    session: Session, person: ConsolePerson, round_code: str, *, lang: Lang, now: datetime
) -> dict[str, Any]:
    """A round's publishable tables: each with its title, description, rows and rows
    withheld, and its files; the suppression rule in words; what the figures come from.
    A round not closed, or with too few institutions scored, says so instead."""
    rnd = _round(session, round_code)
    closed = closing_days(session, [rnd.code]).get(rnd.code)
    base = {"round": round_code, "closed_on": closed, "min": published_minimum(),
            "rule": t("opendata.suppression", lang, n=published_minimum())}  # fmt: skip
    if closed is None:
        return {**base, "problem": "not_closed", "tables": []}
    try:
        files = _package(session, rnd, closed, lang, now)
    except ExportError:  # closed, but too few institutions scored to publish anything
        return {**base, "problem": "too_few", "tables": []}
    package = json.loads(files["datapackage.json"])
    by_name = {r["name"]: r for r in package["resources"]}
    tables = []
    for name in TABLES:
        resource = by_name[f"{name.replace('_', '-')}-json"]
        rows = json.loads(files[f"{name}.json"])
        tables.append({
            "name": name,
            "title": resource["title"],
            "description": resource["description"],
            "rows": len(rows),
            "withheld": sum(1 for r in rows if r.get(WITHHELD) is True),
            "files": [(f"{name}.{fmt}", len(files[f"{name}.{fmt}"])) for fmt in ("csv", "json")],
        })  # fmt: skip
    return {
        **base,
        "problem": "",
        "rule": package["suppression"]["rule"],
        "meta": package["pvpp"],
        "licence": package["licenses"][0],
        "tables": tables,
        "package_size": len(files["datapackage.json"]),
    }


def open_data_file(
    session: Session, person: ConsolePerson, round_code: str, name: str, *, lang: Lang,
    now: datetime, where: Mapping[str, str],
) -> OpenDataFile:  # fmt: skip
    """One file of the round's open data (``datapackage.json``, ``<table>.csv`` or
    ``.json``), or all of them as one zip (``pvpp2027-<round>-open-data.zip``, the files at
    its top as the package's paths name them). Each download is in the audit log."""
    rnd = _round(session, round_code)
    archive = zip_name(rnd.code)
    known = {"datapackage.json", archive} | {f"{n}.{e}" for n in TABLES for e in ("csv", "json")}
    if name not in known:
        raise NotFound(f"no open-data file {name!r}")
    closed = closing_days(session, [rnd.code]).get(rnd.code)
    if closed is None:
        raise NotFound(f"round {round_code} is not closed")
    try:
        files = _package(session, rnd, closed, lang, now)
    except ExportError as exc:
        raise NotFound(str(exc)) from None
    if name == archive:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for file_name, data in files.items():
                z.writestr(zipfile.ZipInfo(file_name, _zip_time(now)), data,
                           compress_type=zipfile.ZIP_DEFLATED)  # fmt: skip
        result = OpenDataFile(name, "application/zip", buffer.getvalue())
    else:
        media = "text/csv; charset=utf-8" if name.endswith(".csv") else "application/json"
        result = OpenDataFile(name, media, files[name])
    audit.record(session, actor=person.actor, action="open_data.download", entity="round",
                 key=rnd.code, file=name, **where)  # fmt: skip
    return result


def zip_name(round_code: str) -> str:
    """The name of a round's open data as one zip."""
    return f"pvpp2027-{round_code.lower()}-open-data.zip"


def _zip_time(now: datetime) -> tuple[int, int, int, int, int, int]:
    local = now.astimezone(LOCAL_ZONE)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute,
            local.second)  # fmt: skip
