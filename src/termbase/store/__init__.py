"""The store: what lives on disk beside the glossary's YAML files — the index that caches them
(`index`), the recognition automaton kept in it (`cache`), the write lock (`lock`) and the
journal that makes a change to many files all-or-nothing (`journal`)."""


def settle(root, notify) -> None:
    """Before reading directory `root` (a glossary, exports/): finish or undo a change a crashed
    writer left half done and clear its lock; wait while a live writer moves its files into place
    (a short moment); leave a live writer's lock alone (readers never wait for it)."""
    import contextlib
    import time

    from ..errors import TermbaseError
    from .journal import Journal, recover
    from .lock import DEFAULT_WAIT, LOCK_FILE, LockedError, WriteLock

    journal = Journal(root)
    lock = WriteLock(root, wait=0, notify=notify)
    if not journal.pending():
        if (journal.root / LOCK_FILE).exists() and not lock.holder_alive():
            with contextlib.suppress(LockedError, TermbaseError), lock:
                recover(root)
        return
    deadline = time.monotonic() + DEFAULT_WAIT
    while journal.pending():
        try:
            with WriteLock(root, wait=0, notify=notify):
                done = recover(root)
                if done:
                    notify(f"termbase: {root}: {done}")
            return
        except LockedError:
            if time.monotonic() > deadline:
                raise TermbaseError("another termbase writer is committing a change here; try again", root) from None
            time.sleep(0.05)
