"""Ingest returned workbooks: check, match, store as received, and move the assignment on.

A workbook for an assignment whose plan has gone to the head is **late**
(:data:`pvpp.states.assignment.TAKES_WORKBOOK`): it is stored and reported, with the state
it found, and moves nothing until a coordinator reopens the assignment (:func:`reopen`).

Each file is handled in its own transaction, so one bad file never stops the others and a
crash loses at most the file in hand; running the command again recognises what was
already received (by SHA-256) and finishes the job without duplicates.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TypedDict

from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.assignments import State, transition
from pvpp.errors import PvppError
from pvpp.files import FileRefused, read_given, shown_name
from pvpp.parallel import imap
from pvpp.queries import (
    assignment_of,
    current_answers,
    institution_by_code,
    late_files,
    round_by_code,
)
from pvpp.settings import Settings
from pvpp.states.assignment import REOPEN_REASON, REOPENABLE, TAKES_WORKBOOK
from pvpp.store.concurrency import hold
from pvpp.store.db import Database
from pvpp.store.files import read_file, sha256, store_file
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    Institution,
    Round,
    StoredFile,
    Submission,
    id_of,
)
from pvpp.workbook.check import Answer, CheckResult, Status, check_workbook

# Problems that mean the workbook's own claim of who and what it is cannot be trusted.
IDENTITY_CODES = {
    "no_metadata",
    "bad_metadata",
    "bad_signature",
    "unknown_questionnaire",
}


class StoredProblem(TypedDict):
    """One problem as a submission keeps it (its ``problems`` column)."""

    code: str
    sheet: str | None
    cell: str | None
    field: str | None
    message: str


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    INCOMPLETE = "incomplete"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    # Arrived after the plan went out: kept, not applied (the check's verdict in the detail).
    LATE = "late"
    # Valid, in a round with review: waits in "submitted" for a reviewer (pvpp.review).
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class IngestRow:
    """What happened to one file."""

    file: str
    outcome: Outcome
    institution: str | None = None
    round: str | None = None
    detail: str = ""
    submission_id: int | None = None


# The names of files the intakes take from a folder.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def workbook_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files to take in: each path given that is not a folder, and in each folder given the
    entries named like workbooks (.xlsx/.xlsm/.xls/.ods), in name order.

    A folder is walked without following links: a link to a folder inside it is never
    entered, and a link, FIFO or device named like a workbook is yielded as it is, for the
    intake to refuse by name (:func:`pvpp.files.read_given` reads regular files only).
    """
    for path in paths:
        if path.is_dir():
            found: list[Path] = []
            for folder, _dirs, names in os.walk(path, followlinks=False):
                found += [
                    Path(folder, n) for n in names if Path(n).suffix.lower() in WORKBOOK_SUFFIXES
                ]
            yield from sorted(found)
        else:
            yield path


