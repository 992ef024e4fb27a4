"""Excel-shaped values in: a scalar, or rows of cells, turned into labelled float tables.

A cell is a ``float``, ``None`` (blank), ``str``, ``bool``, ``datetime`` or
an ``int`` COM error code. The rules (the function reference repeats them):

* **Header row**: the first row is a row of labels when it holds text and no
  numbers, or a date word over a column of dates beside whole numbers
  (numeric security ids).
* **Date column**: the first column (of a range with at least two columns)
  is the period index when its non-blank cells are all dates, either as
  ``datetime`` (classic Excel; time-zone-aware ones are read at their
  wall-clock time, as Excel shows them), ISO text dates (``2020-01-31``),
  or whole-number serials (LibreOffice, xlwings Lite, dates returned by
  another FM_* function). Serials count as dates when they lie between 61
  (1900-03-01) and 2958465 (9999-12-31) and either the header above says so
  (a word of :data:`DATE_WORDS` or :data:`DATE_WHOLE_WORDS`, in several
  languages) or, whatever the
  header, they run strictly one way (oldest first or newest first) over at
  least three rows, in steps of a calendar (1 to 10 days, a week, a month,
  a quarter, half a year or a year), between 1920 and 2200. Returns are
  never whole numbers in those ranges, and prices do not move by calendar
  steps every single period in that range; a column that is neither stays
  a series, where the unit checks refuse it rather than regress it. A row
  whose date cell is blank keeps its place in the results but holds no data.
* **Missing values**: blanks, text, booleans and error cells below the
  header are missing (NaN), as Excel's own SLOPE and VAR.S ignore them.

The numeric conversion is vectorised: one ``numpy.array`` call for a range
of plain numbers; for mixed ranges, a per-column type scan in C, with a
per-cell pass only over the columns that mix types.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

import numpy as np
import pandas as pd
from pandas._libs import lib as _lib
from pandas.api.types import infer_dtype
from pandas.arrays import DatetimeArray as _DatetimeArray

try:
    from pandas._libs.tslib import array_to_datetime as _array_to_datetime
except ImportError:  # a pandas without it: its public constructor does the same
    _array_to_datetime = None

from ..core.errors import InvalidArgument, ShapeMismatch
from ..core.returns import NAT_TICKS
from .excel import ERROR_CODE_ARRAY, FIRST_SERIAL, LAST_SERIAL, MISSING_ARGUMENT, is_error_code, serials_to_dates

#: Words that mark a header over serial dates: anywhere in the header (``TradeDate``, ``Month end``) ...
DATE_WORDS = ("date", "time", "day", "week", "month", "quarter", "year", "period", "datum", "monat", "jahr",
              "fecha", "dato", "jour", "mois", "année", "annee", "giorno", "mese", "anno", "maand", "jaar", "periode")
#: ... or, for short words that occur inside other words, only as a whole word (``Tag``, ``Mes``).
DATE_WHOLE_WORDS = ("tag", "mes", "año", "ano", "dia", "data", "zeit", "dag")
_DATE_LABEL = re.compile(
    "|".join(DATE_WORDS) + "|" + "|".join(rf"\b{w}\b" for w in DATE_WHOLE_WORDS), re.IGNORECASE)
#: Steps between consecutive serial dates that a calendar makes, in days.
_CALENDAR_STEPS = np.array(sorted({*range(1, 11), *range(12, 16), *range(26, 33), *range(58, 63),
                                   *range(88, 94), *range(179, 186), 364, 365, 366}))
#: Median steps of a calendar: daily, weekly, fortnightly, monthly, two-monthly, quarterly, half-yearly, yearly.
_CALENDAR_MEDIANS = {1.0, 7.0, 14.0, 28.0, 29.0, 30.0, 30.5, 31.0, 59.0, 60.0, 61.0, 62.0, 89.0, 90.0, 90.5, 91.0,
                     92.0, 181.0, 182.0, 183.0, 184.0, 365.0, 366.0}
#: Serials of 1920-01-01 and 2200-01-01: the span read as dates without a date header.
_PLAUSIBLE_SERIALS = (7306, 109574)
#: Dates written as text in ISO form (a time may follow), the one form whose order of year, month and day is never
#: in doubt; the universe model's reader holds to it too.
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_NUMERIC_KINDS = {"floating", "integer", "mixed-integer-float", "decimal", "empty"}


@dataclass(frozen=True)
class Table:
    """A parsed data range: ``values`` (T, N) float with NaN for missing.

    ``names`` are the header labels of the value columns (``None`` without a
    header); ``dates`` the period index (``None`` without a date column; NaT
    on a row whose date cell is blank, whose values are then all NaN);
    ``date_label`` the header over the date column.
    """

    values: np.ndarray
    names: tuple[str, ...] | None = None
    dates: pd.DatetimeIndex | None = None
    date_label: str | None = None

    @property
    def n_rows(self) -> int:
        return self.values.shape[0]

    @property
    def n_cols(self) -> int:
        return self.values.shape[1]

    def labels(self, prefix: str) -> tuple[str, ...]:
        """Column labels: the header's, or ``prefix1..N``."""
        if self.names is None:
            return tuple(f"{prefix}{i + 1}" for i in range(self.n_cols))
        return self.names

    def dated_rows(self) -> tuple[np.ndarray, pd.DatetimeIndex]:
        """Positions (read-only) and dates of the rows that have a date (a blank date cell leaves its row out)."""
        return self._dated_rows

    @cached_property
    def _dated_rows(self) -> tuple[np.ndarray, pd.DatetimeIndex]:  # the date match and the frequency both ask
        rows = np.flatnonzero(~np.isnat(self.dates.values)) if self.dates.hasnans else np.arange(self.n_rows)
        rows.flags.writeable = False
        return rows, self.dates if rows.size == self.n_rows else self.dates[rows]


