"""Helpers that break workbooks on purpose, mostly by rewriting zip members.

Rewriting members costs milliseconds, so the file-level corpus stays fast; cell values are
changed through :func:`pvpp.workbook.fill.fill_workbook` instead, as a person would.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping
from xml.sax.saxutils import escape

CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

BILLION_LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
)
EXTERNAL_ENTITY = b'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'

Edit = Callable[[bytes], bytes]


def zip_of(files: Mapping[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive holding ``files`` (name → content), in the given order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, body in files.items():
            zf.writestr(name, body)
    return out.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    """Every member of the zip ``data``, in archive order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def rezip(
    data: bytes,
    *,
    edit: Mapping[str, Edit] | None = None,
    drop: tuple[str, ...] = (),
    add: Mapping[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """``data`` with members edited, dropped or added (added ones go last)."""
    files = members(data)
    for name, fn in (edit or {}).items():
        files[name] = fn(files[name])
    for name in drop:
        del files[name]
    files.update(add or {})
    return zip_of(files, compression)


def replace(old: bytes | str, new: bytes | str, count: int = 1) -> Edit:
    """An edit replacing ``old`` by ``new``; fails loudly if ``old`` is not there."""
    old_b = old.encode() if isinstance(old, str) else old
    new_b = new.encode() if isinstance(new, str) else new

    def _edit(body: bytes) -> bytes:
        assert old_b in body, f"{old_b[:80]!r} not found"
        return body.replace(old_b, new_b, count)

    return _edit


def resub(pattern: bytes | str, new: bytes | str) -> Edit:
    """An edit substituting a regular expression once; fails loudly when it does not match."""
    pat = pattern.encode() if isinstance(pattern, str) else pattern
    rep = new.encode() if isinstance(new, str) else new

    def _edit(body: bytes) -> bytes:
        result, n = re.subn(pat, lambda _m: rep, body, count=1)
        assert n == 1, f"{pat!r} did not match"
        return result

    return _edit


def with_dtd(dtd: bytes = BILLION_LAUGHS) -> Edit:
    """An edit putting a DTD before the root element (after any XML declaration)."""

    def _edit(body: bytes) -> bytes:
        if body.startswith(b"<?xml"):
            end = body.index(b"?>") + 2
            return body[:end] + dtd + body[end:]
        return dtd + body

    return _edit


# -- the hidden metadata sheet -----------------------------------------------------------


def meta_member(data: bytes) -> str:
    """The worksheet part holding the hidden metadata sheet."""
    for name, body in members(data).items():
        if name.startswith("xl/worksheets/") and b"<t>pvpp-workbook</t>" in body:
            return name
    raise AssertionError("no metadata sheet part")


def set_meta(data: bytes, key: str, value: str | None) -> bytes:
    """``data`` with the metadata value of ``key`` replaced (``None`` empties the cell)."""
    pattern = (
        rf'(<t>{re.escape(key)}</t></is></c><c r="B\d+"[^>]*>)<is><t>[^<]*</t></is>(</c>)'
    ).encode()
    new = b"" if value is None else f"<is><t>{escape(value)}</t></is>".encode()

    def _edit(body: bytes) -> bytes:
        result, n = re.subn(pattern, lambda m: m.group(1) + new + m.group(2), body, count=1)
        assert n == 1, f"metadata key {key!r} not found"
        return result

    return rezip(data, edit={meta_member(data): _edit})


# -- workbook.xml: sheets and defined names ------------------------------------------------


def _sheet_element(title: str) -> str:
    return rf'<sheet name="{re.escape(escape(title))}"[^>]*/>'


def drop_sheet(data: bytes, title: str) -> bytes:
    """``data`` without the sheet ``title`` in the workbook's sheet list."""
    return rezip(data, edit={"xl/workbook.xml": resub(_sheet_element(title), "")})


def rename_sheet(data: bytes, title: str, new_title: str) -> bytes:
    old = f'<sheet name="{escape(title)}"'
    return rezip(data, edit={"xl/workbook.xml": replace(old, f'<sheet name="{escape(new_title)}"')})


def rename_sheets(data: bytes, renames: Mapping[str, str]) -> bytes:
    edits = [
        replace(f'<sheet name="{escape(old)}"', f'<sheet name="{escape(new)}"')
        for old, new in renames.items()
    ]

    def _edit(body: bytes) -> bytes:
        for fn in edits:
            body = fn(body)
        return body

    return rezip(data, edit={"xl/workbook.xml": _edit})


def _name_element(name: str) -> str:
    return rf'<definedName name="{re.escape(name)}">[^<]*</definedName>'


def set_name(data: bytes, name: str, ref: str | None, *, local_sheet: int | None = None) -> bytes:
    """``data`` with defined name ``name`` pointing at ``ref`` (``None`` deletes the name);
    ``local_sheet`` scopes it to one sheet instead of the workbook."""
    if ref is None:
        new = ""
    else:
        scope = "" if local_sheet is None else f' localSheetId="{local_sheet}"'
        new = f'<definedName name="{name}"{scope}>{escape(ref)}</definedName>'
    return rezip(data, edit={"xl/workbook.xml": resub(_name_element(name), new)})


# -- raw zip surgery -----------------------------------------------------------------------


def flag_encrypted(data: bytes, member: str) -> bytes:
    """``data`` with the "encrypted" flag bit set on ``member`` (local and central headers)."""
    buf = bytearray(data)
    pos = buf.find(b"PK\x01\x02")
    while pos != -1:
        name_len = int.from_bytes(buf[pos + 28 : pos + 30], "little")
        name = bytes(buf[pos + 46 : pos + 46 + name_len]).decode("utf-8")
        if name == member:
            for flag_at in (pos + 8, int.from_bytes(buf[pos + 42 : pos + 46], "little") + 6):
                flags = int.from_bytes(buf[flag_at : flag_at + 2], "little") | 0x1
                buf[flag_at : flag_at + 2] = flags.to_bytes(2, "little")
            return bytes(buf)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(f"{member} not in the archive")


def cfb(*streams: str, size: int = 4096) -> bytes:
    """A compound-file (OLE2) shaped blob naming ``streams`` in its directory."""
    body = CFB_MAGIC + b"\x00" * 504
    for stream in streams:
        body += stream.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64
    return body.ljust(size, b"\x00")
