"""Check a returned workbook and read its answers.

Every problem is collected and reported at once, each with sheet, cell and a message in
the workbook's language. Nothing here raises on bad input: the result says "rejected" with
reasons, "incomplete" with the unanswered questions, or "accepted" with the answers.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
import zipfile
import zlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any
from xml.etree import ElementTree

import defusedxml
import openpyxl
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from pvpp.i18n import t
from pvpp.policy.models import LANGS, Lang
from pvpp.questionnaire import (
    QuestionnaireError,
    QuestionnaireSpec,
    available_questionnaires,
    filled,
    load_questionnaire,
)
from pvpp.questionnaire.values import Answer, ValueProblem, check_values, empty, shown
from pvpp.settings import Settings
from pvpp.states.status_report import ReportVerdict
from pvpp.workbook.guard import GuardLimits, Rejection, check_file
from pvpp.workbook.meta import (
    FORMAT,
    FORMAT_VERSION,
    META_KEYS,
    META_SHEET,
    WorkbookMeta,
    bad_code_field,
    verify,
)

log = logging.getLogger(__name__)

# openpyxl only refuses XML entities when defusedxml is importable; refuse to run otherwise.
if not openpyxl.DEFUSEDXML:  # pragma: no cover - guarded by the dependency list
    raise ImportError("defusedxml must be installed: openpyxl would expand XML entities")

__all__ = ["Answer", "CheckResult", "Problem", "Status", "Unanswered", "check_workbook"]


# The checker's verdict is the one a received file keeps (pvpp.states.status_report).
Status = ReportVerdict


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workbook."""

    code: str
    message: str
    sheet: str | None = None
    cell: str | None = None
    field: str | None = None

    def where(self) -> str:
        """``'Sheet'!D12`` style location, or empty when the problem concerns the whole file."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""


@dataclass(frozen=True)
class Unanswered:
    field: str
    sheet: str
    cell: str


#: An unsigned line a portal download adds to the hidden sheet: the newest draft row the
#: workbook was filled from (:mod:`pvpp.draft_workbooks`). Only a hint of what the person
#: saw: changing it changes which of their own cells an upload writes, nothing else.
DRAFT_SEEN = "draft_seen"
#: The unsigned line a portal download adds today in place of :data:`DRAFT_SEEN`: the
#: digest of each value the workbook was filled with (:mod:`pvpp.questionnaire.filled`).
#: Also a hint only, for the same reason.
DRAFT_SHOWN = "draft_shown"


@dataclass
class CheckResult:
    """What the checker found; ``answers`` maps field id → degree, option code or text.

    ``cells`` (field id → the value as read, before any rule) and ``locations`` (field id
    → sheet and cell) are filled once the file's identity is checked and its answer cells
    found, even when a rule breach rejects it (``answers`` is then empty): the portal's
    upload writes the values into the draft and shows the breaches beside their fields.
    ``draft_shown``: the portal download's :data:`DRAFT_SHOWN` line (field id → digest of
    the value it was filled with), if any; ``draft_seen``: an older download's
    :data:`DRAFT_SEEN` line."""

    status: Status
    sha256: str
    size: int
    lang: Lang
    meta: WorkbookMeta | None = None
    answers: dict[str, Answer] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unanswered: list[Unanswered] = field(default_factory=list)
    cells: dict[str, Any] = field(default_factory=dict)
    locations: dict[str, tuple[str, str]] = field(default_factory=dict)
    draft_seen: int | None = None
    draft_shown: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.ACCEPTED

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "status": self.status.value,
            "sha256": self.sha256,
            "size": self.size,
            "lang": self.lang,
            "meta": asdict(self.meta) if self.meta else None,
            "answers": self.answers,
            "problems": [asdict(p) for p in self.problems],
            "unanswered": [asdict(u) for u in self.unanswered],
        }


class _Reader:
    def __init__(
        self,
        data: bytes,
        settings: Settings,
        expect_institution: str | None,
        expect_round: str | None,
        message_lang: Lang | None = None,
    ) -> None:
        self.data = data
        self.message_lang = message_lang
        self.settings = settings
        self.expect_institution = expect_institution
        self.expect_round = expect_round
        self.lang: Lang = settings.language
        self.result = CheckResult(
            status=Status.REJECTED,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            lang=self.lang,
        )

    # -- helpers ---------------------------------------------------------------------------

    def problem(
        self,
        code: str,
        *,
        sheet: str | None = None,
        cell: str | None = None,
        field_id: str | None = None,
        **params: object,
    ) -> None:
        if sheet is not None:
            params.setdefault("sheet", sheet)
        # n=None: no problem text is counted, so ``params`` fill only the text.
        text = t(f"workbook.problem.{code}", self.message_lang or self.lang, n=None, **params)
        self.result.problems.append(Problem(code, text, sheet, cell, field_id))

    def reject(self, code: str, *, sheet: str | None = None, **params: object) -> CheckResult:
        # A rejection concerns the whole file, or at most one sheet of it: never one cell.
        self.problem(code, sheet=sheet, cell=None, field_id=None, **params)
        self.result.status = Status.REJECTED
        self.result.lang = self.lang
        return self.result

    # -- steps -----------------------------------------------------------------------------

    def run(self) -> CheckResult:
        try:
            check_file(self.data, GuardLimits.from_settings(self.settings))
        except Rejection as exc:
            return self.reject(exc.code, sheet=None, **exc.params)  # the file, not a sheet
        try:
            wb = openpyxl.load_workbook(
                io.BytesIO(self.data), read_only=True, data_only=False, keep_links=False
            )
        except Exception as exc:  # any parser failure means the file cannot be read
            if _caused_by_entities(exc):
                return self.reject("xml_entities", member="XML")
            return self.reject("damaged", detail=_describe(exc))
        try:
            return self._read(wb)
        except (
            defusedxml.DefusedXmlException,
            ElementTree.ParseError,
            zipfile.BadZipFile,
            zlib.error,
            KeyError,
            IndexError,
            AttributeError,
            ValueError,
            TypeError,
            OSError,
            EOFError,
        ) as exc:
            # openpyxl reads sheets lazily in read-only mode; damage can surface here.
            self.result.answers.clear()
            self.result.cells.clear()
            if _caused_by_entities(exc):
                return self.reject("xml_entities", member="XML")
            return self.reject("damaged", detail=_describe(exc))
        finally:
            wb.close()

    def _read(self, wb: Any) -> CheckResult:
        meta = self._meta(wb)
        if meta is None:
            return self.result
        try:
            spec = load_questionnaire(meta.questionnaire)
        except QuestionnaireError:
            known = ", ".join(available_questionnaires())
            return self.reject("unknown_questionnaire", version=meta.questionnaire, known=known)
        if spec.policy.id != meta.policy:
            return self.reject("bad_metadata", sheet=META_SHEET, field="policy")
        signature = self._meta_values.get("signature", "")
        if not verify(self.settings.signing_key(), meta, signature):
            return self.reject("bad_signature")
        if self.expect_institution and meta.institution != self.expect_institution:
            self.problem(
                "wrong_institution", found=meta.institution, expected=self.expect_institution
            )
        if self.expect_round and meta.round != self.expect_round:
            self.problem("wrong_round", found=meta.round, expected=self.expect_round)
        if self.result.problems:
            return self.reject_collected()

        missing = [s for s in spec.required_sheets(self.lang) if s not in wb.sheetnames]
        for sheet in missing:
            self.problem("missing_sheet", sheet=sheet)
        if missing:
            return self.reject_collected()

        locations = self._locations(wb, spec)
        if self.result.problems:
            return self.reject_collected()
        values = self._values(wb, locations)
        self.result.locations = locations
        self.result.cells = {fid: value for fid, (value, _) in values.items()}
        self._interpret(spec, locations, values)
        if self.result.problems:
            self.result.answers.clear()
            return self.reject_collected()
        self.result.status = Status.INCOMPLETE if self.result.unanswered else Status.ACCEPTED
        return self.result

    def reject_collected(self) -> CheckResult:
        self.result.status = Status.REJECTED
        self.result.lang = self.lang
        return self.result

    def _meta(self, wb: Any) -> WorkbookMeta | None:
        if META_SHEET not in wb.sheetnames:
            self.reject("no_metadata")
            return None
        ws = wb[META_SHEET]
        values: dict[str, str] = {}
        for row in ws.iter_rows(min_row=1, max_row=len(META_KEYS) + 5, max_col=2, values_only=True):
            if len(row) >= 2 and isinstance(row[0], str) and isinstance(row[1], str):
                values[row[0]] = row[1]
            elif len(row) >= 2 and row[0] == DRAFT_SEEN and type(row[1]) is int:
                values[DRAFT_SEEN] = str(row[1])  # a spreadsheet made the text a number
        self._meta_values = values
        seen = values.get(DRAFT_SEEN, "")
        self.result.draft_seen = int(seen) if re.fullmatch(r"[0-9]{1,15}", seen) else None
        carried = values.get(DRAFT_SHOWN)
        self.result.draft_shown = filled.decode(carried) if carried is not None else None
        lang = values.get("lang")
        if lang in LANGS:
            self.lang = lang
            self.result.lang = self.lang
        if values.get("format") != FORMAT:
            self.reject("no_metadata")
            return None
        if values.get("format_version") != FORMAT_VERSION:
            self.reject("bad_metadata", sheet=META_SHEET, field="format_version")
            return None
        for key in META_KEYS:
            if not values.get(key) or (key == "lang" and lang not in ("lv", "en")):
                self.reject("bad_metadata", sheet=META_SHEET, field=key)
                return None
        bad_code = bad_code_field(values["round"], values["institution"])
        if bad_code is not None:
            self.reject("bad_metadata", sheet=META_SHEET, field=bad_code)
            return None
        meta = WorkbookMeta(
            questionnaire=values["questionnaire"],
            policy=values["policy"],
            round=values["round"],
            institution=values["institution"],
            institution_name=values["institution_name"],
            lang=values["lang"],
            created_at=values["created_at"],
        )
        self.result.meta = meta
        return meta

    def _locations(self, wb: Any, spec: QuestionnaireSpec) -> dict[str, tuple[str, str]]:
        """Field id → (sheet, coordinate) from the defined names, checking none was moved."""
        names = wb.defined_names
        found: dict[str, tuple[str, str]] = {}
        taken: dict[tuple[str, str], str] = {}
        for f in spec.fields:
            sheet = spec.sheet_of(f, self.lang)
            dn = names.get(f.id)
            if dn is None:
                self.problem("missing_cell", sheet=sheet, field_id=f.id, field=f.id)
                continue
            try:
                destinations = list(dn.destinations)
            except Exception:  # a reference openpyxl cannot parse: reported as a moved cell
                destinations = []
            target = None
            if len(destinations) == 1:
                dest_sheet, ref = destinations[0]
                ref = ref.replace("$", "")
                if dest_sheet == sheet and re.fullmatch(r"[A-Z]{1,3}[0-9]{1,7}", ref):
                    target = (dest_sheet, ref)
            if target is None or target in taken:
                where = dn.attr_text if dn.attr_text else "?"
                self.problem(
                    "moved_cell", sheet=sheet, field_id=f.id, field=f.id, where=shown(where)
                )
                continue
            taken[target] = f.id
            found[f.id] = target
        return found

    def _values(self, wb: Any, locations: dict[str, tuple[str, str]]) -> dict[str, tuple[Any, str]]:
        """Field id → (value, data type), reading each sheet once within its used box."""
        by_sheet: dict[str, dict[tuple[int, int], str]] = defaultdict(dict)
        for fid, (sheet, ref) in locations.items():
            col_letters, row = coordinate_from_string(ref)
            col = column_index_from_string(col_letters)
            by_sheet[sheet][(row, col)] = fid
        out: dict[str, tuple[Any, str]] = {}
        for sheet, wanted in by_sheet.items():
            ws = wb[sheet]
            rows = [r for r, _ in wanted]
            cols = [c for _, c in wanted]
            for row_cells in ws.iter_rows(
                min_row=min(rows), max_row=max(rows), min_col=min(cols), max_col=max(cols)
            ):
                for cell in row_cells:
                    # Read-only sheets give EmptyCell for blanks, which has no position.
                    at_row, at_col = getattr(cell, "row", None), getattr(cell, "column", None)
                    if at_row is None or at_col is None:
                        continue
                    found = wanted.get((at_row, at_col))
                    if found is not None:
                        out[found] = (cell.value, getattr(cell, "data_type", "n"))
        return out

    def _interpret(
        self,
        spec: QuestionnaireSpec,
        locations: dict[str, tuple[str, str]],
        values: dict[str, tuple[Any, str]],
    ) -> None:
        """The values by the rules every answer obeys (:mod:`pvpp.questionnaire.values`),
        each problem placed at its cell; a formula where an answer belongs is refused first."""
        formulas = {
            fid: ValueProblem(fid, "formula", {"formula": shown(value)})
            for fid, (value, dtype) in values.items()
            if dtype == "f" and not empty(value)
        }
        checked = check_values(
            spec, {fid: value for fid, (value, _) in values.items()}, self.lang, refused=formulas
        )
        self.result.answers.update(checked.answers)
        for p in checked.problems:
            sheet, cell = locations[p.field]
            self.problem(p.code, sheet=sheet, cell=cell, field_id=p.field, **p.params)
        for fid in checked.unanswered:
            sheet, cell = locations[fid]
            self.result.unanswered.append(Unanswered(fid, sheet, cell))


def _caused_by_entities(exc: BaseException | None) -> bool:
    """Whether defusedxml refused the file somewhere down the chain (openpyxl wraps it)."""
    for _ in range(10):
        if exc is None:
            return False
        if isinstance(exc, defusedxml.DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


def check_workbook(
    data: bytes,
    *,
    settings: Settings,
    expect_institution: str | None = None,
    expect_round: str | None = None,
    message_lang: Lang | None = None,
) -> CheckResult:
    """Check a returned workbook's bytes; never raises on bad input. The problems' texts
    are in the workbook's language, or in ``message_lang`` when given (the portal's
    reader's); its sheet names are the workbook's either way."""
    reader = _Reader(data, settings, expect_institution, expect_round, message_lang)
    try:
        # openpyxl warns about parts it ignores (extensions, odd relationships); the checker
        # reports what matters itself, so the warnings would only be noise on the console.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return reader.run()
    except Exception as exc:  # last line of defence: a received file never crashes a command
        log.exception("unexpected failure while checking a workbook")
        reader.result.answers.clear()
        reader.result.cells.clear()
        return reader.reject("damaged", detail=_describe(exc))
