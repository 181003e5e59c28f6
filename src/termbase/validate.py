"""Glossary validation: each check is a small function yielding Problems for one concept file.

`validate(root)` runs every check over a glossary directory and returns Findings
(`path:line: severity: message [check-id]`), with lines resolved from the YAML only for
files that have problems, so a clean glossary costs little more than loading it.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import fields
from pathlib import Path

from . import arabic
from .errors import Finding, TermbaseError
from .glossary import (HEADER_FILE, Problem, concept_from_dict, concept_paths, concept_to_dict, conflict_line,
                       header_from_dict, locate, parse_yaml)
from .model import CONCEPT_ID, AdministrativeStatus, Concept, Termbase, TermType, check_language_tag

INVISIBLE = re.compile(f"[{arabic.BIDI_CONTROLS}{arabic.INVISIBLES}\u2061-\u2064\u180e]")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LATIN = re.compile("[A-Za-z]")
END_PUNCTUATION = tuple(".!?؟…)\"'»”")
LATIN_OK_TYPES = {TermType.ACRONYM, TermType.ABBREVIATION}


# Stray spaces in a YAML file show as two spaces after text, or as a quote next to a space
# (a value with leading/trailing space must be quoted); only then are the strings walked.
DOUBLE_SPACE = re.compile(r"\S  ")
QUOTED_SPACE = ("' ", " '", '" ', ' "', "\t")
SUSPICIOUS = re.compile(f"[{arabic.BIDI_CONTROLS}{arabic.INVISIBLES}\u2061-\u2064\u180e\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
                        "\ufb50-\ufdff\ufe70-\ufeff]")
VOCALIZED = re.compile(f"[{arabic.TASHKEEL}]")


def _strings(data, keypath=()):
    """Yield (keypath, text) for every string inside plain YAML data."""
    stack = [(keypath, data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            stack.extend((path + (key,), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((path + (index,), item) for index, item in enumerate(value))


# --- checks on the text of one file --------------------------------------------------------

def check_text(data, raw_text: str | None = None):
    """Invisible/bidi/control characters, non-NFC text, presentation forms, stray spaces.

    With the file's text, the character checks run per string only when the whole file
    has something to report.
    """
    deep = (raw_text is None or "\\" in raw_text       # a double-quoted escape can spell any character
            or SUSPICIOUS.search(raw_text) or not unicodedata.is_normalized("NFC", raw_text))
    if not deep and not any(q in raw_text for q in QUOTED_SPACE) and not DOUBLE_SPACE.search(raw_text):
        return
    for keypath, text in _strings(data):
        if ("  " in text or "\t" in text or text[:1].isspace() or text[-1:].isspace()) and "\n" not in text:
            yield Problem(keypath, f"leading, trailing or double spaces, or a tab, in {text!r}", "spacing")
        if not deep:
            continue
        match = INVISIBLE.search(text)
        if match:
            yield Problem(keypath, f"invisible or bidi control character U+{ord(match.group()):04X} in {text!r}", "invisible-char")
        if CONTROL.search(text):
            yield Problem(keypath, f"control character in {text!r}", "control-char")
        if not unicodedata.is_normalized("NFC", text):
            yield Problem(keypath, "text is not in Unicode NFC (run `termbase fmt`)", "not-nfc")
        if arabic.has_presentation_forms(text):
            yield Problem(keypath, f"Arabic presentation forms in {text!r}; use the base letters", "presentation-forms")


# --- checks on one concept -----------------------------------------------------------------

def check_id(concept: Concept, path: Path):
    if not CONCEPT_ID.match(concept.id):
        yield Problem(("id",), f"id {concept.id!r} must match [a-z0-9][a-z0-9-]*", "bad-id")
    elif concept.id != path.stem:
        yield Problem(("id",), f"id {concept.id!r} does not match the file name {path.name!r}", "id-file-name")


def check_languages(concept: Concept, path: Path):
    for tag in concept.languages:
        try:
            canonical = check_language_tag(tag)
        except ValueError as error:
            yield Problem(("languages", tag), str(error), "language-tag")
            continue
        if canonical != tag:
            yield Problem(("languages", tag), f"write the language tag as {canonical!r}", "language-tag", "warning")


def check_preferred(concept: Concept, path: Path):
    """Exactly one preferred term per language present."""
    for tag, section in concept.languages.items():
        preferred = [t for t in section.terms if t.status is AdministrativeStatus.PREFERRED]
        if len(preferred) != 1:
            found = "no" if not preferred else f"{len(preferred)}"
            yield Problem(("languages", tag, "terms"), f"{found} preferred term(s) in {tag!r}; exactly one is needed", "preferred-count")


def check_terms(concept: Concept, path: Path):
    for tag, section in concept.languages.items():
        arabic_section = tag.split("-")[0] == "ar"
        for index, term in enumerate(section.terms):
            keypath = ("languages", tag, "terms", index, "text")
            if arabic_section and LATIN.search(term.text) and term.type not in LATIN_OK_TYPES:
                yield Problem(keypath, f"Latin letters in Arabic term {term.text!r} that is not an acronym", "latin-in-arabic")
            if arabic_section and VOCALIZED.search(term.text):
                yield Problem(keypath, f"Arabic term {term.text!r} is vocalized; store it unvocalized (keep the vocalized form in `vocalized`)", "vocalized-term", "warning")


def check_definitions(concept: Concept, path: Path):
    for tag, section in concept.languages.items():
        text = section.definition.rstrip()
        if text and not text.endswith(END_PUNCTUATION):
            yield Problem(("languages", tag, "definition"), "definition does not end with punctuation", "definition-punctuation", "warning")


URL = re.compile(r"https?://[^\s/$.?#][^\s]*\Z")


def check_urls(concept: Concept, path: Path):
    for index, url in enumerate(concept.external_references):
        if not URL.match(url):
            yield Problem(("external_references", index), f"{url!r} is not an absolute http(s) URL", "bad-url", "warning")


CONCEPT_CHECKS = [check_id, check_languages, check_preferred, check_terms, check_definitions, check_urls]


# --- checks across the glossary ------------------------------------------------------------

def check_subject_fields(concept: Concept, header: Termbase):
    if not header.subject_fields:
        return
    for index, subject in enumerate(concept.subject_fields):
        if subject not in header.subject_fields:
            yield Problem(("subject_fields", index), f"subject field {subject!r} is not listed in {HEADER_FILE}", "unknown-subject")


def check_sources(concept: Concept, header: Termbase):
    known = {source.id for source in header.sources}
    if not known:
        return
    for index, source in enumerate(concept.sources):
        if source not in known:
            yield Problem(("sources", index), f"source {source!r} is not listed in {HEADER_FILE}", "unknown-source", "warning")
    for tag, section in concept.languages.items():
        for index, term in enumerate(section.terms):
            if term.context_source and term.context_source not in known:
                yield Problem(("languages", tag, "terms", index, "context_source"),
                              f"context source {term.context_source!r} is not listed in {HEADER_FILE}", "unknown-source", "warning")


def check_cross_references(concept: Concept, ids: set):
    for index, target in enumerate(concept.cross_references):
        if target not in ids:
            yield Problem(("cross_references", index), f"cross-reference to unknown concept {target!r}", "dangling-xref")
        elif target == concept.id:
            yield Problem(("cross_references", index), "concept refers to itself", "self-xref", "warning")


def duplicate_preferred(concepts: dict) -> dict:
    """{concept id: [Problem]} for preferred terms shared (after normalization) by several concepts."""
    owners = defaultdict(list)
    for concept in concepts.values():
        for tag, section in concept.languages.items():
            for index, term in enumerate(section.terms):
                if term.is_preferred:
                    owners[(tag, arabic.normalize(term.text))].append((concept.id, index, term.text))
    found = defaultdict(list)
    for (tag, _), holders in owners.items():
        if len(holders) > 1:
            for concept_id, index, text in holders:
                others = ", ".join(other for other, _, _ in holders if other != concept_id)
                found[concept_id].append(Problem(("languages", tag, "terms", index, "text"),
                                                 f"preferred term {text!r} is also preferred in {others}", "duplicate-preferred"))
    return found


def concept_problems(concept: Concept, header: Termbase, path: Path | None = None) -> list[Problem]:
    """Every check that looks at one concept alone (and at the header's subject fields and sources)."""
    path = path or Path(f"{concept.id}.yaml")
    problems = []
    for check in CONCEPT_CHECKS:
        problems += check(concept, path)
    problems += check_subject_fields(concept, header)
    problems += check_sources(concept, header)
    return problems


# --- running it all ------------------------------------------------------------------------

def _findings(path, raw, problems):
    return [Finding(path, locate(raw, p.keypath), p.severity, p.message, p.check) for p in problems]


def merge_conflict(path, raw: bytes) -> Finding | None:
    """An error at the first git conflict marker of a file, if it has one (`parse_yaml` refuses such a file)."""
    line = conflict_line(raw)
    if line is None:
        return None
    return Finding(path, line, "error", "unresolved merge conflict (git conflict markers); keep one side "
                   "of each conflict and delete the marker lines", "merge-conflict")


def validate(root, progress=None) -> list[Finding]:
    """Every finding for the glossary directory `root`, in file order.

    `progress`, if given, is called with (done, total) as files are checked.
    """
    root = Path(root)
    header_path = root / HEADER_FILE
    findings: list[Finding] = []
    header = Termbase()
    if not header_path.is_file():
        return [Finding(header_path, None, "error", f"{HEADER_FILE} is missing", "missing-file")]
    raw = header_path.read_bytes()
    try:
        problems: list = []
        header = header_from_dict(parse_yaml(raw, header_path), problems)
        problems += list(check_text(parse_yaml(raw, header_path)))
        findings += _findings(header_path, raw, problems)
    except TermbaseError as error:
        findings.append(merge_conflict(header_path, raw)
                        or Finding(header_path, error.line, "error", error.message, "malformed-yaml", error.column))

    loaded = {}
    unreadable = set()      # ids of files that cannot be read: references to them are not dangling
    paths = concept_paths(root)
    for done, path in enumerate(paths, 1):
        if progress is not None:
            progress(done, len(paths))
        raw = path.read_bytes()
        try:
            data = parse_yaml(raw, path)
        except TermbaseError as error:
            findings.append(merge_conflict(path, raw)
                            or Finding(path, error.line, "error", error.message, "malformed-yaml", error.column))
            unreadable.add(path.stem)
            continue
        problems = []
        concept = concept_from_dict(data, problems)
        problems += check_text(data, raw.decode("utf-8", "replace"))
        if concept is not None:
            problems += concept_problems(concept, header, path)
            if concept.id in loaded:
                problems.append(Problem(("id",), f"id {concept.id!r} is used by another file too", "duplicate-id"))
            else:
                loaded[concept.id] = (path, raw, concept, problems)
                continue
        findings += _findings(path, raw, problems)

    ids = set(loaded) | unreadable
    duplicates = duplicate_preferred({cid: entry[2] for cid, entry in loaded.items()})
    for concept_id, (path, raw, concept, problems) in loaded.items():
        problems += check_cross_references(concept, ids)
        problems += duplicates.get(concept_id, [])
        if problems:
            findings += _findings(path, raw, problems)
    return sorted(findings, key=lambda f: (f.path or "", f.line or 0))


def validate_termbase(termbase: Termbase, origin: str = "<termbase>", only=None) -> list[Finding]:
    """The checks that apply to a termbase not read from YAML (e.g. before an import is written).

    With `only` (concept ids), just those concepts are checked: an import answers for what it changes.
    """
    findings = []
    ids = set(termbase.concepts)
    for concept in termbase:
        if only is not None and concept.id not in only:
            continue
        data = concept_to_dict(concept)
        problems = []
        concept_from_dict(data, problems)      # what reading the written file back would report (an empty term…)
        problems += check_text(data)
        problems += concept_problems(concept, termbase)
        problems += check_cross_references(concept, ids)
        for problem in problems:
            findings.append(Finding(origin, None, problem.severity, f"concept {concept.id}: {problem.message}", problem.check))
    for concept_id, problems in duplicate_preferred(termbase.concepts).items():
        if only is not None and concept_id not in only:
            continue
        for problem in problems:
            findings.append(Finding(origin, None, problem.severity, f"concept {concept_id}: {problem.message}", problem.check))
    return findings


def sanitize(termbase: Termbase, origin: str = "<termbase>") -> list[Finding]:
    """Clean imported text in place: NFC, Arabic presentation forms folded, invisible and bidi
    controls removed. Each change is reported as a warning naming the concept and field."""
    findings = []

    def clean_text(text, where):
        new = text
        if INVISIBLE.search(new):
            new = INVISIBLE.sub("", new)
            findings.append(Finding(origin, None, "warning", f"{where}: removed invisible or bidi control characters from {text!r}", "invisible-char"))
        if arabic.has_presentation_forms(new):
            new = arabic.fold_presentation_forms(new)
            findings.append(Finding(origin, None, "warning", f"{where}: folded Arabic presentation forms in {text!r}", "presentation-forms"))
        return unicodedata.normalize("NFC", new)

    def clean(obj, where):
        """Every text and list-of-text field of a concept, section or term (the id and tags stay as they are)."""
        for f in fields(obj):
            value = getattr(obj, f.name)
            if f.name in ("id", "lang"):
                continue
            if type(value) is str and value:
                setattr(obj, f.name, clean_text(value, f"{where}.{f.name}"))
            elif type(value) is list and value and all(type(item) is str for item in value):
                setattr(obj, f.name, [clean_text(item, f"{where}.{f.name}") for item in value])

    for concept in termbase:
        clean(concept, concept.id)
        for tag, section in concept.languages.items():
            clean(section, f"{concept.id}.{tag}")
            for term in section.terms:
                clean(term, f"{concept.id}.{tag}.terms[{term.text}]")
    return findings
