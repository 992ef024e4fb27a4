"""Shape and value checks shared by the core modules."""

from __future__ import annotations

import numpy as np

from .errors import NonFiniteValues, ShapeMismatch


def as_2d(values, argument: str) -> np.ndarray:
    """A float array with rows as periods and columns as series (a 1-D input is one column)."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ShapeMismatch(f"expected a table of rows and columns, got {array.ndim} dimensions", argument)
    if array.size == 0:
        raise ShapeMismatch("the range is empty; select the data cells", argument)
    return array


#: Largest magnitude accepted: squares and sums of larger values overflow a double.
MAX_MAGNITUDE = 1e150


def median(values) -> float:
    """Median of the non-NaN ``values`` (NaN when there are none), by a sort.

    The same number as ``np.median``, whose own checks cost ten times the
    sort on the few values a cell's checks hand it (the gaps between dates,
    the typical sizes of the columns).
    """
    ordered = np.sort(np.asarray(values, dtype=float).ravel())
    ordered = ordered[~np.isnan(ordered)]
    if not ordered.size:
        return float("nan")
    return float(ordered[(ordered.size - 1) // 2] + ordered[ordered.size // 2]) / 2


def column_extremes(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column of ``array`` (T, N): the largest and smallest value, NaN skipped (NaN for a column of NaN).

    One pass each, without copies; :func:`check_finite` and
    :func:`~xl_factor.core.conditioning.does_not_vary` both take them, so a
    caller that needs both reads a big range once.
    """
    return np.fmax.reduce(array, axis=0), np.fmin.reduce(array, axis=0)


def check_finite(array: np.ndarray, argument: str, names=None, extremes=None) -> None:
    """Raise for an infinite value or one so large that variances overflow (NaN is missing, not an error).

    ``extremes``: the :func:`column_extremes` of ``array``, when the caller has them.
    """
    if array.size == 0:
        return
    if extremes is None:
        high, low = np.fmax.reduce(array, axis=None), np.fmin.reduce(array, axis=None)
    else:
        high, low = np.fmax.reduce(extremes[0], axis=None), np.fmin.reduce(extremes[1], axis=None)
    if high <= MAX_MAGNITUDE and low >= -MAX_MAGNITUDE:
        return  # fmax / fmin skip NaN (missing) without copying the array
    with np.errstate(invalid="ignore"):
        bad = np.abs(array) > MAX_MAGNITUDE
    if not bad.any():  # every value missing
        return
    row, col = np.argwhere(bad)[0]
    column = f"column '{names[col]}'" if names is not None else f"column {col + 1}"
    value = array[row, col]
    what = "an infinite value" if np.isinf(value) else f"a value too large for a return ({value:.3g})"
    raise NonFiniteValues(f"{column} has {what} in row {row + 1}; returns must be finite decimals", argument)


def column_names(names, count: int, prefix: str, argument: str | None = None) -> tuple[str, ...]:
    """The given labels, or ``prefix1..count`` when there are none; ``argument`` (default ``prefix``) names the culprit."""
    if names is None:
        return tuple(f"{prefix}{i + 1}" for i in range(count))
    names = tuple(str(n) for n in names)
    if len(names) != count:
        raise ShapeMismatch(f"{len(names)} labels for {count} columns", argument or prefix)
    return names
