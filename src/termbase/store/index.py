"""The index: a SQLite cache of a glossary directory, brought up to date before every read.

The files under glossary/ are the truth; the index only remembers what they said. Before it
answers, `refresh` stats every concept file and re-reads those whose size, mtime, ctime or inode
differ from what it recorded, and drops the files that are gone. As in git's "racy git" rule, a
file whose mtime lies within RACY_WINDOW_NS of the moment it was last read may have changed
again in the same clock tick, so it is read again (and compared by content hash) until it is
older than that.

It holds the YAML mappings of the concepts (JSON, checksummed), the tables commands query
(terms, subject fields, cross-references, sources), the search keys (FTS5), each file's own
validation findings by content hash, and the recognition automaton of the latest state
(`store.cache`). An index file that is missing, truncated, corrupt, or written by another schema
or termbase version is thrown away and rebuilt, with one line on stderr. Writers are serialized
by SQLite (WAL, busy timeout); readers never wait for them.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import sys
import time
import zlib
from pathlib import Path

from .. import arabic, search
from ..errors import TermbaseError
from ..glossary import CONCEPT_DIR, concept_from_dict
from ..model import AdministrativeStatus, Concept
from ..runtime import collector_paused

SCHEMA_VERSION = 1
RACY_WINDOW_NS = 2_000_000_000        # coarse file systems keep 1–2 s mtimes
BUSY_TIMEOUT = 120.0                  # seconds a refresh waits for another process's refresh
CORRUPT_CODES = {11, 26}              # SQLITE_CORRUPT, SQLITE_NOTADB
PARALLEL_FILES = 2000                 # from this many files to read, worker processes share the parsing
STATUSES = list(AdministrativeStatus)  # stored as their position

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE files(
  name TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER,
  checked_ns INTEGER,   -- when the content was last read: the racy-git rule
  hash TEXT,            -- BLAKE2b of the bytes
  error TEXT,           -- JSON [message, line, column]: why the file does not load, else NULL
  findings TEXT,        -- JSON: what validate finds in this file alone
  bucket INTEGER        -- bucket_of(name): the part of the listing the file belongs to
) WITHOUT ROWID;
CREATE INDEX files_by_bucket ON files(bucket);
CREATE INDEX files_not_loading ON files(name) WHERE error IS NOT NULL;
CREATE TABLE concepts(
  n INTEGER PRIMARY KEY, file TEXT NOT NULL, id TEXT NOT NULL,
  data TEXT NOT NULL, checksum TEXT NOT NULL,   -- the YAML mapping as JSON, and its BLAKE2b
  en TEXT, ar TEXT, review_status TEXT
);
CREATE UNIQUE INDEX concepts_by_file ON concepts(file);
CREATE INDEX concepts_by_id ON concepts(id);
CREATE TABLE subjects(concept INTEGER, position INTEGER, subject TEXT);
CREATE INDEX subjects_by_concept ON subjects(concept);
CREATE INDEX subjects_by_subject ON subjects(subject);
CREATE TABLE xrefs(concept INTEGER, position INTEGER, target TEXT);
CREATE INDEX xrefs_by_concept ON xrefs(concept);
CREATE TABLE sources(concept INTEGER, keypath TEXT, source TEXT);
CREATE INDEX sources_by_concept ON sources(concept);
CREATE TABLE terms(
  concept INTEGER, lang TEXT, position INTEGER, text TEXT, type TEXT,
  status INTEGER,       -- position in STATUSES, NULL for none
  norm TEXT             -- arabic.normalize(text): what duplicate-preferred compares
);
CREATE INDEX terms_by_concept ON terms(concept);
CREATE INDEX preferred_terms ON terms(lang, norm) WHERE status = 0;
CREATE TABLE surfaces(
  id INTEGER PRIMARY KEY, concept INTEGER, lang TEXT, text TEXT, status INTEGER,
  kind INTEGER,         -- 0 the term itself, 1 its vocalized form, 2 a stored form
  folded TEXT,          -- search.fold(text), for exact matches
  tokens TEXT,          -- search.words(text), space-separated
  size INTEGER,         -- how many words
  concept_id TEXT       -- the concept's id: search sorts ties on it without a join
);
CREATE INDEX surfaces_by_concept ON surfaces(concept);
CREATE INDEX surfaces_by_spelling ON surfaces(folded);
CREATE VIRTUAL TABLE surface_fts USING fts5(keys, content='', tokenize='ascii', detail='none');
CREATE TABLE definitions(id INTEGER PRIMARY KEY, concept INTEGER, lang TEXT, text TEXT);
CREATE INDEX definitions_by_concept ON definitions(concept);
CREATE VIRTUAL TABLE definition_fts USING fts5(keys, content='', tokenize='ascii');
CREATE TABLE tallies(kind TEXT, value TEXT, count INTEGER, PRIMARY KEY (kind, value)) WITHOUT ROWID;
-- the surfaces' full-text words; plain: 1 a word without digits (fuzzy search looks there),
-- 0 a word with digits, 2 a stem marked with search.STEM (prefix search expands it)
CREATE TABLE vocabulary(key TEXT PRIMARY KEY, size INTEGER, plain INTEGER) WITHOUT ROWID;
CREATE INDEX vocabulary_by_size ON vocabulary(plain, size);
-- matcher.concept_forms of one concept as JSON: kept when the automaton is first built, dropped
-- with the concept, so that the automaton after an edit works out only the edited concepts' forms
CREATE TABLE recognition(concept INTEGER PRIMARY KEY, forms TEXT NOT NULL);
CREATE TABLE matcher(generation INTEGER PRIMARY KEY, data BLOB, signature TEXT);
CREATE TABLE matcher_groups(gid INTEGER PRIMARY KEY, key_length INTEGER, entries TEXT, tokens INTEGER, seps INTEGER);
CREATE TABLE matcher_entries(eid INTEGER PRIMARY KEY, concept_id TEXT, lang TEXT, term_index INTEGER, form TEXT);
"""

INDEXES = [statement for statement in SCHEMA.split(";\n") if statement.lstrip().startswith(("CREATE INDEX", "CREATE UNIQUE INDEX"))]
TABLES = [statement for statement in SCHEMA.split(";\n") if statement.strip() and statement not in INDEXES]

