"""The portal's pages: the home page, a plan version and its PDF, the head's approval page
deciding through pvpp.approvals.decide as `pvpp plan approve` does; Latvian by default,
English by choice; readable error pages; headers that keep pages private."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from starlette.testclient import TestClient

from pvpp.i18n import t
from pvpp.store.models import AuditLog, OutboxMessage, Plan, PlanApproval
from pvpp.web import create_app
from tests.web.conftest import NAMES, PUBLIC, A, World, csrf_of, team_of


def test_the_home_page_shows_the_round_what_is_missing_the_plans_and_the_team(
    world: World,
) -> None:
    client = world.sign_in(A, "team")
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="lv">' in html and '<main id="main"' in html
    assert 'class="skip" href="#main"' in html
    assert NAMES[A] in html and "2026-K1" in html and "31.03.2026" in html
    assert "plāns sagatavots" in html  # the assignment's state in words
    # RV1: the trainings nobody attended, each code with its name, each a condition
    # before the self-assessment (P2.2, the team's training on assessment, among them).
    assert "Pirms pašnovērtējuma jāapmeklē apmācība: P1.1 " in html
    assert "Pirms pašnovērtējuma jāapmeklē apmācība: P2.2 apmācīt katras iestādes" in html
    assert f'href="/plans/{world.plan_ids[A]}"' in html
    for name, email, _ in team_of(A).values():
        assert name in html and email in html
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "Implementation team" in english.text
    # The choice is kept.
    assert '<html lang="en">' in client.get("/").text
    assert '<html lang="lv">' in client.get("/?lang=lv").text


def test_the_home_page_lists_representatives_trained_outside_the_team(world: World) -> None:
    """P1.1 recorded for a representative (pvpp team training --name, before or without a
    team membership) shows on the home page and is no longer asked for."""
    from datetime import date

    from pvpp.teams import record_training

    with world.root.db.unit_of_work() as s:
        record_training(s, institution=A, email="ilze@vid.gov.lv", measure="P1.1",
                        attended_on=date(2025, 3, 4), name="Ilze Bērziņa")  # fmt: skip
    html = world.sign_in(A, "team").get("/").text
    assert "Apmācītie iestādes pārstāvji ārpus komandas" in html
    assert "Ilze Bērziņa" in html and "ilze@vid.gov.lv" in html and "04.03.2025" in html
    assert "jāapmeklē apmācība: P1.1 " not in html
    assert "jāapmeklē apmācība: P2.2 " in html


def test_the_plan_page_lists_the_measures_by_period_and_gives_the_pdf(world: World) -> None:
    client = world.sign_in(A, "head")
    plan = world.plan_ids[A]
    page = client.get(f"/plans/{plan}")
    assert page.status_code == 200
    assert "P2.4 individuālais pilnveides plāns, 1. versija" in page.text
    assert "2026. gada 1. pusgads" in page.text and '<h2 id="period-1">' in page.text
    assert f'href="/plans/{plan}/pdf"' in page.text
    pdf = client.get(f"/plans/{plan}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="PVPP-')
    assert "filename*=UTF-8''PVPP-" in disposition
    assert pdf.content == b"%PDF-1.7 plan of VID"


def test_pages_are_kept_out_of_caches_frames_and_referers(world: World) -> None:
    page = world.client.get("/signin")
    headers = page.headers
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    css = world.client.get("/static/portal.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


def test_unknown_pages_and_bad_ids_are_readable_404_pages(world: World) -> None:
    client = world.sign_in(A, "team")
    for url in (
        "/nothing", "/plans/abc", "/plans/999999", "/plans/999999/pdf", "/plans/²",
        "/plans/99999999999999999999", "/plans/3000000000", "/evidence/99999999999999999999",
        "/questionnaire/99999999999999999999",
    ):  # fmt: skip
        page = client.get(url)
        assert page.status_code == 404, url
        assert t("web.error.not_found.title", "lv") in page.text
    assert client.get("/?lang=en").status_code == 200
    assert "Page not found" in client.get("/nothing").text
    anonymous = TestClient(create_app(world.root), base_url=PUBLIC)
    page = anonymous.get(f"/plans/{world.plan_ids[A]}")
    assert page.status_code == 401 and 'href="/signin"' in page.text


def _approval_form(world: World) -> tuple[str, str]:
    """The head, signed in, opens the approval link of the plan email."""
    world.sign_in(A, "head")
    url = f"/plans/approve/{world.approval_tokens[A]}"
    page = world.client.get(url)
    assert page.status_code == 200, page.text
    return url, csrf_of(page.text)


def test_the_head_approves_through_the_link_of_the_plan_email(world: World) -> None:
    url, csrf = _approval_form(world)
    page = world.client.get(url)
    assert NAMES[A] in page.text and "P2.4 individuālais pilnveides plāns" in page.text
    assert "15.04.2026" in page.text  # the approval date
    done = world.client.post(
        url, data={"csrf": csrf, "decision": "approve"}, headers={"user-agent": "head/1"}
    )
    assert done.status_code == 200
    assert t("approval.done.approved", "lv", version=1, institution=NAMES[A]) in done.text
    with world.root.db.reading() as s:
        plan = s.get(Plan, world.plan_ids[A])
        assert plan is not None and plan.status == "approved"
        assert plan.approved_by == world.heads[A]
        entry = s.exec(select(AuditLog).where(AuditLog.action == "plan.approve")).one()
        assert entry.detail["via"] == "web" and entry.detail["user_agent"] == "head/1"
        assert entry.detail["ip"] == "testclient"
    # The link worked once: it now says when it was used.
    again = world.client.get(url)
    assert again.status_code == 410 and "jau ir izmantota (02.04.2026)" in again.text


def test_the_head_refuses_with_a_reason_and_the_team_is_told(world: World) -> None:
    url, csrf = _approval_form(world)
    missing = world.client.post(url, data={"csrf": csrf, "decision": "refuse", "reason": " "})
    assert missing.status_code == 400
    assert t("approval.error.no_reason", "lv") in missing.text
    assert 'class="error-summary"' in missing.text and 'href="#reason"' in missing.text
    nothing = world.client.post(url, data={"csrf": csrf})
    assert nothing.status_code == 400 and t("web.approve.no_decision", "lv") in nothing.text
    with world.root.db.reading() as s:
        assert all(not a.outcome for a in s.exec(select(PlanApproval)).all())

    english = world.client.get(url + "?lang=en")
    assert "Approving the plan" in english.text
    done = world.client.post(
        url, data={"csrf": csrf, "decision": "refuse", "reason": "Pārāk daudz pasākumu 2026. gadā"}
    )
    assert done.status_code == 200
    assert t("approval.done.refused", "en", version=1, institution=NAMES[A]) in done.text
    with world.root.db.reading() as s:
        refusal = s.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "approval_refused")
        ).one()
        assert "Pārāk daudz pasākumu 2026. gadā" in refusal.body_text
        approval = s.exec(select(PlanApproval).where(PlanApproval.outcome == "refused")).one()
        assert approval.reason == "Pārāk daudz pasākumu 2026. gadā"


def test_an_approval_link_that_cannot_be_used_says_why(world: World) -> None:
    token = world.approval_tokens[A]
    forged = world.client.get(f"/plans/approve/{token[:-1]}x")
    assert forged.status_code == 404 and t("approval.error.unknown", "lv") in forged.text
    world.clock.advance(timedelta(days=60))
    expired = world.client.get(f"/plans/approve/{token}")
    assert expired.status_code == 410 and "derīguma termiņš beidzās" in expired.text


def test_the_heads_link_without_the_heads_sign_in_decides_nothing(world: World) -> None:
    """The plan email goes to the head with a copy to the team lead, so the lead holds the
    head's approval link. Opened without signing in (a private window, another browser),
    the link must not act as the head: the page shows the plan and asks the head to sign
    in, and a decision posted with it is refused; the plan stays unapproved."""
    lead = team_of(A)["lead"][1]
    with world.root.db.reading() as s:
        mail = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "plan", OutboxMessage.institution_code == A
            )
        ).one()
        assert [a["email"] for a in mail.cc_addrs] == [lead]  # the lead holds the link
        assert world.approval_tokens[A] in mail.body_text
    url = f"/plans/approve/{world.approval_tokens[A]}"
    private = TestClient(create_app(world.root), base_url=PUBLIC)
    page = private.get(url)
    assert page.status_code == 200 and NAMES[A] in page.text
    assert 'name="decision"' not in page.text
    assert t("web.approve.head_signs_in", "lv") in page.text and 'href="/signin"' in page.text
    csrf = csrf_of(private.get("/signin").text)  # the browser's own token: forms pass
    for decision in ("approve", "refuse"):
        refused = private.post(
            url, data={"csrf": csrf, "decision": decision, "reason": "Mans plāns"}
        )
        assert refused.status_code == 403
        assert t("web.approve.head_signs_in", "lv") in refused.text
    with world.root.db.reading() as s:
        plan = s.get(Plan, world.plan_ids[A])
        assert plan is not None and plan.status != "approved" and plan.approved_at is None
        assert all(not a.outcome and a.used_at is None for a in s.exec(select(PlanApproval)))
        assert not s.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "approval_refused")
        ).all()


def test_a_team_member_holding_the_heads_link_reads_but_does_not_decide(world: World) -> None:
    """The team lead is copied on the plan email, so holds the approval link too: signed in
    as the team, the page shows the plan without the forms, and a decision is refused."""
    url = f"/plans/approve/{world.approval_tokens[A]}"
    for role in ("lead", "team"):
        client = world.sign_in(A, role, TestClient(create_app(world.root), base_url=PUBLIC))
        page = client.get(url)
        assert page.status_code == 200 and t("web.approve.not_head", "lv") in page.text
        assert 'name="decision"' not in page.text
        refused = client.post(url, data={"csrf": world.token(client), "decision": "approve"})
        assert refused.status_code == 403 and t("web.approve.not_head", "lv") in refused.text
    with world.root.db.reading() as s:
        assert all(not a.outcome for a in s.exec(select(PlanApproval)).all())
    head = world.sign_in(A, "head", TestClient(create_app(world.root), base_url=PUBLIC))
    done = head.post(url, data={"csrf": world.token(head), "decision": "approve"})
    assert done.status_code == 200
    with world.root.db.reading() as s:
        plan = s.get(Plan, world.plan_ids[A])
        assert plan is not None and plan.status == "approved"


def test_a_form_read_by_a_transfer_encoding_is_refused_before_it_is_read(world: World) -> None:
    """A request that states a small length but names a transfer encoding would be read by
    the encoding, whatever its length: refused (411) before the body is read."""
    client = world.sign_in(A, "team")
    token = csrf_of(client.get("/").text)
    body = f"csrf={token}&remove=1".encode()
    answer = client.post(
        "/progress/evidence", content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Content-Length": str(len(body)), "Transfer-Encoding": "chunked"},
    )  # fmt: skip
    assert answer.status_code == 411


def test_the_progress_report_takes_the_longest_plan() -> None:
    """The progress form posts four fields and a file input per open measure; a plan that
    answered 0 everywhere has some 470 measures: its form and its evidence buttons fit."""
    from pvpp.settings import Settings
    from pvpp.web.deps import _form_limits

    settings = Settings(_env_file=None)
    for path in ("/progress", "/progress/evidence"):
        _, fields, _ = _form_limits(path, settings)
        assert fields >= 5 * 470 + 10, path
    _, _, files = _form_limits("/progress/evidence", settings)
    assert files >= 470
    assert _form_limits("/progress", settings)[2] == 0  # the report itself takes no file
