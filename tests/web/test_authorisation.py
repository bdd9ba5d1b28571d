"""Authorisation by institution and role: every route of the portal, walked by every kind
of visitor of institution A (nobody signed in, a team member, the team lead, the head)
with institution B's ids, is refused (401, 403 or 404) and shows nothing of B.

The routes come from the app itself (``app.routes``, and the routes of the API mounted at
``/api/v1``): a new route that is not classified in :data:`ROUTES` fails
:func:`test_every_route_is_classified`, so none can be forgotten."""

from __future__ import annotations

import re
import secrets
from datetime import date

import pytest
from fastapi.routing import APIRoute
from sqlmodel import select
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from pvpp.access import READ_ROUNDS, may
from pvpp.milestones import record_milestones
from pvpp.national_plans import NationalPlanError, draft_plan, get_plan
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.rounds import create_round
from pvpp.store.files import store_file
from pvpp.store.models import (
    DraftAnswer,
    EvidenceFile,
    Institution,
    OutboxMessage,
    Plan,
    PlanApproval,
    Round,
    SigninToken,
    StatusReport,
)
from pvpp.web import create_app
from tests.web.api_tokens import api_token, bearer
from tests.web.conftest import (
    NAMES,
    PUBLIC,
    ROUND,
    A,
    B,
    World,
    assignment_id,
    open_second_round,
    team_of,
)
from tests.web.consoles import console_sign_in

