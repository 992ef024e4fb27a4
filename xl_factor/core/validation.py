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


def check_finite(array: np.ndarray, argument: str, names=None) -> None:
    """Raise when ``array`` holds an infinite value (NaN is missing, not an error)."""
    if not np.isinf(array).any():
        return
    row, col = np.argwhere(np.isinf(array))[0]
    column = f"column '{names[col]}'" if names is not None else f"column {col + 1}"
    raise NonFiniteValues(
        f"{column} has an infinite value in row {row + 1}; returns must be finite numbers",
        argument,
    )


def column_names(names, count: int, prefix: str, argument: str | None = None) -> tuple[str, ...]:
    """The given labels, or ``prefix1..count`` when there are none; ``argument`` (default ``prefix``) names the culprit."""
    if names is None:
        return tuple(f"{prefix}{i + 1}" for i in range(count))
    names = tuple(str(n) for n in names)
    if len(names) != count:
        raise ShapeMismatch(f"{len(names)} labels for {count} columns", argument or prefix)
    return names
