"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1 with a handler the test
controls (defer the first N transactions with 421, refuse chosen recipients with 550 or
defer them with 450),
and helpers to queue messages with attachments."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from pvpp.app import App
from pvpp.mail.outbox import queue
from pvpp.store.models import OutboxMessage

ROUND = "2026-K1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Handler:
    """What the server does: record, defer, refuse, as the test says."""

    defer_first: int = 0  # answer 421 to this many MAIL commands, then accept
    reject: set[str] = field(default_factory=set)  # recipients answered 550
    defer_rcpt: set[str] = field(default_factory=set)  # recipients answered 450
    delay: float = 0.0  # seconds before answering DATA (widens windows for kill tests)
    data_reply: str | None = None  # answer DATA with this instead of accepting
    received: list[Received] = field(default_factory=list)
    mail_commands: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        with self.lock:
            self.mail_commands += 1
            deferred = self.mail_commands <= self.defer_first
        if deferred:
            return "421 4.3.2 Service not available, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address.lower() in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: mailbox unavailable"
        if address.lower() in self.defer_rcpt:
            return f"450 4.2.0 <{address}>: Recipient address rejected: greylisted, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 2.0.0 Ok: queued"


@dataclass
class SmtpServer:
    handler: Handler
    port: int
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, server_hostname="localhost"
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, root: App) -> Iterator[SmtpServer]:
    """A running SMTP server on loopback; the settings point the smtp transport at it."""
    server = SmtpServer(Handler(), free_port())
    server.start()
    root.settings.email_transport = "smtp"
    root.settings.smtp_host = "127.0.0.1"
    root.settings.smtp_port = server.port
    root.settings.smtp_timeout = 5.0
    try:
        yield server
    finally:
        server.stop()


def pdf_blob(n: int) -> bytes:
    """PDF-like bytes, different per ``n``, with every byte value in them."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8 + f"{n}\n%%EOF\n".encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def queue_plans(root: App, n: int, *, prefix: str = "I", **overrides: Any) -> list[OutboxMessage]:
    """Queue ``n`` plan emails (one per institution I000…), each with its own PDF."""
    rows = []
    with root.db.unit_of_work() as session:
        for i in range(n):
            code = f"{prefix}{i:03d}"
            fields: dict[str, Any] = {
                "round_code": ROUND,
                "institution_code": code,
                "kind": "plan",
                "version": 1,
                "to": [(f"Vadītājs {code}", f"head.{code.lower()}@inst.example.org")],
                "cc": [f"lead.{code.lower()}@inst.example.org"],
                "subject": f"Individuālais pilnveides plāns — {code}",
                "body": f"Labdien! Pielikumā ir plāns ({code}).\n",
                "attachments": [(f"plan-{code}.pdf", "application/pdf", pdf_blob(i))],
            }
            fields.update(overrides)
            row, created = queue(session, settings=root.settings, **fields)
            assert created
            rows.append(row)
    return rows
