"""The template workbook recalculated in headless LibreOffice with the add-in, against statsmodels and numpy.

Two runs: the committed workbook as shipped (NoDur on MktRF, the full
bundled history, equal portfolio weights), and a copy edited the way a user
would: a shorter history pasted from row 2 with a blank and a text cell in
it, another asset and factor, HAC standard errors, a short position, a limit
above the factor share, a one-year horizon and long-short portfolio weights.
Every formula cell must compute (no error cell, no ``#FM!`` line) and the key
numbers must equal statsmodels / linearmodels / numpy on the same data to
1e-9 relative. The MultiFactor sheet (all 12 industries on MktRF SMB HML) is
checked against linearmodels' FamaMacBeth, a direct numpy GRS statistic and
numpy's sqrt(w' (B Sigma_f B' + D) w).

Tests that need LibreOffice skip without it and FAIL when the environment
variable CI is set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import statsmodels.api as sm
from linearmodels.panel import FamaMacBeth
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from scipy import stats
from statsmodels.stats.stattools import durbin_watson

from xl_factor.libreoffice import recalc

COMMITTED = Path(__file__).resolve().parents[1] / "workbook_templates" / "factor_hedging.xlsx"

RTOL = 1e-9
ASSETS = ["NoDur", "Durbl", "Manuf", "Enrgy", "Chems", "BusEq", "Telcm", "Utils", "Shops", "Hlth", "Money", "Other"]
CAPACITY = 5000
SERIES_FIRST = 4  # first period row of the series blocks on Regression and Hedging
FACTORS = ["MktRF", "SMB", "HML"]
INPUT_RANGES = ("PortfolioWeights", "BookPositions", "BookShockValues")
# MultiFactor blocks (top-left cell of each array range, header row included; xl_factor/templates/layout.py).
MF_BETA, MF_VARDECOMP, MF_FM, MF_FM_KERNEL, MF_GRS, MF_RISK = "B11", "F10", "A26", "A38", "A50", "A57"



def close(actual, expected, rtol: float = RTOL, atol: float = 0.0) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol,
                               atol=atol)


@dataclass
class Book:
    """One recalculated workbook: formula values by (sheet, cell), its named cells and the inputs it was given."""

    values: dict
    names: dict
    data: pd.DataFrame  # Data sheet as written: dates index, every column, NaN for missing
    inputs: dict
    ranges: dict        # named input ranges (PortfolioWeights): their values row by row

    def cell(self, sheet: str, ref: str):
        return self.values[(sheet, ref)]

    def __getitem__(self, name: str):
        sheet, ref = self.names[name]
        return self.values.get((sheet, ref), self.inputs.get(name))

    def block(self, sheet: str, top_left: str, rows: int, cols: int) -> list[list]:
        col0, row0 = _col_index(top_left.rstrip("0123456789")), int(top_left.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        return [[self.values.get((sheet, f"{_col_letter(col0 + j)}{row0 + i}")) for j in range(cols)]
                for i in range(rows)]

    def column(self, sheet: str, letter: str, first: int, last: int) -> list:
        return [self.values.get((sheet, f"{letter}{r}")) for r in range(first, last + 1)]


def _col_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index


def _col_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _read(path) -> tuple[dict, pd.DataFrame, dict, dict]:
    wb = load_workbook(path)
    names = {}
    for name, defined in wb.defined_names.items():
        ((sheet, ref),) = list(defined.destinations)
        names[name] = (sheet, ref.replace("$", ""))
    ws = wb["Data"]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, max_row=CAPACITY + 1, values_only=True))
    frame = pd.DataFrame([[v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan for v in r[1:]]
                          for r in rows], columns=header[1:], dtype=float)
    frame.index = [r[0] for r in rows]
    inputs = {n: wb[s][r].value for n, (s, r) in names.items() if ":" not in r and not _is_formula(wb[s][r].value)}
    ranges = {}
    for name in INPUT_RANGES:
        sheet, ref = names[name]
        c1, r1, c2, r2 = range_boundaries(ref)
        ranges[name] = [wb[sheet].cell(row=r, column=c).value for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return names, frame, inputs, ranges


def _is_formula(value) -> bool:
    return not isinstance(value, (int, float, str)) or (isinstance(value, str) and value.startswith("="))


def _recalculate(path, extension_dir) -> Book:
    names, data, inputs, ranges = _read(path)
    values = recalc.recalculate(path, extension_dir=extension_dir, timeout=300)
    return Book(values, names, data, inputs, ranges)


@pytest.fixture(scope="module")
def shipped(extension_dir) -> Book:
    return _recalculate(COMMITTED, extension_dir)


EDITED_INPUTS = {"AssetName": "Hlth", "FactorName": "SMB", "CovType": "HAC", "Position": -500_000,
                 "TargetShare": 0.9, "VolBudget": 250_000, "Horizon": "year", "PeriodsPerYear": 12,
                 "BookCapital": 10_000_000}
BLANK_ROW, TEXT_ROW = 10, 20  # Data rows of the pasted history: a blank Hlth, a text SMB
#: Long-short portfolio weights of the edit (they add up to 1; three zeros).
EDITED_WEIGHTS = [0.3, -0.1, 0.2, 0.1, 0.0, 0.25, 0.05, 0.1, -0.05, 0.15, 0.0, 0.0]


@pytest.fixture(scope="module")
def edited(extension_dir, tmp_path_factory) -> Book:
    """A user's edit: clear Data, paste 1990-01..2017-03 from row 2 (one blank, one text cell), change every input."""
    wb = load_workbook(COMMITTED)
    ws = wb["Data"]
    history = [row for row in ws.iter_rows(min_row=2, max_row=ws.max_row, values_only=True)
               if row[0].year >= 1990]
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in row:
            cell.value = None
    for i, values in enumerate(history):
        for j, value in enumerate(values):
            ws.cell(row=2 + i, column=1 + j, value=value)
    header = [c.value for c in ws[1]]
    ws.cell(row=BLANK_ROW, column=header.index("Hlth") + 1).value = None
    ws.cell(row=TEXT_ROW, column=header.index("SMB") + 1, value="n/a")
    for name, value in EDITED_INPUTS.items():
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "")].value = value
    ((sheet, ref),) = list(wb.defined_names["PortfolioWeights"].destinations)
    (row,) = wb[sheet][ref.replace("$", "")]
    for cell, weight in zip(row, EDITED_WEIGHTS, strict=True):
        cell.value = weight
    path = tmp_path_factory.mktemp("edited") / "edited.xlsx"
    wb.save(path)
    return _recalculate(path, extension_dir)


