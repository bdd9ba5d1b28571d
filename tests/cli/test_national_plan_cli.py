"""``pvpp national-plan`` and ``pvpp export open-data`` as a coordinator runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from pvpp.app import App
from pvpp.cli.main import app
from pvpp.questionnaire import QuestionnaireSpec
from tests.rounds import close, run_round

runner = CliRunner()
CODES = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD")]


def _run(root: App, *args: str) -> Result:
    return runner.invoke(app, list(args), catch_exceptions=False, obj=root)


def test_a_coordinator_drafts_edits_and_exports_a_plan(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path / "in", CODES)
    close(root)
    plan = ("2026-K1", "--direction", "RV7")
    who = ("--actor", "koordinators@varam.gov.lv", "--today", "2026-04-02")
    drafted = _run(root, "national-plan", "draft", *plan, *who)
    assert drafted.exit_code == 0, drafted.output
    assert "RV7 plan, version 1" in drafted.output

    shown = json.loads(_run(root, "national-plan", "show", *plan, "--json").stdout)
    first = shown["measures"][0]["key"]
    assert shown["version"] == 1 and shown["counted_on"] == "2026-04-01"

    # One edit by options: refused without a reason, nothing saved; then done.
    refused = _run(root, "national-plan", "edit", *plan, *who, "--drop", first)
    assert refused.exit_code == 1
    assert f"--drop {first}: reason: must not be empty" in refused.stderr
    dropped = _run(root, "national-plan", "edit", *plan, *who, "--drop", first,
                   "--reason", "VAS programma jau ir")  # fmt: skip
    assert dropped.exit_code == 0, dropped.output
    assert f"drop {first}: VAS programma jau ir" in dropped.output

    # An edit file made against version 1 is refused: the plan is at version 2.
    edits = tmp_path / "edits.yaml"
    edits.write_text(
        "base_version: 1\nedits:\n  - add:\n      title: Mentoru tīkls\n"
        "      description: Pieredzējuši komandu vadītāji konsultē jaunos.\n"
        "      responsible: VK\n      due_on: 2027-06-30\n      items: [S4]\n"
        "    reason: Vajadzība pēc prakses\n",
        encoding="utf-8",
    )
    stale = _run(root, "national-plan", "edit", *plan, *who, "--file", str(edits))
    assert stale.exit_code == 1 and "at version 2 now" in stale.stderr
    text = edits.read_text(encoding="utf-8")
    edits.write_text(text.replace("base_version: 1", "base_version: 2"), encoding="utf-8")
    added = _run(root, "national-plan", "edit", *plan, *who, "--file", str(edits))
    assert added.exit_code == 0, added.output
    assert "add RV7-" in added.output and "Mentoru tīkls" in added.output

    versions = json.loads(_run(root, "national-plan", "show", *plan, "--json").stdout)["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]

    pdf, xlsx = tmp_path / "rv7.pdf", tmp_path / "rv7.xlsx"
    exported = _run(root, "national-plan", "export", *plan, "--pdf", str(pdf), "--xlsx", str(xlsx))
    assert exported.exit_code == 0, exported.output
    assert pdf.read_bytes().startswith(b"%PDF") and xlsx.stat().st_size > 0

    folder = tmp_path / "open"
    published = _run(root, "export", "open-data", "2026-K1", str(folder))
    assert published.exit_code == 0, published.output
    assert (folder / "datapackage.json").exists() and (folder / "needs.csv").exists()


def test_an_edit_names_one_way_to_give_it(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    both = _run(root, "national-plan", "edit", "2026-K1", "--direction", "RV6",
                "--actor", "x", "--drop", "RV6-01", "--measure", "RV6-02")  # fmt: skip
    assert both.exit_code == 2
    assert "give one of --file, --measure, --drop or --add" in both.stderr
