"""A small round in the store for the export tests, with hostile text in one workbook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from flows.demo.synthetic import filled_workbooks, synthetic_answers
from pvpp.app import App
from pvpp.planning.library import load_library
from pvpp.plans import adjust_plan, build_plan, context, latest_plan, plan_measures
from pvpp.policy import load_policy
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.registry import import_registry
from pvpp.rounds import create_round
from pvpp.store.models import Institution
from pvpp.submissions import ingest_paths
from pvpp.workbook.build import build_workbook
from pvpp.workbook.fill import cell_values, fill_workbook

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROUND = "2026-K1"
# Three of table-1 group IG1 and one of IG2: publication shows IG1 and withholds IG2.
OTHERS = [
    ("UR", "Latvijas Republikas Uzņēmumu reģistrs"),
    ("VZD", "Valsts zemes dienests"),
    ("RIGA", "Rīgas valstspilsētas pašvaldība"),
]
HOSTILE_FIELDS = {
    "EVIDENCE_K1": '=HYPERLINK("http://x","y")',
    "COMMENT_K2": "+1+1",
    "SVC01_NAME": "-2+3",
    "COMMENT_1_1": "@SUM(A1)",
    "EVIDENCE_K3": "\t=1",
    "SVC02_CATALOGUE": "=cmd|' /C calc'!A0",
    "NAREASON_S3": "=1+1 funkcija nodota citai iestādei",
}
HOSTILE_INSTITUTION_NAME = '=HYPERLINK("http://evil.example","Uzņēmumu reģistrs")'
HOSTILE_DROP_REASON = "-1+1 budžets 2027. gadā"


@dataclass
class Fixture:
    """What the tests need to know about the round they export."""

    round: str
    codes: list[str]
    # Stored text of each hostile field (the workbook checker trims surrounding blanks).
    hostile: dict[str, str]
    dropped_measure: str


@pytest.fixture
def exported_round(store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App) -> Fixture:
    """Round 2026-K1 with VID (hostile texts, non-scoring answers), UR, VZD and RIGA ingested,
    a plan built for each, VID's plan adjusted with a hostile reason, UR's name hostile."""
    key = root.settings.signing_key()
    codes = ["VID", *[c for c, _ in OTHERS]]
    with root.db.unit_of_work() as s:
        import_registry(
            s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"), settings=root.settings
        )
        create_round(
            s,
            code=ROUND,
            opens_on=date(2026, 1, 15),
            due_on=date(2026, 3, 31),
            institutions=codes,
            questionnaire_version=spec.id,
        )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for code, data in filled_workbooks(spec, OTHERS, round_code=ROUND, key=key).items():
        (inbox / f"{code}.xlsx").write_bytes(data)

    answers = synthetic_answers(spec, "average", seed=11)
    answers["Q_K3_D3"] = "unknown"
    for dim in ("D1", "D2", "D3", "D4"):
        answers[f"Q_S3_{dim}"] = "not_applicable"
    answers.pop("TARGET_S3", None)
    answers.update(HOSTILE_FIELDS)
    answers.setdefault("SVC02_NAME", "Atļaujas izsniegšana (2)")
    blank = build_workbook(
        spec,
        institution_code="VID",
        institution_name="Valsts ieņēmumu dienests",
        round_code=ROUND,
        lang="lv",
        key=key,
    )
    (inbox / "VID.xlsx").write_bytes(fill_workbook(blank, cell_values(spec, answers, "lv")))
    rows = ingest_paths([inbox], settings=root.settings, db=root.db)
    assert [r.outcome.value for r in rows] == ["accepted"] * 4, rows

    with root.db.unit_of_work() as s:
        for code in codes:
            build_plan(s, context(s, ROUND, code), today=date(2026, 3, 31))
    with root.db.unit_of_work() as s:
        ctx = context(s, ROUND, "VID")
        plan = latest_plan(s, ctx.assignment)
        assert plan is not None
        library = load_library("pvpp2027-v1")
        dropped = next(
            m.measure_id
            for m in reversed(plan_measures(s, plan))
            if m.to_degree == 4 and library.by_id[m.measure_id]
        )
        adjust_plan(s, ctx, drop={dropped: HOSTILE_DROP_REASON})
        ur = s.exec(select(Institution).where(Institution.code == "UR")).one()
        ur.name = HOSTILE_INSTITUTION_NAME
        s.add(ur)
    hostile = {k: v.strip() for k, v in HOSTILE_FIELDS.items()}
    hostile["institution_name"] = HOSTILE_INSTITUTION_NAME
    hostile["dropped_reason"] = HOSTILE_DROP_REASON
    return Fixture(ROUND, sorted(codes), hostile, dropped)
