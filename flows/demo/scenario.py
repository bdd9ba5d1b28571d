"""The demo scenario: a whole assessment round on the embedded defaults, through the flows.

Imports the example registry, sets up most teams and creates a round; then runs the
Prefect flows in local mode (no server, no network) as a ministry would run them: the
launch sends every institution its workbook, the teams fill them (weak, average and
strong answers; a few returned with mistakes and corrected later, one half done, one
late), collection returns problems and reminds, assessment plans and sends the PDFs to
the heads, follow-up and the national report close the round. A year later a second
round (``ROUND2``) assesses again: the teams' answers moved on by the plan measures they
carried out, one institution (``WORSE``) lower; it is launched, collected and assessed
(plans built, not sent), closed, and its national report and workbook show the trend
since the first round (``docs/trends.md``). Emails are written as .eml files. Running the
demo again changes nothing in the store and sends nothing.

The demo runs on its own root (:class:`pvpp.app.App`): the settings of the process with
the mail folder and round files moved under the output folder, and a
:class:`~pvpp.clock.FixedClock` that moves through the story. It shows the opening day
(``OPENS``) while the round is set up and launched, then each day the flows run on
(``COLLECT_DAY``, ``ASSESS_DAY``, ``REQUEST_DAY``) and ends on ``ANSWER_DAY``, the day the
story closes: plan PDFs carry the day they were made (the assessment's or the re-plan's),
and the exports and the English example plan ``ANSWER_DAY``. The national report is made
on the assessment day, with the round's progress only (its aggregates are published from a
closed round: ``docs/disclosure.md``); on ``ANSWER_DAY`` the round is closed for publication
and the report made again with its aggregates. So every run makes the same documents,
whatever the date.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlmodel import Session, func, select

from flows.demo.synthetic import StatusOverride, answer_workbook, profile_for
from flows.root import using
from pvpp import parallel
from pvpp.app import App
from pvpp.cli.common import console
from pvpp.clock import FixedClock
from pvpp.exports.data import flag_label, name_of, skip_label, state_label
from pvpp.files import write_atomic
from pvpp.i18n import catalogue, t
from pvpp.national import aggregates, round_status
from pvpp.paths import resources_dir
from pvpp.planning.library import Common, load_common
from pvpp.policy import Policy, load_policy
from pvpp.questionnaire import load_questionnaire
from pvpp.registry import ImportReport, import_registry
from pvpp.rounds import RoundReport, assignment_codes, create_round
from pvpp.settings import Settings
from pvpp.store.models import Institution, OutboxMessage
from pvpp.teams import add_member, record_training
from pvpp.workbook.fill import fill_workbook, formula

ROUND = "2026-K1"
OPENS, DUE = date(2026, 1, 15), date(2026, 3, 31)
# The days the demo's flows run on: collection a week before the due date (reminders go
# out), then assessment after the corrections came in.
COLLECT_DAY, ASSESS_DAY = date(2026, 3, 24), date(2026, 4, 15)
# Follow-up: status requests after the first period end, then the answers are taken in,
# the silent are reminded and measures still open are escalated.
REQUEST_DAY, ANSWER_DAY = date(2026, 7, 2), date(2026, 7, 20)
REPLANS = "VID"  # moves one measure and gives one up: a new plan version goes to the head
# After the plans went out: ARM's team shapes its proposal through the plan sheet (an
# alternative measure, a step moved, an own measure, a lower own target with its reason);
# the heads approve their plans (ARM's head the shaped version), except LATE_APPROVAL's
# head, who is reminded on SHAPE_DAY and escalated later.
SHAPES, LATE_APPROVAL = "ARM", "IZM"
SHEET_DAY, APPROVE_DAY, SHAPE_DAY = date(2026, 4, 22), date(2026, 4, 24), date(2026, 5, 6)
SHAPED_APPROVAL_DAY = date(2026, 5, 8)
#: Institutions whose people get sign-in links to the portal at the end: one whose plan
#: was re-planned, one that shaped its plan, one whose head has not approved yet.
PORTAL_INSTITUTIONS = (REPLANS, SHAPES, LATE_APPROVAL)
#: The most pages a head's plan PDF may have (issue 11: a plan a head reads in ten minutes).
MAX_PLAN_PAGES = 12
WRONG_STATUS = "LAD"  # returns a status sheet with a mistake first
SILENT = ("IZM", "KM")  # do not answer the status request
# Institutions that return workbooks with mistakes first, then correct them.
MISTAKES: dict[str, dict[str, Any]] = {
    "VID": {"Q_K5_D2": "5 — izcila"},  # a value outside the list
    "LAD": {"Q_1_2_D3": "Nav attiecināms", "NAREASON_1_2": None},  # no reason given
    "RIGA": {"Q_K1_D1": formula("=2+2")},  # a formula where an answer belongs
}
HALF_DONE = "UR"
LATE = "KEM"  # returns only after the reminder
NO_TEAM = ("KEM", "VARAM")
# A year later the round is assessed again: every team returns its workbook, each
# dimension a carried-out plan measure raised now at least at its target degree (a measure
# reported done, or, for a team not weak, one due by CARRIED_OUT_BY); WORSE finds it
# had rated its condition groups too high (three degrees lower: the jump warning). The
# round goes through launch, collection and assessment (plans built, not yet sent), is
# closed, and its national report and workbook show the trend since ROUND.
ROUND2 = "2027-K1"
OPENS2, DUE2 = date(2027, 1, 15), date(2027, 3, 31)
COLLECT2_DAY, ASSESS2_DAY = date(2027, 3, 24), date(2027, 4, 15)
CARRIED_OUT_BY = date(2026, 12, 31)
WORSE = "FM"


class _Bars:
    """Rich progress bars for the batches run by :mod:`pvpp.parallel`."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def start(self, label: str, total: int) -> None:
        self.task = self.progress.add_task(f"  {label}", total=total)

    def advance(self) -> None:
        self.progress.advance(self.task)

    def done(self) -> None:
        self.progress.update(self.task, visible=False)


