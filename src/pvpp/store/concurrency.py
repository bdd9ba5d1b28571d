"""Taking something once when several processes may take it at the same moment.

Two intakes of one drop folder (two schedulers, an operator beside a flow) both find a new
file unknown and both go to record it. On SQLite that cannot happen: every write
transaction starts with ``BEGIN IMMEDIATE`` (:mod:`pvpp.store.db`), so they run one after
the other and the second sees what the first wrote. On PostgreSQL they run side by side,
and a "look it up, then insert it" would insert twice (or die on a unique key). The tools
here make that pattern safe on both:

- :func:`hold` — a lock on a name (``file:<sha256>``) until the transaction ends: the
  second process waits, then its look-up sees the first one's rows;
- :func:`hold_row` — the row itself locked and read afresh (``SELECT … FOR UPDATE``), for
  a thing whose state is read and then moved on (an assignment);
- :func:`insert_new` — an insert that does nothing when the key exists (``ON CONFLICT DO
  NOTHING``), for rows that are the same whoever writes them (a stored file).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def hold(session: Session, name: str) -> None:
    """Lock ``name`` until the transaction of ``session`` ends (another transaction holding
    it is waited for). SQLite: the transaction already holds the database's write lock."""
    if _dialect(session) == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name}
        )


def hold_row(session: Session, row: SQLModel) -> None:
    """Lock ``row`` until the transaction ends and read it again (what another transaction
    committed meanwhile is seen)."""
    session.refresh(row, with_for_update=True)


def insert_new(session: Session, model: type[SQLModel], **values: Any) -> None:
    """Insert a ``model`` row with ``values`` unless one with its key exists (also when a
    concurrent transaction inserts it first: that one is waited for)."""
    dialect = _dialect(session)
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(model).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(model).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - pvpp runs on SQLite and PostgreSQL
        raise NotImplementedError(f"insert_new does not know {dialect}")
    session.execute(statement)
