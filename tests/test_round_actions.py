"""A coordinator's round actions: extend the due date (audited, the teams whose move it is
told the new date) and send reminders now (one a day, due soon or overdue)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import col, select

from pvpp.app import App
from pvpp.assignments import State, transition
from pvpp.mail.outbox import list_messages
from pvpp.policy import load_policy
from pvpp.registry import import_registry
from pvpp.round_actions import ROUND_EXTEND, extend_due, remind_now
from pvpp.rounds import RoundError, close_round, create_round, get_round
from pvpp.store.models import Assignment, AuditLog, Institution

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ROUND = "2026-K1"
DUE = date(2026, 3, 31)


@pytest.fixture
def running(store: str, root: App) -> str:
    """VID invited, VARAM returned, a third institution accepted."""
    with root.db.unit_of_work() as s:
        import_registry(s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"),
                        settings=root.settings)  # fmt: skip
        codes = [c for c in s.exec(select(Institution.code).order_by(col(Institution.code)))
                 if c not in ("VID", "VARAM")]  # fmt: skip
        create_round(s, code=ROUND, opens_on=date(2026, 1, 15), due_on=DUE,
                     institutions=["VID", "VARAM", codes[0]],
                     questionnaire_version="pvpp2027-q1")  # fmt: skip
        rows = s.exec(
            select(Assignment, Institution).join(
                Institution, col(Assignment.institution_id) == Institution.id
            )
        ).all()
        for a, inst in rows:
            if inst.code == "VID":
                continue
            transition(s, a, State.SUBMITTED, actor="test")
            last = State.RETURNED if inst.code == "VARAM" else State.ACCEPTED
            transition(s, a, last, actor="test")
    return codes[0]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_extending_the_due_date_tells_the_teams_whose_move_it_is(running: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        done = extend_due(s, ROUND, due_on=date(2026, 4, 14), reason="Lieldienas",
                          today=date(2026, 3, 20), settings=root.settings,
                          actor="koordinators@varam.example", ip="192.0.2.7")  # fmt: skip
        assert sorted(m.institution_code for m, _ in done.queued) == ["VARAM", "VID"]
    assert (done.previous, done.due_on, done.queued.failed) == (DUE, date(2026, 4, 14), [])
    with root.db.reading() as s:
        assert get_round(s, ROUND).due_on == date(2026, 4, 14)
        mails = [m for m in list_messages(s) if m.kind == "extension"]
        entry = s.exec(select(AuditLog).where(AuditLog.action == ROUND_EXTEND)).one()
        s.expunge_all()
    assert sorted(m.institution_code for m in mails) == ["VARAM", "VID"]
    assert {m.version for m in mails} == {20260414}
    vid = next(m for m in mails if m.institution_code == "VID")
    assert "termiņš pagarināts" in vid.subject
    assert "Jaunais iesniegšanas termiņš: 2026. gada 14. aprīlis" in vid.body_text
    assert "Iepriekšējais termiņš: 2026. gada 31. marts" in vid.body_text
    assert "Lieldienas" not in vid.body_text  # the reason is the ministry's
    assert entry.actor == "koordinators@varam.example"
    assert entry.detail == {"before": "2026-03-31", "due_on": "2026-04-14",
                            "reason": "Lieldienas", "ip": "192.0.2.7"}  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_extension_that_cannot_be_made_changes_nothing(running: str, root: App) -> None:
    def extend(due: date, reason: str = "x", today: date = date(2026, 3, 20)) -> None:
        with root.db.unit_of_work() as s:
            extend_due(s, ROUND, due_on=due, reason=reason, today=today,
                       settings=root.settings, actor="test")  # fmt: skip

    with pytest.raises(RoundError, match="give the reason"):
        extend(date(2026, 4, 14), reason="  ")
    with pytest.raises(RoundError, match="must be after the current one, 2026-03-31"):
        extend(date(2026, 3, 30))
    with pytest.raises(RoundError, match="must be after today, 2026-05-01"):
        extend(date(2026, 4, 14), today=date(2026, 5, 1))
    with pytest.raises(RoundError, match="no round"), root.db.unit_of_work() as s:
        extend_due(s, "2030-K1", due_on=date(2030, 1, 1), reason="x",
                   today=date(2026, 1, 1), settings=root.settings, actor="t")  # fmt: skip
    with root.db.unit_of_work() as s:
        close_round(s, ROUND, today=date(2026, 4, 1), actor="test")
    with pytest.raises(RoundError, match="closed for publication"):
        extend(date(2026, 5, 14), today=date(2026, 4, 2))
    with root.db.reading() as s:
        assert get_round(s, ROUND).due_on == DUE
        assert list_messages(s) == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_reminders_now_once_a_day_due_soon_or_overdue(running: str, root: App) -> None:
    def remind(today: date) -> list[tuple[str, bool]]:
        with root.db.unit_of_work() as s:
            done = remind_now(s, ROUND, today=today, settings=root.settings, actor="test")
            assert done.failed == []
            return sorted((m.institution_code, new) for m, new in done)

    # The reminder rule: no accepted workbook yet (VID invited, VARAM returned).
    assert remind(date(2026, 3, 1)) == [("VARAM", True), ("VID", True)]
    assert remind(date(2026, 3, 1)) == [("VARAM", False), ("VID", False)]
    assert remind(date(2026, 4, 3)) == [("VARAM", True), ("VID", True)]
    with root.db.reading() as s:
        mails = [m for m in list_messages(s) if m.kind == "reminder"]
        s.expunge_all()
    assert sorted({m.version for m in mails}) == [20260301, 20260403]
    soon = next(m for m in mails if m.version == 20260301)
    late = next(m for m in mails if m.version == 20260403)
    assert "tuvojas pašnovērtējuma termiņš" in soon.subject
    assert "termiņš ir pagājis" in late.subject


def test_an_extension_s_problems_by_code() -> None:
    from pvpp.round_actions import extension_problem

    due, today = date(2026, 3, 31), date(2026, 3, 1)
    assert extension_problem(due, date(2026, 4, 30), "  ", today) == "no_reason"
    assert extension_problem(due, due, "ilgāk", today) == "not_later"
    assert extension_problem(due, date(2026, 4, 2), "ilgāk", date(2026, 4, 5)) == "not_after_today"
    assert extension_problem(due, date(2026, 4, 30), "ilgāk", today) is None
    from pvpp.round_actions import extension_problems

    assert extension_problems(due, due, "", today) == ["no_reason", "not_later"]
