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
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from pvpp import approvals, audit, followup, plan_form
from pvpp import measures as rules
from pvpp.approvals import Decision, approval_line, approval_view, usable
from pvpp.clock import Clock
from pvpp.documents.plan_pdf import annex_context, plan_context
from pvpp.errors import PvppError
from pvpp.i18n import t
from pvpp.mail.outbox import find
from pvpp.planning.library import Library, load_common, load_library
from pvpp.planning.recheck import Warning, warning_text
from pvpp.plans import Context, latest_plan
from pvpp.policy import load_policy
from pvpp.policy.models import Lang
from pvpp.proposals import (
    OWN_PREFIX,
    Shaping,
    ShapingRefused,
    preview_plan,
    shape_plan,
    sheet_data,
)
from pvpp.queries import measure_facts
from pvpp.sessions import Viewer
from pvpp.settings import Settings
from pvpp.signin import HEAD
from pvpp.states.assignment import AWAITING_REVIEW, AWAITING_WORKBOOK, AssignmentState
from pvpp.states.plan import PlanState
from pvpp.store.files import read_file
from pvpp.store.models import (
    Assignment,
    Institution,
    OutboxMessage,
    Plan,
    PlanMeasure,
    Round,
    StoredFile,
    Submission,
    Team,
    TeamMember,
    Training,
    id_of,
)
from pvpp.teams import representatives_trained, team_status
from pvpp.workbook import status as status_sheet
from pvpp.workbook.plan_sheet import CHOICES as STEP_CHOICES
from pvpp.workbook.plan_sheet import (
    OWN_ROWS,
    OWN_TARGET,
    TARGET_REASON,
    PlanSheetData,
    alternatives,
    meta_of,
)

#: The source the change records of a version shaped in the portal name.
WEB_SOURCE = "web"

__all__ = [
    "NotAllowed",
    "NotFound",
    "answers_of",
    "approval_page",
    "check_shaping",
    "decide",
    "decide_plan",
    "head_view",
    "home",
    "may_decide",
    "may_decide_here",
    "plan_page",
    "plan_pdf_file",
    "progress_page",
    "report_progress",
    "results_page",
    "save_shaping",
    "shaping_page",
]


class NotFound(PvppError):
    """Nothing the viewer may see is there (also for what belongs to another institution)."""


class NotAllowed(PvppError):
    """The viewer may see this but not do it (a team member deciding on the head's plan)."""


def may_decide(viewer: Viewer | None) -> bool:
    """Whether the visitor of an approval page may decide: only the head, signed in. The
    link alone is not the head's: the plan email and the approval reminder are copied to
    the team lead (an escalation to the coordinator or the lead), who so hold the same
    link; only the head gets the head's sign-in links (docs/approval.md)."""
    return viewer is not None and viewer.role == HEAD


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
    if state in AWAITING_REVIEW:
        out.append(t("web.home.missing.in_review", lang))
    if state in AWAITING_WORKBOOK:
        out.append(t("web.home.missing.workbook", lang))
        last = session.exec(
            select(Submission)
            .where(Submission.assignment_id == assignment.id)
            .order_by(col(Submission.received_at).desc(), col(Submission.id).desc())
        ).first()
        if last is not None and state is AssignmentState.RETURNED and last.answers is not None:
            # Valid, returned by a reviewer (pvpp.review): the comments are in the form.
            out.append(t("web.home.missing.review", lang))
        elif last is not None and state is AssignmentState.RETURNED:
            out.append(t("web.home.missing.problems", lang, n=len(last.problems or [])))
    trainings = {m.id: m.text.get(lang) for m in load_policy(policy_version).measures}
    for flag in team_status(session, inst).flags():
        if flag.startswith("no_training_"):
            training = flag.removeprefix("no_training_")
            named = f"{training} {trainings.get(training, '')}".strip()
            # Every training a flag names is owed before the self-assessment (P2.3).
            out.append(t("web.home.missing.training", lang, training=named))
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


