"""Data keys: a big range crosses from the spreadsheet once per recalculation, not once per cell.

``=FM_DATA(range)`` parses the range, keeps the parsed
:class:`~xl_factor.sheet.values.Table` in memory and shows a short key such
as ``FM_DATA:3f2a91c0e4b7d1a2e9f0 2520x501`` (the digest of the parsed
content, then the range's rows x columns). A cell holding that key stands in
for the range in any data argument of any FM_* function (``asset``,
``factors``, ``returns``, ``prices``, ``instruments``, ``rf``):
``=FM_BETA(H1, H2)`` with ``H1 = FM_DATA(Returns!A1:SG2521)``. Two hundred
cells over the same 2,520 x 500 range then hand over two short texts each,
and the fit they share is computed once.

The key is a SHA-1 digest of everything a function reads from the table
(values bit for bit, labels, dates, the date header), so a changed range
gives a new key and the spreadsheet recalculates the cells that use it; the
same content gives the same key whatever the session. Keys live in a
bounded store (least recently used out); a key this Python process does not
hold (Python restarted, or the key was dropped to keep memory bounded) is
refused in one line that says to recalculate the FM_DATA cell.
"""

from __future__ import annotations

import re

import numpy as np

from ..core.errors import InvalidArgument
from .cache import TABLES, Bounded, content_digest, table_bytes
from .errors import PREFIX as ERROR_PREFIX
from .runtime import MIB, cache_bytes
from .values import Table, parse_table

PREFIX = "FM_DATA:"
#: A whole key in any case (a key passed through UPPER() or LOWER() is the same key).
_KEY = re.compile(r"^FM_DATA:([0-9a-f]{20}) (\d+)x(\d+)$", re.IGNORECASE)


class StaleKey(InvalidArgument):
    """A data key this process does not hold."""


#: The process-wide store of data keys: key -> Table, at most 256 keys and 256 MiB of tables.
KEYS = Bounded(256, cache_bytes(256 * MIB), lambda key, table: len(key) + table_bytes(table))


def data_key(table: Table) -> str:
    """The key of ``table``, stored so that :func:`read_table` finds it; a table the store cannot hold is refused."""
    size = table_bytes(table)
    if size > KEYS.max_bytes:  # it would be dropped as soon as stored: a key that is stale from the start
        raise InvalidArgument(
            f"is too big to keep as a data key ({size / MIB:.0f} MiB; the keys hold at most {KEYS.max_bytes / MIB:.0f} "
            "MiB in all): give the range itself to each function", "data")
    rows = table.n_rows + (table.names is not None)
    cols = table.n_cols + (table.dates is not None)
    key = f"{PREFIX}{content_digest(table).hex()[:20]} {rows}x{cols}"
    KEYS.store(key, table)
    return key


def _single_text(value) -> str | None:
    """The text of a one-cell value (a scalar, a 1 x 1 range or array), else ``None``."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    while isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, str) else None


def _first_cell(value):
    while isinstance(value, (tuple, list, np.ndarray)) and len(value):
        value = value[0]
    return value


def _names_a_key(text) -> bool:
    return isinstance(text, str) and text.lstrip()[:len(PREFIX)].upper() == PREFIX


def is_reference(value) -> bool:
    """True for one cell holding a data key (any case) or another FM_* cell's ``#FM!`` line."""
    text = _single_text(value)
    return text is not None and (_names_a_key(text) or text.lstrip().startswith(ERROR_PREFIX))


def read_table(value, argument: str) -> Table:
    """A data argument as a :class:`Table`: a data key's table, or the range parsed (cached on its cells)."""
    if is_reference(value):
        text = _single_text(value).strip()
        if text.startswith(ERROR_PREFIX):
            raise InvalidArgument(f"is the error of another FM_* cell ({text}): fix that cell first", argument)
        return _keyed(text, argument)
    if _names_a_key(_first_cell(value)):
        raise InvalidArgument("holds a data key among other cells; a data key stands alone: point at its one "
                              "FM_DATA cell", argument)
    return TABLES.get(value, lambda raw: parse_table(raw, argument))


def _keyed(text: str, argument: str) -> Table:
    whole = _KEY.match(text)
    if not whole:
        raise InvalidArgument(f"'{text}' is not a whole FM_DATA key; point it at the cell of an FM_DATA formula",
                              argument)
    table = KEYS.lookup(f"{PREFIX}{whole[1].lower()} {whole[2]}x{whole[3]}")  # as data_key wrote it
    if table is None:
        raise StaleKey(f"holds the data key {text.split()[0]}, which this Python session does not have (Python "
                       "restarted, or the key was dropped to keep memory bounded): recalculate its FM_DATA cell "
                       "(Ctrl+Alt+F9 recalculates every cell)", argument)
    return table
