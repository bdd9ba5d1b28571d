"""The questionnaire online on version 2, where a dimension may be asked in several
questions (parts): one radio group per part inside the dimension's own group, autosave and
the Save button for part fields, progress counting parts, and a submission whose dimension
is at its lowest part.

A and B were assessed in round 2026-K1 on version 1 (tests/web/conftest.py); round 2026-K2
is on version 2, the default of new rounds. A's draft starts from its K1 answers, which
answer each dimension's first part (the field id version 1 used) but not the new parts."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlmodel import select

from flows.demo.synthetic import filled_workbooks
from pvpp.plans import context, scores_for
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import AnswerSet, Assignment
from pvpp.submissions import ingest_bytes
from pvpp.workbook.check import check_workbook
from tests.web.conftest import (
    K2,
    NAMES,
    A,
    B,
    World,
    assignment_id,
    built_world,
    client_of,
    open_second_round,
)
from tests.web.qforms import post_page
from tests.web.test_questionnaire import _submit, autosave, draft_rows

# The parts of component 1 in version 2: 1.1 D3, 1.2 D3, 1.3 D2 and D3, 1.4 D3 and D4.
C1_PARTS = ["Q_1_1_D3_2", "Q_1_2_D3_2", "Q_1_3_D2_2", "Q_1_3_D3_2", "Q_1_4_D3_2", "Q_1_4_D4_2"]


@pytest.fixture
def q2world(tmp_path: Path, spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec) -> Iterator[World]:
    """The web tests' world (K1 on version 1) with round 2026-K2 on version 2."""
    with built_world(tmp_path, spec) as w:
        yield open_second_round(w, spec_q2.id)


