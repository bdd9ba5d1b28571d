"""Launching a round: one service, on the Prefect server when one is configured (through
the ``launch`` deployment, the run named and linked), in-process otherwise."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import col, select

from pvpp.app import App
from pvpp.launch import LAUNCH_DEPLOYMENT, LAUNCH_DONE, ROUND_LAUNCH, launch_round
from pvpp.mail.outbox import list_messages
from pvpp.policy import load_policy
from pvpp.registry import import_registry
from pvpp.rounds import RoundError, create_round
from pvpp.store.models import AuditLog, RoundMilestone
from tests.conftest import make_root, settings_for

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ROUND = "2026-K1"
DAY = date(2026, 1, 15)


@pytest.fixture
def created(store: str, root: App) -> None:
    with root.db.unit_of_work() as s:
        import_registry(s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"),
                        settings=root.settings)  # fmt: skip
        create_round(s, code=ROUND, opens_on=DAY, due_on=date(2026, 3, 31),
                     institutions=["VID", "VARAM"],
                     questionnaire_version="pvpp2027-q1")  # fmt: skip


def _audit(root: App, action: str = ROUND_LAUNCH) -> list[tuple[str, dict[str, object]]]:
    """Who recorded each entry of ``action``, and its detail, oldest first."""
    with root.db.reading() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id)))
        return [(e.actor, e.detail) for e in rows]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_without_a_server_the_round_is_launched_in_process(created: None, root: App) -> None:
    done = launch_round(ROUND, settings=root.settings, db=root.db, today=DAY,
                        actor="koordinators", ip="192.0.2.1")  # fmt: skip
    assert (done.via, done.run_name, done.url) == ("in_process", "launch 2026-K1 2026-01-15", None)
    assert sorted(done.invited) == ["VARAM", "VID"] and done.failed == [] and done.sent == 2
    assert (root.settings.round_folder(ROUND, "workbooks") / "VID.xlsx").exists()
    with root.db.reading() as s:
        assert [m.state for m in list_messages(s)] == ["sent", "sent"]
        assert s.exec(select(RoundMilestone)).first() is not None
    # Asked again: nothing twice.
    again = launch_round(ROUND, settings=root.settings, db=root.db, today=DAY, actor="k")
    assert (again.invited, again.sent) == ([], 0)
    # Each launch asked is audited, with who asked and from where, and how each ended.
    assert _audit(root) == [
        ("koordinators", {"via": "in_process", "ip": "192.0.2.1"}),
        ("k", {"via": "in_process", "ip": ""}),
    ]
    assert _audit(root, LAUNCH_DONE) == [
        ("koordinators", {"invited": 2, "failed": 0, "sent": 2, "failed_codes": []}),
        ("k", {"invited": 0, "failed": 0, "sent": 0, "failed_codes": []}),
    ]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_with_a_server_the_launch_deployment_runs_it(
    created: None, root: App, tmp_path: Path
) -> None:
    asked = []

    def submit(deployment: str, parameters: dict[str, object], name: str) -> str:
        asked.append((deployment, parameters, name))
        return "0f1e"

    server = make_root(settings_for(tmp_path / "var", database_url=root.settings.database_url,
                                    prefect_api_url="http://prefect.example:4200/api"))  # fmt: skip
    try:
        done = launch_round(ROUND, settings=server.settings, db=server.db, today=DAY,
                            actor="k", submit=submit)  # fmt: skip
    finally:
        server.close()
    assert asked == [(LAUNCH_DEPLOYMENT, {"round_code": ROUND}, "launch 2026-K1 2026-01-15")]
    assert (done.via, done.run_id) == ("prefect", "0f1e")
    assert done.url == "http://prefect.example:4200/runs/flow-run/0f1e"
    with root.db.reading() as s:
        assert list_messages(s) == []  # the workers do the work
    assert _audit(root) == [("k", {"via": "prefect", "run_id": "0f1e", "ip": ""})]
    assert _audit(root, LAUNCH_DONE) == []  # nothing ended here: the workers do the work


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_unknown_round_is_refused_before_anything(created: None, root: App) -> None:
    with pytest.raises(RoundError, match="no round '2030-K1'"):
        launch_round("2030-K1", settings=root.settings, db=root.db, today=DAY, actor="k",
                     submit=lambda *_: pytest.fail("nothing is queued"))  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_launch_in_the_background_is_running_then_done_and_refuses_another_meanwhile(
    created: None, root: App
) -> None:
    from pvpp.launch import LaunchError, check_launchable, launch_status

    later: list[object] = []
    started = launch_round(ROUND, settings=root.settings, db=root.db, today=DAY, actor="k",
                           background=later.append)  # fmt: skip
    assert started.pending and started.invited == []
    with root.db.reading() as s:
        status = launch_status(s, ROUND, root.settings)
        assert status is not None and (status.state, status.actor) == ("running", "k")
        with pytest.raises(LaunchError, match="being launched") as refused:
            check_launchable(s, ROUND, root.settings)
        assert refused.value.reason == "running"
    [work] = later
    work()  # type: ignore[operator]
    with root.db.reading() as s:
        status = launch_status(s, ROUND, root.settings)
    assert status is not None and (status.state, status.invited, status.sent) == ("done", 2, 2)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_failed_launch_is_told_and_one_never_ended_is_interrupted(
    created: None, root: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    import pvpp.launch as launching
    from pvpp.store.models import utcnow

    def broken(*_a: object, **_k: object) -> object:
        raise OSError("the workbooks' folder cannot be written")

    monkeypatch.setattr(launching, "invite_round", broken)
    later: list[object] = []
    launch_round(ROUND, settings=root.settings, db=root.db, today=DAY, actor="k",
                 background=later.append)  # fmt: skip
    later[0]()  # type: ignore[operator]  # the error is logged and recorded, not raised
    with root.db.reading() as s:
        status = launching.launch_status(s, ROUND, root.settings)
        assert status is not None and status.state == "failed"
        assert status.error == "OSError: the workbooks' folder cannot be written"
    # Without a background, the caller sees it.
    with pytest.raises(OSError, match=r"^the workbooks' folder cannot be written$"):
        launch_round(ROUND, settings=root.settings, db=root.db, today=DAY, actor="k")
    # A launch started and never ended (its process stopped) is taken as interrupted.
    with root.db.unit_of_work() as s:
        s.add(AuditLog(actor="k", action=ROUND_LAUNCH, entity="round", entity_key=ROUND,
                       detail={"via": "in_process"}))  # fmt: skip
    with root.db.reading() as s:
        now = utcnow() + launching.LAUNCH_STALE + timedelta(minutes=1)
        status = launching.launch_status(s, ROUND, root.settings, now=now)
        assert status is not None and status.state == "interrupted"
        launching.check_launchable(s, ROUND, root.settings, now=now)  # may be asked again


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_round_counts_as_launched_once_its_milestones_are_recorded_or_a_launch_stands(
    created: None, root: App
) -> None:
    from pvpp.launch import LaunchStatus, launch_status, round_launched
    from pvpp.milestones import record_milestones
    from pvpp.rounds import get_round
    from pvpp.store.models import utcnow

    def status(state: str) -> LaunchStatus:
        return LaunchStatus(state, "prefect", "k", utcnow())

    with root.db.reading() as s:
        rnd = get_round(s, ROUND)
        assert launch_status(s, ROUND, root.settings) is None
        assert not round_launched(s, rnd, None)
        assert not round_launched(s, rnd, status("failed"))
        for state in ("queued", "running", "done", "interrupted"):
            assert round_launched(s, rnd, status(state)), state
    with root.db.unit_of_work() as s:
        record_milestones(s, ROUND, actor="k")
    with root.db.reading() as s:
        rnd = get_round(s, ROUND)
        assert round_launched(s, rnd, None) and round_launched(s, rnd, status("failed"))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_scope_a_round_would_have_is_what_it_gets(store: str, root: App) -> None:
    from pvpp.rounds import round_scope

    with root.db.unit_of_work() as s:
        import_registry(s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"),
                        settings=root.settings)  # fmt: skip
        scope = round_scope(s)
        report = create_round(s, code=ROUND, opens_on=DAY, due_on=date(2026, 3, 31),
                              questionnaire_version="pvpp2027-q1")  # fmt: skip
    assert scope.assigned == report.assigned
    assert scope.skipped == report.skipped and scope.flagged == report.flagged
    assert any(r.startswith("excluded:") for r in scope.skipped.values())
