"""``pvpp round``: create, launch, extend, remind and close rounds, and watch their
progress."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from pvpp.cli.common import (
    command_group,
    console,
    data_table,
    failed_items,
    institution_code_arg,
    parse_date,
    parse_lang,
    plain,
    root,
    round_code_arg,
    today_option,
    transaction,
    write_json,
)
from pvpp.exports.data import flag_label, name_of, skip_label, state_label
from pvpp.files import write_atomic
from pvpp.i18n import catalogue, t
from pvpp.national import aggregates, round_status, round_trend
from pvpp.policy import Policy, load_policy
from pvpp.rounds import close_round, create_round, get_round
from pvpp.trends import JUMP, Row, Spread, left_out_text

app = command_group(help="Assessment rounds.", no_args_is_help=True)
#: A figure the disclosure rule withholds (pvpp.disclosure), in the CLI's tables.
WITHHELD = "*"
NEEDS_COLUMNS = ("institutions_with_gap", "institutions_rated", "median_gap", "mean_gap")


# The ministry's command line is English; stored codes are shown with their words (the
# catalogue's English), a reason's code in brackets for whoever looks it up.
def _skipped(code: str, reason: str, policy: Policy) -> str:
    return f"  • {code}: no assignment — {skip_label(reason, policy, 'en')} [{reason}]"


def _mail_kind(kind: str) -> str:
    key = f"mail.kind.{kind}"
    return f"“{t(key, 'en')}” email" if key in catalogue("en") else f"{kind} email"


@app.command()
def create(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code, e.g. 2026-K1", callback=round_code_arg)],
    opens: Annotated[str, typer.Option(help="Opening date, YYYY-MM-DD")],
    due: Annotated[str, typer.Option(help="Due date, YYYY-MM-DD")],
    institutions: Annotated[
        list[str] | None,
        typer.Option(
            "--institutions",
            "-i",
            help="Institution codes (default: all)",
            callback=institution_code_arg,
        ),
    ] = None,
    review: Annotated[
        bool,
        typer.Option(
            "--review/--no-review",
            help="A valid submission waits for a reviewer (pvpp review) instead of being "
            "accepted at once",
        ),
    ] = False,
) -> None:
    """Create a round: freezes the policy and questionnaire versions and the institutions."""
    opens_on: date = parse_date(opens, "--opens")
    due_on: date = parse_date(due, "--due")
    codes = [c for part in (institutions or []) for c in part.replace(",", " ").split()]
    with transaction(ctx) as session:
        report = create_round(
            session,
            code=code,
            opens_on=opens_on,
            due_on=due_on,
            institutions=codes or None,
            questionnaire_version=root(ctx).settings.default_questionnaire,
            review_required=review,
        )
    rnd = report.round
    verb = "Created" if report.created else "Round already exists, unchanged:"
    reviewed = "review required" if rnd.review_required else "no review"
    console.print(
        f"{verb} {rnd.code} ({rnd.opens_on} – {rnd.due_on}; {rnd.policy_version}, "
        f"{rnd.questionnaire_version}; {reviewed}): {len(report.assigned)} assigned, "
        f"{len(report.skipped)} without assignment, {len(report.flagged)} flagged.",
        highlight=False,
    )
    policy = load_policy(rnd.policy_version)
    for code_, reason in sorted(report.skipped.items()):
        console.print(_skipped(code_, reason, policy), highlight=False)
    for code_, flags in sorted(report.flagged.items()):
        shown = ", ".join(flag_label(f, "en") for f in flags)
        console.print(f"  • {code_}: flagged — {shown}", highlight=False)


@app.command()
def status(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Per institution: state, score and last change, with totals."""
    with transaction(ctx) as session:
        view = round_status(session, code)
        policy = load_policy(get_round(session, code).policy_version)
    if as_json:
        write_json(view)
        return
    table = data_table(
        "institution", "state", "index", "last change", "flags", title=f"Round {code}"
    )
    for row in view["institutions"]:
        index = "" if row["index"] is None else f"{row['index']:.1f}"
        table.add_row(
            plain(f"{row['code']} {row['name']}"),
            state_label(row["state"], row["returned_how"], "en"),
            index,
            row["changed_at"],
            ", ".join(flag_label(f, "en") for f in row["flags"]),
        )
    console.print(table)
    totals = ", ".join(f"{name_of('state', k, 'en')}: {v}" for k, v in view["totals"].items())
    console.print(f"Totals — {totals}", highlight=False)
    # What needs a coordinator, one line each (addresses, replies and file names are data).
    for row in view["institutions"]:
        for u in row["undelivered"]:
            console.print(
                plain(
                    f"  • {row['code']}: {_mail_kind(u['kind'])} not delivered to "
                    f"{', '.join(u['to'])}: {u['reply']}"
                ),
                highlight=False,
            )
        for f in row["late_files"]:
            console.print(
                plain(
                    f"  • {row['code']}: late workbook {f['filename']} ({f['status']}, "
                    f"received {f['received_at']} while {name_of('state', f['state'], 'en')}) "
                    "kept, not applied; "
                    f"`pvpp round reopen {view['round']} {row['code']}` applies it"
                ),
                highlight=False,
            )
    for code_, reason in view["skipped"].items():
        console.print(_skipped(code_, reason, policy), highlight=False)


