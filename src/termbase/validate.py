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
from typing import NamedTuple

from . import arabic
from .errors import Finding, TermbaseError
from .glossary import (CONCEPT_DIR, HEADER_FILE, Problem, concept_from_dict, concept_paths, concept_to_dict, header_from_dict,
                       conflict_line, locate, parse_yaml)
from .model import CONCEPT_ID, AdministrativeStatus, Concept, PartOfSpeech, Termbase, TermType, check_language_tag
from .progress import counted

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
    """Arabic terms: Latin letters only in acronyms and abbreviations, and in proper nouns
    (`part_of_speech: properNoun`), whose Latin names Arabic texts keep in Latin script
    (`مشروع Baseline`); no tashkeel in the term itself."""
    for tag, section in concept.languages.items():
        arabic_section = tag.split("-")[0] == "ar"
        for index, term in enumerate(section.terms):
            keypath = ("languages", tag, "terms", index, "text")
            if (arabic_section and LATIN.search(term.text) and term.type not in LATIN_OK_TYPES
                    and term.part_of_speech is not PartOfSpeech.PROPER_NOUN):
                yield Problem(keypath, f"Latin letters in Arabic term {term.text!r} that is neither an acronym nor "
                              "a proper noun (part_of_speech: properNoun)", "latin-in-arabic")
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

def unknown_subject(position: int, subject: str) -> Problem:
    return Problem(("subject_fields", position), f"subject field {subject!r} is not listed in {HEADER_FILE}", "unknown-subject")


def unknown_source(keypath: tuple, source: str) -> Problem:
    what = "context source" if keypath[-1] == "context_source" else "source"
    return Problem(keypath, f"{what} {source!r} is not listed in {HEADER_FILE}", "unknown-source", "warning")


def check_subject_fields(concept: Concept, header: Termbase):
    if not header.subject_fields:
        return
    for index, subject in enumerate(concept.subject_fields):
        if subject not in header.subject_fields:
            yield unknown_subject(index, subject)


def check_sources(concept: Concept, header: Termbase):
    known = {source.id for source in header.sources}
    if not known:
        return
    for index, source in enumerate(concept.sources):
        if source not in known:
            yield unknown_source(("sources", index), source)
    for tag, section in concept.languages.items():
        for index, term in enumerate(section.terms):
            if term.context_source and term.context_source not in known:
                yield unknown_source(("languages", tag, "terms", index, "context_source"), term.context_source)


def check_cross_references(concept: Concept, ids: set):
    for index, target in enumerate(concept.cross_references):
        if target not in ids or target == concept.id:
            yield odd_cross_reference(index, target, target in ids)


def odd_cross_reference(position: int, target: str, exists: bool) -> Problem:
    """A cross-reference to an unknown concept (error), or to the concept itself (warning)."""
    if not exists:
        return Problem(("cross_references", position), f"cross-reference to unknown concept {target!r}", "dangling-xref")
    return Problem(("cross_references", position), "concept refers to itself", "self-xref", "warning")


def duplicate_preferred(concepts: dict) -> dict:
    """{concept id: [Problem]} for preferred terms shared (after normalization) by several concepts.

    A warning: one term designating several concepts (homonymy, polysemy) is normal across
    subject fields, as in IATE; the message says when the concepts share a subject field,
    where it more likely means one concept entered twice.
    """
    owners = defaultdict(list)
    for concept in concepts.values():
        for tag, section in concept.languages.items():
            for index, term in enumerate(section.terms):
                if term.is_preferred:
                    owners[(tag, arabic.normalize(term.text))].append((concept.id, tag, index, term.text))
    return duplicate_preferred_problems(owners.values(), {c.id: c.subject_fields for c in concepts.values()})


def duplicate_preferred_problems(groups, subjects_of) -> dict:
    """{concept id: [Problem]} from groups of (concept id, language tag, term index, text) that
    share one normalized preferred term, each group in glossary order; `subjects_of` maps a
    concept id to its subject fields. A homonym is normal across subject fields and suspicious
    within one, which the warning says."""
    found = defaultdict(list)
    for holders in groups:
        if len(holders) > 1:
            for concept_id, tag, index, text in holders:
                others = [other for other, *_ in holders if other != concept_id]
                message = f"preferred term {text!r} is also preferred in {', '.join(others)}"
                own = subjects_of[concept_id]
                shared = [f"{other} ({', '.join(s for s in subjects_of[other] if s in own)})"
                          for other in others if set(subjects_of[other]) & set(own)]
                if shared:
                    message += f"; same subject field as {', '.join(shared)}: one concept entered twice?"
                found[concept_id].append(Problem(("languages", tag, "terms", index, "text"), message,
                                                 "duplicate-preferred", "warning"))
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


def header_findings(root: Path) -> tuple[Termbase, list[Finding]]:
    """The header of glossary `root` (empty if it does not load) and the findings in it."""
    header_path = root / HEADER_FILE
    if not header_path.is_file():
        return Termbase(), [Finding(header_path, None, "error", f"{HEADER_FILE} is missing", "missing-file")]
    raw = header_path.read_bytes()
    aliases: list = []
    try:
        problems: list = []
        data = parse_yaml(raw, header_path, aliases)
        header = header_from_dict(data, problems)
        problems += list(check_text(data))
        return header, aliases + _findings(header_path, raw, problems)
    except TermbaseError as error:
        return Termbase(), aliases + [merge_conflict(header_path, raw)
                                      or Finding(header_path, error.line, "error", error.message, "malformed-yaml",
                                                 error.column)]


