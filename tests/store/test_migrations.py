"""The migrations build exactly the schema the models declare."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from pvpp.store import models  # noqa: F401  (registers the tables)
from pvpp.store.db import Database
from pvpp.store.files import FileStore


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pvpp.db'}", FileStore(tmp_path / "files"))
    db.upgrade()
    with db.engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    db.dispose()
    assert diff == []
