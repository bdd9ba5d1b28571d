"""The console's rounds pages' data (issue 13, "Rounds and progress"): a new round's form
with the scope RV1 gives it, a round's page with its state and the coordinator's actions,
and its progress page with the chart, the tables and their downloads.

Routes in :mod:`pvpp.web.console_rounds` call these and render what they return; the rules
are the services' (:mod:`pvpp.rounds`, :mod:`pvpp.launch`, :mod:`pvpp.round_actions`,
:mod:`pvpp.round_progress`, :mod:`pvpp.progress`), and the words the catalogue's
(``console.rounds.*``). An unknown round is :class:`pvpp.portal.NotFound` (404).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup
from sqlmodel import Session, col, func, select

from pvpp.access import RUN, may
from pvpp.codes import round_code_problem
from pvpp.console_auth import ConsolePerson
from pvpp.documents.charts import Series, line_chart
from pvpp.exports.data import flag_label, name_of, skip_label
from pvpp.exports.progress import (
    MEDIA_TYPES,
    TABLES,
    download_name,
    filters_text,
    progress_bytes,
)
from pvpp.i18n import t
from pvpp.launch import launch_status, round_launched
from pvpp.milestones import MAX_NOTE, STATES, milestones, set_milestone
from pvpp.policy import load_policy
from pvpp.policy.models import Lang
from pvpp.portal import NotFound
from pvpp.prefect_runs import RunLink, round_runs
from pvpp.progress import may_close, round_phase
from pvpp.queries import round_by_code, round_closure, round_state_counts
from pvpp.questionnaire import load_questionnaire
from pvpp.questionnaire.loader import available_questionnaires
from pvpp.round_actions import extension_problems, reminder_preview
from pvpp.round_progress import Filters, ProgressError, RoundProgress, round_progress
from pvpp.rounds import (
    RoundError,
    RoundNotDue,
    RoundReport,
    close_round,
    create_round,
    round_scope,
)
from pvpp.settings import Settings
from pvpp.states.assignment import ORDER
from pvpp.store.models import Assignment, Institution, Round, RoundSkip

log = logging.getLogger(__name__)

__all__ = [
    "MilestoneForm",
    "NewRound",
    "close",
    "create_from_form",
    "extension_errors",
    "find_round",
    "milestone_page",
    "new_round_page",
    "parse_day",
    "prefect_links",
    "progress_download",
    "progress_page",
    "read_filters",
    "read_milestone_form",
    "read_new_round",
    "round_page",
    "save_milestone",
]

#: The most institutions the progress page lists in its table of every one chosen (the
#: download has them all): a page of a thousand rows is slow to make and to read.
LIST_LIMIT = 100
#: The longest texts the forms take (a name filter, a reason is the service's own limit).
MAX_NAME_FILTER = 100
#: The colours of the completion line's two series (told apart by the line's pattern too).
HANDED_IN_COLOUR = "#1d4f91"
COMPLETE_COLOUR = "#2e6b30"
_LV_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\.?")


@dataclass(frozen=True)
class RoundFacts:
    """What the pages show of a round (plain values, kept after the session ends)."""

    code: str
    opens_on: date
    due_on: date
    questionnaire_version: str
    review_required: bool

    @classmethod
    def of(cls, rnd: Round) -> RoundFacts:
        """The facts of a stored round."""
        return cls(rnd.code, rnd.opens_on, rnd.due_on, rnd.questionnaire_version,
                   rnd.review_required)  # fmt: skip


def find_round(session: Session, code: str) -> Round:
    """Round ``code``, or :class:`~pvpp.portal.NotFound`."""
    rnd = round_by_code(session, code)
    if rnd is None:
        raise NotFound(code)
    return rnd


def parse_day(text: str) -> date | None:
    """A day typed in a form: ``2026-03-31`` (a date input's value) or ``31.03.2026``."""
    text = text.strip()
    try:
        found = _LV_DATE.fullmatch(text)
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


# -- a new round -------------------------------------------------------------------------


@dataclass
class NewRound:
    """A new round's form as typed (``due`` as text) and read."""

    code: str = ""
    due: str = ""
    version: str = ""
    review: bool = True
    due_on: date | None = None


def _newest_version() -> str:
    return available_questionnaires()[-1]


def new_round_page(
    session: Session, *, today: date, lang: Lang, form: NewRound | None = None,
    errors: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The new round's form (code, due date, questionnaire version — the newest by default
    —, review required — by default) and the scope a round created now would have, by RV1:
    how many institutions get an assignment, those left out with the reason (excluded by
    4.1.5, no service-management role) and those flagged (no team, no lead, a training not
    attended). ``errors`` are (field, catalogue key) pairs."""
    versions = available_questionnaires()
    form = form or NewRound(version=_newest_version())
    policy = load_policy(load_questionnaire(form.version or _newest_version()).policy.id)
    try:
        scope = round_scope(session)
    except RoundError:
        scope = None
    skipped: list[dict[str, str]] = []
    flagged: list[dict[str, str]] = []
    kinds: Counter[str] = Counter()
    assigned = 0
    if scope is not None:
        names = {i.code: i.name for i in scope.chosen}
        for code, reason in sorted(scope.skipped.items()):
            kinds[reason.partition(":")[0]] += 1
            skipped.append({"code": code, "name": names[code],
                            "reason": skip_label(reason, policy, lang)})  # fmt: skip
        for code, flags in sorted(scope.flagged.items()):
            for f in flags:
                kinds["no_training" if f.startswith("no_training_") else f] += 1
            flagged.append({"code": code, "name": names[code],
                            "flags": "; ".join(flag_label(f, lang) for f in flags)})  # fmt: skip
        assigned = len(scope.assigned)
    return {
        "form": form,
        "errors": [(f, t(key, lang)) for f, key in errors or []],
        "versions": versions,
        "opens_on": today,
        "registry_empty": scope is None,
        "assigned": assigned,
        "skipped": skipped,
        "flagged": flagged,
        "kinds": {
            k: kinds.get(k, 0) for k in ("excluded", "no_role", "no_team", "no_lead", "no_training")
        },
    }


def read_new_round(
    session: Session, values: Mapping[str, str], *, today: date
) -> tuple[NewRound, list[tuple[str, str]]]:
    """The new round's form as posted, and what is wrong with it: (field, catalogue key)
    pairs, in the order of the form (empty: it may be created)."""
    form = NewRound(
        code=values.get("code", "").strip()[:40],
        due=values.get("due", "").strip()[:20],
        version=values.get("version", "").strip()[:40],
        review=values.get("review", "") == "1",
    )
    errors: list[tuple[str, str]] = []
    if not form.code:
        errors.append(("code", "console.rounds.new.error.code_missing"))
    elif round_code_problem(form.code) is not None:
        errors.append(("code", "console.rounds.new.error.code_invalid"))
    elif session.exec(select(Round.id).where(Round.code == form.code)).first() is not None:
        errors.append(("code", "console.rounds.new.error.code_taken"))
    form.due_on = parse_day(form.due)
    if not form.due:
        errors.append(("due", "console.rounds.new.error.due_missing"))
    elif form.due_on is None:
        errors.append(("due", "console.rounds.new.error.due_invalid"))
    elif form.due_on <= today:
        errors.append(("due", "console.rounds.new.error.due_past"))
    if form.version not in available_questionnaires():
        errors.append(("version", "console.rounds.new.error.version"))
        form.version = _newest_version()
    return form, errors


def create_from_form(
    session: Session, form: NewRound, *, today: date, person: ConsolePerson, ip: str
) -> RoundReport:
    """Create the round of a form :func:`read_new_round` found nothing wrong with: opening
    today, every institution the registry's scope gives (:func:`pvpp.rounds.round_scope`),
    audited with the console person and their address."""
    assert form.due_on is not None, "read_new_round checks the due date"
    return create_round(
        session, code=form.code, opens_on=today, due_on=form.due_on,
        questionnaire_version=form.version, review_required=form.review, actor=person.actor,
        ip=ip,
    )  # fmt: skip


# -- a round's page ----------------------------------------------------------------------


def round_page(
    session: Session, code: str, *, today: date, settings: Settings, lang: Lang
) -> dict[str, Any]:
    """A round's page: its phase (created, open, past due, closed), dates, version and
    review, how many institutions are in each state and were left out, its launch as the
    audit log tells it, and how many would get a reminder now. Eight statements whatever
    the round's size."""
    rnd = find_round(session, code)
    closed = round_closure(session, rnd)
    status = launch_status(session, rnd.code, settings)
    launched = round_launched(session, rnd, status)
    counts = round_state_counts(session, rnd)
    skipped = session.exec(
        select(func.count()).select_from(RoundSkip).where(RoundSkip.round_id == rnd.id)
    ).one()
    states = [(s.value, counts.get(s.value, 0)) for s in ORDER]
    return {
        "round": RoundFacts.of(rnd),
        "phase": round_phase(
            launched=launched, closed=closed is not None, due_on=rnd.due_on, today=today
        ),
        "closed": closed,
        "today": today,
        "states": states,
        "total": sum(n for _, n in states),
        "skipped": int(skipped),
        "launch": status,
        "reminders": reminder_preview(session, rnd.code, today=today),
        "may_close": may_close(rnd.due_on, today),
        "prefect": bool(settings.prefect_api_url),
    }


def extension_errors(
    session: Session, code: str, due: str, reason: str, *, today: date
) -> tuple[date | None, list[tuple[str, str]]]:
    """The extension form as posted: the new day, and what is wrong ((field, catalogue
    key) pairs, by :func:`pvpp.round_actions.extension_problem`'s rule)."""
    rnd = find_round(session, code)
    new = parse_day(due)
    errors: list[tuple[str, str]] = []
    if not due.strip():
        errors.append(("due", "console.rounds.extend.error.due_missing"))
    elif new is None:
        errors.append(("due", "console.rounds.extend.error.due_invalid"))
    problems = extension_problems(rnd.due_on, new or date.max, reason, today)
    errors += [("due", f"console.rounds.extend.error.{p}") for p in problems if p != "no_reason"]
    if "no_reason" in problems:
        errors.append(("reason", "console.rounds.extend.error.no_reason"))
    return new, errors


@dataclass(frozen=True)
class RunRow:
    """One Prefect run as the round's page lists it: its kind and day in words, its
    Prefect state, its name and its page in the Prefect UI."""

    kind: str
    day: date
    state: str
    name: str
    url: str | None


@dataclass
class PrefectLinks:
    """A round's Prefect runs (none without a server), and whether the server answered."""

    runs: list[RunRow] = field(default_factory=list)
    configured: bool = False
    unreachable: bool = False
    ui: str | None = None


def prefect_links(code: str, settings: Settings) -> PrefectLinks:
    """The round's runs on the Prefect server, newest first, with readable names and UI
    links (:func:`pvpp.prefect_runs.round_runs`); a server that does not answer is said,
    not raised: the page is the domain's view and stands without it."""
    if not settings.prefect_api_url:
        return PrefectLinks()
    try:
        found: list[RunLink] = round_runs(code, settings)
    except Exception:  # the Prefect server's errors are many (network, HTTP, its client's)
        log.warning("the Prefect server did not list the runs of round %s", code, exc_info=True)
        return PrefectLinks(configured=True, unreachable=True, ui=settings.prefect_ui())
    rows = [RunRow(r.kind, r.day, r.state, r.name, r.url) for r in found]
    return PrefectLinks(rows, configured=True, ui=settings.prefect_ui())


def close(session: Session, code: str, *, today: date, person: ConsolePerson) -> str | None:
    """Close round ``code`` for publication (:func:`pvpp.rounds.close_round`, audited with
    the console person); the reason it may not be yet (``close_early``: the service refuses
    it on or before its due date), or None when closed (or already closed)."""
    rnd = find_round(session, code)
    try:
        close_round(session, rnd.code, today=today, actor=person.actor)
    except RoundNotDue:
        return "close_early"
    return None


# -- progress ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterForm:
    """The progress page's filters as typed, with what was refused."""

    group: str = ""
    state: str = ""
    name: str = ""
    refused: tuple[str, ...] = ()

    def filters(self) -> Filters:
        """The service's filters (those typed and not refused)."""
        return Filters(group=self.group or None, state=self.state or None,
                       name=self.name or None)  # fmt: skip

    def query(self) -> dict[str, str]:
        """The filters that are set, as a query string's values (for the downloads)."""
        return {k: v for k, v in (("group", self.group), ("state", self.state),
                                  ("name", self.name)) if v}  # fmt: skip


def read_filters(values: Mapping[str, str]) -> FilterForm:
    """The progress page's filters from its query string: an institution group, a state
    (an unknown one is refused and left out) and a part of the name or code."""
    group = values.get("group", "").strip()[:10]
    state = values.get("state", "").strip()[:30]
    name = values.get("name", "").strip()[:MAX_NAME_FILTER]
    refused: tuple[str, ...] = ()
    try:
        Filters(state=state or None)
    except ProgressError:
        state, refused = "", ("state",)
    return FilterForm(group, state, name, refused)


def _groups(session: Session, rnd: Round) -> list[str]:
    rows = session.exec(
        select(Institution.group_id)
        .join(Assignment, col(Assignment.institution_id) == Institution.id)
        .where(Assignment.round_id == rnd.id)
        .distinct()
    ).all()
    return sorted(rows)


def _chart(view: RoundProgress, lang: Lang) -> str:
    days = [p.day for p in view.line]
    series = [
        Series(t("console.rounds.progress.handed_in", lang), [p.handed_in for p in view.line],
               HANDED_IN_COLOUR),
        Series(t("console.rounds.progress.complete", lang), [p.complete for p in view.line],
               COMPLETE_COLOUR, dashed=True),
    ]  # fmt: skip
    due = (view.due_on, t("console.rounds.progress.due_marker", lang))
    return line_chart(
        days, series, max_value=max(view.total, 1), marker=due, lang=lang,
        title=t("console.rounds.progress.chart_title", lang, round=view.round_code),
        label_id="line-chart",
    )  # fmt: skip


def progress_page(
    session: Session, code: str, *, today: date, filters: FilterForm, lang: Lang,
    settings: Settings, person: ConsolePerson,
) -> dict[str, Any]:  # fmt: skip
    """A round's progress page: the view of :func:`pvpp.round_progress.round_progress`
    over the assignments the filters admit, the completion line as an inline SVG chart
    (its data also as a table), the groups to filter by, whether the round counts as
    launched (:func:`pvpp.launch.round_launched`: a launch asked for has not recorded the
    milestones yet, or none was) and whether ``person`` may change its milestones (the
    coordinator: :data:`pvpp.access.RUN`). A constant number of statements whatever the
    round's size."""
    rnd = find_round(session, code)
    view = round_progress(session, rnd.code, today=today, filters=filters.filters())
    launched = round_launched(session, rnd, launch_status(session, rnd.code, settings))
    return {
        "round": RoundFacts.of(rnd),
        "view": view,
        "launched": launched,
        "may_edit": may(person.role, RUN),
        "chart": Markup(_chart(view, lang)),  # the project's own SVG, every text escaped
        "groups": _groups(session, rnd),
        "states": [s.value for s in ORDER],
        "filters": filters,
        "errors": [(f, t("console.rounds.progress.error.state", lang)) for f in filters.refused],
        "query": filters.query(),
        "filters_text": filters_text(view, lang),
        "listed": view.institutions[:LIST_LIMIT],
        # Each state's name once (a table of many rows would look each up again).
        "state_names": {s.value: name_of("state", s.value, lang) for s in ORDER},
        "tables": TABLES,
    }


# -- a national milestone ------------------------------------------------------------------


@dataclass
class MilestoneForm:
    """A milestone's form as typed (``due`` as text) and read."""

    state: str = ""
    due: str = ""
    note: str = ""
    due_on: date | None = None


def _milestone(session: Session, rnd: Round, measure: str, today: date) -> dict[str, Any]:
    found = next((m for m in milestones(session, rnd.code, today) if m["measure"] == measure),
                 None)  # fmt: skip
    if found is None:
        raise NotFound(f"round {rnd.code} has no milestone {measure!r}")
    return found


def milestone_page(
    session: Session, code: str, measure: str, *, today: date, lang: Lang,
    form: MilestoneForm | None = None, errors: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A national milestone's form (:mod:`pvpp.milestones`): its measure and text, its
    state, due date and note as stored (or as typed, with ``errors``: (field, catalogue
    key) pairs). A milestone the round has not recorded is :class:`NotFound`."""
    rnd = find_round(session, code)
    found = _milestone(session, rnd, measure, today)
    form = form or MilestoneForm(found["state"], found["due_on"].isoformat(), found["note"],
                                 found["due_on"])  # fmt: skip
    return {
        "round": RoundFacts.of(rnd),
        "milestone": found,
        "text": found["text_lv"] if lang == "lv" else found["text_en"],
        "form": form,
        "states": STATES,
        "max_note": MAX_NOTE,
        "errors": [(f, t(key, lang)) for f, key in errors or []],
    }


def read_milestone_form(values: Mapping[str, str]) -> tuple[MilestoneForm, list[tuple[str, str]]]:
    """A milestone's form as posted, and what is wrong with it ((field, catalogue key)
    pairs in the form's order): a state that is not one of :data:`pvpp.milestones.STATES`,
    a due date missing or not a date (``2027-12-31`` or ``31.12.2027``), a note longer
    than :data:`pvpp.milestones.MAX_NOTE`."""
    form = MilestoneForm(
        state=values.get("state", "").strip()[:30],
        due=values.get("due", "").strip()[:20],
        note=values.get("note", "").strip()[: MAX_NOTE + 1],
    )
    errors: list[tuple[str, str]] = []
    if form.state not in STATES:
        errors.append(("state", "console.rounds.milestone.error.state"))
    form.due_on = parse_day(form.due)
    if not form.due:
        errors.append(("due", "console.rounds.milestone.error.due_missing"))
    elif form.due_on is None:
        errors.append(("due", "console.rounds.milestone.error.due_invalid"))
    if len(form.note) > MAX_NOTE:
        errors.append(("note", "console.rounds.milestone.error.note_long"))
    return form, errors


def save_milestone(
    session: Session, code: str, measure: str, form: MilestoneForm, *, today: date,
    person: ConsolePerson, ip: str,
) -> bool:  # fmt: skip
    """Save a milestone's form :func:`read_milestone_form` found nothing wrong with
    (:func:`pvpp.milestones.set_milestone`, audited with the console person and their
    address); False, and nothing written, when it changes nothing."""
    assert form.due_on is not None, "read_milestone_form checks the due date"
    rnd = find_round(session, code)
    found = _milestone(session, rnd, measure, today)
    if (form.state, form.due_on, form.note) == (found["state"], found["due_on"], found["note"]):
        return False
    set_milestone(session, rnd.code, measure, state=form.state, due_on=form.due_on,
                  note=form.note, actor=person.actor, ip=ip)  # fmt: skip
    return True


def progress_download(
    session: Session, code: str, *, today: date, filters: FilterForm, lang: Lang,
    suffix: str, table: str | None,
) -> tuple[bytes, str, str]:  # fmt: skip
    """A progress table (or, as ``.xlsx`` without ``table``, every table) over the
    filtered assignments: its bytes, media type and file name (in ``lang``)."""
    rnd = find_round(session, code)
    if table is not None and table not in TABLES:
        raise NotFound(table)
    view = round_progress(session, rnd.code, today=today, filters=filters.filters())
    data, _ = progress_bytes(view, suffix, lang=lang, table=table)
    return data, MEDIA_TYPES[suffix], download_name(view, suffix, lang=lang, table=table)
