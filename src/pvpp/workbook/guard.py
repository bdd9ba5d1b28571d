"""Cheap checks on a received file before any spreadsheet parser sees it.

defusedxml stops XML entity tricks but not zip bombs (measured: a 412 KB file expanded
to 434 MiB inside openpyxl). Here the zip's central directory is read, which costs well
under a millisecond, and the file is refused unless its shape and sizes are sane.
Python's zipfile stops reading a member at its declared size (and fails the CRC), so a
member that lies about its size cannot expand past what is checked here.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from pvpp.i18n import Num, Phrase, number, phrase
from pvpp.settings import Settings

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# An encrypted OOXML file is a CFB container with these streams (MS-OFFCRYPTO).
ENCRYPTION_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
MACRO_MEMBERS = re.compile(r"(^|/)vbaProject\.bin$|(^|/)vbaData\.xml$", re.IGNORECASE)
MACRO_CONTENT_TYPE = b"macroEnabled"
DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
# Small members may compress extremely well (empty styles, repeated markup); ratios only
# signal a bomb once a member is big.
RATIO_FLOOR_BYTES = 256 * 1024


class Rejection(Exception):
    """The file is refused; ``code`` names the message ``workbook.problem.<code>``
    in the catalogue (:mod:`pvpp.i18n`)."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(f"{code}: {params}")


@dataclass(frozen=True)
class GuardLimits:
    max_upload_bytes: int
    max_member_bytes: int
    max_total_uncompressed_bytes: int
    max_compression_ratio: int
    max_zip_members: int

    @classmethod
    def from_settings(cls, settings: Settings) -> GuardLimits:
        return cls(
            settings.max_upload_bytes,
            settings.max_member_bytes,
            settings.max_total_uncompressed_bytes,
            settings.max_compression_ratio,
            settings.max_zip_members,
        )


@dataclass(frozen=True)
class Size:
    """A number of bytes, printed short in the reader's language ("5,0 MB", "5.0 MB").

    A rejection is raised before anyone knows the workbook's language, so it carries the
    size and the message prints it (see :class:`pvpp.i18n.Localized`).
    """

    bytes: int

    def text(self, lang: str) -> str:
        n = float(self.bytes)
        for unit in ("B", "KB", "MB"):
            if n < 1024:
                return f"{number(n, lang, 0 if unit == 'B' else 1)} {unit}"
            n /= 1024
        return f"{number(n, lang, 1)} GB"

    def __str__(self) -> str:
        return self.text("en")


def human_size(n: int) -> Size:
    """Bytes as a short human-readable size, in whichever language the message is."""
    return Size(n)


def check_file(data: bytes, limits: GuardLimits) -> None:
    """Raise :class:`Rejection` unless ``data`` looks like a plain, sane .xlsx package."""
    if not data:
        raise Rejection("empty_file")
    if len(data) > limits.max_upload_bytes:
        raise Rejection(
            "too_large", size=human_size(len(data)), limit=human_size(limits.max_upload_bytes)
        )
    if data.startswith(CFB_MAGIC):
        if any(marker in data for marker in ENCRYPTION_MARKERS):
            raise Rejection("encrypted")
        raise Rejection("old_xls")
    if not data.startswith(ZIP_MAGICS):
        raise Rejection("not_a_workbook", detail=_sniff(data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise Rejection("damaged", detail=f"zip: {exc}") from None
    with archive:
        _check_members(archive, infos, limits)


def _check_members(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: GuardLimits
) -> None:
    names = {i.filename for i in infos}
    if "mimetype" in names and "content.xml" in names:
        raise Rejection("opendocument")
    if len(infos) > limits.max_zip_members:
        raise Rejection("zip_bomb", detail=phrase("workbook.detail.parts", len(infos)))
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise Rejection("encrypted")
        if info.file_size > limits.max_member_bytes:
            size = human_size(info.file_size)
            raise Rejection(
                "zip_bomb", detail=phrase("workbook.detail.member", member=info.filename, size=size)
            )
        if info.file_size > RATIO_FLOOR_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                detail = phrase("workbook.detail.ratio", member=info.filename, ratio=Num(ratio, 0))
                raise Rejection("zip_bomb", detail=detail)
        total += info.file_size
    if total > limits.max_total_uncompressed_bytes:
        raise Rejection("zip_bomb", detail=phrase("workbook.detail.total", size=human_size(total)))
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise Rejection("not_a_workbook", detail=phrase("workbook.detail.word"))
        if "ppt/presentation.xml" in names:
            raise Rejection("not_a_workbook", detail=phrase("workbook.detail.powerpoint"))
        raise Rejection("not_a_workbook", detail=phrase("workbook.detail.zip"))
    if any(MACRO_MEMBERS.search(n) for n in names):
        raise Rejection("macro_enabled")
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")):
            continue
        try:
            # Sizes are bounded above, so reading every XML part costs at most the total limit.
            body = archive.read(info)
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
        ) as exc:
            raise Rejection("damaged", detail=f"{info.filename}: {exc}") from None
        except RuntimeError as exc:  # zipfile raises RuntimeError for encrypted members
            raise Rejection("encrypted") from exc
        if info.filename == "[Content_Types].xml" and MACRO_CONTENT_TYPE in body:
            raise Rejection("macro_enabled")
        if DTD.search(body):
            raise Rejection("xml_entities", member=info.filename)


def _sniff(data: bytes) -> str | Phrase:
    """What a file that is not a zip archive seems to be (format names are not translated)."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf"):
        return "PDF"
    if head.startswith((b"<html", b"<!doctype html")):
        return "HTML"
    if head.startswith(b"<?xml"):
        return "XML"
    if b"\x00" not in head:
        return phrase("workbook.detail.text")
    return phrase("workbook.detail.unknown")
