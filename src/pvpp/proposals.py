"""The plan as a proposal the team shapes: plan sheets out, and each one taken back a new
plan version.

``plan_sheet`` builds the plan sheet (:mod:`pvpp.workbook.plan_sheet`) of the newest plan
version, pre-filled with what the team chose so far (read from the version itself: a step
dropped, moved away from the planner's period, replaced by an alternative; own measures;
own targets; capacity). So a returned sheet states the whole of the team's input.

``take_plan_sheet`` checks a returned sheet and, when it is right, makes a NEW plan
version (never editing the old one): the planner runs again with the team's capacity and
own targets (a lower own target leaves the steps above it out), the team's decision on
each step is applied as the team made it (an alternative measure, another period, a drop
with its reason, the funding already available), its own measures are added, and the
re-check (:mod:`pvpp.planning.recheck`) stores its warnings with the version — it never
changes a choice. Each change is a ``PlanChange`` row (kind, before, after, reason, who,
from which file), the assignment goes back to ``planned`` so the new version is delivered
(and needs the head's approval again), and the team gets a ``plan_sheet_taken`` email with
the version and the warnings. A sheet that is wrong in any way is rejected with every
problem listed, changes no plan, and goes back to the team as a ``plan_sheet_returned``
email. Either way the file is kept in the file store with a ``PlanSheet`` row (status and
problems), so the same file is never checked twice.

An explicit "accept" is recorded as the team's agreement to the step; the other decisions
are recorded when they change the step against the version the sheet was made from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.assignments import State, transition
from pvpp.files import FileRefused, read_given, shown_name
from pvpp.i18n import t
from pvpp.mail.compose import queue_plan_sheet_returned, queue_plan_sheet_taken
from pvpp.planning.library import Library, MeasureDef, load_library
from pvpp.planning.planner import (
    DEFAULT_CAPACITY_DAYS,
    LAST_DUE,
    LAST_PERIOD,
    PlannedStep,
    periods,
)
from pvpp.planning.proposal import propose
from pvpp.planning.recheck import FinalStep, OwnTarget, Warning, recheck
from pvpp.plans import (
    Context,
    PlanError,
    context,
    current_answers,
    latest_plan,
    plan_measures,
    previous_round_answers,
    start_of,
)
from pvpp.policy import load_policy
from pvpp.policy.models import Lang
from pvpp.scoring import METHOD, ScoreResult, degree_of, score_answers
from pvpp.services import read_services
from pvpp.settings import Settings
from pvpp.states.assignment import PLAN_OUT
from pvpp.states.plan_measure import MeasureState
from pvpp.store.concurrency import hold, hold_row
from pvpp.store.db import Database
from pvpp.store.files import sha256, store_file
from pvpp.store.models import (
    AnswerSet,
    OutboxMessage,
    Plan,
    PlanChange,
    PlanMeasure,
    PlanSheet,
    id_of,
)
from pvpp.submissions import unreadable_detail, workbook_files
from pvpp.workbook.plan_sheet import (
    ItemTarget,
    OwnMeasure,
    PlanSheetCheck,
    PlanSheetData,
    SheetStep,
    StepDecision,
    TargetChoice,
    build_plan_sheet,
    check_plan_sheet,
)

OWN_PREFIX = "OWN-"
# The emails that answer a kept plan sheet; their business key's version is its id.
SHEET_MAIL_KINDS = ("plan_sheet_returned", "plan_sheet_taken")

Key = tuple[str, str, int]


@dataclass(frozen=True)
class SheetOutcome:
    """What became of one returned plan sheet."""

    file: str
    outcome: str  # accepted | rejected | duplicate
    institution: str | None = None
    lang: Lang = "lv"
    problems: list[dict[str, Any]] = field(default_factory=list)
    version: int | None = None
    warnings: list[Warning] = field(default_factory=list)
    changes: int = 0
    sheet_id: int | None = None  # the kept PlanSheet (the earlier one for a duplicate)
    first_outcome: str | None = None  # a duplicate: what became of the sheet the first time
    mailed: str | None = None  # the kind of email queued to the team, if any


@dataclass(frozen=True)
class Shaping:
    """The team's whole input on one plan version, however it came: a returned plan sheet
    (:meth:`of` its check) or the portal's form (:mod:`pvpp.plan_form`)."""

    plan_version: int  # the version the input was made on
    capacity: int
    decisions: tuple[StepDecision, ...] = ()
    own: tuple[OwnMeasure, ...] = ()
    targets: tuple[TargetChoice, ...] = ()

    @classmethod
    def of(cls, check: PlanSheetCheck) -> Shaping:
        """The input of an accepted check (a sheet's, or the form's)."""
        if check.meta is None or check.capacity is None:
            raise PlanError("only an accepted plan sheet holds the team's input")
        return cls(
            check.meta.plan_version,
            check.capacity,
            tuple(check.decisions),
            tuple(check.own),
            tuple(check.targets),
        )


