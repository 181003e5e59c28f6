"""A team on one glossary in git: the merge driver, its setup, and the history of a concept.

Git is driven through the `git` command: the merge driver is itself run by git, the setup
writes git's own configuration, and history needs `git log --follow` (rename tracking), which
the libraries lack or reimplement. Files are read with glossary.py and merged with merge.py;
nothing here parses YAML.
"""
from __future__ import annotations

import difflib
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import glossary, merge
from .errors import TermbaseError
from .fileio import write_bytes_atomic

DRIVER = "termbase"
DRIVER_NAME = "termbase: field-level merge of glossary YAML"
MARKER_SIZE = 7


# --- running git ---------------------------------------------------------------------------

def git(*args, cwd=None, check: bool = True, data: bytes | None = None) -> subprocess.CompletedProcess:
    """Run `git ARGS…` (bytes out); a failure is a TermbaseError with git's message."""
    try:
        done = subprocess.run(["git", *map(str, args)], cwd=cwd, input=data, capture_output=True)
    except FileNotFoundError:
        raise TermbaseError("git is not installed (or not on PATH)") from None
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed"
        raise TermbaseError(message.splitlines()[-1], cwd)
    return done


def repository(path) -> Path | None:
    """The top folder of the git work tree that holds `path` (a folder, existing or not), if any."""
    folder = Path(path).resolve()
    while not folder.is_dir():
        folder = folder.parent
    done = git("rev-parse", "--show-toplevel", cwd=folder, check=False)
    return Path(done.stdout.decode("utf-8").strip()) if done.returncode == 0 else None


def _relative(path, top: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), top)).as_posix()


# --- the merge driver ----------------------------------------------------------------------

@dataclass
class DriverResult:
    """What the merge driver did: exit code (0 merged, 1 conflict) and what to tell the user."""

    code: int
    message: str = ""
    conflicts: list = field(default_factory=list)     # merge.FieldMerge


def document_kind(path: str) -> str | None:
    """`concept` for concepts/*.yaml, `header` for termbase.yaml, else None (not a glossary file)."""
    parts = Path(path).parts
    if parts and parts[-1] == glossary.HEADER_FILE:
        return "header"
    if len(parts) >= 2 and parts[-2] == glossary.CONCEPT_DIR and parts[-1].endswith(".yaml"):
        return "concept"
    return None


def store_result(path, data: bytes) -> None:
    """Write the merge result into git's OURS file: the one place the driver writes."""
    write_bytes_atomic(path, data)


def merge_driver(base_file, ours_file, theirs_file, path: str, marker_size: int = MARKER_SIZE) -> DriverResult:
    """Merge git's three versions of glossary file `path` field by field, into `ours_file`.

    Clean: the canonical result (as `termbase fmt` writes it), code 0. Conflicts: canonical YAML
    with git conflict markers around the conflicting fields only, code 1. A glossary file a side
    cannot read (or any other file) is merged line by line as git would, code 1 if it was a
    glossary file, with the reason in the message.
    """
    for side, name in (("base", base_file), ("ours", ours_file), ("theirs", theirs_file)):
        if not Path(name).is_file():      # git passes empty files for absent versions; this is not one
            return DriverResult(1, f"{path}: the {side} version is missing ({name}); the file is left as it was")
    kind = document_kind(path)
    if kind is None:
        return _line_merge(base_file, ours_file, theirs_file, marker_size, None)
    read = glossary.concept_from_bytes if kind == "concept" else glossary.header_from_bytes
    versions = []
    for side, name in (("base", base_file), ("ours", ours_file), ("theirs", theirs_file)):
        try:
            raw = Path(name).read_bytes()
            versions.append(None if side == "base" and not raw.strip() else read(raw, f"{path} ({side})"))
        except (TermbaseError, OSError) as error:
            return _line_merge(base_file, ours_file, theirs_file, marker_size,
                               f"{path}: {side} cannot be read ({error}); merged line by line instead, check the result")
    merger = merge.merge_concepts if kind == "concept" else merge.merge_headers
    render = glossary.concept_bytes if kind == "concept" else glossary.header_bytes
    try:
        merged = merger(*versions)
    except ValueError as error:
        return _line_merge(base_file, ours_file, theirs_file, marker_size, f"{path}: {error}; merged line by line instead")
    ours = render(merged.ours)
    if not merged.conflicts:
        store_result(ours_file, ours)
        broken = _new_errors(merged.ours, versions[1:]) if kind == "concept" else []
        if broken:       # each side was fine, the combination is not: a person decides, as for a conflict
            return DriverResult(1, f"{path}: merged field by field, but the result has errors neither side had: "
                                   + "; ".join(broken) + " (fix the file, then `git add` it)")
        return DriverResult(0)
    store_result(ours_file, conflict_text(ours, render(merged.theirs), marker_size))
    names = conflict_names(merged.conflicts)
    return DriverResult(1, f"{path}: conflict in {', '.join(names)} (changed differently on both sides); "
                           "markers are around those fields only", merged.conflicts)


