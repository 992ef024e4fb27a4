"""The installer's memory: what each target added, and the backups taken before the first change.

``state.json`` in the state folder holds one section per target. A file the
installer changes gets a record before its first change:

``path``
    the file;
``existed``
    whether it was there before the installer first touched it;
``backup``
    the name of the byte-for-byte copy taken then (in ``backups/``), if it existed;
``link``
    for a symlink, what it pointed to (its text, as ``os.readlink`` gives it): the link
    itself is the backup, no bytes are copied;
``written_sha256``
    the hash of what the installer last wrote into it;
``created_dirs``
    folders the installer created for it, innermost first.

``--uninstall`` restores a file from its backup (or removes it, when it did
not exist) only while it still holds what the installer wrote; a file edited
since is left to the target's own undo (for xlwings.conf: removing only the
entries it added). The backups of a first run are never replaced by later
runs, so the state before the first install is what comes back.

The installer never writes through a symlink: :meth:`State.write` replaces
the link by a file, leaving what it pointed to untouched, and
:meth:`State.restore` puts the same link back. Before another program
writes into a linked file (``detach``), the link is replaced by a copy of
what it points to.

In a dry run nothing is written: :class:`State` keeps its changes in memory.

A state file that cannot be read (truncated, edited, not this format) raises
:class:`StateError`, whose message says what to do in one line; ``--uninstall
--force`` then cleans what it finds without it (:mod:`.salvage`) and sets the
file aside (:func:`set_aside`), keeping it and the backups.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path, PurePath

FORMAT = 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    try:
        return sha256(Path(path).read_bytes())
    except (FileNotFoundError, NotADirectoryError):
        return None


def missing_dirs(folder: Path) -> list[Path]:
    """The folders ``mkdir(parents=True)`` would create for ``folder``, innermost first."""
    created = []
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        created.append(folder)
        folder = folder.parent
    return created


def remove_empty_dirs(folders) -> list[str]:
    """Remove each folder (innermost first) if it is empty; returns the ones removed."""
    removed = []
    for folder in folders:
        folder = Path(folder)
        try:
            folder.rmdir()
            removed.append(str(folder))
        except OSError:
            break
    return removed


class StateError(RuntimeError):
    """The state file cannot be read; the message says what to do."""


def _read(path: Path) -> dict:
    """The state in ``path``, checked for the shape the installer writes; :class:`StateError` if it is not."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    else:
        if (isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("targets"), dict)
                and all(isinstance(v, dict) for v in data["targets"].values())
                and isinstance(data.get("created_dirs", []), list)):
            return data
        reason = "not a state file of this installer"
    raise StateError(f"the installer's state file {path} is damaged ({reason}): run python3 install_addin.py "
                     f"--uninstall --force to remove what can be found without it (the file and the backups "
                     f"next to it are kept), then install again")