class ShapingRefused(PlanError):
    """The team's input cannot make a new version (``key``: stale | answers_changed |
    no_plan, the words ``proposal.problem.<key>`` with ``params``)."""

    def __init__(self, key: str, lang: Lang, **params: Any) -> None:
        super().__init__(t(f"proposal.problem.{key}", lang, None, **params))
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Shaped:
    """The version the team's input made."""

    plan: Plan
    from_version: int
    warnings: list[Warning]
    changes: int


def _base(session: Session, ctx: Context, shaping: Shaping, lang: Lang) -> tuple[Plan, AnswerSet]:
    """The version the input was made on, when it is still the newest and the answers it
    was planned from are still current; :class:`ShapingRefused` otherwise."""
    latest = latest_plan(session, ctx.assignment)
    if latest is None:
        raise ShapingRefused("no_plan", lang)
    if latest.version != shaping.plan_version:
        raise ShapingRefused("stale", lang, version=shaping.plan_version, latest=latest.version)
    answer_set = current_answers(session, ctx.assignment)
    if answer_set is None or answer_set.id != latest.answer_set_id:
        raise ShapingRefused("answers_changed", lang, version=latest.version)
    return latest, answer_set


def preview_plan(session: Session, ctx: Context, shaping: Shaping, *, lang: Lang) -> list[Warning]:
    """The re-check's warnings on the plan the input would make, without making it:
    nothing is stored (the portal's "Check")."""
    latest, answer_set = _base(session, ctx, shaping, lang)
    return _compose(session, ctx, latest, answer_set, shaping).warnings


def shape_plan(
    session: Session,
    ctx: Context,
    shaping: Shaping,
    *,
    actor: str,
    source: str,
    lang: Lang,
    note: str,
    origin: dict[str, Any],
) -> Shaped:
    """The team's input made a NEW plan version, never editing the old one: the planner
    runs again with the team's capacity and own targets, each decision is applied as the
    team made it, its own measures are added, the re-check's warnings are stored with the
    version, one ``PlanChange`` per change (by ``actor``, from ``source``), and the
    assignment goes back to ``planned`` so the version is sent to the head (and, as its
    proposal, to the team) and needs approval again. What a plan sheet and the portal's
    form share; each then answers its own way (the sheet by email, the form on the page).

    ``note`` and ``origin`` (merged into the version's ``adjustments``) say where the input
    came from. :class:`ShapingRefused` when the input was made on an older version or the
    answers changed since."""
    hold_row(session, ctx.assignment)  # one change of an assignment's plan at a time
    latest, answer_set = _base(session, ctx, shaping, lang)
    composed = _compose(session, ctx, latest, answer_set, shaping)
    plan, changes = _store(
        session, ctx, latest, answer_set, composed, actor=actor, source=source, note=note,
        origin=origin,
    )  # fmt: skip
    if ctx.assignment.state in PLAN_OUT:
        transition(
            session,
            ctx.assignment,
            State.PLANNED,
            actor=actor[:100],
            reason=f"{note}: version {plan.version}"[:500],
        )
    return Shaped(plan, latest.version, composed.warnings, changes)


