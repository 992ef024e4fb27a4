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


def does_not_vary(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Per series (along ``axis``, NaN ignored): True where it does not vary.

    ``sd <= CONSTANT_RTOL * mean(|x|)``; a series of zeros does not vary,
    and neither does one with fewer than two values.
    """
    x = np.asarray(values, dtype=float)
    present = ~np.isnan(x)
    count = present.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(x, axis=axis) / count
        dev = np.where(present, x - np.expand_dims(mean, axis), 0.0)
        sd = np.sqrt((dev * dev).sum(axis=axis) / (count - 1))
        size = np.nansum(np.abs(x), axis=axis) / count
    return (count < 2) | ~(sd > CONSTANT_RTOL * size)


def ill_conditioned(moments: np.ndarray) -> np.ndarray:
    """True for each (p, p) moment matrix in ``moments`` (..., p, p) that is too ill-conditioned to solve.

    The matrix is scaled to a unit diagonal (Jacobi) and refused when its
    smallest eigenvalue is not above its largest over ``CONDITION_LIMIT``
    squared, or when a diagonal entry is zero.
    """
    m = np.asarray(moments, dtype=float)
    diag = np.einsum("...ii->...i", m)
    positive = (diag > 0).all(axis=-1)
    scale = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    scaled = m * scale[..., :, None] * scale[..., None, :]
    eigen = np.linalg.eigvalsh(scaled)
    return ~positive | ~(eigen[..., 0] > eigen[..., -1] / CONDITION_LIMIT**2)


def explained_exactly(resid_var: np.ndarray, total_var: np.ndarray) -> np.ndarray:
    """True where the residuals are nil next to the series: it is a combination of the regressors.

    ``sqrt(resid_var) * CONDITION_LIMIT <= sqrt(total_var)``: residuals that
    small are rounding error, not risk, and nothing can be divided by them.
    """
    return np.asarray(resid_var) * CONDITION_LIMIT**2 <= np.asarray(total_var)
