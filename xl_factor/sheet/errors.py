"""Errors as cells: one ``#FM!`` line naming the function and the argument, and saying what to do."""

from __future__ import annotations

from ..core.errors import FactorModelError

PREFIX = "#FM!"


def error_line(function: str, error: BaseException) -> str:
    """The single line a cell shows for ``error`` raised by ``function``.

    ``#FM! FM_BETA: factors: factor 'SMB' is constant ...``; the argument is
    left out when the message already starts with it. An unexpected error
    (a bug) still gives one line, never a traceback.
    """
    if isinstance(error, FactorModelError):
        message = str(error)
        argument = error.argument
        if argument and not message.startswith(argument):
            message = f"{argument} {message}" if message.split(" ", 1)[0] in _VERBS else f"{argument}: {message}"
    else:
        message = f"internal error ({type(error).__name__}: {error}); please report it with the inputs"
    return f"{PREFIX} {function}: {' '.join(message.split())}"


# Messages that read as a sentence after the argument name ("asset is a single row ...").
_VERBS = {"is", "has", "must", "needs", "looks", "holds"}
