"""Wide labelled results (label rows over a float block) on their way to the cells, checked cell by cell.

Every expected cell is built here independently: a per-cell conversion of
the float block (NaN to the blank, numbers as Python floats), the label rows
first, and for FM_ROLLING_BETA statsmodels' RollingOLS per asset.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from conftest import FF3, RTOL
from excel_shapes import excel_range
from xl_factor.sheet.catalogue import call
from xl_factor.sheet.cells import LabelledColumns, as_cells, labelled_columns
from xl_factor.sheet.failures import finish


def per_cell(numbers: np.ndarray, blank) -> list:
    """The reference conversion: one cell at a time."""
    return [[blank if math.isnan(v) else float(v) for v in row] for row in numbers.tolist()]


def typed(rows) -> list:
    return [[(type(c), c) for c in row] for row in rows]


@pytest.mark.parametrize("blank", ["", None])
@pytest.mark.parametrize("layout", ["none", "scattered", "leading", "whole columns", "alternating rows", "every cell"])
def test_a_float_block_gives_python_floats_and_blanks_where_nan(blank, layout):
    rng = np.random.default_rng(3)
    numbers = rng.normal(size=(40, 9))
    numbers[30, 1] = -0.0
    if layout == "scattered":
        numbers[rng.random(numbers.shape) < 0.2] = np.nan
    elif layout == "leading":
        numbers[:12] = np.nan
        numbers[:20, 3:6] = np.nan
    elif layout == "whole columns":
        numbers[:, [0, 8]] = np.nan
    elif layout == "alternating rows":  # runs of one row each: no NaN, NaN only, mixed, ...
        numbers[1::3] = np.nan
        numbers[2::3, 4] = np.nan
        numbers[39] = np.nan
    elif layout == "every cell":
        numbers[:] = np.nan
    expected = per_cell(numbers, blank)
    assert typed(as_cells(numbers, blank=blank)) == typed(expected)
    labels = [f"a{j // 3}:{FF3[j % 3]}" for j in range(9)]
    table = labelled_columns([labels], numbers.copy(), {}, 3)
    assert isinstance(table, LabelledColumns)
    assert typed(as_cells(table, blank=blank)) == typed([labels] + expected)
    assert layout == "every cell" or str(as_cells(table)[31][1]) == "-0.0"


def test_without_labels_or_failures_the_block_stays_a_float_array():
    numbers = np.ones((3, 4))
    assert labelled_columns([], numbers, {}, 2) is numbers


def test_a_failed_slot_is_blank_but_for_its_line_and_asarray_is_the_object_table():
    numbers = np.arange(24, dtype=float).reshape(4, 6)
    table = labelled_columns([["a:x", "a:y", "b:x", "b:y", "c:x", "c:y"]], numbers, {1: "#FM! FM_X: b"}, 2)
    cells = as_cells(table, blank="")
    assert cells[0] == ["a:x", "a:y", "b:x", "b:y", "c:x", "c:y"]
    assert cells[1] == [0.0, 1.0, "#FM! FM_X: b", "", 4.0, 5.0]
    assert [row[2:4] for row in cells[2:]] == [["", ""]] * 3
    assert [row[:2] + row[4:] for row in cells[2:]] == [[6.0, 7.0, 10.0, 11.0], [12.0, 13.0, 16.0, 17.0],
                                                          [18.0, 19.0, 22.0, 23.0]]
    objects = np.asarray(table)
    assert objects.dtype == object and objects.shape == (5, 6)
    assert objects[1, 2] == "#FM! FM_X: b" and all(c is None for c in objects[1:, 2:4].ravel()[1:])
    assert objects[2, 0] == 6.0 and type(objects[2, 0]) is float


@pytest.mark.parametrize("where", [(0, 0), (3, 4), (7, 5)])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_an_infinite_number_anywhere_in_the_block_is_the_one_overflow_line(where, sign):
    numbers = np.full((8, 6), 0.5)
    numbers[:2] = np.nan
    numbers[where] = sign * np.inf
    table = labelled_columns([["inf", "-inf", "Infinity", "b:x", "nan", "c"]], numbers, {}, 2)
    line = finish("FM_ROLLING_BETA", table)
    assert isinstance(line, str) and line.startswith("#FM! FM_ROLLING_BETA: the result is too large")


def test_labels_that_read_inf_are_text_not_an_overflow():
    numbers = np.full((3, 4), 1.7976931348623157e308)
    numbers[0] = np.nan
    table = labelled_columns([["inf", "-inf", "INF", "Infinity"]], numbers, {0: "#FM! FM_X: inf"}, 2)
    assert finish("FM_X", table) is table
    assert as_cells(table)[0] == ["inf", "-inf", "INF", "Infinity"]


def rolling_ols(y: pd.Series, f: pd.DataFrame, window: int) -> np.ndarray:
    x = sm.add_constant(f.to_numpy())
    return RollingOLS(y.to_numpy(), x, window, min_nobs=f.shape[1] + 2, missing="drop").fit(reset=1).params[:, 1:]


def test_the_cells_of_a_multi_asset_rolling_beta_with_a_failure_a_blank_column_and_holes(industry_excess, ff_monthly):
    y = industry_excess.iloc[:240, :4].copy()
    f = ff_monthly[FF3].loc[y.index]
    y.iloc[:-3, 1] = np.nan  # Durbl: 3 rows, cannot be fitted
    y["Manuf"] = np.nan  # no values: not an asset, its columns stay blank
    y.iloc[[10, 50, 51, 130], 0] = np.nan  # NoDur: holes
    y.iloc[:100, 3] = np.nan  # Enrgy: listed late
    cells = as_cells(call("FM_ROLLING_BETA", excel_range(y), excel_range(f), 36), blank="")
    assert cells[0] == [f"{a}:{b}" for a in y.columns for b in FF3]
    assert len(cells) == 241 and all(len(row) == 12 for row in cells)
    assert cells[1][3].startswith("#FM! FM_ROLLING_BETA: asset: 'Durbl' has 3 rows")
    assert all(c == "" for row in cells[1:] for c in row[3:9] if c is not cells[1][3])
    for j, name in ((0, "NoDur"), (3, "Enrgy")):
        expected = rolling_ols(y[name], f, 36)
        got = [row[3 * j:3 * j + 3] for row in cells[1:]]
        for g, e in zip(got, expected):
            if np.isnan(e).any():
                assert np.isnan(e).all() and g == ["", "", ""]
            else:
                assert all(type(c) is float for c in g), (name, g, e)
                np.testing.assert_allclose(g, e, rtol=RTOL, atol=RTOL * np.nanmax(np.abs(expected)))
