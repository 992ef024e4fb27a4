"""The xlwings front door (xl_factor/udfs.py) through xlwings' own Windows UDF path, on the real data.

xlwings' Windows decorators bind when a module is imported, so everything
that touches them runs in ONE fresh interpreter: ``tests/xlwings_windows_check.py``
(stand-ins in ``tests/xlwings_windows.py``) gets every call below as JSON,
replays it through the real ``xlwings.udfs.call_udf`` and ``XLPython.CallUDF``
and answers with the cells Excel would receive. This process builds the
inputs from the real data (COM style: tuples of row tuples, date cells,
header strings, floats, ``None`` and error codes for holes) and computes
every expected number itself with statsmodels / numpy, never with xl_factor,
to RTOL = 1e-10 relative. Residual-like series (arbitrarily close to zero)
get an absolute floor of RTOL x their largest magnitude.

Shapes are those a cell receives after CallUDF's squeeze: a 1 x 1 result is a
scalar, 1 x N a flat list, anything taller a list of row lists; blanks are ''.
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels
import statsmodels.api as sm

import xl_factor
from conftest import FF3, INDUSTRIES, RTOL, SHARED_DATA, assert_close
from xl_factor.sheet.catalogue import CATALOGUE, CATEGORY

TESTS = Path(__file__).resolve().parent
CHECK = TESTS / "xlwings_windows_check.py"
GOLDEN = TESTS / "golden" / "xlwings_udfs.bas"
REGENERATE = "python tests/xlwings_windows_check.py --write-golden"

EPOCH = pd.Timestamp("1899-12-30")  # Excel's day zero (1900 date system)
NA, DIV0 = -2146826246, -2146826281  # #N/A and #DIV/0! as COM hands them over
STOCKS = ["MSFT", "WMT", "JPM"]
POSITION = 1_000_000.0
REGRESS_HEADER = ["", "coef", "std_err", "t", "p_value", "ci_low", "ci_high"]
SUMMARY = ["r_squared", "adj_r_squared", "f_stat", "f_p_value", "n_obs", "resid_var", "s2", "durbin_watson"]

# Holes punched into the monthly industries (from 1960) and the factors: cell as COM hands it over.
INDUSTRY_HOLES = {
    (3, "Durbl"): None,  # blank cell
    (10, "Manuf"): NA,  # #N/A
    (20, "Enrgy"): "n/a",  # text
    (30, "Chems"): "",  # a formula returning ""
    (40, "BusEq"): True,  # a boolean
    (50, "NoDur"): DIV0,  # #DIV/0!
    (50, "Durbl"): None,
}
FACTOR_HOLES = {("1970-06-01", "SMB"): None, ("1990-02-01", "HML"): NA, ("2000-01-01", "MktRF"): "x"}
FACTOR_ROWS_LEFT_OUT = ["1980-01-01", "1980-02-01", "1980-03-01"]  # dates the factor range does not have


# ---------------------------------------------------------------------------
# Ranges as COM hands them over, JSON-encoded for the inner script
# ---------------------------------------------------------------------------

def ref(name):
    return {"$ref": name}


def cell(call_id):
    """A reference to the cell of an earlier call: arrives as the value that cell shows."""
    return {"$cell": call_id}


def rng(value):
    """A cell reference: arrives as a COM Range object (xlwings reads its Value)."""
    return {"$range": value}


def com_range(frame: pd.DataFrame, dates: bool = True, header: bool = True, holes=None) -> list:
    """``frame`` as rows of cells: header row, date column, floats; ``holes`` {(row, column): cell}."""
    holes = holes or {}
    rows = [(["Date"] if dates else []) + list(frame.columns)] if header else []
    for i, (stamp, values) in enumerate(zip(frame.index, frame.to_numpy(dtype=float).tolist())):
        cells = [holes.get((i, c), v) for c, v in zip(frame.columns, values)]
        rows.append(([{"$date": stamp.strftime("%Y-%m-%d")}] if dates else []) + cells)
    return rows


def punched(frame: pd.DataFrame, holes) -> pd.DataFrame:
    """``frame`` with NaN where ``holes`` put a non-number."""
    out = frame.copy()
    for (i, column) in holes:
        if column in out.columns:
            out.iloc[i, out.columns.get_loc(column)] = np.nan
    return out


class Data:
    """The frames behind every input (for the expected numbers) and the inputs themselves."""

    def __init__(self, ff: pd.DataFrame, excess: pd.DataFrame, daily: pd.DataFrame):
        self.ff3 = ff[FF3]
        self.mkt = ff[["MktRF"]]
        self.nodur = excess[["NoDur"]]
        self.inds = excess
        inds_h = excess.loc["1960":]
        self.inds_h = punched(inds_h, INDUSTRY_HOLES)
        self.durbl_h = self.inds_h[["Durbl"]]
        ff3_kept = self.ff3.drop(pd.DatetimeIndex(FACTOR_ROWS_LEFT_OUT))
        factor_holes = {(ff3_kept.index.get_loc(pd.Timestamp(d)), c): cell for (d, c), cell in FACTOR_HOLES.items()}
        self.ff3_h = punched(ff3_kept, factor_holes)
        self.ff_raw = ff
        self.rf_1960 = ff.loc["1960":, ["RF"]]
        self.stocks = daily.loc["2013":, STOCKS]
        self.msft = self.stocks[["MSFT"]]
        self.spx = daily[["SP500"]]
        prices = pd.read_csv(SHARED_DATA / "sp500_stocks_daily_prices_1990_2022.csv", index_col=0)
        prices.index = pd.to_datetime(prices.index)
        self.prices = prices.loc["2021":, STOCKS]
        self.plain = excess.iloc[:24, :3]
        self.plain_rf = ff[["RF"]].iloc[:24]

        self.inputs = {
            "ff3": com_range(self.ff3),
            "mkt": com_range(self.mkt),
            "nodur": com_range(self.nodur),
            "inds": com_range(self.inds),
            "inds_h": com_range(inds_h, holes=INDUSTRY_HOLES),
            "durbl_h": com_range(inds_h[["Durbl"]], holes=INDUSTRY_HOLES),
            "ff3_h": com_range(ff3_kept, holes=factor_holes),
            "inds_raw": com_range(ff[INDUSTRIES]),
            "nodur_raw": com_range(ff[["NoDur"]]),
            "rf_1960": com_range(self.rf_1960),
            "stocks": com_range(self.stocks),
            "msft": com_range(self.msft),
            "spx": com_range(self.spx),
            "prices": com_range(self.prices),
            "prices_plain": com_range(self.prices, dates=False, header=False),
            "plain": com_range(self.plain, dates=False, header=False),
            "plain_rf": com_range(self.plain_rf, dates=False, header=False),
            # inputs for the error cases
            "nodur_pct": com_range(self.nodur * 100),
            "nodur_4": com_range(self.nodur.iloc[:4]),
            "nodur_1949": com_range(self.nodur.loc["1949"]),
            "ff3_2000": com_range(self.ff3.loc["2000"]),
            "mkt_const": com_range(self.mkt.assign(Const=0.005)),
            "block_250": com_range(self.inds.iloc[:250, :2], dates=False, header=False),
            "block_249": com_range(self.ff3.iloc[:249], dates=False, header=False),
            # one column: a zero price fails its column alone, and here that is the whole call
            "prices_zero": com_range(self.prices.iloc[:5][["MSFT"]].assign(MSFT=[300.0, 0.0, 301.0, 302.0, 303.0])),
        }
        # Per-period variances of the daily stocks, for FM_SIZE.
        self.stock_var = self.stocks.var(ddof=1).to_numpy()
        # A blank date cell in the asset range (its row has no period).
        blank_date = com_range(self.nodur.loc["2010":"2012"])
        blank_date[5] = [None] + blank_date[5][1:]
        self.inputs["nodur_blank_date"] = blank_date
        # A model folder as 'xl-factor model build' writes it, for FM_MODEL and FM_MODEL_COVMAT.
        self.model_dir = write_model(self.stocks, self.spx)


def write_model(stocks: pd.DataFrame, market: pd.DataFrame) -> str:
    """exposures.parquet and factor_cov.parquet of the stocks on the market, fitted by the core."""
    import atexit
    import shutil
    import tempfile

    from xl_factor.core.regression import fit_factor_model

    folder = Path(tempfile.mkdtemp(prefix="xl_factor_model_"))
    atexit.register(shutil.rmtree, folder, True)  # removed when the test session ends
    f = market.reindex(stocks.index)
    fit = fit_factor_model(stocks.to_numpy(), f.to_numpy(), True, list(stocks.columns), list(f.columns))
    pd.DataFrame({"id": list(stocks.columns), "alpha": fit.alpha, "beta_SP500": fit.betas[:, 0],
                  "idio_var": fit.idio_var, "total_var": fit.total_var, "r2": fit.factor_share,
                  "n_obs": fit.n_obs}).to_parquet(folder / "exposures.parquet", index=False)
    pd.DataFrame({"factor": ["SP500"], "SP500": [fit.factor_cov[0, 0]]}).to_parquet(folder / "factor_cov.parquet",
                                                                                      index=False)
    return str(folder)


def calls(d: Data) -> dict:
    """Every replayed call: id -> (function, args). Omitted trailing arguments arrive as VBA's missing marker."""
    v1, v2, v3 = d.stock_var
    c = {
        # FM_BETA
        "beta_1x1": ("FM_BETA", [ref("nodur"), ref("mkt")]),
        "beta_1xk": ("FM_BETA", [ref("nodur"), ref("ff3")]),
        "beta_holes": ("FM_BETA", [ref("inds_h"), ref("ff3_h")]),
        "beta_holes_range": ("FM_BETA", [rng(ref("inds_h")), rng(ref("ff3_h"))]),
        "beta_no_constant": ("FM_BETA", [ref("nodur"), ref("ff3"), False]),
        "beta_daily": ("FM_BETA", [ref("stocks"), ref("spx"), True]),
        # FM_ALPHA
        "alpha_holes": ("FM_ALPHA", [ref("inds_h"), ref("ff3_h")]),
        "alpha_holes_12": ("FM_ALPHA", [ref("inds_h"), ref("ff3_h"), 12.0]),
        "alpha_range_12": ("FM_ALPHA", [rng(ref("nodur")), rng(ref("ff3")), rng(12.0)]),
        "alpha_blank_ppy": ("FM_ALPHA", [ref("nodur"), ref("ff3"), rng(None)]),
        # FM_REGRESS
        "regress_default": ("FM_REGRESS", [ref("nodur"), ref("ff3")]),
        **{f"regress_{cov}": ("FM_REGRESS", [ref("nodur"), ref("ff3"), cov]) for cov in ("HC0", "HC1", "HC2", "HC3")},
        "regress_hac": ("FM_REGRESS", [ref("nodur"), ref("ff3"), "HAC"]),
        "regress_hac_6": ("FM_REGRESS", [ref("nodur"), ref("ff3"), "HAC", 6.0]),
        "regress_hac_range": ("FM_REGRESS", [rng(ref("msft")), rng(ref("spx")), rng("HAC"), rng(None)]),
        "regress_holes": ("FM_REGRESS", [ref("durbl_h"), ref("ff3_h"), "nonrobust"]),
        # FM_RESID, FM_TRACKING, FM_HEDGED
        "resid_holes": ("FM_RESID", [ref("inds_h"), ref("ff3_h")]),
        "tracking_holes": ("FM_TRACKING", [ref("inds_h"), ref("ff3_h")]),
        "hedged_holes": ("FM_HEDGED", [ref("inds_h"), ref("ff3_h")]),
        "resid_daily_range": ("FM_RESID", [rng(ref("msft")), rng(ref("spx"))]),
        "resid_blank_date": ("FM_RESID", [ref("nodur_blank_date"), ref("ff3")]),
        # FM_HEDGE
        "hedge_full": ("FM_HEDGE", [POSITION, ref("nodur"), ref("ff3")]),
        "hedge_target": ("FM_HEDGE", [POSITION, ref("nodur"), ref("ff3"), 0.2]),
        "hedge_target_met": ("FM_HEDGE", [POSITION, ref("nodur"), ref("ff3"), 0.95]),
        "hedge_one_factor": ("FM_HEDGE", [rng(-250_000.0), rng(ref("msft")), rng(ref("spx"))]),
        # FM_SIZE
        "size_scalar": ("FM_SIZE", [10_000.0, v1]),
        "size_column": ("FM_SIZE", [[[10_000.0], [20_000.0], [50_000.0]], v1, 21.0]),
        "size_row": ("FM_SIZE", [[[10_000.0, 20_000.0, 50_000.0]], [[v1, v2, v3]], 252.0]),
        # FM_VARDECOMP, FM_RISKSHARE
        "vardecomp_holes": ("FM_VARDECOMP", [ref("inds_h"), ref("ff3_h")]),
        "vardecomp_daily": ("FM_VARDECOMP", [ref("stocks"), ref("spx")]),
        "riskshare_holes": ("FM_RISKSHARE", [ref("inds_h"), ref("ff3_h")]),
        "riskshare_hedge_1": ("FM_RISKSHARE", [ref("stocks"), ref("spx"), -1.0]),
        "riskshare_hedge_row": ("FM_RISKSHARE", [ref("nodur"), ref("ff3"), [[-0.5, 0.1, -0.2]]]),
        # FM_COVMAT, FM_CORRMAT
        "covmat_factor": ("FM_COVMAT", [ref("inds"), ref("ff3")]),
        "covmat_factor_252": ("FM_COVMAT", [ref("stocks"), ref("spx"), "factor", 252.0]),
        "covmat_sample": ("FM_COVMAT", [ref("stocks"), ref("spx"), "sample"]),
        "covmat_sample_holes": ("FM_COVMAT", [ref("inds_h"), ref("ff3_h"), "sample"]),
        "corrmat_factor": ("FM_CORRMAT", [ref("stocks"), ref("spx")]),
        "corrmat_sample": ("FM_CORRMAT", [ref("inds"), ref("ff3"), "sample"]),
        # FM_PARAMCOUNT
        "paramcount": ("FM_PARAMCOUNT", [500.0, 3.0]),
        "paramcount_k1": ("FM_PARAMCOUNT", [500.0]),
        # FM_EXCESS, FM_RETURNS, FM_SHARPE, FM_ANNUALIZE
        "excess_series": ("FM_EXCESS", [ref("inds_raw"), ref("rf_1960")]),
        "excess_number": ("FM_EXCESS", [ref("nodur_raw"), rng(0.001)]),
        "excess_plain": ("FM_EXCESS", [ref("plain"), ref("plain_rf")]),
        "returns": ("FM_RETURNS", [ref("prices")]),
        "returns_plain_range": ("FM_RETURNS", [rng(ref("prices_plain"))]),
        "sharpe_holes": ("FM_SHARPE", [ref("inds_h")]),
        "sharpe_252": ("FM_SHARPE", [ref("stocks"), 252.0]),
        "sharpe_one": ("FM_SHARPE", [ref("nodur")]),
        "annualize_mean": ("FM_ANNUALIZE", [0.01, "mean", 12.0]),
        "annualize_vol": ("FM_ANNUALIZE", [0.02, "vol", 252.0]),
        "annualize_var_row": ("FM_ANNUALIZE", [[[1e-4, 2e-4, 4e-4]], "var", 252.0]),
        "annualize_range": ("FM_ANNUALIZE", [rng([[0.01], [0.02]]), rng("VOL"), rng(12.0)]),
        # FM_PNL, FM_INFO
        "pnl": ("FM_PNL", [POSITION, ref("nodur"), ref("ff3"), 12.0]),
        "pnl_default": ("FM_PNL", [POSITION, ref("msft"), ref("spx")]),
        "info": ("FM_INFO", []),
        # Multi-factor functions
        "fmb": ("FM_FAMAMACBETH", [ref("inds"), ref("ff3")]),
        "fmb_kernel": ("FM_FAMAMACBETH", [rng(ref("inds_h")), rng(ref("ff3_h")), rng("kernel")]),
        "grs": ("FM_GRS", [ref("inds"), ref("ff3")]),
        "pca_loadings": ("FM_PCA", [ref("inds"), 3.0]),
        "pca_factors": ("FM_PCA", [rng(ref("inds_h")), rng(2.0), rng("factors")]),
        "pca_explained": ("FM_PCA", [ref("stocks"), 2.0, "explained"]),
        "rolling_beta": ("FM_ROLLING_BETA", [ref("msft"), ref("spx"), 252.0]),
        "ewma_beta": ("FM_EWMA_BETA", [rng(ref("durbl_h")), rng(ref("ff3_h")), rng(12.0)]),
        "adjbeta_row": ("FM_ADJBETA", [[[1.2, 0.8]]]),
        "adjbeta_one": ("FM_ADJBETA", [rng(1.5), 0.5]),
        "riskcontrib": ("FM_RISKCONTRIB", [[[0.5, 0.3, 0.2]], ref("stocks"), ref("spx")]),
        "covmat_shrink": ("FM_COVMAT", [ref("stocks"), ref("spx"), "shrink"]),
        # The desk's model, read by id
        "model_betas": ("FM_MODEL", [d.model_dir, [["JPM"], ["MSFT"], ["NOPE"]]]),
        "model_covmat": ("FM_MODEL_COVMAT", [rng(d.model_dir), [["MSFT", "WMT"]], 252.0]),
        # A book of positions and better betas
        "bookhedge": ("FM_BOOKHEDGE", [[[1e6, -5e5, 2e5]], ref("stocks"), ref("spx")]),
        "bookhedge_target_252": ("FM_BOOKHEDGE", [[[1e6, -5e5, 2e5]], ref("stocks"), ref("spx"), 0.2, rng(None), 252.0]),
        "activerisk": ("FM_ACTIVERISK", [[[0.5, 0.3, 0.2]], [[1 / 3] * 3], ref("stocks"), ref("spx"), 252.0]),
        "scenario": ("FM_SCENARIO", [[[1e6] * 12], ref("inds"), ref("ff3"),
                                     [[None, "crash"], ["MktRF", -0.1], ["HML", 0.02]]]),
        "stress": ("FM_STRESS", [[[1e6, -5e5, 2e5]], ref("stocks"), ref("spx"), 3.0]),
        "dimson": ("FM_DIMSONBETA", [ref("inds_h"), ref("ff3_h")]),
        "swbeta": ("FM_SWBETA", [ref("stocks"), ref("spx")]),
        "vasicek": ("FM_VASICEKBETA", [rng(ref("inds_h")), rng(ref("ff3_h"))]),
        "regress_origin": ("FM_REGRESS", [ref("nodur"), ref("ff3"), "nonrobust", rng(None), False]),
        # Data keys: FM_DATA cells, then formulas that point at them instead of the ranges
        "data_inds_h": ("FM_DATA", [ref("inds_h")]),
        "data_ff3_h": ("FM_DATA", [rng(ref("ff3_h"))]),
        "beta_keys": ("FM_BETA", [cell("data_inds_h"), cell("data_ff3_h")]),
        "vardecomp_keys": ("FM_VARDECOMP", [rng(cell("data_inds_h")), cell("data_ff3_h")]),
        "data_ff3": ("FM_DATA", [ref("ff3")]),
        "hedge_keys": ("FM_HEDGE", [POSITION, ref("nodur"), cell("data_ff3")]),
        # Currency-formatted cells: COM hands them over as decimal.Decimal.
        "size_currency": ("FM_SIZE", [rng({"$decimal": "10000"}), v1]),
        "hedge_currency": ("FM_HEDGE", [rng({"$decimal": "1000000"}), ref("nodur"), ref("ff3")]),
    }
    for i, (func, args, _argument) in enumerate(ERRORS):
        c[f"error_{i}"] = (func, args)
    return c