def demo_root(settings: Settings, folder: Path) -> App:
    """The demo's root: ``settings`` with emails as .eml files in ``folder/mail`` and the
    round files (workbooks, drop folder, plan PDFs, report) under ``folder``, on a clock
    at the opening day."""
    scoped = settings.model_copy(
        update={
            "email_transport": "folder",
            "mail_folder": folder / "mail",
            "round_files_dir": folder,
        }
    )
    return App.build(scoped, clock=FixedClock(OPENS))


def run_demo(base: App, out: Path | None = None) -> None:
    """Run the scenario on a root derived from ``base`` (its settings and database) and
    print where everything is; the output folder defaults to ``<data dir>/demo``."""
    folder = (out or base.settings.data_dir / "demo").resolve()
    root = demo_root(base.settings, folder)
    try:
        with using(root), _prefect_quiet(base.settings):
            _run(root, folder)
    finally:
        root.close()


def _prefect_quiet(settings: Settings) -> Any:
    """Prefect in local mode, quiet, with its state under the data folder, and no
    heartbeat thread to wait for at the end of each flow run, for this command only
    (Prefect's own settings are set through Prefect's ``temporary_settings``)."""
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_HOME,
        PREFECT_LOGGING_LEVEL,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )

    updates: dict[Any, Any] = {
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
        PREFECT_SERVER_ANALYTICS_ENABLED: False,
    }
    # What the process was started with wins (a test's Prefect server, a chosen level).
    if not _set_outside("PREFECT_HOME"):
        home = settings.data_dir.resolve() / "prefect"
        home.mkdir(parents=True, exist_ok=True)
        updates[PREFECT_HOME] = home
    if not _set_outside("PREFECT_LOGGING_LEVEL"):
        updates[PREFECT_LOGGING_LEVEL] = "WARNING"
    return temporary_settings(updates)


def _set_outside(name: str) -> bool:
    """Whether the environment the process started with sets Prefect's ``name``."""
    import os

    return name in os.environ


