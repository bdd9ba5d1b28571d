"""The cycle flow runs a round end to end under Prefect, and a second run repeats nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import SQLModel, func, select

from flows.demo.synthetic import filled_workbooks
from flows.root import using
from pvpp.app import App
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import OutboxMessage
from pvpp.workbook.fill import fill_workbook
from tests.rounds import run_round

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect")]


def counts(root: App) -> dict[str, int]:
    with root.db.unit_of_work() as s:
        return {
            name: s.exec(select(func.count()).select_from(table)).one()
            for name, table in SQLModel.metadata.tables.items()
            if name != "auditlog"
        }


def test_cycle_runs_a_round_and_a_rerun_repeats_nothing(
    prefect: None,
    spec: QuestionnaireSpec,
    tmp_path: Path,
    root: App,
) -> None:
    root.settings.mail_folder = tmp_path / "mail"
    root.settings.workers = 2  # through the process pools, as in production
    root.db.upgrade()
    # The round exists with no workbooks in yet: run_round with no institutions ingests nothing.
    run_round(root, spec, tmp_path / "none", [])
    drop = tmp_path / "drop"
    drop.mkdir()
    codes = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD")]
    books = filled_workbooks(spec, codes, round_code="2026-K1", key=root.settings.signing_key())
    books["UR"] = fill_workbook(books["UR"], {"Q_K1_D1": "septiņi"})
    for code, data in books.items():
        (drop / f"{code}.xlsx").write_bytes(data)

    from flows.cycle import cycle

    with using(root):
        first = cycle("2026-K1", str(drop), date(2026, 4, 1))
    assert first["invited"] == 37
    assert first["received"] == {"accepted": 2, "rejected": 1}
    assert first["planned"] == 2
    assert Path(str(first["report"])).exists()
    with root.db.unit_of_work() as s:
        kinds = sorted(m.kind for m in s.exec(select(OutboxMessage)).all())
        states = {m.state for m in s.exec(select(OutboxMessage)).all()}
    assert (
        kinds.count("invitation") == 37
        and kinds.count("plan") == 2
        and kinds.count("returned") == 1
    )
    assert states == {"sent"}
    eml = list((tmp_path / "mail").glob("*.eml"))
    assert len(eml) == len(kinds)
    before = counts(root)

    with using(root):
        second = cycle("2026-K1", str(drop), date(2026, 4, 1))
    assert second["invited"] == 0 and second["planned"] == 0
    assert second["received"] == {"duplicate": 3}
    assert counts(root) == before
    assert len(list((tmp_path / "mail").glob("*.eml"))) == len(eml)
