"""The shipped measures library is complete and consistent; a broken one is named clearly."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pvpp.paths import policy_dir
from pvpp.planning.library import LibraryError, load_library, load_library_dir
from pvpp.policy import load_policy

FOLDER = policy_dir() / "measures" / "pvpp2027-v1"
POLICY = load_policy("pvpp2027-v1")


def test_every_item_dimension_and_step_has_a_measure() -> None:
    lib = load_library("pvpp2027-v1")
    steps = {(m.item, m.dimension, m.to_degree) for m in lib.measures}
    assert len(steps) == 29 * 4 * 4
    assert len(lib.measures) >= 464


def test_measures_are_written_not_templated() -> None:
    lib = load_library("pvpp2027-v1")
    titles = Counter(m.title.lv for m in lib.measures)
    assert max(titles.values()) == 1, titles.most_common(3)
    for m in lib.measures:
        assert len(m.title.lv) <= 90, m.id
        assert m.description.lv != m.description.en
        assert len(m.description.lv) >= 60, m.id
        # Latvian text reads as Latvian: a measure without a single Latvian letter is suspect.
        assert any(ch in m.title.lv + m.description.lv for ch in "āčēģīķļņšūž"), m.id


def test_links_are_meaningful() -> None:
    lib = load_library("pvpp2027-v1")
    funding = Counter(f for m in lib.measures for f in m.funding)
    assert funding["F1"] > len(lib.measures) / 2
    assert len(lib.roles) >= 10
    used_roles = {m.role for m in lib.measures}
    assert len(used_roles) >= 8
    assert any(m.support for m in lib.measures)


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "lib"
    shutil.copytree(FOLDER, target)
    return target


def test_missing_step_unknown_role_and_cycle_are_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "c3-k1-k5.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["measures"] = [m for m in data["measures"] if m["id"] != "M-K2-D3-2"]
    first = data["measures"][0]
    first["role"] = "wizard"
    second = data["measures"][1]
    first["prerequisites"] = [second["id"]]
    second["prerequisites"] = [first["id"]]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(LibraryError) as info:
        load_library_dir(folder, POLICY)
    problems = info.value.problems
    assert "no measure for item K2, D3, step to degree 2" in problems
    assert f"measures[{first['id']}].role: 'wizard' is not a role in _common.yaml" in problems
    assert any(p.startswith("prerequisites form a cycle:") for p in problems)


def test_the_library_and_the_policy_agree_on_what_is_designed() -> None:
    """`_common.yaml` marks what the policy's `designed` entry "library" covers, both ways."""
    from pvpp.planning.library import designed_problems, load_common
    from pvpp.policy import load_policy

    policy = load_policy("pvpp2027-v1")
    common = load_common(policy.id)
    assert designed_problems(common, policy) == []
    unmarked = common.model_copy(update={"provisional": ("roles", "support_offers", "effort")})
    assert designed_problems(unmarked, policy) == [
        "policy pvpp2027-v1 designed covers library.measures, but _common.yaml does not mark "
        "'measures' provisional"
    ]
    odd = common.model_copy(update={"provisional": (*common.provisional, "colours")})
    assert designed_problems(odd, policy) == [
        "_common.yaml provisional: 'colours' is not a part of the library "
        "(measures, roles, support_offers, effort)"
    ]