def _run(root: App, folder: Path) -> None:
    settings, store, clock = root.settings, root.db, root.clock
    assert isinstance(clock, FixedClock)
    spec = load_questionnaire(settings.default_questionnaire)
    policy = load_policy(spec.policy.id)
    common = load_common(policy.id)
    store.upgrade()

    from flows.cycle import collect_submissions, cycle, follow_up, launch_round

    columns = (
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    )  # fmt: skip
    with (
        Progress(*columns, console=console) as progress,
        parallel.reporting(_Bars(progress)),
    ):
        stages = progress.add_task("Round", total=10)

        def stage(text: str) -> None:
            progress.update(stages, description=f"[bold]{text}")

        stage("Registry, teams and round")
        clock.day = OPENS
        with store.unit_of_work() as s:
            reg = import_registry(
                s, resources_dir() / "examples" / "registry.xlsx", policy, settings=settings
            )
            for inst in s.exec(select(Institution).order_by(Institution.code)).all():
                if not inst.roles or inst.scope == "excluded" or inst.code in NO_TEAM:
                    continue
                _demo_team(s, common, inst)
            rnd = create_round(
                s, code=ROUND, opens_on=OPENS, due_on=DUE, questionnaire_version=spec.id,
                actor="demo",
            )  # fmt: skip
            assigned = assignment_codes(s, ROUND)
        progress.advance(stages)

        stage("Flow launch-round: workbooks and invitations (Prefect starting)")
        launch_round(ROUND)
        progress.advance(stages)

        stage("Teams fill in their workbooks")
        drop, later = settings.round_folder(ROUND, "drop"), folder / "corrections"
        _teams_answer(settings, settings.round_folder(ROUND, "workbooks"), drop, later, assigned)
        progress.advance(stages)

        stage("Flow collect-submissions: returned workbooks, problems, reminders")
        clock.day = COLLECT_DAY
        first = collect_submissions(ROUND, str(drop), COLLECT_DAY)
        progress.advance(stages)

        stage("Flow cycle: corrections, plans, PDFs, emails, follow-up, national report")
        for path in sorted(later.glob("*.xlsx")):
            target = drop / path.name.replace(".xlsx", "-labots.xlsx")
            if not target.exists():
                write_atomic(target, path.read_bytes())
        clock.day = ASSESS_DAY
        result = cycle(ROUND, str(drop), ASSESS_DAY)
        progress.advance(stages)

        stage(f"Teams shape plans, heads approve; flow follow-up ({SHAPE_DAY})")
        clock.day = SHEET_DAY
        _team_shapes(root, settings.round_folder(ROUND, "plan-sheets"))
        clock.day = APPROVE_DAY
        approved = _heads_approve(root, skip=(SHAPES, LATE_APPROVAL), version=1)
        clock.day = SHAPE_DAY
        shaped = follow_up(ROUND, SHAPE_DAY)
        clock.day = SHAPED_APPROVAL_DAY
        approved += _heads_approve(root, only=(SHAPES,))
        result["shaping"] = {**shaped, "approved": approved}
        progress.advance(stages)

        stage(f"Flow follow-up ({REQUEST_DAY}): status requests with status sheets")
        clock.day = REQUEST_DAY
        follow_up(ROUND, REQUEST_DAY)
        progress.advance(stages)

        stage(f"Teams answer; flow follow-up ({ANSWER_DAY}): re-plans, reminders, escalations")
        _teams_report(settings.round_folder(ROUND, "status-sent"),
                      settings.round_folder(ROUND, "status"))  # fmt: skip
        clock.day = ANSWER_DAY
        followed = follow_up(ROUND, ANSWER_DAY)
        result["follow_up"] = followed
        progress.advance(stages)

        stage("Exports and page images")
        documents = _documents(root, folder, result)
        with store.unit_of_work() as s:
            status = round_status(s, ROUND)
            national = aggregates(s, ROUND)
        progress.advance(stages)

        stage(f"Round {ROUND2}: the teams assess again; flows launch, collect and assess")
        second = _second_round(root, folder, assigned)
        clock.day = ANSWER_DAY  # the story's day: the portal's, as the first round left it
        with store.unit_of_work() as s:
            mail = dict(
                s.exec(select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)).all()
            )
        progress.advance(stages)
        stage("Done")

    _summary(reg, rnd, first, result, status, national, mail)
    for line in second:
        console.print(line, highlight=False)
    for line in documents:
        console.print(line, highlight=False)
    for line in [*_portal(root), *_console(root)]:
        console.print(line, highlight=False, markup=False)


# The demo's team leads: people's names, as a registry would hold them (a role is never
# part of a name: the plan prints the role next to it). One is picked per institution
# from its code, so a run names the same people as the last.
LEAD_NAMES = (
    "Anna Kalniņa",
    "Jānis Ozoliņš",
    "Ilze Bērziņa",
    "Mārtiņš Liepiņš",
    "Dace Krūmiņa",
    "Edgars Zariņš",
    "Laura Vītola",
    "Kārlis Celmiņš",
    "Inese Ābele",
    "Raivis Eglītis",
    "Kristīne Priede",
    "Artūrs Lūsis",
    "Santa Dreimane",
    "Toms Kļaviņš",
    "Līga Strautiņa",
    "Normunds Saulītis",
    "Evija Grīnberga",
    "Gatis Siliņš",
    "Zane Rozentāle",
    "Uldis Vanags",
)
# The portal scenario's plan sheet is filled by ARM's lead, who is named there.
NAMED_LEADS = {SHAPES: "Anna Kalniņa"}


def lead_name(code: str, head_name: str) -> str:
    """The demo team lead's name for institution ``code``: never its head's."""
    if code in NAMED_LEADS:
        return NAMED_LEADS[code]
    start = int.from_bytes(hashlib.sha256(code.encode()).digest()[:4], "big")
    names = [LEAD_NAMES[(start + i) % len(LEAD_NAMES)] for i in range(len(LEAD_NAMES))]
    return next(n for n in names if n != head_name)