def set_aside(directory: Path, dry_run: bool = False) -> str:
    """Rename a damaged ``state.json`` in ``directory`` to ``state.json.damaged-<time>``; returns what happened."""
    path = Path(directory) / "state.json"
    if dry_run:
        return f"would rename the damaged {path} to state.json.damaged-<time> (kept, with the backups)"
    aside = path.with_name(f"state.json.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    path.replace(aside)
    return f"renamed the damaged {path} to {aside.name} (kept, with the backups in {directory})"


class State:
    """``state.json`` and ``backups/`` in ``directory``; :class:`StateError` when ``state.json`` is damaged."""

    def __init__(self, directory: Path, dry_run: bool = False):
        # A PureWindowsPath stays one: plans for a simulated Windows only show it.
        self.dir = directory if isinstance(directory, PurePath) else Path(directory)
        self.path = self.dir / "state.json"
        self.dry_run = dry_run
        self.data = {"format": FORMAT, "targets": {}, "created_dirs": []}
        if isinstance(self.path, Path) and self.path.is_file():
            self.data = _read(self.path)

    def section(self, target: str) -> dict:
        return self.data["targets"].setdefault(target, {})

    def has(self, target: str) -> bool:
        return bool(self.data["targets"].get(target))

    def _ensure_dir(self) -> None:
        """Create the state folder, remembering which folders that created (``forget`` removes them)."""
        if not self.dir.exists():
            self.data["created_dirs"] = [str(d) for d in missing_dirs(self.dir)]
            self.dir.mkdir(parents=True)

    def save(self) -> None:
        if self.dry_run:
            return
        self._ensure_dir()
        tmp = self.path.with_name("state.json.tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(self.path)

    # ------------------------------------------------------------ files

    def before_change(self, target: str, key: str, path: Path, detach: bool = False) -> dict:
        """Record ``path`` and back it up, once, before its first change; returns its record.

        ``detach``: a symlink is replaced by a copy of what it points to (recorded as written by the
        installer), so that a program writing into ``path`` cannot change the link's target.
        """
        files = self.section(target).setdefault("files", {})
        path = Path(path)
        if key in files:
            record = files[key]
        else:
            link = os.readlink(path) if path.is_symlink() else None
            record = {"path": str(path), "existed": link is not None or path.exists(), "backup": None,
                      "link": link, "written_sha256": None,
                      "created_dirs": [str(d) for d in missing_dirs(path.parent)]}
            if record["existed"] and link is None:
                record["backup"] = f"backups/{target}/{key}"
                if not self.dry_run:
                    self._back_up(path, self.dir / record["backup"])
            files[key] = record
            self.save()
        if detach and path.is_symlink() and path.exists() and not self.dry_run:
            data = path.read_bytes()
            self._replace(path, data)
            record["written_sha256"] = sha256(data)
            self.save()
        return record

    def _back_up(self, path: Path, backup: Path) -> None:
        self._ensure_dir()
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, backup)
        if file_sha256(backup) != file_sha256(path):
            raise OSError(f"the backup of {path} differs from it")

    @staticmethod
    def _replace(path: Path, data: bytes) -> None:
        """Put ``data`` at ``path`` in one rename (a symlink there is replaced, not written through)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".xl_factor.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def backup_path(self, record: dict) -> Path | None:
        return None if record.get("backup") is None else self.dir / record["backup"]

    def write(self, target: str, key: str, path: Path, data: bytes) -> bool:
        """Write ``data`` into ``path`` (backed up first); False when it already held exactly that."""
        path = Path(path)
        record = self.before_change(target, key, path)
        if file_sha256(path) == sha256(data):
            return False
        if not self.dry_run:
            self._replace(path, data)
        record["written_sha256"] = sha256(data)
        self.save()
        return True

    def is_unchanged_since_written(self, record: dict) -> bool:
        written = record.get("written_sha256")
        return written is not None and file_sha256(Path(record["path"])) == written

    def restore(self, record: dict) -> str:
        """Put the file back as it was before the first change (byte for byte); returns what happened."""
        path = Path(record["path"])
        if record.get("link") is not None:
            if not self.dry_run:
                tmp = path.with_name(path.name + ".xl_factor.tmp")
                tmp.unlink(missing_ok=True)
                os.symlink(record["link"], tmp)
                tmp.replace(path)
            return f"restored {path} as the symlink to {record['link']} it was"
        if record["existed"]:
            backup = self.backup_path(record)
            if not self.dry_run:
                tmp = path.with_name(path.name + ".xl_factor.tmp")
                shutil.copyfile(backup, tmp)
                tmp.replace(path)
            return f"restored {path} from its backup (byte for byte)"
        if not self.dry_run:
            path.unlink(missing_ok=True)
        removed = [] if self.dry_run else remove_empty_dirs(record.get("created_dirs", []))
        return f"removed {path} (it did not exist before)" + (
            f"; removed empty {', '.join(removed)}" if removed else "")

    # ------------------------------------------------------------ forgetting

    def forget(self, target: str) -> str:
        """Drop ``target``'s section and backups; the state folder goes when nothing is left."""
        if self.dry_run:
            return f"would forget {target} in {self.path}"
        self.data["targets"].pop(target, None)
        shutil.rmtree(self.dir / "backups" / target, ignore_errors=True)
        remove_empty_dirs([self.dir / "backups"])
        if self.data["targets"]:
            self.save()
            return f"forgot {target} in {self.path}"
        self.path.unlink(missing_ok=True)
        removed = remove_empty_dirs(self.data.get("created_dirs", []))
        return f"removed {self.path}" + (f" and the folders it created: {', '.join(removed)}" if removed else "")