# the tables of rows derived from one concept, dropped with it (recognition: filled later, by `find`)
DERIVED = ("subjects", "xrefs", "sources", "terms", "surfaces", "definitions", "recognition")
INSERT_FILE = "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


class IndexUnusable(Exception):
    """The index file cannot be trusted or opened; `reason` says why (it is rebuilt)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@functools.lru_cache(maxsize=None)
def schema_id() -> str:
    """The schema version, with a hash of the SQL and of the code that derives the rows: an index
    written by other code is rebuilt even within one release (as during development)."""
    from .. import arabic as a, glossary as g, matcher as m, model as d, search as s, validate as v

    digest = hashlib.blake2b(SCHEMA.encode(), digest_size=8)
    for module in (a, g, m, d, s, v, sys.modules[__name__]):
        with open(module.__file__, "rb") as handle:
            digest.update(handle.read())
    return f"{SCHEMA_VERSION}.{digest.hexdigest()}"


def is_corruption(error: BaseException) -> bool:
    return isinstance(error, sqlite3.DatabaseError) and (
        getattr(error, "sqlite_errorcode", None) in CORRUPT_CODES
        or "malformed" in str(error) or "not a database" in str(error))


TRANSIENT = ("locked", "busy", "readonly", "read-only", "full", "unable to open", "interrupted", "I/O error")


def is_broken(error: BaseException) -> bool:
    """Whether a database error means the index file cannot be trusted: anything but a busy,
    locked, read-only, full or unreachable database."""
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    return is_corruption(error) or not any(word in str(error) for word in TRANSIENT)


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("termbase")
    except PackageNotFoundError:
        return "unknown"


def default_location(root: Path) -> Path:
    """Where the index of `root` lives: in $TERMBASE_INDEX_DIR, else in the user's cache
    directory; one file per glossary, named after a hash of the glossary's real path."""
    base = os.environ.get("TERMBASE_INDEX_DIR")
    if not base:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(cache, "termbase", "index")
    real = os.path.realpath(root)
    digest = hashlib.blake2b(real.encode("utf-8", "surrogateescape"), digest_size=10).hexdigest()
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in os.path.basename(real))[:40] or "glossary"
    return Path(base) / f"{name}-{digest}.sqlite"


def content_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


try:
    from . import _scan
except ImportError:          # built without a C compiler: the same walk in Python, slower
    _scan = None


BUCKETS = 256          # the listing's parts (store/_scan.c): a refresh lists only the parts that changed


def bucket_of(name: str) -> int:
    """The part of the listing a concept file belongs to: the CRC-32 of its name, modulo BUCKETS."""
    return zlib.crc32(os.fsencode(name)) % BUCKETS


def listing_fingerprint(buckets: bytes) -> str:
    """The fingerprint of a whole listing, from its per-bucket digests."""
    return "b." + hashlib.blake2b(buckets, digest_size=16).hexdigest()


def scan(folder: Path, only: set | None = None) -> tuple[str, dict, bytes | None]:
    """(fingerprint, {file name: (size, mtime_ns, ctime_ns, inode)}, per-bucket digests or None)
    of the concept files in `folder`; the fingerprint changes whenever the listing does. With
    `only` (bucket numbers; the C walk only), the listing holds only the files in those buckets."""
    if _scan is not None:
        mask = bytes(1 if b in only else 0 for b in range(BUCKETS)) if only is not None else None
        try:
            buckets, entries = _scan.scan(os.fsencode(folder), True, mask)
        except FileNotFoundError:
            return "", {}, None
        except NotADirectoryError:
            raise TermbaseError(f"{CONCEPT_DIR} must be a folder of concept files", folder) from None
        return listing_fingerprint(buckets), {entry[0]: entry[1:] for entry in entries}, buckets
    found = {}
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return "", found, None
    except NotADirectoryError:
        raise TermbaseError(f"{CONCEPT_DIR} must be a folder of concept files", folder) from None
    try:
        for name in os.listdir(fd):
            if name.endswith(".yaml"):
                try:
                    st = os.stat(name, dir_fd=fd)
                except FileNotFoundError:
                    continue
                found[name] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    finally:
        os.close(fd)
    return "py." + hashlib.blake2b(repr(sorted(found.items())).encode(), digest_size=16).hexdigest(), found, None


def quick_scan(folder: Path) -> bytes | None:
    """The per-bucket digests of the listing, without building it (None without the C walk)."""
    if _scan is None:
        return None
    try:
        return _scan.scan(os.fsencode(folder), False)[0]
    except OSError:
        return None


def quick_fingerprint(folder: Path) -> str | None:
    """The fingerprint `scan` would give, without building the listing (None without the C walk)."""
    buckets = quick_scan(folder)
    return None if buckets is None else listing_fingerprint(buckets)


def changed_buckets(before: bytes | None, now: bytes, racy: list) -> set | None:
    """The buckets to list again: those whose digest differs, and those of racily clean files
    (None: all of them, when there is nothing to compare with)."""
    if before is None or len(before) != BUCKETS * 16 or len(now) != BUCKETS * 16:
        return None
    return {b for b in range(BUCKETS) if before[16 * b:16 * b + 16] != now[16 * b:16 * b + 16]} | {
        bucket_of(name) for name in racy}


def merged_buckets(before: bytes | None, now: bytes | None, only: set | None) -> bytes | None:
    """The digests to remember after listing `only` again: this walk's for those buckets, the
    remembered ones for the others (a file that changed in another bucket meanwhile was not read,
    so its bucket must still differ next time)."""
    if now is None or only is None or before is None:
        return now
    return b"".join(now[16 * b:16 * b + 16] if b in only else before[16 * b:16 * b + 16] for b in range(BUCKETS))


def _tallies(review: str | None, subjects, terms) -> dict:
    """{(kind, value): count} one concept adds to `statistics`: its review status, subject fields
    (`(none)` without any) and its terms' languages, types and statuses."""
    from collections import Counter

    counts = Counter({("review", review or "(none)"): 1})
    subjects = [subject for _, subject in subjects]
    counts.update(("subject", subject) for subject in subjects or ["(none)"])
    for lang, _, _, type_, status, *_ in terms:
        counts.update([("language", lang), ("type", type_ or "(none)"), ("status", str(-1 if status is None else status))])
    return counts


def _racy(listing: dict, started: int) -> str:
    """The files modified so recently that a change in the same clock tick would not show (JSON)."""
    return json.dumps(sorted(name for name, stat in listing.items() if stat[1] + RACY_WINDOW_NS >= started))


