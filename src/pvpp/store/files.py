"""Received files, kept byte for byte under their SHA-256 in the data folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlmodel import Session

from pvpp.files import write_atomic
from pvpp.settings import Settings, get_settings
from pvpp.store.models import StoredFile


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of(path: Path) -> str:
    """The digest :func:`sha256` gives the file's bytes, read as a stream."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def file_path(digest: str, settings: Settings | None = None) -> Path:
    """Where the file with ``digest`` lives: ``files/ab/abcdef…``."""
    settings = settings or get_settings()
    return settings.data_dir / "files" / digest[:2] / digest


def store_file(session: Session, data: bytes, settings: Settings | None = None) -> StoredFile:
    """Keep ``data`` (once: the same content is stored a single time) and return its record.

    The bytes are written before the row, so a crash between the two leaves at most an
    orphan file, never a row that points at nothing.
    """
    digest = sha256(data)
    existing = session.get(StoredFile, digest)
    if existing is not None:
        return existing
    path = file_path(digest, settings)
    if not path.exists():
        write_atomic(path, data)
    record = StoredFile(sha256=digest, size=len(data), path=str(path.relative_to(path.parents[2])))
    session.add(record)
    session.flush()
    return record


def read_file(record: StoredFile, settings: Settings | None = None) -> bytes:
    """The stored bytes, verified against their digest."""
    data = file_path(record.sha256, settings).read_bytes()
    if sha256(data) != record.sha256:
        raise OSError(f"stored file {record.sha256} does not match its digest")
    return data