@app.command()
def close(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    today: Annotated[str | None, typer.Option(help="The day it is closed on (YYYY-MM-DD)")] = None,
) -> None:
    """Close a round for publication (after its due date; final): its publishable exports
    and report count the answers and plan versions current now, and only those."""
    app_ = today_option(ctx, today)
    with app_.db.unit_of_work() as session:
        closure = close_round(session, code, today=app_.today())
    answers, plans = len(closure.answer_sets), len(closure.plans)
    console.print(
        f"Round {code} closed for publication on {closure.closed_on}: its publications count "
        f"the answers of {answers} institution{'' if answers == 1 else 's'} and "
        f"{plans} plan version{'' if plans == 1 else 's'}.",
        highlight=False,
    )


@app.command()
def reopen(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    institution: Annotated[
        str, typer.Argument(help="Institution code", callback=institution_code_arg)
    ],
    actor: Annotated[str, typer.Option(help="Who reopens (name or email)")],
    reason: Annotated[str, typer.Option(help="Why: kept with the state change")],
) -> None:
    """Reopen an institution whose plan has gone out, so a workbook applies again.

    The newest late workbook (kept, not applied: see `round status`) is applied now;
    without one the institution goes to "returned" and its next workbook is applied.
    """
    from pvpp.submissions import reopen as reopen_assignment

    with transaction(ctx) as session:
        done = reopen_assignment(
            session, code, institution, actor=actor, reason=reason, settings=root(ctx).settings
        )
    if done.applied:
        console.print(
            plain(
                f"Reopened {done.institution}: applied the late workbook {done.applied} "
                f"({done.status}); now {name_of('state', done.state, 'en')}."
            ),
            highlight=False,
        )
    else:
        console.print(
            plain(
                f"Reopened {done.institution}: now {name_of('state', done.state, 'en')}; "
                "its next workbook is applied."
            ),
            highlight=False,
        )