def _sheet_lang(session: Session, sheet: PlanSheet) -> Lang:
    """The language a kept sheet was answered in (its email's), Latvian when none went."""
    sent = session.exec(
        select(OutboxMessage.lang).where(
            col(OutboxMessage.kind).in_(SHEET_MAIL_KINDS), OutboxMessage.version == sheet.id
        )
    ).first()
    return "en" if sent == "en" else "lv"


def _scores(session: Session, ctx: Context, answer_set: AnswerSet) -> ScoreResult:
    policy = load_policy(ctx.round.policy_version)
    return score_answers(policy, answer_set.answers, previous_round_answers(session, ctx))


def _own_targets(plan: Plan) -> dict[str, OwnTarget]:
    return {
        item: OwnTarget(int(v["target"]), str(v.get("reason", "")))
        for item, v in (plan.targets or {}).items()
    }


def _capacity(plan: Plan) -> int:
    return int((plan.adjustments or {}).get("capacity_days", DEFAULT_CAPACITY_DAYS))


def _key(row: PlanMeasure) -> Key:
    return (row.item_id, row.dimension_id, row.to_degree)


def sheet_data(session: Session, ctx: Context) -> PlanSheetData:
    """What the plan sheet of the newest plan version shows, with the team's choices so far."""
    plan = latest_plan(session, ctx.assignment)
    if plan is None:
        raise PlanError(f"{ctx.institution.code} has no plan yet: build one first")
    answer_set = session.get(AnswerSet, plan.answer_set_id)
    if answer_set is None:  # a foreign key: the row is there
        raise PlanError(f"answer set {plan.answer_set_id} is missing")
    library = load_library(ctx.round.policy_version)
    scores = _scores(session, ctx, answer_set)
    start = start_of(plan, ctx.round)
    capacity = _capacity(plan)
    own_targets = _own_targets(plan)
    # Where the planner would put each step under this version's own inputs: a step that
    # sits elsewhere was moved by the team.
    proposed = {
        (s.item, s.dimension, s.to_degree): s.period
        for s in propose(
            library,
            scores,
            read_services(library.policy, answer_set.answers),
            start=start,
            capacity_days=capacity,
            targets={i: o.target for i, o in own_targets.items()},
        )
    }
    steps: list[SheetStep] = []
    own: list[OwnMeasure] = []
    for row in plan_measures(session, plan):
        funding = tuple(row.funding)
        if row.origin == "own":
            own.append(
                OwnMeasure(
                    row.title,
                    row.item_id,
                    row.dimension_id,
                    row.period,
                    row.role,
                    row.effort,
                    row.funding_eur,
                    funding,
                    row.funding_ref,
                )
            )
            continue
        key = _key(row)
        measure = library.by_id.get(row.measure_id)
        moved = row.period if proposed.get(key) != row.period else ""
        decision, alternative, reason = "", "", ""
        if row.status == MeasureState.DROPPED:
            decision, reason, moved = "drop", row.dropped_reason, ""
        elif row.origin == "alternative":
            decision, alternative = "alternative", row.measure_id
        elif key not in proposed:
            decision, moved = "accept", ""  # kept by the team above its own target
        elif moved:
            decision = "move"
        own_funding = measure is None or funding != tuple(measure.funding)
        steps.append(
            SheetStep(
                row.item_id,
                row.dimension_id,
                row.from_degree,
                row.to_degree,
                row.measure_id,
                row.period,
                decision,
                alternative,
                moved,
                reason,
                row.funding_eur,
                funding if own_funding else (),
                row.funding_ref,
            )
        )
    items = tuple(
        ItemTarget(
            item.id,
            scores.items[item.id].score,
            item.national_target,
            scores.items[item.id].target,
            own_targets[item.id].target if item.id in own_targets else None,
            own_targets[item.id].reason if item.id in own_targets else "",
        )
        for item in library.policy.items
    )
    return PlanSheetData(
        ctx.round.code,
        ctx.institution.code,
        ctx.institution.name,
        ctx.round.policy_version,
        plan.version,
        start,
        capacity,
        tuple(steps),
        items,
        tuple(own),
    )


