"""The services of an answer set and their conformity per condition group."""

from __future__ import annotations

from typing import Any

import pytest

from pvpp.policy import load_policy
from pvpp.questionnaire import load_questionnaire
from pvpp.services import (
    Conformity,
    ConformityCount,
    condition_groups,
    conformity_by_group,
    count_conformity,
    needing_work,
    read_services,
    total_counts,
)

POLICY = load_policy("pvpp2027-v1")
GROUPS = [f"K{n}" for n in range(1, 11)]


def services_answers() -> dict[str, Any]:
    """Three named services, one unnamed row with a stray value, one row left partly empty."""
    answers: dict[str, Any] = {"Q_K1_D1": 2}
    for row, name, kind, values in (
        (1, "Atļaujas izsniegšana", "ST1", {"K1": "yes", "K3": "no", "K5": "partly"}),
        (2, "  Sūdzību izskatīšana ", "ST1", {"K1": "partly", "K3": "no", "K5": "na"}),
        (4, "Datu apmaiņa ar citām iestādēm", "ST3", {"K1": "yes", "K3": "yes"}),
    ):
        answers[f"SVC{row:02d}_NAME"] = name
        answers[f"SVC{row:02d}_TYPE"] = kind
        for group in GROUPS:
            answers[f"SVC{row:02d}_{group}"] = values.get(group, "yes")
    del answers["SVC04_K5"]  # unanswered: the checker lists it, the set is incomplete
    answers["SVC04_CATALOGUE"] = "1234"
    answers["SVC03_K2"] = "no"  # a row without a name is not a service
    return answers


def test_the_vocabulary_is_the_questionnaires() -> None:
    spec = load_questionnaire("pvpp2027-q1")
    assert {o.code for o in spec.questionnaire.conformity} == {c.value for c in Conformity}
    assert condition_groups(POLICY) == GROUPS == spec.condition_groups


def test_read_services_in_sheet_order() -> None:
    services = read_services(POLICY, services_answers())
    assert [(s.row, s.name, s.type) for s in services] == [
        (1, "Atļaujas izsniegšana", "ST1"),
        (2, "Sūdzību izskatīšana", "ST1"),
        (4, "Datu apmaiņa ar citām iestādēm", "ST3"),
    ]
    assert services[2].catalogue == "1234" and services[0].catalogue is None
    assert services[0].conformity["K3"] is Conformity.NO
    assert services[2].conformity["K5"] is None
    assert set(services[0].conformity) == set(GROUPS)


def test_counts_per_group() -> None:
    counts = conformity_by_group(POLICY, services_answers())
    assert list(counts) == GROUPS
    assert counts["K1"] == ConformityCount("K1", conforms=2, partly=1)
    assert counts["K3"] == ConformityCount("K3", conforms=1, not_conforming=2)
    k5 = counts["K5"]
    assert (k5.conforms, k5.partly, k5.not_applicable, k5.unanswered) == (0, 1, 1, 1)
    assert k5.reported == 1 and k5.services == 3 and k5.share == 0.0
    assert counts["K1"].share == pytest.approx(2 / 3)
    assert counts["K2"].conforms == 3 and counts["K2"].share == 1.0


def test_no_services_counts_zero_and_has_no_share() -> None:
    counts = conformity_by_group(POLICY, {"Q_K1_D1": 2, "SVC01_NAME": "  "})
    assert all(c.services == 0 and c.share is None for c in counts.values())
    assert read_services(POLICY, {}) == []


def test_names_of_services_needing_work() -> None:
    services = read_services(POLICY, services_answers())
    assert needing_work(services, "K3") == ["Atļaujas izsniegšana", "Sūdzību izskatīšana"]
    assert needing_work(services, "K1") == ["Sūdzību izskatīšana"]
    assert needing_work(services, "K5") == ["Atļaujas izsniegšana"]  # n/a and empty: no
    assert needing_work(services, "K2") == []
    twice = services + services
    assert needing_work(twice, "K3") == ["Atļaujas izsniegšana", "Sūdzību izskatīšana"]


def test_totals_over_institutions() -> None:
    one = conformity_by_group(POLICY, services_answers())
    other = count_conformity(read_services(POLICY, services_answers())[:1], GROUPS)
    total = total_counts([one, other], GROUPS)
    assert total["K3"] == ConformityCount("K3", conforms=1, not_conforming=3)
    assert total["K1"].conforms == 3
    with pytest.raises(ValueError):
        _ = one["K1"] + one["K2"]


def test_service_conformity_does_not_enter_the_scores() -> None:
    from pvpp.scoring import score_answers

    degrees = {f"Q_K{n}_{d}": 2 for n in range(1, 11) for d in ("D1", "D2", "D3", "D4")}
    with_services = degrees | services_answers()
    all_no = degrees | {k: "no" for k in services_answers() if k[6:] in GROUPS}
    plain = score_answers(POLICY, degrees)
    assert score_answers(POLICY, with_services).items == plain.items
    assert score_answers(POLICY, all_no).items == plain.items


def test_a_title_names_its_services_in_either_language() -> None:
    from pvpp.services import with_services

    title = "Padarīt nosauktos pakalpojumus piekļūstamus"
    assert with_services(title, ["A", "B"], "lv") == f"{title}: A; B"
    assert with_services("Make them accessible", ("A",), "en") == "Make them accessible: A"
    assert with_services(title, [], "lv") == title
