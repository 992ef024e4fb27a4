"""Shared fixtures: the real market data in tests/data, loaded once per session.

tests/data holds byte-for-byte copies of ../shared/data (sources and licences
in tests/data/README.md), so a clone of the repository alone runs the suite;
tests/test_data_copies.py checks the copies against ../shared/data when it is
beside the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
#: The real data the tests read: the copies in tests/data.
DATA = REPO / "tests" / "data"
#: The old name of DATA, still imported by some tests; it is tests/data, not ../shared/data.
SHARED_DATA = DATA
#: The source of the copies in DATA, when the project's shared folder is beside the checkout
#: (``XL_FACTOR_SHARED_DATA`` names another place).
SHARED_SOURCE = Path(os.environ.get("XL_FACTOR_SHARED_DATA", REPO.parent / "shared" / "data"))
INDUSTRIES = ["NoDur", "Durbl", "Manuf", "Enrgy", "Chems", "BusEq", "Telcm", "Utils", "Shops", "Hlth", "Money", "Other"]
FF3 = ["MktRF", "SMB", "HML"]

#: Relative tolerance of every comparison against statsmodels / numpy on real data.
RTOL = 1e-10


def _csv(name: str) -> pd.DataFrame:
    path = DATA / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the tests read the real data in tests/data (see its README.md)")
    return pd.read_csv(path, index_col=0)


@pytest.fixture(scope="session")
def ff_monthly() -> pd.DataFrame:
    """Monthly Fama-French factors, RF and portfolios (decimals), 1949-2017."""
    frame = _csv("ff_monthly_1949_2017.csv")
    frame.index = pd.to_datetime(frame.index)
    return frame


@pytest.fixture(scope="session")
def industry_excess(ff_monthly) -> pd.DataFrame:
    """The 12 industry portfolios' excess returns (portfolio minus RF)."""
    return ff_monthly[INDUSTRIES].sub(ff_monthly["RF"], axis=0)


@pytest.fixture(scope="session")
def daily_returns() -> pd.DataFrame:
    """Daily simple returns of the 20 S&P 500 stocks and the index (``SP500``), 1990-2022."""
    prices = _csv("sp500_stocks_daily_prices_1990_2022.csv").join(_csv("sp500_index_daily_1990_2022.csv"))
    prices.index = pd.to_datetime(prices.index)
    return prices.pct_change().iloc[1:]


def assert_close(actual, expected, rtol: float = RTOL, atol: float = 0.0) -> None:
    """Element-wise relative comparison with a stated tolerance."""
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


def require(available: bool, what: str) -> None:
    """Skip a test without ``what``; fail instead when CI is set, so CI cannot pass without it."""
    if available:
        return
    message = f"{what} is not installed"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
    pytest.skip(message)


@pytest.fixture(scope="session")
def extension_dir(tmp_path_factory):
    """The add-in installed once per session into a private folder, for the tests that recalculate in LibreOffice.

    tests/test_libreoffice_addin.py keeps its own, which installs twice to prove the install idempotent.
    """
    from xl_factor.libreoffice import install, office

    require(office.libreoffice_available(), "LibreOffice with Python UNO")
    folder = tmp_path_factory.mktemp("lo_extensions")
    install.install("private", folder)
    return folder
