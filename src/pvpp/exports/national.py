"""The console's national results of a round (:func:`pvpp.console_national.national_view`)
as Excel or CSV: every table of the page, Latvian by default and English on request.

A workbook holds every table as a sheet (or the one asked for); a CSV holds one table
(``institutions`` unless another is named). The tables, by name: ``summary``,
``distribution``, ``heat``, ``institutions``, ``gaps``, ``needs``, ``services``,
``overdue``, ``unclear``. They are the internal figures, as the page shows them: a column
"publishable" says which a publication would withhold (:mod:`pvpp.disclosure`).
Institutions' names are written only for the readers the page shows them to (``names``).
A view as a reader of national results only gets it
(:func:`pvpp.console_national.withheld_view`) has no ``institutions`` or ``overdue``
table (:func:`available`) and the marker in place of each withheld figure.
"""

from __future__ import annotations

import io
from typing import Any

from pvpp.exports.progress import MEDIA_TYPES, Table
from pvpp.exports.writer import (
    Column,
    check_lang,
    code_col,
    col,
    csv_bytes,
    download_suffix,
    new_sheet,
    new_workbook,
    write_pairs,
    write_table,
)
from pvpp.i18n import t
from pvpp.policy.models import Lang

__all__ = [
    "MEDIA_TYPES",
    "TABLES",
    "available",
    "csv_table",
    "download_name",
    "national_bytes",
    "tables",
]

TABLES = ("summary", "distribution", "heat", "institutions", "gaps", "needs", "services",
          "overdue", "unclear")  # fmt: skip
#: The table a CSV holds when none is named.
DEFAULT_CSV_TABLE = "institutions"


#: The tables that list institutions one by one: not in a view without them.
INTERNAL_TABLES = ("institutions", "overdue")


def available(view: dict[str, Any]) -> tuple[str, ...]:
    """The tables the view has: all of :data:`TABLES`, or without :data:`INTERNAL_TABLES`
    when the view is not the internal one."""
    if view.get("internal", True):
        return TABLES
    return tuple(n for n in TABLES if n not in INTERNAL_TABLES)


def csv_table(view: dict[str, Any]) -> str:
    """The table a CSV of the view holds when none is named: the institutions, or the
    summary when the view has no institutions table."""
    return DEFAULT_CSV_TABLE if DEFAULT_CSV_TABLE in available(view) else "summary"


def _yes(value: bool, lang: Lang) -> str:
    return t("console.national.yes" if value else "console.national.no", lang)


def _round1(value: float | str | None) -> float | str | None:
    # A string is the disclosure marker in place of a withheld figure.
    return value if value is None or isinstance(value, str) else round(value, 1)


def summary(view: dict[str, Any], code: str, lang: Lang) -> list[tuple[str, Any]]:
    """The summary's labelled values: the round, the day, the filter and the rates."""
    rates = view["rates"]
    group = view["group"] or t("console.national.all_groups", lang)
    closed = view["closed_on"]
    return [
        (t("exports.info.round", lang), code),
        (t("progress.column.as_of", lang), view["today"]),
        (t("console.national.group", lang), group),
        (t("exports.info.assigned", lang), rates["assigned"]),
        (t("console.national.submitted", lang), rates["submitted"]),
        (t("console.national.accepted", lang), rates["accepted"]),
        (t("console.national.awaiting_review", lang), rates["awaiting_review"]),
        (t("console.national.scored", lang), rates["scored"]),
        (t("console.national.response", lang), _round1(rates["response"])),
        (t("console.national.acceptance", lang), _round1(rates["acceptance"])),
        (t("console.national.closed_on", lang), closed if closed else _yes(False, lang)),
    ]