def _demo_team(session: Session, common: Common, inst: Institution) -> None:
    """A lead who attended the trainings before the self-assessment (P1.1, P1.3 and the
    P2.2 training on assessment), for most institutions."""
    email = f"komanda@{inst.code.lower()}.example.org"
    name = lead_name(inst.code, inst.head_name)
    add_member(
        session, common, institution=inst.code, name=name, email=email,
        roles=["team_lead"], lead=True, actor="demo",
    )  # fmt: skip
    trainings = (
        ("P1.1", date(2025, 3, 4)),
        ("P1.3", date(2025, 5, 20)),
        ("P2.2", date(2025, 11, 12)),
    )
    for measure, day in trainings:
        record_training(
            session, institution=inst.code, email=email, measure=measure, attended_on=day,
            actor="demo",
        )  # fmt: skip


def _second_round(root: App, folder: Path, codes: list[str]) -> list[str]:
    """ROUND2: created and launched on its opening day; each team returns its workbook
    with the previous round's answers moved on by the plan measures it carried out (WORSE
    lower); collected and assessed (plans built); closed after its due date, and its
    national report (with the trend since ROUND) and round workbook made. Lines saying
    what came of it."""
    from flows.cycle import collect_submissions, launch_round
    from pvpp.assignments import State
    from pvpp.documents.national_pdf import national_pdf
    from pvpp.exports import export_round
    from pvpp.national import round_trend
    from pvpp.plans import build_plan, context
    from pvpp.rounds import close_round

    settings, clock = root.settings, root.clock
    assert isinstance(clock, FixedClock)
    spec = load_questionnaire(settings.default_questionnaire)
    clock.day = OPENS2
    with root.db.unit_of_work() as s:
        create_round(
            s, code=ROUND2, opens_on=OPENS2, due_on=DUE2, questionnaire_version=spec.id,
            institutions=codes, actor="demo",
        )  # fmt: skip
    launch_round(ROUND2)
    drop = settings.round_folder(ROUND2, "drop")
    _teams_answer_again(root, settings.round_folder(ROUND2, "workbooks"), drop, codes)
    clock.day = COLLECT2_DAY
    received = collect_submissions(ROUND2, str(drop), COLLECT2_DAY)
    clock.day = ASSESS2_DAY
    # The assessment's plans, built as the assess flow builds them; the story ends before
    # they are rendered and sent to the heads (the first round shows that, and 37 more
    # PDFs would double the demo's time).
    planned = 0
    with root.db.reading() as s:
        accepted = assignment_codes(s, ROUND2, [State.ACCEPTED])
    for code in accepted:
        with root.db.unit_of_work() as s:
            _, created = build_plan(s, context(s, ROUND2, code), today=ASSESS2_DAY, actor="demo")
            planned += int(created)
    report = settings.round_folder(ROUND2) / f"national-{ROUND2}.pdf"
    exports = folder / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    with root.db.unit_of_work() as s:
        close_round(s, ROUND2, today=ASSESS2_DAY, actor="demo")
        write_atomic(report, national_pdf(s, ROUND2, today=ASSESS2_DAY))
        export_round(s, ROUND2, exports / f"{ROUND2}.xlsx", generated_at=clock.now())
        trend = round_trend(s, [ROUND, ROUND2]).trend
    assert trend is not None
    changes = ", ".join(
        f"{r.key} {'—' if r.change is None else f'{r.change:+.2f}'}" for r in trend.components
    )
    jumps = sorted({j.institution for j in trend.jumps})
    done = ", ".join(f"{p.round} {p.share:.0f} %" for p in trend.plans if p.share is not None)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(received.items())) or "nothing new"
    return [
        f"Round {ROUND2} ({COLLECT2_DAY}): received {counts}; "
        f"plans built {planned} ({ASSESS2_DAY}, not yet sent); closed {ASSESS2_DAY}",
        f"Trend {ROUND} → {ROUND2}: median change per component {changes}; plan measures "
        f"done {done}; jump of more than 2 degrees: {', '.join(jumps) or 'none'}",
        f"National report of {ROUND2} (with the trend): {report}",
        f"Trend: .venv/bin/pvpp round trend {ROUND2}",
    ]


