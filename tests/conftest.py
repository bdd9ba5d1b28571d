"""Shared fixtures: each test's settings and composition root, the shipped questionnaire,
built and filled workbooks.

A test gets its own :class:`Settings` (a temporary data folder, a fixed signing key, one
worker process) and an :class:`App` built from it (``root``); nothing is configured through
``os.environ``. A test that needs other settings builds them with :func:`settings_for` and
a root with :func:`make_root`; a store on SQLite and PostgreSQL comes with ``store``, a
store without schema with ``empty_store``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.demo.synthetic import synthetic_answers
from pvpp.app import App
from pvpp.clock import Clock
from pvpp.questionnaire import QuestionnaireSpec, load_questionnaire
from pvpp.settings import Settings
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


def settings_for(data_dir: Path, **values: Any) -> Settings:
    """Settings for a test: ``data_dir``, the test key, one worker process, Latvian, and
    ``values``; no ``.env`` file is read. One worker: the test run already uses every core,
    and tests/test_parallel.py covers the pools."""
    base: dict[str, Any] = {
        "data_dir": data_dir,
        "secret_key": TEST_KEY,
        "workers": 1,
        "language": "lv",
    }
    return Settings(_env_file=None, **{**base, **values})  # type: ignore[call-arg]


def make_root(settings: Settings, clock: Clock | None = None) -> App:
    """A root for ``settings`` (the caller closes it)."""
    return App.build(settings, clock=clock)


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """This test's settings; with ``store`` or ``empty_store``, on that database."""
    url = None
    if "store" in request.fixturenames:
        if request.getfixturevalue("backend") == "sqlite":
            url = f"sqlite:///{tmp_path / 'store.db'}"
        else:
            url = request.getfixturevalue("postgres").new_database()
    elif "empty_store" in request.fixturenames:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    return settings_for(tmp_path / "var", database_url=url)


@pytest.fixture
def root(settings: Settings) -> Iterator[App]:
    """This test's composition root, built from ``settings``."""
    app = make_root(settings)
    try:
        yield app
    finally:
        app.close()


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
def backend(request: pytest.FixtureRequest) -> str:
    """The database ``store`` runs on."""
    return request.param


@pytest.fixture
def store(backend: str, root: App) -> str:
    """An empty, migrated store on SQLite and on PostgreSQL (the root's database); returns
    the backend name."""
    root.db.upgrade()
    return backend


@pytest.fixture
def empty_store(root: App) -> None:
    """A SQLite store without any schema (the root's database)."""


@pytest.fixture(scope="session")
def spec() -> QuestionnaireSpec:
    """Questionnaire version 1, pinned: the rounds created before version 2 keep it, so
    the services' tests that create rounds themselves name it (``spec.id``) and show it
    still works. Tests of what a new round gets use ``spec_q2``."""
    return load_questionnaire("pvpp2027-q1")


@pytest.fixture(scope="session")
def spec_q2() -> QuestionnaireSpec:
    """Questionnaire version 2, the default of new rounds (``default_questionnaire``):
    double-barrelled questions asked in parts."""
    return load_questionnaire("pvpp2027-q2")


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


def filler(spec: QuestionnaireSpec, blank: bytes, answers: dict[str, Any]) -> Callable[..., bytes]:
    """A ``fill(overrides, base)`` for ``spec``: the Latvian workbook ``blank`` (or ``base``)
    filled with ``answers`` changed by ``overrides`` (cell values; ``None`` clears a cell)."""

    def _fill(overrides: dict[str, Any] | None = None, base: bytes | None = None) -> bytes:
        cells = cell_values(spec, answers, "lv")
        for key, value in (overrides or {}).items():
            if value is None:
                cells.pop(key, None)
            else:
                cells[key] = value
        return fill_workbook(base or blank, cells)

    return _fill


@pytest.fixture(scope="session")
def fill(spec: QuestionnaireSpec, blank_lv: bytes, answers: dict[str, Any]) -> Callable[..., bytes]:
    """Fill the Latvian version 1 workbook (see :func:`filler`)."""
    return filler(spec, blank_lv, answers)


@pytest.fixture(scope="session")
def fill_q2(spec_q2: QuestionnaireSpec) -> Callable[..., bytes]:
    """Fill a Latvian version 2 workbook (see :func:`filler`)."""
    answers = synthetic_answers(spec_q2, "average", seed=7)
    return filler(spec_q2, _build(spec_q2, "lv"), answers)
