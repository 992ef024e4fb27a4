"""A synthetic universe made by resampling real daily returns, for the tests and the benchmark.

Dates are drawn with replacement from the real rows (each drawn date keeps
the real cross-section of that day, so the factors and the stocks move
together as they did); security ``i`` is a mix of one real stock on the
drawn dates and another real stock on dates of its own draw, so every
security has its own idiosyncratic risk. Histories are ragged: each security
has its own listing and delisting date, a few are too short to fit, some run
the whole range without a blank (they share one row pattern, the core's
grouped path), and 1% of the rest's returns are blank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_universe(stocks: np.ndarray, market: np.ndarray, n_securities: int, n_dates: int, seed: int = 0,
                       blank_share: float = 0.01, short_share: float = 0.01, full_share: float = 0.05):
    """``(returns, factors)``: a wide DataFrame (dates x ids, NaN where none) and a factors DataFrame.

    ``stocks`` (T0, M) and ``market`` (T0,) are real daily returns without gaps.
    Factors: the market, a spread of the first half of the stocks over the
    second half, and one of the first three over the market.
    """
    rng = np.random.default_rng(seed)
    t0, m = stocks.shape
    rows = rng.integers(0, t0, n_dates)
    day = stocks[rows]
    factors = np.column_stack([market[rows], day[:, : m // 2].mean(axis=1) - day[:, m // 2:].mean(axis=1),
                               day[:, :3].mean(axis=1) - market[rows]])
    source = rng.integers(0, m, n_securities)
    other = rng.integers(0, m, n_securities)
    weight = rng.uniform(0.3, 1.0, n_securities)
    own_rows = rng.integers(0, t0, (n_dates, n_securities))
    values = day[:, source] * weight + stocks[own_rows, other] * (1.0 - weight)
    del own_rows
    listed = np.where(rng.random(n_securities) < 0.3, 0, rng.integers(0, int(0.8 * n_dates), n_securities))
    delisted = np.where(rng.random(n_securities) < 0.6, n_dates,
                        listed + 20 + (rng.random(n_securities) * (n_dates - listed - 20)).astype(int))
    short = rng.random(n_securities) < short_share
    delisted[short] = np.minimum(n_dates, listed[short] + rng.integers(5, 40, short.sum()))
    full = (rng.random(n_securities) < full_share) & ~short
    listed[full], delisted[full] = 0, n_dates
    t = np.arange(n_dates)[:, None]
    outside = (t < listed) | (t >= delisted)
    blank = (rng.random((n_dates, n_securities)) < blank_share) & ~full
    values[outside | blank] = np.nan
    dates = pd.bdate_range("2000-01-03", periods=n_dates)
    ids = [f"S{i:05d}" for i in range(n_securities)]
    returns = pd.DataFrame(values, index=dates, columns=ids)
    returns.index.name = "date"
    frame = pd.DataFrame(factors, index=dates, columns=["MKT", "SPREAD", "TECH"])
    frame.index.name = "date"
    return returns, frame


def to_long(returns: pd.DataFrame) -> pd.DataFrame:
    """The wide returns as a long table (date, id, ret), one row per return present, by date then id."""
    values = returns.to_numpy()
    t, n = np.nonzero(~np.isnan(values))
    return pd.DataFrame({"date": returns.index.values[t],
                         "id": pd.Categorical.from_codes(n, categories=list(returns.columns)).astype(str),
                         "ret": values[t, n]})
