"""What the browser tests share: the portal served by uvicorn on loopback, the emails the
folder outbox wrote, and axe-core with screenshots on every page checked.

The browser is ``PVPP_CHROMIUM`` (default /usr/bin/chromium, Debian's ``chromium``
package; Playwright's own download is not used): the ``chromium`` fixture in
tests/web/conftest.py skips without it, and under CI (``PVPP_REQUIRE_PROGRAMS=1``, see
.ci/run) fails. With ``PVPP_SCREENSHOTS`` set, pages are photographed into that folder.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pvpp.mail.relay import deliver_due
from pvpp.mail.transport import folder_path
from pvpp.settings import Settings
from pvpp.store.db import Database

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CHROMIUM_VAR = "PVPP_CHROMIUM"
SCREENSHOTS_VAR = "PVPP_SCREENSHOTS"


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: Any, port: int) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in a thread; yields its base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the portal did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def emails_to(settings: Settings, db: Database, address: str) -> list[EmailMessage]:
    """Deliver what is queued (the folder transport writes .eml files) and read back the
    messages to ``address``, oldest first."""
    deliver_due(settings, db=db)
    found = []
    for path in sorted(folder_path(settings).glob("*.eml"), key=os.path.getmtime):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if address in str(message["To"]):
            found.append(message)
    return found


def follow(page: Page, link: Locator) -> None:
    """Click ``link`` and wait until the page it leads to has loaded.

    A bare click returns as soon as the click is dispatched; a check run right after it
    may find the old document half torn down (axe then fails with a null
    ``documentElement``)."""
    with page.expect_navigation():
        link.click()


def link_in(message: EmailMessage, base: str, path: str) -> str:
    """The first link to ``base + path…`` in the message's plain text."""
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(re.escape(base + path) + r"[A-Za-z0-9_.-]+", body.get_content())
    assert found is not None, f"no {path} link in the email"
    return found.group(0)


class Checked:
    """axe-core on a page (0 violations, or the report), and its screenshot when
    ``PVPP_SCREENSHOTS`` is set (``prefix`` before each name); ``urls`` lists what was
    checked."""

    def __init__(self, prefix: str = "") -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.prefix = prefix
        folder = os.environ.get(SCREENSHOTS_VAR)
        self.shots = Path(folder) if folder else None
        if self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
        self.urls: list[str] = []

    def __call__(self, page: Page, name: str) -> None:
        page.wait_for_load_state()
        results = self.axe.run(page)
        assert results.violations_count == 0, (page.url, results.generate_report())
        self.urls.append(page.url)
        if self.shots is not None:
            page.screenshot(path=str(self.shots / f"{self.prefix}{name}.png"), full_page=True)
