"""The CSV of ``xl-factor refresh``, read strictly: anything it would have to guess is refused by name.

* **Encoding**: UTF-8 (with or without a byte-order mark) or UTF-16 with its
  byte-order mark. Anything else (Latin-1, cp1252) is refused: bytes that are
  not UTF-8 are ambiguous, and a misread name would not match the template.
* **Shape**: a header row, then rows with as many fields as the header; a
  header name given twice (after stripping spaces: ``NoDur`` and `` NoDur``)
  is refused, since one would overwrite the other.
* **Dates** (first column): ISO ``YYYY-MM-DD`` (a time and a UTC offset may
  follow; the offset is dropped, the wall-clock date kept), ``YYYY-MM``,
  ``YYYYMM`` (Ken French monthly) and ``YYYYMMDD`` (Ken French daily), months
  as their first day; ``D/M/Y`` only with ``dayfirst``; ``M/D/Y`` only when
  some day is above 12 (otherwise it is ambiguous and refused). One
  notation per file; a date given twice is refused.
* **Values**: plain decimal numbers; blank or a missing marker (``NA``,
  ``N/A``, ``#N/A``, ``NaN``, ``null``) is missing. ``inf``, numbers that
  overflow (``1e400``), and text such as ``1,000``, ``5%`` or ``(0.01)`` are
  refused: a spreadsheet would store them as text and the functions would
  leave them out without a word. A cell that a spreadsheet would run as a
  formula is refused unless ``neutralise`` (then it is written as text).
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime
from pathlib import Path

import pandas as pd


class CsvError(Exception):
    """The CSV cannot be read without guessing; the message says where and what to do."""


FORMULA_START = ("=", "+", "-", "@")
MISSING_MARKERS = {"", "na", "n/a", "#n/a", "nan", "null"}
#: Largest CSV read (bytes): far above 5,000 rows of a few dozen columns.
MAX_CSV_BYTES = 64 * 1024 * 1024

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
                  r"\s*(?:Z|[+-]\d{2}:?\d{2})?$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def decode(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise CsvError(f"{path.name} is {size / 2**20:.0f} MiB, more than the {MAX_CSV_BYTES // 2**20} MiB a "
                       "refresh reads")
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as error:
            raise CsvError(f"{path.name} starts as UTF-16 but byte {error.start} is not: save it as UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvError(f"{path.name} is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}; "
                       "Latin-1 or Windows-1252?): save it as UTF-8 (CSV UTF-8 in Excel)") from None


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and body rows of the CSV, every row as long as the header; blank lines skipped."""
    text = decode(path)
    if "\x00" in text:
        raise CsvError(f"{path.name} holds NUL characters: it is not a text CSV (or is UTF-16 without a BOM); "
                       "save it as UTF-8")
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(field.strip() for field in row)]
    except csv.Error as error:
        raise CsvError(f"{path.name} is not a readable CSV: {error}") from None
    if not rows:
        raise CsvError(f"{path.name} is empty: it needs a header row (Date, then column names) and data rows")
    header, body = [field.strip() for field in rows[0]], rows[1:]
    if len(header) < 2:
        raise CsvError(f"{path.name} needs a date column and at least one data column (comma-separated); its "
                       f"header is {rows[0]!r}")
    if not body:
        raise CsvError(f"{path.name} has a header but no data rows")
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise CsvError(f"{path.name} row {i + 2} has {len(row)} fields, the header has {len(header)}: "
                           "every row needs a value (or an empty field) for every column")
    seen: dict[str, int] = {}
    for j, name in enumerate(header):
        if not name:
            raise CsvError(f"{path.name} column {j + 1} has no name in the header row")
        if name.lower() in seen:
            raise CsvError(f"{path.name} names column {name!r} twice (columns {seen[name.lower()] + 1} and "
                           f"{j + 1}, spaces and case ignored): one would overwrite the other; keep one")
        seen[name.lower()] = j
    return header, body


