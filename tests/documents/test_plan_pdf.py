"""The plan PDF as a person reads it: text read back with pdftotext, metadata, safety.

Hostile text typed into a workbook (file:// links, attachments, CSS imports, SVG images,
network URLs, huge inputs) must be printed as text and never fetch anything.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError
from sqlmodel import select

from pvpp.app import App
from pvpp.documents.plan_pdf import plan_context, plan_pdf
from pvpp.documents.render import AssetFetcher, environment, html_to_pdf, render_html
from pvpp.plans import context, scores_for
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.store.models import Institution
from tests.conftest import require_program
from tests.rounds import run_round

SECRET = Path("/etc/passwd")


class Listener:
    """A loopback TCP listener that counts connection attempts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Any:
    server = Listener()
    yield server
    server.close()


def hostile(port: int) -> dict[str, str]:
    return {
        "EVIDENCE_K1": f'<link rel="attachment" href="file://{SECRET}"> <img src="file://{SECRET}">',
        "COMMENT_K1": "<style>@import url(file:///etc/passwd);</style>",
        "EVIDENCE_K2": f'<svg><image href="http://127.0.0.1:{port}/x.png"/></svg>',
        "EVIDENCE_K3": f"url(http://127.0.0.1:{port}/track) <script>alert(1)</script> & “pēdiņas”",
        "SVC01_NAME": f'<img src="http://127.0.0.1:{port}/s.png"> Pakalpojums ĀČĒĢĪĶĻŅŠŪŽ',
        "SVC02_NAME": f'<link rel="attachment" href="file://{SECRET}"> <script>alert(1)</script> '
        + "Ļoti garš nosaukums. " * 9,
        "EVIDENCE_S1": "Ļoti garš pierādījums. " * 150,
    }


