"""Signing in to the ministry's console: password, then a TOTP code; the same answer for
an unknown address and a wrong password; codes used once; the lock-out; rate limits;
sessions apart from the portal's; the role guard."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import col, select

from pvpp.store.models import AuditLog, ConsoleAccount, ConsoleSession
from tests.web.conftest import NAMES, A, World, csrf_of
from tests.web.consoles import (
    ACCOUNTS,
    PASSWORD,
    add_console_account,
    code_now,
    console_sign_in,
    new_client,
    post_code,
    post_password,
)

COORD = ACCOUNTS["coordinator"][0]


def _account(world: World, email: str = COORD) -> ConsoleAccount:
    with world.root.db.reading() as s:
        row = s.exec(select(ConsoleAccount).where(ConsoleAccount.email == email)).one()
        s.expunge(row)
        return row


def _actions(world: World, prefix: str) -> list[tuple[str, dict[str, object]]]:
    with world.root.db.reading() as s:
        rows = s.exec(
            select(AuditLog).where(col(AuditLog.action).startswith(prefix)).order_by(
                col(AuditLog.id))
        ).all()  # fmt: skip
        return [(r.action, dict(r.detail or {})) for r in rows]


def test_password_then_code_signs_in_and_shows_the_console_home(world: World) -> None:
    secret = add_console_account(world, "coordinator")
    client = new_client(world)
    page = client.get("/console/signin")
    assert page.status_code == 200 and 'lang="lv"' in page.text
    assert 'autocomplete="current-password"' in page.text
    answer = post_password(client, COORD.upper())  # the address in any case
    assert answer.status_code == 303 and answer.headers["location"] == "/console/signin/code"
    # Not signed in before the code.
    assert client.get("/console", follow_redirects=False).status_code == 401
    code_page = client.get("/console/signin/code")
    assert 'autocomplete="one-time-code"' in code_page.text
    answer = post_code(client, code_now(world, secret))
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    home = client.get("/console")
    assert home.status_code == 200
    assert "Ilze Bērziņa · koordinators" in home.text and "2026-K1" in home.text
    # Counts per state: of the 37 institutions of 2026-K1 the two assessed are planned.
    counts = re.findall(r'<td class="num">([^<–]*)</td>', home.text)
    assert counts == ["35", "0", "0", "0", "0", "2", "0", "0", "37 iestādes"]
    english = client.get("/console?lang=en")
    assert "Ilze Bērziņa · coordinator" in english.text and "37 institutions" in english.text
    assert [a for a, d in _actions(world, "console.signin")] == [
        "console.signin.password", "console.signin",
    ]  # fmt: skip


def test_the_session_id_changes_at_the_second_factor(world: World) -> None:
    secret = add_console_account(world, "coordinator")
    client = new_client(world)
    post_password(client, COORD)
    before = client.cookies.get("pvpp_console_step")
    post_code(client, code_now(world, secret))
    after = client.cookies.get("pvpp_console")
    assert before and after and before != after
    assert client.cookies.get("pvpp_console_step") is None


def test_an_unknown_address_and_a_wrong_password_get_the_same_answer(world: World) -> None:
    add_console_account(world, "coordinator")
    wrong = post_password(new_client(world), COORD, "not the password at all")
    unknown = post_password(new_client(world), "nobody@varam.gov.lv")
    assert wrong.status_code == unknown.status_code == 400
    same = [re.sub(r'name="csrf" value="[^"]*"', "", a.text) for a in (wrong, unknown)]
    assert same[0] == same[1].replace("nobody@varam.gov.lv", COORD)
    assert "E-pasta adrese vai parole nav pareiza" in wrong.text
    # The account counted one failure; the unknown address none (it has no account).
    assert _account(world).failed == 1
    reasons = [d["reason"] for a, d in _actions(world, "console.signin.password")]
    assert reasons == ["password", "unknown"]


def test_a_disabled_account_gets_the_same_answer_with_the_right_password(world: World) -> None:
    add_console_account(world, "coordinator")
    from pvpp.accounts import set_disabled

    with world.root.db.unit_of_work() as s:
        set_disabled(s, COORD, disabled=True, now=world.clock.now(), actor="test")
    answer = post_password(new_client(world), COORD)
    assert answer.status_code == 400 and "nav pareiza" in answer.text


def test_a_wrong_code_is_refused_and_the_right_one_then_works(world: World) -> None:
    secret = add_console_account(world, "coordinator")
    client = new_client(world)
    post_password(client, COORD)
    answer = post_code(client, "000000" if code_now(world, secret) != "000000" else "111111")
    assert answer.status_code == 400 and "Kods nav pareizs" in answer.text
    assert 'aria-invalid="true"' in answer.text and 'href="#code"' in answer.text
    answer = post_code(client, code_now(world, secret))
    assert answer.status_code == 303
    assert _account(world).failed == 0  # a complete sign-in sets the count back


def test_a_code_is_not_taken_twice_within_its_window(world: World) -> None:
    secret = add_console_account(world, "coordinator")
    first = new_client(world)
    post_password(first, COORD)
    code = code_now(world, secret)
    assert post_code(first, code).status_code == 303
    # The same code again (another browser, the same 30 seconds): refused as used.
    second = new_client(world)
    post_password(second, COORD)
    answer = post_code(second, code)
    assert answer.status_code == 400 and "jau ir izmantots" in answer.text
    # Nor the previous step's code, after this step's was used (a replay too).
    assert post_code(second, code_now(world, secret, steps=-1)).status_code == 400
    # A wrong code is wrong.
    wrong = "000000" if code_now(world, secret) != "000000" else "111111"
    assert "Kods nav pareizs" in post_code(second, wrong).text
    # The next step's code works.
    world.clock.advance(timedelta(seconds=30))
    assert post_code(second, code_now(world, secret)).status_code == 303
    reasons = [d["reason"] for a, d in _actions(world, "console.signin.code")]
    assert reasons == ["reused", "reused", "wrong"]


def test_five_failures_lock_the_account_for_fifteen_minutes(world: World) -> None:
    secret = add_console_account(world, "coordinator")
    for _ in range(5):
        assert post_password(new_client(world), COORD, "wrong password here").status_code == 400
    account = _account(world)
    assert account.locked_until == world.clock.now() + timedelta(minutes=15)
    # Locked: the right password gets the same answer as a wrong one.
    client = new_client(world)
    answer = post_password(client, COORD)
    assert answer.status_code == 400 and "nav pareiza" in answer.text
    world.clock.advance(timedelta(minutes=15))
    answer = post_password(client, COORD)
    assert answer.status_code == 303
    assert post_code(client, code_now(world, secret)).status_code == 303


def test_wrong_codes_count_toward_the_lock_out_and_end_the_pending_sign_in(world: World) -> None:
    secret = add_console_account(world, "coordinator")
    right = code_now(world, secret)
    wrong = "123456" if right != "123456" else "654321"
    client = new_client(world)
    post_password(client, COORD)
    for _ in range(4):
        assert post_code(client, wrong).status_code == 400
    # A right password again does not set the count back (no endless guesses at the code).
    post_password(client, COORD)
    answer = post_code(client, wrong)
    assert answer.status_code == 400 and "nav pareiza" in answer.text  # back to step one
    assert _account(world).locked_until is not None
    # The right code no longer helps: the pending sign-in ended.
    assert post_code(client, right).status_code == 400
    assert client.get("/console", follow_redirects=False).status_code == 401


def test_a_client_over_its_failures_per_hour_is_told_to_wait(world: World) -> None:
    world.root.settings.console_client_failures_per_hour = 3
    client = new_client(world)
    for n in range(3):
        assert post_password(client, f"nobody{n}@varam.gov.lv").status_code == 400
    answer = post_password(client, "other@varam.gov.lv")
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    assert "ne agrāk kā" in answer.text


def test_an_address_over_its_failures_per_hour_is_told_to_wait_known_or_not(
    world: World,
) -> None:
    add_console_account(world, "coordinator")
    world.root.settings.console_address_failures_per_hour = 2
    world.root.settings.console_lockout_failures = 50
    for email in (COORD, "nobody@varam.gov.lv"):
        for _ in range(2):
            post_password(new_client(world), email, "wrong password here")
        assert post_password(new_client(world), email).status_code == 429, email


def test_the_code_step_expires(world: World) -> None:
    secret = add_console_account(world, "coordinator")
    client = new_client(world)
    post_password(client, COORD)
    world.clock.advance(timedelta(minutes=5))
    page = client.get("/console/signin/code")
    assert "netika pabeigta laikā" in page.text
    form = {"csrf": csrf_of(page.text), "code": code_now(world, secret)}
    answer = client.post("/console/signin/code", data=form)
    assert answer.status_code == 400


def test_idle_and_absolute_timeouts_and_sign_out(world: World) -> None:
    client = console_sign_in(world, "coordinator")
    world.clock.advance(timedelta(minutes=29))
    assert client.get("/console").status_code == 200
    world.clock.advance(timedelta(minutes=30))
    assert client.get("/console", follow_redirects=False).status_code == 401
    client = console_sign_in(world, "coordinator")
    for _ in range(16):  # busy all day: still ends 8 hours after signing in
        world.clock.advance(timedelta(minutes=29))
        assert client.get("/console").status_code == 200
    world.clock.advance(timedelta(minutes=29))
    assert client.get("/console", follow_redirects=False).status_code == 401
    client = console_sign_in(world, "coordinator")
    home = client.get("/console")
    answer = client.post("/console/signout", data={"csrf": csrf_of(home.text)},
                         follow_redirects=False)  # fmt: skip
    assert answer.headers["location"] == "/console/signin?out=1"
    assert client.get("/console", follow_redirects=False).status_code == 401
    with world.root.db.reading() as s:
        reasons = sorted(r.end_reason for r in s.exec(select(ConsoleSession)).all())
    assert reasons == ["expired", "idle", "signout"]


def test_cookies_are_http_only_and_same_site(world: World) -> None:
    secret = add_console_account(world, "coordinator")
    client = new_client(world)
    first = post_password(client, COORD)
    assert "httponly" in first.headers["set-cookie"].lower()
    answer = post_code(client, code_now(world, secret))
    cookies = answer.headers.get_list("set-cookie")
    console = next(c for c in cookies if c.startswith("pvpp_console="))
    assert "HttpOnly" in console and "SameSite=lax" in console and "Path=/" in console


def test_forms_without_their_token_or_with_the_portal_s_are_refused(world: World) -> None:
    add_console_account(world, "coordinator")
    client = new_client(world)
    answer = client.post("/console/signin", data={"email": COORD, "password": PASSWORD})
    assert answer.status_code == 403
    # A signed-in institution person's token is not the console's.
    portal = world.sign_in(A, "lead", new_client(world))
    token = csrf_of(portal.get("/").text)
    console = console_sign_in(world, "coordinator", portal)
    answer = console.post("/console/signout", data={"csrf": token})
    assert answer.status_code == 403


def test_the_role_guard_refuses_the_analyst_a_coordinator_page(world: World) -> None:
    analyst = console_sign_in(world, "analyst")
    assert analyst.get("/console").status_code == 200
    refused = analyst.get("/console/accounts")
    assert refused.status_code == 403 and "nav pieejama" in refused.text
    reviewer = console_sign_in(world, "reviewer")
    assert reviewer.get("/console/accounts").status_code == 403
    coordinator = console_sign_in(world, "coordinator")
    page = coordinator.get("/console/accounts")
    assert page.status_code == 200 and ACCOUNTS["analyst"][0] in page.text


def test_an_institution_session_opens_no_console_page_and_the_other_way_round(
    world: World,
) -> None:
    portal = world.sign_in(A, "lead", new_client(world))
    for url in ("/console", "/console/accounts"):
        answer = portal.get(url, follow_redirects=False)
        assert answer.status_code == 401 and NAMES[A] not in answer.text
        assert 'href="/console/signin"' in answer.text
    console = console_sign_in(world, "coordinator")
    for url in ("/", "/results", "/evidence"):
        assert console.get(url, follow_redirects=False).status_code == 401, url


def test_disabling_an_account_ends_its_sessions(world: World) -> None:
    from pvpp.accounts import set_disabled

    client = console_sign_in(world, "coordinator")
    with world.root.db.unit_of_work() as s:
        set_disabled(s, COORD, disabled=True, now=world.clock.now(), actor="test")
    assert client.get("/console", follow_redirects=False).status_code == 401