# (function, args, argument the message must name)
ERRORS = [
    ("FM_BETA", [ref("block_250"), ref("block_249")], "factors"),
    ("FM_DATA", [rng([["Date", "NoDur"], [None, None]])], "data"),
    ("FM_BETA", [rng("FM_DATA:0123456789abcdef0123 121x2"), ref("ff3")], "asset"),
    ("FM_BETA", [ref("nodur"), ref("ff3"), "maybe"], "add_constant"),
    ("FM_BETA", [rng(ref("nodur")), rng([["text"], ["more"]])], "factors"),
    ("FM_ALPHA", [[[0.01, 0.02, 0.03]], ref("ff3")], "asset"),
    ("FM_REGRESS", [ref("inds"), ref("ff3")], "asset"),
    ("FM_REGRESS", [ref("nodur"), ref("ff3"), "robust"], "cov_type"),
    ("FM_REGRESS", [ref("nodur"), ref("ff3"), "HAC", 0.5], "hac_lags"),
    ("FM_RESID", [ref("nodur_pct"), ref("ff3")], "asset"),
    ("FM_TRACKING", [ref("nodur"), ref("mkt_const")], "factors"),
    ("FM_HEDGED", [ref("nodur_1949"), ref("ff3_2000")], "factors"),
    ("FM_HEDGE", [NA, ref("nodur"), ref("ff3")], "position"),
    ("FM_HEDGE", [POSITION, ref("nodur"), ref("ff3"), 1.5], "target_share"),
    ("FM_HEDGE", [POSITION, ref("inds"), ref("ff3")], "asset"),
    ("FM_SIZE", [10_000.0, -0.0004], "variance"),
    ("FM_SIZE", [10_000.0, 0.0004, 0.0], "horizon_periods"),
    ("FM_VARDECOMP", [ref("nodur_4"), ref("ff3")], "asset"),
    ("FM_RISKSHARE", [ref("inds"), ref("ff3"), [[-1.0, -1.0]]], "hedge"),
    ("FM_COVMAT", [ref("stocks"), ref("spx"), "pca"], "method"),
    ("FM_CORRMAT", [ref("stocks"), ref("spx"), 7.0], "method"),
    ("FM_PARAMCOUNT", [2.5], "n_assets"),
    ("FM_PARAMCOUNT", ["ten"], "n_assets"),
    ("FM_EXCESS", [ref("inds_raw"), ref("ff3")], "rf"),
    ("FM_RETURNS", [ref("prices_zero")], "prices"),
    ("FM_SHARPE", [[[0.01]]], "returns"),
    ("FM_ANNUALIZE", [0.01, "median", 12.0], "kind"),
    ("FM_ANNUALIZE", [0.01, "mean", rng(None)], "periods_per_year"),
    ("FM_PNL", [POSITION, ref("nodur"), ref("ff3"), -1.0], "horizon_periods"),
    ("FM_FAMAMACBETH", [ref("inds"), ref("ff3"), "robust"], "cov_type"),
    ("FM_GRS", [ref("inds"), ref("nodur_4")], "factors"),
    ("FM_PCA", [ref("inds"), 13.0], "k"),
    ("FM_ROLLING_BETA", [ref("msft"), ref("spx"), 1.0], "window"),
    ("FM_EWMA_BETA", [ref("msft"), ref("spx"), 0.0], "halflife"),
    ("FM_ADJBETA", [1.2, 1.5], "weight"),
    ("FM_RISKCONTRIB", [[[0.5, 0.5]], ref("stocks"), ref("spx")], "weights"),
    ("FM_MODEL", ["/no/such/model", [["MSFT"]]], "model_dir"),
    ("FM_MODEL_COVMAT", ["/no/such/model", [["MSFT"]]], "model_dir"),
    ("FM_BOOKHEDGE", [[[1.0, 2.0]], ref("stocks"), ref("spx")], "positions"),
    ("FM_ACTIVERISK", [[[0.5, 0.3, 0.2]], [[0.5, 0.3, 0.2]], ref("stocks"), ref("spx")], "benchmark_weights"),
    ("FM_SCENARIO", [[[1.0, 2.0, 3.0]], ref("stocks"), ref("spx"), [["Value", -0.1]]], "shocks"),
    ("FM_STRESS", [[[1.0, 2.0, 3.0]], ref("stocks"), ref("spx"), 0.5], "n_worst"),
    ("FM_DIMSONBETA", [ref("nodur"), ref("ff3"), 0.5], "lags"),
    ("FM_SWBETA", [ref("nodur"), ref("ff3")], "factors"),
    ("FM_VASICEKBETA", [ref("nodur"), ref("ff3")], "asset"),
]


