"""The institution registry: importing it from a spreadsheet, validating every row first.

``import_registry`` reads all rows, reports every problem (with row numbers) before it
changes anything, then creates or updates institutions in one transaction and records
what changed. Importing the same file again changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from sqlmodel import Session, select

from pvpp import audit
from pvpp.codes import institution_code_problem
from pvpp.contacts import address_problem, name_problem, text_problem
from pvpp.errors import PvppError
from pvpp.exports.writer import csv_bytes, put, strip_quote_prefix
from pvpp.files import read_given, write_atomic
from pvpp.i18n import t
from pvpp.mail.outbox import Withdrawal, withdraw_to
from pvpp.policy import Policy
from pvpp.policy.models import Lang
from pvpp.settings import Settings
from pvpp.store.files import store_file
from pvpp.store.models import Institution, RegistryImport, utcnow
from pvpp.teams import members
from pvpp.workbook.guard import GuardLimits, Rejection, check_file
from pvpp.xlsx import active_sheet, writable_cell

COLUMNS = (
    "code",
    "name",
    "group",
    "subtype",
    "parent",
    "head_name",
    "head_email",
    "scope",
    "exclusion",
    "roles",
)
# Latvian headers are accepted too, for files prepared by hand at VARAM.
ALIASES = {
    "kods": "code",
    "nosaukums": "name",
    "grupa": "group",
    "apakštips": "subtype",
    "augstākā iestāde": "parent",
    "vadītājs": "head_name",
    "vadītāja e-pasts": "head_email",
    "tvērums": "scope",
    "izņēmums": "exclusion",
    "lomas": "roles",
}
REQUIRED = ("code", "name", "group", "head_name", "head_email", "scope")
SCOPES = ("round1", "excluded", "voluntary")


class RegistryError(PvppError):
    """The file cannot be imported; ``problems`` lists every finding with its row."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(problems))

    @property
    def message(self) -> str:
        """The file, how many problems, that nothing changed, then one line per problem."""
        lines = [f"{self.path}: {len(self.problems)} problem(s); nothing was changed."]
        return "\n".join(lines + [f"  • {problem}" for problem in self.problems])


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)
    # Institution code → the messages to its old head address that were not sent yet
    # (withdrawn, or too late: being sent); see _withdraw_old_head_mail.
    withdrawn: dict[str, list[Withdrawal]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


SEPARATORS = {",": "a comma (,)", ";": "a semicolon (;)", "\t": "a tab"}
# Longest text of any field (names are bounded tighter by pvpp.contacts.MAX_NAME).
MAX_FIELD = 500


def _decode(path: Path, data: bytes) -> str:
    """The CSV's text: UTF-8 (with or without a BOM) or UTF-16 with its BOM."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise RegistryError(
                str(path), ["starts like UTF-16 text but is not; save the CSV as UTF-8"]
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RegistryError(
            str(path),
            [
                f"line {line}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8 "
                '(in Excel: "CSV UTF-8")'
            ],
        ) from None


def _header_cells(text: str, separator: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text), delimiter=separator), [])
    except csv.Error:
        return []


def sniff_separator(text: str) -> str:
    """The separator of a CSV, judged from its header line: the one of ``,`` ``;`` and tab
    that splits it into the most known columns (the most frequent one when none does)."""
    first = text.split("\n", 1)[0]

    def known(separator: str) -> int:
        cells = _header_cells(text, separator)
        return sum(ALIASES.get(c.strip().lower(), c.strip().lower()) in COLUMNS for c in cells)

    return max(SEPARATORS, key=lambda sep: (known(sep), first.count(sep)))


def _csv_rows(path: Path, data: bytes) -> tuple[list[list[str]], str]:
    text = _decode(path, data)
    separator = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        # A field pvpp wrote with its neutralising quote (csv_text) reads back as it was.
        rows = [[strip_quote_prefix(v) for v in row] for row in reader]
    except csv.Error as exc:
        raise RegistryError(
            str(path),
            [
                f"line {reader.line_num}: cannot be read as CSV ({exc}); check the quotes "
                "and that no field is longer than a few hundred characters"
            ],
        ) from None
    return rows, separator


def _xlsx_rows(path: Path, data: bytes, limits: GuardLimits) -> list[list[str]]:
    try:
        check_file(data, limits)
    except Rejection as exc:
        raise RegistryError(
            # n=None: no problem text is counted, so the params fill only the text.
            str(path),
            [t(f"workbook.problem.{exc.code}", "en", n=None, **exc.params)],
        ) from None
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            return [
                ["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)
            ]
        finally:
            wb.close()
    except Exception as exc:  # any parser failure: the file cannot be read
        raise RegistryError(
            str(path),
            [
                f"cannot read the workbook ({type(exc).__name__}); open it in Excel, save it "
                "again as .xlsx, or save the sheet as CSV UTF-8"
            ],
        ) from None


def read_rows(path: Path, data: bytes, limits: GuardLimits) -> list[tuple[int, dict[str, str]]]:
    """Rows as (spreadsheet row number, column → text), header mapped to column names.

    A CSV is UTF-8 (a BOM is fine) or UTF-16 with its BOM; its separator (comma,
    semicolon or tab) is taken from the header line. A field written with the exports'
    neutralising quote (``'=...``) is read without it.
    """
    separator = None
    if path.suffix.lower() == ".csv":
        raw_rows, separator = _csv_rows(path, data)
    elif path.suffix.lower() == ".xlsx":
        raw_rows = _xlsx_rows(path, data, limits)
    else:
        raise RegistryError(str(path), ["expected a .xlsx or .csv file"])
    if not raw_rows:
        raise RegistryError(str(path), ["the file is empty"])
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in raw_rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    problems = []
    if missing:
        read_with = (
            f" (the header was read with {SEPARATORS[separator]} as the separator)"
            if separator
            else ""
        )
        problems.append(f"row 1: missing column(s) {', '.join(missing)}{read_with}")
    if unknown:
        shown = ", ".join(repr(h[:40]) for h in unknown[:10])
        problems.append(f"row 1: unknown column(s) {shown}; expected {', '.join(COLUMNS)}")
    if twice:
        problems.append(f"row 1: column(s) {', '.join(twice)} appear more than once")
    if problems:
        raise RegistryError(str(path), problems)
    rows = []
    for number, values in enumerate(raw_rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        row = {c: "" for c in COLUMNS}
        for col, value in zip(header, values, strict=False):
            if col:
                row[col] = value.strip()
        rows.append((number, row))
    return rows


def validate(
    rows: list[tuple[int, dict[str, str]]], policy: Policy, known_codes: set[str]
) -> list[str]:
    """Every problem in the rows, each starting with its row number.

    Names and the head's address pass the rules of :mod:`pvpp.contacts`, the ones the
    outbox checks before queueing: a row accepted here can always be sent to. No field
    holds a control or invisible character (NUL included) or more than
    :data:`MAX_FIELD` characters.
    """
    problems: list[str] = []
    groups = {g.id: {s.id for s in g.subtypes} for g in policy.institution_groups}
    exclusions = {e.id for e in policy.exclusions}
    roles = {r.id for r in policy.participant_roles}
    codes_in_file = [r["code"] for _, r in rows]
    seen: dict[str, int] = {}
    for number, row in rows:

        def bad(column: str, text: str, number: int = number) -> None:
            problems.append(f"row {number}, column {column}: {text}")

        unusable = set()
        for col in COLUMNS:
            problem = text_problem(row[col], max_length=MAX_FIELD)
            if problem is not None:
                bad(col, problem)
                unusable.add(col)
        for col in REQUIRED:
            if not row[col]:
                bad(col, "is empty")
        for col in ("name", "head_name"):
            if row[col] and col not in unusable and (problem := name_problem(row[col])):
                bad(col, problem)
        code = row["code"]
        if code and "code" not in unusable and (problem := institution_code_problem(code)):
            bad("code", problem)
        if code in seen:
            bad("code", f"{code!r} is also on row {seen[code]}")
        seen.setdefault(code, number)
        group = row["group"]
        if group and group not in groups:
            bad("group", f"{group!r} is not a table-1 group ({', '.join(groups)})")
        elif group and row["subtype"] and row["subtype"] not in groups[group]:
            allowed = ", ".join(sorted(groups[group])) or "none"
            bad("subtype", f"{row['subtype']!r} is not a sub-type of {group} (allowed: {allowed})")
        parent = row["parent"]
        if parent and parent not in codes_in_file and parent not in known_codes:
            bad("parent", f"{parent!r} is neither in this file nor in the registry")
        if parent and parent == code:
            bad("parent", "an institution cannot be its own parent")
        email = row["head_email"]
        if email and "head_email" not in unusable and (problem := address_problem(email)):
            bad("head_email", f"{email!r} is not an email address: {problem}")
        scope = row["scope"]
        if scope and scope not in SCOPES:
            bad("scope", f"{scope!r} must be one of {', '.join(SCOPES)}")
        exclusion = row["exclusion"]
        if scope == "excluded" and not exclusion:
            bad("exclusion", "an excluded institution needs the 4.1.5 reason (e.g. 4.1.5.1)")
        if exclusion and exclusion not in exclusions:
            bad("exclusion", f"{exclusion!r} is not one of {', '.join(sorted(exclusions))}")
        if exclusion and scope != "excluded":
            bad("exclusion", f"given, but scope is {scope!r}, not 'excluded'")
        for role in _roles(row["roles"]):
            if role not in roles:
                bad("roles", f"{role!r} is not a role ({', '.join(sorted(roles))})")
    return problems


def _roles(text: str) -> list[str]:
    return sorted({r.strip() for r in re.split(r"[;,]", text) if r.strip()})


def _values(row: dict[str, str]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "group_id": row["group"],
        "subtype_id": row["subtype"] or None,
        "parent_code": row["parent"] or None,
        "head_name": row["head_name"],
        "head_email": row["head_email"],
        "scope": row["scope"],
        "exclusion_id": row["exclusion"] or None,
        "roles": _roles(row["roles"]),
    }


def import_registry(
    session: Session, path: Path, policy: Policy, *, settings: Settings, actor: str = "cli"
) -> ImportReport:
    """Validate the whole file, then create or update institutions; raise RegistryError
    (changing nothing) if any row has a problem."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise RegistryError(str(path), ["expected a .xlsx or .csv file"])
    data = read_given(path, limit=settings.max_registry_bytes)
    rows = read_rows(path, data, GuardLimits.from_settings(settings))
    existing = {i.code: i for i in session.exec(select(Institution)).all()}
    problems = validate(rows, policy, set(existing))
    if problems:
        raise RegistryError(str(path), problems)

    report = ImportReport()
    for _, row in rows:
        values = _values(row)
        inst = existing.get(row["code"])
        if inst is None:
            session.add(Institution(code=row["code"], **values))
            report.created.append(row["code"])
            continue
        diff = {k: [getattr(inst, k), v] for k, v in values.items() if getattr(inst, k) != v}
        if diff:
            for key, (_, new) in diff.items():
                setattr(inst, key, new)
            inst.updated_at = utcnow()
            session.add(inst)
            report.updated[row["code"]] = diff
            if "head_email" in diff:
                old_address, new_address = diff["head_email"]
                withdrawn = _withdraw_old_head_mail(
                    session, inst.code, old_address, new_address, actor
                )
                if withdrawn:
                    report.withdrawn[inst.code] = withdrawn
        else:
            report.unchanged.append(row["code"])
    in_file = {r["code"] for _, r in rows}
    report.not_in_file = sorted(set(existing) - in_file)
    if report.changed:
        stored = store_file(session, data)
        session.add(
            RegistryImport(
                file_sha256=stored.sha256,
                filename=path.name,
                created=len(report.created),
                updated=len(report.updated),
                unchanged=len(report.unchanged),
                changes={"created": report.created, "updated": report.updated},
            )
        )
        audit.record(
            session,
            actor=actor,
            action="registry.import",
            entity="registry",
            key=stored.sha256[:16],
            created=report.created,
            updated=sorted(report.updated),
        )
    return report


def _withdraw_old_head_mail(
    session: Session, code: str, old: str, new: str, actor: str
) -> list[Withdrawal]:
    """The messages not yet sent to the head's old address, withdrawn (docs/email.md,
    "A head's address changes"): the runs that queue them (``plan send`` for the plan
    email) queue them again, to the new head. Nothing is withdrawn when the old address
    still belongs to the institution (the same mailbox in other letters, or a member of
    its team)."""
    if old.strip().lower() == new.strip().lower():
        return []
    if any(m.email.lower() == old.strip().lower() for m in members(session, code)):
        return []
    return withdraw_to(
        session,
        institution_code=code,
        addresses=[old],
        reason=f"registry import: the head's address changed from {old} to {new}",
        actor=actor,
    )


def write_registry_xlsx(rows: list[dict[str, str]], path: Path) -> None:
    """Write registry rows (column → text) as a workbook that ``import_registry`` reads.

    Each text goes through the exports' writer (:func:`pvpp.exports.writer.put`): a
    string cell, with Excel's quote prefix when it starts like a formula, so a name such
    as ``=HYPERLINK(...)`` stays text when the file is edited and imported again."""
    from openpyxl.styles import Font, PatternFill

    wb = openpyxl.Workbook()
    ws = active_sheet(wb)
    ws.title = "Iestādes"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
    for number, row in enumerate(rows, start=2):
        for column, key in enumerate(COLUMNS, start=1):
            put(writable_cell(ws, number, column), row.get(key, ""))
    widths = {"A": 10, "B": 60, "C": 7, "D": 9, "E": 8, "F": 24, "G": 40, "H": 10, "I": 10, "J": 40}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    out = io.BytesIO()
    wb.save(out)
    write_atomic(path, out.getvalue())


def write_registry_csv(rows: list[dict[str, str]], path: Path, lang: Lang) -> None:
    """Write registry rows as CSV in ``lang``'s dialect (Latvian: semicolons), each text
    neutralised as every export's (:func:`pvpp.exports.writer.csv_text`); the import
    removes exactly that prefix again (:func:`pvpp.exports.writer.strip_quote_prefix`)."""
    table = ([row.get(c, "") for c in COLUMNS] for row in rows)
    write_atomic(path, csv_bytes(COLUMNS, table, lang))


def write_registry(rows: list[dict[str, str]], path: Path, lang: Lang) -> None:
    """Write the rows as ``path``'s suffix asks: .xlsx or .csv."""
    if path.suffix.lower() == ".csv":
        write_registry_csv(rows, path, lang)
    elif path.suffix.lower() == ".xlsx":
        write_registry_xlsx(rows, path)
    else:
        raise RegistryError(str(path), ["expected a .xlsx or .csv file name"])


def registry_rows(session: Session) -> list[dict[str, str]]:
    """The registry as rows in the import format."""
    out = []
    for i in session.exec(select(Institution).order_by(Institution.code)).all():
        out.append(
            {
                "code": i.code,
                "name": i.name,
                "group": i.group_id,
                "subtype": i.subtype_id or "",
                "parent": i.parent_code or "",
                "head_name": i.head_name,
                "head_email": i.head_email,
                "scope": i.scope,
                "exclusion": i.exclusion_id or "",
                "roles": ";".join(i.roles),
            }
        )
    return out
