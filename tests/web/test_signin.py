"""Signing in to the portal: one-time links stored as digests, the same answer for any
address, sessions that end when idle, when old and on signing out, cookies that scripts
and other sites cannot use, and no state-changing request without its CSRF token."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from pvpp import signin
from pvpp.i18n import t
from pvpp.settings import Settings
from pvpp.store.models import AuditLog, OutboxMessage, SigninToken, WebSession
from pvpp.teams import remove_member
from pvpp.web import create_app
from tests.conftest import make_root
from tests.web.conftest import NAMES, PUBLIC, A, B, World, csrf_of, team_of, web_settings
from tests.web.test_autosave import statements


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _signin_mails(world: World) -> list[OutboxMessage]:
    with world.root.db.unit_of_work() as s:
        rows = list(s.exec(select(OutboxMessage).where(OutboxMessage.kind == "signin")).all())
        s.expunge_all()
    return rows


def _cookie(client: TestClient) -> str | None:
    return client.cookies.get("pvpp_session")


def test_a_link_signs_in_once_and_only_its_digest_is_stored(world: World) -> None:
    token = world.issue(A, "lead")
    with world.root.db.reading() as s:
        row = s.exec(select(SigninToken)).one()
        assert row.token_sha256 == _sha(token)
        assert token not in repr(row.model_dump())
    client = world.client
    # Opening the link (what a mail scanner does) shows a button and uses nothing.
    page = client.get(f"/signin/{token}")
    assert page.status_code == 200
    assert 'method="post"' in page.text and t("web.signin.confirm", "lv") in page.text
    assert _cookie(client) is None
    with world.root.db.reading() as s:
        assert s.exec(select(SigninToken)).one().used_at is None

    answer = client.post(
        f"/signin/{token}",
        data={"csrf": csrf_of(page.text)},
        headers={"user-agent": "test-browser/1.0"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    sid = _cookie(client)
    assert sid is not None
    home = client.get("/")
    assert home.status_code == 200 and NAMES[A] in home.text
    with world.root.db.reading() as s:
        session = s.exec(select(WebSession)).one()
        assert session.sid_sha256 == _sha(sid) and sid not in repr(session.model_dump())
        assert (session.role, session.email) == ("lead", team_of(A)["lead"][1])
        assert (session.user_agent, session.ip) == ("test-browser/1.0", "testclient")
        assert s.exec(select(SigninToken)).one().used_at is not None
        actions = {a.action: a for a in s.exec(select(AuditLog)).all()}
        assert actions["signin.use"].detail["ip"] == "testclient"
        assert actions["session.open"].actor == team_of(A)["lead"][1]

    # The same link again, from another browser: refused, saying when it was used.
    other = TestClient(create_app(world.root), base_url=PUBLIC)
    again = other.get(f"/signin/{token}")
    assert again.status_code == 410
    assert "jau ir izmantota" in again.text
    refused = other.post(f"/signin/{token}", data={"csrf": csrf_of(other.get("/signin").text)})
    assert refused.status_code == 410 and _cookie(other) is None


def test_an_expired_or_unknown_link_is_refused_with_a_way_on(world: World) -> None:
    token = world.issue(A, "team")
    world.clock.advance(timedelta(hours=72))
    page = world.client.get(f"/signin/{token}")
    assert page.status_code == 410
    assert "derīguma termiņš beidzās" in page.text and 'href="/signin"' in page.text
    answer = world.client.post(f"/signin/{token}", data={"csrf": world.token()})
    assert answer.status_code == 410 and _cookie(world.client) is None
    for bad in ("x" * 43, "short", token[:-1] + ("A" if token[-1] != "A" else "B")):
        assert world.client.get(f"/signin/{bad}").status_code == 404
    english = world.client.get(f"/signin/{token}?lang=en")
    assert "This sign-in link expired on" in english.text


def test_asking_for_a_link_answers_the_same_whether_or_not_the_address_exists(
    world: World,
) -> None:
    known, unknown = team_of(A)["team"][1], "nobody@nowhere.example.org"
    answers = []
    for email in (unknown, known.upper()):
        client = TestClient(create_app(world.root), base_url=PUBLIC)
        form = client.get("/signin")
        answer = client.post("/signin", data={"csrf": csrf_of(form.text), "email": email})
        answers.append((answer.status_code, answer.text.replace(email, "ADDRESS")))
    (status_unknown, body_unknown), (status_known, body_known) = answers
    assert status_unknown == status_known == 200
    strip = [line for line in body_unknown.splitlines() if "csrf" not in line]
    assert strip == [line for line in body_known.splitlines() if "csrf" not in line]

    sent = _signin_mails(world)
    assert [m.to_addrs[0]["email"] for m in sent] == [known]
    (message,) = sent
    assert message.business_key.startswith(f"portal|{A}|signin|")
    assert "Loma: politikas īstenošanas komandas loceklis" in message.body_text

    # Asking again at once sends nothing new (no flooding an inbox through the form),
    # and says the same.
    client = TestClient(create_app(world.root), base_url=PUBLIC)
    again = client.post("/signin", data={"csrf": csrf_of(client.get("/signin").text),
                                         "email": known})  # fmt: skip
    assert again.status_code == 200
    assert _signin_mails(world) == sent
    with world.root.db.reading() as s:
        requests = s.exec(select(AuditLog).where(AuditLog.action == "signin.request")).all()
        assert len(requests) == 3 and all(r.detail["ip"] == "testclient" for r in requests)
    # The link in the email signs in.
    (token,) = signin.tokens_in(message.body_text)
    client = world.sign_in_with(token)
    assert NAMES[A] in client.get("/").text


def test_asking_for_a_link_does_the_same_work_before_answering_for_any_address(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer costs the same whether or not the address is anybody's: until it is sent,
    the same statements run (the limits, the attempt counted, the people looked up, the
    request audited); issuing the link and queueing its email come after it
    (a background task), so their time never shows in the answer's."""
    known, unknown = team_of(A)["team"][1], "nobody@nowhere.example.org"
    where = {"user_agent": "test", "via": "web"}

    def work(email: str, ip: str) -> tuple[signin.Asked, list[str]]:
        with statements() as seen, world.root.db.unit_of_work() as s:
            asked = signin.ask_links(
                s, email, now=world.clock.now(), settings=world.root.settings,
                where={**where, "ip": ip},
            )  # fmt: skip
        return asked, seen

    found, known_work = work(known, "192.0.2.1")
    nobody, unknown_work = work(unknown, "192.0.2.2")
    assert [p.email for p in found.people] == [known] and nobody.people == ()
    assert known_work == unknown_work and len(known_work) >= 4, known_work
    assert not _signin_mails(world)  # nothing issued or queued yet

    # Through the form: the answer is made before the links (the order of the calls).
    order: list[str] = []
    real_ask, real_send = signin.ask_links, signin.send_links

    def ask(*args: object, **kwargs: object) -> signin.Asked:
        order.append("ask")
        return real_ask(*args, **kwargs)  # type: ignore[arg-type]

    def send(*args: object, **kwargs: object) -> int:
        order.append("send")
        return real_send(*args, **kwargs)  # type: ignore[arg-type]

    def render(*args: object, **kwargs: object) -> object:
        order.append("answer")
        return real_page(*args, **kwargs)  # type: ignore[arg-type]

    from pvpp.web import pages

    real_page = pages.page
    monkeypatch.setattr(signin, "ask_links", ask)
    monkeypatch.setattr(signin, "send_links", send)
    monkeypatch.setattr(pages, "page", render)
    form = world.client.get("/signin")
    order.clear()
    answer = world.client.post("/signin", data={"csrf": csrf_of(form.text), "email": known})
    assert answer.status_code == 200 and order == ["ask", "answer", "send"]
    assert [m.to_addrs[0]["email"] for m in _signin_mails(world)] == [known]


