"""Delivering plans to heads of institutions: render, queue, and record what was sent.

``queue_plans`` renders each institution's newest plan and queues the email to the head
(a copy to the team lead) once per plan version, with the version's one-time approval
link and approval date (:func:`pvpp.mail.compose.queue_plan`). After the relay has delivered it,
``record_sent_plans`` moves the assignment to ``plan_sent`` and marks the plan version
sent: the head received exactly the version that was agreed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from sqlmodel import Session, select

from pvpp.assignments import State, transition
from pvpp.batch import Batch, Failed, guarded
from pvpp.documents.plan_pdf import plan_pdf
from pvpp.files import write_atomic
from pvpp.mail.compose import queue_plan, queue_proposal
from pvpp.mail.outbox import find
from pvpp.parallel import imap
from pvpp.plans import PlanError, context, latest_plan
from pvpp.policy.models import Lang
from pvpp.proposals import plan_sheet
from pvpp.rounds import assignment_codes
from pvpp.settings import Settings
from pvpp.states.assignment import PLANNED
from pvpp.states.machine import check_move
from pvpp.states.outbox import OutboxState
from pvpp.states.plan import ALLOWED, PlanState, approval_due_on
from pvpp.store.db import Database
from pvpp.store.models import OutboxMessage, Plan


@dataclass(frozen=True)
class PlanMail:
    institution: str
    outcome: str  # queued | already queued | no plan | superseded meanwhile | failed
    version: int | None = None
    reason: str = ""  # why it failed


def queue_plans(
    round_code: str,
    institutions: list[str] | None = None,
    *,
    lang: Lang | None = None,
    pdf_dir: Path | None = None,
    settings: Settings,
    db: Database,
    today: date,
) -> Batch[PlanMail]:
    """Queue the plan email for each institution (default: every planned one).

    PDFs are rendered in worker processes (:mod:`pvpp.parallel`) while this process queues
    the emails, one transaction per institution. With ``pdf_dir`` each plan version's PDF
    is also filed there as ``CODE-vN.pdf``, and a PDF already filed is sent as it is
    instead of being rendered again. The PDFs are dated ``today``.

    One institution that cannot be sent (its plan PDF fails, the head's name or address
    is refused) is a ``failed`` row with the reason and is listed in the result's
    ``failed``; nothing is queued for it and the others go on (:mod:`pvpp.batch`).
    """
    lang = lang or settings.language
    batch: Batch[PlanMail] = Batch("plan email")
    out: dict[str, PlanMail] = {}
    todo: list[tuple[str, int]] = []

    def failed(code: str, version: int | None = None) -> PlanMail:
        """The row of an institution the batch has just recorded as failed."""
        return PlanMail(code, "failed", version, batch.failed[-1].reason)

    def look(s: Session, code: str) -> PlanMail:
        plan = latest_plan(s, context(s, round_code, code).assignment)
        if plan is None:
            return PlanMail(code, "no plan")
        if find(s, round_code=round_code, institution_code=code, kind="plan", version=plan.version):
            return PlanMail(code, "already queued", plan.version)
        todo.append((code, plan.version))
        return PlanMail(code, "to send", plan.version)

    with db.reading() as s:
        if institutions is None:
            institutions = assignment_codes(s, round_code, PLANNED)
        for code in institutions:
            out[code] = batch.attempt(code, partial(look, s, code)) or failed(code)

    def filed(code: str, version: int) -> Path | None:
        return pdf_dir / f"{code}-v{version}.pdf" if pdf_dir else None

    to_render = [code for code, v in todo if not ((f := filed(code, v)) and f.exists())]
    # One PDF that cannot be rendered is that institution's failure, not the others'.
    rendered = imap(
        partial(
            guarded,
            partial(
                render, round_code=round_code, lang=lang, db=db, today=today,
                approve_by=approval_due_on(today, settings.approval_days),
            ),
        ),
        to_render,
        workers=settings.worker_count(), label="Rendering plan PDFs",
    )  # fmt: skip

    def send(code: str, version: int, pdf: bytes) -> PlanMail:
        # One transaction per institution: a failure rolls back only this one.
        with db.unit_of_work() as s:
            plan = latest_plan(s, context(s, round_code, code).assignment)
            if plan is None or plan.version != version:
                # A newer version appeared; the next run sends that one.
                return PlanMail(code, "superseded meanwhile", version)
            if find(s, round_code=round_code, institution_code=code, kind="plan", version=version):
                return PlanMail(code, "already queued", version)
            queue_plan(
                s, round_code=round_code, institution=code, plan_version=version, pdf=pdf,
                today=today, lang=lang, settings=settings,
            )  # fmt: skip
            # The team gets the version's plan sheet: the proposal it shapes and returns.
            sheet = plan_sheet(s, round_code, code, lang=lang, settings=settings)
            queue_proposal(
                s, round_code=round_code, institution=code, plan_version=version,
                sheet=sheet, lang=lang, settings=settings,
            )  # fmt: skip
            return PlanMail(code, "queued", version)

    for code, version in todo:
        path = filed(code, version)
        if path is not None and path.exists():
            pdf: bytes | Failed = path.read_bytes()
        else:
            pdf = next(rendered)
            if path is not None and not isinstance(pdf, Failed):
                write_atomic(path, pdf)
        if isinstance(pdf, Failed):
            batch.fail(code, f"the plan PDF could not be made: {pdf.reason}")
            out[code] = failed(code, version)
            continue
        out[code] = batch.attempt(code, partial(send, code, version, pdf)) or failed(code, version)
    batch.extend(out[code] for code in institutions)
    return batch


def render(
    code: str,
    *,
    round_code: str,
    lang: Lang,
    db: Database,
    today: date,
    approve_by: date | None = None,
) -> bytes:
    """The PDF of one institution's newest plan version, dated ``today`` (read-only; runs
    in a worker, where ``db`` arrives as that process's one store of the URL). The summary
    asks the head to approve by ``approve_by`` (the email sent with it carries the same
    date, :func:`pvpp.states.plan.approval_due_on`)."""
    with db.reading() as s:
        return plan_pdf(s, round_code, code, lang=lang, today=today, approve_by=approve_by)


def record_sent_plans(session: Session) -> int:
    """Move assignments whose plan email was delivered to ``plan_sent``; returns how many."""
    moved = 0
    for msg in session.exec(
        select(OutboxMessage).where(
            OutboxMessage.kind == "plan", OutboxMessage.state == OutboxState.SENT
        )
    ).all():
        try:
            ctx = context(session, msg.round_code, msg.institution_code)
        except PlanError:
            continue
        plan = session.exec(
            select(Plan).where(Plan.assignment_id == ctx.assignment.id, Plan.version == msg.version)
        ).first()
        # Only a draft becomes sent: a version the head has approved meanwhile stays so.
        if plan is not None and plan.status == PlanState.DRAFT:
            check_move(ALLOWED, PlanState.DRAFT, PlanState.SENT, f"plan version {plan.version}")
            plan.status = PlanState.SENT
            session.add(plan)
        latest = latest_plan(session, ctx.assignment)
        if (
            ctx.assignment.state == State.PLANNED.value
            and latest is not None
            and latest.version == msg.version
        ):
            transition(
                session, ctx.assignment, State.PLAN_SENT, actor=f"outbox:{msg.id}",
                reason=f"plan version {msg.version} delivered ({msg.message_id})",
            )  # fmt: skip
            moved += 1
    return moved
