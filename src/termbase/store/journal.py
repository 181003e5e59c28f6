"""All-or-nothing changes to many files, across crashes: a journal, as SQLite commits.

`commit(root, files, remove)` changes a directory (a glossary, or exports/) in five steps:

1. stage every new file in `<root>/.termbase-journal/` (and hard-link each file it replaces
   there too, so an error can put it back);
2. write the manifest (what goes where), fsync it, and rename it into place: the commit point;
3. rename the staged files over their targets, unlink the removed ones;
4. fsync the directories;
5. remove the manifest and the journal.

`recover(root)`, run before anything reads the directory, finishes what a crash interrupted: a
journal with a manifest is rolled forward (its changes were committed), one without is rolled
back (staging never finished, nothing was touched); stray temp files go too. So after a crash the
directory holds the old files or the new ones, never a mix. An error before the commit point
(disk full, permission denied) leaves the directory untouched; an error after it puts the old
files back from their links, or failing that leaves the journal for the next recovery.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from ..errors import TermbaseError
from ..fileio import file_mode as _file_mode
from ..progress import counted
from . import faults

JOURNAL_DIR = ".termbase-journal"
MANIFEST = "manifest.json"


class Journal:
    """The journal directory of one root."""

    def __init__(self, root):
        self.root = Path(root)
        self.folder = self.root / JOURNAL_DIR
        self.manifest = self.folder / MANIFEST

    def pending(self) -> bool:
        return self.folder.exists()


def commit(root, files: dict, remove=(), progress=None) -> None:
    """Write {path: bytes} and remove `remove`, all under `root`, all or nothing (`progress(files,
    total)` hears of the files staged)."""
    journal = Journal(root)
    root = journal.root
    if journal.pending():
        recover(root)
    entries = []
    try:
        _mkdir(journal.folder)
        for number, (path, data) in enumerate(counted(files.items(), progress)):
            target = _relative(root, path)
            staged = f"{number:06d}.new"
            _write(journal.folder / staged, data, root / target, mode=_file_mode(root / target))
            entries.append([target, staged, hashlib.sha256(data).hexdigest(), _keep_old(journal, root / target, number)])
        for number, path in enumerate(remove, len(entries)):
            target = _relative(root, path)
            entries.append([target, None, None, _keep_old(journal, root / target, number)])
        _sync(journal.folder, [journal.folder / e[1] for e in entries if e[1]])
        body = json.dumps({"version": 1, "entries": entries}, ensure_ascii=False)
        record = json.dumps({"sha256": hashlib.sha256(body.encode()).hexdigest(), "body": body}, ensure_ascii=False)
        _write(journal.folder / (MANIFEST + ".tmp"), record.encode("utf-8"), journal.manifest, sync=True)
        faults.step("rename", journal.manifest)
        os.rename(journal.folder / (MANIFEST + ".tmp"), journal.manifest)
        _fsync_dir(journal.folder)
    except BaseException as error:
        _discard(journal)                  # before the commit point: nothing was touched
        if isinstance(error, OSError):
            raise TermbaseError(f"cannot write: {error.strerror or error}; nothing was changed",
                                error.filename or root) from None
        raise
    try:
        _apply(journal, entries)
    except OSError as error:
        _undo(journal, entries)
        raise TermbaseError(f"cannot write: {error.strerror or error}; nothing was changed",
                            error.filename or root) from None
    try:
        _finish(journal)
    except OSError:
        pass        # the change is in place; the next command clears what is left of the journal


def recover(root) -> str | None:
    """Finish or undo an interrupted commit and remove stray temp files; say what was done."""
    journal = Journal(root)
    done = None
    if journal.pending():
        entries = _read_manifest(journal)
        if entries is None:
            _discard(journal)
            done = "rolled back an interrupted change (it had not been committed)"
        else:
            _apply(journal, entries)
            _finish(journal)
            done = f"finished an interrupted change of {len(entries)} files"
    for folder in (journal.root, journal.root / "concepts"):
        if folder.is_dir():
            for stray in folder.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    faults.step("unlink", stray)
                    os.unlink(stray)
    return done


def _read_manifest(journal: Journal) -> list | None:
    try:
        record = json.loads(journal.manifest.read_text("utf-8"))
        body = record["body"]
        if hashlib.sha256(body.encode()).hexdigest() != record["sha256"]:
            return None
        return json.loads(body)["entries"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _apply(journal: Journal, entries: list) -> None:
    """Move every staged file into place and remove the removed ones (again, after a crash)."""
    folders = set()
    for target, staged, _, _ in entries:
        path = journal.root / target
        folders.add(path.parent)
        if staged is None:
            if path.exists():
                faults.step("unlink", path)
                os.unlink(path)
            continue
        source = journal.folder / staged
        if source.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            faults.step("replace", path)
            os.replace(source, path)
    for folder in folders:
        _fsync_dir(folder)


def _undo(journal: Journal, entries: list) -> None:
    """After an error mid-way: put every replaced or removed file back from its link."""
    try:
        for target, staged, _, old in entries:
            path = journal.root / target
            if old is not None and (journal.folder / old).exists():
                os.replace(journal.folder / old, path)
            elif old is None and staged is not None and path.exists():
                os.unlink(path)           # it was new
        _discard(journal)
    except OSError:
        pass                              # the manifest stays: the next command rolls forward


def _finish(journal: Journal) -> None:
    faults.step("unlink", journal.manifest)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(journal.manifest)
    _fsync_dir(journal.folder)
    _discard(journal)


def _discard(journal: Journal) -> None:
    """Remove the journal directory and what is left in it (staged files, old links)."""
    if not journal.folder.exists():
        return
    for path in journal.folder.iterdir():
        faults.step("unlink", path)
        os.unlink(path)
    faults.step("unlink", journal.folder)
    os.rmdir(journal.folder)
    _fsync_dir(journal.root)


def _keep_old(journal: Journal, path: Path, number: int) -> str | None:
    """Hard-link the file a change replaces or removes into the journal (None if there is none)."""
    name = f"{number:06d}.old"
    try:
        faults.step("link", path)
        os.link(path, journal.folder / name)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise TermbaseError(f"cannot write: {error.strerror}; nothing was changed", path) from None
    return name


def _relative(root: Path, path) -> str:
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if relative.startswith(".."):
        raise TermbaseError(f"{path} is not inside {root}")
    return relative


def _mkdir(folder: Path) -> None:
    try:
        faults.step("write", folder)
        folder.mkdir()
    except OSError as error:
        raise TermbaseError(f"cannot write: {error.strerror}; nothing was changed", folder) from None


def _write(path: Path, data: bytes, name, sync: bool = False, mode: int = 0o644) -> None:
    """Write one file of the journal; an error names `name`, the file it stands for."""
    try:
        faults.step("write", path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        os.fchmod(fd, mode)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        raise TermbaseError(f"cannot write: {error.strerror or error}; nothing was changed", name) from None


def _sync(folder: Path, paths: list) -> None:
    """Make the staged files durable: one syncfs for the whole file system where Linux has it,
    else an fsync per file."""
    import ctypes
    import ctypes.util

    fd = os.open(folder, os.O_RDONLY)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if hasattr(os, "uname") else None
        if libc is not None and hasattr(libc, "syncfs") and libc.syncfs(fd) == 0:
            return
    except OSError:
        pass
    finally:
        os.close(fd)
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


