"""Shared fixtures: isolated settings, the shipped questionnaire, built and filled workbooks."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pvpp.questionnaire import QuestionnaireSpec, load_questionnaire
from pvpp.settings import Settings, get_settings
from pvpp.store import db
from pvpp.synthetic import synthetic_answers
from pvpp.workbook.build import build_workbook
from pvpp.workbook.fill import cell_values, fill_workbook
from tests.pg import PostgresServer, find_bindir

TEST_KEY = "test-signing-key-0123456789abcdef"
INSTITUTION = "VID"
INSTITUTION_NAME = "Valsts ieņēmumu dienests"
ROUND = "2026-K1"

# CI sets this so that a test needing a missing program fails instead of skipping.
REQUIRE_PROGRAMS_VAR = "PVPP_REQUIRE_PROGRAMS"


def require_program(name: str) -> str:
    """Path of program ``name``; skip the test when it is missing, or fail under CI."""
    path = shutil.which(name)
    if path:
        return path
    reason = f"{name} is not installed (Debian: see .ci/run)"
    if os.environ.get(REQUIRE_PROGRAMS_VAR) == "1":
        pytest.fail(f"{reason}; {REQUIRE_PROGRAMS_VAR}=1 makes this a failure")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Every test gets its own data folder, a fixed signing key, and one worker process:
    the test run already uses every core, and tests/test_parallel.py covers the pools."""
    monkeypatch.setenv("PVPP_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PVPP_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("PVPP_WORKERS", "1")
    monkeypatch.delenv("PVPP_LANGUAGE", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def prefect() -> Iterator[None]:
    """One Prefect test server per test process, for tests that run flows in-process.

    Prefect binds its log handlers to the stderr of the moment it is first imported, and
    its server logs when it stops. Started and stopped here, both happen under pytest's
    capture; a flow first run inside a CLI runner would bind them to the runner's stream,
    closed after each command, and the server's stop at exit would log a logging error.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # Each flow run waits for its heartbeat thread at exit (about 1 s); tests turn it off,
    # as Prefect's own test suite does.
    with prefect_test_harness(), temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server per test process."""
    bindir = find_bindir()
    if bindir is None:
        require_program("initdb")
    assert bindir is not None
    server = PostgresServer(bindir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An empty, migrated store on SQLite and on PostgreSQL; yields the backend name."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres").new_database()
    monkeypatch.setenv("PVPP_DATABASE_URL", url)
    get_settings.cache_clear()
    db.upgrade()
    yield request.param
    db.dispose_engines()


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A SQLite store without any schema."""
    monkeypatch.setenv("PVPP_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    yield
    db.dispose_engines()


@pytest.fixture(scope="session")
def spec() -> QuestionnaireSpec:
    return load_questionnaire("pvpp2027-q1")


def _build(spec: QuestionnaireSpec, lang: str = "lv", **kw: Any) -> bytes:
    return build_workbook(
        spec,
        institution_code=kw.get("institution", INSTITUTION),
        institution_name=kw.get("name", INSTITUTION_NAME),
        round_code=kw.get("round_code", ROUND),
        lang=lang,  # type: ignore[arg-type]
        key=kw.get("key", TEST_KEY.encode()),
    )


@pytest.fixture(scope="session")
def blank_lv(spec: QuestionnaireSpec) -> bytes:
    return _build(spec, "lv")


@pytest.fixture(scope="session")
def blank_en(spec: QuestionnaireSpec) -> bytes:
    return _build(spec, "en")


@pytest.fixture(scope="session")
def build() -> Callable[..., bytes]:
    """Build a workbook with overrides: ``build(spec, lang, institution=…, key=…)``."""
    return _build


@pytest.fixture(scope="session")
def answers(spec: QuestionnaireSpec) -> dict[str, Any]:
    """A complete, valid answer set (parsed values)."""
    return synthetic_answers(spec, "average", seed=7)


@pytest.fixture(scope="session")
def filled_lv(spec: QuestionnaireSpec, blank_lv: bytes, answers: dict[str, Any]) -> bytes:
    return fill_workbook(blank_lv, cell_values(spec, answers, "lv"))


@pytest.fixture(scope="session")
def fill(spec: QuestionnaireSpec, blank_lv: bytes, answers: dict[str, Any]) -> Callable[..., bytes]:
    """Fill the Latvian workbook with the valid answers changed by ``overrides`` (cell values;
    ``None`` clears a cell)."""

    def _fill(overrides: dict[str, Any] | None = None, base: bytes | None = None) -> bytes:
        cells = cell_values(spec, answers, "lv")
        for key, value in (overrides or {}).items():
            if value is None:
                cells.pop(key, None)
            else:
                cells[key] = value
        return fill_workbook(base or blank_lv, cells)

    return _fill
