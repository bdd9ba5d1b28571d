"""``pvpp national-plan``: the specialised plans (RV6, RV7) of a round: draft, show, edit,
export (see docs/national-plans.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import RenderableType

from pvpp.cli.common import (
    command_group,
    console,
    data_table,
    file_errors,
    parse_date,
    parse_lang,
    plain,
    root,
    round_code_arg,
    today_option,
    usage_error,
    write_json,
)
from pvpp.files import read_given, shown_name, write_atomic
from pvpp.national_plans import (
    EDIT_FILE_HELP,
    PlanView,
    draft_plan,
    edit_plan,
    get_plan,
    parse_edit_file,
    plan_versions,
)
from pvpp.specialised import Edit

app = command_group(
    help="Specialised plans (RV6 central shared services and digital technologies, RV7 "
    "competences) drafted from a round's aggregated gaps.",
    no_args_is_help=True,
)

RoundArg = Annotated[
    str, typer.Argument(metavar="ROUND", help="Round code, e.g. 2026-K1", callback=round_code_arg)
]
DirectionOpt = Annotated[str, typer.Option("--direction", help="RV6 or RV7")]
ActorOpt = Annotated[
    str, typer.Option("--actor", help="Who makes the change (name or email), for the record")
]
TodayOpt = Annotated[str | None, typer.Option(help="Today's date (YYYY-MM-DD)")]
#: Edit files are short; a larger file is a mistake.
EDIT_FILE_LIMIT = 1024 * 1024


def _in_transaction(
    ctx: typer.Context, today: str | None, fn: Callable[[Any, date], PlanView]
) -> list[RenderableType]:
    """Run ``fn(session, today)`` in one transaction; what it saved, ready to print (the
    rows expire when the transaction ends, so they are read inside it)."""
    app_ = today_option(ctx, today)
    with app_.db.unit_of_work() as session:
        return _render(fn(session, app_.today()))


def _render(view: PlanView) -> list[RenderableType]:
    plan = view.plan
    counted = (
        f"the round's closure of {plan.counted_on}"
        if plan.counted_on
        else "the current accepted answers (the round is open)"
    )
    out: list[RenderableType] = [
        plain(
            f"{view.round.code} {view.direction} plan, version {plan.version}, saved "
            f"{plan.created_at:%Y-%m-%d %H:%M} UTC by {plan.created_by}; needs from {counted}"
        )
    ]
    needs = data_table("item", "with a gap", "rated", "median gap", "mean gap", title="Needs")
    for n in view.needs:
        needs.add_row(
            n.item, str(len(n.with_gap)), str(n.rated), str(n.median_gap), str(n.mean_gap)
        )
    out.append(needs)
    table = data_table(
        "key", "measure", "responsible", "due", "answers", "serves", title="Measures"
    )
    for m in view.measures:
        title = plain(m.title.get("en") or m.title.get("lv", ""))
        if m.status == "dropped":
            title = plain(f"[dropped: {m.dropped_reason}] ") + title
        if m.provisional:
            title.append(f" (provisional: {', '.join(m.provisional)})", style="italic")
        table.add_row(
            m.key,
            title,
            view.library.body_name(m.responsible, "en"),
            m.due_on.isoformat(),
            ", ".join(m.items),
            str(len(m.institutions)),
        )
    out.append(table)
    if view.changes:
        out.append(plain("This version:"))
        for c in view.changes:
            key = f" {c.measure_key}" if c.measure_key else ""
            out.append(plain(f"  {c.kind}{key}: {c.reason}"))
    return out


def _print(lines: list[RenderableType]) -> None:
    for line in lines:
        console.print(line)


@app.command("draft")
def draft_command(
    ctx: typer.Context,
    round_code: RoundArg,
    direction: DirectionOpt,
    actor: ActorOpt,
    again: Annotated[
        bool, typer.Option("--again", help="Draft afresh as a new version (the others are kept)")
    ] = False,
    note: Annotated[str, typer.Option(help="A note kept with the version")] = "",
    today: TodayOpt = None,
) -> None:
    """Draft the round's RV6 or RV7 plan from its aggregated gaps (version 1)."""
    lines = _in_transaction(
        ctx, today,
        lambda s, day: draft_plan(s, round_code, direction, today=day, actor=actor,
                                  again=again, note=note, where={"source": "cli"}),
    )  # fmt: skip
    _print(lines)


@app.command("show")
def show_command(
    ctx: typer.Context,
    round_code: RoundArg,
    direction: DirectionOpt,
    version: Annotated[int | None, typer.Option(help="A version (default: the newest)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON")] = False,
) -> None:
    """A plan version: its needs, measures and what the version changed; the versions."""
    with root(ctx).db.reading() as session:
        view = get_plan(session, round_code, direction, version)
        versions = plan_versions(session, round_code, direction)
        lines = _render(view)
        payload = {
            "round": round_code, "direction": direction, "version": view.plan.version,
            "saved_at": view.plan.created_at.isoformat(), "saved_by": view.plan.created_by,
            "counted_on": view.plan.counted_on, "needs": [n.record() for n in view.needs],
            "measures": [m.record() for m in view.measures],
            "changes": [{"kind": c.kind, "key": c.measure_key, "reason": c.reason,
                         "actor": c.actor, "at": c.at.isoformat()} for c in view.changes],
            "versions": [{"version": p.version, "saved_at": p.created_at.isoformat(),
                          "saved_by": p.created_by} for p in versions],
        }  # fmt: skip
        lines.append(plain("Versions: " + ", ".join(
            f"{p.version} ({p.created_at:%Y-%m-%d} {p.created_by})" for p in versions
        )))  # fmt: skip
    if as_json:
        write_json(payload)
        return
    _print(lines)