# ---------------------------------------------------------------------------
# One inner run for the whole module
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def data(ff_monthly, industry_excess, daily_returns) -> Data:
    return Data(ff_monthly, industry_excess, daily_returns)


@pytest.fixture(scope="session")
def xl(data) -> dict:
    """Everything the inner script reports (metadata, VBA, cells) for every call in :func:`calls`."""
    request = {"inputs": data.inputs,
               "calls": {k: {"func": f, "args": a} for k, (f, a) in calls(data).items()}}
    done = subprocess.run([sys.executable, str(CHECK)], input=json.dumps(request), capture_output=True,
                          text=True, cwd=TESTS.parent, timeout=300)
    assert done.returncode == 0, f"{CHECK.name} failed:\n{done.stderr[-5000:]}"
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def cells(xl) -> dict:
    return xl["cells"]


def shape(cell) -> tuple:
    """The cell result's shape after CallUDF: () scalar, (N,) a 1 x N row, (R, C) rows."""
    if not isinstance(cell, list):
        return ()
    if cell and isinstance(cell[0], list):
        assert all(isinstance(r, list) and len(r) == len(cell[0]) for r in cell), "ragged result"
        return (len(cell), len(cell[0]))
    return (len(cell),)


def numbers(cell) -> np.ndarray:
    """A numeric result as floats, '' (blank) as NaN; anything else is an error here."""
    if isinstance(cell, str):
        pytest.fail(f"expected numbers, the cell shows {cell[:500]!r}")
    array = np.array(cell, dtype=object)
    blank = np.array([c == "" for c in array.ravel()]).reshape(array.shape)
    others = [c for c in array[~blank].ravel() if type(c) is not float]
    assert not others, f"cells that are neither numbers nor blank: {others[:5]}"
    return np.where(blank, np.nan, array).astype(float)