def ingest_paths(
    paths: Iterable[Path], *, source: str = "cli", settings: Settings, db: Database
) -> list[IngestRow]:
    """Ingest every workbook under ``paths``; returns one row per file.

    Files already received (same SHA-256) are recognised without being opened again; the
    others are read and checked in worker processes and stored here, one transaction per
    file, in the order of their names. This process holds only the files in hand, not the
    whole drop folder: a round's returns are 50 MB at 1,000 institutions.
    """
    settings.signing_key()  # a refused key stops here, before any file is read or stored
    files: list[tuple[Path, str, str]] = []  # (path, digest, why refused)
    for path in workbook_files(paths):
        try:  # one file in hand at a time: its bytes are dropped once hashed
            digest = sha256(read_given(path, limit=settings.max_upload_bytes))
        except FileRefused as exc:
            files.append((path, "", unreadable_detail(exc)))
        else:
            files.append((path, digest, ""))
    with db.reading() as session:
        known = _known_digests(session, [digest for _, digest, _ in files if digest])
    fresh: dict[str, Path] = {}  # the same bytes twice in one batch are checked once
    for path, digest, _ in files:
        if digest and digest not in known:
            fresh.setdefault(digest, path)
    # Read and checked in the workers while this process stores the files already checked.
    checked = imap(
        partial(_read_and_check, settings=settings), list(fresh.values()),
        workers=settings.worker_count(), label="Checking workbooks",
    )  # fmt: skip
    out = []
    for path, digest, unreadable in files:
        name, where = shown_name(path.name), f"{source}:{shown_name(path)}"
        got: tuple[bytes, CheckResult] | str  # the bytes and their check, or why unreadable
        if unreadable:
            got = unreadable
        elif fresh.pop(digest, None) is not None:
            got = next(checked)
        else:  # received before, or earlier in this batch: known by its digest alone
            with db.unit_of_work() as session:
                row = _duplicate(session, digest, filename=name, source=where)
            if row is not None:
                out.append(row)
                continue
            # Its first copy in this batch could not be read in the worker: this one stands in.
            got = _read_and_check(path, settings=settings)
        if isinstance(got, str):
            out.append(IngestRow(shown_name(path), Outcome.REJECTED, detail=got))
            continue
        data, result = got
        with db.unit_of_work() as session:
            out.append(ingest_bytes(session, data, filename=name, source=where, checked=result))
    return out


def unreadable_detail(exc: FileRefused) -> str:
    """What the intake says of a file it does not read (a link, not a regular file, too
    large, missing, unreadable); the file's name is in the row beside it."""
    return exc.reason


def _read_and_check(path: Path, *, settings: Settings) -> tuple[bytes, CheckResult] | str:
    """A worker's part: the file as read and its check (the bytes checked are those stored)."""
    try:
        data = read_given(path, limit=settings.max_upload_bytes)
    except FileRefused as exc:
        return unreadable_detail(exc)
    return data, check_workbook(data, settings=settings)


def _known_digests(session: Session, digests: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(digests), 500):
        chunk = digests[start : start + 500]
        known.update(
            session.exec(
                select(Submission.file_sha256).where(col(Submission.file_sha256).in_(chunk))
            ).all()
        )
    return known


def _summary(result: CheckResult) -> str:
    if result.status is Status.INCOMPLETE:
        return f"{len(result.unanswered)} unanswered"
    if result.problems:
        first = result.problems[0]
        more = f" (+{len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        return f"{first.where() + ': ' if first.where() else ''}{first.message}{more}"
    return ""


def _duplicate(session: Session, digest: str, *, filename: str, source: str) -> IngestRow | None:
    """The row for a file whose bytes were received before (recorded in the audit log)."""
    earlier = session.exec(select(Submission).where(Submission.file_sha256 == digest)).first()
    if earlier is None:
        return None
    audit.record(
        session, actor=source[:100], action="submission.duplicate", entity="submission",
        key=str(earlier.id), filename=filename,
    )  # fmt: skip
    meta = earlier.meta or {}
    return IngestRow(
        filename, Outcome.DUPLICATE, meta.get("institution"), meta.get("round"),
        f"same file as submission {earlier.id}", earlier.id,
    )  # fmt: skip


