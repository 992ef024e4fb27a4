"""The desk's universe model: ``xl-factor model build`` on Dask, and FM_MODEL / FM_MODEL_COVMAT reading it.

A synthetic universe of 5,000 securities x 2,520 days with ragged histories
(own listing and delisting dates, 1% blanks, some too short to fit, some
complete), made by resampling the real daily returns of tests/data
(:mod:`xl_factor.universe.synthetic`), written as a long Parquet table.

"Identical" here means equal to 1e-12, not bitwise: ``|a - b| <= 1e-12 *
max|b|`` per output column (NaN where NaN), and ids, n_obs and dates exactly.
Bitwise identity does not hold because the core fits a block's ragged
columns with one batched product of the presence mask with the factor rows
(and a complete block with one QR), and BLAS sums such products in an order
that depends on the block's width; the differences seen are about 1e-16.

FM_COVMAT against FM_MODEL_COVMAT is made fair by giving FM_COVMAT the
securities' returns over every date of the model (blank where a security has
no return) and the factors over the same dates: its Sigma_f is then over the
same rows as the model's (every date of the model), and each security's betas
and idio_var come from its own rows in both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import threading
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

N_SECURITIES, N_DATES = 5000, 2520
MIN_OBS = 60
NUMBERS = ["alpha", "beta_MKT", "beta_SPREAD", "beta_TECH", "idio_var", "total_var", "r2"]


@pytest.fixture(scope="module", autouse=True)
def _scale_extra():
    require(dask_ok, "the scale extra (dask[distributed], pyarrow)")


def assert_same(actual, expected) -> None:
    """Equal to 1e-12 of the column's largest magnitude; NaN where NaN."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    scale = np.nanmax(np.abs(expected)) if np.isfinite(expected).any() else 1.0
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12 * scale)


def assert_same_model(a: Path, b: Path) -> None:
    ea, eb = pd.read_parquet(a / "exposures.parquet"), pd.read_parquet(b / "exposures.parquet")
    assert list(ea.columns) == list(eb.columns)
    for column in ("id", "n_obs", "first_date", "last_date"):
        assert ea[column].equals(eb[column]), column
    for column in NUMBERS:
        assert_same(ea[column], eb[column])
    pd.testing.assert_frame_equal(pd.read_parquet(a / "factor_cov.parquet"), pd.read_parquet(b / "factor_cov.parquet"))
    ma, mb = json.loads((a / "manifest.json").read_text()), json.loads((b / "manifest.json").read_text())
    assert ma["not_fitted"] == mb["not_fitted"]


@pytest.fixture(scope="module")
def real(daily_returns):
    complete = daily_returns.dropna()
    return complete.drop(columns="SP500").to_numpy(), complete["SP500"].to_numpy()


@pytest.fixture(scope="module")
def universe(real, tmp_path_factory):
    from xl_factor.universe.synthetic import synthetic_universe, to_long

    folder = tmp_path_factory.mktemp("universe")
    wide, factors = synthetic_universe(*real, N_SECURITIES, N_DATES, seed=7)
    long = to_long(wide)
    long.to_parquet(folder / "returns.parquet", index=False)
    factors.to_csv(folder / "factors.csv", date_format="%Y-%m-%d")
    return {"folder": folder, "wide": wide, "factors": factors, "long": long,
            "returns": folder / "returns.parquet", "factors_csv": folder / "factors.csv"}


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster
    import logging

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as local:
        yield local


def build(universe, out: Path, *extra, returns=None, factors=None) -> int:
    from xl_factor.cli import main

    args = ["model", "build", "--returns", str(returns or universe["returns"]),
            "--factors", str(factors or universe["factors_csv"]), "--out", str(out), *map(str, extra)]
    return main(args)


