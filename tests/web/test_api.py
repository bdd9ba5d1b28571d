"""The read-only API (/api/v1, docs/api.md): tokens (only the hash kept, revoked, expired,
an account disabled, the last use written at most once a minute), every route for each
role's token with unknown and foreign ids, JSON errors, the rate limit, the OpenAPI
document, and a round's lists in a constant number of statements."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select
from starlette.routing import Mount
from starlette.testclient import TestClient

from pvpp import measures, national
from pvpp.accounts import set_disabled
from pvpp.api_data import round_assignments, round_plans
from pvpp.app import App
from pvpp.clock import FixedClock
from pvpp.exports.open_data import TABLES, export_open_data
from pvpp.national import round_trend
from pvpp.plans import context, latest_plan, scores_for
from pvpp.queries import measure_facts
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.files import store_file
from pvpp.store.models import (
    ApiToken,
    Assignment,
    AuditLog,
    Institution,
    MeasureStatus,
    Round,
    StatusReport,
)
from pvpp.throttle import Limit
from pvpp.token_rules import digest
from pvpp.trends import MAX_ROUNDS
from pvpp.web import create_app
from pvpp.web.api import Limiter
from tests.conftest import make_root
from tests.rounds import close, run_round
from tests.store.test_queries import _round_of
from tests.web.api_tokens import api_token, bearer
from tests.web.conftest import (
    PUBLIC,
    ROUND,
    A,
    B,
    World,
    assignment_id,
    open_second_round,
    web_settings,
)
from tests.web.consoles import ACCOUNTS, console_sign_in

V1 = "/api/v1"
ROLES = ("coordinator", "reviewer", "analyst")


def _get(world: World, url: str, token: str | None, client: TestClient | None = None) -> Any:
    headers = bearer(token) if token else {}
    return (client or world.client).get(V1 + url, headers=headers)


def _items(world: World, url: str, token: str) -> list[dict[str, Any]]:
    """The rows of a list's first page (the tests' rounds fit in one)."""
    answer = _get(world, url, token)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["next"] is None, body["next"]
    rows: list[dict[str, Any]] = body["items"]
    return rows


def _error(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"]["message"] and "Traceback" not in answer.text


# -- tokens ---------------------------------------------------------------------------------


def test_a_token_is_kept_as_its_hash_and_prefix_and_its_making_is_audited(world: World) -> None:
    token = api_token(world, "reviewer")
    with world.root.db.reading() as s:
        row = s.exec(select(ApiToken)).one().model_dump()
        audit = s.exec(select(AuditLog).where(AuditLog.action == "api_token.add")).one()
        entry = (audit.entity_key, audit.detail)
    assert row["token_sha256"] == digest(token) and row["prefix"] == token[:13]
    assert not any(token in str(value) for value in row.values())
    assert token not in str(entry)
    assert entry[0] == row["prefix"] and entry[1]["role"] == "reviewer"
    assert row["expires_at"] == world.clock.now() + timedelta(days=90)
    assert row["last_used_at"] is None


def test_the_api_answers_401_in_json_without_a_usable_token(world: World) -> None:
    valid = api_token(world, "coordinator")
    answer = _get(world, "/rounds", None)
    _error(answer, 401, "missing_token")
    assert answer.headers["www-authenticate"] == 'Bearer realm="pvpp"'
    basic = world.client.get(V1 + "/rounds", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    _error(basic, 401, "missing_token")
    for wrong in ("nonsense", valid[:-1], valid[:-3] + ("AAA" if valid[-3:] != "AAA" else "BBB")):
        answer = _get(world, "/rounds", wrong)
        _error(answer, 401, "invalid_token")
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    assert _get(world, "/rounds", valid).status_code == 200


def test_a_revoked_or_expired_token_or_a_disabled_account_s_gets_401(world: World) -> None:
    from pvpp.api_tokens import revoke_token

    revoked, disabled = api_token(world, "coordinator"), api_token(world, "analyst")
    short = api_token(world, "reviewer", days=1)
    with world.root.db.unit_of_work() as s:
        revoke_token(s, revoked[:13], now=world.clock.now(), actor="test")
        set_disabled(s, ACCOUNTS["analyst"][0], disabled=True, now=world.clock.now(), actor="t")
    _error(_get(world, "/rounds", revoked), 401, "invalid_token")
    assert "revoked" in _get(world, "/rounds", revoked).json()["error"]["message"]
    assert "disabled" in _get(world, "/rounds", disabled).json()["error"]["message"]
    assert _get(world, "/rounds", short).status_code == 200
    world.clock.advance(timedelta(days=1))
    answer = _get(world, "/rounds", short)
    _error(answer, 401, "invalid_token")
    assert "expired" in answer.json()["error"]["message"]
    with world.root.db.reading() as s:
        actions = s.exec(select(AuditLog.action).where(col(AuditLog.entity) == "api_token")).all()
    assert sorted(actions) == ["api_token.add"] * 3 + ["api_token.revoke"]


def test_the_last_use_is_written_at_most_once_a_minute(world: World) -> None:
    token = api_token(world, "analyst")

    def last_used() -> Any:
        with world.root.db.reading() as s:
            row = s.exec(select(ApiToken)).one()
            return row.last_used_at, row.last_used_ip

    first = world.clock.now()
    assert _get(world, "/rounds", token).status_code == 200
    assert last_used() == (first, "testclient")
    world.clock.advance(timedelta(seconds=59))
    assert _get(world, "/token", token).status_code == 200
    assert last_used()[0] == first
    world.clock.advance(timedelta(seconds=1))
    assert _get(world, "/rounds", token).status_code == 200
    assert last_used()[0] == first + timedelta(minutes=1)
    # A refused request (a role without the capability) is still a use of the token.
    world.clock.advance(timedelta(minutes=5))
    assert _get(world, f"/rounds/{ROUND}/assignments", token).status_code == 403
    assert last_used()[0] == first + timedelta(minutes=6)


def test_portal_and_console_sessions_never_open_the_api_and_it_sets_no_cookie(
    world: World,
) -> None:
    lead = world.sign_in(A, "lead", TestClient(create_app(world.root), base_url=PUBLIC))
    console = console_sign_in(world, "coordinator")
    assert lead.get("/").status_code == 200  # the sessions are alive
    assert console.get("/console").status_code == 200
    for client in (lead, console):
        for url in ("/rounds", f"/rounds/{ROUND}/assignments", "/token"):
            _error(client.get(V1 + url), 401, "missing_token")
    fresh = TestClient(create_app(world.root), base_url=PUBLIC)
    answer = fresh.get(V1 + "/rounds?lang=en", headers=bearer(api_token(world, "analyst")))
    assert answer.status_code == 200 and "set-cookie" not in answer.headers
    assert answer.headers["cache-control"] == "no-store"


def _limited(world: World, token: int = 100, client: int = 100) -> TestClient:
    """A client of an app whose API admits ``token`` requests per token and ``client``
    per client address in any minute."""
    app = create_app(world.root)
    api = next(r for r in app.routes if isinstance(r, Mount) and r.path == V1).app
    api.state.token_limiter = Limiter(Limit(token, timedelta(minutes=1)), "token")  # type: ignore[attr-defined]
    api.state.client_limiter = Limiter(Limit(client, timedelta(minutes=1)), "client")  # type: ignore[attr-defined]
    return TestClient(app, base_url=PUBLIC)


def test_the_rate_limit_is_per_token(world: World) -> None:
    client = _limited(world, token=3)
    one, other = api_token(world, "coordinator"), api_token(world, "reviewer")
    assert [_get(world, "/token", one, client).status_code for _ in range(3)] == [200] * 3
    answer = _get(world, "/token", one, client)
    _error(answer, 429, "rate_limited")
    assert answer.headers["retry-after"] == "60"
    assert "3 requests a minute per token" in answer.json()["error"]["message"]
    assert _get(world, "/token", other, client).status_code == 200
    world.clock.advance(timedelta(seconds=61))
    assert _get(world, "/token", one, client).status_code == 200


def test_the_rate_limit_is_per_client_too_with_a_token_or_without(world: World) -> None:
    """A client's requests count whatever their token (or none: guessing tokens costs
    requests too), before the token is looked up; another client is not held back."""
    client = _limited(world, token=10, client=4)
    one, other = api_token(world, "coordinator"), api_token(world, "reviewer")
    assert _get(world, "/token", None, client).status_code == 401
    assert _get(world, "/token", "pvpp_guessed", client).status_code == 401
    assert _get(world, "/token", one, client).status_code == 200
    world.clock.advance(timedelta(seconds=30))
    assert _get(world, "/token", other, client).status_code == 200
    answer = _get(world, "/token", other, client)
    _error(answer, 429, "rate_limited")
    assert answer.headers["retry-after"] == "30"  # the first request leaves the window
    assert "4 requests a minute per client" in answer.json()["error"]["message"]
    elsewhere = {**bearer(other), "X-Forwarded-For": "198.51.100.7"}  # not believed: same
    assert client.get(V1 + "/token", headers=elsewhere).status_code == 429
    world.clock.advance(timedelta(seconds=30))
    assert _get(world, "/token", other, client).status_code == 200


def test_a_limiter_keeps_no_key_whose_requests_left_the_window() -> None:
    limiter = Limiter(Limit(2, timedelta(minutes=1)), "client", sweep=3)
    start = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    for n in range(3):
        assert limiter.admit(f"10.0.0.{n}", start) is None
    later = start + timedelta(minutes=2)
    assert limiter.admit("10.0.0.9", later) is None
    assert set(limiter._seen) == {"10.0.0.9"}


def test_a_limiter_of_many_active_clients_stays_bounded_and_sweeps_seldom() -> None:
    """Keys all active: the sweep drops nothing, so it runs only when the keys have
    doubled since the last one, and past the cap the key seen longest ago is forgotten."""
    limiter = Limiter(Limit(2, timedelta(minutes=1)), "client", sweep=10, most_keys=50)
    start = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    for n in range(1_000):
        assert limiter.admit(f"10.0.{n // 256}.{n % 256}", start) is None
        assert len(limiter._seen) <= 50
    # At 10, 20 and 40 keys; then the cap holds them below the next (80): 3, not ~990.
    assert limiter.sweeps == 3
    assert "10.0.0.0" not in limiter._seen and "10.0.3.231" in limiter._seen  # oldest out
    # A key seen again is kept as the newest; its count goes on.
    assert limiter.admit("10.0.3.200", start) is None
    assert limiter.admit("10.0.3.200", start) is not None
    for n in range(49):
        limiter.admit(f"192.0.2.{n}", start)
    assert "10.0.3.200" in limiter._seen and "10.0.3.231" not in limiter._seen


# -- the routes -----------------------------------------------------------------------------


def _assignment(world: World, code: str, round_code: str = ROUND) -> int:
    return assignment_id(world, code, round_code)


def test_each_role_reads_what_its_capabilities_allow(world: World) -> None:
    a = _assignment(world, A)
    reads_rounds = [
        f"/rounds/{ROUND}/assignments", f"/rounds/{ROUND}/assignments/{a}",
        f"/rounds/{ROUND}/assignments/{a}/scores", f"/rounds/{ROUND}/assignments/{a}/plan",
        f"/rounds/{ROUND}/plans",
    ]  # fmt: skip
    for role in ROLES:
        token = api_token(world, role)
        for url in ("/token", "/rounds", f"/rounds/{ROUND}"):
            assert _get(world, url, token).status_code == 200, (role, url)
        for url in reads_rounds:
            answer = _get(world, url, token)
            if role == "analyst":  # national figures only
                _error(answer, 403, "forbidden")
            else:
                assert answer.status_code == 200, (role, url, answer.text)
        # 403 comes before looking anything up: an analyst learns nothing of what exists.
        unknown = _get(world, f"/rounds/NOPE/assignments/{a}/scores", token)
        assert unknown.status_code == (403 if role == "analyst" else 404)


def test_an_analyst_s_token_reads_the_rounds_and_their_counts(world: World) -> None:
    token = api_token(world, "analyst")
    info = _get(world, "/token", token).json()
    assert info["role"] == "analyst" and info["capabilities"] == ["read_national"]
    rounds = _items(world, "/rounds", token)
    assert [r["code"] for r in rounds] == [ROUND]
    assert rounds[0]["states"]["planned"] == 2 and rounds[0]["assignments"] == sum(
        rounds[0]["states"].values()
    )
    assert _get(world, f"/rounds/{ROUND}", token).json() == rounds[0]
    # A coordinator's token narrowed to the analyst's scope reads no more than an analyst.
    narrowed = api_token(world, "coordinator", scope="analyst")
    _error(_get(world, f"/rounds/{ROUND}/plans", narrowed), 403, "forbidden")


def test_the_assignments_of_a_round_with_their_states_and_filters(world: World) -> None:
    token = api_token(world, "reviewer")
    listed = _items(world, f"/rounds/{ROUND}/assignments", token)
    codes = [row["institution"]["code"] for row in listed]
    assert codes == sorted(codes) and {A, B} <= set(codes)
    planned = _items(world, f"/rounds/{ROUND}/assignments?state=planned", token)
    assert [row["institution"]["code"] for row in planned] == sorted([A, B])
    mine = next(row for row in planned if row["institution"]["code"] == A)
    assert mine["plan_version"] == 1 and mine["answers_accepted_at"] is not None
    several = f"/rounds/{ROUND}/assignments?state=planned&state=invited"
    assert len(_items(world, several, token)) == len(listed)
    group = mine["institution"]["group"]
    in_group = _items(world, f"/rounds/{ROUND}/assignments?group={group.lower()}", token)
    assert in_group and all(r["institution"]["group"] == group for r in in_group)
    assert mine in in_group
    assert _items(world, f"/rounds/{ROUND}/assignments?group=NOGROUP", token) == []
    lost = _get(world, f"/rounds/{ROUND}/assignments?state=lost", token)
    _error(lost, 422, "invalid_parameter")
    assert "state must be one of invited" in lost.json()["error"]["message"]
    one = _get(world, f"/rounds/{ROUND}/assignments/{mine['id']}", token).json()
    assert {k: v for k, v in one.items() if k != "transitions"} == mine
    assert [t["to_state"] for t in one["transitions"]][-1] == "planned"
    assert one["transitions"][0] == {**one["transitions"][0], "from_state": None,
                                     "to_state": "invited"}  # fmt: skip


def test_the_scores_are_those_of_the_scoring_service(world: World) -> None:
    token = api_token(world, "coordinator")
    a = _assignment(world, A)
    got = _get(world, f"/rounds/{ROUND}/assignments/{a}/scores", token).json()
    with world.root.db.reading() as s:
        result, _ = scores_for(s, context(s, ROUND, A))
    assert got["method"] == "pvpp-score-3" and got["institution_code"] == A
    assert got["overall"] == pytest.approx(result.overall)
    assert got["index"] == pytest.approx(result.index)
    assert [i["item"] for i in got["items"]] == list(result.items)
    assert {c["component"]: c["score"] for c in got["components"]} == pytest.approx(
        {k: c.score for k, c in result.components.items()}
    )
    assert [w["code"] for w in got["warnings"]] == [w.code for w in result.warnings]
    assert all(set(w["message"]) == {"lv", "en"} for w in got["warnings"])


def _report(world: World, code: str, statuses: dict[str, str]) -> None:
    """A status report of ``code``'s team with ``statuses`` (measure id → status)."""
    with world.root.db.unit_of_work() as s:
        a = context(s, ROUND, code).assignment
        stored = store_file(s, b"status sheet of " + code.encode())
        report = StatusReport(
            assignment_id=a.id, plan_version=1, file_sha256=stored.sha256,
            filename="status.xlsx", source="test", status="accepted",
        )  # fmt: skip
        s.add(report)
        s.flush()
        for measure_id, status in statuses.items():
            s.add(MeasureStatus(report_id=report.id or 0, assignment_id=a.id or 0,
                                measure_id=measure_id, status=status))  # fmt: skip


