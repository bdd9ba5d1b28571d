"""One round in a real browser, from the invitation to the head's approval.

The ministry has launched round 2026-K1 for VID and LAD: the invitations are .eml files in
the outbox's folder. VID's team lead asks for a sign-in link, signs in from the .eml,
answers part of the questionnaire online (radio buttons, the target's list, a comment:
htmx saves each as it changes) and finds it kept after a reload; the rest goes through
the workbook (downloaded with the answers so far, filled in LibreOffice, uploaded), the
last item is answered online, and the lead submits. The plan is built and mailed as the
flows do; the lead reads the results, shapes the plan into version 2 and signs out; the
head signs in from their own link and approves version 2.

Refused on the way: a POST without the CSRF token (403, nothing changed), another
institution's questionnaire and plan (404, none of its data), and a sign-in link used
after it expired (the expired page, no session). axe-core finds no violation on any page;
with ``PVPP_SCREENSHOTS`` set each page is photographed there (``scenario-*.png``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.clock import FixedClock
from pvpp.delivery import queue_plans, record_sent_plans
from pvpp.invitations import invite_round
from pvpp.mail.relay import deliver_due
from pvpp.planning.library import load_common
from pvpp.plans import build_plan, context, latest_plan
from pvpp.policy import load_policy
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.registry import import_registry
from pvpp.rounds import create_round
from pvpp.store.models import Institution, Plan, id_of
from pvpp.submissions import ingest_paths
from pvpp.teams import add_member
from pvpp.web import create_app
from pvpp.workbook.check import check_workbook
from pvpp.workbook.fill import cell_values
from tests.conftest import make_root
from tests.rounds import EXAMPLES
from tests.web.browser import Checked, emails_to, follow, free_port, link_in, serving
from tests.web.conftest import NAMES, A, B, team_of, web_settings
from tests.workbook.libreoffice import libreoffice_fill

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROUND = "2026-K1"
OPENS, DUE = date(2026, 4, 1), date(2026, 6, 30)
TODAY = date(2026, 4, 2)
ONLINE_ITEM = "1.1"  # answered online first
LAST_ITEM = "R3"  # answered online after the workbook


@dataclass
class Portal:
    """The launched round as the scenario sees it."""

    root: App
    clock: FixedClock
    app: FastAPI
    base: str
    heads: dict[str, str]  # code → the head's address
    foreign_plan: int  # LAD's plan
    foreign_assignment: int  # LAD's assignment in the round

    def emails(self, address: str) -> list[EmailMessage]:
        return emails_to(self.root.settings, self.root.db, address)

    def assess(self) -> None:
        """What the ``assess`` flow does for an accepted institution: build VID's plan."""
        with self.root.db.unit_of_work() as s:
            _, made = build_plan(s, context(s, ROUND, A), today=self.clock.today(), actor="flow")
            assert made

    def mail_plans(self) -> None:
        """What the flows do for a new plan version: its PDF to the head by email, delivered
        (the folder transport), and the plan recorded as sent."""
        mailed = queue_plans(
            ROUND, [A], settings=self.root.settings, db=self.root.db, today=self.clock.today()
        )
        assert not mailed.failed, mailed.failed
        deliver_due(self.root.settings, db=self.root.db)
        with self.root.db.unit_of_work() as s:
            record_sent_plans(s)


