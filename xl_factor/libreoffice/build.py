"""Packs the committed add-in sources into ``xl_factor.oxt``, a LibreOffice extension.

The extension also carries ``xl_factor_paths.json``: where the Python that
builds it finds xl_factor, numpy, pandas and statsmodels. LibreOffice's own
Python reads it (see the component), so the functions work without any
``PYTHONPATH`` in LibreOffice's environment. The .oxt is written into the
directory given, never into the source tree.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

from . import ADDIN_DIR, COMPONENT_FILE, DESCRIPTION_FILE, MANIFEST_FILE, PATHS_FILE, RDB_FILE, XCU_FILE

OXT_NAME = "xl_factor.oxt"
PACKAGE_DIR = ADDIN_DIR.parents[1]
#: Files copied from ``addin/`` into the extension, by their path inside it.
CONTENTS = {
    "META-INF/manifest.xml": MANIFEST_FILE,
    "description.xml": DESCRIPTION_FILE,
    RDB_FILE: RDB_FILE,
    XCU_FILE: XCU_FILE,
    COMPONENT_FILE: COMPONENT_FILE,
}


def python_paths() -> dict:
    """This Python's version and the directories that hold xl_factor and its dependencies."""
    import xl_factor

    package_parent = str(Path(xl_factor.__file__).resolve().parents[1])
    site_dirs = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]
    return {"python": f"{sys.version_info.major}.{sys.version_info.minor}",
            "executable": sys.executable,
            "sys_path": list(dict.fromkeys([package_parent] + site_dirs))}


def build_oxt(out_dir: str | Path, paths: dict | None = None) -> Path:
    """Write ``xl_factor.oxt`` into ``out_dir``; ``paths`` defaults to :func:`python_paths`."""
    out_dir = Path(out_dir).resolve()
    if out_dir == PACKAGE_DIR or PACKAGE_DIR in out_dir.parents:
        raise ValueError(f"build the extension outside the source tree, not in {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / OXT_NAME
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as oxt:
        for inside, source in CONTENTS.items():
            oxt.write(ADDIN_DIR / source, inside)
        oxt.writestr(PATHS_FILE, json.dumps(python_paths() if paths is None else paths, indent=1) + "\n")
    return target


def main(argv: list[str] | None = None) -> None:
    """``python -m xl_factor.libreoffice.build OUT_DIR``: write OUT_DIR/xl_factor.oxt."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m xl_factor.libreoffice.build OUT_DIR")
    print(build_oxt(args[0]))


if __name__ == "__main__":
    main()
