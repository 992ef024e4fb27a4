"""What an install added to a folder it shares with the user, and removing exactly that.

A folder is listed before and after each change (:func:`listing`); what
appeared is what the change added (:func:`added`). The uninstall removes
those files, then those folders once empty, never anything else: a file the
user put there, even inside a folder the installer created, stays, and so
does its folder.

Paths are kept relative to the folder, in POSIX form, folders ending in
``/``; symlinks are listed (and removed) as links, never followed.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


def listing(folder: Path) -> set[str]:
    """Every file, link and folder under ``folder`` (empty when it does not exist)."""
    found = set()
    for root, dirs, files in os.walk(folder):
        base = PurePosixPath(Path(root).relative_to(folder).as_posix())
        for name in dirs:
            is_dir = not os.path.islink(os.path.join(root, name))
            found.add(str(base / name) + ("/" if is_dir else ""))
        found.update(str(base / name) for name in files)
    return found


def added(before: set[str], after: set[str], earlier=()) -> list[str]:
    """What appeared between the listings ``before`` and ``after``, with what ``earlier`` changes added."""
    return sorted(set(earlier) | (after - before))


def _inside(folder: Path, relative: str) -> Path | None:
    """``folder / relative``, or None when ``relative`` would leave ``folder`` (an edited state file)."""
    parts = PurePosixPath(relative.rstrip("/")).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        return None
    return folder.joinpath(*parts)


def remove_added(folder: Path, entries) -> tuple[int, list[str]]:
    """Remove the files of ``entries`` still there, then its folders that are empty, deepest first.

    Returns how many files went and the entries kept (folders not empty, paths outside ``folder``).
    """
    removed, kept = 0, []
    files = [e for e in entries if not e.endswith("/")]
    folders = sorted((e for e in entries if e.endswith("/")), key=lambda e: e.count("/"), reverse=True)
    for entry in files:
        path = _inside(folder, entry)
        if path is None:
            kept.append(entry)
        elif path.is_symlink() or path.is_file():
            path.unlink()
            removed += 1
        elif path.exists():
            kept.append(entry)
    for entry in folders:
        path = _inside(folder, entry)
        if path is None:
            kept.append(entry)
            continue
        try:
            path.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            kept.append(entry)
    return removed, kept
