"""A corpus of broken workbooks: each is rejected with its own problem code and a clear
message (naming the sheet and cell when the problem is about a cell), never a traceback.

Every broken file is built here in code, from the session's workbooks: file-level damage
by rewriting zip members (milliseconds), cell values through ``fill_workbook`` as a person
typing into the workbook would.
"""

from __future__ import annotations

import dataclasses
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pvpp.app import App
from pvpp.i18n import keys
from pvpp.questionnaire import QuestionnaireSpec
from pvpp.settings import Settings
from pvpp.workbook.check import CheckResult, Status, check_workbook
from pvpp.workbook.fill import cell_values, fill_workbook, formula
from tests.conftest import INSTITUTION, ROUND, TEST_KEY, settings_for
from tests.workbook.corpus import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    cfb,
    drop_sheet,
    flag_encrypted,
    members,
    meta_member,
    rename_sheet,
    rename_sheets,
    replace,
    rezip,
    set_meta,
    set_name,
    with_dtd,
    zip_of,
)

SHEETS_LV = (
    "Norādījumi",
    "1 Pamatnosacījumi",
    "2 Uzdevumi",
    "3 Nosacījumi",
    "4 Spējas un resursi",
    "Pakalpojumi",
    "Saraksti",
)
SHEETS_EN = (
    "Instructions",
    "1 Basic conditions",
    "2 Tasks",
    "3 Conditions",
    "4 Capabilities and resources",
    "Services",
    "Lists",
)
MiB = 1024 * 1024


# -- what each case can build from -----------------------------------------------------


@dataclass
class Ctx:
    spec: QuestionnaireSpec
    blank_lv: bytes
    blank_en: bytes
    filled_lv: bytes
    filled_en: bytes
    answers: dict[str, Any]
    build: Callable[..., bytes]
    locations: dict[str, dict[str, tuple[str, str]]]

    def fill(self, overrides: dict[str, Any], lang: str = "lv") -> bytes:
        """The valid answers with ``overrides`` (cell values; ``None`` clears the cell)."""
        cells = cell_values(self.spec, self.answers, lang)  # type: ignore[arg-type]
        for key, value in overrides.items():
            if value is None:
                cells.pop(key, None)
            else:
                cells[key] = value
        return fill_workbook(self.blank_lv if lang == "lv" else self.blank_en, cells)

    def fill_en(self, overrides: dict[str, Any]) -> bytes:
        return self.fill(overrides, "en")

    def deg(self, value: int, lang: str = "lv") -> str:
        return self.spec.degree_label(value, lang)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def filled_en(spec: QuestionnaireSpec, blank_en: bytes, answers: dict[str, Any]) -> bytes:
    return fill_workbook(blank_en, cell_values(spec, answers, "en"))


def _locations(data: bytes) -> dict[str, tuple[str, str]]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        out = {}
        for name, dn in wb.defined_names.items():
            ((sheet, ref),) = list(dn.destinations)
            out[name] = (sheet, ref.replace("$", ""))
        return out
    finally:
        wb.close()


@pytest.fixture(scope="session")
def locations(blank_lv: bytes, blank_en: bytes) -> dict[str, dict[str, tuple[str, str]]]:
    """Field id → (sheet, cell) of the untouched workbooks, per language."""
    return {"lv": _locations(blank_lv), "en": _locations(blank_en)}


@pytest.fixture
def ctx(
    spec: QuestionnaireSpec,
    blank_lv: bytes,
    blank_en: bytes,
    filled_lv: bytes,
    filled_en: bytes,
    answers: dict[str, Any],
    build: Callable[..., bytes],
    locations: dict[str, dict[str, tuple[str, str]]],
) -> Ctx:
    return Ctx(spec, blank_lv, blank_en, filled_lv, filled_en, answers, build, locations)


# -- the corpus ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One broken workbook and the single problem it must be rejected with."""

    id: str
    make: Callable[[Ctx], bytes]
    code: str
    text: tuple[str, ...]  # parts of the message, all in the workbook's language
    field: str | None = None  # the answer field concerned; its sheet and cell are checked
    at_cell: bool = True  # False: the problem names the field and sheet but no cell
    sheet: str | None = None  # the sheet named, for problems about a sheet
    lang: str = "lv"
    settings: dict[str, int] = dataclasses.field(default_factory=dict)  # passed as Settings(...)
    env: dict[str, str] = dataclasses.field(default_factory=dict)  # PVPP_ variables
    expect_institution: str | None = None
    expect_round: str | None = None


def _files(*names: str) -> dict[str, bytes]:
    return {n: b"<x/>" for n in names}


