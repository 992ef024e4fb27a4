"""What a result sheet shows without the add-in: a banner at its top, and checks that say so instead of #NAME?.

Without the FM_* add-in (Excel without xlwings, LibreOffice without the
extension) every FM_* cell is ``#NAME?``. Most cells computed from them show
the error too, which is plain; a few would show something that looks like an
answer: a check cell ``#NAME?`` in the green of "OK", a growth of 1 that stays
1.000 on every row. Those cells read the banner instead. The banner probes
the add-in with FM_INFO (no arguments, cheap): ``""`` when the add-in answers,
:data:`MESSAGE` when the call is an error. ``NOW()<0`` (never true) makes it
volatile: LibreOffice opens an xlsx with its cached values and recalculates
only volatile cells and what depends on them, so without the add-in the
banner and the guarded cells still say so on opening. IF, OR, ISERROR, NOW
and ABS are Excel 2007 functions that LibreOffice knows under the same names,
so no ``_xlfn.`` prefix is needed.
"""

from __future__ import annotations

from . import style as S

#: What the banner and the guarded cells say when the add-in does not answer.
MESSAGE = "add-in not loaded: see Guide"
#: The banner's cell on every result sheet: right of the title in A1, whose text fits in A1:F1.
BANNER_CELL = "G1"
_BANNER = "$G$1"
BANNER_FORMULA = f'=IF(OR(ISERROR(FM_INFO()),NOW()<0),"{MESSAGE}","")'


def banner(ws) -> None:
    """The banner at the top of a result sheet: blank when the add-in answers, :data:`MESSAGE` when it does not."""
    ws[BANNER_CELL] = BANNER_FORMULA
    ws[BANNER_CELL].font = S.WARNING_FONT


def guarded(expression: str) -> str:
    """``expression`` (no leading ``=``) unless the sheet's banner is up, then the banner's message."""
    return f'IF({_BANNER}<>"",{_BANNER},{expression})'


def check(expression: str, tolerance: str) -> str:
    """A check cell: OK when ABS(expression) <= tolerance, else CHECK.

    Blank when the expression is not a number (the FM_* result it checks is
    an #FM! line, shown where it is); the banner's message without the add-in.
    """
    return "=" + guarded(f'IF(ISNUMBER({expression}),IF(ABS({expression})<={tolerance},"OK","CHECK"),"")')
