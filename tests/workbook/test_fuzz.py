"""Mutation fuzzing: no damaged workbook escapes the checker as an exception.

Two mutators: raw byte damage to the .xlsx (exercises the zip layer), and damage inside
one XML part of an otherwise valid zip (exercises openpyxl and the checker itself). The
checker's last-resort handler logs "unexpected failure"; a fuzz case that reaches it
fails the test, so every failure must map to a specific message.
"""

from __future__ import annotations

import io
import logging
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvpp.app import App
from pvpp.workbook.check import CheckResult, Status, check_workbook

pytestmark = pytest.mark.slow
FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class _Quiet(bytes):
    """The seed workbook, shown as its size in failure reports rather than 50 KB of bytes."""

    def __repr__(self) -> str:
        return f"<workbook {len(self)} bytes>"


@pytest.fixture
def seed_workbook(filled_lv: bytes) -> bytes:
    return _Quiet(filled_lv)


def _assert_well_formed(result: CheckResult, caplog: pytest.LogCaptureFixture) -> None:
    assert isinstance(result, CheckResult)
    assert result.status in tuple(Status)
    if result.status is Status.REJECTED:
        assert result.problems
        assert result.answers == {}
        for problem in result.problems:
            assert problem.message and problem.code
    unexpected = [r for r in caplog.records if "unexpected failure" in r.getMessage()]
    assert not unexpected, unexpected[0].exc_text
    caplog.clear()


@FUZZ
@given(data=st.data())
def test_byte_mutations(
    seed_workbook: bytes, data: st.DataObject, caplog: pytest.LogCaptureFixture, root: App
) -> None:
    raw = bytearray(seed_workbook)
    for _ in range(data.draw(st.integers(1, 8), label="mutations")):
        op = data.draw(st.sampled_from(["flip", "truncate", "insert", "zero"]), label="op")
        pos = data.draw(st.integers(0, len(raw) - 1), label="pos")
        if op == "flip":
            raw[pos] ^= data.draw(st.integers(1, 255), label="mask")
        elif op == "truncate":
            del raw[pos:]
        elif op == "insert":
            raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=64), label="bytes")
        else:
            raw[pos : pos + 16] = bytes(len(raw[pos : pos + 16]))
        if not raw:
            break
    with caplog.at_level(logging.ERROR):
        result = check_workbook(bytes(raw), settings=root.settings)
    _assert_well_formed(result, caplog)


def _members(blob: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return [(i.filename, archive.read(i)) for i in archive.infolist()]


XML_SNIPPETS = [
    b"<",
    b">",
    b"&",
    b'"',
    b"</row>",
    b'<c r="ZZZ0" t="s"><v>99999</v></c>',
    b"\x00",
    b"<v>-1</v>",
    b't="n"',
    b'<definedName name="Q_K1_D1">x!A0</definedName>',
    b"\xff\xfe",
    b"<f>1/0</f>",
    b'sheetId="0"',
    b'r:id="rId99"',
    b"<sheetData/>",
]


@FUZZ
@given(data=st.data())
def test_xml_part_mutations(
    seed_workbook: bytes, data: st.DataObject, caplog: pytest.LogCaptureFixture, root: App
) -> None:
    members = _members(seed_workbook)
    index = data.draw(st.integers(0, len(members) - 1), label="member")
    name, body = members[index]
    body = bytearray(body)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        pos = data.draw(st.integers(0, max(len(body) - 1, 0)), label="pos")
        op = data.draw(st.sampled_from(["insert", "delete", "replace"]), label="op")
        snippet = data.draw(st.sampled_from(XML_SNIPPETS), label="snippet")
        if op == "insert":
            body[pos:pos] = snippet
        elif op == "delete":
            del body[pos : pos + data.draw(st.integers(1, 200), label="length")]
        else:
            body[pos : pos + len(snippet)] = snippet
    members[index] = (name, bytes(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member_name, member_body in members:
            archive.writestr(member_name, member_body)
    with caplog.at_level(logging.ERROR):
        result = check_workbook(out.getvalue(), settings=root.settings)
    _assert_well_formed(result, caplog)
