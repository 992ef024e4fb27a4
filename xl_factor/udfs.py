"""xlwings front door: the FM_* worksheet functions for Excel.

GENERATED from xl_factor.sheet.catalogue by xl_factor.frontdoors.xlwings_module;
do not edit. Set "UDF MODULES" to xl_factor.udfs and import the functions.
"""

import xlwings as xw

from xl_factor.sheet.catalogue import call
from xl_factor.sheet.cells import as_cells


def _run(name, *args):
    return as_cells(call(name, *args, runtime="xlwings " + xw.__version__), blank="")



@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('add_constant', 'raw', doc='TRUE (default): regression with an intercept; FALSE: through the origin.')
@xw.ret('raw')
def FM_BETA(asset, factors, add_constant=True):
    'Factor betas of each asset column: N x K (a number for one asset and one factor).'
    return _run('FM_BETA', asset, factors, add_constant)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('periods_per_year', 'raw', doc='Periods per year to annualise (252 daily, 52 weekly, 12 monthly); empty: per period.')
@xw.ret('raw')
def FM_ALPHA(asset, factors, periods_per_year=None):
    "Intercept (alpha) of each asset's factor regression, per period; annualised when periods_per_year is given."
    return _run('FM_ALPHA', asset, factors, periods_per_year)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('cov_type', 'raw', doc='Standard errors: nonrobust (default), HC0, HC1, HC2, HC3 or HAC (Newey-West).')
@xw.arg('hac_lags', 'raw', doc='Lags for HAC; empty: floor(4 (T/100)^(2/9)).')
@xw.arg('add_constant', 'raw', doc='TRUE (default): regression with an intercept; FALSE: through the origin (no alpha row; R2 uncentred, as statsmodels).')
@xw.ret('raw')
def FM_REGRESS(asset, factors, cov_type='nonrobust', hac_lags=None, add_constant=True):
    'Full OLS statistics of one asset on the factors, as statsmodels gives them: coefficients, standard errors, t, p, 95% interval, R2, F, n, variances, Durbin-Watson.'
    return _run('FM_REGRESS', asset, factors, cov_type, hac_lags, add_constant)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.ret('raw')
def FM_RESID(asset, factors):
    "Regression residuals r - alpha - beta' f: one row per input row, blank where a row was dropped."
    return _run('FM_RESID', asset, factors)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.ret('raw')
def FM_TRACKING(asset, factors):
    "Tracking-portfolio returns beta' f (no alpha): one row per input row."
    return _run('FM_TRACKING', asset, factors)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.ret('raw')
def FM_HEDGED(asset, factors):
    "Hedged (portable-alpha) returns r - beta' f: one row per input row; their mean is alpha."
    return _run('FM_HEDGED', asset, factors)


@xw.func(category='Factor Model')
@xw.arg('position', 'raw', doc='Amount held in the asset, in currency units (negative for short).')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('target_share', 'raw', doc='Factor share of variance to allow, 0 (full hedge, default) to below 1.')
@xw.ret('raw')
def FM_HEDGE(position, asset, factors, target_share=0.0):
    'Amount to hold in each factor to hedge a position in one asset: -beta * position, or the hedge that brings the factor share down to target_share.'
    return _run('FM_HEDGE', position, asset, factors, target_share)


@xw.func(category='Factor Model')
@xw.arg('vol_budget', 'raw', doc='Volatility budget in currency units (a number or a range); a cell without a number keeps its #FM! line.')
@xw.arg('variance', 'raw', doc="Per-period variance of the asset's returns: total (unhedged) or idio_var (hedged); a cell without a number keeps its #FM! line.")
@xw.arg('horizon_periods', 'raw', doc='Horizon in periods of the data (daily data: 1 day, 21 a month, 252 a year).')
@xw.ret('raw')
def FM_SIZE(vol_budget, variance, horizon_periods=1.0):
    'Largest position whose volatility over the horizon equals the budget: vol_budget / sqrt(variance * horizon). Element-wise.'
    return _run('FM_SIZE', vol_budget, variance, horizon_periods)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.ret('raw')
