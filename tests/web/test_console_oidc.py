"""Signing in to the console with OpenID Connect, against a provider the tests run on
loopback (tests/web/oidc_provider.py): the code flow with PKCE, state and nonce; the
id_token's signature, issuer, audience, expiry and nonce; the verified address mapped to an
active account; the TOTP code asked unless the provider's second factor counts; one
refusal page for every failure, the reason in the audit log."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from pvpp.accounts import set_disabled
from pvpp.app import App
from pvpp.store.models import AuditLog, ConsoleAccount, ConsoleOidcStart, ConsoleSession
from pvpp.web import create_app
from tests.web.conftest import PUBLIC, World
from tests.web.consoles import ACCOUNTS, add_console_account, code_now, new_client, post_code
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, Idp, running_idp

COORD = ACCOUNTS["coordinator"][0]
REFUSED = "Pieteikšanās ar Latvija.lv neizdevās"


@dataclasses.dataclass
class Oidc:
    """The world's app with OpenID Connect configured, and its provider."""

    world: World
    idp: Idp
    root: App

    def client(self) -> TestClient:
        return TestClient(create_app(self.root), base_url=PUBLIC)

    def configure(self, **values: Any) -> None:
        """Other settings (a new root on the same store and clock)."""
        settings = self.root.settings.model_copy(update=values)
        self.root = dataclasses.replace(self.root, settings=settings)


@pytest.fixture
def oidc(world: World) -> Iterator[Oidc]:
    with running_idp(world.clock.now) as idp:
        settings = world.root.settings.model_copy(update={
            "console_oidc_issuer": idp.issuer, "console_oidc_client_id": CLIENT_ID,
            "console_oidc_client_secret": _secret(CLIENT_SECRET),
            "console_oidc_name": "Latvija.lv",
        })  # fmt: skip
        yield Oidc(world, idp, dataclasses.replace(world.root, settings=settings))


def _secret(text: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(text)


def to_provider(client: TestClient) -> str:
    """The start: the provider's authorization URL the browser is sent to."""
    start = client.get("/console/signin/oidc", follow_redirects=False)
    assert start.status_code == 303, start.text
    return start.headers["location"]


def at_provider(url: str) -> str:
    """The provider approves at once: the URL it sends the browser back to."""
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def sign_in(client: TestClient) -> httpx.Response:
    """The whole round trip through the provider; the callback's answer."""
    back = at_provider(to_provider(client))
    return client.get(back, follow_redirects=False)


def _audit(world: World, action: str) -> list[tuple[str, dict[str, Any]]]:
    with world.root.db.reading() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == action)
                      .order_by(col(AuditLog.id))).all()  # fmt: skip
        return [(r.actor, dict(r.detail or {})) for r in rows]


def _reasons(world: World) -> list[str]:
    return [d.get("reason", "") for _, d in _audit(world, "console.signin.oidc")
            if d.get("outcome") == "failed"]  # fmt: skip


def _refused(answer: httpx.Response) -> str:
    assert answer.status_code == 400, answer.text
    assert REFUSED in answer.text and 'href="#oidc"' in answer.text
    return re.sub(r'name="csrf" value="[^"]*"', "", answer.text)


def test_the_link_is_shown_only_when_a_provider_is_configured(oidc: Oidc) -> None:
    page = oidc.client().get("/console/signin")
    assert "Pieteikties ar Latvija.lv" in page.text and 'href="/console/signin/oidc"' in page.text
    english = oidc.client().get("/console/signin?lang=en")
    assert "Sign in with Latvija.lv" in english.text
    plain = new_client(oidc.world)  # the world's own app: no provider
    assert "/console/signin/oidc" not in plain.get("/console/signin").text
    assert plain.get("/console/signin/oidc").status_code == 404
    assert plain.get("/console/signin/oidc/callback?code=x&state=y").status_code == 404


