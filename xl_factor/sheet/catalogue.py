"""The one catalogue of FM_* functions: Excel name, arguments, defaults, help texts, and the call.

Every front door (xlwings, LibreOffice, the docs) is generated from
:data:`CATALOGUE`; :func:`call` is the single entry point that parses
Excel-shaped arguments, runs the function and turns any failure into one
``#FM!`` line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import betas as bt
from . import book as bk
from . import functions as fn
from . import model as md
from . import multifactor as mf
from ..core.errors import InvalidArgument
from .data_keys import is_reference, read_table
from .errors import error_line
from .failures import computing, finish
from .runtime import blas_threads_limited
from .units import check_stated_periods
from .values import Table, as_rows, is_missing_argument, parse_bool, parse_number, parse_numbers, parse_text

CATEGORY = "Factor Model"
REQUIRED = object()

# How each kind of argument is read from what the spreadsheet hands over.
_READERS: dict[str, Callable] = {
    "table": lambda v, a, d: read_table(v, a),  # a range, or the key of an FM_DATA cell
    "numbers": lambda v, a, d: parse_numbers(v, a),
    "number": lambda v, a, d: parse_number(v, a, None if d is REQUIRED else d, allow_missing=d is None),
    "text": lambda v, a, d: parse_text(v, a, None if d is REQUIRED else d),
    "bool": lambda v, a, d: parse_bool(v, a, d),
    "number_or_table": lambda v, a, d: _number_or_table(v, a),
    "ids": lambda v, a, d: md.parse_ids(v, a),
    "block": lambda v, a, d: as_rows(v, a),  # cells as given: the function reads its own labels
}


def _number_or_table(value, argument):
    if is_reference(value) or (
            isinstance(value, (tuple, list, np.ndarray)) and np.size(np.asarray(value, dtype=object)) > 1):
        return read_table(value, argument)
    return parse_number(value, argument)


@dataclass(frozen=True)
class Arg:
    """One argument: its name, what it reads as, its default (``REQUIRED`` if none) and help text."""

    name: str
    kind: str
    doc: str
    default: object = REQUIRED

    @property
    def optional(self) -> bool:
        return self.default is not REQUIRED


@dataclass(frozen=True)
class Function:
    """One worksheet function: Excel name, help text, arguments, implementation, result description."""

    name: str
    doc: str
    args: tuple[Arg, ...]
    impl: Callable = field(repr=False)
    returns: str = ""

    def parse(self, raw_args) -> list:
        if len(raw_args) > len(self.args):
            raise InvalidArgument(f"takes at most {len(self.args)} arguments, got {len(raw_args)}; remove the extra ones")
        padded = list(raw_args) + [None] * (len(self.args) - len(raw_args))
        parsed = []
        for arg, value in zip(self.args, padded):
            if arg.optional and arg.kind in ("table", "numbers", "number_or_table") and is_missing_argument(value):
                parsed.append(arg.default)
            else:
                parsed.append(_READERS[arg.kind](value, arg.name, arg.default))
        return parsed

    def check_periods_per_year(self, args: list) -> None:
        """A periods_per_year given against the dates of the data it annualises (:func:`check_stated_periods`)."""
        stated = next((v for a, v in zip(self.args, args) if a.name == "periods_per_year" and v is not None), None)
        if stated is not None:
            check_stated_periods(stated, [v for v in args if isinstance(v, Table)])


def call(name: str, *raw_args, runtime: str = "python"):
    """Run FM_* function ``name`` on Excel-shaped arguments.

    Returns the result as numbers, arrays or labelled object arrays, or a
    single ``#FM!`` line (a ``str``) when the function cannot answer.
    """
    function = BY_NAME[name]
    try:
        args = function.parse(raw_args)
        if function.name == "FM_INFO":
            return function.impl(runtime)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"), blas_threads_limited(), \
                computing(function.name):
            result = function.impl(*args)  # finish() refuses what overflowed
            function.check_periods_per_year(args)  # after the function's own checks: prices are named as prices
        return finish(function.name, result)
    except Exception as error:  # noqa: BLE001 - every failure becomes one cell line
        return error_line(function.name, error)


_ASSET = Arg("asset", "table", "Asset returns: one column per asset, one row per period; optional header row and date column.")
_FACTORS = Arg("factors", "table", "Factor returns: one column per factor; rows matched to asset by date when both have dates.")
_RETURNS = Arg("returns", "table", "Asset returns: one column per asset, one row per period; optional header row and date column.")
_PPY = Arg("periods_per_year", "number", "Periods per year to annualise (252 daily, 52 weekly, 12 monthly); empty: per period.", None)
_POSITION = Arg("position", "number", "Amount held in the asset, in currency units (negative for short).")
_TEST_ASSETS = Arg("returns", "table", "Test asset (excess) returns: one column per asset; rows where any asset or factor is missing are left out.")
_FACTOR_CHOICE = Arg("factor", "text", "Optional: one factor's label (as in the factors header; f1..fK without one): its betas only, T x N; empty: every factor.", "")
_MODEL_DIR = Arg("model_dir", "text", "Folder of the model (the --out of xl-factor model build) on this computer.")
_IDS = Arg("ids", "ids", "Security ids as in the model: a column or row of cells, text or whole numbers; a blank cell gives a blank slot.")
_POSITIONS = Arg("positions", "numbers", "Amounts held, 1 x N: one per asset column of returns, in currency (negative for short).")
_HORIZON = Arg("horizon_periods", "number", "Horizon in periods of the data (daily data: 1 day, 21 a month, 252 a year).", 1.0)

CATALOGUE: tuple[Function, ...] = (
    Function("FM_BETA", "Factor betas of each asset column: N x K (a number for one asset and one factor).",
             (_ASSET, _FACTORS, Arg("add_constant", "bool", "TRUE (default): regression with an intercept; FALSE: through the origin.", True)),
             fn.fm_beta, "N x K betas"),
    Function("FM_ALPHA", "Intercept (alpha) of each asset's factor regression, per period; annualised when periods_per_year is given.",
             (_ASSET, _FACTORS, _PPY), fn.fm_alpha, "N x 1 alphas"),
    Function("FM_REGRESS", "Full OLS statistics of one asset on the factors, as statsmodels gives them: coefficients, standard errors, t, p, 95% interval, R2, F, n, variances, Durbin-Watson.",
             (_ASSET, _FACTORS,
              Arg("cov_type", "text", "Standard errors: nonrobust (default), HC0, HC1, HC2, HC3 or HAC (Newey-West).", "nonrobust"),
              Arg("hac_lags", "number", "Lags for HAC; empty: floor(4 (T/100)^(2/9)).", None),
              Arg("add_constant", "bool", "TRUE (default): regression with an intercept; FALSE: through the origin "
                  "(no alpha row; R2 uncentred, as statsmodels).", True)),
             fn.fm_regress, "labelled coefficient table, a blank row, then fit statistics"),
    Function("FM_RESID", "Regression residuals r - alpha - beta' f: one row per input row, blank where a row was dropped.",
             (_ASSET, _FACTORS), fn.fm_resid, "T x N residuals"),
    Function("FM_TRACKING", "Tracking-portfolio returns beta' f (no alpha): one row per input row.",
             (_ASSET, _FACTORS), fn.fm_tracking, "T x N tracking returns"),
    Function("FM_HEDGED", "Hedged (portable-alpha) returns r - beta' f: one row per input row; their mean is alpha.",
             (_ASSET, _FACTORS), fn.fm_hedged, "T x N hedged returns"),
    Function("FM_HEDGE", "Amount to hold in each factor to hedge a position in one asset: -beta * position, or the hedge that brings the factor share down to target_share.",
             (_POSITION, _ASSET, _FACTORS,
              Arg("target_share", "number", "Factor share of variance to allow, 0 (full hedge, default) to below 1.", 0.0)),
             fn.fm_hedge, "1 x K hedge amounts (negative = short)"),
    Function("FM_SIZE", "Largest position whose volatility over the horizon equals the budget: vol_budget / sqrt(variance * horizon). Element-wise.",
             (Arg("vol_budget", "block", "Volatility budget in currency units (a number or a range); a cell without a number keeps its #FM! line."),
              Arg("variance", "block", "Per-period variance of the asset's returns: total (unhedged) or idio_var (hedged); a cell without a number keeps its #FM! line."),
              _HORIZON),
             fn.fm_size, "positions, shaped like the inputs"),
    Function("FM_VARDECOMP", "Variance decomposition per asset: total = beta' Sigma_f beta + idio, and the factor share; per period.",
             (_ASSET, _FACTORS), fn.fm_vardecomp, "labelled table: asset total_var factor_var idio_var factor_share"),
    Function("FM_RISKSHARE", "Factor share of each asset's variance; with hedge, the share of the hedged position.",
             (_ASSET, _FACTORS,
              Arg("hedge", "numbers", "Optional 1 x K units of each factor held per unit of the asset (e.g. minus the betas).", None)),
             fn.fm_riskshare, "N x 1 factor shares"),
    Function("FM_COVMAT", "Covariance of the asset columns: factor-implied B Sigma_f B' + diag(idio var), or sample.",
             (_RETURNS, _FACTORS,
              Arg("method", "text", "factor (default), sample or shrink (Ledoit-Wolf 2004: sample shrunk towards a scaled identity, ddof 1).", "factor"), _PPY),
             fn.fm_covmat, "N x N covariance"),
    Function("FM_CORRMAT", "Correlation of the asset columns: factor-implied or sample.",
             (_RETURNS, _FACTORS, Arg("method", "text", "factor (default), sample or shrink (Ledoit-Wolf).", "factor")),
             fn.fm_corrmat, "N x N correlation"),
    Function("FM_PARAMCOUNT", "Parameters to estimate: factor model N*K + N + K(K+1)/2 against unrestricted N(N+1)/2.",
             (Arg("n_assets", "number", "Number of assets N."),
              Arg("n_factors", "number", "Number of factors K (default 1).", 1.0)),
             fn.fm_paramcount, "labelled 2 x 2: factor_model, unrestricted"),
    Function("FM_EXCESS", "Returns minus the risk-free rate; keeps the date column and header.",
             (_RETURNS, Arg("rf", "number_or_table", "Risk-free rate per period of the returns: a number or a column (matched by date when both have dates, which must show the same frequency and the same days; a return without a rate is blank).")),
             fn.fm_excess, "excess returns, same layout as returns"),
    Function("FM_RETURNS", "Simple returns P_t / P_(t-1) - 1 from prices; one row fewer; keeps dates and header.",
             (Arg("prices", "table", "Prices: one column per asset, one row per period; optional header row and date column. A blank price, or a row without a date, blanks the returns across it; a zero or negative price fails its column alone. Ids in the header go in as text."),),
             fn.fm_returns, "returns, same layout as prices less one row"),
    Function("FM_SHARPE", "Sharpe ratio mean / standard deviation of each column; times sqrt(periods_per_year) when given.",
             (_RETURNS, _PPY), fn.fm_sharpe, "1 x N Sharpe ratios"),
    Function("FM_ANNUALIZE", "Annualise a per-period mean or variance (times P) or volatility (times sqrt P).",
             (Arg("value", "block", "Per-period value(s): a number or a range; a cell without a number keeps its #FM! line."),
              Arg("kind", "text", "mean, var or vol."),
              Arg("periods_per_year", "number", "Periods per year (252 daily, 52 weekly, 12 monthly).")),
             fn.fm_annualize, "annualised values, shaped like value"),
    Function("FM_PNL", "Expected P&L position * (beta' E[f] + alpha) * horizon, and the alpha-only P&L position * alpha * horizon.",
             (_POSITION, _ASSET, _FACTORS, _HORIZON), fn.fm_pnl, "1 x 2: expected, alpha-only"),
    Function("FM_DATA", "Keeps a data range in memory and shows a short key; give the key's cell wherever a data range "
             "is asked (asset, factors, returns, rf...), so a big range crosses from the sheet once however many cells use it.",
             (Arg("data", "table", "A data range as any FM_* function reads it: one column per series, optional header row and date column."),),
             fn.fm_data, "one text cell: the key"),
    Function("FM_INFO", "Versions of xl_factor and its numerical libraries, and the runtime that called it.",
             (), fn.fm_info, "labelled 6 x 2"),
    # Multi-factor asset pricing, statistical factors and risk attribution (xl_factor.sheet.multifactor).
    Function("FM_FAMAMACBETH", "Fama-MacBeth premia: full-sample betas, then one cross-sectional OLS with a constant per period; mean premia, FM std errors, t, p (t, T-1 df), Shanken-corrected ones beside, mean cross-sectional R2.",
             (_TEST_ASSETS, _FACTORS,
              Arg("cov_type", "text", "unadjusted (default): std dev of the period premia / sqrt(T); kernel (or HAC): Newey-West, Bartlett, floor(4 (T/100)^(2/9)) lags.", "unadjusted")),
             mf.fm_famamacbeth, "labelled table: premium std_err t p_value shanken_se shanken_t shanken_p per const and factor; a blank row; mean_r2 n_periods n_assets hac_lags"),
    Function("FM_GRS", "Gibbons-Ross-Shanken test that all alphas are 0: F = (T-N-K)/N * a' S^-1 a / (1 + m' W^-1 m), S residual and W factor covariance divided by T, m factor means; F ~ F(N, T-N-K).",
             (_TEST_ASSETS, _FACTORS), mf.fm_grs, "labelled: f_stat df_num df_den p_value"),
    Function("FM_PCA", "Principal components of the sample covariance (ddof 1) of the asset columns, largest first; each loading vector signed so its entries sum to a positive number. Factor returns = returns x loadings. Only the k components asked are computed.",
             (Arg("returns", "table", "Asset returns: a column per asset, a row per period; rows with a missing asset are left out (blank factor rows). A column with under half the longest's rows, or constant, fails alone in the loadings and refuses factors and explained."),
              Arg("k", "number", "Number of components, a whole number from 1 to N, and no more than the covariance holds (T - 1 for T complete rows, fewer when a column is a combination of others)."),
              Arg("output", "text", "loadings (N x k, default), factors (T x k factor returns, with the input's dates and header) or explained (1 x k share of variance).", "loadings")),
             mf.fm_pca, "N x k loadings, T x k factor returns or 1 x k explained shares"),
    Function("FM_ROLLING_BETA", "OLS betas (with a constant) of each asset over the last window periods, per period, on its own present rows: T x K for one asset, T x N*K (header asset:factor if they have one) for N, T x N for one factor. Equals RollingOLS; blank where a factor is flat.",
             (_ASSET, _FACTORS,
              Arg("window", "number", "Periods in each window: a whole number from K + 2 to the number of periods."),
              _FACTOR_CHOICE,
              Arg("min_nobs", "number", "Fewest present rows a window needs for a fit: K + 2 (default) to window.", None),
              Arg("expanding", "bool", "TRUE: before the window fills, fit on every period so far (from min_nobs rows); FALSE (default): blank.", False)),
             mf.fm_rolling_beta, "T x K betas (one asset), T x N*K (N assets) or T x N (one factor)"),
    Function("FM_EWMA_BETA", "Exponentially weighted betas: per period, least squares with a constant over all periods so far, weights 0.5^(age/halflife). T x K for one asset, T x N*K (header asset:factor if they have one) for N, T x N for one factor. Blank where a factor is flat.",
             (_ASSET, _FACTORS,
              Arg("halflife", "number", "Half-life in periods (positive): a period halflife periods old weighs half as much as the latest."),
              _FACTOR_CHOICE,
              Arg("min_nobs", "number", "Fewest present rows for a fit: K + 2 (default) to the number of periods.", None)),
             mf.fm_ewma_beta, "T x K betas (one asset), T x N*K (N assets) or T x N (one factor)"),
    Function("FM_ADJBETA", "Blume-adjusted beta weight * beta + (1 - weight), as the terminals quote it (0.67 * raw + 0.33). Element-wise; blanks stay blank.",
             (Arg("beta", "block", "Raw beta(s): a number or a range; a cell without a number keeps its #FM! line."),
              Arg("weight", "number", "Weight on the raw beta, from 0 to 1 (default 0.67).", 0.67)),
             mf.fm_adjbeta, "adjusted betas, shaped like beta"),
    Function("FM_RISKCONTRIB", "Risk of a portfolio under B Sigma_f B' + D: volatility, systematic/specific split, each factor's and the specific contribution to variance and volatility, per-asset marginal risk and contributions; shares add to 1.",
             (Arg("weights", "numbers", "Portfolio weights (or amounts), 1 x N: one per asset column of returns."),
              _RETURNS, _FACTORS),
             mf.fm_riskcontrib, "labelled: source var_contrib vol_contrib pct_contrib per factor, systematic, specific, total; a blank row; asset weight mcr vol_contrib pct_contrib"),
    # The desk's universe model, built by 'xl-factor model build' (xl_factor.sheet.model).
    Function("FM_MODEL", "Exposures of securities in a model built by xl-factor model build, in the order asked: betas (ids x K) or one field. Reads local files (Excel, LibreOffice; not xlwings Lite); rereads when the model changes.",
             (_MODEL_DIR, _IDS,
              Arg("field", "text", "betas (default), alpha, idio_var, total_var, r2 or n_obs; per period.", "betas")),
             md.fm_model, "ids x K betas, or ids x 1"),
    Function("FM_MODEL_COVMAT", "Covariance B Sigma_f B' + D of the securities asked, from a model built by xl-factor model build (never the whole N x N). Reads local files (Excel, LibreOffice; not xlwings Lite).",
             (_MODEL_DIR, _IDS, _PPY), md.fm_model_covmat, "ids x ids covariance"),
    # A book of positions (xl_factor.sheet.book) and better betas (xl_factor.sheet.betas).
    Function("FM_BOOKHEDGE", "Hedge of a book: amount of each factor for zero exposure (-B'w) or the smallest that brings the factor share down to target_share; with instruments, the min-variance hedge -Cov(i,i)^-1 Cov(i,book). Then vol before, after, share removed.",
             (_POSITIONS, _RETURNS, _FACTORS,
              Arg("target_share", "number", "Factor share of the book's variance to allow, 0 (factor-neutral, default) to below 1.", 0.0),
              Arg("instruments", "table", "Optional returns of tradable hedges (ETFs, futures), one column each, matched to returns by date: the hedge is in them, from the book's realised P&L.", None),
              _PPY),
             bk.fm_bookhedge, "labelled: factor exposure hedge exposure_after (or instrument hedge); a blank row; vol_before vol_after share_removed"),
    Function("FM_ACTIVERISK", "Tracking error of weights against benchmark_weights under B Sigma_f B' + D: factor and specific parts, each factor's contribution, per asset the marginal (MCTE) and percent contribution; annualised when asked.",
             (Arg("weights", "numbers", "Portfolio weights, 1 x N: one per asset column of returns."),
              Arg("benchmark_weights", "numbers", "Benchmark weights, 1 x N, in the same units as weights (gross sizes over 30 times apart are refused as percent against decimals)."),
              _RETURNS, _FACTORS, _PPY),
             bk.fm_activerisk, "labelled: tracking_error tracking_var factor_var specific_var factor_share; factor active_exposure te_contrib pct_contrib; asset active_weight mcte te_contrib pct_contrib"),
    Function("FM_SCENARIO", "P&L of each position and of the book for factor shocks: w_i beta_i' s per scenario, the book w' B s, and beside them the one-period alpha w' alpha and specific volatility sqrt(w' D w).",
             (_POSITIONS, _RETURNS, _FACTORS,
              Arg("shocks", "block", "Factor shocks in decimals: a row per factor (its name first, any order), a column per scenario, optional header of scenario names; a blank or missing factor is 0.")),
             bk.fm_scenario, "labelled: asset per scenario, then book alpha specific_vol"),
    Function("FM_STRESS", "The book's n_worst periods of realised P&L w' r_t, worst first and labelled by date, replayed through the model: factor P&L x' f_t, alpha w' alpha, specific rest, and each factor's part.",
             (_POSITIONS, _RETURNS, _FACTORS,
              Arg("n_worst", "number", "Number of worst periods to show (default 5).", 5.0)),
             bk.fm_stress, "labelled: date realised factor_pnl alpha specific and one column per factor, worst first"),
    Function("FM_DIMSONBETA", "Dimson (1979) betas for thin trading: the sum of the betas on f(t-L) .. f(t+L) from one OLS with a constant on the lagged, current and leading factors. N x K.",
             (_ASSET, _FACTORS,
              Arg("lags", "number", "Leads and lags L, a whole number from 1 (default 1) to (T - K - 2) / (2K + 2) for T periods of K factors: each lag adds K slopes and takes a period off each end.", 1.0)),
             bt.fm_dimsonbeta, "N x K betas"),
    Function("FM_SWBETA", "Scholes-Williams (1977) beta on one factor (the market): (b(t-1) + b(t) + b(t+1)) / (1 + 2 rho), each b a simple OLS slope and rho the market's first-order autocorrelation, all over the asset's own rows (it, m(t-1), m(t) and m(t+1) present).",
             (_ASSET, Arg("factors", "table", "One factor column (the market); rows matched to asset by date when both have dates.")),
             bt.fm_swbeta, "N x 1 betas"),
    Function("FM_VASICEKBETA", "Vasicek (1973) betas: each OLS beta shrunk towards the cross-sectional mean m, m + v / (v + se^2) (b - m), v the betas' cross-sectional variance, se its standard error. N x K.",
             (_ASSET, _FACTORS), bt.fm_vasicekbeta, "N x K betas"),
)

BY_NAME = {f.name: f for f in CATALOGUE}

__all__ = ["CATALOGUE", "BY_NAME", "CATEGORY", "Arg", "Function", "Table", "call"]