@app.command("aggregates")
def aggregates_(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    internal: Annotated[
        bool, typer.Option("--internal", help="Include small groups and named institutions")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """National aggregates: degree distributions, RV6 and RV7 needs, index by group."""
    with transaction(ctx) as session:
        view = aggregates(session, code, publish=not internal)
    if as_json:
        write_json(view)
        return
    if view["institutions_scored"] is not None:
        console.print(
            f"Round {code}: {view['institutions_scored']} institutions scored", highlight=False
        )
    if view["suppressed"]:
        console.print(view["note"], highlight=False)
        return
    for key, title in (("rv6_needs", "RV6 needs"), ("rv7_needs", "RV7 needs")):
        table = data_table("item", "with a gap", "rated", "median gap", "mean gap", title=title)
        for n in view[key]:
            table.add_row(
                f"{n['item']} {n['name']}",
                *(
                    WITHHELD if n["withheld"] and k != "institutions_rated" else str(n[k])
                    for k in NEEDS_COLUMNS
                ),
            )
        console.print(table)
    groups = ", ".join(
        f"{g}: {WITHHELD if v['withheld'] else v['median_index']} ({v['institutions']})"
        for g, v in view["index_by_group"].items()
    )
    console.print(f"Median index by group: {groups}", highlight=False)
    if not internal:
        console.print(
            f"{WITHHELD} withheld: computed from fewer than {view['min_group']} institutions",
            highlight=False,
        )


def _median(s: Spread) -> str:
    if s.withheld:
        return WITHHELD
    return "—" if s.median is None else f"{s.median:.2f}"


def _band(s: Spread) -> str:
    if s.withheld:
        return WITHHELD
    return "—" if s.q1 is None or s.q3 is None else f"{s.q1:.2f}–{s.q3:.2f}"


def _change(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f}"


def _trend_table(
    title: str, rounds: tuple[str, ...], rows: list[Row], names: dict[str, str]
) -> Table:
    columns = [f"{x} {r}" for r in rounds for x in ("n", "median", "Q1–Q3")]
    table = data_table(title.split(":")[0], *columns, "change", title=title)
    for row in rows:
        cells = [c for s in row.spreads for c in (str(s.n), _median(s), _band(s))]
        table.add_row(
            plain(f"{row.key} {names.get(row.key, '')}".strip()), *cells, _change(row.change)
        )
    return table


@app.command("trend")
def trend(
    ctx: typer.Context,
    codes: Annotated[
        list[str],
        typer.Argument(
            help="Round codes (one: compared with the round before it)", callback=round_code_arg
        ),
    ],
    publish: Annotated[
        bool,
        typer.Option("--publish", help="Only closed rounds, figures over too few withheld"),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rounds compared: median and quartiles per item, component and institution group,
    plan measures done, positions within the group and jumps of more than 2 degrees."""
    with transaction(ctx) as session:
        view = round_trend(session, codes, publish=publish)
        policy = load_policy(get_round(session, view.rounds[-1]).policy_version)
    if as_json:
        write_json({"rounds": list(view.rounds), "withheld": view.withheld,
                    "open_round": view.open_round,
                    "trend": view.trend.to_dict() if view.trend else None})  # fmt: skip
        return
    if view.trend is None:
        console.print(
            plain(f"Round {view.open_round} is not closed for publication: nothing to publish "
                  f"yet (pvpp round close {view.open_round}, or leave out --publish)."),
            highlight=False,
        )  # fmt: skip
        return
    tr = view.trend
    console.print(plain(f"Rounds compared: {', '.join(tr.rounds)}"), highlight=False)
    if tr.same_questions:
        console.print("Every round asked every dimension with the same questions.", highlight=False)
    else:
        console.print(
            plain(
                f"Questionnaire versions {', '.join(tr.shared.versions)}: compared on the "
                f"{tr.shared.count} item dimensions every version asks alike; left out:"
            ),
            highlight=False,
        )
        for left in tr.shared.left_out:
            console.print(
                plain(f"  • {left_out_text(left, tr.shared.versions, 'en')}"), highlight=False
            )
    items = {i.id: i.name.en for i in policy.items}
    components = {c.id: f"{c.number}. {c.name.en}" for c in policy.components}
    groups = {g.id: g.name.en for g in policy.institution_groups}
    console.print(_trend_table("Component: median degree", tr.rounds, tr.components, components))
    console.print(
        _trend_table("Institution group: median overall score", tr.rounds, tr.groups, groups)
    )
    console.print(_trend_table("Item: median degree", tr.rounds, tr.items, items))
    plans = data_table(
        "round", "plans", "measures (not dropped)", "done", "share done", title="Plan measures done"
    )
    for p in tr.plans:
        share = WITHHELD if p.withheld else "—" if p.share is None else f"{p.share:.0f} %"
        plans.add_row(p.round, str(p.plans), str(p.measures), str(p.done), share)
    console.print(plans)
    positions = data_table("institution", "group", "score", "n", "median", "Q1–Q3", "place",
                           title=f"Position within the group ({tr.rounds[-1]})")  # fmt: skip
    for pos in tr.positions:
        score = "—" if pos.score is None else f"{pos.score:.2f}"
        median = WITHHELD if pos.withheld else "—" if pos.median is None else f"{pos.median:.2f}"
        band = (
            WITHHELD
            if pos.withheld
            else "—"
            if pos.q1 is None or pos.q3 is None
            else f"{pos.q1:.2f}–{pos.q3:.2f}"
        )
        positions.add_row(
            pos.institution, pos.group, score, str(pos.n), median, band, pos.place or "—"
        )
    console.print(positions)
    console.print(plain(t("trends.jump", "en", n=JUMP) + f": {len(tr.jumps)}"), highlight=False)
    for j in tr.jumps:
        changes = ", ".join(f"{d} {b} → {n}" for d, b, n in j.changes)
        console.print(plain(f"  • {j.institution} {j.item}: {changes}"), highlight=False)
    console.print(
        f"{WITHHELD} withheld: computed from fewer than {tr.min_group} institutions "
        "(a position: from fewer than 3 others in its group)",
        highlight=False,
    )


@app.command("report")
def report(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    out: Annotated[Path, typer.Option(help="Where to write the PDF")],
    lang: Annotated[str, typer.Option(help="lv or en")] = "lv",
    internal: Annotated[
        bool, typer.Option("--internal", help="Name institutions (not for publication)")
    ] = False,
    today: Annotated[str | None, typer.Option(help="The report's date (YYYY-MM-DD)")] = None,
) -> None:
    """The national report PDF for VARAM (publishable unless --internal)."""
    from pvpp.documents.national_pdf import national_pdf

    language = parse_lang(lang)
    app_ = today_option(ctx, today)
    with app_.db.unit_of_work() as session:
        data = national_pdf(session, code, lang=language, internal=internal, today=app_.today())
    write_atomic(out, data)
    console.print(f"Wrote {out} ({len(data) // 1024} KB)", highlight=False)


@app.command("milestones")
def milestones_(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    measure: Annotated[str | None, typer.Option(help="Change this milestone (e.g. P4.1)")] = None,
    state: Annotated[str | None, typer.Option(help="planned | in_progress | done")] = None,
    due: Annotated[str | None, typer.Option(help="New due date (YYYY-MM-DD)")] = None,
    note: Annotated[str | None, typer.Option(help="A note kept with the milestone")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    today: Annotated[
        str | None, typer.Option(help="The day lateness is judged on (YYYY-MM-DD)")
    ] = None,
) -> None:
    """The round's national milestones (P2.1 guidelines, P2.2 training, RV3 regulation, RV4
    guidelines and trainings); change one."""
    from pvpp.milestones import milestones, record_milestones, set_milestone

    due_on = parse_date(due, "--due") if due else None
    app_ = today_option(ctx, today)
    with app_.db.unit_of_work() as session:
        record_milestones(session, code, actor="cli")
        if measure is not None:
            set_milestone(session, code, measure, state=state, due_on=due_on, note=note)
        rows = milestones(session, code, app_.today())
    if as_json:
        write_json([{**r, "due_on": r["due_on"].isoformat()} for r in rows])
        return
    table = data_table(
        "measure", "state", "due", "text", "note", title=f"Round {code}: national milestones"
    )
    for r in rows:
        state_cell = Text(r["state"])
        if r["late"]:
            state_cell.append(" (late)", style="red")
        table.add_row(r["measure"], state_cell, r["due_on"].isoformat(), r["text_lv"], r["note"])
    console.print(table)


ActorOpt = Annotated[str, typer.Option(help="Who acts (name or email), for the audit log")]


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f} %"


@app.command("progress")
def progress_(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    group: Annotated[str | None, typer.Option(help="Only this table-1 group (e.g. IG1)")] = None,
    state: Annotated[str | None, typer.Option(help="Only this state (e.g. in_progress)")] = None,
    name: Annotated[
        str | None, typer.Option(help="Only institutions whose name or code contains this")
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(help="Write the tables to FILE.xlsx (all) or FILE.csv (one)", dir_okay=False),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            help="The table to export: summary, states, line, behind, idle, "
            "institutions (the CSV's default), milestones"
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="The export's language: lv or en")] = "lv",
    today: Annotated[str | None, typer.Option(help="The day to judge on (YYYY-MM-DD)")] = None,
) -> None:
    """The round's progress: share complete, the completion line, counts per state, the
    institutions furthest behind and those idle for 14 days, the national milestones."""
    from pvpp.cli.common import file_errors
    from pvpp.exports.progress import export_progress
    from pvpp.round_progress import Filters, round_progress

    language = parse_lang(lang)
    app_ = today_option(ctx, today)
    filters = Filters(group=group, state=state, name=name)
    with app_.db.reading() as session:
        view = round_progress(session, code, today=app_.today(), filters=filters)
    if export is not None:
        with file_errors():
            summary = export_progress(view, export, lang=language, table=table)
        rows = ", ".join(f"{k}: {v}" for k, v in summary.rows.items())
        console.print(f"Written to {summary.path.resolve()} (rows — {rows})", highlight=False)
        return
    chosen = ", ".join(f"{k} {v!r}" for k, v in filters.given().items()) or "all institutions"
    console.print(
        plain(
            f"Round {view.round_code} on {view.today} ({chosen}): {view.total} assigned, "
            f"{view.handed_in} handed in ({_percent(view.share_handed_in)}), {view.complete} "
            f"complete ({_percent(view.share_complete)}); due {view.due_on}."
        ),
        highlight=False,
    )
    states = data_table("state", "institutions", title="Per state")
    for s, n in view.states:
        states.add_row(name_of("state", s, "en"), str(n))
    console.print(states)
    # The line once a week and on the last day: a terminal is no chart.
    line = data_table("day", "handed in", "complete", title="Completion over time")
    for n, point in enumerate(view.line):
        if n % 7 == 0 or n == len(view.line) - 1 or point.day == view.due_on:
            mark = " (due)" if point.day == view.due_on else ""
            line.add_row(f"{point.day}{mark}", str(point.handed_in), str(point.complete))
    console.print(line)
    for title, rows_ in (
        ("Furthest behind", view.behind),
        (f"No activity for {view.idle_after} days or more", view.idle),
    ):
        table_ = data_table("institution", "group", "state", "answered", "last activity",
                            "idle days", title=title)  # fmt: skip
        for r in rows_:
            table_.add_row(
                plain(f"{r.code} {r.name}"), r.group, name_of("state", r.state, "en"),
                f"{r.answered}/{r.questions}",
                r.last_active.strftime("%Y-%m-%d") if r.last_active else "—", str(r.idle_days),
            )  # fmt: skip
        console.print(table_)
    marks = data_table("measure", "state", "due", "late", title="National milestones")
    for m in view.milestones:
        marks.add_row(
            m["measure"], m["state"], m["due_on"].isoformat(), "late" if m["late"] else ""
        )
    console.print(marks)


@app.command("extend")
def extend(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    due: Annotated[str, typer.Option(help="The new due date (YYYY-MM-DD)")],
    reason: Annotated[str, typer.Option(help="Why: kept in the audit log (not emailed)")],
    actor: ActorOpt = "cli",
    today: Annotated[str | None, typer.Option(help="The day it is done on (YYYY-MM-DD)")] = None,
) -> None:
    """Extend the round's due date; the teams that have not handed in are emailed the new
    date (queued; sent by `pvpp outbox send` or the next flow)."""
    from pvpp.round_actions import extend_due

    due_on = parse_date(due, "--due")
    app_ = today_option(ctx, today)
    with app_.db.unit_of_work() as session:
        done = extend_due(session, code, due_on=due_on, reason=reason, today=app_.today(),
                          settings=app_.settings, actor=actor)  # fmt: skip
    told = sum(new for _, new in done.queued)
    console.print(
        f"Round {done.round_code}: due date {done.previous} → {done.due_on}; "
        f"{told} team{'' if told == 1 else 's'} told (queued; send with `pvpp outbox send`).",
        highlight=False,
    )
    failed_items(done.queued)


@app.command("remind")
def remind(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    actor: ActorOpt = "cli",
    today: Annotated[str | None, typer.Option(help="The day to act as (YYYY-MM-DD)")] = None,
) -> None:
    """Remind now every team without an accepted self-assessment (one reminder a day)."""
    from pvpp.round_actions import remind_now

    app_ = today_option(ctx, today)
    with app_.db.unit_of_work() as session:
        done = remind_now(session, code, today=app_.today(), settings=app_.settings, actor=actor)
    new = sum(created for _, created in done)
    console.print(
        f"Round {code}: {new} reminder{'' if new == 1 else 's'} queued"
        + (f", {len(done) - new} already queued today" if len(done) > new else "")
        + " (send with `pvpp outbox send`).",
        highlight=False,
    )
    failed_items(done)


@app.command("launch")
def launch(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
    actor: ActorOpt = "cli",
) -> None:
    """Launch the round: milestones, workbooks, invitations, delivery — on the Prefect
    server's `launch` deployment when PVPP_PREFECT_API_URL is set, in this process
    otherwise. Safe to run again."""
    from pvpp.launch import launch_round

    app_ = root(ctx)
    done = launch_round(code, settings=app_.settings, db=app_.db, today=app_.today(),
                        actor=actor)  # fmt: skip
    if done.via == "prefect":
        console.print(
            plain(f"Queued the Prefect run “{done.run_name}” ({done.run_id}): {done.url}"),
            highlight=False,
        )
        return
    console.print(
        f"Launched {done.round_code} in this process: {len(done.invited)} invitation(s) "
        f"queued, {done.sent} email(s) sent.",
        highlight=False,
    )
    if done.failed:
        from pvpp.cli.common import fail

        fail(*(f"invitation {f.item}: {f.reason}" for f in done.failed))


@app.command("runs")
def runs(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)],
) -> None:
    """The round's flow runs on the Prefect server, with links into the Prefect UI."""
    from pvpp.prefect_runs import round_runs

    settings = root(ctx).settings
    if not settings.prefect_api_url:
        console.print("No Prefect server is configured (PVPP_PREFECT_API_URL).", highlight=False)
        return
    table = data_table("run", "state", "started", "link", title=f"Round {code}: Prefect runs")
    for r in round_runs(code, settings):
        started = r.started.strftime("%Y-%m-%d %H:%M") if r.started else "—"
        table.add_row(plain(r.name), r.state, started, r.url or "")
    console.print(table)
