"""``pvpp demo`` and ``pvpp serve``: commands of the flows side, plugged into the ``pvpp``
command line through the ``pvpp.commands`` entry-point group (see pyproject.toml).

They live here, not in :mod:`pvpp.cli`, because they run the Prefect flows (and the demo
its synthetic scenario); the ``pvpp`` package never imports the flows. Each takes the
invocation's root from the ``pvpp`` callback, like every other command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pvpp.cli.common import console, root, round_code_arg


def demo(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: <data dir>/demo)")
    ] = None,
) -> None:
    """Run a whole assessment round on example data and print where everything is."""
    from flows.demo.scenario import run_demo

    run_demo(root(ctx), out)


def serve(
    ctx: typer.Context,
    round_code: Annotated[str, typer.Option("--round", help="Round code", callback=round_code_arg)],
) -> None:
    """Serve the round's deployments (daily collection and follow-up, weekly report)."""
    from prefect import serve as prefect_serve

    from flows.deployments import deployments
    from flows.root import using

    console.print(f"Serving the flows of round {round_code}; stop with Ctrl+C.", highlight=False)
    with using(root(ctx)):
        prefect_serve(*deployments(round_code))
