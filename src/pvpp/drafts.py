"""The questionnaire filled online: an assignment's answers, saved field by field, until
the team lead submits them.

The store (:class:`~pvpp.store.models.DraftAnswer`) keeps every save as a new row: field
id (the workbook's field id scheme, :mod:`pvpp.questionnaire.models`), the value as
given, who and when. The newest row of a field is its value: several members answer and
the last change wins, with who and when shown beside it. Before anyone saves, the draft
is the institution's latest accepted answer set (the previous round's, or the workbook
the team sent), so nobody types again what is known.

Every value is checked by the rules a returned workbook is checked by
(:mod:`pvpp.questionnaire.values`) when it is read: a value that breaks one is kept (so
nothing typed is lost) with the workbook checker's message beside it, and the draft
cannot be submitted until it is fixed.

- :func:`save_field` (an autosave) and :func:`save_page` (a page's Save button, without
  JavaScript: only the fields the person changed since the page was shown are saved, so
  a page saved late never undoes a colleague's change);
- :func:`load`: the draft with its problems, what is unanswered and who changed what;
  :func:`progress`: answered of total per component;
- :func:`submit`: the team lead only; a complete draft goes the way an accepted workbook
  goes (:func:`pvpp.submissions.submit_answers`), an incomplete one is refused with the
  list of what is missing. Afterwards the answers are read-only until the ministry
  returns them (:data:`pvpp.states.assignment.ANSWERS_OPEN`);
- :func:`park` and :func:`apply_pending`: answers that arrive with a session that has
  just ended are kept under a random key and saved when the same person signs in again.

The person is the signed-in :class:`~pvpp.signin.Person`; an assignment of another
institution is :class:`~pvpp.portal.NotFound`, the head is :class:`~pvpp.portal.NotAllowed`
(the team fills the questionnaire).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.selectable import Select as SaSelect
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import Select

from pvpp import audit, sessions
from pvpp.answer_diff import FieldChange, diff_answers
from pvpp.assignments import transition
from pvpp.clock import LOCAL_ZONE
from pvpp.errors import PvppError
from pvpp.i18n import day, t
from pvpp.policy.models import Component, Lang
from pvpp.portal import NotAllowed, NotFound
from pvpp.questionnaire import AnswerField, FieldKind, QuestionnaireSpec, filled, load_questionnaire
from pvpp.questionnaire.models import TEXT_LIMITS, item_field_id
from pvpp.questionnaire.values import Answer, Checked, Scope, check_values
from pvpp.review import SERVICES as REVIEW_SERVICES
from pvpp.review import ReturnNote, item_of, return_note
from pvpp.sessions import Viewer
from pvpp.settings import Settings
from pvpp.signin import HEAD, Person, person_from
from pvpp.states.assignment import ANSWERS_OPEN, STARTED_ONLINE, AssignmentState
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    DraftAnswer,
    Institution,
    PendingAnswers,
    Round,
    Submission,
    Team,
    TeamMember,
    WebSession,
    id_of,
)
from pvpp.submissions import IngestRow, submit_answers

__all__ = [
    "SERVICES",
    "Autosaved",
    "Draft",
    "Incomplete",
    "Missing",
    "apply_pending",
    "autosave",
    "current_assignment",
    "load",
    "park",
    "progress",
    "save_field",
    "save_page",
    "submit",
]

#: The page of the services × K1–K10 matrix (the components' pages are their ids).
SERVICES = "services"
#: The longest value kept for one field (text limits are checked, not cut: this only
#: bounds what a crafted request can store).
MAX_STORED = 20_000
#: How long answers kept over an ended session wait for the same person to sign in.
PENDING_HOURS = 24
#: The session ends after which answers are kept (not a sign-out, nor a person removed).
KEEPS_ANSWERS = ("idle", "expired")


class Incomplete(PvppError):
    """A draft that cannot be submitted yet: what is missing or wrong, each with its page."""

    def __init__(self, message: str, missing: list[Missing]) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class Missing:
    """One thing that keeps a draft from being submitted."""

    field: str
    page: str  # a component id or SERVICES
    what: str  # the question, in words
    problem: str | None = None  # the rule it breaks; None: unanswered


@dataclass(frozen=True)
class Change:
    """The last change of a field: who, when, how."""

    name: str
    actor: str
    at: datetime
    source: str
    row_id: int


class Saved(NamedTuple):
    """A field's newest saved value as a draft reads it: the columns of its
    :class:`~pvpp.store.models.DraftAnswer` row (read as columns: a draft has up to a row
    per field, and building a stored row object for each cost more than the check)."""

    id: int
    field: str
    value: str
    actor: str
    name: str
    source: str
    saved_at: datetime


#: The columns :class:`Saved` reads, in its order.
_SAVED = (
    col(DraftAnswer.id), col(DraftAnswer.field), col(DraftAnswer.value),
    col(DraftAnswer.actor), col(DraftAnswer.name), col(DraftAnswer.source),
    col(DraftAnswer.saved_at),
)  # fmt: skip


@dataclass
class Draft:
    """An assignment's answers as they stand, checked in ``lang``."""

    assignment: Assignment
    round: Round
    institution: Institution
    spec: QuestionnaireSpec
    values: dict[str, str]
    changes: dict[str, Change]
    base: AnswerSet | None
    checked: Checked
    lang: Lang
    seen: int  # the newest row of the draft: a page shown now posts it back
    problems: dict[str, str] = field(default_factory=dict)  # field id → message
    rows: dict[str, Saved] = field(default_factory=dict)  # field id → its newest row
    # What ``checked`` and ``problems`` cover: None, every field; else one page's fields
    # (an autosave's answer shows that page only, see save_field).
    scope: Scope | None = None
    # A reviewer's return the team answers (rounds with review, pvpp.review), if any.
    review: ReturnNote | None = None

    @property
    def open(self) -> bool:
        """Whether the answers may be changed (not yet submitted, or returned)."""
        return AssignmentState(self.assignment.state) in ANSWERS_OPEN


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _normal(value: str) -> str:
    """A value as it is kept: browser line ends made plain, at most :data:`MAX_STORED`."""
    return value.replace("\r\n", "\n").replace("\r", "\n")[:MAX_STORED]