def is_missing_argument(value) -> bool:
    """True for an optional argument left out: no value, a blank cell, or VBA's missing marker."""
    if value is None or (isinstance(value, str) and value == ""):
        return True
    if type(value) is int and value == MISSING_ARGUMENT:
        return True
    if isinstance(value, (tuple, list)) and len(value) == 1:
        inner = value[0]
        if isinstance(inner, (tuple, list)) and len(inner) == 1:
            return is_missing_argument(inner[0])
    return False


def as_rows(value, argument: str) -> list:
    """Any Excel-shaped value as a list of equal-length rows."""
    if isinstance(value, np.ndarray):
        value = value.tolist() if value.ndim == 2 else [value.tolist()] if value.ndim == 1 else [[value.item()]]
    if not isinstance(value, (tuple, list)):
        return [(value,)]
    if len(value) == 0:
        raise ShapeMismatch("the range is empty; select the cells that hold the data", argument)
    if not isinstance(value[0], (tuple, list)):
        return [tuple(value)]
    rows = list(value)
    widths = set(map(len, rows))
    if len(widths) != 1 or 0 in widths:
        raise ShapeMismatch("the range is empty or ragged; select a rectangular block of cells", argument)
    return rows


def parse_table(value, argument: str, series: bool = True) -> Table:
    """Parse a data range into a :class:`Table` (header row, date column, missing values).

    With ``series=True`` a range of one row and several columns is refused:
    a series runs down a column.
    """
    rows = as_rows(value, argument)
    names = None
    if _is_header(rows[0]) or _is_numbered_header(rows) or _is_id_header(rows):
        names = tuple(_label(c) for c in rows[0])
        rows = rows[1:]
        if not rows:
            raise ShapeMismatch("has a header but no data rows; select the data below the labels too", argument)
    dates, date_label = None, None
    width = len(rows[0])
    if width >= 2:
        dates = _date_column([r[0] for r in rows], names[0] if names else None, argument)
    if series and len(rows) == 1 and width > 1 and names is None and dates is None:
        raise ShapeMismatch(
            "is a single row; lay each series down a column (one row per period), or wrap it in TRANSPOSE()",
            argument,
        )
    if dates is not None:
        date_label = (names[0] or None) if names else None
        names = names[1:] if names else None
        values = _narrow_floats(rows)
        if values is None:
            cells = object_cells(rows)
            cells[:, 0] = None  # the dates are read; blanking them keeps the block contiguous for one type scan
            values = objects_to_float(cells)[:, 1:]
    else:
        values = to_float(rows)
    if dates is not None and dates.hasnans:  # asked once per index (pandas keeps the answer): dated_rows asks too
        values[np.isnat(dates.values)] = np.nan  # an undated row keeps its place but holds no data
    if names is not None:
        names = tuple(n or f"col{i + 1}" for i, n in enumerate(names))
    return Table(values, names, dates, date_label)


