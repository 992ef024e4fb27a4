"""Merging the FM_* settings into the user's ``xlwings.conf``, and taking them out again, byte for byte.

The file (``%USERPROFILE%\\.xlwings\\xlwings.conf``) holds one ``"KEY","value"``
pair a line. The xlwings add-in reads it with VBA's ``Input #``: keys are
matched without regard to case, the *first* line with a key wins, values may
be quoted (a comma inside quotes belongs to the value) and lines end in CRLF
when VBA or Windows Python wrote them. xlwings' Python side reads the first
two quoted strings of each line.

:func:`merge` changes only what it must, and only inside the value of the
line it changes; every other byte (other keys, their order, spacing, blank
lines, line endings, a missing final newline) stays as it was:

- ``"UDF MODULES"``: ``xl_factor.udfs`` is appended to the modules already
  there (``;``-separated); a missing key gets a new line at the end.
- ``"INTERPRETER_WIN"``: a non-empty value is kept unless ``force``; a missing
  key gets a new line.

New lines use the file's own line ending (CRLF for a new file). :func:`unmerge`
takes out exactly what :func:`merge` put in, using the record it returned: a
line it added goes, a value it changed gets its old bytes back, and when the
user edited the value since, only the module it added is taken out of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

UDF_MODULES = "UDF MODULES"
INTERPRETER_WIN = "INTERPRETER_WIN"
MODULE = "xl_factor.udfs"

_LINE = re.compile(rb"([^\r\n]*)(\r\n|\n|\r)?")
_ERRORS = "surrogateescape"


@dataclass
class Entry:
    """One ``"KEY","value"`` line: its index, key, value and where the value sits in the line."""

    index: int
    key: str
    value: str
    start: int
    end: int
    quoted: bool


def split_lines(data: bytes) -> list[list[bytes]]:
    """``[body, ending]`` per line; the ending is ``b""`` for a last line without one."""
    lines, pos = [], 0
    while pos < len(data):
        match = _LINE.match(data, pos)
        lines.append([match.group(1), match.group(2) or b""])
        pos = match.end()
    return lines


def join_lines(lines) -> bytes:
    return b"".join(body + ending for body, ending in lines)


def _skip_blanks(body: bytes, i: int) -> int:
    while i < len(body) and body[i] in b" \t":
        i += 1
    return i


def parse_line(body: bytes, index: int = 0, encoding: str = "utf-8") -> Entry | None:
    """The key and value of one line as VBA's ``Input #`` reads them, or ``None``."""
    i = _skip_blanks(body, 0)
    if i < len(body) and body[i:i + 1] == b'"':
        close = body.find(b'"', i + 1)
        if close < 0:
            return None
        key, i = body[i + 1:close], close + 1
    else:
        comma = body.find(b",", i)
        if comma < 0:
            return None
        key, i = body[i:comma].strip(), comma
    i = _skip_blanks(body, i)
    if body[i:i + 1] != b",":
        return None
    i = _skip_blanks(body, i + 1)
    if body[i:i + 1] == b'"':
        close = body.find(b'"', i + 1)
        end = len(body) if close < 0 else close
        start, quoted = i + 1, True
    else:
        start, end, quoted = i, i + len(body[i:].rstrip()), False
    return Entry(index, key.decode(encoding, _ERRORS).strip(), body[start:end].decode(encoding, _ERRORS),
                 start, end, quoted)


def entries(data: bytes, encoding: str = "utf-8") -> list[Entry]:
    found = []
    for index, (body, _) in enumerate(split_lines(data)):
        entry = parse_line(body, index, encoding)
        if entry is not None:
            found.append(entry)
    return found


def find(data_or_entries, key: str, encoding: str = "utf-8") -> Entry | None:
    """The first line with ``key`` (any case), as the xlwings add-in reads it."""
    found = entries(data_or_entries, encoding) if isinstance(data_or_entries, bytes) else data_or_entries
    for entry in found:
        if entry.key.upper() == key.upper():
            return entry
    return None


def get(data: bytes | None, key: str, encoding: str = "utf-8") -> str | None:
    entry = None if not data else find(data, key, encoding)
    return None if entry is None else entry.value


def modules_of(value: str) -> list[str]:
    return [m.strip() for m in value.split(";") if m.strip()]


def newline_of(data: bytes | None, default: bytes = b"\r\n") -> bytes:
    """The file's own line ending (that of its first line), else ``default``."""
    for _, ending in split_lines(data or b""):
        if ending:
            return ending
    return default


def _line(key: str, value: str, encoding: str) -> bytes:
    return f'"{key}","{value}"'.encode(encoding, _ERRORS)


def _set_value(lines, entry: Entry, value: str, encoding: str) -> None:
    body = lines[entry.index][0]
    new = value.encode(encoding, _ERRORS)
    if not entry.quoted:
        new = b'"' + new + b'"'
    lines[entry.index][0] = body[:entry.start] + new + body[entry.end:]


