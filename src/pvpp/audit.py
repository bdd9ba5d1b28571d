"""The audit trail: one call records who did what to which thing."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from pvpp.store.models import AuditLog


def record(
    session: Session, *, actor: str, action: str, entity: str, key: str, **detail: Any
) -> None:
    """Add an audit entry in the caller's transaction (it commits or rolls back with it)."""
    session.add(AuditLog(actor=actor, action=action, entity=entity, entity_key=key, detail=detail))
