"""A round's progress view: its figures from the store, its filters, and the same number of
statements for 10 institutions or 100."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from pvpp.app import App
from pvpp.milestones import record_milestones
from pvpp.questionnaire import load_questionnaire
from pvpp.round_progress import Filters, ProgressError, round_progress
from pvpp.store.models import (
    Assignment,
    DraftAnswer,
    Institution,
    Round,
    Transition,
    WebSession,
)
from tests.store.test_queries import counting

OPENS = date(2026, 1, 15)
DUE = date(2026, 3, 31)
TODAY = date(2026, 3, 1)
Q = "pvpp2027-q1"


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def _round_of(session: Session, code: str, n: int) -> None:
    """A round of ``n`` institutions, all invited on the opening day. Of every five: one
    submitted and accepted (2026-02-10, 02-12), one filling in with three answers saved
    (the last on 02-25), one returned (02-20), one invited who signed in on 02-26, one
    invited and never heard of since. Groups alternate G1, G2."""
    fields = [f.id for f in load_questionnaire(Q).degree_fields][:3]
    rnd = Round(code=code, policy_version="pvpp2027-v1", questionnaire_version=Q,
                opens_on=OPENS, due_on=DUE)  # fmt: skip
    session.add(rnd)
    session.flush()
    for i in range(n):
        inst = Institution(
            code=f"{code}-{i:04d}", name=f"Iestāde {i}", group_id=f"G{i % 2 + 1}",
            head_name="Vadītājs", head_email=f"head{i}@example.org", scope="round1",
        )  # fmt: skip
        session.add(inst)
        session.flush()
        kind = i % 5
        path = [["invited", "submitted", "accepted"], ["invited", "in_progress"],
                ["invited", "in_progress", "submitted", "returned"], ["invited"],
                ["invited"]][kind]  # fmt: skip
        days = {
            "invited": OPENS, "submitted": date(2026, 2, 10), "accepted": date(2026, 2, 12),
            "in_progress": date(2026, 2, 1), "returned": date(2026, 2, 20),
        }  # fmt: skip
        a = Assignment(round_id=rnd.id, institution_id=inst.id, state=path[-1])
        session.add(a)
        session.flush()
        before = None
        for state in path:
            session.add(Transition(assignment_id=a.id, from_state=before, to_state=state,
                                   at=_at(days[state]), actor="test"))  # fmt: skip
            before = state
        if kind == 1:
            for n_, fid in enumerate(fields):
                session.add(DraftAnswer(assignment_id=a.id, field=fid, value="2", actor="t",
                                        saved_at=_at(date(2026, 2, 23 + n_))))  # fmt: skip
            # A cleared answer does not count.
            session.add(DraftAnswer(assignment_id=a.id, field=fields[0], value=" ", actor="t",
                                    saved_at=_at(date(2026, 2, 25))))  # fmt: skip
        if kind == 3:
            session.add(WebSession(sid_sha256=f"{code}{i:060d}"[-64:], institution_id=inst.id,
                                   email="x@example.org", role="team",
                                   created_at=_at(date(2026, 2, 26))))  # fmt: skip
    session.flush()
    record_milestones(session, code, actor="test")


def test_the_view_counts_states_lines_behind_and_idle(store: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        _round_of(s, "P", 10)
    with root.db.reading() as s:
        view = round_progress(s, "P", today=TODAY)
    assert (view.total, view.handed_in, view.complete) == (10, 2, 2)
    assert view.share_complete == 0.2
    assert dict(view.states) == {
        "invited": 4, "in_progress": 2, "returned": 2, "submitted": 0, "accepted": 2,
        "planned": 0, "plan_sent": 0, "in_follow_up": 0,
    }  # fmt: skip
    assert [s for s, _ in view.states][:3] == ["invited", "in_progress", "returned"]
    line = {p.day: (p.handed_in, p.complete) for p in view.line}
    assert view.line[0].day == OPENS and view.line[-1].day == TODAY
    assert line[date(2026, 2, 9)] == (0, 0)
    assert line[date(2026, 2, 10)] == (4, 0)  # two accepted-to-be and two returned-to-be
    assert line[date(2026, 2, 12)] == (4, 2)
    assert line[date(2026, 2, 20)] == (2, 2)  # the returned left the line
    rows = {r.code: r for r in view.institutions}
    assert (rows["P-0001"].answered, rows["P-0001"].last_active) == (2, _at(date(2026, 2, 25)))
    assert rows["P-0003"].last_active == _at(date(2026, 2, 26))  # a sign-in
    assert rows["P-0004"].idle_days == (TODAY - OPENS).days
    # Invited first (the one never heard of before the one who signed in), then filling in
    # (two of many answered), then returned.
    assert [r.code for r in view.behind] == [
        "P-0004", "P-0009", "P-0003", "P-0008", "P-0001", "P-0006", "P-0002", "P-0007",
    ]  # fmt: skip
    # Returned on 02-20 (9 days ago), signed in on 02-26: not idle for 14 days.
    assert [r.code for r in view.idle] == ["P-0004", "P-0009"]
    with root.db.reading() as s:
        week = round_progress(s, "P", today=TODAY, idle_after=7, behind_limit=3)
    assert [r.code for r in week.idle] == ["P-0004", "P-0009", "P-0002", "P-0007"]
    assert [r.code for r in week.behind] == ["P-0004", "P-0009", "P-0003"]
    assert {m["measure"] for m in view.milestones} >= {"P2.1", "P2.2", "P3.1", "P4.1"}


def test_filters_choose_what_is_counted(store: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        _round_of(s, "P", 10)
    with root.db.reading() as s:
        g2 = round_progress(s, "P", today=TODAY, filters=Filters(group="g2"))
        returned = round_progress(s, "P", today=TODAY, filters=Filters(state="returned"))
        named = round_progress(s, "P", today=TODAY, filters=Filters(name="IESTĀDE 1"))
        by_code = round_progress(s, "P", today=TODAY, filters=Filters(name="p-0003"))
    assert g2.total == 5 and {r.group for r in g2.institutions} == {"G2"}
    assert [r.code for r in returned.institutions] == ["P-0002", "P-0007"]
    assert returned.line[-1].handed_in == 0
    assert [r.code for r in named.institutions] == ["P-0001"]
    assert [r.code for r in by_code.institutions] == ["P-0003"]
    with pytest.raises(ProgressError, match="state must be one of invited, in_progress"):
        Filters(state="done")


def test_the_view_takes_the_same_statements_for_10_or_100(store: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        _round_of(s, "S", 10)
        _round_of(s, "L", 100)
    counts = {}
    for code, n in (("S", 10), ("L", 100)):
        with root.db.reading() as s, counting(s) as statements:
            view = round_progress(s, code, today=TODAY)
            assert view.total == n
        counts[code] = len(statements)
    assert counts["S"] == counts["L"], counts
