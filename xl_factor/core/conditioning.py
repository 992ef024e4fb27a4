"""One conditioning rule for every solve, and one test for a series that does not vary.

Every least-squares problem in the package (time-series regressions,
rolling and EWMA betas, the Fama-MacBeth cross-sections, the GRS residual
covariance) is judged by the same two numbers, so the refusal point never
depends on the number of rows, on the units of a column or on the function:

* a series **does not vary** when its standard deviation is at most
  ``CONSTANT_RTOL`` times its mean absolute value (a money-market fund's
  constant return, a factor that is the same every period): it carries no
  information about an exposure;
* a set of regressors is **ill-conditioned** when the condition number of
  their moment matrix scaled to a unit diagonal (centred first when the
  model has a constant: the correlation matrix) exceeds ``CONDITION_LIMIT``
  squared, i.e. when the centred, unit-scaled design has a condition number
  above ``CONDITION_LIMIT``. Two factors correlated at ``1 - 1e-14`` or
  closer are refused; real factor sets sit near 1 to 10.
"""

from __future__ import annotations

import numpy as np

#: Largest condition number of the centred, unit-scaled design that is solved.
CONDITION_LIMIT = 1e7

#: A series whose standard deviation is at most this times its mean absolute value does not vary.
CONSTANT_RTOL = 1e-10


def does_not_vary(values: np.ndarray, axis: int = 0, extremes=None) -> np.ndarray:
    """Per series (along ``axis``, NaN ignored): True where it does not vary.

    ``sd <= CONSTANT_RTOL * mean(|x|)``; a series of zeros does not vary,
    and neither does one with fewer than two values. ``extremes``: each
    series' largest and smallest value
    (:func:`~xl_factor.core.validation.column_extremes`), when the caller has them.
    """
    x = np.asarray(values, dtype=float)
    if axis != 0:
        x = np.moveaxis(x, axis, 0)
    if x.shape[0] == 0:
        return np.ones(x.shape[1:], dtype=bool)
    # Screen without copies: a range wider than this surely varies (sd >= range / sqrt(2 n)).
    high, low = extremes if extremes is not None else (np.fmax.reduce(x, axis=0), np.fmin.reduce(x, axis=0))
    with np.errstate(invalid="ignore"):
        varies = (high - low) / np.sqrt(2.0 * x.shape[0]) > CONSTANT_RTOL * np.maximum(np.abs(high), np.abs(low))
    out = ~varies
    if out.any():
        doubt = np.flatnonzero(out.ravel())
        flat = x.reshape(x.shape[0], -1)[:, doubt]
        out.ravel()[doubt] = _does_not_vary_exactly(flat)
    return out


def _does_not_vary_exactly(x: np.ndarray) -> np.ndarray:
    present = ~np.isnan(x)
    count = present.sum(axis=0)
    x0 = np.where(present, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x0.sum(axis=0) / count
        dev = np.where(present, x0 - mean, 0.0)
        sd = np.sqrt((dev * dev).sum(axis=0) / (count - 1))
        size = np.abs(x0).sum(axis=0) / count
    return (count < 2) | ~(sd > CONSTANT_RTOL * size)


def condition_numbers(moments: np.ndarray) -> np.ndarray:
    """Condition number of the design behind each (p, p) moment matrix in ``moments`` (..., p, p).

    The matrix is scaled to a unit diagonal (Jacobi) and the design's
    condition number is the square root of its eigenvalue ratio; ``inf``
    when a diagonal entry or the smallest eigenvalue is not positive.
    """
    m = np.asarray(moments, dtype=float)
    if m.shape[-1] == 1:  # one regressor: scaled to a unit diagonal it is 1
        return np.where(m[..., 0, 0] > 0, 1.0, np.inf)
    diag = np.einsum("...ii->...i", m)
    positive = (diag > 0).all(axis=-1)
    scale = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    scaled = m * scale[..., :, None] * scale[..., None, :]
    eigen = np.linalg.eigvalsh(scaled)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.sqrt(eigen[..., -1] / eigen[..., 0])
    return np.where(positive & (eigen[..., 0] > 0), cond, np.inf)


def ill_conditioned(moments: np.ndarray) -> np.ndarray:
    """True for each (p, p) moment matrix in ``moments`` (..., p, p) too ill-conditioned to solve.

    Refused when the design's condition number (:func:`condition_numbers`)
    exceeds ``CONDITION_LIMIT``.
    """
    return ~(condition_numbers(moments) <= CONDITION_LIMIT)


def explained_exactly(resid_var: np.ndarray, total_var: np.ndarray) -> np.ndarray:
    """True where the residuals are nil next to the series: it is a combination of the regressors.

    ``sqrt(resid_var) * CONDITION_LIMIT <= sqrt(total_var)``: residuals that
    small are rounding error, not risk, and nothing can be divided by them.
    """
    with np.errstate(over="ignore"):  # residuals of returns near 1e150 overflow: infinite, so not nil
        return np.asarray(resid_var) * CONDITION_LIMIT**2 <= np.asarray(total_var)
