"""One writer at a time per glossary: a lock file created exclusively, as git's `index.lock`.

`<glossary>/.termbase.lock` holds the holder's pid, host, start time and command (JSON). It is
created with O_CREAT|O_EXCL, so of two writers exactly one gets it; the other waits up to its
`wait` seconds, then fails with an error naming the holder. The holder also keeps an flock on
the file for as long as it lives: when its process is gone on this host (the flock is free and
the pid is not running), the lock is stale and the next writer takes it over, saying so.
Readers never take it.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import socket
import sys
import time
from pathlib import Path

from ..errors import TermbaseError
from . import faults

LOCK_FILE = ".termbase.lock"
DEFAULT_WAIT = 10.0


class LockedError(TermbaseError):
    """Another writer holds the glossary (exit code 1: the user may try again)."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _flock(fd: int, exclusive: bool = True, block: bool = False) -> bool:
    try:
        import fcntl
    except ImportError:         # Windows: liveness by pid alone
        return True
    flags = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if block else fcntl.LOCK_NB)
    try:
        fcntl.flock(fd, flags)
        return True
    except BlockingIOError:
        return False


class WriteLock:
    """The write lock of one directory (a glossary, or exports/). Use as a context manager."""

    def __init__(self, root, wait: float | None = DEFAULT_WAIT, notify=None, command: str = ""):
        self.root = Path(root)
        self.path = self.root / LOCK_FILE
        self.wait = DEFAULT_WAIT if wait is None else wait
        self.notify = notify or (lambda message: print(message, file=sys.stderr))
        self.command = command or " ".join(["termbase", *sys.argv[1:3]])
        self.fd: int | None = None

    def __enter__(self) -> "WriteLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def holder(self) -> dict:
        """What the lock file says about its holder ({} while it is being written)."""
        try:
            return json.loads(self.path.read_text("utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        pause = 0.02
        while True:
            if self._create():
                return
            if self._take_over_if_stale():
                continue
            if time.monotonic() >= deadline:
                raise LockedError(f"another termbase writer is changing this glossary: {self._describe(self.holder())}; "
                                  f"it ends when that command ends (if that process is gone from its host, remove "
                                  f"{self.path})", self.root)
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def _create(self) -> bool:
        """Take the lock if nobody has it. The file is written in full under a temp name, then
        hard-linked to the lock's name (link fails if that exists), so a lock file never exists
        without its holder's details."""
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": _dt.datetime.now().astimezone().isoformat(timespec="seconds"), "command": self.command}
        temp = self.root / f"{LOCK_FILE}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as error:
            raise TermbaseError(f"cannot write the lock file: {error.strerror}", self.path) from None
        try:
            _flock(fd)
            os.write(fd, json.dumps(info).encode("utf-8"))
            os.fsync(fd)
            os.link(temp, self.path)
        except (FileExistsError, FileNotFoundError):
            os.close(fd)
            return False
        except OSError as error:
            os.close(fd)
            raise TermbaseError(f"cannot write the lock file: {error.strerror}", self.path) from None
        finally:
            try:
                os.unlink(temp)
            except OSError:
                pass
        self.fd = fd
        return True

    def _take_over_if_stale(self) -> bool:
        """Remove a lock whose holder died on this host; True if the caller should try again."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return True
        try:
            holder = self.holder()
            if not holder:
                young = time.time() - os.fstat(fd).st_mtime < 10
                if young:
                    return False          # being written right now
            elif holder.get("host") != socket.gethostname() or _pid_alive(int(holder.get("pid", 0))):
                return False
            if not _flock(fd):            # its holder still lives (the pid was reused by another)
                return False
            try:
                if os.stat(self.path).st_ino != os.fstat(fd).st_ino:
                    return True           # already replaced by another writer: look again
            except FileNotFoundError:
                return True
            faults.step("unlink", self.path)
            os.unlink(self.path)
            self.notify(f"termbase: took over the stale lock of {self._describe(holder)}")
            return True
        finally:
            os.close(fd)

    @staticmethod
    def _describe(holder: dict) -> str:
        if not holder:
            return "a writer that is just starting"
        return (f"pid {holder.get('pid')} on {holder.get('host')} since {holder.get('started')}"
                f" ({holder.get('command') or 'termbase'})")

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            if os.stat(self.path).st_ino == os.fstat(self.fd).st_ino:
                faults.step("unlink", self.path)
                os.unlink(self.path)
        except OSError:
            pass          # left behind: its process is gone once we end, so the next command clears it
        finally:
            os.close(self.fd)
            self.fd = None

    @property
    def held(self) -> bool:
        return self.fd is not None

    def holder_alive(self) -> bool:
        """Whether a process on this host holds the lock right now (readers ask, to wait out a commit)."""
        holder = self.holder()
        if not self.path.exists():
            return False
        if not holder:
            return True
        return holder.get("host") != socket.gethostname() or _pid_alive(int(holder.get("pid", 0)))
