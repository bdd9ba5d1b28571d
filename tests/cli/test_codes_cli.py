"""Every command-line argument that takes a round or institution code checks its shape
with the one shared callback (pvpp.codes), before the command runs."""

from __future__ import annotations

import typing
from typing import Any

import pytest
import typer
from typer.models import ParameterInfo
from typer.testing import CliRunner

from pvpp.app import App
from pvpp.cli import common
from pvpp.cli.main import app

runner = CliRunner()
# Parameter name → the callback every such parameter must carry.
CODE_PARAMS = {
    "round_code": common.round_code_arg,
    "code": common.round_code_arg,  # `round create CODE`, `export round CODE`, ...
    "institution": common.institution_code_arg,
    "institutions": common.institution_code_arg,
}


def _commands(group: typer.Typer, path: str = "") -> list[tuple[str, Any]]:
    out = [(f"{path} {c.name or c.callback.__name__}".strip(), c.callback)
           for c in group.registered_commands if c.callback is not None]  # fmt: skip
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        out += _commands(sub.typer_instance, f"{path} {sub.name}")
    return out


def test_every_code_parameter_has_the_shared_callback() -> None:
    checked = 0
    for name, fn in _commands(app):
        hints = typing.get_type_hints(fn, include_extras=True)
        for param, hint in hints.items():
            if param not in CODE_PARAMS:
                continue
            infos = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, ParameterInfo)]
            assert infos, f"{name}: {param} is a plain parameter without the code check"
            assert infos[0].callback is CODE_PARAMS[param], f"{name}: {param}"
            checked += 1
    assert checked >= 20  # rounds, plans, exports, follow-up, workbooks, teams


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["round", "create", "2026-K1\n", "--opens", "2026-01-15", "--due", "2026-03-31"],
         "'code'"),
        (["plan", "send", "--round", "2026 K1", "--all"], "'--round'"),
        (["team", "add", "vid", "--name", "A", "--email", "a@b.lv", "--role", "x"],
         "'institution'"),
        (["export", "plan", "--round", "2026-K1", "--institution", "VID\n", "--out", "x"],
         "'--institution'"),
        (["round", "create", "2026-K1", "--opens", "2026-01-15", "--due", "2026-03-31",
          "-i", "VID", "-i", "D|X"], "'--institutions'"),
    ],
)  # fmt: skip
def test_a_bad_code_is_refused_naming_the_argument_and_the_pattern(
    args: list[str], named: str, root: App
) -> None:
    result = runner.invoke(app, args, obj=root)
    assert result.exit_code == 2, result.output
    text = " ".join(result.stderr.replace("│", " ").split())  # rich's error box, unwrapped
    assert f"Invalid value for {named}" in text
    assert "1 to 40" in text and ("letters" in text or "capital" in text)
