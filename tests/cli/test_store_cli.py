"""The store commands as people use them: messages, exit codes, tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flows.demo.synthetic import filled_workbooks
from pvpp.app import App
from pvpp.cli.main import app
from pvpp.store import db
from tests.conftest import make_root, settings_for

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(root: App, *args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False, obj=root)


@pytest.fixture
def sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: App) -> Path:
    return tmp_path


def test_commands_say_when_the_schema_is_behind(sqlite_store: Path, root: App) -> None:
    result = run(root, "registry", "list")
    assert result.exit_code == 1
    assert "Run `pvpp db upgrade` first" in result.stderr
    assert run(root, "db", "status").exit_code == 1
    assert f"empty → {db.head_revision()}" in run(root, "db", "upgrade").stdout
    assert "up to date" in run(root, "db", "upgrade").stdout
    assert run(root, "db", "status").exit_code == 0


def test_a_round_from_the_command_line(sqlite_store: Path, spec_q2: Any, root: App) -> None:
    run(root, "db", "upgrade")
    imported = run(root, "registry", "import", str(EXAMPLES / "registry.xlsx"))
    assert "42 created" in imported.stdout
    assert (
        "0 created, 0 updated, 42 unchanged"
        in run(root, "registry", "import", str(EXAMPLES / "registry.csv")).stdout
    )

    bad = sqlite_store / "bad.csv"
    bad.write_text("code,name\nX,Y\n", encoding="utf-8")
    refused = run(root, "registry", "import", str(bad))
    assert refused.exit_code == 1
    assert "nothing was changed" in refused.stderr
    assert "missing column(s) group, head_name, head_email, scope" in refused.stderr

    added = run(
        root,
        "team",
        "add",
        "VID",
        "--name",
        "Anna Liepa",
        "--email",
        "Anna.Liepa@vid.example.org",
        "--role",
        "team_lead",
        "--lead",
    )
    assert added.exit_code == 0, added.stderr
    assert (
        run(
            root,
            "team",
            "add",
            "VID",
            "--name",
            "X",
            "--email",
            "x@vid.example.org",
            "--role",
            "wizard",
        ).exit_code
        == 1
    )
    assert (
        "needs no team"
        in run(
            root,
            "team",
            "add",
            "RPAB",
            "--name",
            "X",
            "--email",
            "x@rpab.example.org",
            "--role",
            "team_lead",
        ).stderr
    )
    trained = run(
        root,
        "team",
        "training",
        "VID",
        "--email",
        "anna.liepa@vid.example.org",
        "--measure",
        "P1.1",
        "--date",
        "2025-03-04",
    )
    assert trained.exit_code == 0
    refused = run(root,
        "team", "training", "VID", "--email", "anna.liepa@vid.example.org",
        "--measure", "P9.9", "--date", "2025-03-04",
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "'P9.9' is not a policy training" in refused.stderr
    # What people type is printed as typed, brackets too (not read as rich markup).
    # A code without the shape of a round code is refused before the command runs.
    unknown = run(root, "round", "status", "[/x] [bold]")
    assert unknown.exit_code == 2
    assert "'[/x] [bold]' is not a round code" in " ".join(unknown.stderr.replace("│", " ").split())
    missing = run(root, "round", "status", "2099-K9")
    assert missing.exit_code == 1
    assert "no round '2099-K9'" in missing.stderr

    created = run(
        root, "round", "create", "2026-K1", "--opens", "2026-01-15", "--due", "2026-03-31"
    )
    assert created.exit_code == 0, created.stderr
    assert "pvpp2027-q2" in created.stdout
    assert "37 assigned, 5 without assignment" in created.stdout
    # Why, in words, with the stored reason in brackets.
    said = " ".join(created.stdout.split())
    assert "RPAB: no assignment — no service-management role in the registry [no_role]" in said
    assert (
        "no assignment — the plan's measures do not apply to it "
        "(4.1.5.3: National Armed Forces and the National Guard) [excluded:4.1.5.3]" in said
    )
    assert (
        "Round already exists, unchanged"
        in run(
            root, "round", "create", "2026-K1", "--opens", "2026-01-15", "--due", "2026-03-31"
        ).stdout
    )
    assert (
        run(
            root, "round", "create", "2026-K2", "--opens", "2026-13-01", "--due", "2026-03-31"
        ).exit_code
        == 2
    )

    books = filled_workbooks(
        spec_q2,
        [("VID", "Valsts ieņēmumu dienests"), ("UR", "Uzņēmumu reģistrs")],
        round_code="2026-K1",
        key=root.settings.signing_key(),
    )
    folder = sqlite_store / "in"
    folder.mkdir()
    for code, data in books.items():
        (folder / f"{code}.xlsx").write_bytes(data)
    (folder / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    ingested = run(root, "submissions", "ingest", str(folder))
    assert ingested.exit_code == 0
    assert "accepted: 2  incomplete: 0  rejected: 1  duplicate: 0" in ingested.stdout
    assert "duplicate: 3" in run(root, "submissions", "ingest", str(folder)).stdout

    status = json.loads(run(root, "round", "status", "2026-K1", "--json").stdout)
    by_code = {r["code"]: r for r in status["institutions"]}
    assert by_code["VID"]["state"] == "accepted" and by_code["VID"]["index"] is not None
    assert by_code["VID"]["flags"] == ["no_training_P1.3", "no_training_P2.2"]
    assert status["totals"]["accepted"] == 2 and status["totals"]["invited"] == 35

    scores = run(
        root, "scores", "show", "--round", "2026-K1", "--institution", "VID", "--json", "--explain",
        "--lang", "en",
    )  # fmt: skip
    payload = json.loads(scores.stdout)
    assert payload["method"] == "pvpp-score-3"
    assert any(line.startswith("overall = weighted mean of") for line in payload["explanation"])
    table = run(
        root, "scores", "show", "--round", "2026-K1", "--institution", "VID", "--explain",
        "--lang", "en",
    )  # fmt: skip
    assert "overall index" in table.stdout and "score K3 = mean(" in table.stdout
    # Latvian by default, in one language: no English explanation mixed with Latvian warnings.
    table = run(root, "scores", "show", "--round", "2026-K1", "--institution", "VID", "--explain")
    assert "kopējais indekss" in table.stdout and "vērtējums K3 = vidējais(" in table.stdout
    assert "kopējais vērtējums = " in table.stdout
    assert "score K3" not in table.stdout and "weighted mean" not in table.stdout
    missing = run(root, "scores", "show", "--round", "2026-K1", "--institution", "VARAM")
    assert missing.exit_code == 1 and "no accepted workbook" in missing.stderr


def test_a_round_created_on_version_1_keeps_it(
    sqlite_store: Path, spec: Any, spec_q2: Any, root: App
) -> None:
    """A round created while version 1 was the default keeps version 1 after the default
    became version 2: its version 1 workbooks are accepted, scored, planned and rendered,
    and a version 2 workbook for it is refused by name."""
    earlier = make_root(settings_for(root.settings.data_dir, default_questionnaire=spec.id))
    try:
        run(earlier, "db", "upgrade")
        run(earlier, "registry", "import", str(EXAMPLES / "registry.xlsx"))
        made = run(earlier, "round", "create", "2026-K1", "--opens", "2026-01-15",
                   "--due", "2026-03-31")  # fmt: skip
        assert made.exit_code == 0 and spec.id in made.stdout
    finally:
        earlier.close()
    assert root.settings.default_questionnaire == spec_q2.id

    key = root.settings.signing_key()
    books = filled_workbooks(spec, [("VID", "Valsts ieņēmumu dienests")], round_code="2026-K1",
                             key=key)  # fmt: skip
    books |= filled_workbooks(spec_q2, [("UR", "Uzņēmumu reģistrs")], round_code="2026-K1",
                              key=key)  # fmt: skip
    folder = sqlite_store / "in"
    folder.mkdir()
    for code, data in books.items():
        (folder / f"{code}.xlsx").write_bytes(data)
    ingested = run(root, "submissions", "ingest", str(folder))
    assert "accepted: 1  incomplete: 0  rejected: 1" in ingested.stdout
    said = " ".join(ingested.stdout.replace("│", " ").split())
    assert "round 2026-K1 uses pvpp2027-q1, not pvpp2027-q2" in said

    inst = ["--round", "2026-K1", "--institution", "VID"]
    scores = run(root, "scores", "show", *inst)
    assert scores.exit_code == 0 and "kopējais indekss" in scores.stdout
    built = run(root, "plan", "build", *inst, "--today", "2026-03-31")
    assert built.exit_code == 0, built.stderr
    pdf = sqlite_store / "plan.pdf"
    rendered = run(root, "plan", "pdf", *inst, "--out", str(pdf), "--today", "2026-03-31")
    assert rendered.exit_code == 0, rendered.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
