"""Progress reporting (RV5) online: each open measure of the current plan with its status,
a comment and evidence; checked by the status sheet's rules with the problems beside the
fields (nothing stored), and an accepted report applied as an accepted status sheet is:
each status recorded, a drop re-planned into a new version."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import col, select

from pvpp.plans import context, latest_plan
from pvpp.store.models import AuditLog, MeasureStatus, Plan, StatusReport
from tests.web.conftest import ROUND, A, World, approved_and_later, csrf_of


def _ids(html: str) -> list[str]:
    return re.findall(r"<legend>(\S+) ", html)


def test_the_team_reports_progress_and_a_drop_makes_a_new_version(world: World) -> None:
    approved_and_later(world)
    client = world.sign_in(A, "lead")
    page = client.get("/progress")
    assert page.status_code == 200
    assert "Ziņojums par plāna pasākumu izpildi (RV5)" in page.text
    ids = _ids(page.text)
    assert len(ids) >= 3
    form = {"csrf": csrf_of(page.text), "version": "1"}
    for n in range(len(ids)):
        form[f"m{n}-status"] = "in_progress"
    # One left unanswered and a drop without its reason: both beside their fields.
    form["m0-status"] = ""
    form["m1-status"] = "drop"
    refused = client.post("/progress", data=form)
    assert refused.status_code == 400
    html = refused.text
    assert 'class="error-summary"' in html
    assert '<a href="#m0-status">' in html and '<a href="#m1-comment">' in html
    assert re.search(r'id="m1-comment"[^>]*aria-invalid="true"', html)
    assert 'value="drop" selected' in html  # what was given stays
    with world.root.db.reading() as s:
        assert s.exec(select(StatusReport)).all() == []

    form["m0-status"] = "done"
    form["m0-evidence"] = "Rīkojums Nr. 12, 2026-05-04"
    form["m1-comment"] = "Vairs nav vajadzīgs pēc reorganizācijas"
    done = client.post("/progress", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/progress?done=2"
    after = client.get(done.headers["location"])
    assert "Ziņojums reģistrēts" in after.text and "2. versijā" in after.text
    with world.root.db.reading() as s:
        report = s.exec(select(StatusReport)).one()
        assert report.status == "accepted" and report.filename == "portal"
        assert report.source == f"web:{world.person(A, 'lead').email}"
        assert report.new_plan_version == 2 and report.period_end == date(2026, 6, 30)
        rows = {m.measure_id: m for m in s.exec(select(MeasureStatus)).all()}
        assert rows[ids[0]].status == "done" and rows[ids[0]].evidence.startswith("Rīkojums")
        assert rows[ids[1]].status == "drop"
        entry = s.exec(select(AuditLog).where(AuditLog.action == "status.accepted")).one()
        assert entry.actor == world.person(A, "lead").email and entry.detail["via"] == "web"
        # The drop re-planned as a status sheet's does: version 2 with the measure dropped.
        v2 = latest_plan(s, context(s, ROUND, A).assignment)
        assert v2 is not None and v2.version == 2
        v1 = s.exec(select(Plan).where(Plan.id == world.plan_ids[A])).one()
        assert v1.status == "approved"  # the approved version is not changed
    # Version 2 is not yet sent to the head: the team goes on reporting on version 1, the
    # one in force, and the page says so. The done and the dropped measures are closed.
    again = client.get("/progress")
    assert "2. versija vēl nav nosūtīta" in again.text and "spēkā esošo 1. versiju" in again.text
    left = _ids(again.text)
    assert left == [i for i in ids if i not in (ids[0], ids[1])]
    assert "version 2 has not been sent" in client.get("/progress?lang=en").text
    # A report on it is taken; a move re-plans from the newest version (2), keeping its drop.
    later = re.findall(r'<option value="(\d{4}-\d{2}-\d{2})"', again.text)[-1]
    form = {"csrf": csrf_of(again.text), "version": "1"}
    for n in range(len(left)):
        form[f"m{n}-status"] = "in_progress"
    form["m0-status"], form["m0-new_due"] = "move", later
    moved = client.post("/progress", data=form, follow_redirects=False)
    assert moved.status_code == 303, moved.text
    with world.root.db.reading() as s:
        v3 = latest_plan(s, context(s, ROUND, A).assignment)
        assert v3 is not None and v3.version == 3
        assert v3.adjustments["from_version"] == 2 and v3.adjustments["moved"] == {left[0]: later}
        reports = s.exec(select(StatusReport).order_by(col(StatusReport.id))).all()
        assert [r.plan_version for r in reports] == [1, 1]


def test_a_stale_report_is_refused(world: World) -> None:
    approved_and_later(world)
    client = world.sign_in(A, "team")
    page = client.get("/progress")
    form = {"csrf": csrf_of(page.text), "version": "7"}
    for n in range(len(_ids(page.text))):
        form[f"m{n}-status"] = "in_progress"
    answer = client.post("/progress", data=form)
    assert answer.status_code == 400 and "7" in answer.text
    with world.root.db.reading() as s:
        assert s.exec(select(StatusReport)).all() == []
        assert s.exec(select(MeasureStatus).order_by(col(MeasureStatus.id))).all() == []


def test_the_head_does_not_report_and_nothing_is_listed_before_the_plan_went_out(
    world: World,
) -> None:
    head = world.sign_in(A, "head")
    assert head.get("/progress").status_code == 403
    team = world.sign_in(A, "team")
    page = team.get("/progress?lang=en")
    assert page.status_code == 200 and "There is no plan to report on yet" in page.text
