"""Entry point: ``pvpp <group> <command>``.

The callback builds the composition root (:class:`pvpp.app.App`) once per invocation from
the settings (``PVPP_*`` variables and ``.env``) and keeps it in ``ctx.obj``; commands take
it from there (:func:`pvpp.cli.common.root`). A caller that already has a root (a test, an
embedding program) passes it as ``obj`` and the callback keeps it.

Every command runs inside :func:`pvpp.cli.common.error_messages`, the command line's one
mapping of service errors to messages.

Commands beyond the production ones (``pvpp demo``, ``pvpp serve``, which live with the
flows) come from the ``pvpp.commands`` entry-point group: each entry is a typer callable
registered under its name. The ``pvpp`` package itself never imports the flows.
"""

from __future__ import annotations

import io
import sys
from importlib.metadata import entry_points

import typer

from pvpp.cli import (
    db,
    export,
    followup,
    national_plan,
    outbox,
    plans,
    policy,
    registry,
    review,
    rounds,
    submissions,
    team,
    user,
    web,
    workbook,
)
from pvpp.cli.common import command_group

COMMANDS_GROUP = "pvpp.commands"


app = command_group(
    name="pvpp",
    help="PVPP2027 service-management maturity programme: policy, workbooks and rounds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _printable_streams() -> None:
    """Let stdout and stderr print any text: a character the terminal's encoding cannot
    take (a file name's byte that is not UTF-8, under a strict UTF-8 locale) prints as a
    backslash escape instead of stopping the command with a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Build the composition root for this invocation (unless the caller handed one in)."""
    _printable_streams()
    if ctx.obj is None:
        from pvpp.app import App

        ctx.obj = App.build()
        ctx.call_on_close(ctx.obj.close)


app.add_typer(policy.app, name="policy")
app.add_typer(workbook.app, name="workbook")
app.add_typer(db.app, name="db")
app.add_typer(registry.app, name="registry")
app.add_typer(rounds.app, name="round")
app.add_typer(team.app, name="team")
app.add_typer(submissions.app, name="submissions")
app.add_typer(review.app, name="review")
app.add_typer(plans.scores_app, name="scores")
app.add_typer(plans.plan_app, name="plan")
app.add_typer(export.app, name="export")
app.add_typer(national_plan.app, name="national-plan")
app.add_typer(outbox.app, name="outbox")
app.add_typer(followup.app, name="followup")
app.add_typer(user.app, name="user")
app.command("web")(web.web)


def _plugged_in() -> None:
    """Register the commands other installed packages offer in ``pvpp.commands``."""
    for entry in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        app.command(entry.name)(entry.load())


_plugged_in()


if __name__ == "__main__":  # pragma: no cover
    app()