def _teams_answer_again(root: App, sent: Path, drop: Path, codes: list[str]) -> None:
    """Each team returns ROUND2's workbook: its ROUND answers moved on by the plan measures
    it carried out (see CARRIED_OUT_BY; a team without accepted ROUND answers answers as
    its profile would);
    WORSE's condition groups lower. A workbook already returned is left as it is."""
    from flows.demo.synthetic import next_round_answers, synthetic_answers
    from pvpp import measures
    from pvpp.queries import current_answer_sets, round_assignments, round_plans
    from pvpp.rounds import get_round
    from pvpp.store.models import id_of
    from pvpp.workbook.fill import cell_values

    spec = load_questionnaire(root.settings.default_questionnaire)
    todo = [c for c in codes if not (drop / f"{c}.xlsx").exists() and (sent / f"{c}.xlsx").exists()]
    if not todo:
        return
    # What each team had: its answers and the dimensions its done measures raised.
    with root.db.reading() as s:
        rnd = get_round(s, ROUND)
        sets = current_answer_sets(s, rnd)
        plans = round_plans(s, rnd)
        before: dict[str, dict[str, Any]] = {}
        done: dict[str, list[tuple[str, str, int]]] = {}
        for a, inst in round_assignments(s, rnd):
            if (kept := sets.get(id_of(a))) is not None:
                before[inst.code] = dict(kept.answers)
            keeps_to_plan = profile_for(inst.code) != "weak"
            done[inst.code] = [
                (m.item_id, m.dimension_id, m.to_degree)
                for m, fact in plans.get(id_of(a), (None, []))[1]
                if m.dimension_id
                and not measures.is_dropped(fact)
                and (measures.is_done(fact) or (keeps_to_plan and fact.due_on <= CARRIED_OUT_BY))
            ]
    for code in todo:
        given = before.get(code)
        if given is None or any(given.get(f.id) is None for f in spec.degree_fields):
            given = synthetic_answers(spec, profile_for(code), seed=zlib.crc32(code.encode()))
        else:
            worse = tuple(spec.condition_groups) if code == WORSE else ()
            given = next_round_answers(spec, given, done.get(code, []), worse=worse)
        blank = (sent / f"{code}.xlsx").read_bytes()
        write_atomic(drop / f"{code}.xlsx", fill_workbook(blank, cell_values(spec, given, "lv")))


def _teams_answer(
    settings: Settings, sent: Path, drop: Path, later: Path, codes: list[str]
) -> None:
    """Each team fills the workbook it was sent; mistakes and lateness as the demo plans.

    A workbook already returned is left as it is: a received file is what it is.
    """
    todo = [c for c in codes if not (drop / f"{c}.xlsx").exists() and (sent / f"{c}.xlsx").exists()]
    jobs = [(code, (sent / f"{code}.xlsx").read_bytes()) for code in todo]
    filled = parallel.imap(
        partial(_fill, questionnaire=settings.default_questionnaire), jobs,
        workers=settings.worker_count(), label="Filling workbooks",
    )  # fmt: skip
    for (code, _), (first, correction) in zip(jobs, filled, strict=True):
        if correction is not None:
            write_atomic(later / f"{code}.xlsx", correction)
        write_atomic((later if code == LATE else drop) / f"{code}.xlsx", first)


def _team_shapes(root: App, inbox: Path) -> None:
    """SHAPES's team returns the plan sheet it was sent with the changes a team makes:
    another library measure for a step (with its funding), a step moved, an own measure,
    a lower own target with its reason. A sheet already returned is left as it is."""
    from pvpp.mail.outbox import find
    from pvpp.planning.library import load_library
    from pvpp.plans import context
    from pvpp.proposals import sheet_data
    from pvpp.store.files import read_file
    from pvpp.store.models import StoredFile
    from pvpp.workbook.plan_sheet import alternatives, fill_plan_sheet

    if any(inbox.glob(f"{SHAPES}-*.xlsx")):
        return
    with root.db.reading() as s:
        ctx = context(s, ROUND, SHAPES)
        library = load_library(ctx.round.policy_version)
        data = sheet_data(s, ctx)
        # The sheet the team received with the plan (the "proposal" email's attachment).
        mail = find(s, round_code=ROUND, institution_code=SHAPES, kind="proposal",
                    version=data.plan_version)  # fmt: skip
        if mail is None:
            return
        stored = s.get(StoredFile, mail.attachments[0]["sha256"])
        assert stored is not None
        blank = read_file(s, stored)
    soon = [st for st in data.steps if st.period != "2028–2031" and st.dimension]
    alternative = next(st for st in data.steps if st.dimension and alternatives(library, st.key))
    moved = next(st for st in reversed(soon) if st.measure_id != alternative.measure_id)
    later = next(p for p in ("2027H2", "2028–2031") if p != moved.period)
    decisions: dict[str, dict[str, object]] = {
        alternative.measure_id: {
            "decision": "alternative",
            "alternative": alternatives(library, alternative.key)[0],
            "funding_eur": 12000,
            "funding": "F1",
            "funding_ref": "NAP2027 [316]: valsts pārvaldes pakalpojumu pilnveide",
        },
        moved.measure_id: {"decision": "move", "period": later},
    }
    # A lower own target: an item whose national target is above where the team stands.
    lowered = next(i for i in data.items if i.score is not None and i.national - 1 > int(i.score))
    filled = fill_plan_sheet(
        blank,
        filled_by=f"{NAMED_LEADS[SHAPES]}, komanda@{SHAPES.lower()}.example.org",
        decisions=decisions,
        own=[
            {
                "name": "Ievadmācības jaunajiem darbiniekiem par pakalpojumu terminiem",
                "item": "1.1",
                "dimension": "D4",
                "period": "2027H1",
                "role": "hr_manager",
                "effort": "S",
            }
        ],
        targets={
            lowered.item: (
                lowered.national - 1,
                "Līdz 2027. gada beigām iestādes resursi ļauj sasniegt vienu pakāpi zem "
                "valsts mērķa; pārējo plānojam nākamajā periodā.",
            )
        },
    )
    write_atomic(inbox / f"{SHAPES}-plans.xlsx", filled)


