"""The launch flow goes on past an institution whose invitation cannot be made: the
others' invitations are queued and delivered, the flow fails at its end naming the bad one
(by code, with the reason), and a rerun does the same."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from flows.root import ItemsFailed, using
from pvpp.app import App
from pvpp.policy import load_policy
from pvpp.registry import import_registry
from pvpp.rounds import create_round
from pvpp.store.models import OutboxMessage
from tests.rounds import EXAMPLES
from tests.test_batch import BAD, CODES, spoil

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect")]


def test_launch_round_delivers_the_others_and_names_the_bad_one(
    prefect: None, root: App, tmp_path: Path
) -> None:
    root.settings.mail_folder = tmp_path / "mail"
    root.db.upgrade()
    with root.db.unit_of_work() as s:
        import_registry(
            s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"), settings=root.settings
        )
        create_round(s, code="2026-K1", opens_on=date(2026, 1, 15), due_on=date(2026, 3, 31),
                     institutions=CODES, questionnaire_version="pvpp2027-q1")  # fmt: skip
    spoil(root, "UR", head_name=BAD["line separator"])

    from flows.cycle import launch_round

    for queued in (2, 0):  # the rerun queues nothing new and fails on UR again
        with using(root), pytest.raises(ItemsFailed) as failed:
            launch_round("2026-K1")
        assert len(failed.value.failed) == 1
        assert failed.value.failed[0].startswith("UR: ")
        assert "control character" in failed.value.failed[0]
        assert failed.value.result == queued
        with root.db.reading() as s:
            sent = {
                (m.institution_code, m.state)
                for m in s.exec(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
            }
        assert sent == {("VID", "sent"), ("VZD", "sent")}