#: The span of the nanosecond timestamps dates are matched on (pandas' Timestamp.min and max), to whole
#: seconds inside it. Not converted from nanoseconds: numpy's cast of values that near the int64 limits wraps.
_DATE_SPAN = (np.datetime64("1677-09-22T00:00:00", "s"), np.datetime64("2262-04-11T23:47:16", "s"))


def _check_date_span(dates: pd.DatetimeIndex, argument: str) -> None:
    """Refuse dates outside 1677-09-22 .. 2262-04-11, the span of the nanosecond timestamps dates are matched on."""
    stamps = dates.values  # datetime64 in the index's own unit; NaT compares false
    low, high = _DATE_SPAN  # in seconds: numpy compares in the finer unit, and these fit in nanoseconds
    ticks = stamps.view(np.int64)
    first, last = _span_ticks(stamps.dtype)
    if ticks.size and ticks.min() >= first and ticks.max() <= last:
        return  # every date inside (NaT is the smallest int64, below the span: a column with a blank is compared)
    late, early = stamps > high, stamps < low
    if late.any() or early.any():
        outside = pd.Timestamp(stamps[late].max() if late.any() else stamps[early].min())
        raise InvalidArgument(
            f"has the date {outside.date()}, outside 1677-09-22 to 2262-04-11, the dates this reads; "
            "correct it, or leave the date column out of the range", argument)


def _span_ticks(unit: np.dtype) -> tuple[int, int]:
    """The span's bounds (whole seconds) as integer counts of ``unit`` (a datetime64 dtype); exact for s to ns."""
    ticks = _SPAN_TICKS.get(unit)
    if ticks is None:
        ticks = _SPAN_TICKS[unit] = tuple(int(bound.astype(unit).view(np.int64)) for bound in _DATE_SPAN)
    return ticks


_SPAN_TICKS: dict = {}


#: Value columns up to which a block of plain floats is read column by column (:func:`_narrow_floats`).
NARROW_COLUMNS = 2
_FLOATS_ONLY = {float}


def _narrow_floats(rows: list) -> np.ndarray | None:
    """The cells right of the date column as floats, when there are at most :data:`NARROW_COLUMNS` of them and
    every one is a ``float``; else ``None`` (the general rules read them).

    A type set and one array per column cost a third of an object array's type scan and cast on the one or two
    columns of a small range (a single asset, a market factor).
    """
    width = len(rows[0]) - 1
    if width > NARROW_COLUMNS:
        return None
    values = np.empty((len(rows), width))
    for j in range(width):
        column = [row[j + 1] for row in rows]
        if set(map(type, column)) != _FLOATS_ONLY:  # exact types: a bool, an int error code or text is no float
            return None
        values[:, j] = column
    return values


def object_cells(rows: list) -> np.ndarray:
    """Equal-length rows of cells as a 2-D object array, the cells as they are.

    pandas' row-tuple converter (what its DataFrame constructor uses) is 2x
    to 4x faster than ``numpy.array(rows, dtype=object)``, which first
    probes every row for nested sequences; numpy's remains the fallback.
    """
    try:
        if set(map(type, rows)) == {tuple}:  # one C pass over the row types
            return _lib.to_object_array_tuples(rows)
        return _lib.to_object_array([list(row) for row in rows])
    except Exception:  # noqa: BLE001 - a pandas without these converters: numpy's own
        return np.array(rows, dtype=object)


def to_float(rows) -> np.ndarray:
    """Rows of cells to a 2-D float array: numbers kept, everything else NaN."""
    try:
        array = np.array(rows)
    except ValueError:
        array = np.array(rows, dtype=object)
    if array.ndim != 2:
        array = np.array(rows, dtype=object)
    if array.dtype.kind in "fiub":
        return _clean_numeric(array.astype(float, copy=False), rows, array.dtype.kind)
    return objects_to_float(np.array(rows, dtype=object) if array.dtype != object else array)


def objects_to_float(cells: np.ndarray) -> np.ndarray:
    """A 2-D object array of cells to floats.

    One C-level type scan of the whole block decides: floats, decimals and
    blanks only (the usual block with holes) are cast in one step (``None``
    becomes NaN); integers are checked against the error codes; a block that
    mixes in text, booleans or dates goes column by column.
    """
    kind = infer_dtype(cells.ravel(), skipna=True)
    try:
        if kind in ("floating", "decimal", "empty"):
            return cells.astype(float)
        if kind in ("integer", "mixed-integer-float"):
            values = cells.astype(float)
            values[np.isin(values, ERROR_CODE_ARRAY)] = np.nan
            return values
    except OverflowError:  # a whole number beyond a double (from Python, never from a sheet): cell by cell
        pass
    return _mixed_to_float(cells)