def test_links_that_fail_to_send_after_the_answer_are_logged_and_audited(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The person was told "sent" already: a failure in the background task is logged and
    audited (how many people, not who), and never reaches the web server as an error."""

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("the mail queue is down")

    monkeypatch.setattr(signin, "send_links", broken)
    known = team_of(A)["team"][1]
    form = world.client.get("/signin")
    with caplog.at_level("ERROR", logger="pvpp.signin"):
        answer = world.client.post("/signin", data={"csrf": csrf_of(form.text), "email": known})
    assert answer.status_code == 200
    assert "sign-in links not sent (1 people)" in caplog.text
    with world.root.db.reading() as s:
        [detail] = s.exec(
            select(AuditLog.detail).where(AuditLog.action == "signin.send_failed")
        ).all()
    assert detail == {"people": 1, "error": "RuntimeError"}


def test_an_empty_address_is_asked_for_again_beside_the_field(world: World) -> None:
    form = world.client.get("/signin")
    answer = world.client.post("/signin", data={"csrf": csrf_of(form.text), "email": " "})
    assert answer.status_code == 400
    assert 'class="error-summary"' in answer.text and 'href="#email"' in answer.text
    assert 'aria-invalid="true"' in answer.text and t("web.signin.no_email", "lv") in answer.text


def test_the_head_of_an_institution_gets_a_link_as_head(world: World) -> None:
    client = TestClient(create_app(world.root), base_url=PUBLIC)
    client.post("/signin", data={"csrf": csrf_of(client.get("/signin").text),
                                 "email": world.heads[B]})  # fmt: skip
    (message,) = _signin_mails(world)
    assert "Loma: iestādes vadītājs" in message.body_text
    (token,) = signin.tokens_in(message.body_text)
    home = world.sign_in_with(token, client).get("/")
    assert NAMES[B] in home.text and "iestādes vadītājs" in home.text


def test_a_session_ends_after_its_idle_time_and_after_its_lifetime(world: World) -> None:
    client = world.sign_in(A, "team")
    for _ in range(3):  # busy: each request keeps it open
        world.clock.advance(timedelta(minutes=29))
        assert client.get("/").status_code == 200
    world.clock.advance(timedelta(minutes=30))
    gone = client.get("/")
    assert gone.status_code == 401 and _cookie(client) is None
    assert t("web.error.signin_required.title", "lv") in gone.text

    client = world.sign_in(A, "team")
    for _ in range(12 * 60 // 25):
        world.clock.advance(timedelta(minutes=25))
        assert client.get("/").status_code == 200
    world.clock.advance(timedelta(minutes=25))
    assert client.get("/").status_code == 401
    with world.root.db.reading() as s:
        reasons = s.exec(select(WebSession.end_reason).order_by(col(WebSession.id))).all()
    assert reasons == ["idle", "expired"]


def test_signing_out_ends_the_session_on_the_server(world: World) -> None:
    client = world.sign_in(A, "lead")
    sid = _cookie(client)
    answer = client.post("/signout", data={"csrf": world.token()}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?out=1"
    assert _cookie(client) is None
    assert t("web.signin.signed_out", "lv") in client.get("/signin?out=1").text
    # The old cookie is worth nothing now.
    client.cookies.set("pvpp_session", sid or "")
    assert client.get("/").status_code == 401
    with world.root.db.reading() as s:
        assert s.exec(select(WebSession)).one().end_reason == "signout"


def test_a_member_who_left_the_team_is_signed_out(world: World) -> None:
    client = world.sign_in(A, "team")
    with world.root.db.unit_of_work() as s:
        remove_member(s, institution=A, email=team_of(A)["team"][1])
    assert client.get("/").status_code == 401
    with world.root.db.reading() as s:
        assert s.exec(select(WebSession)).one().end_reason == "revoked"


def test_a_form_without_its_token_or_from_another_site_is_refused(world: World) -> None:
    client = world.sign_in(A, "lead")
    good = world.token()
    cases = [
        ({}, {}),
        ({"csrf": ""}, {}),
        ({"csrf": good[:-2] + "xx"}, {}),
        ({"csrf": good}, {"origin": "https://evil.example"}),
        ({"csrf": good}, {"origin": "null"}),
        ({"csrf": good}, {"referer": "https://evil.example/form"}),
        ({"csrf": good}, {"sec-fetch-site": "cross-site"}),
    ]
    for data, headers in cases:
        answer = client.post("/signout", data=data, headers=headers)
        assert answer.status_code == 403, (data, headers)
        assert t("web.error.csrf.title", "lv") in answer.text
        assert client.get("/").status_code == 200  # still signed in
    # The token of another session is not this one's.
    other = world.sign_in(B, "lead", TestClient(create_app(world.root), base_url=PUBLIC))
    assert client.post("/signout", data={"csrf": world.token(other)}).status_code == 403
    # A same-origin form with its token passes.
    answer = client.post(
        "/signout", data={"csrf": good}, headers={"origin": PUBLIC}, follow_redirects=False
    )
    assert answer.status_code == 303


def test_a_sign_in_link_posted_without_its_token_is_not_used(world: World) -> None:
    token = world.issue(A, "head")
    assert world.client.post(f"/signin/{token}").status_code == 403
    with world.root.db.reading() as s:
        assert s.exec(select(SigninToken)).one().used_at is None
    assert world.client.get(f"/signin/{token}").status_code == 200


def test_a_form_larger_than_the_portal_takes_is_refused_before_it_is_read(world: World) -> None:
    answer = world.client.post(
        "/signin", data={"csrf": world.token(), "email": "a@b.lv", "pad": "x" * 70_000}
    )
    assert answer.status_code == 413 and t("web.error.too_large.title", "lv") in answer.text


def _set_cookies(response_headers: list[tuple[str, str]]) -> list[str]:
    return [value for name, value in response_headers if name.lower() == "set-cookie"]


def test_cookies_are_http_only_same_site_and_secure_unless_on_localhost(
    world: World, tmp_path: Path
) -> None:
    token = world.issue(A, "lead")
    page = world.client.get(f"/signin/{token}")
    answer = world.client.post(
        f"/signin/{token}", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    (session,) = [c for c in _set_cookies(answer.headers.multi_items()) if "pvpp_session=" in c]
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    assert "Secure" not in session  # the tests' portal runs on plain http, on purpose

    secure_root = make_root(
        web_settings(tmp_path / "secure", cookie_secure=None, public_url="https://pvpp.example.lv"),
        world.clock,
    )
    secure_root.db.upgrade()
    try:
        client = TestClient(create_app(secure_root), base_url="https://pvpp.example.lv")
        page = client.get("/signin")
        (browser,) = _set_cookies(page.headers.multi_items())
        assert browser.startswith("__Host-pvpp_browser=")
        assert "Secure" in browser and "HttpOnly" in browser and "SameSite=lax" in browser
        assert page.headers["strict-transport-security"].startswith("max-age=")
        client.get("/signin?lang=en")
        assert client.cookies.get("__Host-pvpp_lang") == "en"
    finally:
        secure_root.close()


@pytest.mark.parametrize(
    ("url", "secure", "expected"),
    [
        ("http://localhost:8000", None, False),
        ("http://127.0.0.1:8000/", None, False),
        ("https://pvpp.varam.gov.lv", None, True),
        ("http://pvpp.example.lv", None, True),  # plain http elsewhere: cookies never go
        ("http://localhost.evil.example", None, True),
        ("http://localhost:8000", True, True),
        ("https://pvpp.varam.gov.lv", False, False),
    ],
)
def test_secure_cookies_are_the_default_except_on_a_developers_machine(
    tmp_path: Path, url: str, secure: bool | None, expected: bool
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=url, cookie_secure=secure)  # type: ignore[call-arg]
    assert settings.cookies_secure() is expected