def _heads_approve(
    root: App,
    *,
    skip: tuple[str, ...] = (),
    only: tuple[str, ...] | None = None,
    version: int | None = None,
) -> int:
    """Heads approve the newest plan version they were sent (only ``version``, when given:
    a later one does not exist yet on the story's day), through its link, one at a time
    as heads do; returns how many approved. An approved version is left alone."""
    from pvpp.approval_links import tokens_in
    from pvpp.approvals import decide
    from pvpp.mail.outbox import find
    from pvpp.plans import context, latest_plan
    from pvpp.states.plan import PlanState

    approved = 0
    with root.db.reading() as s:
        codes = [c for c in assignment_codes(s, ROUND) if c not in skip]
    for code in codes if only is None else [c for c in codes if c in only]:
        with root.db.unit_of_work() as s:
            plan = latest_plan(s, context(s, ROUND, code).assignment)
            if plan is None or plan.status != PlanState.SENT:
                continue
            if version is not None and plan.version != version:
                continue
            mail = find(s, round_code=ROUND, institution_code=code, kind="plan",
                        version=plan.version)  # fmt: skip
            # A plan email queued before approval links existed (a store from an older
            # demo) carries none: that head is asked again by the approval reminder.
            links = tokens_in(mail.body_text) if mail is not None else []
            if not links:
                continue
            decide(s, links[0], settings=root.settings, clock=root.clock)
            approved += 1
    return approved


def _teams_report(sent: Path, inbox: Path) -> None:
    """Each team answers its status sheet (a received file is never rewritten)."""
    from flows.demo.synthetic import answer_status_sheet
    from pvpp.workbook.status import choice_label

    for path in sorted(sent.glob("*.xlsx")):
        code = path.stem.split("-")[0]
        if code in SILENT or any(inbox.glob(f"{path.stem}*.xlsx")):
            continue
        overrides: dict[int, StatusOverride] = {}
        if code == REPLANS:
            overrides = {
                0: (choice_label("move", "lv"), "2027-06-30", "Iepirkums pārcelts uz 2027. gadu"),
                1: (choice_label("drop", "lv"), None, "Pasākumu īsteno nozares ministrija"),
            }
        data = answer_status_sheet(path.read_bytes(), code, overrides)
        if code == WRONG_STATUS:
            wrong = answer_status_sheet(data, code, {0: ("Gandrīz gatavs", None, None)})
            write_atomic(inbox / f"{path.stem}-a.xlsx", wrong)
            write_atomic(inbox / f"{path.stem}-b.xlsx", data)
        else:
            write_atomic(inbox / path.name, data)


def _fill(job: tuple[str, bytes], *, questionnaire: str) -> tuple[bytes, bytes | None]:
    """What the team returns first, and its correction if it makes one."""
    code, blank = job
    spec = load_questionnaire(questionnaire)
    filled = answer_workbook(spec, blank, code)
    if code in MISTAKES:
        return fill_workbook(filled, MISTAKES[code]), filled
    if code == HALF_DONE:
        # Items S1–S9 left unanswered: every question of theirs, each part of a dimension
        # asked in parts too.
        unanswered = {
            f.id: None for f in spec.degree_fields if f.item_id and f.item_id.startswith("S")
        }
        return fill_workbook(filled, unanswered), None
    return filled, None