def _new_errors(concept, sides) -> list[str]:
    """The errors of the single-concept checks in `concept` that none of `sides` has."""
    from . import validate
    from .model import Termbase

    def errors(c):
        return {f"{p.message} [{p.check}]" for p in validate.concept_problems(c, Termbase()) if p.severity == "error"}
    return sorted(errors(concept).difference(*(errors(side) for side in sides)))


def conflict_names(conflicts) -> list[str]:
    """The names of conflicting fields, without those inside a conflicting term or section."""
    keys = [c.key for c in conflicts]
    top = [k for k in keys if not any(k[:len(other)] == other for other in keys if other != k)]
    return [merge.key_name(k) for k in top]


def conflict_text(ours: bytes, theirs: bytes, marker_size: int = MARKER_SIZE,
                  labels: tuple = ("ours", "theirs")) -> bytes:
    """`ours` with git conflict markers around each run of lines where `theirs` differs."""
    a, b = ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out += a[i1:i2]
        else:
            out += [b"<" * marker_size + b" " + labels[0].encode() + b"\n", *a[i1:i2], b"=" * marker_size + b"\n",
                    *b[j1:j2], b">" * marker_size + b" " + labels[1].encode() + b"\n"]
    return b"".join(out)


def _line_merge(base_file, ours_file, theirs_file, marker_size: int, reason: str | None) -> DriverResult:
    """git's own line merge (`git merge-file`), written through store_result."""
    done = git("merge-file", "-p", f"--marker-size={marker_size}", "-L", "ours", "-L", "base", "-L", "theirs",
               ours_file, base_file, theirs_file, check=False)
    if done.returncode < 0 or done.returncode > 127:
        return DriverResult(2, done.stderr.decode("utf-8", "replace").strip() or "git merge-file failed")
    store_result(ours_file, done.stdout)
    if reason is None:
        return DriverResult(1 if done.returncode else 0)
    return DriverResult(1, reason)


# --- setup ---------------------------------------------------------------------------------

def driver_command(on_path: bool = False) -> str:
    """The command git runs for the driver: the `termbase` beside the running Python (a venv's
    bin/), else the one on PATH, else this Python with `-m termbase.cli`."""
    script = Path(sys.executable).parent / ("termbase.exe" if os.name == "nt" else "termbase")
    if on_path:
        program = DRIVER
    elif script.is_file():
        program = shlex.quote(str(script))
    elif shutil.which(DRIVER):
        program = shlex.quote(shutil.which(DRIVER))
    else:
        program = f"{shlex.quote(sys.executable)} -m termbase.cli"
    return f"{program} merge-driver %O %A %B %P --marker-size %L"


def attributes_line(glossary_dir, top: Path) -> str:
    """The .gitattributes line that sends the glossary's YAML files to the driver."""
    relative = _relative(glossary_dir, top)
    pattern = "**/*.yaml" if relative == "." else f"{relative}/**/*.yaml"
    if any(c in pattern for c in ' "\\'):
        pattern = '"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{pattern} merge={DRIVER}"


def setup(glossary_dir, on_path: bool = False, init: bool = False) -> list[str]:
    """Register the merge driver in the repository's .git/config and its .gitattributes; idempotent.

    Returns what was done, one line each ("… already set up" when nothing was). With `init`, a
    glossary outside any repository gets one (`git init` in the folder that holds it).
    """
    glossary_dir = Path(glossary_dir)
    done = []
    top = repository(glossary_dir)
    if top is None:
        if not init:
            raise TermbaseError("not inside a git repository (run `git init` first)", glossary_dir)
        folder = glossary_dir.resolve().parent
        git("init", "-q", cwd=folder)
        done.append(f"created a git repository in {folder}")
        top = repository(glossary_dir)
    command = driver_command(on_path)
    for key, value in (("merge.termbase.name", DRIVER_NAME), ("merge.termbase.driver", command)):
        current = git("config", "--local", "--get", key, cwd=top, check=False).stdout.decode("utf-8").strip()
        if current != value:
            git("config", "--local", key, value, cwd=top)
            done.append(f"{'updated' if current else 'set'} {key} = {value} in .git/config")
    attributes = top / ".gitattributes"
    line = attributes_line(glossary_dir, top)
    text = attributes.read_text("utf-8") if attributes.exists() else ""
    if line not in (existing.strip() for existing in text.splitlines()):
        write_bytes_atomic(attributes, (text + ("\n" if text and not text.endswith("\n") else "") + line + "\n").encode())
        done.append(f"added '{line}' to {attributes} (commit it, so that the team shares it)")
    if not done:
        done.append(f"{top}: the termbase merge driver is already set up")
    return done