# ---------------------------------------------------------------- the reference model


@dataclass
class Reference:
    y: pd.Series        # asset excess return on the rows used
    f: pd.Series        # factor return on the same rows
    fit: object         # statsmodels OLS result
    rows: np.ndarray    # Data row positions (0-based from row 2) used


def reference(book: Book) -> Reference:
    data = book.data
    asset, factor = book["AssetName"], book["FactorName"]
    y_all = data[asset] - data["RF"]
    f_all = data[factor]
    used = np.flatnonzero(y_all.notna().to_numpy() & f_all.notna().to_numpy())
    y, f = y_all.iloc[used].reset_index(drop=True), f_all.iloc[used].reset_index(drop=True)
    cov_type = book["CovType"]
    kwargs = {}
    if cov_type == "HAC":
        kwargs = {"cov_kwds": {"maxlags": math.floor(4 * (len(y) / 100) ** (2 / 9))}}
    fit = sm.OLS(y.to_numpy(), sm.add_constant(f.to_numpy())).fit(cov_type=cov_type, **kwargs)
    return Reference(y, f, fit, used)


def variances(ref: Reference) -> tuple[float, float, float]:
    total = np.var(ref.y, ddof=1)
    factor = ref.fit.params[1] ** 2 * np.var(ref.f, ddof=1)
    idio = np.var(ref.fit.resid, ddof=1)
    return total, factor, idio


# ---------------------------------------------------------------- checks shared by both runs


def check_no_error_cells(book: Book) -> None:
    errors = {k: v for k, v in book.values.items()
              if isinstance(v, str) and (v.startswith("#") or v.startswith("Err:"))}
    assert not errors, list(errors.items())[:10]


def check_regression(book: Book) -> None:
    ref = reference(book)
    fit = ref.fit
    table = book.block("Regression", "A9", 12, 7)
    assert table[0][1:] == ["coef", "std_err", "t", "p_value", "ci_low", "ci_high"]
    assert [table[1][0], table[2][0]] == ["alpha", book["FactorName"]]
    ci = fit.conf_int()
    close(np.array([r[1:] for r in table[1:3]], dtype=float),
          np.column_stack([fit.params, fit.bse, fit.tvalues, fit.pvalues, ci[:, 0], ci[:, 1]]))
    assert [r[0] for r in table[4:]] == ["r_squared", "adj_r_squared", "f_stat", "f_p_value", "n_obs", "resid_var",
                                         "s2", "durbin_watson"]
    close([r[1] for r in table[4:]],
          [fit.rsquared, fit.rsquared_adj, fit.fvalue, fit.f_pvalue, fit.nobs, np.var(fit.resid, ddof=1),
           fit.scale, durbin_watson(fit.resid)])
    total, factor, idio = variances(ref)
    decomposition = book.block("Regression", "A23", 2, 5)
    assert decomposition[0] == ["asset", "total_var", "factor_var", "idio_var", "factor_share"]
    assert decomposition[1][0] == book["AssetName"]
    close(decomposition[1][1:], [total, factor, idio, factor / total])
    close([book["Alpha"], book["Beta"], book["TotalVar"], book["IdioVar"]], [fit.params[0], fit.params[1], total, idio])


