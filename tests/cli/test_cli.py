"""The command line as people and scripts use it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.main import app
from pvpp.paths import policy_dir
from pvpp.policy import load_policy
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.registry import import_registry
from pvpp.rounds import create_round
from pvpp.settings import SECRET_KEY_FILE, Settings
from tests.rounds import EXAMPLES

runner = CliRunner()


@pytest.fixture
def round_root(root: App) -> App:
    """A store with the example registry and round 2026-K1 (every institution in it)."""
    root.db.upgrade()
    with root.db.unit_of_work() as s:
        import_registry(
            s, EXAMPLES / "registry.xlsx", load_policy("pvpp2027-v1"), settings=root.settings
        )
        # The round takes the default questionnaire, as `pvpp round create` does.
        create_round(
            s, code="2026-K1", opens_on=date(2026, 1, 15), due_on=date(2026, 3, 31),
            questionnaire_version=root.settings.default_questionnaire,
        )  # fmt: skip
    return root


def run(root: App, *args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False, obj=root)


def test_policy_show_json_counts(root: App) -> None:
    result = run(root, "policy", "show", "--json")
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


def test_policy_show_tree_in_both_languages(root: App) -> None:
    lv = run(root, "policy", "show")
    assert lv.exit_code == 0
    assert "Iesaiste, līdzdalība un sadarbība" in lv.stdout
    assert "Measures: 24" in lv.stdout.replace("measures", "Measures")
    en = run(root, "policy", "show", "--lang", "en")
    assert "Basic conditions" in en.stdout


def test_policy_check_good_and_broken(tmp_path: Path, root: App) -> None:
    good = run(root, "policy", "check", str(policy_dir() / "pvpp2027-v1.yaml"))
    assert good.exit_code == 0
    assert "29 items" in good.stdout
    raw = yaml.safe_load((policy_dir() / "pvpp2027-v1.yaml").read_text(encoding="utf-8"))
    raw["components"][2]["rv5_measure"] = "P5.9"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    bad = run(root, "policy", "check", str(broken))
    assert bad.exit_code == 1
    assert f"{broken}: components[C3].rv5_measure: 'P5.9' is not a measure" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout


def test_policy_show_unknown_version(root: App) -> None:
    result = run(root, "policy", "show", "--version", "nope")
    assert result.exit_code == 1
    assert "unknown policy version 'nope'" in result.stderr


def test_workbook_new_then_check_exit_codes(
    tmp_path: Path, spec_q2: QuestionnaireSpec, fill_q2: Any, round_root: App
) -> None:
    root = round_root
    out = tmp_path / "wb" / "vid.xlsx"
    made = run(root,
        "workbook", "new", "--institution", "VID", "--name", "Valsts ieņēmumu dienests",
        "--round", "2026-K1", "--out", str(out), "--due", "2026-12-15",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    # The default version of a new round: version 2, its questions asked in parts.
    assert "164 questions" in made.stdout
    blank = run(root, "workbook", "check", str(out), "--json")
    assert blank.exit_code == 3
    assert json.loads(blank.stdout)["status"] == "incomplete"

    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill_q2(base=out.read_bytes()))
    ok = run(root, "workbook", "check", str(filled), "--json")
    assert ok.exit_code == 0
    answers = json.loads(ok.stdout)["answers"]
    assert len([k for k in answers if k.startswith("Q_")]) == len(spec_q2.degree_fields)
    assert "Q_K2_D3_2" in answers
    assert all(
        isinstance(v, int) or v in ("not_applicable", "unknown")
        for k, v in answers.items()
        if k.startswith("Q_")
    )
    assert isinstance(answers["SVC01_NAME"], str)

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(fill_q2({"Q_K2_D3_2": "7"}, base=out.read_bytes()))
    bad = run(root, "workbook", "check", str(broken))
    assert bad.exit_code == 1
    assert "3 Nosacījumi!D" in bad.stdout
    assert "“7” nav atļauta atbilde" in bad.stdout


def test_workbook_check_expectations_and_missing_file(
    tmp_path: Path, filled_lv: bytes, root: App
) -> None:
    path = tmp_path / "f.xlsx"
    path.write_bytes(filled_lv)
    other = run(
        root, "workbook", "check", str(path), "--institution", "VARAM", "--round", "2027-K2"
    )
    assert other.exit_code == 1
    assert "iestādei VID, nevis VARAM" in other.stdout
    assert "ciklam 2026-K1, nevis 2027-K2" in other.stdout
    missing = run(root, "workbook", "check", str(tmp_path / "absent.xlsx"))
    assert missing.exit_code == 1
    assert "cannot read" in missing.stderr


def test_workbook_new_refuses_bad_options(tmp_path: Path, root: App) -> None:
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
    assert run(root, *base, "--lang", "de").exit_code == 2
    assert run(root, *base, "--due", "15.12.2026").exit_code == 2
    assert not (tmp_path / "x.xlsx").exists()


def test_workbook_new_refuses_a_round_or_institution_that_does_not_exist(
    tmp_path: Path, round_root: App
) -> None:
    out = tmp_path / "x.xlsx"

    def new(institution: str, round_code: str) -> Any:
        return run(round_root, "workbook", "new", "--institution", institution,
                   "--round", round_code, "--out", str(out))  # fmt: skip

    no_round = new("VID", "2027-K9")
    assert no_round.exit_code == 1
    assert "error: There is no assessment round '2027-K9' (the rounds are: 2026-K1)" in (
        " ".join(no_round.stderr.split())
    )
    no_institution = new("NOPE", "2026-K1")
    assert no_institution.exit_code == 1
    assert "no institution 'NOPE' in the registry" in no_institution.stderr
    assert not out.exists()
    # Without --name, the registry's name is on the workbook; the round's due date too.
    made = new("VID", "2026-K1")
    assert made.exit_code == 0, made.stderr
    checked = run(round_root, "workbook", "check", str(out), "--json")
    assert json.loads(checked.stdout)["meta"]["institution_name"] == "Valsts ieņēmumu dienests"


def test_every_error_line_has_one_prefix(tmp_path: Path, root: App) -> None:
    """pvpp's own errors and click's usage errors print alike: "error: ...", exit 2."""
    for args in (
        ["workbook", "new", "--round", "bad code"],
        ["plan", "show", "--nope"],
        ["--nope"],
        ["nocommand"],
        ["outbox", "list", "--state", "lost"],
        ["round", "report", "R", "--out", str(tmp_path / "x.pdf"), "--lang", "de"],
    ):
        result = run(root, *args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error: "), (args, result.stderr)
        assert "Error" not in result.stderr and "╭" not in result.stderr, args


def test_commands_refuse_an_unknown_language(tmp_path: Path, root: App) -> None:
    out = str(tmp_path / "x.pdf")
    plan = ["--round", "R", "--institution", "X"]
    for args in (
        ["round", "report", "R", "--out", out],
        ["plan", "pdf", *plan, "--out", out],
        ["plan", "annex", "R", "X", "--out", out],
        ["plan", "send", *plan],
    ):
        result = run(root, *args, "--lang", "de")
        assert result.exit_code == 2, args
        assert "--lang must be lv or en, not 'de'" in result.stderr, args
    assert not (tmp_path / "x.pdf").exists()


def test_english_workbook_messages(tmp_path: Path, round_root: App) -> None:
    out = tmp_path / "en.xlsx"
    assert (
        run(
            round_root,
            "workbook",
            "new",
            "--institution",
            "VID",
            "--name",
            "State Revenue Service",
            "--round",
            "2026-K1",
            "--out",
            str(out),
            "--lang",
            "en",
        ).exit_code
        == 0
    )
    result = run(round_root, "workbook", "check", str(out))
    assert "The workbook is valid but not complete: 164 unanswered questions." in result.stdout


def test_local_signing_key_is_generated_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "state"
    settings = Settings(_env_file=None, data_dir=data_dir)
    first = settings.signing_key()
    assert len(first) == 64
    key_file = data_dir / SECRET_KEY_FILE
    assert key_file.stat().st_mode & 0o077 == 0
    assert Settings(_env_file=None, data_dir=data_dir).signing_key() == first
    assert Settings(_env_file=None, data_dir=tmp_path / "other").signing_key() != first
    assert (
        Settings(_env_file=None, data_dir=data_dir, secret_key="from-env-" + "k" * 32).signing_key()
        == b"from-env-" + b"k" * 32
    )


def test_round_close_is_refused_before_the_due_date_then_done_once(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    from tests.rounds import run_round

    run_round(root, spec, tmp_path, [("VID", "VID")])
    early = run(root, "round", "close", "2026-K1", "--today", "2026-03-31")
    assert early.exit_code == 1 and "collects answers until 2026-03-31" in early.stderr
    done = run(root, "round", "close", "2026-K1", "--today", "2026-04-01")
    assert done.exit_code == 0, done.output
    said = " ".join(done.stdout.split())
    assert (
        "closed for publication on 2026-04-01: its publications count the answers of 1 "
        "institution and 0 plan versions" in said
    )
    again = run(root, "round", "close", "2026-K1", "--today", "2026-05-01")
    assert "on 2026-04-01" in again.stdout
    view = run(root, "round", "aggregates", "2026-K1")
    assert view.exit_code == 0 and "fewer than 4 institutions scored" in view.stdout
