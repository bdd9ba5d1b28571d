"""The head approves the plan: a one-time link with each plan email, used once, refused
clearly when it cannot be used, late approvals reminded and escalated, a refusal told to
the team; approved versions are never changed."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.approval_links import link_url, make_token, tokens_in
from pvpp.approvals import ApprovalError, Decision, decide, queue_due_approvals, token_from_message
from pvpp.cli import common
from pvpp.cli.main import app as cli
from pvpp.clock import FixedClock
from pvpp.delivery import record_sent_plans
from pvpp.exports.round import export_round
from pvpp.mail.compose import queue_plan
from pvpp.planning.library import load_common
from pvpp.plans import adjust_plan, context, latest_plan, plan_measures
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import Assignment, AuditLog, OutboxMessage, Plan, PlanApproval
from pvpp.teams import add_member
from tests.rounds import run_round

ROUND = "2026-K1"
HEAD = "ilze.berzina@vid.example.org"
LEAD = "anna.liepa@vid.example.org"
SENT_ON = date(2026, 4, 1)
DUE = date(2026, 4, 15)  # SENT_ON + approval_days (14)
runner = CliRunner()


@dataclass
class Sent:
    """VID's plan v1 emailed to the head on SENT_ON; ``token`` is the link it carries."""

    message: OutboxMessage
    token: str


def _lead(s: Session) -> None:
    add_member(
        s, load_common("pvpp2027-v1"), institution="VID", name="Anna Liepa", email=LEAD,
        roles=["team_lead"], lead=True,
    )  # fmt: skip


def _send(root: App, version: int, today: date = SENT_ON, lang: str = "lv") -> Sent:
    with root.db.unit_of_work() as s:
        message, created = queue_plan(
            s, round_code=ROUND, institution="VID", plan_version=version, pdf=b"%PDF plan",
            today=today, lang=lang, settings=root.settings,
        )  # fmt: skip
        assert created
        s.expunge(message)
    return Sent(message, token_from_message(message))


def _delivered(root: App) -> None:
    """The relay delivered every queued plan email and recorded it."""
    with root.db.unit_of_work() as s:
        for row in s.exec(select(OutboxMessage).where(OutboxMessage.kind == "plan")).all():
            row.state = "sent"
            s.add(row)
        s.flush()
        record_sent_plans(s)


def _decide(
    root: App, token: str, on: date, *, approve: bool = True, reason: str = "", lang: str = "lv"
) -> Decision:
    with root.db.unit_of_work() as s:
        return decide(
            s, token, approve=approve, reason=reason, lang=lang, settings=root.settings,
            clock=FixedClock(on),
        )  # fmt: skip


def _refusal(
    root: App, token: str, on: date, lang: str = "lv", *, approve: bool = True
) -> ApprovalError:
    with pytest.raises(ApprovalError) as caught:
        _decide(root, token, on, lang=lang, approve=approve)
    return caught.value


def _newest(s: Session, assignment: Assignment) -> Plan:
    plan = latest_plan(s, assignment)
    assert plan is not None
    return plan


def _plan(root: App, version: int) -> Plan:
    with root.db.unit_of_work() as s:
        plan = s.exec(select(Plan).where(Plan.version == version)).one()
        s.expunge(plan)
        return plan


@pytest.fixture
def planned(store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App) -> Iterator[str]:
    run_round(
        root, spec, tmp_path, [("VID", "Valsts ieņēmumu dienests")], plans=True,
        before_round=_lead,
    )  # fmt: skip
    yield store


