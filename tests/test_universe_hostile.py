"""``xl-factor model build`` and FM_MODEL / FM_MODEL_COVMAT against a hostile reviewer's cases.

The data are the real daily returns of tests/data (four S&P 500 stocks, the
index as the one factor, 2018-2022). Every refusal is one line and a
non-zero exit with nothing written; the sheet answers a model folder whose
files do not belong together with one ``#FM!`` line, never an internal error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, require
from test_universe import build

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
            "returns": folder / "wide.csv", "factors_csv": folder / "factors.csv"}  # "returns": what build() reads


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


# ---------------------------------------------------------------------------- 3. files of two builds


def _ols_betas(data, factors: pd.DataFrame, security: str) -> np.ndarray:
    """The independent reference: numpy's least squares of the security on a constant and the factors."""
    y = data["wide"][security].to_numpy()
    x = np.column_stack([np.ones(len(y)), factors.loc[data["wide"].index].to_numpy()])
    return np.linalg.lstsq(x, y, rcond=None)[0][1:]


@pytest.fixture(scope="module")
def two_factors(data, daily_returns):
    """A second factor set (the index and XOM) for a rebuild that changes the factors."""
    f = daily_returns.loc[data["wide"].index, ["SP500", "XOM"]].rename(columns={"SP500": "MKT", "XOM": "OIL"})
    f.index.name = "Date"
    path = data["folder"] / "factors2.csv"
    f.to_csv(path, date_format="%Y-%m-%d")
    return f, path


def test_the_model_numbers_are_the_least_squares_betas(data, model):
    from xl_factor.sheet.catalogue import call

    out = call("FM_MODEL", str(model), tuple((s,) for s in STOCKS))
    for k, s in enumerate(STOCKS):
        np.testing.assert_allclose(np.array(out[k], dtype=float), _ols_betas(data, data["factors"], s), rtol=1e-10)


def test_a_folder_of_mismatched_files_is_one_line_saying_to_rebuild(data, model, two_factors, cluster, tmp_path):
    from xl_factor.sheet import model as sheet_model
    from xl_factor.sheet.catalogue import call

    other = tmp_path / "other"
    assert build(data, other, "--scheduler", cluster.scheduler_address, factors=two_factors[1]) == 0
    cases = {}
    for name in ("new_exposures_old_cov", "old_exposures_new_cov", "manifest_a_list", "manifest_of_another_build"):
        cases[name] = tmp_path / name
        shutil.copytree(model, cases[name])
    shutil.copy(other / "exposures.parquet", cases["new_exposures_old_cov"])
    shutil.copy(other / "factor_cov.parquet", cases["old_exposures_new_cov"])
    (cases["manifest_a_list"] / "manifest.json").write_text("[]")
    shutil.copy(other / "manifest.json", cases["manifest_of_another_build"])
    # files of an older builder, with no build id, whose exposures list a factor factor_cov lacks
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    pd.read_parquet(other / "exposures.parquet").to_parquet(legacy / "exposures.parquet", index=False)
    pd.DataFrame({"factor": ["MktRF"], "MktRF": [1e-4]}).to_parquet(legacy / "factor_cov.parquet", index=False)
    cases["legacy"] = legacy
    sheet_model.READ_ATTEMPTS, attempts = 2, sheet_model.READ_ATTEMPTS
    try:
        for name, folder in cases.items():
            for function in ("FM_MODEL", "FM_MODEL_COVMAT"):
                out = call(function, str(folder), (("AAPL",), ("MSFT",)))
                assert isinstance(out, str) and out.startswith(f"#FM! {function}: model_dir: "), (name, out)
                assert "inconsistent or incomplete" in out and "build it again" in out, (name, out)
                assert "internal error" not in out and "\n" not in out, (name, out)
    finally:
        sheet_model.READ_ATTEMPTS = attempts