@pytest.fixture
def portal(tmp_path: Path, spec: QuestionnaireSpec, chromium: str) -> Iterator[Portal]:
    """Round 2026-K1 launched for VID and LAD (both with a team; their invitations written
    to the mail folder), LAD's workbook already accepted and planned, and the portal served
    on loopback on TODAY."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clock = FixedClock(OPENS)
    root = make_root(web_settings(tmp_path, public_url=base), clock)
    root.db.upgrade()
    try:
        common = load_common("pvpp2027-v1")
        with root.db.unit_of_work() as s:
            policy = load_policy(spec.policy.id)
            import_registry(s, EXAMPLES / "registry.xlsx", policy, settings=root.settings)
            for code in (A, B):
                for name, email, lead in team_of(code).values():
                    add_member(
                        s, common, institution=code, name=name, email=email,
                        roles=["team_lead"] if lead else ["it_manager"], lead=lead,
                    )  # fmt: skip
            create_round(
                s, code=ROUND, opens_on=OPENS, due_on=DUE, questionnaire_version=spec.id,
                institutions=[A, B], actor="test",
            )  # fmt: skip
        sent = invite_round(
            ROUND, root.settings.round_folder(ROUND, "workbooks"),
            settings=root.settings, db=root.db,
        )  # fmt: skip
        assert sorted(sent) == sorted([A, B]), sent.failed
        # LAD has answered by workbook; its plan exists.
        books = filled_workbooks(
            spec, [(B, NAMES[B])], round_code=ROUND, key=root.settings.signing_key()
        )
        path = tmp_path / f"{B}.xlsx"
        path.write_bytes(books[B])
        ingest_paths([path], settings=root.settings, db=root.db)
        with root.db.unit_of_work() as s:
            ctx = context(s, ROUND, B)
            plan, _ = build_plan(s, ctx, today=OPENS)
            foreign_plan, foreign_assignment = id_of(plan), id_of(ctx.assignment)
            heads = {
                i.code: i.head_email
                for i in s.exec(select(Institution).where(col(Institution.code).in_([A, B])))
            }
        clock.day = TODAY
        app = create_app(root)
        with serving(app, port) as served:
            assert served == base
            yield Portal(root, clock, app, base, heads, foreign_plan, foreign_assignment)
    finally:
        root.close()


#: VID's degrees below the top, per item and dimension (the rest at the top): a plan of
#: some twenty steps to shape (a weak institution's has hundreds; tests/web/test_shaping.py
#: shapes one of those).
GAPS = {ONLINE_ITEM: (2, 3, 2, 3), "2.1": (3, 3, 3, 3), "K3": (3, 3, 2, 3), LAST_ITEM: (3, 4, 3, 4)}


def _answers(spec: QuestionnaireSpec) -> dict[str, int]:
    """VID's degree answers (:data:`GAPS`)."""
    top = spec.policy.degree_scale.max
    out = {}
    for item in spec.policy.items:
        fields = _of_item(spec, item.id)
        degrees = GAPS.get(item.id, (top,) * len(fields))
        out.update(zip(fields, degrees, strict=True))
    return out


def _of_item(spec: QuestionnaireSpec, item: str) -> list[str]:
    return [f.id for f in spec.degree_fields if f.item_id == item]


def _signed_in(page: Page, portal: Portal, address: str, check: Checked, who: str) -> None:
    """``address`` asks for a sign-in link on the form, and signs in with the link of the
    .eml the outbox wrote."""
    page.goto(f"{portal.base}/signin")
    page.get_by_label("E-pasta adrese").fill(address)
    with page.expect_navigation():
        page.get_by_role("button", name="Nosūtīt pieteikšanās saiti").click()
    assert page.get_by_role("heading", name="Pārbaudiet e-pastu").is_visible()
    check(page, f"{who}-signin-sent")
    message = _signin_email(portal, address)
    page.goto(link_in(message, portal.base, "/signin/"))
    check(page, f"{who}-signin-confirm")
    page.get_by_role("button", name="Pieteikties").click()
    page.wait_for_url(f"{portal.base}/")


def _signin_email(portal: Portal, address: str) -> EmailMessage:
    mails = [m for m in portal.emails(address) if "Pieteikšanās" in str(m["Subject"])]
    assert mails, f"no sign-in email to {address}"
    return mails[-1]


def _answer(page: Page, values: dict[str, int | str]) -> None:
    """Choose each degree on the page as a person does (a click on its label); htmx saves
    each at once, and its block comes back with who changed it."""
    for fid, value in values.items():
        page.locator(f"label[for='{fid}-{value}']").click()
    for fid, value in values.items():
        page.locator(f"#s-{fid} .changed").wait_for()
        assert page.locator(f"[id='{fid}-{value}']").is_checked()


def _workbook_round_trip(
    page: Page, overview: str, tmp_path: Path, spec: QuestionnaireSpec, portal: Portal,
    so_far: dict[str, Any], rest: dict[str, int], check: Checked,
) -> None:  # fmt: skip
    """Download the workbook from the overview with the answers so far, fill ``rest`` in
    LibreOffice, upload it on the overview and find the answers in the questionnaire."""
    page.goto(overview)
    with page.expect_download() as download:
        page.locator('a[href$="/workbook"]').click()
    downloaded = tmp_path / "downloaded.xlsx"
    download.value.save_as(downloaded)
    data = downloaded.read_bytes()
    found = check_workbook(data, settings=portal.root.settings)
    assert {k: found.answers.get(k) for k in so_far} == so_far, "the answers so far are in it"
    office = tmp_path / "libreoffice"
    office.mkdir()
    filled = libreoffice_fill(office, data, cell_values(spec, dict(rest), "lv"))
    page.locator('input[type=file][name="workbook"]').set_input_files(
        files=[{
            "name": "PVPP-2026-K1-VID.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": filled,
        }]
    )  # fmt: skip
    form = page.locator('form:has(input[name="workbook"])')
    with page.expect_navigation() as answer:
        form.locator("button[type=submit], button:not([type])").first.click()
    assert answer.value is not None and answer.value.status == 200, answer.value
    check(page, "workbook-uploaded")
    first = next(iter(rest))
    component = spec.field_by_id[first].component_id
    page.goto(f"{overview}/{component}")
    assert page.locator(f"[id='{first}-{rest[first]}']").is_checked()


