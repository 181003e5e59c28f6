"""gettext PO, en → ar: one entry per concept, for translators' tools and gettext lookups.

Each concept that has a source-language term becomes

    #. subject: crime-types
    #. en definition: …
    #. en type: fullForm
    #. en status: preferred
    #. ar definition: …
    #. ar admitted: <another Arabic term>
    #: 003_c984302149a11a87
    msgctxt "<concept id>"
    msgid "<source preferred term>"
    msgstr "<target preferred term>"

Extracted comments (`#.`) are `key: value` lines: concept fields (`subject`, `review status`,
`see`, `url`, `created`, `created by`, `modified`, `modified by`, `note`), language fields
prefixed with the language tag (`definition`, `definition source`, `section note`) and every
field of the two preferred terms (`type`, `status`, `part of speech`, `gender`, `number`,
`geographical usage`, `context`, `context source`, `form` (one line each), `vocalized`,
`term note`). Every other term of either language is one line `<lang> <status>: <text>`
(`ar admitted: …`, `en deprecated: …`, `<lang> term: …` when it has no status); those terms keep
only their text and status. A backslash or line break inside a value is written `\\\\` / `\\n`.
References (`#:`) are the concept's corpus sources. Lines are not wrapped, so comments stay one
line each. The header comes from Babel's locale data (Language, Plural-Forms); the dates are the
newest concept date, so the same termbase always gives the same bytes.

Writing streams: each entry is formatted as it comes, byte for byte as polib writes it (polib
itself formats the rare entry with characters it escapes), so a conversion from TBX holds one
concept at a time. The header's date is only known after the last entry; see `write`.

Reading accepts any PO file: entries without our comments become concepts with the msgid as
source term and msgstr as target term; plural entries take the singular and keep the other forms
as `forms` (with a warning); obsolete entries are skipped with a warning; a fuzzy flag makes the
concept a draft; translator comments, flags, code references and unknown comment lines go into the
concept note.
"""
from __future__ import annotations

import datetime as _dt
import functools
import operator
import re
import shutil
import tempfile
from pathlib import Path

import polib

from ..errors import Finding, TermbaseError
from ..model import (add_note, AdministrativeStatus, Concept, Gender, LangSection, Number, PartOfSpeech,
                     ReviewStatus, Term, Termbase, TermType, Vocabulary, check_language_tag, primary_language)
from ..model import unique_id
from ..progress import counted, within
from .delimited import field_text, parse_field

FALLBACK_DATE = _dt.date(1970, 1, 1)
CONCEPT_KEYS = [("subject", "subject_fields", list), ("review status", "review_status", ReviewStatus),
                ("see", "cross_references", list), ("url", "external_references", list),
                ("created", "created", _dt.date), ("created by", "created_by", None),
                ("modified", "modified", _dt.date), ("modified by", "modified_by", None), ("note", "note", None)]
SECTION_KEYS = [("definition", "definition", None), ("definition source", "definition_source", None),
                ("section note", "note", None)]
TERM_KEYS = [("type", "type", TermType), ("status", "status", AdministrativeStatus),
             ("part of speech", "part_of_speech", PartOfSpeech), ("gender", "gender", Gender),
             ("number", "number", Number), ("geographical usage", "geographical_usage", None),
             ("context", "context", None), ("context source", "context_source", None),
             ("form", "forms", list), ("vocalized", "vocalized", None), ("term note", "note", None)]
OTHER_TERM = ["term"] + [s.short for s in AdministrativeStatus]
_KEY_LINE = re.compile(r"(?:(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*) )?(?P<key>[a-z][a-z ]*?): (?P<value>.*)\Z", re.S)


def _escape(value: str) -> str:
    if "\\" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
    return value


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), value)


def _fields(keys, prefix: str = "") -> tuple:
    """The line prefixes of `keys` and one getter fetching all their attributes at once."""
    return tuple(f"{prefix}{key}: " for key, _, _ in keys), operator.attrgetter(*(attr for _, attr, _ in keys))


_CONCEPT_FIELDS = _fields(CONCEPT_KEYS)


@functools.lru_cache(maxsize=None)
def _language_fields(lang: str) -> tuple:
    """The section fields and term fields of `lang`, and its line prefix for other terms by status."""
    others = {status: f"{lang} {status.short if status else 'term'}: " for status in [None, *AdministrativeStatus]}
    return _fields(SECTION_KEYS, f"{lang} "), _fields(TERM_KEYS, f"{lang} "), others


# The text of every vocabulary value a comment line can hold (field_text, looked up once).
_VOCABULARY_TEXT = {value: _escape(field_text(value)) for _, _, kind in CONCEPT_KEYS + SECTION_KEYS + TERM_KEYS
                    if isinstance(kind, type) and issubclass(kind, Vocabulary) for value in kind}


