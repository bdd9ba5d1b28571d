"""The registry import refuses what delivery could not send, reads the files people make
(semicolons, BOMs, pvpp's own exports) and turns every bad file into a message."""

from __future__ import annotations

import io
import os
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import func, select

from pvpp.app import App
from pvpp.errors import PvppError
from pvpp.files import FileRefused
from pvpp.mail.outbox import MessageError, parse_recipient
from pvpp.policy import load_policy
from pvpp.registry import (
    COLUMNS,
    RegistryError,
    import_registry,
    registry_rows,
    validate,
    write_registry,
)
from pvpp.store.models import Institution

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POLICY = load_policy("pvpp2027-v1")
HEADER = ",".join(COLUMNS)
GOOD = {
    "code": "VID",
    "name": "Valsts ieņēmumu dienests",
    "group": "IG1",
    "subtype": "IG1.1",
    "parent": "",
    "head_name": "Jānis Ozols",
    "head_email": "janis.ozols@vid.example.org",
    "scope": "round1",
    "exclusion": "",
    "roles": "service_holder",
}


def problems_of(**changes: str) -> list[str]:
    return validate([(2, {**GOOD, **changes})], POLICY, set())


def count(root: App) -> int:
    with root.db.unit_of_work() as s:
        return s.exec(select(func.count()).select_from(Institution)).one()


def import_file(root: App, path: Path) -> object:
    with root.db.unit_of_work() as s:
        return import_registry(s, path, POLICY, settings=root.settings)


# -- what delivery cannot send is refused at the import --------------------------------------

UNSENDABLE = {
    "name": [
        "Valsts\u2028ieņēmumu dienests",
        "Valsts\x1b]0;pwned\x07dienests",
        "Valsts\x0bdienests",
        "Valsts\tdienests",
        "Valsts\u202edienests",
        "V" * 600,
    ],
    "head_name": ["Jānis\u2029Ozols", "Jānis\x00Ozols", "J" * 600],
    "head_email": ["janis\x1b@vid.example.org", "janis@vid.example.org\x0b", "a\u2028@b.lv"],
}


@pytest.mark.parametrize(
    ("column", "value"), [(c, v) for c, values in UNSENDABLE.items() for v in values]
)
def test_a_row_delivery_would_refuse_is_refused_with_its_row_and_column(
    column: str, value: str
) -> None:
    problems = problems_of(**{column: value})
    assert problems and all(p.startswith(f"row 2, column {column}: ") for p in problems), problems
    # What to do is part of the message.
    assert any("retype" in p or "at most" in p for p in problems), problems


CANDIDATES = [
    ("Jānis Ozols", "janis.ozols@vid.example.org"),
    ("Jānis\u2028Ozols", "janis.ozols@vid.example.org"),
    ("Jānis Ozols", "janis.ozols@vid.example.org."),
    ("Jānis Ozols", "<janis@vid.example.org>"),
    ("J" * 600, "a@b.lv"),
    ("J\u200bānis", "a@b.lv"),
    ("Jānis", "a@b..lv"),
    ("Jānis", "@a.lv:b@c.lv"),
    ("Jānis", "jānis@b.lv"),
]


@pytest.mark.parametrize(("name", "email"), CANDIDATES)
def test_the_import_accepts_exactly_what_the_outbox_can_queue(name: str, email: str) -> None:
    accepted = not problems_of(head_name=name, head_email=email)
    try:
        parse_recipient((name, email), "recipient")
        queueable = True
    except MessageError:
        queueable = False
    assert accepted == queueable, (name, email)


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("<a@b.lv>", "angle brackets"),
        ("a@b.lv.", "ends with a dot"),
        ("a@b..lv", "empty part between dots"),
        ("a@.lv", "empty part between dots"),
        ("a@b@c.lv", "exactly one @"),
        ("@a.lv:b@c.lv", "exactly one @"),
        ('"a b"@c.lv', "contains a space"),
        ("a@bērns.lv", "ASCII form"),
    ],
)
def test_malformed_addresses_are_refused_per_row(address: str, words: str) -> None:
    (problem,) = problems_of(head_email=address)
    assert problem.startswith(f"row 2, column head_email: {address!r} is not an email address")
    assert words in problem


def test_codes_and_every_field_are_checked_whole() -> None:
    assert problems_of(code="VID\n") and problems_of(parent="VID\n")
    assert problems_of(roles="service_holder\x00")
    problems = problems_of(subtype="x" * 600)
    assert problems[0] == "row 2, column subtype: is 600 characters long; at most 500 are allowed"


# -- file problems are messages ------------------------------------------------------------