def check_series(book: Book) -> None:
    """The picked series, FM_TRACKING and FM_HEDGED: one row per Data row, blank where a row was dropped."""
    ref = reference(book)
    alpha, beta = ref.fit.params
    last = SERIES_FIRST + CAPACITY - 1
    tracking = book.column("Hedging", "P", SERIES_FIRST, last)
    hedged = book.column("Hedging", "Q", SERIES_FIRST, last)
    used = set(ref.rows.tolist())
    assert all(tracking[i] == "" and hedged[i] == "" for i in range(CAPACITY) if i not in used)
    close([tracking[i] for i in ref.rows], beta * ref.f)
    close([hedged[i] for i in ref.rows], ref.y - beta * ref.f)
    close(book.cell("Hedging", "B23"), alpha)  # mean of the hedged series = alpha
    assert book.cell("Hedging", "C24") == "OK"
    # Growth of 1 at the last dated row: missing returns count as zero.
    last_row = SERIES_FIRST + int(np.flatnonzero(pd.notna(book.data.index.to_series()).to_numpy())[-1])
    y_all = (book.data[book["AssetName"]] - book.data["RF"]).fillna(0.0).to_numpy()
    h_all = np.zeros(CAPACITY)
    h_all[ref.rows] = ref.y - beta * ref.f
    n = last_row - SERIES_FIRST + 1
    close(book.cell("Hedging", f"R{last_row}"), np.prod(1 + y_all[:n]))
    close(book.cell("Hedging", f"S{last_row}"), np.prod(1 + h_all[:n]))
    assert book.cell("Hedging", f"R{last_row + 1}") == ""


def check_hedging(book: Book) -> None:
    ref = reference(book)
    beta = ref.fit.params[1]
    position, share_limit = book["Position"], book["TargetShare"]
    total, factor, idio = variances(ref)
    share = factor / total
    close([book.cell("Hedging", "B8"), book["HedgeFull"], book["ShareBefore"]], [beta, -beta * position, share])
    close(book.cell("Hedging", "B12"), 0.0, atol=1e-12)
    if share > share_limit:
        c = math.sqrt(share_limit * idio / ((1 - share_limit) * factor))
        expected_hedge, expected_after = (c - 1) * beta * position, share_limit
    else:
        expected_hedge, expected_after = 0.0, share
    close(book["HedgeTarget"], expected_hedge, atol=1e-9 * abs(position))
    close(book["ShareAfter"], expected_after)
    assert [book.cell("Hedging", c) for c in ("C10", "C19", "C24")] == ["OK", "OK", "OK"]
    assert book.cell("Regression", "C26") == "OK" and book.cell("Sizing", "E6") == "OK"


def check_sizing(book: Book) -> None:
    ref = reference(book)
    alpha, beta = ref.fit.params
    total, _, idio = variances(ref)
    years = {"day": 1 / 252, "month": 1 / 12, "year": 1.0}[book["Horizon"]]
    periods_per_year = book["PeriodsPerYear"]
    horizon = years * periods_per_year
    budget = book["VolBudget"]
    close(book["HorizonPeriods"], horizon)
    assert book["DetectedPeriodsPerYear"] == 12
    unhedged, hedged = budget / math.sqrt(total * horizon), budget / math.sqrt(idio * horizon)
    close([book["SizeUnhedged"], book["SizeHedged"]], [unhedged, hedged])
    mean_f = ref.f.mean()
    for row, size in ((21, unhedged), (22, hedged)):
        close([book.cell("Sizing", f"C{row}"), book.cell("Sizing", f"D{row}")],
              [size * (beta * mean_f + alpha) * horizon, size * alpha * horizon])
        close(book.cell("Sizing", f"E{row}"), budget)
        assert book.cell("Sizing", f"G{row}") == "OK"
    close(book.cell("Sizing", "B23"), -beta * hedged)
    hedged_returns = ref.y - beta * ref.f
    asset = (book.data[book["AssetName"]] - book.data["RF"]).dropna()  # every row where the asset is present
    close([book["SharpeUnhedged"], book["SharpeHedged"]],
          [asset.mean() / asset.std(ddof=1) * math.sqrt(periods_per_year),
           hedged_returns.mean() / hedged_returns.std(ddof=1) * math.sqrt(periods_per_year)])


def check_sample_covariance(book: Book) -> np.ndarray:
    excess = book.data[ASSETS].sub(book.data["RF"], axis=0)
    complete = excess.dropna()
    sample = np.cov(complete.to_numpy(), rowvar=False)
    close(np.array(book.block("Covariance", "B26", 12, 12), dtype=float), sample)
    assert book.block("Covariance", "B10", 1, 12)[0] == ASSETS
    close([r[1] for r in book.block("Covariance", "A6", 2, 2)], [25, 78])
    return sample


