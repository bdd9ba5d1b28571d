"""What the institution portal shows, built from the store for one signed-in person.

Every function here takes the :class:`~pvpp.sessions.Viewer` (the person of the request)
and returns plain data for a page, or raises :class:`NotFound` for anything that is not of
the viewer's institution: a foreign plan's id is answered exactly as an id that does not
exist, so nothing about another institution can be learnt from the portal. The web
routes only call these and render what they return (:mod:`pvpp.web`).

- :func:`home`: the institution, its current round (due date, state, what is missing),
  the plan versions and their approval, the team and its trainings;
- :func:`plan_page`: one plan version's measures by period (the annex's content) and its
  approval; :func:`plan_pdf_file`: the PDF the head was sent for it;
- :func:`approval_page`: what a head's approval link is for (:mod:`pvpp.approvals`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from pvpp import approvals
from pvpp.approvals import Decision, approval_line, approval_view, usable
from pvpp.clock import Clock
from pvpp.documents.plan_pdf import annex_context
from pvpp.errors import PvppError
from pvpp.i18n import t
from pvpp.mail.outbox import find
from pvpp.planning.library import load_common
from pvpp.policy import load_policy
from pvpp.policy.models import Lang
from pvpp.sessions import Viewer
from pvpp.settings import Settings
from pvpp.signin import HEAD
from pvpp.states.assignment import AWAITING_WORKBOOK, AssignmentState
from pvpp.states.plan import PlanState
from pvpp.store.files import read_file
from pvpp.store.models import (
    Assignment,
    Institution,
    Plan,
    Round,
    StoredFile,
    Submission,
    Team,
    TeamMember,
    Training,
    id_of,
)
from pvpp.teams import team_status

__all__ = [
    "NotAllowed",
    "NotFound",
    "approval_page",
    "decide",
    "home",
    "may_decide",
    "plan_page",
    "plan_pdf_file",
]


class NotFound(PvppError):
    """Nothing the viewer may see is there (also for what belongs to another institution)."""


class NotAllowed(PvppError):
    """The viewer may see this but not do it (a team member deciding on the head's plan)."""


def may_decide(viewer: Viewer | None) -> bool:
    """Whether the visitor of an approval page may decide: its holder without a session
    (the head, from the email), or the signed-in head. A team lead is copied on the plan
    email and so holds the link too; signed in as the team, they see the page but do not
    decide in the head's name."""
    return viewer is None or viewer.role == HEAD


def _institution(session: Session, viewer: Viewer) -> Institution:
    inst = session.get(Institution, viewer.institution_id)
    if inst is None:
        raise NotFound("no such institution")
    return inst


def _current_assignment(session: Session, inst: Institution) -> tuple[Round, Assignment] | None:
    """The institution's assignment in its newest round (by opening day), if it has one."""
    row = session.exec(
        select(Round, Assignment)
        .join(Assignment, col(Assignment.round_id) == col(Round.id))
        .where(Assignment.institution_id == inst.id)
        .order_by(col(Round.opens_on).desc(), col(Round.id).desc())
    ).first()
    return (row[0], row[1]) if row is not None else None


def _plans(session: Session, assignment: Assignment) -> list[Plan]:
    return list(
        session.exec(
            select(Plan)
            .where(Plan.assignment_id == assignment.id)
            .order_by(col(Plan.version).desc())
        ).all()
    )


def _missing(
    session: Session,
    inst: Institution,
    assignment: Assignment,
    plans: list[Plan],
    policy_version: str,
    lang: Lang,
) -> list[str]:
    """What the institution still owes, as sentences: the workbook (and the problems of the
    one returned), the team's RV1 gaps, the head's approval of the newest plan."""
    out = []
    state = AssignmentState(assignment.state)
    if state in AWAITING_WORKBOOK:
        out.append(t("web.home.missing.workbook", lang))
        last = session.exec(
            select(Submission)
            .where(Submission.assignment_id == assignment.id)
            .order_by(col(Submission.received_at).desc(), col(Submission.id).desc())
        ).first()
        if last is not None and state is AssignmentState.RETURNED:
            out.append(t("web.home.missing.problems", lang, n=len(last.problems or [])))
    trainings = {m.id: m.text.get(lang) for m in load_policy(policy_version).measures}
    for flag in team_status(session, inst).flags():
        if flag.startswith("no_training_"):
            training = flag.removeprefix("no_training_")
            named = f"{training} {trainings.get(training, '')}".strip()
            out.append(t("exports.flag.no_training", lang, training=named))
        else:
            out.append(t(f"exports.flag.{flag}", lang))
    if plans and plans[0].status == PlanState.SENT:
        out.append(t("web.home.missing.approval", lang, version=plans[0].version))
    return out


def _team(
    session: Session, inst: Institution, policy_version: str, lang: Lang
) -> list[dict[str, Any]]:
    """The active members, lead first, with their roles and trainings in words."""
    team = session.exec(select(Team).where(Team.institution_id == inst.id)).first()
    if team is None:
        return []
    members = session.exec(
        select(TeamMember).where(TeamMember.team_id == team.id, col(TeamMember.active).is_(True))
    ).all()
    roles = {r.id: r.name.get(lang) for r in load_common(policy_version).roles}
    measures = {m.id: m.text.get(lang) for m in load_policy(policy_version).measures}
    trainings: dict[int, list[Training]] = {}
    for row in session.exec(
        select(Training)
        .where(col(Training.member_id).in_([m.id for m in members]))
        .order_by(col(Training.attended_on))
    ).all():
        trainings.setdefault(row.member_id, []).append(row)
    return [
        {
            "name": m.name,
            "email": m.email,
            "lead": m.is_lead,
            "roles": [roles.get(r, r) for r in m.roles],
            "trainings": [
                {
                    "measure": f"{tr.measure_id} {measures.get(tr.measure_id, '')}".strip(),
                    "on": tr.attended_on,
                }
                for tr in trainings.get(id_of(m), [])
            ],
        }
        for m in sorted(members, key=lambda m: (not m.is_lead, m.name))
    ]


def _plan_row(session: Session, plan: Plan, today: date, lang: str) -> dict[str, Any]:
    return {
        "id": id_of(plan),
        "version": plan.version,
        "status": t(f"exports.plan_state.{plan.status}", lang),
        "approval": approval_line(approval_view(session, plan, today), lang),
    }


def home(
    session: Session, viewer: Viewer, *, today: date, lang: Lang, settings: Settings
) -> dict[str, Any]:
    """The viewer's home page: their institution, its round, plans and team."""
    inst = _institution(session, viewer)
    current = _current_assignment(session, inst)
    round_view = None
    plans: list[dict[str, Any]] = []
    policy_version = settings.default_policy
    if current is not None:
        rnd, assignment = current
        policy_version = rnd.policy_version
        versions = _plans(session, assignment)
        plans = [_plan_row(session, p, today, lang) for p in versions]
        round_view = {
            "code": rnd.code,
            "due": rnd.due_on,
            "overdue": assignment.state in AWAITING_WORKBOOK and today > rnd.due_on,
            "state": t(f"exports.state.{assignment.state}", lang),
            "missing": _missing(session, inst, assignment, versions, policy_version, lang),
        }
    return {
        "institution": {"code": inst.code, "name": inst.name, "head": inst.head_name},
        "round": round_view,
        "plans": plans,
        "team": _team(session, inst, policy_version, lang),
    }


def _plan_of(
    session: Session, viewer: Viewer | None, plan_id: int
) -> tuple[Plan, Round, Institution]:
    """Plan ``plan_id`` with its round and institution, when the viewer may see it (always,
    for ``viewer`` None: the caller has checked another credential)."""
    plan = session.get(Plan, plan_id)
    assignment = session.get(Assignment, plan.assignment_id) if plan is not None else None
    if plan is None or assignment is None:
        raise NotFound(f"no plan {plan_id}")
    if viewer is not None and assignment.institution_id != viewer.institution_id:
        raise NotFound(f"no plan {plan_id}")
    rnd = session.get(Round, assignment.round_id)
    inst = session.get(Institution, assignment.institution_id)
    assert rnd is not None and inst is not None  # foreign keys
    return plan, rnd, inst


def _pdf_attachment(
    session: Session, rnd: Round, inst: Institution, plan: Plan
) -> dict[str, Any] | None:
    """The PDF of the plan email of this version (what the head received), if one went."""
    mail = find(session, round_code=rnd.code, institution_code=inst.code, kind="plan",
                version=plan.version)  # fmt: skip
    if mail is None:
        return None
    return next((a for a in mail.attachments if a["content_type"] == "application/pdf"), None)


def plan_page(
    session: Session, viewer: Viewer, plan_id: int, *, today: date, lang: Lang
) -> dict[str, Any]:
    """One plan version of the viewer's institution: its measures by period, its approval,
    and whether its PDF can be downloaded."""
    plan, rnd, inst = _plan_of(session, viewer, plan_id)
    annex = annex_context(session, rnd.code, inst.code, today=today, lang=lang,
                          version=plan.version)  # fmt: skip
    return {
        **annex,
        "plan": _plan_row(session, plan, today, lang),
        "pdf": _pdf_attachment(session, rnd, inst, plan) is not None,
    }


def plan_pdf_file(session: Session, viewer: Viewer, plan_id: int) -> tuple[str, bytes]:
    """The file name and bytes of the plan PDF the head was sent for this version."""
    plan, rnd, inst = _plan_of(session, viewer, plan_id)
    item = _pdf_attachment(session, rnd, inst, plan)
    stored = session.get(StoredFile, item["sha256"]) if item is not None else None
    if item is None or stored is None:
        raise NotFound(f"plan {plan_id} has no PDF")
    return item["filename"], read_file(session, stored)


def approval_page(
    session: Session,
    token: str,
    *,
    viewer: Viewer | None,
    lang: Lang,
    settings: Settings,
    clock: Clock,
) -> dict[str, Any]:
    """What an approval link is for: the institution, the plan version, its approval date
    and its measures by period. The link is the head's credential (it came in the plan
    email); a visitor signed in for another institution is shown nothing (:class:`NotFound`).
    A link that cannot be used raises :class:`~pvpp.approvals.ApprovalError`."""
    row, plan = usable(session, token, lang=lang, settings=settings, clock=clock)
    plan, rnd, inst = _plan_of(session, viewer, id_of(plan))
    annex = annex_context(session, rnd.code, inst.code, today=clock.today(), lang=lang,
                          version=plan.version)  # fmt: skip
    return {
        "institution": {"code": inst.code, "name": inst.name, "head": inst.head_name},
        "round": {"code": rnd.code},
        "plan": {
            "id": id_of(plan),
            "version": plan.version,
            "due": plan.approval_due,
            "expires": row.expires_on,
            "mine": viewer is not None,
            "may_decide": may_decide(viewer),
        },
        "periods": annex["periods"],
    }


def decide(
    session: Session,
    token: str,
    *,
    viewer: Viewer | None,
    approve: bool,
    reason: str,
    lang: Lang,
    settings: Settings,
    clock: Clock,
    where: Mapping[str, str],
) -> Decision:
    """The head's decision through the approval page: :func:`pvpp.approvals.decide`, as
    ``pvpp plan approve`` calls it, after the check :func:`approval_page` makes (a visitor
    signed in for another institution decides nothing: :class:`NotFound`; one signed in
    as a team member of the same institution neither: :class:`NotAllowed`)."""
    if viewer is not None:
        _, plan = usable(session, token, lang=lang, settings=settings, clock=clock)
        _plan_of(session, viewer, id_of(plan))
    if not may_decide(viewer):
        raise NotAllowed(t("web.approve.not_head", lang))
    return approvals.decide(
        session, token, approve=approve, reason=reason, lang=lang, settings=settings,
        clock=clock, where=where,
    )  # fmt: skip