VISITORS = ("anonymous", "team", "lead", "head")
# What each route is, for the walk:
#   "ids"    takes an id of an institution's thing: B's ids must be refused, A's served;
#   "link"   takes a link's token, itself the credential: a forged or tampered token
#            shows nothing; B's real approval link is refused to A's signed-in people;
#   "open"   has no id (home, sign-in, sign-out): it may answer, but never with B's data.
ROUTES = {
    ("GET", "/"): "open",
    ("GET", "/signin"): "open",
    ("POST", "/signin"): "open",
    ("GET", "/signin/{token}"): "link",
    ("POST", "/signin/{token}"): "link",
    ("POST", "/signout"): "open",
    ("GET", "/plans/{plan_id}"): "ids",
    ("GET", "/plans/{plan_id}/pdf"): "ids",
    ("GET", "/plans/approve/{token}"): "link",
    ("POST", "/plans/approve/{token}"): "link",
    ("POST", "/plans/{plan_id}/decision"): "ids",
    ("GET", "/plans/{plan_id}/shape"): "ids",
    ("POST", "/plans/{plan_id}/shape"): "ids",
    ("GET", "/results"): "open",
    ("GET", "/progress"): "open",
    ("POST", "/progress"): "open",
    ("GET", "/questionnaire"): "open",
    ("GET", "/questionnaire/{assignment_id}"): "ids",
    ("POST", "/questionnaire/{assignment_id}/submit"): "ids",
    ("GET", "/questionnaire/{assignment_id}/workbook"): "ids",
    ("POST", "/questionnaire/{assignment_id}/workbook"): "ids",
    ("GET", "/questionnaire/{assignment_id}/{page_id}"): "ids",
    ("POST", "/questionnaire/{assignment_id}/{page_id}"): "ids",
    ("POST", "/questionnaire/{assignment_id}/fields/{field_id}"): "ids",
    ("POST", "/questionnaire/{assignment_id}/{page_id}/evidence"): "ids",
    ("POST", "/progress/evidence"): "open",
    ("GET", "/evidence"): "open",
    ("GET", "/evidence/{evidence_id}"): "ids",
    # The ministry's console: its sign-in steps are open to anyone; its pages take a
    # console session of the roles in CONSOLE_ACCESS (an institution's session is nobody
    # there: 401).
    ("GET", "/console/signin"): "open",
    ("POST", "/console/signin"): "open",
    ("GET", "/console/signin/code"): "open",
    ("POST", "/console/signin/code"): "open",
    # OpenID Connect (404 unless configured; tests/web/test_console_oidc.py)
    ("GET", "/console/signin/oidc"): "open",
    ("GET", "/console/signin/oidc/callback"): "open",
    ("POST", "/console/signout"): "open",
    ("GET", "/console"): "console",
    ("GET", "/console/accounts"): "console",
    # Review: a round's code and an institution's (any institution's submission is the
    # reviewer's to read); B's evidence file named under A's submission is not found.
    ("GET", "/console/review"): "review",
    ("GET", "/console/review/{round_code}"): "review",
    ("GET", "/console/review/{round_code}/{institution}"): "review",
    ("POST", "/console/review/{round_code}/{institution}/accept"): "review",
    ("POST", "/console/review/{round_code}/{institution}/return"): "review",
    ("GET", "/console/review/{round_code}/{institution}/evidence/{evidence_id}"): "review",
    # The read-only API (pvpp.web.api): a token of the roles in API_ACCESS, never a cookie
    # (every session, the portal's and the console's, gets 401 there). Its OpenAPI
    # document holds no data and is open.
    ("GET", "/api/v1/openapi.json"): "open",
    ("GET", "/api/v1/token"): "api",
    ("GET", "/api/v1/rounds"): "api",
    ("GET", "/api/v1/rounds/{round_code}"): "api",
    ("GET", "/api/v1/rounds/{round_code}/assignments"): "api",
    ("GET", "/api/v1/rounds/{round_code}/assignments/{assignment_id}"): "api",
    ("GET", "/api/v1/rounds/{round_code}/assignments/{assignment_id}/scores"): "api",
    ("GET", "/api/v1/rounds/{round_code}/assignments/{assignment_id}/plan"): "api",
    ("GET", "/api/v1/rounds/{round_code}/plans"): "api",
    ("GET", "/api/v1/rounds/{round_code}/aggregates"): "api",
    ("GET", "/api/v1/rounds/{round_code}/trend"): "api",
    # RV6/RV7 plans and open data (their own tests: tests/web/test_console_natplans.py).
    ("GET", "/console/plans"): "console",
    ("POST", "/console/plans/{round_code}/{direction}/draft"): "console",
    ("GET", "/console/plans/{round_code}/{direction}"): "console",
    ("GET", "/console/plans/{round_code}/{direction}/history"): "console",
    ("GET", "/console/plans/{round_code}/{direction}/pdf"): "console",
    ("GET", "/console/plans/{round_code}/{direction}/xlsx"): "console",
    ("GET", "/console/plans/{round_code}/{direction}/add"): "console",
    ("POST", "/console/plans/{round_code}/{direction}/add"): "console",
    ("GET", "/console/plans/{round_code}/{direction}/measures/{key}"): "console",
    ("POST", "/console/plans/{round_code}/{direction}/measures/{key}"): "console",
    ("GET", "/console/open-data/{round_code}"): "console",
    ("GET", "/console/open-data/{round_code}/{name}"): "console",
    # National results across rounds (pvpp.web.console_trends; their own tests:
    # tests/web/test_console_trends.py): an unknown round, an institution of no assignment
    # in the round, an unknown institution are not found.
    ("GET", "/console/trends"): "console",
    ("GET", "/console/trends.xlsx"): "console",
    ("GET", "/console/trends.csv"): "console",
    ("GET", "/console/trends/{round_code}/institutions"): "console",
    ("GET", "/console/trends/{round_code}/institutions/{institution}"): "console",
    # Rounds and progress (pvpp.web.console_rounds): a round's code is no institution's;
    # an unknown one is not found (tests/web/test_console_rounds.py).
    ("GET", "/console/rounds/new"): "rounds",
    ("POST", "/console/rounds/new"): "rounds",
    ("GET", "/console/rounds/{code}"): "rounds",
    ("POST", "/console/rounds/{code}/launch"): "rounds",
    ("POST", "/console/rounds/{code}/extend"): "rounds",
    ("GET", "/console/rounds/{code}/remind"): "rounds",
    ("POST", "/console/rounds/{code}/remind"): "rounds",
    ("GET", "/console/rounds/{code}/close"): "rounds",
    ("POST", "/console/rounds/{code}/close"): "rounds",
    ("GET", "/console/rounds/{code}/progress"): "rounds",
    ("GET", "/console/rounds/{code}/progress.xlsx"): "rounds",
    ("GET", "/console/rounds/{code}/progress.csv"): "rounds",
    ("GET", "/console/rounds/{code}/milestones/{measure}"): "rounds",
    ("POST", "/console/rounds/{code}/milestones/{measure}"): "rounds",
    # National results of a round (pvpp.web.console_national): every console role reads
    # them; an unknown round is not found (tests/web/test_console_national.py).
    ("GET", "/console/national"): "console",
    ("GET", "/console/rounds/{round_code}/national"): "console",
    ("GET", "/console/rounds/{round_code}/national.xlsx"): "console",
    ("GET", "/console/rounds/{round_code}/national.csv"): "console",
}
#: The console's roles, and which of them each console page admits (others get 403).
CONSOLE_ROLES = ("coordinator", "reviewer", "analyst")
REVIEWING = ("coordinator", "reviewer")
#: Who reads a round and its progress (READ_ROUNDS): the coordinator and the reviewer.
ROUND_READERS = ("coordinator", "reviewer")
CONSOLE_ACCESS = {
    ("GET", "/console"): CONSOLE_ROLES,
    ("GET", "/console/accounts"): ("coordinator",),
    **{route: REVIEWING for route, kind in ROUTES.items() if kind == "review"},
    # National results (pvpp.access.READ_NATIONAL) are every role's; drafting and editing
    # a plan (RUN) the coordinator's.
    ("GET", "/console/plans"): CONSOLE_ROLES,
    ("POST", "/console/plans/{round_code}/{direction}/draft"): ("coordinator",),
    ("GET", "/console/plans/{round_code}/{direction}"): CONSOLE_ROLES,
    ("GET", "/console/plans/{round_code}/{direction}/history"): CONSOLE_ROLES,
    ("GET", "/console/plans/{round_code}/{direction}/pdf"): CONSOLE_ROLES,
    ("GET", "/console/plans/{round_code}/{direction}/xlsx"): CONSOLE_ROLES,
    ("GET", "/console/plans/{round_code}/{direction}/add"): ("coordinator",),
    ("POST", "/console/plans/{round_code}/{direction}/add"): ("coordinator",),
    ("GET", "/console/plans/{round_code}/{direction}/measures/{key}"): ("coordinator",),
    ("POST", "/console/plans/{round_code}/{direction}/measures/{key}"): ("coordinator",),
    ("GET", "/console/open-data/{round_code}"): CONSOLE_ROLES,
    ("GET", "/console/open-data/{round_code}/{name}"): CONSOLE_ROLES,
    # Rounds and progress: the coordinator acts, the reviewer reads.
    # The trend is every role's; what names institutions (a round's institutions, one's
    # standing) the roles that read institutions' own data (READ_ROUNDS).
    ("GET", "/console/trends"): CONSOLE_ROLES,
    ("GET", "/console/trends.xlsx"): CONSOLE_ROLES,
    ("GET", "/console/trends.csv"): CONSOLE_ROLES,
    ("GET", "/console/trends/{round_code}/institutions"): ROUND_READERS,
    ("GET", "/console/trends/{round_code}/institutions/{institution}"): ROUND_READERS,
    ("GET", "/console/rounds/new"): ("coordinator",),
    ("POST", "/console/rounds/new"): ("coordinator",),
    ("GET", "/console/rounds/{code}"): ROUND_READERS,
    ("POST", "/console/rounds/{code}/launch"): ("coordinator",),
    ("POST", "/console/rounds/{code}/extend"): ("coordinator",),
    ("GET", "/console/rounds/{code}/remind"): ("coordinator",),
    ("POST", "/console/rounds/{code}/remind"): ("coordinator",),
    ("GET", "/console/rounds/{code}/close"): ("coordinator",),
    ("POST", "/console/rounds/{code}/close"): ("coordinator",),
    ("GET", "/console/rounds/{code}/progress"): ROUND_READERS,
    ("GET", "/console/rounds/{code}/progress.xlsx"): ROUND_READERS,
    ("GET", "/console/rounds/{code}/progress.csv"): ROUND_READERS,
    # A national milestone (P2.1, P2.2, RV3, RV4): the reviewer reads it on the progress
    # page, the coordinator changes it.
    ("GET", "/console/rounds/{code}/milestones/{measure}"): ("coordinator",),
    ("POST", "/console/rounds/{code}/milestones/{measure}"): ("coordinator",),
    # National results (READ_NATIONAL): every role; names only to ROUND_READERS.
    ("GET", "/console/national"): CONSOLE_ROLES,
    ("GET", "/console/rounds/{round_code}/national"): CONSOLE_ROLES,
    ("GET", "/console/rounds/{round_code}/national.xlsx"): CONSOLE_ROLES,
    ("GET", "/console/rounds/{round_code}/national.csv"): CONSOLE_ROLES,
}
#: What an admitted role gets where it is not 200, with the walk's values and FORM:
#: - review: round 2026-K1 has no review, so A has nothing to review (its page and a
#:   decision: 404), and B's file named under A is not found; never B's data;
#: - plans: a draft made again (303); a new measure or a measure's change without the
#:   version it was made from (409, refused as stale); the walk's open round publishes no
#:   open data (404).
CONSOLE_ANSWER = {
    ("GET", "/console/review/{round_code}/{institution}"): 404,
    ("POST", "/console/review/{round_code}/{institution}/accept"): 404,
    ("POST", "/console/review/{round_code}/{institution}/return"): 404,
    ("GET", "/console/review/{round_code}/{institution}/evidence/{evidence_id}"): 404,
    ("POST", "/console/plans/{round_code}/{direction}/draft"): 303,
    ("POST", "/console/plans/{round_code}/{direction}/add"): 409,
    ("POST", "/console/plans/{round_code}/{direction}/measures/{key}"): 409,
    ("GET", "/console/open-data/{round_code}/{name}"): 404,
}
CONSOLE_KINDS = ("console", "review", "rounds")
#: What an admitted role may be answered on a POST of a round's action with the walk's
#: form: done (303), or refused as posted (400: a field missing; 409: not now).
CONSOLE_POST_ANSWERS = (200, 303, 400, 409)
#: The round the walk's round routes act on: A's alone, so that no page of it names B.
WALK_ROUND = "2026-K7"
#: Which roles' tokens each API route admits (others get 403): the analyst reads national
#: figures only (rounds and their counts per state, the published aggregates and trend),
#: as on the console's pages.
READS_ROUNDS = ("coordinator", "reviewer")
API_ACCESS = {
    ("GET", "/api/v1/token"): CONSOLE_ROLES,
    ("GET", "/api/v1/rounds"): CONSOLE_ROLES,
    ("GET", "/api/v1/rounds/{round_code}"): CONSOLE_ROLES,
    ("GET", "/api/v1/rounds/{round_code}/assignments"): READS_ROUNDS,
    ("GET", "/api/v1/rounds/{round_code}/assignments/{assignment_id}"): READS_ROUNDS,
    ("GET", "/api/v1/rounds/{round_code}/assignments/{assignment_id}/scores"): READS_ROUNDS,
    ("GET", "/api/v1/rounds/{round_code}/assignments/{assignment_id}/plan"): READS_ROUNDS,
    ("GET", "/api/v1/rounds/{round_code}/plans"): READS_ROUNDS,
    ("GET", "/api/v1/rounds/{round_code}/aggregates"): CONSOLE_ROLES,
    ("GET", "/api/v1/rounds/{round_code}/trend"): CONSOLE_ROLES,
}
#: The API routes with an internal form (``?form=internal``): it names institutions, so
#: only the roles that read them (403 to the others).
API_INTERNAL = {
    ("GET", "/api/v1/rounds/{round_code}/aggregates"): READS_ROUNDS,
    ("GET", "/api/v1/rounds/{round_code}/trend"): READS_ROUNDS,
}
API = "/api/v1"
#: The API's description: no data, open to anyone.
OPENAPI = API + "/openapi.json"
#: The console's path values: a round, its RV6 plan and first measure, an open-data file;
#: and ones that do not exist (404 to an admitted role, 403 to the others).
CONSOLE_VALUES = {"round_code": "2026-K1", "direction": "RV6", "key": "", "name": "needs.csv",
                  "institution": A}  # fmt: skip
