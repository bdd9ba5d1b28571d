"""Queueing: one row per business key, and nothing unsafe ever reaches a header."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from pvpp.app import App
from pvpp.mail.outbox import MessageError, business_key, find, list_messages, queue
from pvpp.mail.relay import deliver_due
from pvpp.mail.templates import render
from pvpp.store.models import AuditLog, OutboxMessage, StoredFile
from tests.mail.conftest import ROUND, SmtpServer, queue_plans


@pytest.fixture
def sqlite_only(empty_store: None, root: App) -> None:
    """Validation needs a store but not both backends."""
    root.db.upgrade()


def count(root: App, model: type) -> int:
    with root.db.unit_of_work() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def fields(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "round_code": ROUND,
        "institution_code": "VID",
        "kind": "plan",
        "version": 1,
        "to": [("Ilze Bērziņa", "ilze.berzina@vid.example.org")],
        "subject": "Plāns",
        "body": "Labdien!\n",
    }
    base.update(overrides)
    return base


def test_the_same_business_key_twice_is_one_row(store: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        first, created = queue(
            s, **fields(attachments=[("p.pdf", "application/pdf", b"%PDF")]), settings=root.settings
        )
        assert created
    with root.db.unit_of_work() as s:
        again, created = queue(
            s, **fields(subject="Another subject", body="other\n"), settings=root.settings
        )
        assert not created
        assert again.id == first.id and again.message_id == first.message_id
        assert again.subject == "Plāns"  # the first content queued is the one sent
        assert find(s, round_code=ROUND, institution_code="VID", kind="plan", version=1)
        assert find(s, round_code=ROUND, institution_code="VID", kind="plan", version=2) is None
    with root.db.unit_of_work() as s:
        _, created = queue(s, **fields(version=2), settings=root.settings)
        assert created  # a new plan version is a new message
    assert count(root, OutboxMessage) == 2
    assert count(root, StoredFile) == 1
    with root.db.unit_of_work() as s:
        logged = s.exec(select(AuditLog).where(AuditLog.action == "outbox.queue")).all()
    assert len(logged) == 2


def test_message_ids_are_made_once_with_the_configured_domain(
    store: str, monkeypatch: pytest.MonkeyPatch, root: App
) -> None:
    root.settings.message_id_domain = "pvpp.varam.example.lv"
    rows = queue_plans(root, 3)
    ids = [r.message_id for r in rows]
    assert len(set(ids)) == 3
    assert all(i.startswith("<") and i.endswith("@pvpp.varam.example.lv>") for i in ids)


INJECTIONS = [
    {"subject": "Plāns\r\nBcc: victim@evil.example.org"},
    {"subject": "Plāns\nBcc: victim@evil.example.org"},
    {"subject": "Plāns\x0bBcc: victim@evil.example.org"},  # vertical tab: a line break too
    {"subject": "Plāns\u2028Bcc: victim@evil.example.org"},
    {"to": ["ilze@vid.example.org\r\nBcc: victim@evil.example.org"]},
    {"to": ["ilze@vid.example.org>, <victim@evil.example.org"]},
    {"to": [("Ilze\r\nBcc: victim@evil.example.org", "ilze@vid.example.org")]},
    {"to": [("Ilze\x85", "ilze@vid.example.org")]},
    {"cc": ["lead@vid.example.org\nBcc: victim@evil.example.org"]},
    {"attachments": [("p.pdf\r\nBcc: victim@evil.example.org", "application/pdf", b"x")]},
    {"attachments": [("p.pdf", "application/pdf\r\nBcc: x", b"x")]},
    {"attachments": [("p.pdf", "application/pdf\n", b"x")]},
    {"institution_code": "VID\r\nBcc: victim@evil.example.org"},
]


@pytest.mark.parametrize("bad", INJECTIONS, ids=range(len(INJECTIONS)))
def test_header_injection_is_refused_before_anything_is_stored(
    sqlite_only: None, bad: dict[str, object], root: App
) -> None:
    refused = pytest.raises(MessageError, match=r"control character|not an email address")
    with refused, root.db.unit_of_work() as s:
        queue(s, **fields(**bad), settings=root.settings)
    assert count(root, OutboxMessage) == 0 and count(root, StoredFile) == 0


def test_injection_through_template_values_never_reaches_smtp(
    store: str, smtp: SmtpServer, root: App
) -> None:
    from datetime import date

    with pytest.raises(MessageError, match="control character"):
        render(
            "reminder",
            "lv",
            institution_name="VID\r\nBcc: victim@evil.example.org",
            round_code=ROUND,
            due_on=date(2026, 3, 31),
            overdue=False,
        )
    with pytest.raises(MessageError), root.db.unit_of_work() as s:
        queue(s, **fields(to=["a@b.lv\nRCPT TO:<victim@evil.example.org>"]), settings=root.settings)
    report = deliver_due(root.settings, db=root.db)
    assert report.sent == 0
    assert smtp.handler.mail_commands == 0 and smtp.received == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"kind": "newsletter"}, "kind must be one of"),
        ({"to": []}, "at least one recipient"),
        ({"to": ["not-an-address"]}, "not an email address"),
        ({"to": ["jānis@vid.example.org"]}, "only plain ASCII"),
        ({"to": ["ilze@localhost"]}, "not an email address"),
        ({"subject": "   "}, "subject must be"),
        ({"subject": "x" * 501}, "subject must be"),
        ({"lang": "de"}, "language must be"),
        ({"version": -1}, "version must be"),
        ({"round_code": "2026|K1"}, "must not contain"),
        ({"attachments": [("../etc/passwd", "text/plain", b"x")]}, "plain file name"),
        ({"attachments": [("a.pdf", "pdf", b"x")]}, "not a content type"),
        ({"body": "a\x00b"}, "NUL"),
    ],
)
def test_invalid_messages_are_refused_with_the_reason(
    sqlite_only: None, bad: dict[str, object], message: str, root: App
) -> None:
    with pytest.raises(MessageError, match=message), root.db.unit_of_work() as s:
        queue(s, **fields(**bad), settings=root.settings)


def test_bad_sender_or_domain_settings_are_refused(
    sqlite_only: None, monkeypatch: pytest.MonkeyPatch, root: App
) -> None:
    root.settings.mail_from = "PVPP2027 <pvpp@varam.example.lv>"
    with root.db.unit_of_work() as s:
        row, _ = queue(s, **fields(), settings=root.settings)
        assert row.from_addr == "PVPP2027 <pvpp@varam.example.lv>"
    root.settings.mail_from = "pvpp"
    with pytest.raises(MessageError, match="PVPP_MAIL_FROM"), root.db.unit_of_work() as s:
        queue(s, **fields(version=9), settings=root.settings)
    root.settings.mail_from = "pvpp@example.org"
    root.settings.message_id_domain = "pvpp.example.org>\tx"
    with pytest.raises(MessageError, match="PVPP_MESSAGE_ID_DOMAIN"), root.db.unit_of_work() as s:
        queue(s, **fields(version=9), settings=root.settings)


def test_list_messages_by_state(store: str, root: App) -> None:
    queue_plans(root, 3)
    with root.db.unit_of_work() as s:
        assert [r.institution_code for r in list_messages(s)] == ["I000", "I001", "I002"]
        assert len(list_messages(s, "queued")) == 3
        assert list_messages(s, "sent") == []
        with pytest.raises(MessageError, match="state must be one of"):
            list_messages(s, "lost")


def test_business_key_parts_cannot_collide() -> None:
    assert business_key("2026-K1", "VID", "plan", 1) == "2026-K1|VID|plan|1"
    with pytest.raises(MessageError):
        business_key("2026", "K1|VID", "plan", 1)