def test_plan_summaries_count_the_measures_by_the_rules(world: World) -> None:
    with world.root.db.reading() as s:
        plan = latest_plan(s, context(s, ROUND, A).assignment)
        assert plan is not None
        ids = [row.measure_id for row, _ in measure_facts(s, plan)]
    _report(world, A, {ids[0]: "done", ids[1]: "drop"})
    world.clock.day = date(2027, 1, 15)  # past the first half-years' due dates
    token = api_token(world, "reviewer")
    a = _assignment(world, A)
    one = _get(world, f"/rounds/{ROUND}/assignments/{a}/plan", token).json()
    with world.root.db.reading() as s:
        plan = latest_plan(s, context(s, ROUND, A).assignment)
        assert plan is not None
        facts = [f for _, f in measure_facts(s, plan)]
        status = plan.status
    today = world.clock.today()
    assert one["version"] == 1 and one["state"] == status
    assert one["measures"] == {
        "total": len(facts),
        "open": sum(measures.is_open(f) for f in facts),
        "done": 1,
        "dropped": 1,
        "overdue": sum(measures.is_overdue(f, today) for f in facts),
    }
    assert one["measures"]["overdue"] > 0 and one["measures"]["open"] == len(facts) - 2
    listed = _items(world, f"/rounds/{ROUND}/plans", token)
    assert sorted(p["institution_code"] for p in listed) == sorted([A, B])
    assert next(p for p in listed if p["institution_code"] == A) == one
    assert _items(world, f"/rounds/{ROUND}/plans?state=invited", token) == []


