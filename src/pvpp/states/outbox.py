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
"""

from __future__ import annotations

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
