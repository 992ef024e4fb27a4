"""``xl-factor model build`` refuses rows pasted in percent among decimals, by the sheet's one rule.

The universe reader applies the per-series percent rules of :mod:`xl_factor.sheet.units`; the rule for a run of
percent cells inside a decimal column (found on hostile review of the sheet) is applied there too, so a
security's newest month pasted from a percent source does not go into the model. Real daily returns of
tests/data; nothing is written when it refuses.
"""

from __future__ import annotations

import numpy as np
import pytest

from test_universe import build
from test_universe_hostile import _scale_extra, one_line_refusal, snapshot  # noqa: F401 - a fixture

STOCKS = ["AAPL", "MSFT", "KO"]


@pytest.fixture(scope="module")
def real(daily_returns):
    r = daily_returns.loc["2016":"2019"]
    returns, factors = r[STOCKS].copy(), r[["SP500"]].rename(columns={"SP500": "MKT"})
    returns.index.name = factors.index.name = "Date"
    return returns, factors


def write(frame, path):
    frame = frame.copy()
    frame.index = frame.index.strftime("%Y-%m-%d")
    frame.to_csv(path, index_label="Date")
    return path


def test_a_securitys_last_month_in_percent_is_refused_by_its_dates(real, tmp_path, capsys):
    returns, factors = real
    pasted = returns.copy()
    pasted.iloc[-40:, 2] *= 100  # KO's last two months of 2019 in percent
    out = tmp_path / "m"
    code = build({}, out, "--workers", 1, returns=write(pasted, tmp_path / "r.csv"),
                 factors=write(factors, tmp_path / "f.csv"))
    assert code == 2
    err = one_line_refusal(capsys, "security 'KO' looks like percent", "of the 10 values from 2019-",
                           "times its typical move", "give decimal returns")
    assert "r.csv line" in err
    assert snapshot(out) == {}


def test_a_factor_block_in_percent_is_refused_and_the_real_file_is_not(real, tmp_path, capsys):
    returns, factors = real
    pasted = factors.copy()
    pasted.iloc[-20:] *= 100
    code = build({}, tmp_path / "m", "--workers", 1, returns=write(returns, tmp_path / "r.csv"),
                 factors=write(pasted, tmp_path / "f.csv"))
    assert code == 2
    one_line_refusal(capsys, "factor 'MKT' looks like percent", "from 2019-12-")
    from xl_factor.universe.inputs import read_universe

    read = read_universe(write(returns, tmp_path / "r.csv"), write(factors, tmp_path / "f.csv"))
    np.testing.assert_array_equal(read.returns, returns[list(read.ids)].to_numpy())  # the real ones pass
