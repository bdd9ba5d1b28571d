"""``pvpp web``: serve the institution portal (docs/web.md) with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from pvpp.cli.common import console, today_option, usage_error

FACTORY = "pvpp.web.app:from_environment"


def web(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)] = 8000,
    reload: Annotated[
        bool, typer.Option("--reload", help="Restart when the code changes (development)")
    ] = False,
    workers: Annotated[
        int, typer.Option(help="Processes to serve with (each builds its own root)", min=1)
    ] = 1,
    today: Annotated[
        str | None,
        typer.Option(help="Serve as if it were this day (YYYY-MM-DD): the demo's story day"),
    ] = None,
) -> None:
    """Serve the institution portal: teams and heads sign in with links from their email.

    Runs on the settings of the environment (PVPP_DATABASE_URL, PVPP_PUBLIC_URL, ...); the
    schema must be current (`pvpp db upgrade`). Several processes (--workers, or several
    `pvpp web` behind a proxy) share everything through the database."""
    import uvicorn

    app = today_option(ctx, today)
    app.db.require_current()
    if (reload or workers > 1) and today is not None:
        usage_error("--today works with one process, without --reload")
    console.print(
        f"Portal on http://{host}:{port} (links in emails point to "
        f"{app.settings.public_url}); stop with Ctrl+C.",
        highlight=False,
    )
    if reload or workers > 1:
        uvicorn.run(
            FACTORY, factory=True, host=host, port=port, reload=reload,
            workers=None if reload else workers, proxy_headers=True,
        )  # fmt: skip
        return
    from pvpp.web import create_app

    uvicorn.run(create_app(app), host=host, port=port, proxy_headers=True)