def FM_VARDECOMP(asset, factors):
    "Variance decomposition per asset: total = beta' Sigma_f beta + idio, and the factor share; per period."
    return _run('FM_VARDECOMP', asset, factors)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('hedge', 'raw', doc='Optional 1 x K units of each factor held per unit of the asset (e.g. minus the betas).')
@xw.ret('raw')
def FM_RISKSHARE(asset, factors, hedge=None):
    "Factor share of each asset's variance; with hedge, the share of the hedged position."
    return _run('FM_RISKSHARE', asset, factors, hedge)


@xw.func(category='Factor Model')
@xw.arg('returns', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('method', 'raw', doc='factor (default), sample or shrink (Ledoit-Wolf 2004: sample shrunk towards a scaled identity, ddof 1).')
@xw.arg('periods_per_year', 'raw', doc='Periods per year to annualise (252 daily, 52 weekly, 12 monthly); empty: per period.')
@xw.ret('raw')
def FM_COVMAT(returns, factors, method='factor', periods_per_year=None):
    "Covariance of the asset columns: factor-implied B Sigma_f B' + diag(idio var), or sample."
    return _run('FM_COVMAT', returns, factors, method, periods_per_year)


@xw.func(category='Factor Model')
@xw.arg('returns', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('method', 'raw', doc='factor (default), sample or shrink (Ledoit-Wolf).')
@xw.ret('raw')
def FM_CORRMAT(returns, factors, method='factor'):
    'Correlation of the asset columns: factor-implied or sample.'
    return _run('FM_CORRMAT', returns, factors, method)


@xw.func(category='Factor Model')
@xw.arg('n_assets', 'raw', doc='Number of assets N.')
@xw.arg('n_factors', 'raw', doc='Number of factors K (default 1).')
@xw.ret('raw')
def FM_PARAMCOUNT(n_assets, n_factors=1.0):
    'Parameters to estimate: factor model N*K + N + K(K+1)/2 against unrestricted N(N+1)/2.'
    return _run('FM_PARAMCOUNT', n_assets, n_factors)


@xw.func(category='Factor Model')
@xw.arg('returns', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('rf', 'raw', doc='Risk-free rate per period of the returns: a number or a column (matched by date when both have dates, which must show the same frequency and the same days; a return without a rate is blank).')
@xw.ret('raw')
def FM_EXCESS(returns, rf):
    'Returns minus the risk-free rate; keeps the date column and header.'
    return _run('FM_EXCESS', returns, rf)


@xw.func(category='Factor Model')
@xw.arg('prices', 'raw', doc='Prices: one column per asset, one row per period; optional header row and date column. A blank price, or a row without a date, blanks the returns across it; a zero or negative price fails its column alone. Ids in the header go in as text.')
@xw.ret('raw')
def FM_RETURNS(prices):
    'Simple returns P_t / P_(t-1) - 1 from prices; one row fewer; keeps dates and header.'
    return _run('FM_RETURNS', prices)


@xw.func(category='Factor Model')
@xw.arg('returns', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('periods_per_year', 'raw', doc='Periods per year to annualise (252 daily, 52 weekly, 12 monthly); empty: per period.')
@xw.ret('raw')
def FM_SHARPE(returns, periods_per_year=None):
    'Sharpe ratio mean / standard deviation of each column; times sqrt(periods_per_year) when given.'
    return _run('FM_SHARPE', returns, periods_per_year)


@xw.func(category='Factor Model')
@xw.arg('value', 'raw', doc='Per-period value(s): a number or a range; a cell without a number keeps its #FM! line.')
@xw.arg('kind', 'raw', doc='mean, var or vol.')
@xw.arg('periods_per_year', 'raw', doc='Periods per year (252 daily, 52 weekly, 12 monthly).')
@xw.ret('raw')
def FM_ANNUALIZE(value, kind, periods_per_year):
    'Annualise a per-period mean or variance (times P) or volatility (times sqrt P).'
    return _run('FM_ANNUALIZE', value, kind, periods_per_year)


@xw.func(category='Factor Model')
@xw.arg('position', 'raw', doc='Amount held in the asset, in currency units (negative for short).')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('horizon_periods', 'raw', doc='Horizon in periods of the data (daily data: 1 day, 21 a month, 252 a year).')
@xw.ret('raw')
def FM_PNL(position, asset, factors, horizon_periods=1.0):
    "Expected P&L position * (beta' E[f] + alpha) * horizon, and the alpha-only P&L position * alpha * horizon."
    return _run('FM_PNL', position, asset, factors, horizon_periods)


@xw.func(category='Factor Model')
@xw.arg('data', 'raw', doc='A data range as any FM_* function reads it: one column per series, optional header row and date column.')
@xw.ret('raw')
def FM_DATA(data):
    "Keeps a data range in memory and shows a short key; give the key's cell wherever a data range is asked (asset, factors, returns, rf...), so a big range crosses from the sheet once however many cells use it."
    return _run('FM_DATA', data)


@xw.func(category='Factor Model')
@xw.ret('raw')
def FM_INFO():
    'Versions of xl_factor and its numerical libraries, and the runtime that called it.'
    return _run('FM_INFO')


@xw.func(category='Factor Model')
@xw.arg('returns', 'raw', doc='Test asset (excess) returns: one column per asset; rows where any asset or factor is missing are left out.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('cov_type', 'raw', doc='unadjusted (default): std dev of the period premia / sqrt(T); kernel (or HAC): Newey-West, Bartlett, floor(4 (T/100)^(2/9)) lags.')
@xw.ret('raw')
def FM_FAMAMACBETH(returns, factors, cov_type='unadjusted'):
    'Fama-MacBeth premia: full-sample betas, then one cross-sectional OLS with a constant per period; mean premia, FM std errors, t, p (t, T-1 df), Shanken-corrected ones beside, mean cross-sectional R2.'
    return _run('FM_FAMAMACBETH', returns, factors, cov_type)


@xw.func(category='Factor Model')
@xw.arg('returns', 'raw', doc='Test asset (excess) returns: one column per asset; rows where any asset or factor is missing are left out.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.ret('raw')
def FM_GRS(returns, factors):
    "Gibbons-Ross-Shanken test that all alphas are 0: F = (T-N-K)/N * a' S^-1 a / (1 + m' W^-1 m), S residual and W factor covariance divided by T, m factor means; F ~ F(N, T-N-K)."
    return _run('FM_GRS', returns, factors)


@xw.func(category='Factor Model')
@xw.arg('returns', 'raw', doc="Asset returns: a column per asset, a row per period; rows with a missing asset are left out (blank factor rows). A column with under half the longest's rows, or constant, fails alone in the loadings and refuses factors and explained.")
@xw.arg('k', 'raw', doc='Number of components, a whole number from 1 to N, and no more than the covariance holds (T - 1 for T complete rows, fewer when a column is a combination of others).')
@xw.arg('output', 'raw', doc="loadings (N x k, default), factors (T x k factor returns, with the input's dates and header) or explained (1 x k share of variance).")
@xw.ret('raw')
def FM_PCA(returns, k, output='loadings'):
    'Principal components of the sample covariance (ddof 1) of the asset columns, largest first; each loading vector signed so its entries sum to a positive number. Factor returns = returns x loadings. Only the k components asked are computed.'
    return _run('FM_PCA', returns, k, output)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('window', 'raw', doc='Periods in each window: a whole number from K + 2 to the number of periods.')
@xw.arg('factor', 'raw', doc="Optional: one factor's label (as in the factors header; f1..fK without one): its betas only, T x N; empty: every factor.")
@xw.arg('min_nobs', 'raw', doc='Fewest present rows a window needs for a fit: K + 2 (default) to window.')
@xw.arg('expanding', 'raw', doc='TRUE: before the window fills, fit on every period so far (from min_nobs rows); FALSE (default): blank.')
@xw.ret('raw')
def FM_ROLLING_BETA(asset, factors, window, factor='', min_nobs=None, expanding=False):
    'OLS betas (with a constant) of each asset over the last window periods, per period, on its own present rows: T x K for one asset, T x N*K (header asset:factor if they have one) for N, T x N for one factor. Equals RollingOLS; blank where a factor is flat.'
    return _run('FM_ROLLING_BETA', asset, factors, window, factor, min_nobs, expanding)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('halflife', 'raw', doc='Half-life in periods (positive): a period halflife periods old weighs half as much as the latest.')
@xw.arg('factor', 'raw', doc="Optional: one factor's label (as in the factors header; f1..fK without one): its betas only, T x N; empty: every factor.")
@xw.arg('min_nobs', 'raw', doc='Fewest present rows for a fit: K + 2 (default) to the number of periods.')
@xw.ret('raw')
def FM_EWMA_BETA(asset, factors, halflife, factor='', min_nobs=None):
    'Exponentially weighted betas: per period, least squares with a constant over all periods so far, weights 0.5^(age/halflife). T x K for one asset, T x N*K (header asset:factor if they have one) for N, T x N for one factor. Blank where a factor is flat.'
    return _run('FM_EWMA_BETA', asset, factors, halflife, factor, min_nobs)


@xw.func(category='Factor Model')
@xw.arg('beta', 'raw', doc='Raw beta(s): a number or a range; a cell without a number keeps its #FM! line.')
@xw.arg('weight', 'raw', doc='Weight on the raw beta, from 0 to 1 (default 0.67).')
@xw.ret('raw')
def FM_ADJBETA(beta, weight=0.67):
    'Blume-adjusted beta weight * beta + (1 - weight), as the terminals quote it (0.67 * raw + 0.33). Element-wise; blanks stay blank.'
    return _run('FM_ADJBETA', beta, weight)


@xw.func(category='Factor Model')
@xw.arg('weights', 'raw', doc='Portfolio weights (or amounts), 1 x N: one per asset column of returns.')
@xw.arg('returns', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.ret('raw')
def FM_RISKCONTRIB(weights, returns, factors):
    "Risk of a portfolio under B Sigma_f B' + D: volatility, systematic/specific split, each factor's and the specific contribution to variance and volatility, per-asset marginal risk and contributions; shares add to 1."
    return _run('FM_RISKCONTRIB', weights, returns, factors)


@xw.func(category='Factor Model')
@xw.arg('model_dir', 'raw', doc='Folder of the model (the --out of xl-factor model build) on this computer.')
@xw.arg('ids', 'raw', doc='Security ids as in the model: a column or row of cells, text or whole numbers; a blank cell gives a blank slot.')
@xw.arg('field', 'raw', doc='betas (default), alpha, idio_var, total_var, r2 or n_obs; per period.')
@xw.ret('raw')
def FM_MODEL(model_dir, ids, field='betas'):
    'Exposures of securities in a model built by xl-factor model build, in the order asked: betas (ids x K) or one field. Reads local files (Excel, LibreOffice; not xlwings Lite); rereads when the model changes.'
    return _run('FM_MODEL', model_dir, ids, field)


@xw.func(category='Factor Model')
@xw.arg('model_dir', 'raw', doc='Folder of the model (the --out of xl-factor model build) on this computer.')
@xw.arg('ids', 'raw', doc='Security ids as in the model: a column or row of cells, text or whole numbers; a blank cell gives a blank slot.')
@xw.arg('periods_per_year', 'raw', doc='Periods per year to annualise (252 daily, 52 weekly, 12 monthly); empty: per period.')
@xw.ret('raw')
def FM_MODEL_COVMAT(model_dir, ids, periods_per_year=None):
    "Covariance B Sigma_f B' + D of the securities asked, from a model built by xl-factor model build (never the whole N x N). Reads local files (Excel, LibreOffice; not xlwings Lite)."
    return _run('FM_MODEL_COVMAT', model_dir, ids, periods_per_year)


@xw.func(category='Factor Model')
@xw.arg('positions', 'raw', doc='Amounts held, 1 x N: one per asset column of returns, in currency (negative for short).')
@xw.arg('returns', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('target_share', 'raw', doc="Factor share of the book's variance to allow, 0 (factor-neutral, default) to below 1.")
@xw.arg('instruments', 'raw', doc="Optional returns of tradable hedges (ETFs, futures), one column each, matched to returns by date: the hedge is in them, from the book's realised P&L.")
@xw.arg('periods_per_year', 'raw', doc='Periods per year to annualise (252 daily, 52 weekly, 12 monthly); empty: per period.')
@xw.ret('raw')
def FM_BOOKHEDGE(positions, returns, factors, target_share=0.0, instruments=None, periods_per_year=None):
    "Hedge of a book: amount of each factor for zero exposure (-B'w) or the smallest that brings the factor share down to target_share; with instruments, the min-variance hedge -Cov(i,i)^-1 Cov(i,book). Then vol before, after, share removed."
    return _run('FM_BOOKHEDGE', positions, returns, factors, target_share, instruments, periods_per_year)


@xw.func(category='Factor Model')
@xw.arg('weights', 'raw', doc='Portfolio weights, 1 x N: one per asset column of returns.')
@xw.arg('benchmark_weights', 'raw', doc='Benchmark weights, 1 x N, in the same units as weights (gross sizes over 30 times apart are refused as percent against decimals).')
@xw.arg('returns', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('periods_per_year', 'raw', doc='Periods per year to annualise (252 daily, 52 weekly, 12 monthly); empty: per period.')
@xw.ret('raw')
def FM_ACTIVERISK(weights, benchmark_weights, returns, factors, periods_per_year=None):
    "Tracking error of weights against benchmark_weights under B Sigma_f B' + D: factor and specific parts, each factor's contribution, per asset the marginal (MCTE) and percent contribution; annualised when asked."
    return _run('FM_ACTIVERISK', weights, benchmark_weights, returns, factors, periods_per_year)


@xw.func(category='Factor Model')
@xw.arg('positions', 'raw', doc='Amounts held, 1 x N: one per asset column of returns, in currency (negative for short).')
@xw.arg('returns', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('shocks', 'raw', doc='Factor shocks in decimals: a row per factor (its name first, any order), a column per scenario, optional header of scenario names; a blank or missing factor is 0.')
@xw.ret('raw')
def FM_SCENARIO(positions, returns, factors, shocks):
    "P&L of each position and of the book for factor shocks: w_i beta_i' s per scenario, the book w' B s, and beside them the one-period alpha w' alpha and specific volatility sqrt(w' D w)."
    return _run('FM_SCENARIO', positions, returns, factors, shocks)


@xw.func(category='Factor Model')
@xw.arg('positions', 'raw', doc='Amounts held, 1 x N: one per asset column of returns, in currency (negative for short).')
@xw.arg('returns', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('n_worst', 'raw', doc='Number of worst periods to show (default 5).')
@xw.ret('raw')
def FM_STRESS(positions, returns, factors, n_worst=5.0):
    "The book's n_worst periods of realised P&L w' r_t, worst first and labelled by date, replayed through the model: factor P&L x' f_t, alpha w' alpha, specific rest, and each factor's part."
    return _run('FM_STRESS', positions, returns, factors, n_worst)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.arg('lags', 'raw', doc='Leads and lags L, a whole number from 1 (default 1) to (T - K - 2) / (2K + 2) for T periods of K factors: each lag adds K slopes and takes a period off each end.')
@xw.ret('raw')
def FM_DIMSONBETA(asset, factors, lags=1.0):
    'Dimson (1979) betas for thin trading: the sum of the betas on f(t-L) .. f(t+L) from one OLS with a constant on the lagged, current and leading factors. N x K.'
    return _run('FM_DIMSONBETA', asset, factors, lags)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='One factor column (the market); rows matched to asset by date when both have dates.')
@xw.ret('raw')
def FM_SWBETA(asset, factors):
    "Scholes-Williams (1977) beta on one factor (the market): (b(t-1) + b(t) + b(t+1)) / (1 + 2 rho), each b a simple OLS slope and rho the market's first-order autocorrelation, all over the asset's own rows (it, m(t-1), m(t) and m(t+1) present)."
    return _run('FM_SWBETA', asset, factors)


@xw.func(category='Factor Model')
@xw.arg('asset', 'raw', doc='Asset returns: one column per asset, one row per period; optional header row and date column.')
@xw.arg('factors', 'raw', doc='Factor returns: one column per factor; rows matched to asset by date when both have dates.')
@xw.ret('raw')
def FM_VASICEKBETA(asset, factors):
    "Vasicek (1973) betas: each OLS beta shrunk towards the cross-sectional mean m, m + v / (v + se^2) (b - m), v the betas' cross-sectional variance, se its standard error. N x K."
    return _run('FM_VASICEKBETA', asset, factors)