def plan_sheet(
    session: Session, round_code: str, institution: str, *, lang: Lang, settings: Settings
) -> bytes:
    """The plan sheet (.xlsx bytes) of an institution's newest plan version."""
    ctx = context(session, round_code, institution)
    data = sheet_data(session, ctx)
    library = load_library(ctx.round.policy_version)
    return build_plan_sheet(data, library=library, lang=lang, key=settings.signing_key())


def _problem(code: str, message: str) -> dict[str, Any]:
    """A problem of the whole file (no sheet or cell), shaped as the checker's problems."""
    return {"code": code, "sheet": None, "cell": None, "field": None, "message": message}


def take_plan_sheet(
    session: Session,
    data: bytes,
    *,
    filename: str,
    source: str = "cli",
    actor: str = "cli",
    settings: Settings,
    round_code: str | None = None,
) -> SheetOutcome:
    """Check a returned plan sheet, keep it, and when it is right make the new plan version.

    Every sheet received is kept (the file in the file store, a ``PlanSheet`` row with its
    status and problems) and, when it can be matched to an assignment, answered by email
    in the sheet's language in the same transaction: ``plan_sheet_taken`` for an accepted
    one, ``plan_sheet_returned`` with its problems for a rejected one, which changes no
    plan. The same file again is a duplicate: no new row, no new mail, never checked
    again. With ``round_code``, a sheet of another round is refused and NOT kept: that is
    the operator's slip, not the team's, and keeping it would make the file a duplicate
    when taken in its own round. ``filename`` and ``source`` are kept and shown as
    :func:`pvpp.files.shown_name` gives them."""
    filename, source = shown_name(filename), shown_name(source)
    digest = sha256(data)
    hold(session, f"file:{digest}")  # the same file taken at once elsewhere: waited for
    earlier = session.exec(select(PlanSheet).where(PlanSheet.file_sha256 == digest)).first()
    if earlier is not None:
        return SheetOutcome(
            filename,
            "duplicate",
            lang=_sheet_lang(session, earlier),
            version=earlier.new_plan_version,
            problems=list(earlier.problems or []),
            sheet_id=earlier.id,
            first_outcome=earlier.status,
        )
    check = check_plan_sheet(data, settings=settings)
    meta = check.meta
    lang: Lang = meta.lang if meta else "lv"
    code = meta.institution if meta else None
    if meta is not None and round_code is not None and meta.round != round_code:
        message = t("workbook.problem.wrong_round", lang, found=meta.round, expected=round_code)
        return SheetOutcome(filename, "rejected", code, lang, [_problem("wrong_round", message)])

    def rejected(problems: list[dict[str, Any]], ctx: Context | None = None) -> SheetOutcome:
        sheet = _keep(
            session, data, digest, ctx, meta.plan_version if meta else None, None,
            filename=filename, source=source, actor=actor, problems=problems,
        )  # fmt: skip
        sheet_id = id_of(sheet)
        mailed = None
        if ctx is not None:
            queue_plan_sheet_returned(session, sheet_id=sheet_id, lang=lang, settings=settings)
            mailed = "plan_sheet_returned"
        audit.record(
            session, actor=actor[:100], action="plan.sheet_rejected", entity="plan_sheet",
            key=str(sheet_id), sha256=digest, filename=filename, problems=len(problems),
        )  # fmt: skip
        return SheetOutcome(
            filename, "rejected", code, lang, problems, sheet_id=sheet_id, mailed=mailed
        )

    if check.status != "accepted" or meta is None:
        ctx = None
        if meta is not None:
            try:
                ctx = context(session, meta.round, meta.institution)
            except PlanError:
                ctx = None  # kept without an assignment: nobody to write back to
        return rejected(check.problems, ctx)

    def refuse(key: str, ctx: Context | None = None, **params: Any) -> SheetOutcome:
        message = t(f"proposal.problem.{key}", lang, None, **params)
        return rejected([_problem(f"plan_{key}", message)], ctx)

    try:
        ctx = context(session, meta.round, meta.institution)
    except PlanError as exc:
        return refuse("unknown_assignment", detail=str(exc))
    # The change records name the person who filled the sheet, when the sheet says who.
    actor = check.filled_by or actor
    try:
        shaped = shape_plan(
            session, ctx, Shaping.of(check), actor=actor, source=filename, lang=lang,
            note=f"the team's plan sheet {filename} on version {meta.plan_version}",
            origin={"plan_sheet": {"filename": filename, "sha256": digest}},
        )  # fmt: skip
    except ShapingRefused as exc:
        return refuse(exc.key, ctx, **exc.params)
    plan, warnings, changes = shaped.plan, shaped.warnings, shaped.changes
    sheet = _keep(
        session, data, digest, ctx, shaped.from_version, plan.version,
        filename=filename, source=source, actor=actor, problems=[],
    )  # fmt: skip
    sheet_id = id_of(sheet)
    queue_plan_sheet_taken(session, sheet_id=sheet_id, lang=lang, settings=settings)
    audit.record(
        session,
        actor=actor[:100],
        action="plan.sheet",
        entity="assignment",
        key=str(ctx.assignment.id),
        version=plan.version,
        from_version=shaped.from_version,
        sha256=digest,
        filename=filename,
        changes=changes,
        warnings=len(warnings),
        plan_sheet=sheet_id,
    )
    return SheetOutcome(
        filename, "accepted", code, lang, [], plan.version, warnings, changes, sheet_id,
        mailed="plan_sheet_taken",
    )  # fmt: skip


