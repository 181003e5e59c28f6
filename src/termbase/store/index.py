"""The index: a SQLite cache of a glossary directory, brought up to date before every read.

The files under glossary/ are the truth; the index only remembers what they said. Before it
answers, `refresh` stats every concept file and re-reads those whose size, mtime, ctime or inode
differ from what it recorded, and drops the files that are gone. As in git's "racy git" rule, a
file whose mtime is within RACY_WINDOW_NS of the moment it was last read may have changed again
in the same clock tick, so it is read again (and compared by content hash) until it is older.

It holds the YAML mappings of the concepts (JSON), the tables commands query (terms, subject
fields, cross-references, sources), the search keys (FTS5), each file's validation findings by
content hash, and the recognition automaton of the latest state. Anything wrong with the file
itself — missing, truncated, corrupt, another schema or termbase version — means it is thrown
away and rebuilt, with one line on stderr. Writers are serialized by SQLite (WAL, busy timeout);
readers never wait for them.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

from .. import arabic, search
from ..errors import TermbaseError
from ..glossary import CONCEPT_DIR, concept_from_dict, load_concept
from ..model import Concept

SCHEMA_VERSION = 1
RACY_WINDOW_NS = 2_000_000_000        # coarse file systems keep 1–2 s mtimes
BUSY_TIMEOUT = 120.0                  # seconds a refresh waits for another process's refresh
CORRUPT_CODES = {11, 26}              # SQLITE_CORRUPT, SQLITE_NOTADB

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE files(
  name TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER,
  checked_ns INTEGER,   -- when the content was last read: the racy-git rule
  hash TEXT,            -- BLAKE2b of the bytes
  error TEXT,           -- JSON [message, line, column]: why the file does not load, else NULL
  findings TEXT         -- JSON: what validate finds in this file alone
) WITHOUT ROWID;
CREATE TABLE concepts(
  file TEXT PRIMARY KEY, id TEXT NOT NULL, data TEXT NOT NULL, checksum TEXT NOT NULL,
  en TEXT, ar TEXT, review_status TEXT
) WITHOUT ROWID;
CREATE INDEX concepts_by_id ON concepts(id);
CREATE TABLE subjects(file TEXT, concept_id TEXT, position INTEGER, subject TEXT);
CREATE INDEX subjects_by_file ON subjects(file);
CREATE INDEX subjects_by_subject ON subjects(subject);
CREATE TABLE xrefs(file TEXT, concept_id TEXT, position INTEGER, target TEXT);
CREATE INDEX xrefs_by_file ON xrefs(file);
CREATE TABLE sources(file TEXT, concept_id TEXT, keypath TEXT, source TEXT);
CREATE INDEX sources_by_file ON sources(file);
CREATE TABLE terms(
  file TEXT, concept_id TEXT, lang TEXT, position INTEGER, text TEXT, type TEXT, status TEXT,
  norm TEXT             -- arabic.normalize(text): what duplicate-preferred compares
);
CREATE INDEX terms_by_file ON terms(file);
CREATE INDEX preferred_terms ON terms(lang, norm) WHERE status = 'preferredTerm-admn-sts';
CREATE TABLE surfaces(
  id INTEGER PRIMARY KEY, file TEXT, concept_id TEXT, lang TEXT, text TEXT, status TEXT,
  kind INTEGER,         -- 0 the term itself, 1 its vocalized form, 2 a stored form
  folded TEXT,          -- search.fold(text): exact matches
  tokens TEXT,          -- search.words(text), space-separated
  size INTEGER,         -- how many words
  keys TEXT             -- search.surface_keys: the FTS5 document
);
CREATE INDEX surfaces_by_file ON surfaces(file);
CREATE INDEX surfaces_by_spelling ON surfaces(folded);
CREATE VIRTUAL TABLE surface_fts USING fts5(keys, content='surfaces', content_rowid='id',
                                            tokenize='ascii', detail='none');
CREATE VIRTUAL TABLE surface_words USING fts5vocab('surface_fts', 'row');
CREATE TABLE definitions(id INTEGER PRIMARY KEY, file TEXT, concept_id TEXT, lang TEXT, text TEXT, keys TEXT);
CREATE INDEX definitions_by_file ON definitions(file);
CREATE VIRTUAL TABLE definition_fts USING fts5(keys, content='definitions', content_rowid='id',
                                               tokenize='ascii');
CREATE TABLE matcher(generation INTEGER PRIMARY KEY, data BLOB, signature TEXT);
"""

