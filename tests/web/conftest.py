"""A portal on SQLite for the web tests: two institutions with teams, plans and plan
emails (A = VID, B = LAD), the app on a fixed clock, and helpers to sign in as each of
A's people through the real sign-in pages."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from pvpp import signin
from pvpp.app import App
from pvpp.approvals import token_from_message
from pvpp.clock import FixedClock
from pvpp.mail.compose import queue_plan
from pvpp.planning.library import load_common
from pvpp.plans import context, latest_plan
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.rounds import create_round
from pvpp.settings import Settings
from pvpp.store.models import Assignment, Institution, Round, id_of
from pvpp.teams import add_member
from pvpp.web import create_app
from tests.conftest import make_root, require_program, settings_for
from tests.rounds import run_round

ROUND = "2026-K1"
A, B = "VID", "LAD"
NAMES = {A: "Valsts ieņēmumu dienests", B: "Lauku atbalsta dienests"}
SENT_ON = date(2026, 4, 1)
TODAY = date(2026, 4, 2)
PUBLIC = "http://testserver"
CSRF = re.compile(r'name="csrf" value="([^"]*)"')
ROLES = ("team", "lead", "head")


def team_of(code: str) -> dict[str, tuple[str, str, bool]]:
    """Role → (name, address, is lead) of the team members the tests give ``code``."""
    low = code.lower()
    return {
        "lead": (f"Anna Liepa {code}", f"anna.liepa@{low}.example.org", True),
        "team": (f"Jānis Ozols {code}", f"janis.ozols@{low}.example.org", False),
    }


def _teams(s: Session) -> None:
    common = load_common("pvpp2027-v1")
    for code in (A, B):
        for name, email, lead in team_of(code).values():
            add_member(
                s, common, institution=code, name=name, email=email,
                roles=["team_lead"] if lead else ["it_manager"], lead=lead,
            )  # fmt: skip


@dataclass
class World:
    """The two institutions as the tests see them."""

    root: App
    clock: FixedClock
    client: TestClient
    plan_ids: dict[str, int] = field(default_factory=dict)
    approval_tokens: dict[str, str] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)  # code → head's address
    csrf: str = ""

    def person(self, code: str, role: str) -> signin.Person:
        """The person of ``code`` in ``role``."""
        email = self.heads[code] if role == "head" else team_of(code)[role][1]
        with self.root.db.reading() as s:
            people = signin.people_with_email(s, email)
        return next(p for p in people if p.institution_code == code and p.role == role)

    def issue(self, code: str, role: str) -> str:
        """A sign-in token for ``code``'s ``role``, issued through the service."""
        person = self.person(code, role)
        with self.root.db.unit_of_work() as s:
            issued = signin.issue(
                s, person, now=self.clock.now(), settings=self.root.settings, actor="test"
            )
        return issued.token

    def sign_in(self, code: str, role: str, client: TestClient | None = None) -> TestClient:
        """Sign ``client`` (default: the world's) in as ``code``'s ``role`` through the
        link's pages; returns the client."""
        return self.sign_in_with(self.issue(code, role), client)

    def sign_in_with(self, token: str, client: TestClient | None = None) -> TestClient:
        """Sign in with a link's ``token`` (one from an email) through its pages."""
        client = client or self.client
        page = client.get(f"/signin/{token}")
        assert page.status_code == 200, page.text
        answer = client.post(
            f"/signin/{token}", data={"csrf": csrf_of(page.text)}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        return client

    def token(self, client: TestClient | None = None) -> str:
        """The CSRF token of ``client``'s forms now (from a page it can see)."""
        client = client or self.client
        return csrf_of(client.get("/signin").text)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "the page has a form with its CSRF token"
    return found.group(1)


def web_settings(tmp_path: Path, **values: object) -> Settings:
    base: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'store.db'}",
        "public_url": PUBLIC,
        "cookie_secure": False,
    }
    return settings_for(tmp_path / "var", **{**base, **values})