def parse_dates(texts: list[str], name: str, dayfirst: bool) -> pd.DatetimeIndex:
    """The first column as dates, read by the rules of the module docstring."""
    texts = [t.strip() for t in texts]
    for row, text in enumerate(texts, start=2):
        if not text:
            raise CsvError(f"{name} row {row}: the date is blank; every row needs a date")
    kinds = {_kind(t) for t in texts}
    if None in kinds:
        row = next(i for i, t in enumerate(texts, start=2) if _kind(t) is None)
        raise CsvError(f"{name} row {row}: {texts[row - 2]!r} is not a date this refresh reads (YYYY-MM-DD, "
                       "YYYY-MM, YYYYMM, YYYYMMDD, or D/M/YYYY with --dayfirst)")
    if len(kinds) > 1:
        raise CsvError(f"{name} mixes date notations ({', '.join(sorted(kinds))}): use one for every row")
    kind = kinds.pop()
    if kind == "slashed":
        parts = [tuple(int(p) for p in _SLASHED.match(t).groups()) for t in texts]
        if dayfirst:
            triples = [(y, m, d) for d, m, y in parts]
        elif any(first > 12 for first, _, _ in parts):
            row = next(i for i, p in enumerate(parts, start=2) if p[0] > 12)
            raise CsvError(f"{name} row {row}: {texts[row - 2]!r} puts the day first; pass --dayfirst to read "
                           "every date as day/month/year")
        elif any(second > 12 for _, second, _ in parts):
            triples = [(y, m, d) for m, d, y in parts]
        else:
            raise CsvError(f"{name}: dates such as {texts[0]!r} could be day/month or month/day (no day above 12): "
                           "pass --dayfirst for day/month/year, or write them as YYYY-MM-DD")
    elif kind == "iso":
        triples = [tuple(int(g) for g in _ISO.match(t).groups()[:3]) for t in texts]
    elif kind == "year-month":
        triples = [(int(y), int(m), 1) for y, m in (_YEAR_MONTH.match(t).groups() for t in texts)]
    else:
        triples = [(int(y), int(m), int(d) if d else 1) for y, m, d in (_COMPACT.match(t).groups() for t in texts)]
    if dayfirst and kind != "slashed":
        raise CsvError(f"--dayfirst was given, but the dates of {name} ({texts[0]!r}) are not day/month/year")
    stamps = []
    for row, (y, m, d) in enumerate(triples, start=2):
        try:
            stamps.append(datetime(y, m, d))
        except ValueError:
            raise CsvError(f"{name} row {row}: {texts[row - 2]!r} is no calendar date") from None
    index = pd.DatetimeIndex(stamps)
    duplicated = index.duplicated()
    if duplicated.any():
        row = int(duplicated.argmax()) + 2
        raise CsvError(f"{name} row {row}: the date {texts[row - 2]!r} is there twice; one row per period")
    return index


def _kind(text: str) -> str | None:
    if _ISO.match(text):
        return "iso"
    if _YEAR_MONTH.match(text):
        return "year-month"
    if _COMPACT.match(text):
        return "compact"
    if _SLASHED.match(text):
        return "slashed"
    return None


def looks_like_formula(value: str) -> bool:
    text = value.strip()
    if not text.startswith(FORMULA_START):
        return False
    try:
        float(text)
        return False
    except ValueError:
        return True


def parse_value(text: str, where: str, neutralise: bool):
    """A CSV field as a float, ``None`` (missing) or, for a neutralised formula-like cell, its text."""
    stripped = text.strip()
    if stripped.lower() in MISSING_MARKERS:
        return None
    if _NUMBER.match(stripped):
        value = float(stripped)
        if not math.isfinite(value):
            raise CsvError(f"{where}: {text!r} overflows a double; give a finite number")
        return value
    if stripped.lower().lstrip("+-") in ("inf", "infinity"):
        raise CsvError(f"{where}: {text!r} is not a finite number; leave the cell blank if it is missing")
    if looks_like_formula(stripped):
        if neutralise:
            return text
        raise _FormulaCell(where, text)
    raise CsvError(f"{where}: {text!r} is text, not a number: write plain decimals (0.05, -0.01, 1000: no %, "
                   "thousands separators, currency or parentheses), or leave the cell blank (or NA) if missing")


class _FormulaCell(Exception):
    def __init__(self, where: str, text: str):
        super().__init__(where)
        self.where, self.text = where, text


def read_csv_data(path: Path, neutralise: bool = False, dayfirst: bool = False) -> pd.DataFrame:
    """The CSV as a frame indexed by date, one object column per CSV column: floats, ``None``, neutralised text."""
    path = Path(path)
    header, body = read_rows(path)
    dates = parse_dates([row[0] for row in body], path.name, dayfirst)
    columns, formulas = {}, []
    for j, name in enumerate(header[1:], start=1):
        values = []
        for i, row in enumerate(body):
            try:
                values.append(parse_value(row[j], f"{path.name} row {i + 2} column {name!r}", neutralise))
            except _FormulaCell as cell:
                formulas.append(cell)
                values.append(None)
        columns[name] = values
    if formulas:
        where = "; ".join(f"{c.where.split(' ', 1)[1]}: {c.text[:30]!r}" for c in formulas[:5])
        raise CsvError(f"{path.name} has {len(formulas)} cell(s) a spreadsheet would run as formulas ({where}); "
                       "remove them, or pass --neutralise to store them as plain text")
    frame = pd.DataFrame(columns, index=pd.DatetimeIndex(dates, name=header[0]), dtype=object)
    return frame