# ---------------------------------------------------------------- MultiFactor: 12 industries on MktRF SMB HML


def _floats(block) -> np.ndarray:
    return np.array(block, dtype=float)


def balanced(book: Book) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Excess returns of every asset and the factors on the rows where all of them are present."""
    excess = book.data[ASSETS].sub(book.data["RF"], axis=0)
    factors = book.data[FACTORS]
    complete = excess.notna().all(axis=1) & factors.notna().all(axis=1)
    return excess[complete].reset_index(drop=True), factors[complete].reset_index(drop=True)


def first_pass(y: pd.DataFrame, f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """statsmodels OLS of every asset on the factors with a constant: alphas (N,), betas (N, K), residuals (T, N)."""
    x = sm.add_constant(f.to_numpy(), has_constant="add")
    fits = [sm.OLS(y[a].to_numpy(), x).fit() for a in y.columns]
    return (np.array([r.params[0] for r in fits]), np.array([r.params[1:] for r in fits]),
            np.column_stack([r.resid for r in fits]))


def linearmodels_fama_macbeth(y: pd.DataFrame, f: pd.DataFrame, **fit_kwargs):
    """linearmodels' panel FamaMacBeth of r_it on [1, beta_i], the betas from the statsmodels first pass."""
    _, betas, _ = first_pass(y, f)
    index = pd.MultiIndex.from_product([y.columns, range(len(y))], names=["entity", "time"])
    returns = pd.Series(y.to_numpy().T.ravel(), index=index, name="r")
    x = pd.DataFrame(np.repeat(np.column_stack([np.ones(len(betas)), betas]), len(y), axis=0), index=index,
                     columns=["const"] + FACTORS)
    return FamaMacBeth(returns, x).fit(**fit_kwargs)


