"""RV2: every assigned institution's workbook, filed and sent to its team once.

Workbooks are built in worker processes (see :mod:`pvpp.parallel`); this process files
each one and queues its invitation in its own transaction. An institution whose
invitation is already in the outbox is skipped, so running it again sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from sqlmodel import Session, col, select

from pvpp.files import write_atomic
from pvpp.mail.compose import queue_invitation
from pvpp.mail.outbox import find
from pvpp.parallel import imap
from pvpp.plans import context
from pvpp.policy.models import Lang
from pvpp.questionnaire import load_questionnaire
from pvpp.rounds import assignment_codes
from pvpp.settings import Settings
from pvpp.states.assignment import NOT_STARTED
from pvpp.store.db import Database
from pvpp.store.models import OutboxMessage
from pvpp.workbook.build import build_workbook


@dataclass(frozen=True)
class WorkbookJob:
    """What building one institution's workbook needs (picklable, no store access)."""

    code: str
    name: str
    round_code: str
    questionnaire: str
    due: date | None
    lang: Lang


def build(job: WorkbookJob, *, key: bytes) -> bytes:
    """The blank workbook for one institution."""
    spec = load_questionnaire(job.questionnaire)
    return build_workbook(
        spec, institution_code=job.code, institution_name=job.name, round_code=job.round_code,
        lang=job.lang, key=key, due=job.due,
    )  # fmt: skip


def invited(session: Session, round_code: str) -> set[str]:
    """Codes of the institutions whose invitation for the round is in the outbox."""
    return set(
        session.exec(
            select(OutboxMessage.institution_code).where(
                OutboxMessage.round_code == round_code, col(OutboxMessage.kind) == "invitation"
            )
        ).all()
    )


def invite_round(round_code: str, folder: Path, *, settings: Settings, db: Database) -> int:
    """Build, file (``folder/CODE.xlsx``) and queue the invitation of every open
    assignment not yet invited; returns how many were queued."""
    with db.reading() as s:
        done = invited(s, round_code)
        jobs = []
        for code in assignment_codes(s, round_code, NOT_STARTED):
            if code in done:
                continue
            ctx = context(s, round_code, code)
            jobs.append(
                WorkbookJob(
                    code, ctx.institution.name, round_code, ctx.round.questionnaire_version,
                    ctx.round.due_on, settings.language,
                )
            )  # fmt: skip
    built = imap(
        partial(build, key=settings.signing_key()), jobs,
        workers=settings.worker_count(), label="Building workbooks",
    )  # fmt: skip
    queued = 0
    for job, data in zip(jobs, built, strict=True):
        write_atomic(folder / f"{job.code}.xlsx", data)
        with db.unit_of_work() as s:
            if find(s, round_code=round_code, institution_code=job.code, kind="invitation"):
                continue  # queued by another run meanwhile
            queue_invitation(
                s, round_code=round_code, institution=job.code, workbook=data, settings=settings
            )
            queued += 1
    return queued
