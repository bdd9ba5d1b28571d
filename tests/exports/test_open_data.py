"""Open data of a round: a valid Frictionless data package (validated with the frictionless
library) of only the publishable aggregates, withheld figures staying withheld in the CSV
and the JSON, and nothing from an open round."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pvpp.app import App
from pvpp.exports.open_data import export_open_data
from pvpp.exports.writer import ExportError
from pvpp.national import aggregates
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.workbook.fill import cell_values
from tests.rounds import close, run_round

GENERATED = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
# Four of institution group IG1 and RIGA, the only one of IG2 (its median is withheld).
CODES = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD"), ("RIGA", "RIGA")]
# Two of them find S3 not applicable: S3 is rated by three, too few to publish its need.
NOT_RATED = ("VZD", "LAD")


@pytest.fixture(autouse=True)
def _csv_limit_kept() -> Iterator[None]:
    """frictionless raises the csv module's field size limit for the whole process when
    its CSV parser is imported (so it is imported inside the tests, after this fixture);
    the other tests in this process (the registry's refusal of an oversized CSV field)
    rely on the standard limit."""
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)


def _s3_not_applicable(spec: QuestionnaireSpec) -> dict[str, Any]:
    answers: dict[str, Any] = {f"Q_S3_{d}": "not_applicable" for d in ("D1", "D2", "D3", "D4")}
    answers["NAREASON_S3"] = "Funkcija nodota citai iestādei"
    cells = cell_values(spec, answers, "lv")
    cells["TARGET_S3"] = None
    return cells


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_the_open_data_of_a_closed_round_is_a_valid_package_that_keeps_withheld_withheld(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    edits = {code: _s3_not_applicable(spec) for code in NOT_RATED}
    run_round(root, spec, tmp_path / "in", CODES, edits=edits, plans=True)
    out = tmp_path / "open"
    with root.db.unit_of_work() as s, pytest.raises(ExportError, match="is not closed"):
        export_open_data(s, "2026-K1", out, generated_at=GENERATED)
    assert not out.exists()
    close(root)
    with root.db.unit_of_work() as s:
        summary = export_open_data(s, "2026-K1", out, generated_at=GENERATED)
        internal = aggregates(s, "2026-K1", publish=False)

    # Valid by the Frictionless specs: every resource's rows fit its schema.
    from frictionless import Package

    report = Package(str(out / "datapackage.json")).validate()
    assert report.valid, report.flatten(["taskName", "rowNumber", "fieldName", "note"])
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["pvpp"]["round"] == "2026-K1"
    assert package["pvpp"]["questionnaire_version"] == spec.id
    assert package["pvpp"]["closed_on"] == "2026-04-01"
    assert package["suppression"]["min_institutions"] == 4
    assert "mazāk nekā 4 iestādēm" in package["suppression"]["rule"]
    names = {r["name"] for r in package["resources"]}
    for table in summary.rows:
        assert {f"{table.replace('_', '-')}-csv", f"{table.replace('_', '-')}-json"} <= names
    needs = next(r for r in package["resources"] if r["name"] == "needs-csv")
    fields = {f["name"]: f for f in needs["schema"]["fields"]}
    assert fields["median_gap"]["type"] == "number"
    assert fields["median_gap"]["unit"] == "attīstības pakāpes (0–4)"
    assert fields["institutions_with_gap"]["description"]

    # The S3 need is withheld: empty in the CSV, null in the JSON, flagged on its row.
    s3 = next(r for r in _csv(out / "needs.csv") if r["item"] == "S3")
    assert s3["withheld"] == "true" and s3["institutions_rated"] == "3"
    assert s3["institutions_with_gap"] == s3["median_gap"] == s3["mean_gap"] == ""
    s3_json = next(r for r in json.loads((out / "needs.json").read_text()) if r["item"] == "S3")
    assert s3_json["median_gap"] is None and s3_json["withheld"] is True
    hidden = next(n for n in internal["rv7_needs"] if n["item"] == "S3")
    assert hidden["median_gap"] is not None  # known inside VARAM, not published
    # IG2 has one institution: its median index is withheld the same way.
    ig2 = next(r for r in _csv(out / "index_by_group.csv") if r["group"] == "IG2")
    assert (ig2["median_index"], ig2["withheld"]) == ("", "true")
    # Published rows carry their figures.
    k5 = next(r for r in _csv(out / "needs.csv") if r["item"] == "K5")
    assert k5["withheld"] == "false" and k5["median_gap"] != ""

    # Nobody is named anywhere in the package.
    text = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    for code, _ in CODES:
        assert not re.search(rf"\b{code}\b", text), code


def test_too_few_institutions_publish_nothing(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path / "in", CODES[:2])
    close(root)
    with root.db.unit_of_work() as s, pytest.raises(ExportError, match="fewer than 4"):
        export_open_data(s, "2026-K1", tmp_path / "open", generated_at=GENERATED)
