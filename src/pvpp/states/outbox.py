"""An outbox message (see :mod:`pvpp.mail.relay` for who moves it).

    queued → sending → sent
       ↑        ↓
       └────────┴──→ failed

A temporary failure puts a message back to ``queued`` with a later attempt time; a message
found in ``sending`` after a crash is recovered to ``queued``.
"""

from __future__ import annotations

from enum import StrEnum


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


Q = OutboxState
ALLOWED: dict[OutboxState | None, frozenset[OutboxState]] = {
    None: frozenset({Q.QUEUED}),
    Q.QUEUED: frozenset({Q.SENDING, Q.FAILED}),
    Q.SENDING: frozenset({Q.SENT, Q.QUEUED, Q.FAILED}),
    Q.FAILED: frozenset({Q.QUEUED}),  # a person asks for a retry
    Q.SENT: frozenset(),
}
#: Not delivered yet, and still to be tried.
PENDING = frozenset({Q.QUEUED, Q.SENDING})
#: Nothing more will happen without a person.
FINAL = frozenset({Q.SENT, Q.FAILED})
