"""The documents' counted sentences, rendered from their templates with chosen counts:
each number agrees with the words around it in Latvian and English."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

import pytest

from pvpp.documents.render import render_html
from pvpp.i18n import t


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def plan_page(lang: str, *, by_2027: int, later: int, days: int, head: int, funding: int) -> str:
    """The head's plan with the counts given; the summary's decisions are worded as
    :func:`pvpp.documents.plan_pdf.plan_context` words them."""
    when = "31.12.2026"
    decisions = [
        {"text": t("plan.decide_head", lang, n=head), "when": when},
        {"text": t("plan.decide_capacity", lang, n=days), "when": when},
        {"text": t("plan.decide_funding", lang, n=funding), "when": when},
    ]
    measure = {
        "title": "Pasākums", "origin": "", "done": False, "dropped": False,
        "dropped_reason": "", "services": "", "item": "1.1 Vienota terminoloģija",
        "step": "D1 Atbildīgie 0→1", "role": "Vadītājs", "effort": 5,
        "funding": ["F1 iestādes budžets"], "funding_eur": "",
    }  # fmt: skip
    context: dict[str, Any] = {
        "lang": lang,
        "institution": {"code": "VID", "name": "Valsts ieņēmumu dienests", "head": "A. Liepa"},
        "round": {"code": "2026-K1", "due": date(2026, 3, 31)},
        "plan": {"version": 1, "status": "draft"},
        "today": date(2026, 4, 2),
        "index": 49.1,
        "strongest": [],
        "weakest": [],
        "decisions": decisions,
        "approved": None,
        "asks": {
            "by_2027": by_2027,
            "later": later,
            "effort_days": days,
            "funding": t("plan.not_stated", lang),
        },
        "next_check": date(2026, 9, 30),
        "legend": [],
        "radar": "data:,",
        "bars": "data:,",
        "median_shown": True,
        "median_note": None,
        "components": [],
        "dimensions": ["D1", "D2", "D3", "D4"],
        "until_2027": [
            {
                "name": "2026H2",
                "due": date(2026, 12, 31),
                "count": by_2027,
                "days": days,
                "measures": [measure],
            },
        ],
        "after_2027": {
            "rows": [
                {
                    "item": "1.1 Vienota terminoloģija",
                    "steps": later,
                    "days": days,
                    "now": 1.0,
                    "by_2027": 1.5,
                    "end": 3.0,
                    "target": 3,
                },
            ],
            "steps": later,
            "days": days,
            "intro": t(
                "plan.after_intro",
                lang,
                steps=t("plan.steps", lang, n=later),
                effort=t("plan.person_days", lang, n=days),
            ),
        },
        "funding": {"sources": [], "total": {"by_2027": 0, "count": 0, "amount": "—"}, "refs": []},
        "condition_groups": [],
        "groups_legend": [],
        "services": [],
        "team": [],
        "method": [],
        "designed": [],
        "warnings": [],
    }
    return text_of(render_html("plan/plan.html.j2", context))


def national_page(lang: str, *, institutions: int, measures: int, assigned: int) -> str:
    context: dict[str, Any] = {
        "lang": lang,
        "round": {"code": "2026-K1", "opens": None, "due": None, "policy": "pvpp2027-v1"},
        "today": date(2026, 10, 1),
        "internal": False,
        "min_group": 5,
        "rates": {
            "assigned": assigned,
            "without": 0,
            "submitted": 1,
            "accepted": 1,
            "response": 100.0,
            "acceptance": 100.0,
        },
        "scored": 1,
        "suppressed": True,
        "not_closed": False,
        "closed_on": "2026-04-01",
        "degrees": [0, 1, 2, 3, 4],
        "distribution": [],
        "condition_groups": [],
        "heat_rows": [],
        "named_rows": [],
        "gaps": [],
        "rv6": [],
        "rv7": [],
        "overdue": [],
        "overdue_institutions": institutions,
        "overdue_total": measures,
        "overdue_withheld": False,
        "trend": None,
    }
    return text_of(render_html("national/report.html.j2", context))


def test_the_plan_summary_agrees_with_one_of_everything() -> None:
    text = plan_page("lv", by_2027=1, later=1, days=1, head=1, funding=1)
    assert "1 pasākums līdz 2027. gada beigām" in text
    assert "aptuveni 1 cilvēkdiena iestādes darba" in text
    assert "Īstenot 1 pasākumu, par kuru atbild iestādes vadītājs" in text
    assert "Atvēlēt komandai aptuveni 1 cilvēkdienu darba" in text
    assert "Izlemt par papildu finansējumu 1 pasākumam" in text
    assert "termiņš 31.12.2026 · 1 pasākums ·" in text
    assert "2028.–2031. gadā: 1 solis, aptuveni 1 cilvēkdiena iestādes darba" in text
    assert "1 pasākumi" not in text and "1 cilvēkdienas" not in text


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (
            21,
            ["21 pasākums līdz", "aptuveni 21 cilvēkdiena ", "Īstenot 21 pasākumu, par kuru",
             "aptuveni 21 cilvēkdienu darba", "finansējumu 21 pasākumam", "· 21 pasākums ·",
             "gadā: 21 solis, aptuveni 21 cilvēkdiena "],
        ),
        (
            10,
            ["10 pasākumu līdz", "aptuveni 10 cilvēkdienu ", "Īstenot 10 pasākumus, par kuriem",
             "aptuveni 10 cilvēkdienu darba", "finansējumu 10 pasākumiem", "· 10 pasākumu ·",
             "gadā: 10 soļu, aptuveni 10 cilvēkdienu "],
        ),
        (
            3,
            ["3 pasākumi līdz", "aptuveni 3 cilvēkdienas ", "Īstenot 3 pasākumus, par kuriem",
             "aptuveni 3 cilvēkdienas darba", "finansējumu 3 pasākumiem", "· 3 pasākumi ·",
             "gadā: 3 soļi, aptuveni 3 cilvēkdienas "],
        ),
    ],
)  # fmt: skip
def test_the_plan_summary_agrees_with_other_counts(n: int, expected: list[str]) -> None:
    text = plan_page("lv", by_2027=n, later=n, days=n, head=n, funding=n)
    for words in expected:
        assert words in text, words


def test_the_plan_summary_in_english() -> None:
    text = plan_page("en", by_2027=1, later=3, days=1, head=2, funding=1)
    assert "1 measure by the end of 2027, a further 3 in 2028–2031" in text
    assert "about 1 person-day of the institution's work" in text
    assert "Carry out 2 measures the head of institution is responsible for" in text
    assert "Decide on additional funding for 1 measure " in text
    assert "In 2028–2031: 3 steps, about 1 person-day of the institution's work" in text


def test_the_national_report_agrees_with_its_counts() -> None:
    text = national_page("lv", institutions=1, measures=21, assigned=1)
    assert "1 iestādei ir 21 pasākums, kura termiņš ir pagājis" in text
    assert "1 iestādēm" not in text and "21 pasākumi" not in text
    assert "1 iestāde novērtēšanas ciklā" in text
    text = national_page("lv", institutions=2, measures=10, assigned=42)
    assert "2 iestādēm ir 10 pasākumu, kuru termiņš ir pagājis" in text
    assert "42 iestādes novērtēšanas ciklā" in text
    assert "Novērtētas mazāk nekā 5 iestādes: apkopojumi netiek publicēti." in text
    assert "skaitļi, kas aprēķināti no mazāk nekā 5 iestādēm, netiek rādīti" in text


def test_the_national_report_in_english() -> None:
    text = national_page("en", institutions=1, measures=2, assigned=1)
    assert "1 institution has 2 measures past their due date" in text
    assert "1 institution in the round" in text
