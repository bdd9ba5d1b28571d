"""Open data: the publishable aggregates of a round as CSV and JSON, described by a
Frictionless data package (``datapackage.json``) for the national open data portal.

Only what :func:`pvpp.national.aggregates` publishes goes out: the round's closure, every
figure over too few institutions withheld (``docs/disclosure.md``), no institution named;
a round that is not closed, or has too few institutions scored, publishes nothing. A
withheld figure is an empty CSV field and ``null`` in JSON, with ``withheld`` true on its
row; a whole table withheld keeps its header and no rows, and its description says so.

Each table is written twice, ``<name>.csv`` (UTF-8 without BOM, comma, decimal point,
RFC 4180 quoting, formula-neutral text as every pvpp CSV) and ``<name>.json`` (an array of
objects), both described by one Table Schema: field types, a title and description in the
package's language, and a ``unit`` where a field counts or measures something. The
package names its licence (CC BY 4.0, as data.gov.lv publishes), the suppression rule,
and the round with its policy and questionnaire versions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from pvpp.disclosure import published_minimum
from pvpp.exports.writer import ExportError, ExportSummary, check_lang, csv_field, csv_text
from pvpp.files import write_atomic
from pvpp.funding import NO_SOURCE, SEVERAL, TOTAL
from pvpp.i18n import t
from pvpp.national import aggregates
from pvpp.policy import Policy, load_policy
from pvpp.policy.models import Lang
from pvpp.questionnaire import QuestionnaireSpec, load_questionnaire
from pvpp.rounds import get_round
from pvpp.scoring import METHOD

LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
#: The field that marks a row whose figures are withheld.
WITHHELD = "withheld"


@dataclass(frozen=True)
class Field:
    """A column of an open-data table: its name, Table Schema type and unit (a catalogue
    key under ``opendata.unit``), its title from ``title_key`` (default: the export
    column's), its description ``opendata.field.<name>``."""

    name: str
    type: str
    title_key: str
    unit: str | None = None

    def schema(self, lang: Lang) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "title": t(self.title_key, lang),
            "description": t(f"opendata.field.{self.name}", lang),
        }
        if self.unit:
            out["unit"] = t(f"opendata.unit.{self.unit}", lang)
        if self.name in NULLABLE:
            out["constraints"] = {"required": False}
        else:
            out["constraints"] = {"required": True}
        return out


def _f(name: str, type_: str, title: str, unit: str | None = None) -> Field:
    return Field(name, type_, title, unit)


ITEM = _f("item", "string", "exports.column.item")
ITEM_NAME = _f("item_name", "string", "exports.column.item_name")
FLAG = _f(WITHHELD, "boolean", "opendata.withheld")
#: Fields a withheld row leaves empty.
NULLABLE = {
    "institutions_with_gap", "median_gap", "mean_gap", "unclear", "median_index",
}  # fmt: skip

TABLES: dict[str, list[Field]] = {
    "needs": [
        _f("direction", "string", "exports.column.direction"),
        ITEM,
        ITEM_NAME,
        _f("institutions_with_gap", "integer", "exports.column.with_gap", "institutions"),
        _f("institutions_rated", "integer", "exports.column.rated", "institutions"),
        _f("median_gap", "number", "exports.column.median_gap", "degrees"),
        _f("mean_gap", "number", "exports.column.mean_gap", "degrees"),
        FLAG,
    ],
    "degree_distribution": [
        ITEM,
        ITEM_NAME,
        _f("degree", "string", "opendata.degree"),
        _f("institutions", "integer", "exports.column.institutions", "institutions"),
    ],
    "unclear_questions": [
        _f("field", "string", "exports.column.field"),
        ITEM,
        _f("dimension", "string", "exports.column.dimension"),
        _f("question", "string", "exports.column.question"),
        _f("unclear", "integer", "exports.column.unclear", "institutions"),
        _f("answered", "integer", "exports.column.answered", "institutions"),
        FLAG,
    ],
    "index_by_group": [
        _f("group", "string", "exports.column.group"),
        _f("group_name", "string", "opendata.group_name"),
        _f("institutions", "integer", "exports.column.institutions", "institutions"),
        _f("median_index", "number", "exports.column.median_index", "index"),
        FLAG,
    ],
    "service_conformity": [
        _f("condition_group", "string", "exports.column.item"),
        _f("condition_group_name", "string", "exports.column.item_name"),
        _f("conforming", "integer", "exports.column.conforms", "services"),
        _f("partly", "integer", "exports.column.partly", "services"),
        _f("not_conforming", "integer", "exports.column.not_conforming", "services"),
        _f("not_applicable", "integer", "exports.column.not_applicable", "services"),
        _f("unanswered", "integer", "exports.column.unanswered", "services"),
        _f("reported", "integer", "exports.column.reported", "services"),
    ],
    "funding": [
        _f("source", "string", "exports.column.funding_source"),
        _f("source_name", "string", "exports.column.funding_source_name"),
        _f("measures", "integer", "exports.column.measures_count", "measures"),
        _f("with_amount", "integer", "exports.column.with_amount", "measures"),
        _f("eur", "integer", "exports.column.funding_total_eur", "eur"),
    ],
}


