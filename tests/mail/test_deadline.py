"""Each message has an overall deadline: a server that keeps talking slowly (continuation
lines forever, well inside the per-operation timeout) cannot hold ``outbox send``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.outbox import app
from pvpp.mail.outbox import list_messages
from pvpp.mail.transport import SmtpTransport, TemporaryFailure
from tests.mail.conftest import queue_plans

runner = CliRunner()
T = TypeVar("T")


class SlowServer:
    """Greets and answers EHLO at once; from ``stall_at`` on (MAIL, or the greeting itself)
    it answers "250-x" every 0.2 s, forever."""

    def __init__(self, stall_at: str = "MAIL") -> None:
        self.stall_at = stall_at
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        while not self.stop.is_set():
            conn.sendall(b"250-x\r\n")
            time.sleep(0.2)

    def _talk(self, conn: socket.socket) -> None:
        try:
            with conn:
                if self.stall_at == "greeting":
                    self._drip(conn)
                    return
                conn.sendall(b"220 slow.example.org ESMTP\r\n")
                reader = conn.makefile("rb")
                for line in reader:
                    verb = line.split(b" ", 1)[0].strip().upper().decode()
                    if verb in ("EHLO", "HELO"):
                        conn.sendall(b"250 slow.example.org\r\n")
                    elif verb == self.stall_at:
                        self._drip(conn)
                        return
                    elif verb == "QUIT":
                        conn.sendall(b"221 bye\r\n")
                        return
                    else:
                        conn.sendall(b"250 OK\r\n")
        except OSError:
            pass

    def __enter__(self) -> SlowServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def slow(root: App) -> Iterator[SlowServer]:
    with SlowServer() as server:
        root.settings.email_transport = "smtp"
        root.settings.smtp_host = "127.0.0.1"
        root.settings.smtp_port = server.port
        root.settings.smtp_timeout = 5.0  # each line comes well within it
        root.settings.smtp_message_deadline = 2.0
        yield server


def _in_thread(fn: Callable[[], T], limit: float) -> T:
    """Run ``fn`` in a thread; fail (instead of hanging the suite) after ``limit`` seconds."""
    values: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            values.append(fn())
        except BaseException as exc:  # handed back to the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"still running after {limit} s: no overall deadline"
    if errors:
        raise errors[0]
    return values[0]


def test_outbox_send_gives_up_on_a_message_at_its_deadline_and_goes_on(
    store: str, slow: SlowServer, root: App
) -> None:
    root.settings.outbox_breaker_threshold = 5
    queue_plans(root, 2)
    started = time.monotonic()
    result = _in_thread(lambda: runner.invoke(app, ["send"], obj=root), 20)
    took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "Sent 0, failed 0, retrying 2." in result.stdout
    assert took < 12, took  # two messages, 2 s each, and the connections closed
    assert slow.connections == 2  # the second message was tried on a new connection
    with root.db.unit_of_work() as s:
        rows = list_messages(s)
    assert [r.state for r in rows] == ["queued", "queued"]  # retried with the usual backoff
    assert all(r.attempts == 1 and "deadline" in r.last_error for r in rows)
    assert all(r.next_attempt_at > r.created_at for r in rows)


@pytest.mark.parametrize("stall_at", ["greeting", "MAIL"])
def test_the_deadline_covers_the_connection_too(stall_at: str, store: str, root: App) -> None:
    (row,) = queue_plans(root, 1)
    with SlowServer(stall_at) as server, root.db.unit_of_work() as s:
        from pvpp.mail.outbox import build_email

        msg = build_email(s.merge(row), s, root.settings)
        transport = SmtpTransport("127.0.0.1", server.port, timeout=5.0, message_deadline=1.5)
        started = time.monotonic()
        with pytest.raises(TemporaryFailure, match="deadline"):
            _in_thread(lambda: transport.send(msg), 10)
        _in_thread(transport.close, 5)
    assert time.monotonic() - started < 6
