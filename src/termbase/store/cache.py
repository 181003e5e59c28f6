"""The recognition automaton kept in the index between runs.

Building the automaton of a large glossary takes a minute; loading it back must take a moment.
So only what every scan needs is loaded whole — the pyahocorasick automaton (pickled) and the
two arrays of key lengths and separators — and the key groups and term entries, of which a text
touches a few, stay as rows read on demand. All of it is stored under the index's generation,
so any change to the concepts makes it stale. A pickle runs code when loaded, so it is signed
with a key kept in the user's own cache directory: an index file planted by someone else (in a
repository, say) is never unpickled.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import sqlite3
from array import array

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


class _Rows:
    """A read-only sequence whose items are rows fetched when first asked for (then kept)."""

    def __init__(self, db, query: str, count: int, make):
        self.db, self.query, self.count, self.make = db, query, count, make
        self.kept: dict = {}

    def __getitem__(self, number: int):
        item = self.kept.get(number)
        if item is None:
            row = self.db.execute(self.query, (number,)).fetchone()
            if row is None:
                raise IndexError(number)
            item = self.kept[number] = self.make(row)
        return item

    def __len__(self) -> int:
        return self.count


def load_matcher(index, termbase):
    """The automaton stored for the index's current state, attached to `termbase`, or None."""
    from ..matcher import Entry, Matcher, form_tokens

    key = signing_key()
    if key is None or index.location is None:
        return None
    row = index.db.execute("SELECT data, signature FROM matcher WHERE generation = ?", (index.generation,)).fetchone()
    if row is None or not hmac.compare_digest(row[1] or "", _sign(key, index.generation, row[0])):
        return None
    state = pickle.loads(row[0])
    lengths, seps = array("i"), array("i")
    lengths.frombytes(state.pop("key_lengths"))
    seps.frombytes(state.pop("key_seps"))
    db = index.db
    state.update(termbase=termbase, _key_lengths=lengths, _key_seps=seps,
                 groups=_Rows(db, "SELECT key_length, entries, tokens, seps FROM matcher_groups WHERE gid = ?",
                              len(lengths), lambda r: (r[0], tuple(map(int, r[1].split())), r[2], r[3])),
                 entries=_Rows(db, "SELECT concept_id, lang, term_index, form FROM matcher_entries WHERE eid = ?",
                               state.pop("entry_count"), lambda r: Entry(r[0], r[1], r[2], r[3], form_tokens(r[3]))))
    matcher = Matcher.__new__(Matcher)
    matcher.__setstate__(state)
    return matcher


def build_matcher(index, termbase):
    """The automaton of every concept, from the forms the index keeps per concept: only the
    concepts without them (all, the first time; the edited ones after an edit) are read and
    worked out, and their forms kept. Stored for the generation it was built from."""
    from ..matcher import Matcher, concept_forms

    missing = []
    for n, concept in index.concepts_without_forms():
        missing.append((n, json.dumps(concept_forms(concept), ensure_ascii=False)))
        if len(missing) >= 5000:
            index.keep_forms(missing)
            missing = []
    index.keep_forms(missing)
    generation, rows = index.forms()
    if any(forms is None for _, forms in rows):       # not kept (a busy or read-only index), or changed meanwhile
        return Matcher(termbase)
    matcher = Matcher(termbase, forms=((concept_id, json.loads(forms)) for concept_id, forms in rows))
    return save_matcher(index, matcher, generation)


def save_matcher(index, matcher, generation: int):
    """Store `matcher` for the index's state `generation` (best effort); returns it."""
    key = signing_key()
    if key is None or index.location is None:
        return matcher
    state = matcher.__getstate__()
    groups, entries = state.pop("groups"), state.pop("entries")
    state.update(key_lengths=state.pop("_key_lengths").tobytes(), key_seps=state.pop("_key_seps").tobytes(),
                 entry_count=len(entries))
    del state["termbase"]
    data = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        with index.writing() as db:
            db.execute("DELETE FROM matcher")
            db.execute("DELETE FROM matcher_groups")
            db.execute("DELETE FROM matcher_entries")
            db.executemany("INSERT INTO matcher_groups VALUES (?, ?, ?, ?, ?)",
                           ((gid, g[0], " ".join(map(str, g[1])), g[2], g[3]) for gid, g in enumerate(groups)))
            db.executemany("INSERT INTO matcher_entries VALUES (?, ?, ?, ?, ?)",
                           ((eid, e.concept_id, e.lang, e.term_index, e.form) for eid, e in enumerate(entries)))
            db.execute("INSERT INTO matcher VALUES (?, ?, ?)", (generation, data, _sign(key, generation, data)))
    except sqlite3.OperationalError:
        pass     # busy or read-only: the next run builds it again
    return matcher
