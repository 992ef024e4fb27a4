"""The template workbook recalculated in headless LibreOffice with the add-in, against statsmodels and numpy.

Two runs: the committed workbook as shipped (NoDur on MktRF, the full
bundled history), and a copy edited the way a user would: a shorter history
pasted from row 2 with a blank and a text cell in it, another asset and
factor, HAC standard errors, a short position, a limit above the factor
share and a one-year horizon. Every formula cell must compute (no error
cell, no ``#FM!`` line) and the key numbers must equal statsmodels / numpy
on the same data to 1e-9 relative.

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

from conftest import require
import statsmodels.api as sm
from openpyxl import load_workbook
from statsmodels.stats.stattools import durbin_watson

from xl_factor.libreoffice import install, office, recalc

COMMITTED = Path(__file__).resolve().parents[1] / "workbook_templates" / "factor_hedging.xlsx"

RTOL = 1e-9
ASSETS = ["NoDur", "Durbl", "Manuf", "Enrgy", "Chems", "BusEq", "Telcm", "Utils", "Shops", "Hlth", "Money", "Other"]
CAPACITY = 5000
SERIES_FIRST = 4  # first period row of the series blocks on Regression and Hedging



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


def _read(path) -> tuple[dict, pd.DataFrame, dict]:
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
    return names, frame, inputs


def _is_formula(value) -> bool:
    return not isinstance(value, (int, float, str)) or (isinstance(value, str) and value.startswith("="))


def _recalculate(path, extension_dir) -> Book:
    names, data, inputs = _read(path)
    values = recalc.recalculate(path, extension_dir=extension_dir, timeout=300)
    return Book(values, names, data, inputs)


@pytest.fixture(scope="module")
def extension_dir(tmp_path_factory):
    require(office.libreoffice_available(), "LibreOffice with Python UNO")
    folder = tmp_path_factory.mktemp("lo_extensions")
    install.install("private", folder)
    return folder


@pytest.fixture(scope="module")
def shipped(extension_dir) -> Book:
    return _recalculate(COMMITTED, extension_dir)


EDITED_INPUTS = {"AssetName": "Hlth", "FactorName": "SMB", "CovType": "HAC", "Position": -500_000,
                 "TargetShare": 0.9, "VolBudget": 250_000, "Horizon": "year", "PeriodsPerYear": 12}
BLANK_ROW, TEXT_ROW = 10, 20  # Data rows of the pasted history: a blank Hlth, a text SMB


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
