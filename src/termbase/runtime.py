"""Process-wide settings for the bulk jobs that build millions of small objects."""
from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def collector_paused():
    """Run a block without Python's cyclic garbage collector. For bulk work that creates
    millions of small acyclic objects (rows, models, pages), its passes over an ever larger heap
    only cost time; reference counting still frees everything. Restores the earlier state."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
