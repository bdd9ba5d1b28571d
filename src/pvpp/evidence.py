"""Evidence files: what a team attaches in the portal to show an answer or a measure.

A team member or the lead attaches a file to an item of the questionnaire (the answers'
evidence, while the answers are open: :data:`pvpp.states.assignment.ANSWERS_OPEN`) or to
an open measure of the current plan (the progress report, RV5). The file is taken only if
it is at most ``max_bytes`` (the setting ``max_evidence_bytes``) and its content is one
of the kinds :mod:`pvpp.filetypes` knows (PDF, office documents, images, text); its bytes
go to the file store under their SHA-256, like received workbooks, and a row
(:class:`~pvpp.store.models.EvidenceFile`) says to what, by whom, when, under which name
and of which kind.

Removing a file marks its row; neither row nor stored bytes are deleted. Every attach and
remove is in the audit log with who and from where. The team, the lead and the head of
the institution download its files (the head only reads); anything of another
institution is :class:`~pvpp.portal.NotFound`, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from pvpp import audit, followup
from pvpp.drafts import current_assignment, local_time
from pvpp.errors import PvppError
from pvpp.files import shown_name
from pvpp.filetypes import ALLOWED, download_name, sniff
from pvpp.filetypes import labels as type_labels
from pvpp.i18n import number, t
from pvpp.planning.library import load_library
from pvpp.plans import Context, latest_plan
from pvpp.policy.models import Lang
from pvpp.portal import NotAllowed, NotFound
from pvpp.questionnaire import load_questionnaire
from pvpp.signin import HEAD, Person
from pvpp.states.assignment import ANSWERS_OPEN, AssignmentState
from pvpp.store.files import read_file, store_file
from pvpp.store.models import (
    Assignment,
    EvidenceFile,
    Institution,
    PlanMeasure,
    Round,
    StoredFile,
    id_of,
)

__all__ = [
    "ITEM",
    "MEASURE",
    "EvidenceRefused",
    "Upload",
    "attach",
    "download",
    "hint",
    "human_size",
    "listing",
    "measure_listing",
    "remove",
    "round_files",
]

#: What a file is attached to: an item of the questionnaire, or a measure of the plan.
ITEM, MEASURE = "item", "measure"
#: The longest name kept (the name shown; the download's name is made from it).
MAX_NAME = 255


class EvidenceRefused(PvppError):
    """A file not taken, with what to do: ``reason`` ``too_large``, ``empty`` or
    ``wrong_type``; ``target`` the item or measure it was for."""

    def __init__(self, message: str, *, reason: str, target: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.target = target


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it: for ``target``, under ``name``, ``size`` bytes (as
    the request says, known before it is read) and its bytes."""

    target: str
    name: str
    size: int
    data: bytes | None = None  # None: not read, because ``size`` refused it already


def human_size(size: int, lang: Lang) -> str:
    """A size as people read it, in the language's number format: ``820 baiti``,
    ``12,5 KB``, ``10 MB`` (one decimal, none when it is 0)."""
    if size < 1024:
        return t("web.evidence.size.bytes", lang, n=size)
    key, value = ("kb", size / 1024) if size < 1024 * 1024 else ("mb", size / (1024 * 1024))
    value = round(value, 1)
    shown = number(value, lang, digits=0 if value.is_integer() else 1)
    return t(f"web.evidence.size.{key}", lang, size=shown)


def hint(max_bytes: int, lang: Lang) -> str:
    """What a file input says it takes: the largest size and the kinds."""
    return t("web.evidence.hint", lang, limit=human_size(max_bytes, lang), types=type_labels())


def browser_check(max_bytes: int, lang: Lang) -> dict[str, Any]:
    """What a file input carries for the browser's own size check (``static/files.js``):
    the limit in bytes and the message shown beside the input when a file chosen is over
    it (the file is then not sent; the server checks every file all the same)."""
    message = t("web.evidence.chosen_too_large", lang, limit=human_size(max_bytes, lang))
    return {"max": max_bytes, "message": message}


def _clean_name(name: str) -> str:
    """The name a file was sent with, without any folders, escaped, at most
    :data:`MAX_NAME` characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return shown_name(base).strip()[:MAX_NAME]


# -- who may do what ----------------------------------------------------------------------


def _assignment(
    session: Session, person: Person, assignment_id: int, *, share: bool = False
) -> tuple[Assignment, Round, Institution]:
    """The assignment, when it is of the person's institution (else :class:`NotFound`);
    ``share``: locked against a change of its state until the transaction ends (a file
    attached while the lead submits waits, then sees the answers closed)."""
    if share:
        assignment = session.get(
            Assignment, assignment_id, with_for_update={"read": True}, populate_existing=True
        )
    else:
        assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.institution_id != person.institution_id:
        raise NotFound(f"no assignment {assignment_id}")
    rnd = session.get(Round, assignment.round_id)
    inst = session.get(Institution, assignment.institution_id)
    assert rnd is not None and inst is not None  # foreign keys
    return assignment, rnd, inst


def _team(person: Person, lang: Lang) -> None:
    """The team attaches and removes; the head reads."""
    if person.role == HEAD:
        raise NotAllowed(t("web.evidence.team_only", lang))


def _open_answers(assignment: Assignment, lang: Lang) -> None:
    """The questionnaire's evidence changes while its answers do (not once submitted)."""
    if AssignmentState(assignment.state) not in ANSWERS_OPEN:
        raise NotAllowed(t("web.q.read_only", lang))


