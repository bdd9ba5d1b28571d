"""The questionnaire's workbook in the portal: Excel and the web pages on one answer set.

- :func:`workbook_file`: the round's workbook for the institution (the one the invitation
  carries, signed the same way) filled with the draft's answers so far, in the reader's
  language; :func:`record_download` audits it.
- :func:`check_upload` then :func:`take_upload`: a workbook uploaded in the portal,
  checked by the drop folder's checker (:func:`pvpp.workbook.check.check_workbook`, with
  the round and institution expected). A file that is not this institution's workbook for
  this round (another round or institution, tampered hidden sheet, not a workbook, too
  large, a moved answer cell) is refused with every problem and nothing is written or
  kept. Otherwise its values are written into the draft (:class:`DraftAnswer` rows with
  source ``workbook``, who = the uploader) — values that break a rule too, so that the
  draft shows the problem beside the field as for a value typed online — and the file is
  kept (stored by SHA-256 like the drop folder's, :class:`DraftUpload`). The rule
  breaches are returned by sheet and cell.

Only what the person changed in the workbook is written, so an upload never undoes a
colleague's newer change online: a field is written when its value differs from what the
workbook was filled with and from the draft's value now. A portal download carries on
its hidden sheet the digest of each value it was filled with
(:data:`pvpp.workbook.check.DRAFT_SHOWN`, :mod:`pvpp.questionnaire.filled`); one
downloaded before carries the newest draft row it was filled from
(:data:`~pvpp.workbook.check.DRAFT_SEEN`), read as the draft at that row; a workbook
without either, such as the invitation's, was blank, so only its filled cells count. A
cell holding a formula is never written (the checker refuses formulas).

Checking runs in a reading session (it parses the file); only writing needs the write
transaction. Access is :mod:`pvpp.drafts`'s: another institution's assignment is
:class:`~pvpp.portal.NotFound`, the head :class:`~pvpp.portal.NotAllowed`, and an upload
to submitted answers is refused like any save.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlmodel import Session

from pvpp import audit
from pvpp.drafts import (
    Draft,
    _normal,
    _rows,
    _values,
    _writable,
    _write,
    load,
    page_of,
    text_of,
)
from pvpp.files import shown_name
from pvpp.i18n import t
from pvpp.policy.models import Lang
from pvpp.questionnaire import QuestionnaireSpec, filled
from pvpp.questionnaire.values import Vocabulary, as_text, empty, parse_value
from pvpp.settings import Settings
from pvpp.signin import Person
from pvpp.store.files import store_file
from pvpp.store.models import DraftUpload, id_of
from pvpp.workbook.build import build_workbook
from pvpp.workbook.check import DRAFT_SHOWN, CheckResult, Problem, check_workbook
from pvpp.workbook.fill import cell_values, fill_workbook

__all__ = [
    "Checked",
    "Download",
    "UploadProblem",
    "Uploaded",
    "check_upload",
    "record_download",
    "take_upload",
    "workbook_file",
]

#: The source of the draft rows an upload writes.
SOURCE = "workbook"


@dataclass(frozen=True)
class Download:
    """A filled workbook to hand to the person."""

    filename: str
    data: bytes
    round: str
    institution: str
    seen: int  # the newest draft row it was filled from (for the audit entry)


def _cell_text(value: Any) -> Any:
    """A value as a cell can hold it: text without the control characters a workbook
    refuses (a value pasted online may hold one)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def workbook_file(
    session: Session, person: Person, assignment_id: int, *, settings: Settings, now: datetime,
    lang: Lang,
) -> Download:  # fmt: skip
    """The round's workbook for the person's institution, filled with the draft's answers
    so far (a value that breaks a rule as it was typed: the checker names it on upload),
    in ``lang``. Read-only; :func:`record_download` audits it."""
    draft = load(session, person, assignment_id, lang=lang)
    spec = draft.spec
    blank = build_workbook(
        spec, institution_code=draft.institution.code, institution_name=draft.institution.name,
        round_code=draft.round.code, lang=lang, key=settings.signing_key(),
        due=draft.round.due_on, now=now,
    )  # fmt: skip
    cells = cell_values(spec, draft.checked.answers, lang)
    for fid, value in draft.values.items():
        if fid not in cells and fid in spec.field_by_id:
            cells[fid] = value
    # What it is filled with, as an upload reads it back: only a cell changed from this is
    # written (take_upload).
    shown = filled.encode(_texts(draft, draft.values))
    data = fill_workbook(
        blank, {fid: _cell_text(v) for fid, v in cells.items()}, marks={DRAFT_SHOWN: shown}
    )
    # The invitation's attachment is named the same way.
    name = f"PVPP-{draft.round.code}-{draft.institution.code}.xlsx"
    return Download(name, data, draft.round.code, draft.institution.code, draft.seen)


def record_download(
    session: Session, person: Person, download: Download, *, where: Mapping[str, str]
) -> None:
    """The audit entry of a download (``answers.download``)."""
    audit.record(
        session, actor=person.email[:100], action="answers.download", entity="assignment",
        key=f"{download.round}|{download.institution}", seen=download.seen,
        size=len(download.data), **where,
    )  # fmt: skip


@dataclass(frozen=True)
class UploadProblem:
    """One problem of an uploaded workbook, where it is: sheet and cell (None for the
    whole file), and the field and its questionnaire page online, if any."""

    message: str
    sheet: str | None = None
    cell: str | None = None
    field: str | None = None
    page: str | None = None
    code: str = ""


@dataclass(frozen=True)
class Checked:
    """An upload checked (:func:`check_upload`), not yet written."""

    data: bytes
    filename: str
    result: CheckResult | None  # None: no file was given
    problems: list[UploadProblem]
    refused: bool


