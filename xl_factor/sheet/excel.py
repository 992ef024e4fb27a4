"""What Excel hands a function, as constants: COM error codes and date serials."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Integer codes COM uses for error cells.
ERROR_CODES = {
    -2146826288: "#NULL!",
    -2146826281: "#DIV/0!",
    -2146826273: "#VALUE!",
    -2146826265: "#REF!",
    -2146826259: "#NAME?",
    -2146826252: "#NUM!",
    -2146826246: "#N/A",
    -2146826245: "#GETTING_DATA",
}
ERROR_CODE_ARRAY = np.array(sorted(ERROR_CODES), dtype=float)

#: What VBA passes for an optional argument the user left out (DISP_E_PARAMNOTFOUND).
MISSING_ARGUMENT = -2147352572

#: Day zero of Excel's 1900 date system, as used for every date after 1900-02-28.
EPOCH = pd.Timestamp("1899-12-30")
#: Serials of 1900-03-01 and 9999-12-31: the range read as dates.
FIRST_SERIAL, LAST_SERIAL = 61, 2_958_465


def is_error_code(value) -> bool:
    """True for an ``int`` that is one of COM's error-cell codes."""
    return type(value) is int and value in ERROR_CODES


def serials_to_dates(serials) -> pd.DatetimeIndex:
    """Excel serial day numbers to dates, to the millisecond (Excel's own resolution of a time).

    A serial holds a time of day only to about a microsecond (a double of 45,000 days), so 09:35 comes back
    as 09:35:00.000000400 unless rounded; to the millisecond, a date-time column written as serials
    (:func:`dates_to_serials`) matches the same dates given as datetimes.
    """
    return pd.DatetimeIndex(EPOCH + pd.to_timedelta(np.asarray(serials, dtype=float), unit="D")).round("ms")


def dates_to_serials(dates) -> np.ndarray:
    """Dates to Excel serial day numbers (floats, whole for midnight)."""
    index = pd.DatetimeIndex(dates)
    return (index - EPOCH) / pd.Timedelta(days=1)
