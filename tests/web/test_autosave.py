"""An autosave's answer is built from its page alone: the draft after the save is checked
on the saved field's page (its items, or every service row) instead of on every field.
For random drafts and random single-field saves, what the answer shows — the field's
block, its item's or row's messages, the page's progress — is what the whole check
shows. And one autosave asks the database a fixed, small number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from pvpp import drafts, sessions
from pvpp.drafts import Saved, field_block, make_draft, page_of, page_scope, progress
from pvpp.policy.models import LANGS, Lang
from pvpp.questionnaire import QuestionnaireSpec, load_questionnaire
from pvpp.signin import Person
from pvpp.store.models import AnswerSet, Assignment, AuditLog, DraftAnswer, Institution, Round
from tests.core.test_answer_scope import answers, candidates
from tests.pg import PostgresServer
from tests.web.conftest import (
    A,
    World,
    assignment_id,
    built_world,
    client_of,
    csrf_of,
    open_second_round,
)

SPECS = {version: load_questionnaire(version) for version in ("pvpp2027-q1", "pvpp2027-q2")}
LEAD = Person(1, "VID", "Valsts ieņēmumu dienests", 7, "Anna Liepa", "anna@vid.example", "lead")
AT = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)


def parts(spec: QuestionnaireSpec) -> tuple[Assignment, Round, Institution]:
    """An assignment being filled, its round and institution, as rows read from a store."""
    rnd = Round(id=3, code="2026-K2", policy_version=spec.policy.id,
                questionnaire_version=spec.id, opens_on=date(2026, 4, 1),
                due_on=date(2026, 6, 30))  # fmt: skip
    inst = Institution(id=1, code="VID", name="Valsts ieņēmumu dienests")
    assignment = Assignment(id=5, round_id=3, institution_id=1, state="in_progress")
    return assignment, rnd, inst


def saved_rows(values: dict[str, Any], first: int = 1) -> dict[str, Saved]:
    """The draft's newest row of each field, holding ``values``."""
    return {
        fid: Saved(first + i, fid, str(value), "janis@vid.example", "Jānis", "web", AT)
        for i, (fid, value) in enumerate(values.items())
    }


@st.composite
def saves(draw: st.DrawFn, spec: QuestionnaireSpec) -> tuple[dict[str, Any], str, str]:
    """A draft's values and one field saved into it (often in the same item or row)."""
    values = draw(answers(spec))
    near = [spec.field_by_id[f] for f in values] or list(spec.fields)
    pool = [
        g for f in near
        for g in (spec.item_fields[f.item_id] if f.item_id else spec.row_fields[f.service_row or 1])
    ]  # fmt: skip
    f = draw(st.sampled_from(pool + list(spec.fields[-20:])))
    return values, f.id, draw(st.sampled_from(candidates(spec, f)))


@pytest.mark.parametrize("version", sorted(SPECS))
def test_the_answer_of_an_autosave_is_the_whole_checks(version: str) -> None:
    spec = SPECS[version]
    assignment, rnd, inst = parts(spec)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        base=answers(spec), draft=saves(spec), lang=st.sampled_from(LANGS),
        with_base=st.booleans(),
    )  # fmt: skip
    def check(
        base: dict[str, Any], draft: tuple[dict[str, Any], str, str], lang: Lang,
        with_base: bool,
    ) -> None:  # fmt: skip
        values, fid, value = draft
        answers_before = {k: v.strip() for k, v in base.items() if str(v).strip()}
        answer_set = AnswerSet(id=2, assignment_id=4, submission_id=1,
                               answers=answers_before) if with_base else None  # fmt: skip
        rows = saved_rows(values)
        rows[fid] = Saved(len(rows) + 1, fid, value, LEAD.email, LEAD.name, "web", AT)
        scope = page_scope(spec, page_of(spec.field_by_id[fid]))
        whole = make_draft(assignment, rnd, inst, answer_set, rows, lang)
        part = make_draft(assignment, rnd, inst, answer_set, rows, lang, scope=scope)
        inside = {f.id for f in scope.fields(spec)}
        assert part.problems == {k: m for k, m in whole.problems.items() if k in inside}
        page, shown = field_block(part, LEAD, fid)
        page_whole, shown_whole = field_block(whole, LEAD, fid)
        assert page == page_whole
        assert shown.pop("progress") == [p for p in progress(whole) if p.page == page]
        shown_whole.pop("progress")
        assert shown == shown_whole

    check()


