"""The termbase as a SQLite database, for other tools (the `sqlite3` shell, Datasette, pandas).

A documented, stable schema (`SCHEMA`, version in `PRAGMA user_version`): one table per part of
the model, rows in glossary order (`position`), every field of every concept, language section
and term, plus `search`, an FTS5 table over each term, form and definition with its normalized
words (diacritics, hamza/alef, ta marbuta, clitics folded as `termbase search` folds them).

    sqlite3 exports/termbase.sqlite \\
      "SELECT concept_id, lang, text FROM search WHERE search MATCH 'stems: نشره' ORDER BY rank LIMIT 5"

Reading a database back is lenient about nothing: it must carry this schema's version. A file
from elsewhere is opened read-only, with `trusted_schema` off (no functions in its views or
triggers run) and size limits on what a row may hold.
"""
from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path

from ..errors import TermbaseError
from ..model import Source, Termbase
from ..progress import counted
from .. import glossary

VERSION = 1

SCHEMA = """
CREATE TABLE termbase(key TEXT PRIMARY KEY, value TEXT);                 -- title, description, languages (JSON)
CREATE TABLE subject_fields(id TEXT PRIMARY KEY, description TEXT, position INTEGER);
CREATE TABLE sources(id TEXT PRIMARY KEY, title TEXT, date TEXT, publisher TEXT, url TEXT, position INTEGER);
CREATE TABLE concepts(
  id TEXT PRIMARY KEY, position INTEGER, review_status TEXT, note TEXT,
  created TEXT, created_by TEXT, modified TEXT, modified_by TEXT);
CREATE TABLE concept_subject_fields(concept_id TEXT REFERENCES concepts(id), subject_field TEXT, position INTEGER);
CREATE TABLE cross_references(concept_id TEXT REFERENCES concepts(id), target TEXT, position INTEGER);
CREATE TABLE external_references(concept_id TEXT REFERENCES concepts(id), url TEXT, position INTEGER);
CREATE TABLE concept_sources(concept_id TEXT REFERENCES concepts(id), source TEXT, position INTEGER);
CREATE TABLE language_sections(
  concept_id TEXT REFERENCES concepts(id), lang TEXT, position INTEGER,
  definition TEXT, definition_source TEXT, note TEXT, PRIMARY KEY (concept_id, lang));
CREATE TABLE terms(
  id INTEGER PRIMARY KEY, concept_id TEXT REFERENCES concepts(id), lang TEXT, position INTEGER,
  text TEXT NOT NULL, type TEXT, status TEXT, part_of_speech TEXT, gender TEXT, number TEXT,
  geographical_usage TEXT, context TEXT, context_source TEXT, vocalized TEXT, note TEXT);
CREATE TABLE term_forms(term_id INTEGER REFERENCES terms(id), form TEXT, position INTEGER);
CREATE INDEX terms_by_concept ON terms(concept_id);
CREATE INDEX terms_by_text ON terms(text);
CREATE VIRTUAL TABLE search USING fts5(
  concept_id UNINDEXED, lang UNINDEXED, kind UNINDEXED,   -- kind: term | form | definition
  text,
  normalized,            -- the words as `termbase search` normalizes them (tashkeel, hamza, ة, case)
  stems,                 -- and without clitics or the article (بالنشرة → نشره)
  tokenize = 'unicode61 remove_diacritics 0');
"""

TERM_FIELDS = ("type", "status", "part_of_speech", "gender", "number", "geographical_usage", "context",
               "context_source", "vocalized", "note")
CONCEPT_FIELDS = ("review_status", "note", "created", "created_by", "modified", "modified_by")
SECTION_FIELDS = ("definition", "definition_source", "note")
MAX_FIELD = 1 << 20        # bytes a text or blob read back may hold


