"""What the read-only API (``/api/v1``, docs/api.md) answers, as plain data: rounds, the
assignments of a round and their states, the scores of an assignment and its plan's
summary, a round's national aggregates and its trend across rounds. Lists come a page at
a time (:class:`Page`: ``limit`` rows after a cursor, the key of the last row read).
The routes (:mod:`pvpp.web.api`) check the caller's token and capability, call one of
these and return what it gives as their response model.

The data come from the services the console's pages use: the state counts of
:func:`pvpp.queries.assignment_state_counts`, the scores of :func:`pvpp.plans.scores_for`
(the current accepted answers only: a submission waiting for review is not scored), the
measures' rules of :mod:`pvpp.measures` (open, done, dropped, overdue on the root's
"today"), and the national figures of :mod:`pvpp.national` as the open data's tables
(:func:`pvpp.exports.open_data.tables`). A page of a list over a round is read in a
constant number of statements, whatever the number of its institutions
(``tests/web/test_api.py`` counts them).

An assignment is asked for under its round (``/rounds/{code}/assignments/{id}``): the id of
an assignment of another round, like one that does not exist, is :class:`ApiNotFound`.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from pvpp import measures, national
from pvpp.errors import PvppError
from pvpp.exports import open_data
from pvpp.plans import Context, PlanError, scores_for
from pvpp.policy import load_policy
from pvpp.policy.models import Lang
from pvpp.queries import (
    assignment_state_counts,
    closing_days,
    latest_plan,
    latest_plans,
    measure_facts,
    previous_round,
    round_by_code,
    round_measure_facts,
    round_state_counts,
    rounds_by_codes,
)
from pvpp.questionnaire import load_questionnaire
from pvpp.scoring import ScoreResult
from pvpp.states.assignment import ORDER, AssignmentState
from pvpp.states.plan_measure import MeasureState
from pvpp.store.models import (
    AnswerSet,
    Assignment,
    Institution,
    Plan,
    Round,
    Transition,
    id_of,
)
from pvpp.trends import MAX_ROUNDS

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "ApiBadRequest",
    "ApiNotFound",
    "Page",
    "assignment",
    "assignment_plan",
    "assignment_scores",
    "round_aggregates",
    "round_assignments",
    "round_one",
    "round_plans",
    "round_trend",
    "rounds",
]


class ApiNotFound(PvppError):
    """What was asked for does not exist (or is not of the round named): ``code`` says
    which (``round_not_found``, ``assignment_not_found``, ``no_accepted_answers``,
    ``no_plan``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ApiBadRequest(PvppError):
    """A parameter the API cannot use (an unknown state, a cursor it did not give)."""

    code = "invalid_parameter"


#: How many rows a list answers when no ``limit`` is asked, and the most it answers.
DEFAULT_LIMIT, MAX_LIMIT = 100, 500


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and the cursor of the page after it (None: the last)."""

    rows: list[dict[str, Any]]
    next: str | None


BAD_CURSOR = "cursor must be the one a page's 'next' link gave: ask the list again from its start"


def _cursor(key: list[str]) -> str:
    """An opaque cursor for the page after the row whose sort key is ``key``."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _after(cursor: str | None, parts: int) -> list[str] | None:
    """The sort key a cursor names (None: from the start); :class:`ApiBadRequest` for
    anything this API did not give."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        key = None
    if not (isinstance(key, list) and len(key) == parts and all(isinstance(k, str) for k in key)):
        raise ApiBadRequest(BAD_CURSOR)
    return key


def _day(text: str) -> date:
    """The day of a cursor's key."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiBadRequest(BAD_CURSOR) from None


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:  # the route checks it too; a service is called directly
        raise ApiBadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit}")
    return limit


def _round_view(rnd: Round, counts: dict[str, int], closed: date | None) -> dict[str, Any]:
    return {
        "code": rnd.code,
        "opens_on": rnd.opens_on,
        "due_on": rnd.due_on,
        "policy_version": rnd.policy_version,
        "questionnaire_version": rnd.questionnaire_version,
        "review_required": rnd.review_required,
        "closed_on": closed,
        "assignments": sum(counts.values()),
        "states": {state.value: counts.get(state.value, 0) for state in ORDER},
    }


