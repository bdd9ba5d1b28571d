"""Plan PDF rendering against WeasyPrint's own render of the same HTML, in one run.

    .venv/bin/python -m bench.render [--repeat 5]

Builds a small round in a temporary store, then for one institution times
(a) ``plan_pdf`` — reading the store, scoring, the template, the charts and WeasyPrint
    with the project's asset-only fetcher — and
(b) WeasyPrint alone on the HTML that (a) produced, with its default fetcher.
Prints the medians and the ratio a / b; the target is at most 1.2.
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


def setup(folder: Path) -> App:
    """A root on a store in ``folder`` with round B1, four returns and VID's plan."""
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
            secret_key=os.environ.get("PVPP_SECRET_KEY", "bench-key"),
        )
    )
    root.db.upgrade()
    spec = load_questionnaire("pvpp2027-q1")
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
    for code, data in filled_workbooks(
        spec, codes, round_code="B1", key=root.settings.signing_key()
    ).items():
        (folder / f"{code}.xlsx").write_bytes(data)
    ingest_paths([folder / f"{c}.xlsx" for c, _ in codes], settings=root.settings, db=root.db)
    with root.db.unit_of_work() as s:
        build_plan(s, context(s, "B1", "VID"), today=date(2026, 3, 31))
    return root


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = setup(Path(tmp))
        today = root.today()
        import weasyprint

        from pvpp.documents.plan_pdf import plan_context, plan_pdf
        from pvpp.documents.render import render_html, templates_dir

        with root.db.unit_of_work() as s:
            html = render_html("plan/plan.html.j2", plan_context(s, "B1", "VID", today=today))
            plan_pdf(s, "B1", "VID", today=today)  # warm-up: fonts, caches
        base = templates_dir().as_uri() + "/"
        weasyprint.HTML(string=html, base_url=base).write_pdf(pdf_tags=True)
        ours, theirs = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            with root.db.unit_of_work() as s:
                plan_pdf(s, "B1", "VID", today=today)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            weasyprint.HTML(string=html, base_url=base).write_pdf(pdf_tags=True)
            theirs.append(time.perf_counter() - start)
        root.close()
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = a / b
    print(f"plan_pdf (store → PDF)      median {a:.3f} s over {args.repeat} runs")
    print(f"WeasyPrint on the same HTML median {b:.3f} s")
    print(f"ratio {ratio:.3f} (target ≤ {TARGET}): {'OK' if ratio <= TARGET else 'OVER'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
