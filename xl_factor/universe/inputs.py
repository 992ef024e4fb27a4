"""Reading a universe of returns and its factors, refusing bad input before any work is sent.

Returns come as a **long** table (a date, a security id and a return per
row: the form universe data comes in) in Parquet or CSV, or as a **wide**
CSV/Parquet (a date column, then one column per security id). Factors come
as a CSV (or Parquet) of dated columns. Every refusal is one line naming the
file, the row and the fix (:class:`InputError`); the CLI prints it and exits
with status 2. The checks, in order:

* columns: a date, an id and a return column (by name, or the first three);
* dates that do not parse, and dates written as text in a form other than
  YYYY-MM-DD (03/01/2014 is 3 January or 1 March: refused, as the sheet
  refuses it, not guessed); rows with no security id, and, with a universe
  list, ids that are not in it (*unknown ids*); an id (or a factor) written
  two ways, 10001 and '10001 ' in a long table or headers 'AAPL' and 'AAPL '
  in a wide one, which would be read as one;
* duplicate (date, id) rows;
* text, TRUE/FALSE (FALSE is not a return of 0.0) and non-finite returns
  (infinities; an empty return is a missing value);
* percent units, security by security and factor by factor, by the per-series
  rules of :mod:`xl_factor.sheet.units` (typical size above ``PERCENT_MEDIAN``
  a period or ``PERCENT_ANNUAL`` a year, a fall of more than 100%, or rows
  pasted in percent among decimals);
* factors: duplicate dates, missing or non-finite values, a constant or
  collinear factor, and dates of the returns the factors do not cover.

Row numbers are those a person finds in the file: the line number for a CSV
(the header is line 1), the row counted from 1 for Parquet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import FactorModelError, infer_periods_per_year
from ..core.conditioning import does_not_vary, ill_conditioned
from ..sheet.units import FALL_MARGIN, PERCENT_ANNUAL, PERCENT_MEDIAN, outsized_columns, percent_cells, typical_size
from ..sheet.values import unclear_date_text

DATE_NAMES = ("date", "dt", "day", "caldt", "time")
ID_NAMES = ("id", "security", "security_id", "secid", "permno", "ticker", "symbol", "asset", "isin", "cusip")
RETURN_NAMES = ("return", "ret", "returns", "r", "total_return")


class InputError(ValueError):
    """Bad input, in one line: the file, the row, what is wrong and the fix."""


@dataclass(frozen=True)
class Universe:
    """Returns (T, N) with NaN where a security has no return, on the factors' rows (T, K)."""

    dates: np.ndarray          # (T,) datetime64[ns], increasing
    ids: tuple[str, ...]       # (N,) sorted
    returns: np.ndarray        # (T, N) float
    factors: np.ndarray        # (T, K) float
    factor_names: tuple[str, ...]
    periods_per_year: float | None
    returns_path: Path
    factors_path: Path
    layout: str                # "long" or "wide"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _where(path: Path, row: int) -> str:
    """Row ``row`` (0-based, data rows) as a person finds it in the file."""
    return f"{path.name} line {row + 2}" if path.suffix.lower() != ".parquet" else f"{path.name} row {row + 1}"


def _read_table(path: Path, first_is_id: bool = False) -> pd.DataFrame:
    """The table in ``path``; in a CSV the id column (named as in ``ID_NAMES``, or the first column with
    ``first_is_id``) is read as text, so ids keep their leading zeros ('00123') whatever the layout."""
    if not path.exists():
        raise InputError(f"{path}: no such file; give the path of the file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt"):
            header = pd.read_csv(path, nrows=0).columns
            id_col = _pick(header, ID_NAMES) or (header[0] if first_is_id and len(header) else None)
            return pd.read_csv(path, low_memory=False, dtype=None if id_col is None else {id_col: str})
    except Exception as error:  # noqa: BLE001 - an unreadable file is one line too
        raise InputError(f"{path.name}: cannot be read ({type(error).__name__}: {error}); "
                         "give a Parquet or CSV file") from None
    raise InputError(f"{path.name}: a {suffix or 'nameless'} file; give a .parquet or .csv file")


def _pick(columns, names) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _shown(value) -> str:
    """A cell as the file shows it: text in quotes, a number as its digits (``192607``, not ``np.int64(192607)``)."""
    if isinstance(value, np.generic):
        value = value.item()
    return f"'{value}'" if isinstance(value, str) else str(value)


#: What every refusal of a date says to do.
DATE_FIX = "give dates as YYYY-MM-DD"