def test_a_reader_during_a_rebuild_in_place_sees_the_old_model_or_the_new_one_whole(data, model, two_factors,
                                                                                    cluster, tmp_path, monkeypatch):
    """Every moment of a rebuild with another factor set: FM_MODEL answers the old numbers, the new ones, or
    (files of both builds, read again to no avail) the line to rebuild; never numbers mixed from both."""
    from xl_factor.sheet import model as sheet_model
    from xl_factor.sheet.catalogue import call
    from xl_factor.universe import build as build_module

    folder = tmp_path / "m"
    shutil.copytree(model, folder)
    old = np.array(call("FM_MODEL", str(folder), (("AAPL",),)), dtype=float)
    new = _ols_betas(data, two_factors[0], "AAPL")[None, :]
    seen = []
    replace = build_module.os.replace

    def replace_and_look(src, dst):
        if Path(dst).parent == folder:  # nothing reaches the model folder but a complete file
            assert Path(src).parent != folder and Path(src).name == Path(dst).name
        replace(src, dst)
        seen.append(call("FM_MODEL", str(folder), (("AAPL",),)))

    monkeypatch.setattr(build_module.os, "replace", replace_and_look)
    monkeypatch.setattr(sheet_model, "READ_ATTEMPTS", 2)
    assert build(data, folder, "--scheduler", cluster.scheduler_address, "--force", factors=two_factors[1]) == 0
    assert len(seen) == 3
    for answer in seen[:-1]:
        if isinstance(answer, str):
            assert "inconsistent or incomplete" in answer, answer
        else:
            np.testing.assert_allclose(np.array(answer, dtype=float), old, rtol=1e-12)
    np.testing.assert_allclose(np.array(seen[-1], dtype=float), new, rtol=1e-10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # the staging folder is gone
    assert sorted(p.name for p in folder.iterdir()) == ["exposures.parquet", "factor_cov.parquet", "manifest.json"]


def test_a_reader_that_meets_files_of_two_builds_reads_again_and_gets_the_whole_new_model(data, model, two_factors,
                                                                                        cluster, tmp_path):
    import threading

    from xl_factor.sheet.catalogue import call

    other = tmp_path / "other"
    assert build(data, other, "--scheduler", cluster.scheduler_address, factors=two_factors[1]) == 0
    folder = tmp_path / "m"
    shutil.copytree(model, folder)
    shutil.copy(other / "exposures.parquet", folder)  # the rebuild has moved its first file in ...
    staging = tmp_path / "staging"
    shutil.copytree(other, staging)

    def move_the_rest_in():  # as the build does: whole files, each by one os.replace
        for name in ("factor_cov.parquet", "manifest.json"):
            os.replace(staging / name, folder / name)

    finish = threading.Timer(0.2, move_the_rest_in)
    finish.start()  # ... and moves the rest in while the reader reads
    try:
        out = call("FM_MODEL", str(folder), (("AAPL",),))
    finally:
        finish.join()
    np.testing.assert_allclose(np.array(out, dtype=float), _ols_betas(data, two_factors[0], "AAPL")[None, :],
                               rtol=1e-10)


# ---------------------------------------------------------------------------- 4. a cell that cannot be an id


@pytest.mark.parametrize("cell,shown", [(-2146826246, "#N/A"), (-2146826281, "#DIV/0!"), (True, "TRUE"),
                                        (dt.datetime(2020, 1, 1), "a date")])
def test_a_cell_that_cannot_be_an_id_fails_in_its_own_slot_as_the_sheet_shows_it(data, model, cell, shown):
    from xl_factor.sheet.catalogue import call

    ids = (("AAPL",), (cell,), ("MSFT",))
    betas = call("FM_MODEL", str(model), ids)
    assert betas.shape == (3, 1)
    assert betas[1, 0] == f"#FM! FM_MODEL: ids: the cell holds {shown}, not a security id; give ids as text or " \
                          "whole numbers", betas[1, 0]
    for row, security in ((0, "AAPL"), (2, "MSFT")):
        np.testing.assert_allclose(float(betas[row, 0]), _ols_betas(data, data["factors"], security)[0], rtol=1e-10)
    cov = call("FM_MODEL_COVMAT", str(model), ids)
    assert cov.shape == (3, 3) and cov[1, 0].startswith(f"#FM! FM_MODEL_COVMAT: ids: the cell holds {shown},")
    assert cov[0, 1] is None and cov[1, 1] is None and cov[2, 1] is None
    two = call("FM_MODEL_COVMAT", str(model), (("AAPL",), ("MSFT",)))
    np.testing.assert_allclose(np.array(cov[np.ix_([0, 2], [0, 2])], dtype=float), np.array(two, dtype=float),
                               rtol=1e-12)
    for line in (betas[1, 0], cov[1, 0]):
        assert "-2146826" not in line and "datetime" not in line and "True" not in line


# ---------------------------------------------------------------------------- 5. ids are text in every layout


def test_ids_keep_their_leading_zeros_whatever_the_layout(data, cluster, tmp_path):
    wide = data["wide"].copy()
    wide.columns = ["10001", "10002", "00123", "0077"]
    wide.to_csv(tmp_path / "wide.csv", date_format="%Y-%m-%d")
    long = wide.stack().reset_index()
    long.columns = ["date", "permno", "ret"]
    long.to_csv(tmp_path / "long.csv", index=False, date_format="%Y-%m-%d")
    for name in ("wide", "long"):
        assert build(data, tmp_path / f"m_{name}", "--scheduler", cluster.scheduler_address,
                     returns=tmp_path / f"{name}.csv") == 0
    expected = sorted(wide.columns)
    for name in ("wide", "long"):
        exposures = pd.read_parquet(tmp_path / f"m_{name}" / "exposures.parquet")
        assert list(exposures["id"]) == expected, name
    a, b = (pd.read_parquet(tmp_path / f"m_{n}" / "exposures.parquet") for n in ("wide", "long"))
    pd.testing.assert_frame_equal(a, b)
    for k, security in enumerate(["10001", "10002", "00123", "0077"]):
        row = a.set_index("id").loc[security]
        np.testing.assert_allclose(row["beta_MKT"], _ols_betas(data, data["factors"], STOCKS[k])[0], rtol=1e-10)
    # '0077' and '77' are two securities, and a universe list keeps its zeros too
    two = pd.concat([long, long[long["permno"] == "0077"].assign(permno="77")])
    two.to_csv(tmp_path / "long2.csv", index=False, date_format="%Y-%m-%d")
    pd.DataFrame({"security": expected + ["77"]}).to_csv(tmp_path / "universe.csv", index=False)
    (tmp_path / "list.csv").write_text("\n".join(["code", *expected, "77"]) + "\n")
    for universe in ("universe.csv", "list.csv"):
        out = tmp_path / f"m_two_{universe}"
        assert build(data, out, "--scheduler", cluster.scheduler_address, "--universe", tmp_path / universe,
                     returns=tmp_path / "long2.csv") == 0
        assert list(pd.read_parquet(out / "exposures.parquet")["id"]) == sorted(expected + ["77"])


# ---------------------------------------------------------------------------- 6. nothing to fit, no workers


def test_a_build_that_fits_no_security_is_refused_and_leaves_the_model_there(data, model, cluster, tmp_path, capsys):
    folder = tmp_path / "m"
    shutil.copytree(model, folder)
    before = snapshot(folder)
    assert build(data, folder, "--scheduler", cluster.scheduler_address, "--min-obs", 100000, "--force") == 2
    one_line_refusal(capsys, "no security could be fitted (of 4; the first, 'AAPL': ",
                     "fewer than the 100000 --min-obs asks for", "nothing written", "lower --min-obs")
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert build(data, tmp_path / "new", "--scheduler", cluster.scheduler_address, "--min-obs", 100000) == 2
    capsys.readouterr()
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("workers", [0, -1])
def test_workers_below_one_are_refused(data, tmp_path, capsys, workers):
    assert build(data, tmp_path / "m", "--workers", workers) == 2
    one_line_refusal(capsys, f"--workers {workers}: give a whole number of at least 1")
    assert not (tmp_path / "m").exists()
