"""The institution registry: importing it from a spreadsheet, validating every row first.

``import_registry`` reads all rows, reports every problem (with row numbers) before it
changes anything, then creates or updates institutions in one transaction and records
what changed. Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import openpyxl
from sqlmodel import Session, select

from pvpp import audit
from pvpp.errors import PvppError
from pvpp.i18n import t
from pvpp.policy import Policy
from pvpp.settings import Settings
from pvpp.store.files import store_file
from pvpp.store.models import Institution, RegistryImport, utcnow
from pvpp.workbook.guard import GuardLimits, Rejection, check_file
from pvpp.xlsx import active_sheet

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
CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")


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

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def read_rows(path: Path, data: bytes, limits: GuardLimits) -> list[tuple[int, dict[str, str]]]:
    """Rows as (spreadsheet row number, column → text), header mapped to column names."""
    if path.suffix.lower() == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RegistryError(
                str(path), [f"not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"]
            ) from None
        raw_rows = list(csv.reader(io.StringIO(text)))
    elif path.suffix.lower() == ".xlsx":
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
            ws = wb.worksheets[0]
            raw_rows = [
                ["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)
            ]
            wb.close()
        except Exception as exc:  # any parser failure: the file cannot be read
            raise RegistryError(
                str(path), [f"cannot read the workbook: {type(exc).__name__}"]
            ) from None
    else:
        raise RegistryError(str(path), ["expected a .xlsx or .csv file"])
    if not raw_rows:
        raise RegistryError(str(path), ["the file is empty"])
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in raw_rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    problems = []
    if missing:
        problems.append(f"row 1: missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(
            f"row 1: unknown column(s) {', '.join(unknown)}; expected {', '.join(COLUMNS)}"
        )
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
    """Every problem in the rows, each starting with its row number."""
    problems: list[str] = []
    groups = {g.id: {s.id for s in g.subtypes} for g in policy.institution_groups}
    exclusions = {e.id for e in policy.exclusions}
    roles = {r.id for r in policy.participant_roles}
    codes_in_file = [r["code"] for _, r in rows]
    seen: dict[str, int] = {}
    for number, row in rows:

        def bad(column: str, text: str, number: int = number) -> None:
            problems.append(f"row {number}, column {column}: {text}")

        for col in REQUIRED:
            if not row[col]:
                bad(col, "is empty")
        code = row["code"]
        if code and not CODE.match(code):
            bad("code", f"{code!r} must be capital letters, digits and hyphens (max 40)")
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
        if email:
            try:
                Address(addr_spec=email)
                if "@" not in email or "." not in email.split("@")[-1]:
                    raise ValueError
            except (ValueError, IndexError):
                bad("head_email", f"{email!r} is not an email address")
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
    data = path.read_bytes()
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


def write_registry_xlsx(rows: list[dict[str, str]], path: Path) -> None:
    """Write registry rows (column → text) as a workbook that ``import_registry`` reads."""
    from openpyxl.styles import Font, PatternFill

    wb = openpyxl.Workbook()
    ws = active_sheet(wb)
    ws.title = "Iestādes"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
    for row in rows:
        ws.append([row.get(c, "") for c in COLUMNS])
        for cell in ws[ws.max_row]:
            cell.data_type = "s"  # texts stay texts, even one starting with "="
    widths = {"A": 10, "B": 60, "C": 7, "D": 9, "E": 8, "F": 24, "G": 40, "H": 10, "I": 10, "J": 40}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    out = io.BytesIO()
    wb.save(out)
    from pvpp.files import write_atomic

    write_atomic(path, out.getvalue())


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