def _dates(values, path: Path, what: str) -> np.ndarray:
    """Column ``values`` as datetime64[ns]; refuses the first cell that is not a date, or that is a date written
    in a form other than YYYY-MM-DD whose order of day and month cannot be told (:func:`unclear_date_text`)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.DatetimeIndex(values).tz_localize(None) if getattr(values.dt, "tz", None) else values
    else:
        text = values if values.dtype == object else values.astype(str)
        distinct = pd.unique(text[text.notna()])  # a long table has few distinct dates: judge each once
        unclear = [v for v in distinct if unclear_date_text(v)]
        if unclear:
            row = int(np.argmax(text.isin(unclear).to_numpy()))
            raise InputError(f"{_where(path, row)}: {what} {_shown(values.iloc[row])} is not written YYYY-MM-DD, "
                             f"and its order of day and month cannot be told; {DATE_FIX}")
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        except (ValueError, TypeError, OverflowError) as error:  # mixed time zones: no one column of dates
            raise InputError(f"{path.name}: the {what}s cannot be read as one column of dates "
                             f"({str(error).splitlines()[0] if str(error) else type(error).__name__}); "
                             f"{DATE_FIX}") from None
    parsed = pd.Series(parsed)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise InputError(f"{_where(path, int(bad[0]))}: {what} {_shown(values.iloc[bad[0]])} is not a date; "
                         f"{DATE_FIX}")
    return parsed.to_numpy(dtype="datetime64[ns]")


def _numbers(values: pd.Series, path: Path, what: str) -> np.ndarray:
    """Column as float; refuses text, TRUE/FALSE and infinities (an empty cell is a missing value)."""
    flags = _flag_cells(values)
    if flags.any():  # pandas reads a CSV's TRUE/FALSE as booleans, and to_numeric makes them 1.0/0.0
        row = int(np.argmax(flags))
        raise InputError(f"{_where(path, row)}: {what} {'TRUE' if values.iloc[row] else 'FALSE'} is not a number "
                         "(a TRUE/FALSE cell); give decimal returns (0.012 for 1.2%) or leave the cell empty")
    numeric = pd.to_numeric(values, errors="coerce")
    text = np.flatnonzero(numeric.isna().to_numpy() & values.notna().to_numpy())
    if text.size:
        raise InputError(f"{_where(path, int(text[0]))}: {what} {_shown(values.iloc[text[0]])} is not a number; "
                         "give decimal returns (0.012 for 1.2%) or leave the cell empty")
    out = numeric.to_numpy(dtype=float, na_value=np.nan)
    inf = np.flatnonzero(np.isinf(out))
    if inf.size:
        raise InputError(f"{_where(path, int(inf[0]))}: {what} is {out[inf[0]]}, not a finite number; "
                         "fix or blank that value")
    return out


def _flag_cells(values: pd.Series) -> np.ndarray:
    """Where the column holds a boolean (TRUE/FALSE), which is no return: FALSE is not 0.0."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.notna().to_numpy()
    if values.dtype != object:
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((type(v) is bool or type(v) is np.bool_ for v in values.to_numpy()), dtype=bool,
                       count=len(values))


