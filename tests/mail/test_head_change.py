"""A head's address changes while mail to the old one waits in the outbox: the import
withdraws what was not sent yet, says so per institution, and the next `plan send`
queues the plan to the new head (docs/email.md, "A head's address changes")."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import select

from pvpp.app import App
from pvpp.approval_links import SUPERSEDED, UNUSED
from pvpp.delivery import queue_plans
from pvpp.mail.compose import queue_escalation
from pvpp.mail.outbox import list_messages
from pvpp.policy import load_policy
from pvpp.registry import import_registry
from pvpp.states.outbox import ALLOWED, OutboxState
from pvpp.store.models import AuditLog, Institution, PlanApproval
from pvpp.teams import remove_member
from tests.mail.test_compose import EXAMPLES, HEAD, LEAD, ROUND, round_with_plan

__all__ = ["round_with_plan"]  # the fixture, shared with the compose tests
NEW_HEAD = "janis.jaunais@vid.example.org"
TODAY = date(2026, 4, 1)


def _filed_plan(tmp_path: Path) -> Path:
    """A folder with VID's plan PDF already filed: nothing to render."""
    pdfs = tmp_path / "plans"
    pdfs.mkdir()
    (pdfs / "VID-v1.pdf").write_bytes(b"%PDF-1.7 plan of VID")
    return pdfs


def _send(root: App, pdfs: Path) -> list[str]:
    rows = queue_plans(
        ROUND, ["VID"], pdf_dir=pdfs, settings=root.settings, db=root.db, today=TODAY
    )
    return [r.outcome for r in rows]


def test_queued_mail_to_the_old_head_is_withdrawn_and_the_plan_goes_to_the_new_one(
    round_with_plan: str, tmp_path: Path, root: App
) -> None:
    pdfs = _filed_plan(tmp_path)
    assert _send(root, pdfs) == ["queued"]
    with root.db.unit_of_work() as s:
        # A failed message to the old head is withdrawn too (a retry would reach them).
        escalation = queue_escalation(
            s, round_code=ROUND, institution="VID", today=date(2027, 6, 1),
            settings=root.settings,
        )  # fmt: skip
        assert escalation is not None
        escalation[0].state = OutboxState.FAILED
        s.add(escalation[0])

    changed = tmp_path / "registry.csv"
    text = (EXAMPLES / "registry.csv").read_text(encoding="utf-8")
    changed.write_text(text.replace(HEAD, NEW_HEAD), encoding="utf-8")
    with root.db.unit_of_work() as s:
        report = import_registry(s, changed, load_policy("pvpp2027-v1"), settings=root.settings)
    assert report.updated["VID"] == {"head_email": [HEAD, NEW_HEAD]}
    assert [(w.kind, w.outcome) for w in report.withdrawn["VID"]] == [
        ("plan", "withdrawn"),
        ("escalation", "withdrawn"),
    ]

    with root.db.unit_of_work() as s:
        by_state = {(m.kind, m.state): m for m in list_messages(s) if m.institution_code == "VID"}
        old = by_state[("plan", "withdrawn")]
        assert [a["email"] for a in old.to_addrs] == [HEAD]  # kept as it was queued
        assert ("escalation", "withdrawn") in by_state
        # The team's plan sheet goes to the team, not to the head: it stays queued.
        assert ("proposal", "queued") in by_state
        # The link in the withdrawn email, which nobody received, can never be used.
        links = s.exec(select(PlanApproval)).all()
        assert [link.outcome for link in links] == [SUPERSEDED]
        assert s.exec(select(AuditLog).where(AuditLog.action == "outbox.withdraw")).all()
    assert not ALLOWED[OutboxState.WITHDRAWN]  # never sent, never retried

    # The next `plan send` queues the plan again, to the new head, with a fresh link.
    assert _send(root, pdfs) == ["queued"]
    with root.db.unit_of_work() as s:
        plans = [m for m in list_messages(s) if m.kind == "plan"]
        assert [(m.state, [a["email"] for a in m.to_addrs]) for m in plans] == [
            ("withdrawn", [HEAD]),
            ("queued", [NEW_HEAD]),
        ]
        assert [a["email"] for a in plans[1].cc_addrs] == [LEAD]
        outcomes = sorted(link.outcome for link in s.exec(select(PlanApproval)).all())
        assert outcomes == sorted([SUPERSEDED, UNUSED])
    assert _send(root, pdfs) == ["already queued"]