def test_a_draft_checked_on_one_page_is_not_taken_for_the_whole() -> None:
    spec = SPECS["pvpp2027-q2"]
    assignment, rnd, inst = parts(spec)
    part = make_draft(assignment, rnd, inst, None, saved_rows({"Q_1_1_D1": "3"}), "lv",
                      scope=page_scope(spec, "C1"))  # fmt: skip
    assert [p.page for p in progress(part)] == ["C1"]
    with pytest.raises(AssertionError):
        drafts.missing(part)
    with pytest.raises(AssertionError):
        drafts.overview(part, LEAD)


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run meanwhile (each a round trip on a database server), without
    SQLite's BEGIN (a transaction's start, not a statement of the portal's)."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def _autosave_statements(world: World) -> tuple[list[str], int]:
    """The statements of a second autosave (the first also starts the assignment online),
    and how many transactions it began."""
    client = client_of(world, "team")
    aid = assignment_id(world, A)
    token = csrf_of(client.get(f"/questionnaire/{aid}/C1").text)
    headers = {"HX-Request": "true"}

    def save(value: str) -> None:
        data = {"csrf": token, "COMMENT_1_1": value}
        answer = client.post(f"/questionnaire/{aid}/fields/COMMENT_1_1", data=data,
                             headers=headers)  # fmt: skip
        assert answer.status_code == 200 and value in answer.text

    save("Pirmais")
    begun: list[object] = []

    def began(conn: object) -> None:
        begun.append(conn)

    event.listen(Engine, "begin", began)
    try:
        with statements() as seen:
            save("Otrais")
    finally:
        event.remove(Engine, "begin", began)
    return seen, len(begun)


def test_one_autosave_asks_four_statements(qworld: World) -> None:
    """In one transaction: the session with its person, the assignment with its round,
    institution and the draft's base (one statement); the draft's newest rows (one); the
    row and its audit entry (two on SQLite; one on PostgreSQL, below). Pinned so that it
    cannot creep back: it was eleven in two transactions, then five in two."""
    seen, transactions = _autosave_statements(qworld)
    assert transactions == 1
    assert len(seen) == 4, "\n".join(seen)
    assert [s.split()[0] for s in seen] == ["SELECT", "SELECT", "INSERT", "INSERT"]
    assert all(t in seen[0] for t in ("websession", "teammember", "assignment", "answerset"))
    assert "draftanswer" in seen[1]
    assert "draftanswer" in seen[2] and "auditlog" in seen[3]


def test_on_postgresql_an_autosave_is_one_transaction_of_two_statements(
    tmp_path: Path, spec: QuestionnaireSpec, postgres: PostgresServer
) -> None:
    """On a database server each statement is a round trip: the session and assignment
    (locked for share) with the draft's newest rows (a JSON column) in one, and the row
    with its audit entry in one INSERT (a data-modifying WITH); with the pool's ping, BEGIN
    and COMMIT, five round trips against the bare write's four (ping, BEGIN, INSERT,
    COMMIT). The rows read in the first statement are the rows :func:`drafts._rows`
    reads."""
    with built_world(tmp_path, spec, database_url=postgres.new_database()) as world:
        open_second_round(world, spec.id)
        seen, transactions = _autosave_statements(world)
        assert transactions == 1
        assert len(seen) == 2, "\n".join(seen)
        assert seen[0].startswith("SELECT") and seen[0].endswith("FOR SHARE OF assignment")
        assert "websession" in seen[0] and "json_agg" in seen[0] and "draftanswer" in seen[0]
        assert seen[1].startswith("WITH") and "INSERT INTO auditlog" in seen[1]
        aid = assignment_id(world, A)
        with world.root.db.unit_of_work() as s:
            s.add(DraftAnswer(assignment_id=aid, field="EVIDENCE_1_1", value='Ā "ē"\n\\ ž',
                              actor="a@b.lv", name="Ņ", source="web",
                              saved_at=datetime(2026, 11, 30, 9, 1, 2, 5, tzinfo=UTC)))  # fmt: skip
            s.add(DraftAnswer(assignment_id=aid, field="EVIDENCE_1_2", value="x",
                              actor="a@b.lv", source="bench",
                              saved_at=datetime(2026, 11, 30, 9, 1, 2, tzinfo=UTC)))  # fmt: skip
        with world.root.db.reading() as s:
            query = drafts._session_owned_query(True)
            jar = client_of(world, "team").cookies
            sid = next(v for k, v in jar.items() if k.endswith("pvpp_session"))
            found = s.execute(query, {"digest": sessions.digest(sid), "assignment": aid}).one()
            as_json = drafts._rows_of_json(found[7])
            assert as_json == drafts._rows(s, aid) and len(as_json) == 3
        with world.root.db.reading() as s:
            rows = s.exec(select(DraftAnswer).where(DraftAnswer.value == "Otrais")).all()
            logs = s.exec(select(AuditLog).where(AuditLog.action == "answers.save")).all()
            assert len(rows) == 1 and rows[0].source == "web"
            assert rows[0].saved_at.tzinfo is not None
            assert logs[-1].detail["fields"] == ["COMMENT_1_1"]
            assert logs[-1].detail["via"] == "web" and logs[-1].entity == "assignment"