def _add_lines(lines: list, fields: tuple, obj) -> None:
    prefixes, get = fields
    for prefix, value in zip(prefixes, get(obj)):
        if not value:                                   # None, "" and [] give no line
            continue
        if type(value) is str:
            lines.append(prefix + _escape(value))
        elif type(value) is list:
            lines += [prefix + _escape(item) for item in value]
        else:
            text = _VOCABULARY_TEXT.get(value)
            lines.append(prefix + (text if text is not None else _escape(field_text(value))))


def comment_lines(concept: Concept, source_lang: str, target_lang: str) -> list[str]:
    """The extracted-comment lines of a concept's entry."""
    lines: list = []
    _add_lines(lines, _CONCEPT_FIELDS, concept)
    for lang in (source_lang, target_lang):
        section = concept.section(lang)
        if section is None:
            continue
        section_fields, term_fields, others = _language_fields(lang)
        _add_lines(lines, section_fields, section)
        main = section.preferred()
        if main is not None:
            _add_lines(lines, term_fields, main)
        for term in section.terms:
            if term is not main and term.text:
                lines.append(others[term.status] + _escape(term.text))
    return lines


def newest_date(newest: _dt.date | None, concept: Concept) -> _dt.date | None:
    """The later of `newest` and the concept's dates."""
    for date in (concept.created, concept.modified):
        if date and (newest is None or date > newest):
            newest = date
    return newest


def header(termbase: Termbase, source_lang: str, target_lang: str, newest: _dt.date | None = None) -> dict:
    """The PO header fields, from Babel's data for `target_lang`; the dates are `newest`."""
    from babel import Locale
    from babel.messages.plurals import get_plural

    locale = Locale.parse(target_lang.replace("-", "_"))
    date = f"{(newest or FALLBACK_DATE).isoformat()} 00:00+0000"
    return {
        "Project-Id-Version": termbase.title or "termbase",
        "Report-Msgid-Bugs-To": "",
        "POT-Creation-Date": date,
        "PO-Revision-Date": date,
        "Last-Translator": "",
        "Language-Team": locale.english_name,
        "Language": str(locale),
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": get_plural(str(locale)).plural_forms,
        "X-Generator": "termbase",
        "X-Source-Language": source_lang,
    }


def header_file(termbase: Termbase, source_lang: str, target_lang: str, newest: _dt.date | None) -> polib.POFile:
    """An entry-less PO file holding the header comment and the header entry (also the MO header)."""
    po = polib.POFile(wrapwidth=0)
    po.header = (f"{termbase.title or 'Termbase'}: {source_lang} → {target_lang} terminology.\n"
                 "Generated by termbase from the glossary; edit the glossary, not this file.")
    po.metadata = header(termbase, source_lang, target_lang, newest)
    return po


def entries(concepts, source_lang: str, target_lang: str, warnings: list | None = None):
    """Yield (concept, msgid, msgstr) for each concept with a `source_lang` term; warn about the others."""
    for concept in concepts:
        source = concept.preferred_term(source_lang)
        if source is None:
            if warnings is not None:
                warnings.append(Finding(None, None, "warning", f"concept {concept.id!r} has no {source_lang} term; "
                                        "not in the PO file", "po-no-source", where=concept.id))
            continue
        target = concept.preferred_term(target_lang)
        yield concept, source.text, target.text if target else ""


# What polib escapes, and where str.splitlines() breaks (polib then writes a field over several lines).
_POLIB_SPECIAL = re.compile('[\\\\\t\n\r\v\b\f"\x1c\x1d\x1e\x85\u2028\u2029]')


def entry_text(concept: Concept, msgid: str, msgstr: str, source_lang: str, target_lang: str) -> str:
    """One PO entry exactly as polib writes it with wrapwidth=0 (ending in a newline)."""
    lines = comment_lines(concept, source_lang, target_lang)
    if _POLIB_SPECIAL.search(concept.id) or _POLIB_SPECIAL.search(msgid) or _POLIB_SPECIAL.search(msgstr):
        return polib.POEntry(msgctxt=concept.id, msgid=msgid, msgstr=msgstr, comment="\n".join(lines),
                             occurrences=[(s, "") for s in concept.sources]).__unicode__(0)
    comments = "#. " + "\n#. ".join(lines) + "\n" if lines else ""
    if concept.sources:
        comments += "#: " + " ".join(concept.sources) + "\n"
    return f'{comments}msgctxt "{concept.id}"\nmsgid "{msgid}"\nmsgstr "{msgstr}"\n'


