"""Setting up a round for a test: registry, round, filled workbooks, ingest, plans."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.plans import build_plan, context
from pvpp.policy import load_policy
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.registry import import_registry
from pvpp.rounds import close_round, create_round
from pvpp.submissions import ingest_paths
from pvpp.workbook.fill import fill_workbook

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_round(
    root: App,
    spec: QuestionnaireSpec,
    folder: Path,
    codes: list[tuple[str, str]],
    *,
    round_code: str = "2026-K1",
    edits: dict[str, dict[str, Any]] | None = None,
    plans: bool = False,
    before_round: Callable[[Session], None] | None = None,
    review: bool = False,
    opens_on: date = date(2026, 1, 15),
    due_on: date = date(2026, 3, 31),
) -> dict[str, Path]:
    """Import the example registry, create the round, write each institution's filled
    workbook (with ``edits`` of cells per institution) into ``folder``, ingest them and,
    with ``plans``, build each plan. ``review``: the round is created with review, so a
    valid workbook waits in "submitted" for a reviewer. Returns the workbook paths by
    institution code."""
    with root.db.unit_of_work() as s:
        import_registry(
            s, EXAMPLES / "registry.xlsx", load_policy(spec.policy.id), settings=root.settings
        )
        if before_round is not None:
            before_round(s)
        create_round(
            s,
            code=round_code,
            opens_on=opens_on,
            due_on=due_on,
            questionnaire_version=spec.id,
            review_required=review,
        )
    books = filled_workbooks(spec, codes, round_code=round_code, key=root.settings.signing_key())
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for code, data in books.items():
        if edits and code in edits:
            data = fill_workbook(data, edits[code])
        paths[code] = folder / f"{code}.xlsx"
        paths[code].write_bytes(data)
    ingest_paths(list(paths.values()), settings=root.settings, db=root.db)
    if plans:
        with root.db.unit_of_work() as s:
            for code in paths:
                build_plan(s, context(s, round_code, code), today=due_on)
    return paths


def close(root: App, round_code: str = "2026-K1", today: date = date(2026, 4, 1)) -> None:
    """Close the round for publication (the day after run_round's due date by default)."""
    with root.db.unit_of_work() as s:
        close_round(s, round_code, today=today, actor="test")
