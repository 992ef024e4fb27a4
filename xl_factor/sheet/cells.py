"""Results out: what a function returns, turned into the cells a spreadsheet shows.

A result is a number, a text (an ``#FM!`` line), a 2-D float array (NaN is
a blank), a 2-D object array (labelled tables, ``None`` or NaN is a blank)
or a :class:`LabelledColumns` (label rows over a float block, which stays
float until its cells are made). Front doors choose what a blank is in their
runtime (classic Excel shows an empty string as a blank cell in an array;
``None`` would show 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LabelledColumns:
    """A wide result: rows of column labels over a (T, W) block of numbers, and the slots that failed.

    The block is cut into slots of ``slot_width`` columns (one asset's
    columns); a failed slot (``failed``: slot number to its ``#FM!`` line) is
    blank but for its line in the slot's first cell of the block's first
    row. ``numbers`` holds NaN for a blank. Made by :func:`labelled_columns`;
    ``numpy.asarray`` of it is the object table it stands for.
    """

    labels: tuple
    numbers: np.ndarray
    failed: dict
    slot_width: int

    def __array__(self, dtype=None, copy=None):
        n_labels = len(self.labels)
        table = np.empty((n_labels + self.numbers.shape[0], self.numbers.shape[1]), dtype=object)
        if n_labels:
            table[:n_labels] = self.labels
        table[n_labels:] = self.numbers
        for slot, line in self.failed.items():
            table[n_labels:, self._slot(slot)] = None
            table[n_labels, slot * self.slot_width] = line
        return table if dtype is None else table.astype(dtype)

    def _slot(self, slot: int) -> slice:
        return slice(slot * self.slot_width, (slot + 1) * self.slot_width)


def labelled_columns(labels, numbers: np.ndarray, failed: dict, slot_width: int):
    """``numbers`` under the rows ``labels`` with the ``failed`` slots blanked (in place) and lined.

    Without labels or failures this is ``numbers`` itself, a float array.
    """
    labels = tuple(tuple(row) for row in labels)
    if not labels and not failed:
        return numbers
    if any(len(row) != numbers.shape[1] for row in labels):
        raise ValueError("every label row must be as wide as the numbers")
    result = LabelledColumns(labels, numbers, dict(failed), int(slot_width))
    for slot in result.failed:
        numbers[:, result._slot(slot)] = np.nan
    return result


def as_cells(result, blank=""):
    """Rows of cells (list of lists) for ``result``; a 1 x 1 result stays a one-cell table."""
    if isinstance(result, str):
        return [[result]]
    if isinstance(result, LabelledColumns):
        return _labelled_cells(result, blank)
    array = np.asarray(result)
    if array.ndim == 0:
        return [[_scalar(array.item(), blank)]]
    if array.ndim == 1:
        array = array[None, :]
    if array.dtype.kind == "f":
        return _float_cells(array, blank)
    flat = array.ravel()
    if set(map(type, flat)) <= _PLAIN:  # one C pass over the types; then blanks by mask, not cell by cell
        cells = array.copy()
        cells[pd.isna(array)] = blank
        return cells.tolist()
    return [[_scalar(c, blank) for c in row] for row in array.tolist()]


#: Cell types a result may hand over as they are (a float NaN or None still becomes the blank).
_PLAIN = {float, str, bool, int, type(None)}


def _labelled_cells(result: LabelledColumns, blank) -> list:
    """The label rows (each label as :func:`_scalar` gives it), then the block's rows, each failed slot's line in place."""
    rows = [[_scalar(c, blank) for c in row] for row in result.labels]
    body = _float_cells(result.numbers, blank)
    for slot, line in result.failed.items():
        body[0][slot * result.slot_width] = line
    return rows + body


def _float_cells(array: np.ndarray, blank) -> list:
    """Rows of Python floats for a 2-D float array, NaN as ``blank``; each number made once, rows alike done alike.

    The rows are taken in runs of one kind: rows without a NaN go through
    ``tolist`` as they are, rows of NaN only become rows of blanks, and only
    the mixed rows pass through objects.
    """
    missing = np.isnan(array)
    if not missing.any():
        return array.tolist()
    kind = missing.any(axis=1).astype(np.int8) + missing.all(axis=1)  # 0 no NaN, 1 mixed, 2 NaN only
    starts = np.flatnonzero(np.diff(kind, prepend=-1)).tolist() + [array.shape[0]]
    rows = []
    for start, stop in zip(starts[:-1], starts[1:]):
        if kind[start] == 0:
            rows += array[start:stop].tolist()
        elif kind[start] == 2:
            rows += [[blank] * array.shape[1] for _ in range(stop - start)]
        else:
            cells = array[start:stop].astype(object)
            cells[missing[start:stop]] = blank
            rows += cells.tolist()
    return rows


def _scalar(value, blank):
    if value is None:
        return blank
    if isinstance(value, float) and math.isnan(value):
        return blank
    if isinstance(value, (np.floating, np.integer, np.bool_)):  # numpy numbers leave as Python ones
        return _scalar(value.item(), blank)
    return value
