"""Build Excel-shaped values (what COM hands a UDF) from pandas data, for tests."""

from __future__ import annotations

import pandas as pd

NA = -2146826246  # #N/A as COM passes it
ERROR_CODES = (-2146826288, -2146826281, -2146826273, -2146826265, -2146826259, -2146826252, -2146826246)


def excel_range(frame: pd.DataFrame | pd.Series, dates: bool = True, header: bool = True) -> tuple:
    """A tuple of row tuples: optional header row, optional date column (datetime cells), float cells."""
    frame = frame.to_frame() if isinstance(frame, pd.Series) else frame
    rows = []
    if header:
        rows.append(((None,) if dates else ()) + tuple(str(c) for c in frame.columns))
    for stamp, values in zip(frame.index, frame.itertuples(index=False)):
        cells = tuple(float(v) for v in values)
        rows.append(((stamp.to_pydatetime(),) if dates else ()) + cells)
    return tuple(rows)


def set_cell(value: tuple, row: int, col: int, cell) -> tuple:
    """A copy of an Excel-shaped range with one cell replaced."""
    rows = [list(r) for r in value]
    rows[row][col] = cell
    return tuple(tuple(r) for r in rows)
