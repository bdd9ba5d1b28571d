"""The round median in a plan PDF is shown only with enough institutions other than the
reader (pvpp.disclosure): with two scored, twice the median minus one's own score would be
the other institution's score."""

from __future__ import annotations

import base64
from pathlib import Path

from pvpp.app import App
from pvpp.disclosure import MIN_OTHERS
from pvpp.documents.plan_pdf import plan_context
from pvpp.i18n import t
from pvpp.questionnaire import QuestionnaireSpec
from tests.rounds import run_round

MEDIAN = t("plan.median", "lv")


def _svg(uri: str) -> str:
    return base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")


def test_two_institutions_do_not_see_each_other_through_the_median(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path, [("VID", "VID"), ("UR", "UR")], plans=True)
    with root.db.unit_of_work() as s:
        ctx = plan_context(s, "2026-K1", "VID", today=root.today())
    for chart in ("radar", "bars"):
        svg = _svg(ctx[chart])
        # No median series: nothing to take VID's own score from.
        assert MEDIAN not in svg and "#7F7F7F" not in svg.upper()
    assert ctx["median_note"] == t("plan.median_withheld", "lv", n=MIN_OTHERS)


def test_the_median_is_shown_with_enough_other_institutions(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    codes = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD")]
    run_round(root, spec, tmp_path, codes, plans=True)
    with root.db.unit_of_work() as s:
        four = plan_context(s, "2026-K1", "VID", today=root.today())
    for chart in ("radar", "bars"):
        assert MEDIAN in _svg(four[chart])
    assert four["median_note"] is None