def text_of(answer: Answer) -> str:
    """A stored answer as the form shows it (a degree ``3``, a code ``not_applicable``)."""
    return str(answer)


def current_assignment(session: Session, person: Person) -> int:
    """The id of the person's institution's assignment in its newest round."""
    row = session.exec(
        select(Assignment.id)
        .join(Round, col(Assignment.round_id) == col(Round.id))
        .where(Assignment.institution_id == person.institution_id)
        .order_by(col(Round.opens_on).desc(), col(Round.id).desc())
    ).first()
    if row is None:
        raise NotFound("no round")
    return row


def _owned(
    session: Session, person: Person, assignment_id: int, lang: Lang, *,
    lock: bool = False, share: bool = False,
) -> tuple[Assignment, Round, Institution, AnswerSet | None]:  # fmt: skip
    """The assignment, its round and institution, when the person's team may answer it,
    with the institution's latest accepted answer set (any round: the draft's base).
    ``lock``: locked for a change of its state (submitting); ``share``: locked against
    such a change while answers are written (a save or an upload that overlaps the
    lead's submit waits for it, then sees the answers closed)."""
    query = _owned_query(lock, share)
    found = session.exec(
        query, params={"assignment": assignment_id, "institution": person.institution_id}
    ).first()
    if found is None:
        raise NotFound(f"no assignment {assignment_id}")
    return _allowed(session, person, found[0], found[1], found[2], found[3], lang)


def _allowed(
    session: Session, person: Person, assignment: Assignment, rnd: Round, inst: Institution,
    base: AnswerSet | None, lang: Lang,
) -> tuple[Assignment, Round, Institution, AnswerSet | None]:  # fmt: skip
    """What :func:`_owned` read, when the person's team may answer it (else
    :class:`NotFound`, or :class:`NotAllowed` for the head), with the draft's base."""
    if assignment.institution_id != person.institution_id:
        raise NotFound(f"no assignment {id_of(assignment)}")
    if person.role == HEAD:
        raise NotAllowed(t("web.q.team_only", lang))
    if rnd.review_required:  # the team answers from a submission held for review, if newer
        base = _held_base(session, base, id_of(assignment))
    return assignment, rnd, inst, base


@cache
def _owned_query(lock: bool, share: bool) -> Select[Assignment, Round, Institution, AnswerSet]:
    """The statement of :func:`_owned`, made once (parameters ``assignment`` and
    ``institution``, the person's)."""
    # One statement for all four: every page and autosave asks, and on a database server
    # each statement is a round trip. The base is the newest answer set of any of the
    # person's institution's assignments (another institution's assignment is refused):
    # a subquery of constants, found once through the keys (aliases: the outer query
    # names both tables too).
    earlier, answers = aliased(Assignment), aliased(AnswerSet)
    newest = (
        select(func.max(answers.id))
        .join(earlier, col(answers.assignment_id) == col(earlier.id))
        .where(col(earlier.institution_id) == bindparam("institution"))
        .correlate(None)
        .scalar_subquery()
    )
    query = (
        select(Assignment, Round, Institution, AnswerSet)
        .join(Round, col(Round.id) == col(Assignment.round_id))
        .join(Institution, col(Institution.id) == col(Assignment.institution_id))
        .outerjoin(AnswerSet, col(AnswerSet.id) == newest)
        .where(col(Assignment.id) == bindparam("assignment"))
    )
    if lock or share:
        query = query.with_for_update(read=not lock, of=Assignment).execution_options(
            populate_existing=True
        )
    return query


@cache
def _session_owned_query(with_rows: bool = False) -> SaSelect[Any]:
    """:func:`_owned_query` (shared lock) with the session of the request and its person,
    in one statement: parameters ``digest`` (the session id's, :func:`pvpp.sessions.digest`)
    and ``assignment``. The base is the newest answer set of the session's institution; an
    assignment of another institution is read (and refused by :func:`_allowed`), so that
    the statement has no outer join on the side it locks.

    ``with_rows`` (PostgreSQL): one more column, the draft's newest rows as a JSON array
    (:func:`_rows_of_json`), so that an autosave reads them without a round trip of their
    own. What they are is what :func:`_rows` would read next in the transaction: another
    save committed between the two reads could as well have committed just after both."""
    earlier, answers = aliased(Assignment), aliased(AnswerSet)
    newest = (
        sa_select(func.max(answers.id))
        .join(earlier, col(answers.assignment_id) == col(earlier.id))
        .where(col(earlier.institution_id) == col(WebSession.institution_id))
        .scalar_subquery()
    )
    columns: list[Any] = [WebSession, Institution, TeamMember, Team, Assignment, Round, AnswerSet]
    if with_rows:
        row, newer = aliased(DraftAnswer), aliased(DraftAnswer)
        ids = (
            sa_select(func.max(newer.id))
            .where(col(newer.assignment_id) == bindparam("assignment"))
            .group_by(col(newer.field))
        )
        each = func.json_build_array(*(getattr(row, name) for name in Saved._fields))
        columns.append(
            sa_select(func.json_agg(each))
            .where(col(row.id).in_(ids))
            .correlate(None)
            .scalar_subquery()
        )
    return (
        sa_select(*columns)
        .select_from(WebSession)
        .join(Assignment, col(Assignment.id) == bindparam("assignment"))
        .join(Round, col(Round.id) == col(Assignment.round_id))
        .outerjoin(Institution, col(Institution.id) == col(WebSession.institution_id))
        .outerjoin(TeamMember, col(TeamMember.id) == col(WebSession.member_id))
        .outerjoin(Team, col(Team.id) == col(TeamMember.team_id))
        .outerjoin(AnswerSet, col(AnswerSet.id) == newest)
        .where(col(WebSession.sid_sha256) == bindparam("digest"))
        .with_for_update(read=True, of=Assignment)
        .execution_options(populate_existing=True)
    )


