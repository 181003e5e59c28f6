"""Progress of long jobs: reported by the library through a callback, shown by the CLI on a terminal.

A long job takes an optional callback `progress(done, total)` and calls it as it goes: readers
with the bytes of their input read so far, writers with the concepts written (`total` is None
when unknown). `reading`, `counted` and `within` do the counting; each gives back what it was
given when there is no callback, so a job whose progress nobody watches counts nothing.

`Progress` is the callback the CLI gives, and only when stderr is a terminal (`Progress.start`
and `step` give None otherwise). Once its job has run for TERMBASE_PROGRESS_DELAY seconds (0.5
unless set, as git's GIT_PROGRESS_DELAY) it draws a tqdm bar on stderr, importing tqdm only
then, and clears the bar when the job is done.

A new long job (the site build, say) takes `progress=None`, reports through `counted(concepts,
progress)` in its main loop (or `reading(stream, progress)` for what it reads), and its command
runs it inside `with step("writing site/") as progress:`.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time

DELAY = 0.5
DELAY_VARIABLE = "TERMBASE_PROGRESS_DELAY"
UNITS = {"bytes": "B", "concepts": " concepts", "files": " files"}


def delay() -> float:
    """Seconds a job runs before its progress shows (TERMBASE_PROGRESS_DELAY, else DELAY)."""
    try:
        return max(0.0, float(os.environ.get(DELAY_VARIABLE, DELAY)))
    except ValueError:
        return DELAY


class Progress:
    """A progress bar on stderr for one job, counted in `unit` (bytes, concepts or files)."""

    def __init__(self, label: str, unit: str = "bytes"):
        self.label, self.unit = label, unit
        self.bar = None
        self.started = time.monotonic()
        self.due = self.started + delay()
        self.shares_screen = sys.stdout is not None and sys.stdout.isatty()

    @classmethod
    def start(cls, label: str, unit: str = "bytes") -> Progress | None:
        """A Progress when stderr is a terminal, else None (nothing is counted or shown)."""
        stream = sys.stderr
        if stream is None or not stream.isatty():
            return None
        return cls(label, unit)

    def __call__(self, done: int, total: int | None = None) -> None:
        bar = self.bar
        if bar is None:
            if (total is not None and done >= total) or time.monotonic() < self.due:
                return
            bar = self.bar = self._open(done, total)
        elif total != bar.total:
            bar.total = total
        bar.update(done - bar.n)
        if total is not None and done >= total:
            self.close()

    def _open(self, done, total):
        from tqdm import tqdm

        tqdm.monitor_interval = 0        # no monitor thread: updates come often enough
        try:
            sized = os.get_terminal_size(sys.stderr.fileno()).columns > 0
        except (AttributeError, OSError, ValueError):
            sized = False
        # a terminal that gives no size (a bare pseudo-terminal) gets 80 columns: tqdm would draw nothing
        shape = {"dynamic_ncols": True} if sized else {"ncols": 80, "nrows": 24}
        bar = tqdm(total=total, initial=done, desc=self.label, unit=UNITS.get(self.unit, f" {self.unit}"),
                   unit_scale=True, leave=False, file=sys.stderr, mininterval=0.2, **shape)
        bar.start_t -= time.monotonic() - self.started         # the time shown is the job's
        return bar

    def clear(self) -> None:
        """Before a line is written on stdout: take the bar off the screen when stdout shows on
        the terminal too (the bar comes back with a later update)."""
        if self.bar is not None and self.shares_screen:
            self.bar.clear()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextlib.contextmanager
def step(label: str, unit: str = "concepts"):
    """A Progress for one step of a command, cleared when the step ends (None off a terminal)."""
    progress = Progress.start(label, unit)
    try:
        yield progress
    finally:
        if progress is not None:
            progress.close()


class _Reading:
    """A binary stream that reports the bytes read through it: progress(bytes read, total)."""

    def __init__(self, stream, progress, total):
        self._stream, self._progress, self.total, self.count = stream, progress, total, 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        self._progress(self.count, self.total)
        return data

    def __getattr__(self, name):           # name, peek, seek, tell, seekable, close …
        return getattr(self._stream, name)


def size_of(stream) -> int | None:
    """The size of the file behind `stream`, if it has one."""
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        return None


def reading(stream, progress, total: int | None = None):
    """`stream` (a binary file), reporting progress(bytes read, total) as it is read; `total`
    defaults to the file's size. `stream` itself when `progress` is None."""
    if progress is None:
        return stream
    return _Reading(stream, progress, size_of(stream) if total is None else total)


REPORTS = 1000          # at most about this many reports of a count with a known total


def counted(items, progress, total: int | None = None):
    """`items`, reporting progress(n, total) as they are taken (after each, or after each
    thousandth of `total`, and after the last); `total` defaults to len(items). `items` itself
    when `progress` is None."""
    if progress is None:
        return items
    if total is None and hasattr(items, "__len__"):
        total = len(items)
    return _counting(items, progress, total)


def _counting(items, progress, total):
    every = max(1, total // REPORTS) if total else 1
    done = 0
    for item in items:
        yield item
        done += 1
        if not done % every or done == total:
            progress(done, total)


def within(progress, start: int, size: int, whole: int):
    """A callback for one part of a job that takes `size` of `whole` after `start`: the part's
    own (done, total), in any unit, is reported to `progress` as its share of `size` (a file
    among several, or text decoded from a file, in the file's bytes). None when `progress` is."""
    if progress is None:
        return None

    def report(done: int, total: int | None) -> None:
        if total:
            progress(start + size * min(done, total) // total, whole)
    return report
