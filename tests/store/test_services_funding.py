"""Services and funding through the store: P5.2 measures in built plans, the national
counts of conforming services, the round's funding totals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import col, select

from pvpp.app import App
from pvpp.documents.national_pdf import national_context
from pvpp.documents.render import render_html
from pvpp.funding import SEVERAL, TOTAL
from pvpp.national import aggregates, round_funding_totals, round_service_conformity
from pvpp.planning.library import load_library
from pvpp.planning.planner import LAST_PERIOD
from pvpp.plans import build_plan, context, plan_measures
from pvpp.policy import load_policy
from pvpp.queries import current_answers, round_funding
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.rounds import get_round
from pvpp.services import (
    condition_groups,
    conformity_by_group,
    needing_work,
    read_services,
    total_counts,
)
from pvpp.store.models import AnswerSet, PlanMeasure
from tests.rounds import close, run_round
from tests.store.test_queries import _round_of, counting

TODAY = date(2026, 3, 31)
NBSP = "\xa0"  # Babel's Latvian thousands separator
POLICY = load_policy("pvpp2027-v1")
LIBRARY = load_library("pvpp2027-v1")
CODES = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD")]


def test_built_plans_name_the_services_needing_work(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path, CODES, plans=True)
    seen_groups = 0
    with root.db.unit_of_work() as s:
        for code, _ in CODES:
            ctx = context(s, "2026-K1", code)
            answers = current_answers(s, ctx.assignment)
            assert answers is not None
            services = read_services(POLICY, answers.answers)
            plan, created = build_plan(s, ctx, today=TODAY)
            assert not created  # built by run_round: same inputs, same plan
            rows = plan_measures(s, plan)
            named = {m.item_id: m for m in rows if m.services}
            expected = {
                g: needing_work(services, g)
                for g in condition_groups(POLICY)
                if needing_work(services, g)
            }
            assert {g: m.services for g, m in named.items()} == expected
            days: dict[str, int] = {}
            for r in rows:
                days[r.period] = days.get(r.period, 0) + LIBRARY.effort_days[r.effort]
            # The proposal holds room for P5.2 work by 2027 and never overfills a half-year.
            assert any(m.period != LAST_PERIOD for m in named.values()) or not named
            assert all(d <= 40 for p, d in days.items() if p != LAST_PERIOD)
            for group, m in named.items():
                assert m.measure_id == f"M-{group}-SVC" and m.rv5_measure == "P5.2"
                steps = [r for r in rows if r.item_id == group and not r.services]
                roadmap = [r.due_on for r in steps if r.period != LAST_PERIOD]
                # after the group's steps: in a later half-year, or sharing the roadmap's
                # last one with them, and after them in the plan's order
                assert not roadmap or m.due_on > max(roadmap) or m.period == "2027H2"
                same = [r for r in steps if r.due_on == m.due_on]
                assert all(rows.index(r) < rows.index(m) for r in same)
            seen_groups += len(named)
    # The synthetic round's weak and average institutions have services to fix.
    assert seen_groups > 0


def test_national_counts_of_conforming_services(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path, CODES, plans=True)
    close(root)
    with root.db.unit_of_work() as s:
        every = [conformity_by_group(POLICY, a.answers) for a in s.exec(select(AnswerSet)).all()]
        expected = total_counts(every, condition_groups(POLICY))
        institutions, counts = round_service_conformity(s, "2026-K1")
        view = aggregates(s, "2026-K1")
        doc = national_context(s, "2026-K1", today=TODAY)
        doc_en = national_context(s, "2026-K1", today=TODAY, lang="en")
    assert institutions == len(CODES)  # every synthetic institution lists services
    assert counts == expected
    conformity = view["service_conformity"]
    assert not conformity["suppressed"] and conformity["institutions"] == len(CODES)
    k1 = conformity["groups"]["K1"]
    assert (k1["conforms"], k1["partly"], k1["not"]) == (
        expected["K1"].conforms,
        expected["K1"].partly,
        expected["K1"].not_conforming,
    )
    assert k1["reported"] == expected["K1"].reported > 0
    rows = doc["services"]["rows"]
    assert [r["group"].split()[0] for r in rows] == condition_groups(POLICY)
    assert rows[0]["group"] == "K1 Pārvaldāmība" and doc_en["services"]["rows"][0]["group"] == (
        "K1 Manageability"
    )
    assert rows[0]["share"] == expected["K1"].conforms / expected["K1"].reported * 100


def test_funding_of_too_few_plans_is_withheld_from_publication(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path, CODES)
    with root.db.unit_of_work() as s:
        for code, _ in CODES[:3]:
            build_plan(s, context(s, "2026-K1", code), today=TODAY)
    close(root)
    with root.db.unit_of_work() as s:
        public = aggregates(s, "2026-K1")
        internal = aggregates(s, "2026-K1", publish=False)
        doc = national_context(s, "2026-K1", today=TODAY)
    # Four institutions listed services (three others for any of them); three plans do not.
    assert public["service_conformity"]["institutions"] == 4
    assert not public["service_conformity"]["suppressed"]
    assert public["funding"] == {"plans": 3, "suppressed": True}
    assert doc["funding"]["suppressed"] and doc["funding"]["rows"] == []
    html = render_html("national/report.html.j2", doc)
    assert "Plānu ir mazāk nekā 4: kopsummas netiek publicētas." in html
    assert not internal["funding"]["suppressed"] and internal["funding"]["plans"] == 3


def test_round_funding_totals(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path, CODES, plans=True)
    with root.db.unit_of_work() as s:
        # The teams state the funding already available for some measures (6.5).
        rows = s.exec(select(PlanMeasure).order_by(col(PlanMeasure.id))).all()
        single = next(r for r in rows if r.funding == ["F1"])
        several = next(r for r in rows if len(r.funding) > 1)
        single.funding_eur, single.funding_ref = 15_000, "VPMP2027 6.1."
        several.funding_eur = 40_000
        s.add_all([single, several])
    close(root)
    with root.db.unit_of_work() as s:
        plans, totals = round_funding_totals(s, "2026-K1")
        view = aggregates(s, "2026-K1")
        doc = national_context(s, "2026-K1", today=TODAY)
    assert plans == len(CODES)
    assert totals["F1"].eur == 15_000 and totals["F1"].with_amount == 1
    assert totals[SEVERAL].eur == 40_000
    assert totals[TOTAL].eur == 55_000 and totals[TOTAL].with_amount == 2
    assert totals[TOTAL].measures == len(rows)
    assert view["funding"]["sources"][TOTAL]["eur"] == 55_000
    labels = [r["label"] for r in doc["funding"]["rows"]]
    assert labels[0].startswith("F1 ") and labels[-1] == "Kopā"
    assert "Vairāki avoti (nesadalīts)" in labels
    html = render_html("national/report.html.j2", doc)
    assert "Plānos norādītais jau pieejamais finansējums" in html
    assert "Pakalpojumus norādījušas 4 iestādes." in html
    assert f"55{NBSP}000" in html and "NAP2027, VPMP2027, DTP2027" in html


def test_round_funding_takes_the_same_statements_for_10_or_1000(store: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        _round_of(s, "S", 10)
        _round_of(s, "L", 1000)
    counts = {}
    for code in ("S", "L"):
        with root.db.unit_of_work() as s:
            rnd = get_round(s, code)
            with counting(s) as statements:
                funding = round_funding(s, rnd)
            counts[code] = len(statements)
            assert len(funding) == (2 if code == "S" else 200)
            assert all(len(v) == 2 for v in funding.values())
    assert counts["S"] == counts["L"], counts
