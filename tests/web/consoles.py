"""Console accounts for the web tests, and signing a client in to the console through its
real pages (address and password, then a TOTP code computed with pyotp on the app's
clock)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pyotp
from httpx import Response
from starlette.testclient import TestClient

from pvpp.accounts import account_by_email, add_account, totp_of
from pvpp.web import create_app
from tests.web.conftest import PUBLIC, World, csrf_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORD = "zaļš kalns mazs ezers"
#: One account per console role.
ACCOUNTS = {
    "coordinator": ("ilze.berzina@varam.gov.lv", "Ilze Bērziņa"),
    "reviewer": ("peteris.kalnins@varam.gov.lv", "Pēteris Kalniņš"),
    "analyst": ("marta.ozola@varam.gov.lv", "Marta Ozola"),
}


def add_console_account(world: World, role: str, email: str | None = None) -> str:
    """A console account of ``role`` (the role's address unless ``email``); its TOTP
    secret."""
    address, name = ACCOUNTS[role]
    with world.root.db.unit_of_work() as s:
        made = add_account(
            s, email=email or address, name=name, role=role, password=PASSWORD,
            key=world.root.settings.signing_key(), now=world.clock.now(), actor="test",
        )  # fmt: skip
    return made.secret


def code_now(world: World, secret: str, steps: int = 0) -> str:
    """The account's code at the app's clock (``steps`` of 30 seconds on)."""
    return pyotp.TOTP(secret).at(world.clock.now() + timedelta(seconds=30 * steps))


def new_client(world: World) -> TestClient:
    """A new browser on the world's app."""
    return TestClient(create_app(world.root), base_url=PUBLIC)


def post_password(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    """The first step's form posted (with the form's CSRF token)."""
    page = client.get("/console/signin")
    return client.post(
        "/console/signin", data={"csrf": csrf_of(page.text), "email": email,
                                 "password": password}, follow_redirects=False,
    )  # fmt: skip


def post_code(client: TestClient, code: str) -> Response:
    """The second step's form posted."""
    page = client.get("/console/signin/code")
    return client.post("/console/signin/code", data={"csrf": csrf_of(page.text), "code": code},
                       follow_redirects=False)  # fmt: skip


def console_sign_in(world: World, role: str, client: TestClient | None = None) -> TestClient:
    """A browser signed in to the console as ``role`` (its account made when missing)."""
    client = client or new_client(world)
    email = ACCOUNTS[role][0]
    with world.root.db.reading() as s:
        found = account_by_email(s, email)
        secret = (
            totp_of(found, world.root.settings.signing_key()).secret if found is not None else None
        )
    if secret is None:
        secret = add_console_account(world, role)
    answer = post_password(client, email)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/signin/code"
    # A code of a step not used before for this account: one step on each time.
    world.clock.advance(timedelta(seconds=30))
    answer = post_code(client, code_now(world, secret))
    assert answer.status_code == 303, answer.text
    return client


def sign_in_page(page: Page, base: str, world: World, email: str, secret: str) -> None:
    """A real browser's page signed in to the console at ``base``: the address and
    :data:`PASSWORD`, then the account's code of a step not used before (the world's clock
    moved on by one)."""
    page.goto(f"{base}/console/signin")
    page.get_by_label("E-pasta adrese").fill(email)
    page.get_by_label("Parole").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Turpināt").click()
    world.clock.advance(timedelta(seconds=30))
    page.get_by_label("Sešu ciparu kods").fill(code_now(world, secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Pieteikties").click()