def _rows(
    view: dict[str, Any], policy: Policy, spec: QuestionnaireSpec, lang: Lang
) -> tuple[dict[str, list[list[Any]]], set[str]]:
    """Each table's rows (in its fields' order) and the tables withheld whole."""
    item_name = {i.id: i.name.get(lang) for i in policy.items}
    out: dict[str, list[list[Any]]] = {}
    out["needs"] = [
        [direction, n["item"], item_name[n["item"]], n["institutions_with_gap"],
         n["institutions_rated"], n["median_gap"], n["mean_gap"], n["withheld"]]
        for direction, key in (("RV6", "rv6_needs"), ("RV7", "rv7_needs"))
        for n in view[key]
    ]  # fmt: skip
    degrees = [str(v) for v in policy.degree_scale.values] + ["unrated"]
    out["degree_distribution"] = [
        [item.id, item.name.get(lang), d, view["degree_distribution"][item.id].get(d, 0)]
        for item in policy.items
        for d in degrees
    ]
    out["unclear_questions"] = [
        [q["field"], q["item"], q["dimension"], spec.question_text(q["field"], lang),
         q["unclear"], q["answered"], q["withheld"]]
        for q in view["unclear_questions"]
    ]  # fmt: skip
    groups = {g.id: g.name.get(lang) for g in policy.institution_groups}
    out["index_by_group"] = [
        [g, groups.get(g, g), v["institutions"], v["median_index"], v["withheld"]]
        for g, v in view["index_by_group"].items()
    ]
    withheld = set()
    conformity = view["service_conformity"]
    if conformity["suppressed"]:
        withheld.add("service_conformity")
    out["service_conformity"] = [
        [g, item_name.get(g, g), c["conforms"], c["partly"], c["not"], c["not_applicable"],
         c["unanswered"], c["reported"]]
        for g, c in conformity.get("groups", {}).items()
    ]  # fmt: skip
    funding = view["funding"]
    if funding["suppressed"]:
        withheld.add("funding")
    sources = {f.id: f.name.get(lang) for f in policy.funding_sources}
    buckets = {
        SEVERAL: t("national.funding_several", lang),
        NO_SOURCE: t("national.funding_no_source", lang),
        TOTAL: t("national.funding_total", lang),
    }
    out["funding"] = [
        [key, sources.get(key) or buckets.get(key, key), line["measures"], line["with_amount"],
         line["eur"]]
        for key, line in funding.get("sources", {}).items()
    ]  # fmt: skip
    return out, withheld


def tables(
    view: dict[str, Any], policy: Policy, spec: QuestionnaireSpec, lang: Lang
) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
    """Each table of the open data as records (field name → value; the rows of its JSON
    file), from a view of :func:`pvpp.national.aggregates` with its figures (``withheld``
    None), and the tables withheld whole. The API answers the same (docs/api.md)."""
    rows, withheld = _rows(view, policy, spec, lang)
    return {name: _records(TABLES[name], rows[name]) for name in TABLES}, withheld


def _records(fields: Sequence[Field], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip((f.name for f in fields), row, strict=True)) for row in rows]


