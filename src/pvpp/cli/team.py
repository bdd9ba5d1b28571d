"""``pvpp team``: RV1 implementation teams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from pvpp.cli.common import (
    command_group,
    console,
    data_table,
    institution_code_arg,
    parse_date,
    root,
    transaction,
)
from pvpp.planning.library import load_common
from pvpp.teams import (
    add_member,
    members,
    record_training,
    remove_member,
    representatives_trained,
    set_lead,
)

InstArg = Annotated[str, typer.Argument(help="Institution code", callback=institution_code_arg)]

app = command_group(
    help="Implementation teams: members, roles, lead, trainings.", no_args_is_help=True
)


R = TypeVar("R")


def _run(ctx: typer.Context, fn: Callable[..., R], **kwargs: Any) -> R:
    """``fn(session, **kwargs)`` in one transaction of the invocation's store."""
    with transaction(ctx) as session:
        return fn(session, **kwargs)


@app.command()
def add(
    ctx: typer.Context,
    institution: InstArg,
    name: Annotated[str, typer.Option(help="Member's name")],
    email: Annotated[str, typer.Option(help="Member's work email")],
    role: Annotated[list[str], typer.Option(help="Role id (repeat for several)")],
    lead: Annotated[bool, typer.Option("--lead", help="Make this member the team lead")] = False,
) -> None:
    """Add a member (or update one with the same email)."""
    common = load_common(root(ctx).settings.default_policy)
    _run(
        ctx,
        lambda s, **k: add_member(s, common, **k),
        institution=institution,
        name=name,
        email=email,
        roles=role,
        lead=lead,
    )
    console.print(f"{institution}: {email} added" + (" as lead" if lead else ""))


@app.command()
def lead(ctx: typer.Context, institution: InstArg, email: Annotated[str, typer.Option()]) -> None:
    """Make a member the team lead."""
    _run(ctx, set_lead, institution=institution, email=email)
    console.print(f"{institution}: {email} is the lead")


@app.command()
def remove(ctx: typer.Context, institution: InstArg, email: Annotated[str, typer.Option()]) -> None:
    """Remove a member (kept in history)."""
    withdrawn = _run(ctx, remove_member, institution=institution, email=email)
    console.print(f"{institution}: {email} removed")
    for w in withdrawn:
        # Mail that waited for them is not sent; the run that queued it queues it again.
        console.print(f"  • {w.text()}: it was addressed to {email}")


@app.command()
def training(
    ctx: typer.Context,
    institution: InstArg,
    email: Annotated[str, typer.Option()],
    measure: Annotated[str, typer.Option(help="P1.1, P1.3, P2.2, P4.2, P4.4 or P4.6")],
    date_: Annotated[str, typer.Option("--date", help="Attended on, YYYY-MM-DD")],
    name: Annotated[
        str | None,
        typer.Option(help="A representative's name: P1.1 for someone not (yet) in the team"),
    ] = None,
) -> None:
    """Record a training a member attended, or P1.1 for a representative of the
    institution before a team exists (with --name)."""
    added = _run(
        ctx,
        record_training,
        institution=institution,
        email=email,
        measure=measure,
        attended_on=parse_date(date_, "--date"),
        name=name,
    )
    console.print(
        f"{institution}: {email} attended {measure}" + ("" if added else " (already recorded)")
    )


@app.command()
def show(ctx: typer.Context, institution: InstArg) -> None:
    """The team's members."""
    rows = _run(ctx, members, institution=institution)
    table = data_table("name", "email", "roles", "lead")
    for m in rows:
        table.add_row(m.name, m.email, ", ".join(m.roles), "yes" if m.is_lead else "")
    console.print(table)
    trained = _run(ctx, representatives_trained, institution=institution)
    if trained:
        others = data_table("representative", "email", "training", "attended", title="Trained")
        for r in trained:
            others.add_row(r.name, r.email, r.measure_id, r.attended_on.isoformat())
        console.print(others)
