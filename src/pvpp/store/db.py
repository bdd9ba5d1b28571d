"""The one way to reach the database: engine, sessions, migrations and the schema check.

SQLite (the default) runs in WAL mode with a busy timeout, and every transaction starts
with ``BEGIN IMMEDIATE``: taking the write lock up front means two writers queue instead
of both reading and then failing to upgrade ("database is locked"; measured: 615
errors with plain BEGIN against none with IMMEDIATE). PostgreSQL needs none of this.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from pvpp.errors import PvppError
from pvpp.store.files import SESSION_KEY, FileStore

MIGRATIONS = Path(__file__).parent / "migrations"
#: PostgreSQL's SQLSTATE for a transaction rolled back to break a deadlock.
DEADLOCK = "40P01"
T = TypeVar("T")


class SchemaBehind(PvppError):
    """The database is older than this code (or empty); ``pvpp db upgrade`` fixes it."""


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, for_reading: bool = False) -> Engine:
    """An engine for ``url`` with the settings this project relies on.

    ``for_reading``: SQLite transactions start with a plain (deferred) BEGIN, which takes
    no write lock, so long read-only work (rendering a PDF) never holds up writers.
    """
    if _is_sqlite(url):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN" if for_reading else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@cache
def head_revision() -> str:
    """The newest migration this code knows (read once per process: Alembic compiles every
    migration file to find it, about 5 ms, and every transaction asks)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(eng: Engine) -> str | None:
    """The migration the database is at (None when it has none)."""
    with eng.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class Database:
    """The store of one database URL: its engines, transactions and migrations.

    Built once per process by the composition root (:class:`pvpp.app.App`) and handed to
    the services that open their own transactions. A copy sent to a worker process
    (pickled) arrives as that process's one ``Database`` for the URL, so a worker
    rendering a hundred PDFs opens its connection pool once, not once per document.
    """

    def __init__(self, url: str, files: FileStore) -> None:
        self.url = url
        self.files = files
        self._engines: dict[bool, Engine] = {}
        self._autocommit: Engine | None = None  # the engine in autocommit, once made
        self._current = False  # the schema was found at the newest migration

    def __reduce__(self) -> tuple[Any, tuple[str, Path]]:
        return (_database_in_worker, (self.url, self.files.root))

    def __repr__(self) -> str:
        return f"Database({self.url.split('@')[-1]!r})"  # never the password

    def session(self, eng: Engine) -> Session:
        """A session on ``eng`` that knows this store's files."""
        session = Session(eng, expire_on_commit=False)
        session.info[SESSION_KEY] = self.files
        return session

    def engine(self, *, for_reading: bool = False) -> Engine:
        """The engine (created on first use); SQLite has a second one for reading."""
        for_reading = for_reading and _is_sqlite(self.url)  # PostgreSQL: one engine does both
        if for_reading not in self._engines:
            self._engines[for_reading] = make_engine(self.url, for_reading=for_reading)
        return self._engines[for_reading]

    def dispose(self) -> None:
        """Close every pooled connection (at the end of a process or a test)."""
        for eng in self._engines.values():
            eng.dispose()
        self._engines.clear()
        self._autocommit = None
        self._current = False

    def upgrade(self) -> tuple[str | None, str]:
        """Run pending migrations; returns (revision before, revision after)."""
        eng = self.engine()
        before = current_revision(eng)
        cfg = alembic_config(self.url)
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return before, current_revision(eng) or ""

    def require_current(self) -> Engine:
        """The engine, after making sure the schema is at the newest migration.

        Checked until it is found current, then not again (migrations only go forward,
        and this process's code does not change): asking on every transaction cost the
        portal one or two extra round trips per request (about 20 ms on PostgreSQL)."""
        eng = self.engine()
        if self._current:
            return eng
        current = current_revision(eng)
        head = head_revision()
        if current != head:
            state = "has no schema yet" if current is None else f"is at migration {current}"
            raise SchemaBehind(
                f"The database {state}; this version of pvpp needs {head}. "
                "Run `pvpp db upgrade` first."
            )
        self._current = True
        return eng

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        A command that fails half-way leaves the store as it was before the command.
        """
        eng = self.require_current()
        with self.session(eng) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def retrying(self, work: Callable[[Session], T], *, attempts: int = 3) -> T:
        """``work`` in a :meth:`unit_of_work`, run again from its start in a new transaction
        when PostgreSQL broke a deadlock by rolling it back (SQLSTATE 40P01): two first
        saves into one assignment each hold its share lock and each wants to move its
        state, and one of them is rolled back; run again, it finds the state moved."""
        for attempt in range(1, attempts + 1):
            try:
                with self.unit_of_work() as session:
                    return work(session)
            except OperationalError as exc:
                if attempt == attempts or getattr(exc.orig, "sqlstate", None) != DEADLOCK:
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A session for one read statement, outside any transaction: on PostgreSQL in
        autocommit, so that the read is one round trip and not three (no ``BEGIN`` and
        ``COMMIT``); on SQLite as :meth:`reading`. Each statement sees its own moment, so
        only for work that reads once (a request finding its session)."""
        if _is_sqlite(self.url):
            with self.reading() as session:
                yield session
            return
        eng = self.require_current()
        if self._autocommit is None:
            # Shares the engine's pool; each connection is back in its own transactions
            # when it returns to the pool.
            self._autocommit = eng.execution_options(isolation_level="AUTOCOMMIT")
        with self.session(self._autocommit) as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for read-only work; it takes no write lock and is always rolled back."""
        self.require_current()
        with self.session(self.engine(for_reading=True)) as session:
            try:
                yield session
            finally:
                session.rollback()


@lru_cache(maxsize=8)
def _database_in_worker(url: str, files: Path) -> Database:
    """The one :class:`Database` of ``url`` in a worker process (see ``__reduce__``)."""
    return Database(url, FileStore(files))