DERIVED = ("subjects", "xrefs", "sources", "terms")


class IndexUnusable(Exception):
    """The index file cannot be trusted or opened; `reason` says why (it is rebuilt)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_corruption(error: BaseException) -> bool:
    return isinstance(error, sqlite3.DatabaseError) and (
        getattr(error, "sqlite_errorcode", None) in CORRUPT_CODES
        or "malformed" in str(error) or "not a database" in str(error))


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("termbase")
    except PackageNotFoundError:
        return "unknown"


def default_location(root: Path) -> Path:
    """Where the index of `root` lives: $TERMBASE_INDEX_DIR, else the user's cache directory,
    one file per glossary, named after a hash of the glossary's real path."""
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


def scan(folder: Path) -> dict:
    """{file name: (size, mtime_ns, ctime_ns, inode)} of the concept files in `folder`."""
    found = {}
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return found
    except NotADirectoryError:
        raise TermbaseError(f"{CONCEPT_DIR} must be a folder of concept files", folder) from None
    try:
        for name in os.listdir(fd):
            if name.endswith(".yaml") and not name.startswith("."):
                try:
                    st = os.stat(name, dir_fd=fd, follow_symlinks=True)
                except FileNotFoundError:
                    continue
                found[name] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    finally:
        os.close(fd)
    return found


