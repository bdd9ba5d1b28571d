"""The shipped policy version and the validator's messages for broken policy files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pvpp.paths import policy_dir
from pvpp.policy import PolicyError, load_policy, load_policy_file
from pvpp.policy.models import ItemKind

SHIPPED = policy_dir() / "pvpp2027-v1.yaml"


def test_shipped_policy_counts() -> None:
    counts = load_policy("pvpp2027-v1").counts()
    assert counts["components"] == 4
    assert counts["items"] == 29
    assert counts["condition_groups"] == 10
    assert counts["capabilities"] == 9
    assert counts["resources"] == 3
    assert counts["principles"] == 7
    assert counts["dimensions"] == 4
    assert counts["action_directions"] == 7
    assert counts["measures"] == 24
    assert counts["institution_groups"] == 6
    assert counts["exclusions"] == 4
    assert counts["funding_sources"] == 5
    assert counts["service_types"] == 4


def test_published_latvian_names_are_exact() -> None:
    policy = load_policy("pvpp2027-v1")
    names = {i.id: i.name.lv for i in policy.items}
    assert names["K1"] == "Pārvaldāmība"
    assert names["K4"] == "Iesaiste, līdzdalība un sadarbība"
    assert names["K10"] == "Drošība"
    assert names["S9"] == "Pakalpojumu saņēmēji"
    assert names["R2"] == "Digitālās tehnoloģijas"
    assert policy.components[0].name.lv == "Pakalpojumu pārvaldības pamatnosacījumi"
    assert [p.name.lv for p in policy.principles][2] == "Pakāpeniskums"
    assert [d.name.lv for d in policy.dimensions] == [
        "Atbildīgie",
        "Dokumentēšana",
        "Atbilstība vajadzībām",
        "Praktisks pielietojums",
    ]
    assert next(m.id for m in policy.measures) == "P1.1"
    assert [m.id for m in policy.measures][-1] == "P7.2"
    assert [e.name.lv for e in policy.exclusions] == [
        "izglītības iestādes",
        "ārstniecības iestādes",
        "Nacionālie bruņotie spēki un Zemessardze",
        "Valsts drošības dienests",
    ]


def test_published_measure_wording_comes_from_the_plan() -> None:
    """Every measure's Latvian text occurs in the plan itself (whitespace normalised)."""
    source = policy_dir() / "sources" / "pvpp2027-plan.txt"
    plan = " ".join(source.read_text(encoding="utf-8").split()).casefold()
    for measure in load_policy("pvpp2027-v1").measures:
        text = " ".join(measure.text.lv.split()).casefold().rstrip(";.")
        assert text in plan, measure.id
    exclusions = [e.name.lv for e in load_policy("pvpp2027-v1").exclusions]
    for name in [*exclusions, *(p.name.lv for p in load_policy("pvpp2027-v1").principles)]:
        assert " ".join(name.split()).casefold() in plan, name


def test_designed_values_are_marked_provisional() -> None:
    policy = load_policy("pvpp2027-v1")
    assert "degrees" in policy.degree_scale.provisional
    assert "dimensions" in policy.provisional  # D1–D4 beyond component 3
    for dim in policy.dimensions:
        assert "descriptors" in dim.provisional
    # D3's and D4's target texts are only partly published: their sources say so.
    for dim_id in ("D3", "D4"):
        dim = next(d for d in policy.dimensions if d.id == dim_id)
        assert "source" in dim.provisional and "INFERRED" in (dim.source or "")
    for item in policy.items:
        assert {"national_target", "weight"} <= set(item.provisional), item.id
    c1 = policy.components[0]
    assert c1.foundation_factor == 1.5
    assert {"items", "foundation_factor", "foundation", "rv5_measure"} <= set(c1.provisional)
    st4 = next(s for s in policy.service_types if s.id == "ST4")
    assert "name" in st4.provisional
    for role in policy.participant_roles:
        assert "name" in role.provisional, role.id


# Each designed element the issue names, by the id of the `designed` entry that explains it.
DESIGNED = {
    "degree-scale": "the degree count 0–4",
    "national-target": "top degree = national target",
    "dimensions-beyond-c3": "D1–D4 outside component 3",
    "d3-d4-target": "D3's source",
    "foundation-factor": "×1.5 of component 1",
    "component-1": "component 1 assessed at all",
    "library": "the library's measures",
    "participant-roles": "the invented roles",
}


def test_every_designed_element_carries_the_marker_and_an_explanation() -> None:
    """Each designed element named in the issue has its `designed` entry, every field the
    entries cover is marked provisional, and every provisional mark is covered (the loader
    refuses the file otherwise, see below)."""
    policy = load_policy("pvpp2027-v1")
    entries = {d.id: d for d in policy.designed}
    assert set(DESIGNED) <= set(entries), set(DESIGNED) - set(entries)
    for entry in entries.values():
        assert entry.note.lv and entry.note.en
    numbers = {d.id for d in policy.designed_for_numbers()}
    assert set(DESIGNED) - {"participant-roles"} <= numbers


def test_the_library_marks_what_the_policy_says_is_designed() -> None:
    from pvpp.planning.library import load_library

    common = load_library("pvpp2027-v1").common
    assert {"measures", "roles", "effort", "support_offers"} <= set(common.provisional)


def test_a_designed_entry_whose_field_is_not_marked_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    raw["components"][0]["items"][0]["provisional"] = ["national_target"]  # weight unmarked
    problems = _problems(_write(tmp_path, raw))
    assert any(
        "designed[weights].covers: 'components[*].items[*].weight' is designed, but "
        "components[C1].items[1.1] does not mark 'weight' provisional" in p
        for p in problems
    ), problems


