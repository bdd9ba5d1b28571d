"""Human review of submissions, in a round created with review (``Round.review_required``).

A valid submission (a workbook, or answers submitted online) waits in ``submitted`` with
its answers held on the :class:`~pvpp.store.models.Submission` (:mod:`pvpp.submissions`).
A reviewer:

- lists what waits (:func:`waiting`);
- opens one (:func:`open_review`): its answers with their evidence texts and files, the
  scoring's consistency warnings, and what changed since the institution's previous
  submission — the previous one of this round that has answers (a resubmission is read
  against the submission that was returned), else the answers accepted in its latest
  earlier round — per field changed, unchanged, added or removed
  (:func:`pvpp.answer_diff.diff_answers`);
- accepts it (:func:`accept`): its answers become the assignment's current
  :class:`~pvpp.store.models.AnswerSet` (only accepted answers count in national figures,
  which read answer sets only) and the assignment moves to ``accepted``;
- or returns it (:func:`return_submission`) with a comment on the whole submission
  (required) and one per item: the assignment moves to ``returned`` (the team's
  questionnaire opens again and shows the comments beside their items), and the team gets
  a ``review_returned`` email with the comments.

Every decision is a :class:`~pvpp.store.models.Review` row with its
:class:`~pvpp.store.models.ReviewComment` rows, superseding the assignment's previous
review (nothing is overwritten), a transition by the reviewer, and an audit entry with
who and from where. The CLI (``pvpp review``) and the console call these same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from pvpp import audit
from pvpp.answer_diff import FieldChange, FieldDiff, diff_answers
from pvpp.assignments import State, transition
from pvpp.contacts import address_problem, text_problem
from pvpp.errors import PvppError
from pvpp.mail.compose import queue_review_returned
from pvpp.policy import load_policy
from pvpp.queries import (
    assignment_of,
    current_answers,
    institution_by_code,
    previous_round_answers,
    round_by_code,
)
from pvpp.questionnaire import QuestionnaireSpec, load_questionnaire
from pvpp.scoring import Warning, score_answers
from pvpp.settings import Settings
from pvpp.states.assignment import AWAITING_REVIEW, REVIEW_REASON, AssignmentState
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    EvidenceFile,
    Institution,
    Review,
    ReviewComment,
    Round,
    Submission,
    id_of,
)

__all__ = [
    "ACCEPTED",
    "RETURNED",
    "SERVICES",
    "Base",
    "CommentProblem",
    "Queued",
    "ReturnNote",
    "ReviewError",
    "SubmissionReview",
    "Waiting",
    "accept",
    "item_of",
    "open_review",
    "return_note",
    "return_submission",
    "waiting",
    "waiting_changes",
]

ACCEPTED = "accepted"
RETURNED = "returned"
#: The key of a comment on the services' matrix (an item's comment is keyed by its id).
SERVICES = "services"
#: The longest comment kept (the whole submission's, or one item's).
MAX_COMMENT = 5000


@dataclass(frozen=True)
class CommentProblem:
    """What is wrong with one comment of a decision: ``field`` is ``comment`` (the whole
    submission's) or the item's id (or :data:`SERVICES`); ``reason`` one of ``required``,
    ``too_long`` (``length`` characters, at most :data:`MAX_COMMENT`), ``bad_text`` (an
    invisible or control character), ``empty`` (an item's comment with nothing in it),
    ``unknown_item``; ``message`` in English (what the CLI prints)."""

    field: str
    reason: str
    message: str
    length: int = 0


#: The field of a decision's comment on the whole submission.
WHOLE = "comment"


class ReviewError(PvppError):
    """A review that cannot be done as asked, with what to do instead. ``reason`` says
    which kind (``not_found``: no such round, assignment or submission to review;
    ``not_waiting``: nothing waits for a decision; ``stale``: a newer submission took the
    place of the one read; ``reviewer``: the reviewer's address; ``comments``: the
    comments, each of ``problems``)."""

    def __init__(
        self, message: str, *, reason: str = "", problems: Sequence[CommentProblem] = ()
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.problems = list(problems)


@dataclass(frozen=True)
class Waiting:
    """A submission waiting for a reviewer."""

    institution: str
    name: str
    submission_id: int
    filename: str
    received_at: datetime
    returned_before: int  # how many times a reviewer returned this assignment already


@dataclass(frozen=True)
class Base:
    """What a submission is compared with."""

    kind: str  # "submission": an earlier one of this round; "round": an earlier round's
    answers: dict[str, Any]
    submission_id: int | None = None  # kind "submission"
    round_code: str | None = None  # kind "round"
    returned: bool = False  # the earlier submission was returned by a reviewer


@dataclass(frozen=True)
class ReturnNote:
    """A reviewer's return as the team reads it: the whole comment, each item's, and the
    answers that were returned (to show the team what it changed since)."""

    review_id: int
    submission_id: int
    reviewer: str
    decided_at: datetime
    comment: str
    items: dict[str, str]  # item id (or SERVICES) → comment
    answers: dict[str, Any]


@dataclass
class SubmissionReview:
    """One submission as a reviewer reads it."""

    round: Round
    institution: Institution
    assignment: Assignment
    submission: Submission
    spec: QuestionnaireSpec
    answers: dict[str, Any]
    base: Base | None
    diff: list[FieldDiff]
    warnings: list[Warning]
    evidence: dict[str, list[EvidenceFile]]  # item id → files attached, oldest first
    decided: Review | None  # this submission's decision, if it has one
    last_return: ReturnNote | None  # the return before it (a resubmission answers it)
    comments: dict[str, str] = field(default_factory=dict)  # the decision's item comments

    @property
    def waiting(self) -> bool:
        """Whether it waits for a decision (the assignment is still submitted with it)."""
        return self.decided is None and AssignmentState(self.assignment.state) in AWAITING_REVIEW


def item_of(spec: QuestionnaireSpec, field_id: str) -> str:
    """The item a field belongs to (its id), or :data:`SERVICES` for the services' matrix."""
    f = spec.field_by_id.get(field_id)
    if f is None or f.item_id is None:
        return SERVICES
    return f.item_id


# -- reading ------------------------------------------------------------------------------


def _located(session: Session, round_code: str, institution: str) -> tuple[Round, Institution,
                                                                           Assignment]:  # fmt: skip
    rnd = round_by_code(session, round_code)
    if rnd is None:
        raise ReviewError(f"no round {round_code!r}", reason="not_found")
    inst = institution_by_code(session, institution)
    assignment = assignment_of(session, rnd, inst) if inst is not None else None
    if inst is None or assignment is None:
        raise ReviewError(
            f"{institution} has no assignment in round {round_code}", reason="not_found"
        )
    return rnd, inst, assignment


def _held(session: Session, assignment_id: int) -> Submission | None:
    """The assignment's newest submission with answers held for review, if any."""
    return session.exec(
        select(Submission)
        .where(Submission.assignment_id == assignment_id, col(Submission.answers).is_not(None))
        .order_by(col(Submission.id).desc())
    ).first()


def _reviews(session: Session, assignment_id: int) -> list[Review]:
    """The assignment's reviews, oldest first."""
    return list(
        session.exec(
            select(Review).where(Review.assignment_id == assignment_id).order_by(col(Review.id))
        ).all()
    )


def _comments(session: Session, review: Review) -> dict[str, str]:
    rows = session.exec(
        select(ReviewComment)
        .where(ReviewComment.review_id == review.id)
        .order_by(col(ReviewComment.id))
    ).all()
    return {r.item: r.text for r in rows}


def _note(session: Session, review: Review) -> ReturnNote:
    submission = session.get(Submission, review.submission_id)
    assert submission is not None  # a foreign key
    return ReturnNote(
        id_of(review), review.submission_id, review.reviewer, review.decided_at, review.comment,
        _comments(session, review), dict(submission.answers or {}),
    )  # fmt: skip


def return_note(session: Session, assignment_id: int) -> ReturnNote | None:
    """The reviewer's comments the team reads: those of the assignment's newest review,
    when that review returned it (an acceptance since ends them). The caller has checked
    the assignment is the reader's."""
    review = session.exec(
        select(Review).where(Review.assignment_id == assignment_id).order_by(col(Review.id).desc())
    ).first()
    if review is None or review.decision != RETURNED:
        return None
    return _note(session, review)


def _waiting_rows(
    session: Session, round_ids: Sequence[int]
) -> list[tuple[Waiting, Submission, Institution, Assignment]]:
    """The submissions of the rounds ``round_ids`` waiting for a reviewer, oldest first,
    with what they belong to (two statements)."""
    if not round_ids:
        return []
    newest = (
        select(func.max(Submission.id))
        .join(Assignment, col(Submission.assignment_id) == col(Assignment.id))
        .where(
            col(Assignment.round_id).in_(round_ids),
            col(Assignment.state).in_(sorted(AWAITING_REVIEW)),
            col(Submission.answers).is_not(None),
        )
        .group_by(col(Submission.assignment_id))
    )
    rows = session.exec(
        select(Submission, Institution, Assignment)
        .join(Assignment, col(Submission.assignment_id) == col(Assignment.id))
        .join(Institution, col(Assignment.institution_id) == col(Institution.id))
        .where(col(Submission.id).in_(newest))
        .order_by(col(Submission.received_at), col(Submission.id))
    ).all()
    ids = [s.assignment_id for s, _, _ in rows]
    decided: set[int] = set()
    returns: dict[int, int] = {}
    if ids:
        for review in session.exec(select(Review).where(col(Review.assignment_id).in_(ids))).all():
            decided.add(review.submission_id)
            if review.decision == RETURNED:
                returns[review.assignment_id] = returns.get(review.assignment_id, 0) + 1
    return [
        (Waiting(inst.code, inst.name, id_of(sub), sub.filename, sub.received_at,
                 returns.get(sub.assignment_id or 0, 0)), sub, inst, assignment)
        for sub, inst, assignment in rows
        if id_of(sub) not in decided
    ]  # fmt: skip


def waiting(session: Session, round_code: str) -> list[Waiting]:
    """The round's submissions waiting for a reviewer, oldest first (three statements)."""
    rnd = round_by_code(session, round_code)
    if rnd is None:
        raise ReviewError(f"no round {round_code!r}", reason="not_found")
    return [w for w, _, _, _ in _waiting_rows(session, [id_of(rnd)])]


@dataclass(frozen=True)
class Queued:
    """A submission waiting for a reviewer, with its round and how much it changed."""

    round: str
    waiting: Waiting
    base: str | None  # what it is compared with: "submission", "round", or None (nothing)
    returned: bool  # the base is a submission a reviewer returned (this is a resubmission)
    changed: int  # answers changed, added or removed since the base (every answer if none)


def waiting_changes(session: Session, round_code: str | None = None) -> list[Queued]:
    """What waits for a reviewer in the round ``round_code`` (every round when None),
    oldest first, each with the number of answers that differ from what :func:`open_review`
    compares it with: seven statements whatever the number of rounds and submissions."""
    if round_code is None:
        rounds = {id_of(r): r for r in session.exec(select(Round)).all()}
    else:
        rnd = round_by_code(session, round_code)
        if rnd is None:
            raise ReviewError(f"no round {round_code!r}", reason="not_found")
        rounds = {id_of(rnd): rnd}
    rows = _waiting_rows(session, sorted(rounds))
    if not rows:
        return []
    assignment_ids = sorted({id_of(a) for _, _, _, a in rows})
    earlier: dict[int, list[Submission]] = {}
    for sub in session.exec(
        select(Submission)
        .where(col(Submission.assignment_id).in_(assignment_ids),
               col(Submission.late_state).is_(None))
        .order_by(col(Submission.id).desc())
    ).all():  # fmt: skip
        earlier.setdefault(sub.assignment_id or 0, []).append(sub)
    unheld = [id_of(s) for subs in earlier.values() for s in subs if s.answers is None]
    accepted = {
        a.submission_id: dict(a.answers or {})
        for a in (
            session.exec(select(AnswerSet).where(col(AnswerSet.submission_id).in_(unheld))).all()
            if unheld
            else []
        )
    }
    returned = {
        r.submission_id
        for r in session.exec(
            select(Review).where(
                col(Review.assignment_id).in_(assignment_ids), Review.decision == RETURNED
            )
        ).all()
    }
    # The institutions' answer sets of every round, newest first, for those with no
    # earlier submission of their own round: the latest earlier round's is the base.
    institution_ids = sorted({id_of(i) for _, _, i, _ in rows})
    before: dict[int, list[tuple[date, AnswerSet]]] = {}
    for answer_set, inst_id, opens_on in session.exec(
        select(AnswerSet, col(Assignment.institution_id), col(Round.opens_on))
        .join(Assignment, col(AnswerSet.assignment_id) == col(Assignment.id))
        .join(Round, col(Assignment.round_id) == col(Round.id))
        .where(col(Assignment.institution_id).in_(institution_ids))
        .order_by(col(Round.opens_on).desc(), col(AnswerSet.id).desc())
    ).all():
        before.setdefault(inst_id, []).append((opens_on, answer_set))
    out = []
    for entry, sub, inst, assignment in rows:
        rnd = rounds[assignment.round_id]
        base: dict[str, Any] | None = None
        kind: str | None = None
        was_returned = False
        for old in earlier.get(id_of(assignment), []):
            if id_of(old) >= id_of(sub):
                continue
            answers = dict(old.answers) if old.answers is not None else accepted.get(id_of(old))
            if answers is not None:
                base, kind, was_returned = answers, "submission", id_of(old) in returned
                break
        if kind is None:
            found = next((a for o, a in before.get(id_of(inst), []) if o < rnd.opens_on), None)
            if found is not None:
                base, kind = dict(found.answers or {}), "round"
        diff = diff_answers(base, dict(sub.answers or {}))
        changed = sum(1 for d in diff if d.change is not FieldChange.UNCHANGED)
        out.append(Queued(rnd.code, entry, kind, was_returned, changed))
    return out


def _answers_of(session: Session, submission: Submission) -> dict[str, Any] | None:
    """The answers a submission brought: held for review, or its answer set's."""
    if submission.answers is not None:
        return dict(submission.answers)
    accepted = session.exec(
        select(AnswerSet).where(AnswerSet.submission_id == submission.id)
    ).first()
    return dict(accepted.answers or {}) if accepted is not None else None


def _base(session: Session, rnd: Round, inst: Institution, submission: Submission) -> Base | None:
    """The answers ``submission`` is compared with: the previous submission of this round
    that brought answers, else the institution's accepted answers of its latest earlier
    round, else none."""
    earlier = session.exec(
        select(Submission)
        .where(
            Submission.assignment_id == submission.assignment_id,
            col(Submission.id) < submission.id,
            col(Submission.late_state).is_(None),
        )
        .order_by(col(Submission.id).desc())
    ).all()
    for sub in earlier:
        answers = _answers_of(session, sub)
        if answers is not None:
            returned = session.exec(
                select(Review).where(Review.submission_id == sub.id, Review.decision == RETURNED)
            ).first()
            return Base("submission", answers, id_of(sub), returned=returned is not None)
    previous = previous_round_answers(session, inst, rnd)
    if previous is None:
        return None
    assignment = session.get(Assignment, previous.assignment_id)
    earlier_round = session.get(Round, assignment.round_id) if assignment else None
    return Base(
        "round", dict(previous.answers or {}),
        round_code=earlier_round.code if earlier_round else None,
    )  # fmt: skip


def open_review(session: Session, round_code: str, institution: str) -> SubmissionReview:
    """The institution's newest submission with answers held for review in the round, as
    a reviewer reads it (decided or not)."""
    rnd, inst, assignment = _located(session, round_code, institution)
    submission = _held(session, id_of(assignment))
    if submission is None:
        why = (
            "the round accepts valid submissions without review"
            if not rnd.review_required
            else f"it is {assignment.state}"
        )
        raise ReviewError(
            f"{institution} has no submission to review in round {round_code}: {why}",
            reason="not_found",
        )
    spec = load_questionnaire(rnd.questionnaire_version)
    answers = dict(submission.answers or {})
    base = _base(session, rnd, inst, submission)
    diff = diff_answers(base.answers if base else None, answers, (f.id for f in spec.fields))
    previous = previous_round_answers(session, inst, rnd)
    policy = load_policy(rnd.policy_version)
    warnings = score_answers(policy, answers, previous.answers if previous else None).warnings
    evidence: dict[str, list[EvidenceFile]] = {}
    for row in session.exec(
        select(EvidenceFile)
        .where(
            EvidenceFile.assignment_id == assignment.id,
            EvidenceFile.kind == "item",
            col(EvidenceFile.removed_at).is_(None),
        )
        .order_by(col(EvidenceFile.id))
    ).all():
        evidence.setdefault(row.target, []).append(row)
    reviews = _reviews(session, id_of(assignment))
    decided = next((r for r in reviews if r.submission_id == submission.id), None)
    before = [r for r in reviews if r.submission_id != submission.id and r.decision == RETURNED]
    return SubmissionReview(
        rnd, inst, assignment, submission, spec, answers, base, diff, warnings, evidence,
        decided, _note(session, before[-1]) if before else None,
        _comments(session, decided) if decided else {},
    )  # fmt: skip


# -- deciding -----------------------------------------------------------------------------


def _reviewer(reviewer: str) -> str:
    reviewer = reviewer.strip()
    problem = address_problem(reviewer)
    if problem is not None:
        raise ReviewError(
            f"the reviewer's address {problem}: give it with --reviewer EMAIL", reason="reviewer"
        )
    return reviewer


def _cleaned(text: str, field: str, what: str) -> tuple[str, CommentProblem | None]:
    """A comment as kept (line ends made one kind, no spaces around it), and what is wrong
    with it, if anything."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > MAX_COMMENT:
        message = f"{what} is {len(text)} characters long; at most {MAX_COMMENT}: shorten it"
        return text, CommentProblem(field, "too_long", message, len(text))
    problem = text_problem(text.replace("\n", " ").replace("\t", " "))
    if problem is not None:
        return text, CommentProblem(field, "bad_text", f"{what} {problem}")
    return text, None


def _refused(problems: Sequence[CommentProblem]) -> ReviewError:
    return ReviewError("; ".join(p.message for p in problems), reason="comments", problems=problems)


def _clean(text: str, field: str, what: str) -> str:
    text, problem = _cleaned(text, field, what)
    if problem is not None:
        raise _refused([problem])
    return text


def _waiting_one(
    session: Session, round_code: str, institution: str, expected: int | None = None
) -> tuple[Round, Institution, Assignment, Submission]:
    """The assignment (locked, read afresh) and its submission waiting for a decision;
    with ``expected``, only when that is the submission (the one the reviewer read)."""
    rnd, inst, found = _located(session, round_code, institution)
    assignment = session.exec(
        select(Assignment)
        .where(Assignment.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    submission = _held(session, id_of(assignment))
    newest = session.exec(
        select(func.max(Submission.id)).where(
            Submission.assignment_id == assignment.id, col(Submission.late_state).is_(None)
        )
    ).one()
    decided = submission is not None and (
        session.exec(select(Review).where(Review.submission_id == submission.id)).first()
        is not None
    )
    if (
        AssignmentState(assignment.state) not in AWAITING_REVIEW
        or submission is None
        or decided
        or submission.id != newest
    ):
        raise ReviewError(
            f"{institution} has no submission waiting for review in round {round_code} "
            f"(it is {assignment.state}); see pvpp review list {round_code}",
            reason="not_waiting",
        )
    if expected is not None and submission.id != expected:
        raise ReviewError(
            f"{institution} sent a newer submission ({submission.id}) in round {round_code} "
            f"since submission {expected} was read: read the newer one, then decide",
            reason="stale",
        )
    return rnd, inst, assignment, submission


def _record(
    session: Session,
    assignment: Assignment,
    submission: Submission,
    decision: str,
    reviewer: str,
    comment: str,
    now: datetime,
) -> Review:
    previous = session.exec(
        select(Review).where(Review.assignment_id == assignment.id).order_by(col(Review.id).desc())
    ).first()
    review = Review(
        submission_id=id_of(submission), assignment_id=id_of(assignment), decision=decision,
        reviewer=reviewer, comment=comment, decided_at=now,
        supersedes_id=previous.id if previous else None,
    )  # fmt: skip
    session.add(review)
    session.flush()
    return review


def accept(
    session: Session,
    round_code: str,
    institution: str,
    *,
    reviewer: str,
    now: datetime,
    comment: str = "",
    where: Mapping[str, str] | None = None,
    submission_id: int | None = None,
) -> Review:
    """Accept the submission waiting for review: its answers become the assignment's
    current answer set (superseding the earlier one) and the assignment ``accepted``.
    With ``submission_id`` (the submission the reviewer read), refused as ``stale`` when
    a newer one has taken its place."""
    reviewer = _reviewer(reviewer)
    comment = _clean(comment, WHOLE, "the comment")
    rnd, inst, assignment, submission = _waiting_one(
        session, round_code, institution, submission_id
    )
    transition(
        session, assignment, State.ACCEPTED, actor=reviewer[:100],
        reason=f"accepted by a reviewer (submission {submission.id})",
    )  # fmt: skip
    current = current_answers(session, assignment)
    session.add(
        AnswerSet(
            assignment_id=id_of(assignment), submission_id=id_of(submission),
            answers=dict(submission.answers or {}), created_at=now,
            supersedes_id=current.id if current else None,
        )
    )  # fmt: skip
    review = _record(session, assignment, submission, ACCEPTED, reviewer, comment, now)
    audit.record(
        session, actor=reviewer[:100], action="review.accept", entity="submission",
        key=str(submission.id), round=rnd.code, institution=inst.code, review=review.id,
        **(where or {}),
    )  # fmt: skip
    return review


def return_submission(
    session: Session,
    round_code: str,
    institution: str,
    *,
    reviewer: str,
    comment: str,
    item_comments: Mapping[str, str] | None = None,
    now: datetime,
    settings: Settings,
    lang: str | None = None,
    where: Mapping[str, str] | None = None,
    submission_id: int | None = None,
) -> Review:
    """Return the submission waiting for review to the team with ``comment`` (required)
    and a comment per item (``item_comments``: item id, or :data:`SERVICES`, → text): the
    assignment goes to ``returned`` (the questionnaire opens again) and the team is
    emailed the comments (``lang``: the institution's language, default the settings').
    Every comment is checked before anything is done: one :class:`ReviewError` names
    each problem (``problems``). ``submission_id`` as for :func:`accept`."""
    reviewer = _reviewer(reviewer)
    comment, whole = _cleaned(comment, WHOLE, "the comment on the whole submission")
    if whole is None and not comment:
        whole = CommentProblem(
            WHOLE, "required",
            "say why the submission is returned: a comment on the whole submission is "
            "required (--comment TEXT)",
        )  # fmt: skip
    problems = [whole] if whole is not None else []
    if problems and not item_comments:
        raise _refused(problems)
    rnd, inst, assignment, submission = _waiting_one(
        session, round_code, institution, submission_id
    )
    spec = load_questionnaire(rnd.questionnaire_version)
    known = [i.id for i in spec.policy.items]
    items: dict[str, str] = {}
    for item, text in (item_comments or {}).items():
        key = item.strip()
        if key not in known and key != SERVICES:
            problems.append(CommentProblem(
                key, "unknown_item",
                f"no item {key!r} in questionnaire {spec.id}: comment an item by its id "
                f"({known[0]} … {known[-1]}) or the services' matrix as {SERVICES}",
            ))  # fmt: skip
            continue
        cleaned, problem = _cleaned(text, key, f"the comment on item {key}")
        if problem is None and not cleaned:
            problem = CommentProblem(
                key, "empty", f"the comment on item {key} is empty: write it, or leave it out"
            )
        if problem is not None:
            problems.append(problem)
        items[key] = cleaned
    if problems:
        raise _refused(problems)
    ordered = {k: items[k] for k in [*known, SERVICES] if k in items}
    transition(
        session, assignment, State.RETURNED, actor=reviewer[:100],
        reason=f"{REVIEW_REASON} (submission {submission.id}): {comment}",
    )  # fmt: skip
    review = _record(session, assignment, submission, RETURNED, reviewer, comment, now)
    for item, text in ordered.items():
        session.add(ReviewComment(review_id=id_of(review), item=item, text=text))
    session.flush()
    audit.record(
        session, actor=reviewer[:100], action="review.return", entity="submission",
        key=str(submission.id), round=rnd.code, institution=inst.code, review=review.id,
        items=sorted(ordered), **(where or {}),
    )  # fmt: skip
    queue_review_returned(session, review_id=id_of(review), lang=lang, settings=settings)
    return review
