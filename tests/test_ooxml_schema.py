"""Valid for Excel: every XML part of the shipped workbook and of a refresh report against the ECMA-376 schemas.

Excel is stricter than LibreOffice: a part that fails the transitional
schemas (ISO/IEC 29500-4, in ``../shared/ooxml-schemas/``) makes Excel
"repair" the file. Besides the schemas: every part has a content type and
every content-type override a part; every internal relationship points at a
part that exists; every defined name points at an existing sheet and a valid
range; array-formula ranges start at their cell and do not overlap; every
chart axis crosses an axis of the same chart.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, require

try:
    from lxml import etree
except ImportError:  # the test extra has it; without it each test skips, and fails when CI is set
    etree = None

SCHEMAS = REPO.parent / "shared" / "ooxml-schemas"


@pytest.fixture(autouse=True)
def _lxml():
    require(etree is not None, "lxml (pip install lxml; it is in the test extra)")
SHIPPED = sorted((REPO / "workbook_templates").glob("*.xlsx"))

#: Root namespace of a part -> its schema.
SCHEMA_OF = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main": "transitional/sml.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/chart": "transitional/dml-chart.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing": "transitional/dml-spreadsheetDrawing.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/main": "transitional/dml-main.xsd",
    "http://schemas.openxmlformats.org/package/2006/content-types": "opc/opc-contentTypes.xsd",
    "http://schemas.openxmlformats.org/package/2006/relationships": "opc/opc-relationships.xsd",
    "http://schemas.openxmlformats.org/package/2006/metadata/core-properties":
        "dublin-core-standins/opc-coreProperties.xsd",
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties":
        "transitional/shared-documentPropertiesExtended.xsd",
    "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties":
        "transitional/shared-documentPropertiesCustom.xsd",
}
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_schemas: dict[str, object] = {}


def schema(namespace: str):
    if namespace not in _schemas:
        _schemas[namespace] = etree.XMLSchema(etree.parse(str(SCHEMAS / SCHEMA_OF[namespace])))
    return _schemas[namespace]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """A refresh report, written through the same steps as with LibreOffice (a stand-in computes the cells)."""
    from test_refresh import GOOD, _fake_recalculation
    from xl_factor.refresh import refresh

    folder = tmp_path_factory.mktemp("schema_report")
    data = folder / "data.csv"
    data.write_text(GOOD)
    out = folder / "report.xlsx"
    refresh(SHIPPED[0], data, out, recalculate=_fake_recalculation)
    return out


def workbooks(report):
    return [*SHIPPED, report]


def _xml_parts(path: Path):
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels", ".vml")) and not name.endswith(".vml"):
                yield name, etree.fromstring(archive.read(name))


def test_schemas_are_there():
    assert SHIPPED, "no shipped workbook"
    assert (SCHEMAS / "transitional" / "sml.xsd").is_file(), f"schemas missing under {SCHEMAS}"


def test_every_part_is_valid_against_its_schema(report):
    failures = []
    for path in workbooks(report):
        for name, root in _xml_parts(path):
            namespace = etree.QName(root).namespace
            assert namespace in SCHEMA_OF, f"{path.name}:{name}: no schema for {namespace}"
            checker = schema(namespace)
            if not checker.validate(root):
                failures += [f"{path.name}:{name}:{e.line}: {e.message[:300]}" for e in list(checker.error_log)[:3]]
    assert not failures, "\n".join(failures)


def _content_types(archive) -> tuple[dict, dict]:
    root = etree.fromstring(archive.read("[Content_Types].xml"))
    defaults = {d.get("Extension").lower(): d.get("ContentType") for d in root.iter(f"{CT}Default")}
    overrides = {o.get("PartName"): o.get("ContentType") for o in root.iter(f"{CT}Override")}
    return defaults, overrides


def test_content_types_cover_every_part_and_only_parts_that_exist(report):
    for path in workbooks(report):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            defaults, overrides = _content_types(archive)
        for name in names:
            if name == "[Content_Types].xml":
                continue
            extension = name.rsplit(".", 1)[-1].lower()
            assert "/" + name in overrides or extension in defaults, f"{path.name}: {name} has no content type"
        for part in overrides:
            assert part.lstrip("/") in names, f"{path.name}: content type for missing part {part}"
        sheets = [n for n, t in overrides.items() if t.endswith("spreadsheetml.worksheet+xml")]
        assert sheets and overrides["/xl/workbook.xml"].endswith("sheet.main+xml"), path.name


def test_relationships_point_at_parts_that_exist(report):
    for path in workbooks(report):
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for rels in [n for n in names if n.endswith(".rels")]:
                source_dir = posixpath.dirname(posixpath.dirname(rels))  # xl/_rels/workbook.xml.rels -> xl
                ids = set()
                for rel in etree.fromstring(archive.read(rels)).iter(f"{REL}Relationship"):
                    assert rel.get("Id") not in ids, f"{path.name}:{rels}: Id {rel.get('Id')} twice"
                    ids.add(rel.get("Id"))
                    if rel.get("TargetMode") == "External":
                        pytest.fail(f"{path.name}:{rels}: external relationship {rel.get('Target')}")
                    target = rel.get("Target")
                    resolved = target.lstrip("/") if target.startswith("/") else \
                        posixpath.normpath(posixpath.join(source_dir, target))
                    assert resolved in names, f"{path.name}:{rels}: {target} -> {resolved} is not a part"


def test_defined_names_point_at_sheets_and_valid_ranges(report):
    from openpyxl import load_workbook
    from openpyxl.utils import range_boundaries

    for path in workbooks(report):
        wb = load_workbook(path)
        assert wb.defined_names or path.name == "report.xlsx", path.name
        for name, defined in wb.defined_names.items():
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name), f"{path.name}: bad name {name}"
            destinations = list(defined.destinations)
            assert destinations, f"{path.name}: {name} = {defined.attr_text} points nowhere"
            for sheet, ref in destinations:
                assert sheet in wb.sheetnames, f"{path.name}: {name} points at missing sheet {sheet}"
                c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
                assert 1 <= c1 <= c2 <= 16384 and 1 <= r1 <= r2 <= 1048576, f"{path.name}: {name} = {ref}"


def test_array_formula_ranges_start_at_their_cell_and_do_not_overlap():
    for path in SHIPPED:
        with zipfile.ZipFile(path) as archive:
            for name in [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]:
                taken: set[tuple[int, int]] = set()
                for cell in etree.fromstring(archive.read(name)).iter(f"{MAIN}c"):
                    formula = cell.find(f"{MAIN}f")
                    if formula is None or formula.get("t") != "array":
                        continue
                    from openpyxl.utils import range_boundaries

                    c1, r1, c2, r2 = range_boundaries(formula.get("ref"))
                    here = range_boundaries(cell.get("r"))[:2]
                    assert here == (c1, r1), f"{path.name}:{name}: array {formula.get('ref')} at {cell.get('r')}"
                    cells = {(c, r) for c in range(c1, c2 + 1) for r in range(r1, r2 + 1)}
                    assert not cells & taken, f"{path.name}:{name}: array {formula.get('ref')} overlaps another"
                    taken |= cells


def test_every_chart_axis_crosses_an_axis_of_its_chart(report):
    for path in workbooks(report):
        with zipfile.ZipFile(path) as archive:
            charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
            assert charts, path.name
            for name in charts:
                plot = etree.fromstring(archive.read(name)).find(f"{CHART}chart/{CHART}plotArea")
                axes = {a.find(f"{CHART}axId").get("val"): a for a in plot
                        if a.tag in {f"{CHART}{t}" for t in ("valAx", "catAx", "dateAx", "serAx")}}
                for axis_id, axis in axes.items():
                    crosses = axis.find(f"{CHART}crossAx").get("val")
                    assert crosses in axes and crosses != axis_id, f"{path.name}:{name}: axis {axis_id} crosses {crosses}"
                for group in plot:
                    for used in group.findall(f"{CHART}axId"):
                        assert used.get("val") in axes, f"{path.name}:{name}: {group.tag} uses axis {used.get('val')}"