def ingest_bytes(
    session: Session,
    data: bytes,
    *,
    filename: str,
    source: str,
    checked: CheckResult | None = None,
    settings: Settings | None = None,
) -> IngestRow:
    """Ingest one workbook inside the caller's transaction.

    ``checked``: its check, if done already; otherwise it is checked here with
    ``settings`` (its limits and signing key), which must then be given. ``filename`` and
    ``source`` are kept and shown as :func:`pvpp.files.shown_name` gives them.
    """
    filename, source = shown_name(filename), shown_name(source)
    digest = sha256(data)
    # Another process taking the same file is waited for: then it is a duplicate here.
    hold(session, f"file:{digest}")
    duplicate = _duplicate(session, digest, filename=filename, source=source)
    if duplicate is not None:
        return duplicate

    if checked is None:
        if settings is None:
            raise TypeError("ingest_bytes needs the settings to check a workbook")
        checked = check_workbook(data, settings=settings)
    result = checked
    problems: list[StoredProblem] = [
        {"code": p.code, "sheet": p.sheet, "cell": p.cell, "field": p.field, "message": p.message}
        for p in result.problems
    ]
    problems += [
        {"code": "unanswered", "sheet": u.sheet, "cell": u.cell, "field": u.field, "message": ""}
        for u in result.unanswered
    ]
    meta = result.meta
    trusted = meta is not None and not ({p.code for p in result.problems} & IDENTITY_CODES)
    assignment = None
    unmatched_reason = ""
    if trusted and meta is not None:
        rnd = session.exec(select(Round).where(Round.code == meta.round)).first()
        inst = session.exec(select(Institution).where(Institution.code == meta.institution)).first()
        if rnd is None or inst is None:
            unmatched_reason = (
                f"no round {meta.round} or institution {meta.institution} in the store"
            )
        else:
            # Locked and read afresh: files for one assignment are taken one at a time.
            assignment = session.exec(
                select(Assignment)
                .where(Assignment.round_id == rnd.id, Assignment.institution_id == inst.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).first()
            if assignment is None:
                unmatched_reason = f"{meta.institution} has no assignment in round {meta.round}"
            elif meta.questionnaire != rnd.questionnaire_version:
                problems.append({
                    "code": "wrong_questionnaire", "sheet": None, "cell": None, "field": None,
                    "message": f"round {rnd.code} uses {rnd.questionnaire_version}, "
                    f"not {meta.questionnaire}",
                })  # fmt: skip

    stored = store_file(session, data)
    status = result.status.value
    if unmatched_reason or any(p["code"] == "wrong_questionnaire" for p in problems):
        status = Outcome.REJECTED.value
    late = assignment is not None and State(assignment.state) not in TAKES_WORKBOOK
    previous = None
    if assignment is not None:
        previous = session.exec(
            select(Submission)
            .where(Submission.assignment_id == assignment.id)
            .order_by(col(Submission.id).desc())
        ).first()
    submission = Submission(
        assignment_id=assignment.id if assignment else None,
        file_sha256=stored.sha256,
        filename=filename[:500],
        source=source[:500],
        status=status,
        problems=problems,
        meta=meta.__dict__ if meta else None,
        supersedes_id=previous.id if previous else None,
        late_state=assignment.state if late and assignment is not None else None,
    )
    session.add(submission)
    session.flush()

    detail = unmatched_reason or _summary(result)
    if any(p["code"] == "wrong_questionnaire" for p in problems):
        detail = next(p["message"] for p in problems if p["code"] == "wrong_questionnaire")
    outcome = Outcome(status)
    if assignment is not None and late and meta is not None:
        outcome = Outcome.LATE
        detail = late_detail(status, detail, assignment.state, meta.round, meta.institution)
    elif assignment is not None and _apply(session, assignment, submission, detail, result.answers):
        outcome, detail = Outcome.SUBMITTED, AWAITING_REVIEW
    audit.record(
        session, actor=source[:100],
        action="submission.late" if outcome is Outcome.LATE else f"submission.{status}",
        entity="submission", key=str(submission.id), sha256=digest, filename=filename,
        verdict=status,
    )  # fmt: skip
    return IngestRow(
        filename,
        outcome,
        meta.institution if meta else None,
        meta.round if meta else None,
        detail,
        submission.id,
    )


#: The format of the file a submission made online keeps (its answers, as JSON).
WEB_FORMAT = "pvpp-web-answers"


def submit_answers(
    session: Session,
    assignment: Assignment,
    answers: dict[str, Answer],
    *,
    meta: dict[str, str],
    actor: str,
    submitted_at: datetime,
) -> IngestRow:
    """Answers filled online, complete and checked by the same rules as a workbook
    (:func:`pvpp.drafts.submit`), received as an accepted workbook is: a
    :class:`Submission` whose file is the answers as JSON (stored by SHA-256 like a
    workbook; source ``web:<address>``), then the same moves (:func:`_apply`): submitted,
    then accepted with a new answer set superseding the current one (or, in a round with
    review, held in ``submitted`` for a reviewer: outcome ``submitted``).

    ``meta``: the keys a workbook's hidden sheet gives (questionnaire, policy, round,
    institution, institution_name, lang). The caller holds the assignment (locked) in a
    state that takes answers (:data:`pvpp.states.assignment.TAKES_WORKBOOK`)."""
    if State(assignment.state) not in TAKES_WORKBOOK:
        raise PvppError(f"assignment {assignment.id} is {assignment.state}: it takes no answers")
    document = {
        "format": WEB_FORMAT,
        "meta": meta,
        "submitted_by": actor,
        "submitted_at": submitted_at.isoformat(),
        "answers": answers,
    }
    data = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    stored = store_file(session, data)
    previous = session.exec(
        select(Submission)
        .where(Submission.assignment_id == assignment.id)
        .order_by(col(Submission.id).desc())
    ).first()
    filename = f"{meta['institution']}-{meta['round']}-web.json"
    submission = Submission(
        assignment_id=id_of(assignment),
        file_sha256=stored.sha256,
        filename=filename,
        source=f"web:{actor}"[:500],
        status=Outcome.ACCEPTED.value,
        problems=[],
        meta={**meta, "created_at": submitted_at.isoformat(), "format": WEB_FORMAT},
        supersedes_id=previous.id if previous else None,
        received_at=submitted_at,
    )
    session.add(submission)
    session.flush()
    held = _apply(session, assignment, submission, "", answers)
    outcome = Outcome.SUBMITTED if held else Outcome.ACCEPTED
    audit.record(
        session, actor=actor[:100], action=f"submission.{outcome.value}", entity="submission",
        key=str(submission.id), sha256=stored.sha256, filename=filename, verdict="accepted",
        via="web",
    )  # fmt: skip
    return IngestRow(filename, outcome, meta["institution"], meta["round"],
                     AWAITING_REVIEW if held else "", submission.id)  # fmt: skip


def late_detail(status: str, detail: str, state: str, round_code: str, institution: str) -> str:
    """What the intake says of a late workbook: kept, not applied, and how to apply it."""
    verdict = f"{status}: {detail}" if detail else status
    return (
        f"late: kept, not applied (the plan was already sent; {institution} is {state}); "
        f"the file is {verdict}; to apply it: pvpp round reopen {round_code} {institution}"
    )


#: What the intake says of a valid submission held for review.
AWAITING_REVIEW = "valid; awaiting review (pvpp review show ROUND INSTITUTION)"


def _apply(
    session: Session,
    assignment: Assignment,
    submission: Submission,
    detail: str,
    answers: dict[str, Answer],
) -> bool:
    """Move the assignment by a received workbook: submitted, then judged (:func:`_judge`).
    True when the submission is held for review."""
    transition(
        session, assignment, State.SUBMITTED, actor=f"submission:{submission.id}",
        reason=f"received {submission.filename}",
    )  # fmt: skip
    return _judge(session, assignment, submission, detail, answers)


def _judge(
    session: Session,
    assignment: Assignment,
    submission: Submission,
    detail: str,
    answers: dict[str, Answer],
) -> bool:
    """A submitted assignment after its workbook's check: accepted with a new answer set
    superseding the current one, or returned. The moves name the submission (which is how
    a late file is known to have been applied since, :func:`pvpp.queries.late_files`).

    In a round with review a valid submission is not judged here: its answers are held on
    the submission and the assignment stays ``submitted`` until a reviewer decides
    (:mod:`pvpp.review`); returns True then."""
    actor = f"submission:{submission.id}"
    rnd = session.get(Round, assignment.round_id)
    if submission.status == Outcome.ACCEPTED.value and rnd is not None and rnd.review_required:
        submission.answers = answers
        session.add(submission)
        return True
    if submission.status == Outcome.ACCEPTED.value:
        transition(
            session, assignment, State.ACCEPTED, actor=actor, reason="workbook valid and complete"
        )
        current = current_answers(session, assignment)
        session.add(
            AnswerSet(
                assignment_id=id_of(assignment),
                submission_id=id_of(submission),
                answers=answers,
                supersedes_id=current.id if current else None,
            )
        )
    else:
        transition(
            session, assignment, State.RETURNED, actor=actor,
            reason=f"{submission.status}: {detail}",
        )  # fmt: skip
    return False


class ReopenError(PvppError):
    """An assignment that cannot be reopened, with what to do instead."""


@dataclass(frozen=True)
class Reopened:
    """What a reopen did: the state it left and, if a late file was applied, which."""

    institution: str
    state: str
    applied: str | None = None  # the late file's name
    status: str | None = None  # its check's verdict


def reopen(
    session: Session,
    round_code: str,
    institution: str,
    *,
    actor: str,
    reason: str,
    settings: Settings,
) -> Reopened:
    """A coordinator reopens an assignment whose plan has gone out (``pvpp round reopen``).

    With a late workbook not yet applied, the newest is applied now (checked again from
    the stored bytes): ``submitted``, then ``accepted`` with its answers (a new plan
    version follows) or ``returned``. Without one, the assignment goes to ``returned``:
    the institution's next workbook is applied. The reopen itself is a transition with
    the coordinator as actor and the reason given.
    """
    actor, reason = actor.strip(), reason.strip()
    if not actor or not reason:
        raise ReopenError("say who reopens and why: --actor and --reason must not be empty")
    rnd = round_by_code(session, round_code)
    inst = institution_by_code(session, institution)
    assignment = assignment_of(session, rnd, inst) if rnd and inst else None
    if assignment is None:
        raise ReopenError(f"{institution} has no assignment in round {round_code}")
    if State(assignment.state) not in REOPENABLE:
        raise ReopenError(
            f"{institution} is {assignment.state} in round {round_code}: its plan has not "
            "gone out, so a workbook arriving now is applied as it is; nothing to reopen"
        )
    pending = late_files(session, [id_of(assignment)]).get(id_of(assignment), [])
    why = f"{REOPEN_REASON}: {reason}"
    if not pending:
        transition(session, assignment, State.RETURNED, actor=actor[:100], reason=why)
        audit.record(
            session, actor=actor[:100], action="assignment.reopen", entity="assignment",
            key=f"{round_code}|{institution}", reason=reason,
        )  # fmt: skip
        return Reopened(institution, assignment.state)
    newest = session.get(Submission, pending[-1].submission_id)
    assert newest is not None
    stored = session.get(StoredFile, newest.file_sha256)
    if stored is None:
        raise ReopenError(f"the late file {newest.filename} is missing from the file store")
    result = check_workbook(read_file(session, stored), settings=settings)
    if newest.status == Outcome.ACCEPTED.value and result.status is not Status.ACCEPTED:
        raise ReopenError(
            f"the late file {newest.filename} no longer passes the check "
            f"({result.status.value}: {_summary(result)}); ask the institution for a new one"
        )
    transition(
        session, assignment, State.SUBMITTED, actor=actor[:100],
        reason=f"{why}; applying the late file {newest.filename} (submission {newest.id})",
    )  # fmt: skip
    detail = _summary(result)
    _judge(session, assignment, newest, detail, result.answers)
    audit.record(
        session, actor=actor[:100], action="assignment.reopen", entity="assignment",
        key=f"{round_code}|{institution}", reason=reason, applied=newest.id,
    )  # fmt: skip
    return Reopened(institution, assignment.state, newest.filename, newest.status)
