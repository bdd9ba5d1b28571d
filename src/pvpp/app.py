"""The composition root: everything a process needs, built once from :class:`Settings`.

Each entry point builds one :class:`App` at start-up and hands it down:

- the ``pvpp`` command line in its typer callback (``ctx.obj``, see :mod:`pvpp.cli.main`);
- the Prefect flows once per worker process (:func:`flows.root.app`);
- the web app, later, at application start-up.

Services never build any of these themselves and never read settings from the
environment half-way down: they receive the settings, the database, the clock or the mail
transport as parameters. Tests build a ``Settings(...)`` with a temporary data folder and an
``App`` from it (``tests/conftest.py``); nothing is configured through ``os.environ``.

Fields:

- ``settings`` — the one :class:`~pvpp.settings.Settings` of the process;
- ``db`` — the :class:`~pvpp.store.db.Database` (its engines, transactions, migrations);
- ``files`` — the :class:`~pvpp.store.files.FileStore` of that database (sessions opened by
  ``db`` carry it, so services that keep a file inside a transaction find it there);
- ``clock`` — the :class:`~pvpp.clock.Clock` that says what day it is for every rule and
  document (the system clock, or a fixed day for the demo, tests and ``--today``);
- :meth:`App.transport` — the mail transport the settings describe, one per delivery run
  (a run opens and closes its own SMTP connection);
- :meth:`App.oidc` — the console's OpenID Connect provider, when the settings configure
  one (:mod:`pvpp.oidc`);
- :meth:`App.with_clock` — the same root on another clock (commands taking ``--today``).

PDF rendering needs nothing from here: :mod:`pvpp.documents.render` is a pure function of
a template and its context (the date a document carries comes from the clock, through the
service that builds the context).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from pvpp.clock import Clock, FixedClock, SystemClock
from pvpp.mail.transport import Transport, make_transport
from pvpp.oidc import Provider, provider_for
from pvpp.settings import Settings
from pvpp.store.db import Database
from pvpp.store.files import FileStore


@dataclass(frozen=True)
class App:
    """One process's settings, store, file store and clock (see the module docstring)."""

    settings: Settings
    db: Database
    files: FileStore
    clock: Clock

    @classmethod
    def build(cls, settings: Settings | None = None, *, clock: Clock | None = None) -> App:
        """The root for ``settings`` (default: read from the environment and ``.env``, as
        a deployment configures it) on ``clock`` (default: the system clock)."""
        settings = settings if settings is not None else Settings()
        files = FileStore(settings.data_dir / "files")
        return cls(
            settings=settings,
            db=Database(settings.db_url(), files),
            files=files,
            clock=clock or SystemClock(),
        )

    def with_clock(self, clock: Clock) -> App:
        """The same root (same database and files) on another clock."""
        return dataclasses.replace(self, clock=clock)

    def on_day(self, day: date | None) -> App:
        """The root on a fixed ``day``, or unchanged when ``day`` is None."""
        return self if day is None else self.with_clock(FixedClock(day))

    def today(self) -> date:
        """The day it is for this root's clock."""
        return self.clock.today()

    def oidc(self) -> Provider | None:
        """The console's OpenID Connect provider the settings configure (its documents
        cached per process), or None when that sign-in is off."""
        return provider_for(self.settings)

    def transport(self) -> Transport:
        """A new mail transport as the settings describe it (the caller closes it)."""
        return make_transport(self.settings)

    def close(self) -> None:
        """Release the database connections (at the end of the process or a test)."""
        self.db.dispose()
