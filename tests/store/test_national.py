"""National aggregates: RV6/RV7 needs from gaps, and what the disclosure rule withholds from
publication (an open round, too few institutions)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.disclosure import published_minimum
from pvpp.national import aggregates, round_status
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.rounds import close_round
from pvpp.submissions import ingest_paths
from tests.rounds import run_round


def _round_with(
    root: App, spec: QuestionnaireSpec, tmp_path: Path, codes: list[tuple[str, str]]
) -> None:
    run_round(root, spec, tmp_path, codes, round_code="R")


def _close(root: App) -> None:
    with root.db.unit_of_work() as s:
        close_round(s, "R", today=date(2026, 4, 1), actor="test")


def test_small_rounds_are_withheld_from_publication(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    _round_with(root, spec, tmp_path, [("VID", "VID"), ("UR", "UR")])
    with root.db.unit_of_work() as s:
        open_ = aggregates(s, "R")
    assert open_["suppressed"] and open_["withheld"] == "open" and open_["closed_on"] is None
    _close(root)
    with root.db.unit_of_work() as s:
        public = aggregates(s, "R")
        internal = aggregates(s, "R", publish=False)
    assert public["suppressed"] and public["withheld"] == "few"
    assert "degree_distribution" not in public
    assert public["institutions_scored"] == 2 < published_minimum()
    assert not internal["suppressed"]
    assert set(internal["institutions_by_condition_group"]) == {"VID", "UR"}


def test_needs_and_distributions(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    codes = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD"), ("FM", "FM")]
    _round_with(root, spec, tmp_path, codes)
    _close(root)
    with root.db.unit_of_work() as s:
        view = aggregates(s, "R")
        status = round_status(s, "R")
    assert view["institutions_scored"] == 5
    assert sum(view["degree_distribution"]["K1"].values()) == 5
    assert [n["item"] for n in view["rv7_needs"]] and {n["item"] for n in view["rv6_needs"]} == {
        "K5",
        "K7",
        "K8",
        "R2",
    }
    for need in view["rv6_needs"] + view["rv7_needs"]:
        assert (
            need["institutions_rated"] <= 5
            and need["institutions_with_gap"] <= need["institutions_rated"]
        )
    # Published: no named institutions; all five are of table-1 group IG1, so it is shown.
    assert "institutions_by_condition_group" not in view
    assert view["index_by_group"]["IG1"]["institutions"] == 5 >= published_minimum()
    assert view["index_by_group"]["IG1"]["median_index"] is not None
    assert status["totals"]["accepted"] == 5


def test_round_medians_are_computed_once_until_answers_change(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: App
) -> None:
    """Rendering N plans must not score the whole round N times."""
    from pvpp import national

    run_round(root, spec, tmp_path, [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD")])
    calls = []
    real = national.round_scores
    monkeypatch.setattr(
        national, "round_scores", lambda s, c, a=None: calls.append(c) or real(s, c, a)
    )
    national._medians.clear()
    with root.db.unit_of_work() as s:
        first = national.round_medians(s, "2026-K1")
        assert national.round_medians(s, "2026-K1") == first and len(calls) == 1
        everyone = real(s, "2026-K1")
    c1 = sorted(r.components["C1"].score for r in everyone.values())
    assert len(c1) == 3 and first[0]["C1"] == (c1[1], frozenset(everyone))
    # A new answer set (here: a fourth institution's workbook) changes the medians' key.
    more = filled_workbooks(
        spec, [("LAD", "LAD")], round_code="2026-K1", key=root.settings.signing_key()
    )
    (tmp_path / "LAD.xlsx").write_bytes(more["LAD"])
    ingest_paths([tmp_path / "LAD.xlsx"], settings=root.settings, db=root.db)
    with root.db.unit_of_work() as s:
        national.round_medians(s, "2026-K1")
    assert len(calls) == 2


def test_a_closed_round_fixes_what_medians_and_publications_count(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    """After closing, a late workbook changes the internal view, never the medians a plan
    shows or the published figures; the round closes after its due date, once."""
    from pvpp import national
    from pvpp.errors import PvppError

    codes = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD")]
    _round_with(root, spec, tmp_path, codes)
    with root.db.unit_of_work() as s, pytest.raises(PvppError, match="until 2026-03-31"):
        close_round(s, "R", today=date(2026, 3, 31))
    _close(root)
    with root.db.unit_of_work() as s:
        medians = national.round_medians(s, "R")
        published = aggregates(s, "R")
        again = close_round(s, "R", today=date(2026, 5, 1))
    assert again.closed_on == date(2026, 4, 1) and len(again.answer_sets) == 4
    late = filled_workbooks(spec, [("FM", "FM")], round_code="R", key=root.settings.signing_key())
    (tmp_path / "FM.xlsx").write_bytes(late["FM"])
    ingest_paths([tmp_path / "FM.xlsx"], settings=root.settings, db=root.db)
    with root.db.unit_of_work() as s:
        assert national.round_medians(s, "R") == medians
        assert aggregates(s, "R") == published
        assert aggregates(s, "R", publish=False)["institutions_scored"] == 5
        # FM, not in the closure, sees the median of four others; VID sees three others.
        comps, _ = national.medians_for(s, "R", "FM")
        assert all(v is not None for v in comps.values())
    assert published["closed_on"] == "2026-04-01" and published["institutions_scored"] == 4


def test_how_often_each_question_is_unclear() -> None:
    """Per question, in field order: how many answered "Jautājums nav saprotams", of how
    many answered it; a row over too few answering institutions is withheld when the
    view is published (``shown``), as the degree distribution's are."""
    from types import SimpleNamespace

    from pvpp.disclosure import enough
    from pvpp.national import unclear_questions

    rnd = SimpleNamespace(questionnaire_version="pvpp2027-q1")
    answers = [
        {"Q_1_1_D1": "unclear", "Q_1_1_D2": 2},
        {"Q_1_1_D1": "unclear", "Q_1_1_D2": "unknown"},
        {"Q_1_1_D1": 3},
        {"Q_1_1_D1": "unclear"},
    ]
    pop = SimpleNamespace(
        answer_sets={i: SimpleNamespace(answers=a) for i, a in enumerate(answers)}
    )
    internal = unclear_questions(rnd, pop, lambda n: True)  # type: ignore[arg-type]
    by_field = {q["field"]: q for q in internal}
    assert internal[0]["field"] == "Q_1_1_D1"
    assert (by_field["Q_1_1_D1"]["unclear"], by_field["Q_1_1_D1"]["answered"]) == (3, 4)
    assert (by_field["Q_1_1_D2"]["unclear"], by_field["Q_1_1_D2"]["answered"]) == (0, 2)
    assert by_field["Q_K1_D1"]["answered"] == 0 and not by_field["Q_K1_D1"]["withheld"]
    published = {q["field"]: q for q in unclear_questions(rnd, pop, enough)}  # type: ignore[arg-type]
    assert published["Q_1_1_D1"]["unclear"] == 3 and not published["Q_1_1_D1"]["withheld"]
    assert published["Q_1_1_D2"]["unclear"] is None and published["Q_1_1_D2"]["withheld"]


def test_an_unclear_question_asked_in_parts_names_its_part() -> None:
    """On version 2 a dimension asked in several questions has a row per question, each
    naming its part, so the ministry can tell which question teams did not understand."""
    from types import SimpleNamespace

    from pvpp.national import unclear_questions

    rnd = SimpleNamespace(questionnaire_version="pvpp2027-q2")
    pop = SimpleNamespace(answer_sets={0: SimpleNamespace(answers={"Q_K2_D3_2": "unclear"})})
    rows = {q["field"]: q for q in unclear_questions(rnd, pop, lambda n: True)}  # type: ignore[arg-type]
    assert rows["Q_K2_D3"]["dimension"] == "D3 (1/2)"
    assert rows["Q_K2_D3_2"]["dimension"] == "D3 (2/2)" and rows["Q_K2_D3_2"]["unclear"] == 1
    assert rows["Q_1_1_D1"]["dimension"] == "D1"
