"""Evidence files are taken by their content: magic bytes for PDF and images, what the
archive declares for the office formats, UTF-8 without controls for text; the name to
download them as is safe and ends as their kind does."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from pvpp.filetypes import (
    DOCX,
    JPEG,
    MAX_NAME,
    ODS,
    ODT,
    PDF,
    PNG,
    TEXT,
    XLSX,
    FileType,
    ascii_name,
    attachment,
    download_name,
    labels,
    sniff,
)

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO = "application/vnd.ms-word.document.macroEnabled.main+xml"


def _zip(members: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, (name, data) in enumerate(members):
            kind = zipfile.ZIP_STORED if stored_first and n == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return buf.getvalue()


def _content_types(main: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main}"/>'
        "</Types>"
    ).encode()


def _docx(main: str = WORD_MAIN) -> bytes:
    return _zip([("[Content_Types].xml", _content_types(main)), ("word/document.xml", b"<w/>")])


def _xlsx() -> bytes:
    buf = io.BytesIO()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "Rīkojums"
    book.save(buf)
    return buf.getvalue()


def _odf(media_type: str) -> bytes:
    return _zip([("mimetype", media_type.encode()), ("content.xml", b"<office/>")],
                stored_first=True)  # fmt: skip


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", PDF),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", JPEG),
        (_docx(), DOCX),
        (_xlsx(), XLSX),
        (_odf(ODT.media_type), ODT),
        (_odf(ODS.media_type), ODS),
        ("Rīkojums Nr. 12\r\nIzpildīts 2026. gada maijā\t✓\n".encode(), TEXT),
        ("\ufeffnosaukums;summa\nDatu centrs;1 234,50\n".encode(), TEXT),
    ],
)
def test_each_kind_taken_is_told_from_its_content(data: bytes, kind: FileType) -> None:
    assert sniff(data) is kind


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows program
        b"\x7fELF\x02\x01\x01",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"text with a NUL \x00 inside",
        b"\xc4\x81 and then not UTF-8 \xff\xfe",
        _docx(WORD_MACRO),  # a macro-enabled document (.docm)
        _zip([("readme.txt", b"just a zip")]),
        _odf("application/vnd.oasis.opendocument.presentation"),
        b"PK\x03\x04 not a zip at all",
        b"GIF89a\x01\x00",
    ],
)
def test_anything_else_is_not_taken(data: bytes) -> None:
    assert sniff(data) is None


def test_a_name_or_extension_decides_nothing() -> None:
    """The same bytes are the same kind whatever they were called: sniff sees no name."""
    assert sniff(b"%PDF-1.4 named invoice.exe") is PDF
    assert sniff(_docx()) is DOCX


def test_an_archive_declaring_a_huge_content_types_part_is_not_read() -> None:
    huge = _content_types(WORD_MAIN) + b" " * (300 * 1024)
    assert sniff(_zip([("[Content_Types].xml", huge)])) is None


def test_an_entity_in_content_types_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&a;</Types>'
    )
    assert sniff(_zip([("[Content_Types].xml", bomb)])) is None


def test_the_message_names_every_kind_taken() -> None:
    assert labels() == "PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, TXT/CSV"


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Rīkojums Nr. 12.pdf", PDF, "Rīkojums Nr. 12.pdf"),
        ("SKENĒTS.PDF", PDF, "SKENĒTS.PDF"),
        ("../../etc/passwd", TEXT, "passwd.txt"),
        ("C:\\Users\\anna\\Plāns.docx", DOCX, "Plāns.docx"),
        ("lapa.html", TEXT, "lapa.html.txt"),
        ("foto.jpeg", JPEG, "foto.jpeg"),
        ("rēķins\u202efdp.exe", PDF, "rēķins_fdp.exe.pdf"),
        ('a"b<c>|d?.csv', TEXT, "a_b_c__d_.csv"),
        ("", XLSX, "evidence.xlsx"),
        ("...", PNG, "evidence.png"),
    ],
)
def test_the_download_name_is_safe_and_ends_as_its_kind(
    name: str, kind: FileType, expected: str
) -> None:
    assert download_name(name, kind) == expected


def test_a_long_name_is_cut_keeping_its_ending() -> None:
    shown = download_name("x" * 400 + ".pdf", PDF)
    assert len(shown) == MAX_NAME and shown.endswith(".pdf")


def test_the_ascii_name_drops_marks_and_anything_else() -> None:
    assert ascii_name("Rīkojums Nr. 12.pdf") == "Rikojums Nr. 12.pdf"
    assert ascii_name("Отчёт.pdf") == "_____.pdf"
    assert ascii_name("") == "evidence"


def test_an_attachment_names_the_file_in_ascii_and_whole() -> None:
    """One Content-Disposition for every download: the ASCII name for old clients, the
    whole name percent-encoded (a slash or a quote included) for the others."""
    assert attachment("Cikla izpilde 2026-K1.xlsx") == (
        'attachment; filename="Cikla izpilde 2026-K1.xlsx"; '
        "filename*=UTF-8''Cikla%20izpilde%202026-K1.xlsx"
    )
    assert attachment('Rīkojums "1"/2.pdf') == (
        'attachment; filename="Rikojums _1__2.pdf"; '
        "filename*=UTF-8''R%C4%ABkojums%20%221%22%2F2.pdf"
    )
