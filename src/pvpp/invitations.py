"""RV2: every assigned institution's workbook, filed and sent to its team once.

Workbooks are built in worker processes (see :mod:`pvpp.parallel`); this process files
each one and queues its invitation in its own transaction. An institution whose
invitation is already in the outbox is skipped, so running it again sends nothing twice.
One institution whose workbook or invitation cannot be made is recorded as failed with the
reason, and the others go on (:mod:`pvpp.batch`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from sqlmodel import Session, col, select

from pvpp.batch import Batch, Failed, guarded
from pvpp.errors import PvppError
from pvpp.files import write_atomic
from pvpp.mail.compose import queue_invitation
from pvpp.mail.outbox import find
from pvpp.parallel import imap
from pvpp.plans import context
from pvpp.policy.models import Lang
from pvpp.queries import assignment_of, institution_by_code, round_by_code
from pvpp.questionnaire import load_questionnaire
from pvpp.rounds import assignment_codes
from pvpp.settings import Settings
from pvpp.states.assignment import NOT_STARTED
from pvpp.store.db import Database
from pvpp.store.models import OutboxMessage, Round
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


class UnknownTarget(PvppError):
    """A workbook was asked for a round or institution the store does not have."""


def workbook_job(
    session: Session,
    round_code: str,
    institution_code: str,
    *,
    lang: Lang,
    name: str | None = None,
    due: date | None = None,
    questionnaire: str | None = None,
) -> WorkbookJob:
    """What building one institution's workbook for a round needs, from the store.

    Raises :class:`UnknownTarget` naming what is missing (the round, the institution in
    the registry, or its assignment to the round): a workbook for either would be refused
    when it comes back. ``name``, ``due`` and ``questionnaire`` override the registry's
    name and the round's due date and questionnaire version.
    """
    rnd = round_by_code(session, round_code)
    if rnd is None:
        known = ", ".join(session.exec(select(Round.code).order_by(col(Round.code))).all())
        raise UnknownTarget(
            f"There is no assessment round {round_code!r} "
            f"({f'the rounds are: {known}' if known else 'none exists yet: `pvpp round create`'})."
        )
    inst = institution_by_code(session, institution_code)
    if inst is None:
        raise UnknownTarget(
            f"There is no institution {institution_code!r} in the registry; "
            "see `pvpp registry list`."
        )
    if assignment_of(session, rnd, inst) is None:
        raise UnknownTarget(
            f"{institution_code} ({inst.name}) is not assigned to round {round_code}, "
            "so a workbook for it would be refused when returned (see `pvpp round status`)."
        )
    return WorkbookJob(
        institution_code,
        name or inst.name,
        round_code,
        questionnaire or rnd.questionnaire_version,
        due or rnd.due_on,
        lang,
    )


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


def invite_round(round_code: str, folder: Path, *, settings: Settings, db: Database) -> Batch[str]:
    """Build, file (``folder/CODE.xlsx``) and queue the invitation of every open
    assignment not yet invited; returns the codes queued, and in ``failed`` those that
    could not be (each with the reason; nothing is queued for them)."""
    batch: Batch[str] = Batch("invitation")

    def job_of(s: Session, code: str) -> WorkbookJob:
        ctx = context(s, round_code, code)
        return WorkbookJob(
            code, ctx.institution.name, round_code, ctx.round.questionnaire_version,
            ctx.round.due_on, settings.language,
        )  # fmt: skip

    with db.reading() as s:
        done = invited(s, round_code)
        jobs = []
        for code in assignment_codes(s, round_code, NOT_STARTED):
            if code in done:
                continue
            job = batch.attempt(code, partial(job_of, s, code))
            if job is not None:
                jobs.append(job)
    # One workbook that cannot be built is that institution's failure, not the others'.
    built = imap(
        partial(guarded, partial(build, key=settings.signing_key())), jobs,
        workers=settings.worker_count(), label="Building workbooks",
    )  # fmt: skip

    def queue_one(job: WorkbookJob, data: bytes) -> bool:
        with db.unit_of_work() as s:
            if find(s, round_code=round_code, institution_code=job.code, kind="invitation"):
                return False  # queued by another run meanwhile
            queue_invitation(
                s, round_code=round_code, institution=job.code, workbook=data, settings=settings
            )
            return True

    for job, data in zip(jobs, built, strict=True):
        if isinstance(data, Failed):
            batch.fail(job.code, f"the workbook could not be built: {data.reason}")
            continue
        queued = batch.attempt(job.code, partial(queue_one, job, data))
        if queued is None:
            continue  # failed: nothing filed for it either
        # Filed once its invitation is in the outbox (which holds the workbook itself).
        write_atomic(folder / f"{job.code}.xlsx", data)
        if queued:
            batch.append(job.code)
    return batch
