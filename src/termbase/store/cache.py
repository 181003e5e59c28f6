"""The recognition automaton kept in the index between runs.

Building the automaton of a large glossary takes seconds; loading it back takes a fraction of
that. It is stored pickled (pyahocorasick pickles its automaton) under the index's generation,
so any change to the concepts makes it stale. A pickle runs code when loaded, so each one is
signed with a key kept in the user's own cache directory: an index file planted by someone
else (in a repository, say) is never unpickled.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import sqlite3


def _key_path() -> str:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "termbase", "signing.key")


def signing_key() -> bytes | None:
    """This user's secret for signing cached pickles (created on first use), or None if it
    cannot be kept."""
    path = _key_path()
    try:
        with open(path, "rb") as handle:
            key = handle.read()
        if len(key) == 32:
            return key
    except OSError:
        pass
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            with open(path, "rb") as handle:
                key = handle.read()
            return key if len(key) == 32 else None
        except OSError:
            return None
    except OSError:
        return None
    key = os.urandom(32)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def _sign(key: bytes, generation: int, data: bytes) -> str:
    return hmac.new(key, generation.to_bytes(8, "big") + data, hashlib.sha256).hexdigest()


def load_matcher(index, termbase):
    """The automaton stored for the index's current state, attached to `termbase`, or None."""
    key = signing_key()
    if key is None or index.location is None:
        return None
    row = index.db.execute("SELECT data, signature FROM matcher WHERE generation = ?", (index.generation,)).fetchone()
    if row is None or not hmac.compare_digest(row[1] or "", _sign(key, index.generation, row[0])):
        return None
    matcher = pickle.loads(row[0])
    matcher.termbase = termbase
    return matcher


def save_matcher(index, matcher):
    """Store `matcher` for the index's current state (best effort); returns it."""
    key = signing_key()
    if key is None or index.location is None:
        return matcher
    data = pickle.dumps(matcher, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        with index.writing() as db:
            db.execute("DELETE FROM matcher")
            db.execute("INSERT INTO matcher VALUES (?, ?, ?)", (index.generation, data, _sign(key, index.generation, data)))
    except sqlite3.OperationalError:
        pass     # busy or read-only: the next run builds it again
    return matcher
