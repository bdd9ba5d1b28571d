"""SmtpTransport security against a real server: STARTTLS and implicit TLS with a
self-signed certificate made for the test, login, and the refusals around them."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pvpp.mail.transport import SmtpTransport, TemporaryFailure, smtp_password
from pvpp.settings import Settings
from tests.mail.conftest import Handler, free_port

USER, PASSWORD = "pvpp", "correct horse battery staple"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pvpp test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    )
    # handled=False: let the server answer 535 itself on failure.
    return AuthResult(success=ok, handled=False)


def _message() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "pvpp@example.org"
    msg["To"] = "head@vid.example.org"
    msg["Subject"] = "Plāns"
    msg["Message-ID"] = "<tls-test@pvpp.example.org>"
    msg.set_content("Labdien!")
    return msg


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*certificate)
    return ctx


def _client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Handler, int]]:
    handler, port = Handler(), free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_starttls_with_login_delivers(
    starttls_server: tuple[Handler, int], certificate: tuple[Path, Path]
) -> None:
    handler, port = starttls_server
    transport = SmtpTransport(
        "127.0.0.1", port, security="starttls", user=USER, password=PASSWORD, timeout=5,
        ssl_context=_client_context(certificate),
    )  # fmt: skip
    try:
        assert transport.send(_message()) == {}
        assert transport.send(_message()) == {}  # the connection is reused
    finally:
        transport.close()
    assert len(handler.received) == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"password": "wrong"}, "535"),  # login refused: temporary, never "failed"
        ({"security": "none", "user": None}, "530"),  # server insists on STARTTLS
        ({"context": "default"}, "CERTIFICATE_VERIFY_FAILED"),  # untrusted certificate
    ],
)
def test_connection_trouble_is_temporary(
    starttls_server: tuple[Handler, int],
    certificate: tuple[Path, Path],
    kwargs: dict[str, object],
    match: str,
) -> None:
    handler, port = starttls_server
    kwargs = dict(kwargs)
    context = kwargs.pop("context", None)
    options: dict[str, object] = {
        "security": "starttls",
        "user": USER,
        "password": PASSWORD,
        "timeout": 5,
        "ssl_context": ssl.create_default_context()
        if context == "default"
        else _client_context(certificate),
    }
    options.update(kwargs)
    transport = SmtpTransport("127.0.0.1", port, **options)  # type: ignore[arg-type]
    with pytest.raises(TemporaryFailure, match=match):
        transport.send(_message())
    transport.close()
    assert handler.received == []


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    handler, port = Handler(), free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        ssl_context=_server_context(certificate),
    )
    controller.start()
    try:
        transport = SmtpTransport(
            "127.0.0.1", port, security="tls", timeout=5, ssl_context=_client_context(certificate)
        )
        transport.send(_message())
        transport.close()
    finally:
        controller.stop()
    assert len(handler.received) == 1


def test_a_timeout_is_temporary() -> None:
    import socket

    with socket.socket() as silent:  # accepts connections, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        transport = SmtpTransport("127.0.0.1", port, timeout=0.5)
        with pytest.raises(TemporaryFailure, match="timed out"):
            transport.send(_message())


def test_no_password_in_clear_text_over_the_network() -> None:
    with pytest.raises(ValueError, match="starttls or tls"):
        SmtpTransport("mail.example.org", 25, security="none", user=USER, password=PASSWORD)
    settings = Settings(
        email_transport="smtp",
        smtp_host="mail.example.org",
        smtp_port=587,
        smtp_security="starttls",
        smtp_user=USER,
        smtp_password=PASSWORD,  # type: ignore[arg-type]
    )
    assert smtp_password(settings) == PASSWORD
    transport = SmtpTransport.from_settings(settings)
    assert (transport.port, transport.security, transport.password) == (587, "starttls", PASSWORD)
    assert PASSWORD not in repr(settings)
