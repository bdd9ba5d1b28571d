"""The head's view: overdue measures (the rules of pvpp.measures) and the escalations
sent, on the home and plan pages; the signed-in head approves or sends the plan back
from the plan page, recorded as the approval link records it; nobody else decides."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from pvpp import measures as rules
from pvpp.i18n import t
from pvpp.mail.compose import queue_escalation
from pvpp.mail.relay import deliver_due
from pvpp.plans import context
from pvpp.queries import measure_facts
from pvpp.store.models import AuditLog, OutboxMessage, Plan, PlanApproval
from tests.web.conftest import ROUND, A, World, csrf_of

LATE = date(2026, 8, 20)  # past the first half-year's due date (30 June)


def _decide(world: World, who: str, **form: str) -> tuple[int, str]:
    client = world.sign_in(A, who)
    page = client.get(f"/plans/{world.plan_ids[A]}")
    answer = client.post(
        f"/plans/{world.plan_ids[A]}/decision", data={"csrf": csrf_of(page.text), **form}
    )
    return answer.status_code, answer.text


def test_only_the_head_decides_on_the_plan_page(world: World) -> None:
    team_page = world.sign_in(A, "lead").get(f"/plans/{world.plan_ids[A]}")
    assert f'action="/plans/{world.plan_ids[A]}/decision"' not in team_page.text
    for who in ("team", "lead"):
        status, body = _decide(world, who, decision="approve")
        assert status == 403, who
        assert t("web.approve.not_head", "lv") in body
    head_page = world.sign_in(A, "head").get(f"/plans/{world.plan_ids[A]}")
    assert f'action="/plans/{world.plan_ids[A]}/decision"' in head_page.text
    status, body = _decide(world, "head", decision="approve")
    assert status == 200
    assert t("approval.done.approved", "lv", version=1, institution="Valsts ieņēmumu dienests") in (
        body
    )
    with world.root.db.reading() as s:
        plan = s.get(Plan, world.plan_ids[A])
        assert plan is not None and plan.status == "approved"
        assert plan.approved_by == world.heads[A]
        entry = s.exec(select(AuditLog).where(AuditLog.action == "plan.approve")).one()
        assert entry.actor == world.heads[A] and entry.detail["via"] == "web"
        used = s.exec(select(PlanApproval).where(PlanApproval.outcome == "approved")).one()
        assert used.actor == world.heads[A]
    # The emailed link is used by the decision: it decides nothing more.
    link = world.client.get(f"/plans/approve/{world.approval_tokens[A]}")
    assert link.status_code == 410
    # Decided: no form any more, and a second decision is refused.
    again = world.sign_in(A, "head").get(f"/plans/{world.plan_ids[A]}")
    assert f'action="/plans/{world.plan_ids[A]}/decision"' not in again.text
    status, _ = _decide(world, "head", decision="refuse", reason="Vēlreiz")
    assert status == 410


def test_the_head_sends_the_plan_back_with_a_reason(world: World) -> None:
    status, body = _decide(world, "head", decision="refuse", reason="  ")
    assert status == 400
    assert 'class="error-summary"' in body and 'href="#reason"' in body
    assert t("approval.error.no_reason", "lv") in body
    status, _ = _decide(world, "head", decision="refuse", reason="Pārāk daudz pasākumu 2026. gadā")
    assert status == 200
    with world.root.db.reading() as s:
        refusal = s.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "approval_refused")
        ).one()
        assert "Pārāk daudz pasākumu 2026. gadā" in refusal.body_text
        row = s.exec(select(PlanApproval).where(PlanApproval.outcome == "refused")).one()
        assert row.reason == "Pārāk daudz pasākumu 2026. gadā"


def test_the_head_sees_overdue_measures_and_escalations(world: World) -> None:
    _decide(world, "head", decision="approve")
    world.clock.day = LATE
    with world.root.db.unit_of_work() as s:
        queued = queue_escalation(
            s, round_code=ROUND, institution=A, today=LATE, settings=world.root.settings
        )
        assert queued is not None
        plan = s.get(Plan, world.plan_ids[A])
        assert plan is not None
        late = [
            (m.measure_id, rules.days_overdue(f, LATE))
            for m, f in measure_facts(s, plan)
            if rules.is_overdue(f, LATE)
        ]
    assert late
    deliver_due(world.root.settings, db=world.root.db)
    head = world.sign_in(A, "head")
    for url in ("/", f"/plans/{world.plan_ids[A]}"):
        html = head.get(url).text
        assert "Nokavētie pasākumi" in html and "Jums nosūtītās eskalācijas" in html, url
        for measure_id, days in late:
            assert measure_id in html and t("web.head.days", "lv", n=days) in html
        assert "nokavēti pasākumi" in html  # the escalation sent, by kind
    english = head.get("/?lang=en").text
    assert "Overdue measures" in english and "days" in english
    # The team's pages do not carry the head's view.
    team = world.sign_in(A, "team").get("/").text
    assert "Nokavētie pasākumi" not in team


def test_a_newer_version_cannot_be_decided_through_an_older_one(world: World) -> None:
    """A version superseded by a newer one is refused, as its link would be."""
    with world.root.db.unit_of_work() as s:
        ctx = context(s, ROUND, A)
        old = s.get(Plan, world.plan_ids[A])
        assert old is not None
        s.add(
            Plan(
                assignment_id=old.assignment_id, version=2, answer_set_id=old.answer_set_id,
                inputs_sha256="x" * 64, created_by="test", adjustments={}, targets={},
                warnings=[],
            )
        )  # fmt: skip
        assert ctx.assignment.id == old.assignment_id
    status, body = _decide(world, "head", decision="approve")
    assert status == 410 and "2" in body