def _clean_numeric(values: np.ndarray, rows, kind: str) -> np.ndarray:
    """A range that numpy read as numbers: drop error codes and booleans (read as 1.0 / 0.0)."""
    if kind == "b":
        return np.full(values.shape, np.nan)
    values = values.copy() if not values.flags.writeable else values
    if kind != "f" or bool((values <= ERROR_CODE_ARRAY.max()).any()):
        values[np.isin(values, ERROR_CODE_ARRAY)] = np.nan
    for i, j in np.argwhere((values == 0.0) | (values == 1.0)):
        if type(rows[i][j]) is bool:
            values[i, j] = np.nan
    return values


def _mixed_to_float(cells: np.ndarray) -> np.ndarray:
    """An object array of mixed cells to floats, column by column."""
    out = np.empty(cells.shape)
    for j in range(cells.shape[1]):
        column = cells[:, j]
        try:
            if infer_dtype(column, skipna=True) in _NUMERIC_KINDS:
                numbers = np.array(column, dtype=float)
                numbers[np.isin(numbers, ERROR_CODE_ARRAY)] = np.nan
                out[:, j] = numbers
                continue
        except OverflowError:
            pass
        out[:, j] = [_cell_number(c) for c in column]
    return out


def _cell_number(cell) -> float:
    kind = type(cell)
    if kind is float:
        return cell
    if kind is int and not is_error_code(cell):
        try:
            return float(cell)
        except OverflowError:  # a whole number beyond a double: infinite, which the fit refuses by name
            return math.inf if cell > 0 else -math.inf
    if isinstance(cell, (float, Decimal, np.floating, np.integer)) and not isinstance(cell, np.bool_):
        return float(cell)  # a float subclass too, as the whole-block cast reads it when no text is beside it
    return np.nan


def _is_numbered_header(rows) -> bool:
    """A header of numeric security ids (CRSP PERMNOs, Tokyo or Seoul tickers: ``Date | 7203 | 6758``): a date word
    over a column of dates, and whole numbers (or text) beside it. A row of data has a date, not a date word,
    there."""
    first = rows[0]
    if len(rows) < 2 or not isinstance(first[0], str) or not _DATE_LABEL.search(first[0]):
        return False
    below = rows[1][0]  # a date in any form a sheet hands over: a datetime, a serial (under the date word), ISO text
    serial = type(below) in (int, float) and not is_error_code(below) and FIRST_SERIAL <= below <= LAST_SERIAL \
        and _looks_like_serials(np.array([float(below)]), first[0])
    if not (isinstance(below, (datetime, date)) or serial or (isinstance(below, str) and ISO_DATE.match(below))):
        return False
    numbers = 0
    for cell in first[1:]:
        if _whole_number(cell):
            numbers += 1
        elif not (cell is None or isinstance(cell, str)):
            return False
    return numbers > 0


#: How many times a column's typical value (over the first rows below) a whole number above it must be to be
#: an id in a header: a return of 10107 over returns near 0.01 is no return.
ID_HEADER_RATIO = 1000
_ID_HEADER_SAMPLE = 50


def _is_id_header(rows) -> bool:
    """A header of numeric ids without a date column (``10107 | 55976`` over returns): every cell of the first row
    a whole number of at least 1, each over :data:`ID_HEADER_RATIO` times the median size of the numbers below
    it (the next :data:`_ID_HEADER_SAMPLE` rows). Over prices nothing tells an id from a price: data, as read."""
    first = rows[0]
    if len(rows) < 3 or not all(_whole_number(c) and abs(c) >= 1 for c in first):
        return False
    for j, cell in enumerate(first):
        below = [abs(r[j]) for r in rows[1:1 + _ID_HEADER_SAMPLE] if type(r[j]) is float and math.isfinite(r[j])]
        if len(below) < 2 or not abs(cell) > ID_HEADER_RATIO * float(np.median(below)):
            return False
    return True