def _rows_of_json(found: list[list[Any]] | None) -> dict[str, Saved]:
    """The draft's newest rows as :func:`_session_owned_query` reads them on PostgreSQL
    (each row a JSON array of :data:`_SAVED`'s columns; the time in ISO 8601 with its
    offset), as :func:`_rows` returns them."""
    rows = {}
    for rid, fid, value, actor, name, source, at in found or ():
        rows[fid] = Saved(rid, fid, value, actor, name, source, datetime.fromisoformat(at))
    return rows


def _base(session: Session, institution_id: int, reviewed: int | None = None) -> AnswerSet | None:
    """The institution's latest accepted answer set (any round). With ``reviewed`` (an
    assignment of a round with review), that assignment's newest submission held for
    review, if it is newer: a submission waiting for the reviewer, or returned by them,
    is what the team answers from (a workbook sent by email left no draft rows). It comes
    as an answer set not stored (nothing is written)."""
    accepted = session.exec(
        select(AnswerSet)
        .join(Assignment, col(AnswerSet.assignment_id) == col(Assignment.id))
        .where(Assignment.institution_id == institution_id)
        .order_by(col(AnswerSet.id).desc())
    ).first()
    return accepted if reviewed is None else _held_base(session, accepted, reviewed)


def _held_base(session: Session, accepted: AnswerSet | None, reviewed: int) -> AnswerSet | None:
    """``accepted``, or the newest submission of assignment ``reviewed`` held for review
    when it is newer (see :func:`_base`)."""
    held = session.exec(
        select(Submission)
        .where(Submission.assignment_id == reviewed, col(Submission.answers).is_not(None))
        .order_by(col(Submission.id).desc())
    ).first()
    if held is None or (accepted is not None and accepted.submission_id >= id_of(held)):
        return accepted
    return AnswerSet(
        assignment_id=reviewed, submission_id=id_of(held), answers=held.answers,
        created_at=held.received_at,
    )  # fmt: skip


def _rows(session: Session, assignment_id: int, upto: int | None = None) -> dict[str, Saved]:
    """The newest row of each field (up to row ``upto``). Only those rows are read: a
    team's history of saves grows all round, and every page and autosave asks."""
    ids = select(func.max(DraftAnswer.id)).where(DraftAnswer.assignment_id == assignment_id)
    if upto is not None:
        ids = ids.where(col(DraftAnswer.id) <= upto)
    query = sa_select(*_SAVED).where(col(DraftAnswer.id).in_(ids.group_by(DraftAnswer.field)))
    return {row.field: Saved._make(row) for row in session.execute(query).all()}


def _values(base: AnswerSet | None, rows: Mapping[str, Saved]) -> dict[str, str]:
    values = {fid: text_of(v) for fid, v in ((base.answers or {}) if base else {}).items()}
    for fid, row in rows.items():
        values[fid] = row.value
    return {fid: v for fid, v in values.items() if v.strip()}


def load(session: Session, person: Person, assignment_id: int, *, lang: Lang) -> Draft:
    """The person's institution's draft for the assignment, checked in ``lang``."""
    assignment, rnd, inst, base = _owned(session, person, assignment_id, lang)
    return _load(session, assignment, rnd, inst, base, lang)


def _load(
    session: Session,
    assignment: Assignment,
    rnd: Round,
    inst: Institution,
    base: AnswerSet | None,
    lang: Lang,
    rows: Mapping[str, Saved] | None = None,
    *,
    check: bool = True,
    scope: Scope | None = None,
) -> Draft:
    """The draft, its rows read from the store or, with ``rows``, the newest rows already
    read in this transaction. Without ``check``, its values are not checked (``checked``
    and ``problems`` are empty): for a save, which needs only the values; with ``scope``,
    only that part's fields are checked."""
    if rows is None:
        rows = _rows(session, id_of(assignment))
    note = return_note(session, id_of(assignment)) if rnd.review_required else None
    return make_draft(
        assignment, rnd, inst, base, rows, lang, check=check, scope=scope, review=note
    )


def make_draft(
    assignment: Assignment,
    rnd: Round,
    inst: Institution,
    base: AnswerSet | None,
    rows: Mapping[str, Saved],
    lang: Lang,
    *,
    check: bool = True,
    scope: Scope | None = None,
    review: ReturnNote | None = None,
    values: dict[str, str] | None = None,
) -> Draft:
    """The draft of the rows read (each field's newest row) over ``base``, checked in
    ``lang`` (all of it, or only ``scope``'s fields; not at all without ``check``), with
    the reviewer's return it answers (``review``), if any. ``values``: the draft's values
    when the caller has them already (``rows`` over ``base``, as :func:`_values` makes
    them), so that the base's answers are not turned to text again."""
    spec = load_questionnaire(rnd.questionnaire_version)
    if values is None:
        values = _values(base, rows)
    checked = check_values(spec, values, lang, scope=scope) if check else Checked()
    changes = {
        fid: Change(r.name or r.actor, r.actor, r.saved_at, r.source, r.id)
        for fid, r in rows.items()
    }
    draft = Draft(
        assignment, rnd, inst, spec, values, changes, base, checked, lang,
        seen=max((c.row_id for c in changes.values()), default=0), rows=dict(rows),
        scope=scope if check else None, review=review,
    )  # fmt: skip
    for p in checked.problems:
        draft.problems.setdefault(p.field, p.message(lang))
    return draft