def _documents(root: App, folder: Path, result: dict[str, object]) -> list[str]:
    """The English example plan, exports and page images (dated by the root's clock);
    lines saying where things are."""
    from pvpp.delivery import render
    from pvpp.documents.national_pdf import national_pdf
    from pvpp.exports import export_plan, export_round, export_round_csv
    from pvpp.rounds import close_round

    settings, now = root.settings, root.clock.now()
    plans_dir = settings.round_folder(ROUND, "plans")
    english = plans_dir / "VARAM.en.pdf"
    if not english.exists():
        pdf = render("VARAM", round_code=ROUND, lang="en", db=root.db, today=root.today())
        write_atomic(english, pdf)
    report = Path(str(result["report"]))
    # The story ends: the round is closed for publication and the published report made
    # with its aggregates (a rerun finds it closed, and makes the same report).
    with root.db.unit_of_work() as s:
        close_round(s, ROUND, today=root.today(), actor="demo")
        write_atomic(report, national_pdf(s, ROUND, today=root.today()))
    exports = folder / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    with root.db.unit_of_work() as s:
        export_round(s, ROUND, exports / f"{ROUND}.xlsx", generated_at=now)
        export_round(
            s, ROUND, exports / f"{ROUND}-publishable.xlsx", publish=True, generated_at=now
        )
        export_round_csv(s, ROUND, exports / f"{ROUND}.csv")
        export_plan(s, ROUND, "VID", exports / f"{ROUND}-VID-plan.xlsx", generated_at=now)
    filed = sorted(plans_dir.glob("*-v*.pdf"))
    pages = {p.stem: len(PdfReader(p).pages) for p in filed}
    over = sorted(name for name, n in pages.items() if n > MAX_PLAN_PAGES)
    vid = next(p for p in filed if p.name.startswith("VID-"))
    images = _page_images(folder, [vid, report])
    return [
        f"Workbooks sent: {settings.round_folder(ROUND, 'workbooks')}",
        f"Workbooks returned (the drop folder): {settings.round_folder(ROUND, 'drop')}",
        f"Plan PDFs: {len(filed)} in {plans_dir} (and VARAM.en.pdf in English)",
        "Plan PDF pages: " + ", ".join(f"{name} {n}" for name, n in sorted(pages.items())),
        f"Longest plan: {max(pages.values())} pages (limit {MAX_PLAN_PAGES}); over the limit: "
        + (", ".join(over) if over else "none"),
        f"Emails (.eml): {settings.mail_folder}",
        f"National report: {report}",
        f"Exports: {exports}",
        images,
    ]


def _portal(root: App) -> list[str]:
    """How to open the portal on the story's day, and fresh one-time sign-in links for the
    team lead and the head of each of :data:`PORTAL_INSTITUTIONS` (issued through the
    service, as the sign-in form does; the store keeps only their digests, so each run
    prints new ones)."""
    from pvpp.signin import issue, people_with_email

    lines = [
        "",
        f"The portal: .venv/bin/pvpp web --today {root.today().isoformat()}",
        "  then open a sign-in link below (each works once, for "
        f"{root.settings.signin_link_hours} hours of the story's day); a head, signed in, "
        "approves on the plan's page or with the link in the newest plan or approval email "
        "in the mail folder.",
    ]
    with root.db.unit_of_work() as s:
        for code in PORTAL_INSTITUTIONS:
            inst = s.exec(select(Institution).where(Institution.code == code)).one()
            lines.append(f"  {inst.code} {inst.name}")
            for email, role in ((f"komanda@{code.lower()}.example.org", "lead"),
                                (inst.head_email, "head")):  # fmt: skip
                person = next(
                    p for p in people_with_email(s, email)
                    if p.institution_code == code and p.role == role
                )  # fmt: skip
                link = issue(s, person, now=root.clock.now(), settings=root.settings,
                             actor="demo")  # fmt: skip
                lines.append(f"    {role} {person.name} <{person.email}>: {link.url}")
    return lines


#: The demo's console account, a coordinator; its password is printed with its second
#: factor's secret (an installation makes its first account with `pvpp user add`).
DEMO_COORDINATOR = ("koordinators@varam.example.org", "Dace Liepiņa")
DEMO_PASSWORD = "demo-parole-PVPP2027"


def _console(root: App) -> list[str]:
    """How a coordinator signs in to the console of the demo: the account (made, or given
    a new second factor when the demo runs again on the same data) with its password, its
    TOTP secret, and the codes the portal's clock takes."""
    from datetime import timedelta

    import pyotp

    from pvpp.accounts import account_by_email, add_account, reset_totp

    email, name = DEMO_COORDINATOR
    key, now = root.settings.signing_key(), root.clock.now()
    with root.db.unit_of_work() as s:
        if account_by_email(s, email) is None:
            made = add_account(s, email=email, name=name, role="coordinator",
                               password=DEMO_PASSWORD, key=key, now=now, actor="demo")  # fmt: skip
        else:
            made = reset_totp(s, email, key=key, now=now, actor="demo")
    # `pvpp web --today` runs on a clock standing at noon of the story's day: an
    # authenticator app's codes (of the real time) are not its; these three are, each
    # taken once and only after the one before it (a code is never used twice).
    totp = pyotp.TOTP(made.secret)
    codes = [totp.at(now + timedelta(seconds=30 * step)) for step in (-1, 0, 1)]
    return [
        "",
        f"The ministry's console: {root.settings.public_url}/console/signin (the same pvpp web)",
        f"  coordinator {name} <{email}>, password {DEMO_PASSWORD}",
        f"  second factor: the codes the demo's clock (noon of {root.today().isoformat()}) "
        f"takes are {', '.join(codes)}: one per sign-in, in this order",
        f"  (its TOTP secret, for an authenticator app on a real clock: {made.secret})",
    ]