def _ods() -> bytes:
    return zip_of(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": b"<office:document-content/>",
            "META-INF/manifest.xml": b"<manifest:manifest/>",
        }
    )


def _corrupt_crc(data: bytes) -> bytes:
    """Stored (uncompressed) members, then one byte inside xl/workbook.xml changed."""
    stored = rezip(data, compression=zipfile.ZIP_STORED)
    with zipfile.ZipFile(io.BytesIO(stored)) as zf:
        info = zf.getinfo("xl/workbook.xml")
    head = info.header_offset
    name_len = int.from_bytes(stored[head + 26 : head + 28], "little")
    extra_len = int.from_bytes(stored[head + 28 : head + 30], "little")
    at = head + 30 + name_len + extra_len + info.file_size // 2
    return stored[:at] + bytes([stored[at] ^ 0x20]) + stored[at + 1 :]


def _random(n: int, seed: int = 2027) -> bytes:
    return random.Random(seed).randbytes(n)


NOT_A_WORKBOOK = "Šī datne nav Excel darbgrāmata"
DAMAGED = "Darbgrāmata ir bojāta un to nevar nolasīt"
ZIP_BOMB = "atspiests būtu nesamērīgi liels"
MACROS = "makroprogrammas (.xlsm)"
ENTITIES = "XML DTD/entītiju deklarācijas"
SIGNATURE = "Darbgrāmatas paraksts neatbilst"
NO_META = "nav slēptās lapas ar novērtēšanas cikla un iestādes datiem"
C1, C2 = SHEETS_LV[1], SHEETS_LV[2]

