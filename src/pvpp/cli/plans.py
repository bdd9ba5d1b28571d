"""``pvpp scores`` and ``pvpp plan``: an institution's scores and improvement plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from pvpp.approvals import approval_line, approval_view, decide
from pvpp.cli.common import (
    command_group,
    console,
    data_table,
    err_console,
    failed_items,
    file_errors,
    inert,
    institution_code_arg,
    parse_date,
    parse_lang,
    root,
    round_code_arg,
    today_option,
    transaction,
    usage_error,
    write_json,
)
from pvpp.files import read_given, shown_name, write_atomic
from pvpp.i18n import number, t
from pvpp.planning.library import load_library
from pvpp.plans import (
    PlanError,
    adjust_plan,
    build_plan,
    context,
    plan_measures,
    plan_version,
    scores_for,
)
from pvpp.policy import load_policy
from pvpp.policy.models import Lang
from pvpp.questionnaire import load_questionnaire
from pvpp.scoring import component_lines, explain_lines
from pvpp.services import with_services

if TYPE_CHECKING:
    from sqlmodel import Session

    from pvpp.scoring import ScoreResult
    from pvpp.store.models import Plan

R = TypeVar("R")

scores_app = command_group(help="Scores, gaps and priorities.", no_args_is_help=True)
plan_app = command_group(help="Individual improvement plans.", no_args_is_help=True)

RoundOpt = Annotated[str, typer.Option("--round", help="Round code", callback=round_code_arg)]
InstOpt = Annotated[
    str, typer.Option("--institution", help="Institution code", callback=institution_code_arg)
]


def _run(ctx: typer.Context, fn: Callable[[Session], R]) -> R:
    """``fn(session)`` in one transaction of the invocation's store."""
    with transaction(ctx) as session:
        return fn(session)


@scores_app.command("show")
def scores_show(
    ctx: typer.Context,
    round_code: RoundOpt,
    institution: InstOpt,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show how every number was computed")
    ] = False,
    lang: Annotated[str, typer.Option(help="lv or en")] = "lv",
) -> None:
    """Item, component and overall scores with targets, gaps and priorities, all in one
    language (``--lang``): headings, explanations and warnings from the word catalogue."""
    language: Lang = "en" if lang == "en" else "lv"

    def scored(session: Session) -> tuple[ScoreResult, str]:
        found = context(session, round_code, institution)
        return scores_for(session, found)[0], found.round.questionnaire_version

    result, version = _run(ctx, scored)
    if as_json:
        payload = result.to_dict()
        if explain:
            payload["explanation"] = explain_lines(result, language)
        write_json(payload)
        return
    policy = load_policy("pvpp2027-v1")
    # The round's own version: its answers use that version's answer codes.
    spec = load_questionnaire(version)
    labels = {o.code: o.label.get(language) for o in spec.questionnaire.non_scoring}
    index = (
        t("scoring.show.unrated", language)
        if result.index is None
        else number(result.index, language)
    )
    # What people typed is escaped, so a bracket in a code prints as itself, not as markup.
    who = f"[bold]{inert(institution)}[/bold]"
    console.print(
        t("scoring.show.heading", language, institution=who, round=inert(round_code), index=index),
        markup=True,
    )
    columns = [t("scoring.show.item", language), "D1", "D2", "D3", "D4"]
    columns += [t(f"scoring.show.{c}", language) for c in ("score", "target", "gap", "priority")]
    table = data_table(*columns)
    for item_id, s in result.items.items():
        name = policy.item(item_id).name.get(language)
        dims = [_shown(s.degrees.get(d), labels) for d in ("D1", "D2", "D3", "D4")]
        table.add_row(
            f"{item_id} {name}",
            *dims,
            fmt(s.score, language),
            str(s.target),
            fmt(s.gap, language),
            fmt(s.priority, language),
        )
    console.print(table)
    for line in component_lines(result, language):
        console.print(f"  {line}", highlight=False)
    for w in result.warnings:
        console.print(f"  [yellow]⚠[/yellow] {inert(w.message[language])}", markup=True)
    if explain:
        for line in explain_lines(result, language):
            console.print(f"  {line}", highlight=False)


def _shown(value: object, labels: dict[str, str]) -> str:
    """A degree as a number, a non-scoring answer by its label, nothing when unanswered."""
    if value is None:
        return ""
    return labels.get(value, str(value)) if isinstance(value, str) else str(value)


def fmt(value: float | None, lang: str = "lv") -> str:
    """A number with two decimals in ``lang``'s format, or nothing for an unrated value."""
    return "" if value is None else number(value, lang, 2)