def assert_series(cell, expected) -> None:
    """A result with blanks: blanks exactly where ``expected`` is NaN, numbers close elsewhere."""
    got = numbers(cell)
    expected = np.asarray(expected, dtype=float)
    assert got.shape == expected.shape
    assert np.array_equal(np.isnan(got), np.isnan(expected)), "blanks are not where rows were dropped"
    assert_close(got, expected, atol=RTOL * np.nanmax(np.abs(expected)))


def assert_error(cell, function: str, argument: str) -> None:
    assert isinstance(cell, str), f"expected an #FM! line, got {str(cell)[:200]}"
    assert not cell.startswith("Unexpected Python Error"), cell
    assert cell.startswith(f"#FM! {function}: "), cell
    assert "\n" not in cell and "Traceback" not in cell, cell
    assert argument in cell, cell


# ---------------------------------------------------------------------------
# Expected numbers, computed here by statsmodels / numpy
# ---------------------------------------------------------------------------

def ols(y, x, add_constant=True, **fit_kwargs):
    """statsmodels OLS on the rows where y and every x are present; returns (result, kept rows)."""
    y = np.asarray(y, dtype=float).ravel()
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    keep = ~(np.isnan(y) | np.isnan(x).any(axis=1))
    design = sm.add_constant(x[keep], has_constant="add") if add_constant else x[keep]
    return sm.OLS(y[keep], design).fit(**fit_kwargs), keep