def _current(session: Session, person: Person) -> Context:
    assignment, rnd, inst = _assignment(session, person, current_assignment(session, person))
    return Context(rnd, inst, assignment)


def _open_measures(session: Session, person: Person, today: date) -> tuple[Context, set[str]]:
    """The current assignment and the ids of the open measures of its plan (those the
    progress report is about)."""
    ctx = _current(session, person)
    return ctx, {m.measure_id for m in followup.progress(session, ctx, today).measures}


def _target_ok(
    session: Session, person: Person, kind: str, assignment_id: int | None, target: str,
    today: date, lang: Lang,
) -> Assignment:  # fmt: skip
    """The assignment a file for ``target`` belongs to, when the person may change its
    files: the team, on an item of its open questionnaire, or on an open measure of its
    current plan."""
    _team(person, lang)
    if kind == ITEM:
        if assignment_id is None:
            raise NotFound("no assignment")
        assignment, rnd, _ = _assignment(session, person, assignment_id, share=True)
        spec = load_questionnaire(rnd.questionnaire_version)
        if target not in spec.questionnaire.items:
            raise NotFound(f"no item {target}")
        _open_answers(assignment, lang)
        return assignment
    if kind == MEASURE:
        ctx, open_ids = _open_measures(session, person, today)
        if target not in open_ids:
            raise NotFound(f"no open measure {target}")
        return ctx.assignment
    raise NotFound(f"no kind {kind}")


# -- attaching and removing ----------------------------------------------------------------


def check_upload(upload: Upload, *, max_bytes: int, lang: Lang) -> None:
    """Refuse (:class:`EvidenceRefused`) a file over ``max_bytes`` (judged from its size,
    before it is read) or empty."""
    name = _clean_name(upload.name)
    if upload.size > max_bytes:
        raise EvidenceRefused(
            t("web.evidence.too_large", lang, name=name, size=human_size(upload.size, lang),
              limit=human_size(max_bytes, lang)),
            reason="too_large", target=upload.target,
        )  # fmt: skip
    if upload.size == 0:
        raise EvidenceRefused(t("web.evidence.empty", lang, name=name), reason="empty",
                              target=upload.target)  # fmt: skip


def attach(
    session: Session,
    person: Person,
    kind: str,
    upload: Upload,
    *,
    assignment_id: int | None = None,
    max_bytes: int,
    today: date,
    now: datetime,
    lang: Lang,
    where: Mapping[str, str],
) -> EvidenceFile:
    """Attach ``upload`` to an item (``kind`` :data:`ITEM`, of ``assignment_id``) or to an
    open measure of the current plan (:data:`MEASURE`): refused when the person may not
    (:class:`NotFound`, :class:`NotAllowed`), or the file is too large, empty, or of a
    kind not taken (:class:`EvidenceRefused`, nothing stored); otherwise stored by its
    SHA-256, recorded and audited."""
    assignment = _target_ok(session, person, kind, assignment_id, upload.target, today, lang)
    check_upload(upload, max_bytes=max_bytes, lang=lang)
    data = upload.data or b""
    # The size the request gave is checked above; the bytes themselves decide.
    check_upload(Upload(upload.target, upload.name, len(data)), max_bytes=max_bytes, lang=lang)
    name = _clean_name(upload.name)
    found = sniff(data)
    if found is None:
        raise EvidenceRefused(
            t("web.evidence.wrong_type", lang, name=name, types=type_labels()),
            reason="wrong_type", target=upload.target,
        )  # fmt: skip
    stored = store_file(session, data)
    row = EvidenceFile(
        assignment_id=id_of(assignment), kind=kind, target=upload.target,
        file_sha256=stored.sha256, name=name or f"evidence{found.extensions[0]}",
        size=len(data), media_type=found.media_type, member_id=person.member_id,
        actor=person.email[:254], actor_name=person.name[:200], added_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, actor=person.email[:100], action="evidence.add", entity="assignment",
        key=str(id_of(assignment)), evidence=id_of(row), kind=kind, target=upload.target,
        sha256=stored.sha256, size=len(data), media_type=found.media_type, name=row.name,
        **where,
    )  # fmt: skip
    return row


def _row(session: Session, person: Person, evidence_id: int) -> EvidenceFile:
    """A file of the person's institution that is not removed (else :class:`NotFound`)."""
    row = session.get(EvidenceFile, evidence_id)
    if row is None or row.removed_at is not None:
        raise NotFound(f"no evidence file {evidence_id}")
    _assignment(session, person, row.assignment_id)
    return row


