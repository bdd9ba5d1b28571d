"""Peak memory of checking hostile workbooks that stay inside the guard's limits.

Each case is checked in a fresh Python process; its peak resident memory (ru_maxrss) is
compared with checking a normal filled workbook in the same run. The target: no case
above 256 MiB.

    .venv/bin/python -m bench.check_memory
"""

from __future__ import annotations

import io
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

LIMIT_MIB = 256
# ru_maxrss survives exec on Linux (a child would report its parent's peak); VmHWM belongs
# to the child's own address space.
CHILD = """
import sys, json
from pvpp.settings import Settings
from pvpp.workbook.check import check_workbook
data = open(sys.argv[1], "rb").read()
result = check_workbook(data, settings=Settings(secret_key=sys.argv[2]))
codes = sorted({p.code for p in result.problems})
status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
print(json.dumps({"status": result.status.value, "codes": codes, "peak_mib": int(status) / 1024}))
"""


# The key workbooks are signed with when PVPP_SECRET_KEY does not name one.
BENCH_KEY = "bench-signing-key-0123456789abcdef"


def bench_key() -> str:
    """The key the benchmark signs with and checks against (the child gets it as an
    argument, not through its environment)."""
    return os.environ.get("PVPP_SECRET_KEY", BENCH_KEY)


def _settings_limits() -> tuple[int, int]:
    from pvpp.settings import Settings

    s = Settings()
    return s.max_member_bytes, s.max_total_uncompressed_bytes


def filled_workbook() -> bytes:
    from flows.demo.synthetic import synthetic_answers
    from pvpp.questionnaire import load_questionnaire
    from pvpp.settings import Settings
    from pvpp.workbook.build import build_workbook
    from pvpp.workbook.fill import cell_values, fill_workbook

    # The version new rounds get: its workbook is the largest one the intake sees.
    spec = load_questionnaire(Settings().default_questionnaire)
    blank = build_workbook(
        spec,
        institution_code="BENCH",
        institution_name="Etalona iestāde",
        round_code="BENCH-1",
        lang="lv",
        key=Settings(secret_key=bench_key()).signing_key(),
    )
    return fill_workbook(blank, cell_values(spec, synthetic_answers(spec, "average", 1), "lv"))


def _rezip(
    base: bytes, edit: Callable[[str, bytes], bytes], extra: dict[str, bytes] | None = None
) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, edit(info.filename, src.read(info)))
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def _noise(rng: random.Random, n: int) -> str:
    """Text that compresses about 3:1: big enough to stay under the upload size, varied
    enough to stay under the compression-ratio limit."""
    words = []
    size = 0
    while size < n:
        word = "".join(rng.choices(string.ascii_lowercase, k=4)) + " pārvaldība "
        words.append(word)
        size += len(word)
    return "".join(words)[:n]


def cases(base: bytes, budget: int) -> dict[str, bytes]:
    """Worst cases that pass the guard: each grows one part close to the member limit."""
    rng = random.Random(1)
    target = int(budget * 0.95)

    def shared_strings(name: str, body: bytes) -> bytes:
        # openpyxl writes inline strings; Excel and LibreOffice write a shared-string table,
        # which openpyxl reads whole, so it is the part to grow.
        if name == "xl/_rels/workbook.xml.rels":
            rel = (
                '<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas.'
                'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
            )
            return body.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
        if name == "[Content_Types].xml":
            override = (
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            )
            return body.replace(b"</Types>", override.encode() + b"</Types>")
        if name != "xl/sharedStrings.xml":
            return body
        items: list[str] = []
        size = 0
        while size < target:
            text = _noise(rng, 12)
            items.append(f"<si><t>{text}</t></si>")
            size += len(items[-1].encode())
        head = '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        return (head + "".join(items) + "</sst>").encode()

    def defined_names(name: str, body: bytes) -> bytes:
        if name != "xl/workbook.xml":
            return body
        text = body.decode()
        extra = []
        size = 0
        while size < target - len(text):
            n = f"<definedName name=\"X{_noise(rng, 10)}\">'_pvpp'!$A$1</definedName>"
            extra.append(n)
            size += len(n.encode())
        return text.replace("</definedNames>", "".join(extra) + "</definedNames>").encode()

    def styles(name: str, body: bytes) -> bytes:
        if name != "xl/styles.xml":
            return body
        text = body.decode()
        xfs = []
        size = 0
        while size < target - len(text):
            xf = (
                f'<xf numFmtId="{rng.randint(0, 160)}" fontId="0" fillId="0" borderId="0" '
                f'xfId="0" applyAlignment="1"><alignment indent="{rng.randint(0, 250)}" '
                f'textRotation="{rng.randint(0, 180)}" wrapText="1"/></xf>'
            )
            xfs.append(xf)
            size += len(xf.encode())
        start = text.index("<cellXfs")
        end = text.index(">", start) + 1
        return (text[:end] + "".join(xfs) + text[end:]).encode()

    def long_rows(name: str, body: bytes) -> bytes:
        # The first component sheet: fill the answer box with long texts in every column.
        if name != "xl/worksheets/sheet2.xml":
            return body
        text = body.decode()
        cells = []
        size = 0
        row = 200
        while size < target - len(text):
            cell = f'<c r="A{row}" t="inlineStr"><is><t>{_noise(rng, 2000)}</t></is></c>'
            cells.append(f'<row r="{row}">{cell}</row>')
            size += len(cells[-1].encode())
            row += 1
        return text.replace("</sheetData>", "".join(cells) + "</sheetData>").encode()

    sst_head = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><si><t>x</t></si></sst>'
    )
    return {
        "baseline: a normal filled workbook": base,
        "shared strings near the member limit": _rezip(
            base,
            shared_strings,
            {"xl/sharedStrings.xml": shared_strings("xl/sharedStrings.xml", sst_head)},
        ),
        "defined names near the member limit": _rezip(base, defined_names),
        "styles near the member limit": _rezip(base, styles),
        "long rows below an answer sheet's answers": _rezip(base, long_rows),
        "one huge text in an answer cell": _huge_answer(base, _noise(rng, target)),
        "names, styles and strings together": _rezip(
            _rezip(base, lambda n, b: styles(n, defined_names(n, b))),
            shared_strings,
            {"xl/sharedStrings.xml": shared_strings("xl/sharedStrings.xml", sst_head)},
        ),
    }


def _huge_answer(base: bytes, text: str) -> bytes:
    from pvpp.workbook.fill import fill_workbook

    return fill_workbook(base, {"EVIDENCE_1_1": text})


def measure(path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), bench_key()],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    member_limit, _ = _settings_limits()
    base = filled_workbook()
    worst = 0.0
    baseline = None
    print(f"{'case':40} {'file KB':>8} {'peak MiB':>9} {'× base':>7}  result")
    with tempfile.TemporaryDirectory() as tmp:
        for name, blob in cases(base, member_limit).items():
            path = Path(tmp) / "case.xlsx"
            path.write_bytes(blob)
            found = measure(path)
            peak = found["peak_mib"]
            baseline = baseline or peak
            worst = max(worst, peak)
            outcome = found["status"] + (f" {','.join(found['codes'])}" if found["codes"] else "")
            print(f"{name:40} {len(blob) // 1024:8d} {peak:9.1f} {peak / baseline:7.2f}  {outcome}")
    verdict = "OK" if worst < LIMIT_MIB else "OVER"
    print(f"worst peak {worst:.1f} MiB against a limit of {LIMIT_MIB} MiB: {verdict}")
    return 0 if worst < LIMIT_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
