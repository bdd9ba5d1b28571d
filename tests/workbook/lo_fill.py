"""Fill a workbook inside LibreOffice and save it as .xlsx (run with Debian's python3 + uno).

Usage: python3 lo_fill.py SRC.xlsx DST.xlsx CELLS.json PROFILE_DIR

CELLS.json maps defined names to values; each value is typed into the named cell the way
a person would (numbers as numbers, everything else as text), then LibreOffice saves the
document in its own "Calc MS Excel 2007 XML" format. Exits non-zero on any failure.
"""

import contextlib
import json
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def main() -> int:
    src, dst, cells_path, profile = sys.argv[1:5]
    with open(cells_path, encoding="utf-8") as fh:
        cells = json.load(fh)
    pipe = f"pvpp_lo_{os.getpid()}"
    office = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"-env:UserInstallation=file://{profile}",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                if time.monotonic() > deadline or office.poll() is not None:
                    print("LibreOffice did not start", file=sys.stderr)
                    return 2
                time.sleep(0.2)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(os.path.abspath(src)), "_blank", 0, (prop("Hidden", True),)
        )
        names = doc.NamedRanges
        for name, value in cells.items():
            cell = names.getByName(name).getReferredCells().getCellByPosition(0, 0)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cell.setValue(value)
            else:
                cell.setString(str(value))
        doc.storeToURL(
            uno.systemPathToFileUrl(os.path.abspath(dst)),
            (prop("FilterName", "Calc MS Excel 2007 XML"),),
        )
        doc.close(True)
        # The bridge drops as the office exits, which surfaces as an exception here.
        with contextlib.suppress(Exception):
            desktop.terminate()
        return 0
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    sys.exit(main())