#: How many times (up or down) a column of prices must move in one period, from a first row of whole numbers to
#: the next price below, to count as a column headed by an id: no book moves tenfold in most columns at once.
ID_OVER_PRICES_RATIO = 10


def refuse_id_row_over_prices(prices: Table, argument: str) -> None:
    """Refuse a range of prices read without a header whose first row looks like one of numeric ids.

    Over returns a row of ids stands out by its size (:func:`_is_id_header`); over prices of 10 to 10,000 an id
    of 10107 could be a price, so the row is read as data, and its "returns" would be falls of 99%. When every
    value in the first row is a whole number of at least 1 (blanks and errors aside) and more than half of those
    columns move more than :data:`ID_OVER_PRICES_RATIO` times up or down to their next price below (the first
    period's return, whatever the rows after it do), the range is refused rather than guessed. One column that
    moves so (a split not adjusted) in a book of several stays data; a stock priced near its id is outvoted.
    """
    values = prices.values
    if prices.names is not None or values.shape[0] < 2:
        return
    first, below = values[0], values[1:]
    given = ~np.isnan(first)
    if not given.any() or not (np.isfinite(first[given]) & (first[given] >= 1)
                               & (first[given] == np.round(first[given]))).all():
        return
    present = ~np.isnan(below)
    judged = given & present.any(axis=0)  # a first value with a price somewhere below it
    if not judged.any():
        return
    columns = np.flatnonzero(judged)
    following = below[present[:, columns].argmax(axis=0), columns]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = first[columns] / np.abs(following)
    moved = (ratio > ID_OVER_PRICES_RATIO) | (ratio * ID_OVER_PRICES_RATIO < 1)
    if 2 * int(moved.sum()) > columns.size:
        shown = [str(int(v)) if not np.isnan(v) else "blank" for v in first[:3]]
        ids = ", ".join(shown) + (", ..." if first.size > 3 else "")
        which = "its column moves" if columns.size == 1 else f"{int(moved.sum())} of its {columns.size} columns move"
        raise InvalidArgument(
            f"its first row ({ids}) looks like a header of numeric ids, not prices: {which} more than "
            f"{ID_OVER_PRICES_RATIO}-fold from it to the next price; give the ids as text, or leave that row out "
            "of the range", argument)


def _whole_number(cell) -> bool:
    """True for an ``int`` (not an error code) or a finite whole ``float``; never raises (an int beyond a double)."""
    if type(cell) is int:
        return not is_error_code(cell)
    return type(cell) is float and math.isfinite(cell) and cell.is_integer()


def _label(cell) -> str:
    """A header cell as a label: text stripped, a whole number without its '.0', a blank as ''."""
    if cell is None:
        return ""
    if _whole_number(cell):
        return str(int(cell))
    return str(cell).strip()


def _is_header(row) -> bool:
    has_text = False
    for cell in row:
        if isinstance(cell, str):
            has_text = has_text or bool(cell.strip())
        elif cell is not None:
            return False
    return has_text


def _date_column(cells: list, label: str | None, argument: str) -> pd.DatetimeIndex | None:
    """The first column as dates (NaT for blanks, span checked), or ``None`` when it is not a date column."""
    quick = _naive_datetimes(cells, argument)
    if quick is not None:
        return quick
    dates = _general_dates(cells, label)
    if dates is not None:
        _check_date_span(dates, argument)
    else:
        _refuse_text_dates(cells, argument)
    return dates


#: Text that spells a date in a form other than ISO: 31/12/2019, 12.31.19, 2019/12/31, 31-Dec-2019, Dec 31, 2019,
#: Jan-19.
_MONTH = (r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?"
          r"|dec(ember)?)\.?")
TEXT_DATE = re.compile(
    rf"^\s*(\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{1,4}}|\d{{1,2}}[ -]?{_MONTH}[ ,-]*\d{{2,4}}|{_MONTH}[ -]\d{{1,2}},?[ -]\d{{2,4}}"
    rf"|{_MONTH}[ -]\d{{2,4}})(\s.*)?$", re.IGNORECASE)


def unclear_date_text(text) -> bool:
    """True for text that spells a date in a form other than ISO (03/01/2014 is 3 January read day-first and
    1 March month-first; Jan-14): refused wherever dates are read, sheet or universe file, rather than guessed."""
    return isinstance(text, str) and not ISO_DATE.match(text.strip()) and bool(TEXT_DATE.match(text))