def _representatives(
    session: Session, inst: Institution, policy_version: str, lang: Lang
) -> list[dict[str, Any]]:
    """The institution's representatives recorded as trained (P1.1) without being team
    members: they may be trained before any team exists."""
    measures = {m.id: m.text.get(lang) for m in load_policy(policy_version).measures}
    return [
        {
            "name": r.name,
            "email": r.email,
            "measure": f"{r.measure_id} {measures.get(r.measure_id, '')}".strip(),
            "on": r.attended_on,
        }
        for r in representatives_trained(session, inst.code)
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
        "representatives": _representatives(session, inst, policy_version, lang),
        "head": head_view(session, viewer, today=today, lang=lang),
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
    latest = session.exec(
        select(Plan.version)
        .where(Plan.assignment_id == plan.assignment_id)
        .order_by(col(Plan.version).desc())
    ).first()
    return {
        **annex,
        "plan": _plan_row(session, plan, today, lang),
        "pdf": _pdf_attachment(session, rnd, inst, plan) is not None,
        "warnings": _stored_warnings(plan, rnd, lang),
        "may_shape": viewer.role != HEAD and latest == plan.version,
        "may_decide": may_decide_here(session, viewer, plan),
        "head": head_view(session, viewer, today=today, lang=lang),
    }


def _stored_warnings(plan: Plan, rnd: Round, lang: Lang) -> list[str]:
    """The re-check's warnings stored with a version the team shaped, in words."""
    if not plan.warnings:
        return []
    library = load_library(rnd.policy_version)
    return [warning_text(w, library, lang) for w in plan.warnings]


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
    and its measures by period, to anyone holding the link (the head and those copied on
    the email); a visitor signed in for another institution is shown nothing
    (:class:`NotFound`). Only the signed-in head is offered the decision
    (:func:`may_decide`). A link that cannot be used raises
    :class:`~pvpp.approvals.ApprovalError`."""
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
    ``pvpp plan approve`` calls it, made by the signed-in head only (:func:`may_decide`).
    A visitor signed in for another institution decides nothing (:class:`NotFound`); one
    signed in as a team member of the same institution, or not signed in at all (the
    link alone, which the team lead holds too), neither (:class:`NotAllowed`)."""
    if viewer is None:
        raise NotAllowed(t("web.approve.head_signs_in", lang))
    _, plan = usable(session, token, lang=lang, settings=settings, clock=clock)
    _plan_of(session, viewer, id_of(plan))
    if not may_decide(viewer):
        raise NotAllowed(t("web.approve.not_head", lang))
    return approvals.decide(
        session, token, approve=approve, reason=reason, lang=lang, settings=settings,
        clock=clock, where=where,
    )  # fmt: skip


# -- the team: results, shaping the plan, reporting progress ------------------------------


def _team_only(viewer: Viewer, lang: Lang) -> None:
    """The team shapes its plan and reports on it; the head reads and decides."""
    if viewer.role == HEAD:
        raise NotAllowed(t("web.shape.team_only", lang))


def _current_context(session: Session, viewer: Viewer) -> Context | None:
    """The viewer's institution in its current round, if it is in one."""
    inst = _institution(session, viewer)
    current = _current_assignment(session, inst)
    if current is None:
        return None
    rnd, assignment = current
    return Context(rnd, inst, assignment)


def results_page(session: Session, viewer: Viewer, *, today: date, lang: Lang) -> dict[str, Any]:
    """The scores of the institution's current round with their explanation and the same
    charts as the plan PDF (:func:`pvpp.documents.plan_pdf.plan_context`); ``results``
    is None before there is a plan (the scores come with it)."""
    ctx = _current_context(session, viewer)
    plan = latest_plan(session, ctx.assignment) if ctx is not None else None
    if ctx is None or plan is None:
        return {"results": None, "round": None, "plan_id": None}
    view = plan_context(session, ctx.round.code, ctx.institution.code, today=today, lang=lang)
    return {"results": view, "round": view["round"], "plan_id": id_of(plan)}


def _shapeable(
    session: Session, viewer: Viewer, plan_id: int, lang: Lang
) -> tuple[Plan, Context, PlanSheetData | None]:
    """The plan version with its context and, when it is the newest (only the newest is
    shaped), what its plan sheet would show."""
    plan, rnd, inst = _plan_of(session, viewer, plan_id)
    _team_only(viewer, lang)
    assignment = session.get(Assignment, plan.assignment_id)
    assert assignment is not None  # a foreign key
    ctx = Context(rnd, inst, assignment)
    latest = latest_plan(session, assignment)
    if latest is None or latest.version != plan.version:
        return plan, ctx, None
    return plan, ctx, sheet_data(session, ctx)


def _names(library: Library, lang: Lang) -> dict[str, Any]:
    policy = library.policy
    return {
        "item_options": [(i.id, f"{i.id} {i.name.get(lang)}") for i in policy.items],
        "dimension_options": [(d.id, f"{d.id} {d.name.get(lang)}") for d in policy.dimensions],
        "role_options": [(r.id, r.name.get(lang)) for r in library.common.roles],
        "effort_options": [(e.id, f"{e.id} — {e.name.get(lang)}") for e in library.common.effort],
        "funding_sources": [(f.id, f.name.get(lang)) for f in policy.funding_sources],
    }


def shaping_page(
    session: Session,
    viewer: Viewer,
    plan_id: int,
    *,
    lang: Lang,
    values: Mapping[str, str] | None = None,
    checked: plan_form.FormCheck | None = None,
    warnings: list[str] | None = None,
    refused: str | None = None,
    own_rows: int = 0,
) -> dict[str, Any]:
    """The form that shapes the newest plan version: each step with its choices, the own
    measures, the capacity, the own targets; filled with ``values`` (default: the team's
    choices so far) and showing the problems of ``checked``, the re-check's ``warnings``
    (a "Check") or why saving was ``refused``. Own-measure rows: those used and two spare,
    or ``own_rows`` if more (at most :data:`pvpp.OWN_ROWS`)."""
    plan, ctx, data = _shapeable(session, viewer, plan_id, lang)
    base = {
        "plan": {"id": id_of(plan), "version": plan.version},
        "institution": {"name": ctx.institution.name},
        "round": {"code": ctx.round.code},
    }
    if data is None:
        latest = latest_plan(session, ctx.assignment)
        return {**base, "form": None, "latest": _plan_row(session, latest, date.min, lang)
                if latest else None}  # fmt: skip
    library = load_library(ctx.round.policy_version)
    shown = dict(values) if values is not None else plan_form.initial(data)
    names = _names(library, lang)
    item_name = dict(names["item_options"])
    dim_name = dict(names["dimension_options"])
    meta_periods = meta_of(data, lang).periods
    steps = []
    for n, s in enumerate(data.steps):
        m = library.by_id.get(s.measure_id)
        others = [library.by_id[a] for a in alternatives(library, s.key)]
        if m is not None and m.id not in [o.id for o in others]:
            listed = library.by_step.get(s.key, [])
            others = [o for o in listed if o.id != s.measure_id]
        steps.append(
            {
                "n": n + 1,
                "measure": s.measure_id,
                "title": m.title.get(lang) if m else s.measure_id,
                "item": item_name.get(s.item, s.item),
                "dimension": dim_name.get(s.dimension, s.dimension),
                "step": f"{s.from_degree}→{s.to_degree}",
                "period": s.period,
                "alternatives": [(o.id, f"{o.id} {o.title.get(lang)}") for o in others],
                "fields": plan_form.step_fields(n),
            }
        )
    own = [
        {
            "n": n + 1,
            "fields": plan_form.own_fields(n),
        }
        for n in range(min(OWN_ROWS, max(own_rows, plan_form.own_rows_shown(data, shown))))
    ]
    items = [
        {
            "id": i.item,
            "label": item_name.get(i.item, i.item),
            "score": i.score,
            "national": i.national,
            "so_far": i.so_far,
            "target": plan_form.name("targets", f"{OWN_TARGET}{plan_form.target_row(n)}"),
            "reason": plan_form.name("targets", f"{TARGET_REASON}{plan_form.target_row(n)}"),
        }
        for n, i in enumerate(data.items)
    ]
    by_field = checked.by_field if checked else {}
    general = list(checked.general) if checked else []
    if refused:
        general.append(refused)
    return {
        **base,
        "form": {
            "capacity": plan_form.CAPACITY,
            "own_max": OWN_ROWS,
            "steps": steps,
            "own": own,
            "targets": items,
            "periods": meta_periods,
            "choices": list(STEP_CHOICES),
            "scale": library.policy.degree_scale.values,
            **names,
        },
        "values": shown,
        "errors": by_field,
        "general": general,
        "warnings": warnings,
        "latest": None,
    }


def _read_form(
    session: Session, viewer: Viewer, plan_id: int, form: Mapping[str, Any], lang: Lang
) -> tuple[Context, dict[str, str], plan_form.FormCheck | None]:
    """The form's values checked by the plan sheet's rules (None: not the newest version)."""
    _, ctx, data = _shapeable(session, viewer, plan_id, lang)
    values = plan_form.values_of(form)
    if data is None:
        return ctx, values, None
    library = load_library(ctx.round.policy_version)
    by = f"{viewer.person.name} <{viewer.person.email}>"
    return ctx, values, plan_form.read(data, library, values, lang=lang, by=by)


def _warning_lines(
    library: Library, warnings: list[Warning], shaping: Shaping, lang: Lang
) -> list[str]:
    titles = {f"{OWN_PREFIX}{n}": m.name for n, m in enumerate(shaping.own, start=1)}
    return [warning_text(w, library, lang, titles) for w in warnings]


def check_shaping(
    session: Session, viewer: Viewer, plan_id: int, form: Mapping[str, Any], *, lang: Lang
) -> dict[str, Any]:
    """ "Check": the form's problems beside their fields or, when it is right, the
    re-check's warnings on the plan it would make; nothing is stored."""
    ctx, values, checked = _read_form(session, viewer, plan_id, form, lang)
    if checked is None or not checked.accepted:
        return shaping_page(session, viewer, plan_id, lang=lang, values=values, checked=checked)
    shaping = Shaping.of(checked.check)
    try:
        warnings = preview_plan(session, ctx, shaping, lang=lang)
    except ShapingRefused as exc:
        return shaping_page(session, viewer, plan_id, lang=lang, values=values, refused=exc.message)
    library = load_library(ctx.round.policy_version)
    lines = _warning_lines(library, warnings, shaping, lang)
    return shaping_page(session, viewer, plan_id, lang=lang, values=values, checked=checked,
                        warnings=lines)  # fmt: skip


def more_own_rows(
    session: Session, viewer: Viewer, plan_id: int, form: Mapping[str, Any], *, lang: Lang
) -> dict[str, Any]:
    """The form again as typed, with one more empty own-measure row than it showed
    (``own_rows``, the count it carried): the "add another row" button, which works
    without JavaScript. Nothing is checked or stored."""
    _, _, data = _shapeable(session, viewer, plan_id, lang)
    values = plan_form.values_of(form)
    if data is None:
        return shaping_page(session, viewer, plan_id, lang=lang)
    shown = str(form.get("own_rows", ""))
    rows = int(shown) if shown.isdecimal() and len(shown) < 4 else 0
    rows = max(rows + 1, plan_form.own_rows_shown(data, values))
    return shaping_page(session, viewer, plan_id, lang=lang, values=values, own_rows=rows)


def save_shaping(
    session: Session,
    viewer: Viewer,
    plan_id: int,
    form: Mapping[str, Any],
    *,
    lang: Lang,
    where: Mapping[str, str],
) -> int | dict[str, Any]:
    """ "Save as new version": the new version's id, through the same service as a plan
    sheet (:func:`pvpp.proposals.shape_plan`), with the change records and the audit
    entry naming the signed-in person; or the form again with its problems (nothing
    stored). The version shaped is never changed, approved or not."""
    ctx, values, checked = _read_form(session, viewer, plan_id, form, lang)
    if checked is None or not checked.accepted:
        return shaping_page(session, viewer, plan_id, lang=lang, values=values, checked=checked)
    shaping = Shaping.of(checked.check)
    actor = viewer.person.email
    try:
        shaped = shape_plan(
            session, ctx, shaping, actor=actor, source=WEB_SOURCE, lang=lang,
            note=f"the team's choices in the portal ({actor}) on version {shaping.plan_version}",
            origin={"portal": {"by": actor}},
        )  # fmt: skip
    except ShapingRefused as exc:
        return shaping_page(session, viewer, plan_id, lang=lang, values=values, refused=exc.message)
    audit.record(
        session, actor=actor[:100], action="plan.shaped", entity="assignment",
        key=str(ctx.assignment.id), version=shaped.plan.version,
        from_version=shaped.from_version, changes=shaped.changes,
        warnings=len(shaped.warnings), **where,
    )  # fmt: skip
    return id_of(shaped.plan)


def progress_page(
    session: Session,
    viewer: Viewer,
    *,
    today: date,
    lang: Lang,
    form: Mapping[str, Any] | None = None,
    problems: list[dict[str, Any]] | None = None,
    done: int | None = None,
) -> dict[str, Any]:
    """Each open measure of the plan in force (the newest version sent to the head or
    approved: :func:`pvpp.followup.progress`; ``newer``, a version made since and not yet
    sent) with its status so far, ready to report on; the problems of a report beside
    their fields."""
    _team_only(viewer, lang)
    ctx = _current_context(session, viewer)
    if ctx is None:
        return {"plan": None, "newer": None, "measures": [], "errors": {}, "general": [],
                "done": done}  # fmt: skip
    now = followup.progress(session, ctx, today)
    answers = answers_of(now.measures, form) if form is not None else {}
    library = load_library(ctx.round.policy_version)
    by_cell: dict[str, str] = {}
    general: list[str] = []
    for p in problems or []:
        if p.get("cell"):
            by_cell[p["cell"]] = p["message"]
        else:
            general.append(p["message"])
    rows = []
    for n, m in enumerate(now.measures):
        r = status_sheet.FIRST_ROW + n
        was = now.current.get(m.measure_id)
        given = answers.get(m.measure_id)
        if given is None and was is not None:
            due = was.new_due.isoformat() if was.new_due is not None else ""
            given = (was.status, due, was.comment, was.evidence)
        elif given is None:
            given = ("", "", "", "")
        known = library.by_id.get(m.measure_id)
        rows.append(
            {
                "id": m.measure_id,
                "title": m.title or (known.title.get(lang) if known else m.measure_id),
                "due": m.due_on,
                "key": f"m{n}",
                "status": given[0],
                "new_due": given[1],
                "comment": given[2],
                "evidence": given[3],
                "errors": {
                    part: by_cell[f"{col}{r}"]
                    for part, col in (
                        ("status", status_sheet.STATUS_COL),
                        ("new_due", status_sheet.NEW_DUE_COL),
                        ("comment", status_sheet.COMMENT_COL),
                        ("evidence", "H"),
                    )
                    if f"{col}{r}" in by_cell
                },
            }
        )
    return {
        "plan": {"id": id_of(now.plan), "version": now.plan.version} if now.plan else None,
        "newer": now.newer,
        "measures": rows,
        "choices": list(status_sheet.CHOICES),
        "later": now.later,
        "general": general,
        "done": done,
    }


def report_progress(
    session: Session,
    viewer: Viewer,
    form: Mapping[str, Any],
    *,
    today: date,
    now: datetime,
    lang: Lang,
    where: Mapping[str, str],
) -> followup.OnlineReport:
    """The team's report from the progress form, through the same service as an accepted
    status sheet (:func:`pvpp.followup.report_online`)."""
    _team_only(viewer, lang)
    ctx = _current_context(session, viewer)
    if ctx is None:
        raise NotFound("no round")
    current = followup.progress(session, ctx, today)
    answers = answers_of(current.measures, form)
    version = str(form.get("version", ""))
    return followup.report_online(
        session, ctx, answers, plan_version=int(version) if version.isdigit() else 0,
        today=today, now=now, actor=viewer.person.email, lang=lang, where=where,
    )  # fmt: skip


def answers_of(
    rows: list[PlanMeasure], form: Mapping[str, Any]
) -> dict[str, tuple[str, str, str, str]]:
    """The progress form's answers per measure (its fields are numbered ``m<n>-…``)."""
    out = {}
    for n, m in enumerate(rows):
        parts = tuple(
            str(form.get(f"m{n}-{part}", "")).strip()
            for part in ("status", "new_due", "comment", "evidence")
        )
        out[m.measure_id] = (parts[0], parts[1], parts[2], parts[3])
    return out


# -- the head: overdue measures, escalations, deciding signed in ---------------------------

#: The emails that escalate to the head: overdue measures, a late approval.
ESCALATIONS = ("escalation", "approval_escalation")


def head_view(
    session: Session, viewer: Viewer, *, today: date, lang: Lang
) -> dict[str, Any] | None:
    """For the head: the open measures of the newest plan past their due date (the rules
    of :mod:`pvpp.measures`, days counted on ``today``) and the escalations sent to them.
    None for anyone else."""
    if viewer.role != HEAD:
        return None
    ctx = _current_context(session, viewer)
    if ctx is None:
        return {"overdue": [], "escalations": []}
    plan = latest_plan(session, ctx.assignment)
    library = load_library(ctx.round.policy_version)
    overdue = []
    if plan is not None:
        for row, facts in measure_facts(session, plan, library.effort_days):
            if rules.is_overdue(facts, today):
                known = library.by_id.get(row.measure_id)
                overdue.append(
                    {
                        "id": row.measure_id,
                        "title": row.title or (known.title.get(lang) if known else ""),
                        "due": row.due_on,
                        "days": rules.days_overdue(facts, today),
                    }
                )
    mails = session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.institution_code == ctx.institution.code,
            OutboxMessage.round_code == ctx.round.code,
            col(OutboxMessage.kind).in_(ESCALATIONS),
            OutboxMessage.state == "sent",
        )
        .order_by(col(OutboxMessage.sent_at).desc())
    ).all()
    escalations = [
        {"kind": t(f"web.head.kind.{m.kind}", lang), "on": m.sent_at, "subject": m.subject}
        for m in mails
    ]
    return {"overdue": overdue, "escalations": escalations}


def may_decide_here(session: Session, viewer: Viewer, plan: Plan) -> bool:
    """Whether the plan page offers the head's decision: to the head, on a version that
    went to them and awaits it (:func:`pvpp.approvals.open_link`)."""
    return viewer.role == HEAD and approvals.open_link(session, plan) is not None


def decide_plan(
    session: Session,
    viewer: Viewer,
    plan_id: int,
    *,
    approve: bool,
    reason: str,
    lang: Lang,
    settings: Settings,
    clock: Clock,
    where: Mapping[str, str],
) -> Decision:
    """The head's decision from the plan page, signed in: recorded by
    :func:`pvpp.approvals.decide_signed_in` as the approval link records it, by the
    signed-in head. Another institution's plan is not found; anyone but the head is not
    allowed (:class:`NotAllowed`)."""
    plan, _, _ = _plan_of(session, viewer, plan_id)
    if viewer.role != HEAD:
        raise NotAllowed(t("web.approve.not_head", lang))
    return approvals.decide_signed_in(
        session, id_of(plan), actor=viewer.person.email, approve=approve, reason=reason,
        lang=lang, settings=settings, clock=clock, where=where,
    )  # fmt: skip