FILE_CASES = [
    # 1. not a workbook at all
    Case("empty-file", lambda c: b"", "empty_file", ("Datne ir tukša (0 baitu)",)),
    Case(
        "csv-text",
        lambda c: "Punkts;Pakāpe\n1.1;3\n1.2;2\n".encode(),
        "not_a_workbook",
        (NOT_A_WORKBOOK, "(teksts vai CSV)"),
    ),
    Case(
        "text-with-bom",
        lambda c: "\ufeffPašnovērtējums: viss kārtībā".encode(),
        "not_a_workbook",
        ("(teksts vai CSV)",),
    ),
    Case(
        "pdf",
        lambda c: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        "not_a_workbook",
        (NOT_A_WORKBOOK, "(PDF)"),
    ),
    Case(
        "html",
        lambda c: b"<!DOCTYPE html>\n<html><body><table><tr><td>1</td></tr></table></body></html>",
        "not_a_workbook",
        ("(HTML)",),
    ),
    Case(
        "xml-spreadsheet-2003",
        lambda c: (
            b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:'
            b'spreadsheet"><Worksheet/></Workbook>'
        ),
        "not_a_workbook",
        ("(XML)",),
    ),
    Case(
        "png-image",
        lambda c: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _random(200),
        "not_a_workbook",
        ("(nezināms formāts)",),
    ),
    Case(
        "docx-zip",
        lambda c: zip_of(_files("[Content_Types].xml", "_rels/.rels", "word/document.xml")),
        "not_a_workbook",
        (NOT_A_WORKBOOK, "(Word dokuments)"),
    ),
    Case(
        "pptx-zip",
        lambda c: zip_of(_files("[Content_Types].xml", "ppt/presentation.xml")),
        "not_a_workbook",
        ("(PowerPoint prezentācija)",),
    ),
    Case(
        "zip-without-workbook",
        lambda c: zip_of({"readme.txt": b"hello", "data.csv": b"a;b\n1;2\n"}),
        "not_a_workbook",
        ("(ZIP arhīvs bez darbgrāmatas)",),
    ),
    Case(
        "empty-zip",
        lambda c: b"PK\x05\x06" + b"\x00" * 18,
        "not_a_workbook",
        ("(ZIP arhīvs bez darbgrāmatas)",),
    ),
    Case(
        "xlsx-without-content-types",
        lambda c: rezip(c.filled_lv, drop=("[Content_Types].xml",)),
        "not_a_workbook",
        ("(ZIP arhīvs bez darbgrāmatas)",),
    ),
    Case(
        "xlsx-without-workbook-part",
        lambda c: rezip(c.filled_lv, drop=("xl/workbook.xml",)),
        "not_a_workbook",
        ("(ZIP arhīvs bez darbgrāmatas)",),
    ),
    Case(
        "ods-zip",
        lambda c: _ods(),
        "opendocument",
        ("OpenDocument izklājlapa (.ods)",),
    ),
    Case(
        "truncated-half",
        lambda c: c.filled_lv[: len(c.filled_lv) // 2],
        "damaged",
        (DAMAGED, "zip"),
    ),
    Case(
        "truncated-central-directory",
        lambda c: c.filled_lv[:-40],
        "damaged",
        (DAMAGED,),
    ),
    Case(
        "random-after-pk-header",
        lambda c: b"PK\x03\x04" + _random(4096),
        "damaged",
        (DAMAGED,),
    ),
    Case(
        "member-crc-mismatch",
        lambda c: _corrupt_crc(c.filled_lv),
        "damaged",
        (DAMAGED, "xl/workbook.xml"),
    ),
    Case(
        "workbook-part-not-xml",
        lambda c: rezip(c.filled_lv, edit={"xl/workbook.xml": lambda b: b"not xml at all"}),
        "damaged",
        (DAMAGED,),
    ),
    Case(
        "worksheet-part-cut-short",
        lambda c: rezip(
            c.filled_lv,
            edit={"xl/worksheets/sheet2.xml": lambda b: b[: len(b) // 2]},
        ),
        "damaged",
        (DAMAGED,),
    ),
    Case(
        "english-setting-pdf",
        lambda c: b"%PDF-1.4\n",
        "not_a_workbook",
        ("This file is not an Excel workbook (PDF)",),
        lang="en",
        env={"PVPP_LANGUAGE": "en"},
    ),
    # 2. old format and encryption
    Case("old-xls", lambda c: cfb("Workbook", "SummaryInformation"), "old_xls", ("(.xls)",)),
    Case(
        "encrypted-ooxml-encryption-info",
        lambda c: cfb("EncryptionInfo"),
        "encrypted",
        ("aizsargāta ar paroli",),
    ),
    Case(
        "encrypted-ooxml-encrypted-package",
        lambda c: cfb("EncryptedPackage", "DataSpaces"),
        "encrypted",
        ("aizsargāta ar paroli",),
    ),
    Case(
        "zip-member-encryption-flag",
        lambda c: flag_encrypted(c.filled_lv, "xl/workbook.xml"),
        "encrypted",
        ("(šifrēta)",),
    ),
    # 3. too large and zip bombs
    Case(
        "over-default-upload-limit",
        lambda c: b"PK\x03\x04" + b"\x00" * (5 * MiB),
        "too_large",
        ("Datne ir pārāk liela", "atļauts līdz 5,0 MB"),
    ),
    Case(
        "over-lowered-upload-limit-env",
        lambda c: c.filled_lv,
        "too_large",
        ("atļauts līdz 19,5 KB",),
        env={"PVPP_MAX_UPLOAD_BYTES": "20000"},
    ),
    Case(
        "member-over-default-limit",
        lambda c: rezip(c.filled_lv, add={"xl/media/image1.png": b"\x00" * (9 * MiB)}),
        "zip_bomb",
        (ZIP_BOMB, "xl/media/image1.png: 9,0 MB"),
    ),
    Case(
        "member-over-lowered-limit",
        lambda c: c.filled_lv,
        "zip_bomb",
        (ZIP_BOMB, "xl/worksheets/"),
        settings={"max_member_bytes": 50_000},
    ),
    Case(
        "compression-ratio-2mib-zeros",
        lambda c: rezip(c.filled_lv, add={"xl/media/zeros.bin": b"\x00" * (2 * MiB)}),
        "zip_bomb",
        (ZIP_BOMB, "xl/media/zeros.bin: ", ":1)"),
    ),
    Case(
        "compression-ratio-lowered-env",
        lambda c: rezip(c.filled_lv, add={"xl/media/text.bin": b"abcdefgh" * 40_000}),
        "zip_bomb",
        ("xl/media/text.bin: ",),
        env={"PVPP_MAX_COMPRESSION_RATIO": "5"},
    ),
    Case(
        "bomb-in-content-types",
        lambda c: rezip(
            c.filled_lv,
            edit={"[Content_Types].xml": replace(b"</Types>", b" " * (2 * MiB) + b"</Types>")},
        ),
        "zip_bomb",
        (ZIP_BOMB, "[Content_Types].xml: "),
    ),
    Case(
        "too-many-members",
        lambda c: rezip(c.filled_lv, add={f"xl/media/i{n}.png": b"x" for n in range(300)}),
        "zip_bomb",
        (ZIP_BOMB, " daļ"),
    ),
    Case(
        "too-many-members-lowered",
        lambda c: c.filled_lv,
        "zip_bomb",
        (ZIP_BOMB, " daļu)"),  # 16 parts: "16 daļu", not "16 daļas"
        settings={"max_zip_members": 10},
    ),
    Case(
        "total-uncompressed-lowered-env",
        lambda c: c.filled_lv,
        "zip_bomb",
        (ZIP_BOMB, "(kopā "),
        env={"PVPP_MAX_TOTAL_UNCOMPRESSED_BYTES": "200000"},
    ),
    # 4. macros
    Case(
        "vba-project-bin",
        lambda c: rezip(c.filled_lv, add={"xl/vbaProject.bin": _random(2048)}),
        "macro_enabled",
        (MACROS,),
    ),
    Case(
        "vba-project-bin-uppercase",
        lambda c: rezip(c.filled_lv, add={"xl/VBAProject.BIN": _random(2048)}),
        "macro_enabled",
        (MACROS,),
    ),
    Case(
        "vba-data-xml",
        lambda c: rezip(c.filled_lv, add={"xl/vbaData.xml": b"<wne:vbaSuppData/>"}),
        "macro_enabled",
        (MACROS,),
    ),
    Case(
        "macro-enabled-content-type",
        lambda c: rezip(
            c.filled_lv,
            edit={
                "[Content_Types].xml": replace(
                    "spreadsheetml.sheet.main+xml", "ms-excel.sheet.macroEnabled.main+xml"
                )
            },
        ),
        "macro_enabled",
        (MACROS,),
    ),
    # 5. XML entities and DOCTYPEs
    Case(
        "billion-laughs-workbook",
        lambda c: rezip(c.filled_lv, edit={"xl/workbook.xml": with_dtd(BILLION_LAUGHS)}),
        "xml_entities",
        (ENTITIES, "xl/workbook.xml"),
    ),
    Case(
        "external-entity-shared-strings",
        lambda c: rezip(
            c.filled_lv,
            add={
                "xl/sharedStrings.xml": EXTERNAL_ENTITY
                + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<si><t>&xxe;</t></si></sst>"
            },
        ),
        "xml_entities",
        ("xl/sharedStrings.xml",),
    ),
    Case(
        "external-entity-worksheet",
        lambda c: rezip(c.filled_lv, edit={"xl/worksheets/sheet2.xml": with_dtd(EXTERNAL_ENTITY)}),
        "xml_entities",
        ("xl/worksheets/sheet2.xml",),
    ),
    Case(
        "billion-laughs-meta-sheet",
        lambda c: rezip(c.filled_lv, edit={meta_member(c.filled_lv): with_dtd()}),
        "xml_entities",
        (ENTITIES, "xl/worksheets/sheet"),
    ),
    Case(
        "billion-laughs-content-types",
        lambda c: rezip(c.filled_lv, edit={"[Content_Types].xml": with_dtd()}),
        "xml_entities",
        ("[Content_Types].xml",),
    ),
    Case(
        "external-entity-rels",
        lambda c: rezip(c.filled_lv, edit={"_rels/.rels": with_dtd(EXTERNAL_ENTITY)}),
        "xml_entities",
        ("_rels/.rels",),
    ),
    Case(
        "lowercase-doctype-styles",
        lambda c: rezip(
            c.filled_lv, edit={"xl/styles.xml": with_dtd(b'<!doctype s [<!entity a "b">]>')}
        ),
        "xml_entities",
        ("xl/styles.xml",),
    ),
    Case(
        # The guard looks for "<!DOCTYPE" in bytes; in UTF-16 only the parser sees it.
        "utf16-doctype-workbook",
        lambda c: rezip(
            c.filled_lv,
            edit={
                "xl/workbook.xml": lambda b: (
                    '<?xml version="1.0" encoding="UTF-16"?>'
                    + b.decode().replace("<workbook ", '<!DOCTYPE w [<!ENTITY a "b">]><workbook ')
                ).encode("utf-16")
            },
        ),
        "xml_entities",
        (ENTITIES,),
    ),
]

IDENTITY_CASES = [
    # 6. who the workbook was issued to, and whether it is ours
    Case(
        "meta-sheet-deleted",
        lambda c: drop_sheet(c.filled_lv, "_pvpp"),
        "no_metadata",
        (NO_META,),
    ),
    Case(
        "meta-sheet-renamed",
        lambda c: rename_sheet(c.filled_lv, "_pvpp", "pvpp"),
        "no_metadata",
        (NO_META,),
    ),
    Case(
        "meta-format-changed",
        lambda c: set_meta(c.filled_lv, "format", "excel-workbook"),
        "no_metadata",
        (NO_META,),
    ),
    Case(
        "meta-institution-name-blank",
        lambda c: set_meta(c.filled_lv, "institution_name", None),
        "bad_metadata",
        ("lapā “_pvpp” trūkst vai ir bojāts lauks “institution_name”",),
        sheet="_pvpp",
    ),
    Case(
        "meta-lang-unknown",
        lambda c: set_meta(c.filled_lv, "lang", "de"),
        "bad_metadata",
        ("lauks “lang”",),
        sheet="_pvpp",
    ),
    Case(
        "meta-policy-changed",
        lambda c: set_meta(c.filled_lv, "policy", "pvpp2030-v1"),
        "bad_metadata",
        ("lauks “policy”",),
        sheet="_pvpp",
    ),
    Case(
        "meta-signature-blank",
        lambda c: set_meta(c.filled_lv, "signature", None),
        "bad_metadata",
        ("lauks “signature”",),
        sheet="_pvpp",
    ),
    Case(
        "unknown-questionnaire",
        lambda c: set_meta(c.filled_lv, "questionnaire", "pvpp2099-q9"),
        "unknown_questionnaire",
        ("anketas versijai “pvpp2099-q9”", "pvpp2027-q1"),
    ),
    Case(
        "round-edited",
        lambda c: set_meta(c.filled_lv, "round", "2027-K1"),
        "bad_signature",
        (SIGNATURE,),
    ),
    Case(
        "institution-edited",
        lambda c: set_meta(c.filled_lv, "institution", "VARAM"),
        "bad_signature",
        (SIGNATURE,),
    ),
    Case(
        "signature-edited",
        lambda c: set_meta(c.filled_lv, "signature", "0" * 64),
        "bad_signature",
        (SIGNATURE,),
    ),
    Case(
        "signed-with-another-key",
        lambda c: c.build(c.spec, "lv", key=b"some-other-installation-key-0000"),
        "bad_signature",
        (SIGNATURE,),
    ),
    Case(
        "signature-edited-en",
        lambda c: set_meta(c.filled_en, "round", "2027-K1"),
        "bad_signature",
        ("The workbook's signature does not match",),
        lang="en",
    ),
    Case(
        "wrong-institution",
        lambda c: c.filled_lv,
        "wrong_institution",
        (f"iestādei {INSTITUTION}, nevis VARAM",),
        expect_institution="VARAM",
    ),
    Case(
        "wrong-round",
        lambda c: c.filled_lv,
        "wrong_round",
        (f"ciklam {ROUND}, nevis 2027-K2",),
        expect_round="2027-K2",
    ),
]

STRUCTURE_CASES = [
    # 7. sheets and named answer cells
    *[
        Case(
            f"sheet-deleted-{n}",
            lambda c, title=title: drop_sheet(c.filled_lv, title),
            "missing_sheet",
            (f"Trūkst lapas “{title}”",),
            sheet=title,
        )
        for n, title in enumerate(SHEETS_LV)
    ],
    Case(
        # The workbook lists the sheet, but its part is gone from the archive.
        "worksheet-part-missing",
        lambda c: rezip(c.filled_lv, drop=("xl/worksheets/sheet2.xml",)),
        "missing_sheet",
        (f"Trūkst lapas “{C1}”",),
        sheet=C1,
    ),
    Case(
        "sheet-renamed",
        lambda c: rename_sheet(c.filled_lv, "Pakalpojumi", "Pakalpojumi (2)"),
        "missing_sheet",
        ("Trūkst lapas “Pakalpojumi” (tā ir dzēsta vai pārdēvēta)",),
        sheet="Pakalpojumi",
    ),
    Case(
        "sheet-renamed-en",
        lambda c: rename_sheet(c.filled_en, "Services", "Pakalpojumi"),
        "missing_sheet",
        ("Sheet “Services” is missing",),
        sheet="Services",
        lang="en",
    ),
    Case(
        "name-deleted-degree",
        lambda c: set_name(c.filled_lv, "Q_1_1_D1", None),
        "missing_cell",
        ("Nav atrodama atbildes šūna “Q_1_1_D1”", f"lapā “{C1}”"),
        field="Q_1_1_D1",
        at_cell=False,
    ),
    Case(
        "name-deleted-service",
        lambda c: set_name(c.filled_lv, "SVC01_TYPE", None),
        "missing_cell",
        ("“SVC01_TYPE”", "lapā “Pakalpojumi”"),
        field="SVC01_TYPE",
        at_cell=False,
    ),
    Case(
        "name-scoped-to-sheet",
        lambda c: set_name(c.filled_lv, "EVIDENCE_1_1", f"'{C1}'!$D$14", local_sheet=1),
        "missing_cell",
        ("“EVIDENCE_1_1”",),
        field="EVIDENCE_1_1",
        at_cell=False,
    ),
    Case(
        "name-moved-to-other-sheet",
        lambda c: set_name(c.filled_lv, "Q_1_1_D1", f"'{C2}'!$D$8"),
        "moved_cell",
        (f"“Q_1_1_D1” ir pārvietota uz '{C2}'!$D$8", f"jābūt lapā “{C1}”"),
        field="Q_1_1_D1",
        at_cell=False,
    ),
    Case(
        "name-moved-to-range",
        lambda c: set_name(c.filled_lv, "Q_1_1_D1", f"'{C1}'!$D$8:$D$11"),
        "moved_cell",
        ("$D$8:$D$11",),
        field="Q_1_1_D1",
        at_cell=False,
    ),
    Case(
        "two-names-one-cell",
        lambda c: set_name(c.filled_lv, "Q_1_1_D2", f"'{C1}'!$D$8"),
        "moved_cell",
        ("“Q_1_1_D2” ir pārvietota",),
        field="Q_1_1_D2",
        at_cell=False,
    ),
    Case(
        "name-ref-error",
        lambda c: set_name(c.filled_lv, "TARGET_1_1", "#REF!$D$12"),
        "moved_cell",
        ("“TARGET_1_1”", "#REF!"),
        field="TARGET_1_1",
        at_cell=False,
    ),
]

TOO_LONG = "Teksts ir par garu"
VALUE_CASES = [
    # 8. values typed into answer cells
    *[
        Case(
            f"degree-{label}",
            lambda c, value=value: c.fill({"Q_1_1_D1": value}),
            "bad_degree",
            (f"“{shown}” nav atļauta atbilde", "pakāpi 0–4 vai “Nav attiecināms” / “Nav zināms”"),
            field="Q_1_1_D1",
        )
        for label, value, shown in [
            ("text-5", "5", "5"),
            ("number-7", 7, "7"),
            ("number-minus-1", -1, "-1"),
            ("fraction-2.5", 2.5, "2.5"),
            ("boolean", True, "True"),
            ("free-text", "ļoti labi", "ļoti labi"),
            ("date", datetime(2026, 3, 1), "2026-03-01"),
            ("label-of-unknown-degree", "5 — izcilā", "5 — izcilā"),
        ]
    ],
    Case(
        "formula-in-degree",
        lambda c: c.fill({"Q_1_2_D3": formula("=1+1")}),
        "formula",
        ("Šūnā ir formula (=1+1)",),
        field="Q_1_2_D3",
    ),
    Case(
        "formula-in-target",
        lambda c: c.fill({"TARGET_1_3": formula("=MAX(D30:D33)")}),
        "formula",
        ("formula (=MAX(D30:D33))",),
        field="TARGET_1_3",
    ),
    Case(
        "formula-in-evidence",
        lambda c: c.fill({"EVIDENCE_1_1": formula('="see "&A1')}),
        "formula",
        ("Šūnā ir formula",),
        field="EVIDENCE_1_1",
    ),
    Case(
        "not-applicable-without-reason",
        lambda c: c.fill({"Q_1_1_D2": "Nav attiecināms", "NAREASON_1_1": None}),
        "reason_required",
        ("Punktā 1.1 izvēlēts “Nav attiecināms” (D2), bet nav norādīts pamatojums",),
        field="NAREASON_1_1",
    ),
    Case(
        "target-below-current",
        lambda c: c.fill(
            {
                **{f"Q_1_1_D{d}": c.deg(3) for d in (1, 2, 3, 4)},
                "TARGET_1_1": c.deg(1),
            }
        ),
        "target_below_current",
        ("Mērķa pakāpe sākotnējā (1) ir zemāka par pašreizējo pakāpi 3 (punkts 1.1)",),
        field="TARGET_1_1",
    ),
    Case(
        "target-9",
        lambda c: c.fill({"TARGET_1_2": "9"}),
        "bad_target",
        ("“9” nav atļauta mērķa pakāpe",),
        field="TARGET_1_2",
    ),
    Case(
        "target-not-applicable",
        lambda c: c.fill({"TARGET_1_2": "Nav attiecināms"}),
        "bad_target",
        ("“Nav attiecināms” nav atļauta mērķa pakāpe",),
        field="TARGET_1_2",
    ),
    Case(
        "service-type-st9",
        lambda c: c.fill({"SVC01_TYPE": "ST9"}),
        "bad_service_type",
        ("“ST9” nav pakalpojuma veids",),
        field="SVC01_TYPE",
    ),
    Case(
        "conformity-ja",
        lambda c: c.fill({"SVC02_K3": "Jā"}),
        "bad_conformity",
        ("“Jā” nav atļauta atbilstības vērtība", "atbilst"),
        field="SVC02_K3",
    ),
    Case(
        "conformity-number",
        lambda c: c.fill({"SVC01_K1": 1}),
        "bad_conformity",
        ("“1” nav atļauta atbilstības vērtība",),
        field="SVC01_K1",
    ),
    Case(
        "service-name-cleared",
        lambda c: c.fill({"SVC01_NAME": None}),
        "service_without_name",
        ("1. pakalpojuma rindā ir aizpildīti lauki, bet nav pakalpojuma nosaukuma",),
        field="SVC01_NAME",
    ),
    Case(
        "service-row-type-only",
        lambda c: c.fill({"SVC05_TYPE": c.spec.service_type_label("ST1", "lv")}),
        "service_without_name",
        ("5. pakalpojuma rindā",),
        field="SVC05_NAME",
    ),
    Case(
        "evidence-too-long",
        lambda c: c.fill({"EVIDENCE_1_1": "p" * 4001}),
        "text_too_long",
        (TOO_LONG, "(rakstzīmju skaits: 4001; atļauts līdz 4000)"),
        field="EVIDENCE_1_1",
    ),
    Case(
        "comment-too-long",
        lambda c: c.fill({"COMMENT_2_1": "k" * 5000}),
        "text_too_long",
        ("(rakstzīmju skaits: 5000; atļauts līdz 4000)",),
        field="COMMENT_2_1",
    ),
    Case(
        "service-name-too-long",
        lambda c: c.fill({"SVC02_NAME": "Pakalpojums " * 30}),
        "text_too_long",
        ("atļauts līdz 300)",),
        field="SVC02_NAME",
    ),
    Case(
        "na-reason-too-long",
        lambda c: c.fill({"Q_1_1_D1": "Nav attiecināms", "NAREASON_1_1": "r" * 2001}),
        "text_too_long",
        ("(rakstzīmju skaits: 2001; atļauts līdz 2000)",),
        field="NAREASON_1_1",
    ),
    Case(
        "evidence-boolean",
        lambda c: c.fill({"EVIDENCE_1_2": False}),
        "not_text",
        ("Šeit jābūt tekstam, bet šūnā ir bool",),
        field="EVIDENCE_1_2",
    ),
    # English workbooks answer in English.
    Case(
        "degree-text-5-en",
        lambda c: c.fill_en({"Q_1_1_D1": "5"}),
        "bad_degree",
        ("“5” is not an allowed answer. Choose a degree 0–4 or “Not applicable” / “Unknown”",),
        field="Q_1_1_D1",
        lang="en",
    ),
    Case(
        "not-applicable-without-reason-en",
        lambda c: c.fill_en({"Q_K1_D4": "Not applicable", "NAREASON_K1": None}),
        "reason_required",
        ("Item K1 has “Not applicable” (D4) but no reason is given",),
        field="NAREASON_K1",
        lang="en",
    ),
    Case(
        "evidence-too-long-en",
        lambda c: c.fill_en({"EVIDENCE_K1": "e" * 4001}),
        "text_too_long",
        ("The text is too long (4001 characters; the limit is 4000)",),
        field="EVIDENCE_K1",
        lang="en",
    ),
    Case(
        "service-name-cleared-en",
        lambda c: c.fill_en({"SVC02_NAME": None}),
        "service_without_name",
        ("Service row 2 has values but no service name",),
        field="SVC02_NAME",
        lang="en",
    ),
    Case(
        "name-deleted-en",
        lambda c: set_name(c.filled_en, "Q_2_1_D1", None),
        "missing_cell",
        ("Answer cell “Q_2_1_D1” (sheet “2 Tasks”) cannot be found",),
        field="Q_2_1_D1",
        at_cell=False,
        lang="en",
    ),
]

CASES = [*FILE_CASES, *IDENTITY_CASES, *STRUCTURE_CASES, *VALUE_CASES]


def _check(case: Case, ctx: Ctx, root: App, tmp_path: Path) -> CheckResult:
    settings = root.settings
    if case.settings:
        settings = settings_for(tmp_path / "var", **case.settings)
    if case.env:
        # As a deployment sets them: PVPP_ variables, here from a .env file (the test
        # process's own environment stays as it is).
        env_file = tmp_path / "case.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in case.env.items()), encoding="utf-8")
        given = {k.removeprefix("PVPP_").lower() for k in case.env}
        base = {"data_dir": tmp_path / "var", "secret_key": TEST_KEY, "workers": 1}
        settings = Settings(
            _env_file=env_file,  # type: ignore[call-arg]
            **{k: v for k, v in base.items() if k not in given},
        )
    data = case.make(ctx)
    return check_workbook(
        data,
        settings=settings,
        expect_institution=case.expect_institution,
        expect_round=case.expect_round,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_workbook_is_rejected_clearly(
    case: Case, ctx: Ctx, root: App, tmp_path: Path
) -> None:
    result = _check(case, ctx, root, tmp_path)

    assert result.status is Status.REJECTED
    assert [p.code for p in result.problems] == [case.code], result.problems
    problem = result.problems[0]
    for part in case.text:
        assert part in problem.message, (part, problem.message)
    assert result.lang == case.lang
    assert result.answers == {}
    if case.field is not None:
        sheet, cell = ctx.locations[case.lang][case.field]
        assert problem.field == case.field
        assert problem.sheet == sheet
        assert problem.cell == (cell if case.at_cell else None)
        assert problem.where() == (f"{sheet}!{cell}" if case.at_cell else sheet)
    elif case.sheet is not None:
        assert problem.sheet == case.sheet
        assert problem.cell is None
    else:
        assert (problem.sheet, problem.cell, problem.field) == (None, None, None)


def test_corpus_is_large_and_distinct() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 60
    # Every problem the checker can report has at least one broken workbook here.
    assert {c.code for c in CASES} == {
        key.removeprefix("workbook.problem.") for key in keys("workbook.problem.")
    }


def test_sheet_titles_match_the_questionnaire(spec: QuestionnaireSpec) -> None:
    assert tuple(spec.required_sheets("lv")) == SHEETS_LV
    assert tuple(spec.required_sheets("en")) == SHEETS_EN


def test_the_unbroken_workbooks_are_accepted(ctx: Ctx, root: App) -> None:
    """The corpus's starting points are good, so each rejection comes from its own damage."""
    for data in (ctx.filled_lv, ctx.filled_en):
        result = check_workbook(
            data, expect_institution=INSTITUTION, expect_round=ROUND, settings=root.settings
        )
        assert result.status is Status.ACCEPTED, result.problems
    # Members are rewritten without loss: a plain rezip is still accepted.
    assert check_workbook(rezip(ctx.filled_lv), settings=root.settings).status is Status.ACCEPTED
    assert members(rezip(ctx.filled_lv)) == members(ctx.filled_lv)


def test_several_bad_cells_are_all_reported_at_once(ctx: Ctx, root: App) -> None:
    data = ctx.fill({"Q_1_1_D1": "5", "TARGET_1_2": "9", "SVC01_TYPE": "ST9"})
    result = check_workbook(data, settings=root.settings)

    assert result.status is Status.REJECTED
    assert result.answers == {}
    found = [(p.code, p.field, p.sheet, p.cell) for p in result.problems]
    expected = [
        ("bad_degree", "Q_1_1_D1"),
        ("bad_target", "TARGET_1_2"),
        ("bad_service_type", "SVC01_TYPE"),
    ]
    assert found == [(code, fid, *ctx.locations["lv"][fid]) for code, fid in expected]
    assert len({p.cell for p in result.problems}) == 3
    assert "“5”" in result.problems[0].message
    assert "“9”" in result.problems[1].message
    assert "“ST9”" in result.problems[2].message


def test_every_renamed_sheet_is_reported_at_once(ctx: Ctx, root: App) -> None:
    data = rename_sheets(ctx.filled_lv, {t: f"{t} (kopija)" for t in SHEETS_LV})
    result = check_workbook(data, settings=root.settings)

    assert result.status is Status.REJECTED
    assert [p.code for p in result.problems] == ["missing_sheet"] * len(SHEETS_LV)
    assert [p.sheet for p in result.problems] == list(SHEETS_LV)
    for problem, title in zip(result.problems, SHEETS_LV, strict=True):
        assert f"“{title}”" in problem.message


def test_wrong_institution_and_round_are_both_reported(ctx: Ctx, root: App) -> None:
    result = check_workbook(
        ctx.filled_lv, expect_institution="VARAM", expect_round="2027-K2", settings=root.settings
    )

    assert result.status is Status.REJECTED
    assert result.answers == {}
    assert [p.code for p in result.problems] == ["wrong_institution", "wrong_round"]
