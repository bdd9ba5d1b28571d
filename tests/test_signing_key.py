"""The signing key: created once and whole, never used empty, short or unread."""

from __future__ import annotations

import errno
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.main import app
from pvpp.settings import MIN_KEY_BYTES, SECRET_KEY_FILE, KeyRefused, Settings
from tests.conftest import settings_for

runner = CliRunner()


def settings(data_dir: Path, **values: Any) -> Settings:
    """Settings on ``data_dir`` with the key file there (or ``values``' key)."""
    return settings_for(data_dir, **{"secret_key": None, **values})


@pytest.mark.parametrize("content", [b"", b"\n", b"abc123\n", b"x" * (MIN_KEY_BYTES - 1)])
def test_an_empty_or_short_key_file_is_refused(tmp_path: Path, content: bytes) -> None:
    tmp_path.joinpath(SECRET_KEY_FILE).write_bytes(content)
    with pytest.raises(KeyRefused, match="delete it") as refused:
        settings(tmp_path).signing_key()
    assert "PVPP_SECRET_KEY" in refused.value.message
    assert str(tmp_path / SECRET_KEY_FILE) in refused.value.message
    # Refused, never replaced: workbooks signed with it are not silently invalidated.
    assert tmp_path.joinpath(SECRET_KEY_FILE).read_bytes() == content


def test_an_unreadable_key_file_is_refused(tmp_path: Path) -> None:
    tmp_path.joinpath(SECRET_KEY_FILE).mkdir()
    with pytest.raises(KeyRefused, match="cannot be read"):
        settings(tmp_path).signing_key()


def test_a_short_environment_key_is_refused(tmp_path: Path) -> None:
    for short in ("", "from-env", " " * 40, "k" * (MIN_KEY_BYTES - 1)):
        with pytest.raises(KeyRefused, match=f"at least {MIN_KEY_BYTES} characters"):
            settings(tmp_path, secret_key=short).signing_key()
    long = "k" * MIN_KEY_BYTES
    assert settings(tmp_path, secret_key=long).signing_key() == long.encode()
    assert not tmp_path.joinpath(SECRET_KEY_FILE).exists()


def test_the_command_line_says_what_to_do(tmp_path: Path) -> None:
    tmp_path.joinpath(SECRET_KEY_FILE).write_bytes(b"")
    root = App.build(settings(tmp_path))
    try:
        result = runner.invoke(
            app,
            ["workbook", "new", "--institution", "VID", "--name", "VID", "--round", "2026-K1",
             "--out", str(tmp_path / "out.xlsx")],
            obj=root,
        )  # fmt: skip
    finally:
        root.close()
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "error:" in result.output and "delete it" in result.output
    assert not tmp_path.joinpath("out.xlsx").exists()


def test_a_failed_write_leaves_no_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> FullDisk:
        return FullDisk(real_fdopen(fd, *args, **kwargs))

    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(KeyRefused, match="No space left on device"):
        settings(tmp_path).signing_key()
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    # Once the disk has room again, the key is made as usual.
    assert len(settings(tmp_path).signing_key()) == 64


def _start_many(folders: list[Path], barrier: Any, out: Any) -> None:
    """A process starting once per folder, at the same moment as the others."""
    keys = []
    for folder in folders:
        barrier.wait()
        try:
            keys.append(settings(folder).signing_key().decode())
        except Exception as exc:
            keys.append(f"error: {exc!r}")
    out.put(keys)


def test_processes_starting_at_once_read_one_whole_key(tmp_path: Path) -> None:
    processes, starts = 4, 150
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    folders = [tmp_path / f"data{i}" for i in range(starts)]
    workers = [ctx.Process(target=_start_many, args=(folders, barrier, out)) for _ in range(4)]
    for w in workers:
        w.start()
    seen = [out.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    for i, folder in enumerate(folders):
        keys = {run[i] for run in seen}
        on_disk = folder.joinpath(SECRET_KEY_FILE).read_text()
        assert keys == {on_disk}, f"start {i}: {keys}"
        assert len(on_disk) == 64
        assert sorted(p.name for p in folder.iterdir()) == [SECRET_KEY_FILE]
