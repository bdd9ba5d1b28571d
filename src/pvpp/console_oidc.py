"""Signing in to the console with an OpenID Connect provider (optional: settings
``console_oidc_*``; docs/security.md "OpenID Connect", docs/deploy.md).

Two requests:

1. :func:`begin` (``GET /console/signin/oidc``): a new :class:`ConsoleOidcStart` keeps, on
   the server, the digests of the ``state`` and ``nonce`` sent to the provider and PKCE's
   code verifier; the browser gets only the start's id (a cookie) and is sent to the
   provider.
2. :func:`finish` (``GET /console/signin/oidc/callback``): the start of the browser's
   cookie is taken once (a conditional update, so a replayed or doubled return finds it
   used), the returned ``state`` must be its state, the code is exchanged (with the
   verifier) for an id_token, which :meth:`pvpp.oidc.Provider.verify` checks. Its
   *verified* ``email`` (:func:`pvpp.access.verified_email`) must be an existing console
   account's (none is made from a provider), not disabled or locked. Then the console's
   TOTP code is asked as after a password (a pending session, method ``oidc``), unless the
   id_token shows the provider asked a second factor the settings accept
   (:func:`pvpp.access.idp_second_factor`): then the session starts verified.

Every outcome is in the audit log (``console.signin.oidc``, with the real reason of a
refusal and the id_token's issuer, subject, ``amr`` and ``acr``); the page says one thing
for every refusal (:class:`~pvpp.console_auth.ConsoleSigninFailed`). A refusal counts as a
failed sign-in toward the client's hourly limit and, once an address is known, the
address's; over either :class:`~pvpp.signin.SigninLimited` (429). It does not count toward
the account's lock-out (the provider, not a guesser, answered), but a locked account is
refused here as at the password.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from pvpp import audit, throttle
from pvpp.access import idp_second_factor, is_locked, verified_email
from pvpp.accounts import account_by_email
from pvpp.console_auth import (
    HOUR,
    KEEP_ATTEMPTS,
    ConsolePerson,
    ConsoleSigninFailed,
    check_limits,
    count_failure,
    start_pending,
    start_verified,
)
from pvpp.i18n import t
from pvpp.oidc import OidcError, Provider, claims_summary, digest, new_request
from pvpp.sessions import new_secret
from pvpp.settings import Settings
from pvpp.signin import SigninLimited, address_key
from pvpp.store.db import Database
from pvpp.store.models import ConsoleOidcStart

__all__ = ["Finished", "begin", "finish"]

ACTION = "console.signin.oidc"
MAX_PARAM = 2048


@dataclass(frozen=True)
class Finished:
    """A sign-in the provider vouched for: ``sid`` is a verified session's id when the
    provider's second factor counted (``person`` set), otherwise a pending session's, whose
    TOTP code comes next (``person`` None)."""

    sid: str
    person: ConsolePerson | None


def _refused(reason: str, settings: Settings, lang: str) -> ConsoleSigninFailed:
    return ConsoleSigninFailed(
        reason, t("console.oidc.failed", lang, provider=settings.console_oidc_name)
    )


def begin(
    db: Database, provider: Provider, *, now: datetime, settings: Settings, lang: str,
    where: Mapping[str, str],
) -> tuple[str, str]:  # fmt: skip
    """A new sign-in at the provider: the start's id (for the browser's cookie) and the
    provider's authorization URL. :class:`SigninLimited` when the client is over its
    failures this hour or has as many sign-ins begun and not come back;
    :class:`ConsoleSigninFailed` when the provider cannot be reached (audited)."""
    client = throttle.client_key(where.get("ip", ""))
    with db.unit_of_work() as session:
        check_limits(session, client, None, now, settings, lang)
        session.exec(delete(ConsoleOidcStart).where(
            col(ConsoleOidcStart.created_at) < now - KEEP_ATTEMPTS))  # fmt: skip
        waiting = session.exec(
            select(func.count()).select_from(ConsoleOidcStart).where(
                col(ConsoleOidcStart.client) == client, col(ConsoleOidcStart.ended_at).is_(None),
                col(ConsoleOidcStart.created_at) > now - HOUR)
        ).one()  # fmt: skip
        if waiting >= settings.console_client_failures_per_hour:
            until = now + timedelta(minutes=settings.console_oidc_minutes)
            raise SigninLimited(until, int((until - now).total_seconds()),
                                t("console.oidc.too_many", lang))  # fmt: skip
    request = new_request()
    try:
        url = provider.authorization_url(request)
    except OidcError as exc:
        with db.unit_of_work() as session:
            count_failure(session, now, client, "")
            audit.record(session, actor="anonymous", action=ACTION, entity="console", key="-",
                         outcome="failed", reason=exc.reason, error=str(exc)[:300],
                         **where)  # fmt: skip
        raise _refused(exc.reason, settings, lang) from None
    sid = new_secret()
    with db.unit_of_work() as session:
        session.add(ConsoleOidcStart(
            sid_sha256=digest(sid), state_sha256=digest(request.state),
            nonce_sha256=digest(request.nonce), verifier=request.verifier, client=client,
            created_at=now, user_agent=where.get("user_agent", "")[:300],
            ip=where.get("ip", "")[:45],
        ))  # fmt: skip
    return sid, url


def _take(
    session: Session, sid: str, now: datetime, settings: Settings
) -> tuple[ConsoleOidcStart | None, str]:
    """The browser's start, marked used (once: a conditional update), and ``""``; or
    None and why not (``no_start``, ``replayed``, ``expired``)."""
    if not sid or len(sid) > 100:
        return None, "no_start"
    row = session.exec(
        select(ConsoleOidcStart).where(ConsoleOidcStart.sid_sha256 == digest(sid))
    ).first()
    if row is None:
        return None, "no_start"
    taken = session.exec(
        update(ConsoleOidcStart)
        .where(col(ConsoleOidcStart.id) == row.id, col(ConsoleOidcStart.ended_at).is_(None))
        .values(ended_at=now, outcome="returned")
    )
    if not taken.rowcount:
        return None, "replayed"
    if now - row.created_at >= timedelta(minutes=settings.console_oidc_minutes):
        return None, "expired"
    return row, ""


def _note(session: Session, start_id: int | None, outcome: str) -> None:
    if start_id is not None:
        session.exec(update(ConsoleOidcStart).where(col(ConsoleOidcStart.id) == start_id)
                     .values(outcome=outcome[:40]))  # fmt: skip


def finish(
    db: Database, provider: Provider, start_sid: str, params: Mapping[str, str], *,
    now: datetime, settings: Settings, lang: str, where: Mapping[str, str],
    replaces: str | None = None,
) -> Finished:  # fmt: skip
    """The browser back from the provider with ``params`` (its query: ``code`` and
    ``state``, or ``error``). See the module's description; :class:`ConsoleSigninFailed`
    (one message, the reason audited) or :class:`SigninLimited`."""
    client = throttle.client_key(where.get("ip", ""))
    key = settings.signing_key()
    with db.unit_of_work() as session:
        check_limits(session, client, None, now, settings, lang)
        row, problem = _take(session, start_sid, now, settings)
        start_id = row.id if row is not None else None
        nonce_sha256 = row.nonce_sha256 if row is not None else ""
        verifier = row.verifier if row is not None else ""
        state = params.get("state", "")[:MAX_PARAM]
        if row is not None and not (state and digest(state) == row.state_sha256):
            problem = "state"
        elif row is not None and params.get("error"):
            problem = "provider_said_" + params.get("error", "")[:20]
        elif row is not None and not params.get("code"):
            problem = "no_code"
    claims: dict[str, object] = {}
    if not problem:
        try:
            id_token = provider.id_token_for(params["code"][:MAX_PARAM], verifier)
            claims = provider.verify(id_token, nonce_sha256=nonce_sha256, now=now)
        except OidcError as exc:
            problem = exc.reason
    email, why = verified_email(claims) if not problem else (None, "")
    problem = problem or why
    summary = claims_summary(claims) if claims else {}
    address = address_key(email, key) if email else ""
    error: Exception | None = None
    done: Finished | None = None
    with db.unit_of_work() as session:
        try:
            check_limits(session, client, address or None, now, settings, lang)
        except SigninLimited as exc:
            problem, error = problem or "limited", exc
        account = account_by_email(session, email) if email and not problem else None
        if not problem:
            problem = (
                "unknown" if account is None
                else "disabled" if account.disabled
                else "locked" if is_locked(account.locked_until, now)
                else ""
            )  # fmt: skip
        if problem or account is None:
            if error is None:  # over a limit: not counted again (as at the password)
                count_failure(session, now, client, address)
            _note(session, start_id, problem)
            audit.record(session, actor=email or "anonymous", action=ACTION, entity="console",
                         key=email or "-", outcome="failed", reason=problem, **summary,
                         **where)  # fmt: skip
            error = error or _refused(problem, settings, lang)
        else:
            mfa = idp_second_factor(claims, mfa_amr=settings.oidc_mfa_amr(),
                                    mfa_acr=settings.oidc_mfa_acr())  # fmt: skip
            _note(session, start_id, "ok")
            audit.record(session, actor=account.email, action=ACTION, entity="console",
                         key=account.email, outcome="ok",
                         second_factor="provider" if mfa else "totp", **summary,
                         **where)  # fmt: skip
            if mfa:
                sid, person = start_verified(session, account, now=now, where=where,
                                             method="oidc", replaces=replaces)  # fmt: skip
                done = Finished(sid, person)
            else:
                done = Finished(start_pending(session, account, now=now, where=where,
                                              method="oidc"), None)  # fmt: skip
    if error is not None or done is None:
        raise error or _refused("unknown", settings, lang)
    return done