def _plan_payload(session: Session, plan: Plan) -> dict[str, Any]:
    return {
        "version": plan.version,
        "status": plan.status,
        "approval_due": plan.approval_due,
        "approved_at": plan.approved_at.isoformat() if plan.approved_at else None,
        "approved_by": plan.approved_by,
        "created_at": plan.created_at.isoformat(),
        "note": plan.note,
        "adjustments": plan.adjustments,
        "measures": [
            m.model_dump(mode="json", exclude={"id", "plan_id"})
            for m in plan_measures(session, plan)
        ],
    }


def _approval(session: Session, plan: Plan, today: date, lang: str) -> dict[str, Any]:
    """The version's approval for a listing: its state, dates, and the sentence people read."""
    view = approval_view(session, plan, today)
    return {
        "state": view.state,
        "since": view.since,
        "due": view.due,
        "at": view.at.isoformat() if view.at else None,
        "by": view.by,
        "reason": view.reason,
        "text": approval_line(view, lang),
    }


def _print_plan(payload: dict[str, Any], lang: str) -> None:
    library = load_library("pvpp2027-v1")
    console.print(
        f"Plan version {payload['version']} ({payload['status']}): {payload['note']}",
        highlight=False,
    )
    if "approval" in payload:
        console.print(f"  {payload['approval']['text']}")
    # The id is what `plan adjust --drop/--move` takes.
    table = data_table("id", "due", "item", "step", "measure", "RV5", "role", "funding", "status")
    for m in payload["measures"]:
        # The team's own measures are not in the library: their name is the title.
        measure = library.by_id.get(m["measure_id"])
        title = m["title"] or (measure.title.text(lang) if measure else m["measure_id"])
        role = (
            library.roles[m["role"]].name.en if lang == "en" else library.roles[m["role"]].name.lv
        )
        status = m["status"] + (f": {m['dropped_reason']}" if m["dropped_reason"] else "")
        step = f"{m['dimension_id']} {m['from_degree']}→{m['to_degree']}"
        if m.get("services"):  # a P5.2 service measure raises no dimension
            step = "—"
            title = with_services(title, m["services"], lang)
        due = f"{m['due_on']} ({m['period']})"
        funding = ", ".join(m["funding"])
        table.add_row(
            m["measure_id"], due, m["item_id"], step, title, m["rv5_measure"], role, funding, status
        )
    console.print(table)


@plan_app.command("build")
def plan_build(
    ctx: typer.Context,
    round_code: RoundOpt,
    institution: InstOpt,
    capacity: Annotated[
        int, typer.Option(help="Person-days the institution can give per half-year")
    ] = 40,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    lang: Annotated[str, typer.Option(help="lv or en")] = "lv",
    today: Annotated[
        str | None, typer.Option(help="The day the plan is made (YYYY-MM-DD; default: today)")
    ] = None,
) -> None:
    """Build the plan from the current answers (same inputs give the same version).
    No measure is due before the day the plan is made."""
    day = today_option(ctx, today).today()

    def work(session: Session) -> tuple[dict[str, Any], bool]:
        plan, created = build_plan(
            session,
            context(session, round_code, institution),
            today=day,
            capacity_days=capacity,
        )
        return _plan_payload(session, plan), created

    payload, created = _run(ctx, work)
    if as_json:
        write_json({**payload, "created": created})
        return
    if not created:
        console.print("Inputs unchanged: the current version stands.")
    _print_plan(payload, lang)