def _refuse_text_dates(cells: list, argument: str) -> None:
    """Refuse a first column of dates written as text in a form other than ISO (more than half its filled cells):
    their order of day and month cannot be told, and read as numbers the column would be an empty series and
    the rows matched by position."""
    texts = [c for c in cells if isinstance(c, str) and c.strip()]
    filled = sum(c is not None and c != "" for c in cells)
    if not texts or len(texts) * 2 <= filled:
        return
    spelled = [c for c in texts if TEXT_DATE.match(c)]
    if len(spelled) * 2 > filled:
        raise InvalidArgument(
            f"has its dates as text ('{spelled[0].strip()[:20]}'), which cannot be read without knowing the order "
            "of day and month; format the date cells as dates, or write them as yyyy-mm-dd", argument)


def _general_dates(cells: list, label: str | None) -> pd.DatetimeIndex | None:
    """The first column by the general rules: datetimes with stray cells, serials, ISO text."""
    filled = [i for i, c in enumerate(cells) if c is not None and c != ""]
    # Blank rows after the last date are a generous range's room to grow, not undated periods.
    if not filled or len(filled) < (filled[-1] + 1) / 2:
        return None
    present = [cells[i] for i in filled]
    kinds = {type(c) for c in present}
    if any(isinstance(c, (datetime, date)) for c in present):
        # Datetime cells are never returns: the column is the period index. A date in another form a sheet
        # hands over (ISO text, a whole serial) is that date; a stray cell (#N/A, other text, a repeated header)
        # is a row without a date, which holds no data.
        stamps = [_among_datetimes(c) for c in cells]
        dated = [stamp is not None for stamp in stamps]
        strays = len(present) - sum(dated)
        if not strays or (sum(dated) >= 2 and strays <= max(1, 0.1 * len(present))):
            return _with_blanks(cells, _wall_clock([t for t in stamps if t is not None]), dated)
    if kinds <= {float, int}:
        try:
            serials = np.array(present, dtype=float)
        except OverflowError:  # a whole number beyond a double is no date serial: a data column, read as +-inf
            return None
        if not _looks_like_serials(serials, label):
            return None
        return _with_blanks(cells, serials_to_dates(serials))
    if kinds == {str} and all(ISO_DATE.match(c.strip()) for c in present):
        return _with_blanks(cells, pd.DatetimeIndex(pd.to_datetime([c.strip() for c in present])))
    return None


def _among_datetimes(cell):
    """A cell of a column of datetimes as a date: a datetime itself, ISO text or a whole serial of 1920-2200 as
    the date it spells; ``None`` for anything else (a blank, #N/A, other text)."""
    if isinstance(cell, (datetime, date)):
        return cell
    if isinstance(cell, str) and ISO_DATE.match(cell.strip()):
        return pd.Timestamp(cell.strip()).to_pydatetime()
    if _whole_number(cell) and _PLAUSIBLE_SERIALS[0] <= cell <= _PLAUSIBLE_SERIALS[1]:
        return serials_to_dates([float(cell)])[0].to_pydatetime()
    return None


#: Cell types of the common date column: datetimes (naive, or aware and then read by the general rules) and blanks.
_NAIVE_KINDS = {datetime, type(None)}


#: The last naive date column read (its cells) and its index, span checked. Ranges side by side (an asset's
#: and the factors') hold the same date column, so the second is matched cell by cell (a few microseconds;
#: naive datetimes are equal only when they are the same wall-clock time, and never equal an aware one or a
#: blank) and shares the index instead of converting and checking again. One entry, replaced whole (threads
#: read a consistent pair), and only for columns of at most :data:`_SHARED_DATE_ROWS` cells.
_LAST_DATES: list = [(None, None)]
_SHARED_DATE_ROWS = 65_536


def _naive_datetimes(cells: list, argument: str) -> pd.DatetimeIndex | None:
    """The common case in one C pass: naive datetime cells and blanks, filled over more than half the rows.

    ``None`` for anything else (aware or mixed cells, serials, text), which the general rules read.
    """
    if not set(map(type, cells)) <= _NAIVE_KINDS:  # one C pass over the cell types
        return None
    last_cells, last_stamps = _LAST_DATES[0]
    if last_cells is not None and len(last_cells) == len(cells) and last_cells == cells:
        return last_stamps
    try:
        stamps = _naive_index(cells)
    except (TypeError, ValueError):  # aware and naive cells mixed
        return None
    if stamps.tz is not None:
        return None
    ticks = stamps.values.view(np.int64)
    if ticks.size and ticks.min() == NAT_TICKS:  # a blank date: more than half the rows up to the last date filled?
        filled = np.flatnonzero(ticks != NAT_TICKS)
        if not filled.size or filled.size < (filled[-1] + 1) / 2:
            return None
    _check_date_span(stamps, argument)
    if len(cells) <= _SHARED_DATE_ROWS:
        _LAST_DATES[0] = (cells, stamps)
    return stamps