# --- history -------------------------------------------------------------------------------

@dataclass
class Revision:
    """One commit that changed a concept file, with the field-level changes it made."""

    commit: str
    parents: list
    author: str
    email: str
    date: str
    subject: str
    path: str
    renamed_from: str | None = None
    changes: list = field(default_factory=list)        # merge.Change
    error: str = ""                                     # a version that cannot be read

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    def as_dict(self) -> dict:
        return {"commit": self.commit, "parents": self.parents, "author": self.author, "email": self.email,
                "date": self.date, "subject": self.subject, "path": self.path, "renamed_from": self.renamed_from,
                "merge": self.is_merge, "error": self.error, "summary": summary(self.changes),
                "changes": [dict(c.as_dict(), text=describe(c)) for c in self.changes]}


_NO_BLOB = "0" * 40
_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%s"


def history(glossary_dir, concept_id: str) -> list[Revision]:
    """The commits that changed a concept's file, newest first, following renames, each with its
    field-level changes (a merge only when it changed fields itself, from every parent).

    The versions are read and compared while `git log` still walks the history.
    """
    top = repository(glossary_dir)
    if top is None:
        raise TermbaseError("not inside a git repository", glossary_dir)
    path = _relative(Path(glossary_dir) / glossary.CONCEPT_DIR / f"{concept_id}.yaml", top)
    log = _start("log", "--follow", "-M", "-c", "--raw", "--no-abbrev", f"--format={_FORMAT}", "--", path, cwd=top)
    versions = _Versions(top)
    revisions: list[Revision] = []
    try:
        entry: list = []
        for line in log.stdout:
            if line.startswith(b"\x1e") and entry:
                _add_revision(revisions, entry, versions)
                entry = []
            if line.startswith((b"\x1e", b":")):
                entry.append(line.decode("utf-8", "replace").rstrip("\n"))
        if entry:
            _add_revision(revisions, entry, versions)
        error = log.stderr.read().decode("utf-8", "replace").strip()
        if log.wait() != 0:
            raise TermbaseError(error.splitlines()[-1] if error else "git log failed", top)
    finally:
        log.stdout.close()
        log.stderr.close()
        log.wait()
        versions.close()
    return revisions