SPOOL_BYTES = 1024 * 1024
FLUSH_EVERY = 512


def _write_entries(target, concepts, source_lang, target_lang, warnings) -> _dt.date | None:
    """Write the entries (each after a blank line) to `target`; return the newest concept date."""
    newest, batch = None, []
    for concept, msgid, msgstr in entries(concepts, source_lang, target_lang, warnings):
        newest = newest_date(newest, concept)
        batch.append(entry_text(concept, msgid, msgstr, source_lang, target_lang))
        if len(batch) == FLUSH_EVERY:
            target.write(("\n" + "\n".join(batch)).encode("utf-8"))
            batch.clear()
    if batch:
        target.write(("\n" + "\n".join(batch)).encode("utf-8"))
    return newest


def write(termbase: Termbase, target, source_lang: str = "en", target_lang: str = "ar",
          warnings: list | None = None, concepts=None, progress=None, **options) -> None:
    """Write `termbase` as a PO file to the binary stream `target` (`progress(concepts, total)`
    hears of the entries written).

    With `concepts` (any iterable, consumed once) `termbase` gives only the header. The header
    comes first but its dates are the newest concept date, known after the last entry. An ISO
    date has a fixed length, so on a seekable target the header is written with a placeholder
    date and rewritten in place at the end; otherwise the entries go through a spooled temporary
    file (in memory up to `SPOOL_BYTES`, then on disk) copied after the header. The bytes are the
    same either way, and the same as for the whole termbase at once.
    """
    items = counted(termbase if concepts is None else concepts, progress)

    def head(newest) -> bytes:
        return str(header_file(termbase, source_lang, target_lang, newest)).encode("utf-8")

    if getattr(target, "seekable", lambda: False)():
        start, placeholder = target.tell(), head(None)
        target.write(placeholder)
        final = head(_write_entries(target, items, source_lang, target_lang, warnings))
        assert len(final) == len(placeholder), "an ISO date has a fixed length"
        end = target.tell()
        target.seek(start)
        target.write(final)
        target.seek(end)
        return
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as spool:
        newest = _write_entries(spool, items, source_lang, target_lang, warnings)
        target.write(head(newest))
        spool.seek(0)
        shutil.copyfileobj(spool, target, 1024 * 1024)


# --- reading ----------------------------------------------------------------------------------

def _read_text(source) -> tuple[str, str | None]:
    if isinstance(source, (str, Path)):
        try:
            raw, path = Path(source).read_bytes(), str(source)
        except OSError as error:
            raise TermbaseError(f"cannot read: {error.strerror}", source) from None
    else:
        raw, path = source.read(), getattr(source, "name", None)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    match = re.search(rb"charset=([A-Za-z0-9_.:-]+)", raw[:4096])
    charset = match.group(1).decode("ascii") if match and match.group(1) != b"CHARSET" else "utf-8"
    try:
        return raw.decode(charset), path
    except LookupError:
        raise TermbaseError(f"unknown charset {charset!r} in the PO header", path, raw[:match.start()].count(b"\n") + 1) from None
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise TermbaseError(f"not {charset}: byte 0x{raw[error.start]:02x} cannot be decoded", path, line) from None


class _Lines(str):
    """PO text whose lines, as polib takes them (`splitlines`), are counted for `progress`."""

    progress = None

    def splitlines(self, keepends: bool = False):
        return counted(str.splitlines(self, keepends), self.progress)