def test_unknown_and_foreign_ids_are_404(world: World, spec: Any) -> None:
    open_second_round(world, spec.id)
    token = api_token(world, "coordinator")
    k2_a = _assignment(world, A, "2026-K2")
    k1_b = _assignment(world, B)
    for suffix in ("", "/scores", "/plan"):
        # K2's assignment under K1, K1's under K2: not found, as if there were none.
        _error(_get(world, f"/rounds/{ROUND}/assignments/{k2_a}{suffix}", token), 404,
               "assignment_not_found")  # fmt: skip
        _error(_get(world, f"/rounds/2026-K2/assignments/{k1_b}{suffix}", token), 404,
               "assignment_not_found")  # fmt: skip
        _error(_get(world, f"/rounds/{ROUND}/assignments/99999{suffix}", token), 404,
               "assignment_not_found")  # fmt: skip
        _error(_get(world, f"/rounds/NOPE/assignments/{k1_b}{suffix}", token), 404,
               "round_not_found")  # fmt: skip
        _error(_get(world, f"/rounds/{ROUND}/assignments/abc{suffix}", token), 404, "not_found")
    # Its own round's assignment: invited, so nothing scored and no plan yet.
    _error(_get(world, f"/rounds/2026-K2/assignments/{k2_a}/scores", token), 404,
           "no_accepted_answers")  # fmt: skip
    _error(_get(world, f"/rounds/2026-K2/assignments/{k2_a}/plan", token), 404, "no_plan")
    assert _get(world, f"/rounds/2026-K2/assignments/{k2_a}", token).json()["state"] == "invited"
    for url in ("/rounds/NOPE", "/rounds/NOPE/assignments", "/rounds/NOPE/plans"):
        _error(_get(world, url, token), 404, "round_not_found")
    _error(_get(world, "/nothing", token), 404, "not_found")


