"""Shaping the plan online: the form holds the plan sheet's choices, "Check" shows the
planner's warnings without saving, "Save as new version" makes a version through the same
service as a returned plan sheet (the same measures for the same choices), problems are
shown beside their fields, and the version shaped is never changed. The results page
shows the scores with their explanation and the PDF's charts."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import col, func, select
from starlette.testclient import TestClient

from pvpp import plan_form
from pvpp.planning.library import load_library
from pvpp.plans import context, latest_plan, plan_measures, plan_version
from pvpp.proposals import plan_sheet, take_plan_sheet
from pvpp.store.models import AuditLog, Plan, PlanChange, PlanMeasure
from pvpp.web.deps import MAX_FORM_FIELDS
from pvpp.workbook.plan_sheet import FIRST_ROW, alternatives, fill_plan_sheet
from tests.web.conftest import ROUND, A, B, World, csrf_of

LIB = load_library("pvpp2027-v1")
FIELD = re.compile(r'name="([potm]\d*-[A-Za-z0-9_]+)"')


def _form(client: TestClient, url: str) -> dict[str, str]:
    """The shaping form's fields as the page fills them (selects: the selected option)."""
    html = client.get(url).text
    values: dict[str, str] = {"csrf": csrf_of(html)}
    for m in re.finditer(r'<input type="text" id="([^"]+)" name="[^"]+" value="([^"]*)"', html):
        values[m.group(1)] = m.group(2)
    for m in re.finditer(r'<select id="([^"]+)" name="[^"]+"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', m.group(2))
        values[m.group(1)] = chosen.group(1) if chosen else ""
    for m in re.finditer(r'<textarea id="([^"]+)" name="[^"]+"[^>]*>(.*?)</textarea>', html, re.S):
        values[m.group(1)] = m.group(2)
    return values


def _steps(world: World) -> list[PlanMeasure]:
    with world.root.db.reading() as s:
        plan = plan_version(s, context(s, ROUND, A).assignment, 1)
        assert plan is not None
        return [PlanMeasure(**r.model_dump()) for r in plan_measures(s, plan)]


def _choices(world: World) -> tuple[dict[str, dict[str, Any]], PlanMeasure, PlanMeasure]:
    """Choices on version 1: a move, a drop with its reason and funding, and an
    alternative where a step has one."""
    steps = [r for r in _steps(world) if r.origin != "own"]
    with_alt = [r for r in steps if alternatives(LIB, (r.item_id, r.dimension_id, r.to_degree))]
    others = [r for r in steps if r not in with_alt[:1]]
    moved, dropped = others[0], others[1]
    choices: dict[str, dict[str, Any]] = {
        moved.measure_id: {"decision": "move", "period": "2028–2031"},
        dropped.measure_id: {
            "decision": "drop",
            "reason": "Jau ieviests 2025. gadā",
            "funding_eur": 1500,
            "funding": "F3",
        },
    }
    if with_alt:
        r = with_alt[0]
        alt = alternatives(LIB, (r.item_id, r.dimension_id, r.to_degree))[0]
        choices[r.measure_id] = {"decision": "alternative", "alternative": alt}
    return choices, moved, dropped


def _fill_web(values: dict[str, str], steps: list[PlanMeasure], choices: dict[str, Any]) -> None:
    """Put ``choices`` (fill_plan_sheet's shape) into the web form's fields."""
    listed = [r for r in steps if r.origin != "own"]
    for n, r in enumerate(listed):
        row = FIRST_ROW + n
        c = choices.get(r.measure_id)
        if not c:
            continue
        values[f"p-H{row}"] = c["decision"]
        values[f"p-I{row}"] = c.get("alternative", "")
        values[f"p-J{row}"] = c.get("period", "")
        values[f"p-K{row}"] = c.get("reason", "")
        values[f"p-L{row}"] = str(c.get("funding_eur", ""))
        values[f"p-M{row}"] = c.get("funding", "")


