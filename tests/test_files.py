"""Reading files people hand in: regular files only, bounded, never blocking."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pvpp.files import FileRefused, is_regular_file, read_given


def test_reads_a_regular_file(tmp_path: Path) -> None:
    f = tmp_path / "a.xlsx"
    f.write_bytes(b"abc")
    assert read_given(f, limit=3) == b"abc"
    assert is_regular_file(f)


def test_refuses_a_symlink_to_another_file(tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    target.write_bytes(b"not yours")
    link = tmp_path / "x.xlsx"
    link.symlink_to(target)
    with pytest.raises(FileRefused, match="symbolic link"):
        read_given(link, limit=100)
    assert not is_regular_file(link)


def test_refuses_a_folder_and_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="folder"):
        read_given(tmp_path, limit=100)
    with pytest.raises(FileRefused, match="no such file"):
        read_given(tmp_path / "none.xlsx", limit=100)


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "p.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(FileRefused, match="not a regular file"):
        read_given(fifo, limit=100)


def test_a_device_is_refused() -> None:
    with pytest.raises(FileRefused, match="not a regular file"):
        read_given(Path("/dev/zero"), limit=100)


def test_size_is_judged_before_reading(tmp_path: Path) -> None:
    sparse = tmp_path / "big.xlsx"
    with sparse.open("wb") as fh:
        fh.truncate(1 << 30)  # 1 GiB, sparse: reading it whole would take 1 GiB of memory
    with pytest.raises(FileRefused, match="too large"):
        read_given(sparse, limit=5 * 1024 * 1024)


def test_shown_name_is_valid_text_and_says_what_the_name_is() -> None:
    from pvpp.files import shown_name

    not_utf8 = os.fsdecode(b"0-\xff\xfe.xlsx")
    assert shown_name(not_utf8) == "0-\\xff\\xfe.xlsx"
    assert shown_name(Path("/drop") / not_utf8) == "/drop/0-\\xff\\xfe.xlsx"
    assert shown_name(b"a\xffb") == "a\\xffb"
    assert shown_name("tab\there\x1b[2J\u202egpj.exe") == "tab\\x09here\\x1b[2J\\u202egpj.exe"
    assert shown_name("\ud800") == "\\ud800"  # a surrogate no file name decodes to
    for name in ("Pārskats ģērbonis.xlsx", "0-\\xff.xlsx"):
        assert shown_name(name) == name  # nothing to escape: unchanged, so applied twice too
    for name in (not_utf8, "\ud800", "x\x00y"):
        shown_name(name).encode("utf-8")  # never raises
