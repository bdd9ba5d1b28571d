"""Entry point: ``pvpp <group> <command>``."""

from __future__ import annotations

import typer

from pvpp.cli import (
    db,
    demo,
    export,
    followup,
    outbox,
    plans,
    policy,
    registry,
    rounds,
    serve,
    submissions,
    team,
    workbook,
)

app = typer.Typer(
    name="pvpp",
    help="PVPP2027 service-management maturity programme: policy, workbooks and rounds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(policy.app, name="policy")
app.add_typer(workbook.app, name="workbook")
app.add_typer(db.app, name="db")
app.add_typer(registry.app, name="registry")
app.add_typer(rounds.app, name="round")
app.add_typer(team.app, name="team")
app.add_typer(submissions.app, name="submissions")
app.add_typer(plans.scores_app, name="scores")
app.add_typer(plans.plan_app, name="plan")
app.add_typer(export.app, name="export")
app.add_typer(outbox.app, name="outbox")
app.add_typer(followup.app, name="followup")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)


if __name__ == "__main__":  # pragma: no cover
    app()
