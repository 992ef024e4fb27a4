"""``xl-factor model build`` and FM_MODEL / FM_MODEL_COVMAT against a hostile reviewer's cases.

The data are the real daily returns of tests/data (four S&P 500 stocks, the
index as the one factor, 2018-2022). Every refusal is one line and a
non-zero exit with nothing written; the sheet answers a model folder whose
files do not belong together with one ``#FM!`` line, never an internal error.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, require

dask_ok = True
try:
    import dask  # noqa: F401
    import distributed  # noqa: F401
    import pyarrow  # noqa: F401
except ImportError:
    dask_ok = False

STOCKS = ["AAPL", "MSFT", "JPM", "KO"]


@pytest.fixture(scope="module", autouse=True)
def _scale_extra():
    require(dask_ok, "the scale extra (dask[distributed], pyarrow)")


@pytest.fixture(scope="module")
def cluster():
    import logging

    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as local:
        yield local


@pytest.fixture(scope="module")
def data(daily_returns, tmp_path_factory):
    """A wide CSV of four stocks' returns, a long CSV of the same, and the index as the factor."""
    folder = tmp_path_factory.mktemp("hostile")
    r = daily_returns.loc["2018":"2022"]
    wide = r[STOCKS].dropna()
    wide.index.name = "Date"
    wide.to_csv(folder / "wide.csv", date_format="%Y-%m-%d")
    factors = r[["SP500"]].loc[wide.index].rename(columns={"SP500": "MKT"})
    factors.index.name = "Date"
    factors.to_csv(folder / "factors.csv", date_format="%Y-%m-%d")
    return {"folder": folder, "wide": wide, "factors": factors, "wide_csv": folder / "wide.csv",
            "factors_csv": folder / "factors.csv"}


def build(data, out, *extra, returns=None, factors=None) -> int:
    from xl_factor.cli import main

    args = ["model", "build", "--returns", str(returns or data["wide_csv"]),
            "--factors", str(factors or data["factors_csv"]), "--out", str(out), *map(str, extra)]
    return main(args)


@pytest.fixture(scope="module")
def model(data, cluster, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    assert build(data, out, "--scheduler", cluster.scheduler_address) == 0
    return out


def one_line_refusal(capsys, *words) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and err.startswith("xl-factor model build: "), err
    assert "Traceback" not in captured.err + captured.out
    for word in words:
        assert word in err, err
    return err


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


# ---------------------------------------------------------------------------- 1. an input among the outputs


@pytest.mark.parametrize("name", ["exposures.parquet", "factor_cov.parquet", "manifest.json"])
def test_an_input_that_is_one_of_the_files_the_build_writes_is_refused_and_left_alone(data, tmp_path, capsys, name):
    out = tmp_path / "m"
    out.mkdir()
    target = out / name
    shutil.copy(data["wide_csv"], target)
    before = snapshot(out)
    for option in ("returns", "factors"):
        kwargs = {option: target}
        assert build(data, out, "--workers", 1, **kwargs) == 2
        one_line_refusal(capsys, f"--{option}", "would overwrite its input", "another --out")
        assert snapshot(out) == before
    # the same file reached through another spelling of the folder
    assert build(data, tmp_path / "." / "m", "--workers", 1, returns=tmp_path / "m" / ".." / "m" / name) == 2
    one_line_refusal(capsys, "would overwrite its input")
    assert snapshot(out) == before


# ---------------------------------------------------------------------------- 2. options refused in one line


@pytest.mark.parametrize("option", ["--start", "--end"])
def test_a_start_or_end_that_is_not_a_date_is_one_line_naming_the_option(data, tmp_path, capsys, option):
    assert build(data, tmp_path / "m", option, "notadate", "--workers", 1) == 2
    one_line_refusal(capsys, f"{option} notadate: not a date", "YYYY-MM-DD")
    assert not (tmp_path / "m").exists()


def test_an_out_that_cannot_be_made_is_one_line_naming_the_option(data, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    assert build(data, afile / "sub", "--workers", 1) == 2
    one_line_refusal(capsys, f"--out {afile / 'sub'}", "is a file", "give --out a folder")
    assert afile.read_text() == "mine\n"
    assert build(data, "/proc/xl_factor_model", "--workers", 1) == 2
    one_line_refusal(capsys, "--out /proc/xl_factor_model", "give --out a folder")


def test_a_cell_that_is_not_a_date_is_shown_as_the_file_shows_it(data, tmp_path, capsys):
    (tmp_path / "f.csv").write_text("Date,MKT\n192607,0.01\n20180103,-0.02\n20180104,0.003\n")
    assert build(data, tmp_path / "m", "--workers", 1, factors=tmp_path / "f.csv") == 2
    err = one_line_refusal(capsys, "date 192607 is not a date")
    assert "np." not in err and "int64" not in err
