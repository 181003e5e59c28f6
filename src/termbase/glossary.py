"""The glossary directory: `termbase.yaml` plus `concepts/<id>.yaml`, one concept per file.

The YAML form is canonical: fixed key order (the model's field order), empty fields omitted,
NFC, LF, UTF-8 without BOM, no aliases, Arabic as characters, multi-line text as `|` blocks.
Reading then writing an unchanged glossary gives the same bytes.
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path


from .errors import Finding, TermbaseError
from .fileio import decode_text
from .model import (spellings, AdministrativeStatus, Concept, Gender, LangSection, Number, PartOfSpeech,
                    ReviewStatus, Source, Termbase, TermType, Term, Vocabulary)
from .progress import counted

HEADER_FILE = "termbase.yaml"
CONCEPT_DIR = "concepts"

VOCABULARIES = {"type": TermType, "status": AdministrativeStatus, "part_of_speech": PartOfSpeech,
                "gender": Gender, "number": Number, "review_status": ReviewStatus}
LIST_FIELDS = {"subject_fields", "cross_references", "external_references", "sources", "forms"}
DATE_FIELDS = {"created", "modified"}
REQUIRED = {Concept: "id", Term: "text"}
VOCABULARY_SPELLINGS = {name: spellings(vocabulary) for name, vocabulary in VOCABULARIES.items()}
PLAIN_TEXT = ({f.name for cls in (Concept, LangSection, Term) for f in fields(cls)}
              - set(VOCABULARIES) - LIST_FIELDS - DATE_FIELDS - {"languages", "terms", "lang"})


@dataclass
class Problem:
    """Something wrong in one glossary file, at a key path inside it."""

    keypath: tuple
    message: str
    check: str
    severity: str = "error"


# --- model -> plain data -------------------------------------------------------------------

def _plain_value(name, value):
    if type(value) is str:                    # the common case first (enums are str subclasses)
        return unicodedata.normalize("NFC", value)
    if isinstance(value, AdministrativeStatus):
        return value.short
    if isinstance(value, Vocabulary):
        return value.value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [unicodedata.normalize("NFC", item) for item in value]
    return value


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


@functools.cache
def _field_names(cls) -> tuple:
    """The fields a model class writes to YAML, in order (`lang` is the section's key instead)."""
    return tuple(f.name for f in fields(cls) if f.name != "lang")


def _to_plain(obj) -> dict:
    data = {}
    for name in _field_names(type(obj)):
        value = getattr(obj, name)
        if _is_empty(value):
            continue
        if name == "languages":
            value = {tag: _to_plain(section) for tag, section in value.items()}
        elif name == "terms":
            value = [_to_plain(term) for term in value]
        else:
            value = _plain_value(name, value)
        data[name] = value
    return data


def concept_to_dict(concept: Concept) -> dict:
    """The concept as the plain mapping its YAML file holds."""
    return _to_plain(concept)


def header_to_dict(termbase: Termbase) -> dict:
    data = {"title": termbase.title, "description": termbase.description,
            "languages": list(termbase.languages), "subject_fields": dict(termbase.subject_fields),
            "sources": [{k: v for k, v in vars(s).items() if k == "id" or not _is_empty(v)} for s in termbase.sources]}
    return {key: value for key, value in data.items() if not _is_empty(value)}


# --- plain data -> model -------------------------------------------------------------------

def _parse_value(name, value, keypath, problems):
    if name in VOCABULARIES:
        try:
            return VOCABULARIES[name].parse(value if not isinstance(value, bool) else str(value))
        except ValueError as error:
            problems.append(Problem(keypath, str(error), "bad-value"))
            return None
    if name in DATE_FIELDS:
        if isinstance(value, _dt.datetime):
            return value.date()
        if isinstance(value, _dt.date):
            return value
        try:
            return _dt.date.fromisoformat(str(value))
        except ValueError:
            problems.append(Problem(keypath, f"{value!r} is not a date (YYYY-MM-DD)", "bad-value"))
            return None
    if name in LIST_FIELDS:
        if isinstance(value, (str, int, float)):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            problems.append(Problem(keypath, f"{name} must be a list of text items", "bad-value"))
            return []
        return [str(v) for v in value]
    if isinstance(value, (dict, list)):
        problems.append(Problem(keypath, f"{name} must be text, not a {'mapping' if isinstance(value, dict) else 'list'}", "bad-value"))
        return ""
    return "" if value is None else str(value)


@lru_cache(maxsize=None)
def _known_keys(cls) -> frozenset:
    return frozenset(f.name for f in fields(cls)) - {"lang"}


def _from_plain(cls, data, keypath, problems, **extra):
    if not isinstance(data, dict):
        found = "nothing (the file is empty)" if data is None and not keypath else type(data).__name__
        problems.append(Problem(keypath, f"expected a mapping of {cls.__name__.lower()} fields, found {found}", "bad-structure"))
        return None
    known = _known_keys(cls)
    for key in (data.keys() - known if not known.issuperset(data) else ()):
        if key not in known:
            problems.append(Problem(keypath + (key,), f"unknown key {key!r} in {cls.__name__.lower()}; known: {', '.join(sorted(known))}", "unknown-key"))
    required = REQUIRED.get(cls)
    if required and _is_empty(data.get(required)):
        problems.append(Problem(keypath, f"missing required field {required!r}", "missing-field"))
        return None
    values = dict(extra)
    for key, value in data.items():
        if type(value) is str:     # the common cases, kept cheap
            if key in PLAIN_TEXT:
                values[key] = value
                continue
            member = VOCABULARY_SPELLINGS.get(key, {}).get(value)
            if member is not None:
                values[key] = member
                continue
        if key not in known or value is None:
            continue
        path = keypath + (key,)
        if key == "languages":
            if not isinstance(value, dict):
                problems.append(Problem(path, "languages must be a mapping of language tag to section", "bad-structure"))
                continue
            sections = {}
            for tag, section in value.items():
                parsed = _from_plain(LangSection, section, path + (tag,), problems, lang=str(tag))
                if parsed is not None:
                    sections[str(tag)] = parsed
            values[key] = sections
        elif key == "terms":
            if not isinstance(value, list):
                problems.append(Problem(path, "terms must be a list", "bad-structure"))
                continue
            terms = [_from_plain(Term, item, path + (i,), problems) for i, item in enumerate(value)]
            values[key] = [t for t in terms if t is not None]
        else:
            values[key] = _parse_value(key, value, path, problems)
    return cls(**values)


def concept_from_dict(data, problems: list | None = None) -> Concept | None:
    """Build a Concept from its YAML mapping; problems found are appended to `problems`."""
    return _from_plain(Concept, data, (), problems if problems is not None else [])


def header_from_dict(data, problems: list) -> Termbase:
    termbase = Termbase()
    if not isinstance(data, dict):
        problems.append(Problem((), "termbase.yaml must be a mapping", "bad-structure"))
        return termbase
    known = {"title", "description", "languages", "subject_fields", "sources"}
    for key in data:
        if key not in known:
            problems.append(Problem((key,), f"unknown key {key!r} in termbase.yaml", "unknown-key"))
    termbase.title = str(data.get("title") or "")
    termbase.description = str(data.get("description") or "")
    if data.get("languages") is not None:
        termbase.languages = [str(tag) for tag in data.get("languages") or []]
    subjects = data.get("subject_fields") or {}
    if isinstance(subjects, list):
        subjects = {str(s): "" for s in subjects}
    termbase.subject_fields = {str(k): str(v or "") for k, v in subjects.items()}
    for i, source in enumerate(data.get("sources") or []):
        if not isinstance(source, dict) or "id" not in source:
            problems.append(Problem(("sources", i), "each source needs an id", "missing-field"))
            continue
        unknown = set(source) - {"id", "title", "date", "publisher", "url"}
        for key in unknown:
            problems.append(Problem(("sources", i, key), f"unknown key {key!r} in source", "unknown-key"))
        termbase.sources.append(Source(**{k: str(v or "") for k, v in source.items() if k not in unknown}))
    return termbase


# --- YAML text -----------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _dumper():
    """libyaml's dumper without aliases, multi-line text as `|` blocks (PyYAML loads on first use)."""
    import yaml

    class Dumper(yaml.CSafeDumper):
        def ignore_aliases(self, data):
            return True

    def represent_str(dumper, value):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    return Dumper


def dump_yaml(data) -> bytes:
    """Canonical YAML bytes for plain data."""
    import yaml

    text = yaml.dump(data, Dumper=_dumper(), allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=1_000_000, indent=2)
    return text.encode("utf-8")


def concept_bytes(concept: Concept) -> bytes:
    return dump_yaml(concept_to_dict(concept))


def header_bytes(termbase: Termbase) -> bytes:
    return dump_yaml(header_to_dict(termbase))


NULLS = {"", "~", "null", "Null", "NULL"}

try:
    from . import _yamlplain      # the C fast path of _load_text (setup.py; optional)
except ImportError:
    _yamlplain = None


def _load_text(text: str, path, aliases: list | None = None):
    """Plain data from one YAML document, every scalar as text (a null is None).

    Built straight from libyaml's event stream: twice as fast as `yaml.load` with the C loader,
    which resolves types we never want (a term `yes` stays the text "yes"; dates are parsed
    by the model) and silently keeps the last of two equal keys, which is reported here.
    Anchors and aliases are followed; with `aliases`, each is appended to it as a Finding.

    The common document (no anchor, alias or tag, text keys given once, no error) is read by
    the C extension `_yamlplain` when it was built, five times faster; it hands every other
    document to `_load_events`, which decides.
    """
    if _yamlplain is not None:
        loaded = _yamlplain.load(text)
        if loaded is not None:
            return loaded[0]
    return _load_events(text, path, aliases)


def _load_events(text: str, path, aliases: list | None = None):
    """`_load_text` in Python, over the event objects of PyYAML's C parser."""
    import yaml
    from yaml._yaml import CParser

    parser = CParser(text)
    stack, anchors, anchor_lines = [], {}, {}
    current = root = key = None
    documents = 0
    try:
        while True:
            event = parser.get_event()
            if event is None:
                break
            kind = type(event)
            if kind is yaml.ScalarEvent:
                value = None if event.implicit[0] and event.value in NULLS else event.value
                if event.anchor:
                    anchors[event.anchor] = value
                    if aliases is not None:
                        aliases.append(_alias_finding(event, False, anchor_lines, path))
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                value = {} if kind is yaml.MappingStartEvent else []
                if event.anchor:
                    anchors[event.anchor] = value
                    if aliases is not None:
                        aliases.append(_alias_finding(event, False, anchor_lines, path))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                current, key = stack.pop()
                continue
            elif kind is yaml.AliasEvent:
                if event.anchor not in anchors:
                    raise TermbaseError(f"malformed YAML: unknown alias *{event.anchor}", path, event.start_mark.line + 1)
                value = anchors[event.anchor]
                if aliases is not None:
                    aliases.append(_alias_finding(event, True, anchor_lines, path))
            else:
                if kind is yaml.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise TermbaseError("malformed YAML: more than one document in the file", path, event.start_mark.line + 1)
                continue
            if type(current) is dict:
                if key is None:
                    if not isinstance(value, str):
                        raise TermbaseError("malformed YAML: a key must be text", path, event.start_mark.line + 1)
                    if value in current:
                        raise TermbaseError(f"duplicate key {value!r}", path, event.start_mark.line + 1, event.start_mark.column + 1)
                    key = value
                    continue
                current[key] = value
                key = None
            elif type(current) is list:
                current.append(value)
            else:
                root = value
            if type(value) is dict or type(value) is list:
                stack.append((current, key))
                current, key = value, None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise TermbaseError(f"malformed YAML: {problem}", path,
                            mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    finally:
        parser.dispose()
    return root


_CONFLICT_MARKER = re.compile(rb"^(?:<{7}|={7}|>{7})(?:[ \t]|\r?$)", re.M)


def conflict_line(raw: bytes) -> int | None:
    """The line of the first git conflict marker (`<<<<<<<`, `=======`, `>>>>>>>` starting a line), if any."""
    match = _CONFLICT_MARKER.search(raw)
    return None if match is None else raw.count(b"\n", 0, match.start()) + 1


def _alias_finding(event, is_alias: bool, anchor_lines: dict, path) -> Finding:
    """A `yaml-alias` error for an anchor (&name) or alias (*name): the loaded data repeats the
    anchored value where the raw file shows only a name."""
    line, column = event.start_mark.line + 1, event.start_mark.column + 1
    if is_alias:
        where = f" (anchored at line {anchor_lines[event.anchor]})" if event.anchor in anchor_lines else ""
        message = f"YAML alias *{event.anchor} stands for a value written elsewhere{where}"
    else:
        anchor_lines[event.anchor] = line
        message = f"YAML anchor &{event.anchor}"
    return Finding(path, line, "error", f"{message}; glossary files spell every value out (run `termbase fmt`)",
                   "yaml-alias", column)


def parse_yaml(raw: bytes, path, aliases: list | None = None) -> object:
    """Decode and parse one YAML file; errors name the file, line and column (a file with git
    conflict markers is refused before its YAML is read).

    With `aliases`, every YAML anchor and alias is appended to it as a `yaml-alias` Finding.
    """
    line = conflict_line(raw)
    if line is not None:
        raise TermbaseError("unresolved merge conflict (git conflict markers); resolve it, then run "
                            "`termbase validate` [merge-conflict]", path, line)
    return _load_text(decode_text(raw, path, utf16=False), path, aliases)


def locate(raw: bytes, keypath: tuple) -> int | None:
    """The 1-based line of `keypath` inside a YAML document (the deepest part that exists)."""
    import yaml

    try:
        node = yaml.compose(raw.decode("utf-8-sig"), Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for key in keypath:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(key):
                    line, node = key_node.start_mark.line + 1, value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


# --- the directory -------------------------------------------------------------------------

def is_glossary(path) -> bool:
    path = Path(path)
    return path.is_dir() and (path / HEADER_FILE).is_file()


def concept_paths(root) -> list[Path]:
    folder = Path(root) / CONCEPT_DIR
    if folder.exists() and not folder.is_dir():
        raise TermbaseError(f"{CONCEPT_DIR} must be a folder of concept files", folder)
    return sorted((Path(root) / CONCEPT_DIR).glob("*.yaml"), key=lambda path: path.name)


def _raise_first(problems, raw, path):
    for problem in problems:
        if problem.severity == "error":
            raise TermbaseError(f"{problem.message} [{problem.check}]", path, locate(raw, problem.keypath))


def read_header(root) -> Termbase:
    path = Path(root) / HEADER_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TermbaseError(f"not a glossary: {HEADER_FILE} is missing (create one with `termbase init`)", Path(root)) from None
    return header_from_bytes(raw, path)


def header_from_bytes(raw: bytes, path) -> Termbase:
    """The header in the bytes of a `termbase.yaml`; the first error raises TermbaseError naming `path`."""
    problems: list = []
    termbase = header_from_dict(parse_yaml(raw, path), problems)
    _raise_first(problems, raw, path)
    return termbase


def concept_from_bytes(raw: bytes, path) -> Concept:
    """The concept in the bytes of a concept file, whatever the file's name (git's temporary
    versions); the first error raises TermbaseError naming `path`."""
    problems: list = []
    concept = concept_from_dict(parse_yaml(raw, path), problems)
    _raise_first(problems, raw, path)
    return concept


def load_concept(raw: bytes, path: Path) -> tuple[dict, Concept]:
    """(YAML mapping, Concept) of one concept file's bytes; its first error raises TermbaseError."""
    problems: list = []
    data = parse_yaml(raw, path)
    concept = concept_from_dict(data, problems)
    check_loaded(concept, problems, raw, path)
    return data, concept


def check_loaded(concept: Concept | None, problems: list, raw: bytes, path: Path) -> None:
    """Raise the error that keeps a parsed concept file from loading, if any: its first error
    problem, or an id that is not its file name."""
    _raise_first(problems, raw, path)
    if concept.id != path.stem:
        raise TermbaseError(f"id {concept.id!r} does not match the file name [id-file-name]", path, locate(raw, ("id",)))


def concept_file(root, concept_id: str) -> Path | None:
    """The file concept `concept_id` lives in, or None for an id that cannot be a file name."""
    if not concept_id or "/" in concept_id or "\\" in concept_id or "\0" in concept_id or concept_id.startswith("."):
        return None
    return Path(root) / CONCEPT_DIR / f"{concept_id}.yaml"


def read_concept_file(path) -> Concept:
    path = Path(path)
    return load_concept(path.read_bytes(), path)[1]


def read(root, progress=None) -> Termbase:
    """Read a glossary directory into a Termbase; the first error raises TermbaseError.

    `progress`, if given, is called with (done, total) as files are read.
    """
    termbase = read_header(root)
    paths = concept_paths(root)
    for done, path in enumerate(paths, 1):
        termbase.add(read_concept_file(path))
        if progress is not None:
            progress(done, len(paths))
    return termbase


def write_concept(root, concept: Concept) -> Path:
    """Write one concept file atomically; returns its path."""
    from .store import journal

    path = Path(root) / CONCEPT_DIR / f"{concept.id}.yaml"
    journal.commit(root, {path: concept_bytes(concept)})
    return path


def rendered(termbase: Termbase, root, progress=None) -> dict[Path, bytes]:
    """Every file of the glossary directory for `termbase`, as {path: bytes} (`progress(concepts,
    total)` hears of the concepts rendered)."""
    root = Path(root)
    files = {root / HEADER_FILE: header_bytes(termbase)}
    for concept in counted(termbase, progress):
        files[root / CONCEPT_DIR / f"{concept.id}.yaml"] = concept_bytes(concept)
    return files


def changes(termbase: Termbase, root, prune: bool = True, progress=None) -> tuple[dict, list]:
    """({path: bytes} that differ from the files, [paths to remove]) to make `root` hold
    `termbase`; with `prune`, concept files of concepts no longer in it are removed."""
    files = rendered(termbase, root, progress)
    changed = {path: data for path, data in files.items()
               if not path.exists() or path.read_bytes() != data}
    stale = [path for path in concept_paths(root) if path not in files] if prune else []
    return changed, stale


def write(termbase: Termbase, root, prune: bool = True) -> list[Path]:
    """Write the whole glossary, all or nothing (`store.journal`); files whose bytes are
    unchanged are not touched. Returns the paths written or removed."""
    from .store import journal

    Path(root).mkdir(parents=True, exist_ok=True)
    changed, stale = changes(termbase, root, prune)
    journal.commit(root, changed, remove=stale)
    return sorted(changed) + stale