def rounds(session: Session, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> Page:
    """Rounds, newest first (by opening day, then code), ``limit`` of them after
    ``cursor``, with how many of their assignments are in each state: three statements
    whatever the number of rounds."""
    after = _after(cursor, 2)
    query = select(Round)
    if after is not None:
        opens_on, code = _day(after[0]), after[1]
        query = query.where(
            or_(
                col(Round.opens_on) < opens_on,
                and_(col(Round.opens_on) == opens_on, col(Round.code) < code),
            )
        )
    found = session.exec(
        query.order_by(col(Round.opens_on).desc(), col(Round.code).desc()).limit(_limit(limit) + 1)
    ).all()
    page, more = found[:limit], len(found) > limit
    counts = assignment_state_counts(session)
    closed = closing_days(session, [r.code for r in page])
    rows = [_round_view(r, counts.get(id_of(r), {}), closed.get(r.code)) for r in page]
    last = page[-1] if page else None
    return Page(rows, _cursor([last.opens_on.isoformat(), last.code]) if more and last else None)


def _round(session: Session, code: str) -> Round:
    rnd = round_by_code(session, code)
    if rnd is None:
        raise ApiNotFound("round_not_found", f"there is no round {code!r}")
    return rnd


def round_one(session: Session, code: str) -> dict[str, Any]:
    """One round with its counts per state."""
    rnd = _round(session, code)
    closed = closing_days(session, [rnd.code]).get(rnd.code)
    return _round_view(rnd, round_state_counts(session, rnd), closed)


def _states(states: Collection[str]) -> list[str]:
    known = {s.value for s in AssignmentState}
    wrong = [s for s in states if s not in known]
    if wrong:
        names = ", ".join(s.value for s in ORDER)
        raise ApiBadRequest(f"state must be one of {names}, not {wrong[0]!r}")
    return list(states)


def _assignments(
    session: Session, rnd: Round, states: Collection[str], group: str | None, *,
    limit: int, cursor: str | None, planned: bool = False,
) -> tuple[list[tuple[Assignment, Institution]], str | None]:  # fmt: skip
    """``limit`` of the round's assignments after ``cursor``, by institution code, with
    their institutions: those in ``states`` (any when empty) of institution group
    ``group`` (any case; any when None), only those with a plan when ``planned``; and the
    cursor of the next page (None after the last)."""
    after = _after(cursor, 1)
    query = (
        select(Assignment, Institution)
        .join(Institution, col(Assignment.institution_id) == Institution.id)
        .where(Assignment.round_id == rnd.id)
    )
    if states:
        query = query.where(col(Assignment.state).in_(_states(states)))
    if group:
        query = query.where(func.lower(Institution.group_id) == group.strip().lower())
    if planned:
        query = query.where(col(Assignment.id).in_(select(Plan.assignment_id)))
    if after is not None:
        query = query.where(col(Institution.code) > after[0])
    found = session.exec(query.order_by(col(Institution.code)).limit(_limit(limit) + 1)).all()
    page = [(a, i) for a, i in found[:limit]]
    more = len(found) > limit and page
    return page, _cursor([page[-1][1].code]) if more else None


def _accepted_at(session: Session, ids: list[int]) -> dict[int, datetime]:
    """Assignment id → when its current answers were accepted, for assignments ``ids``,
    one statement."""
    rows = session.exec(
        select(AnswerSet.assignment_id, func.max(AnswerSet.created_at))
        .where(col(AnswerSet.assignment_id).in_(ids))
        .group_by(col(AnswerSet.assignment_id))
    ).all()
    return {a: at for a, at in rows}


def _plan_versions(session: Session, ids: list[int]) -> dict[int, int]:
    """Assignment id → its newest plan version, for assignments ``ids``, one statement."""
    rows = session.exec(
        select(Plan.assignment_id, func.max(Plan.version))
        .where(col(Plan.assignment_id).in_(ids))
        .group_by(col(Plan.assignment_id))
    ).all()
    return {a: int(v) for a, v in rows}


def _assignment_view(
    a: Assignment, inst: Institution, accepted: datetime | None, plan: int | None
) -> dict[str, Any]:
    return {
        "id": id_of(a),
        "institution": {"code": inst.code, "name": inst.name, "group": inst.group_id},
        "state": a.state,
        "updated_at": a.updated_at,
        "flags": list(a.flags or []),
        "answers_accepted_at": accepted,
        "plan_version": plan,
    }


def round_assignments(
    session: Session, code: str, *, states: Collection[str] = (), group: str | None = None,
    limit: int = DEFAULT_LIMIT, cursor: str | None = None,
) -> Page:  # fmt: skip
    """``limit`` of the assignments of round ``code`` after ``cursor``, by institution
    code, with their states, filtered by state (any of ``states``) and institution group:
    four statements for any round and page."""
    rnd = _round(session, code)
    found, next_cursor = _assignments(session, rnd, states, group, limit=limit, cursor=cursor)
    ids = [id_of(a) for a, _ in found]
    accepted = _accepted_at(session, ids) if ids else {}
    plans = _plan_versions(session, ids) if ids else {}
    rows = [_assignment_view(a, i, accepted.get(id_of(a)), plans.get(id_of(a))) for a, i in found]
    return Page(rows, next_cursor)


def _one(session: Session, code: str, assignment_id: int) -> tuple[Round, Assignment, Institution]:
    """The assignment ``assignment_id`` of round ``code``; another round's is not found."""
    rnd = _round(session, code)
    row = session.exec(
        select(Assignment, Institution)
        .join(Institution, col(Assignment.institution_id) == Institution.id)
        .where(Assignment.id == assignment_id, Assignment.round_id == rnd.id)
    ).first()
    if row is None:
        raise ApiNotFound("assignment_not_found", f"round {code} has no assignment {assignment_id}")
    return rnd, row[0], row[1]


def assignment(session: Session, code: str, assignment_id: int) -> dict[str, Any]:
    """One assignment of round ``code`` with its state and every state it went through
    (from, to, when; oldest first)."""
    _, a, inst = _one(session, code, assignment_id)
    moves = session.exec(
        select(Transition)
        .where(Transition.assignment_id == a.id)
        .order_by(col(Transition.at), col(Transition.id))
    ).all()
    accepted = session.exec(
        select(func.max(AnswerSet.created_at)).where(AnswerSet.assignment_id == a.id)
    ).one()
    plan = latest_plan(session, a)
    view = _assignment_view(a, inst, accepted, plan.version if plan is not None else None)
    view["transitions"] = [
        {"from_state": m.from_state, "to_state": m.to_state, "at": m.at} for m in moves
    ]
    return view


def _scores_view(result: ScoreResult) -> dict[str, Any]:
    return {
        "method": result.method,
        "top_degree": result.top_degree,
        "overall": result.overall,
        "index": result.index,
        "components": [asdict(c) for c in result.components.values()],
        "items": [asdict(s) for s in result.items.values()],
        "warnings": [
            {"code": w.code, "item": w.item, "message": dict(w.message)} for w in result.warnings
        ],
    }


def assignment_scores(session: Session, code: str, assignment_id: int) -> dict[str, Any]:
    """The scores of the assignment's current accepted answers (scored as the portal's
    results and the plan PDF score them, :func:`pvpp.plans.scores_for`);
    :class:`ApiNotFound` (``no_accepted_answers``) before any are accepted."""
    rnd, a, inst = _one(session, code, assignment_id)
    try:
        result, answer_set = scores_for(session, Context(rnd, inst, a))
    except PlanError:
        raise ApiNotFound(
            "no_accepted_answers",
            f"assignment {assignment_id} has no accepted answers yet (state: {a.state})",
        ) from None
    return {
        "assignment_id": id_of(a),
        "institution_code": inst.code,
        "round": rnd.code,
        "answers_accepted_at": answer_set.created_at,
        **_scores_view(result),
    }


def _measure_counts(facts: list[measures.MeasureFacts], today: date) -> dict[str, int]:
    by_state = measures.count_by_state(facts)
    return {
        "total": len(facts),
        "open": sum(1 for f in facts if measures.is_open(f)),
        "done": by_state[MeasureState.DONE],
        "dropped": by_state[MeasureState.DROPPED],
        "overdue": sum(1 for f in facts if measures.is_overdue(f, today)),
    }


def _plan_view(
    a: Assignment, inst: Institution, plan: Plan, facts: list[measures.MeasureFacts], today: date
) -> dict[str, Any]:
    return {
        "assignment_id": id_of(a),
        "institution_code": inst.code,
        "version": plan.version,
        "state": plan.status,
        "created_at": plan.created_at,
        "approval_due": plan.approval_due,
        "approved_at": plan.approved_at,
        "measures": _measure_counts(facts, today),
    }


def assignment_plan(
    session: Session, code: str, assignment_id: int, *, today: date
) -> dict[str, Any]:
    """The summary of the assignment's current (newest) plan version: its version and
    state, and its measures open, done, dropped and overdue on ``today``;
    :class:`ApiNotFound` (``no_plan``) before there is one."""
    _, a, inst = _one(session, code, assignment_id)
    plan = latest_plan(session, a)
    if plan is None:
        raise ApiNotFound(
            "no_plan", f"assignment {assignment_id} has no plan yet (state: {a.state})"
        )
    facts = [f for _, f in measure_facts(session, plan)]
    return _plan_view(a, inst, plan, facts, today)


def round_plans(
    session: Session, code: str, *, today: date, states: Collection[str] = (),
    group: str | None = None, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
) -> Page:  # fmt: skip
    """The plan summaries of ``limit`` of the assignments of round ``code`` that have a
    plan, after ``cursor`` (filtered as :func:`round_assignments`), by institution code: a
    constant number of statements for any round and page."""
    rnd = _round(session, code)
    found, next_cursor = _assignments(
        session, rnd, states, group, limit=limit, cursor=cursor, planned=True
    )
    plans = latest_plans(session, rnd)
    mine = {id_of(a): plans[id_of(a)] for a, _ in found}
    facts = round_measure_facts(session, rnd, mine)
    rows = [_plan_view(a, i, mine[id_of(a)], facts.get(id_of(a), []), today) for a, i in found]
    return Page(rows, next_cursor)


# -- national figures -------------------------------------------------------------------


def _form(internal: bool) -> str:
    return "internal" if internal else "published"


#: The published answers of closed rounds made in this process, by what they depend on
#: (see :func:`_published`): a closed round's published figures never change (its answer
#: sets and plan versions are fixed at its closure, which is final, docs/disclosure.md),
#: so repeated reads do not score the rounds again.
_PUBLISHED: OrderedDict[tuple[Hashable, ...], dict[str, Any]] = OrderedDict()
_PUBLISHED_LOCK = threading.Lock()
#: The most answers kept (a round's aggregates are some hundred kB for 1,000 institutions).
MAX_PUBLISHED = 32


def _published(
    session: Session, key: tuple[Hashable, ...], make: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """What ``make`` answers, made once per process for ``key`` (with the database's URL:
    a process may serve several) and kept, the least recently read dropped first."""
    key = (str(session.get_bind().engine.url), *key)
    with _PUBLISHED_LOCK:
        found = _PUBLISHED.get(key)
        if found is not None:
            _PUBLISHED.move_to_end(key)
    if found is None:
        found = make()
        with _PUBLISHED_LOCK:
            _PUBLISHED[key] = found
            while len(_PUBLISHED) > MAX_PUBLISHED:
                _PUBLISHED.popitem(last=False)
    return dict(found)


def round_aggregates(session: Session, code: str, *, internal: bool, lang: Lang) -> dict[str, Any]:
    """The aggregates of round ``code`` as the tables of its open data
    (:func:`pvpp.exports.open_data.tables`, item and group names in ``lang``): published
    (the round's closure, every figure over too few institutions withheld; nothing while
    the round is open or too few are scored, ``withheld`` "open" or "few"), or
    ``internal`` (the current answers, nothing withheld, and each institution's score per
    condition group) for the roles that read institutions' own data. A closed round's
    published aggregates are made once per process and kept (:func:`_published`)."""
    rnd = _round(session, code)
    closed = None if internal else closing_days(session, [rnd.code]).get(rnd.code)
    if closed is not None:
        key = ("aggregates", id_of(rnd), closed, lang)
        return _published(session, key, lambda: _aggregates(session, rnd, internal, lang))
    return _aggregates(session, rnd, internal, lang)


def _aggregates(session: Session, rnd: Round, internal: bool, lang: Lang) -> dict[str, Any]:
    view = national.aggregates(session, rnd.code, publish=not internal)
    out: dict[str, Any] = {
        "round": rnd.code,
        "form": _form(internal),
        "closed_on": view["closed_on"],
        "withheld": view["withheld"],
        "note": view.get("note"),
        "institutions_scored": view["institutions_scored"],
        "min_institutions": view["min_group"],
        "tables": None,
        "tables_withheld": [],
        "institutions_by_condition_group": view.get("institutions_by_condition_group"),
    }
    if view["withheld"] is None:
        policy = load_policy(rnd.policy_version)
        spec = load_questionnaire(rnd.questionnaire_version)
        tables, withheld = open_data.tables(view, policy, spec, lang)
        out["tables"], out["tables_withheld"] = tables, sorted(withheld)
    return out


def round_trend(
    session: Session, code: str, *, earlier: Collection[str] = (), internal: bool
) -> dict[str, Any]:
    """Round ``code`` compared with the rounds ``earlier`` (none: the round opened before
    it; at most ``MAX_ROUNDS - 1`` of them, each opened before ``code``, else
    :class:`ApiBadRequest`) by :func:`pvpp.national.round_trend`: published (each round's
    closure, figures over too few withheld, nothing while a round compared is open, the
    jump warning counted) or ``internal`` (current answers; the institutions' positions in
    their group and their jumps named). The published trend of closed rounds is made once
    per process and kept (:func:`_published`)."""
    rnd = _round(session, code)
    earlier = list(dict.fromkeys(earlier))
    if len(earlier) >= MAX_ROUNDS:  # as many as the console's trend page compares
        raise ApiBadRequest(
            f"earlier names at most {MAX_ROUNDS - 1} rounds (a comparison takes at most "
            f"{MAX_ROUNDS}, the round included), not {len(earlier)}"
        )
    found = rounds_by_codes(session, earlier)
    unknown = [c for c in earlier if c not in found]
    if unknown:
        raise ApiNotFound("round_not_found", f"there is no round {unknown[0]!r}")
    # The round asked is the last one compared (rounds are compared oldest first), and
    # "before" is as for the round compared by default (pvpp.queries.previous_round).
    later = [found[c] for c in earlier if found[c].opens_on >= rnd.opens_on]
    if later:
        first = later[0]
        raise ApiBadRequest(
            f"earlier must name rounds opened before {code} (opened on {rnd.opens_on}), so "
            f"that {code} is the last round compared: {first.code} opened on {first.opens_on}"
        )
    if not earlier and previous_round(session, rnd) is None:
        raise ApiNotFound(
            "no_earlier_round",
            f"round {code} has no round opened before it: name one to compare with (earlier=…)",
        )
    codes = [*earlier, rnd.code]
    if not internal:
        compared = national.trend_rounds(session, codes)
        closed = closing_days(session, [r.code for r in compared])
        if all(r.code in closed for r in compared):
            key = ("trend", *((id_of(r), closed[r.code]) for r in compared))
            return _published(session, key, lambda: _trend(session, rnd, codes, internal))
    return _trend(session, rnd, codes, internal)


def _trend(session: Session, rnd: Round, codes: list[str], internal: bool) -> dict[str, Any]:
    view = national.round_trend(session, codes, publish=not internal)
    out: dict[str, Any] = {
        "round": rnd.code,
        "rounds": list(view.rounds),
        "form": _form(internal),
        "withheld": view.withheld,
        "open_round": view.open_round,
        "trend": None,
    }
    tr = view.trend
    if tr is None:
        return out
    whole = tr.to_dict()
    out["trend"] = {
        "same_questions": tr.same_questions,
        "degrees": list(tr.degrees),
        "min_group": tr.min_group,
        "shared": whole["shared"],
        "items": whole["items"],
        "components": whole["components"],
        "groups": whole["groups"],
        "plans": whole["plans"],
        "jump_institutions": tr.jump_count,
        # Per institution: internal only (docs/disclosure.md).
        "positions": whole["positions"] if internal else None,
        "jumps": whole["jumps"] if internal else None,
    }
    return out