def _csv(fields: Sequence[Field], rows: Sequence[Sequence[Any]]) -> bytes:
    """RFC 4180 CSV: UTF-8, comma, CRLF, decimal point; text quoted and formula-neutral."""

    def cell(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return csv_field(value, ".")

    lines = [",".join(csv_text(f.name) for f in fields)]
    lines += [",".join(cell(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _json(fields: Sequence[Field], rows: Sequence[Sequence[Any]]) -> bytes:
    records = _records(fields, rows)
    return (json.dumps(records, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


@dataclass(frozen=True)
class OpenDataPackage:
    """A round's open data in memory: every file by its name in the package (each table's
    CSV and JSON, then ``datapackage.json``), and the rows of each table."""

    files: dict[str, bytes]
    rows: dict[str, int]


def export_open_data(
    session: Session,
    round_code: str,
    folder: Path | str,
    *,
    lang: str = "lv",
    generated_at: datetime,
) -> ExportSummary:
    """Write the round's open data (every table as CSV and JSON, and ``datapackage.json``)
    into ``folder`` (made if missing); the rows of each table."""
    package = open_data_package(session, round_code, lang=lang, generated_at=generated_at)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, data in package.files.items():  # the description last, as it names the rest
        write_atomic(target / name, data)
    return ExportSummary(target, package.rows)


def open_data_package(
    session: Session, round_code: str, *, lang: str = "lv", generated_at: datetime
) -> OpenDataPackage:
    """The round's open data, made in memory (:func:`export_open_data` writes it): an
    :class:`~pvpp.exports.writer.ExportError` for a round not closed or with too few
    institutions scored."""
    language = check_lang(lang)
    rnd = get_round(session, round_code)
    view = aggregates(session, round_code, publish=True)
    minimum = published_minimum()
    if view["withheld"] == "open":
        raise ExportError(
            f"round {round_code} is not closed: open data is published from a closed round "
            f"only (pvpp round close {round_code})"
        )
    if view["suppressed"]:
        raise ExportError(
            f"round {round_code} has {view['institutions_scored']} institutions scored, fewer "
            f"than {minimum}: it has no publishable aggregates"
        )
    policy = load_policy(rnd.policy_version)
    spec = load_questionnaire(rnd.questionnaire_version)
    tables, withheld = _rows(view, policy, spec, language)
    files: dict[str, bytes] = {}
    resources = []
    for name, fields in TABLES.items():
        rows = tables[name]
        schema: dict[str, Any] = {
            "fields": [f.schema(language) for f in fields],
            "missingValues": [""],
        }
        description = t(f"opendata.table.{name}", language)
        if name in withheld:
            description += " " + t("opendata.table_withheld", language, n=minimum)
        for fmt, data in (("csv", _csv(fields, rows)), ("json", _json(fields, rows))):
            path = f"{name}.{fmt}"
            files[path] = data
            resource: dict[str, Any] = {
                "name": f"{name.replace('_', '-')}-{fmt}",
                "path": path,
                "profile": "tabular-data-resource",
                "title": t(f"opendata.title.{name}", language),
                "description": description,
                "format": fmt,
                "mediatype": "text/csv" if fmt == "csv" else "application/json",
                "encoding": "utf-8",
                "schema": schema,
            }
            if fmt == "csv":
                resource["dialect"] = {"delimiter": ",", "quoteChar": '"', "header": True}
            elif not rows:
                # An empty array has no table for a reader to find: the JSON of a table
                # withheld whole is a plain data resource (its CSV keeps the header).
                resource["profile"] = "data-resource"
                del resource["schema"]
            resources.append(resource)
    package = {
        # Not "tabular-data-package": the JSON of a table withheld whole is no table.
        "profile": "data-package",
        "name": f"pvpp2027-{round_code.lower()}",
        "title": t("opendata.title.package", language, round=round_code),
        "description": t("opendata.description", language, round=round_code),
        "version": "1.0.0",
        "created": generated_at.isoformat(),
        "licenses": [LICENCE],
        "keywords": ["PVPP2027", "pakalpojumu pārvaldība", "VARAM", round_code],
        "contributors": [{"title": t("opendata.publisher", language), "role": "publisher"}],
        "resources": resources,
        # What the figures come from and how they were made: the round, fixed at its
        # closure, with the versions of the policy and questionnaire it was assessed on.
        "pvpp": {
            "round": round_code,
            "closed_on": view["closed_on"],
            "policy_version": rnd.policy_version,
            "questionnaire_version": rnd.questionnaire_version,
            "scoring_method": METHOD,
            "institutions_scored": view["institutions_scored"],
            "language": language,
        },
        "suppression": {
            "min_institutions": minimum,
            "field": WITHHELD,
            "missing_value": "",
            "rule": t("opendata.suppression", language, n=minimum),
        },
    }
    text = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    files["datapackage.json"] = text.encode("utf-8")
    return OpenDataPackage(files, {name: len(rows) for name, rows in tables.items()})
