"""The one settings object. Every value can come from a ``PVPP_``-prefixed variable.

Settings are read once per process, by the composition root (:meth:`pvpp.app.App.build`),
and handed down from there; nothing reads them from the environment on its own.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pvpp.errors import PvppError
from pvpp.policy.models import Lang

SECRET_KEY_FILE = "secret.key"
# The shortest signing key accepted, in bytes (the generated one is 64 hex characters).
MIN_KEY_BYTES = 32
_MAX_KEY_FILE_BYTES = 4096


class KeyRefused(PvppError):
    """The signing key is missing, too short or unreadable: nothing is signed or verified
    with it."""


# A developer's own machine over plain http: the one place cookies may go without TLS.
_LOCAL_HTTP = re.compile(r"http://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/|$)")


class Settings(BaseSettings):
    """Runtime configuration; read from the environment (prefix ``PVPP_``) and ``.env``."""

    model_config = SettingsConfigDict(env_prefix="PVPP_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Local state: database, files, key")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key for workbook signatures. When unset, one is generated once into "
        "the data folder and reused.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: a SQLite file in the data folder. "
        "PostgreSQL: postgresql+psycopg://user:password@host/db",
    )
    default_policy: str = "pvpp2027-v1"
    default_questionnaire: str = "pvpp2027-q2"
    language: Lang = "lv"

    # Bounds on received workbooks, checked before any parser sees the file.
    max_upload_bytes: int = 5 * 1024 * 1024
    max_member_bytes: int = 4 * 1024 * 1024
    max_total_uncompressed_bytes: int = 12 * 1024 * 1024
    max_compression_ratio: int = 120
    max_zip_members: int = 300
    # The institution registry file (`pvpp registry import`): a few hundred rows.
    max_registry_bytes: int = Field(default=2 * 1024 * 1024, ge=1)
    # An evidence file attached in the portal (a scanned order, a spreadsheet): the
    # request is refused by its length before it is read (docs/web.md).
    max_evidence_bytes: int = Field(default=10 * 1024 * 1024, ge=1)

    # Email (docs/email.md). The folder transport is the embedded default: no server needed.
    email_transport: str = Field(default="folder", pattern="^(folder|smtp)$")
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    # Name of a Prefect Secret block holding the SMTP password (used when the password
    # itself is not set).
    smtp_password_block: str | None = None
    smtp_security: str = Field(default="none", pattern="^(none|starttls|tls)$")
    smtp_timeout: float = Field(default=30.0, gt=0, description="Seconds per SMTP operation")
    smtp_message_deadline: float = Field(
        default=120.0,
        gt=0,
        description="Seconds one message may take in all (connecting, every command and "
        "reply, the data); past it the message is retried later",
    )
    mail_from: str = "pvpp@example.org"
    mail_folder: Path | None = Field(
        default=None,
        description="Where the folder transport writes .eml files; default: "
        "the outbox folder in the data folder",
    )
    message_id_domain: str = "pvpp.example.org"
    reminder_days_before_due: int = Field(default=7, ge=0)
    escalation_days_overdue: int = Field(default=14, ge=0)
    # RV5 follow-up: teams answer a status request within this many days, and are
    # reminded once when it is this many days old without an accepted status sheet.
    status_respond_days: int = Field(default=21, ge=1)
    status_reminder_days: int = Field(default=14, ge=1)
    # The head's approval of a plan version (docs/status.md, "Approval"): due this many days
    # after the plan email is queued; reminded on that day, escalated this many days
    # later and then monthly. Every approval link is valid for ``approval_link_days``.
    approval_days: int = Field(default=14, ge=1)
    approval_escalation_days: int = Field(default=14, ge=1)
    approval_link_days: int = Field(default=45, ge=1)
    public_url: str = Field(
        default="http://localhost:8000",
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Where people reach pvpp's pages; approval links start with it",
    )
    # The institution portal (docs/web.md): one-time sign-in links valid this many hours, at
    # most one new link per person within ``signin_resend_minutes``; a session ends after
    # ``session_idle_minutes`` without a request and ``session_hours`` after signing in.
    signin_link_hours: int = Field(default=72, ge=1)
    signin_resend_minutes: int = Field(default=10, ge=0)
    # Rate limits of signing in, counted in the store so that every web process shares
    # them (pvpp.signin): links asked for per address and requests per client (an IPv4
    # address or IPv6 /64) per hour; unknown sign-in links opened per client in
    # ``signin_guess_minutes``, after which that client gets 429 until the window moves.
    signin_address_per_hour: int = Field(default=3, ge=1)
    signin_client_per_hour: int = Field(default=30, ge=1)
    signin_guesses: int = Field(default=20, ge=1)
    signin_guess_minutes: int = Field(default=15, ge=1)
    session_idle_minutes: int = Field(default=30, ge=1)
    session_hours: int = Field(default=12, ge=1)
    cookie_secure: bool | None = Field(
        default=None,
        description="Send the portal's cookies over HTTPS only; default: yes, unless "
        "public_url is http://localhost or http://127.0.0.1 (a developer's machine)",
    )
    # The ministry's console (docs/web.md "The console", docs/security.md): the lock-out
    # after ``console_lockout_failures`` failed attempts in a row (a wrong password or
    # code) for ``console_lockout_minutes``; failed attempts counted per client and per
    # typed address within an hour (429 past either); the second factor asked within
    # ``console_code_minutes`` of the password; the session's idle and absolute timeouts.
    console_lockout_failures: int = Field(default=5, ge=1)
    console_lockout_minutes: int = Field(default=15, ge=1)
    console_client_failures_per_hour: int = Field(default=30, ge=1)
    console_address_failures_per_hour: int = Field(default=10, ge=1)
    console_code_minutes: int = Field(default=5, ge=1)
    console_session_idle_minutes: int = Field(default=30, ge=1)
    console_session_hours: int = Field(default=8, ge=1)
    # Optional OpenID Connect sign-in to the console (docs/security.md "OpenID Connect",
    # docs/deploy.md): off while the issuer or the client id is unset. The provider's
    # verified email must be an active console account's (no account is made from it).
    # The account's TOTP code is still asked afterwards unless the id_token shows the
    # provider did a second factor itself: an ``amr`` value in ``console_oidc_mfa_amr`` or
    # the ``acr`` in ``console_oidc_mfa_acr`` (both empty by default: the code is always
    # asked). A sign-in at the provider must come back within ``console_oidc_minutes``.
    console_oidc_issuer: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description="The provider's issuer, exactly as its id_tokens name it (e.g. "
        "https://sso.example.gov.lv/realms/varam); unset: no OpenID Connect sign-in",
    )
    console_oidc_discovery_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description="The provider's discovery document; default: the issuer's "
        "/.well-known/openid-configuration",
    )
    console_oidc_client_id: str | None = None
    console_oidc_client_secret: SecretStr | None = Field(
        default=None,
        description="This client's secret at the provider (client_secret_basic); unset: a "
        "public client (PKCE only)",
    )
    console_oidc_scopes: str = Field(default="openid email profile", max_length=500)
    console_oidc_name: str = Field(
        default="OpenID Connect",
        min_length=1,
        max_length=60,
        description='The provider as the sign-in page names it: "Pieteikties ar {name}"',
    )
    console_oidc_mfa_amr: str = Field(
        default="",
        description="Comma-separated amr values that show the provider asked a second "
        "factor (e.g. mfa,otp,hwk); with one in the id_token no TOTP code is asked",
    )
    console_oidc_mfa_acr: str = Field(
        default="",
        description="Comma-separated acr values that show the provider asked a second "
        "factor; the first is asked for as acr_values; with one in the id_token no TOTP "
        "code is asked",
    )
    console_oidc_minutes: int = Field(default=10, ge=1)
    # The read-only API (docs/api.md): requests per token, and per client address (tokens
    # or not), in any minute, counted in each web process (429 with Retry-After past it).
    api_requests_per_minute: int = Field(default=120, ge=1)
    api_client_requests_per_minute: int = Field(default=600, ge=1)
    coordinator_email: str | None = Field(
        default=None,
        description="The VARAM coordinator: copied on approval escalations (otherwise the "
        "team lead is)",
    )
    # Delivery policy of `pvpp outbox send`: exponential backoff after a temporary failure,
    # a circuit breaker after this many in a row, and giving up after days of trying.
    outbox_backoff_seconds: int = Field(default=60, ge=1)
    outbox_backoff_max_seconds: int = Field(default=6 * 3600, ge=1)
    outbox_breaker_threshold: int = Field(default=3, ge=1)
    outbox_give_up_hours: int = Field(default=5 * 24, ge=1)
    # Heavy per-institution work (building and checking workbooks, rendering PDFs) runs in
    # this many processes; the store is written by one process, in order.
    workers: int | None = Field(
        default=None, ge=1, description="Worker processes; default: the machine's cores"
    )

    # A Prefect server (docs/deploy.md): launches go through its deployments and the
    # console links to its runs; unset, a launch runs in the process that asks for it.
    prefect_api_url: str | None = Field(
        default=None,
        description="The Prefect server's API, e.g. http://prefect.example:4200/api; unset: "
        "no server (rounds are launched in-process, no links to runs)",
    )
    prefect_ui_url: str | None = Field(
        default=None,
        description="The Prefect UI's address for links to runs; default: the API's "
        "address without its /api",
    )

    round_files_dir: Path | None = Field(
        default=None,
        description="Where the flows file each round's workbooks, drop folder, plan PDFs and "
        "reports; default: <data dir>/rounds",
    )

    def round_folder(self, round_code: str, *parts: str) -> Path:
        """A round's folder for flow files (created when missing)."""
        path = (self.round_files_dir or self.data_dir / "rounds").joinpath(round_code, *parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def prefect_ui(self) -> str | None:
        """The Prefect UI's address (no trailing slash), when a server is configured."""
        if self.prefect_ui_url:
            return self.prefect_ui_url.rstrip("/")
        if self.prefect_api_url:
            return self.prefect_api_url.rstrip("/").removesuffix("/api")
        return None

    def oidc_enabled(self) -> bool:
        """Whether the console offers OpenID Connect sign-in (an issuer and a client id)."""
        return bool(self.console_oidc_issuer and self.console_oidc_client_id)

    def oidc_mfa_amr(self) -> frozenset[str]:
        """The ``amr`` values that stand for the console's second factor."""
        return _listed(self.console_oidc_mfa_amr)

    def oidc_mfa_acr(self) -> tuple[str, ...]:
        """The ``acr`` values that stand for the console's second factor, in the order
        given (the first is asked for)."""
        return tuple(dict.fromkeys(v for v in _split(self.console_oidc_mfa_acr)))

    def worker_count(self) -> int:
        """How many processes heavy work may use."""
        return self.workers or len(os.sched_getaffinity(0))

    def db_url(self) -> str:
        """The database URL in effect."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pvpp.db').resolve()}"

    def cookies_secure(self) -> bool:
        """Whether the portal's cookies carry ``Secure`` (see ``cookie_secure``)."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return not _LOCAL_HTTP.match(self.public_url)

    def signing_key(self) -> bytes:
        """The HMAC key for workbook signatures, creating the local one on first use.

        Raises :class:`KeyRefused` (saying what to do) for a key shorter than
        ``MIN_KEY_BYTES`` (``PVPP_SECRET_KEY`` or the key file), a key file that cannot be
        read, or one that cannot be created: an empty key would accept forged workbooks.
        """
        if self.secret_key is not None:
            key = self.secret_key.get_secret_value().encode("utf-8")
            if len(key.strip()) < MIN_KEY_BYTES:
                raise KeyRefused(
                    f"PVPP_SECRET_KEY is too short ({len(key.strip())} characters); set it to "
                    f"at least {MIN_KEY_BYTES} characters of one random value (for example "
                    "`python3 -c 'import secrets; print(secrets.token_hex(32))'`) and keep it "
                    "the same everywhere"
                )
            return key
        return _local_key(self.data_dir)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _listed(text: str) -> frozenset[str]:
    return frozenset(_split(text))


def _local_key(data_dir: Path) -> bytes:
    """The key in ``<data dir>/secret.key``, made on first use.

    The key is written whole to a temporary file beside it and then hard-linked to its
    name: the link fails when the name exists, so of processes starting at once exactly one
    makes the key, and no process ever sees a file that is not yet (or never) written.
    """
    path = data_dir / SECRET_KEY_FILE
    key = _read_key(path)
    if key is None:
        _create_key(path)
        key = _read_key(path)
        if key is None:
            raise KeyRefused(
                f"The signing key {path} was created but is gone; check what removes files "
                "from the data folder, or set PVPP_SECRET_KEY"
            )
    return key


def _read_key(path: Path) -> bytes | None:
    """The key in ``path``; None when there is no such file."""
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_KEY_FILE_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeyRefused(
            f"The signing key {path} cannot be read ({exc.strerror}); make it a file readable "
            "by the user pvpp runs as, or set PVPP_SECRET_KEY"
        ) from None
    key = data.strip()
    if len(key) < MIN_KEY_BYTES:
        raise KeyRefused(
            f"The signing key {path} holds {len(key)} bytes, fewer than the {MIN_KEY_BYTES} "
            "needed (left empty by a full disk or an interrupted start?). Nothing is signed "
            "with it. If no workbooks were sent with it, delete it and pvpp makes a new one; "
            f"otherwise put the key back, or set PVPP_SECRET_KEY to at least {MIN_KEY_BYTES} "
            "characters (workbooks signed with another key then need sending again)"
        )
    return key


def _create_key(path: Path) -> None:
    """Write a new key to ``path`` unless another process got there first."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    except OSError as exc:
        raise _not_created(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(32).encode("ascii"))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return  # another process made the key first: that one is used
        _sync_folder(path.parent)
    except OSError as exc:
        raise _not_created(path, exc) from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _not_created(path: Path, exc: OSError) -> KeyRefused:
    return KeyRefused(
        f"The signing key {path} cannot be created ({exc.strerror}); free space or fix the "
        "permissions of the data folder and run again, or set PVPP_SECRET_KEY"
    )


def _sync_folder(folder: Path) -> None:
    """Make a new name in ``folder`` survive a crash."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
