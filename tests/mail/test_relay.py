"""The relay against a real SMTP server (aiosmtpd on loopback), on SQLite and PostgreSQL:
exactly one delivery per message with its attachment intact, retries after 421,
permanent failures after 550, the circuit breaker, and the crash between 250 and commit."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlmodel import select

from pvpp.app import App
from pvpp.mail.outbox import list_messages
from pvpp.mail.relay import DeliveryReport, deliver_due
from pvpp.mail.transport import Refused, SmtpTransport
from pvpp.store.models import DeliveryAttempt, OutboxMessage, utcnow
from tests.mail.conftest import SmtpServer, pdf_blob, queue_plans, sha


def states(root: App) -> dict[str, int]:
    with root.db.unit_of_work() as s:
        rows = list_messages(s)
    out: dict[str, int] = {}
    for row in rows:
        out[row.state] = out.get(row.state, 0) + 1
    return out


def attempts(root: App, outbox_id: int) -> list[DeliveryAttempt]:
    with root.db.unit_of_work() as s:
        return list(
            s.exec(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.outbox_id == outbox_id)
                .order_by(DeliveryAttempt.id)  # type: ignore[arg-type]
            ).all()
        )


def test_every_message_delivered_once_with_its_attachment(
    store: str, smtp: SmtpServer, root: App
) -> None:
    rows = queue_plans(root, 12)
    report = deliver_due(root.settings, db=root.db)
    assert (report.sent, report.failed, report.retrying) == (12, [], 0)
    again = deliver_due(root.settings, db=root.db)
    assert (again.sent, again.failed, again.retrying) == (0, [], 0)  # nothing sent twice

    assert len(smtp.received) == 12
    by_id = {r.message_id: r for r in smtp.received}
    assert set(by_id) == {row.message_id for row in rows}
    for i, row in enumerate(rows):
        got = by_id[row.message_id]
        assert sorted(got.rcpt_tos) == sorted([row.to_addrs[0]["email"], row.cc_addrs[0]["email"]])
        msg = got.message
        assert msg["Subject"] == row.subject
        assert msg["To"].addresses[0].display_name == row.to_addrs[0]["name"]
        (part,) = list(msg.iter_attachments())
        assert part.get_filename() == f"plan-{row.institution_code}.pdf"
        assert part.get_content_type() == "application/pdf"
        assert sha(part.get_content()) == sha(pdf_blob(i))
        body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert body == row.body_text
    assert states(root) == {"sent": 12}
    with root.db.unit_of_work() as s:
        sent = list_messages(s, "sent")
    assert all(r.attempts == 1 and r.sent_at is not None and r.claimed_by is None for r in sent)


def test_server_deferring_then_recovering_delivers_everything(
    store: str, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch, root: App
) -> None:
    root.settings.outbox_breaker_threshold = 4
    rows = queue_plans(root, 6)
    smtp.handler.defer_first = 9  # 421 for the first nine transactions
    now = utcnow()
    runs = 0
    while states(root).get("sent", 0) < 6:
        runs += 1
        assert runs <= 12, f"not delivered after {runs - 1} runs: {states(root)}"
        report = deliver_due(root.settings, now=now, db=root.db)
        assert report.failed == []
        now += timedelta(hours=1)  # past any backoff so far; no sleeping
    assert len(smtp.received) == 6
    assert {r.message_id for r in smtp.received} == {row.message_id for row in rows}
    deferred = [a for row in rows for a in attempts(root, row.id) if a.outcome == "temporary"]
    assert len(deferred) == 9
    assert all(a.smtp_code == 421 and "try again later" in a.reply for a in deferred)


def test_backoff_waits_before_retrying(store: str, smtp: SmtpServer, root: App) -> None:
    (row,) = queue_plans(root, 1)
    smtp.handler.defer_first = 2
    now = utcnow()
    assert deliver_due(root.settings, now=now, db=root.db).retrying == 1
    # Not yet due: the base backoff is 60 s, then 120 s.
    assert deliver_due(root.settings, now=now + timedelta(seconds=30), db=root.db).retrying == 0
    assert deliver_due(root.settings, now=now + timedelta(seconds=61), db=root.db).retrying == 1
    assert deliver_due(root.settings, now=now + timedelta(seconds=61 + 100), db=root.db).sent == 0
    assert deliver_due(root.settings, now=now + timedelta(seconds=61 + 121), db=root.db).sent == 1
    with root.db.unit_of_work() as s:
        stored = s.get(OutboxMessage, row.id)
    assert stored is not None and stored.attempts == 3 and stored.state == "sent"


def test_refused_recipients_fail_with_the_reply_and_the_rest_is_delivered(
    store: str, smtp: SmtpServer, root: App
) -> None:
    rows = queue_plans(root, 6)
    bad = {rows[1].to_addrs[0]["email"], rows[1].cc_addrs[0]["email"], "lead.i004@inst.example.org"}
    smtp.handler.reject = bad
    report = deliver_due(root.settings, db=root.db)
    assert report.sent == 5  # I004's head accepted, its lead's address refused
    assert [f.key for f in report.failed] == [rows[1].business_key]
    failure = report.failed[0]
    assert failure.code == 550 and "mailbox unavailable" in failure.reply
    assert [p.to for p in report.partial] == [["lead.i004@inst.example.org"]]
    assert states(root) == {"sent": 5, "failed": 1}
    with root.db.unit_of_work() as s:
        (failed,) = list_messages(s, "failed")
    assert failed.attempts == 1 and failed.last_code == 550
    assert "mailbox unavailable" in failed.last_error
    assert deliver_due(root.settings, db=root.db).sent == 0  # a failed message is not tried again
    assert len(smtp.received) == 5


def test_content_refused_at_data_fails_each_message_without_tripping_the_breaker(
    store: str, smtp: SmtpServer, root: App
) -> None:
    queue_plans(root, 5)
    smtp.handler.data_reply = "554 5.7.1 Message content rejected"
    report = deliver_due(root.settings, db=root.db)
    assert len(report.failed) == 5 and not report.breaker_open
    assert {f.code for f in report.failed} == {554}
    assert states(root) == {"failed": 5}


def test_circuit_breaker_stops_hammering_a_dead_server(
    store: str, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch, root: App
) -> None:
    root.settings.outbox_breaker_threshold = 3
    queue_plans(root, 10)
    smtp.stop()  # connection refused from now on
    report = deliver_due(root.settings, db=root.db)
    assert report.breaker_open and report.retrying == 3 and report.sent == 0
    assert states(root) == {"queued": 10}
    with root.db.unit_of_work() as s:
        tried = [r for r in list_messages(s) if r.attempts]
    assert len(tried) == 3  # seven messages never touched the dead server
    assert all(r.last_code is None and "Connection refused" in r.last_error for r in tried)

    smtp.start()
    report = deliver_due(root.settings, now=utcnow() + timedelta(hours=1), db=root.db)
    assert (report.sent, report.breaker_open) == (10, False)
    assert len(smtp.received) == 10


def test_a_421_storm_also_trips_the_breaker(store: str, smtp: SmtpServer, root: App) -> None:
    queue_plans(root, 5)
    smtp.handler.defer_first = 100
    report = deliver_due(root.settings, db=root.db)
    assert report.breaker_open
    assert smtp.handler.mail_commands == root.settings.outbox_breaker_threshold


class CrashAfterSending:
    """Delivers through SMTP, then dies before the relay can record the 250."""

    def __init__(self, inner: SmtpTransport) -> None:
        self.inner = inner

    def send(self, msg: EmailMessage, rcpt: list[str] | None = None, *, label: str = "") -> Refused:
        self.inner.send(msg, rcpt, label=label)
        raise KeyboardInterrupt  # as abrupt as it gets inside Python

    def close(self) -> None:
        self.inner.close()


def test_crash_between_250_and_commit_resends_with_the_same_message_id(
    store: str, smtp: SmtpServer, root: App
) -> None:
    rows = queue_plans(root, 3)
    transport = CrashAfterSending(SmtpTransport.from_settings(root.settings))
    with pytest.raises(KeyboardInterrupt):
        deliver_due(root.settings, transport=transport, db=root.db)
    transport.close()
    assert states(root) == {"sending": 1, "queued": 2}

    report = deliver_due(root.settings, db=root.db)
    assert (report.recovered, report.sent) == (1, 3)
    assert len(smtp.received) == 4
    ids = [r.message_id for r in smtp.received]
    assert ids.count(rows[0].message_id) == 2  # the duplicate is the same message
    assert sorted(set(ids)) == sorted(row.message_id for row in rows)
    first, again = (r.data for r in smtp.received if r.message_id == rows[0].message_id)
    assert first == again  # byte for byte: same Date, same boundaries, same body
    outcomes = [a.outcome for a in attempts(root, rows[0].id)]
    assert outcomes == ["interrupted", "sent"]


def test_give_up_after_days_of_temporary_failures(store: str, smtp: SmtpServer, root: App) -> None:
    (row,) = queue_plans(root, 1)
    smtp.handler.defer_first = 100
    report = deliver_due(root.settings, now=row.created_at + timedelta(days=6), db=root.db)
    assert report.retrying == 0
    assert [f.key for f in report.failed] == [row.business_key]
    assert report.failed[0].reply.startswith("gave up after 1 attempts: 421")
    assert states(root) == {"failed": 1}


def test_missing_attachment_fails_locally_without_touching_the_server(
    store: str, smtp: SmtpServer, root: App
) -> None:

    (row,) = queue_plans(root, 1)
    root.files.path(row.attachments[0]["sha256"]).unlink()
    report = deliver_due(root.settings, db=root.db)
    assert report.failed[0].reply.startswith("cannot build the message")
    assert smtp.handler.mail_commands == 0
    assert attempts(root, row.id)[0].outcome == "local"


def test_limit_bounds_one_run(store: str, smtp: SmtpServer, root: App) -> None:
    queue_plans(root, 5)
    assert deliver_due(root.settings, limit=2, db=root.db).sent == 2
    assert states(root) == {"sent": 2, "queued": 3}
    assert deliver_due(root.settings, db=root.db).sent == 3


def test_concurrent_relays_never_send_a_message_twice(
    store: str, smtp: SmtpServer, root: App
) -> None:
    rows = queue_plans(root, 30)
    smtp.handler.delay = 0.005
    reports: list[DeliveryReport] = []
    threads = [
        threading.Thread(target=lambda: reports.append(deliver_due(root.settings, db=root.db)))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(reports) == 3
    assert sum(r.sent for r in reports) == 30
    assert sorted(r.message_id for r in smtp.received) == sorted(r.message_id for r in rows)
    if store == "postgresql":
        # SKIP LOCKED: the relays share the work and never claim one row twice.
        assert sum(1 for r in reports if r.sent) >= 2
    else:
        # SQLite: one relay at a time; the others find the lock taken and do nothing.
        assert sum(1 for r in reports if r.busy) >= 1