def _start(*args, cwd) -> subprocess.Popen:
    try:
        return subprocess.Popen(["git", *map(str, args)], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise TermbaseError("git is not installed (or not on PATH)") from None


def _add_revision(revisions: list, entry: list, versions: _Versions) -> None:
    """One `git log` entry (header line, raw diff lines) as a Revision with its changes."""
    commit, parents, author, email, date, subject = entry[0][1:].split("\x1f")
    if len(entry) < 2:
        return
    info, *paths = entry[1].split("\t")
    shas = [word for word in info.split() if len(word) == 40]     # each parent's version, then the commit's
    revision = Revision(commit, parents.split(), author, email, date, subject, paths[-1],
                        paths[0] if info.split()[-1].startswith(("R", "C")) and len(paths) == 2 else None)
    try:
        found = [versions.get(sha, revision.path) for sha in shas]
    except TermbaseError as error:
        revision.error = str(error)
        revisions.append(revision)
        return
    revision.changes = _own_changes(found[:-1], found[-1])
    if revision.changes or not revision.is_merge:      # a merge that only combined its parents says nothing
        revisions.append(revision)


class _Versions:
    """Concept versions by blob id, each read (by one `git cat-file --batch`) and flattened once."""

    def __init__(self, top: Path):
        self.process = _start("cat-file", "--batch", cwd=top)
        self.cache: dict = {_NO_BLOB: None}

    def get(self, sha: str, path: str):
        """(Concept, merge.flatten of it) for a blob id, None for no file; TermbaseError if unreadable."""
        if sha not in self.cache:
            try:
                concept = glossary.concept_from_bytes(self._read(sha, path), f"{path}@{sha[:10]}")
                self.cache[sha] = (concept, merge.flatten(concept))
            except TermbaseError as error:
                self.cache[sha] = error
        found = self.cache[sha]
        if isinstance(found, TermbaseError):
            raise found
        return found

    def _read(self, sha: str, path: str) -> bytes:
        self.process.stdin.write(f"{sha}\n".encode())
        self.process.stdin.flush()
        header = self.process.stdout.readline()
        if not header or header.endswith(b" missing\n"):
            raise TermbaseError(f"version {sha[:10]} is not in this clone", path)
        data = self.process.stdout.read(int(header.split()[2]) + 1)
        return data[:-1]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.stdout.close()
        self.process.stderr.close()
        self.process.wait()


def _own_changes(parents: list, result) -> list:
    """The changes from the parent version(s) to `result` (each (concept, flat) or None); for a merge,
    only the fields where an item or value differs from every parent that has the file (what the
    merge itself did, as git's combined diff shows it)."""
    present = [p for p in parents if p is not None]
    if result is None:
        return merge.diff_concepts(present[0][0], None) if present else []
    if not present:
        return merge.diff_concepts(None, result[0])
    changes = merge.diff_flat(result[0].id, present[0][1], result[1])
    if len(present) < 2:
        return changes
    merged = merge.record(glossary.concept_to_dict(result[0]))
    records = [merge.record(glossary.concept_to_dict(concept)) for concept, _ in present]
    own = {merge.key_name(key) for key in set(merged).union(*records) if all(r.get(key) != merged.get(key) for r in records)}
    return [c for c in changes if any(name == c.field or name.startswith(c.field + "[") for name in own)]


def describe(change: merge.Change) -> str:
    """A change in words: `en definition changed: …`, `ar term added: …`, `en term X: status admitted → deprecated`."""
    name = change.field
    if name == "concept":
        return f"concept {change.kind}: {change.new if change.kind == 'added' else change.old}"
    where, term, part = _term_field(name)
    if term is not None and not part:
        return f"{where} term {change.kind}: {term}"
    if term is not None:
        return f"{where} term {term}: " + _describe_value(part.replace("_", " "), change)
    return _describe_value(name.replace(".", " ").replace("_", " "), change)


def summary(changes: list) -> list[str]:
    """The changes in words, an added or removed term on one line with its type and status."""
    whole = {(c.field, c.kind) for c in changes if _term_field(c.field)[1] is not None and not _term_field(c.field)[2]}
    lines = []
    for change in changes:
        where, term, part = _term_field(change.field)
        if term is not None and part and (f"{where}.terms[{term}]", change.kind) in whole:
            continue                                  # told with the term itself
        line = describe(change)
        if term is not None and not part and change.kind == "added":
            qualities = [str(c.new) for c in changes if c.field in (f"{change.field}.type", f"{change.field}.status")]
            line += f" ({', '.join(qualities)})" if qualities else ""
        lines.append(line)
    return lines


def _term_field(name: str) -> tuple:
    """(language, term text, term field) of a flat field name `ar.terms[TEXT].status`; (name, None, "") otherwise."""
    where, found, rest = name.partition(".terms[")
    if not found:
        return name, None, ""
    if rest.endswith("]"):
        return where, rest[:-1], ""
    text, _, part = rest.rpartition("].")
    return where, text, part


def _describe_value(name: str, change: merge.Change) -> str:
    old, new = change.old, change.new
    if isinstance(old, list) or isinstance(new, list):
        old, new = old or [], new or []
        parts = [f"added {item}" for item in new if item not in old] + [f"removed {item}" for item in old if item not in new]
        return f"{name}: " + ("; ".join(parts) or "reordered")
    if change.kind == "added":
        return f"{name} added: {_short(new)}"
    if change.kind == "removed":
        return f"{name} removed (was {_short(old)})"
    if len(str(old)) > 40 or len(str(new)) > 40:
        before, after = _difference(str(old), str(new))
        return f"{name} changed: {before} → {after}"
    return f"{name} {old} → {new}"


def _difference(old: str, new: str, context: int = 16) -> tuple[str, str]:
    """The parts of two long texts that differ, with a few words around them."""
    prefix = len(os.path.commonprefix([old, new]))
    suffix = len(os.path.commonprefix([old[prefix:][::-1], new[prefix:][::-1]]))
    start = old.rfind(" ", 0, max(prefix - context, 0)) + 1 if prefix > context else 0

    def excerpt(text: str) -> str:
        end = len(text) - suffix
        stop = text.find(" ", end + context)
        stop = len(text) if stop < 0 else stop
        piece = _short(text[start:stop])
        return ("…" if start else "") + piece + ("…" if stop < len(text) and not piece.endswith("…") else "")
    return excerpt(old), excerpt(new)


def _short(value, width: int = 60) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= width else text[:width - 1] + "…"