@app.command("edit", epilog=EDIT_FILE_HELP.replace("\n", "\n\n"))
def edit_command(
    ctx: typer.Context,
    round_code: RoundArg,
    direction: DirectionOpt,
    actor: ActorOpt,
    file: Annotated[
        Path | None, typer.Option("--file", help="An edit file (YAML, see below)", dir_okay=False)
    ] = None,
    measure: Annotated[str | None, typer.Option(help="Change this measure (e.g. RV6-01)")] = None,
    drop: Annotated[str | None, typer.Option(help="Drop this measure (e.g. RV6-02)")] = None,
    add: Annotated[bool, typer.Option("--add", help="Add a measure (give its fields)")] = False,
    title: Annotated[str | None, typer.Option(help="Title (Latvian)")] = None,
    description: Annotated[str | None, typer.Option(help="Description (Latvian)")] = None,
    responsible: Annotated[str | None, typer.Option(help="Responsible body (id or name)")] = None,
    due: Annotated[str | None, typer.Option(help="Due date, YYYY-MM-DD")] = None,
    items: Annotated[
        list[str] | None, typer.Option("--item", help="An item the measure answers (repeat)")
    ] = None,
    policy_measure: Annotated[str | None, typer.Option(help="PVPP2027 measure, e.g. P6.2")] = None,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Keep the drafted values as your own")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why (required for each edit)")] = None,
    base_version: Annotated[
        int | None, typer.Option(help="The version you edited (refused if the plan moved on)")
    ] = None,
    note: Annotated[str, typer.Option(help="A note kept with the new version")] = "",
    today: TodayOpt = None,
) -> None:
    """Edit the newest version into a new one: from an edit file, or one edit given by
    options (--measure KEY with fields or --confirm, --drop KEY, or --add with fields),
    each with --reason. Nothing is saved unless every edit is right."""
    chosen = [name for name, on in (("--file", file), ("--measure", measure), ("--drop", drop),
                                    ("--add", add)) if on]  # fmt: skip
    if len(chosen) != 1:
        usage_error("give one of --file, --measure, --drop or --add")
    if file is not None:
        data = read_given(file, limit=EDIT_FILE_LIMIT)
        with file_errors():
            parsed = parse_edit_file(data, shown_name(file.name))
        edits, base, note = parsed.edits, parsed.base_version or base_version, parsed.note or note
    else:
        values: dict[str, Any] = {
            k: v
            for k, v in (("title", title), ("description", description),
                         ("responsible", responsible), ("items", items),
                         ("policy_measure", policy_measure))
            if v
        }  # fmt: skip
        if due is not None:
            values["due_on"] = parse_date(due, "--due")
        if drop is not None:
            if values or confirm:
                usage_error("--drop takes only --reason")
            edits = [Edit("drop", f"--drop {drop}", reason or "", key=drop)]
        elif add:
            edits = [Edit("add", "--add", reason or "", values=values)]
        else:
            edits = [Edit("change", f"--measure {measure}", reason or "", key=measure or "",
                          values=values, confirm=confirm)]  # fmt: skip
        base = base_version
    lines = _in_transaction(
        ctx, today,
        lambda s, day: edit_plan(s, round_code, direction, edits, today=day, actor=actor,
                                 base_version=base, note=note, where={"source": "cli"}),
    )  # fmt: skip
    _print(lines)


@app.command("export")
def export_command(
    ctx: typer.Context,
    round_code: RoundArg,
    direction: DirectionOpt,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF here")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write the workbook here")] = None,
    version: Annotated[int | None, typer.Option(help="A version (default: the newest)")] = None,
    lang: Annotated[str, typer.Option(help="lv (default) or en")] = "lv",
    internal: Annotated[
        bool, typer.Option("--internal", help="Name the institutions served (not for publication)")
    ] = False,
    today: TodayOpt = None,
) -> None:
    """The plan as a PDF and/or a workbook (publishable unless --internal)."""
    from pvpp.documents.national_plan_pdf import national_plan_pdf
    from pvpp.exports.national_plan import export_national_plan

    if pdf is None and xlsx is None:
        usage_error("give --pdf, --xlsx or both")
    language = parse_lang(lang)
    app_ = today_option(ctx, today)
    with app_.db.reading() as session:
        data = (
            national_plan_pdf(session, round_code, direction, today=app_.today(), lang=language,
                              internal=internal, version=version)
            if pdf is not None else None
        )  # fmt: skip
        if xlsx is not None:
            with file_errors():
                summary = export_national_plan(
                    session, round_code, direction, xlsx, lang=language, internal=internal,
                    version=version, generated_at=app_.clock.now(),
                )  # fmt: skip
            console.print(f"Wrote {summary.path}", highlight=False)
    if pdf is not None and data is not None:
        with file_errors():
            write_atomic(pdf, data)
        console.print(f"Wrote {pdf} ({len(data) // 1024} KB)", highlight=False)