@plan_app.command("show")
def plan_show(
    ctx: typer.Context,
    round_code: RoundOpt,
    institution: InstOpt,
    version: Annotated[int | None, typer.Option(help="Plan version (default: the newest)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    lang: Annotated[str, typer.Option(help="lv or en")] = "lv",
) -> None:
    """Show a plan version and how far the head's approval of it has come."""
    language = parse_lang(lang)
    day = root(ctx).today()

    def work(session: Session) -> dict[str, Any]:
        where = context(session, round_code, institution)
        plan = plan_version(session, where.assignment, version)
        if plan is None:
            raise PlanError(
                "no such plan version" if version else "no plan yet: run `pvpp plan build`"
            )
        return {**_plan_payload(session, plan), "approval": _approval(session, plan, day, language)}

    payload = _run(ctx, work)
    if as_json:
        write_json(payload)
    else:
        _print_plan(payload, lang)


@plan_app.command("adjust")
def plan_adjust(
    ctx: typer.Context,
    round_code: RoundOpt,
    institution: InstOpt,
    drop: Annotated[list[str] | None, typer.Option(help="MEASURE_ID=reason")] = None,
    move: Annotated[
        list[str] | None, typer.Option(help="MEASURE_ID=YYYY-MM-DD (a period end)")
    ] = None,
) -> None:
    """Make a new plan version with measures dropped (with a reason) or dates moved."""
    drops = dict(d.split("=", 1) for d in drop or [] if "=" in d)
    if len(drops) != len(drop or []):
        usage_error("--drop takes MEASURE_ID=reason")
    moves = {}
    for m in move or []:
        mid, _, when = m.partition("=")
        moves[mid] = parse_date(when, "--move")

    def work(session: Session) -> dict[str, Any]:
        plan = adjust_plan(
            session, context(session, round_code, institution), drop=drops, move=moves
        )
        return _plan_payload(session, plan)

    payload = _run(ctx, work)
    console.print(f"Plan version {payload['version']} made.")


@plan_app.command("pdf")
def plan_pdf_command(
    ctx: typer.Context,
    round_code: RoundOpt,
    institution: InstOpt,
    out: Annotated[Path, typer.Option(help="Where to write the PDF")],
    lang: Annotated[str, typer.Option(help="lv or en")] = "lv",
    today: Annotated[str | None, typer.Option(help="The PDF's date (YYYY-MM-DD)")] = None,
    approve_by: Annotated[
        str | None,
        typer.Option(
            help="The date the head's approval is due (YYYY-MM-DD), when the plan has none"
        ),
    ] = None,
) -> None:
    """Render the newest plan version as a PDF for the head of the institution."""
    from pvpp.documents.plan_pdf import plan_pdf

    language = parse_lang(lang)
    day = today_option(ctx, today).today()
    due = parse_date(approve_by, "--approve-by") if approve_by else None
    data = _run(
        ctx,
        lambda s: plan_pdf(s, round_code, institution, lang=language, today=day, approve_by=due),
    )
    with file_errors():
        write_atomic(out, data)
    console.print(f"Wrote {out} ({len(data) // 1024} KB)", highlight=False)


@plan_app.command("annex")
def plan_annex_command(
    ctx: typer.Context,
    round_code: Annotated[
        str, typer.Argument(help="Round code, e.g. 2026-K1", callback=round_code_arg)
    ],
    institution: Annotated[
        str, typer.Argument(help="Institution code", callback=institution_code_arg)
    ],
    out: Annotated[Path, typer.Option(help="Where to write the PDF")],
    lang: Annotated[str, typer.Option(help="lv or en")] = "lv",
    today: Annotated[str | None, typer.Option(help="The PDF's date (YYYY-MM-DD)")] = None,
) -> None:
    """Render the annex of the newest plan version: every measure step by step, by period
    (the head's plan summarises what comes after 2027; the team asks for this one)."""
    from pvpp.documents.plan_pdf import plan_annex_pdf

    language = parse_lang(lang)
    day = today_option(ctx, today).today()
    data = _run(ctx, lambda s: plan_annex_pdf(s, round_code, institution, lang=language, today=day))
    with file_errors():
        write_atomic(out, data)
    console.print(f"Wrote {out} ({len(data) // 1024} KB)", highlight=False)


@plan_app.command("send")
def plan_send(
    ctx: typer.Context,
    round_code: RoundOpt,
    institution: Annotated[
        str | None,
        typer.Option("--institution", help="Institution code", callback=institution_code_arg),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every institution with a plan")] = False,
    lang: Annotated[
        str | None, typer.Option(help="lv or en (default: the settings' language)")
    ] = None,
    today: Annotated[str | None, typer.Option(help="The PDFs' date (YYYY-MM-DD)")] = None,
) -> None:
    """Render the current plan PDF and queue the email to the head (deliver: pvpp outbox send)."""
    from pvpp.delivery import queue_plans

    if bool(institution) == all_:
        usage_error("give either --institution CODE or --all")
    language = None if lang is None else parse_lang(lang)
    app_ = today_option(ctx, today)
    rows = queue_plans(
        round_code,
        [institution] if institution else None,
        lang=language,
        settings=app_.settings,
        db=app_.db,
        today=app_.today(),
    )
    for row in rows:
        version = f" (version {row.version})" if row.version else ""
        reason = f": {row.reason}" if row.reason else ""
        console.print(
            f"  • {row.institution}: {row.outcome}{version}{reason}", highlight=False, markup=False
        )
    queued = sum(1 for r in rows if r.outcome == "queued")
    console.print(f"{queued} plan email(s) queued; deliver them with `pvpp outbox send`.")
    failed_items(rows)


@plan_app.command("sheet")
def plan_sheet_command(
    ctx: typer.Context,
    round_code: Annotated[
        str, typer.Argument(metavar="ROUND", help="Round code", callback=round_code_arg)
    ],
    institution: Annotated[
        str, typer.Argument(help="Institution code", callback=institution_code_arg)
    ],
    out: Annotated[Path, typer.Option(help="Where to write the plan sheet (.xlsx)")],
    lang: Annotated[str | None, typer.Option(help="lv or en (default: the settings')")] = None,
) -> None:
    """Write the plan sheet of the newest plan version: the proposal the team shapes
    (decisions per step, own measures, own targets, capacity) and returns."""
    from pvpp.proposals import plan_sheet

    app_ = root(ctx)
    language = parse_lang(lang) if lang is not None else app_.settings.language
    data = _run(
        ctx,
        lambda s: plan_sheet(s, round_code, institution, lang=language, settings=app_.settings),
    )
    with file_errors():
        write_atomic(out, data)
    console.print(f"Wrote {out} ({len(data) // 1024} KB)", highlight=False)


@plan_app.command("take")
def plan_take_command(
    ctx: typer.Context,
    round_code: Annotated[
        str, typer.Argument(metavar="ROUND", help="Round code", callback=round_code_arg)
    ],
    file: Annotated[Path, typer.Argument(help="The returned plan sheet (.xlsx)")],
    actor: Annotated[
        str, typer.Option(help="Who sent the sheet (an email address), for the change record")
    ] = "cli",
) -> None:
    """Check a returned plan sheet and make the new plan version from it. The sheet is kept
    either way and the team is answered by email (queued; sent by the next delivery): a
    rejected sheet's problems are printed and mailed, an accepted one's new version and the
    planner's warnings, in the sheet's language. The same file again is a duplicate."""
    from pvpp.planning.recheck import warning_text
    from pvpp.proposals import take_plan_sheet

    app_ = root(ctx)
    data = read_given(file, limit=app_.settings.max_upload_bytes)  # refused: a message
    name = shown_name(file.name)
    outcome = _run(
        ctx,
        lambda s: take_plan_sheet(
            s, data, filename=file.name, source=f"cli:{file}", actor=actor,
            settings=app_.settings, round_code=round_code,
        ),
    )  # fmt: skip
    lang = outcome.lang

    def problems() -> None:
        for p in outcome.problems:
            where = f"{p['sheet']}!{p['cell']}: " if p.get("cell") else ""
            err_console.print(f"  • {where}{p['message']}")

    if outcome.outcome == "duplicate":
        if outcome.first_outcome == "accepted":
            text = t("proposal.check.duplicate_accepted", lang, version=outcome.version)
            console.print(f"{name}: {text}", highlight=False)
            return
        text = t("proposal.check.duplicate_rejected", lang)
        err_console.print(f"{name}: {text}", highlight=False)
        problems()
        raise typer.Exit(1)
    mailed = f"Email to the team queued: {outcome.mailed}." if outcome.mailed else ""
    if outcome.outcome == "rejected":
        err_console.print(
            t("proposal.check.rejected", lang, n=len(outcome.problems)), highlight=False
        )
        problems()
        if mailed:
            err_console.print(mailed, highlight=False)
        raise typer.Exit(1)
    console.print(t("proposal.check.accepted", lang, version=outcome.version), highlight=False)
    console.print(f"{outcome.changes} change(s) recorded. {mailed}", highlight=False)
    library = load_library("pvpp2027-v1")
    for w in outcome.warnings:
        text = inert(warning_text(w, library, lang))
        console.print(f"  [yellow]⚠[/yellow] {text}", markup=True)


@plan_app.command("approve")
def plan_approve(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(help="The token of the approval link, or the link")],
    refuse: Annotated[
        bool, typer.Option("--refuse", help="Refuse the plan version instead (needs --reason)")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why the plan is refused")] = "",
    lang: Annotated[
        str | None, typer.Option(help="lv or en (default: the settings' language)")
    ] = None,
    today: Annotated[str | None, typer.Option(help="The day of the decision (YYYY-MM-DD)")] = None,
) -> None:
    """Approve the plan version of a one-time approval link as its head, or refuse it with a
    reason (the team is told). A link works once; the portal will call the same service."""
    language = None if lang is None else parse_lang(lang)
    app_ = today_option(ctx, today)
    with app_.db.unit_of_work() as session:
        decision = decide(
            session, token, approve=not refuse, reason=reason, lang=language,
            settings=app_.settings, clock=app_.clock,
        )  # fmt: skip
    console.print(decision.message, highlight=False, markup=False)
