"""Delivering plans to heads of institutions: render, queue, and record what was sent.

``queue_plans`` renders each institution's newest plan and queues the email to the head
(a copy to the team lead) once per plan version. After the relay has delivered it,
``record_sent_plans`` moves the assignment to ``plan_sent`` and marks the plan version
sent: the head received exactly the version that was agreed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from pvpp.assignments import State, transition
from pvpp.documents.plan_pdf import plan_pdf
from pvpp.files import write_atomic
from pvpp.mail.compose import queue_plan
from pvpp.mail.outbox import find
from pvpp.plans import PlanError, context, latest_plan
from pvpp.rounds import assignment_codes
from pvpp.settings import Settings, get_settings
from pvpp.store.db import unit_of_work
from pvpp.store.models import OutboxMessage, Plan

PLANNED_STATES = (State.PLANNED.value, State.PLAN_SENT.value, State.IN_FOLLOW_UP.value)


@dataclass(frozen=True)
class PlanMail:
    institution: str
    outcome: str  # queued | already queued | no plan
    version: int | None = None


def queue_plans(
    round_code: str,
    institutions: list[str] | None = None,
    *,
    lang: str | None = None,
    pdf_dir: Path | None = None,
    settings: Settings | None = None,
) -> list[PlanMail]:
    """Queue the plan email for each institution (default: every planned one).

    With ``pdf_dir`` each plan version's PDF is also filed there as ``CODE-vN.pdf``, and a
    PDF already filed is sent as it is instead of being rendered again.
    """
    settings = settings or get_settings()
    if institutions is None:
        with unit_of_work(settings) as s:
            institutions = assignment_codes(s, round_code, PLANNED_STATES)
    out = []
    for code in institutions:
        # One transaction per institution: a failure leaves the others queued.
        with unit_of_work(settings) as s:
            ctx = context(s, round_code, code)
            plan = latest_plan(s, ctx.assignment)
            if plan is None:
                out.append(PlanMail(code, "no plan"))
                continue
            if find(
                s, round_code=round_code, institution_code=code, kind="plan", version=plan.version
            ):
                out.append(PlanMail(code, "already queued", plan.version))
                continue
            filed = pdf_dir / f"{code}-v{plan.version}.pdf" if pdf_dir else None
            if filed is not None and filed.exists():
                pdf = filed.read_bytes()
            else:
                pdf = plan_pdf(s, round_code, code, lang=lang or settings.language)
                if filed is not None:
                    write_atomic(filed, pdf)
            queue_plan(
                s,
                round_code=round_code,
                institution=code,
                plan_version=plan.version,
                pdf=pdf,
                lang=lang,
                settings=settings,
            )
            out.append(PlanMail(code, "queued", plan.version))
    return out


def record_sent_plans(session: Session) -> int:
    """Move assignments whose plan email was delivered to ``plan_sent``; returns how many."""
    moved = 0
    for msg in session.exec(
        select(OutboxMessage).where(OutboxMessage.kind == "plan", OutboxMessage.state == "sent")
    ).all():
        try:
            ctx = context(session, msg.round_code, msg.institution_code)
        except PlanError:
            continue
        plan = session.exec(
            select(Plan).where(Plan.assignment_id == ctx.assignment.id, Plan.version == msg.version)
        ).first()
        if plan is not None and plan.status != "sent":
            plan.status = "sent"
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