@pytest.fixture
def planned(
    tmp_path: Path,
    spec: QuestionnaireSpec,
    monkeypatch: pytest.MonkeyPatch,
    listener: Listener,
    root: App,
) -> Listener:
    root.db.upgrade()
    codes = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD")]
    st1 = spec.service_type_label("ST1", "lv")
    edits = {"VID": hostile(listener.port) | {"SVC01_TYPE": st1}}
    run_round(root, spec, tmp_path, codes, edits=edits, plans=True)
    yield listener


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    exe = require_program("pdftotext")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [exe, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdfinfo(pdf: bytes, tmp_path: Path) -> str:
    exe = require_program("pdfinfo")
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run([exe, str(path)], capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_plan_pdf_reads_back(planned: Listener, tmp_path: Path, root: App) -> None:
    with root.db.unit_of_work() as s:
        pdf = plan_pdf(s, "2026-K1", "VID", today=root.today())
        result, _ = scores_for(s, context(s, "2026-K1", "VID"))
        name = s.exec(select(Institution).where(Institution.code == "VID")).one().name
    text = pdftotext(pdf, tmp_path)
    flat = " ".join(text.split())
    assert name in flat
    assert "Individuālais pakalpojumu pārvaldības pilnveides plāns" in flat
    # The index printed is the store's, in Latvian number format.
    assert f"{result.index:.1f}".replace(".", ",") in flat
    assert "Pakalpojums ĀČĒĢĪĶĻŅŠŪŽ" in flat
    for heading in (
        "Saturs",
        "Kopsavilkums vadītājam",
        "Pasākumi līdz 2027. gada beigām",
        "Pēc 2027. gada: kopsavilkums pa punktiem",
        "Finansējums",
        "Konsekvences brīdinājumi",
    ):
        assert heading in flat
    info = pdfinfo(pdf, tmp_path)
    assert "Title:" in info and name in info
    assert "Tagged:          yes" in info
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 8 <= pages <= 12
    # The cover renders to an image a person can look at (A4 at 40 dpi: 331 × 468 px).
    exe = require_program("pdftoppm")
    (tmp_path / "look.pdf").write_bytes(pdf)
    subprocess.run(
        [
            exe,
            "-r",
            "40",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "look.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    (png,) = tmp_path.glob("page-*.png")
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert (width, height) == (331, 468)


@pytest.mark.slow
def test_hostile_text_is_printed_not_fetched(planned: Listener, tmp_path: Path, root: App) -> None:
    fetcher = AssetFetcher()
    with root.db.unit_of_work() as s:
        html = render_html(
            "plan/plan.html.j2", plan_context(s, "2026-K1", "VID", today=root.today())
        )
    pdf = html_to_pdf(html, fetcher=fetcher)
    # Autoescaping kept every typed tag as text: the fetcher was never asked for them.
    assert fetcher.refused == []
    assert "&lt;link rel=&#34;attachment&#34;" in html and "<script>" not in html
    assert planned.connections == 0
    assert b"/EmbeddedFile" not in pdf
    flat = " ".join(pdftotext(pdf, tmp_path).split())
    assert "<script>alert(1)</script>" in flat
    # The local file the hostile text pointed at is nowhere in the document.
    secret = SECRET.read_text().splitlines()[0]
    assert len(secret) >= 10
    assert secret not in flat
    assert secret.encode() not in pdf
    # A service name is cut to a readable length, whatever was typed.
    assert "Ļoti garš nosaukums. " * 8 not in flat


@pytest.mark.slow
def test_hostile_text_in_the_annex_is_printed_not_fetched(
    planned: Listener, tmp_path: Path, root: App
) -> None:
    """What a team types into its plan (an own measure's name, services, a reason, a
    planning document) reaches the annex as text."""
    from pvpp.documents.plan_pdf import annex_context
    from pvpp.plans import latest_plan, plan_measures

    typed = f'<link rel="attachment" href="file://{SECRET}"> <script>alert(2)</script>'
    fetcher = AssetFetcher()
    with root.db.unit_of_work() as s:
        row = plan_measures(s, latest_plan(s, context(s, "2026-K1", "VID").assignment))[0]  # type: ignore[arg-type]
        row.origin, row.title, row.services = "own", typed, [typed]
        row.funding_ref, row.funding_eur = typed, 100
        s.add(row)
        s.flush()
        html = render_html(
            "plan/annex.html.j2", annex_context(s, "2026-K1", "VID", today=root.today())
        )
        s.rollback()
    pdf = html_to_pdf(html, fetcher=fetcher)
    assert fetcher.refused == [] and planned.connections == 0
    assert "<script>" not in html and b"/EmbeddedFile" not in pdf
    assert "<script>alert(2)</script>" in " ".join(pdftotext(pdf, tmp_path).split())


def test_the_fetcher_refuses_everything_but_assets(listener: Listener) -> None:
    fetcher = AssetFetcher()
    port = listener.port
    html = f"""<html lang="lv"><head><title>t</title>
    <link rel="stylesheet" href="common/base.css">
    <link rel="stylesheet" href="file:///etc/passwd">
    <link rel="attachment" href="file://{SECRET}">
    <style>@import url(http://127.0.0.1:{port}/a.css);
    body {{ background: url(ftp://127.0.0.1:{port}/x) }}</style>
    </head><body><p>Āā</p>
    <img src="file:///etc/passwd"><img src="http://127.0.0.1:{port}/i.png">
    <img src="../../../../etc/passwd"><img src="fonts/../../../etc/passwd">
    <svg width="10" height="10"><image href="file:///etc/passwd" width="10" height="10"/></svg>
    <img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=">
    </body></html>"""
    pdf = html_to_pdf(html, fetcher=fetcher)
    refused = " ".join(fetcher.refused)
    assert "file:///etc/passwd" in refused
    # A relative path climbing out of templates/ is refused like an absolute one.
    assert any(
        url.endswith("/etc/passwd") and url != "file:///etc/passwd" for url in fetcher.refused
    )
    assert sum("etc/passwd" in url for url in fetcher.refused) >= 3, fetcher.refused
    assert f"127.0.0.1:{port}/a.css" in refused and f"127.0.0.1:{port}/i.png" in refused
    assert listener.connections == 0
    assert b"/EmbeddedFile" not in pdf
    # The project's own stylesheet was served (it is not among the refused).
    assert "base.css" not in refused


def test_undefined_variables_are_errors() -> None:
    with pytest.raises(UndefinedError):
        environment().from_string("{{ missing }}").render()
    # Autoescape is a plain True, so it covers every template name (.j2 included).
    assert environment().autoescape is True
    assert str(environment().from_string("{{ x }}").render(x="<b>")) == "&lt;b&gt;"


def test_the_summary_adds_up_the_plans_own_measures(planned: Listener, root: App) -> None:
    """The person-days in the head's summary are what this plan's measures due by the end
    of 2027 add up to: a smaller plan says a smaller figure."""
    from datetime import date

    from pvpp.planning.library import load_library
    from pvpp.plans import adjust_plan, latest_plan, plan_measures

    effort = load_library("pvpp2027-v1").effort_days
    with root.db.unit_of_work() as s:
        ctx = context(s, "2026-K1", "VID")
        rows = plan_measures(s, latest_plan(s, ctx.assignment))  # type: ignore[arg-type]
        due = [m for m in rows if m.due_on <= date(2027, 12, 31)]
        asks = plan_context(s, "2026-K1", "VID", today=date(2026, 4, 1))["asks"]
        assert asks["by_2027"] == len(due)
        assert asks["effort_days"] == sum(effort[m.effort] for m in due)
        # Drop every measure due in 2026: the figure falls by their days.
        gone = {m.measure_id: "Jau izpildīts" for m in due if m.due_on.year == 2026}
        assert gone
        adjust_plan(s, ctx, drop=gone)
    with root.db.unit_of_work() as s:
        smaller = plan_context(s, "2026-K1", "VID", today=date(2026, 4, 1))["asks"]
        kept = [m for m in due if m.measure_id not in gone]
        assert smaller["effort_days"] <= sum(effort[m.effort] for m in kept)
        assert smaller["effort_days"] < asks["effort_days"]
    # A plan made on 29.11.2026 with 10 person-days a half-year holds two half-years of
    # 2027: its summary says what those measures add up to, not a figure for four.
    with root.db.unit_of_work() as s:
        from pvpp.plans import build_plan

        late, _ = build_plan(
            s, context(s, "2026-K1", "VID"), today=date(2026, 11, 29), capacity_days=10
        )
        late_rows = [m for m in plan_measures(s, late) if m.due_on <= date(2027, 12, 31)]
        late_asks = plan_context(s, "2026-K1", "VID", today=date(2026, 4, 1))["asks"]
    assert late_asks["effort_days"] == sum(effort[m.effort] for m in late_rows)
    assert {m.period for m in late_rows} <= {"2027H1", "2027H2"}


def test_the_method_page_lists_every_designed_value(planned: Listener, root: App) -> None:
    """The method page names each designed value the plan's numbers depend on, from the
    policy's `designed` entries, and says that assessing component 1 is a design choice."""
    from html import unescape

    from pvpp.policy import load_policy

    policy = load_policy("pvpp2027-v1")
    choice = {"lv": "projekta izvēles", "en": "project's choice"}
    factor = {"lv": "1,5", "en": "1.5"}
    for lang in ("lv", "en"):
        with root.db.unit_of_work() as s:
            view = plan_context(s, "2026-K1", "VID", today=root.today(), lang=lang)
        html = unescape(render_html("plan/plan.html.j2", view))
        method = html[html.index('<section id="method">') :]
        for entry in policy.designed_for_numbers():
            assert entry.name.get(lang) in method and entry.note.get(lang) in method
        assert choice[lang] in method and factor[lang] in method
        # The schedule's designed inputs: the capacity it was made with, the assumed one
        # when a team gives none, each size's person-days.
        schedule = {"lv": "(cilvēkdienas pusgadā): 40.", "en": "(person-days per half-year): 40."}
        assert method.count(schedule[lang]) == 2 and "S 5; M 20; L 60" in method