@pytest.fixture(scope="module")
def model(universe, cluster, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    assert build(universe, out, "--scheduler", cluster.scheduler_address) == 0
    return out


@pytest.fixture(scope="module")
def in_process(universe):
    from xl_factor.core.regression import fit_factor_model

    wide, factors = universe["wide"], universe["factors"]
    return fit_factor_model(wide.to_numpy(), factors.to_numpy(), True, list(wide.columns), list(factors.columns))


# ---------------------------------------------------------------------------- the cluster equals the core


def test_cluster_build_equals_the_in_process_core_for_every_security(universe, model, in_process):
    exposures = pd.read_parquet(model / "exposures.parquet")
    wide = universe["wide"]
    assert list(exposures["id"]) == sorted(wide.columns) == list(wide.columns)
    n_present = (~wide.isna()).sum().to_numpy()
    assert (exposures["n_obs"].to_numpy() == n_present).all()
    fitted = (n_present >= MIN_OBS) & np.array([i not in in_process.failures for i in range(N_SECURITIES)])
    assert fitted.sum() > 0.95 * N_SECURITIES and (~fitted).sum() >= 20  # short histories are in the universe
    assert np.isnan(exposures.loc[~fitted, NUMBERS].to_numpy()).all()
    expected = {"alpha": in_process.alpha, "idio_var": in_process.idio_var, "total_var": in_process.total_var,
                "r2": in_process.factor_share,
                **{f"beta_{f}": in_process.betas[:, k] for k, f in enumerate(universe["factors"].columns)}}
    for column, values in expected.items():
        assert_same(exposures.loc[fitted, column], values[fitted])
    present = ~wide.isna().to_numpy()
    first = wide.index[present.argmax(axis=0)].date
    last = wide.index[N_DATES - 1 - present[::-1].argmax(axis=0)].date
    assert (exposures["first_date"].to_numpy() == first).all() and (exposures["last_date"].to_numpy() == last).all()
    cov = pd.read_parquet(model / "factor_cov.parquet").set_index("factor").to_numpy()
    np.testing.assert_array_equal(cov, in_process.factor_cov)


def test_manifest_names_inputs_range_versions_scheduler_and_the_securities_not_fitted(universe, model, cluster):
    manifest = json.loads((model / "manifest.json").read_text())
    digest = hashlib.sha256(universe["returns"].read_bytes()).hexdigest()
    assert manifest["inputs"]["returns"]["sha256"] == digest
    assert manifest["inputs"]["factors"]["sha256"] == hashlib.sha256(universe["factors_csv"].read_bytes()).hexdigest()
    assert manifest["date_range"]["first"] == str(universe["wide"].index[0].date())
    assert manifest["date_range"]["n_dates"] == N_DATES and manifest["periods_per_year"] == 252
    assert cluster.scheduler_address in manifest["scheduler"] and manifest["workers"] == 2
    assert {"xl_factor", "numpy", "dask", "distributed", "pyarrow"} <= set(manifest["versions"])
    assert manifest["elapsed_seconds"]["total"] > 0
    short = [e for e in manifest["not_fitted"] if e["n_obs"] < MIN_OBS]
    assert short and all("--min-obs" in e["reason"] for e in short)
    assert manifest["n_fitted"] + len(manifest["not_fitted"]) == N_SECURITIES
    assert sorted(os.listdir(model)) == ["exposures.parquet", "factor_cov.parquet", "manifest.json"]


def test_different_block_sizes_give_identical_outputs(universe, model, cluster, tmp_path):
    for size in (1237, N_SECURITIES):  # uneven blocks, and the whole universe as one task
        out = tmp_path / f"b{size}"
        assert build(universe, out, "--scheduler", cluster.scheduler_address, "--block-size", size) == 0
        assert_same_model(out, model)


def test_the_embedded_default_and_a_cluster_give_identical_outputs(universe, cluster, tmp_path):
    ids = sorted(universe["wide"].columns)[:400]
    small = universe["long"][universe["long"]["id"].isin(ids)]
    path = tmp_path / "small.parquet"
    small.to_parquet(path, index=False)
    assert build(universe, tmp_path / "default", "--workers", 2, "--block-size", 150, returns=path) == 0
    assert build(universe, tmp_path / "cluster", "--scheduler", cluster.scheduler_address, returns=path) == 0
    assert_same_model(tmp_path / "default", tmp_path / "cluster")
    manifest = json.loads((tmp_path / "default" / "manifest.json").read_text())
    assert "LocalCluster" in manifest["scheduler"] and manifest["workers"] == 2


def test_wide_csv_input_gives_the_model_of_the_long_table(universe, cluster, tmp_path):
    wide = universe["wide"].iloc[:, :60]
    wide.to_csv(tmp_path / "wide.csv", date_format="%Y-%m-%d")
    universe["long"][universe["long"]["id"].isin(wide.columns)].to_csv(tmp_path / "long.csv", index=False,
                                                                        date_format="%Y-%m-%d")
    for name in ("wide", "long"):
        assert build(universe, tmp_path / f"m_{name}", "--scheduler", cluster.scheduler_address,
                     returns=tmp_path / f"{name}.csv") == 0
    assert_same_model(tmp_path / "m_wide", tmp_path / "m_long")


def test_rolling_exposures_are_the_core_fit_over_each_window(universe, cluster, tmp_path):
    from xl_factor.core.regression import fit_factor_model

    wide, factors = universe["wide"].iloc[:300, :25], universe["factors"].iloc[:300]
    ids = [c for c in wide.columns if wide[c].notna().any()]
    universe["long"][universe["long"]["id"].isin(ids) & (universe["long"]["date"] <= wide.index[-1])].to_parquet(
        tmp_path / "r.parquet", index=False)
    assert build(universe, tmp_path / "m", "--scheduler", cluster.scheduler_address, "--window", 120, "--step", 21,
                 "--end", str(wide.index[-1].date()), returns=tmp_path / "r.parquet") == 0
    rolling = pd.read_parquet(tmp_path / "m" / "rolling_exposures.parquet")
    ends = list(range(119, 300, 21))
    assert sorted(set(rolling["date"])) == [wide.index[e].date() for e in ends]
    checked = 0
    for e in ends:
        rows = slice(e - 119, e + 1)
        y = wide[ids].iloc[rows]
        fit = fit_factor_model(y.to_numpy(), factors.iloc[rows].to_numpy(), True, ids, list(factors.columns))
        at = rolling[rolling["date"] == wide.index[e].date()].set_index("id")
        fitted = [i for n, i in enumerate(ids) if y[i].notna().sum() >= MIN_OBS and n not in fit.failures]
        assert sorted(at.index) == sorted(fitted)
        for n, i in enumerate(ids):
            if i in fitted:
                assert_same(at.loc[i, ["beta_MKT", "beta_SPREAD", "beta_TECH"]], fit.betas[n])
                assert_same([at.loc[i, "alpha"], at.loc[i, "idio_var"], at.loc[i, "r2"]],
                            [fit.alpha[n], fit.idio_var[n], fit.factor_share[n]])
                assert at.loc[i, "n_obs"] == fit.n_obs[n]
                checked += 1
    assert checked > 50


def test_model_build_is_in_the_cli_help_with_every_argument_described():
    from xl_factor.cli import _parser

    (commands,) = [a for a in _parser()._actions if a.dest == "command"]
    model = commands.choices["model"]
    (sub,) = [a for a in model._actions if a.dest == "model_command"]
    build = sub.choices["build"]
    assert model.description and build.description and sub.help
    for action in build._actions:
        assert action.help, action.dest
    assert {"--returns", "--factors", "--out", "--scheduler", "--workers", "--start", "--end", "--min-obs",
            "--window", "--step", "--force"} <= {o for a in build._actions for o in a.option_strings}


def test_options_that_cannot_work_are_refused_first(universe, tmp_path, capsys):
    for extra, words in ((["--window", 252], "--window and --step go together"),
                         (["--window", 30, "--step", 5], "shorter than --min-obs"),
                         (["--scheduler", "tcp://127.0.0.1:1", "--workers", 2], "give one or the other")):
        assert build(universe, tmp_path / "out", *extra) == 2
        assert words in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- bad input, refused first


def _small(tmp_path, universe, **edits):
    long = universe["long"][universe["long"]["id"].isin(sorted(universe["wide"].columns)[:20])].reset_index(drop=True)
    factors = universe["factors"].copy()
    if "long" in edits:
        long = edits["long"](long)
    if "factors" in edits:
        factors = edits["factors"](factors)
    long.to_csv(tmp_path / "returns.csv", index=False, date_format="%Y-%m-%d")
    factors.to_csv(tmp_path / "factors.csv", date_format="%Y-%m-%d")
    return tmp_path / "returns.csv", tmp_path / "factors.csv"


def _percent(long):
    long["ret"] = long["ret"].where(long["id"] != long["id"].iloc[0], long["ret"] * 100)
    return long


def _inf(long):
    long.loc[5, "ret"] = np.inf
    return long


def _blank_id(long):
    long.loc[7, "id"] = None
    return long


BAD = {
    "duplicate": ({"long": lambda d: pd.concat([d, d.iloc[[10]]], ignore_index=True)},
                  "duplicate (date, id) row", "keep one row per date and security"),
    "percent": ({"long": _percent}, "looks like percent", "divide by 100"),
    "non-finite": ({"long": _inf}, "line 7: the return is inf", "fix or blank"),
    "empty id": ({"long": _blank_id}, "line 9: the security id is empty (an unknown id)", "give every row"),
    "factors short": ({"factors": lambda f: f.iloc[:-5]}, "has returns but no row in factors.csv",
                      "extend the factors file"),
    "factor blank": ({"factors": lambda f: f.assign(MKT=f["MKT"].where(f.index != f.index[100]))}, "factor 'MKT' is empty",
                     "fill it"),
    "factor percent": ({"factors": lambda f: f * 100}, "factors.csv line", "divide by 100"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_is_refused_in_one_line_before_any_work_is_sent(case, universe, tmp_path, monkeypatch, capsys):
    from xl_factor.universe import engine

    def no_cluster(*args, **kwargs):
        raise AssertionError("a cluster was opened for bad input")

    monkeypatch.setattr(engine, "open_client", no_cluster)
    edits, what, fix = BAD[case]
    returns, factors = _small(tmp_path, universe, **edits)
    assert build(universe, tmp_path / "out", returns=returns, factors=factors) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("xl-factor model build: ") and what in err and fix in err, err
    assert ("returns.csv" in err or "factors.csv" in err) and ("line" in err or "row" in err), err
    assert not (tmp_path / "out").exists()


def test_unknown_id_against_the_universe_list_names_the_row(universe, tmp_path, capsys):
    returns, factors = _small(tmp_path, universe)
    ids = sorted(universe["wide"].columns)[:20]
    pd.DataFrame({"id": ids[:-1]}).to_csv(tmp_path / "universe.csv", index=False)
    assert build(universe, tmp_path / "out", "--universe", tmp_path / "universe.csv",
                 returns=returns, factors=factors) == 2
    err = capsys.readouterr().err
    assert f"security id '{ids[-1]}' is not in the universe list (an unknown id)" in err and "returns.csv line" in err


# ---------------------------------------------------------------------------- the sheet reads the model


def _sheet_range(frame: pd.DataFrame):
    rows = [("Date",) + tuple(frame.columns)]
    for date, values in zip(frame.index, frame.to_numpy()):
        rows.append((date.to_pydatetime(),) + tuple(None if np.isnan(v) else float(v) for v in values))
    return tuple(rows)


def test_fm_model_covmat_refuses_periods_per_year_that_the_models_dates_contradict(universe, model):
    """A daily model annualised with 12 (or 52) is refused as FM_COVMAT refuses it over daily ranges; 252 and 365
    are answered (252 against FM_COVMAT below)."""
    from xl_factor.sheet.catalogue import call

    exposures = pd.read_parquet(model / "exposures.parquet").set_index("id")
    ids = tuple((i,) for i in exposures.index[exposures["alpha"].notna()][:3])
    for wrong in (12, 52):
        got = call("FM_MODEL_COVMAT", str(model), ids, wrong)
        assert isinstance(got, str) and got.startswith(
            f"#FM! FM_MODEL_COVMAT: periods_per_year is {wrong}, but the model's dates show 252 periods a year"), got
    per_period = np.asarray(call("FM_MODEL_COVMAT", str(model), ids), dtype=float)
    np.testing.assert_allclose(np.asarray(call("FM_MODEL_COVMAT", str(model), ids, 365), dtype=float),
                               365 * per_period, rtol=1e-15)


def test_fm_model_and_covmat_equal_fm_beta_and_fm_covmat_on_the_same_securities(universe, model):
    from xl_factor.sheet.catalogue import call

    exposures = pd.read_parquet(model / "exposures.parquet").set_index("id")
    fitted = exposures.index[exposures["alpha"].notna()]
    ragged = [i for i in fitted if exposures.loc[i, "n_obs"] < 1500][:3]
    full = [i for i in fitted if exposures.loc[i, "n_obs"] == N_DATES][:2]
    picked = ragged + full + [fitted[-1]]
    ids = tuple((i,) for i in picked[::-1])  # asked in an order of its own
    order = [i for (i,) in ids]
    returns, factors = _sheet_range(universe["wide"][order]), _sheet_range(universe["factors"])
    betas = call("FM_MODEL", str(model), ids)
    assert_same(betas, call("FM_BETA", returns, factors))
    assert_same(call("FM_MODEL", str(model), ids, "alpha"), call("FM_ALPHA", returns, factors))
    vardecomp = call("FM_VARDECOMP", returns, factors)
    assert_same(call("FM_MODEL", str(model), ids, "idio_var"), np.array(vardecomp[1:, 3], dtype=float)[:, None])
    assert_same(call("FM_MODEL", str(model), ids, "r2"), np.array(vardecomp[1:, 4], dtype=float)[:, None])
    assert_same(call("FM_MODEL_COVMAT", str(model), ids), call("FM_COVMAT", returns, factors))
    assert_same(call("FM_MODEL_COVMAT", str(model), ids, 252), call("FM_COVMAT", returns, factors, "factor", 252))
    n_obs = call("FM_MODEL", str(model), ids, "n_obs")
    assert (n_obs[:, 0] == exposures.loc[order, "n_obs"].to_numpy()).all()


def test_unknown_and_unfitted_ids_get_their_own_line_in_their_slot(model):
    from xl_factor.sheet.catalogue import call

    manifest = json.loads((model / "manifest.json").read_text())
    short = manifest["not_fitted"][0]["id"]
    exposures = pd.read_parquet(model / "exposures.parquet").set_index("id")
    good = exposures.index[exposures["alpha"].notna()][0]
    out = call("FM_MODEL", str(model), ((good,), ("NOPE",), (None,), (short,)))
    assert out.shape == (4, 3)
    assert [float(v) for v in out[0]] == list(exposures.loc[good, ["beta_MKT", "beta_SPREAD", "beta_TECH"]])
    assert out[1, 0].startswith("#FM! FM_MODEL: ids: 'NOPE' is not in the model") and list(out[1, 1:]) == [None] * 2
    assert np.isnan(np.array(out[2], dtype=float)).all()
    assert out[3, 0].startswith(f"#FM! FM_MODEL: ids: '{short}' is not fitted in the model: ")
    cov = call("FM_MODEL_COVMAT", str(model), ((good,), ("NOPE",)))
    assert cov[1, 0].startswith("#FM! FM_MODEL_COVMAT: ids: 'NOPE'") and cov[0, 1] is None
    assert call("FM_MODEL", str(model / "missing"), ((good,),)).startswith("#FM! FM_MODEL: model_dir: ")
    assert "must be one of betas" in call("FM_MODEL", str(model), ((good,),), "beta")


def test_the_model_is_cached_on_the_files_identity_and_reread_when_they_change(model, tmp_path):
    import shutil

    from xl_factor.sheet import model as sheet_model
    from xl_factor.sheet.catalogue import call

    copy = tmp_path / "copy"
    shutil.copytree(model, copy)
    exposures = pd.read_parquet(copy / "exposures.parquet")
    good = exposures.loc[exposures["alpha"].notna(), "id"].iloc[0]
    before = sheet_model.LOADS["count"]
    first = call("FM_MODEL", str(copy), ((good,),))
    assert call("FM_MODEL", str(copy), ((good,),), "betas") is not None
    assert sheet_model.LOADS["count"] == before + 1  # read once, then from the cache
    exposures["beta_MKT"] *= 2
    import pyarrow as pa
    import pyarrow.parquet as pq

    metadata = pq.read_schema(copy / "exposures.parquet").metadata  # the build's id: the file is still of its build
    pq.write_table(pa.Table.from_pandas(exposures, preserve_index=False).replace_schema_metadata(metadata),
                   copy / "exposures.parquet")
    again = call("FM_MODEL", str(copy), ((good,),))
    assert sheet_model.LOADS["count"] == before + 2 and again[0, 0] == 2 * first[0, 0]


def test_the_addin_core_does_not_import_dask(model):
    code = ("import sys; from xl_factor.sheet.catalogue import call; import xl_factor.udfs; "
            f"r = call('FM_MODEL', {str(model)!r}, (('S00001',),)); "
            "bad = [m for m in ('dask', 'distributed', 'xl_factor.universe') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_under_pyodide_the_functions_say_lite_cannot_read_local_files(model, monkeypatch):
    from xl_factor.sheet.catalogue import call

    monkeypatch.setattr(sys, "platform", "emscripten")
    assert "xlwings Lite runs in the browser and cannot read local files" in call("FM_MODEL", str(model), (("S1",),))


# ---------------------------------------------------------------------------- a worker dies mid-run (last: it
# restarts one of the cluster's workers)


def test_a_worker_killed_mid_run_is_recovered_and_the_outputs_are_identical(universe, model, cluster, tmp_path):
    from dask.distributed import Client, WorkerPlugin

    marker = tmp_path / "killed"

    def kill_once_plugin(path: str):
        class KillOnce(WorkerPlugin):
            """Kills its worker once, a moment after a fit_block task starts (the marker keeps it to once)."""

            name = "kill-once"

            def transition(self, key, start, finish, **kwargs):
                import os as _os
                import threading as _threading

                if finish == "executing" and "fit_block" in str(key) and not _os.path.exists(path):
                    with open(path, "w") as handle:
                        handle.write(str(_os.getpid()))
                    _threading.Timer(0.1, _os._exit, (1,)).start()

        return KillOnce()

    with Client(cluster.scheduler_address) as client:
        client.register_plugin(kill_once_plugin(str(marker)))
        before = set(client.scheduler_info()["workers"])
        try:
            assert build(universe, tmp_path / "m", "--scheduler", cluster.scheduler_address) == 0
        finally:
            client.unregister_worker_plugin("kill-once")
        client.wait_for_workers(2, timeout=60)
        after = set(client.scheduler_info()["workers"])
    assert marker.exists(), "no worker was killed"
    assert before != after, "the killed worker was not replaced"
    assert_same_model(tmp_path / "m", model)


@pytest.mark.parametrize("position,cell", [
    (0, True), (0, -2146826246), (0, 3.0), (2, True), (2, -2146826246), (2, dt.datetime(2020, 1, 31)),
])
@pytest.mark.parametrize("function", ["FM_MODEL", "FM_MODEL_COVMAT"])
def test_a_bad_cell_in_a_scalar_argument_is_a_line_naming_it(model, function, position, cell):
    """model_dir, field and periods_per_year given TRUE, #N/A, a number or a date: one #FM! line naming the argument."""
    from xl_factor.sheet.catalogue import BY_NAME, call

    exposures = pd.read_parquet(model / "exposures.parquet")
    good = exposures["id"][exposures["alpha"].notna()].iloc[0]
    args = [str(model), ((good,),), None]
    assert not isinstance(call(function, *args), str)
    args[position] = cell
    result = call(function, *args)
    argument = BY_NAME[function].args[position].name
    assert isinstance(result, str) and result.startswith(f"#FM! {function}: {argument}"), result
