"""``pvpp serve``: run the round's scheduled flows from this process."""

from __future__ import annotations

from typing import Annotated

import typer

from pvpp.cli.common import console


def serve(round_code: Annotated[str, typer.Option("--round", help="Round code")]) -> None:
    """Serve the round's deployments (daily collection and follow-up, weekly report)."""
    from flows.deployments import deployments
    from prefect import serve as prefect_serve

    console.print(f"Serving the flows of round {round_code}; stop with Ctrl+C.", highlight=False)
    prefect_serve(*deployments(round_code))