def _id_codes(values: pd.Series, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, names)``: each row's position in ``names``, the sorted distinct ids as text; refuses empty ids."""
    codes, uniques = pd.factorize(values, sort=False)
    uniques = pd.Series(uniques)
    if pd.api.types.is_float_dtype(uniques) and (uniques % 1 == 0).all():  # ids read as floats (10001.0)
        uniques = uniques.astype("int64")
    text = np.array([str(u).strip() for u in uniques], dtype=object)
    empty = np.flatnonzero(text == "")
    missing = codes < 0
    if empty.size:
        missing |= np.isin(codes, empty)
    if missing.any():
        raise InputError(f"{_where(path, int(np.argmax(missing)))}: the security id is empty (an unknown id); "
                         "give every row its security's id or remove the row")
    repeat = _first_repeat(text)
    if repeat is not None:  # two spellings of one id (10001 and "10001 ")
        row = int(np.argmax(codes == repeat[1]))
        raise InputError(f"{_where(path, row)}: the security id '{text[repeat[1]]}' is written two ways; "
                         "write each id one way")
    order = np.argsort(text.astype(str), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[codes], text[order]


def periods_per_year(dates: np.ndarray) -> float | None:
    """Periods per year the dates show (:func:`xl_factor.core.infer_periods_per_year`); ``None`` when they show none."""
    if dates.size < 3:
        return None
    try:
        return float(infer_periods_per_year(dates))
    except FactorModelError:
        return None


def _check_units(values: np.ndarray, names, ppy, describe, what: str, dates: np.ndarray) -> None:
    """Refuse a column in percent: the per-series rules of :mod:`xl_factor.sheet.units` (``dates``: the rows')."""
    size = typical_size(values)
    with np.errstate(invalid="ignore"):
        lowest = np.where(np.isnan(values), np.inf, values).min(axis=0)
    annual = size * np.sqrt(ppy) if ppy else np.zeros_like(size)
    bad = np.flatnonzero((size > PERCENT_MEDIAN) | (annual > PERCENT_ANNUAL) | (lowest < -1.0 - FALL_MARGIN))
    if bad.size:
        j = int(bad[0])
        why = (f"a value of {lowest[j]:.3g}, a fall of more than 100%" if lowest[j] < -1.0 - FALL_MARGIN
               else f"typical size {size[j]:.3g} a period")
        row = int(np.nanargmax(np.abs(np.where(np.isnan(values[:, j]), 0, values[:, j]))))
        raise InputError(f"{describe(j, row)}: {what} '{names[j]}' looks like percent ({why}); "
                         "give decimal returns (divide by 100)")
    with np.errstate(invalid="ignore"):
        highest = np.where(np.isnan(values), -np.inf, values).max(axis=0)
    def span(rows) -> str:
        first, last = (pd.Timestamp(dates[t]).date() for t in (rows[0], rows[-1]))
        return f"on {first}" if first == last else f"from {first} to {last}"

    for j in np.flatnonzero(outsized_columns(size, lowest, highest)):  # rows pasted in percent among decimals
        found = percent_cells(values[:, j], span)
        if found:
            raise InputError(f"{describe(int(j), found[0])}: {what} '{names[j]}' looks like percent ({found[1]}); "
                             "give decimal returns (divide by 100)")


def read_universe(returns_path, factors_path, start=None, end=None, universe_path=None) -> Universe:
    """Read and check the returns and factors; the rows between ``start`` and ``end`` (inclusive)."""
    returns_path, factors_path = Path(returns_path), Path(factors_path)
    known = _universe_ids(Path(universe_path)) if universe_path is not None else None
    frame = _read_table(returns_path)
    lo = None if start is None else np.datetime64(pd.Timestamp(start), "ns")
    hi = None if end is None else np.datetime64(pd.Timestamp(end), "ns")
    date_col, id_col, ret_col = _pick(frame.columns, DATE_NAMES), _pick(frame.columns, ID_NAMES), \
        _pick(frame.columns, RETURN_NAMES)
    long = (date_col is not None and id_col is not None and ret_col is not None) or (
        frame.shape[1] == 3 and id_col is None and not pd.api.types.is_numeric_dtype(frame.iloc[:, 1])
        and _holds_ids(frame, date_col))
    if long:
        if date_col is None or id_col is None or ret_col is None:
            date_col, id_col, ret_col = frame.columns[:3]
        dates, ids, values, locate = _long(frame, date_col, id_col, ret_col, returns_path, known, lo, hi)
        layout = "long"
    else:
        dates, ids, values, locate = _wide(frame, returns_path, known, lo, hi)
        layout = "wide"
    del frame
    if not ids:
        raise InputError(f"{returns_path.name}: no returns between {start or 'the start'} and {end or 'the end'}; "
                         "widen --start/--end or give a file with returns")
    ppy = periods_per_year(dates)
    _check_units(values, ids, ppy, lambda j, t: _where(returns_path, locate(t, j)), "security", dates)
    factors, fnames = _factors(factors_path, dates, locate, returns_path)
    return Universe(dates, tuple(ids), values, factors, fnames, ppy, returns_path, factors_path, layout)


def _holds_ids(frame: pd.DataFrame, date_col) -> bool:
    """Whether the second of three columns, not all numbers and not named, is a long table's security ids rather
    than a wide table's returns of its first security with a text (or TRUE/FALSE) cell: a long table repeats
    its dates (a row per security and date) or names its securities by text that is no number, where a wide
    table has one row a date and a column of mostly numbers. Read as a long table, a two-security wide file
    with one text cell was some 1,500 'securities' named by their returns."""
    dates = frame[date_col if date_col is not None else frame.columns[0]]
    if not dates.is_unique:
        return True
    distinct = pd.Series(pd.unique(frame.iloc[:, 1].dropna()), dtype=object)
    if distinct.empty:
        return True
    text = distinct.map(lambda v: isinstance(v, str) and v.strip() != "").to_numpy(dtype=bool)
    number = pd.to_numeric(distinct.where(text), errors="coerce").notna().to_numpy()
    return 2 * int((text & ~number).sum()) > distinct.size


def _universe_ids(path: Path) -> set[str]:
    frame = _read_table(path, first_is_id=True)
    column = _pick(frame.columns, ID_NAMES) or frame.columns[0]
    return set(_id_codes(frame[column], path)[1])


def _long(frame, date_col, id_col, ret_col, path, known, lo, hi):
    dates = _dates(frame[date_col], path, "date")
    icode, uids = _id_codes(frame[id_col], path)
    if known is not None:
        unknown_id = ~np.isin(uids.astype(str), list(known))
        if unknown_id.any():
            i = int(np.argmax(np.isin(icode, np.flatnonzero(unknown_id))))
            raise InputError(f"{_where(path, i)}: security id '{uids[icode[i]]}' is not in the universe list "
                             "(an unknown id); correct the id, or add it to the universe list")
    values = _numbers(frame[ret_col], path, "the return")
    keep = np.ones(dates.size, dtype=bool)
    if lo is not None:
        keep &= dates >= lo
    if hi is not None:
        keep &= dates <= hi
    source_row = np.flatnonzero(keep)
    dates, icode, values = dates[keep], icode[keep], values[keep]
    dcode, udates = pd.factorize(dates)  # hashing, not sorting: a long table has few distinct dates
    udates = np.asarray(udates, dtype="datetime64[ns]")
    by_date = np.argsort(udates, kind="stable")
    rank = np.empty_like(by_date)
    rank[by_date] = np.arange(by_date.size)
    dcode, udates = rank[dcode], udates[by_date]
    table = np.full((udates.size, uids.size), np.nan)
    table[dcode, icode] = values
    # each cell's row in the file; a (date, id) written twice keeps the later row, so the earlier one is lost
    rows = np.full(table.shape, -1, dtype=np.int64 if dates.size >= 2**31 else np.int32)
    rows[dcode, icode] = np.arange(dates.size)
    lost = rows[dcode, icode] != np.arange(dates.size)
    if lost.any():
        earlier = int(np.argmax(lost))
        later = int(rows[dcode[earlier], icode[earlier]])
        first, second = int(source_row[earlier]), int(source_row[later])
        raise InputError(f"{_where(path, second)}: duplicate (date, id) row ({pd.Timestamp(dates[later]).date()}, "
                         f"'{uids[icode[later]]}'), also at {_where(path, first).split(' ', 1)[1]}; "
                         "keep one row per date and security")
    # a security whose rows in range are all empty has no returns: it is not in the model
    filled = ~np.isnan(table).all(axis=0)
    if not filled.all():
        table, rows, uids = table[:, filled], rows[:, filled], uids[filled]

    def locate(t: int, j: int | None = None) -> int:
        """The file row of date ``t`` (and security column ``j``): only looked up for a message."""
        r = rows[t] if j is None else rows[t, j:j + 1]
        return int(source_row[r[r >= 0][0]])

    return udates, [str(u) for u in uids], table, locate


def _wide(frame, path, known, lo, hi):
    date_col = _pick(frame.columns, DATE_NAMES) or frame.columns[0]
    dates = _dates(frame[date_col], path, "date")
    cols = [c for c in frame.columns if c != date_col]
    names = [str(c).strip() for c in cols]
    for j, name in enumerate(names):
        if name == "" or name.lower().startswith("unnamed:"):
            raise InputError(f"{path.name} line 1: column {j + 2} has no security id in its header (an unknown id); "
                             "name every column by its security's id")
        if known is not None and name not in known:
            raise InputError(f"{path.name} line 1: security id '{name}' is not in the universe list (an unknown id); "
                             "correct the id, or add it to the universe list")
    _one_spelling(cols, names, frame.columns, path, "security id", "write each id one way")
    base = [n.rsplit(".", 1)[0].strip() if "." in n and n.rsplit(".", 1)[1].isdigit() else n for n in names]
    seen = {}
    for j, (name, root) in enumerate(zip(names, base)):
        if root in seen and root != name:  # pandas renamed a repeated header "A" to "A.1"
            raise InputError(f"{path.name} line 1: security id '{root}' heads two columns; "
                             "keep one column per security")
        seen.setdefault(name, j)
    order = np.argsort(dates, kind="stable")
    dup = np.flatnonzero(np.diff(dates[order]).astype(np.int64) == 0)
    if dup.size:
        i = int(order[dup[0] + 1])
        raise InputError(f"{_where(path, i)}: duplicate (date, id) rows: the date {pd.Timestamp(dates[i]).date()} "
                         f"appears twice (also at {_where(path, int(order[dup[0]])).split(' ', 1)[1]}); "
                         "keep one row per date")
    values = np.column_stack([_numbers(frame[c], path, f"the return of '{n}'") for c, n in zip(cols, names)]) \
        if cols else np.empty((dates.size, 0))
    keep = np.ones(dates.size, dtype=bool)
    if lo is not None:
        keep &= dates >= lo
    if hi is not None:
        keep &= dates <= hi
    order = order[keep[order]]
    dates, values = dates[order], values[order]
    filled = ~np.isnan(values).all(axis=0)
    ids = np.array(names, dtype=object)[filled]
    sort = np.argsort(ids.astype(str), kind="stable")
    return dates, [str(i) for i in ids[sort]], values[:, filled][:, sort], lambda t, j=None: int(order[t])


def _one_spelling(cols, names, columns, path: Path, what: str, fix: str) -> None:
    """Refuse two headers that are one name once stripped ('AAPL' and 'AAPL '): read as one id, the sheet would
    get one column's numbers for the other, as the long reader refuses an id written two ways."""
    repeat = _first_repeat(names)
    if repeat is not None:
        i, j = repeat
        where = {c: list(columns).index(c) + 1 for c in (cols[i], cols[j])}
        raise InputError(f"{path.name} line 1: the {what} '{names[j]}' is written two ways ('{cols[i]}' in column "
                         f"{where[cols[i]]}, '{cols[j]}' in column {where[cols[j]]}); {fix}")


def _first_repeat(names) -> tuple[int, int] | None:
    """Positions ``(i, j)``, ``i < j``, of the first name that comes again (the names as read, stripped: two
    spellings of one id or factor), or ``None``."""
    first: dict[str, int] = {}
    for j, name in enumerate(names):
        if name in first:
            return first[name], j
        first[name] = j
    return None


def _factors(path: Path, dates: np.ndarray, locate, returns_path: Path):
    frame = _read_table(path)
    date_col = _pick(frame.columns, DATE_NAMES) or frame.columns[0]
    fdates = _dates(frame[date_col], path, "date")
    names = tuple(str(c).strip() for c in frame.columns if c != date_col)
    if not names:
        raise InputError(f"{path.name} line 1: no factor columns; give a date column, then one column per factor")
    _one_spelling([c for c in frame.columns if c != date_col], names, frame.columns, path, "factor",
                  "keep one column per factor, its name written one way")
    order = np.argsort(fdates, kind="stable")
    dup = np.flatnonzero(np.diff(fdates[order]).astype(np.int64) == 0)
    if dup.size:
        i = int(order[dup[0] + 1])
        raise InputError(f"{_where(path, i)}: the date {pd.Timestamp(fdates[i]).date()} appears twice; "
                         "keep one row per date")
    position = np.searchsorted(fdates[order], dates)
    position = np.minimum(position, len(order) - 1)
    covered = fdates[order][position] == dates
    if not covered.all():
        t = int(np.argmax(~covered))
        where = _where(returns_path, locate(t))
        raise InputError(f"{where}: the date {pd.Timestamp(dates[t]).date()} has returns but no row in {path.name} "
                         f"(the factors cover {pd.Timestamp(fdates.min()).date()} to {pd.Timestamp(fdates.max()).date()}); "
                         "extend the factors file, or pass --start/--end within the factors' dates")
    picked = order[position]
    cols = [c for c in frame.columns if c != date_col]
    values = np.column_stack([_numbers(frame[c].iloc[picked].reset_index(drop=True), path, f"factor '{n}'")
                              for c, n in zip(cols, names)])
    missing = np.isnan(values)
    if missing.any():
        t, k = np.argwhere(missing)[0]
        raise InputError(f"{_where(path, int(picked[t]))}: factor '{names[k]}' is empty on "
                         f"{pd.Timestamp(dates[t]).date()}, a date with returns; fill it, or pass --start/--end "
                         "that leave it out")
    _check_units(values, names, periods_per_year(dates), lambda k, t: _where(path, int(picked[t])), "factor",
                 dates)
    flat = does_not_vary(values)
    if flat.any():
        raise InputError(f"{path.name}: factor '{names[int(np.argmax(flat))]}' is constant over the dates of the "
                         "returns; drop it (the model has a constant)")
    if values.shape[0] > values.shape[1] + 1 and ill_conditioned(np.atleast_2d(np.cov(values, rowvar=False))):
        raise InputError(f"{path.name}: the factors are collinear over the dates of the returns (one is a "
                         "combination of the others, or nearly so); drop the redundant factor")
    return values, names
