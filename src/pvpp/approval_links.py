"""One-time approval links for plan versions: signed tokens, stored only as their digest.

A token is ``<nonce>.<signature>``: 24 random bytes and the HMAC-SHA256 of them under
:meth:`pvpp.settings.Settings.signing_key` (with a purpose label, so a token can never
be taken for any other signed value), both URL-safe base64. The link is
``{public_url}/plans/approve/{token}``. The store keeps only the token's SHA-256 in a
:class:`~pvpp.store.models.PlanApproval` row with its expiry: the link itself exists
only in the email, and a copy of the database opens nothing.

Issuing a link for a plan version marks the unused links of the institution's older
versions ``superseded``. The plan email issues the first link of a version and sets its
approval date; each approval reminder and escalation carries a fresh link for the same
version, so the head always holds one that is valid (:mod:`pvpp.approvals` decides).

This module sits below :mod:`pvpp.mail.compose` (which issues links as it queues the
emails) and :mod:`pvpp.approvals` (which verifies them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from pvpp.clock import LOCAL_ZONE
from pvpp.settings import Settings
from pvpp.states.plan import approval_due_on
from pvpp.store.models import Plan, PlanApproval, id_of

PURPOSE = b"pvpp-plan-approval-v1"
PATH = "/plans/approve/"
NONCE_BYTES = 24
# Outcomes of a link (PlanApproval.outcome); "" while it can still be used.
UNUSED = ""
APPROVED = "approved"
REFUSED = "refused"
SUPERSEDED = "superseded"

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}\.[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class ApprovalLink:
    """A link just issued: the token (only ever in the email), its URL and its dates."""

    token: str
    url: str
    expires_on: date
    approval_due: date | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(key: bytes, nonce: str) -> str:
    return _b64(hmac.new(key, PURPOSE + b"|" + nonce.encode("ascii"), hashlib.sha256).digest())


def make_token(key: bytes) -> str:
    """A new signed token."""
    nonce = _b64(secrets.token_bytes(NONCE_BYTES))
    # A token starting with "-" would read as an option on a command line.
    while nonce.startswith("-"):
        nonce = _b64(secrets.token_bytes(NONCE_BYTES))
    return f"{nonce}.{_signature(key, nonce)}"


def signature_ok(token: str, key: bytes) -> bool:
    """True when ``token`` has the shape of a token and its signature is ``key``'s."""
    if not _TOKEN.fullmatch(token):
        return False
    nonce, _, signature = token.partition(".")
    return hmac.compare_digest(_signature(key, nonce), signature)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a token's row is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(public_url: str, token: str) -> str:
    """The approval page of ``token``: ``{public_url}/plans/approve/{token}``."""
    return f"{public_url.rstrip('/')}{PATH}{token}"


def token_in(text: str) -> str:
    """The token in ``text``: a bare token, or the approval link that carries it (people
    paste either). Surrounding spaces and angle brackets are ignored."""
    text = text.strip().strip("<>").strip()
    if PATH in text:
        text = text.rsplit(PATH, 1)[1].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text


def tokens_in(body: str) -> list[str]:
    """Every approval token in an email body, in order (tests and the demo read the
    link a head received from the outbox)."""
    found = re.findall(re.escape(PATH) + r"(" + _TOKEN.pattern + r")", body)
    return list(dict.fromkeys(found))


def _noon(day: date) -> datetime:
    # The moment a link is recorded as issued: the caller's day (the root's clock), not
    # the machine's, so a demo or a back-dated run keeps its own dates.
    return datetime.combine(day, time(12), LOCAL_ZONE).astimezone(UTC)


def issue_link(
    session: Session, plan: Plan, *, today: date, settings: Settings, sets_due: bool
) -> ApprovalLink:
    """A new one-time link for ``plan``, stored as its digest, valid for
    ``approval_link_days``.

    ``sets_due`` (the plan email) sets the version's approval date to ``today`` +
    ``approval_days``. Unused links of the institution's older versions become
    ``superseded``: only the newest version can be approved.
    """
    if sets_due:
        plan.approval_due = approval_due_on(today, settings.approval_days)
        session.add(plan)
    older = session.exec(
        select(PlanApproval)
        .join(Plan, col(PlanApproval.plan_id) == col(Plan.id))
        .where(
            Plan.assignment_id == plan.assignment_id,
            col(Plan.version) < plan.version,
            PlanApproval.outcome == UNUSED,
        )
    ).all()
    for row in older:
        row.outcome = SUPERSEDED
        session.add(row)
    token = make_token(settings.signing_key())
    expires_on = today + timedelta(days=settings.approval_link_days)
    session.add(
        PlanApproval(
            plan_id=id_of(plan),
            token_sha256=token_digest(token),
            issued_at=_noon(today),
            expires_on=expires_on,
        )
    )
    session.flush()
    return ApprovalLink(token, link_url(settings.public_url, token), expires_on, plan.approval_due)


def withdraw_link(session: Session, link: ApprovalLink) -> None:
    """Delete the row of a link that was never sent (its message was already queued by
    another process): a token nobody holds should not sit in the store."""
    row = session.exec(
        select(PlanApproval).where(PlanApproval.token_sha256 == token_digest(link.token))
    ).first()
    if row is not None:
        session.delete(row)
        session.flush()


def withdraw_links_in(session: Session, body: str) -> int:
    """Mark the unused links carried by an email that will never be sent (a withdrawn
    message, :func:`pvpp.mail.outbox.withdraw_to`) ``superseded``: nobody holds them, and
    the email queued in its place carries a fresh one. Returns how many."""
    digests = [token_digest(token) for token in tokens_in(body)]
    if not digests:
        return 0
    rows = session.exec(
        select(PlanApproval).where(
            col(PlanApproval.token_sha256).in_(digests), PlanApproval.outcome == UNUSED
        )
    ).all()
    for row in rows:
        row.outcome = SUPERSEDED
        session.add(row)
    return len(rows)