@dataclass
class Merge:
    """The merged bytes, one message per key, and what :func:`unmerge` needs to undo it."""

    data: bytes
    messages: list[str] = field(default_factory=list)
    undo: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.undo.get("keys"))


def merge(data: bytes | None, modules=(MODULE,), interpreter: str | None = None, force: bool = False,
          newline: bytes = b"\r\n", encoding: str = "utf-8") -> Merge:
    """Merge ``modules`` into "UDF MODULES" and ``interpreter`` into "INTERPRETER_WIN" of ``data``."""
    data = data or b""
    lines = split_lines(data)
    newline = newline_of(data, newline)
    found = [parse_line(body, i, encoding) for i, (body, _) in enumerate(lines)]
    found = [e for e in found if e is not None]
    undo = {"keys": {}, "appended_newline": False, "encoding": encoding}
    messages, appended = [], []

    entry = find(found, UDF_MODULES)
    if entry is None:
        value = ";".join(modules)
        appended.append((UDF_MODULES, value))
        undo["keys"][UDF_MODULES] = {"action": "added", "new": value, "modules": list(modules)}
        messages.append(f'"{UDF_MODULES}" added: {value}')
    else:
        present = modules_of(entry.value)
        missing = [m for m in modules if m not in present]
        if missing:
            kept = entry.value.rstrip().rstrip(";").rstrip()
            value = ";".join(([kept] if kept else []) + missing)
            old_line = lines[entry.index][0]
            _set_value(lines, entry, value, encoding)
            undo["keys"][UDF_MODULES] = {"action": "changed", "new": value, "modules": missing,
                                         "old_line": old_line.decode("latin-1")}
            messages.append(f'"{UDF_MODULES}": {entry.value or "(empty)"} -> {value} (modules already there kept)')
        else:
            messages.append(f'"{UDF_MODULES}" already has {", ".join(modules)}: kept')

    if interpreter is not None:
        entry = find(found, INTERPRETER_WIN)
        if entry is None:
            appended.append((INTERPRETER_WIN, interpreter))
            undo["keys"][INTERPRETER_WIN] = {"action": "added", "new": interpreter}
            messages.append(f'"{INTERPRETER_WIN}" added: {interpreter}')
        elif entry.value == interpreter:
            messages.append(f'"{INTERPRETER_WIN}" is already {interpreter}: kept')
        elif entry.value.strip() and not force:
            messages.append(f'"{INTERPRETER_WIN}" kept: {entry.value} (--force replaces it with {interpreter})')
        else:
            old_line = lines[entry.index][0]
            _set_value(lines, entry, interpreter, encoding)
            undo["keys"][INTERPRETER_WIN] = {"action": "changed", "new": interpreter,
                                             "old_line": old_line.decode("latin-1")}
            messages.append(f'"{INTERPRETER_WIN}": {entry.value or "(empty)"} -> {interpreter}')

    if appended:
        if lines and not lines[-1][1]:
            lines[-1][1] = newline
            undo["appended_newline"] = True
        for key, value in appended:
            lines.append([_line(key, value, encoding), newline])
    return Merge(join_lines(lines), messages, undo)


def unmerge(data: bytes, undo: dict) -> tuple[bytes, list[str]]:
    """Take out of ``data`` what :func:`merge` added (its ``undo`` record); returns the bytes and messages."""
    encoding = undo.get("encoding", "utf-8")
    lines = split_lines(data)
    messages, drop = [], set()
    for key, change in undo.get("keys", {}).items():
        entry = find([e for e in (parse_line(b, i, encoding) for i, (b, _) in enumerate(lines)) if e], key)
        if entry is None:
            messages.append(f'"{key}" is no longer in the file: nothing to take out')
            continue
        if entry.value == change["new"]:
            if change["action"] == "added":
                drop.add(entry.index)
                messages.append(f'"{key}" line removed (the installer added it)')
            else:
                lines[entry.index][0] = change["old_line"].encode("latin-1")
                messages.append(f'"{key}" restored to its value before the install')
        elif key == UDF_MODULES:
            ours = set(change.get("modules", ()))
            rest = [m for m in modules_of(entry.value) if m not in ours]
            if rest or change["action"] == "changed":
                _set_value(lines, entry, ";".join(rest), encoding)
                messages.append(f'"{key}": took out {", ".join(sorted(ours))}; kept {";".join(rest) or "(nothing)"}')
            else:
                drop.add(entry.index)
                messages.append(f'"{key}" line removed (it held only {", ".join(sorted(ours))})')
        else:
            messages.append(f'"{key}" was changed since the install ({entry.value}): kept')
    dropped_the_end = bool(drop) and all(i in drop for i in range(min(drop), len(lines)))
    lines = [line for i, line in enumerate(lines) if i not in drop]
    if undo.get("appended_newline") and dropped_the_end and lines:
        lines[-1][1] = b""  # the original file ended without a newline
    return join_lines(lines), messages
