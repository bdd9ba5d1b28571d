"""Transports: how a built message leaves the system.

A transport either accepts a message or raises :class:`TemporaryFailure` (try again
later: 4xx replies, refused connections, timeouts, TLS or login trouble) or
:class:`PermanentFailure` (5xx for this message: it will never be accepted as it is).
:class:`SmtpTransport` talks to a mail server; :class:`FolderTransport` writes ``.eml``
files and is the embedded default, so a demo needs no server.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from pvpp.files import write_atomic
from pvpp.prefect_sync import sync_result
from pvpp.settings import Settings

# Recipients a server refused while accepting the message for the others:
# addr-spec -> (SMTP code, reply).
Refused = dict[str, tuple[int, str]]


class DeliveryFailure(Exception):
    """A message not accepted; ``code`` is the SMTP reply code (None without one);
    ``refused``: each recipient's refusal when the server refused them all."""

    def __init__(self, code: int | None, reply: str, refused: Refused | None = None) -> None:
        super().__init__(f"{code or '-'} {reply}".strip())
        self.code = code
        self.reply = reply
        self.refused: Refused = refused or {}


class TemporaryFailure(DeliveryFailure):
    """Not accepted now; the same message may be accepted later."""


class PermanentFailure(DeliveryFailure):
    """Refused for good (5xx for this message); trying again would not help."""


class Transport(Protocol):
    """Hands messages over; may keep a connection open between ``send`` calls."""

    def send(self, msg: EmailMessage, rcpt: list[str] | None = None, *, label: str = "") -> Refused:
        """Deliver ``msg`` to ``rcpt`` (default: its To and Cc) or raise; returns the
        recipients refused while others were accepted. ``label`` says what the message is
        (its kind and institution) for a transport that names files."""
        ...

    def close(self) -> None:
        """Release any connection."""
        ...


def smtp_password(settings: Settings) -> str | None:
    """The SMTP password in effect: ``PVPP_SMTP_PASSWORD`` if set, else the Prefect Secret
    block named by ``PVPP_SMTP_PASSWORD_BLOCK`` (how a deployment keeps it out of the
    environment of every worker), else none."""
    if settings.smtp_password:
        return settings.smtp_password.get_secret_value()
    if settings.smtp_password_block:
        # Imported here: only deployments that name a block need Prefect's API.
        from prefect.blocks.system import Secret

        try:
            return str(sync_result(Secret.load(settings.smtp_password_block)).get())
        except ValueError as exc:
            raise ValueError(
                f"the Prefect Secret block {settings.smtp_password_block!r} cannot be read: {exc}"
            ) from None
    return None


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())[:1900]


# 5xx replies about our set-up, not about the message: authentication or encryption
# required, credentials refused. Failing every queued message over a configuration
# mistake would be wrong; as temporary failures they trip the circuit breaker instead.
CONFIGURATION_CODES = frozenset({530, 534, 535, 538})


def is_permanent(code: int | None) -> bool:
    """Whether a reply code refuses for good: a 5xx, unless it is about our set-up."""
    return code is not None and 500 <= code < 600 and code not in CONFIGURATION_CODES


def _classify(code: int, reply: bytes | str, refused: Refused | None = None) -> DeliveryFailure:
    """4xx (and anything odd) is temporary; a 5xx is permanent unless it is about set-up."""
    if is_permanent(code):
        return PermanentFailure(code, _text(reply), refused)
    return TemporaryFailure(code, _text(reply), refused)


class Deadline:
    """An overall deadline for one message, kept by a watchdog thread.

    ``smtplib``'s timeout bounds each socket operation, so a server that answers slowly
    but steadily (a "250-" continuation line every few seconds, forever) never trips it.
    While a :class:`Deadline` is entered, a watchdog waits until ``seconds`` have passed
    and then shuts down the connection's socket (``current()`` is asked again every
    50 ms, so a socket replaced meanwhile, by STARTTLS for instance, is shut down too).
    A shut-down socket makes every blocked or later read and write fail at once, whatever
    it is waiting for; ``expired`` then tells the caller why.
    """

    TICK = 0.05

    def __init__(self, seconds: float, current: Callable[[], socket.socket | None]) -> None:
        self.seconds = seconds
        self.current = current
        self.expired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="smtp-deadline", daemon=True)

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired = True
        while True:
            sock = self.current()
            if sock is not None:
                # Closed already, or not connected yet: nothing to cut.
                with contextlib.suppress(OSError, ValueError):
                    sock.shutdown(socket.SHUT_RDWR)
            if self._done.wait(self.TICK):
                return

    def __enter__(self) -> Deadline:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