def test_the_plan_email_carries_a_one_time_link_and_the_due_date(planned: str, root: App) -> None:
    sent = _send(root, 1)
    body = sent.message.body_text
    assert link_url("http://localhost:8000", sent.token) in body
    assert "Apstiprināšanas termiņš: 2026. gada 15. aprīlis" in body
    assert "Plāns: P2.4 individuālais pilnveides plāns" in body
    with root.db.unit_of_work() as s:
        plan = s.exec(select(Plan)).one()
        assert plan.approval_due == DUE and plan.status == "draft"
        (row,) = s.exec(select(PlanApproval)).all()
        # Only the digest is stored; the token itself is nowhere in the row.
        assert row.token_sha256 == hashlib.sha256(sent.token.encode()).hexdigest()
        assert sent.token not in json.dumps(row.model_dump(mode="json"))
        assert row.expires_on == SENT_ON + timedelta(days=45) and row.outcome == ""
        # Queuing the same version again issues no second link.
        _, created = queue_plan(
            s, round_code=ROUND, institution="VID", plan_version=1, pdf=b"x",
            today=SENT_ON + timedelta(days=1), settings=root.settings,
        )  # fmt: skip
        assert not created and len(s.exec(select(PlanApproval)).all()) == 1
        assert s.exec(select(Plan)).one().approval_due == DUE


def test_english_plan_email_has_the_link_too(planned: str, root: App) -> None:
    sent = _send(root, 1, lang="en")
    assert "Approval due: April 15, 2026" in sent.message.body_text
    assert "P2.4 individual improvement plan" in sent.message.body_text
    assert sent.token in sent.message.body_text


def test_approve_works_once_and_records_who_and_when(planned: str, root: App) -> None:
    sent = _send(root, 1)
    _delivered(root)
    decision = _decide(root, link_url("https://pvpp.example.lv", sent.token), date(2026, 4, 10))
    assert "Paldies! Plāna 1. versija ir apstiprināta." in decision.message
    with root.db.unit_of_work() as s:
        plan = s.exec(select(Plan)).one()
        assert plan.status == "approved" and plan.approved_by == HEAD
        assert plan.approved_at == FixedClock(date(2026, 4, 10)).now()
        row = s.exec(select(PlanApproval)).one()
        assert (row.outcome, row.actor, row.used_at) == ("approved", HEAD, plan.approved_at)
        audit = s.exec(select(AuditLog).where(AuditLog.action == "plan.approve")).one()
        assert audit.entity_key == "2026-K1|VID|1" and audit.actor == HEAD
    used = _refusal(root, sent.token, date(2026, 4, 11))
    assert used.reason == "used" and "jau ir izmantota (10.04.2026)" in used.message
    used_en = _refusal(root, sent.token, date(2026, 4, 11), lang="en")
    assert "already used (10 April 2026); each link works only once" in used_en.message
    # A later delivery record does not turn the approved version back into "sent".
    _delivered(root)
    assert _plan(root, 1).status == "approved"


def test_a_link_before_the_delivery_is_recorded_still_approves(planned: str, root: App) -> None:
    sent = _send(root, 1)  # queued, delivery not yet recorded: the version is a draft
    _decide(root, sent.token, date(2026, 4, 2))
    assert _plan(root, 1).status == "approved"


def test_a_tampered_or_unknown_token_is_refused(planned: str, root: App) -> None:
    sent = _send(root, 1)
    nonce, signature = sent.token.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    # The nonce changed in its first character (to one it does not already have: the nonce
    # is random, and an "x" it began with made this token the real one).
    other = ("y" if nonce[0] == "x" else "x") + nonce[1:]
    for bad in (f"{nonce}.{flipped}", f"{other}.{signature}", "not-a-token", ""):
        error = _refusal(root, bad, date(2026, 4, 2))
        assert error.reason == "unknown" and "nav derīga" in error.message
    assert "is not valid" in _refusal(root, "x.y", date(2026, 4, 2), lang="en").message
    # A well-signed token the store never issued (another installation's key is the same
    # here: the test key) is just as unknown.
    stranger = make_token(root.settings.signing_key())
    assert _refusal(root, stranger, date(2026, 4, 2)).reason == "unknown"
    assert _plan(root, 1).status == "draft"