def _page_images(folder: Path, pdfs: list[Path]) -> str:
    """PNG pages of example PDFs, for a look without a PDF viewer (needs poppler)."""
    import shutil
    import subprocess

    exe = shutil.which("pdftoppm")
    if exe is None:
        return "Page images: skipped (pdftoppm from poppler-utils is not installed)"
    out = folder / "pages"
    out.mkdir(parents=True, exist_ok=True)
    for pdf in pdfs:
        if pdf.exists() and not any(out.glob(f"{pdf.stem}-*.png")):
            subprocess.run([exe, "-r", "60", "-png", str(pdf), str(out / pdf.stem)], check=True)
    return f"Page images: {out}"


# The summary is read by whoever runs the demo: stored codes are shown as words (the
# catalogue's English), a code in brackets only where someone would look it up.
def skipped_text(skipped: dict[str, str], policy: Policy) -> str:
    """Institutions without an assignment, each with why in words and the stored reason
    in brackets: ``NBS: the plan's measures do not apply to it (4.1.5.3: …) [excluded:4.1.5.3]``."""
    return "; ".join(
        f"{code}: {skip_label(reason, policy, 'en')} [{reason}]"
        for code, reason in sorted(skipped.items())
    )


def totals_text(totals: dict[str, int]) -> str:
    """A round's totals by state, the states as words."""
    return ", ".join(f"{name_of('state', k, 'en')} {v}" for k, v in totals.items())


def kinds_text(counts: dict[str, int]) -> str:
    """Emails by kind, each kind as words (``“workbook returned for correction” 4``)."""
    return (
        ", ".join(
            f"“{t(f'mail.kind.{k}', 'en')}” {v}"
            if f"mail.kind.{k}" in catalogue("en")
            else f"{k} {v}"
            for k, v in sorted(counts.items())
        )
        or "none"
    )


def _summary(
    reg: ImportReport,
    rnd: RoundReport,
    first: dict[str, int],
    result: dict[str, Any],
    status: dict[str, Any],
    national: dict[str, Any],
    mail: dict[str, int],
) -> None:
    skipped = skipped_text(rnd.skipped, load_policy(rnd.round.policy_version))
    console.print(
        f"Registry: {len(reg.created)} created, {len(reg.updated)} updated, "
        f"{len(reg.unchanged)} unchanged. Round {ROUND}: {len(rnd.assigned)} assigned, "
        f"{len(rnd.skipped)} without assignment ({skipped}).",
        highlight=False,
    )

    def shown(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing new"

    console.print(f"First collection ({COLLECT_DAY}): {shown(first)}", highlight=False)
    console.print(f"Cycle ({ASSESS_DAY}): received {shown(result['received'])}; "
                  f"new plan versions {result['planned']}", highlight=False)  # fmt: skip
    sh = result["shaping"]
    console.print(f"Plans shaped ({SHAPE_DAY}): plan sheets {shown(sh['plan_sheets'])}; "
                  f"new versions sent {sh['replanned']}; heads approved {sh['approved']}; "
                  f"approval reminders {sh['approval_reminders']}", highlight=False)  # fmt: skip
    fu = result["follow_up"]
    console.print(f"Follow-up ({ANSWER_DAY}): status sheets {shown(fu['received'])}; "
                  f"reminders {fu['reminded']}, escalations {fu['escalated']}, "
                  f"re-planned versions sent {fu['replanned']}", highlight=False)  # fmt: skip
    table = Table(title=f"Round {ROUND}", header_style="bold")
    for col in ("institution", "state", "index", "flags"):
        table.add_column(col)
    for row in status["institutions"]:
        index = "" if row["index"] is None else f"{row['index']:.1f}"
        table.add_row(
            f"{row['code']} {row['name']}",
            state_label(row["state"], row["returned_how"], "en"),
            index,
            ", ".join(flag_label(f, "en") for f in row["flags"]),
        )
    console.print(table)
    console.print("Totals: " + totals_text(status["totals"]), highlight=False)
    console.print(f"Emails in the outbox by kind: {kinds_text(mail)}", highlight=False)
    if not national.get("suppressed"):
        needs = ", ".join(
            f"{n['item']} {n['institutions_with_gap']}/{n['institutions_rated']}"
            for n in national["rv6_needs"]
        )
        console.print(f"RV6 needs (institutions with a gap): {needs}", highlight=False)
    console.print(
        "Next: .venv/bin/pvpp scores show --round 2026-K1 --institution VID --explain\n"
        "      .venv/bin/pvpp plan show --round 2026-K1 --institution VID",
        highlight=False,
    )