def _keep(
    session: Session,
    data: bytes,
    digest: str,
    ctx: Context | None,
    plan_version: int | None,
    new_plan_version: int | None,
    *,
    filename: str,
    source: str,
    actor: str,
    problems: list[dict[str, Any]],
) -> PlanSheet:
    """The received file in the file store and its ``PlanSheet`` row (flushed: it has its
    id), accepted when it made a version, rejected with its problems otherwise."""
    store_file(session, data)
    sheet = PlanSheet(
        assignment_id=id_of(ctx.assignment) if ctx else None,
        plan_version=plan_version,
        new_plan_version=new_plan_version,
        file_sha256=digest,
        filename=filename[:500],
        source=source[:500],
        actor=actor[:254],
        status="accepted" if new_plan_version is not None else "rejected",
        problems=problems,
    )
    session.add(sheet)
    session.flush()
    return sheet


@dataclass
class _Row:
    """A measure of the new version while it is being put together."""

    measure: MeasureDef | None
    measure_id: str
    item: str
    dimension: str
    from_degree: int
    to_degree: int
    period: str
    due: date
    priority: float
    origin: str = "library"
    status: str = MeasureState.PLANNED.value
    reason: str = ""
    role: str = ""
    effort: str = ""
    funding: list[str] = field(default_factory=list)
    funding_eur: int | None = None
    funding_ref: str = ""
    title: str = ""
    services: list[str] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        """What a change record says about the step."""
        return {
            "measure_id": self.measure_id,
            "period": self.period,
            "status": self.status,
            "funding": self.funding,
            "funding_eur": self.funding_eur,
            "funding_ref": self.funding_ref,
        }


def _row_state(row: PlanMeasure) -> dict[str, Any]:
    return {
        "measure_id": row.measure_id,
        "period": row.period,
        "status": row.status,
        "funding": list(row.funding),
        "funding_eur": row.funding_eur,
        "funding_ref": row.funding_ref,
    }


def _library_row(m: MeasureDef, period: str, due: date, priority: float) -> _Row:
    return _Row(
        m,
        m.id,
        m.item,
        m.dimension,
        m.to_degree - 1,
        m.to_degree,
        period,
        due,
        priority,
        role=m.role,
        effort=m.effort,
        funding=list(m.funding),
    )