CONSOLE_UNKNOWN = {"round_code": "2099-K9", "direction": "RV6", "key": "RV6-99",
                   "name": "needs.csv", "institution": "NOPE"}  # fmt: skip
# Every form field any route reads, with a value that would do something.
FORM = {
    "decision": "approve",
    "reason": "Pārāk daudz pasākumu",
    "email": "",
    "action": "save",
    "p-F5": "30",
    "version": "1",
    "Q_1_1_D1": "0",
    "seen": "0",
    "remove": "",  # B's evidence file (filled in by the walk)
    "again": "1",
}
#: The pages and fields of the questionnaire's routes (the same for every institution).
PAGE, FIELD = "C1", "Q_1_1_D1"
CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def _routes(world: World) -> list[tuple[str, str]]:
    app = world.client.app
    found = []
    for route in app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute):
            found += [(method, route.path_format) for method in sorted(route.methods)]
        elif isinstance(route, Mount) and route.path == API:
            for inner in route.routes:  # the API's own routes, its OpenAPI document's too
                assert isinstance(inner, APIRoute | Route), inner
                methods = sorted(set(inner.methods or ()) - {"HEAD"})
                found += [(method, API + inner.path_format) for method in methods]
        else:
            assert isinstance(route, Mount) and route.path == "/static", route
    return found