class FileCheck(NamedTuple):
    """What one concept file holds and what is wrong with it on its own."""

    data: dict | None           # the YAML mapping, None if it does not parse
    concept: Concept | None     # None if it does not parse or has no usable structure
    findings: list              # validate's findings for this file alone
    load_error: TermbaseError | None   # why reading the glossary would stop at this file


def file_findings(path: Path, raw: bytes) -> FileCheck:
    """One concept file checked alone: the checks that need neither the header nor other files."""
    from .glossary import check_loaded

    aliases: list = []
    try:
        data = parse_yaml(raw, path, aliases)
    except TermbaseError as error:
        return FileCheck(None, None, aliases + [merge_conflict(path, raw)
                                                or Finding(path, error.line, "error", error.message, "malformed-yaml",
                                                           error.column)], error)
    problems: list = []
    concept = concept_from_dict(data, problems)
    load_error = None
    try:
        check_loaded(concept, problems, raw, path)
    except TermbaseError as error:
        load_error = error
    problems += check_text(data, raw.decode("utf-8", "replace"))
    if concept is not None:
        for check in CONCEPT_CHECKS:
            problems += check(concept, path)
    return FileCheck(data, concept, aliases + _findings(path, raw, problems), load_error)


def header_problems(concept: Concept, header: Termbase) -> list[Problem]:
    """The checks of one concept against the header's subject fields and sources."""
    return list(check_subject_fields(concept, header)) + list(check_sources(concept, header))


def duplicate_id(concept_id: str) -> Problem:
    return Problem(("id",), f"id {concept_id!r} is used by another file too", "duplicate-id")


def validate(root, progress=None) -> list[Finding]:
    """Every finding for the glossary directory `root`, in file order, reading every file.

    `progress`, if given, is called with (done, total) as files are checked.
    """
    root = Path(root)
    header, findings = header_findings(root)
    if findings and findings[0].check == "missing-file":
        return findings
    loaded = {}
    paths = concept_paths(root)
    for done, path in enumerate(paths, 1):
        if progress is not None:
            progress(done, len(paths))
        raw = path.read_bytes()
        _, concept, found, _ = file_findings(path, raw)
        findings += found
        if concept is None:
            continue
        problems = header_problems(concept, header)
        if concept.id in loaded:
            problems.append(duplicate_id(concept.id))
            findings += _findings(path, raw, problems)
        else:
            loaded[concept.id] = (path, raw, concept, problems)
    ids = set(loaded)
    duplicates = duplicate_preferred({cid: entry[2] for cid, entry in loaded.items()})
    for concept_id, (path, raw, concept, problems) in loaded.items():
        problems += check_cross_references(concept, ids)
        problems += duplicates.get(concept_id, [])
        if problems:
            findings += _findings(path, raw, problems)
    return sorted(findings, key=lambda f: (f.path or "", f.line or 0))


def validate_indexed(root, header: Termbase, header_found: list, index) -> list[Finding]:
    """`validate` for a glossary whose files an up-to-date index holds: each file's own findings
    come from the index (worked out when the file was read), the checks across files are queries."""
    root = Path(root)
    folder = root / CONCEPT_DIR
    findings = list(header_found)
    problems: dict = defaultdict(list)
    for name, found in index.files_with_findings():
        findings += [Finding(folder / name, line, severity, message, check, column)
                     for line, severity, message, check, column in found]
    if header.subject_fields:
        for file, position, subject in index.unknown_subjects(header.subject_fields):
            problems[file].append(unknown_subject(position, subject))
    if header.sources:
        for file, keypath, source in index.unknown_sources([source.id for source in header.sources]):
            problems[file].append(unknown_source(keypath, source))
    for file, concept_id in index.duplicate_id_files():
        problems[file].append(duplicate_id(concept_id))
    for file, position, target, exists in index.odd_cross_references():
        problems[file].append(odd_cross_reference(position, target, exists))
    groups = index.shared_preferred_terms()
    file_of = {(cid, tag, position): file for group in groups for cid, tag, position, _, file in group}
    subjects_of = index.subject_fields_of({cid for group in groups for cid, *_ in group})
    for concept_id, found in duplicate_preferred_problems([[h[:4] for h in group] for group in groups],
                                                          subjects_of).items():
        for problem in found:
            _, tag, _, position, _ = problem.keypath
            problems[file_of[(concept_id, tag, position)]].append(problem)
    for file in sorted(problems):
        path = folder / file
        findings += _findings(path, path.read_bytes(), _in_check_order(problems[file]))
    return sorted(findings, key=lambda f: (f.path or "", f.line or 0))


CROSS_ORDER = {"unknown-subject": 0, "unknown-source": 1, "duplicate-id": 2, "dangling-xref": 3, "self-xref": 3,
               "duplicate-preferred": 4}


def _in_check_order(problems: list) -> list:
    """Problems in the order `validate` finds them: header checks, duplicate id, cross-references,
    duplicate preferred terms (a stable sort keeps each check's own order)."""
    return sorted(problems, key=lambda p: CROSS_ORDER[p.check])


def validate_termbase(termbase: Termbase, origin: str = "<termbase>", only=None, progress=None) -> list[Finding]:
    """The checks that apply to a termbase not read from YAML (e.g. before an import is written).

    With `only` (concept ids), just those concepts are checked: an import answers for what it changes.
    `progress(concepts, total)` hears how far the checks are.
    """
    findings = []
    ids = set(termbase.concepts)
    for concept in counted(termbase, progress):
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