@contextmanager
def built_world(
    tmp_path: Path, spec: QuestionnaireSpec, public_url: str = PUBLIC,
    database_url: str | None = None,
) -> Iterator[World]:  # fmt: skip
    """A and B with teams, assessed and planned, their plan emails queued on SENT_ON; the
    portal (links pointing to ``public_url``) on TODAY; on SQLite, or on the database of
    ``database_url``."""
    clock = FixedClock(SENT_ON)
    chosen = {"database_url": database_url} if database_url else {}
    root = make_root(web_settings(tmp_path, public_url=public_url, **chosen), clock)
    root.db.upgrade()
    try:
        run_round(
            root, spec, tmp_path / "books", [(A, NAMES[A]), (B, NAMES[B])], plans=True,
            before_round=_teams,
        )  # fmt: skip
        w = World(root, clock, TestClient(create_app(root), base_url=PUBLIC))
        with root.db.unit_of_work() as s:
            for code in (A, B):
                message, _ = queue_plan(
                    s, round_code=ROUND, institution=code, plan_version=1,
                    pdf=b"%PDF-1.7 plan of " + code.encode(), today=SENT_ON,
                    settings=root.settings,
                )  # fmt: skip
                w.approval_tokens[code] = token_from_message(message)
                plan = latest_plan(s, context(s, ROUND, code).assignment)
                assert plan is not None
                w.plan_ids[code] = id_of(plan)
                inst = s.exec(select(Institution).where(Institution.code == code)).one()
                w.heads[code] = inst.head_email
        clock.day = TODAY
        with w.client:
            yield w
    finally:
        root.close()


@pytest.fixture
def world(tmp_path: Path, spec: QuestionnaireSpec) -> Iterator[World]:
    """The two institutions and the portal, on SQLite (see :func:`built_world`)."""
    with built_world(tmp_path, spec) as w:
        yield w


@pytest.fixture
def served(tmp_path: Path, spec: QuestionnaireSpec) -> Iterator[tuple[World, str]]:
    """The two institutions, and the app served by uvicorn on 127.0.0.1 (for a real
    browser): the world and the app's address."""
    from tests.web.browser import free_port, serving

    port = free_port()
    with (
        built_world(tmp_path, spec, public_url=f"http://127.0.0.1:{port}") as world,
        serving(create_app(world.root), port) as base,
    ):
        yield world, base


@pytest.fixture
def chromium() -> str:
    """The browser's path for Playwright (``PVPP_CHROMIUM``, default Debian's
    /usr/bin/chromium): skipped without it, failing under CI; asked before anything is
    built."""
    from tests.web.browser import CHROMIUM_VAR

    return require_program(os.environ.get(CHROMIUM_VAR, "/usr/bin/chromium"))


#: The second round the questionnaire's tests fill (A and B are planned in ROUND).
K2 = "2026-K2"


def open_second_round(world: World, version: str) -> World:
    """Round 2026-K2 on questionnaire ``version``, inviting A and B."""
    with world.root.db.unit_of_work() as s:
        create_round(
            s, code=K2, opens_on=date(2026, 4, 1), due_on=date(2026, 6, 30),
            questionnaire_version=version, institutions=[A, B],
        )  # fmt: skip
    return world


@pytest.fixture
def qworld(tmp_path: Path, spec: QuestionnaireSpec) -> Iterator[World]:
    """The web tests' world (SQLite) with round 2026-K2 inviting A and B."""
    with built_world(tmp_path, spec) as w:
        yield open_second_round(w, spec.id)


def assignment_id(world: World, code: str, round_code: str = K2) -> int:
    """The id of ``code``'s assignment in ``round_code``."""
    with world.root.db.reading() as s:
        row = s.exec(
            select(Assignment)
            .join(Round, col(Round.id) == col(Assignment.round_id))
            .join(Institution, col(Institution.id) == col(Assignment.institution_id))
            .where(Round.code == round_code, Institution.code == code)
        ).one()
        return id_of(row)


def client_of(world: World, role: str, code: str = A) -> TestClient:
    """A new browser signed in as ``code``'s ``role``."""
    return world.sign_in(code, role, TestClient(create_app(world.root), base_url=PUBLIC))


#: A day after the plan's first half-year, when its first measures are due.
AFTER_FIRST_PERIOD = date(2026, 7, 15)


def approved_and_later(world: World) -> None:
    """A's head approves version 1 from the plan page; then the clock moves past the
    first half-year."""
    head = world.sign_in(A, "head")
    plan = world.plan_ids[A]
    page = head.get(f"/plans/{plan}")
    answer = head.post(
        f"/plans/{plan}/decision", data={"csrf": csrf_of(page.text), "decision": "approve"}
    )
    assert answer.status_code == 200
    world.clock.day = AFTER_FIRST_PERIOD
