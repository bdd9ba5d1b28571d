"""Email that loses nothing: an outbox table, templates, transports and a relay.

Queue a message with :func:`pvpp.mail.outbox.queue` (inside the caller's transaction,
once per business key), and let :func:`pvpp.mail.relay.deliver_due` hand what is due to
the configured transport. ``docs/email.md`` describes the states, the retry policy and
what happens after a crash.
"""

from __future__ import annotations

from pvpp.mail.outbox import KINDS, STATES, MessageError, list_messages, queue
from pvpp.mail.templates import render

__all__ = ["KINDS", "STATES", "MessageError", "list_messages", "queue", "render"]