def _field(spec: QuestionnaireSpec, field_id: str) -> AnswerField:
    found = spec.field_by_id.get(field_id)
    if found is None:
        raise NotFound(f"no field {field_id}")
    return found


def _writable(session: Session, person: Person, assignment_id: int, lang: Lang) -> Draft:
    """The draft to save into, its values not checked (saving needs only the values)."""
    assignment, rnd, inst, base = _owned(session, person, assignment_id, lang, share=True)
    draft = _load(session, assignment, rnd, inst, base, lang, check=False)
    if not draft.open:
        raise NotAllowed(t("web.q.read_only", lang))
    return draft


def _write(
    session: Session,
    draft: Draft,
    person: Person,
    changed: Mapping[str, str],
    *,
    now: datetime,
    where: Mapping[str, str],
    source: str,
) -> list[Saved]:
    """Save the values that differ from the draft's, with their audit entry; returns the
    rows saved. The rows and the entry are one INSERT on PostgreSQL
    (:func:`pvpp.audit.insert_recorded`): an autosave is a round trip shorter."""
    values: list[dict[str, Any]] = []
    for fid, value in changed.items():
        now_value = draft.values.get(fid, "")
        if value == now_value or (not value.strip() and not now_value):
            continue
        values.append({
            "assignment_id": id_of(draft.assignment), "field": fid, "value": value,
            "member_id": person.member_id, "actor": person.email[:254],
            "name": person.name[:200], "source": source, "saved_at": now,
        })  # fmt: skip
    if not values:
        return []
    if draft.assignment.state == AssignmentState.INVITED:
        transition(session, draft.assignment, STARTED_ONLINE, actor=person.email[:100],
                   reason="answers started online")  # fmt: skip
    one = len(values) == 1  # an autosave: the statement made once, its values bound
    statement = _insert_one() if one else _insert_many(values)
    rows = audit.insert_recorded(
        session, statement, actor=person.email[:100], action="answers.save",
        entity="assignment", key=f"{draft.round.code}|{draft.institution.code}",
        params={f"row_{k}": v for k, v in values[0].items()} if one else None,
        fields=[v["field"] for v in values], source=source, **where,
    )  # fmt: skip
    return sorted((Saved._make(row) for row in rows), key=lambda r: r.id)


_ROW_COLUMNS = ("assignment_id", "field", "value", "member_id", "actor", "name", "source",
                "saved_at")  # fmt: skip


def _insert_many(values: list[dict[str, Any]]) -> ReturningInsert[Any]:
    """The draft rows ``values`` (each a dict of :data:`_ROW_COLUMNS`), returning
    :class:`Saved`'s columns."""
    table = DraftAnswer.metadata.tables[str(DraftAnswer.__tablename__)]
    return insert(table).values(values).returning(*(table.c[n] for n in Saved._fields))


@cache
def _insert_one() -> ReturningInsert[Any]:
    """One draft row, its values bound (``row_<column>``), returning :class:`Saved`'s
    columns: made once, so that an autosave does not compile its INSERT each time."""
    table = DraftAnswer.metadata.tables[str(DraftAnswer.__tablename__)]
    bound = {c: bindparam(f"row_{c}", type_=table.c[c].type) for c in _ROW_COLUMNS}
    return insert(table).values(bound).returning(*(table.c[n] for n in Saved._fields))


def save_field(
    session: Session,
    person: Person,
    assignment_id: int,
    field_id: str,
    value: str,
    *,
    now: datetime,
    lang: Lang,
    where: Mapping[str, str],
    source: str = "web",
) -> Draft:
    """Save one field's value (an autosave); returns the draft after it, checked on the
    field's page only (its ``scope``): its ``problems`` say what is wrong with this field
    and its item now, and :func:`progress` gives that page's line."""
    draft = _writable(session, person, assignment_id, lang)
    return _saved_one(session, draft, person, field_id, value, now=now, lang=lang,
                      where=where, source=source)  # fmt: skip


def _saved_one(
    session: Session, draft: Draft, person: Person, field_id: str, value: str, *,
    now: datetime, lang: Lang, where: Mapping[str, str], source: str = "web",
) -> Draft:  # fmt: skip
    """Save one field into ``draft`` (open, read for writing); the draft after it, checked
    on the field's page (see :func:`save_field`)."""
    f = _field(draft.spec, field_id)
    saved = _write(session, draft, person, {field_id: _normal(value)}, now=now, where=where,
                   source=source)  # fmt: skip
    # The draft with the new row, from what this transaction has read (not read again),
    # checked on the field's page alone: every rule looks at one item or one service row,
    # so the page's messages and progress are the whole check's.
    rows = {**draft.rows, **{r.field: r for r in saved}}
    # Its values: the draft's with the rows saved over them (as _values makes them: the
    # newest row wins over the base, a blank value is no answer), not made again.
    values = dict(draft.values)
    for r in saved:
        values[r.field] = r.value
        if not r.value.strip():
            del values[r.field]
    return make_draft(draft.assignment, draft.round, draft.institution, draft.base, rows,
                      lang, scope=page_scope(draft.spec, page_of(f)),
                      review=draft.review, values=values)  # fmt: skip


@dataclass(frozen=True)
class Autosaved:
    """What :func:`autosave` did: the session's person (None: the session had ended, or
    ends now, and nothing was saved) and the draft after the save (as :func:`save_field`
    returns it)."""

    viewer: Viewer | None
    draft: Draft | None


