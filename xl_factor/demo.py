"""The course chapter's single-factor analysis on the bundled daily data, as a terminal report.

MSFT, WMT and JPM daily simple returns on the S&P 500 index return (the
market factor), with a zero risk-free rate (the bundled daily data carry
none). Every number comes from :mod:`xl_factor.core`.
"""

from __future__ import annotations

import numpy as np

from . import core, datasets

STOCKS = ("MSFT", "WMT", "JPM")
MARKET = "SP500"
POSITION = 1_000_000.0
VOL_BUDGET = 1_000_000.0
TARGET_SHARE = 0.20
HORIZONS = (("day", 1), ("month", core.periods.TRADING_DAYS_PER_MONTH), ("year", core.periods.TRADING_DAYS_PER_YEAR))


def build_report() -> str:
    """The demo report as text."""
    prices = datasets.daily_prices()
    returns = prices.pct_change().iloc[1:]
    periods = core.infer_periods_per_year(returns.index)
    fit = core.fit_factor_model(
        returns[list(STOCKS)].to_numpy(), returns[[MARKET]].to_numpy(), asset_names=STOCKS, factor_names=[MARKET]
    )
    lines = [
        "xl_factor demo: single-factor model, daily returns on the S&P 500",
        f"data: {returns.index[0].date()} to {returns.index[-1].date()}, {len(returns)} daily returns, "
        f"{periods} periods a year, risk-free rate 0",
        "",
    ]
    lines += _regression_table(fit, periods)
    lines += _decomposition_table(fit, periods)
    lines += _hedge_table(fit)
    lines += _sizing_table(fit)
    lines += _pnl_table(fit)
    lines += _covariance_table(fit, returns[list(STOCKS)].to_numpy())
    return "\n".join(lines)


def _table(title: str, header: list[str], rows: list[list[str]], note: str = "") -> list[str]:
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    out = [title, "-" * len(title), fmt(header)] + [fmt(r) for r in rows]
    return out + ([note] if note else []) + [""]


def _money(x: float) -> str:
    return f"{x:,.0f}"


def _regression_table(fit, periods) -> list[str]:
    rows = []
    for i, name in enumerate(fit.asset_names):
        stats = core.regression_statistics(fit.returns[:, i], fit.factors, asset_name=name, factor_names=fit.factor_names)
        rows.append([
            name, f"{fit.betas[i, 0]:.3f}", f"{stats.t[1]:.1f}", f"{fit.alpha[i] * 1e4:.2f}",
            f"{core.annualize(fit.alpha[i], 'mean', periods):.2%}", f"{stats.t[0]:.2f}", f"{stats.r_squared:.3f}",
            str(int(fit.n_obs[i])),
        ])
    return _table("1. Regression r = alpha + beta * market + e",
                  ["asset", "beta", "t(beta)", "alpha bp/day", "alpha/yr", "t(alpha)", "R2", "n"], rows)


def _decomposition_table(fit, periods) -> list[str]:
    rows = [[name, f"{np.sqrt(fit.total_var[i] * periods):.2%}", f"{np.sqrt(fit.factor_var[i] * periods):.2%}",
             f"{np.sqrt(fit.idio_var[i] * periods):.2%}", f"{fit.factor_share[i]:.1%}"]
            for i, name in enumerate(fit.asset_names)]
    return _table("2. Variance decomposition: total = beta^2 Var(f) + Var(e)",
                  ["asset", "total vol/yr", "factor vol/yr", "idio vol/yr", "factor share"], rows,
                  "   (vols are sqrt of annualised variances; the shares use per-day variances, ddof 1)")


def _hedge_table(fit) -> list[str]:
    rows = []
    for i, name in enumerate(fit.asset_names):
        cov = fit.factor_cov_of(i)
        full = core.full_hedge(POSITION, fit.betas[i])[0]
        capped = core.hedge_to_target(POSITION, fit.betas[i], cov, fit.idio_var[i], TARGET_SHARE)[0]
        after = core.hedged_factor_share(fit.betas[i], [capped / POSITION], cov, fit.idio_var[i])
        rows.append([name, _money(full), _money(capped), f"{fit.factor_share[i]:.1%}", f"{after:.1%}"])
    return _table(f"3. Hedges for a {_money(POSITION)} long position (market units; negative = short)",
                  ["asset", "full hedge", f"hedge to {TARGET_SHARE:.0%} share", "share before", "share after"], rows)


def _sizing_table(fit) -> list[str]:
    rows = []
    for i, name in enumerate(fit.asset_names):
        row = [name]
        for _, horizon in HORIZONS[1:]:
            row.append(_money(core.size_for_vol_budget(VOL_BUDGET, fit.total_var[i], horizon)))
            row.append(_money(core.size_for_vol_budget(VOL_BUDGET, fit.idio_var[i], horizon)))
        rows.append(row)
    return _table(f"4. Largest position under a {_money(VOL_BUDGET)} volatility budget",
                  ["asset", "month unhedged", "month hedged", "year unhedged", "year hedged"], rows,
                  "   (unhedged: total variance; hedged: residual variance; month = 21 days, year = 252)")


def _pnl_table(fit) -> list[str]:
    rows = []
    for i, name in enumerate(fit.asset_names):
        row = [name]
        for _, horizon in HORIZONS[1:]:
            expected, alpha_only = core.expected_pnl(POSITION, fit.alpha[i], fit.betas[i], fit.factor_mean_of(i), horizon)
            row += [_money(expected), _money(alpha_only)]
        rows.append(row)
    return _table(f"5. Expected P&L of a {_money(POSITION)} position (in-sample means)",
                  ["asset", "month expected", "month alpha-only", "year expected", "year alpha-only"], rows)


def _covariance_table(fit, returns) -> list[str]:
    implied = core.factor_covariance(fit.betas, fit.factor_cov, fit.idio_var)
    sample = core.sample_covariance(returns)
    implied_corr = core.correlation_from_covariance(implied)
    sample_corr = core.correlation_from_covariance(sample)
    names = fit.asset_names
    rows = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            rows.append([f"{names[i]}-{names[j]}", f"{implied_corr[i, j]:.3f}", f"{sample_corr[i, j]:.3f}"])
    counts = core.parameter_counts(len(names), fit.n_factors)
    big = core.parameter_counts(500, 1)
    note = (f"   parameters for N={len(names)}, K=1: factor model {counts['factor_model']}, "
            f"unrestricted {counts['unrestricted']}; for N=500: {big['factor_model']:,} against {big['unrestricted']:,}")
    return _table("6. Correlation: factor-implied (B Sf B' + diag idio) against sample",
                  ["pair", "factor model", "sample"], rows, note)