@pytest.mark.slow
@pytest.mark.needs_program("chromium")
@pytest.mark.xdist_group("libreoffice")
def test_a_round_from_the_invitation_to_the_heads_approval_in_a_browser(
    chromium: str,
    portal: Portal,
    spec: QuestionnaireSpec,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    base = portal.base
    check = Checked(prefix="scenario-")
    lead_address = team_of(A)["lead"][1]
    answers = _answers(spec)
    first = {f: answers[f] for f in _of_item(spec, ONLINE_ITEM)}
    last = {f: answers[f] for f in _of_item(spec, LAST_ITEM)}
    rest = {f: v for f, v in answers.items() if f not in first and f not in last}
    target = f"TARGET_{ONLINE_ITEM.replace('.', '_')}"
    comment = f"COMMENT_{ONLINE_ITEM.replace('.', '_')}"

    # The invitation reached the lead with the workbook attached.
    (invitation,) = [m for m in portal.emails(lead_address) if "darbgrāmata" in str(m["Subject"])]
    attached = [p.get_filename() for p in invitation.iter_attachments()]
    assert attached == [f"PVPP-{ROUND}-{A}.xlsx"]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            lead = browser.new_context().new_page()
            errors: list[str] = []
            # The refusals below are meant: only other errors count (a script's, the CSP's).
            lead.on(
                "console",
                lambda m: (
                    errors.append(m.text)
                    if m.type == "error" and not m.text.startswith("Failed to load resource")
                    else None
                ),
            )
            _signed_in(lead, portal, lead_address, check, "lead")
            assert NAMES[A] in lead.content()
            check(lead, "lead-home")

            # Part of the questionnaire online, saved as it changes.
            follow(lead, lead.get_by_role("link", name="Anketa"))
            lead.wait_for_url(re.compile(r".*/questionnaire/\d+$"))
            overview = lead.url
            assert "Atbildēts: 0 no 16" in lead.content()
            check(lead, "lead-overview")
            lead.get_by_role(
                "link", name="1. Pakalpojumu pārvaldības pamatnosacījumi"
            ).first.click()
            lead.wait_for_url(f"{overview}/C1")
            check(lead, "lead-C1")
            _answer(lead, dict(first))
            aim = str(spec.policy.degree_scale.max)
            with lead.expect_response(lambda r: r.url.endswith(f"/fields/{target}")):
                lead.locator(f"#{target}").select_option(aim)
            lead.locator(f"#s-{target} .changed").wait_for()
            lead.locator(f"#{comment}").fill("Pārvaldības kārtība apstiprināta 2025. gadā.")
            with lead.expect_response(lambda r: r.url.endswith(f"/fields/{comment}")):
                lead.keyboard.press("Tab")
            lead.locator(f"#s-{comment} .changed").wait_for()
            check(lead, "lead-C1-answered")
            lead.reload()
            for fid, value in first.items():
                assert lead.locator(f"[id='{fid}-{value}']").is_checked()
            assert lead.locator(f"#{target}").input_value() == aim
            assert "2025. gadā" in lead.locator(f"#{comment}").input_value()

            # A POST without the CSRF token is refused and changes nothing.
            answer_url = f"{overview}/fields/{next(iter(first))}"
            status = lead.evaluate(
                """async ([url, field]) => (await fetch(url, {method: "POST",
                    headers: {"Content-Type": "application/x-www-form-urlencoded"},
                    body: field + "=not_applicable"})).status""",
                [answer_url, next(iter(first))],
            )
            assert status == 403
            lead.reload()
            fid, value = next(iter(first.items()))
            assert lead.locator(f"[id='{fid}-{value}']").is_checked()

            # Another institution's questionnaire and plan are not there.
            for url in (
                f"{base}/questionnaire/{portal.foreign_assignment}",
                f"{base}/questionnaire/{portal.foreign_assignment}/C1",
                f"{base}/plans/{portal.foreign_plan}",
            ):
                response = lead.goto(url)
                assert response is not None and response.status == 404, url
                assert NAMES[B] not in lead.content() and B not in lead.content(), url
            check(lead, "lead-foreign-404")

            # The rest by workbook: downloaded with the answers so far, filled in
            # LibreOffice, uploaded.
            so_far: dict[str, Any] = {**first, target: int(aim)}
            _workbook_round_trip(lead, overview, tmp_path, spec, portal, so_far, rest, check)

            # The last item online, then the lead submits.
            lead.goto(f"{overview}/{spec.field_by_id[next(iter(last))].component_id}")
            _answer(lead, dict(last))
            lead.goto(overview)
            for component in spec.policy.components:
                n = sum(f.component_id == component.id for f in spec.degree_fields)
                assert f"Atbildēts: {n} no {n}" in lead.content(), component.id
            with lead.expect_navigation():
                lead.get_by_role("button", name="Iesniegt atbildes").click()
            assert "Atbildes ir iesniegtas un pieņemtas" in lead.content()
            check(lead, "lead-submitted")
            assert errors == [], "\n".join(errors)

            # The flows build the plan and mail it; the lead reads the results.
            portal.assess()
            portal.mail_plans()
            follow(lead, lead.get_by_role("link", name="Rezultāti"))
            assert lead.get_by_role("heading", name="Pašnovērtējuma rezultāti").is_visible()
            check(lead, "lead-results")
            follow(lead, lead.get_by_role("link", name="Sākums"))
            follow(lead, lead.get_by_role("link", name="1. versija"))
            check(lead, "lead-plan-v1")

            # The lead shapes the plan: the first step dropped with a reason.
            follow(lead, lead.get_by_role("link", name=re.compile("Veidot šo versiju")))
            check(lead, "lead-shape")
            step = lead.locator("fieldset.step").first
            step.get_by_label("Lēmums").select_option("drop")
            step.get_by_label("Pamatojums").fill("Jau ieviests ar iestādes iekšējiem noteikumiem.")
            with lead.expect_navigation():
                lead.get_by_role("button", name="Pārbaudīt").click()
            assert lead.get_by_role("heading", name="Plānotāja pārbaude").is_visible()
            check(lead, "lead-shape-check")
            with lead.expect_navigation():
                lead.get_by_role("button", name="Saglabāt kā jaunu versiju").click()
            assert "saglabātas kā plāna 2. versija" in lead.content()
            check(lead, "lead-plan-v2")
            lead.get_by_role("button", name="Iziet").click()
            lead.wait_for_url(f"{base}/signin?out=1")
            check(lead, "lead-signed-out")

            # The flows mail version 2; the head signs in from their own link.
            portal.mail_plans()
            with portal.root.db.reading() as s:
                v2 = latest_plan(s, context(s, ROUND, A).assignment)
                assert v2 is not None and v2.version == 2 and v2.status == "sent"
                v2_id = id_of(v2)
            head = browser.new_context().new_page()
            _signed_in(head, portal, portal.heads[A], check, "head")
            check(head, "head-home")
            head.goto(f"{base}/plans/{v2_id}")
            check(head, "head-plan-v2")
            _refused_without_token(head, portal, v2_id)
            check(head, "head-csrf-refused")
            head.goto(f"{base}/plans/{v2_id}")
            with head.expect_navigation():
                head.get_by_role("button", name="Apstiprināt plāna 2. versiju").click()
            assert "Plāna 2. versija ir apstiprināta" in head.content()
            check(head, "head-approved")

            _expired_link_refused(browser, portal, check)
        finally:
            browser.close()
    elapsed = time.monotonic() - started
    print(f"the scenario took {elapsed:.1f} s; {len(check.urls)} pages checked by axe")


def _refused_without_token(head: Page, portal: Portal, plan_id: int) -> None:
    """The approval form sent without its CSRF field: 403, and the version still awaits
    the head's decision."""

    def state() -> tuple[str, object]:
        with portal.root.db.reading() as s:
            plan = s.get(Plan, plan_id)
            assert plan is not None
            return plan.status, plan.approved_at

    before = state()
    approve = head.get_by_role("button", name="Apstiprināt plāna 2. versiju")
    approve.locator("xpath=ancestor::form").locator("input[name=csrf]").evaluate("e => e.remove()")
    with head.expect_navigation() as refused:
        approve.click()
    assert refused.value is not None and refused.value.status == 403
    assert head.get_by_role("heading", name="Veidlapa netika pieņemta").is_visible()
    assert state() == before and before[1] is None


def _expired_link_refused(browser: Browser, portal: Portal, check: Checked) -> None:
    """A team member's link opened in time but used after it expired: the expired page,
    and no session."""
    member = browser.new_context()
    page = member.new_page()
    address = team_of(A)["team"][1]
    page.goto(f"{portal.base}/signin")
    page.get_by_label("E-pasta adrese").fill(address)
    with page.expect_navigation():
        page.get_by_role("button", name="Nosūtīt pieteikšanās saiti").click()
    page.goto(link_in(_signin_email(portal, address), portal.base, "/signin/"))
    portal.clock.advance(timedelta(hours=portal.root.settings.signin_link_hours, minutes=1))
    with page.expect_navigation() as used:
        page.get_by_role("button", name="Pieteikties").click()
    assert used.value is not None and used.value.status == 410
    assert "derīguma termiņš beidzās" in page.content()
    check(page, "member-link-expired")
    assert not [c for c in member.cookies() if "session" in c["name"]]
    response = page.goto(f"{portal.base}/")
    assert response is not None and response.status == 401