def autosave(
    session: Session,
    sid: str,
    assignment_id: int,
    field_id: str,
    value: str,
    *,
    now: datetime,
    settings: Settings,
    lang: Lang,
    where: Mapping[str, str],
) -> Autosaved:
    """:func:`save_field` for the request of session ``sid``, which is read here, with the
    assignment, in the save's transaction (:func:`_session_owned_query`): on a database
    server an autosave is then one transaction of three statements (this read, the draft's
    rows, the row with its audit entry) instead of a read of the session before it. The
    session is settled as every request's is (:func:`pvpp.sessions.settle`: ended when
    idle, too old or its person gone; its request noted once a minute)."""
    found = None
    # On a database server the draft's rows come in the same statement (a round trip
    # fewer); SQLite has no round trips and reads them next, as every page does.
    with_rows = session.get_bind().dialect.name == "postgresql"
    if sid and len(sid) <= 100:
        params = {"digest": sessions.digest(sid), "assignment": assignment_id}
        found = session.execute(_session_owned_query(with_rows), params).first()
    if found is None:  # no such session, or no such assignment: the session as usual
        if sessions.current(session, sid, now=now, settings=settings) is None:
            return Autosaved(None, None)
        raise NotFound(f"no assignment {assignment_id}")
    row, inst, member, team, assignment, rnd, base = found[:7]
    rows = _rows_of_json(found[7]) if with_rows else None
    person = person_from(inst, member, team, row.institution_id, row.member_id, row.email)
    viewer = sessions.settle(session, row, person, now=now, settings=settings)
    if viewer is None:
        return Autosaved(None, None)
    assignment, rnd, inst, base = _allowed(
        session, viewer.person, assignment, rnd, inst, base, lang
    )
    draft = _load(session, assignment, rnd, inst, base, lang, rows, check=False)
    if not draft.open:
        raise NotAllowed(t("web.q.read_only", lang))
    return Autosaved(viewer, _saved_one(session, draft, viewer.person, field_id, value,
                                        now=now, lang=lang, where=where))  # fmt: skip


def page_scope(spec: QuestionnaireSpec, page: str) -> Scope:
    """The part of the questionnaire a page's messages and progress depend on: a
    component's items, or (the services' page) every service row."""
    if page == SERVICES:
        return Scope(rows=frozenset(range(1, spec.questionnaire.service_rows + 1)))
    comp = next((c for c in spec.policy.components if c.id == page), None)
    if comp is None:
        raise NotFound(f"no page {page}")
    return Scope(items=frozenset(item.id for item in comp.items))


def page_fields(spec: QuestionnaireSpec, page: str, rows: int | None = None) -> list[AnswerField]:
    """The fields of a page: a component's items, or the first ``rows`` service rows."""
    if page == SERVICES:
        last = rows or spec.questionnaire.service_rows
        return [f for f in spec.fields if f.service_row is not None and f.service_row <= last]
    if page not in {c.id for c in spec.policy.components}:
        raise NotFound(f"no page {page}")
    return [f for f in spec.fields if f.component_id == page]


def save_page(
    session: Session,
    person: Person,
    assignment_id: int,
    page: str,
    posted: Mapping[str, str],
    *,
    seen: int | None,
    shown: Mapping[str, str] | None = None,
    rows: int | None = None,
    now: datetime,
    lang: Lang,
    where: Mapping[str, str],
) -> list[str]:
    """Save a whole page as posted (the Save button without JavaScript): each field whose
    posted value differs from what the page showed is saved, so a field the person did
    not touch never undoes a colleague's later change. What the page showed: ``shown``,
    the digest of each value it was made with (:mod:`pvpp.questionnaire.filled`); from a
    page made before pages carried them, the draft at row ``seen``. A field not posted (a
    radio group left unchosen) counts as empty."""
    draft = _writable(session, person, assignment_id, lang)
    fields = page_fields(draft.spec, page, rows)
    if shown is None:
        shown = _shown_before(session, assignment_id, draft.base, seen)
    changed = {}
    for f in fields:
        value = _normal(posted.get(f.id, ""))
        if filled.changed(shown, f.id, value):
            changed[f.id] = value
    saved = _write(session, draft, person, changed, now=now, where=where, source="web")
    return [r.field for r in saved]


def _shown_before(
    session: Session, assignment_id: int, base: AnswerSet | None, seen: int | None
) -> dict[str, str]:
    """What a page made before pages carried digests showed: the draft at row ``seen``
    (ids are handed out before commit: on PostgreSQL this may count a colleague's row that
    the page never showed)."""
    return {
        fid: filled.digest(v)
        for fid, v in _values(base, _rows(session, assignment_id, upto=seen or 0)).items()
    }


@dataclass(frozen=True)
class Progress:
    """Answered of total on one page."""

    page: str
    number: int | None
    name: str
    answered: int
    total: int
    problems: int

    @property
    def done(self) -> bool:
        return self.answered == self.total and not self.problems


def progress(draft: Draft) -> list[Progress]:
    """Per component: its degree questions answered of all; for the services: the named
    services with their type and every conformity value, of all named. A draft checked
    on one page only (its ``scope``) has that page's line only."""
    out = []
    spec, answers, scope = draft.spec, draft.checked.answers, draft.scope
    problems = [spec.field_by_id[fid] for fid in draft.problems]
    for comp in spec.policy.components:
        if scope is not None and not all(item.id in scope.items for item in comp.items):
            continue
        degree_ids = [f.id for item in comp.items for f in spec.item_degree_fields.get(item.id, ())]
        out.append(Progress(
            comp.id, comp.number, comp.name.get(draft.lang),
            sum(fid in answers for fid in degree_ids), len(degree_ids),
            sum(f.component_id == comp.id for f in problems),
        ))  # fmt: skip
    if scope is not None and len(scope.rows) < spec.questionnaire.service_rows:
        return out
    missing = set(draft.checked.unanswered)
    named = [
        row
        for row, fields in spec.row_fields.items()
        if fields[0].kind is FieldKind.SERVICE_NAME and fields[0].id in answers
    ]
    rows_missing = {
        spec.field_by_id[fid].service_row
        for fid in missing
        if spec.field_by_id[fid].service_row is not None
    }
    out.append(Progress(
        SERVICES, None, t("web.q.services", draft.lang),
        sum(row not in rows_missing for row in named), len(named),
        sum(f.service_row is not None for f in problems),
    ))  # fmt: skip
    return out


