"""The ministry console's accounts: coordinators, reviewers and analysts
(:class:`~pvpp.store.models.ConsoleAccount`), made and kept by ``pvpp user``.

Every account has a password and a TOTP second factor (RFC 6238, 30-second steps, six
digits: any authenticator app). What is stored:

- the password as its argon2id hash (argon2-cffi's defaults: 64 MiB, 3 passes; a hash
  made with weaker parameters is replaced at the next sign-in);
- the TOTP secret encrypted with AES-GCM under a key derived from the installation's
  signing key (:meth:`pvpp.settings.Settings.signing_key`), so a copy of the database
  alone yields no second factor. The secret is shown once, when it is made (``pvpp user
  add``, ``pvpp user reset-totp``), with its ``otpauth://`` URI for a QR code.

The password policy and the roles are pure rules in :mod:`pvpp.access`. Every change is
in the audit log (``account.*``) with who made it; disabling an account, a new password
or a new TOTP secret ends its open console sessions. Nothing is deleted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import update
from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.access import MAX_PASSWORD, ROLES, password_problem
from pvpp.errors import PvppError
from pvpp.store.models import ConsoleAccount, ConsoleSession, id_of

__all__ = [
    "ISSUER",
    "AccountError",
    "NewSecret",
    "account_by_email",
    "accounts",
    "add_account",
    "check_password",
    "end_sessions",
    "otpauth_uri",
    "reset_totp",
    "set_disabled",
    "set_password",
    "totp_of",
    "unlock",
]

#: How authenticator apps name the entry.
ISSUER = "PVPP2027"
TOTP_KEY_PURPOSE = b"pvpp-console-totp-v1"
SECRET_VERSION = "v1"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_NAME = 200

_hasher = PasswordHasher()


class AccountError(PvppError):
    """A console account that cannot be made or changed as asked; the message says why
    and what to do."""


@dataclass(frozen=True)
class NewSecret:
    """A TOTP secret just made: shown once (the store keeps it encrypted)."""

    account: ConsoleAccount
    secret: str
    uri: str


def _clean_email(email: str) -> str:
    text = email.strip().lower()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise AccountError(f"{email!r} is not an email address (name@varam.gov.lv)")
    return text


def _totp_key(key: bytes) -> bytes:
    return hmac.new(key, TOTP_KEY_PURPOSE, hashlib.sha256).digest()


def _seal(secret: str, key: bytes) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_totp_key(key)).encrypt(nonce, secret.encode("ascii"), TOTP_KEY_PURPOSE)
    return f"{SECRET_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def totp_of(account: ConsoleAccount, key: bytes) -> pyotp.TOTP:
    """The account's TOTP generator (its secret opened with the installation's key).
    :class:`AccountError` when the key is not the one it was sealed with."""
    version, _, data = account.totp_secret.partition(":")
    try:
        raw = base64.urlsafe_b64decode(data.encode("ascii"))
        secret = AESGCM(_totp_key(key)).decrypt(raw[:12], raw[12:], TOTP_KEY_PURPOSE)
    except (InvalidTag, ValueError) as exc:
        raise AccountError(
            f"the second factor of {account.email} cannot be read with this installation's "
            "key (was PVPP_SECRET_KEY changed?); give the account a new one with "
            "`pvpp user reset-totp`"
        ) from exc
    if version != SECRET_VERSION:
        raise AccountError(f"the second factor of {account.email} is of an unknown kind")
    return pyotp.TOTP(secret.decode("ascii"))


def otpauth_uri(secret: str, email: str) -> str:
    """The ``otpauth://totp/…`` URI an authenticator app reads (as a QR code or typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def _new_secret(account: ConsoleAccount, key: bytes) -> NewSecret:
    secret = pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 advises
    account.totp_secret = _seal(secret, key)
    account.totp_step = None
    return NewSecret(account, secret, otpauth_uri(secret, account.email))


def _checked_password(password: str, email: str, name: str) -> str:
    problem = password_problem(password, email=email, name=name)
    if problem is not None:
        raise AccountError(problem)
    return _hasher.hash(password)


def account_by_email(session: Session, email: str) -> ConsoleAccount | None:
    """The account of ``email`` (any case), or None."""
    text = email.strip().lower()
    if not text:
        return None
    return session.exec(select(ConsoleAccount).where(ConsoleAccount.email == text)).first()


def _account(session: Session, email: str) -> ConsoleAccount:
    found = account_by_email(session, email)
    if found is None:
        raise AccountError(f"there is no console account {email.strip()!r} (`pvpp user list`)")
    return found


