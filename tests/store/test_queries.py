"""Named queries: a round's view costs the same number of statements for any size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import event
from sqlmodel import Session

from pvpp.app import App
from pvpp.national import round_status
from pvpp.queries import (
    ROUND_CLOSE,
    assignment_state_counts,
    closing_days,
    round_measure_facts,
    round_state_counts,
)
from pvpp.rounds import get_round
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    AuditLog,
    Institution,
    Plan,
    PlanMeasure,
    Round,
    StoredFile,
    Submission,
    Team,
    TeamMember,
    Training,
    id_of,
)


@contextmanager
def counting(session: Session) -> Iterator[list[str]]:
    """The SQL statements ``session``'s connection runs inside the block."""
    statements: list[str] = []
    engine = session.get_bind()

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _round_of(session: Session, code: str, n: int) -> None:
    """A round of ``n`` institutions: every third with a team, a lead and a training,
    every fifth with an accepted answer set and a plan of two measures."""
    rnd = Round(
        code=code,
        policy_version="pvpp2027-v1",
        questionnaire_version="pvpp2027-q1",
        opens_on=date(2026, 1, 15),
        due_on=date(2026, 3, 31),
    )
    session.add(rnd)
    session.flush()
    for i in range(n):
        inst = Institution(
            code=f"{code}-{i:04d}", name=f"Iestāde {i}", group_id="G1", head_name="Vadītājs",
            head_email=f"head{i}@example.org", scope="round1",
        )  # fmt: skip
        session.add(inst)
        session.flush()
        a = Assignment(round_id=rnd.id, institution_id=inst.id, state="invited")
        session.add(a)
        session.flush()
        if i % 3 == 0:
            team = Team(institution_id=inst.id)
            session.add(team)
            session.flush()
            member = TeamMember(team_id=team.id, name="A", email=f"a{i}@example.org", is_lead=True)
            session.add(member)
            session.flush()
            session.add(
                Training(member_id=member.id, measure_id="P1.1", attended_on=date(2026, 2, 1))
            )
        if i % 5 == 0:
            digest = f"{code}{i:060d}"[-64:]
            session.add(StoredFile(sha256=digest, size=1, path=digest))
            sub = Submission(
                assignment_id=a.id, file_sha256=digest, filename="x.xlsx", source="test",
                status="accepted",
            )  # fmt: skip
            session.add(sub)
            session.flush()
            answers = AnswerSet(assignment_id=a.id, submission_id=sub.id, answers={"Q_K1_D1": 2})
            session.add(answers)
            session.flush()
            plan = Plan(
                assignment_id=a.id,
                version=1,
                answer_set_id=answers.id,
                inputs_sha256="x",
                created_by="test",
            )
            session.add(plan)
            session.flush()
            for position in (1, 2):
                session.add(
                    PlanMeasure(
                        plan_id=plan.id, position=position, measure_id=f"M{position}", item_id="K1",
                        dimension_id="D1", from_degree=2, to_degree=3, period="2026H2",
                        due_on=date(2026, 12, 31), rv5_measure="P5.2", role="head", effort="S",
                        priority=1.0,
                    )
                )  # fmt: skip


def test_round_status_and_measures_take_the_same_statements_for_10_or_1000(
    store: str, root: App
) -> None:
    with root.db.unit_of_work() as s:
        _round_of(s, "S", 10)
        _round_of(s, "L", 1000)
    counts = {}
    for code in ("S", "L"):
        with root.db.unit_of_work() as s:
            with counting(s) as statements:
                view = round_status(s, code)
                facts = round_measure_facts(s, get_round(s, code))
            counts[code] = len(statements)
            assert view["totals"]["assigned"] == (10 if code == "S" else 1000)
            assert len(facts) == (2 if code == "S" else 200)
            flags = {r["code"]: r["flags"] for r in view["institutions"]}
            assert flags[f"{code}-0000"] == ["no_training_P1.3", "no_training_P2.2"]
            assert flags[f"{code}-0001"][0] == "no_team"
    assert counts["S"] == counts["L"], counts


def test_closing_days_and_round_state_counts(store: str, root: App) -> None:
    """The day each round was closed (the first closure counts; only the rounds asked for
    are read) and a round's counts per state, each in one statement."""
    with root.db.unit_of_work() as s:
        _round_of(s, "S", 10)
        _round_of(s, "L", 12)
        for key, day in (("S", "2026-04-02"), ("S", "2026-05-01"), ("L", "2026-04-03")):
            s.add(AuditLog(actor="test", action=ROUND_CLOSE, entity="round", entity_key=key,
                           detail={"closed_on": day}))  # fmt: skip
        s.add(AuditLog(actor="test", action="round.create", entity="round", entity_key="X"))
    with root.db.unit_of_work() as s:
        with counting(s) as statements:
            every = closing_days(s)
            one = closing_days(s, ["L", "NOPE"])
            none = closing_days(s, [])
        selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 2  # nothing asked, nothing read
        assert every == {"S": date(2026, 4, 2), "L": date(2026, 4, 3)}
        assert one == {"L": date(2026, 4, 3)} and none == {}
        rnd = get_round(s, "S")
        with counting(s) as statements:
            counts = round_state_counts(s, rnd)
        assert [q.split()[0] for q in statements] == ["SELECT"]
        assert counts == {"invited": 10}
        assert counts == assignment_state_counts(s)[id_of(rnd)]