def test_an_unchanged_or_same_mailbox_address_withdraws_nothing(
    round_with_plan: str, tmp_path: Path, root: App
) -> None:
    pdfs = _filed_plan(tmp_path)
    assert _send(root, pdfs) == ["queued"]
    changed = tmp_path / "registry.csv"
    text = (EXAMPLES / "registry.csv").read_text(encoding="utf-8")
    changed.write_text(text.replace(HEAD, HEAD.upper()), encoding="utf-8")
    with root.db.unit_of_work() as s:
        report = import_registry(s, changed, load_policy("pvpp2027-v1"), settings=root.settings)
    assert "VID" in report.updated and not report.withdrawn
    with root.db.unit_of_work() as s:
        assert [m.state for m in list_messages(s) if m.kind == "plan"] == ["queued"]


def test_the_import_command_says_what_was_withdrawn_and_what_queues_it_again(
    round_with_plan: str, tmp_path: Path, root: App
) -> None:
    from typer.testing import CliRunner

    from pvpp.cli.main import app

    pdfs = _filed_plan(tmp_path)
    assert _send(root, pdfs) == ["queued"]
    changed = tmp_path / "registry.csv"
    text = (EXAMPLES / "registry.csv").read_text(encoding="utf-8")
    changed.write_text(text.replace(HEAD, NEW_HEAD), encoding="utf-8")
    result = CliRunner().invoke(app, ["registry", "import", str(changed)], obj=root)
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert (
        f"VID: 1 message(s) to the old head address '{HEAD}' were not sent yet and are "
        "withdrawn: plan (version 1) withdrawn." in out
    )
    assert "`pvpp plan send` for the plan email) queues it again to the new address" in out


def test_mail_queued_to_a_member_who_leaves_the_team_is_withdrawn(
    round_with_plan: str, tmp_path: Path, root: App
) -> None:
    pdfs = _filed_plan(tmp_path)
    assert _send(root, pdfs) == ["queued"]  # the plan to the head, Cc the lead; the sheet
    with root.db.unit_of_work() as s:
        withdrawn = remove_member(s, institution="VID", email=LEAD)
    assert sorted(w.kind for w in withdrawn) == ["plan", "proposal"]
    with root.db.unit_of_work() as s:
        states = {(m.kind, m.state) for m in list_messages(s) if m.institution_code == "VID"}
    assert ("plan", "withdrawn") in states and ("proposal", "withdrawn") in states
    # The next run queues the plan again, to the head alone: the lead has left.
    assert _send(root, pdfs) == ["queued"]
    with root.db.unit_of_work() as s:
        fresh = [m for m in list_messages(s) if m.kind == "plan" and m.state == "queued"]
    assert [[a["email"] for a in m.to_addrs + m.cc_addrs] for m in fresh] == [[HEAD]]


def test_removing_a_member_who_is_also_the_head_withdraws_nothing(
    round_with_plan: str, tmp_path: Path, root: App
) -> None:
    pdfs = _filed_plan(tmp_path)
    assert _send(root, pdfs) == ["queued"]
    with root.db.unit_of_work() as s:
        inst = s.exec(select(Institution).where(Institution.code == "VID")).one()
        inst.head_email = LEAD  # the lead is the head too
        s.add(inst)
    with root.db.unit_of_work() as s:
        assert remove_member(s, institution="VID", email=LEAD) == []
