"""Delivery state per recipient: the message's To decides. A refused head is a failure
someone sees (never "sent", never "plan sent"); a refused copy is recorded and the message
still counts as delivered; a deferred head is retried alone, so the copy is not sent twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.main import app as cli
from pvpp.delivery import queue_plans as queue_plan_mails
from pvpp.mail.outbox import list_messages
from pvpp.mail.relay import deliver_due
from pvpp.planning.library import load_common
from pvpp.plans import context, latest_plan
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import DeliveryRecipient, OutboxMessage, utcnow
from pvpp.teams import add_member
from tests.mail.conftest import SmtpServer, queue_plans
from tests.rounds import run_round

runner = CliRunner()
LEAD = "anna.liepa@vid.example.org"


def outcomes(root: App, outbox_id: int | None) -> list[tuple[str, str, str, int | None]]:
    with root.db.unit_of_work() as s:
        rows = s.exec(
            select(DeliveryRecipient)
            .where(DeliveryRecipient.outbox_id == outbox_id)
            .order_by(col(DeliveryRecipient.id))
        ).all()
        return [(r.role, r.address, r.outcome, r.smtp_code) for r in rows]


def test_a_refused_head_fails_the_message_though_the_copy_was_accepted(
    store: str, smtp: SmtpServer, root: App
) -> None:
    rows = queue_plans(root, 2)
    head, lead = rows[0].to_addrs[0]["email"], rows[0].cc_addrs[0]["email"]
    smtp.handler.reject = {head}
    report = deliver_due(root.settings, db=root.db)
    assert report.sent == 1  # I001 only
    (failure,) = report.failed
    assert failure.key == rows[0].business_key and failure.to == [head]
    assert failure.code == 550 and "mailbox unavailable" in failure.reply
    with root.db.unit_of_work() as s:
        stored = s.get(OutboxMessage, rows[0].id)
        assert stored is not None
        assert (stored.state, stored.sent_at, stored.last_code) == ("failed", None, 550)
        assert head in stored.last_error and "(To)" in stored.last_error
    # The server took the copy; that is recorded, and so is the head's refusal.
    assert outcomes(root, rows[0].id) == [
        ("to", head, "refused", 550),
        ("cc", lead, "accepted", 250),
    ]
    (copy,) = [r for r in smtp.received if r.message_id == rows[0].message_id]
    assert copy.rcpt_tos == [lead]
    # Permanent: not tried again.
    assert deliver_due(root.settings, db=root.db).sent == 0
    assert len(smtp.received) == 2


def test_a_refused_copy_alone_is_recorded_and_the_message_is_delivered(
    store: str, smtp: SmtpServer, root: App
) -> None:
    (row,) = queue_plans(root, 1)
    head, lead = row.to_addrs[0]["email"], row.cc_addrs[0]["email"]
    smtp.handler.reject = {lead}
    report = deliver_due(root.settings, db=root.db)
    assert (report.sent, report.failed) == (1, [])
    assert [p.to for p in report.partial] == [[lead]]
    assert outcomes(root, row.id) == [("to", head, "accepted", 250), ("cc", lead, "refused", 550)]
    with root.db.unit_of_work() as s:
        (sent,) = list_messages(s, "sent")
    assert lead in sent.last_error


def test_a_deferred_head_is_retried_alone_and_then_delivered(
    store: str, smtp: SmtpServer, root: App
) -> None:
    (row,) = queue_plans(root, 1)
    head, lead = row.to_addrs[0]["email"], row.cc_addrs[0]["email"]
    smtp.handler.defer_rcpt = {head}
    now = utcnow()
    first = deliver_due(root.settings, db=root.db, now=now)
    assert (first.sent, first.retrying, first.failed) == (0, 1, [])
    with root.db.unit_of_work() as s:
        queued = s.get(OutboxMessage, row.id)
        assert queued is not None and queued.state == "queued" and queued.last_code == 450
    smtp.handler.defer_rcpt = set()
    again = deliver_due(root.settings, db=root.db, now=now + timedelta(hours=1))
    assert again.sent == 1
    # The copy went once (first try); the second try's envelope was the head alone.
    assert [r.rcpt_tos for r in smtp.received] == [[lead], [head]]
    assert outcomes(root, row.id) == [
        ("to", head, "deferred", 450),
        ("cc", lead, "accepted", 250),
        ("to", head, "accepted", 250),
    ]


def test_a_head_refused_for_good_while_deferred_copies_is_permanent(
    store: str, smtp: SmtpServer, root: App
) -> None:
    (row,) = queue_plans(root, 1)
    smtp.handler.reject = {row.to_addrs[0]["email"]}
    smtp.handler.defer_rcpt = {row.cc_addrs[0]["email"]}
    report = deliver_due(root.settings, db=root.db)  # every recipient refused: no DATA
    assert (report.retrying, [f.code for f in report.failed]) == (0, [550])
    assert smtp.received == []


@pytest.fixture
def planned(store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App) -> Iterator[str]:
    def lead(s: Session) -> None:
        add_member(
            s, load_common("pvpp2027-v1"), institution="VID", name="Anna Liepa", email=LEAD,
            roles=["team_lead"], lead=True,
        )  # fmt: skip

    run_round(
        root, spec, tmp_path, [("VID", "Valsts ieņēmumu dienests")], plans=True,
        before_round=lead,
    )  # fmt: skip
    yield store


def test_a_plan_whose_head_refused_is_not_plan_sent_and_coordinators_see_it(
    planned: str, smtp: SmtpServer, root: App
) -> None:
    queue_plan_mails("2026-K1", ["VID"], settings=root.settings, db=root.db, today=date(2026, 4, 1))
    with root.db.unit_of_work() as s:
        plan_mail = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "plan")).one()
        head = plan_mail.to_addrs[0]["email"]
        assert [a["email"] for a in plan_mail.cc_addrs] == [LEAD]
    smtp.handler.reject = {head}

    sent = runner.invoke(cli, ["outbox", "send"], obj=root)
    assert sent.exit_code == 0, sent.output
    assert "plan(s) recorded as sent" not in sent.stdout
    assert f"failed 2026-K1|VID|plan|1 to {head}" in sent.stdout
    assert "550" in sent.stdout
    with root.db.unit_of_work() as s:
        ctx = context(s, "2026-K1", "VID")
        plan = latest_plan(s, ctx.assignment)
        assert ctx.assignment.state == "planned"  # not "plan_sent"
        assert plan is not None and plan.status == "draft"

    listed = runner.invoke(cli, ["outbox", "list", "--state", "failed", "--json"], obj=root)
    (row,) = json.loads(listed.stdout)
    assert row["key"] == "2026-K1|VID|plan|1" and row["last_code"] == 550
    assert {r["email"]: r["outcome"] for r in row["recipients"]} == {
        head: "refused",
        LEAD: "accepted",
    }
    table = runner.invoke(cli, ["outbox", "list"], obj=root)
    assert "(refused" in table.stdout  # next to the head's address, which may wrap

    status = runner.invoke(cli, ["round", "status", "2026-K1", "--json"], obj=root)
    (vid,) = [r for r in json.loads(status.stdout)["institutions"] if r["code"] == "VID"]
    assert vid["state"] == "planned"
    (note,) = vid["undelivered"]
    assert note["kind"] == "plan" and note["to"] == [head] and note["code"] == 550
    shown = runner.invoke(cli, ["round", "status", "2026-K1"], obj=root)
    said = " ".join(shown.stdout.split())
    assert (
        f"VID: “the plan to the head” email not delivered to {head}: main recipient (To) refused"
        in said
    )