def already_removed(session: Session, person: Person, evidence_id: int) -> bool:
    """Whether ``evidence_id`` is a file of the person's institution that was removed
    already (a second press of its Remove button, or a colleague's first)."""
    row = session.get(EvidenceFile, evidence_id)
    if row is None or row.removed_at is None:
        return False
    assignment = session.get(Assignment, row.assignment_id)
    return assignment is not None and assignment.institution_id == person.institution_id


def remove(
    session: Session,
    person: Person,
    evidence_id: int,
    *,
    today: date,
    now: datetime,
    lang: Lang,
    where: Mapping[str, str],
) -> EvidenceFile:
    """Take a file off its item's or measure's list: its row is marked removed (by whom,
    when) and audited; the row and the stored bytes stay. Only while the person could
    attach to the same target."""
    row = _row(session, person, evidence_id)
    _target_ok(session, person, row.kind, row.assignment_id, row.target, today, lang)
    row.removed_at = now
    row.removed_by = person.email[:254]
    session.add(row)
    audit.record(
        session, actor=person.email[:100], action="evidence.remove", entity="assignment",
        key=str(row.assignment_id), evidence=evidence_id, kind=row.kind, target=row.target,
        sha256=row.file_sha256, **where,
    )  # fmt: skip
    return row


# -- reading --------------------------------------------------------------------------------


def download(session: Session, person: Person, evidence_id: int) -> tuple[str, str, bytes]:
    """A file of the person's institution (any role: the head reads them too): the name to
    download it as (:func:`pvpp.filetypes.download_name`: no folders or controls, ending
    as its kind does), the media type its content was found to be, and its bytes."""
    row = _row(session, person, evidence_id)
    stored = session.get(StoredFile, row.file_sha256)
    if stored is None:  # pragma: no cover - a foreign key
        raise NotFound(f"no stored file for evidence {evidence_id}")
    kind = next((k for k in ALLOWED if k.media_type == row.media_type), None)
    if kind is None:  # pragma: no cover - only kinds of ALLOWED are stored
        raise NotFound(f"evidence {evidence_id} is of no kind served")
    return download_name(row.name, kind), kind.media_type, read_file(session, stored)


def _shown(row: EvidenceFile, lang: Lang) -> dict[str, Any]:
    found = next((k for k in ALLOWED if k.media_type == row.media_type), None)
    return {
        "id": id_of(row),
        "name": row.name,
        "size": human_size(row.size, lang),
        "type": found.label if found else row.media_type,
        "by": t("web.evidence.by", lang, name=row.actor_name or row.actor,
                on=local_time(row.added_at, lang)),
    }  # fmt: skip


def listing(
    session: Session, assignment_id: int, kind: str, lang: Lang
) -> dict[str, list[dict[str, Any]]]:
    """The files of an assignment not removed, per item or measure (``kind``), oldest
    first, as the pages show them. The caller has checked the assignment is the
    viewer's."""
    rows = session.exec(
        select(EvidenceFile)
        .where(
            EvidenceFile.assignment_id == assignment_id,
            EvidenceFile.kind == kind,
            col(EvidenceFile.removed_at).is_(None),
        )
        .order_by(col(EvidenceFile.id))
    ).all()
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row.target, []).append(_shown(row, lang))
    return out


def measure_listing(session: Session, person: Person, lang: Lang) -> dict[str, Any]:
    """The files of the measures of the person's current assignment, per measure id."""
    try:
        ctx = _current(session, person)
    except NotFound:
        return {}
    return listing(session, id_of(ctx.assignment), MEASURE, lang)


def round_files(session: Session, person: Person, *, lang: Lang) -> dict[str, Any]:
    """Every file of the institution's current round, for anyone of it (the head too):
    the questionnaire's per item, in the questionnaire's order, and the measures'."""
    try:
        ctx = _current(session, person)
    except NotFound:
        return {"round": None, "items": [], "measures": []}
    spec = load_questionnaire(ctx.round.questionnaire_version)
    assignment_id = id_of(ctx.assignment)
    by_item = listing(session, assignment_id, ITEM, lang)
    items = [
        {"id": item.id, "name": item.name.get(lang), "files": by_item[item.id]}
        for item in spec.policy.items
        if item.id in by_item
    ]
    plan = latest_plan(session, ctx.assignment)
    titles: dict[str, str] = {}
    if plan is not None:
        library = load_library(ctx.round.policy_version)
        for m in session.exec(select(PlanMeasure).where(PlanMeasure.plan_id == plan.id)).all():
            known = library.by_id.get(m.measure_id)
            titles[m.measure_id] = m.title or (known.title.get(lang) if known else "")
    measures = [
        {"id": target, "name": titles.get(target, ""), "files": files}
        for target, files in listing(session, assignment_id, MEASURE, lang).items()
    ]
    return {"round": ctx.round.code, "items": items, "measures": measures}
