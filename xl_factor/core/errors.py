"""Typed errors of the factor model.

Every error names the argument at fault (in the words of the FM_* contract:
``asset``, ``factors``, ``position`` ...) and says what to do, so that the
sheet boundary can show it as one ``#FM!`` line without rewording it.
"""

from __future__ import annotations


class FactorModelError(ValueError):
    """Base class: a request the model cannot answer, with the fix in words.

    ``argument`` is the name of the argument at fault (``None`` when no single
    argument is); ``str(error)`` is the message a spreadsheet user reads.
    """

    def __init__(self, message: str, argument: str | None = None):
        super().__init__(message)
        self.argument = argument


class InvalidArgument(FactorModelError):
    """An option or scalar outside its allowed range (horizon <= 0, share >= 1)."""


class ShapeMismatch(FactorModelError):
    """Arrays that must line up do not (row counts, hedge length, weights)."""


class NoOverlap(FactorModelError):
    """Two date-indexed tables share no date."""


class TooFewObservations(FactorModelError):
    """Fewer usable rows than a regression needs (T <= K + 1 with a constant)."""


class SingularFactors(FactorModelError):
    """The factor matrix has no full rank: a constant or collinear factor."""


class NonFiniteValues(FactorModelError):
    """Infinite values, or values so large that the arithmetic overflows."""
