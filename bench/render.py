"""Plan PDF rendering against WeasyPrint's own render of the same HTML, in one run.

    .venv/bin/python -m bench.render [--repeat 5] [--institution VID]

Builds a small round in a temporary store, then for one institution (VID, or the one
named: DAUGAVPILS has the demo's longest plan, 326 measures) times
(a) ``plan_pdf`` — reading the store, scoring, the template, the charts and WeasyPrint
    with the project's asset-only fetcher — and
(b) WeasyPrint alone on the HTML that (a) produced, with its default fetcher.
Prints the medians (and (a)'s CPU time, steadier on a shared machine), the ratio a / b
(the target is at most 1.2), and the PDF's pages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pvpp.app import App

TARGET = 1.2


def setup(folder: Path, institution: str = "VID") -> App:
    """A root on a store in ``folder`` with round B1, four returns (and ``institution``'s)
    and ``institution``'s plan."""
    from flows.demo.synthetic import filled_workbooks
    from pvpp.app import App
    from pvpp.paths import resources_dir
    from pvpp.plans import build_plan, context
    from pvpp.policy import load_policy
    from pvpp.questionnaire import load_questionnaire
    from pvpp.registry import import_registry
    from pvpp.rounds import create_round
    from pvpp.settings import Settings
    from pvpp.submissions import ingest_paths

    root = App.build(
        Settings(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'bench.db'}",
            secret_key=os.environ.get("PVPP_SECRET_KEY", "bench-signing-key-0123456789abcdef"),
        )
    )
    root.db.upgrade()
    # The version new rounds get (version 2 since its questions were split into parts).
    spec = load_questionnaire(root.settings.default_questionnaire)
    with root.db.unit_of_work() as s:
        import_registry(
            s,
            resources_dir() / "examples" / "registry.xlsx",
            load_policy("pvpp2027-v1"),
            settings=root.settings,
        )
        create_round(
            s,
            code="B1",
            opens_on=date(2026, 1, 15),
            due_on=date(2026, 3, 31),
            questionnaire_version=spec.id,
        )
    codes = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD")]
    if institution not in dict(codes):
        codes.append((institution, institution))
    for code, data in filled_workbooks(
        spec, codes, round_code="B1", key=root.settings.signing_key()
    ).items():
        (folder / f"{code}.xlsx").write_bytes(data)
    ingest_paths([folder / f"{c}.xlsx" for c, _ in codes], settings=root.settings, db=root.db)
    with root.db.unit_of_work() as s:
        build_plan(s, context(s, "B1", institution), today=date(2026, 3, 31))
    return root


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--institution", default="VID", help="whose plan (default VID)")
    args = parser.parse_args()
    code = args.institution
    with tempfile.TemporaryDirectory() as tmp:
        root = setup(Path(tmp), code)
        today = root.today()
        import weasyprint

        from pvpp.documents.plan_pdf import plan_context, plan_pdf
        from pvpp.documents.render import render_html, templates_dir

        with root.db.unit_of_work() as s:
            html = render_html("plan/plan.html.j2", plan_context(s, "B1", code, today=today))
            plan_pdf(s, "B1", code, today=today)  # warm-up: fonts, caches
        base = templates_dir().as_uri() + "/"
        pages = len(weasyprint.HTML(string=html, base_url=base).render().pages)
        ours, theirs, cpu = [], [], []
        for _ in range(args.repeat):
            start, cpu_start = time.perf_counter(), time.process_time()
            with root.db.unit_of_work() as s:
                plan_pdf(s, "B1", code, today=today)
            ours.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
            start = time.perf_counter()
            weasyprint.HTML(string=html, base_url=base).write_pdf(pdf_tags=True)
            theirs.append(time.perf_counter() - start)
        root.close()
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = a / b
    print(f"{code}: {pages} pages")
    print(f"plan_pdf (store → PDF)      median {a:.3f} s over {args.repeat} runs")
    # CPU time of this process: steadier than wall time when other work shares the cores.
    print(f"plan_pdf CPU time           median {statistics.median(cpu):.3f} s")
    print(f"WeasyPrint on the same HTML median {b:.3f} s")
    print(f"ratio {ratio:.3f} (target ≤ {TARGET}): {'OK' if ratio <= TARGET else 'OVER'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
