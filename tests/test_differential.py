"""Hypothesis-driven differential test: FM_BETA, FM_ALPHA, FM_REGRESS and FM_VARDECOMP on messy ranges
against statsmodels OLS on the same cleaned real data, to 1e-10.

Each example takes a window of the monthly industry returns and the three
Fama-French factors, punches holes with every kind of non-number a range
holds (blank, text, booleans, error codes), writes some numbers as ``int``
or ``Decimal``, and hands the rows over oldest first, newest first or
shuffled, with datetime or serial dates. The reference drops the holed rows
per asset and fits statsmodels on the rest.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from excel_shapes import ERROR_CODES
from xl_factor.sheet.catalogue import call

EPOCH = dt.datetime(1899, 12, 30)
HOLES = (None, "", "n/a", "'0.01", True, False) + ERROR_CODES
ASSETS = ["NoDur", "Durbl", "Manuf", "Enrgy", "Hlth"]
FACTORS = ["MktRF", "SMB", "HML"]
RTOL = 1e-10


@st.composite
def messy(draw, ff):
    start = draw(st.integers(0, len(ff) - 200))
    n_rows = draw(st.integers(40, 180))
    n_assets = draw(st.integers(1, 3))
    assets = draw(st.permutations(ASSETS))[:n_assets]
    n_factors = draw(st.integers(1, 3))
    frame = ff.iloc[start:start + n_rows]
    y = frame[assets].sub(frame["RF"], axis=0)
    f = frame[FACTORS[:n_factors]]
    seed = draw(st.integers(0, 2**31 - 1))
    rng = random.Random(seed)
    holes = {(rng.randrange(n_rows), rng.randrange(n_assets)): rng.choice(HOLES)
             for _ in range(draw(st.integers(0, 12)))}
    serial = draw(st.booleans())
    order = draw(st.sampled_from(["oldest first", "newest first", "shuffled"]))
    kinds = draw(st.sampled_from(["float", "Decimal"]))
    return y, f, holes, serial, order, kinds, seed


def _range(frame: pd.DataFrame, holes: dict, serial: bool, order: str, kinds: str, seed: int) -> tuple:
    rows = []
    for i, (stamp, values) in enumerate(zip(frame.index, frame.itertuples(index=False))):
        date = float((stamp.to_pydatetime() - EPOCH).days) if serial else stamp.to_pydatetime()
        cells = []
        for j, v in enumerate(values):
            cell = holes.get((i, j), float(v))
            if kinds == "Decimal" and type(cell) is float and i % 3 == 0:
                cell = Decimal(repr(cell))
            cells.append(cell)
        rows.append((date,) + tuple(cells))
    if order == "newest first":
        rows.reverse()
    elif order == "shuffled":
        random.Random(seed).shuffle(rows)
    return (("Date" if serial else None,) + tuple(frame.columns),) + tuple(rows)


def _reference(y: pd.DataFrame, f: pd.DataFrame, holes: dict):
    fits = []
    for j, name in enumerate(y.columns):
        keep = [i for i in range(len(y)) if (i, j) not in holes]
        fits.append(sm.OLS(y[name].iloc[keep].to_numpy(), sm.add_constant(f.iloc[keep].to_numpy())).fit())
    return fits


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_messy_ranges_equal_statsmodels_on_the_cleaned_data(ff_monthly, data):
    y, f, holes, serial, order, kinds, seed = data.draw(messy(ff_monthly))
    asset = _range(y, holes, serial, order, kinds, seed)
    factors = _range(f, {}, serial, "oldest first", "float", seed)
    fits = _reference(y, f, holes)

    betas = np.asarray(call("FM_BETA", asset, factors), dtype=float).reshape(len(fits), -1)
    alphas = np.asarray(call("FM_ALPHA", asset, factors), dtype=float).reshape(-1)
    decomp = np.asarray(call("FM_VARDECOMP", asset, factors), dtype=object)
    for j, res in enumerate(fits):
        np.testing.assert_allclose(betas[j], res.params[1:], rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(alphas[j], res.params[0], rtol=RTOL, atol=1e-14)
        total = np.var(res.model.endog, ddof=1)
        idio = np.var(res.resid, ddof=1)
        np.testing.assert_allclose(np.asarray(decomp[j + 1, 1:], dtype=float),
                                   [total, total - idio, idio, (total - idio) / total], rtol=1e-9, atol=1e-14)
    one = tuple(row[:2] for row in asset)
    table = np.asarray(call("FM_REGRESS", one, factors, "HC1"), dtype=object)
    robust = fits[0].model.fit(cov_type="HC1")
    k = len(fits[0].params)
    np.testing.assert_allclose(np.asarray(table[1:1 + k, 1], dtype=float), robust.params, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(np.asarray(table[1:1 + k, 2], dtype=float), robust.bse, rtol=1e-9)
