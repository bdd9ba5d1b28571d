"""One bad institution never stops the rest: every per-institution loop records the
failure with the institution's code and reason, rolls back only that institution, and goes
on; the command exits non-zero after finishing the others, and a rerun does the same.

The bad rows are written straight into the store, past the registry import's checks: the
loops must hold even for data that reached the store some other way."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.batch import Batch
from pvpp.cli.main import app as cli
from pvpp.invitations import invite_round
from pvpp.mail.compose import queue_due_reminders
from pvpp.policy import load_policy
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.registry import import_registry
from pvpp.rounds import create_round
from pvpp.store.models import Institution, OutboxMessage
from tests.rounds import EXAMPLES, run_round

runner = CliRunner()
CODES = ["UR", "VID", "VZD"]  # UR first: before the fix it stopped the two after it
BAD = {
    "line separator": "Laura\u2028Strazdiņa",
    "escape": "Laura \x1b]0;pwned\x07Strazdiņa",
    "vertical tab": "Laura\x0bStrazdiņa",
    "600 characters": "L" * 600,
}


def spoil(root: App, code: str, **values: str) -> None:
    """Write ``values`` into an institution's row, bypassing the import's validation."""
    with root.db.unit_of_work() as s:
        inst = s.exec(select(Institution).where(Institution.code == code)).one()
        for name, value in values.items():
            setattr(inst, name, value)
        s.add(inst)


def queued(root: App, kind: str) -> set[str]:
    with root.db.reading() as s:
        return set(
            s.exec(select(OutboxMessage.institution_code).where(OutboxMessage.kind == kind)).all()
        )


@pytest.mark.parametrize("bad", list(BAD.values()), ids=list(BAD))
def test_plan_send_all_goes_on_past_a_bad_head_and_names_it(
    bad: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    root.db.upgrade()
    run_round(root, spec, tmp_path / "books", [(c, c) for c in CODES], plans=True)
    # A 600-character name makes a subject too long; the others break a header line.
    spoil(root, "UR", head_name=bad, name=bad if len(bad) > 500 else "Uzņēmumu reģistrs")
    for _ in range(2):  # the rerun does the same: the others stay sent, UR fails again
        result = runner.invoke(
            cli, ["plan", "send", "--round", "2026-K1", "--all", "--today", "2026-04-01"], obj=root
        )
        assert result.exit_code == 1, result.output
        assert "UR: failed" in result.stdout
        assert "plan email UR:" in result.stderr  # the error names the institution
        assert queued(root, "plan") == {"VID", "VZD"}
    assert "VID: already queued" in result.stdout and "VZD: already queued" in result.stdout
    # Nothing half-written for UR: no plan email, no plan sheet, no approval link.
    assert "UR" not in queued(root, "proposal")


def test_invitations_go_on_past_a_bad_institution(root: App, tmp_path: Path) -> None:
    root.db.upgrade()
    with root.db.unit_of_work() as s:
        import_registry(
            s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"), settings=root.settings
        )
        create_round(s, code="2026-K1", opens_on=date(2026, 1, 15), due_on=date(2026, 3, 31),
                     institutions=CODES, questionnaire_version="pvpp2027-q1")  # fmt: skip
    spoil(root, "UR", name=BAD["escape"], head_name=BAD["line separator"])
    for _ in range(2):
        done = invite_round("2026-K1", tmp_path / "books", settings=root.settings, db=root.db)
        assert [f.item for f in done.failed] == ["UR"]
        assert queued(root, "invitation") == {"VID", "VZD"}
    assert not (tmp_path / "books" / "UR.xlsx").exists()  # nothing filed for it either


def test_reminders_go_on_past_a_bad_institution(root: App, tmp_path: Path) -> None:
    root.db.upgrade()
    with root.db.unit_of_work() as s:
        import_registry(
            s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"), settings=root.settings
        )
        create_round(s, code="2026-K1", opens_on=date(2026, 1, 15), due_on=date(2026, 3, 31),
                     institutions=CODES, questionnaire_version="pvpp2027-q1")  # fmt: skip
    spoil(root, "UR", head_name=BAD["vertical tab"])
    for _ in range(2):
        with root.db.unit_of_work() as s:
            done = queue_due_reminders(s, date(2026, 3, 25), root.settings)
        assert isinstance(done, Batch)
        assert [f.item for f in done.failed] == ["UR"]
        assert "control character" in done.failed[0].reason
        assert queued(root, "reminder") == {"VID", "VZD"}