def test_every_route_is_classified(world: World) -> None:
    routes = set(_routes(world))
    assert routes == set(ROUTES), (
        "classify every route of the portal in ROUTES (and so walk it): "
        f"{sorted(routes ^ set(ROUTES))}"
    )


def _visitor(world: World, who: str) -> TestClient:
    client = TestClient(create_app(world.root), base_url=PUBLIC)
    if who != "anonymous":
        world.sign_in(A, who, client)
    return client


def _b_data(world: World) -> list[str]:
    """What of B must never show to A's people."""
    with world.root.db.reading() as s:
        plan = s.get(Plan, world.plan_ids[B])
        assert plan is not None
        head_name = s.exec(select(Institution.head_name).where(Institution.code == B)).one()
    team = [text for name, email, _ in team_of(B).values() for text in (name, email)]
    return [NAMES[B], world.heads[B], head_name, *team, "plan of LAD", B_FILE]


B_FILE = "LAD iekšējais rīkojums.pdf"


def _b_evidence(world: World) -> int:
    """An evidence file of B's (attached to an item of its round), made once."""
    b_assignment = _assignment(world, B)
    with world.root.db.unit_of_work() as s:
        found = s.exec(select(EvidenceFile).where(EvidenceFile.name == B_FILE)).first()
        if found is not None:
            return found.id or 0
        data = b"%PDF-1.7 evidence of LAD"
        stored = store_file(s, data)
        member = team_of(B)["team"]
        row = EvidenceFile(
            assignment_id=b_assignment, kind="item", target="1.1",
            file_sha256=stored.sha256, name=B_FILE, size=len(data),
            media_type="application/pdf", actor=member[1], actor_name=member[0],
        )  # fmt: skip
        s.add(row)
        s.flush()
        return row.id or 0