def _measures(world: World, version: int) -> list[tuple[Any, ...]]:
    with world.root.db.reading() as s:
        plan = plan_version(s, context(s, ROUND, A).assignment, version)
        assert plan is not None
        return [
            (r.measure_id, r.period, r.status, r.dropped_reason, r.origin, r.funding,
             r.funding_eur, r.due_on)
            for r in plan_measures(s, plan)
        ]  # fmt: skip


def test_the_web_and_the_workbook_make_the_same_version_for_the_same_choices(
    world: World,
) -> None:
    choices, moved, dropped = _choices(world)
    steps = _steps(world)
    plan_id = world.plan_ids[A]
    client = world.sign_in(A, "lead")
    url = f"/plans/{plan_id}/shape"
    page = client.get(url)
    assert page.status_code == 200
    assert "Plāna priekšlikuma veidošana (1. versija)" in page.text
    values = _form(client, url)
    _fill_web(values, steps, choices)
    values["action"] = "save"
    saved = client.post(url, data=values, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].endswith("?shaped=1")
    shown = client.get(saved.headers["location"])
    assert "saglabātas kā plāna 2. versija" in shown.text
    with world.root.db.reading() as s:
        ctx = context(s, ROUND, A)
        v2 = latest_plan(s, ctx.assignment)
        assert v2 is not None and v2.version == 2
        assert v2.adjustments["portal"]["by"] == world.person(A, "lead").email
        changes = s.exec(select(PlanChange).where(PlanChange.plan_id == v2.id)).all()
        assert {c.kind for c in changes} >= {"move", "drop"}
        assert all(c.actor == world.person(A, "lead").email and c.source == "web" for c in changes)
        audit = s.exec(select(AuditLog).where(AuditLog.action == "plan.shaped")).one()
        assert audit.detail["via"] == "web" and audit.detail["version"] == 2
        assert ctx.assignment.state == "planned"
    web = _measures(world, 2)
    assert (moved.measure_id, "2028–2031") in [(m[0], m[1]) for m in web]
    assert any(m[0] == dropped.measure_id and m[2] == "dropped" for m in web)

    # The plan sheet of the version made online comes pre-filled with its choices: taken
    # unchanged, it makes the same plan again.
    with world.root.db.unit_of_work() as s:
        data = plan_sheet(s, ROUND, A, lang="lv", settings=world.root.settings)
    with world.root.db.unit_of_work() as s:
        taken = take_plan_sheet(
            s, fill_plan_sheet(data), filename="VID-plāns.xlsx", actor="anna@vid.example.org",
            settings=world.root.settings, round_code=ROUND,
        )  # fmt: skip
    assert taken.outcome == "accepted", taken.problems
    assert _measures(world, 3) == web


def test_the_workbook_path_gives_the_web_path_s_version(world: World) -> None:
    """The same choices on version 1 through the form and through a plan sheet give the
    same measures."""
    choices, _, _ = _choices(world)
    steps = _steps(world)
    with world.root.db.unit_of_work() as s:
        data = plan_sheet(s, ROUND, A, lang="lv", settings=world.root.settings)
    filled = fill_plan_sheet(data, decisions=choices)
    # The web form first: version 2.
    client = world.sign_in(A, "team")
    url = f"/plans/{world.plan_ids[A]}/shape"
    values = _form(client, url)
    _fill_web(values, steps, choices)
    values["action"] = "save"
    assert client.post(url, data=values, follow_redirects=False).status_code == 303
    web = _measures(world, 2)
    # The sheet of version 1 is now stale: refused, no plan changed.
    with world.root.db.unit_of_work() as s:
        stale = take_plan_sheet(s, filled, filename="VID.xlsx", settings=world.root.settings)
    assert stale.outcome == "rejected" and stale.problems[0]["code"] == "plan_stale"
    # Undo version 2 (a test's shortcut: the store as it was before) and take the sheet.
    with world.root.db.unit_of_work() as s:
        v2 = latest_plan(s, context(s, ROUND, A).assignment)
        assert v2 is not None
        for change in s.exec(select(PlanChange).where(PlanChange.plan_id == v2.id)).all():
            s.delete(change)
        for row in s.exec(select(PlanMeasure).where(PlanMeasure.plan_id == v2.id)).all():
            s.delete(row)
        s.flush()
        s.delete(v2)
    with world.root.db.unit_of_work() as s:
        taken = take_plan_sheet(
            s, fill_plan_sheet(data, decisions=choices, filled_by="x"), filename="VID2.xlsx",
            settings=world.root.settings,
        )  # fmt: skip
    assert taken.outcome == "accepted" and taken.version == 2, taken.problems
    assert _measures(world, 2) == web


