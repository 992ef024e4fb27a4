"""One asset's failure in its own slot; the finished result checked before it reaches the cells.

The rule (the function reference states it): a column with no values is not
an asset and its slot stays blank, so array formulas keep their shape; an
asset that cannot be fitted (too few rows, a constant series) shows its own
``#FM!`` line in the first cell of its row (or column, for results with a
column per asset) and every other asset gets its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import FactorModelError, NonFiniteValues
from .errors import error_line


@dataclass(frozen=True)
class AssetFailure:
    """Marks the slot of an asset that could not be computed; :func:`finish` writes its ``#FM!`` line."""

    error: FactorModelError


def mark_failures(values, failures: dict, axis, row_offset: int = 0, col_offset: int = 0) -> np.ndarray:
    """``values`` with each failed asset's slot blanked and its failure in the slot's first cell.

    ``axis`` 0: a row per asset (the slot is row ``row_offset + i`` from
    column ``col_offset``); 1: a column per asset; ``(0, 1)``: both (an
    N x N matrix: row and column blank, the failure first in its row).
    """
    if not failures:
        return values
    out = np.array(values, dtype=object)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for i, error in failures.items():
        if 1 in axes:
            out[row_offset:, col_offset + i] = None
        if 0 in axes:
            out[row_offset + i, col_offset:] = None
        first = (row_offset + i, col_offset) if 0 in axes else (row_offset, col_offset + i)
        out[first] = AssetFailure(error)
    return out


def finish(function: str, result):
    """The result as cells may hold it: failures as ``#FM!`` lines; an overflow refused as one line."""
    if isinstance(result, (str, type(None))):
        return result
    array = np.asarray(result)
    if array.dtype.kind == "f":
        if np.isinf(array).any():
            return error_line(function, _overflow())
        return result
    if array.dtype != object:
        return result
    out = array.copy() if array.ndim else array
    for index, cell in np.ndenumerate(array):
        if isinstance(cell, AssetFailure):
            out[index] = error_line(function, cell.error)
        elif isinstance(cell, float) and np.isinf(cell):
            return error_line(function, _overflow())
    return out if array.ndim else out.item()


def _overflow() -> NonFiniteValues:
    return NonFiniteValues(
        "the result is too large to show (it overflows to infinity); check the sizes and units of the inputs")