class _Entry:
    """Builds one concept from one PO entry."""

    def __init__(self, entry, path, warnings, source_lang, target_lang):
        self.entry, self.path, self.warnings = entry, path, warnings
        self.source_lang, self.target_lang = source_lang, target_lang

    def warn(self, message, check):
        if self.warnings is not None:
            self.warnings.append(Finding(self.path, self.entry.linenum, "warning", message, check))

    def build(self, concept_id: str) -> Concept:
        entry = self.entry
        concept = Concept(id=concept_id)
        source_term = Term(text=entry.msgid)
        sections = {self.source_lang: LangSection(lang=self.source_lang, terms=[source_term])}
        target_text, forms = entry.msgstr, []
        if entry.msgid_plural:
            source_term.forms = [entry.msgid_plural]
            plural = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
            index = 1 if primary_language(self.target_lang) == "ar" and len(plural) > 1 else 0
            target_text = plural[index] if plural else ""
            forms = [p for i, p in enumerate(plural) if i != index and p and p != target_text]
            forms = list(dict.fromkeys(forms))
            self.warn(f"plural entry {entry.msgid!r}: singular taken as the term, the other plural forms as its forms",
                      "po-plural")
        main_target = Term(text=target_text, forms=forms) if target_text else None
        if main_target:
            sections[self.target_lang] = LangSection(lang=self.target_lang, terms=[main_target])
        mains = {self.source_lang: source_term, self.target_lang: main_target}
        for line in entry.comment.split("\n") if entry.comment else []:
            self.comment_line(line, concept, sections, mains)
        if "fuzzy" in entry.flags and concept.review_status is None:
            concept.review_status = ReviewStatus.DRAFT
        other_flags = [f for f in entry.flags if f != "fuzzy"]
        if other_flags:
            add_note(concept, f"flags: {', '.join(other_flags)}")
        for path, line in entry.occurrences:
            if line:
                add_note(concept, f"reference: {path}:{line}")
            else:
                concept.sources.append(path)
        if entry.tcomment:
            add_note(concept, entry.tcomment)
        if entry.msgctxt is not None and entry.msgctxt != concept_id:
            add_note(concept, f"msgctxt: {entry.msgctxt}")
        concept.languages = {tag: s for tag, s in sections.items() if s.terms or s.definition or s.definition_source or s.note}
        return concept

    def comment_line(self, line, concept, sections, mains) -> None:
        match = _KEY_LINE.match(line)
        if match is None:
            return self.unknown(line, concept)
        lang, key, value = match.group("lang"), match.group("key"), _unescape(match.group("value"))
        if lang is None:
            spec = next((s for s in CONCEPT_KEYS if s[0] == key), None)
            return self.set(concept, spec, value, line, concept) if spec else self.unknown(line, concept)
        if lang not in (self.source_lang, self.target_lang):
            return self.unknown(line, concept)
        section = sections.setdefault(lang, LangSection(lang=lang))
        spec = next((s for s in SECTION_KEYS if s[0] == key), None)
        if spec:
            return self.set(section, spec, value, line, concept)
        spec = next((s for s in TERM_KEYS if s[0] == key), None)
        if spec and mains.get(lang) is not None:
            return self.set(mains[lang], spec, value, line, concept)
        if key in OTHER_TERM:
            section.terms.append(Term(text=value, status=None if key == "term" else AdministrativeStatus.parse(key)))
            return None
        return self.unknown(line, concept)

    def set(self, obj, spec, value, line, concept) -> None:
        _, attr, kind = spec
        try:
            parsed = parse_field(kind, value)
        except ValueError as error:
            self.warn(f"{error}; comment line kept in the note", "po-comment")
            return add_note(concept, line)
        if kind is list:
            getattr(obj, attr).extend(parsed)
        else:
            setattr(obj, attr, parsed)
        return None

    def unknown(self, line, concept) -> None:
        self.warn(f"comment line not understood, kept in the note: {line[:60]!r}", "po-comment")
        add_note(concept, line)


def read(source, warnings: list | None = None, source_lang: str | None = None,
         target_lang: str | None = None, progress=None, **options) -> Termbase:
    """Read a PO file (path or binary stream) into a Termbase. `progress(bytes, total)` hears how
    far the reading is: polib's pass over the lines is the first half of the file's bytes, the
    entries' the second."""
    text, path = _read_text(source)
    if progress is not None:
        size = len(text.encode("utf-8"))
        text = _Lines(text)
        text.progress = within(progress, 0, size // 2, size)
        progress = within(progress, size // 2, size - size // 2, size)
    try:
        po = polib.pofile(text, wrapwidth=0)
    except (OSError, ValueError) as error:
        match = re.search(r"line (\d+)", str(error))
        raise TermbaseError(f"malformed PO: {error}", path, int(match.group(1)) if match else None) from None
    metadata = po.metadata
    try:
        source_lang = check_language_tag(source_lang or metadata.get("X-Source-Language") or "en")
        target_lang = check_language_tag(target_lang or metadata.get("Language") or "ar")
    except ValueError as error:
        raise TermbaseError(f"{error} (PO header Language / X-Source-Language)", path) from None
    termbase = Termbase(title=metadata.get("Project-Id-Version", ""), languages=[source_lang, target_lang])
    if po.header and metadata.get("X-Generator") != "termbase":
        termbase.description = po.header
    for entry in counted(po, progress):
        builder = _Entry(entry, path, warnings, source_lang, target_lang)
        if entry.obsolete:
            builder.warn(f"obsolete entry {entry.msgid!r} skipped", "po-obsolete")
            continue
        wanted = entry.msgctxt or ""
        if re.fullmatch(r"[a-z0-9][a-z0-9-]*", wanted) and wanted not in termbase.concepts:
            concept_id = wanted
        else:
            concept_id = unique_id(entry.msgctxt or entry.msgid, termbase.concepts, f"entry-{entry.linenum}")
        termbase.add(builder.build(concept_id))
    return termbase