def test_an_expired_link_is_refused(planned: str, root: App) -> None:
    sent = _send(root, 1)
    _delivered(root)
    last = SENT_ON + timedelta(days=45)
    error = _refusal(root, sent.token, last + timedelta(days=1))
    assert error.reason == "expired" and "beidzās 16.05.2026" in error.message
    assert (
        "expired on 16 May 2026"
        in _refusal(root, sent.token, last + timedelta(days=1), lang="en").message
    )
    _decide(root, sent.token, last)  # the last day still counts
    assert _plan(root, 1).status == "approved"


def test_a_newer_version_supersedes_the_old_link(planned: str, root: App) -> None:
    old = _send(root, 1)
    _delivered(root)
    with root.db.unit_of_work() as s:
        ctx = context(s, ROUND, "VID")
        first = plan_measures(s, _newest(s, ctx.assignment))[0]
        adjust_plan(s, ctx, drop={first.measure_id: "cits risinājums"})
    # Version 2 exists (not yet sent): version 1 can no longer be approved.
    error = _refusal(root, old.token, date(2026, 4, 5))
    assert error.reason == "superseded"
    assert "plāna 1. versiju, bet spēkā esošā ir 2. versija" in error.message
    assert (
        "version 2 is the current one"
        in _refusal(root, old.token, date(2026, 4, 5), lang="en").message
    )
    _send(root, 2, today=date(2026, 4, 6))
    with root.db.unit_of_work() as s:
        outcomes = {
            p.version: r.outcome for r, p in s.exec(select(PlanApproval, Plan).join(Plan)).all()
        }
        assert outcomes == {1: "superseded", 2: ""}
    assert _plan(root, 1).status == "sent"


def test_a_new_version_needs_approval_again_and_the_approved_one_is_unchanged(
    planned: str, root: App
) -> None:
    first = _send(root, 1)
    _delivered(root)
    _decide(root, first.token, date(2026, 4, 10))
    before = _plan(root, 1)
    with root.db.unit_of_work() as s:
        ctx = context(s, ROUND, "VID")
        measure = plan_measures(s, _newest(s, ctx.assignment))[0]
        adjust_plan(s, ctx, drop={measure.measure_id: "cits risinājums"})
    second = _send(root, 2, today=date(2026, 5, 4))
    assert _plan(root, 2).status == "draft" and _plan(root, 2).approval_due == date(2026, 5, 18)
    _delivered(root)
    assert _plan(root, 2).status == "sent"
    _decide(root, second.token, date(2026, 5, 5))
    after = _plan(root, 1)
    assert (after.status, after.approved_at, after.approved_by, after.approval_due) == (
        before.status, before.approved_at, before.approved_by, before.approval_due,
    )  # fmt: skip
    with root.db.unit_of_work() as s:
        v1_rows = s.exec(select(PlanApproval).where(PlanApproval.plan_id == before.id)).all()
        assert [r.outcome for r in v1_rows] == ["approved"]  # never marked superseded
    assert _plan(root, 2).status == "approved"


def _due(root: App, today: date) -> list[tuple[str, int, bool, list[str], list[str], str]]:
    with root.db.unit_of_work() as s:
        return [
            (m.kind, m.version, created, [a["email"] for a in m.to_addrs],
             [a["email"] for a in m.cc_addrs], m.body_text)
            for m, created in queue_due_approvals(s, today, root.settings)
        ]  # fmt: skip


