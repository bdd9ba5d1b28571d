"""The demo's summary shows stored codes as words: no ``excluded:4.1.5.3``, ``no_role``,
``plan_sent`` or ``returned`` alone (the code only in brackets, where one looks it up)."""

from __future__ import annotations

from flows.demo.scenario import kinds_text, skipped_text, totals_text
from pvpp.policy import load_policy


def test_institutions_without_an_assignment_are_told_why_in_words() -> None:
    text = skipped_text({"RPAB": "no_role", "NBS": "excluded:4.1.5.3"}, load_policy("pvpp2027-v1"))
    nbs, rpab = text.split("; ")
    assert nbs.startswith("NBS: the plan's measures do not apply to it (4.1.5.3: ")
    assert nbs.endswith(") [excluded:4.1.5.3]")
    assert rpab == "RPAB: no service-management role in the registry [no_role]"


def test_states_and_email_kinds_are_words() -> None:
    totals = totals_text({"in_follow_up": 35, "plan_sent": 1, "returned": 1, "assigned": 37})
    assert totals == ("in follow-up 35, plan sent 1, returned to the institution 1, assigned 37")
    kinds = kinds_text({"returned": 4, "review_returned": 1, "approval_refused": 1})
    assert "“workbook returned for correction” 4" in kinds
    assert "“self-assessment returned for revision” 1" in kinds
    assert "“the head's refusal of the plan” 1" in kinds
    assert "returned 4" not in kinds
    assert kinds_text({}) == "none"
