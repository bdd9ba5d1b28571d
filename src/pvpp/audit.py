"""The audit trail: one call records who did what to which thing."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Insert, Row, Select, Table, bindparam, insert
from sqlalchemy import select as sa_select
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import Session

from pvpp.store.models import AuditLog, utcnow


def record(
    session: Session, *, actor: str, action: str, entity: str, key: str, **detail: Any
) -> None:
    """Add an audit entry in the caller's transaction (it commits or rolls back with it)."""
    session.add(AuditLog(actor=actor, action=action, entity=entity, entity_key=key, detail=detail))


def _table() -> Table:
    table = AuditLog.metadata.tables[str(AuditLog.__tablename__)]
    return table


def insert_recorded(
    session: Session, statement: ReturningInsert[Any], *, actor: str, action: str, entity: str,
    key: str, params: dict[str, Any] | None = None, **detail: Any,
) -> Sequence[Row[Any]]:  # fmt: skip
    """Run ``statement`` (an INSERT … RETURNING of the caller's rows) and add its audit
    entry (as :func:`record`), in the caller's transaction; returns what ``statement``
    returns (``params``: its parameters, if it has them as bound parameters). On
    PostgreSQL both go in one statement (the entry's INSERT in a ``WITH``:
    PostgreSQL runs a data-modifying ``WITH`` whether or not the query reads it), so an
    autosave asks the server once, not twice; SQLite has no such ``WITH``, and no round
    trips to save, so there they are two. What the session holds is flushed first."""
    entry = {"at": utcnow(), "actor": actor, "action": action, "entity": entity,
             "entity_key": key, "detail": detail}  # fmt: skip
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # A statement with bound parameters is made once (its WITH too: building it and
        # its cache key cost an autosave more than the rest of its INSERT).
        both = _with_entry(statement) if params is not None else _both(statement)
        given = {**(params or {}), **{f"audit_{k}": v for k, v in entry.items()}}
        return session.execute(both, given).all()
    rows = session.execute(statement, params).all()
    session.execute(insert(_table()), entry)
    return rows


def _both(statement: ReturningInsert[Any]) -> Select[Any]:
    """``statement`` and the audit entry's INSERT in one statement (PostgreSQL)."""
    done = statement.cte("done")
    return sa_select(*done.c).add_cte(_entry().cte("logged"))


#: A few statements made once with their parameters bound (the autosave's).
_with_entry = lru_cache(maxsize=8)(_both)


@cache
def _entry() -> Insert:
    """The audit entry's INSERT with a parameter per column (``audit_<column>``), made
    once: a statement with the values in it is compiled again on every call."""
    return insert(_table()).values(
        {c: bindparam(f"audit_{c}", type_=_table().c[c].type)
         for c in ("at", "actor", "action", "entity", "entity_key", "detail")}
    )  # fmt: skip