def _forged(token: str) -> str:
    """A token of the same shape that is not the one issued (the last character changed)."""
    return token[:-2] + ("AA" if token[-2:] != "AA" else "BB")


def _assignment(world: World, code: str) -> int:
    with world.root.db.reading() as s:
        plan = s.get(Plan, world.plan_ids[code])
        assert plan is not None
        return plan.assignment_id


def _console_values(world: World) -> dict[str, str]:
    """The console's path values, with the RV6 plan drafted (once) and its first measure."""
    with world.root.db.unit_of_work() as s:
        try:
            view = get_plan(s, "2026-K1", "RV6")
        except NationalPlanError:
            view = draft_plan(s, "2026-K1", "RV6", today=world.clock.today(), actor="test")
        return {**CONSOLE_VALUES, "key": view.measures[0].key}


def _walk_round(world: World) -> str:
    """A round of A alone, made once with its national milestones (the console's routes
    act on it in the walk)."""
    with world.root.db.unit_of_work() as s:
        if s.exec(select(Round).where(Round.code == WALK_ROUND)).first() is None:
            create_round(
                s, code=WALK_ROUND, opens_on=date(2026, 4, 1), due_on=date(2026, 6, 30),
                questionnaire_version="pvpp2027-q2", institutions=[A], actor="test",
            )  # fmt: skip
            record_milestones(s, WALK_ROUND, actor="test")
    return WALK_ROUND


