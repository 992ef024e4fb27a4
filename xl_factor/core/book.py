"""A book of positions under the factor model: its hedge, its active risk, factor scenarios and stress replays.

``w`` (N,) holds the amount in each asset (currency, or fractions of
capital: every P&L and volatility comes out in the same units), ``B`` (N, K)
the betas, ``Sigma_f`` (K, K) the factor covariance, ``D`` the diagonal of
idiosyncratic variances, all per period with ``ddof = 1``. The book's factor
exposure is ``x = B' w`` (K,): the amount of each factor the book holds; its
variance is ``x' Sigma_f x + w' D w``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .attribution import RiskAttribution, risk_contributions
from .conditioning import does_not_vary, ill_conditioned
from .errors import InvalidArgument, ShapeMismatch, SingularFactors, TooFewObservations
from .risk import check_target_share
from .validation import MAX_MAGNITUDE


@dataclass(frozen=True)
class BookHedge:
    """A hedge of the book and its effect, per period, in the units of the positions.

    ``hedge`` is the amount to hold in each factor (K,) or instrument (M,),
    negative = short; ``exposure`` the book's factor exposure ``x = B' w``
    before the hedge (``None`` for a hedge in instruments); ``vol_before`` and ``vol_after`` the book's volatility
    without and with it; ``share_removed = 1 - vol_after^2 / vol_before^2``
    the share of the book's variance the hedge removes.
    """

    hedge: np.ndarray
    vol_before: float
    vol_after: float
    exposure: np.ndarray | None = None

    @property
    def share_removed(self) -> float:
        return 1.0 - self.vol_after**2 / self.vol_before**2


def check_amounts(amounts, n_assets: int, argument: str) -> np.ndarray:
    """``amounts`` (one per asset) as a float vector: finite, not too large for a variance."""
    w = np.asarray(amounts, dtype=float).ravel()
    if w.size != n_assets:
        raise ShapeMismatch(f"has {w.size} values for {n_assets} assets; give one per asset column", argument)
    if not np.all(np.isfinite(w)):
        raise InvalidArgument("must hold a finite number for every asset with returns (a blank is not a zero)",
                              argument)
    if np.any(np.abs(w) > MAX_MAGNITUDE):
        raise InvalidArgument("holds a value above 1e150, which overflows a variance; give amounts or weights",
                              argument)
    return w


def factor_hedge(positions, betas, factor_cov, idio_var, target_share: float = 0.0) -> BookHedge:
    """Amount of each factor to hold so the book's factor share of variance is at most ``target_share``.

    ``target_share = 0``: ``h = -x = -B' w`` (the book is factor-neutral).
    ``0 < s < 1``: the exposure is scaled to ``c * x`` with
    ``c = sqrt(s * w'Dw / ((1 - s) * x' Sigma_f x))``, the smallest scaling
    that brings the share down to ``s``, and ``h = (c - 1) * x``; zero when
    the share is already at or below ``s``. Volatilities are
    ``sqrt(x' Sigma_f x + w'Dw)`` before and ``sqrt((x + h)' Sigma_f (x + h) + w'Dw)`` after.
    """
    s = check_target_share(target_share)
    b = np.atleast_2d(np.asarray(betas, dtype=float))
    sigma_f = np.atleast_2d(np.asarray(factor_cov, dtype=float))
    w = check_amounts(positions, b.shape[0], "positions")
    exposure = b.T @ w
    systematic = float(exposure @ sigma_f @ exposure)
    specific = float(w @ (np.asarray(idio_var, dtype=float) * w))
    if not systematic + specific > 0:
        raise InvalidArgument("must give the book some risk under the model (they are all zero)", "positions")
    if s == 0:
        hedge = -exposure
    elif systematic <= 0 or systematic / (systematic + specific) <= s:
        hedge = np.zeros_like(exposure)
    else:
        hedge = (np.sqrt(s * specific / ((1 - s) * systematic)) - 1.0) * exposure
    after = exposure + hedge
    return BookHedge(hedge, float(np.sqrt(systematic + specific)), float(np.sqrt(after @ sigma_f @ after + specific)),
                     exposure)


def instrument_hedge(positions, returns, instruments, names) -> BookHedge:
    """Minimum-variance hedge of the book's P&L in tradable instruments: ``h = -Cov(i, i)^-1 Cov(i, p)``.

    The book's P&L per period is ``p_t = w' r_t`` from ``positions`` (N,)
    and the held assets' ``returns`` (T, N); ``instruments`` (T, M) are the
    instruments' returns on the same periods; the
    rows where both are present are used. ``h`` is minus the slopes of the
    OLS of ``p`` on the instruments with a constant; volatilities are the
    sample ones (``ddof = 1``) of ``p`` and of ``p + I h``, so
    ``share_removed`` is that regression's R2.
    """
    p = np.asarray(returns, dtype=float) @ np.asarray(positions, dtype=float).ravel()
    inst = np.atleast_2d(np.asarray(instruments, dtype=float))
    rows = ~(np.isnan(p) | np.isnan(inst).any(axis=1))
    p, inst = p[rows], inst[rows]
    n_instruments = inst.shape[1]
    if p.size <= n_instruments + 1:
        raise TooFewObservations(
            f"has {p.size} periods where the book and every instrument have returns; a hedge in {n_instruments} "
            f"instrument{'s' if n_instruments > 1 else ''} needs at least {n_instruments + 2}", "instruments")
    flat = does_not_vary(inst)
    if flat.any():
        raise SingularFactors(f"'{names[int(np.argmax(flat))]}' does not vary over the book's periods; leave it out",
                              "instruments")
    if does_not_vary(p[:, None])[0]:
        raise InvalidArgument("must give the book some risk: its P&L does not vary over the instruments' periods",
                              "positions")
    cov = np.atleast_2d(np.cov(np.column_stack([inst, p]), rowvar=False))
    if ill_conditioned(cov[:-1, :-1]):
        raise SingularFactors("has collinear columns (one is a combination of the others, or nearly so); "
                              "drop the redundant instrument", "instruments")
    hedge = -np.linalg.solve(cov[:-1, :-1], cov[:-1, -1])
    hedged = p + inst @ hedge
    return BookHedge(hedge, float(np.sqrt(cov[-1, -1])), float(np.std(hedged, ddof=1)))


def active_risk(weights, benchmark_weights, betas, factor_cov, idio_var) -> RiskAttribution:
    """Tracking error of the active weights ``a = w - w_b`` under ``Omega = B Sigma_f B' + D``, by Euler.

    ``tracking_error = sqrt(a' Omega a)`` splits into the factor part
    ``x_a' Sigma_f x_a`` (``x_a = B' a``, the active exposures) and the
    specific part ``a' D a``; per asset the marginal contribution to tracking
    error ``MCTE_i = (Omega a)_i / TE`` and the contribution ``a_i MCTE_i``
    (they add up to TE). The result is :class:`RiskAttribution` of ``a``:
    its ``total_vol`` is the tracking error.
    """
    b = np.atleast_2d(np.asarray(betas, dtype=float))
    w = check_amounts(weights, b.shape[0], "weights")
    active = w - check_amounts(benchmark_weights, b.shape[0], "benchmark_weights")
    if not np.any(active != 0):
        raise InvalidArgument("equals weights for every asset: there is no active position, so no tracking error",
                              "benchmark_weights")
    return risk_contributions(active, b, factor_cov, idio_var)


@dataclass(frozen=True)
class ScenarioPnL:
    """P&L of factor scenarios, in the units of the positions.

    ``asset_pnl`` (N, S) ``w_i beta_i' s``; ``book_pnl`` (S,) ``w' B s``;
    ``alpha_pnl`` ``w' alpha``, the one-period alpha no scenario moves;
    ``specific_vol`` ``sqrt(w' D w)``, the one-period specific volatility
    around the scenario (its expectation is zero).
    """

    asset_pnl: np.ndarray
    book_pnl: np.ndarray
    alpha_pnl: float
    specific_vol: float


#: Largest factor shock taken: a move above 100% in one period is a shock given in percent.
MAX_SHOCK = 1.0


def scenario_pnl(positions, alpha, betas, idio_var, shocks) -> ScenarioPnL:
    """P&L of each position and of the book for each scenario (a column of ``shocks`` (K, S), decimals)."""
    b = np.atleast_2d(np.asarray(betas, dtype=float))
    w = check_amounts(positions, b.shape[0], "positions")
    s = np.atleast_2d(np.asarray(shocks, dtype=float))
    if np.any(np.abs(s) > MAX_SHOCK):
        raise InvalidArgument("holds a move above 100% in one period; give shocks as decimals (-0.10 for -10%)",
                              "shocks")
    asset_pnl = w[:, None] * (b @ s)
    specific = float(w @ (np.asarray(idio_var, dtype=float) * w))
    return ScenarioPnL(asset_pnl, asset_pnl.sum(axis=0), float(w @ np.asarray(alpha, dtype=float)),
                       float(np.sqrt(specific)))


@dataclass(frozen=True)
class StressReplay:
    """The book's worst periods replayed through the factor model, worst first, in the units of the positions.

    ``rows`` index the periods given; ``realised`` ``w' r_t``;
    ``factor_contrib`` (n, K) ``x_k f_tk``; ``factor_pnl`` their sum
    ``x' f_t``; ``alpha_pnl`` ``w' alpha``; ``specific`` ``w' e_t`` the
    residual P&L, so that ``realised = factor_pnl + alpha_pnl + specific``.
    """

    rows: np.ndarray
    realised: np.ndarray
    factor_contrib: np.ndarray
    factor_pnl: np.ndarray
    alpha_pnl: float
    specific: np.ndarray


def stress_replay(positions, returns, factors, alpha, betas, n_worst) -> StressReplay:
    """The ``n_worst`` periods of lowest book P&L ``w' r_t`` among those where every held asset and factor
    is present (ties in time order), each split into factor, alpha and specific P&L."""
    r = np.atleast_2d(np.asarray(returns, dtype=float))
    f = np.atleast_2d(np.asarray(factors, dtype=float))
    b = np.atleast_2d(np.asarray(betas, dtype=float))
    w = check_amounts(positions, b.shape[0], "positions")
    complete = np.flatnonzero(~(np.isnan(r).any(axis=1) | np.isnan(f).any(axis=1)))
    count = float(n_worst)
    if not count.is_integer() or not 1 <= count <= complete.size:
        raise InvalidArgument(f"must be a whole number from 1 to {complete.size} (the periods where every held "
                              f"asset and factor has a return), got {count:g}", "n_worst")
    realised = r[complete] @ w
    worst = complete[np.argsort(realised, kind="stable")[: int(count)]]
    exposure = b.T @ w
    contrib = f[worst] * exposure
    alpha_pnl = float(w @ np.asarray(alpha, dtype=float))
    book = r[worst] @ w
    factor_pnl = contrib.sum(axis=1)
    return StressReplay(worst, book, contrib, factor_pnl, alpha_pnl, book - factor_pnl - alpha_pnl)