def _step_row(s: PlannedStep) -> _Row:
    """A row for a step of the planner's proposal (a degree step or a service measure)."""
    m = s.measure
    return _Row(
        m,
        m.id,
        s.item,
        s.dimension,
        s.from_degree,
        s.to_degree,
        s.period,
        s.due,
        s.priority,
        role=m.role,
        effort=m.effort,
        funding=list(m.funding),
        services=list(s.services),
    )


def _decide(row: _Row, d: StepDecision, library: Library, dues: dict[str, date]) -> None:
    """Apply the team's decision to a step, as the team made it."""
    if d.decision == "alternative" and d.alternative:
        m = library.by_id[d.alternative]
        first = library.by_step[(m.item, m.dimension, m.to_degree)][0]
        row.measure, row.measure_id = m, m.id
        row.origin = "alternative" if m.id != first.id else "library"
        row.role, row.effort, row.funding = m.role, m.effort, list(m.funding)
    if d.new_period and d.decision != "drop":
        row.period, row.due = d.new_period, dues[d.new_period]
    if d.decision == "drop":
        row.status, row.reason = MeasureState.DROPPED.value, d.reason
    if d.funding:
        row.funding = list(d.funding)
    row.funding_eur, row.funding_ref = d.funding_eur, d.funding_ref


@dataclass
class _Composed:
    """A new plan version put together from the team's input, not yet stored."""

    library: Library
    capacity: int
    start: date
    targets: dict[str, OwnTarget]
    decisions: dict[Key, StepDecision]
    rows: dict[Key, _Row]
    own_rows: list[_Row]
    ordered: list[_Row]
    warnings: list[Warning]


def _compose(
    session: Session, ctx: Context, latest: Plan, answer_set: AnswerSet, shaping: Shaping
) -> _Composed:
    """The plan the team's input makes of ``latest``: the planner run again with the
    team's capacity and targets, each decision applied as the team made it, its own
    measures added, and the re-check's warnings. Reads only."""
    library = load_library(ctx.round.policy_version)
    policy = library.policy
    scores = _scores(session, ctx, answer_set)
    start = start_of(latest, ctx.round)
    capacity = shaping.capacity
    targets = {c.item: OwnTarget(c.target, c.reason) for c in shaping.targets}
    dues = {p.code: p.due for p in periods(start)} | {LAST_PERIOD: LAST_DUE}
    steps = propose(
        library,
        scores,
        read_services(policy, answer_set.answers),
        start=start,
        capacity_days=capacity,
        targets={i: o.target for i, o in targets.items()},
    )
    decisions = {d.key: d for d in shaping.decisions}
    rows: dict[Key, _Row] = {}
    for s in steps:
        row = _step_row(s)
        d = decisions.get((s.item, s.dimension, s.to_degree))
        if d is not None:
            _decide(row, d, library, dues)
        rows[(s.item, s.dimension, s.to_degree)] = row
    # A step the re-run left out (above the team's own target) stays when the team kept it.
    for key, d in decisions.items():
        if key in rows or d.decision not in ("accept", "alternative", "move"):
            continue
        listed = library.by_id.get(d.measure_id) or library.by_step[key][0]
        row = _library_row(listed, d.period, dues.get(d.period, LAST_DUE), 0.0)
        if listed.id != library.by_step[key][0].id:
            row.origin = "alternative"  # chosen on an earlier sheet, kept as it was
        _decide(row, d, library, dues)
        rows[key] = row
    own_rows: list[_Row] = []
    for n, m in enumerate(shaping.own, start=1):
        degree = degree_of(scores.items[m.item].degrees.get(m.dimension)) or 0
        own_rows.append(
            _Row(
                None,
                f"{OWN_PREFIX}{n}",
                m.item,
                m.dimension,
                degree,
                degree,
                m.period,
                dues[m.period],
                0.0,
                origin="own",
                role=m.role,
                effort=m.effort,
                funding=list(m.funding),
                funding_eur=m.funding_eur,
                funding_ref=m.funding_ref,
                title=m.name,
            )
        )
    item_order = {i.id: n for n, i in enumerate(policy.items)}
    dim_order = {d.id: n for n, d in enumerate(policy.dimensions)}
    ordered = sorted(
        [*rows.values(), *own_rows],
        key=lambda r: (
            r.due,
            -r.priority,
            item_order.get(r.item, 999),
            dim_order.get(r.dimension, 9),
            r.to_degree,
            r.measure_id,
        ),
    )
    final = [
        FinalStep(
            r.measure_id,
            r.item,
            r.dimension,
            None if r.origin == "own" else r.to_degree,
            r.period,
            r.due,
            library.effort_days.get(r.effort, 0),
            r.origin,
            r.status == MeasureState.DROPPED,
            r.title,
        )
        for r in ordered
    ]
    warnings = recheck(
        library, scores, start=start, capacity_days=capacity, targets=targets, steps=final
    )
    return _Composed(
        library, capacity, start, targets, decisions, rows, own_rows, ordered, warnings
    )