def _values(world: World, kind: str, path: str) -> dict[str, str]:
    if kind == "rounds":
        return {"code": _walk_round(world), "measure": "P2.1"}
    if kind == "review":
        return {"round_code": ROUND, "institution": A, "evidence_id": str(_b_evidence(world))}
    if kind == "api":
        return {"round_code": ROUND, "assignment_id": str(_assignment(world, B))}
    if path.startswith("/console/"):
        return _console_values(world)
    if kind == "ids":
        return {
            "plan_id": str(world.plan_ids[B]),
            "assignment_id": str(_assignment(world, B)),
            "page_id": PAGE,
            "field_id": FIELD,
            "evidence_id": str(_b_evidence(world)),
        }
    if path.startswith("/signin/"):
        return {"token": _forged(world.issue(B, "lead"))}
    return {"token": _forged(world.approval_tokens[B])}


def _request(client: TestClient, method: str, url: str, form: dict[str, str]) -> tuple[int, str]:
    """``url`` asked by ``client``; a POST with the token of the client's forms (on a
    console URL: of its console forms, bound to its console session)."""
    if method == "GET":
        answer = client.get(url, follow_redirects=False)
    else:  # the form's token as a page of the area gives it (the console's are bound to
        # the console's session); the portal's from /signin otherwise
        token = None
        if url.startswith("/console"):
            home = client.get("/console")
            token = CSRF.search(home.text) if home.status_code == 200 else None
        token = token or CSRF.search(client.get("/signin").text)
        assert token is not None
        answer = client.post(url, data={**form, "csrf": token.group(1)}, follow_redirects=False)
    return answer.status_code, answer.text


@pytest.mark.parametrize("who", VISITORS)
def test_a_visitor_of_a_sees_nothing_of_b_on_any_route(world: World, who: str) -> None:
    secret = _b_data(world)
    client = _visitor(world, who)
    for method, path in _routes(world):
        kind = ROUTES[(method, path)]
        url = path.format(**_values(world, kind, path)) if "{" in path else path
        form = {**FORM, "email": world.heads[B] if path == "/signin" else "",
                "remove": str(_b_evidence(world))}  # fmt: skip
        status, body = _request(client, method, url, form)
        if kind in ("ids", "link"):
            assert status in (401, 403, 404), (who, method, url, status)
        if form["email"]:  # the sign-in form says which address it was given, nothing more
            body = body.replace(form["email"], "")
        if path == "/evidence/{evidence_id}":  # B's file is not found, whoever asks
            assert status == (401 if who == "anonymous" else 404), (who, method, url, status)
        leaked = [text for text in secret if text in body]
        assert not leaked, (who, method, url, leaked)
        if path.startswith("/questionnaire/"):  # B's assignment: as if there were none
            assert status == (401 if who == "anonymous" else 404), (who, method, url, status)
        if kind in CONSOLE_KINDS:  # an institution's session opens no console page
            # (a form posted there has the portal's token, not the console's: 403)
            assert status == 401 or (method == "POST" and status == 403), (who, url, status)
        if kind == "api":  # nor the API, which reads no cookie
            assert status == 401, (who, method, url, status)
        if kind in ("console", "rounds"):  # an institution's session opens no console page, and its
            # forms' tokens are not the console's (the CSRF guard refuses them first)
            refused = 401 if method == "GET" or who == "anonymous" else 403
            assert status == refused, (who, method, url, status)
        if kind == "open" and method == "POST" and who != "anonymous" and path == "/signout":
            client = _visitor(world, who)  # signed out by the walk: sign in again


@pytest.mark.parametrize("who", ["team", "lead", "head"])
def test_b_s_real_approval_link_is_refused_to_a_s_people(world: World, who: str) -> None:
    client = _visitor(world, who)
    url = f"/plans/approve/{world.approval_tokens[B]}"
    assert client.get(url).status_code == 404
    status, body = _request(client, "POST", url, FORM)
    assert status == 404 and NAMES[B] not in body
    with world.root.db.reading() as s:
        plan = s.get(Plan, world.plan_ids[B])
        assert plan is not None and plan.status != "approved"
        assert all(not a.outcome for a in s.exec(select(PlanApproval)).all())


