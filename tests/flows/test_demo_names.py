"""The demo's people have names, not roles in brackets (the plan prints the role itself)."""

from __future__ import annotations

import csv

from flows.demo.scenario import LEAD_NAMES, NAMED_LEADS, lead_name
from tests.rounds import EXAMPLES


def test_every_demo_lead_has_a_real_name_and_is_not_the_head() -> None:
    with (EXAMPLES / "registry.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = {row["code"]: lead_name(row["code"], row["head_name"]) for row in rows}
    for row in rows:
        name = names[row["code"]]
        assert name in LEAD_NAMES, name
        assert "(" not in name and "vadītāj" not in name, name
        assert name != row["head_name"]
    assert len(set(names.values())) > len(LEAD_NAMES) // 2  # not one name for everyone
    assert names["ARM"] == NAMED_LEADS["ARM"]
    # The same institution gets the same lead in every run.
    assert names == {row["code"]: lead_name(row["code"], row["head_name"]) for row in rows}
    # A head with the chosen name gets another one.
    head = lead_name("VID", "")
    assert lead_name("VID", head) != head
