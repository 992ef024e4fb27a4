"""Adjusted betas: Blume's shrinkage of a raw beta towards 1, as data terminals quote it."""

from __future__ import annotations

import numpy as np

from .errors import InvalidArgument, NonFiniteValues
from .validation import MAX_MAGNITUDE

#: Weight on the raw beta in the terminals' adjusted beta (0.67 raw + 0.33 * 1).
BLUME_WEIGHT = 0.67


def blume_adjusted_beta(beta, weight: float = BLUME_WEIGHT):
    """``weight * beta + (1 - weight)``: Blume (1971, 1975), with 0.67 the terminals' ``0.67 * raw + 0.33``.

    Element-wise on a number or an array (NaN stays NaN). ``weight`` is the
    weight on the raw beta, from 0 (every beta becomes 1) to 1 (no adjustment).
    """
    value = float(weight)
    if not np.isfinite(value) or value < 0 or value > 1:
        raise InvalidArgument(f"weight must be from 0 to 1 (0.67 as the terminals use), got {value:g}", "weight")
    raw = np.asarray(beta, dtype=float)
    with np.errstate(invalid="ignore"):
        if np.any(np.abs(raw) > MAX_MAGNITUDE):
            raise NonFiniteValues("has an infinite or overflowing value; give finite betas", "beta")
    return value * raw + (1.0 - value)