def test_a_verified_address_of_an_account_goes_on_to_the_code_and_signs_in(oidc: Oidc) -> None:
    secret = add_console_account(oidc.world, "coordinator")
    client = oidc.client()
    url = to_provider(client)
    asked = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{oidc.idp.issuer}/authorize?")
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == f"{PUBLIC}/console/signin/oidc/callback"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert len(asked["state"]) >= 43 and len(asked["nonce"]) >= 43
    assert asked["scope"] == "openid email profile" and "acr_values" not in asked
    # Nothing of the flow is in a cookie the browser could read: only the start's id,
    # HttpOnly; state and nonce are kept as digests, the verifier only on the server.
    cookie = client.cookies.get("pvpp_console_oidc")
    assert cookie and cookie not in url
    with oidc.root.db.reading() as s:
        start = s.exec(select(ConsoleOidcStart)).one()
        verifier = start.verifier
        assert asked["state"] not in start.state_sha256 and verifier not in url
    answer = client.get(at_provider(url), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/signin/code"
    assert client.cookies.get("pvpp_console_oidc") is None
    # The provider got the verifier and the client's secret (it checks both).
    assert oidc.idp.token_requests[0]["code_verifier"] == verifier
    assert client.get("/console", follow_redirects=False).status_code == 401  # not yet
    oidc.world.clock.advance(timedelta(seconds=30))
    done = post_code(client, code_now(oidc.world, secret))
    assert done.status_code == 303 and done.headers["location"] == "/console"
    assert "Ilze Bērziņa" in client.get("/console").text
    with oidc.root.db.reading() as s:
        session = s.exec(select(ConsoleSession).where(
            col(ConsoleSession.verified_at).is_not(None))).one()  # fmt: skip
        assert session.method == "oidc"
    [(actor, detail)] = _audit(oidc.world, "console.signin.oidc")
    assert actor == COORD and detail["outcome"] == "ok" and detail["second_factor"] == "totp"
    assert detail["issuer"] == oidc.idp.issuer and detail["subject"] == "248289761001"
    assert detail["amr"] == ["pwd"] and detail["ip"]
    [(_, signed)] = _audit(oidc.world, "console.signin")
    assert signed["method"] == "oidc"


def test_the_provider_s_second_factor_counts_only_when_the_settings_say_so(oidc: Oidc) -> None:
    add_console_account(oidc.world, "coordinator")
    oidc.idp.reset(amr=["pwd", "mfa"])
    # By default the code is asked whatever the provider says.
    assert sign_in(oidc.client()).headers["location"] == "/console/signin/code"
    oidc.configure(console_oidc_mfa_amr="mfa,otp")
    client = oidc.client()
    answer = sign_in(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    assert client.get("/console").status_code == 200
    # A sign-in with a password alone at the provider still needs the code.
    oidc.idp.reset(amr=["pwd"])
    assert sign_in(oidc.client()).headers["location"] == "/console/signin/code"
    # An acr: asked for, and counted when the token carries it.
    oidc.configure(console_oidc_mfa_amr="", console_oidc_mfa_acr="substantial,high")
    oidc.idp.reset(acr="high")
    client = oidc.client()
    assert sign_in(client).headers["location"] == "/console"
    assert oidc.idp.authorize_requests[-1]["acr_values"] == "substantial high"
    oidc.idp.reset(acr="low")
    assert sign_in(oidc.client()).headers["location"] == "/console/signin/code"
    seconds = [d["second_factor"] for _, d in _audit(oidc.world, "console.signin.oidc")]
    assert seconds == ["totp", "provider", "totp", "provider", "totp"]
    methods = [d["method"] for _, d in _audit(oidc.world, "console.signin")]
    assert methods == ["oidc", "oidc"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"nonce": "not-this-sign-in-s-nonce"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"aud": "another-client"}, "audience"),
        ({"aud": [CLIENT_ID, "another-client"]}, "audience"),  # several, no azp
        ({"iss": "https://elsewhere.example"}, "issuer"),
        ({"exp": "past"}, "expired"),
        ({"email_verified": False}, "email_unverified"),
        ({"email_verified": "true"}, "email_unverified"),
        ({"email": None}, "no_email"),
        ({"email": "nobody@varam.gov.lv"}, "unknown"),
        ({"sub": None}, "subject"),
    ],
)
def test_a_token_that_does_not_hold_is_refused_with_its_reason_audited(
    oidc: Oidc, change: dict[str, Any], reason: str
) -> None:
    add_console_account(oidc.world, "coordinator")
    if change.get("exp") == "past":
        change = {"exp": int(oidc.world.clock.now().timestamp()) - 120}
    oidc.idp.tamper = change
    client = oidc.client()
    _refused(sign_in(client))
    assert _reasons(oidc.world) == [reason]
    assert client.get("/console", follow_redirects=False).status_code == 401
    assert client.cookies.get("pvpp_console_step") is None
    with oidc.root.db.reading() as s:
        assert s.exec(select(ConsoleSession)).all() == []
        # The provider answered, not a guesser: the account's lock-out count is untouched.
        assert all(a.failed == 0 for a in s.exec(select(ConsoleAccount)))


def test_a_token_signed_with_another_key_is_refused(oidc: Oidc) -> None:
    add_console_account(oidc.world, "coordinator")
    oidc.idp.wrong_key = True
    _refused(sign_in(oidc.client()))
    assert _reasons(oidc.world) == ["signature"]


