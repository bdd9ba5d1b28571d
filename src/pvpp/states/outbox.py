"""An outbox message (see :mod:`pvpp.mail.relay` for who moves it).

    queued → sending → sent
       ↑        ↓
       └────────┴──→ failed
    queued, failed → withdrawn

A temporary failure puts a message back to ``queued`` with a later attempt time; a message
found in ``sending`` after a crash is recovered to ``queued``. A message not yet sent whose
recipient is no longer the institution's (a registry import changed the head's address) is
``withdrawn``: kept, never sent, and its business event free to be queued again to the new
address (:func:`pvpp.mail.outbox.withdraw_to`).

Delivery is judged per recipient (:func:`verdict`): the message is ``sent`` when the
server has accepted every To address, ``failed`` as soon as one To address is refused for
good, and otherwise tried again for the To addresses not yet accepted. A Cc address is
recorded whatever happens to it, and never decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


Q = OutboxState
ALLOWED: dict[OutboxState | None, frozenset[OutboxState]] = {
    None: frozenset({Q.QUEUED}),
    Q.QUEUED: frozenset({Q.SENDING, Q.FAILED, Q.WITHDRAWN}),
    Q.SENDING: frozenset({Q.SENT, Q.QUEUED, Q.FAILED}),
    Q.FAILED: frozenset({Q.QUEUED, Q.WITHDRAWN}),  # a person asks for a retry
    Q.SENT: frozenset(),
    Q.WITHDRAWN: frozenset(),
}
#: Not delivered yet, and still to be tried.
PENDING = frozenset({Q.QUEUED, Q.SENDING})
#: Nothing more will happen without a person.
FINAL = frozenset({Q.SENT, Q.FAILED, Q.WITHDRAWN})
#: Not sent, and can still be withdrawn (a message being sent cannot).
WITHDRAWABLE = frozenset({Q.QUEUED, Q.FAILED})


class RecipientOutcome(StrEnum):
    """What the mail server said about one recipient of one attempt."""

    ACCEPTED = "accepted"
    DEFERRED = "deferred"  # 4xx: it may be accepted later
    REFUSED = "refused"  # 5xx: refused for good


R = RecipientOutcome


def verdict(to: Iterable[str], latest: Mapping[str, RecipientOutcome]) -> OutboxState:
    """The message's state from its To addresses' newest outcomes (``latest``; an address
    missing there has not been answered yet).

    ``failed`` when any To address was refused for good, ``sent`` when every one was
    accepted, ``queued`` (try again) otherwise. The Cc addresses do not count: a copy
    refused is recorded, and the message is delivered when its To is.
    """
    outcomes = [latest.get(addr) for addr in to]
    if R.REFUSED in outcomes:
        return Q.FAILED
    if outcomes and all(o is R.ACCEPTED for o in outcomes):
        return Q.SENT
    return Q.QUEUED


def envelope(addresses: Iterable[str], latest: Mapping[str, RecipientOutcome]) -> list[str]:
    """The recipients of the next try: each address once, except those already accepted
    (a retry never sends the message to someone twice)."""
    out: list[str] = []
    for addr in addresses:
        if latest.get(addr) is not R.ACCEPTED and addr not in out:
            out.append(addr)
    return out