class _Groups(HTMLParser):
    """Each radio group's field id → the legends of the fieldsets around it, outermost
    first."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[list[str]] = []  # per open fieldset: its legend's text so far
        self.in_legend = False
        self.groups: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "fieldset":
            self.stack.append([])
        elif tag == "legend":
            self.in_legend = True
        elif tag == "input" and a.get("type") == "radio" and a.get("name"):
            legends = [" ".join("".join(parts).split()) for parts in self.stack]
            self.groups.setdefault(a["name"] or "", legends)

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset":
            self.stack.pop()
        elif tag == "legend":
            self.in_legend = False

    def handle_data(self, data: str) -> None:
        if self.in_legend and self.stack:
            self.stack[-1].append(data)


def groups_of(html: str) -> dict[str, list[str]]:
    parser = _Groups()
    parser.feed(html)
    return parser.groups


def test_a_dimension_in_parts_is_one_group_of_radio_groups(
    q2world: World, spec_q2: QuestionnaireSpec
) -> None:
    client = client_of(q2world, "team")
    aid = assignment_id(q2world, A)
    page = client.get(f"/questionnaire/{aid}/C1").text
    groups = groups_of(page)
    texts = spec_q2.questionnaire.items["1.1"].parts("D3")
    # Each part is its own radio group, inside the dimension's group, whose legend names
    # the dimension; each part's legend says which question of how many it is.
    assert groups["Q_1_1_D3"] == [
        "1.1.D3 Atbilstība vajadzībām",
        f"1.1.D3 (1. jautājums no 2): {texts[0].lv}",
    ]
    assert groups["Q_1_1_D3_2"] == [
        "1.1.D3 Atbilstība vajadzībām",
        f"1.1.D3 (2. jautājums no 2): {texts[1].lv}",
    ]
    # A dimension asked once: one group, named in its own legend.
    assert len(groups["Q_1_1_D1"]) == 1 and groups["Q_1_1_D1"][0].startswith("1.1.D1 ")
    # Every field of the page is a radio group of its own.
    assert {f.id for f in spec_q2.degree_fields if f.component_id == "C1"} <= set(groups)
    # How the parts combine is said in the dimension's group, and read with it.
    assert 'aria-describedby="ph-1.1-D3"' in page
    assert "Par šo dimensiju ir vairāki jautājumi: atbildiet uz katru." in page
    assert 'id="f-Q_1_1_D3_2"' in page and 'hx-post="/questionnaire/' in page
    english = groups_of(client.get(f"/questionnaire/{aid}/C1?lang=en").text)
    assert english["Q_1_1_D3_2"][1].startswith("1.1.D3 (question 2 of 2): ")


def test_parts_are_counted_autosaved_and_saved_with_the_page(q2world: World) -> None:
    client = client_of(q2world, "team")
    aid = assignment_id(q2world, A)
    # From K1 (version 1): every dimension's first part, none of the new parts.
    overview = client.get(f"/questionnaire/{aid}").text
    assert "Atbildēts: 16 no 22" in overview
    status, fragment = autosave(client, aid, "Q_1_1_D3_2", "2")
    assert status == 200
    assert '<fieldset class="field degree" id="f-Q_1_1_D3_2"' in fragment
    assert 'id="Q_1_1_D3_2-2" value="2" checked' in fragment
    assert "(2. jautājums no 2)" in fragment
    assert 'id="progress-C1" hx-swap-oob="true">Atbildēts: 17 no 22' in fragment
    assert [r.value for r in draft_rows(q2world, aid, "Q_1_1_D3_2")] == ["2"]
    # An unanswered part is listed by its dimension and part.
    status, body = _submit(client_of(q2world, "lead"), aid)
    assert status == 400
    assert f'href="/questionnaire/{aid}/C1#f-Q_1_2_D3_2"' in body
    assert "D3 Atbilstība vajadzībām, 2. jautājums no 2" in body
    # The Save button (no JavaScript) saves the other parts with the page.
    url = f"/questionnaire/{aid}/C1"
    status, location = post_page(client, url, {fid: "1" for fid in C1_PARTS[1:]})
    assert status == 303 and location == f"{url}?saved=1"
    for fid in C1_PARTS[1:]:
        assert [r.value for r in draft_rows(q2world, aid, fid)] == ["1"], fid
    assert draft_rows(q2world, aid, "Q_1_1_D3_2")[-1].value == "2"  # untouched: kept
    assert "Atbildēts: 22 no 22" in client.get(f"/questionnaire/{aid}").text


def test_a_submission_puts_each_dimension_at_its_lowest_part(
    q2world: World, spec_q2: QuestionnaireSpec
) -> None:
    """A's answers typed online equal what B's version 2 workbook with the same answers
    gives through the intake; with 1.1 D3's parts at 3 and 1, the dimension scores 1."""
    root = q2world.root
    books = filled_workbooks(spec_q2, [(B, NAMES[B])], round_code=K2,
                             key=root.settings.signing_key(), seed=7)  # fmt: skip
    with root.db.unit_of_work() as s:
        row = ingest_bytes(s, books[B], filename="LAD.xlsx", source="test", settings=root.settings)
    assert row.outcome == "accepted"
    expected = check_workbook(books[B], settings=root.settings).answers
    typed = {fid: str(value) for fid, value in expected.items()}
    typed |= {"Q_1_1_D3": "3", "Q_1_1_D3_2": "1"}
    lead = client_of(q2world, "lead")
    aid = assignment_id(q2world, A)
    for page in ("C1", "C2", "C3", "C4"):
        fields = [f.id for f in spec_q2.fields if f.component_id == page]
        status, _ = post_page(lead, f"/questionnaire/{aid}/{page}",
                              {fid: typed.get(fid, "") for fid in fields})  # fmt: skip
        assert status == 303
    services = [f.id for f in spec_q2.fields if f.service_row is not None]
    status, _ = post_page(lead, f"/questionnaire/{aid}/services",
                          {fid: typed.get(fid, "") for fid in services}, rows="30")  # fmt: skip
    assert status == 303
    status, body = _submit(lead, aid)
    assert status == 303, body
    with root.db.reading() as s:
        a_set = s.exec(select(AnswerSet).where(AnswerSet.assignment_id == aid)).one()
        assert a_set.answers["Q_1_1_D3"] == 3 and a_set.answers["Q_1_1_D3_2"] == 1
        assert {k: v for k, v in a_set.answers.items() if not k.startswith("Q_1_1_D3")} == {
            k: v for k, v in expected.items() if not k.startswith("Q_1_1_D3")
        }
        assignment = s.get(Assignment, aid)
        assert assignment is not None and assignment.state == "accepted"
        result, _ = scores_for(s, context(s, K2, A))
    assert result.items["1.1"].degrees["D3"] == 1