def fits(assets: pd.DataFrame, factors: pd.DataFrame, **kwargs) -> list:
    """(result, kept rows, factors on the asset's dates) per asset column; rows matched by date."""
    f = factors.reindex(assets.index).to_numpy(dtype=float)
    return [(*ols(assets[c], f, **kwargs), f) for c in assets.columns]


def risk(result, keep, f) -> dict:
    """Per-period risk figures of one fit, ddof = 1 throughout."""
    b = np.asarray(result.params)[1:]
    sigma = np.atleast_2d(np.cov(f[keep], rowvar=False, ddof=1))
    factor_var = float(b @ sigma @ b)
    idio_var = float(np.var(result.resid, ddof=1))
    total_var = float(np.var(result.model.endog, ddof=1))
    return {"beta": b, "alpha": float(result.params[0]), "sigma": sigma, "factor_var": factor_var,
            "idio_var": idio_var, "total_var": total_var, "mean_f": f[keep].mean(axis=0)}


def per_row(values_by_asset, keeps, n_rows) -> np.ndarray:
    out = np.full((n_rows, len(keeps)), np.nan)
    for j, (values, keep) in enumerate(zip(values_by_asset, keeps)):
        out[keep, j] = values
    return out


def serials(index) -> list:
    return [float((stamp - EPOCH).days) for stamp in index]


# ---------------------------------------------------------------------------
# (a) metadata: what "Import Functions" reads from each function
# ---------------------------------------------------------------------------

def test_every_catalogue_function_and_no_other(xl):
    names = [f.name for f in CATALOGUE]
    assert sorted(xl["functions"]) == sorted(names)
    assert xl["fm_names"] == sorted(names), "xl_factor.udfs has FM_ names that are not in the catalogue"
    assert Path(xl["module_file"]).resolve() == (TESTS.parent / "xl_factor" / "udfs.py").resolve()


@pytest.mark.parametrize("function", CATALOGUE, ids=lambda f: f.name)
def test_xlfunc_metadata_matches_catalogue(xl, function):
    meta = xl["functions"][function.name]
    assert meta["name"] == function.name
    assert meta["category"] == CATEGORY == "Factor Model"
    assert (meta["sub"], meta["call_in_wizard"], meta["volatile"], meta["async_mode"]) == (False, True, False, None)
    assert [a["name"] for a in meta["args"]] == [a.name for a in function.args]
    for got, arg in zip(meta["args"], function.args):
        assert got["doc"] == arg.doc, arg.name
        assert got["options"] == {"convert": "raw"}, arg.name
        assert (got["vba"], got["vararg"]) == (None, False), arg.name
        assert got["has_default"] == arg.optional, arg.name
        if arg.optional:
            expected = json.loads(json.dumps(arg.default))
            assert got["default"] == expected and type(got["default"]) is type(expected), arg.name
    assert meta["ret"] == {"doc": function.doc, "options": {"convert": "raw"}}


@pytest.mark.parametrize("function", CATALOGUE, ids=lambda f: f.name)
def test_function_wizard_texts(xl, function):
    """Application.MacroOptions as "Import Functions" calls it: texts are cut at 255 characters."""
    (options,) = [o for o in xl["wizard"] if o["macro"] == f"'xlwings.xlam'!{function.name}"]
    assert options["Category"] == "Factor Model"
    assert options["Description"] == function.doc, "description longer than Excel's 255 characters"
    assert options["ArgumentDescriptions"] == ([a.doc for a in function.args] or None), \
        "an argument help longer than Excel's 255 characters"


# ---------------------------------------------------------------------------
# (b) the VBA module "Import Functions" writes
# ---------------------------------------------------------------------------

def test_vba_module_equals_golden(xl):
    golden = GOLDEN.read_text(encoding="utf-8") if GOLDEN.exists() else ""
    assert xl["vba"] == golden, (
        f"the VBA module xlwings {xl['xlwings']} writes for xl_factor.udfs differs from "
        f"{GOLDEN.relative_to(TESTS.parent)}; if the change is intended, regenerate it with `{REGENERATE}` (from the repository root) and review the diff"
    )


def test_vba_module_declares_every_function(xl):
    vba = xl["vba"]
    assert vba.startswith('Attribute VB_Name = "xlwings_udfs"\n')
    for function in CATALOGUE:
        params = ", ".join(("Optional " if a.optional else "") + a.name for a in function.args)
        array = ", ".join(a.name for a in function.args)
        assert f"\nFunction {function.name}({params})\n" in vba
        assert (f'{function.name} = XLPy.CallUDF("xl_factor.udfs", "{function.name}", Array({array}), '
                f"ActiveWorkbook, Application.Caller)") in vba
    assert vba.count("\nFunction ") == len(CATALOGUE) and "ThisWorkbook" not in vba


# ---------------------------------------------------------------------------
# (c) cells on the real data, against statsmodels / numpy
# ---------------------------------------------------------------------------

def test_every_function_is_replayed_and_none_shows_a_traceback(xl, data):
    replayed = {func for func, _ in calls(data).values()}
    assert replayed == {f.name for f in CATALOGUE}
    assert {func for func, _, _ in ERRORS} >= {f.name for f in CATALOGUE} - {"FM_INFO"}
    for call_id, cell in xl["cells"].items():
        assert not (isinstance(cell, str) and cell.startswith("Unexpected Python Error")), f"{call_id}: {cell}"
        assert set(xl["types"][call_id]) <= {"float", "str"}, f"{call_id}: values of type {xl['types'][call_id]}"
    assert xl["seconds"] < 60


@pytest.mark.parametrize("index", range(len(ERRORS)), ids=lambda i: f"{ERRORS[i][0]}-{ERRORS[i][2]}")
def test_errors_are_one_fm_line(cells, index):
    function, _, argument = ERRORS[index]
    assert_error(cells[f"error_{index}"], function, argument)


