"""Received files, kept byte for byte under their SHA-256 in the data folder.

The file store belongs to the database it is recorded in: a session opened by
:class:`pvpp.store.db.Database` carries its :class:`FileStore` (``session.info``), so a
service that keeps a file inside a transaction writes it where that store's rows point.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlmodel import Session

from pvpp.files import write_atomic
from pvpp.store.concurrency import insert_new
from pvpp.store.models import StoredFile, utcnow

SESSION_KEY = "pvpp.files"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of(path: Path) -> str:
    """The digest :func:`sha256` gives the file's bytes, read as a stream."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class FileStore:
    """Files under ``root`` (``<data dir>/files``), one per content: ``ab/abcdef…``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"FileStore({str(self.root)!r})"

    def path(self, digest: str) -> Path:
        """Where the file with ``digest`` lives."""
        return self.root / digest[:2] / digest

    def store(self, session: Session, data: bytes) -> StoredFile:
        """Keep ``data`` (once: the same content is stored a single time) and return its
        record.

        The bytes are written before the row, so a crash between the two leaves at most an
        orphan file, never a row that points at nothing. Processes storing the same bytes at
        once all succeed: the row is inserted by the first, the others find it.
        """
        digest = sha256(data)
        existing = session.get(StoredFile, digest)
        if existing is not None:
            return existing
        path = self.path(digest)
        if not path.exists():
            write_atomic(path, data)
        insert_new(
            session, StoredFile, sha256=digest, size=len(data),
            path=str(path.relative_to(path.parents[2])), first_seen_at=utcnow(),
        )  # fmt: skip
        record = session.get(StoredFile, digest)
        if record is None:  # pragma: no cover - inserted or found just above
            raise RuntimeError(f"stored file {digest} has no row")
        return record

    def read(self, record: StoredFile) -> bytes:
        """The stored bytes, verified against their digest."""
        data = self.path(record.sha256).read_bytes()
        if sha256(data) != record.sha256:
            raise OSError(f"stored file {record.sha256} does not match its digest")
        return data


def files_of(session: Session) -> FileStore:
    """The file store of the database ``session`` belongs to."""
    try:
        store: FileStore = session.info[SESSION_KEY]  # put there by Database.session()
    except KeyError:
        raise RuntimeError(
            "this session was not opened by pvpp.store.db.Database; it has no file store"
        ) from None
    return store


def store_file(session: Session, data: bytes) -> StoredFile:
    """Keep ``data`` in the file store of ``session``'s database (see :meth:`FileStore.store`)."""
    return files_of(session).store(session, data)


def read_file(session: Session, record: StoredFile) -> bytes:
    """The bytes of ``record`` from the file store of ``session``'s database."""
    return files_of(session).read(record)
