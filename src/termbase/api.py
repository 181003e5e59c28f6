"""The Python API: `termbase.open(path)` and the handle it returns, which the CLI drives too.

A glossary directory is read through its index (`store.index`), refreshed from the files before
each answer; any importable file (TBX, XLSX, CSV, TSV, PO) or a Termbase built in memory is
indexed in memory. `TERMBASE_NO_INDEX=1` reads the files directly, as before the index existed.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import os
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path

from . import glossary
from .errors import TermbaseError, UsageError
from .model import Concept, Termbase


def index_disabled() -> bool:
    return os.environ.get("TERMBASE_NO_INDEX", "") not in ("", "0")


def open(source, *, fmt: str | None = None, warnings: list | None = None, notify=None, progress=None,
         **read_options) -> "Glossary":
    """Open a termbase: a glossary directory, any importable file, or a `model.Termbase`.

    `fmt` names a file's format when its name and content do not tell; `warnings`, if given,
    collects what a file reader could not map (else the reader's warnings are printed on
    stderr); `notify(message)` hears about index rebuilds; `progress(done, total)` about long
    reads (concept files indexed, or bytes of a file read: `termbase.progress`); `read_options`
    go to the file reader (`source_lang`, `target_lang`).
    """
    return Glossary(source, fmt=fmt, warnings=warnings, notify=notify, progress=progress, **read_options)


def _stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr)


def _recovering(method):
    """Run `method`; if the index turns out broken in use (corrupt pages, a wrong table), rebuild
    it from the files and run it once more."""
    @functools.wraps(method)
    def recovered(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as error:
            self._rebuild_if_broken(error)
            return method(self, *args, **kwargs)
    return recovered


def _recovering_stream(method):
    """`_recovering` for a method whose iterator reads the index as it is read (the automaton's
    rows, concepts): if the index turns out broken meanwhile, rebuild it and run the method
    again, skipping the items already given (the same files give the same items in order)."""
    @functools.wraps(method)
    def recovered(self, *args, **kwargs):
        given = 0
        try:
            for item in method(self, *args, **kwargs):
                yield item
                given += 1
            return
        except sqlite3.DatabaseError as error:
            self._rebuild_if_broken(error)
        yield from itertools.islice(method(self, *args, **kwargs), given, None)
    return recovered


class Glossary:
    """An open termbase. Read it with `concept`, `concepts`, `search`, `find`, `check`,
    `validate`, `statistics`; write it out with `export`."""

    def __init__(self, source, *, fmt=None, warnings=None, notify=None, progress=None, **read_options):
        self.progress = progress
        self.notify = notify
        self._index = None
        self._termbase: Termbase | None = None     # everything in memory (files, no index)
        self._matcher = None
        self._fresh = False
        self._header = None
        self._writing = False
        self._file: tuple = (fmt, warnings, read_options)   # a file's reading: format, findings, options
        if isinstance(source, Termbase):
            self.path, self.directory = None, False
            self._termbase, self.header = source, _header_of(source)
            return
        self.path = Path(source)
        self.directory = self.path.is_dir()
        if self.directory:
            if not glossary.is_glossary(self.path):
                raise UsageError("not a glossary directory (expected termbase.yaml inside; create one with "
                                 "`termbase init`)", self.path)
            folder = self.path / glossary.CONCEPT_DIR
            if folder.exists() and not folder.is_dir():
                raise TermbaseError(f"{glossary.CONCEPT_DIR} must be a folder of concept files", folder)
            return
        if not self.path.exists():
            raise UsageError("no such glossary directory or file", self.path)
        # a file is read on first use; `statistics` counts it as it reads it

    @property
    def header(self) -> Termbase:
        """Title, languages, subject fields and sources (a Termbase without concepts)."""
        if self._header is None:
            self._header = glossary.read_header(self.path) if self.directory else _header_of(self._memory())
        return self._header

    @header.setter
    def header(self, value: Termbase) -> None:
        self._header = value

    def __repr__(self) -> str:
        return f"<termbase.Glossary {self.path or 'in memory'}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    # -- the index -----------------------------------------------------------------------------

    @property
    def indexed(self) -> bool:
        """Whether answers come from the on-disk index (a glossary directory, index not disabled)."""
        return self.directory and not index_disabled()

    @property
    def index(self):
        """The index, up to date with the files (built on first use); a file that does not load
        raises its error, as reading the glossary would."""
        return self._up_to_date(raise_load_errors=True)

    def _up_to_date(self, raise_load_errors: bool):
        from .store.index import Index

        if self._index is None:
            if self.indexed:
                self._index = Index.open(self.path, notify=self.notify, progress=self.progress)
            else:
                self._index = Index.memory(self.path)
                self._index.load_termbase(self._memory())
                self._fresh = True
        while not self._fresh:
            self._settle()
            self._index.refresh(self.progress)
            self._fresh = not self._committing()      # a commit that began meanwhile: wait for it, look again
        if raise_load_errors:
            errors = self._index.load_errors()
            if errors:
                raise errors[0]
        return self._index

    def _committing(self) -> bool:
        """Whether another process is moving a change's files into place right now."""
        from .store.journal import Journal

        return self.directory and not self._writing and Journal(self.path).pending()

    def _settled(self) -> bool:
        """Nothing to finish: no journal, no lock left by a crashed writer (or we are the writer)."""
        from .store.journal import Journal
        from .store.lock import LOCK_FILE

        return (not self.directory or self._writing
                or not (Journal(self.path).pending() or (self.path / LOCK_FILE).exists()))

    def _settle(self) -> None:
        """Before reading: finish what a crashed writer left (store.settle)."""
        from .store import settle

        if not self._settled():
            settle(self.path, self.notify or _stderr)

    # -- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self, wait: float | None = None):
        """Hold the glossary's write lock (waiting up to `wait` seconds for another writer).

        What is read inside sees every earlier writer's result; write with `commit`. A crashed
        writer's half-done change is finished first.
        """
        from .store import journal
        from .store.lock import DEFAULT_WAIT, WriteLock

        if not self.directory:
            raise UsageError("only a glossary directory can be written", self.path)
        with WriteLock(self.path, DEFAULT_WAIT if wait is None else wait, notify=self.notify):
            done = journal.recover(self.path)
            if done:
                (self.notify or _stderr)(f"termbase: {self.path}: {done}")
            self._writing = True
            self.refresh()
            try:
                yield self
            finally:
                self._writing = False

    def commit(self, files: dict, remove=(), progress=None) -> None:
        """Write {path: bytes} and remove `remove` inside the glossary, all or nothing (a journal),
        and bring the index up to date. Only while `writing()`. `progress(files, total)` hears of
        the files written."""
        from .store import journal

        if not self._writing:
            raise RuntimeError("commit() needs the write lock: use it inside `with glossary.writing():`")
        journal.commit(self.path, files, remove, progress)
        self.refresh()
        self._header = None
        if self.indexed:
            self._up_to_date(raise_load_errors=False)      # the index follows in the same step

    def _rebuild_if_broken(self, error: sqlite3.DatabaseError) -> None:
        """Rebuild an index found broken in use; raise `error` again if that is not what it says."""
        from .store.index import is_broken

        if not (self.indexed and self._index is not None and self._index.location is not None and is_broken(error)):
            raise error
        self._rebuild(f"unreadable: {error}")

    def _rebuild(self, reason: str) -> None:
        from .store.index import Index

        self._index.close()
        self._index = Index.open(self.path, notify=self.notify, progress=self.progress, rebuild=reason)
        self._fresh = False
        self._matcher = None

    def refresh(self) -> None:
        """Look at the files again before the next answer (after they were written)."""
        self._fresh = False
        self._matcher = None

    def _memory(self) -> Termbase:
        if self._termbase is None:
            if self.directory:
                self._settle()
                self._termbase = glossary.read(self.path, progress=self.progress)
            else:
                from . import formats

                fmt, _, options = self._file
                found: list = []
                self._termbase = formats.read_file(self.path, fmt, warnings=found, progress=self.progress, **options)
                self._report(found)
        return self._termbase

    def _report(self, findings: list) -> None:
        """A file reader's findings: into the `warnings` list given to `open`, else on stderr."""
        warnings = self._file[1]
        if warnings is not None:
            warnings += findings
            return
        for finding in findings:
            print(finding, file=__import__("sys").stderr)

    # -- reading -------------------------------------------------------------------------------

    @_recovering
    def concept(self, concept_id: str) -> Concept | None:
        """One concept by id, or None. For a directory only that concept's file is looked at."""
        if not self.indexed:
            if self.directory and self._termbase is None:
                self._settle()
                path = glossary.concept_file(self.path, concept_id)
                if path is None or not path.is_file():
                    return None
                return glossary.read_concept_file(path)
            return self._memory().concepts.get(concept_id)
        if glossary.concept_file(self.path, concept_id) is None:
            return None
        from .store.index import Index

        if self._index is None:
            self._index = Index.open(self.path, notify=self.notify, progress=self.progress)
        if not self._fresh:
            self._settle()
            self._index.refresh_one(concept_id)
            error = self._index.file_error(f"{concept_id}.yaml")
            if error is not None:
                raise error
            row = self._index.concept(concept_id)
            return row if row is not None and (self.path / glossary.CONCEPT_DIR / f"{concept_id}.yaml").exists() else None
        return self._index.concept(concept_id)

    @_recovering_stream
    def concepts(self):
        """Every concept, in file order (streamed from the index)."""
        if not self.indexed:
            return iter(self._memory())
        return self.index.concepts()

    def termbase(self, in_memory: bool = False) -> Termbase:
        """The whole termbase as a model.Termbase: its concepts read from the index on demand,
        or all loaded at once with `in_memory` (to change them)."""
        if not self.indexed:
            return self._memory()
        if in_memory:
            termbase = _header_of(self.header)
            for concept in self.index.concepts():
                termbase.add(concept)
            return termbase
        self.index
        return _header_of(self.header, IndexedConcepts(self))

    @_recovering
    def count(self) -> int:
        """How many concepts."""
        return len(self._memory()) if not self.indexed else self.index.count()

    @_recovering
    def summaries(self, subject: str | None = None, review_status: str | None = None) -> list[dict]:
        """id, en, ar, subject fields and review status of each concept (what `list` prints)."""
        return self.index.summaries(subject, review_status)

    @_recovering
    def summary(self, concept_id: str) -> dict:
        return self.index.summary(concept_id)

    @_recovering
    def statistics(self) -> dict:
        """Counts per language, subject field, term type, term status and review status. A file
        not read yet is counted as it is read, concept by concept, where its format allows."""
        if self._termbase is None and not self.directory:
            counted = self._streamed_statistics()
            if counted is not None:
                return counted
        return self.index.statistics()

    def _streamed_statistics(self) -> dict | None:
        from . import formats
        from .errors import NotStreamable
        from .store.index import statistics_of

        fmt, _, options = self._file
        if options:
            return None
        found: list = []
        try:
            counted = statistics_of(formats.iter_file(self.path, fmt, found, self.progress))
        except NotStreamable:     # read it whole instead (its findings are reported then)
            return None
        self._report(found)
        return counted

    @_recovering
    def search(self, query: str, limit: int = 20) -> list:
        """Concepts matching `query`, best first (see `termbase.search`)."""
        from . import search

        return search.search(self.index, query, limit)

    # -- recognition ---------------------------------------------------------------------------

    @_recovering
    def matcher(self):
        """The recognition automaton of every term (kept in the index between runs)."""
        if self._matcher is None:
            from .matcher import Matcher
            from .store import cache

            termbase = self.termbase()
            if self.indexed:
                self._matcher = cache.load_matcher(self.index, termbase) or cache.build_matcher(self.index, termbase)
            else:
                self._matcher = Matcher(termbase)
        return self._matcher

    @_recovering
    def find(self, text: str, lang: str | None = None) -> list[dict]:
        """Every occurrence of a glossary term in `text` (line, column, surface, concept, …)."""
        from . import recognition

        return list(recognition.in_text(self.termbase(), self.matcher(), text, [lang] if lang else None))

    @_recovering_stream
    def find_in_file(self, path, languages=None, progress=None):
        """Occurrences in a text, PO, XLIFF or TMX file (an iterator); `progress(done, total)`
        hears how much of it is searched (characters of a text, segments of a bilingual file)."""
        from . import recognition

        return recognition.in_file(self.termbase(), self.matcher(), Path(path), languages, progress)

    @_recovering
    def check(self, path, include_all: bool = False, source_lang: str | None = None,
              target_lang: str | None = None, progress=None) -> list:
        """Terminology findings for a bilingual file (PO, XLIFF, TMX, two-column CSV);
        `progress(segments, total)` hears how many are checked."""
        from . import bilingual, qa

        document = bilingual.read(path, source_lang, target_lang)
        return qa.check(self.termbase(), document, include_all, self.matcher(), progress)

    # -- checking and writing out --------------------------------------------------------------

    @_recovering
    def validate(self) -> list:
        """Every finding for a glossary directory (`path:line: severity: message [check]`)."""
        from . import validate

        if not self.directory:
            raise UsageError("validate checks a glossary directory", self.path)
        if not self.indexed:
            self._settle()
            return validate.validate(self.path, progress=self.progress)
        header, found = validate.header_findings(self.path)
        if found and found[0].check == "missing-file":
            return found
        self._fresh = False
        return validate.validate_indexed(self.path, header, found, self._up_to_date(raise_load_errors=False))

    def file_count(self) -> int:
        """How many concept files the glossary directory holds."""
        if self.indexed and self._index is not None:
            return self._index.file_count()
        return len(glossary.concept_paths(self.path))

    def export(self, target, fmt: str, **options) -> None:
        """Write the termbase to `target` in format `fmt` (tbx, tbx2, po, mo, xlsx, csv, tsv, omegat, sqlite);
        `progress=` (a callback) hears of the concepts written."""
        from . import formats

        formats.write_file(self.termbase(), target, fmt, **options)


