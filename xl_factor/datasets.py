"""The real market data bundled with the package (sources and licences in data/NOTICE.md)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

DAILY_PRICES = "sp500_daily_prices_2013_2022.csv"
FF_MONTHLY = "ff_monthly_1949_2017.csv"
INDUSTRIES = ("NoDur", "Durbl", "Manuf", "Enrgy", "Chems", "BusEq", "Telcm", "Utils", "Shops", "Hlth", "Money", "Other")


def _read(name: str) -> pd.DataFrame:
    with resources.files("xl_factor.data").joinpath(name).open("r") as handle:
        return pd.read_csv(handle, index_col="Date", parse_dates=True)


def daily_prices() -> pd.DataFrame:
    """Daily closes 2012-12-31 to 2022-12-28: ``SP500`` index level and eight stocks."""
    return _read(DAILY_PRICES)


def ff_monthly() -> pd.DataFrame:
    """Monthly Fama-French factors, ``RF`` and 12 industry portfolios, decimals, 1949-2017."""
    return _read(FF_MONTHLY)