def page_of(f: AnswerField) -> str:
    return f.component_id if f.component_id is not None else SERVICES


def describe(spec: QuestionnaireSpec, f: AnswerField, lang: Lang) -> str:
    """A field in words: item and dimension, or service row and column."""
    if f.item_id is not None:
        item = spec.policy.item(f.item_id)
        where = f"{item.id} {item.name.get(lang)}"
        if f.dimension_id is not None:
            dim = next(d for d in spec.policy.dimensions if d.id == f.dimension_id)
            parts = len(spec.parts_of(f.item_id, f.dimension_id))
            part = f", {t('web.q.part', lang, part=f.part, total=parts)}" if parts > 1 else ""
            return f"{where}: {dim.id} {dim.name.get(lang)}{part}"
        return f"{where}: {t(f'web.q.field.{f.kind.value}', lang)}"
    column = f.condition_group or t(f"web.q.field.{f.kind.value}", lang)
    return t("web.q.service_cell", lang, row=f.service_row, column=column)


def missing(draft: Draft) -> list[Missing]:
    """What keeps the draft from being submitted: problems first, then what is
    unanswered, each in field order."""
    assert draft.scope is None, "what is missing needs the whole draft checked"
    spec, lang = draft.spec, draft.lang
    out = [
        Missing(p.field, page_of(spec.field_by_id[p.field]),
                describe(spec, spec.field_by_id[p.field], lang), p.message(lang))
        for p in draft.checked.problems
    ]  # fmt: skip
    out += [
        Missing(fid, page_of(spec.field_by_id[fid]), describe(spec, spec.field_by_id[fid], lang))
        for fid in draft.checked.unanswered
    ]
    return out


def submit(
    session: Session,
    person: Person,
    assignment_id: int,
    *,
    now: datetime,
    lang: Lang,
    where: Mapping[str, str],
) -> IngestRow:
    """The team lead submits the draft: refused (:class:`Incomplete`, with the list) while
    anything is unanswered or breaks a rule; otherwise received as an accepted workbook
    is, and from then on read-only until the ministry returns it."""
    assignment, rnd, inst, base = _owned(session, person, assignment_id, lang, lock=True)
    if person.role != "lead":
        raise NotAllowed(t("web.q.lead_submits", lang))
    draft = _load(session, assignment, rnd, inst, base, lang)
    if not draft.open:
        raise NotAllowed(t("web.q.read_only", lang))
    gaps = missing(draft)
    if gaps:
        raise Incomplete(t("web.q.incomplete", lang, n=len(gaps)), gaps)
    meta = {
        "questionnaire": draft.spec.id,
        "policy": draft.spec.policy.id,
        "round": rnd.code,
        "institution": inst.code,
        "institution_name": inst.name,
        "lang": lang,
    }
    row = submit_answers(
        session, assignment, draft.checked.answers, meta=meta, actor=person.email,
        submitted_at=now,
    )  # fmt: skip
    audit.record(
        session, actor=person.email[:100], action="answers.submit", entity="assignment",
        key=f"{rnd.code}|{inst.code}", submission=row.submission_id, **where,
    )  # fmt: skip
    return row


# -- answers that arrive after the session ended -----------------------------------------


def park(
    session: Session,
    sid: str,
    assignment_id: int,
    answers: Mapping[str, str],
    *,
    back_to: str,
    key: str | None,
    now: datetime,
    seen: int | None = None,
    shown: Mapping[str, str] | None = None,
) -> str | None:
    """Keep ``answers`` (field id → value) posted with the session ``sid`` that has just
    ended (idle or too old); returns the key to give the browser (a new one, or ``key``
    when the browser already holds one for the same session, whose answers are added to).
    None when nothing is kept: the session did not end that way, or the assignment or the
    fields are not the session's person's to answer. ``shown`` (or, from an older page,
    ``seen``): the answers are a whole page as :func:`save_page` takes them: only what
    was changed on it is kept."""
    ended = session.exec(select(WebSession).where(WebSession.sid_sha256 == _key(sid))).first()
    if ended is None or ended.end_reason not in KEEPS_ANSWERS or ended.role == HEAD:
        return None
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.institution_id != ended.institution_id:
        return None
    rnd = session.get(Round, assignment.round_id)
    assert rnd is not None
    spec = load_questionnaire(rnd.questionnaire_version)
    kept = {f: _normal(v) for f, v in answers.items() if f in spec.field_by_id}
    if shown is None and seen is not None:
        reviewed = assignment_id if rnd.review_required else None
        shown = _shown_before(
            session, assignment_id, _base(session, ended.institution_id, reviewed), seen
        )
    if shown is not None:
        kept = {f: v for f, v in kept.items() if filled.changed(shown, f, v)}
    if not kept:
        return None
    if key:
        row = session.exec(
            select(PendingAnswers).where(PendingAnswers.key_sha256 == _key(key))
        ).first()
        if (
            row is not None
            and row.applied_at is None
            and row.session_id == ended.id
            and row.assignment_id == assignment_id
        ):
            row.answers = {**row.answers, **kept}
            row.back_to = back_to[:300]
            session.add(row)
            return key
    key = secrets.token_urlsafe(32)
    session.add(
        PendingAnswers(
            key_sha256=_key(key), session_id=id_of(ended), assignment_id=assignment_id,
            answers=kept, back_to=back_to[:300], created_at=now,
        )
    )  # fmt: skip
    audit.record(
        session, actor=ended.email[:100], action="answers.kept", entity="assignment",
        key=str(assignment_id), fields=sorted(kept),
    )  # fmt: skip
    return key


