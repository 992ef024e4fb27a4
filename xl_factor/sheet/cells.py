"""Results out: what a function returns, turned into the cells a spreadsheet shows.

A result is a number, a text (an ``#FM!`` line), a 2-D float array (NaN is
a blank) or a 2-D object array (labelled tables, ``None`` or NaN is a blank).
Front doors choose what a blank is in their runtime (classic Excel shows an
empty string as a blank cell in an array; ``None`` would show 0).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def as_cells(result, blank=""):
    """Rows of cells (list of lists) for ``result``; a 1 x 1 result stays a one-cell table."""
    if isinstance(result, str):
        return [[result]]
    array = np.asarray(result)
    if array.ndim == 0:
        return [[_scalar(array.item(), blank)]]
    if array.ndim == 1:
        array = array[None, :]
    if array.dtype.kind == "f":
        if not np.isnan(array).any():
            return array.tolist()
        cells = array.astype(object)
        cells[np.isnan(array)] = blank
        return cells.tolist()
    flat = array.ravel()
    if set(map(type, flat)) <= _PLAIN:  # one C pass over the types; then blanks by mask, not cell by cell
        cells = array.copy()
        cells[pd.isna(array)] = blank
        return cells.tolist()
    return [[_scalar(c, blank) for c in row] for row in array.tolist()]


#: Cell types a result may hand over as they are (a float NaN or None still becomes the blank).
_PLAIN = {float, str, bool, int, type(None)}


def _scalar(value, blank):
    if value is None:
        return blank
    if isinstance(value, float) and math.isnan(value):
        return blank
    if isinstance(value, (np.floating, np.integer, np.bool_)):  # numpy numbers leave as Python ones
        return _scalar(value.item(), blank)
    return value
