"""Fault injection for the store's tests: every file operation of a commit counts as a step.

`TERMBASE_FAULT=kill@K` SIGKILLs the process just before its K-th step (a crash, a power cut,
an out-of-memory kill); `TERMBASE_FAULT=ENOSPC@K` (or EIO, EACCES) makes the K-th step fail with
that error. Unset, `step` only counts. The tests drive real processes with it; nothing else sets it.
"""
from __future__ import annotations

import errno
import os
import signal

_count = 0


def step(kind: str, path) -> None:
    """Count one file operation (`write`, `rename`, `replace`, `unlink`, `fsync`) about to happen."""
    global _count
    spec = os.environ.get("TERMBASE_FAULT")
    if not spec:
        return
    _count += 1
    what, _, at = spec.partition("@")
    if not at or _count != int(at):
        return
    if what == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    code = getattr(errno, what)
    raise OSError(code, os.strerror(code), str(path))


def steps() -> int:
    """How many steps this process has counted (for tests that size their fault range)."""
    return _count
