"""The portal as ``bench/web.py`` serves it: the production app, plus the baseline route.

    uvicorn bench.web_app:app_factory --factory

The console scenario's baseline (``GET /bench/progress/{code}``) reads what the round's
progress page shows (:func:`pvpp.round_progress.round_progress`), the same statements,
and nothing else: no console session, guard, chart or template.

The baseline (``POST /bench/draft``) writes the row an autosave writes (one
:class:`~pvpp.store.models.DraftAnswer`) in its own transaction, and nothing else: no
session, no CSRF check, no template, no middleware. It lives only here, outside
``src/``, so the portal that ``pvpp web`` serves never has it; the benchmark opts in by
serving this factory instead.

The baseline sits in front of the portal (a Starlette router that hands every other path
to the unchanged FastAPI app), so the portal's app-wide guard and middleware do not run
for it, and nothing is added to the portal's own routes.
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pvpp.app import App
from pvpp.store.models import DraftAnswer
from pvpp.web import create_app

BASELINE = "/bench/draft"
#: The console scenario's baseline: the progress page's data (the same service call)
#: with no session, guard, chart or template.
PROGRESS_BASELINE = "/bench/progress/{code}"


def with_baseline(root: App, portal: ASGIApp) -> Starlette:
    """``portal`` with the baseline route in front of it, writing through ``root``."""

    async def baseline(request: Request) -> Response:
        form = await request.form()
        assignment_id = int(str(form["assignment"]))
        field, value = str(form["field"]), str(form["value"])

        def write() -> None:
            with root.db.unit_of_work() as session:
                session.add(
                    DraftAnswer(
                        assignment_id=assignment_id, field=field, value=value,
                        actor="bench@example.org", name="bench", source="bench",
                        saved_at=root.clock.now(),
                    )
                )  # fmt: skip

        await run_in_threadpool(write)
        return Response(status_code=204)

    async def progress(request: Request) -> Response:
        from pvpp.round_progress import round_progress

        code = request.path_params["code"]

        def read() -> None:
            with root.db.reading() as session:
                round_progress(session, code, today=root.clock.today())

        await run_in_threadpool(read)
        return Response(status_code=204)

    return Starlette(routes=[
        Route(BASELINE, baseline, methods=["POST"]),
        Route(PROGRESS_BASELINE, progress, methods=["GET"]),
        Mount("/", app=portal),
    ])  # fmt: skip


def server_timing(app: ASGIApp) -> ASGIApp:
    """``app`` answering with ``Server-Timing: app;dur=<ms>``: the time from the request's
    arrival to its response's start inside this process, so that the benchmark can tell
    the server's time from its own waiting on a busy machine."""

    async def timed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start = time.perf_counter()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                headers = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={ms:.1f}".encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, sending)

    return timed


def warm(root: App) -> None:
    """What a server that has run for a while holds: every page template compiled, the
    questionnaire and both catalogues read. Without it, each of several processes pays
    for these on its first requests, inside the measured time of a one-minute run."""
    from pvpp.i18n import LANGS, catalogue
    from pvpp.questionnaire import load_questionnaire
    from pvpp.web.render import _env, templates_dir

    env = _env(templates_dir())
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)
    load_questionnaire(root.settings.default_questionnaire)
    for lang in LANGS:
        catalogue(lang)


def app_factory() -> ASGIApp:
    """The app of one server process, on a root built from the environment's settings
    (the ``PVPP_`` variables the benchmark sets), as ``pvpp web`` builds its own."""
    root = App.build()
    root.db.require_current()
    warm(root)
    return server_timing(with_baseline(root, create_app(root)))