def _naive_index(cells: list) -> pd.DatetimeIndex:
    """``pd.DatetimeIndex(cells)`` for naive datetime cells and blanks, by pandas' own converter called directly.

    The constructor's inference around that converter costs about as much again. Its answer is taken only when
    it is what the constructor would build from it (a datetime64 array of the cells' length, no time zone);
    otherwise, or when the converter raises, the constructor itself reads the cells (and raises for mixed zones).
    """
    if _array_to_datetime is not None:
        try:
            stamps, zone = _array_to_datetime(np.fromiter(cells, dtype=object, count=len(cells)))
        except Exception:  # noqa: BLE001 - mixed zones, or another pandas' converter: the constructor decides
            stamps, zone = None, None
        if zone is None and isinstance(stamps, np.ndarray) and stamps.dtype.kind == "M" and len(stamps) == len(cells):
            return _index_of(stamps)  # the converter's own new array: nothing else holds it
    return pd.DatetimeIndex(cells)


def _index_of(stamps: np.ndarray) -> pd.DatetimeIndex:
    """``pd.DatetimeIndex(stamps, copy=False)`` for a naive datetime64 array, without the constructor's inference
    (15 of the 17 µs at 252 rows): pandas' own ``_simple_new`` of the array, when this pandas has it and builds
    the same index (no name, no frequency, the array's unit, the array itself); else the constructor."""
    try:
        index = pd.DatetimeIndex._simple_new(_DatetimeArray._simple_new(stamps, dtype=stamps.dtype))
    except Exception:  # noqa: BLE001 - another pandas' internals: the public constructor
        return pd.DatetimeIndex(stamps, copy=False)
    if index.dtype != stamps.dtype or index.freq is not None or index.name is not None or len(index) != len(stamps):
        return pd.DatetimeIndex(stamps, copy=False)
    return index


def forget_dates() -> None:
    """Drop the shared date column (benchmarks of cold calls, tests)."""
    _LAST_DATES[0] = (None, None)


def _wall_clock(stamps: list) -> pd.DatetimeIndex:
    """Datetimes at their wall-clock time, so that aware and naive cells can share a column."""
    wall = [c.replace(tzinfo=None) if isinstance(c, datetime) and c.tzinfo is not None else c for c in stamps]
    return pd.DatetimeIndex(pd.to_datetime(wall))


def _looks_like_serials(serials: np.ndarray, label: str | None) -> bool:
    """Serials under a date header (date-times too: a fraction of a day, as intraday dates reach LibreOffice and
    Lite and as FM_RETURNS writes them), or whole numbers running one way in calendar steps over 1920-2200."""
    if serials.min() < FIRST_SERIAL or serials.max() > LAST_SERIAL:
        return False
    if label and _DATE_LABEL.search(label):
        return True
    if np.any(serials != np.floor(serials)):
        return False
    if len(serials) < 3 or serials.min() < _PLAUSIBLE_SERIALS[0] or serials.max() > _PLAUSIBLE_SERIALS[1]:
        return False
    steps = np.diff(serials)
    if steps[0] < 0:
        steps = -steps  # newest first, as most exports sort
    return bool(np.isin(steps, _CALENDAR_STEPS).all()) and float(np.median(steps)) in _CALENDAR_MEDIANS


def _with_blanks(cells: list, present_dates: pd.DatetimeIndex, dated=None) -> pd.DatetimeIndex:
    """Dates on the rows ``dated`` (default: the non-blank cells), NaT on the others."""
    if len(present_dates) == len(cells):
        return present_dates
    stamps = present_dates.values  # in their own unit: a date outside the nanosecond span reaches its check
    out = np.full(len(cells), np.datetime64("NaT"), dtype=stamps.dtype)
    mask = np.array([c is not None and c != "" for c in cells] if dated is None else dated)
    out[mask] = stamps
    return pd.DatetimeIndex(out)