def shanken(y: pd.DataFrame, f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Premia and Shanken (1992) standard errors by a direct two-pass numpy computation."""
    _, betas, resid = first_pass(y, f)
    n_obs = len(y)
    z = np.column_stack([np.ones(len(betas)), betas])
    a = np.linalg.inv(z.T @ z) @ z.T
    premia = (y.to_numpy() @ a.T).mean(axis=0)
    sigma_e = np.cov(resid, rowvar=False, ddof=1)
    sigma_f = np.cov(f.to_numpy(), rowvar=False, ddof=1)
    c = premia[1:] @ np.linalg.solve(sigma_f, premia[1:])
    bordered = np.zeros((len(premia), len(premia)))
    bordered[1:, 1:] = sigma_f
    return premia, np.sqrt(np.diag(((1 + c) * a @ sigma_e @ a.T + bordered) / n_obs))


def check_multifactor_computes(book: Book) -> None:
    """Every formula cell of MultiFactor computed: labels where labels belong, numbers in every value cell."""
    cells = {ref: v for (sheet, ref), v in book.values.items() if sheet == "MultiFactor"}
    assert len(cells) > 300
    errors = {ref: v for ref, v in cells.items() if isinstance(v, str) and (v.startswith("#") or v.startswith("Err:"))}
    assert not errors, list(errors.items())[:10]
    blocks = ((MF_BETA, 12, 3), ("G11", 12, 4), ("B27", 4, 7), ("B39", 4, 7), ("B51", 4, 1), ("B58", 6, 3),
              ("B66", 12, 4))
    for top_left, rows, cols in blocks:
        values = book.block("MultiFactor", top_left, rows, cols)
        assert all(isinstance(v, float) and math.isfinite(v) for row in values for v in row), (top_left, values)
    assert book.block("MultiFactor", "B5", 1, 12)[0] == ASSETS
    assert [book.cell("MultiFactor", c) for c in ("C80", "C81")] == ["OK", "OK"]


def check_first_pass(book: Book) -> None:
    """FM_BETA and FM_VARDECOMP of every asset on the three factors, each on the rows it and the factors have."""
    betas, decomposition = [], []
    for asset in ASSETS:
        frame = pd.concat([book.data[asset] - book.data["RF"], book.data[FACTORS]], axis=1).dropna()
        y, f = frame.iloc[:, 0].to_numpy(), frame[FACTORS].to_numpy()
        fit = sm.OLS(y, sm.add_constant(f)).fit()
        b = fit.params[1:]
        factor_var = b @ np.cov(f, rowvar=False, ddof=1) @ b
        total, idio = np.var(y, ddof=1), np.var(fit.resid, ddof=1)
        betas.append(b)
        decomposition.append([total, factor_var, idio, factor_var / total])
    close(_floats(book.block("MultiFactor", MF_BETA, 12, 3)), np.array(betas))
    assert book.block("MultiFactor", "B10", 1, 3)[0] == FACTORS  # labels of the FM_BETA block, from the Data headers
    assert book.column("MultiFactor", "A", 11, 22) == ASSETS
    table = book.block("MultiFactor", MF_VARDECOMP, 13, 5)
    assert table[0] == ["asset", "total_var", "factor_var", "idio_var", "factor_share"]
    assert [r[0] for r in table[1:]] == ASSETS
    close(_floats([r[1:] for r in table[1:]]), np.array(decomposition))


def check_fama_macbeth(book: Book) -> None:
    y, f = balanced(book)
    n_obs = len(y)
    lags = math.floor(4 * (n_obs / 100) ** (2 / 9))
    premia, shanken_se = shanken(y, f)
    for top_left, kwargs, hac_lags in ((MF_FM, {}, ""),
                                       (MF_FM_KERNEL, {"cov_type": "kernel", "kernel": "bartlett",
                                                       "bandwidth": lags}, float(lags))):
        table = book.block("MultiFactor", top_left, 10, 8)
        assert table[0] == ["", "premium", "std_err", "t", "p_value", "shanken_se", "shanken_t", "shanken_p"]
        assert [r[0] for r in table[1:5]] == ["const"] + FACTORS and table[5] == [""] * 8
        assert [r[0] for r in table[6:]] == ["mean_r2", "n_periods", "n_assets", "hac_lags"]
        got = _floats([r[1:] for r in table[1:5]])
        ref = linearmodels_fama_macbeth(y, f, **kwargs)
        close(got[:, 0], ref.params)
        close(got[:, 1], ref.std_errors)
        close(got[:, 2], ref.tstats)
        close(got[:, 3], ref.pvalues)  # Student t with T - 1 degrees of freedom in both
        close(got[:, 0], premia)
        close(got[:, 4], shanken_se)
        close(got[:, 5], premia / shanken_se)
        close(got[:, 6], 2 * stats.t.sf(np.abs(premia / shanken_se), n_obs - 1))
        close(table[6][1], ref.avg_rsquared)
        assert [table[7][1], table[8][1], table[9][1]] == [n_obs, 12, hac_lags]
    close([book.cell("MultiFactor", f"J{r}") for r in range(27, 31)], premia * book["PeriodsPerYear"])


def check_grs(book: Book) -> None:
    y, f = balanced(book)
    n_obs, n_assets, k = len(y), y.shape[1], f.shape[1]
    alphas, _, resid = first_pass(y, f)
    sigma = resid.T @ resid / (n_obs - k - 1)
    mu = f.to_numpy().mean(axis=0)
    omega = np.cov(f.to_numpy(), rowvar=False, ddof=0)
    f_stat = ((n_obs / n_assets) * ((n_obs - n_assets - k) / (n_obs - k - 1))
              * (alphas @ np.linalg.solve(sigma, alphas)) / (1 + mu @ np.linalg.solve(omega, mu)))
    table = book.block("MultiFactor", MF_GRS, 5, 2)
    assert table[0] == ["", "value"] and [r[0] for r in table[1:]] == ["f_stat", "df_num", "df_den", "p_value"]
    close([r[1] for r in table[1:]], [f_stat, n_assets, n_obs - n_assets - k,
                                      stats.f.sf(f_stat, n_assets, n_obs - n_assets - k)])
    close([book["GRSStat"], book["GRSPValue"]], [table[1][1], table[4][1]], rtol=0)


def check_risk_contributions(book: Book) -> None:
    """Under B Sigma_f B' + D: B and D from each asset's own rows, Sigma_f (ddof 1) from every row with all factors."""
    w = np.array(book.ranges["PortfolioWeights"], dtype=float)
    factors = book.data[FACTORS].dropna()
    sigma_f = np.cov(factors.to_numpy(), rowvar=False, ddof=1)
    betas, idio = [], []
    for asset in ASSETS:
        frame = pd.concat([book.data[asset] - book.data["RF"], book.data[FACTORS]], axis=1).dropna()
        fit = sm.OLS(frame.iloc[:, 0].to_numpy(), sm.add_constant(frame[FACTORS].to_numpy())).fit()
        betas.append(fit.params[1:])
        idio.append(np.var(fit.resid, ddof=1))
    b, d = np.array(betas), np.array(idio)
    covariance = b @ sigma_f @ b.T + np.diag(d)
    total_var = w @ covariance @ w
    total_vol = math.sqrt(total_var)
    exposure = b.T @ w
    factor_var = exposure * (sigma_f @ exposure)
    specific_var = w * w @ d
    mcr = covariance @ w / total_vol

    table = book.block("MultiFactor", MF_RISK, 21, 5)
    assert table[0] == ["source", "var_contrib", "vol_contrib", "pct_contrib", ""]
    assert [r[0] for r in table[1:7]] == FACTORS + ["systematic", "specific", "total"]
    sources = _floats([r[1:4] for r in table[1:7]])
    close(sources[:, 0], [*factor_var, factor_var.sum(), specific_var, total_var])
    close(sources[:, 1], sources[:, 0] / total_vol)
    close(sources[5, 1], total_vol)                               # the total volatility
    close(sources[[0, 1, 2, 4], 2].sum(), 1.0)                    # factors + specific: the percent column adds up
    close(sources[5, 2], 1.0)
    assert table[8] == ["asset", "weight", "mcr", "vol_contrib", "pct_contrib"]
    assert [r[0] for r in table[9:]] == ASSETS
    assets = _floats([r[1:] for r in table[9:]])
    close(assets[:, 0], w)
    close(assets[:, 1], mcr)
    close(assets[:, 2], w * mcr)
    close(assets[:, 3].sum(), 1.0)                                # the assets' percent column adds up too
    close(assets[:, 2].sum(), total_vol)
    close([book["PortfolioVar"], book["PortfolioVol"], book["SystematicShare"]],
          [total_var, total_vol, factor_var.sum() / total_var])
    close(book.cell("MultiFactor", "B79"), total_vol * math.sqrt(book["PeriodsPerYear"]))


# ---------------------------------------------------------------- Book: a book of positions, its hedges and risks

#: Book blocks (top-left cell of each array range, header row included; xl_factor/templates/layout.py).
BK_HEDGE, BK_INSTRUMENT, BK_ACTIVE, BK_SHOCKS, BK_SCENARIO, BK_STRESS = "A15", "F15", "A30", "A59", "A66", "A85"


def book_model(book: Book):
    """B, alpha and D of every asset on its own rows (statsmodels), Sigma_f (ddof 1) from the rows with all factors."""
    factors = book.data[FACTORS].dropna()
    sigma_f = np.cov(factors.to_numpy(), rowvar=False, ddof=1)
    alphas, betas, idio = [], [], []
    for asset in ASSETS:
        frame = pd.concat([book.data[asset] - book.data["RF"], book.data[FACTORS]], axis=1).dropna()
        fit = sm.OLS(frame.iloc[:, 0].to_numpy(), sm.add_constant(frame[FACTORS].to_numpy())).fit()
        alphas.append(fit.params[0])
        betas.append(fit.params[1:])
        idio.append(np.var(fit.resid, ddof=1))
    return np.array(alphas), np.array(betas), sigma_f, np.array(idio)


def check_book(book: Book) -> None:
    """Every Book block against numpy / statsmodels on the factor model B Sigma_f B' + D and the realised P&L."""
    cells = {ref: v for (sheet, ref), v in book.values.items() if sheet == "Book"}
    assert len(cells) > 250
    w = np.array(book.ranges["BookPositions"], dtype=float)
    assert book.block("Book", "B5", 1, 12)[0] == ASSETS
    alpha, b, sigma_f, d = book_model(book)
    omega = b @ sigma_f @ b.T + np.diag(d)
    ppy = book["PeriodsPerYear"]

    # The hedge in the factors: -B'w, the vol before and after (the specific risk), the share removed.
    exposure = b.T @ w
    vol_before, vol_after = math.sqrt(w @ omega @ w), math.sqrt(w * w @ d)
    table = book.block("Book", BK_HEDGE, 8, 4)
    assert table[0] == ["factor", "exposure", "hedge", "exposure_after"] and [r[0] for r in table[1:4]] == FACTORS
    close(_floats([r[1:3] for r in table[1:4]]), np.column_stack([exposure, -exposure]))
    close(_floats([r[3] for r in table[1:4]]), np.zeros(3), atol=1e-6)
    assert [r[0] for r in table[5:]] == ["vol_before", "vol_after", "share_removed"]
    close([r[1] for r in table[5:]], [vol_before, vol_after, 1 - vol_after ** 2 / vol_before ** 2])
    close([book["BookVolBefore"], book["BookVolAfter"]], np.array([vol_before, vol_after]) * math.sqrt(ppy))
    close(book["BookShareRemoved"], 1 - vol_after ** 2 / vol_before ** 2)

    # The hedge in the MktRF column as an instrument: OLS of the realised P&L w'r_t on MktRF.
    excess = book.data[ASSETS].sub(book.data["RF"], axis=0)
    market = book.data["MktRF"]
    rows = excess.notna().all(axis=1) & market.notna()
    pnl, m = excess[rows].to_numpy() @ w, market[rows].to_numpy()
    slope = sm.OLS(pnl, sm.add_constant(m)).fit()
    hedge = -slope.params[1]
    table = book.block("Book", BK_INSTRUMENT, 6, 2)
    assert table[0] == ["instrument", "hedge"] and table[1][0] == "MktRF"
    assert [r[0] for r in table[3:]] == ["vol_before", "vol_after", "share_removed"]
    close([r[1] for r in table[1:2] + table[3:]],
          [hedge, np.std(pnl, ddof=1), np.std(pnl + hedge * m, ddof=1), slope.rsquared])
    close(book["BookVolAfterInstrument"], np.std(pnl + hedge * m, ddof=1) * math.sqrt(ppy))
    after = exposure + np.array([hedge, 0, 0])
    close(_floats(book.block("Book", "J16", 3, 3)), np.column_stack([exposure, np.zeros(3), after]), atol=1e-6)
    assert book.cell("Book", "C27") == "OK"

    # Tracking error of w / capital against the equal-weight benchmark, per year.
    bench = np.full(12, 1 / 12)
    close(_floats(book.block("Book", "B8", 1, 12)), bench[None, :])
    active = w / book["BookCapital"] - bench
    te_var = active @ omega @ active
    te = math.sqrt(te_var)
    contrib = active * (omega @ active) / te
    table = book.block("Book", BK_ACTIVE, 24, 5)
    assert [r[0] for r in table[:5]] == ["tracking_error", "tracking_var", "factor_var", "specific_var",
                                         "factor_share"]
    x = b.T @ active
    close([r[1] for r in table[:5]], [te * math.sqrt(ppy), te_var * ppy, x @ sigma_f @ x * ppy,
                                      active * active @ d * ppy, x @ sigma_f @ x / te_var])
    assert table[6][:4] == ["factor", "active_exposure", "te_contrib", "pct_contrib"]
    close(_floats([r[1] for r in table[7:10]]), x)
    assert table[11] == ["asset", "active_weight", "mcte", "te_contrib", "pct_contrib"]
    assert [r[0] for r in table[12:]] == ASSETS
    assets = _floats([r[1:] for r in table[12:]])
    close(assets, np.column_stack([active, omega @ active / te * math.sqrt(ppy), contrib * math.sqrt(ppy),
                                   contrib / te]))
    close(book["TrackingError"], te * math.sqrt(ppy))
    order = np.argsort(-contrib, kind="stable")[:5]
    top = book.block("Book", "G31", 5, 4)
    assert [r[1] for r in top] == [ASSETS[i] for i in order]  # column G holds the ranks 1..5, constants
    close(_floats([r[2:] for r in top]), np.column_stack([contrib[order] * math.sqrt(ppy), contrib[order] / te]))
    assert [book.cell("Book", c) for c in ("C55", "C56")] == ["OK", "OK"]

    # Scenarios: w_i beta_i' s per asset, the book, alpha and specific volatility.
    shocks = book.block("Book", BK_SHOCKS, 4, 1)  # the factor names are formulas; the header and shocks are not
    assert [r[0] for r in shocks[1:]] == FACTORS
    s = np.array(book.ranges["BookShockValues"], dtype=float).reshape(3, 4)
    table = book.block("Book", BK_SCENARIO, 16, 5)
    assert table[0] == ["asset", "market -10%", "value +2%", "small caps -3%",
                        "crash: market -20%, size -5%, value +5%"]
    assert [r[0] for r in table[1:]] == ASSETS + ["book", "alpha", "specific_vol"]
    values = _floats([r[1:] for r in table[1:]])
    close(values[:12], w[:, None] * (b @ s))
    close(values[12], exposure @ s)
    close(values[13], np.full(4, w @ alpha))
    close(values[14], np.full(4, vol_after))

    # The 5 worst months of realised P&L on the rows where every asset and factor is present, replayed.
    complete = excess.notna().all(axis=1) & book.data[FACTORS].notna().all(axis=1)
    positions = np.flatnonzero(complete.to_numpy())
    realised = excess[complete].to_numpy() @ w
    worst = positions[np.argsort(realised, kind="stable")[:5]]
    f = book.data[FACTORS].to_numpy()[worst]
    table = book.block("Book", BK_STRESS, 6, 9)
    assert table[0][:8] == ["row", "realised", "factor_pnl", "alpha", "specific", *FACTORS]  # I: dates beside
    close([r[0] for r in table[1:]], worst + 1.0)
    got = _floats([r[1:8] for r in table[1:]])
    book_pnl = excess.to_numpy()[worst] @ w
    factor_pnl = f @ exposure
    close(got, np.column_stack([book_pnl, factor_pnl, np.full(5, w @ alpha), book_pnl - factor_pnl - w @ alpha,
                                f * exposure]))
    epoch = pd.Timestamp("1899-12-30")
    dates = [epoch + pd.Timedelta(days=r[8]) for r in table[1:]]
    assert dates == [pd.Timestamp(book.data.index[i]) for i in worst]
    close(book["BookWorstPnl"], book_pnl[0])


# ---------------------------------------------------------------- the shipped workbook


def test_shipped_workbook_has_no_error_cells(shipped):
    check_no_error_cells(shipped)
    assert shipped["AssetName"] == "NoDur" and shipped["FactorName"] == "MktRF"


def test_shipped_regression_matches_statsmodels(shipped):
    check_regression(shipped)
    assert shipped["NObs"] == 819


def test_shipped_series_match_numpy(shipped):
    check_series(shipped)


def test_shipped_hedges_and_risk_shares(shipped):
    check_hedging(shipped)


def test_shipped_sizes_pnl_and_sharpe(shipped):
    check_sizing(shipped)


def test_shipped_covariances_match_numpy(shipped):
    sample = check_sample_covariance(shipped)
    excess = shipped.data[ASSETS].sub(shipped.data["RF"], axis=0).dropna()
    f = shipped.data.loc[excess.index, "MktRF"].to_numpy()
    fits = [sm.OLS(excess[a].to_numpy(), sm.add_constant(f)).fit() for a in ASSETS]
    betas = np.array([fit.params[1] for fit in fits])
    idio = np.array([np.var(fit.resid, ddof=1) for fit in fits])
    implied = np.outer(betas, betas) * np.var(f, ddof=1) + np.diag(idio)
    close(np.array(shipped.block("Covariance", "B11", 12, 12), dtype=float), implied)
    close(np.array(shipped.block("Covariance", "B41", 12, 12), dtype=float), implied - sample,
          atol=1e-12)
    decomposition = shipped.block("Covariance", "A55", 13, 5)
    assert [r[0] for r in decomposition[1:]] == ASSETS
    total = excess.var(ddof=1).to_numpy()
    factor = betas ** 2 * np.var(f, ddof=1)
    close(np.array([r[1:] for r in decomposition[1:]], dtype=float),
          np.column_stack([total, factor, idio, factor / total]))


def test_shipped_multifactor_computes_without_error_cells(shipped):
    check_multifactor_computes(shipped)
    assert shipped.ranges["PortfolioWeights"] == [1 / 12] * 12


def test_shipped_multifactor_betas_and_variance_decomposition(shipped):
    check_first_pass(shipped)


def test_shipped_fama_macbeth_matches_linearmodels(shipped):
    check_fama_macbeth(shipped)
    assert shipped.cell("MultiFactor", "B33") == 819  # n_periods: every bundled month


def test_shipped_grs_matches_numpy(shipped):
    check_grs(shipped)


def test_shipped_risk_contributions_of_the_equal_weight_portfolio(shipped):
    check_risk_contributions(shipped)


def test_shipped_book_hedges_active_risk_scenarios_and_stress(shipped):
    check_book(shipped)
    assert shipped["BookCapital"] == 5_600_000 and sum(abs(p) for p in shipped.ranges["BookPositions"]) == 10_000_000
    assert shipped.cell("Book", "I86") == 32051  # the worst month: October 1987


# ---------------------------------------------------------------- a user's edit


def test_edited_workbook_has_no_error_cells(edited):
    check_no_error_cells(edited)


def test_edited_history_is_used_with_its_blank_and_text_cells(edited):
    months = int(pd.notna(edited.data.index.to_series()).sum())
    assert months == 327  # 1990-01 .. 2017-03
    assert edited["NObs"] == months - 2  # the blank Hlth row and the text SMB row are dropped
    assert edited.cell("Regression", f"S{BLANK_ROW + 2}") == ""
    assert edited.cell("Regression", f"T{TEXT_ROW + 2}") == ""


def test_edited_regression_with_hac_matches_statsmodels(edited):
    check_regression(edited)


def test_edited_series_match_numpy(edited):
    check_series(edited)


def test_edited_hedges_limit_above_the_share_leaves_the_position_unhedged(edited):
    check_hedging(edited)
    assert edited["ShareBefore"] < EDITED_INPUTS["TargetShare"]
    assert edited["HedgeTarget"] == 0


def test_edited_sizes_over_a_year(edited):
    check_sizing(edited)
    assert edited["HorizonPeriods"] == 12


def test_edited_sample_covariance_uses_complete_rows(edited):
    check_sample_covariance(edited)


def test_edited_multifactor_uses_the_rows_every_asset_and_factor_have(edited):
    check_multifactor_computes(edited)
    assert edited.ranges["PortfolioWeights"] == EDITED_WEIGHTS
    check_first_pass(edited)
    check_fama_macbeth(edited)
    assert edited.cell("MultiFactor", "B33") == 327 - 2  # the blank Hlth row and the text SMB row are dropped
    check_grs(edited)
    check_risk_contributions(edited)


def test_edited_book_with_cash_in_the_capital(edited):
    assert edited["BookCapital"] == 10_000_000
    check_book(edited)