def test_a_late_approval_is_reminded_once_at_the_due_date_then_escalated(
    planned: str, root: App
) -> None:
    sent = _send(root, 1)
    assert _due(root, DUE) == []  # not delivered yet: nothing to remind of
    _delivered(root)
    assert _due(root, DUE - timedelta(days=1)) == []
    ((kind, version, created, to, cc, body),) = _due(root, DUE)
    assert (kind, version, created, to, cc) == ("approval_reminder", 1, True, [HEAD], [LEAD])
    assert "Plāns: P2.4 individuālais pilnveides plāns" in body
    assert "Apstiprināšanas termiņš: 2026. gada 15. aprīlis" in body
    (reminder_token,) = tokens_in(body)
    assert reminder_token != sent.token  # a fresh link, the first one still valid
    # The next days find the same reminder: nothing new is queued.
    assert [created for _, _, created, *_ in _due(root, DUE + timedelta(days=3))] == [False]
    assert _due(root, DUE + timedelta(days=13))[0][:3] == ("approval_reminder", 1, False)
    ((kind, version, created, to, cc, body),) = _due(root, DUE + timedelta(days=14))
    assert (kind, version, created, to, cc) == ("approval_escalation", 1001, True, [HEAD], [LEAD])
    assert "Nokavētas dienas: 14" in body
    assert _due(root, DUE + timedelta(days=20))[0][:3] == ("approval_escalation", 1001, False)
    # A month later the second escalation, to the VARAM coordinator when there is one.
    root.settings.coordinator_email = "koordinators@varam.example.org"
    ((kind, version, created, _, cc, body),) = _due(root, date(2026, 5, 29))
    assert (kind, version, created, cc) == (
        "approval_escalation", 1002, True, ["koordinators@varam.example.org"],
    )  # fmt: skip
    assert "Atgādinājums par nokavēto apstiprinājumu: 2." in body
    # The escalation's link approves; then nothing more is due.
    _decide(root, tokens_in(body)[0], date(2026, 5, 30))
    assert _plan(root, 1).status == "approved"
    assert _due(root, date(2026, 7, 1)) == []
    # And the first link, unused, now says the version is already approved.
    error = _refusal(root, sent.token, date(2026, 5, 31), lang="en")
    assert error.reason == "decided"
    assert f"was already approved on 30 May 2026 ({HEAD})" in error.message


def test_reminders_follow_the_language_of_the_plan_email(planned: str, root: App) -> None:
    _send(root, 1, lang="en")
    _delivered(root)
    ((_, _, _, _, _, body),) = _due(root, DUE)
    assert "Approval due: April 15, 2026" in body and "P2.4 individual improvement plan" in body


def test_a_refusal_needs_a_reason_is_recorded_and_tells_the_team(planned: str, root: App) -> None:
    sent = _send(root, 1)
    _delivered(root)
    error = _refusal(root, sent.token, date(2026, 4, 3), approve=False)
    assert error.reason == "no_reason" and "norādīt iemeslu" in error.message
    assert (
        "give a reason" in _refusal(root, sent.token, date(2026, 4, 3), "en", approve=False).message
    )
    decision = _decide(
        root, sent.token, date(2026, 4, 3), approve=False, reason="Pārāk daudz pasākumu 2026. gadā"
    )
    assert "noraidīta" in decision.message
    with root.db.unit_of_work() as s:
        plan = s.exec(select(Plan)).one()
        assert plan.status == "sent" and plan.approved_at is None  # still awaiting a change
        row = s.exec(select(PlanApproval)).one()
        assert (row.outcome, row.actor, row.reason) == (
            "refused", HEAD, "Pārāk daudz pasākumu 2026. gadā",
        )  # fmt: skip
        message = s.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "approval_refused")
        ).one()
        assert [a["email"] for a in message.to_addrs] == [LEAD]
        assert [a["email"] for a in message.cc_addrs] == [HEAD]
        assert "Iemesls: Pārāk daudz pasākumu 2026. gadā" in message.body_text
        assert s.exec(select(AuditLog).where(AuditLog.action == "plan.refuse")).one()
    # A refused version waits for the team, not the head: no reminder.
    assert _due(root, DUE + timedelta(days=20)) == []
    assert _refusal(root, sent.token, date(2026, 4, 4)).reason == "used"


