"""Fuzzing every FM_* function with random Excel-shaped inputs: no exception ever escapes.

Arguments are drawn from what COM can hand a UDF (floats including huge and
non-finite ones, None, text, booleans, datetimes, error codes, ints) as
scalars or ragged-free tables, and from well-formed return tables with a
header, a date column and holes, so that fuzzing reaches the model code and
not only the argument checks. Every answer is a result or one #FM! line,
and never an internal error.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from excel_shapes import ERROR_CODES
from xl_factor.sheet.catalogue import CATALOGUE, call
from xl_factor.sheet.cells import as_cells

CELL = st.one_of(
    st.none(), st.just(""), st.text(max_size=6), st.booleans(), st.sampled_from(ERROR_CODES),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(-0.3, 0.3), st.integers(-10, 80_000),
    st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)


@st.composite
def random_table(draw):
    rows, cols = draw(st.integers(0, 7)), draw(st.integers(0, 4))
    return tuple(tuple(draw(CELL) for _ in range(cols)) for _ in range(rows))


@st.composite
def return_table(draw):
    """Header, a date column (datetime or serial), returns with random holes."""
    rows, cols = draw(st.integers(1, 40)), draw(st.integers(1, 3))
    start = dt.datetime(2000, 1, 31)
    serial = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.normal(0, 0.05, (rows, cols))
    out = [(("Date" if serial else None),) + tuple(f"a{j}" for j in range(cols))]
    for i in range(rows):
        day = start + dt.timedelta(days=i)
        cells = [float(v) if rng.random() > 0.1 else draw(CELL) for v in values[i]]
        out.append(((day - dt.datetime(1899, 12, 30)).days * 1.0 if serial else day,) + tuple(cells))
    return tuple(out)


VALUE = st.one_of(CELL, random_table(), return_table())


@pytest.mark.parametrize("function", CATALOGUE, ids=lambda f: f.name)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_exception_escapes(function, data):
    count = data.draw(st.integers(0, len(function.args)))
    args = [data.draw(VALUE) for _ in range(count)]
    result = call(function.name, *args)
    if isinstance(result, str) and not (function.name == "FM_DATA" and result.startswith("FM_DATA:")):
        assert result.startswith(f"#FM! {function.name}: ") and "\n" not in result, result
        assert "internal error" not in result, (args, result)
    cells = as_cells(result)
    assert isinstance(cells, list) and all(isinstance(row, list) for row in cells)
