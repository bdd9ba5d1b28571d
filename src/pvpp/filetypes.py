"""Which kinds of file the portal takes as evidence, told from their content.

A file's kind is decided by its bytes (:func:`sniff`), never by its name or by the
content type a browser sends, both of which the sender chooses: PDF, PNG and JPEG by
their magic bytes; the office formats, which are zip archives, by what the archive
declares inside (Office Open XML by the main part's content type in
``[Content_Types].xml``, OpenDocument by its ``mimetype`` member); text (TXT, CSV) as
UTF-8 without control characters and not beginning as markup. Anything else, a
macro-enabled document, a web page or an SVG image included, is not taken.

A zip archive is only opened as far as its directory and one small member, each checked
for size before a byte of it is read, so a crafted archive costs nothing. Pure: no file
or database is touched; the bytes are given.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from urllib.parse import quote
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = [
    "ALLOWED",
    "FileType",
    "ascii_name",
    "attachment",
    "download_name",
    "labels",
    "sniff",
]


@dataclass(frozen=True)
class FileType:
    """A kind of file taken as evidence: its key, the name people know it by, the media
    type it is served as and the file name endings it has."""

    key: str
    label: str
    media_type: str
    extensions: tuple[str, ...]


PDF = FileType("pdf", "PDF", "application/pdf", (".pdf",))
PNG = FileType("png", "PNG", "image/png", (".png",))
JPEG = FileType("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileType(
    "docx", "DOCX",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",),
)  # fmt: skip
XLSX = FileType(
    "xlsx", "XLSX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",),
)  # fmt: skip
ODT = FileType("odt", "ODT", "application/vnd.oasis.opendocument.text", (".odt",))
ODS = FileType("ods", "ODS", "application/vnd.oasis.opendocument.spreadsheet", (".ods",))
TEXT = FileType("text", "TXT/CSV", "text/plain; charset=utf-8", (".txt", ".csv"))

#: Every kind taken, in the order a message lists them.
ALLOWED: tuple[FileType, ...] = (PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, TEXT)

# The main part's content type of each Office Open XML kind taken (the macro-enabled
# ones, application/vnd.ms-word.document.macroEnabled… and the like, are not).
_OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
_ODF = {ODT.media_type: ODT, ODS.media_type: ODS}
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
#: The most members an office file may list, and the largest ``[Content_Types].xml``
#: read: real documents have tens of members and a content-types part of a few KiB.
MAX_MEMBERS = 5000
MAX_TYPES_BYTES = 256 * 1024
# Controls that text files do not hold (tab, line feed, form feed, carriage return do).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def labels() -> str:
    """The kinds taken, as a message names them: ``PDF, DOCX, …, TXT/CSV``."""
    return ", ".join(kind.label for kind in ALLOWED)


def sniff(data: bytes) -> FileType | None:
    """The kind of file ``data`` is, or None when it is none of :data:`ALLOWED`."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return TEXT if _is_text(data) else None


def _office(data: bytes) -> FileType | None:
    """An OpenDocument or Office Open XML file, from what the archive says it holds."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                return None
            by_name = {info.filename: info for info in infos}
            first = infos[0] if infos else None
            # OpenDocument: "mimetype", stored first and uncompressed, names the kind.
            if first is not None and first.filename == "mimetype" and first.file_size <= 100:
                return _ODF.get(archive.read(first).decode("ascii", "replace").strip())
            types = by_name.get("[Content_Types].xml")
            if types is None or types.file_size > MAX_TYPES_BYTES:
                return None
            with archive.open(types) as member:
                xml = member.read(MAX_TYPES_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            RuntimeError, NotImplementedError):  # fmt: skip
        # Damaged, encrypted (RuntimeError) or of a compression zipfile lacks: not taken.
        return None
    if len(xml) > MAX_TYPES_BYTES:
        return None
    return _ooxml(xml)


def _ooxml(xml: bytes) -> FileType | None:
    """The kind named by the main part's content type in ``[Content_Types].xml``."""
    try:
        root = fromstring(xml)
    except (ParseError, DefusedXmlException, ValueError):
        return None
    found = {
        _OOXML[ct]
        for node in root.iter(f"{_CT_NS}Override")
        if (ct := node.get("ContentType", "")) in _OOXML
    }
    macro = any(
        "macroenabled" in node.get("ContentType", "").lower()
        for node in root.iter(f"{_CT_NS}Override")
    )
    return found.pop() if len(found) == 1 and not macro else None


def _is_text(data: bytes) -> bool:
    """UTF-8 text (a byte-order mark allowed) without control characters, that does not
    begin as markup does (HTML, SVG, XML: a text or CSV file never begins with "<", and a
    page is not evidence, even served as plain text)."""
    if not data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return _CONTROL.search(text) is None and not text.lstrip().startswith("<")


# What a download's name may not hold: path separators, controls and format characters
# (a right-to-left override turns "fdp.exe" around), and what Windows refuses.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
MAX_NAME = 150


def download_name(name: str, kind: FileType) -> str:
    """A safe file name to download ``name`` as: no folders, controls, format or quoting
    characters, at most :data:`MAX_NAME` characters, and ending with one of ``kind``'s
    endings (appended when it has none of them), so the file opens as what it is."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(
        "_" if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") else ch for ch in base
    )
    base = _UNSAFE.sub("_", base).strip(" .")
    if not base.lower().endswith(kind.extensions):
        base = f"{base or 'evidence'}{kind.extensions[0]}"
    stem, dot, ending = base.rpartition(".")
    if len(base) > MAX_NAME:
        base = f"{stem[: MAX_NAME - len(ending) - 1]}{dot}{ending}"
    return base


def ascii_name(name: str) -> str:
    """``name`` in ASCII (letters without their marks, anything else ``_``), for the
    ``filename=`` of a Content-Disposition that old clients read."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", name) if unicodedata.category(ch) != "Mn"
    )
    return re.sub(r"[^A-Za-z0-9._ -]", "_", plain) or "evidence"


def attachment(name: str) -> str:
    """The ``Content-Disposition`` of a download named ``name``: an attachment (never shown
    in the browser) with the name in ASCII for old clients (:func:`ascii_name`) and whole,
    percent-encoded UTF-8, for the others (RFC 6266)."""
    return f"attachment; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
