"""docs/security.md names the test that checks each guarantee: every test it names exists,
so the page cannot go on citing a check that was renamed or removed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A test file, optionally with ::test_name; "…::test_name" means the file named just before.
REF = re.compile(r"(tests/[\w/]+\.py|…)(?:::(\w+))?")


def test_every_check_named_in_the_security_page_exists() -> None:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    last: Path | None = None
    named = 0
    for match in REF.finditer(text):
        where, name = match.groups()
        if where == "…":
            if name is None:
                continue
            assert last is not None, f"'…::{name}' follows no test file"
            path = last
        else:
            path = ROOT / where
            assert path.is_file(), f"docs/security.md names {where}, which does not exist"
            last = path
        if name:
            assert re.search(rf"def {name}\b", path.read_text(encoding="utf-8")), (
                f"docs/security.md names {path.relative_to(ROOT)}::{name}, which does not exist"
            )
        named += 1
    assert named >= 30  # the page names a check for every finding