def _store(
    session: Session,
    ctx: Context,
    latest: Plan,
    answer_set: AnswerSet,
    c: _Composed,
    *,
    actor: str,
    source: str,
    note: str,
    origin: dict[str, Any],
) -> tuple[Plan, int]:
    """Store the composed version as the next one after ``latest`` with one change record
    per change (by ``actor``, from ``source``); returns it and how many changes."""
    library, capacity, start, targets = c.library, c.capacity, c.start, c.targets
    ordered, warnings = c.ordered, c.warnings
    component_of = {i.id: comp for comp in library.policy.components for i in comp.items}
    stored_targets = {i: {"target": o.target, "reason": o.reason} for i, o in targets.items()}
    inputs = {
        "answers": answer_set.answers,
        "method": METHOD,
        "capacity": capacity,
        "start": start.isoformat(),
        "targets": stored_targets,
        "library": [m.model_dump(mode="json") for m in library.measures],
        "plan": [
            r.state()
            | {
                "item": r.item,
                "dimension": r.dimension,
                "title": r.title,
                "to": r.to_degree,
                "reason": r.reason,
            }
            for r in ordered
        ],
    }
    digest = hashlib.sha256(
        json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    plan = Plan(
        assignment_id=id_of(ctx.assignment),
        version=latest.version + 1,
        answer_set_id=id_of(answer_set),
        inputs_sha256=digest,
        created_by=actor[:100],
        note=note[:2000],
        adjustments={
            "capacity_days": capacity,
            "start": start.isoformat(),
            "from_version": latest.version,
            **origin,
        },
        targets=stored_targets,
        warnings=warnings,
    )
    session.add(plan)
    session.flush()
    plan_id = id_of(plan)
    for position, r in enumerate(ordered, start=1):
        session.add(
            PlanMeasure(
                plan_id=plan_id,
                position=position,
                measure_id=r.measure_id,
                item_id=r.item,
                dimension_id=r.dimension,
                from_degree=r.from_degree,
                to_degree=r.to_degree,
                period=r.period,
                due_on=r.due,
                rv5_measure=component_of[r.item].rv5_measure,
                role=r.role,
                funding=r.funding,
                support=list(r.measure.support) if r.measure else [],
                effort=r.effort,
                priority=round(r.priority, 4),
                status=r.status,
                dropped_reason=r.reason,
                origin=r.origin,
                title=r.title,
                services=r.services,
                funding_eur=r.funding_eur,
                funding_ref=r.funding_ref,
            )
        )
    changes = _changes(
        session, latest, plan_id, c.decisions, c.rows, c.own_rows, capacity, targets,
        actor=actor[:254], source=source[:500],
    )  # fmt: skip
    session.add_all(changes)
    return plan, len(changes)


def _changes(
    session: Session,
    latest: Plan,
    plan_id: int,
    decisions: dict[Key, StepDecision],
    rows: dict[Key, _Row],
    own_rows: list[_Row],
    capacity: int,
    targets: dict[str, OwnTarget],
    *,
    actor: str,
    source: str,
) -> list[PlanChange]:
    """One PlanChange per change the team made against ``latest``, each by ``actor`` from
    the file ``source``."""

    def change(**values: Any) -> PlanChange:
        return PlanChange(plan_id=plan_id, actor=actor, source=source, **values)

    before_rows = plan_measures(session, latest)
    before = {_key(r): r for r in before_rows if r.origin != "own"}
    out: list[PlanChange] = []
    for key, d in decisions.items():
        row = rows.get(key)
        if row is None:
            continue
        old = before.get(key)
        old_state = _row_state(old) if old else None
        new_state = row.state()
        funding = ("funding", "funding_eur", "funding_ref")
        if not d.decision:
            # No decision: the step is as proposed; a change only if the team stated funding.
            if old_state is not None and all(old_state[k] == new_state[k] for k in funding):
                continue
        elif d.decision != "accept" and old_state == new_state:
            continue  # restated as it already was: not a change
        kind = d.decision or "accept"
        out.append(
            change(
                measure_id=row.measure_id,
                kind=kind,
                before=old_state,
                after=new_state,
                reason=d.reason,
            )
        )

    def own_state(r: PlanMeasure | _Row) -> dict[str, Any]:
        if isinstance(r, PlanMeasure):
            values = (
                r.title,
                r.item_id,
                r.dimension_id,
                r.period,
                r.role,
                r.effort,
                list(r.funding),
                r.funding_eur,
                r.funding_ref,
            )
        else:
            values = (
                r.title,
                r.item,
                r.dimension,
                r.period,
                r.role,
                r.effort,
                r.funding,
                r.funding_eur,
                r.funding_ref,
            )
        names = (
            "title",
            "item",
            "dimension",
            "period",
            "role",
            "effort",
            "funding",
            "funding_eur",
            "funding_ref",
        )
        return dict(zip(names, values, strict=True))

    old_own = [(r.measure_id, own_state(r)) for r in before_rows if r.origin == "own"]
    new_own = [(r.measure_id, own_state(r)) for r in own_rows]
    for mid, state in new_own:
        if state not in [s for _, s in old_own]:
            out.append(
                change(
                    measure_id=mid,
                    kind="own",
                    before=None,
                    after=state,
                )
            )
    for mid, state in old_own:
        if state not in [s for _, s in new_own]:
            out.append(
                change(
                    measure_id=mid,
                    kind="drop",
                    before=state,
                    after=None,
                )
            )
    old_capacity = _capacity(latest)
    if capacity != old_capacity:
        out.append(
            change(
                kind="capacity",
                before={"capacity_days": old_capacity},
                after={"capacity_days": capacity},
            )
        )
    old_targets = _own_targets(latest)
    for item in sorted(set(old_targets) | set(targets)):
        was, now = old_targets.get(item), targets.get(item)
        if was == now:
            continue
        out.append(
            change(
                kind="target",
                before={"item": item, "target": was.target} if was else {"item": item},
                after={"item": item, "target": now.target} if now else {"item": item},
                reason=now.reason if now else "",
            )
        )
    return out


def ingest_plan_sheet_files(
    paths: Iterable[Path], *, source: str = "cli", settings: Settings, db: Database
) -> list[SheetOutcome]:
    """Take every plan sheet under ``paths`` (one transaction per file); the drop-folder
    intake. Each new file is kept and answered by email (:func:`take_plan_sheet`); a file
    received before, accepted or rejected, is a duplicate, so a rejected sheet left in the
    folder is neither checked nor mailed about again. A file that cannot be read is
    reported and, having no content, not kept."""
    out = []
    for path in workbook_files(paths):
        try:
            data = read_given(path, limit=settings.max_upload_bytes)
        except FileRefused as exc:
            problem = _problem("unreadable", unreadable_detail(exc))
            out.append(SheetOutcome(shown_name(path), "rejected", problems=[problem]))
            continue
        with db.unit_of_work() as session:
            out.append(
                take_plan_sheet(
                    session,
                    data,
                    filename=path.name,
                    source=f"{source}:{path}",
                    actor=source,
                    settings=settings,
                )
            )
    return out
