"""What people typed prints as inert text: a control character never reaches the terminal
(an escape sequence once set the terminal's title) and rich markup in a name prints as
itself (``[reverse]`` once vanished, styling the rest of the line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli.common import console, inert, visible_controls
from pvpp.cli.main import app as cli
from pvpp.questionnaire import QuestionnaireSpec
from tests.rounds import run_round
from tests.test_batch import spoil

runner = CliRunner()
TITLE = "\x1b]0;pwned\x07"  # OSC 0: set the window title, ended by BEL
HOSTILE = f"Uzņēmumu {TITLE}reģistrs [reverse]x[/reverse] \u202eevil\u2028"


def shows_inert(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text
    assert "\u202e" not in text and "\u2028" not in text
    assert "\\x1b]0;pwned\\x07" in text


def test_inert_text() -> None:
    assert visible_controls("a\x1bb\u2028c\u200bd\te\nf") == "a\\x1bb\\u2028c\\u200bd\\x09e\\x0af"
    assert visible_controls("a\nb", keep="\n") == "a\nb"
    assert inert("[reverse]x") == "\\[reverse]x"
    assert visible_controls("Valsts ieņēmumu dienests") == "Valsts ieņēmumu dienests"


@pytest.fixture
def hostile_round(
    spec: QuestionnaireSpec, tmp_path: Path, root: App, monkeypatch: pytest.MonkeyPatch
) -> App:
    # Wide enough that no table cell wraps (the checks look for whole strings).
    monkeypatch.setattr(console, "width", 400)
    root.db.upgrade()
    run_round(root, spec, tmp_path / "books", [("VID", "VID")])
    spoil(root, "UR", name=HOSTILE, head_email="ur@example.lv")
    return root


def test_registry_list_and_round_status_show_names_inert(hostile_round: App) -> None:
    for args in (["registry", "list"], ["round", "status", "2026-K1"]):
        result = runner.invoke(cli, args, obj=hostile_round)
        assert result.exit_code == 0, result.output
        shows_inert(result.stdout)
        assert "[reverse]x[/reverse]" in result.stdout


def test_ingest_shows_a_file_name_inert(hostile_round: App, tmp_path: Path) -> None:
    name = f"book{TITLE}[reverse]x.xlsx"
    (tmp_path / name).write_bytes(b"not a workbook")
    result = runner.invoke(cli, ["submissions", "ingest", str(tmp_path / name)], obj=hostile_round)
    shows_inert(result.stdout)
    assert "[reverse]x.xlsx" in result.stdout


def test_an_error_message_shows_what_was_typed_inert(hostile_round: App) -> None:
    code = f"X{TITLE}[reverse]Y"
    result = runner.invoke(
        cli, ["plan", "show", "--round", "2026-K1", "--institution", code], obj=hostile_round
    )
    assert result.exit_code == 2  # the shared code check refuses it, quoting it inert
    shows_inert(result.stderr)
    assert "[reverse]Y" in result.stderr


def test_json_output_is_inert_and_the_same_data(hostile_round: App) -> None:
    result = runner.invoke(cli, ["round", "status", "2026-K1", "--json"], obj=hostile_round)
    assert result.exit_code == 0, result.output
    assert not any(ch in result.stdout for ch in "\x1b\x07\u202e\u2028")
    names = [row["name"] for row in json.loads(result.stdout)["institutions"]]
    assert HOSTILE in names