def _needs_reading(stat: tuple, recorded: tuple | None) -> bool:
    """Whether a file must be read: unknown, stat changed, or racily clean (modified within
    RACY_WINDOW_NS before it was last read, so a change in the same tick would not show)."""
    return recorded is None or recorded[:4] != stat or recorded[1] + RACY_WINDOW_NS >= recorded[4]


# --- what one file contributes ------------------------------------------------------------------

def analyse(path: Path, raw: bytes) -> tuple:
    """Everything the index stores for one concept file, as plain rows (picklable, so worker
    processes can do it): (error, findings, concept row or None, derived rows by table, full-text
    documents and vocabulary: see `concept_rows`)."""
    from .. import validate

    data, concept, findings, load_error = validate.file_findings(path, raw)
    error = json.dumps([load_error.message, load_error.line, load_error.column]) if load_error else None
    found = json.dumps([[f.line, f.severity, f.message, f.check, f.column] for f in findings], ensure_ascii=False)
    if concept is None:
        return error, found, None, {}, {}
    return (error, found) + concept_rows(concept, data)


def concept_rows(concept: Concept, data: dict) -> tuple:
    """(concept row, {table: rows}, {full-text table: documents}) of one concept. Rows leave out
    the concept number (and the surface and definition ids), which the writer puts first; the
    documents line up with the surfaces and definitions, and `vocabulary` holds the rows of
    their word keys. Worked out here, so that worker processes share it."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    en, ar = concept.preferred_term("en"), concept.preferred_term("ar")
    row = (concept.id, payload, content_hash(payload.encode("utf-8")), en.text if en else "",
           ar.text if ar else "", concept.review_status.value if concept.review_status else None)
    sources = [(json.dumps(["sources", i]), s) for i, s in enumerate(concept.sources)]
    terms, surfaces, surface_documents, vocabulary = [], [], [], set()
    for tag, section in concept.languages.items():
        for position, term in enumerate(section.terms):
            status = STATUSES.index(term.status) if term.status else None
            terms.append((tag, position, term.text, term.type.value if term.type else None, status,
                           arabic.normalize(term.text)))
            if term.context_source:
                sources.append((json.dumps(["languages", tag, "terms", position, "context_source"]), term.context_source))
            for text, kind in search.surfaces_of(term):
                tokens = search.words(text)
                surfaces.append((tag, text, status, kind, search.fold(text), " ".join(tokens), len(tokens), concept.id))
                surface_documents.append(search.surface_keys(tokens))
                vocabulary.update(row for token in tokens for row in search.vocabulary_rows(token))
    definitions = [(tag, section.definition) for tag, section in concept.languages.items() if section.definition]
    return row, {
        "subjects": list(enumerate(concept.subject_fields)),
        "xrefs": list(enumerate(concept.cross_references)),
        "sources": sources, "terms": terms, "surfaces": surfaces, "definitions": definitions,
    }, {"surface_fts": surface_documents, "definition_fts": [search.text_keys(text) for _, text in definitions],
        "vocabulary": sorted(vocabulary)}


COLUMNS = {"subjects": "concept, position, subject", "xrefs": "concept, position, target",
           "sources": "concept, keypath, source", "terms": "concept, lang, position, text, type, status, norm",
           "surfaces": "concept, lang, text, status, kind, folded, tokens, size, concept_id", "definitions": "concept, lang, text"}


def _analyse_file(job: tuple) -> tuple:
    """(name, digest, analysis) of one file: digest None if it is gone, analysis None if its
    bytes hash to `known_hash` (only its stat changed)."""
    folder, name, known_hash = job
    try:
        raw = (folder / name).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return name, None, None
    digest = content_hash(raw)
    if digest == known_hash:
        return name, digest, None
    return name, digest, analyse(folder / name, raw)


class Index:
    """An open index over one glossary directory (or over a termbase held in memory)."""

    def __init__(self, connection: sqlite3.Connection, root: Path | None, location: Path | None):
        self.db = connection
        self.root = root
        self.location = location      # None: in memory
        self._generation = None
        self._recorded_version = None
        self._lock = None

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, root, location: Path | None = None, notify=None, progress=None,
             rebuild: str | None = None) -> "Index":
        """The index of glossary directory `root`, built or rebuilt as needed (not refreshed).

        `notify(message)` hears about rebuilds and fallbacks (default: one line on stderr);
        `progress(done, total)` about a build; `rebuild` (a reason) forces one, for an index
        found broken while in use. While it is open the index holds a shared lock on
        `<index>.lock`; a rebuild takes it exclusively, so no process ever has a file open that
        another replaces.
        """
        root = Path(root)
        notify = notify or _stderr
        location = Path(location) if location else default_location(root)
        lock = None
        try:
            location.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = _Lock(Path(f"{location}.lock"))
            reason = rebuild
            if reason is None:
                lock.acquire(shared=True)
                try:
                    return cls._open_file(root, location, lock)
                except IndexUnusable as problem:
                    reason = problem.reason
            lock.acquire(shared=False)
            if rebuild is None:
                try:
                    return cls._open_file(root, location, lock)     # another process rebuilt it meanwhile
                except IndexUnusable as problem:
                    reason = problem.reason if reason != "missing" else reason
            notify(f"termbase: indexing {root} (no index yet)" if reason == "missing"
                   else f"termbase: rebuilding the index of {root} ({reason})")
            cls._build(root, location, progress)
            lock.acquire(shared=True)
            return cls._open_file(root, location, lock)
        except (OSError, sqlite3.Error, IndexUnusable) as error:
            if lock is not None:
                lock.release()
            notify(f"termbase: cannot use the index at {location} ({_why(error)}); using one in memory")
            index = cls.memory(root)
            return index

    @classmethod
    def _open_file(cls, root: Path, location: Path, lock=None) -> "Index":
        if not location.exists():
            raise IndexUnusable("missing")
        try:
            connection = sqlite3.connect(location, timeout=BUSY_TIMEOUT, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as error:
            raise IndexUnusable(_why(error)) from None
        index = cls(connection, root, location)
        try:
            index._check()
        except IndexUnusable:
            connection.close()
            raise
        except sqlite3.DatabaseError as error:
            connection.close()
            if isinstance(error, sqlite3.OperationalError) and not is_corruption(error):
                raise
            raise IndexUnusable(f"corrupt: {error}") from None
        index._lock = lock
        return index

    @classmethod
    def _build(cls, root: Path, location: Path, progress=None) -> None:
        """Build the whole index into a new file beside `location`, then rename it into place
        (the caller holds the exclusive lock). A crash leaves at most a temp file, removed by
        the next build."""
        for stale in location.parent.glob(f".{location.name}.*.tmp"):
            _remove(stale)
        temp = location.with_name(f".{location.name}.{os.getpid()}.tmp")
        connection = sqlite3.connect(temp, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA journal_mode=OFF")     # a new file: nothing to protect yet
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("PRAGMA cache_size=-65536")     # 64 MiB: the full-text merges and index sorts
            index = cls(connection, root, temp)
            index._create(indexes=False)
            with index.writing():
                started = time.time_ns()
                fingerprint, listing, buckets = scan(root / CONCEPT_DIR)
                index._update(root / CONCEPT_DIR, listing, started, progress, bulk=True, fingerprint=fingerprint,
                              buckets=buckets)
            connection.execute("PRAGMA journal_mode=WAL")
        finally:
            connection.close()
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _remove(location)
        os.replace(temp, location)

    @classmethod
    def memory(cls, root: Path | None = None) -> "Index":
        """A fresh index held in memory (for files, TERMBASE_NO_INDEX, or when nothing can be written)."""
        connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        index = cls(connection, Path(root) if root else None, None)
        index._create()
        return index

    def _create(self, indexes: bool = True) -> None:
        """Create the tables (and their indexes, unless a bulk load adds them afterwards)."""
        db = self.db
        with self.writing():
            for statement in TABLES + (INDEXES if indexes else []):
                db.execute(statement)
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema", schema_id()), ("termbase", package_version()),
                ("root", os.path.realpath(self.root) if self.root else ""), ("generation", 0)])

    def _check(self) -> None:
        """Raise IndexUnusable unless the file is a whole index of this schema, version and glossary."""
        db = self.db
        if self.location is not None:
            page_size = db.execute("PRAGMA page_size").fetchone()[0]
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            if self.location.stat().st_size < page_size * pages and not Path(f"{self.location}-wal").exists():
                raise IndexUnusable("truncated")
        try:
            meta = dict(db.execute("SELECT key, value FROM meta"))
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                raise IndexUnusable("not a termbase index") from None
            raise
        if str(meta.get("schema")) != schema_id():
            raise IndexUnusable(f"written with index schema {meta.get('schema')}, this is {schema_id()}")
        if meta.get("termbase") != package_version():
            raise IndexUnusable(f"written by termbase {meta.get('termbase')}, this is {package_version()}")
        if self.root is not None and meta.get("root") != os.path.realpath(self.root):
            raise IndexUnusable(f"made for {meta.get('root')}")
        if self.location is not None:
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA cell_size_check=ON")     # catches more damaged pages, at little cost

    def close(self) -> None:
        self.db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def writing(self):
        """A write transaction (BEGIN IMMEDIATE: waits for another writer; readers go on)."""
        return _Transaction(self.db)

    # -- refreshing ----------------------------------------------------------------------------

    def refresh(self, progress=None) -> int:
        """Bring the index up to date with the concept files; returns how many files were re-read.

        Quick when nothing changed: the listing's fingerprint equals the one recorded at the last
        refresh and no file was then racily clean. When something did, only the buckets of the
        listing whose digest changed (and those of racily clean files) are listed and compared."""
        folder = self.root / CONCEPT_DIR
        started = time.time_ns()
        known = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('listing', 'racy', 'buckets')"))
        racy_before = json.loads(known.get("racy") or "[]")
        quick = quick_scan(folder)
        if quick is not None and listing_fingerprint(quick) == known.get("listing") and not racy_before:
            return 0
        only = changed_buckets(known.get("buckets"), quick, racy_before) if quick is not None else None
        fingerprint, listing, buckets = scan(folder, only)
        buckets = merged_buckets(known.get("buckets"), buckets, only)
        if buckets is not None:
            fingerprint = listing_fingerprint(buckets)
        recorded = self._recorded(buckets=only)
        if listing.keys() == recorded.keys() and not any(
                _needs_reading(stat, recorded[name]) for name, stat in listing.items()):
            racy = _racy(listing, started)
            if known.get("listing") != fingerprint or known.get("racy") != racy or known.get("buckets") != buckets:
                with self.writing():
                    self._remember_listing(fingerprint, racy, buckets)
            return 0
        return self._update(folder, listing, started, progress, fingerprint=fingerprint, recorded=recorded,
                            buckets=buckets, only_buckets=only)

    def _remember_listing(self, fingerprint: str, racy: str, buckets: bytes | None) -> None:
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            [("listing", fingerprint), ("racy", racy), ("buckets", buckets)])

    def refresh_one(self, concept_id: str) -> None:
        """Bring one concept's file up to date (what `show` needs), leaving the others alone."""
        name = f"{concept_id}.yaml"
        started = time.time_ns()
        try:
            st = os.stat(self.root / CONCEPT_DIR / name)
            listing = {name: (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)}
        except (FileNotFoundError, NotADirectoryError):
            listing = {}
        recorded = self._recorded(name)
        if listing.keys() == recorded.keys() and not any(_needs_reading(s, recorded[n]) for n, s in listing.items()):
            return
        self._update(self.root / CONCEPT_DIR, listing, started, None, only=name)

    def _changed_by_another(self) -> bool:
        """Whether another connection committed since the last `_recorded` (SQLite's data_version)."""
        return self.db.execute("PRAGMA data_version").fetchone()[0] != self._recorded_version

    def _recorded(self, name: str | None = None, buckets: set | None = None) -> dict:
        """What the index recorded of each file (of one file, or of the files in `buckets`)."""
        self._recorded_version = self.db.execute("PRAGMA data_version").fetchone()[0]
        query = "SELECT name, size, mtime_ns, ctime_ns, ino, checked_ns, hash FROM files"
        if name:
            rows = self.db.execute(query + " WHERE name = ?", (name,))
        elif buckets is not None:
            rows = self.db.execute(query + " WHERE bucket IN (SELECT value FROM json_each(?))", (json.dumps(sorted(buckets)),))
        else:
            rows = self.db.execute(query)
        return {row[0]: row[1:] for row in rows}

    def _update(self, folder: Path, listing: dict, started: int, progress, only: str | None = None,
                bulk: bool = False, fingerprint: str | None = None, recorded: dict | None = None,
                buckets: bytes | None = None, only_buckets: set | None = None) -> int:
        """Read what changed and store it, in one transaction (another process's refresh of the
        same index waits, then finds little left to do). `bulk`: into a new, empty index.
        `recorded`: what `_recorded` gave just before, if the caller read it (it is read again
        when another process committed since)."""
        with self.writing() if not self.db.in_transaction else _Nothing(), collector_paused():
            if recorded is None or self._changed_by_another():
                recorded = self._recorded(only, only_buckets)
            gone = [name for name in recorded if name not in listing]
            for name in gone:
                self._forget(name)
            changed = sorted(name for name, stat in listing.items() if _needs_reading(stat, recorded.get(name)))
            jobs = [(folder, name, recorded[name][5] if name in recorded else None) for name in changed]
            reread = 0
            loader = _BulkLoad(self.db) if bulk else None
            for done, (name, digest, analysis) in enumerate(_analysed(jobs), 1):
                if progress is not None:
                    progress(done, len(jobs))
                if digest is None:             # vanished while we looked
                    if name in recorded:
                        self._forget(name)
                    continue
                if analysis is None:           # same bytes: only the stat changed
                    self.db.execute("UPDATE files SET size=?, mtime_ns=?, ctime_ns=?, ino=?, checked_ns=? WHERE name=?",
                                    (*listing[name], started, name))
                    continue
                reread += 1
                if loader is not None:
                    loader.add(name, listing[name], started, digest, analysis)
                    continue
                if name in recorded:
                    self._forget(name)
                self._store(name, listing[name], started, digest, analysis)
            if loader is not None:
                loader.finish()
            if reread or gone:
                self.db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
                self._generation = None
            if fingerprint is not None:
                self._remember_listing(fingerprint, _racy(listing, started), buckets)
            return reread

    def _forget(self, file: str) -> None:
        """Drop one file and its concept with everything derived from it."""
        db = self.db
        row = db.execute("SELECT n FROM concepts WHERE file = ?", (file,)).fetchone()
        if row is not None:
            n = row[0]
            review = db.execute("SELECT review_status FROM concepts WHERE n = ?", (n,)).fetchone()[0]
            self._count(_tallies(review, db.execute("SELECT position, subject FROM subjects WHERE concept = ?", (n,)),
                                 db.execute("SELECT lang, position, text, type, status FROM terms WHERE concept = ?", (n,))), -1)
            db.executemany("INSERT INTO surface_fts(surface_fts, rowid, keys) VALUES ('delete', ?, ?)",
                           [(sid, search.surface_keys(tokens.split(" ") if tokens else ())) for sid, tokens in
                            db.execute("SELECT id, tokens FROM surfaces WHERE concept = ?", (n,)).fetchall()])
            db.executemany("INSERT INTO definition_fts(definition_fts, rowid, keys) VALUES ('delete', ?, ?)",
                           [(did, search.text_keys(text)) for did, text in
                            db.execute("SELECT id, text FROM definitions WHERE concept = ?", (n,)).fetchall()])
            for table in DERIVED:
                db.execute(f"DELETE FROM {table} WHERE concept = ?", (n,))
            db.execute("DELETE FROM concepts WHERE n = ?", (n,))
        db.execute("DELETE FROM files WHERE name = ?", (file,))

    def _store(self, file: str, stat: tuple | None, started: int, digest: str | None, analysis: tuple) -> None:
        """Add one file's analysis to an index that already has others (counted and full-text
        indexed as it goes; a bulk load does that at its end)."""
        error, findings, row, derived, documents = analysis
        db = self.db
        if stat is not None:
            db.execute(INSERT_FILE,
                       (file, *stat, started, digest, error, findings, bucket_of(file)))
        if row is None:
            return
        n = db.execute("INSERT INTO concepts(file, id, data, checksum, en, ar, review_status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (file, *row)).lastrowid
        for table, rows in derived.items():
            db.executemany(_insert(table), [(n, *r) for r in rows])
        self._count(_tallies(row[5], derived["subjects"], derived["terms"]), +1)
        db.executemany("INSERT OR IGNORE INTO vocabulary VALUES (?, ?, ?)", documents["vocabulary"])
        for table, source in (("surface_fts", "surfaces"), ("definition_fts", "definitions")):
            ids = [i for (i,) in db.execute(f"SELECT id FROM {source} WHERE concept = ? ORDER BY id", (n,))]
            db.executemany(f"INSERT INTO {table}(rowid, keys) VALUES (?, ?)", zip(ids, documents[table]))

    def _count(self, tallies: dict, sign: int) -> None:
        self.db.executemany("INSERT INTO tallies VALUES (?, ?, ?) ON CONFLICT (kind, value) DO UPDATE "
                            "SET count = count + excluded.count", [(k, v, sign * n) for (k, v), n in tallies.items()])

    def load_termbase(self, termbase) -> None:
        """Fill an empty (in-memory) index from a Termbase read elsewhere (a TBX file …), keeping its order."""
        from ..glossary import concept_to_dict

        with self.writing():
            loader = _BulkLoad(self.db)
            for number, concept in enumerate(termbase):
                loader.add(f"{number:09d}", None, 0, None, (None, "[]") + concept_rows(concept, concept_to_dict(concept)))
            loader.finish(indexes=False)

    @property
    def generation(self) -> int:
        """A number that changes whenever the indexed concepts change."""
        if self._generation is None:
            self._generation = int(self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
        return self._generation

    # -- reading -------------------------------------------------------------------------------

    def load_errors(self) -> list[TermbaseError]:
        """The files that do not load, in file order, as the errors reading them raised."""
        return [self._error(name, error) for name, error in
                self.db.execute("SELECT name, error FROM files WHERE error IS NOT NULL ORDER BY name")]

    def file_error(self, name: str) -> TermbaseError | None:
        row = self.db.execute("SELECT error FROM files WHERE name = ?", (name,)).fetchone()
        return self._error(name, row[0]) if row and row[0] is not None else None

    def _error(self, name: str, error: str) -> TermbaseError:
        message, line, column = json.loads(error)
        return TermbaseError(message, self.root / CONCEPT_DIR / name, line, column)

    def _concept(self, payload: str, checksum: str) -> Concept:
        if content_hash(payload.encode("utf-8")) != checksum:
            raise sqlite3.DatabaseError("database disk image is malformed (a concept's checksum does not match)")
        return concept_from_dict(json.loads(payload))

    def concept(self, concept_id: str) -> Concept | None:
        row = self.db.execute("SELECT data, checksum FROM concepts WHERE id = ? ORDER BY file LIMIT 1",
                              (concept_id,)).fetchone()
        return self._concept(*row) if row else None

    def ids(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT id FROM concepts ORDER BY file")]

    def has(self, concept_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM concepts WHERE id = ?", (concept_id,)).fetchone() is not None

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM concepts").fetchone()[0]

    def concepts(self, part: int = 0, parts: int = 1):
        """Every concept in file order, streamed (or every `parts`-th, from the `part`-th: one
        process's share when several write concepts out)."""
        query = "SELECT data, checksum FROM concepts " + ("WHERE n % ? = ? " if parts > 1 else "") + "ORDER BY file"
        for payload, checksum in self.db.execute(query, (parts, part) if parts > 1 else ()):
            yield self._concept(payload, checksum)

    def concepts_without_forms(self):
        """(number, concept) of the concepts whose recognition forms are not kept yet."""
        last = -1
        while True:        # a page at a time: the caller writes between pages
            rows = self.db.execute("SELECT n, data, checksum FROM concepts WHERE n > ? AND n NOT IN "
                                   "(SELECT concept FROM recognition) ORDER BY n LIMIT 5000", (last,)).fetchall()
            if not rows:
                return
            for n, payload, checksum in rows:
                yield n, self._concept(payload, checksum)
            last = rows[-1][0]

    def keep_forms(self, rows) -> None:
        """Keep (concept number, forms JSON) rows (best effort: a busy or read-only index skips it)."""
        if not rows:
            return
        try:
            with self.writing() as db:
                db.executemany("INSERT OR REPLACE INTO recognition VALUES (?, ?)", rows)
        except sqlite3.OperationalError:
            pass

    def forms(self) -> tuple[int, list]:
        """(generation, [(concept id, forms JSON or None) …] in file order), read at one moment."""
        own = not self.db.in_transaction
        if own:
            self.db.execute("BEGIN")
        try:
            generation = int(self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
            rows = self.db.execute("SELECT c.id, r.forms FROM concepts c LEFT JOIN recognition r ON r.concept = c.n "
                                   "ORDER BY c.file").fetchall()
        finally:
            if own:
                self.db.execute("COMMIT")
        return generation, rows

    def summaries(self, subject: str | None = None, review_status: str | None = None) -> list[dict]:
        """id, en, ar, subject fields, review status of the concepts, in file order (for `list`)."""
        where, args = [], []
        if subject:
            where.append("n IN (SELECT concept FROM subjects WHERE subject = ?)")
            args.append(subject)
        if review_status:
            where.append("review_status = ?")
            args.append(review_status)
        subjects: dict = {}
        for n, subject_field in self.db.execute("SELECT concept, subject FROM subjects ORDER BY concept, position"):
            subjects.setdefault(n, []).append(subject_field)
        query = "SELECT n, id, en, ar, review_status FROM concepts" + (" WHERE " + " AND ".join(where) if where else "")
        return [{"id": cid, "en": en or "", "ar": ar or "", "subject_fields": subjects.get(n, []), "review_status": review or ""}
                for n, cid, en, ar, review in self.db.execute(query + " ORDER BY file", args)]

    def summary(self, concept_id: str) -> dict:
        n, cid, en, ar, review = self.db.execute(
            "SELECT n, id, en, ar, review_status FROM concepts WHERE id = ? ORDER BY file LIMIT 1", (concept_id,)).fetchone()
        subjects = [s for (s,) in self.db.execute("SELECT subject FROM subjects WHERE concept = ? ORDER BY position", (n,))]
        return {"id": cid, "en": en or "", "ar": ar or "", "subject_fields": subjects, "review_status": review or ""}

    def statistics(self) -> dict:
        """Counts per language, subject field, term type, term status and review status, each
        most common first (ties in alphabetical order; languages in alphabetical order)."""
        tallies: dict = {}
        for kind, value, count in self.db.execute(
                "SELECT kind, value, count FROM tallies WHERE count > 0 ORDER BY kind, count DESC, value"):
            tallies.setdefault(kind, {})[value] = count
        return _statistics(tallies, self.count())

    # -- what validate asks ---------------------------------------------------------------------

    def files_with_findings(self) -> list[tuple[str, list]]:
        """(file name, [[line, severity, message, check, column] …]) of each file with findings of
        its own, in file order."""
        return [(name, json.loads(found)) for name, found in
                self.db.execute("SELECT name, findings FROM files WHERE findings != '[]' ORDER BY name")]

    def file_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM files").fetchone()[0]

    # concepts whose id no file earlier in name order has: those the cross-file checks see
    _LOADED = "NOT EXISTS (SELECT 1 FROM concepts d WHERE d.id = c.id AND d.file < c.file)"

    def duplicate_id_files(self) -> list[tuple[str, str]]:
        """(file, id) of each file whose concept id an earlier file already has."""
        return list(self.db.execute(f"SELECT c.file, c.id FROM concepts c WHERE NOT {self._LOADED} ORDER BY c.file"))

    def unknown_subjects(self, known) -> list[tuple[str, int, str]]:
        """(file, position, subject) of subject fields not in `known`."""
        return list(self.db.execute(
            "SELECT c.file, x.position, x.subject FROM subjects x JOIN concepts c ON c.n = x.concept "
            "WHERE x.subject NOT IN (SELECT value FROM json_each(?)) ORDER BY c.file, x.rowid", (json.dumps(list(known)),)))

    def unknown_sources(self, known) -> list[tuple[str, tuple, str]]:
        """(file, keypath, source) of concept and context sources not in `known`."""
        return [(file, tuple(json.loads(keypath)), source) for file, keypath, source in self.db.execute(
            "SELECT c.file, x.keypath, x.source FROM sources x JOIN concepts c ON c.n = x.concept "
            "WHERE x.source NOT IN (SELECT value FROM json_each(?)) ORDER BY c.file, x.rowid", (json.dumps(list(known)),))]

    def odd_cross_references(self) -> list[tuple[str, int, str, bool]]:
        """(file, position, target, target exists) of cross-references to unknown concepts or to
        the concept itself, from concepts whose id no earlier file has."""
        return [(file, position, target, bool(known)) for file, position, target, known in self.db.execute(
            "SELECT c.file, x.position, x.target, EXISTS (SELECT 1 FROM concepts t WHERE t.id = x.target) AS known "
            f"FROM xrefs x JOIN concepts c ON c.n = x.concept WHERE (x.target = c.id OR NOT known) AND {self._LOADED} "
            "ORDER BY c.file, x.position")]

    def shared_preferred_terms(self) -> list[list[tuple]]:
        """Groups of (concept id, language tag, term position, text, file) of preferred terms that
        normalize alike in one language, each group in glossary order."""
        groups: dict = {}
        for lang, norm, cid, position, text, file in self.db.execute(
                "SELECT t.lang, t.norm, c.id, t.position, t.text, c.file FROM terms t JOIN concepts c ON c.n = t.concept "
                "WHERE t.status = 0 AND (t.lang, t.norm) IN (SELECT lang, norm FROM terms WHERE status = 0 "
                "GROUP BY lang, norm HAVING count(*) > 1) "
                f"AND {self._LOADED} ORDER BY c.file, t.rowid"):
            groups.setdefault((lang, norm), []).append((cid, lang, position, text, file))
        return [group for group in groups.values() if len(group) > 1]

    def subject_fields_of(self, ids) -> dict:
        """{concept id: its subject fields} for `ids` (the first file of each id)."""
        found: dict = {cid: [] for cid in ids}
        for cid, subject in self.db.execute(
                "SELECT c.id, x.subject FROM concepts c JOIN subjects x ON x.concept = c.n "
                f"WHERE c.id IN (SELECT value FROM json_each(?)) AND {self._LOADED} ORDER BY c.id, x.position",
                (json.dumps(sorted(found)),)):
            found[cid].append(subject)
        return found

    # -- what search asks -----------------------------------------------------------------------

    def surfaces_spelled(self, folded: str) -> list[tuple]:
        """(concept, lang, text, status, kind) of the surfaces spelled `folded` (see search.fold)."""
        return [(cid, lang, text, _status(status), kind) for cid, lang, text, status, kind in self.db.execute(
            "SELECT c.id, s.lang, s.text, s.status, s.kind FROM surfaces s JOIN concepts c ON c.n = s.concept "
            "WHERE s.folded = ?", (folded,))]

    def surfaces_matching(self, match: str, limit: int, offset: int = 0) -> list[tuple]:
        """(concept, lang, text, words, status, kind) of the surfaces whose keys match an FTS5
        expression, fewest words first (SQLite sorts only the first offset + limit of them)."""
        rows = self.db.execute(
            "SELECT s.concept_id, s.lang, s.text, s.tokens, s.status, s.kind FROM surface_fts f "
            "JOIN surfaces s ON s.id = f.rowid WHERE surface_fts MATCH ? "
            "ORDER BY s.size, coalesce(s.status, 1), s.kind, length(s.text), s.concept_id LIMIT ? OFFSET ?",
            (match, limit, offset)).fetchall()
        return [(cid, lang, text, tuple(tokens.split(" ")) if tokens else (), _status(status), kind)
                for cid, lang, text, tokens, status, kind in rows]

    def definitions_matching(self, match: str, limit: int) -> list[tuple]:
        """(concept, lang, definition, score) for definitions matching an FTS5 expression, best first."""
        return [(cid, lang, text, -score) for cid, lang, text, score in self.db.execute(
            "SELECT c.id, d.lang, d.text, bm25(definition_fts) AS score FROM definition_fts f "
            "JOIN definitions d ON d.id = f.rowid JOIN concepts c ON c.n = d.concept WHERE definition_fts MATCH ? "
            "ORDER BY score, c.id LIMIT ?", (match, limit))]

    def all_surfaces(self):
        """(concept, lang, text, status, kind, folded, words) of every surface (the web search ships them)."""
        for cid, lang, text, status, kind, folded, tokens in self.db.execute(
                "SELECT c.id, s.lang, s.text, s.status, s.kind, s.folded, s.tokens FROM surfaces s "
                "JOIN concepts c ON c.n = s.concept ORDER BY s.id"):
            yield cid, lang, text, _status(status), kind, folded, tuple(tokens.split(" ")) if tokens else ()

    def all_definitions(self):
        """(concept, lang, definition) of every definition."""
        return self.db.execute("SELECT c.id, d.lang, d.text FROM definitions d JOIN concepts c ON c.n = d.concept "
                               "ORDER BY d.id")

    def words_starting(self, prefix: str, most: int) -> list[str] | None:
        """The full-text words that begin with `prefix`, or None when there are more than `most`."""
        found = [key for (key,) in self.db.execute(
            "SELECT key FROM vocabulary WHERE key >= ? AND key < ? LIMIT ?", (prefix, prefix + "\U0010ffff", most + 1))]
        return found if len(found) <= most else None

    def words_of_length(self, shortest: int, longest: int) -> list[str]:
        """The keys of term words without digits, of a length in [shortest, longest] (fuzzy search)."""
        return [key for (key,) in self.db.execute(
            "SELECT key FROM vocabulary WHERE plain = 1 AND size BETWEEN ? AND ?", (shortest, longest))]


@functools.lru_cache(maxsize=None)
def _insert(table: str, numbered: bool = False) -> str:
    """INSERT of one derived table's rows (`numbered`: with their own id first)."""
    columns = ("id, " if numbered else "") + COLUMNS[table]
    return f"INSERT INTO {table}({columns}) VALUES ({', '.join('?' * (columns.count(',') + 1))})"


class _BulkLoad:
    """Many files' analyses into a new, empty index: rows gathered and inserted a few thousand
    files at a time, numbered here (nothing else numbers them), then the secondary indexes, the
    tallies and the vocabulary, once, at the end."""

    BATCH = 2000

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.rows: dict = {}
        self.pending = self.concepts = self.surfaces = self.definitions = 0
        self.vocabulary: set = set()

    def add(self, file: str, stat: tuple | None, started: int, digest: str | None, analysis: tuple) -> None:
        error, findings, row, derived, documents = analysis
        rows = self.rows
        if stat is not None:
            rows.setdefault("files", []).append((file, *stat, started, digest, error, findings, bucket_of(file)))
        if row is not None:
            self.concepts += 1
            n = self.concepts
            rows.setdefault("concepts", []).append((n, file, *row))
            for table in ("subjects", "xrefs", "sources", "terms"):
                rows.setdefault(table, []).extend((n, *r) for r in derived[table])
            for table, fts, counter in (("surfaces", "surface_fts", "surfaces"), ("definitions", "definition_fts", "definitions")):
                first = getattr(self, counter) + 1
                numbers = range(first, first + len(derived[table]))
                setattr(self, counter, first - 1 + len(numbers))
                rows.setdefault(table, []).extend((i, n, *r) for i, r in zip(numbers, derived[table]))
                rows.setdefault(fts, []).extend(zip(numbers, documents[fts]))
            self.vocabulary.update(documents["vocabulary"])
        self.pending += 1
        if self.pending >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        db = self.db
        for table, rows in self.rows.items():
            if table == "files":
                db.executemany(INSERT_FILE, rows)
            elif table == "concepts":
                db.executemany("INSERT INTO concepts(n, file, id, data, checksum, en, ar, review_status) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            elif table.endswith("_fts"):
                db.executemany(f"INSERT INTO {table}(rowid, keys) VALUES (?, ?)", rows)
            else:
                db.executemany(_insert(table, numbered=table in ("surfaces", "definitions")), rows)
        self.rows, self.pending = {}, 0

    def finish(self, indexes: bool = True) -> None:
        """The last rows, then (`indexes`: into a table made without them) the secondary indexes,
        the vocabulary and the tallies."""
        self.flush()
        if indexes:
            for statement in INDEXES:
                self.db.execute(statement)
        self.db.executemany("INSERT OR IGNORE INTO vocabulary VALUES (?, ?, ?)", sorted(self.vocabulary))
        _fill_tallies(self.db)


def statistics_of(concepts) -> dict:
    """`Index.statistics` of concepts taken one at a time (a file read as a stream, no index)."""
    from collections import Counter

    counts: Counter = Counter()
    number = 0
    for number, concept in enumerate(concepts, 1):
        terms = [(tag, position, term.text, term.type.value if term.type else None,
                  STATUSES.index(term.status) if term.status else None)
                 for tag, section in concept.languages.items() for position, term in enumerate(section.terms)]
        counts.update(_tallies(concept.review_status.value if concept.review_status else None,
                               enumerate(concept.subject_fields), terms))
    tallies: dict = {}
    for (kind, value), count in sorted(counts.items(), key=lambda item: (item[0][0], -item[1], item[0][1])):
        tallies.setdefault(kind, {})[value] = count
    return _statistics(tallies, number)


def _statistics(tallies: dict, count: int) -> dict:
    """What `stats` reports from the tallies ({kind: {value: count}}, most common first)."""
    languages = dict(sorted(tallies.get("language", {}).items()))
    statuses = {STATUSES[int(s)].short if int(s) >= 0 else "(none)": n for s, n in tallies.get("status", {}).items()}
    return {"concepts": count, "terms": sum(languages.values()), "terms_per_language": languages,
            "subject_fields": tallies.get("subject", {}), "term_types": tallies.get("type", {}),
            "term_status": dict(sorted(statuses.items(), key=lambda item: (-item[1], item[0]))),
            "review_status": tallies.get("review", {})}


def _fill_tallies(db: sqlite3.Connection) -> None:
    """After a bulk load: count everything `stats` reports, at once."""
    db.execute("DELETE FROM tallies")
    db.execute("INSERT INTO tallies SELECT 'review', coalesce(review_status, '(none)'), count(*) FROM concepts GROUP BY 2")
    db.execute("INSERT INTO tallies SELECT 'subject', subject, count(*) FROM subjects GROUP BY 2")
    db.execute("INSERT INTO tallies SELECT 'subject', '(none)', count(*) FROM concepts c "
               "WHERE NOT EXISTS (SELECT 1 FROM subjects s WHERE s.concept = c.n) HAVING count(*)")
    db.execute("INSERT INTO tallies SELECT 'language', lang, count(*) FROM terms GROUP BY 2")
    db.execute("INSERT INTO tallies SELECT 'type', coalesce(type, '(none)'), count(*) FROM terms GROUP BY 2")
    db.execute("INSERT INTO tallies SELECT 'status', coalesce(status, -1), count(*) FROM terms GROUP BY 2")


def _status(position: int | None) -> str | None:
    return STATUSES[position].value if position is not None else None


def _analysed(jobs: list):
    """(name, digest, analysis) of each job, in order: in worker processes when there are many."""
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FILES or workers < 2 or os.environ.get("TERMBASE_NO_WORKERS"):
        yield from map(_analyse_file, jobs)
        return
    import multiprocessing

    window = 4096          # jobs in flight: the workers run ahead of the writer by this much at most
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for start in range(0, len(jobs), window):
            yield from pool.imap(_analyse_file, jobs[start:start + window], chunksize=64)


class _Nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class _Lock:
    """An advisory lock file (flock): shared while an index is in use, exclusive to rebuild it.

    flock locks belong to open files, so two handles in one process would wait on each other
    forever: a rebuild wanted while another handle of this process has the index open is
    refused at once instead (the caller then works in memory)."""

    open_here: dict = {}      # lock path -> how many handles of this process hold it

    def __init__(self, path: Path):
        self.path = str(path)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.holding = False

    def acquire(self, shared: bool) -> None:
        try:
            import fcntl
        except ImportError:       # no flock (Windows): one process at a time is the user's affair
            return
        others_here = self.open_here.get(self.path, 0) - (1 if self.holding else 0)
        if not shared and others_here:
            raise IndexUnusable("another handle in this process has it open")
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                fcntl.flock(self.fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise IndexUnusable("another process holds it too long") from None
                time.sleep(0.05)
        if not self.holding:
            self.holding = True
            self.open_here[self.path] = self.open_here.get(self.path, 0) + 1

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.holding:
            self.holding = False
            self.open_here[self.path] -= 1


class _Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.db.execute("COMMIT")
        elif self.db.in_transaction:
            self.db.execute("ROLLBACK")
        return False


def _remove(location: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{location}{suffix}")
        except OSError:
            pass


def _why(error: BaseException) -> str:
    if isinstance(error, IndexUnusable):
        return error.reason
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)