def test_beta(cells, data):
    (res, _, _), = fits(data.nodur, data.mkt)
    assert shape(cells["beta_1x1"]) == () and type(cells["beta_1x1"]) is float
    assert_close(cells["beta_1x1"], res.params[1])

    (res, _, _), = fits(data.nodur, data.ff3)
    assert shape(cells["beta_1xk"]) == (3,)
    assert_close(cells["beta_1xk"], res.params[1:])

    expected = [r.params[1:] for r, _, _ in fits(data.inds_h, data.ff3_h)]
    assert shape(cells["beta_holes"]) == (12, 3)
    assert_close(cells["beta_holes"], expected)
    assert cells["beta_holes_range"] == cells["beta_holes"], "Range-object path differs from the value path"

    (res, _, _), = fits(data.nodur, data.ff3, add_constant=False)
    assert_close(cells["beta_no_constant"], res.params)

    expected = [[r.params[1]] for r, _, _ in fits(data.stocks, data.spx)]
    assert shape(cells["beta_daily"]) == (3, 1)
    assert_close(cells["beta_daily"], expected)


def test_alpha(cells, data):
    alphas = np.array([[r.params[0]] for r, _, _ in fits(data.inds_h, data.ff3_h)])
    assert shape(cells["alpha_holes"]) == (12, 1)
    assert_close(cells["alpha_holes"], alphas)
    assert_close(cells["alpha_holes_12"], alphas * 12)
    (res, _, _), = fits(data.nodur, data.ff3)
    assert shape(cells["alpha_range_12"]) == ()
    assert_close(cells["alpha_range_12"], res.params[0] * 12)
    assert_close(cells["alpha_blank_ppy"], res.params[0])


def assert_regress_table(cell, res, names):
    k = len(names)
    assert shape(cell) == (k + 2 + len(SUMMARY), 7)
    assert cell[0] == REGRESS_HEADER
    ci = np.asarray(res.conf_int(alpha=0.05))
    for i, name in enumerate(names):
        assert cell[1 + i][0] == name
        assert_close(cell[1 + i][1:], [res.params[i], res.bse[i], res.tvalues[i], res.pvalues[i], ci[i, 0], ci[i, 1]])
    assert cell[k + 1] == [""] * 7
    e = np.asarray(res.resid)
    expected = [res.rsquared, res.rsquared_adj, np.squeeze(res.fvalue), np.squeeze(res.f_pvalue), res.nobs,
                np.var(e, ddof=1), res.ssr / res.df_resid, np.sum(np.diff(e) ** 2) / np.sum(e ** 2)]
    for j, (label, value) in enumerate(zip(SUMMARY, expected)):
        row = cell[k + 2 + j]
        assert row[0] == label and row[2:] == [""] * 5, row
        assert_close(row[1], value)


@pytest.mark.parametrize("cov", ["default", "HC0", "HC1", "HC2", "HC3", "hac", "hac_6"])
def test_regress_monthly(cells, data, cov):
    y = data.nodur["NoDur"]
    x = data.ff3.to_numpy()
    if cov == "default":
        res, _ = ols(y, x)
    elif cov.startswith("hac"):
        lags = 6 if cov == "hac_6" else math.floor(4 * (len(y) / 100) ** (2 / 9))
        res, _ = ols(y, x, cov_type="HAC", cov_kwds={"maxlags": lags})
    else:
        res, _ = ols(y, x, cov_type=cov)
    assert_regress_table(cells[f"regress_{cov}"], res, ["alpha", *FF3])


def test_regress_daily_hac_range_and_holes(cells, data):
    lags = math.floor(4 * (len(data.msft) / 100) ** (2 / 9))  # every MSFT date has an SP500 return
    res, keep = ols(data.msft["MSFT"], data.spx.reindex(data.msft.index), cov_type="HAC", cov_kwds={"maxlags": lags})
    assert keep.all()
    assert_regress_table(cells["regress_hac_range"], res, ["alpha", "SP500"])

    (res, keep, _), = fits(data.durbl_h, data.ff3_h)
    assert keep.sum() < len(keep) - 5
    assert_regress_table(cells["regress_holes"], res, ["alpha", *FF3])


def test_resid_tracking_hedged_with_holes(cells, data):
    fitted = fits(data.inds_h, data.ff3_h)
    keeps = [keep for _, keep, _ in fitted]
    n = len(data.inds_h)
    resid = per_row([r.resid for r, _, _ in fitted], keeps, n)
    tracking = per_row([f[keep] @ np.asarray(r.params[1:]) for r, keep, f in fitted], keeps, n)
    hedged = per_row([data.inds_h[c].to_numpy()[keep] - f[keep] @ np.asarray(r.params[1:])
                      for c, (r, keep, f) in zip(data.inds_h.columns, fitted)], keeps, n)
    # Every kind of hole dropped its row, factor holes and missing factor dates for all assets.
    assert np.isnan(resid).sum() == sum(len(keep) - keep.sum() for keep in keeps) > 12 * 6
    assert_series(cells["resid_holes"], resid)
    assert_series(cells["tracking_holes"], tracking)
    assert_series(cells["hedged_holes"], hedged)
    assert_close(np.nanmean(numbers(cells["hedged_holes"]), axis=0), [r.params[0] for r, _, _ in fitted])

    (res, keep, _), = fits(data.msft, data.spx)
    assert keep.all()
    assert_series(cells["resid_daily_range"], np.asarray(res.resid)[:, None])


def test_resid_keeps_a_row_for_a_blank_date(cells, data):
    asset = data.nodur.loc["2010":"2012"]
    res, keep = ols(asset["NoDur"].where(np.arange(len(asset)) != 4), data.ff3.reindex(asset.index))
    assert_series(cells["resid_blank_date"], per_row([res.resid], [keep], len(asset)))


def test_hedge(cells, data):
    (res, keep, f), = fits(data.nodur, data.ff3)
    r = risk(res, keep, f)
    assert shape(cells["hedge_full"]) == (3,)
    assert_close(cells["hedge_full"], -r["beta"] * POSITION)

    s = 0.2
    share = r["factor_var"] / (r["factor_var"] + r["idio_var"])
    assert s < share < 0.95
    c = math.sqrt(s * r["idio_var"] / ((1 - s) * r["factor_var"]))
    assert_close(cells["hedge_target"], (c - 1) * r["beta"] * POSITION)
    assert cells["hedge_target_met"] == [0.0, 0.0, 0.0]

    (res, _, _), = fits(data.msft, data.spx)
    assert shape(cells["hedge_one_factor"]) == ()
    assert_close(cells["hedge_one_factor"], -res.params[1] * -250_000.0)