def test_check_shows_the_warnings_and_saves_nothing(world: World) -> None:
    steps = [r for r in _steps(world) if r.origin != "own"]
    client = world.sign_in(A, "team")
    url = f"/plans/{world.plan_ids[A]}/shape"
    values = _form(client, url)
    # Dropping the first step leaves the steps that need it without their prerequisite or
    # lower step: the re-check warns.
    first = next(
        n for n, r in enumerate(steps)
        if any(o.item_id == r.item_id and o.dimension_id == r.dimension_id
               and o.to_degree == r.to_degree + 1 for o in steps)
    )  # fmt: skip
    values[f"p-H{FIRST_ROW + first}"] = "drop"
    values[f"p-K{FIRST_ROW + first}"] = "Nav vajadzīgs"
    values["p-F5"] = "1"
    values["action"] = "check"
    with world.root.db.reading() as s:
        before = s.exec(select(func.count()).select_from(Plan)).one()
    page = client.post(url, data=values)
    assert page.status_code == 200, page.text
    assert "Plānotāja pārbaude" in page.text and "Nekas vēl nav saglabāts" in page.text
    assert "(LW-" in page.text or "kapacitāt" in page.text or "iepriekšējais solis" in page.text
    with world.root.db.reading() as s:
        assert s.exec(select(func.count()).select_from(Plan)).one() == before
    # The choices stay in the form.
    assert 'value="drop" selected' in page.text and "Nav vajadzīgs" in page.text


def test_another_own_row_is_added_without_javascript_keeping_what_was_typed(
    world: World,
) -> None:
    """ "Pievienot vēl vienu rindu" posts the form and gets it back as typed with one more
    own-measure row, up to the plan sheet's 15; nothing is stored."""
    client = world.sign_in(A, "team")
    url = f"/plans/{world.plan_ids[A]}/shape"
    own = re.compile(r"<legend>Savs pasākums nr\. (\d+)</legend>")
    page = client.get(url)
    assert own.findall(page.text) == ["1", "2"] and 'value="more_rows"' in page.text
    values = _form(client, url)
    first = plan_form.own_fields(0)
    values[first["name"]] = "Iekšējās apmācības par pieejamību"
    values["own_rows"] = "2"
    with world.root.db.reading() as s:
        before = s.exec(select(func.count()).select_from(Plan)).one()
    for shown in range(3, 16):
        values["action"] = "more_rows"
        page = client.post(url, data=values)
        assert page.status_code == 200, page.text
        assert own.findall(page.text) == [str(n) for n in range(1, shown + 1)]
        assert "Iekšējās apmācības par pieejamību" in page.text
        values["own_rows"] = str(shown)
    assert 'value="more_rows"' not in page.text  # 15 rows: the sheet's last
    english = client.post(f"{url}?lang=en", data={**values, "own_rows": "3"})
    assert "Add another row" in english.text
    with world.root.db.reading() as s:
        assert s.exec(select(func.count()).select_from(Plan)).one() == before