def test_other_methods_bad_input_and_failures_are_json_errors(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = api_token(world, "coordinator")
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        answer = world.client.request(method, V1 + "/rounds", headers=bearer(token))
        _error(answer, 405, "method_not_allowed")
    # A POST without any CSRF token is not the pages' 403: the pages' guard is not the API's.
    answer = world.client.post(V1 + f"/rounds/{ROUND}", headers=bearer(token))
    _error(answer, 405, "method_not_allowed")

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("pvpp.api_data.rounds", broken)
    client = TestClient(create_app(world.root), base_url=PUBLIC, raise_server_exceptions=False)
    answer = client.get(V1 + "/rounds", headers=bearer(token))
    _error(answer, 500, "internal_error")
    assert "a bug" not in answer.text


# -- the OpenAPI document -------------------------------------------------------------------

PATHS = {
    "/token", "/rounds", "/rounds/{round_code}", "/rounds/{round_code}/assignments",
    "/rounds/{round_code}/assignments/{assignment_id}",
    "/rounds/{round_code}/assignments/{assignment_id}/scores",
    "/rounds/{round_code}/assignments/{assignment_id}/plan", "/rounds/{round_code}/plans",
    "/rounds/{round_code}/aggregates", "/rounds/{round_code}/trend",
}  # fmt: skip


def test_the_openapi_document_is_valid_and_describes_every_route(world: World) -> None:
    answer = world.client.get(V1 + "/openapi.json")  # no token needed: it holds no data
    assert answer.status_code == 200
    doc = answer.json()
    from openapi_spec_validator import validate  # a dev dependency

    validate(doc)
    assert doc["openapi"].startswith("3.1") and doc["servers"] == [{"url": V1}]
    assert doc["info"]["title"] and doc["info"]["version"]
    assert set(doc["paths"]) == PATHS
    schemes = doc["components"]["securitySchemes"]
    assert schemes == {"token": {**schemes["token"], "type": "http", "scheme": "bearer"}}
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        assert set(item) == {"get"}, path  # read-only
        operation = item["get"]
        assert operation["summary"] and operation["description"], path
        assert operation["security"] == [{"token": []}], path
        assert {"200", "401", "403", "429"} <= set(operation["responses"]), path
        error = operation["responses"]["401"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/ErrorBody"}, path
        assert "content" in operation["responses"]["200"], path
    # Every field of the response models has a description; the examples are there too.
    for name, schema in schemas.items():
        if name in ("HTTPValidationError", "ValidationError"):  # FastAPI's own, unused here
            continue
        for field, spec in schema["properties"].items():
            assert spec.get("description"), (name, field)
            options = [spec, spec.get("items", {}), *spec.get("anyOf", [])]
            nested = any("$ref" in o or "$ref" in o.get("items", {}) for o in options)
            assert nested or "examples" in spec, (name, field)
    assert schemas["Round"]["properties"]["states"]["examples"][0]["plan_sent"] == 50


# -- statements -----------------------------------------------------------------------------


@contextmanager
def _counting(root: App) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = root.db.engine(for_reading=True)

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_round_s_lists_take_the_same_statements_for_10_or_120_institutions(
    world: World,
) -> None:
    with world.root.db.unit_of_work() as s:
        _round_of(s, "S", 10)
        _round_of(s, "L", 120)
    token = api_token(world, "coordinator")
    _get(world, "/token", token)  # the last use written; later requests only read
    counts: dict[str, list[int]] = {}
    for code, n in (("S", 10), ("L", 120)):
        with world.root.db.reading() as s:
            assert len(round_assignments(s, code, limit=500).rows) == n
            assert len(round_plans(s, code, today=world.clock.today()).rows) == (n + 4) // 5
        for url in (f"/rounds/{code}/assignments?limit=500", f"/rounds/{code}/plans"):
            with _counting(world.root) as statements:
                answer = _get(world, url, token)
            assert answer.status_code == 200
            counts.setdefault(url.split("/")[-1], []).append(len(statements))
        assert len(answer.json()["items"]) == (n + 4) // 5
    assert all(small == large for small, large in counts.values()), counts


# -- pages ----------------------------------------------------------------------------------


def _pages(world: World, url: str, token: str) -> list[list[dict[str, Any]]]:
    """Every page of a list, following its next links from ``url``."""
    pages: list[list[dict[str, Any]]] = []
    next_url: str | None = PUBLIC + V1 + url
    while next_url is not None:
        assert next_url.startswith(PUBLIC + V1 + "/"), next_url
        answer = world.client.get(next_url, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append(body["items"])
        next_url = body["next"]
        assert len(pages) < 20, "the pages never end"
    return pages


def _codes(rows: list[dict[str, Any]]) -> list[str]:
    return [r["institution"]["code"] if "institution" in r else r.get("institution_code")
            or r["code"] for r in rows]  # fmt: skip


def test_lists_come_in_pages_that_follow_one_another(world: World) -> None:
    with world.root.db.unit_of_work() as s:
        _round_of(s, "P", 7)  # P-0000 … P-0006; P-0000 and P-0005 with a plan
        _round_of(s, "Q", 0)
    token = api_token(world, "reviewer")
    whole = _codes(_items(world, "/rounds/P/assignments", token))
    assert whole == [f"P-{i:04d}" for i in range(7)]
    # Pages of three: 3, 3 and the last 1, in the same order as the whole list.
    pages = _pages(world, "/rounds/P/assignments?limit=3", token)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [c for p in pages for c in _codes(p)] == whole
    # Exactly one page: no next link (and no empty page after it).
    assert [len(p) for p in _pages(world, "/rounds/P/assignments?limit=7", token)] == [7]
    # Empty: a round without assignments, a filter matching nothing.
    assert _pages(world, "/rounds/Q/assignments", token) == [[]]
    assert _pages(world, "/rounds/P/assignments?group=NOGROUP&limit=1", token) == [[]]
    # The next link keeps the filters and the limit.
    first = _get(world, "/rounds/P/assignments?state=invited&group=g1&limit=2", token).json()
    assert "state=invited" in first["next"] and "group=g1" in first["next"]
    assert "limit=2" in first["next"] and first["limit"] == 2
    # Plans: only the assignments with one, a page at a time.
    plans = _pages(world, "/rounds/P/plans?limit=1", token)
    assert [_codes(p) for p in plans] == [["P-0000"], ["P-0005"]]
    # Rounds: newest first, then by code (P and Q open on the same day), one a page.
    rounds = _pages(world, "/rounds?limit=1", token)
    assert [r["code"] for p in rounds for r in p] == ["Q", "P", ROUND]


def test_a_page_is_not_shifted_by_a_row_added_before_it(world: World) -> None:
    """The cursor is the last row's key, not an offset: an assignment added to the part
    already read neither repeats a row nor hides one."""
    with world.root.db.unit_of_work() as s:
        _round_of(s, "P", 6)
    token = api_token(world, "coordinator")
    first = _get(world, "/rounds/P/assignments?limit=3", token).json()
    assert _codes(first["items"]) == ["P-0000", "P-0001", "P-0002"]
    with world.root.db.unit_of_work() as s:
        rnd = s.exec(select(Round).where(Round.code == "P")).one()
        inst = Institution(code="P-0000a", name="Jauna", group_id="G1", head_name="V",
                           head_email="jauna@example.org", scope="round1")  # fmt: skip
        s.add(inst)
        s.flush()
        s.add(Assignment(round_id=rnd.id, institution_id=inst.id, state="invited"))
    second = world.client.get(first["next"], headers=bearer(token)).json()
    assert _codes(second["items"]) == ["P-0003", "P-0004", "P-0005"]
    assert second["next"] is None


def test_a_limit_or_cursor_the_api_cannot_use_is_422_with_what_to_do(world: World) -> None:
    token = api_token(world, "coordinator")
    for url in ("/rounds", f"/rounds/{ROUND}/assignments", f"/rounds/{ROUND}/plans"):
        for limit in ("0", "501", "-3", "ten", "2.5"):
            answer = _get(world, f"{url}?limit={limit}", token)
            _error(answer, 422, "invalid_parameter")
            message = answer.json()["error"]["message"]
            assert message.startswith("limit must be a whole number from 1 to 500"), message
            assert repr(limit) in message, message
        assert _get(world, f"{url}?limit=500", token).status_code == 200
        answer = _get(world, f"{url}?cursor=not-a-cursor!", token)
        _error(answer, 422, "invalid_parameter")
        assert "'next' link" in answer.json()["error"]["message"]
    # A cursor of another list (a round's key given to the assignments) is not used either.
    with world.root.db.unit_of_work() as s:
        _round_of(s, "P", 1)
    rounds_cursor = _get(world, "/rounds?limit=1", token).json()["next"].split("cursor=")[1]
    _error(_get(world, f"/rounds/{ROUND}/assignments?cursor={rounds_cursor}", token), 422,
           "invalid_parameter")  # fmt: skip


# -- national figures -----------------------------------------------------------------------

FIVE = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD"), ("RIGA", "RIGA")]
K2 = "2026-K2"


@pytest.fixture
def closed(tmp_path: Path, spec: QuestionnaireSpec) -> Iterator[World]:
    """Rounds 2026-K1 and 2026-K2 of five institutions, both closed; the server's day is
    2 July 2026."""
    clock = FixedClock(date(2026, 7, 2))
    root = make_root(web_settings(tmp_path), clock)
    root.db.upgrade()
    try:
        run_round(root, spec, tmp_path / "k1", FIVE, plans=True)
        close(root)
        run_round(root, spec, tmp_path / "k2", FIVE, round_code=K2, plans=True,
                  opens_on=date(2026, 4, 5), due_on=date(2026, 6, 30))  # fmt: skip
        close(root, K2, today=date(2026, 7, 1))
        client = TestClient(create_app(root), base_url=PUBLIC)
        with client:
            yield World(root, clock, client)
    finally:
        root.close()


def test_the_aggregates_are_the_open_data_s_figures_and_the_trend_compares_closures(
    closed: World, tmp_path: Path
) -> None:
    world = closed
    analyst, reviewer = api_token(world, "analyst"), api_token(world, "reviewer")
    got = _get(world, f"/rounds/{ROUND}/aggregates", analyst).json()
    assert got["form"] == "published" and got["withheld"] is None
    assert got["closed_on"] == "2026-04-01" and got["institutions_scored"] == 5
    assert got["min_institutions"] == 4 and got["institutions_by_condition_group"] is None
    # The very rows of the open data's JSON files, table by table.
    with world.root.db.reading() as s:
        export_open_data(s, ROUND, tmp_path / "open", generated_at=world.clock.now())
    for name in TABLES:
        published = json.loads((tmp_path / "open" / f"{name}.json").read_text("utf-8"))
        assert got["tables"][name] == published, name
    assert got["tables"]["needs"] and got["tables_withheld"] == []
    text = _get(world, f"/rounds/{ROUND}/aggregates", analyst).text
    assert not [code for code in ("VID", "VZD", "RIGA") if code in text]
    english = _get(world, f"/rounds/{ROUND}/aggregates?lang=en", analyst).json()
    assert (
        english["tables"]["degree_distribution"][0]["item_name"]
        != (got["tables"]["degree_distribution"][0]["item_name"])
    )
    # The internal form: for the roles that read institutions' own data, not the analyst.
    _error(_get(world, f"/rounds/{ROUND}/aggregates?form=internal", analyst), 403, "forbidden")
    internal = _get(world, f"/rounds/{ROUND}/aggregates?form=internal", reviewer).json()
    assert internal["form"] == "internal" and internal["closed_on"] is None
    assert set(internal["institutions_by_condition_group"]) == {c for c, _ in FIVE}
    _error(_get(world, f"/rounds/{ROUND}/aggregates?form=raw", reviewer), 422,
           "invalid_parameter")  # fmt: skip

    # The trend: K2 with the round before it, each round's closure.
    trend = _get(world, f"/rounds/{K2}/trend", analyst).json()
    assert trend["rounds"] == [ROUND, K2] and trend["withheld"] is None
    figures = trend["trend"]
    assert figures["positions"] is None and figures["jumps"] is None  # nobody named
    assert isinstance(figures["jump_institutions"], int)
    with world.root.db.reading() as s:
        expected = round_trend(s, [ROUND, K2], publish=True).trend
    assert expected is not None
    as_json = json.loads(json.dumps(expected.to_dict()))
    assert figures["components"] == as_json["components"]
    assert figures["items"] == as_json["items"] and figures["groups"] == as_json["groups"]
    assert [p["round"] for p in figures["plans"]] == [ROUND, K2]
    assert _get(world, f"/rounds/{K2}/trend?earlier={ROUND}", analyst).json() == trend
    _error(_get(world, f"/rounds/{K2}/trend?form=internal", analyst), 403, "forbidden")
    inside = _get(world, f"/rounds/{K2}/trend?form=internal", reviewer).json()["trend"]
    assert sorted(p["institution"] for p in inside["positions"]) == sorted(c for c, _ in FIVE)
    assert isinstance(inside["jumps"], list)
    _error(_get(world, f"/rounds/{ROUND}/trend", analyst), 404, "no_earlier_round")
    _error(_get(world, f"/rounds/{K2}/trend?earlier=NOPE", analyst), 404, "round_not_found")
    # Only rounds opened before the one asked (it is the last compared), and not too many.
    later = _get(world, f"/rounds/{ROUND}/trend?earlier={K2}", analyst)
    _error(later, 422, "invalid_parameter")
    assert f"rounds opened before {ROUND}" in later.json()["error"]["message"]
    assert f"{K2} opened on 2026-04-05" in later.json()["error"]["message"]
    itself = _get(world, f"/rounds/{K2}/trend?earlier={ROUND}&earlier={K2}", analyst)
    _error(itself, 422, "invalid_parameter")
    many = "&".join(f"earlier=R{n}" for n in range(MAX_ROUNDS))
    too_many = _get(world, f"/rounds/{K2}/trend?{many}", analyst)
    _error(too_many, 422, "invalid_parameter")
    assert f"at most {MAX_ROUNDS - 1} rounds" in too_many.json()["error"]["message"]
    fewer = "&".join(f"earlier=R{n}" for n in range(MAX_ROUNDS - 1))  # counted, then looked up
    _error(_get(world, f"/rounds/{K2}/trend?{fewer}", analyst), 404, "round_not_found")
    _error(_get(world, "/rounds/NOPE/trend", analyst), 404, "round_not_found")
    _error(_get(world, "/rounds/NOPE/aggregates", analyst), 404, "round_not_found")


def test_a_closed_round_s_published_figures_are_scored_once_per_process(
    closed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closures are final: reading the published aggregates or trend again rescores
    nothing (each language and each comparison is made once); the internal form is
    made on every request (it reads the current answers)."""
    world = closed
    made = {"aggregates": 0, "trend": 0}

    def counted(name: str) -> Any:
        real = getattr(national, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            made["trend" if name == "round_trend" else name] += 1
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(national, "aggregates", counted("aggregates"))
    monkeypatch.setattr(national, "round_trend", counted("round_trend"))
    analyst, reviewer = api_token(world, "analyst"), api_token(world, "reviewer")
    first = _get(world, f"/rounds/{ROUND}/aggregates", analyst).json()
    assert _get(world, f"/rounds/{ROUND}/aggregates", analyst).json() == first
    assert _get(world, f"/rounds/{ROUND}/aggregates", reviewer).json() == first
    assert made["aggregates"] == 1
    _get(world, f"/rounds/{ROUND}/aggregates?lang=en", analyst)
    _get(world, f"/rounds/{ROUND}/aggregates?lang=en", analyst)
    assert made["aggregates"] == 2
    trend = _get(world, f"/rounds/{K2}/trend", analyst).json()
    assert _get(world, f"/rounds/{K2}/trend?earlier={ROUND}", analyst).json() == trend
    assert made["trend"] == 1
    _get(world, f"/rounds/{ROUND}/aggregates?form=internal", reviewer)
    _get(world, f"/rounds/{ROUND}/aggregates?form=internal", reviewer)
    _get(world, f"/rounds/{K2}/trend?form=internal", reviewer)
    _get(world, f"/rounds/{K2}/trend?form=internal", reviewer)
    assert made == {"aggregates": 4, "trend": 3}


def test_an_open_round_publishes_no_aggregates_and_no_trend(world: World, spec: Any) -> None:
    open_second_round(world, spec.id)
    analyst, coordinator = api_token(world, "analyst"), api_token(world, "coordinator")
    got = _get(world, f"/rounds/{ROUND}/aggregates", analyst).json()
    assert got["withheld"] == "open" and got["tables"] is None and got["closed_on"] is None
    assert "not closed" in got["note"]
    trend = _get(world, f"/rounds/{K2}/trend", analyst).json()
    assert trend["withheld"] == "open" and trend["open_round"] == ROUND
    assert trend["trend"] is None
    # The internal form reads the current answers of an open round (two scored: VID, LAD).
    internal = _get(world, f"/rounds/{ROUND}/aggregates?form=internal", coordinator).json()
    assert internal["withheld"] is None and internal["institutions_scored"] == 2
    assert set(internal["institutions_by_condition_group"]) == {A, B}