def write(termbase: Termbase, target, progress=None, **options) -> None:
    """Write the whole termbase as a SQLite database file to the binary stream `target`
    (`progress(concepts, total)` hears of the concepts written)."""
    from ..arabic import is_arabic, strip_clitics
    from ..search import words

    def indexed(text: str) -> tuple:
        found = words(text)
        return (" ".join(found), " ".join(strip_clitics(w)[-1] if is_arabic(w) else w for w in found))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "termbase.sqlite"
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA page_size=4096")
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version={VERSION}")
        db.execute("BEGIN")
        db.executemany("INSERT INTO termbase VALUES (?, ?)", [
            ("title", termbase.title), ("description", termbase.description),
            ("languages", json.dumps(list(termbase.languages), ensure_ascii=False))])
        db.executemany("INSERT INTO subject_fields VALUES (?, ?, ?)",
                       [(k, v, i) for i, (k, v) in enumerate(termbase.subject_fields.items())])
        db.executemany("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?)",
                       [(s.id, s.title, s.date, s.publisher, s.url, i) for i, s in enumerate(termbase.sources)])
        term_id = 0
        for position, concept in enumerate(counted(termbase, progress)):
            data = glossary.concept_to_dict(concept)
            cid = concept.id
            db.execute("INSERT INTO concepts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (cid, position, *(_text(data.get(f)) for f in CONCEPT_FIELDS)))
            for table, column in (("concept_subject_fields", "subject_fields"), ("cross_references", "cross_references"),
                                  ("external_references", "external_references"), ("concept_sources", "sources")):
                db.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", [(cid, v, i) for i, v in enumerate(data.get(column, []))])
            for lang_position, (tag, section) in enumerate(data.get("languages", {}).items()):
                db.execute("INSERT INTO language_sections VALUES (?, ?, ?, ?, ?, ?)",
                           (cid, tag, lang_position, *(section.get(f) for f in SECTION_FIELDS)))
                if section.get("definition"):
                    db.execute("INSERT INTO search VALUES (?, ?, 'definition', ?, ?, ?)",
                               (cid, tag, section["definition"], *indexed(section["definition"])))
                for term_position, term in enumerate(section.get("terms", [])):
                    term_id += 1
                    db.execute("INSERT INTO terms VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               (term_id, cid, tag, term_position, term["text"], *(term.get(f) for f in TERM_FIELDS)))
                    db.execute("INSERT INTO search VALUES (?, ?, 'term', ?, ?, ?)", (cid, tag, term["text"], *indexed(term["text"])))
                    for form_position, form in enumerate(term.get("forms", [])):
                        db.execute("INSERT INTO term_forms VALUES (?, ?, ?)", (term_id, form, form_position))
                        db.execute("INSERT INTO search VALUES (?, ?, 'form', ?, ?, ?)", (cid, tag, form, *indexed(form)))
        db.execute("INSERT INTO search(search) VALUES ('optimize')")
        db.execute("COMMIT")
        db.close()
        target.write(path.read_bytes())


def _text(value):
    return None if value is None else str(value)


def read(source, warnings: list | None = None, **options) -> Termbase:
    """Read a database written by `write` back into a Termbase (read-only, untrusted)."""
    path = Path(source) if not hasattr(source, "read") else None
    if path is None:
        raise TermbaseError("a SQLite termbase is read from a file, not a stream")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        db.execute("PRAGMA trusted_schema=OFF")
        db.execute("PRAGMA cell_size_check=ON")
        db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_FIELD)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise TermbaseError(f"not a SQLite termbase: {error}", path) from None
    if version != VERSION or not {"concepts", "terms", "termbase"} <= tables:
        raise TermbaseError(f"not a termbase database of schema version {VERSION} (user_version {version})", path)
    try:
        return _read(db)
    except sqlite3.DatabaseError as error:
        raise TermbaseError(f"unreadable SQLite termbase: {error}", path) from None
    finally:
        db.close()


def _read(db) -> Termbase:
    header = dict(db.execute("SELECT key, value FROM termbase"))
    termbase = Termbase(title=header.get("title") or "", description=header.get("description") or "",
                        languages=json.loads(header.get("languages") or '["en", "ar"]'))
    termbase.subject_fields = dict(db.execute("SELECT id, coalesce(description, '') FROM subject_fields ORDER BY position"))
    termbase.sources = [Source(*(value or "" for value in row)) for row in
                        db.execute("SELECT id, title, date, publisher, url FROM sources ORDER BY position")]
    lists = {}
    for table, column in (("concept_subject_fields", "subject_field"), ("cross_references", "target"),
                          ("external_references", "url"), ("concept_sources", "source")):
        for cid, value in db.execute(f"SELECT concept_id, {column} FROM {table} ORDER BY concept_id, position"):
            lists.setdefault((table, cid), []).append(value)
    forms = {}
    for term_id, form in db.execute("SELECT term_id, form FROM term_forms ORDER BY term_id, position"):
        forms.setdefault(term_id, []).append(form)
    sections = {}
    for cid, tag, *fields in db.execute(f"SELECT concept_id, lang, {', '.join(SECTION_FIELDS)} FROM language_sections "
                                        "ORDER BY concept_id, position"):
        sections.setdefault(cid, {})[tag] = {k: v for k, v in zip(SECTION_FIELDS, fields) if v}
    for term_id, cid, tag, text, *fields in db.execute(
            f"SELECT id, concept_id, lang, text, {', '.join(TERM_FIELDS)} FROM terms ORDER BY concept_id, lang, position"):
        term = {"text": text, **{k: v for k, v in zip(TERM_FIELDS, fields) if v}}
        if term_id in forms:
            term["forms"] = forms[term_id]
        sections.setdefault(cid, {}).setdefault(tag, {}).setdefault("terms", []).append(term)
    for cid, *fields in db.execute(f"SELECT id, {', '.join(CONCEPT_FIELDS)} FROM concepts ORDER BY position"):
        data = {"id": cid, **{k: v for k, v in zip(CONCEPT_FIELDS, fields) if v}}
        for table, key in (("concept_subject_fields", "subject_fields"), ("cross_references", "cross_references"),
                           ("external_references", "external_references"), ("concept_sources", "sources")):
            if (table, cid) in lists:
                data[key] = lists[(table, cid)]
        if cid in sections:
            data["languages"] = sections[cid]
        problems: list = []
        concept = glossary.concept_from_dict(data, problems)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise TermbaseError(f"concept {cid}: {errors[0].message}")
        termbase.add(concept)
    return termbase