def apply_pending(
    session: Session,
    key: str,
    person: Person,
    *,
    now: datetime,
    lang: Lang,
    where: Mapping[str, str],
) -> str | None:
    """Save the answers kept under ``key`` for ``person``, who has just signed in: only
    if they are the person of the session that ended, within :data:`PENDING_HOURS`, and
    the answers are still open. Returns the page to go back to, or None."""
    row = session.exec(
        select(PendingAnswers).where(PendingAnswers.key_sha256 == _key(key[:100]))
    ).first()
    if row is None or row.applied_at is not None:
        return None
    ended = session.get(WebSession, row.session_id)
    assert ended is not None
    same = (ended.institution_id, ended.member_id, ended.email.casefold()) == (
        person.institution_id, person.member_id, person.email.casefold(),
    )  # fmt: skip
    row.applied_at = now
    session.add(row)
    if not same:
        row.outcome = "other_person"
        return None
    if now - row.created_at > timedelta(hours=PENDING_HOURS):
        row.outcome = "expired"
        return None
    try:
        draft = _writable(session, person, row.assignment_id, lang)
    except (NotAllowed, NotFound):
        row.outcome = "closed"
        return None
    _write(session, draft, person, dict(row.answers), now=now, where=where, source="pending")
    row.outcome = "applied"
    return row.back_to


# -- what the pages show ------------------------------------------------------------------


def related(spec: QuestionnaireSpec, field_id: str) -> list[str]:
    """The fields whose message may change when ``field_id`` does: the other fields of its
    item, or of its service row."""
    f = _field(spec, field_id)
    if f.item_id is not None:
        return [g.id for g in spec.fields if g.item_id == f.item_id and g.id != f.id]
    return [g.id for g in spec.fields if g.service_row == f.service_row and g.id != f.id]