def test_size(cells, data):
    v = data.stock_var
    assert shape(cells["size_scalar"]) == ()
    assert_close(cells["size_scalar"], 10_000.0 / np.sqrt(v[0]))
    assert shape(cells["size_column"]) == (3, 1)
    assert_close(cells["size_column"], np.array([[1e4], [2e4], [5e4]]) / np.sqrt(v[0] * 21))
    assert shape(cells["size_row"]) == (3,)
    assert_close(cells["size_row"], np.array([1e4, 2e4, 5e4]) / np.sqrt(v * 252))


@pytest.mark.parametrize("call_id", ["size_currency", "hedge_currency"])
def test_currency_formatted_cells(cells, data, call_id):
    if call_id == "size_currency":
        assert_close(cells[call_id], 10_000.0 / np.sqrt(data.stock_var[0]))
    else:
        (res, _, _), = fits(data.nodur, data.ff3)
        assert_close(cells[call_id], -np.asarray(res.params[1:]) * POSITION)


def test_data_keys_stand_in_for_their_ranges(cells, data):
    """FM_DATA cells show one key each; formulas pointing at them give what the ranges give (checked above
    against statsmodels), through a single-cell value and through a Range object alike."""
    for call_id, (rows, cols) in (("data_inds_h", data.inds_h.shape), ("data_ff3_h", data.ff3_h.shape)):
        key = cells[call_id]
        assert shape(key) == () and key.startswith("FM_DATA:") and key.endswith(f" {rows + 1}x{cols + 1}"), key
    assert cells["data_inds_h"] != cells["data_ff3_h"]
    assert cells["beta_keys"] == cells["beta_holes"]
    assert cells["vardecomp_keys"] == cells["vardecomp_holes"]
    assert cells["hedge_keys"] == cells["hedge_full"]


def test_vardecomp(cells, data):
    for call_id, assets, factors in [("vardecomp_holes", data.inds_h, data.ff3_h),
                                     ("vardecomp_daily", data.stocks, data.spx)]:
        cell = cells[call_id]
        assert shape(cell) == (assets.shape[1] + 1, 5)
        assert cell[0] == ["asset", "total_var", "factor_var", "idio_var", "factor_share"]
        assert [row[0] for row in cell[1:]] == list(assets.columns)
        expected = []
        for res, keep, f in fits(assets, factors):
            r = risk(res, keep, f)
            assert math.isclose(r["total_var"], r["factor_var"] + r["idio_var"], rel_tol=1e-12)
            expected.append([r["total_var"], r["factor_var"], r["idio_var"],
                             r["factor_var"] / (r["factor_var"] + r["idio_var"])])
        assert_close([row[1:] for row in cell[1:]], expected)


def test_riskshare(cells, data):
    def share(r, h):
        b = r["beta"] + h
        systematic = b @ r["sigma"] @ b
        return systematic / (systematic + r["idio_var"])

    expected = [[share(risk(*fit), 0.0)] for fit in fits(data.inds_h, data.ff3_h)]
    assert shape(cells["riskshare_holes"]) == (12, 1)
    assert_close(cells["riskshare_holes"], expected)
    expected = [[share(risk(*fit), np.array([-1.0]))] for fit in fits(data.stocks, data.spx)]
    assert_close(cells["riskshare_hedge_1"], expected)
    (fit,) = fits(data.nodur, data.ff3)
    assert shape(cells["riskshare_hedge_row"]) == ()
    assert_close(cells["riskshare_hedge_row"], share(risk(*fit), np.array([-0.5, 0.1, -0.2])))


def factor_cov(assets, factors):
    figures = [risk(*fit) for fit in fits(assets, factors)]
    b = np.array([r["beta"] for r in figures])
    sigma = np.atleast_2d(np.cov(factors.reindex(assets.index).to_numpy(), rowvar=False, ddof=1))
    return b @ sigma @ b.T + np.diag([r["idio_var"] for r in figures])


def corr(cov):
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def test_covmat_corrmat(cells, data):
    assert shape(cells["covmat_factor"]) == (12, 12)
    assert_close(cells["covmat_factor"], factor_cov(data.inds, data.ff3))
    daily = factor_cov(data.stocks, data.spx)
    assert_close(cells["covmat_factor_252"], daily * 252)
    assert_close(cells["corrmat_factor"], corr(daily))

    assert_close(cells["covmat_sample"], np.cov(data.stocks.to_numpy(), rowvar=False, ddof=1))
    complete = data.inds_h.dropna().to_numpy()
    assert len(complete) == len(data.inds_h) - 6
    assert shape(cells["covmat_sample_holes"]) == (12, 12)
    assert_close(cells["covmat_sample_holes"], np.cov(complete, rowvar=False, ddof=1))
    assert_close(cells["corrmat_sample"], np.corrcoef(data.inds.to_numpy(), rowvar=False))


def test_model_cells(cells, data):
    """FM_MODEL and FM_MODEL_COVMAT through xlwings' path: the model's numbers by id, an unknown id its own line."""
    betas = cells["model_betas"]
    assert shape(betas) == (3, 1)
    x = sm.add_constant(data.spx.reindex(data.stocks.index).to_numpy())
    expected = [sm.OLS(data.stocks[s].to_numpy(), x).fit().params[1] for s in ("JPM", "MSFT")]
    assert_close([betas[0][0], betas[1][0]], expected)
    assert betas[2][0].startswith("#FM! FM_MODEL: ids: 'NOPE' is not in the model")
    daily = factor_cov(data.stocks, data.spx)
    assert_close(cells["model_covmat"], daily[:2, :2] * 252)


