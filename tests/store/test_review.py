"""Human review (pvpp.review): in a round with review a valid submission waits in
"submitted"; a reviewer accepts it (its answers count from then on, and only then) or
returns it with comments (the team is emailed in Latvian, the form opens again); the
resubmission is read against the returned one. Rounds without review accept at once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select

from flows.demo.synthetic import filled_workbooks
from pvpp.answer_diff import FieldChange
from pvpp.app import App
from pvpp.national import aggregates, round_scores, round_status
from pvpp.queries import current_answer_sets, round_by_code
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.review import (
    ReviewError,
    accept,
    open_review,
    return_note,
    return_submission,
    waiting,
)
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    AuditLog,
    Institution,
    OutboxMessage,
    Review,
    ReviewComment,
    Transition,
)
from pvpp.submissions import Outcome, ingest_paths
from pvpp.workbook.fill import fill_workbook
from tests.rounds import run_round

CODES = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD")]
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
REVIEWER = "recenzents@varam.gov.lv"


def _state(root: App, code: str) -> str:
    with root.db.reading() as s:
        inst = s.exec(select(Institution).where(Institution.code == code)).one()
        return s.exec(select(Assignment).where(Assignment.institution_id == inst.id)).one().state


def _resubmit(root: App, spec: QuestionnaireSpec, folder: Path, code: str, cells: dict) -> list:
    data = filled_workbooks(spec, [(code, code)], round_code="R", key=root.settings.signing_key())
    path = folder / f"{code}-2.xlsx"
    path.write_bytes(fill_workbook(data[code], cells))
    return ingest_paths([path], settings=root.settings, db=root.db)


def test_a_valid_submission_waits_and_counts_only_once_accepted(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path, CODES, round_code="R", review=True)
    assert {_state(root, c) for c, _ in CODES} == {"submitted"}
    with root.db.unit_of_work() as s:
        assert [w.institution for w in waiting(s, "R")] == ["VID", "UR", "VZD"]  # as received
        assert s.exec(select(AnswerSet)).all() == []
        # Nothing waiting for review counts in the national figures.
        assert round_scores(s, "R") == {}
        assert aggregates(s, "R", publish=False)["institutions_scored"] == 0
        assert all(r["index"] is None for r in round_status(s, "R")["institutions"])
        review = accept(s, "R", "VID", reviewer=REVIEWER, now=NOW, where={"ip": "10.0.0.1"})
        assert review.decision == "accepted"
    assert _state(root, "VID") == "accepted"
    with root.db.unit_of_work() as s:
        assert set(round_scores(s, "R")) == {"VID"}  # UR and VZD still wait: not counted
        assert aggregates(s, "R", publish=False)["institutions_scored"] == 1
        rnd = round_by_code(s, "R")
        assert rnd is not None and len(current_answer_sets(s, rnd)) == 1
        moved = s.exec(select(Transition).where(Transition.to_state == "accepted")).one()
        assert moved.actor == REVIEWER
        entry = s.exec(select(AuditLog).where(AuditLog.action == "review.accept")).one()
        assert entry.actor == REVIEWER and entry.detail["ip"] == "10.0.0.1"
        assert [w.institution for w in waiting(s, "R")] == ["UR", "VZD"]
        with pytest.raises(ReviewError, match="no submission waiting for review"):
            accept(s, "R", "VID", reviewer=REVIEWER, now=NOW)  # decided already


def test_returning_emails_the_team_and_the_resubmission_is_read_against_it(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path, CODES[:2], round_code="R", review=True)
    with root.db.unit_of_work() as s:
        first = open_review(s, "R", "UR")
        assert first.waiting and first.base is None  # no earlier submission or round
        assert {d.change for d in first.diff} == {FieldChange.ADDED}
        with pytest.raises(ReviewError, match="comment on the whole submission is required"):
            return_submission(s, "R", "UR", reviewer=REVIEWER, comment="  ", now=NOW,
                              settings=root.settings)  # fmt: skip
        with pytest.raises(ReviewError, match=r"no item '9\.9'"):
            return_submission(s, "R", "UR", reviewer=REVIEWER, comment="Labojiet.",
                              item_comments={"9.9": "x"}, now=NOW,
                              settings=root.settings)  # fmt: skip
        with pytest.raises(ReviewError, match="reviewer's address"):
            return_submission(s, "R", "UR", reviewer="nobody", comment="Labojiet.", now=NOW,
                              settings=root.settings)  # fmt: skip
        review = return_submission(
            s, "R", "UR", reviewer=REVIEWER,
            comment="Pierādījumi nav pietiekami.",
            item_comments={"1.1": "Pievienojiet rīkojumu par terminoloģiju.",
                           "services": "Norādiet pakalpojumu kataloga ID."},
            now=NOW, settings=root.settings, where={"ip": "10.0.0.2"},
        )  # fmt: skip
        review_id = review.id
    assert _state(root, "UR") == "returned"
    with root.db.unit_of_work() as s:
        comments = s.exec(select(ReviewComment).order_by(col(ReviewComment.id))).all()
        assert [(c.item, c.text) for c in comments] == [
            ("1.1", "Pievienojiet rīkojumu par terminoloģiju."),
            ("services", "Norādiet pakalpojumu kataloga ID."),
        ]
        mail = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "review_returned")).one()
        assert mail.version == review_id and mail.lang == "lv" and mail.institution_code == "UR"
        assert mail.subject.startswith("Pašnovērtējums atgriezts papildināšanai — ")
        body = mail.body_text
        assert "Komentārs par pašnovērtējumu kopumā:\nPierādījumi nav pietiekami." in body
        assert "- 1.1 " in body and ": Pievienojiet rīkojumu par terminoloģiju." in body
        assert "- Pakalpojumi: Norādiet pakalpojumu kataloga ID." in body
        assert "/questionnaire" in body
        entry = s.exec(select(AuditLog).where(AuditLog.action == "review.return")).one()
        assert entry.actor == REVIEWER and entry.detail["items"] == ["1.1", "services"]
        assignment = s.exec(select(Assignment).join(Institution).where(Institution.code == "UR"))
        note = return_note(s, assignment.one().id or 0)
        assert note is not None and note.items["1.1"].startswith("Pievienojiet")
        assert s.exec(select(AnswerSet)).all() == []  # returned: nothing counts

    rows = _resubmit(root, spec, tmp_path, "UR", {"COMMENT_1_1": "Rīkojums Nr. 12 pievienots."})
    assert [r.outcome for r in rows] == [Outcome.SUBMITTED]
    assert _state(root, "UR") == "submitted"
    with root.db.unit_of_work() as s:
        again = open_review(s, "R", "UR")
        assert again.base is not None and again.base.kind == "submission" and again.base.returned
        changed = {d.field: d for d in again.diff if d.change is not FieldChange.UNCHANGED}
        assert set(changed) == {"COMMENT_1_1"}
        assert changed["COMMENT_1_1"].after == "Rīkojums Nr. 12 pievienots."
        assert again.last_return is not None and again.last_return.review_id == review_id
        accepted = accept(s, "R", "UR", reviewer=REVIEWER, now=NOW)
        assert accepted.supersedes_id == review_id  # the earlier review stays, superseded
        assert len(s.exec(select(Review)).all()) == 2
        assert return_note(s, accepted.assignment_id) is None  # accepted: comments end


def test_a_newer_workbook_takes_the_place_of_the_one_waiting(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path, CODES[:1], round_code="R", review=True)
    rows = _resubmit(root, spec, tmp_path, "VID", {"COMMENT_1_1": "Precizēts."})
    assert [r.outcome for r in rows] == [Outcome.SUBMITTED]
    with root.db.unit_of_work() as s:
        [one] = waiting(s, "R")
        assert one.submission_id == rows[0].submission_id
        view = open_review(s, "R", "VID")
        assert view.base is not None and view.base.kind == "submission" and not view.base.returned
        accept(s, "R", "VID", reviewer=REVIEWER, now=NOW)
        answers = s.exec(select(AnswerSet)).one()
        assert answers.submission_id == rows[0].submission_id


def test_a_round_without_review_accepts_at_once_and_has_nothing_to_review(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path, CODES[:1], round_code="R")
    assert _state(root, "VID") == "accepted"
    with root.db.unit_of_work() as s:
        assert waiting(s, "R") == []
        with pytest.raises(ReviewError, match="accepts valid submissions without review"):
            open_review(s, "R", "VID")
        with pytest.raises(ReviewError, match="no submission waiting for review"):
            accept(s, "R", "VID", reviewer=REVIEWER, now=NOW)


def test_a_return_names_every_comment_problem_and_a_decision_holds_to_the_submission_read(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path, CODES[:1], round_code="R", review=True)
    with root.db.unit_of_work() as s:
        held = open_review(s, "R", "VID").submission.id or 0
        with pytest.raises(ReviewError) as refused:
            return_submission(
                s, "R", "VID", reviewer=REVIEWER, comment=" ", now=NOW, settings=root.settings,
                item_comments={"1.1": "x" * 5001, "1.2": "Labi.", "9.9": "?", "services": " "},
            )  # fmt: skip
        assert refused.value.reason == "comments"
        found = [(p.field, p.reason) for p in refused.value.problems]
        assert found == [("comment", "required"), ("1.1", "too_long"), ("9.9", "unknown_item"),
                         ("services", "empty")]  # fmt: skip
        assert refused.value.problems[1].length == 5001
        for decide in (
            lambda: accept(s, "R", "VID", reviewer=REVIEWER, now=NOW, submission_id=held + 1),
            lambda: return_submission(s, "R", "VID", reviewer=REVIEWER, comment="Labojiet.",
                                      now=NOW, settings=root.settings, submission_id=held + 1),
        ):  # fmt: skip
            with pytest.raises(ReviewError) as stale:
                decide()
            assert stale.value.reason == "stale"
        assert s.exec(select(Review)).all() == []
        accept(s, "R", "VID", reviewer=REVIEWER, now=NOW, submission_id=held)
    assert _state(root, "VID") == "accepted"