def as_dict(change: Change | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {"name": change.name, "at": change.at, "source": change.source}


def field_view(draft: Draft, field_id: str) -> dict[str, Any]:
    """One field as a page shows it: its value, its problem, its last change (or that it
    comes from the answers accepted before)."""
    change = draft.changes.get(field_id)
    changed_text = None
    if change is not None:
        key = "web.q.kept_by" if change.source == "pending" else "web.q.changed_by"
        changed_text = t(key, draft.lang, name=change.name, on=local_time(change.at, draft.lang))
    return {
        "id": field_id,
        "label": describe(draft.spec, draft.spec.field_by_id[field_id], draft.lang),
        "value": shown_value(draft, field_id),
        "problem": draft.problems.get(field_id),
        "changed": as_dict(change),
        "changed_text": changed_text,
        "from_base": change is None and field_id in draft.values,
    }


def shown_value(draft: Draft, field_id: str) -> str:
    """A field's value as a page shows it (and posts it back untouched): the answer it
    reads as, or the value as typed when it breaks a rule."""
    answer = draft.checked.answers.get(field_id)
    return text_of(answer) if answer is not None else draft.values.get(field_id, "")


def page_shown(draft: Draft, fields: list[AnswerField]) -> str:
    """What a page carries of the values it shows (:mod:`pvpp.questionnaire.filled`), so
    that its Save button writes only what the person changed."""
    return filled.encode({f.id: shown_value(draft, f.id) for f in fields})


def local_time(moment: datetime, lang: Lang) -> str:
    """A moment as the reader writes it, in Latvian time: ``02.04.2026 12:00``."""
    here = moment.astimezone(LOCAL_ZONE)
    return f"{day(here, lang)} {here:%H:%M}"


def _choices(draft: Draft) -> dict[str, Any]:
    spec, lang = draft.spec, draft.lang
    scale = spec.policy.degree_scale
    q = spec.questionnaire
    return {
        "degrees": [(str(v), spec.degree_label(v, lang)) for v in scale.values],
        "non_scoring": [(o.code, o.label.get(lang), o.requires_reason) for o in q.non_scoring],
        "service_types": [(st.id, spec.service_type_label(st.id, lang))
                          for st in spec.policy.service_types],
        "conformity": [(o.code, o.label.get(lang)) for o in q.conformity],
    }  # fmt: skip


def review_view(draft: Draft) -> dict[str, Any] | None:
    """The reviewer's return as the questionnaire shows it: the whole comment, each item's
    (item id, or the services' page, → comment), when and by whom, and the items whose
    answers the team has changed since (ids in questionnaire order). None without one."""
    note = draft.review
    if note is None:
        return None
    spec, lang = draft.spec, draft.lang
    changed = {
        item_of(spec, d.field)
        for d in diff_answers(note.answers, draft.values)
        if d.change is not FieldChange.UNCHANGED
    }
    names = {i.id: f"{i.id} {i.name.get(lang)}" for i in spec.policy.items}
    pages = {i.id: c.id for c in spec.policy.components for i in c.items}
    order = [*names, REVIEW_SERVICES]
    return {
        "comment": note.comment,
        "on": local_time(note.decided_at, lang),
        "comments": note.items,
        "listed": [
            {
                "id": k,
                "name": names.get(k) or t("web.q.services", lang),
                "page": pages.get(k, SERVICES),
                "text": note.items[k],
            }
            for k in order
            if k in note.items
        ],
        "changed": [names.get(k) or t("web.q.services", lang) for k in order if k in changed],
    }


def _frame(draft: Draft, person: Person) -> dict[str, Any]:
    return {
        "assignment": {
            "id": id_of(draft.assignment),
            "round": draft.round.code,
            "due": draft.round.due_on,
            "state": t(f"exports.state.{draft.assignment.state}", draft.lang),
            "open": draft.open,
            "seen": draft.seen,
            # Submitted in a round with review: waiting for the reviewer, not accepted yet.
            "awaiting_review": draft.round.review_required
            and draft.assignment.state == AssignmentState.SUBMITTED,
        },
        "review": review_view(draft),
        "institution": {"code": draft.institution.code, "name": draft.institution.name},
        "may_submit": person.role == "lead",
        "progress": progress(draft),
        "pages": [(c.id, f"{c.number}. {c.name.get(draft.lang)}") for c in components(draft)]
        + [(SERVICES, t("web.q.services", draft.lang))],
        "base": draft.base is not None and draft.base.assignment_id != draft.assignment.id,
        "base_on": draft.base.created_at if draft.base is not None else None,
    }


def components(draft: Draft) -> list[Component]:
    return list(draft.spec.policy.components)


def overview(draft: Draft, person: Person) -> dict[str, Any]:
    """The questionnaire's first page: progress per page, and for the lead the submit
    form; what is missing is listed when a submission was refused."""
    assert draft.scope is None, "whether it is complete needs the whole draft checked"
    return {**_frame(draft, person), "complete": draft.checked.complete}


def component_page(
    draft: Draft, person: Person, page: str, only_item: str | None = None
) -> dict[str, Any]:
    """A component's page: each item with its four dimensions (the degree descriptors of
    each), its target, the reason for "not applicable", evidence and comment; with
    ``only_item``, that item alone (what an autosave's answer shows). A dimension asked in
    several questions has one entry per question (``part`` of ``parts``)."""
    spec, lang = draft.spec, draft.lang
    comp = next((c for c in spec.policy.components if c.id == page), None)
    if comp is None:
        raise NotFound(f"no page {page}")
    scale = spec.policy.degree_scale
    items = []
    for item in comp.items:
        if only_item is not None and item.id != only_item:
            continue
        qi = spec.questionnaire.items[item.id]
        dims = []
        for dim in spec.policy.dimensions:
            parts = spec.parts_of(item.id, dim.id)
            for f in parts:
                # A dimension asked in several questions: one radio group per question,
                # the groups inside one group of the dimension (the template).
                dims.append({
                    "id": dim.id, "name": dim.name.get(lang),
                    "part": f.part, "parts": len(parts),
                    "question": qi.parts(dim.id)[f.part - 1].get(lang),
                    "field": field_view(draft, f.id),
                    "descriptors": {str(v): dim.descriptors[v].get(lang) for v in scale.values},
                })  # fmt: skip
        items.append({
            "id": item.id, "name": item.name.get(lang), "intro": qi.intro.get(lang),
            "target_result": item.target_result.get(lang),
            "national": spec.degree_label(item.national_target, lang),
            "evidence_hint": qi.evidence_hint.get(lang),
            "dims": dims,
            **{kind.value: field_view(draft, item_field_id(kind, item.id))
               for kind in (FieldKind.TARGET, FieldKind.NA_REASON, FieldKind.EVIDENCE,
                            FieldKind.COMMENT)},
        })  # fmt: skip
    by_id = spec.field_by_id
    return {
        **_frame(draft, person), **_choices(draft),
        "page": {"id": comp.id, "number": comp.number, "name": comp.name.get(lang)},
        "items": items,
        # What the whole page showed (an autosave's answer is one item: not needed).
        "shown_values": page_shown(draft, page_fields(spec, page)) if only_item is None else "",
        "limits": {k.value: v for k, v in TEXT_LIMITS.items()},
        # The page's fields' problems (looked up per problem: not a pass over every field).
        "errors": [(p, m) for p, m in draft.problems.items()
                   if by_id[p].component_id == page],
    }  # fmt: skip


def field_block(draft: Draft, person: Person, field_id: str) -> tuple[str, dict[str, Any]]:
    """What an autosave answers with: the page of ``field_id`` (its id and the view) with
    only the field's item or service row, whose messages may have changed with it."""
    f = _field(draft.spec, field_id)
    page = page_of(f)
    if page == SERVICES:
        rows = draft.spec.questionnaire.service_rows
        return page, services_page(draft, person, rows, only_row=f.service_row)
    return page, component_page(draft, person, page, only_item=f.item_id)


#: Service rows shown below the last one filled (more on request).
SPARE_ROWS = 3


def services_page(
    draft: Draft, person: Person, rows: int | None, only_row: int | None = None
) -> dict[str, Any]:
    """The services × K1–K10 matrix: name, type, catalogue id and the conformity with
    each condition group, for the rows filled and a few empty ones; with ``only_row``,
    that row alone (what an autosave's answer shows)."""
    spec = draft.spec
    total = spec.questionnaire.service_rows
    used = [
        f.service_row for f in spec.fields if f.service_row is not None and f.id in draft.values
    ]
    shown = rows or min(total, max(used, default=0) + SPARE_ROWS)
    shown = max(1, min(total, shown))
    lines = []
    for row in range(1, shown + 1):
        if only_row is not None and row != only_row:
            continue
        cells = {f.kind.value if f.condition_group is None else f.condition_group:
                 field_view(draft, f.id) for f in spec.fields if f.service_row == row}  # fmt: skip
        lines.append({"row": row, "cells": cells})
    on_page = page_fields(spec, SERVICES, shown)
    fields = {f.id for f in on_page}
    groups = [(g, spec.policy.item(g).name.get(draft.lang)) for g in spec.condition_groups]
    return {
        **_frame(draft, person), **_choices(draft),
        "page": {"id": SERVICES, "number": None, "name": t("web.q.services", draft.lang)},
        "rows": lines, "shown": shown, "total": total, "groups": groups,
        "shown_values": page_shown(draft, on_page) if only_row is None else "",
        "limits": {k.value: v for k, v in TEXT_LIMITS.items()},
        "errors": [(p, m) for p, m in draft.problems.items() if p in fields],
    }  # fmt: skip