@dataclass(frozen=True)
class Uploaded:
    """What an upload did: refused (nothing written or kept), or the fields it wrote and
    the workbook's rule breaches by sheet and cell."""

    refused: bool
    problems: list[UploadProblem]
    fields: list[str]
    upload_id: int | None
    filename: str


def _problem(spec: QuestionnaireSpec, p: Problem) -> UploadProblem:
    page = page_of(spec.field_by_id[p.field]) if p.field in spec.field_by_id else None
    return UploadProblem(p.message, p.sheet, p.cell, p.field, page, p.code)


def check_upload(
    session: Session, person: Person, assignment_id: int, data: bytes, *, filename: str,
    settings: Settings, lang: Lang,
) -> Checked:  # fmt: skip
    """Check an uploaded file against the assignment (its round and institution), with
    the problems in ``lang``. Refuses (raises) as a save does: another institution's
    assignment, the head, answers already submitted."""
    draft = _writable(session, person, assignment_id, lang)
    filename = shown_name(filename)[:500]
    if not data:
        problem = UploadProblem(t("web.wb.no_file", lang), code="no_file")
        return Checked(data, filename, None, [problem], refused=True)
    result = check_workbook(
        data, settings=settings, expect_institution=draft.institution.code,
        expect_round=draft.round.code, message_lang=lang,
    )  # fmt: skip
    spec = draft.spec
    problems = [_problem(spec, p) for p in result.problems]
    # A problem of the whole file or a sheet (no cell) means the file is not this
    # institution's workbook for this round as issued: nothing of it is taken.
    refused = result.meta is None or not result.locations or any(p.cell is None for p in problems)
    if not refused and result.meta is not None and result.meta.questionnaire != spec.id:
        problems.insert(0, UploadProblem(
            t("web.wb.wrong_questionnaire", lang, found=result.meta.questionnaire,
              expected=spec.id), code="wrong_questionnaire",
        ))  # fmt: skip
        refused = True
    return Checked(data, filename, result, problems, refused)


def _draft_text(spec: QuestionnaireSpec, vocab: Vocabulary, fid: str, value: Any) -> str:
    """A value as the draft keeps it: the answer it reads as (a degree ``3``, a code), or
    the value as text when it breaks a rule (kept, with the problem beside it online)."""
    if isinstance(value, str):
        value = _cell_text(value)
    if empty(value):
        return ""
    parsed = parse_value(spec.field_by_id[fid], value, vocab)
    if parsed is not None:
        return _normal(text_of(parsed))
    text = as_text(value)
    return _normal(text if text is not None else str(value))


def _texts(draft: Draft, values: Mapping[str, Any]) -> dict[str, str]:
    vocab = Vocabulary(draft.spec)
    return {
        fid: _draft_text(draft.spec, vocab, fid, v)
        for fid, v in values.items()
        if fid in draft.spec.field_by_id
    }


def take_upload(
    session: Session, person: Person, assignment_id: int, checked: Checked, *, now: datetime,
    lang: Lang, where: Mapping[str, str],
) -> Uploaded:  # fmt: skip
    """Write a checked upload (:func:`check_upload`): refused, it is only audited
    (``answers.upload_refused``); otherwise the fields the person changed in it are
    written into the draft, the file is kept and the upload audited (``answers.upload``)."""
    draft = _writable(session, person, assignment_id, lang)
    key = f"{draft.round.code}|{draft.institution.code}"
    result = checked.result
    if checked.refused or result is None:
        audit.record(
            session, actor=person.email[:100], action="answers.upload_refused",
            entity="assignment", key=key, filename=checked.filename, size=len(checked.data),
            sha256=result.sha256 if result else "",
            problems=[p.code for p in checked.problems][:50], **where,
        )  # fmt: skip
        return Uploaded(True, checked.problems, [], None, checked.filename)
    formulas = {p.field for p in result.problems if p.code == "formula"}
    uploaded = _texts(draft, {f: v for f, v in result.cells.items() if f not in formulas})
    for fid in result.locations:  # an empty cell is an empty answer
        if fid not in formulas:
            uploaded.setdefault(fid, "")
    if result.draft_shown is not None:
        filled_with = result.draft_shown
    elif result.draft_seen is not None:  # downloaded before workbooks carried digests
        rows = _rows(session, assignment_id, upto=result.draft_seen)
        filled_with = {
            fid: filled.digest(v) for fid, v in _texts(draft, _values(draft.base, rows)).items()
        }
    else:
        filled_with = {}  # the invitation's blank workbook
    now_values = _texts(draft, draft.values)
    changed = {
        fid: value
        for fid, value in uploaded.items()
        if filled.changed(filled_with, fid, value) and value != now_values.get(fid, "")
    }
    saved = _write(session, draft, person, changed, now=now, where=where, source=SOURCE)
    written = [row.field for row in saved]
    stored = store_file(session, checked.data)
    row = DraftUpload(
        assignment_id=assignment_id, file_sha256=stored.sha256, filename=checked.filename,
        member_id=person.member_id, actor=person.email[:254], name=person.name[:200],
        uploaded_at=now, fields=written,
        problems=[
            {"code": p.code, "sheet": p.sheet, "cell": p.cell, "field": p.field,
             "message": p.message}
            for p in checked.problems
        ],
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, actor=person.email[:100], action="answers.upload", entity="assignment",
        key=key, upload=id_of(row), filename=checked.filename, sha256=stored.sha256,
        fields=len(written), problems=len(checked.problems), **where,
    )  # fmt: skip
    return Uploaded(False, checked.problems, written, id_of(row), checked.filename)
