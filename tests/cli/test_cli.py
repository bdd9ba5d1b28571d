"""The command line as people and scripts use it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pvpp.cli.main import app
from pvpp.paths import policy_dir
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.settings import SECRET_KEY_FILE, Settings, get_settings
from pvpp.store import db

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_policy_show_json_counts() -> None:
    result = run("policy", "show", "--json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    expected = {
        "components": 4,
        "items": 29,
        "condition_groups": 10,
        "capabilities": 9,
        "resources": 3,
        "principles": 7,
        "dimensions": 4,
        "action_directions": 7,
        "measures": 24,
        "institution_groups": 6,
        "exclusions": 4,
    }
    assert {k: payload["counts"][k] for k in expected} == expected
    first = payload["policy"]["components"][0]
    assert first["name"] == {
        "lv": "Pakalpojumu pārvaldības pamatnosacījumi",
        "en": first["name"]["en"],
    }
    assert first["items"][0]["id"] == "1.1"


def test_policy_show_tree_in_both_languages() -> None:
    lv = run("policy", "show")
    assert lv.exit_code == 0
    assert "Iesaiste, līdzdalība un sadarbība" in lv.stdout
    assert "Measures: 24" in lv.stdout.replace("measures", "Measures")
    en = run("policy", "show", "--lang", "en")
    assert "Basic conditions" in en.stdout


def test_policy_check_good_and_broken(tmp_path: Path) -> None:
    good = run("policy", "check", str(policy_dir() / "pvpp2027-v1.yaml"))
    assert good.exit_code == 0
    assert "29 items" in good.stdout
    raw = yaml.safe_load((policy_dir() / "pvpp2027-v1.yaml").read_text(encoding="utf-8"))
    raw["components"][2]["rv5_measure"] = "P5.9"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    bad = run("policy", "check", str(broken))
    assert bad.exit_code == 1
    assert f"{broken}: components[C3].rv5_measure: 'P5.9' is not a measure" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout


def test_policy_show_unknown_version() -> None:
    result = run("policy", "show", "--version", "nope")
    assert result.exit_code == 1
    assert "unknown policy version 'nope'" in result.stderr


def test_workbook_new_then_check_exit_codes(
    tmp_path: Path, spec: QuestionnaireSpec, fill: Any
) -> None:
    out = tmp_path / "wb" / "vid.xlsx"
    made = run(
        "workbook", "new", "--institution", "VID", "--name", "Valsts ieņēmumu dienests",
        "--round", "2026-K1", "--out", str(out), "--due", "2026-12-15",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    blank = run("workbook", "check", str(out), "--json")
    assert blank.exit_code == 3
    assert json.loads(blank.stdout)["status"] == "incomplete"

    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill(base=out.read_bytes()))
    ok = run("workbook", "check", str(filled), "--json")
    assert ok.exit_code == 0
    answers = json.loads(ok.stdout)["answers"]
    assert len([k for k in answers if k.startswith("Q_")]) == len(spec.degree_fields)
    assert all(
        isinstance(v, int) or v in ("not_applicable", "unknown")
        for k, v in answers.items()
        if k.startswith("Q_")
    )
    assert isinstance(answers["SVC01_NAME"], str)

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(fill({"Q_K2_D3": "7"}, base=out.read_bytes()))
    bad = run("workbook", "check", str(broken))
    assert bad.exit_code == 1
    assert "3 Nosacījumi!D" in bad.stdout
    assert "“7” nav atļauta atbilde" in bad.stdout


def test_workbook_check_expectations_and_missing_file(tmp_path: Path, filled_lv: bytes) -> None:
    path = tmp_path / "f.xlsx"
    path.write_bytes(filled_lv)
    other = run("workbook", "check", str(path), "--institution", "VARAM", "--round", "2027-K2")
    assert other.exit_code == 1
    assert "iestādei VID, nevis VARAM" in other.stdout
    assert "kārtai 2026-K1, nevis 2027-K2" in other.stdout
    missing = run("workbook", "check", str(tmp_path / "absent.xlsx"))
    assert missing.exit_code == 1
    assert "cannot read" in missing.stderr


def test_workbook_new_refuses_bad_options(tmp_path: Path) -> None:
    base = [
        "workbook",
        "new",
        "--institution",
        "X",
        "--name",
        "N",
        "--round",
        "R",
        "--out",
        str(tmp_path / "x.xlsx"),
    ]
    assert run(*base, "--lang", "de").exit_code == 2
    assert run(*base, "--due", "15.12.2026").exit_code == 2
    assert not (tmp_path / "x.xlsx").exists()


def test_english_workbook_messages(tmp_path: Path, spec: QuestionnaireSpec) -> None:
    out = tmp_path / "en.xlsx"
    assert (
        run(
            "workbook",
            "new",
            "--institution",
            "VID",
            "--name",
            "State Revenue Service",
            "--round",
            "R1",
            "--out",
            str(out),
            "--lang",
            "en",
        ).exit_code
        == 0
    )
    result = run("workbook", "check", str(out))
    assert "The workbook is valid but not complete: 116 unanswered questions." in result.stdout


@pytest.mark.slow
def test_demo_runs_a_round_and_a_rerun_changes_nothing(
    prefect: None, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PVPP_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    get_settings.cache_clear()
    first = run("demo", "--out", str(tmp_path / "demo"))
    assert first.exit_code == 0, first.stdout
    out = " ".join(first.stdout.split())  # rich wraps long lines at the terminal width
    assert "Registry: 42 created" in out
    assert "First collection (2026-03-24): accepted 32, incomplete 1, rejected 3" in out
    assert "Cycle (2026-04-15): received accepted 4, duplicate 36; new plan versions 36" in out
    assert (
        "Follow-up (2026-07-20): status sheets accepted 34, rejected 1; reminders 2, "
        "escalations 26, re-planned versions sent 1" in out
    )
    assert (
        "Emails in the outbox by kind: escalation 26, followup 36, invitation 37, plan 37, "
        "reminder 5, returned 4, status_reminder 2, status_returned 1" in out
    )
    assert len(list((tmp_path / "demo" / "mail").glob("*.eml"))) == 26 + 36 + 37 + 37 + 5 + 4 + 3
    assert len(list((tmp_path / "demo" / "2026-K1" / "plans").glob("*-v*.pdf"))) == 37
    assert os.environ.get("PVPP_MAIL_FOLDER") is None  # the demo's settings stay in the demo
    counts = _table_counts()

    second = run("demo", "--out", str(tmp_path / "demo"))
    assert second.exit_code == 0, second.stdout
    out = " ".join(second.stdout.split())
    assert "42 unchanged" in out
    assert "First collection (2026-03-24): duplicate 40" in out
    assert "Cycle (2026-04-15): received duplicate 40; new plan versions 0" in out
    assert (
        "status sheets duplicate 35; reminders 0, escalations 0, re-planned versions sent 0" in out
    )
    after = _table_counts()
    # Only the audit log grows: it notes that the same files arrived again.
    assert {k: v for k, v in after.items() if k != "auditlog"} == {
        k: v for k, v in counts.items() if k != "auditlog"
    }
    db.dispose_engines()


def _table_counts() -> dict[str, int]:
    from sqlmodel import SQLModel, func, select

    with db.unit_of_work() as s:
        return {
            name: s.exec(select(func.count()).select_from(table)).one()
            for name, table in SQLModel.metadata.tables.items()
        }


def test_local_signing_key_is_generated_once(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("PVPP_SECRET_KEY")
    get_settings.cache_clear()
    data_dir = tmp_path / "state"
    settings = Settings(data_dir=data_dir)
    first = settings.signing_key()
    assert len(first) == 64
    key_file = data_dir / SECRET_KEY_FILE
    assert key_file.stat().st_mode & 0o077 == 0
    assert Settings(data_dir=data_dir).signing_key() == first
    assert Settings(data_dir=tmp_path / "other").signing_key() != first
    assert Settings(data_dir=data_dir, secret_key="from-env").signing_key() == b"from-env"