def test_a_drop_without_a_reason_is_refused_beside_the_field(world: World) -> None:
    client = world.sign_in(A, "lead")
    url = f"/plans/{world.plan_ids[A]}/shape"
    values = _form(client, url)
    values[f"p-H{FIRST_ROW}"] = "drop"
    values[f"p-K{FIRST_ROW}"] = ""
    values["p-F5"] = "nav"
    values["action"] = "save"
    with world.root.db.reading() as s:
        before = s.exec(select(func.count()).select_from(Plan)).one()
    page = client.post(url, data=values)
    assert page.status_code == 400
    html = page.text
    assert 'class="error-summary"' in html
    assert f'<a href="#p-K{FIRST_ROW}">' in html and '<a href="#p-F5">' in html
    assert f'<p class="error" id="p-K{FIRST_ROW}-error">' in html
    assert re.search(rf'id="p-K{FIRST_ROW}"[^>]*aria-invalid="true"', html)
    assert "atcelšanai" in html or "norādiet iemeslu" in html or "pamatojum" in html
    with world.root.db.reading() as s:
        assert s.exec(select(func.count()).select_from(Plan)).one() == before


def test_an_approved_version_is_never_altered(world: World) -> None:
    head = world.sign_in(A, "head", TestClient(world.client.app, base_url=world.client.base_url))
    plan_id = world.plan_ids[A]
    page = head.get(f"/plans/{plan_id}")
    answer = head.post(
        f"/plans/{plan_id}/decision", data={"csrf": csrf_of(page.text), "decision": "approve"}
    )
    assert answer.status_code == 200, answer.text
    before = _measures(world, 1)
    client = world.sign_in(A, "team")
    url = f"/plans/{plan_id}/shape"
    values = _form(client, url)
    values[f"p-H{FIRST_ROW}"] = "move"
    values[f"p-J{FIRST_ROW}"] = "2028–2031"
    values["action"] = "save"
    saved = client.post(url, data=values, follow_redirects=False)
    assert saved.status_code == 303
    with world.root.db.reading() as s:
        v1 = s.get(Plan, plan_id)
        assert v1 is not None and v1.status == "approved"
        newest = s.exec(select(Plan).order_by(col(Plan.version).desc())).first()
        assert newest is not None and newest.version == 2 and newest.status == "draft"
    assert _measures(world, 1) == before
    # An older version's form says so and offers the newest.
    old = client.get(url)
    assert "nav jaunākā" in old.text and 'href="/plans/' in old.text
    again = client.post(url, data={**values, "csrf": csrf_of(old.text)})
    assert again.status_code == 400 and "nav jaunākā" in again.text
    with world.root.db.reading() as s:
        assert s.exec(select(func.count()).select_from(Plan)).one() == 3  # A: 2, B: 1


def test_the_head_does_not_shape_and_the_results_page_shows_scores_and_charts(
    world: World,
) -> None:
    head = world.sign_in(A, "head")
    assert head.get(f"/plans/{world.plan_ids[A]}/shape").status_code == 403
    results = head.get("/results")
    assert results.status_code == 200
    html = results.text
    assert "Pašnovērtējuma rezultāti" in html
    assert html.count('src="data:image/svg+xml;base64,') == 2
    assert "Vērtējums" in html or "Novērtējums" in html or "Atšķirība" in html
    english = head.get("/results?lang=en").text
    assert "Self-assessment results" in english and "Gap" in english


def test_a_long_plan_is_checked_and_saved_with_its_whole_form(world: World) -> None:
    """LAD answered as an average institution: its plan has hundreds of steps, seven fields
    each, more than any other form of the portal has. The whole form is taken."""
    client = world.sign_in(B, "lead")
    url = f"/plans/{world.plan_ids[B]}/shape"
    values = _form(client, url)
    assert len(values) > MAX_FORM_FIELDS
    values["action"] = "check"
    page = client.post(url, data=values)
    assert page.status_code == 200, page.text
    assert "Plānotāja pārbaude" in page.text
    values["action"] = "save"
    saved = client.post(url, data=values, follow_redirects=False)
    assert saved.status_code == 303, saved.text