def test_file_problems_are_messages_not_tracebacks(store: str, tmp_path: Path, root: App) -> None:
    with pytest.raises(FileRefused, match="no such file"):
        import_file(root, tmp_path / "missing.csv")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(FileRefused, match="is a folder"):
        import_file(root, folder)
    link = tmp_path / "link.csv"
    link.symlink_to(EXAMPLES / "registry.csv")
    with pytest.raises(FileRefused, match="symbolic link"):
        import_file(root, link)
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(FileRefused, match="not a regular file"):
        import_file(root, fifo)

    big = tmp_path / "big.csv"
    big.write_text(HEADER + "\n" + "x" * (root.settings.max_registry_bytes + 1), encoding="utf-8")
    with pytest.raises(FileRefused, match="too large"):
        import_file(root, big)

    long_field = tmp_path / "long.csv"
    long_field.write_text(HEADER + '\n"' + "x" * 200_000 + '"\n', encoding="utf-8")
    with pytest.raises(RegistryError, match="line 2: cannot be read as CSV"):
        import_file(root, long_field)

    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        (HEADER + "\nVID,Valsts ieņēmumu\n").encode("utf-8").replace(b"\xc5\x86", b"\xf1")
    )
    with pytest.raises(RegistryError, match=r"line 2: not UTF-8 text .* save the CSV as UTF-8"):
        import_file(root, latin)

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes((EXAMPLES / "registry.xlsx").read_bytes()[:3000])
    with pytest.raises(RegistryError) as info:
        import_file(root, broken)
    assert "broken.xlsx" in info.value.message
    assert count(root) == 0


def test_a_nul_in_any_field_is_a_row_message_on_every_database(
    store: str, tmp_path: Path, root: App
) -> None:
    bad = tmp_path / "nul.csv"
    row = ",".join(GOOD[c] for c in COLUMNS).replace("Jānis Ozols", "Jānis\x00Ozols")
    bad.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        import_file(root, bad)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("row 2, column head_name: contains the invisible")
    assert "U+0000" in info.value.problems[0]
    assert count(root) == 0


def _lines(separator: str) -> str:
    rows = [COLUMNS, [GOOD[c] for c in COLUMNS]]
    return "\r\n".join(separator.join(f'"{v}"' for v in row) for row in rows) + "\r\n"


@pytest.mark.parametrize(
    ("separator", "encoding"),
    [(";", "utf-8-sig"), ("\t", "utf-8"), (",", "utf-8-sig"), ("\t", "utf-16")],
)
def test_the_separator_and_encoding_excel_writes_are_read(
    store: str, tmp_path: Path, root: App, separator: str, encoding: str
) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(_lines(separator), encoding=encoding)
    report = import_file(root, path)
    assert report.created == ["VID"]  # type: ignore[attr-defined]


def test_an_unknown_separator_is_named(store: str, tmp_path: Path, root: App) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(_lines("|"), encoding="utf-8")
    with pytest.raises(RegistryError, match="read with a comma"):
        import_file(root, path)


# -- export → edit → import ------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "'=1", "''-x", "'plain"]
# As csv_text writes them: a quote before a formula start gets one more quote, so the
# import's strip is exact.
WRITTEN = ["\"''=1\"", "\"'''-x\"", '"\'plain"']


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_neutralises_formulas_and_import_reads_the_names_back(
    store: str, tmp_path: Path, root: App, suffix: str
) -> None:
    # A workbook as someone would make it: its texts are taken as they are.
    source = tmp_path / "source.xlsx"
    rows = [
        {**GOOD, "code": f"I{n}", "name": name, "head_email": f"h{n}@vid.example.org"}
        for n, name in enumerate(FORMULAS)
    ]
    write_registry(rows, source, "lv")
    import_file(root, source)
    with root.db.unit_of_work() as s:
        before = registry_rows(s)
    assert [r["name"] for r in before] == FORMULAS

    exported = tmp_path / f"export{suffix}"
    write_registry(before, exported, "lv")
    if suffix == ".csv":
        text = exported.read_bytes().decode("utf-8-sig")
        assert text.startswith('"code";"name";')  # the Latvian dialect: semicolons
        for name in FORMULAS[:4]:
            assert "\"'" + name.replace('"', '""') + '"' in text
        for written in WRITTEN:
            assert written in text
    else:
        ws = openpyxl.load_workbook(io.BytesIO(exported.read_bytes())).active
        assert ws is not None
        names = {c.value: c for c in ws["B"][1:]}
        for name in FORMULAS[:4]:
            assert names[name].data_type == "s" and names[name].quotePrefix

    report = import_file(root, exported)
    assert not report.changed  # type: ignore[attr-defined]
    with root.db.unit_of_work() as s:
        assert registry_rows(s) == before


def test_registry_errors_are_pvpp_errors() -> None:
    assert issubclass(RegistryError, PvppError) and issubclass(FileRefused, PvppError)