def test_a_provisional_mark_without_a_designed_entry_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    raw["designed"] = [d for d in raw["designed"] if d["id"] != "st4-name"]
    problems = _problems(_write(tmp_path, raw))
    assert problems == [
        "service_types[ST4].provisional: 'name' is marked provisional but no `designed` "
        "entry covers it (say what was designed and why)"
    ]


def test_a_designed_path_that_names_nothing_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    raw["designed"][0]["covers"] = ["degree_scale.degreez"]
    problems = _problems(_write(tmp_path, raw))
    assert "designed[degree-scale].covers: 'degree_scale.degreez' names no field of this file" in (
        problems
    )


def test_items_have_kinds_targets_and_bilingual_descriptors() -> None:
    policy = load_policy("pvpp2027-v1")
    kinds = [i.kind for i in policy.items]
    assert kinds.count(ItemKind.SUB_ELEMENT) == 7
    for dim in policy.dimensions:
        assert sorted(dim.descriptors) == [0, 1, 2, 3, 4]
        for text in dim.descriptors.values():
            assert text.lv and text.en and text.lv != text.en


# -- broken policy files ------------------------------------------------------------------


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _raw() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def _problems(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy_file(path)
    assert info.value.path == str(path)
    assert str(path) in info.value.render()
    return info.value.problems


def test_duplicate_id_is_named(tmp_path: Path) -> None:
    raw = _raw()
    raw["components"][2]["items"][1]["id"] = "K1"
    problems = _problems(_write(tmp_path, raw))
    assert any("components[C3].items[K1]: id 'K1' is used 2 times" in p for p in problems)


def test_unresolved_reference_is_named(tmp_path: Path) -> None:
    raw = _raw()
    raw["components"][1]["rv5_measure"] = "P9.9"
    problems = _problems(_write(tmp_path, raw))
    assert problems == ["components[C2].rv5_measure: 'P9.9' is not a measure of this policy"]


def test_gap_in_degrees_is_named(tmp_path: Path) -> None:
    raw = _raw()
    raw["degree_scale"]["degrees"] = [d for d in raw["degree_scale"]["degrees"] if d["value"] != 2]
    problems = _problems(_write(tmp_path, raw))
    assert any("not contiguous" in p for p in problems)


def test_missing_target_is_named(tmp_path: Path) -> None:
    raw = _raw()
    del raw["components"][3]["items"][4]["national_target"]
    problems = _problems(_write(tmp_path, raw))
    assert problems == ["components[C4].items[S5].national_target: required key is missing"]


def test_target_off_scale_is_named(tmp_path: Path) -> None:
    raw = _raw()
    raw["components"][0]["items"][0]["national_target"] = 7
    problems = _problems(_write(tmp_path, raw))
    assert any("items[1.1].national_target: 7 is not on the degree scale" in p for p in problems)


def test_missing_english_descriptor_is_named(tmp_path: Path) -> None:
    raw = _raw()
    del raw["dimensions"][1]["descriptors"][3]["en"]
    problems = _problems(_write(tmp_path, raw))
    assert problems == ["dimensions[D2].descriptors[3].en: required key is missing"]


def test_missing_degree_descriptor_is_named(tmp_path: Path) -> None:
    raw = _raw()
    del raw["dimensions"][3]["descriptors"][0]
    problems = _problems(_write(tmp_path, raw))
    assert problems == ["dimensions[D4].descriptors: no descriptor for degree(s) [0]"]


def test_unknown_key_and_blank_text_are_named(tmp_path: Path) -> None:
    raw = _raw()
    raw["principles"][0]["nmae"] = "typo"
    raw["principles"][1]["name"]["lv"] = "   "
    problems = _problems(_write(tmp_path, raw))
    assert "principles[PR1].nmae: unknown key (check its spelling)" in problems
    assert any(p.startswith("principles[PR2].name.lv:") and "blank" in p for p in problems)


def test_provisional_must_name_real_fields(tmp_path: Path) -> None:
    raw = _raw()
    raw["components"][0]["items"][0]["provisional"] = ["national_targte"]
    problems = _problems(_write(tmp_path, raw))
    assert (
        "components[C1].items[1.1].provisional: 'national_targte' is not a field of this element"
        in problems
    )


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\ncomponents:\n  - id: C1\n   name: bad indent\n", encoding="utf-8")
    problems = _problems(path)
    assert problems[0].startswith("line 4, column")


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: a\ntitle: x\nid: b\n", encoding="utf-8")
    problems = _problems(path)
    assert problems == ["line 3, column 1: duplicate key 'id' (first defined on line 1)"]


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    assert _problems(tmp_path / "absent.yaml") == ["file not found"]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("id: pārvaldība".encode("cp1257"))
    assert _problems(latin)[0].startswith("not UTF-8 text")


def test_unknown_version() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy("pvpp2031-v9")
    assert "unknown policy version 'pvpp2031-v9' (known: pvpp2027-v1)" in info.value.render()


def test_the_policys_slip_is_shown_only_with_sic_wherever_the_policy_is_shown() -> None:
    """The plan's own "termins … tiek lietota" (IG2's note) is kept as published; what
    shows the loaded policy (the model, `pvpp policy show --json`) carries [sic] with it.
    No page, PDF or workbook shows the note (tests/test_latvian.py checks the data)."""
    import json

    from pvpp.cli.policy import policy_json
    from pvpp.policy import load_policy

    policy = load_policy("pvpp2027-v1")
    notes = [g.note.lv for g in policy.institution_groups if g.note is not None]
    assert [n for n in notes if "tiek lietota" in n] == [n for n in notes if "[sic]" in n]
    shown = json.dumps(policy_json(policy), ensure_ascii=False)
    assert shown.count("tiek lietota") == shown.count("tiek lietota [sic]") == 1
