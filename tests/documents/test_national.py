"""The national report as VARAM reads it: the charts the plan has, what was withheld and
why, and the publishable scope said once (text read back with pdftotext)."""

from __future__ import annotations

import base64
import subprocess
from datetime import date
from pathlib import Path

from pvpp.app import App
from pvpp.documents.national_pdf import national_context, national_pdf
from pvpp.questionnaire import QuestionnaireSpec
from tests.conftest import require_program
from tests.rounds import close, run_round

# Four of institution group IG1 and RIGA, the only one of IG2: IG2's figures are withheld.
CODES = [("VID", "VID"), ("UR", "UR"), ("VZD", "VZD"), ("LAD", "LAD"), ("RIGA", "RIGA")]
TODAY = date(2026, 4, 2)


def _svg(uri: str) -> str:
    return base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "national.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        [require_program("pdftotext"), "-layout", str(path), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return " ".join(out.split())


def test_the_national_report_charts_withholds_and_says_so_once(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path / "in", CODES)
    close(root)
    with root.db.unit_of_work() as s:
        ctx = national_context(s, "2026-K1", today=TODAY)
        lv = national_pdf(s, "2026-K1", today=TODAY)
        en = national_pdf(s, "2026-K1", today=TODAY, lang="en")
        internal = national_context(s, "2026-K1", today=TODAY, internal=True)

    # The distribution per component: each component's institutions, all five counted.
    distribution = _svg(ctx["charts"]["distribution"])
    assert distribution.count('class="row"') == len(spec.policy.components)
    assert "4 valstī kopējā sasniedzamā" in distribution  # the legend names each degree
    # The heat map prints each value; IG2's cells are withheld, marked and explained.
    heat = _svg(ctx["charts"]["heat"])
    ig1 = next(r for r in ctx["heat_rows"] if r["group"] == "IG1")
    for cell in ig1["cells"]:
        assert f">{cell['value']:.1f}<".replace(".", ",") in heat
    assert heat.count(">*<") == len(ctx["condition_groups"])
    assert (ctx["withheld_groups"], ctx["withheld_institutions"]) == ("IG2", 1)
    # The internal report names institutions on its own heat map, nothing withheld.
    named = _svg(internal["charts"]["heat_named"])
    assert "RIGA" in named and ">*<" not in named
    assert internal["withheld_institutions"] == 0

    text = _text(lv, tmp_path)
    assert text.count("Publicējams") == 1
    assert "Novērtēšanas cikls 2026-K1" in text  # the page header names the round instead
    assert (
        "Nav publicēti (*): iestāžu grupu IG2 skaitļi, jo katrs no tiem aprēķināts no mazāk "
        "nekā 4 iestādēm un varētu atklāt kādas iestādes vērtējumu. "
        "Iestāžu skaits šajās grupās: 1." in text
    )
    english = _text(en, tmp_path)
    assert english.count("Publishable") == 1
    assert "Institutions in these groups: 1." in english


def test_the_national_report_counts_the_questions_teams_found_unclear(
    store: str, spec: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    """Per question, how many institutions answered "Jautājums nav saprotams" reaches the
    ministry in the report, most often first (a count over too few institutions is
    withheld as tests/store/test_national.py checks)."""
    unclear = "Jautājums nav saprotams"
    edits = {c: {"Q_K2_D3": unclear} for c in ("VID", "UR", "VZD")}
    edits["VID"] |= {"Q_1_1_D1": unclear}
    run_round(root, spec, tmp_path / "in", CODES, edits=edits)
    close(root)
    with root.db.unit_of_work() as s:
        ctx = national_context(s, "2026-K1", today=TODAY)
        pdf = national_pdf(s, "2026-K1", today=TODAY)
    rows = [(r["field"], r["unclear"], r["answered"]) for r in ctx["unclear"]]
    assert rows == [("Q_K2_D3", 3, 5), ("Q_1_1_D1", 1, 5)]
    assert ctx["unclear_withheld"] == 0
    text = _text(pdf, tmp_path)
    assert "Jautājumi, kas nav saprotami" in text
    assert "K2 " in text and "D3 Atbilstība vajadzībām 3 5" in text
    assert "Šādu jautājumu skaits" not in text


def test_the_national_report_shows_the_trend_since_the_round_before(
    store: str, spec: QuestionnaireSpec, spec_q2: QuestionnaireSpec, tmp_path: Path, root: App
) -> None:
    run_round(root, spec, tmp_path / "r1", CODES, plans=True)
    run_round(
        root, spec_q2, tmp_path / "r2", CODES, round_code="2027-K1",
        opens_on=date(2027, 1, 15), due_on=date(2027, 3, 31),
    )  # fmt: skip
    day = date(2027, 4, 2)
    with root.db.unit_of_work() as s:
        first = national_context(s, "2026-K1", today=day)
        open_ = _text(national_pdf(s, "2027-K1", today=day), tmp_path)
    assert first["trend"] is None  # no round before the first
    assert "Izmaiņas starp novērtēšanas cikliem" in open_
    assert "tiks publicētas, kad abi cikli būs slēgti" in open_
    close(root)
    close(root, "2027-K1", today=date(2027, 4, 1))
    with root.db.unit_of_work() as s:
        ctx = national_context(s, "2027-K1", today=day)
        lv = _text(national_pdf(s, "2027-K1", today=day), tmp_path)
        en = _text(national_pdf(s, "2027-K1", today=day, lang="en"), tmp_path)
        internal = _text(national_pdf(s, "2027-K1", today=day, internal=True), tmp_path)
    trend = ctx["trend"]
    assert trend["rounds"] == ["2026-K1", "2027-K1"] and not trend["same"]
    assert trend["charts"]["components"] is not None
    assert _svg(trend["charts"]["components"]).count('class="row"') == 4
    for text in (
        "Izmaiņas starp novērtēšanas cikliem",
        "Salīdzināti novērtēšanas cikli: 2026-K1, 2027-K1",
        "(pvpp2027-q1, pvpp2027-q2)",
        "K2 D3: anketas versijās jautāts atšķirīgā jautājumu skaitā",
        "Sastāvdaļas: pakāpju mediāna",
        "Izpildītie plānu pasākumi",
        "Lēciens par vairāk nekā 2 pakāpēm kopš iepriekšējā novērtēšanas cikla",
    ):
        assert text in lv, text
    assert "Changes between rounds" in en and "Jump of more than 2 degrees" in en
    assert "Changes between rounds" not in lv
    # Only the internal report names institutions with a jump.
    assert "Izmaiņas starp novērtēšanas cikliem" in internal
