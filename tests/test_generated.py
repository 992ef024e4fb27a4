"""Generated files are never stale: udfs.py and the README function reference match the catalogue."""

from __future__ import annotations

from xl_factor.frontdoors import reference, xlwings_module


def test_udfs_module_matches_the_catalogue():
    assert xlwings_module.TARGET.read_text() == xlwings_module.render(), (
        "xl_factor/udfs.py is stale: run python -m xl_factor.frontdoors.xlwings_module"
    )


def test_readme_reference_matches_the_catalogue():
    text = reference.README.read_text()
    assert reference.updated(text) == text, "README reference is stale: run python -m xl_factor.frontdoors.reference"
