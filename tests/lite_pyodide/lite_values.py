"""Values shaped as xlwings Lite hands them over; used by the test (CPython) and by driver.py (Pyodide).

xlwings 0.37.8's Office.js conversion, read from its source: a range with
``ndim=2`` is a list of row lists; numbers are ``float``, whole ones ``int``;
text is ``str``; TRUE/FALSE are ``bool``; blank and error cells are ``None``;
dates are serial numbers (days since 1899-12-30). Only numpy is used here:
Pyodide's numpy draws the same random numbers as CPython's.
"""

import numpy as np


def lite_cell(value):
    """One cell as Lite hands it over."""
    if value is None or isinstance(value, (bool, str)):
        return value
    number = float(value)
    if number != number:  # NaN: a blank (or error) cell
        return None
    return int(number) if number.is_integer() else number


def lite_rows(header, serials, values):
    """Rows of cells: an optional header row, an optional first column of serials, then ``values``."""
    rows = [] if header is None else [list(header)]
    for i, row in enumerate(np.asarray(values, dtype=float).tolist()):
        cells = [lite_cell(v) for v in row]
        rows.append(cells if serials is None else [lite_cell(serials[i])] + cells)
    return rows


def bench_ranges(n_rows=2520, n_assets=500, n_factors=3, seed=0):
    """The sheet benchmark's FM_BETA inputs, as Lite hands them over: header, serial dates, returns."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(0.0003, 0.01, (n_rows, n_factors))
    returns = 0.0001 + factors @ rng.normal(1, 0.4, (n_factors, n_assets)) + rng.normal(0, 0.015, (n_rows, n_assets))
    serials = [41276 + i for i in range(n_rows)]  # 2013-01-02 onwards, one a day
    asset = lite_rows(["Date"] + [f"a{i}" for i in range(n_assets)], serials, returns)
    factor = lite_rows(["Date"] + [f"f{i}" for i in range(n_factors)], serials, factors)
    return asset, factor