def tables(view: dict[str, Any], code: str, lang: Lang, *, names: bool) -> dict[str, Table]:
    """Every table of the view, by name, in ``lang`` (institutions' names when ``names``)."""
    published = col("console.national.column.published")
    conditions: list[Column] = [code_col(k, "dec1") for k in view["columns"]]
    who = [col("exports.column.code"), *([col("exports.column.name")] if names else []),
           col("exports.column.group")]  # fmt: skip

    def person(row: dict[str, Any]) -> list[Any]:
        return [row["code"], *([row["name"]] if names else []), row["group"]]

    needs = [
        [direction, n["item"], n["name"], n["institutions_with_gap"], n["institutions_rated"],
         n["median_gap"], n["mean_gap"], _yes(n["published"], lang)]
        for direction, key in (("RV6", "rv6"), ("RV7", "rv7"))
        for n in view[key]
    ]  # fmt: skip
    made = {
        "summary": Table(
            "summary",
            [col("exports.column.field"), col("exports.column.value")],
            [list(pair) for pair in summary(view, code, lang)],
        ),
        "distribution": Table(
            "distribution",
            [
                col("exports.column.item"),
                col("exports.column.item_name", width=34),
                *(col("exports.column.degree", "int", degree=d) for d in view["degrees"]),
                col("exports.column.unrated", "int"),
                published,
            ],
            [
                [i["item"], i["name"], *i["counts"], i["unrated"], _yes(view["published"], lang)]
                for i in view["items"]
            ],
        ),
        "heat": Table(
            "heat",
            [
                col("exports.column.group"),
                col("console.national.group_name"),
                col("exports.column.institutions", "int"),
                *conditions,
                col("console.national.column.withheld"),
            ],
            [
                [
                    r["group"],
                    r["name"],
                    r["institutions"],
                    *(c["value"] for c in r["cells"]),
                    ", ".join(
                        k
                        for k, c in zip(view["columns"], r["cells"], strict=True)
                        if not c["published"]
                    ),
                ]
                for r in view["heat_groups"]
            ],
        ),
        "institutions": Table(
            "institutions",
            [*who, *conditions],
            [[*person(r), *(c["value"] for c in r["cells"])] for r in view["heat_named"]],
        ),
        "gaps": Table(
            "gaps",
            [
                col("exports.column.item"),
                col("exports.column.item_name", width=34),
                col("exports.column.mean_gap", "dec2"),
                col("console.national.with_gap", "int"),
                col("exports.column.rated", "int"),
                published,
            ],
            [
                [
                    g["item"],
                    g["name"],
                    g["mean"],
                    g["with_gap"],
                    g["rated"],
                    _yes(g["published"], lang),
                ]
                for g in view["gaps"]
            ],
        ),
        "needs": Table(
            "needs",
            [
                col("exports.column.direction"),
                col("exports.column.item"),
                col("exports.column.item_name", width=34),
                col("exports.column.with_gap", "int"),
                col("exports.column.rated", "int"),
                col("exports.column.median_gap", "dec2"),
                col("exports.column.mean_gap", "dec2"),
                published,
            ],
            needs,
        ),
        "services": Table(
            "services",
            [
                col("national.condition_group"),
                col("exports.column.item_name", width=34),
                col("exports.column.conforms", "int"),
                col("exports.column.partly", "int"),
                col("exports.column.not_conforming", "int"),
                col("exports.column.not_applicable", "int"),
                col("exports.column.unanswered", "int"),
                col("exports.column.reported", "int"),
                col("exports.column.conforming_percent", "dec1"),
                published,
            ],
            [
                [
                    s["group"],
                    s["name"],
                    s["conforms"],
                    s["partly"],
                    s["not"],
                    s["not_applicable"],
                    s["unanswered"],
                    s["reported"],
                    _round1(s["share"]),
                    _yes(view["services"]["published"], lang),
                ]
                for s in view["services"]["rows"]
            ],
        ),
        "overdue": Table(
            "overdue",
            [*who, col("console.national.column.late", "int")],
            [[*person(o), o["late"]] for o in view["overdue"]["rows"]],
        ),
        "unclear": Table(
            "unclear",
            [
                col("exports.column.question"),
                col("exports.column.item"),
                col("exports.column.dimension"),
                col("exports.column.unclear", "int"),
                col("exports.column.answered", "int"),
                published,
            ],
            [
                [
                    u["field"],
                    u["item"],
                    u["dimension"],
                    u["unclear"],
                    u["answered"],
                    _yes(u["published"], lang),
                ]
                for u in view["unclear"]
            ],
        ),
    }
    return {name: made[name] for name in available(view)}


def national_bytes(
    view: dict[str, Any], code: str, suffix: str, *, lang: str = "lv", table: str | None = None,
    names: bool = False,
) -> bytes:  # fmt: skip
    """The view as the bytes of a workbook (``.xlsx``: every table it has, or ``table``) or
    a CSV (``.csv``: ``table``, by default the institutions, or the summary when the view
    has no institutions table); a ``KeyError`` for a table the view does not have."""
    language = check_lang(lang)
    suffix = download_suffix(suffix, table, TABLES)
    made = tables(view, code, language, names=names)
    if table is not None and table not in made:
        raise KeyError(table)
    if suffix == ".csv":
        one = made[table or csv_table(view)]
        return csv_bytes([c.header(language) for c in one.columns], one.rows, language)
    wb = new_workbook(f"{code} — {t('console.national.sheet.summary', language)}", language)
    for name in (table,) if table else tuple(made):
        sheet = new_sheet(wb, t(f"console.national.sheet.{name}", language))
        one = made[name]
        if name == "summary":
            write_pairs(sheet, summary(view, code, language), language)
        else:
            write_table(sheet, one.columns, one.rows, language, freeze_cols=1)
    wb.active = 0
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def download_name(code: str, suffix: str, *, lang: str = "lv", table: str | None = None) -> str:
    """The file name a download is offered as, in ``lang``: "Valsts rezultāti 2026-K1"
    and, for one table, its sheet's name."""
    language = check_lang(lang)
    one = table or (DEFAULT_CSV_TABLE if suffix.lower() == ".csv" else None)
    name = t("console.national.file_name", language, round=code)
    if one is not None:
        name += " " + t(f"console.national.sheet.{one}", language)
    return name + suffix.lower()
