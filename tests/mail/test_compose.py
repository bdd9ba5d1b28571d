"""The six kinds composed from the store: recipients, attachments, keys and timing, and
every head getting exactly one plan email over real SMTP."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.mail.compose import (
    queue_due_escalations,
    queue_due_reminders,
    queue_escalation,
    queue_followup,
    queue_invitation,
    queue_plan,
    queue_returned,
)
from pvpp.mail.outbox import MessageError, list_messages
from pvpp.mail.relay import deliver_due
from pvpp.planning.library import load_common
from pvpp.plans import build_plan, context, latest_plan, plan_measures
from pvpp.policy import load_policy
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.registry import import_registry
from pvpp.rounds import create_round
from pvpp.store.models import Assignment, Submission
from pvpp.submissions import ingest_paths
from pvpp.teams import add_member
from tests.mail.conftest import SmtpServer, sha

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROUND = "2026-K1"
HEAD = "ilze.berzina@vid.example.org"
LEAD = "anna.liepa@vid.example.org"


@pytest.fixture
def round_with_plan(
    store: str, spec: QuestionnaireSpec, blank_lv: bytes, tmp_path: Path, root: App
) -> str:
    """VID with a team, a returned blank workbook, then an accepted one and plan v1."""
    with root.db.unit_of_work() as s:
        import_registry(
            s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"), settings=root.settings
        )
        create_round(
            s,
            code=ROUND,
            opens_on=date(2026, 1, 15),
            due_on=date(2026, 3, 31),
            institutions=["VID", "VARAM"],
            questionnaire_version=spec.id,
        )
        common = load_common("pvpp2027-v1")
        add_member(
            s, common, institution="VID", name="Anna Liepa", email=LEAD, roles=["team_lead"],
            lead=True,
        )  # fmt: skip
        add_member(
            s, common, institution="VID", name="Pēteris Kalniņš",
            email="peteris.kalnins@vid.example.org", roles=["it_manager"],
        )  # fmt: skip
    (tmp_path / "blank.xlsx").write_bytes(blank_lv)
    ingest_paths(
        [tmp_path / "blank.xlsx"], settings=root.settings, db=root.db
    )  # incomplete: returned
    books = filled_workbooks(
        spec, [("VID", "Valsts ieņēmumu dienests")], round_code=ROUND,
        key=root.settings.signing_key(),
    )  # fmt: skip
    (tmp_path / "VID.xlsx").write_bytes(books["VID"])
    ingest_paths([tmp_path / "VID.xlsx"], settings=root.settings, db=root.db)
    with root.db.unit_of_work() as s:
        build_plan(s, context(s, ROUND, "VID"), today=date(2026, 3, 31))
    return store


def test_every_kind_reaches_the_right_people(
    round_with_plan: str, smtp: SmtpServer, root: App
) -> None:
    pdf = b"%PDF-1.7 plan of VID"
    with root.db.unit_of_work() as s:
        plan, created = queue_plan(
            s, round_code=ROUND, institution="VID", plan_version=1, pdf=pdf,
            today=date(2026, 4, 1), settings=root.settings,
        )  # fmt: skip
        assert created
        assert [a["email"] for a in plan.to_addrs] == [HEAD]
        assert [a["email"] for a in plan.cc_addrs] == [LEAD]
        assert plan.attachments[0]["filename"] == "PVPP-plans-2026-K1-VID-v1.pdf"
        assert plan.attachments[0]["sha256"] == sha(pdf)
        # Asking again (say, `plan send` run twice) queues nothing new.
        again, created = queue_plan(
            s,
            round_code=ROUND,
            institution="VID",
            plan_version=1,
            pdf=b"other",
            today=date(2026, 4, 2),
            settings=root.settings,
        )
        assert not created and again.id == plan.id

        invitation, _ = queue_invitation(
            s,
            round_code=ROUND,
            institution="VID",
            workbook=b"PK xlsx",
            lang="en",
            settings=root.settings,
        )
        assert [a["email"] for a in invitation.to_addrs] == [
            LEAD,
            "peteris.kalnins@vid.example.org",
        ]
        assert invitation.lang == "en" and invitation.subject.startswith("Self-assessment")
        # VARAM has no team: its invitation goes to the head.
        varam, _ = queue_invitation(
            s, round_code=ROUND, institution="VARAM", workbook=b"PK", settings=root.settings
        )
        assert [a["email"] for a in varam.to_addrs] == ["anda.kenina@varam.example.org"]

        returned_id = s.exec(select(Submission.id).where(Submission.status == "incomplete")).one()
        returned, _ = queue_returned(s, submission_id=returned_id, settings=root.settings)
        assert returned.version == returned_id
        assert "nav atbildēts" in returned.body_text and "(kopā: " in returned.body_text

        followup, _ = queue_followup(
            s,
            round_code=ROUND,
            institution="VID",
            respond_by=date(2027, 1, 31),
            settings=root.settings,
        )
        assert followup.version == 20270131
        assert "Atbildes termiņš: 2027. gada 31. janvāris" in followup.body_text

        with pytest.raises(MessageError, match="no plan version 7"):
            queue_plan(
                s,
                round_code=ROUND,
                institution="VID",
                plan_version=7,
                pdf=pdf,
                today=date(2026, 4, 1),
                settings=root.settings,
            )
        with pytest.raises(MessageError, match="no institution"):
            queue_invitation(
                s, round_code=ROUND, institution="NOPE", workbook=b"", settings=root.settings
            )

    report = deliver_due(root.settings, db=root.db)
    assert report.sent == 5 and report.failed == []
    got = {r.message["Subject"]: r for r in smtp.received}
    plan_mail = next(r for subject, r in got.items() if subject.startswith("Individuālais"))
    assert sorted(plan_mail.rcpt_tos) == sorted([HEAD, LEAD])
    (part,) = list(plan_mail.message.iter_attachments())
    assert part.get_content() == pdf


def test_reminders_before_the_due_date_once_per_round(round_with_plan: str, root: App) -> None:
    due = date(2026, 3, 31)
    with root.db.unit_of_work() as s:
        assert queue_due_reminders(s, due - timedelta(days=8), settings=root.settings) == []
        queued = queue_due_reminders(s, due - timedelta(days=7), settings=root.settings)
        # VID is accepted; only VARAM still owes its workbook.
        assert [(m.institution_code, created) for m, created in queued] == [("VARAM", True)]
        assert "Iesniegšanas termiņš: 2026. gada 31. marts" in queued[0][0].body_text
    with root.db.unit_of_work() as s:
        again = queue_due_reminders(s, due, settings=root.settings)
        assert [created for _, created in again] == [False]
        assert queue_due_reminders(s, due + timedelta(days=1), settings=root.settings) == []


def test_escalation_when_measures_are_overdue(round_with_plan: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        assignment = s.exec(select(Assignment).where(Assignment.state == "planned")).one()
        assignment.state = "plan_sent"  # as `plan send` will do
        s.add(assignment)
        plan_ctx = context(s, ROUND, "VID")
        plan = latest_plan(s, plan_ctx.assignment)
        assert plan is not None
        first_due = min(m.due_on for m in plan_measures(s, plan))
    days = root.settings.escalation_days_overdue
    with root.db.unit_of_work() as s:
        assert (
            queue_due_escalations(s, first_due + timedelta(days=days), settings=root.settings) == []
        )
        (queued,) = queue_due_escalations(
            s, first_due + timedelta(days=days + 1), settings=root.settings
        )
        row, created = queued
        assert created and row.to_addrs[0]["email"] == HEAD
        assert [a["email"] for a in row.cc_addrs] == [LEAD]
        assert f"({days} d.)" in row.body_text and "nokavētas dienas: " in row.body_text
        assert row.version == int((first_due + timedelta(days=days + 1)).strftime("%Y%m"))
        # Asked again the same day (a flow run twice): the same message, not a second one.
        again = queue_escalation(
            s,
            round_code=ROUND,
            institution="VID",
            today=first_due + timedelta(days=days + 1),
            settings=root.settings,
        )
        assert again is not None and again == (row, False)
    with root.db.unit_of_work() as s:
        assert {m.kind for m in list_messages(s)} == {"escalation"}


def test_codes_in_messages_come_with_their_names(round_with_plan: str, root: App) -> None:
    """A status request and an escalation name each measure, its item and its dimension
    by code and name; an own measure goes by the name the team gave it."""
    import re

    policy = load_policy("pvpp2027-v1")
    with root.db.unit_of_work() as s:
        assignment = s.exec(select(Assignment).where(Assignment.state == "planned")).one()
        assignment.state = "plan_sent"
        s.add(assignment)
        plan = latest_plan(s, context(s, ROUND, "VID").assignment)
        assert plan is not None
        rows = plan_measures(s, plan)
        first_due = min(m.due_on for m in rows)
        own = next(m for m in rows if m.due_on == first_due)
        own.origin, own.title = "own", "Mūsu klientu aptauja"
        s.add(own)
        s.flush()
        followup, _ = queue_followup(
            s, round_code=ROUND, institution="VID", respond_by=first_due, settings=root.settings
        )
        late = first_due + timedelta(days=root.settings.escalation_days_overdue + 1)
        escalation = queue_escalation(
            s, round_code=ROUND, institution="VID", today=late, settings=root.settings
        )
        assert escalation is not None
        due = [m for m in rows if m.due_on == first_due]
    # The team's status sheet lists the ids; a head reads the measure's name alone.
    assert f"{own.measure_id} Mūsu klientu aptauja" in followup.body_text
    assert "- Mūsu klientu aptauja — " in escalation[0].body_text
    assert own.measure_id not in escalation[0].body_text
    for body in (followup.body_text, escalation[0].body_text):
        for m in due:
            item = policy.item(m.item_id)
            assert f"{m.item_id} {item.name.lv}; " in body
            dim = next(d for d in policy.dimensions if d.id == m.dimension_id)
            assert f"{m.dimension_id} {dim.name.lv} {m.from_degree}→{m.to_degree}" in body
        # No item or dimension code on its own: every one is followed by a word.
        code = r"(?<![\w.-])(?:[12]\.\d|[KSR]\d{1,2}|D[1-4])(?![\w.-])"
        assert re.findall(code, body)
        assert re.findall(code + r"(?! [^\W\d])", body) == []
