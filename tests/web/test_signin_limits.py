"""Rate limits of signing in: a sign-in link asked for too often for one address or from
one client sends nothing and is answered as always; unknown links opened too often from
one client get 429 with the time to try again, while everyone else signs in. The counts
are rows in the store, so two apps (two processes) on one store share them, and the
windows move with the root's clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from pvpp import signin
from pvpp.app import App
from pvpp.clock import FixedClock
from pvpp.settings import Settings
from pvpp.store.models import AuditLog, OutboxMessage, SigninAttempt
from pvpp.web import create_app
from tests.conftest import make_root
from tests.web.conftest import NAMES, PUBLIC, A, World, csrf_of, team_of

UNKNOWN_TOKEN = "A" * 43


def _signin_mails(world: World) -> list[str]:
    with world.root.db.reading() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "signin")).all()
        return [m.to_addrs[0]["email"] for m in rows]


def _ask(app: App, email: str, ip: str = "testclient") -> tuple[int, str]:
    """Ask for a link to ``email`` from a new browser at ``ip``; the status and the page
    without its CSRF token (each browser has its own)."""
    client = TestClient(create_app(app), base_url=PUBLIC, client=(ip, 50000))
    answer = client.post("/signin", data={"csrf": csrf_of(client.get("/signin").text),
                                          "email": email})  # fmt: skip
    text = "\n".join(line for line in answer.text.splitlines() if "csrf" not in line)
    return answer.status_code, text.replace(email, "ADDRESS")


def _limited_requests(world: World) -> list[str]:
    with world.root.db.reading() as s:
        rows = s.exec(
            select(AuditLog).where(AuditLog.action == "signin.request").order_by(col(AuditLog.id))
        ).all()
        return [r.detail.get("limited", "") for r in rows]


@contextmanager
def _second_process(world: World) -> Iterator[App]:
    """Another root on the same store, as another web process would build it."""
    other = make_root(world.root.settings, world.clock)
    try:
        yield other
    finally:
        other.close()


def test_over_the_address_limit_no_email_is_queued_and_the_answer_is_identical(
    world: World,
) -> None:
    known = team_of(A)["team"][1]
    first = _ask(world.root, known)
    assert first[0] == 200
    for _ in range(2):  # past the resend pause each time: three links in the hour
        world.clock.advance(timedelta(minutes=11))
        assert _ask(world.root, known) == first
    assert _signin_mails(world) == [known] * 3

    world.clock.advance(timedelta(minutes=11))
    assert _ask(world.root, known.upper()) == first  # the same page, nothing sent
    assert _signin_mails(world) == [known] * 3
    assert _limited_requests(world) == ["", "", "", "address"]
    with world.root.db.reading() as s:
        rows = s.exec(select(SigninAttempt)).all()
        assert all(known not in r.address for r in rows)  # counted by an HMAC, not by name

    # Another address from the same browser's address is not affected.
    head = world.heads[A]
    assert _ask(world.root, head)[0] == 200
    assert _signin_mails(world) == [known] * 3 + [head]


def test_the_window_moves_with_the_roots_clock(world: World) -> None:
    known = team_of(A)["lead"][1]
    for _ in range(3):
        _ask(world.root, known)
        world.clock.advance(timedelta(minutes=11))
    _ask(world.root, known)
    assert _signin_mails(world) == [known] * 3
    # The first request was 33 minutes ago: 27 minutes more and it leaves the hour.
    world.clock.advance(timedelta(minutes=26))
    _ask(world.root, known)
    assert _signin_mails(world) == [known] * 3
    world.clock.advance(timedelta(minutes=1))
    _ask(world.root, known)
    assert _signin_mails(world) == [known] * 4


def test_two_processes_share_the_count_of_a_clients_requests(world: World) -> None:
    limit = world.root.settings.signin_client_per_hour
    with _second_process(world) as other:
        answers = {
            _ask((world.root, other)[n % 2], f"nobody{n}@nowhere.example.org", "192.0.2.7")
            for n in range(limit)
        }
        known = team_of(A)["team"][1]
        assert _ask(other, known, "192.0.2.7") in answers  # over the limit, the same answer
        assert _signin_mails(world) == []
        assert _limited_requests(world)[-1] == "client"
        # Another client, through either process, is not affected.
        _ask(world.root, known, "198.51.100.1")
    assert _signin_mails(world) == [known]


def test_guessing_links_gets_429_with_when_to_try_again_and_others_still_sign_in(
    world: World,
) -> None:
    guesses = world.root.settings.signin_guesses
    guesser = TestClient(create_app(world.root), base_url=PUBLIC, client=("203.0.113.9", 1))
    with _second_process(world) as other:
        other_app = TestClient(create_app(other), base_url=PUBLIC, client=("203.0.113.9", 2))
        for n in range(guesses):
            answer = (guesser, other_app)[n % 2].get(f"/signin/{UNKNOWN_TOKEN[:-2]}{n:02d}")
            assert answer.status_code == 404
            world.clock.advance(timedelta(seconds=10))
        refused = other_app.get(f"/signin/{UNKNOWN_TOKEN}")
    assert refused.status_code == 429
    # The first guess leaves the 15-minute window at 12:15:00; it is now 12:03:20.
    assert refused.headers["Retry-After"] == str(15 * 60 - guesses * 10)
    assert "Pārāk daudz mēģinājumu" in refused.text
    assert "Mēģiniet vēlreiz ne agrāk kā 02.04.2026 12:15" in refused.text
    english = guesser.get(f"/signin/{UNKNOWN_TOKEN}?lang=en")
    assert english.status_code == 429
    assert "Please try again at 2 April 2026 12:15 or later" in english.text

    # A valid link is refused to the guessing client too (else a guess would still tell)...
    token = world.issue(A, "team")
    assert guesser.get(f"/signin/{token}").status_code == 429
    form = {"csrf": csrf_of(guesser.get("/signin").text)}
    assert guesser.post(f"/signin/{token}", data=form).status_code == 429
    # ...but works for everyone else.
    client = world.sign_in_with(token)
    assert NAMES[A] in client.get("/").text

    # When the window has moved on, the client may try again.
    world.clock.advance(timedelta(minutes=15))
    assert guesser.get(f"/signin/{UNKNOWN_TOKEN}").status_code == 404


def test_a_used_or_expired_link_is_not_counted_as_a_guess(world: World) -> None:
    token = world.issue(A, "team")
    world.sign_in_with(token)
    for _ in range(world.root.settings.signin_guesses + 1):
        assert world.client.get(f"/signin/{token}").status_code == 410


# -- the same counts on SQLite and on PostgreSQL, through the service -------------------


NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)


def _roots(settings: Settings) -> tuple[App, App, FixedClock]:
    limited = settings.model_copy(
        update={"signin_address_per_hour": 2, "signin_client_per_hour": 4, "signin_guesses": 3}
    )
    clock = FixedClock(NOW.date())
    return make_root(limited, clock), make_root(limited, clock), clock


@pytest.mark.usefixtures("store")
def test_the_limits_are_counted_in_the_store_by_every_process(settings: Settings) -> None:
    one, two, clock = _roots(settings)
    try:
        where = {"ip": "2001:db8:5:6::1", "user_agent": "test", "via": "web"}

        def ask(root: App, email: str, ip: str = where["ip"]) -> None:
            with root.db.unit_of_work() as s:
                signin.request_links(s, email, now=clock.now(), lang="lv",
                                     settings=root.settings, where={**where, "ip": ip})  # fmt: skip

        ask(one, "x@example.org")
        ask(two, "X@example.org ")
        ask(one, "x@example.org", "2001:db8:5:6::2")  # the same /64: the same client
        ask(two, "y@example.org")
        ask(one, "z@example.org")
        ask(two, "w@example.org")

        def limited() -> list[bool]:
            with one.db.reading() as s:
                rows = s.exec(select(SigninAttempt).order_by(col(SigninAttempt.id))).all()
                return [r.limited for r in rows]

        # x twice, a third x over its address's limit (two); y, z; then w over the
        # client's limit (four allowed in the hour), asked through the other process.
        assert limited() == [False, False, True, False, False, True]

        for root in (one, two, one):
            with pytest.raises(signin.SigninError):
                signin.admit_link(root.db, "nonsense", client_ip="192.0.2.1", now=clock.now(),
                                  lang="en", settings=root.settings)  # fmt: skip
        with pytest.raises(signin.SigninLimited) as refused:
            signin.admit_link(two.db, UNKNOWN_TOKEN, client_ip="192.0.2.1", now=clock.now(),
                              lang="en", settings=two.settings)  # fmt: skip
        assert refused.value.seconds == 15 * 60
        with pytest.raises(signin.SigninError):  # another client: looked up as usual
            signin.admit_link(two.db, UNKNOWN_TOKEN, client_ip="192.0.2.2", now=clock.now(),
                              lang="en", settings=two.settings)  # fmt: skip
    finally:
        one.close()
        two.close()