class _Smtp(smtplib.SMTP):
    """An SMTP client made without connecting (``connect`` comes later) for ``host``."""

    def __init__(self, host: str, *, local_hostname: str, timeout: float) -> None:
        super().__init__(local_hostname=local_hostname, timeout=timeout)
        self._host = host  # what STARTTLS checks the certificate against


class _SmtpSsl(smtplib.SMTP_SSL):
    """The same for implicit TLS."""

    def __init__(
        self, host: str, *, local_hostname: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(local_hostname=local_hostname, timeout=timeout, context=context)
        self._host = host  # what the certificate is checked against


class SmtpTransport:
    """SMTP with ``none``, ``starttls`` or ``tls`` (implicit TLS), optional login, timeouts.

    The connection is reused between messages and dropped after any failure, so the next
    message starts with a fresh one. Connection-level trouble (refused, timeout, TLS,
    greeting or login refused), a refused sender address and the 5xx replies in
    :data:`CONFIGURATION_CODES` are temporary even when the code is a 5xx: they say
    nothing about the message, and failing every queued message because of a wrong
    password would be worse than letting the circuit breaker stop the run. A permanent
    failure is a 5xx for this message: its recipients, its content, its size.

    ``timeout`` bounds each socket operation; ``message_deadline`` the whole of one
    message, connecting included (:class:`Deadline`): past it the connection is dropped
    and the message is a temporary failure, so a server that keeps talking slowly holds
    the relay for at most that long per message. Saying QUIT has the same bound.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        security: str = "none",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        message_deadline: float = 120.0,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(f"security must be none, starttls or tls, not {security!r}")
        if user and security == "none" and host not in ("localhost", "127.0.0.1", "::1"):
            # A password must not cross the network in clear text.
            raise ValueError("SMTP login needs PVPP_SMTP_SECURITY=starttls or tls")
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self.message_deadline = message_deadline
        # An explicit EHLO name: smtplib would otherwise ask socket.getfqdn(), which can
        # stall on machines with slow reverse DNS.
        self.local_hostname = local_hostname or "localhost"
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None
        # The connection being opened, so the deadline's watchdog can reach its socket.
        self._opening: smtplib.SMTP | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        """The transport described by the ``PVPP_SMTP_*`` settings."""
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=smtp_password(settings),
            timeout=settings.smtp_timeout,
            message_deadline=settings.smtp_message_deadline,
            local_hostname=settings.message_id_domain,
        )

    def _connect(self) -> smtplib.SMTP:
        try:
            smtp: smtplib.SMTP
            # Made unconnected, then connected: the watchdog sees the socket as soon as
            # it exists, so a greeting that never ends is cut off at the deadline too.
            if self.security == "tls":
                smtp = _SmtpSsl(
                    self.host,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self.ssl_context,
                )
            else:
                smtp = _Smtp(self.host, local_hostname=self.local_hostname, timeout=self.timeout)
            self._opening = smtp
            try:
                smtp.connect(self.host, self.port)
                if self.security == "starttls":
                    smtp.starttls(context=self.ssl_context)
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password or "")
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPResponseException as exc:
            raise TemporaryFailure(exc.smtp_code, _text(exc.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as exc:  # refused, timeout, TLS, DNS
            raise TemporaryFailure(None, f"{type(exc).__name__}: {exc}") from None
        finally:
            self._opening = None
        return smtp

    def _socket(self) -> socket.socket | None:
        smtp = self._smtp or self._opening
        sock = getattr(smtp, "sock", None) if smtp is not None else None
        return sock if isinstance(sock, socket.socket) else None

    def _late(self) -> TemporaryFailure:
        return TemporaryFailure(
            None,
            f"the mail server did not finish within the {self.message_deadline:g} s "
            "message deadline (PVPP_SMTP_MESSAGE_DEADLINE)",
        )

    def send(self, msg: EmailMessage, rcpt: list[str] | None = None, *, label: str = "") -> Refused:
        """Send ``msg`` over the (re)used connection, within the message deadline; see the
        class docstring for failures. ``rcpt``: the envelope recipients (default: every
        address in To and Cc); ``label`` is not needed on the wire."""
        deadline = Deadline(self.message_deadline, self._socket)
        try:
            with deadline:
                refused = self._send(msg, rcpt)
        except DeliveryFailure:
            if deadline.expired:
                self.close()
                raise self._late() from None
            raise
        if deadline.expired:
            # Accepted just as the watchdog fired: the message is delivered, but the
            # connection may be cut; start the next message on a new one.
            self.close()
        return refused

    def _send(self, msg: EmailMessage, rcpt: list[str] | None) -> Refused:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(msg, to_addrs=rcpt)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            everyone: Refused = {r: (c, _text(t)) for r, (c, t) in exc.recipients.items()}
            codes = [code for code, _ in everyone.values()]
            reply = "; ".join(f"{r}: {c} {t}" for r, (c, t) in everyone.items())
            # Every recipient refused: permanent only if every refusal was (the relay
            # judges each recipient from ``everyone``, see pvpp.states.outbox.verdict).
            code = max(codes) if all(is_permanent(c) for c in codes) else min(codes)
            raise _classify(code, reply, everyone) from None
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            # MAIL FROM refused: about our sender address or set-up, the same for every
            # message, hence temporary; except 552, this message's size.
            if exc.smtp_code == 552:
                raise PermanentFailure(exc.smtp_code, _text(exc.smtp_error)) from None
            raise TemporaryFailure(exc.smtp_code, _text(exc.smtp_error)) from None
        except smtplib.SMTPResponseException as exc:  # data refused
            self.close()
            raise _classify(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:  # dropped connection, timeout
            self.close()
            raise TemporaryFailure(None, f"{type(exc).__name__}: {exc}") from None
        return {addr: (code, _text(text)) for addr, (code, text) in refused.items()}

    def close(self) -> None:
        """Say QUIT if the connection still works (within the deadline); forget it."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        sock = getattr(smtp, "sock", None)
        try:
            with Deadline(self.message_deadline, lambda: sock):
                smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def eml_name(message_id: str, date: datetime | None = None, label: str = "") -> str:
    """A readable, safe and unique file name for a message.

    ``2026-03-01T10-00-00_invitation_VID_3f9a1c07d2.eml``: when it was written (the Date
    header, UTC), what it is (``label``: kind and institution), and a short digest of its
    Message-ID, which makes the name unique and the same for the same message sent again
    (so a resend replaces its file). Only ASCII letters, digits, ``_`` and ``-`` (and
    the ``.`` of ``.eml``).
    """
    digest = hashlib.sha256(message_id.strip().encode()).hexdigest()[:10]
    parts = []
    if date is not None:
        parts.append(date.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%S"))
    shown = _UNSAFE_NAME.sub("-", label).strip("-")[:60]
    if shown:
        parts.append(shown)
    parts.append(digest)
    return "_".join(parts) + ".eml"


def _date_of(msg: EmailMessage) -> datetime | None:
    try:
        return parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    except (TypeError, ValueError):
        return None


class FolderTransport:
    """Writes each message as an ``.eml`` file (RFC 5322, CRLF line ends) into a folder,
    named by :func:`eml_name`.

    Files are written atomically (temp file, then rename), so a reader never sees half a
    message; the same message sent again replaces its file instead of adding a second one.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, msg: EmailMessage, rcpt: list[str] | None = None, *, label: str = "") -> Refused:
        """Write ``msg`` (the envelope ``rcpt`` has no place in a file); an unwritable
        folder is a temporary failure."""
        message_id = msg["Message-ID"]
        if not message_id:
            raise PermanentFailure(None, "message has no Message-ID")
        name = eml_name(str(message_id), _date_of(msg), label)
        try:
            write_atomic(self.folder / name, msg.as_bytes(policy=policy.SMTP))
        except OSError as exc:
            raise TemporaryFailure(None, f"cannot write to {self.folder}: {exc}") from None
        return {}

    def close(self) -> None:
        """Nothing to release."""


def folder_path(settings: Settings) -> Path:
    """Where the folder transport writes: ``PVPP_MAIL_FOLDER`` or ``<data dir>/outbox``."""
    return settings.mail_folder or settings.data_dir / "outbox"


def make_transport(settings: Settings) -> Transport:
    """The transport chosen by ``PVPP_EMAIL_TRANSPORT`` (``folder`` unless set)."""
    if settings.email_transport == "smtp":
        return SmtpTransport.from_settings(settings)
    return FolderTransport(folder_path(settings))


__all__ = [
    "Deadline",
    "DeliveryFailure",
    "FolderTransport",
    "PermanentFailure",
    "Refused",
    "SmtpTransport",
    "TemporaryFailure",
    "Transport",
    "eml_name",
    "folder_path",
    "is_permanent",
    "make_transport",
    "smtp_password",
]
