"""The institution portal: server-rendered pages for teams and heads (docs/web.md).

:func:`create_app` builds the FastAPI application from the composition root; ``pvpp web``
serves it with uvicorn.
"""

from __future__ import annotations

from pvpp.web.app import create_app

__all__ = ["create_app"]
