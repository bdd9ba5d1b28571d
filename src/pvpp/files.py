"""Small file helpers: atomic writes, and reading files that people hand in.

A file someone gives pvpp (a workbook in the drop folder, a registry CSV, a plan sheet on
the command line) is read with :func:`read_given`: only a regular file, never through a
symbolic link, never a device or FIFO (opened without blocking, so a FIFO cannot hang a
command), and its size is checked from the open file before any byte is read.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import unicodedata
from pathlib import Path

from pvpp.errors import PvppError


class FileRefused(PvppError):
    """A given file that is not read: missing, a link, not a regular file, too large."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{shown_name(path)}: {reason}")
        self.path = path
        self.reason = reason


# Characters a name shows escaped: controls, format characters (a right-to-left override),
# line and paragraph separators, and lone surrogates (bytes that were not UTF-8).
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def shown_name(name: str | bytes | os.PathLike[str]) -> str:
    """A file name or path as valid UTF-8 text, to store and print.

    Bytes that are not UTF-8 (which Python keeps as lone surrogates) show as ``\\xff``
    escapes, and so do control and format characters, so the text says what the name is,
    any database takes it, and printing it never fails. Text that needs no escape comes back
    unchanged (so the function can be applied twice).
    """
    text = os.fsdecode(name)
    try:
        text = os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a surrogate that no file name decodes to
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(
        _escape(ch) if unicodedata.category(ch) in _ESCAPED_CATEGORIES else ch for ch in text
    )


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp creates files readable by the owner only; these are ordinary documents.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def read_given(path: Path, *, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises :class:`FileRefused` with the reason, worded for the person who gave the file,
    when the file is missing, a symbolic link, a folder, a device, FIFO or socket, unreadable,
    or larger than ``limit`` (judged from the open file, so a sparse or growing file is not
    read whole).
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileRefused(path, "no such file; check the name and the folder") from None
    except IsADirectoryError:
        raise FileRefused(path, "is a folder, not a file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileRefused(
                path, "is a symbolic link; give the file itself, not a link to it"
            ) from None
        raise FileRefused(path, f"cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileRefused(path, "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(path, "is not a regular file (a device, pipe or socket)")
        if info.st_size > limit:
            raise FileRefused(
                path, f"is too large ({_mib(info.st_size)}; at most {_mib(limit)} is accepted)"
            )
        chunks: list[bytes] = []
        got = 0
        while True:
            # One more byte than allowed: a file that grew after fstat is caught here.
            chunk = os.read(fd, min(1 << 20, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got > limit:
                raise FileRefused(path, f"is too large (more than {_mib(limit)})")
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(path, f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` itself (not what a link points to) is a regular file."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