@pytest.mark.parametrize("who", ["team", "lead", "head"])
def test_a_s_own_pages_are_served_to_a_s_people(world: World, who: str) -> None:
    """The control of the walk: the same routes with A's ids answer A's people."""
    client = _visitor(world, who)
    plan = world.plan_ids[A]
    home = client.get("/")
    assert home.status_code == 200 and NAMES[A] in home.text
    assert client.get(f"/plans/{plan}").status_code == 200
    pdf = client.get(f"/plans/{plan}/pdf")
    assert pdf.status_code == 200 and pdf.content == b"%PDF-1.7 plan of VID"
    assert client.get(f"/plans/approve/{world.approval_tokens[A]}").status_code == 200
    assert client.get("/results").status_code == 200
    assert client.get("/evidence").status_code == 200
    # The team shapes the plan and reports progress; the head reads and decides.
    team = 403 if who == "head" else 200
    assert client.get(f"/plans/{plan}/shape").status_code == team
    assert client.get("/progress").status_code == team
    # The questionnaire is the team's: the head is refused (A's own, so 403, not 404).
    expected = 403 if who == "head" else 200
    assignment = _assignment(world, A)
    workbook = client.get(f"/questionnaire/{assignment}/workbook")
    assert workbook.status_code == expected, who
    for url in (f"/questionnaire/{assignment}", f"/questionnaire/{assignment}/{PAGE}",
                f"/questionnaire/{assignment}/services"):  # fmt: skip
        page = client.get(url)
        assert page.status_code == expected, (who, url)
    if who != "head":
        assert NAMES[A] in page.text
    with world.root.db.reading() as s:
        assert s.exec(select(DraftAnswer)).all() == []


@pytest.mark.parametrize("who", VISITORS)
def test_every_state_changing_route_refuses_a_form_without_its_token(
    world: World, who: str
) -> None:
    client = _visitor(world, who)
    tokens = {
        "/signin/{token}": world.issue(A, "team"),
        "/plans/approve/{token}": world.approval_tokens[A],
    }
    for method, path in _routes(world):
        if method == "GET":
            continue
        url = (
            path.replace("{token}", tokens.get(path, ""))
            .replace("{plan_id}", str(world.plan_ids[A]))
            .replace("{assignment_id}", str(_assignment(world, A)))
            .replace("{page_id}", PAGE)
            .replace("{field_id}", FIELD)
            .replace("{round_code}", ROUND)
            .replace("{institution}", A)
        )
        answer = client.post(url, data={**FORM, "email": world.heads[A]})
        assert answer.status_code == 403, (who, url, answer.status_code)
    with world.root.db.reading() as s:
        assert all(a.used_at is None for a in s.exec(select(SigninToken)).all()
                   if a.issued_by == "test" and who == "anonymous")  # fmt: skip
        assert all(not a.outcome for a in s.exec(select(PlanApproval)).all())
        assert s.exec(select(OutboxMessage).where(OutboxMessage.kind == "signin")).all() == []
        assert len(s.exec(select(Plan)).all()) == 2  # no version shaped
        assert s.exec(select(StatusReport)).all() == []  # no progress reported
        assert s.exec(select(DraftAnswer)).all() == []
        assert s.exec(select(EvidenceFile)).all() == []  # none attached or removed
    assert secrets  # keeps the import honest for forged tokens elsewhere


@pytest.mark.parametrize("who", ["team", "lead", "head"])
def test_nothing_of_b_changes_whatever_a_s_people_post(world: World, who: str) -> None:
    """A's people posting to B's plan ids (shape, decide) change nothing of B."""
    client = _visitor(world, who)
    plan = world.plan_ids[B]
    for url in (f"/plans/{plan}/shape", f"/plans/{plan}/decision"):
        status, _ = _request(client, "POST", url, FORM)
        assert status == 404, (who, url, status)
    # Nor B's evidence file, removed from A's own pages by its id.
    b_file = _b_evidence(world)
    own = _assignment(world, A)
    for url in ("/progress/evidence", f"/questionnaire/{own}/{PAGE}/evidence"):
        status, body = _request(client, "POST", url, {**FORM, "remove": str(b_file)})
        assert status in (403, 404) and B_FILE not in body, (who, url, status)
    with world.root.db.reading() as s:
        b = s.get(Plan, plan)
        assert b is not None and b.status != "approved"
        assert len(s.exec(select(Plan)).all()) == 2
        b_row = s.get(EvidenceFile, b_file)
        assert b_row is not None and b_row.removed_at is None


