"""The import direction: the flows (and the demo scenario) use pvpp, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

import pvpp

SRC = Path(pvpp.__file__).parent


def _imported(path: Path) -> set[str]:
    """Every module name ``path`` imports (absolute imports; pvpp uses no relative ones)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_pvpp_module_imports_the_flows() -> None:
    offenders = sorted(
        f"{path.relative_to(SRC.parent)}: {name}"
        for path in SRC.rglob("*.py")
        for name in _imported(path)
        if name == "flows" or name.startswith("flows.")
    )
    assert offenders == []


def test_the_demo_scenario_is_not_part_of_pvpp() -> None:
    assert not (SRC / "synthetic.py").exists()
    assert not (SRC / "cli" / "demo.py").exists()
    offenders = sorted(
        str(path.relative_to(SRC.parent))
        for path in SRC.rglob("*.py")
        if any("synthetic" in name for name in _imported(path))
    )
    assert offenders == []