def test_cli_shows_awaiting_then_approved_and_approves(
    planned: str, root: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = _send(root, 1)
    _delivered(root)
    on = root.on_day(date(2026, 4, 16))
    shown = runner.invoke(cli, ["plan", "show", "--round", ROUND, "--institution", "VID"], obj=on)
    state = "gaida vadītāja apstiprinājumu (nosūtīts: 01.04.2026; termiņš: 15.04.2026, nokavēts)"
    assert state in shown.stdout
    payload = json.loads(
        runner.invoke(
            cli, ["plan", "show", "--round", ROUND, "--institution", "VID", "--json"], obj=on
        ).stdout
    )
    assert payload["approval"]["state"] == "overdue"
    # Each measure's id, which `plan adjust` takes, is in the table.
    monkeypatch.setattr(common.console, "_width", 400)  # one line per measure
    wide = runner.invoke(
        cli, ["plan", "show", "--round", ROUND, "--institution", "VID"], obj=on
    ).stdout
    header = next(line for line in wide.splitlines() if "measure" in line)
    assert header.split("┃")[1].strip() == "id"
    for measure in payload["measures"]:
        assert measure["measure_id"] in wide
    done = runner.invoke(cli, ["plan", "approve", sent.token, "--today", "2026-04-16"], obj=root)
    assert done.exit_code == 0 and "ir apstiprināta" in done.stdout
    again = runner.invoke(
        cli, ["plan", "approve", sent.token, "--lang", "en", "--today", "2026-04-17"], obj=root
    )
    assert again.exit_code == 1 and "already used" in again.stderr
    shown = runner.invoke(
        cli, ["plan", "show", "--round", ROUND, "--institution", "VID", "--lang", "en"], obj=on
    )
    assert f"approved on 16 April 2026 by {HEAD}" in shown.stdout
    refused = runner.invoke(cli, ["plan", "approve", "x.y", "--refuse"], obj=root)
    assert refused.exit_code == 1 and "iemeslu" in refused.stderr


def test_the_round_export_lists_each_plans_approval(
    planned: str, root: App, tmp_path: Path
) -> None:
    sent = _send(root, 1)
    _delivered(root)

    def row(lang: str) -> dict[str, object]:
        out = tmp_path / f"round-{lang}.xlsx"
        with root.db.unit_of_work() as s:
            export_round(s, ROUND, out, lang=lang)
        ws = openpyxl.load_workbook(out).worksheets[0]
        header = [c.value for c in ws[1]]
        rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in ws.iter_rows(2)]
        return next(r for r in rows if r[header[0]] == "VID")

    awaiting = row("lv")
    assert awaiting["Plāna versija"] == 1 and awaiting["Plāna statuss"] == "nosūtīts"
    due = awaiting["Apstiprināšanas termiņš"]
    assert isinstance(due, datetime) and due.date() == DUE
    assert awaiting["Apstiprināja"] is None
    _decide(root, sent.token, date(2026, 4, 10))
    approved = row("en")
    assert approved["Plan status"] == "approved" and approved["Approved by"] == HEAD
    at = approved["Approved (Riga time)"]
    assert isinstance(at, datetime) and at.date() == date(2026, 4, 10)


def test_two_decisions_at_the_same_instant_make_one(planned: str, root: App) -> None:
    """An approval and a refusal of one version from two connections at once: the second
    waits for the first to commit and is then refused as used; the first stands."""
    sent = _send(root, 1)
    _delivered(root)
    on = date(2026, 4, 10)
    outcomes: list[str] = []

    def second() -> None:
        try:
            _decide(root, sent.token, on, approve=False, reason="Vēl jāprecizē")
            outcomes.append("decided")
        except ApprovalError as refused:
            outcomes.append(refused.reason)

    with root.db.unit_of_work() as first:
        decide(first, sent.token, settings=root.settings, clock=FixedClock(on))
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=1.5)  # it waits for this transaction (or has already been refused)
    other.join(timeout=60)
    assert outcomes == ["used"]
    with root.db.unit_of_work() as s:
        assert s.exec(select(Plan)).one().status == "approved"
        assert [r.outcome for r in s.exec(select(PlanApproval)).all()] == ["approved"]