def parse_number(value, argument: str, default=None, allow_missing: bool = False) -> float | None:
    """One number from a cell (a 1x1 range counts); ``default`` when left out."""
    if is_missing_argument(value):
        if default is not None or allow_missing:
            return default
        raise InvalidArgument("is required; give a number", argument)
    cell = value
    if isinstance(cell, (tuple, list, np.ndarray)):
        rows = as_rows(cell, argument)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise ShapeMismatch(f"must be a single cell, got {len(rows)} x {len(rows[0])}", argument)
        cell = rows[0][0]
    if type(cell) is bool or is_error_code(cell) or not isinstance(cell, (int, float, Decimal, np.integer, np.floating)):
        raise InvalidArgument(f"must be a number, got {describe_cell(cell)}", argument)
    try:
        number = float(cell)
    except OverflowError:  # an int or Decimal beyond a double
        number = math.inf
    if not math.isfinite(number):
        raise InvalidArgument(f"must be a finite number, got {number}", argument)
    return number


def parse_text(value, argument: str, default: str | None = None) -> str:
    """One text option from a cell; ``default`` when left out."""
    if is_missing_argument(value):
        if default is None:
            raise InvalidArgument("is required; give a text option", argument)
        return default
    cell = value
    if isinstance(cell, (tuple, list)):
        rows = as_rows(cell, argument)
        cell = rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else cell
    if not isinstance(cell, str):
        raise InvalidArgument(f"must be text, got {describe_cell(cell)}", argument)
    return cell.strip()


def parse_bool(value, argument: str, default: bool) -> bool:
    """TRUE / FALSE (or 1 / 0) from a cell; ``default`` when left out."""
    if is_missing_argument(value):
        return default
    cell = value
    if isinstance(cell, (tuple, list)):
        rows = as_rows(cell, argument)
        cell = rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else cell
    if type(cell) is bool:
        return cell
    if isinstance(cell, (int, float)) and not is_error_code(cell) and cell in (0, 1):
        return bool(cell)
    if isinstance(cell, str) and cell.strip().upper() in ("TRUE", "FALSE"):
        return cell.strip().upper() == "TRUE"
    raise InvalidArgument(f"must be TRUE or FALSE, got {describe_cell(cell)}", argument)


def parse_numbers(value, argument: str, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """A block of plain numbers (no header or date column) as a 2-D float array, NaN for a blank cell.

    Any other cell (text, even text that reads as a number, TRUE/FALSE, an
    error value, a date) is refused with its position: a number is due there,
    and a blank result would hide the mistake. ``origin``: the rows and
    columns of the user's range above and left of the block (a header, a
    label column), so that the position is counted in the range.
    """
    values, others = numbers_by_cell(value, argument)
    if others:
        (i, j), cell = others[0]
        where = ("" if values.size == 1 and origin == (0, 0) else
                 f" in row {i + 1 + origin[0]}, column {j + 1 + origin[1]} of the range")
        raise InvalidArgument(not_a_number(cell) + where + "; give a number or leave it blank", argument)
    return values


def numbers_by_cell(value, argument: str) -> tuple[np.ndarray, list]:
    """A block of cells as floats (NaN for a blank or any other cell), and the cells that are neither a number nor
    blank, as ``((row, column), cell)`` in reading order: what an element-wise function answers cell by cell."""
    rows = as_rows(value, argument)
    values = to_float(rows)
    others = []
    for i, j in np.argwhere(np.isnan(values)):
        cell = rows[i][j]
        if not (cell is None or cell == "" or (isinstance(cell, float) and math.isnan(cell))):
            others.append(((int(i), int(j)), cell))
    return values, others


def not_a_number(cell) -> str:
    """What a refusal says of a cell where a number is due: ``must hold numbers, got TRUE``."""
    return f"must hold numbers, got {describe_cell(cell)}"


def describe_cell(cell) -> str:
    """A cell as a refusal names it: a blank cell, #N/A, TRUE, the text '...', a date, or the number."""
    if cell is None:
        return "a blank cell"
    if is_error_code(cell):
        from .excel import ERROR_CODES

        return ERROR_CODES[cell]
    if type(cell) is bool:
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, str):
        return f"the text '{cell[:30]}'"
    if isinstance(cell, (datetime, date)):
        return "a date"
    return repr(cell)