class IndexedConcepts(Mapping):
    """The concepts of an indexed glossary as a read-only mapping, read on demand (a few kept)."""

    KEEP = 4096

    def __init__(self, glossary: Glossary):
        self.glossary = glossary
        self._kept: dict = {}

    def __getitem__(self, concept_id: str) -> Concept:
        concept = self._kept.get(concept_id)
        if concept is None:
            concept = self.glossary.concept(concept_id)
            if concept is None:
                raise KeyError(concept_id)
            if len(self._kept) >= self.KEEP:
                self._kept.clear()
            self._kept[concept_id] = concept
        return concept

    def __contains__(self, concept_id) -> bool:
        return concept_id in self._kept or self.glossary.index.has(concept_id)

    def __iter__(self):
        return iter(self.glossary.index.ids())

    def __len__(self) -> int:
        return self.glossary.count()

    def values(self):
        return self.glossary.index.concepts()

    def items(self):
        return ((concept.id, concept) for concept in self.values())


def _header_of(termbase: Termbase, concepts=None) -> Termbase:
    """A Termbase with `termbase`'s header and the given concepts (none by default)."""
    return Termbase(title=termbase.title, description=termbase.description, languages=list(termbase.languages),
                    subject_fields=dict(termbase.subject_fields), sources=list(termbase.sources),
                    concepts=concepts if concepts is not None else {})