def accounts(session: Session) -> list[ConsoleAccount]:
    """Every account, by address."""
    return list(session.exec(select(ConsoleAccount).order_by(col(ConsoleAccount.email))).all())


def add_account(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    key: bytes,
    now: datetime,
    actor: str,
) -> NewSecret:
    """A new account with its password and a new TOTP secret (returned to be shown once).
    Refused: an address that is not one or already has an account, an empty name, an
    unknown role, a password the policy refuses (:func:`pvpp.access.password_problem`)."""
    address = _clean_email(email)
    shown = name.strip()
    if not shown or len(shown) > MAX_NAME or any(ord(ch) < 32 for ch in shown):
        raise AccountError(f"give the person's name (1–{MAX_NAME} characters, one line)")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if account_by_email(session, address) is not None:
        raise AccountError(f"{address} already has a console account (`pvpp user list`)")
    row = ConsoleAccount(
        email=address, name=shown, role=role, password_hash=_checked_password(password, address,
        shown), totp_secret="", created_at=now, updated_at=now,
    )  # fmt: skip
    made = _new_secret(row, key)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor[:100], action="account.add", entity="account", key=address,
                 role=role, name=shown)  # fmt: skip
    return made


def end_sessions(session: Session, account_id: int, *, now: datetime, reason: str) -> int:
    """End every open console session of the account (``reason``: revoked, …); how many."""
    ended = session.exec(
        update(ConsoleSession)
        .where(col(ConsoleSession.account_id) == account_id, col(ConsoleSession.ended_at).is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    return int(ended.rowcount or 0)


def _changed(
    session: Session, row: ConsoleAccount, now: datetime, actor: str, action: str,
    revoke: bool = False, **detail: object,
) -> None:  # fmt: skip
    row.updated_at = now
    session.add(row)
    ended = end_sessions(session, id_of(row), now=now, reason="revoked") if revoke else 0
    audit.record(session, actor=actor[:100], action=action, entity="account", key=row.email,
                 sessions_ended=ended, **detail)  # fmt: skip


def set_disabled(
    session: Session, email: str, *, disabled: bool, now: datetime, actor: str
) -> ConsoleAccount:
    """Disable the account (its sessions end; it signs in no more) or enable it again."""
    row = _account(session, email)
    row.disabled = disabled
    _changed(session, row, now, actor, "account.disable" if disabled else "account.enable",
             revoke=disabled)  # fmt: skip
    return row


def set_password(
    session: Session, email: str, password: str, *, now: datetime, actor: str
) -> ConsoleAccount:
    """A new password (checked by the policy); ends the account's sessions and its
    lock-out."""
    row = _account(session, email)
    row.password_hash = _checked_password(password, row.email, row.name)
    row.failed, row.locked_until = 0, None
    _changed(session, row, now, actor, "account.password", revoke=True)
    return row


def reset_totp(session: Session, email: str, *, key: bytes, now: datetime, actor: str) -> NewSecret:
    """A new TOTP secret (the old one no longer works; returned to be shown once); ends the
    account's sessions."""
    row = _account(session, email)
    made = _new_secret(row, key)
    _changed(session, row, now, actor, "account.totp_reset", revoke=True)
    return made


def unlock(session: Session, email: str, *, now: datetime, actor: str) -> ConsoleAccount:
    """End a lock-out before its time (the person called and was recognised)."""
    row = _account(session, email)
    row.failed, row.locked_until = 0, None
    _changed(session, row, now, actor, "account.unlock")
    return row


@lru_cache(maxsize=1)
def _stand_in() -> str:
    """A hash to check an unknown address's password against: the answer then takes as
    long as for a known address with a wrong password."""
    return _hasher.hash(base64.b64encode(os.urandom(24)).decode("ascii"))


def check_password(account: ConsoleAccount | None, password: str) -> bool:
    """Whether ``password`` is the account's (an argon2 verification, done against a
    stand-in hash when there is no account, so both take as long). A hash made with
    weaker parameters than today's is replaced (the caller's transaction stores it)."""
    if len(password) > MAX_PASSWORD:
        # No stored password is longer, and an unbounded input would make argon2 hash
        # megabytes: the stand-in takes the usual time and the answer is no.
        account, password = None, password[:MAX_PASSWORD]
    stored = account.password_hash if account is not None else _stand_in()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if account is None:
        return False
    if _hasher.check_needs_rehash(stored):
        account.password_hash = _hasher.hash(password)
    return True
