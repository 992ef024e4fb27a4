"""One asset's failure in its own slot; the finished result checked before it reaches the cells.

The rule (the function reference states it): a column with no values is not
an asset and its slot stays blank, so array formulas keep their shape; an
asset that cannot be fitted (too few rows, a constant series) shows its own
``#FM!`` line in the first cell of its row (or column, for results with a
column per asset) and every other asset gets its numbers.
"""

from __future__ import annotations

import contextlib
import contextvars

import numpy as np

from ..core.errors import InvalidArgument, NonFiniteValues, ShapeMismatch
from .cells import LabelledColumns
from .errors import PREFIX as ERROR_PREFIX
from .errors import error_line
from .values import not_a_number, numbers_by_cell

#: The FM_* function being computed in this thread (set by :func:`computing`), named in each failure's line.
_FUNCTION = contextvars.ContextVar("function", default="FM")


@contextlib.contextmanager
def computing(function: str):
    """Name ``function`` in the ``#FM!`` lines that :func:`mark_failures` writes while it runs."""
    token = _FUNCTION.set(function)
    try:
        yield
    finally:
        _FUNCTION.reset(token)


def mark_failures(values, failures: dict, axis, row_offset: int = 0, col_offset: int = 0) -> np.ndarray:
    """``values`` with each failed asset's slot blanked and its ``#FM!`` line in the slot's first cell.

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
        out[first] = failure_line(error)
    return out


def failure_line(error) -> str:
    """The ``#FM!`` line of one asset's failure, naming the function being computed."""
    return error_line(_FUNCTION.get(), error)


def finish(function: str, result):
    """The result as cells may hold it: an overflow (an infinite number anywhere) refused as one line."""
    if isinstance(result, (str, type(None))):
        return result
    if isinstance(result, LabelledColumns):  # the labels as cells, the numbers as floats
        overflow = _infinite(np.asarray(result.labels, dtype=object)) or _infinite(result.numbers)
    else:
        overflow = _infinite(np.asarray(result))
    return error_line(function, _overflow()) if overflow else result


def _infinite(array: np.ndarray) -> bool:
    """Whether a number in ``array`` is infinite (a text such as "inf" is not a number)."""
    if array.dtype.kind == "f":
        return bool(np.isinf(array).any())
    if array.dtype == object and array.size:
        # Compared in C cell by cell: a number equals infinity, a label such as "inf" (text) does not.
        return bool((array == np.inf).any() or (array == -np.inf).any())
    return False


def _overflow() -> NonFiniteValues:
    return NonFiniteValues(
        "the result is too large to show (it overflows to infinity); check the sizes and units of the inputs")


def cell_by_cell(compute, **blocks) -> np.ndarray:
    """``compute`` of one or more blocks of numbers, element-wise as the sheet's own formulas are: a cell that
    holds no number keeps, in its slot, another FM_* cell's ``#FM!`` line (a failed asset in a spill) or its own
    line (#N/A, text, TRUE), and the other cells get their numbers. A block of one cell applies to every cell of
    the others (blocks of more cells must have one shape); one cell without a number in it has no slot of its own,
    so its refusal is the answer. ``compute`` takes each block's floats (NaN for blanks and for those cells),
    broadcast to one shape, in the order of ``blocks``, and returns an array of that shape (floats, or cells with
    lines of its own).
    """
    read = {argument: numbers_by_cell(block, argument) for argument, block in blocks.items()}
    for argument, (values, others) in read.items():
        if others and values.size == 1:
            cell = others[0][1]
            if _upstream(cell):
                raise InvalidArgument(f"is the error of another FM_* cell ({cell.strip()}): fix that cell first",
                                      argument)
            raise InvalidArgument(f"{not_a_number(cell)}; give a number or leave it blank", argument)
    if len({values.shape for values, _ in read.values() if values.size > 1}) > 1:  # a row and a column: no grid
        shapes = [f"{argument} {values.shape[0]} x {values.shape[1]}" for argument, (values, _) in read.items()]
        raise ShapeMismatch(f"{' and '.join(shapes)}: give one number or ranges of the same shape",
                            list(read)[-1])
    arrays = np.broadcast_arrays(*(values for values, _ in read.values()))
    out = compute(*arrays)
    lines = [(where, cell, argument) for argument, (_, others) in read.items() for where, cell in others]
    if not lines:
        return out
    cells = np.asarray(out, dtype=object).copy() if np.asarray(out).dtype == object else \
        np.asarray(out, dtype=float).astype(object)
    for (i, j), cell, argument in reversed(lines):  # the first argument's line shows where two meet
        cells[i, j] = cell.strip() if _upstream(cell) else failure_line(InvalidArgument(
            f"{not_a_number(cell)} (row {i + 1}, column {j + 1}); give a number or leave it blank", argument))
    return cells


def _upstream(cell) -> bool:
    """True for another FM_* cell's ``#FM!`` line."""
    return isinstance(cell, str) and cell.strip().startswith(ERROR_PREFIX)