@pytest.mark.parametrize("role", CONSOLE_ROLES)
def test_a_console_person_opens_the_console_pages_of_their_role_and_no_institution_page(
    world: World, role: str
) -> None:
    """The console's roles walk every route: a console page answers the roles it admits
    (403 to the others); an institution's page knows nobody (401), shows nothing of B."""
    assert set(CONSOLE_ACCESS) == {r for r, kind in ROUTES.items() if kind in CONSOLE_KINDS}
    secret = _b_data(world)
    if may(role, READ_ROUNDS):  # the roles that read institutions' data see their names
        secret = [text for text in secret if text != NAMES[B]]
    client = console_sign_in(world, role)
    for method, path in _routes(world):
        kind = ROUTES[(method, path)]
        if path.startswith("/console/sign"):  # the sign-in steps and sign-out: not pages
            continue
        url = path.format(**_values(world, kind, path)) if "{" in path else path
        status, body = _request(client, method, url, {**FORM, "remove": "1"})
        if kind in CONSOLE_KINDS:
            admitted = role in CONSOLE_ACCESS[(method, path)]
            if kind == "rounds" and method == "POST" and admitted:
                assert status in CONSOLE_POST_ANSWERS, (role, method, url, status)
            else:
                expected = CONSOLE_ANSWER.get((method, path), 200) if admitted else 403
                assert status == expected, (role, method, url, status)
            if kind == "console" and "{" in path:  # things that do not exist: not found,
                # to whoever may look
                unknown = path.format(**CONSOLE_UNKNOWN)
                status, _ = _request(client, method, unknown, FORM)
                assert status == (404 if admitted else 403), (role, method, unknown, status)
        elif kind == "api":  # the console's session is no token
            assert status == 401, (role, method, url, status)
        elif kind in ("ids", "link"):
            assert status in (401, 403, 404), (role, method, url, status)
        elif path not in ("/signin", "/signout", OPENAPI):
            assert status in (401, 403), (role, method, url, status)
        leaked = [text for text in secret if text in body]
        assert not leaked, (role, method, url, leaked)
    # Still signed in to the console after the walk (the portal's sign-out is not its).
    assert client.get("/console").status_code == 200


@pytest.mark.parametrize("role", CONSOLE_ROLES)
def test_an_api_token_opens_the_api_routes_of_its_role_and_no_page(
    world: World, role: str, spec: QuestionnaireSpec
) -> None:
    """Each console role's token walks every route: an API route answers the roles it
    admits (403 to the others) and 404 for an unknown id or another round's; a page (the
    portal's, the console's) knows no token (401, or nothing of B)."""
    assert set(API_ACCESS) == {r for r, kind in ROUTES.items() if kind == "api"}
    open_second_round(world, spec.id)
    other_round = _assignment_in(world, A, "2026-K2")
    secret = _b_data(world)
    token = api_token(world, role)
    client = TestClient(create_app(world.root), base_url=PUBLIC, headers=bearer(token))
    for method, path in _routes(world):
        kind = ROUTES[(method, path)]
        url = path.format(**_values(world, kind, path)) if "{" in path else path
        if kind == "api":
            if path.endswith("/trend"):  # K2: compared with K1, the round before it
                url = path.format(round_code="2026-K2")
            admitted = role in API_ACCESS[(method, path)]
            answer = client.get(url)
            assert answer.status_code == (200 if admitted else 403), (role, url, answer.text)
            if (method, path) in API_INTERNAL:
                inside = role in API_INTERNAL[(method, path)]
                status = client.get(url + "?form=internal").status_code
                assert status == (200 if inside else 403), (role, url, status)
                if role == "analyst":  # the published form names nobody
                    leaked = [text for text in secret if text in answer.text]
                    assert not leaked, (role, url, leaked)
            if "{assignment_id}" in path:
                for foreign in ("99999", str(other_round)):
                    wrong = path.format(round_code=ROUND, assignment_id=foreign)
                    status = client.get(wrong).status_code
                    assert status == (404 if admitted else 403), (role, wrong, status)
            elif "{round_code}" in path:
                status = client.get(path.format(round_code="NOPE")).status_code
                assert status == (404 if admitted else 403), (role, path, status)
            continue
        status, body = _request(client, method, url, {**FORM, "remove": "1"})
        if kind in ("console", "rounds", "ids", "link"):
            assert status in (401, 403, 404), (role, method, url, status)
        leaked = [text for text in secret if text in body]
        assert not leaked, (role, method, url, leaked)


def _assignment_in(world: World, code: str, round_code: str) -> int:
    return assignment_id(world, code, round_code)