class Index:
    """An open index over one glossary directory (or over a termbase held in memory)."""

    def __init__(self, connection: sqlite3.Connection, root: Path | None, location: Path | None):
        self.db = connection
        self.root = root
        self.location = location      # None: in memory
        self._generation = None

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, root, location: Path | None = None, notify=None) -> "Index":
        """The index of glossary directory `root`, created or rebuilt as needed (not refreshed).

        `notify(message)` hears about rebuilds and fallbacks (default: one line on stderr).
        """
        root = Path(root)
        notify = notify or _stderr
        location = Path(location) if location else default_location(root)
        try:
            return cls._open_file(root, location)
        except IndexUnusable as problem:
            notify(f"termbase: indexing {root} (no index yet)" if problem.reason == "missing"
                   else f"termbase: rebuilding the index of {root} ({problem.reason})")
            _remove(location)
            try:
                return cls._open_file(root, location, create=True)
            except (OSError, sqlite3.Error, IndexUnusable) as error:
                notify(f"termbase: cannot write the index at {location} ({_why(error)}); using one in memory")
                return cls.memory(root)
        except (OSError, sqlite3.OperationalError) as error:
            notify(f"termbase: cannot open the index at {location} ({_why(error)}); using one in memory")
            return cls.memory(root)

    @classmethod
    def _open_file(cls, root: Path, location: Path, create: bool = False) -> "Index":
        if not create and not location.exists():
            raise IndexUnusable("missing")
        if create:
            location.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.chmod(location.parent, 0o700)
            except OSError:
                pass
        try:
            connection = sqlite3.connect(location, timeout=BUSY_TIMEOUT, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as error:
            raise IndexUnusable(_why(error)) from None
        index = cls(connection, root, location)
        try:
            if create:
                index._create()
            else:
                index._check()
        except IndexUnusable:
            connection.close()
            raise
        except sqlite3.DatabaseError as error:
            connection.close()
            if isinstance(error, sqlite3.OperationalError) and not is_corruption(error):
                raise
            raise IndexUnusable(f"corrupt: {error}") from None
        return index

    @classmethod
    def memory(cls, root: Path | None = None) -> "Index":
        """A fresh index held in memory (for files, TERMBASE_NO_INDEX, or when nothing can be written)."""
        connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        index = cls(connection, Path(root) if root else None, None)
        index._create()
        return index

    def _create(self) -> None:
        db = self.db
        if self.location is not None:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                db.execute("ROLLBACK")       # another process created it meanwhile
                self._check()
                return
            db.executescript(SCHEMA.replace("CREATE ", "CREATE ") + ";")  # executescript commits
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema", SCHEMA_VERSION), ("termbase", package_version()),
            ("root", os.path.realpath(self.root) if self.root else ""), ("generation", 0)])
        db.execute("COMMIT")

    def _check(self) -> None:
        """Raise IndexUnusable unless the file is a whole index of this schema, version and glossary."""
        db = self.db
        db.execute("PRAGMA busy_timeout = %d" % int(BUSY_TIMEOUT * 1000))
        page_size, pages = db.execute("PRAGMA page_size").fetchone()[0], db.execute("PRAGMA page_count").fetchone()[0]
        if self.location is not None and self.location.stat().st_size < page_size * pages \
                and not Path(str(self.location) + "-wal").exists():
            raise IndexUnusable("truncated")
        try:
            meta = dict(db.execute("SELECT key, value FROM meta"))
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                raise IndexUnusable("not a termbase index") from None
            raise
        if str(meta.get("schema")) != str(SCHEMA_VERSION):
            raise IndexUnusable(f"written by schema version {meta.get('schema')}, this is {SCHEMA_VERSION}")
        if meta.get("termbase") != package_version():
            raise IndexUnusable(f"written by termbase {meta.get('termbase')}, this is {package_version()}")
        if self.root is not None and meta.get("root") != os.path.realpath(self.root):
            raise IndexUnusable(f"made for {meta.get('root')}")
        if self.location is not None:
            db.execute("PRAGMA synchronous=NORMAL")

    def close(self) -> None:
        self.db.close()

    # -- refreshing ----------------------------------------------------------------------------

    def refresh(self, progress=None) -> int:
        """Bring the index up to date with the concept files; returns how many files were re-read."""
        folder = self.root / CONCEPT_DIR
        started = time.time_ns()
        listing = scan(folder)
        if not self._stale(listing, self._recorded(), started):
            return 0
        with self.writing():
            return self._update(folder, listing, self._recorded(), started, progress)

    def refresh_one(self, concept_id: str) -> None:
        """Bring one concept's file up to date (what `show` needs), leaving the others alone."""
        name = f"{concept_id}.yaml"
        path = self.root / CONCEPT_DIR / name
        started = time.time_ns()
        try:
            st = os.stat(path)
            listing = {name: (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)}
        except (FileNotFoundError, NotADirectoryError):
            listing = {}
        recorded = {name: row for name, row in self._recorded(name).items()}
        if not self._stale(listing, recorded, started):
            return
        with self.writing():
            self._update(self.root / CONCEPT_DIR, listing, self._recorded(name), started, None, only=name)

    def _recorded(self, name: str | None = None) -> dict:
        query = "SELECT name, size, mtime_ns, ctime_ns, ino, checked_ns, hash FROM files"
        rows = self.db.execute(query + " WHERE name = ?", (name,)) if name else self.db.execute(query)
        return {row[0]: row[1:] for row in rows}

    @staticmethod
    def _stale(listing: dict, recorded: dict, now: int) -> bool:
        if listing.keys() != recorded.keys():
            return True
        for name, stat in listing.items():
            row = recorded[name]
            if row[:4] != stat or row[1] + RACY_WINDOW_NS >= row[4]:
                return True
        return False

    def writing(self):
        """A write transaction (BEGIN IMMEDIATE: waits for another writer, readers go on)."""
        return _Transaction(self.db)

    def _update(self, folder: Path, listing: dict, recorded: dict, started: int, progress, only=None) -> int:
        gone = [name for name in recorded if name not in listing]
        for name in gone:
            self._forget(name)
            self.db.execute("DELETE FROM files WHERE name = ?", (name,))
        changed = sorted(name for name, stat in listing.items()
                         if name not in recorded or self._stale({name: stat}, {name: recorded[name]}, started))
        bulk = len(changed) > 1000 and not recorded
        reread = 0
        for done, name in enumerate(changed, 1):
            if progress is not None:
                progress(done, len(changed))
            path = folder / name
            try:
                raw = path.read_bytes()
            except (FileNotFoundError, IsADirectoryError):
                if name in recorded:
                    self._forget(name)
                    self.db.execute("DELETE FROM files WHERE name = ?", (name,))
                continue
            stat, digest, old = listing[name], content_hash(raw), recorded.get(name)
            if old is not None and old[5] == digest:
                self.db.execute("UPDATE files SET size=?, mtime_ns=?, ctime_ns=?, ino=?, checked_ns=? WHERE name=?",
                                (*stat, started, name))
                continue
            reread += 1
            if old is not None:
                self._forget(name)
            self._load(path, raw, digest, stat, started, fts=not bulk)
        if bulk:
            self.db.execute("INSERT INTO surface_fts(surface_fts) VALUES ('rebuild')")
            self.db.execute("INSERT INTO definition_fts(definition_fts) VALUES ('rebuild')")
        if reread or gone:
            self.db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
            self._generation = None
        return reread

    def _forget(self, file: str) -> None:
        """Drop the concept of one file and everything derived from it."""
        db = self.db
        db.execute("INSERT INTO surface_fts(surface_fts, rowid, keys) "
                   "SELECT 'delete', id, keys FROM surfaces WHERE file = ?", (file,))
        db.execute("INSERT INTO definition_fts(definition_fts, rowid, keys) "
                   "SELECT 'delete', id, keys FROM definitions WHERE file = ?", (file,))
        for table in DERIVED + ("surfaces", "definitions", "concepts"):
            db.execute(f"DELETE FROM {table} WHERE file = ?", (file,))

    def _load(self, path: Path, raw: bytes, digest: str, stat: tuple, started: int, fts: bool = True) -> None:
        """Parse one concept file and store its concept, derived rows, findings and load error."""
        from .. import validate
        from ..glossary import check_loaded

        data, concept, findings = validate.file_findings(path, raw)
        error = None
        if data is None:
            error = findings[0]
            error = [error.message, error.line, error.column]
        else:
            problems: list = []
            concept_from_dict(data, problems)
            try:
                check_loaded(concept, problems, raw, path)
            except TermbaseError as failure:
                error = [failure.message, failure.line, failure.column]
        self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (path.name, *stat, started, digest, json.dumps(error) if error else None,
                         json.dumps([[f.line, f.severity, f.message, f.check, f.column] for f in findings],
                                    ensure_ascii=False)))
        if concept is not None:
            self.put(concept, data, path.name, fts)

    def put(self, concept: Concept, data: dict, file: str, fts: bool = True) -> None:
        """Store one concept (parsed from `data`, its YAML mapping) and everything derived from it."""
        db = self.db
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
        en, ar = concept.preferred_term("en"), concept.preferred_term("ar")
        cid = concept.id
        db.execute("INSERT INTO concepts VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (file, cid, payload, content_hash(payload.encode("utf-8")), en.text if en else "",
                    ar.text if ar else "", concept.review_status.value if concept.review_status else None))
        db.executemany("INSERT INTO subjects VALUES (?, ?, ?, ?)",
                       [(file, cid, i, s) for i, s in enumerate(concept.subject_fields)])
        db.executemany("INSERT INTO xrefs VALUES (?, ?, ?, ?)",
                       [(file, cid, i, t) for i, t in enumerate(concept.cross_references)])
        sources = [(file, cid, json.dumps(["sources", i]), s) for i, s in enumerate(concept.sources)]
        terms, surfaces = [], []
        for tag, section in concept.languages.items():
            for position, term in enumerate(section.terms):
                status = term.status.value if term.status else None
                terms.append((file, cid, tag, position, term.text, term.type.value if term.type else None, status,
                              arabic.normalize(term.text)))
                if term.context_source:
                    sources.append((file, cid, json.dumps(["languages", tag, "terms", position, "context_source"]),
                                    term.context_source))
                for text, kind in search.surfaces_of(term):
                    tokens = search.words(text)
                    surfaces.append((file, cid, tag, text, status, kind, search.fold(text), " ".join(tokens),
                                     len(tokens), search.surface_keys(tokens)))
        db.executemany("INSERT INTO sources VALUES (?, ?, ?, ?)", sources)
        db.executemany("INSERT INTO terms VALUES (?, ?, ?, ?, ?, ?, ?, ?)", terms)
        db.executemany("INSERT INTO surfaces(file, concept_id, lang, text, status, kind, folded, tokens, size, keys) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", surfaces)
        db.executemany("INSERT INTO definitions(file, concept_id, lang, text, keys) VALUES (?, ?, ?, ?, ?)",
                       [(file, cid, tag, section.definition, search.text_keys(section.definition))
                        for tag, section in concept.languages.items() if section.definition])
        if fts:
            db.execute("INSERT INTO surface_fts(rowid, keys) SELECT id, keys FROM surfaces WHERE file = ?", (file,))
            db.execute("INSERT INTO definition_fts(rowid, keys) SELECT id, keys FROM definitions WHERE file = ?", (file,))

    def load_termbase(self, termbase) -> None:
        """Fill an empty (in-memory) index from a Termbase read elsewhere (a TBX file …)."""
        from ..glossary import concept_to_dict

        with self.writing():
            for concept in termbase:
                self.put(concept, concept_to_dict(concept), f"{concept.id}.yaml", fts=False)
            self.db.execute("INSERT INTO surface_fts(surface_fts) VALUES ('rebuild')")
            self.db.execute("INSERT INTO definition_fts(definition_fts) VALUES ('rebuild')")

    @property
    def generation(self) -> int:
        """A number that changes whenever the indexed concepts change."""
        if self._generation is None:
            self._generation = int(self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
        return self._generation

    # -- reading -------------------------------------------------------------------------------

    def load_errors(self) -> list[TermbaseError]:
        """The files that do not load, in file order, as the errors reading them raised."""
        return [TermbaseError(message, self.root / CONCEPT_DIR / name, line, column)
                for name, (message, line, column) in
                ((n, json.loads(e)) for n, e in self.db.execute(
                    "SELECT name, error FROM files WHERE error IS NOT NULL ORDER BY name"))]

    def file_error(self, name: str) -> TermbaseError | None:
        row = self.db.execute("SELECT error FROM files WHERE name = ?", (name,)).fetchone()
        if not row or row[0] is None:
            return None
        message, line, column = json.loads(row[0])
        return TermbaseError(message, self.root / CONCEPT_DIR / name, line, column)

    def _concept(self, payload: str, checksum: str) -> Concept:
        if content_hash(payload.encode("utf-8")) != checksum:
            raise sqlite3.DatabaseError("database disk image is malformed (a concept's checksum is wrong)")
        return concept_from_dict(json.loads(payload))

    def concept(self, concept_id: str) -> Concept | None:
        row = self.db.execute("SELECT data, checksum FROM concepts WHERE id = ? ORDER BY file", (concept_id,)).fetchone()
        return self._concept(*row) if row else None

    def concept_data(self, concept_id: str) -> dict | None:
        row = self.db.execute("SELECT data FROM concepts WHERE id = ? ORDER BY file", (concept_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def ids(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT id FROM concepts ORDER BY file")]

    def has(self, concept_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM concepts WHERE id = ?", (concept_id,)).fetchone() is not None

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM concepts").fetchone()[0]

    def concepts(self, ids=None):
        """Every concept in file order (or those of `ids`, in that order), streamed."""
        if ids is None:
            for payload, checksum in self.db.execute("SELECT data, checksum FROM concepts ORDER BY file"):
                yield self._concept(payload, checksum)
            return
        for concept_id in ids:
            concept = self.concept(concept_id)
            if concept is not None:
                yield concept

    def summaries(self, subject: str | None = None, review_status: str | None = None) -> list[dict]:
        """id, en, ar, subject fields, review status of the concepts, in file order (for `list`)."""
        where, args = [], []
        if subject:
            where.append("id IN (SELECT concept_id FROM subjects WHERE subject = ?)")
            args.append(subject)
        if review_status:
            where.append("review_status = ?")
            args.append(review_status)
        query = "SELECT id, en, ar, review_status FROM concepts"
        if where:
            query += " WHERE " + " AND ".join(where)
        subjects: dict = {}
        for concept_id, subject_field in self.db.execute(
                "SELECT concept_id, subject FROM subjects ORDER BY file, position"):
            subjects.setdefault(concept_id, []).append(subject_field)
        return [{"id": cid, "en": en or "", "ar": ar or "", "subject_fields": subjects.get(cid, []),
                 "review_status": review or ""}
                for cid, en, ar, review in self.db.execute(query + " ORDER BY file", args)]

    def summary(self, concept_id: str) -> dict:
        row = self.db.execute("SELECT id, en, ar, review_status FROM concepts WHERE id = ?", (concept_id,)).fetchone()
        subjects = [s for (s,) in self.db.execute(
            "SELECT subject FROM subjects WHERE file = (SELECT file FROM concepts WHERE id = ? ORDER BY file) "
            "ORDER BY position", (concept_id,))]
        return {"id": row[0], "en": row[1] or "", "ar": row[2] or "", "subject_fields": subjects,
                "review_status": row[3] or ""}

    def statistics(self) -> dict:
        """Counts per language, subject field, term type, term status and review status, each
        most common first (ties in the order the glossary first uses them)."""
        from ..model import AdministrativeStatus

        db = self.db

        def ranked(query) -> dict:
            return {name: count for name, count, _ in sorted(db.execute(query), key=lambda row: (-row[1], row[2]))}

        first = "min(x.file || x'01' || printf('%012d', x.rowid))"
        subjects = ranked(f"SELECT x.subject, count(*), {first} FROM subjects x GROUP BY x.subject "
                          "UNION ALL SELECT '(none)', count(*), min(c.file) FROM concepts c "
                          "WHERE NOT EXISTS (SELECT 1 FROM subjects s WHERE s.file = c.file) HAVING count(*)")
        types = ranked(f"SELECT coalesce(x.type, '(none)'), count(*), {first} FROM terms x GROUP BY 1")
        statuses = ranked(f"SELECT coalesce(x.status, '(none)'), count(*), {first} FROM terms x GROUP BY 1")
        reviews = ranked("SELECT coalesce(review_status, '(none)'), count(*), min(file) FROM concepts GROUP BY 1")
        languages = dict(db.execute("SELECT lang, count(*) FROM terms GROUP BY lang ORDER BY lang"))
        return {"concepts": self.count(), "terms": sum(languages.values()), "terms_per_language": languages,
                "subject_fields": subjects, "term_types": types,
                "term_status": {AdministrativeStatus(s).short if s != "(none)" else s: n for s, n in statuses.items()},
                "review_status": reviews}

    # -- what validate asks ---------------------------------------------------------------------

    def files_with_findings(self) -> list[tuple[str, list]]:
        """(file name, [[line, severity, message, check, column] …]) of each file with findings of
        its own, in file order."""
        return [(name, json.loads(found)) for name, found in
                self.db.execute("SELECT name, findings FROM files WHERE findings != '[]' ORDER BY name")]

    def file_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM files").fetchone()[0]

    def file_names(self) -> list[str]:
        return [name for (name,) in self.db.execute("SELECT name FROM files ORDER BY name")]

    _LOADED = "file NOT IN (SELECT c.file FROM concepts c WHERE EXISTS (SELECT 1 FROM concepts d WHERE d.id = c.id AND d.file < c.file))"

    def duplicate_id_files(self) -> list[tuple[str, str]]:
        """(file, id) of each file whose concept id an earlier file already has."""
        return list(self.db.execute(f"SELECT file, id FROM concepts WHERE NOT {self._LOADED} ORDER BY file"))

    def unknown_subjects(self, known) -> list[tuple[str, int, str]]:
        """(file, position, subject) of subject fields not in `known`."""
        return list(self.db.execute("SELECT file, position, subject FROM subjects WHERE subject NOT IN "
                                    "(SELECT value FROM json_each(?)) ORDER BY file, rowid", (json.dumps(list(known)),)))

    def unknown_sources(self, known) -> list[tuple[str, list, str]]:
        """(file, keypath, source) of concept and context sources not in `known`."""
        return [(file, tuple(json.loads(keypath)), source) for file, keypath, source in self.db.execute(
            "SELECT file, keypath, source FROM sources WHERE source NOT IN (SELECT value FROM json_each(?)) "
            "ORDER BY file, rowid", (json.dumps(list(known)),))]

    def odd_cross_references(self) -> list[tuple[str, str, int, str, bool]]:
        """(file, concept id, position, target, target exists) of cross-references to unknown
        concepts or to the concept itself, for concepts whose id no earlier file has."""
        return [(file, cid, position, target, bool(exists)) for file, cid, position, target, exists in self.db.execute(
            "SELECT x.file, x.concept_id, x.position, x.target, EXISTS (SELECT 1 FROM concepts c WHERE c.id = x.target) "
            f"AS known FROM xrefs x WHERE x.{self._LOADED} AND (x.target = x.concept_id OR NOT known) "
            "ORDER BY x.file, x.position")]

    def shared_preferred_terms(self) -> list[list[tuple]]:
        """Groups of (concept id, language tag, term position, text, file) of preferred terms that
        normalize alike in one language, each group in glossary order."""
        groups: dict = {}
        for lang, norm, cid, position, text, file in self.db.execute(
                "SELECT t.lang, t.norm, t.concept_id, t.position, t.text, t.file FROM terms t "
                "JOIN (SELECT lang, norm FROM terms WHERE status = 'preferredTerm-admn-sts' AND "
                f"{self._LOADED} GROUP BY lang, norm HAVING count(*) > 1) d ON d.lang = t.lang AND d.norm = t.norm "
                f"WHERE t.status = 'preferredTerm-admn-sts' AND t.{self._LOADED} ORDER BY t.file, t.rowid"):
            groups.setdefault((lang, norm), []).append((cid, lang, position, text, file))
        return list(groups.values())

    def surfaces_spelled(self, folded: str):
        return self.db.execute("SELECT concept_id, lang, text, status, kind FROM surfaces WHERE folded = ?",
                               (folded,)).fetchall()

    def surfaces_matching(self, match: str, limit: int, offset: int = 0):
        """(concept, lang, text, words, status) of surfaces whose keys match an FTS5 expression,
        fewest words first."""
        rows = self.db.execute(
            "SELECT s.concept_id, s.lang, s.text, s.tokens, s.status, s.kind FROM surface_fts f "
            "JOIN surfaces s ON s.id = f.rowid WHERE surface_fts MATCH ? "
            "ORDER BY s.size, s.status = 'preferredTerm-admn-sts' DESC, s.kind, length(s.text), s.concept_id "
            "LIMIT ? OFFSET ?", (match, limit, offset)).fetchall()
        return [(cid, lang, text, tuple(tokens.split(" ")) if tokens else (), status, kind)
                for cid, lang, text, tokens, status, kind in rows]

    def definitions_matching(self, match: str, limit: int):
        """(concept, lang, definition, score) for definitions matching an FTS5 expression, best first."""
        return [(cid, lang, text, -score) for cid, lang, text, score in self.db.execute(
            "SELECT d.concept_id, d.lang, d.text, bm25(definition_fts) AS score FROM definition_fts f "
            "JOIN definitions d ON d.id = f.rowid WHERE definition_fts MATCH ? ORDER BY score, d.concept_id LIMIT ?",
            (match, limit))]

    def has_word(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM surface_words WHERE term = ?", (key,)).fetchone() is not None

    def words_of_length(self, shortest: int, longest: int) -> list[str]:
        return [term for (term,) in self.db.execute(
            "SELECT term FROM surface_words WHERE length(term) BETWEEN ? AND ?", (shortest, longest))]


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
            os.unlink(str(location) + suffix)
        except FileNotFoundError:
            pass
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