def test_paramcount(cells):
    n, k = 500, 3
    assert cells["paramcount"] == [["factor_model", float(n * k + n + k * (k + 1) // 2)],
                                   ["unrestricted", float(n * (n + 1) // 2)]]
    assert cells["paramcount_k1"] == [["factor_model", float(2 * n + 1)], ["unrestricted", float(n * (n + 1) // 2)]]


def test_excess(cells, data):
    cell = cells["excess_series"]  # rf from 1960 only: the returns' rows before it keep their place, blank
    common = data.ff_raw.index.intersection(data.rf_1960.index)
    expected = data.ff_raw.loc[common, INDUSTRIES].sub(data.rf_1960.loc[common, "RF"], axis=0)
    assert shape(cell) == (len(data.ff_raw) + 1, 13)
    assert cell[0] == ["Date", *INDUSTRIES]
    assert [row[0] for row in cell[1:]] == serials(data.ff_raw.index)
    before = len(data.ff_raw) - len(common)
    assert data.ff_raw.index[before] == common[0]
    assert all(c == "" for row in cell[1:before + 1] for c in row[1:])
    assert_close([row[1:] for row in cell[before + 1:]], expected.to_numpy(),
                 atol=RTOL * np.abs(expected.to_numpy()).max())

    cell = cells["excess_number"]
    assert cell[0] == ["Date", "NoDur"] and len(cell) == len(data.ff_raw) + 1
    assert [row[0] for row in cell[1:]] == serials(data.ff_raw.index)
    assert_close([row[1] for row in cell[1:]], data.ff_raw["NoDur"] - 0.001, atol=RTOL * 0.5)

    expected = data.plain.to_numpy() - data.plain_rf.to_numpy()
    assert shape(cells["excess_plain"]) == (24, 3)
    assert_close(cells["excess_plain"], expected, atol=RTOL * np.abs(expected).max())


def test_returns(cells, data):
    p = data.prices.to_numpy()
    expected = p[1:] / p[:-1] - 1
    cell = cells["returns"]
    assert shape(cell) == (len(p), 4)
    assert cell[0] == ["Date", *STOCKS]
    assert [row[0] for row in cell[1:]] == serials(data.prices.index[1:])
    assert_close([row[1:] for row in cell[1:]], expected, atol=RTOL * np.abs(expected).max())
    assert shape(cells["returns_plain_range"]) == (len(p) - 1, 3)
    assert_close(cells["returns_plain_range"], expected, atol=RTOL * np.abs(expected).max())


def test_sharpe(cells, data):
    def sharpe(column):
        x = column.dropna().to_numpy()
        return x.mean() / x.std(ddof=1)

    assert shape(cells["sharpe_holes"]) == (12,)
    assert_close(cells["sharpe_holes"], [sharpe(data.inds_h[c]) for c in data.inds_h])
    assert_close(cells["sharpe_252"], [sharpe(data.stocks[c]) * math.sqrt(252) for c in STOCKS])
    assert shape(cells["sharpe_one"]) == ()
    assert_close(cells["sharpe_one"], sharpe(data.nodur["NoDur"]))


def test_annualize(cells):
    assert shape(cells["annualize_mean"]) == ()
    assert_close(cells["annualize_mean"], 0.01 * 12)
    assert_close(cells["annualize_vol"], 0.02 * math.sqrt(252))
    assert shape(cells["annualize_var_row"]) == (3,)
    assert_close(cells["annualize_var_row"], np.array([1e-4, 2e-4, 4e-4]) * 252)
    assert shape(cells["annualize_range"]) == (2, 1)
    assert_close(cells["annualize_range"], np.array([[0.01], [0.02]]) * math.sqrt(12))


def test_pnl(cells, data):
    for call_id, asset, factors, horizon in [("pnl", data.nodur, data.ff3, 12.0),
                                             ("pnl_default", data.msft, data.spx, 1.0)]:
        (fit,) = fits(asset, factors)
        r = risk(*fit)
        expected = [POSITION * (r["beta"] @ r["mean_f"] + r["alpha"]) * horizon, POSITION * r["alpha"] * horizon]
        assert shape(cells[call_id]) == (2,)
        assert_close(cells[call_id], expected)


def test_info(xl):
    assert xl["cells"]["info"] == [
        ["xl_factor", xl_factor.__version__], ["numpy", np.__version__], ["pandas", pd.__version__],
        ["statsmodels", statsmodels.__version__], ["python", platform.python_version()],
        ["runtime", f"xlwings {xl['xlwings']}"],
    ]


def test_multifactor_cells(cells, data):
    """The multi-factor functions through xlwings' path, against direct numpy / statsmodels computations."""
    from statsmodels.regression.rolling import RollingOLS

    assert shape(cells["adjbeta_row"]) == (2,)
    assert_close(cells["adjbeta_row"], [0.67 * 1.2 + 0.33, 0.67 * 0.8 + 0.33])
    assert_close(cells["adjbeta_one"], 0.5 * 1.5 + 0.5)

    values = data.stocks.to_numpy()
    eigenvalues = np.linalg.eigvalsh(np.cov(values, rowvar=False))[::-1]
    assert shape(cells["pca_explained"]) == (2,)
    assert_close(cells["pca_explained"], eigenvalues[:2] / eigenvalues.sum())

    inds = data.inds.to_numpy()
    w, v = np.linalg.eigh(np.cov(inds, rowvar=False))
    top = v[:, ::-1][:, :3] * np.sign(v[:, ::-1][:, :3].sum(axis=0))  # documented sign: loadings sum > 0
    assert shape(cells["pca_loadings"]) == (12, 3)
    assert_close(cells["pca_loadings"], top, atol=1e-12)

    x = sm.add_constant(data.spx.reindex(data.msft.index).to_numpy())  # the index history is longer: by date
    rolling = RollingOLS(data.msft.to_numpy()[:, 0], x, window=252).fit().params[:, 1]
    got = numbers(cells["rolling_beta"]).ravel()
    assert got.shape == rolling.shape and np.isnan(got[:251]).all()
    assert_close(got[251:], rolling[251:])

    f, y = data.ff3.to_numpy(), inds  # both 1949-2017 monthly, complete
    first = np.linalg.lstsq(np.column_stack([np.ones(len(f)), f]), y, rcond=None)[0]
    alpha, betas, resid = first[0], first[1:].T, y - np.column_stack([np.ones(len(f)), f]) @ first
    t, n, k = len(y), y.shape[1], f.shape[1]
    sigma = resid.T @ resid / (t - k - 1)
    mu, omega = f.mean(axis=0), np.cov(f, rowvar=False, ddof=0)
    grs = (t / n) * ((t - n - k) / (t - k - 1)) * alpha @ np.linalg.solve(sigma, alpha) / (1 + mu @ np.linalg.solve(omega, mu))
    grs_table = {row[0]: row[1] for row in cells["grs"]}
    assert_close(grs_table["f_stat"], grs)
    assert grs_table["df_num"] == n and grs_table["df_den"] == t - n - k

    z = np.column_stack([np.ones(n), betas])
    premia = np.linalg.lstsq(z, y.T, rcond=None)[0].T.mean(axis=0)
    table = {row[0]: row[1:] for row in cells["fmb"] if row[0]}
    assert_close([table[name][0] for name in ("const", "MktRF", "SMB", "HML")], premia)

    rc = {row[0]: row[1:] for row in cells["riskcontrib"] if row[0]}
    assert_close(rc["total"][2], 1.0)
    assert_close(sum(rc[name][2] for name in ("systematic", "specific")), 1.0)

    shrink = numbers(cells["covmat_shrink"])
    assert shrink.shape == (3, 3) and np.allclose(shrink, shrink.T)
    ewma = numbers(cells["ewma_beta"])
    assert ewma.shape == (len(data.durbl_h), 3) and np.isnan(ewma[0]).all() and np.isfinite(ewma[-1]).all()
    pca_factors = numbers(cells["pca_factors"][1:])
    assert pca_factors.shape[1] == 3 and cells["pca_factors"][0][1:] == ["PC1", "PC2"]