def test_every_refusal_is_the_same_page(oidc: Oidc) -> None:
    add_console_account(oidc.world, "coordinator")
    add_console_account(oidc.world, "reviewer")
    with oidc.root.db.unit_of_work() as s:
        set_disabled(s, ACCOUNTS["reviewer"][0], disabled=True, now=oidc.world.clock.now(),
                     actor="test")  # fmt: skip
    pages = []
    oidc.idp.reset(email="nobody@varam.gov.lv")
    pages.append(_refused(sign_in(oidc.client())))
    oidc.idp.reset(email=ACCOUNTS["reviewer"][0])
    pages.append(_refused(sign_in(oidc.client())))
    oidc.idp.reset(email_verified=False)
    pages.append(_refused(sign_in(oidc.client())))
    assert pages[0] == pages[1] == pages[2]
    assert _reasons(oidc.world) == ["unknown", "disabled", "email_unverified"]


def test_a_locked_account_is_refused_here_too(oidc: Oidc) -> None:
    add_console_account(oidc.world, "coordinator")
    with oidc.root.db.unit_of_work() as s:
        row = s.exec(select(ConsoleAccount)).one()
        row.locked_until = oidc.world.clock.now() + timedelta(minutes=10)
        s.add(row)
    _refused(sign_in(oidc.client()))
    assert _reasons(oidc.world) == ["locked"]


def test_state_must_match_and_a_return_is_taken_once(oidc: Oidc) -> None:
    add_console_account(oidc.world, "coordinator")
    # Another state than the one sent: refused, and the start is used up.
    client = oidc.client()
    back = at_provider(to_provider(client))
    forged = re.sub(r"state=[^&]+", "state=forged", back)
    _refused(client.get(forged, follow_redirects=False))
    # The honest return replayed after a success: the start is gone.
    client = oidc.client()
    back = at_provider(to_provider(client))
    cookie = client.cookies.get("pvpp_console_oidc")
    assert client.get(back, follow_redirects=False).status_code == 303
    client.cookies.set("pvpp_console_oidc", cookie or "")
    _refused(client.get(back, follow_redirects=False))
    # A return in another browser (the code and state stolen from the URL): no start.
    thief = oidc.client()
    client = oidc.client()
    back = at_provider(to_provider(client))
    _refused(thief.get(back, follow_redirects=False))
    # The provider's own refusal.
    client = oidc.client()
    url = to_provider(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    _refused(client.get(f"/console/signin/oidc/callback?error=access_denied&state={state}",
                        follow_redirects=False))  # fmt: skip
    assert _reasons(oidc.world) == ["state", "replayed", "no_start", "provider_said_access_denied"]


def test_a_return_too_late_is_refused(oidc: Oidc) -> None:
    add_console_account(oidc.world, "coordinator")
    client = oidc.client()
    back = at_provider(to_provider(client))
    oidc.world.clock.advance(timedelta(minutes=11))
    oidc.idp.tamper = {}
    _refused(client.get(back, follow_redirects=False))
    assert _reasons(oidc.world) == ["expired"]


def test_a_provider_that_cannot_be_reached_gets_the_refusal_page(oidc: Oidc) -> None:
    oidc.configure(console_oidc_issuer="http://127.0.0.1:9")  # nothing listens there
    answer = oidc.client().get("/console/signin/oidc", follow_redirects=False)
    _refused(answer)
    assert _reasons(oidc.world) == ["provider"]
    # A provider off loopback over plain http is refused before anything is sent.
    oidc.configure(console_oidc_issuer="http://sso.example.org")
    _refused(oidc.client().get("/console/signin/oidc", follow_redirects=False))


def test_failures_count_toward_the_client_s_hourly_limit(oidc: Oidc) -> None:
    add_console_account(oidc.world, "coordinator")
    oidc.configure(console_client_failures_per_hour=3)
    oidc.idp.reset(email="nobody@varam.gov.lv")
    client = oidc.client()
    for _ in range(3):
        _refused(sign_in(client))
    over = client.get("/console/signin/oidc", follow_redirects=False)
    assert over.status_code == 429 and "Retry-After" in over.headers
    # The password's failures and these are one count.
    assert client.post("/console/signin", data={}).status_code in (400, 403, 429)


def test_sign_ins_begun_and_never_finished_are_limited_per_client(oidc: Oidc) -> None:
    oidc.configure(console_client_failures_per_hour=2)
    client = oidc.client()
    to_provider(client)
    to_provider(client)
    over = client.get("/console/signin/oidc", follow_redirects=False)
    assert over.status_code == 429
    assert "pārāk daudzas pieteikšanās" in over.text
