"""tests/data is a faithful copy of ../shared/data, the source of the test data.

The suite reads only tests/data, so a clone runs without ../shared. When the
source is beside the checkout, every copy must hold the same bytes as its
source (a ``.csv.gz`` copy is compared after decompressing), and every data
file of the source must have a copy. Without the source there is nothing to
compare: the test says so as a skip, with the reason, and the copies are then
the only data there is.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from conftest import DATA, SHARED_SOURCE, require

DATA_SUFFIXES = (".csv", ".csv.gz")


def _copies() -> dict[str, Path]:
    """Source file name -> its copy in tests/data (``x.csv`` for both ``x.csv`` and ``x.csv.gz``)."""
    found = {}
    for path in sorted(DATA.iterdir()):
        if path.name.endswith(".csv.gz"):
            found[path.name[: -len(".gz")]] = path
        elif path.name.endswith(".csv"):
            found[path.name] = path
    return found


def _content(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def _require_source() -> None:
    # CI has ../shared beside the checkout: there a missing source is a failure, not a skip.
    require(SHARED_SOURCE.is_dir(), f"{SHARED_SOURCE} (../shared beside the checkout; without it tests/data is the "
                                    "only copy, nothing to compare it with)")


def test_tests_data_has_the_files_the_suite_reads():
    copies = _copies()
    for name in ("ff_monthly_1949_2017.csv", "ff3_monthly_1926_2018_percent.csv",
                 "sp500_stocks_daily_prices_1990_2022.csv", "sp500_index_daily_1990_2022.csv",
                 "factor_etfs_daily_prices_2014_2022.csv"):
        assert name in copies, f"tests/data/{name} is missing"
    assert (DATA / "README.md").is_file(), "tests/data/README.md (sources and licences) is missing"


def test_every_source_file_has_a_copy():
    _require_source()
    sources = sorted(p.name for p in SHARED_SOURCE.iterdir() if p.name.endswith(DATA_SUFFIXES))
    assert sources, f"{SHARED_SOURCE} holds no data files"
    missing = [name for name in sources if name not in _copies()]
    assert not missing, f"not copied into tests/data: {missing}"


@pytest.mark.parametrize("name", sorted(_copies()))
def test_copy_is_identical_to_its_source(name):
    _require_source()
    source = SHARED_SOURCE / name
    assert source.is_file(), f"tests/data holds {name}, which is not in {SHARED_SOURCE}"
    copy = _copies()[name]
    assert _content(copy) == source.read_bytes(), (
        f"{copy} differs from {source}: copy the source over it (tests/data must not be edited)")
