"""Glossary tables: CSV, TSV and the OmegaT tab-separated glossary.

**CSV / TSV** (`dialect="csv"|"tsv"`). One header row, then one row per concept; a concept with
several terms in a language gets continuation rows with the same `id`, the k-th row holding the
k-th term of each language (concept and language cells only in its first row). Column names
follow the memoQ / Phrase convention of language-code columns: the bare code (`en`, `ar`) holds
the term, `<code>_<Field>` its data. The full set, in this order:

    id subject review_status note cross_references external_references sources
    created created_by modified modified_by
    then per language: <L> <L>_Def <L>_Def_Source <L>_Section_Note <L>_Type <L>_Status <L>_POS
    <L>_Gender <L>_Number <L>_Geo <L>_Context <L>_Context_Source <L>_Forms <L>_Vocalized <L>_Note

List cells hold one item per line. CSV is UTF-8 with a BOM (for spreadsheet apps; `bom=False`
drops it), RFC 4180 quoting and CRLF line ends; TSV is UTF-8 without BOM, LF, quoting only cells
that contain a tab, quote or line break. Every model field except the termbase header (title,
description, subject-field labels, source list) survives a round trip.

Spreadsheet formula neutralisation (OWASP "CSV injection"): a written cell starting with `=`,
`+`, `-`, `@`, tab or CR — or with apostrophes followed by one of those — gets one leading `'`.
The reader removes exactly that apostrophe, so our own files round-trip; a cell from elsewhere that
starts with a formula character is kept verbatim and reported (`=` as an error, since no term or
definition starts with it, the others as warnings: `-ism`, `+966`, `@handle` are real text).

**OmegaT** (`dialect="omegat"`): `source<TAB>target<TAB>comment`, no header, no quoting, lines
starting with `#` are comments (as OmegaT's GlossaryReaderTSV reads it); no formula escaping,
since OmegaT would show the apostrophe. One line per pair of a source term and a non-deprecated
target term; the comment is the source-language definition. Reading merges consecutive lines with
the same comment and a shared term into one concept (our own export's pairs come back as one).
Written as UTF-8 without BOM under a `.utf8` name, which OmegaT always reads as UTF-8; the first
line is OmegaT's own `-*- coding: utf-8 -*-` comment. Tabs and line breaks inside cells become
spaces; a source term starting with `#` is written after one space (OmegaT trims cells).

Reading (all dialects): BOM detection (UTF-8, UTF-16 LE/BE), else strict UTF-8 (a bad byte is a
TermbaseError naming the line); blank lines skipped; header detected when every cell of the first
row is a known column name or language code (also Translate Toolkit's `source`/`target`), or when
it names term columns in two languages (its other cells are then unmapped columns); without
one, columns are source term, target term (and for OmegaT, comment) in `source_lang`/`target_lang`
(default en → ar). Surrounding spaces are trimmed and reported; columns we cannot map are
reported once and their cells kept in the concept note as `column: value`.
"""
from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..fileio import decode_text
from ..errors import Finding, TermbaseError
from ..progress import counted, within
from ..model import (add_note, AdministrativeStatus, Concept, Gender, LangSection, Number, PartOfSpeech, ReviewStatus,
                     Term, TermType, Termbase, check_language_tag, unique_id)

DIALECTS = ("csv", "tsv", "omegat")
LIST_SEPARATOR = "\n"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = re.compile(r"'*[=+\-@\t\r]")
OMEGAT_MAGIC = "# Glossary in tab-separated format -*- coding: utf-8 -*-"

# (column name, attribute, vocabulary or kind)
CONCEPT_COLUMNS = [
    ("id", "id", None), ("subject", "subject_fields", list), ("review_status", "review_status", ReviewStatus),
    ("note", "note", None), ("cross_references", "cross_references", list),
    ("external_references", "external_references", list), ("sources", "sources", list),
    ("created", "created", _dt.date), ("created_by", "created_by", None),
    ("modified", "modified", _dt.date), ("modified_by", "modified_by", None),
]
SECTION_COLUMNS = [("Def", "definition", None), ("Def_Source", "definition_source", None),
                   ("Section_Note", "note", None)]
TERM_COLUMNS = [
    ("Type", "type", TermType), ("Status", "status", AdministrativeStatus),
    ("POS", "part_of_speech", PartOfSpeech), ("Gender", "gender", Gender), ("Number", "number", Number),
    ("Geo", "geographical_usage", None), ("Context", "context", None),
    ("Context_Source", "context_source", None), ("Forms", "forms", list),
    ("Vocalized", "vocalized", None), ("Note", "note", None),
]
# Names other tools give the same columns (lower case).
CONCEPT_ALIASES = {"entry_id": "id", "concept id": "id", "conceptid": "id", "cid": "id",
                   "entry_subject": "subject", "subject field": "subject", "subjectfield": "subject",
                   "domain": "subject", "entry_note": "note", "status": "review_status"}
# Translate Toolkit's other CSV columns: recognised as a header, kept in the note.
FOREIGN_COLUMNS = {"location", "fuzzy", "context", "translator_comments", "developer_comments"}
SUFFIX_ALIASES = {"definition": "Def", "def": "Def", "term_note": "Note", "term_info": "Note",
                  "partofspeech": "POS", "part_of_speech": "POS", "term_type": "Type",
                  "usage": "Note", "example": "Context", "term_example": "Context"}


@dataclass(frozen=True)
class Column:
    """What one table column holds: a concept field, or a field of a language section or term."""

    level: str            # "concept", "section", "term", "comment" or "unmapped"
    attr: str = ""
    kind: object = None
    lang: str = ""
    name: str = ""


# --- helpers shared with other table formats --------------------------------------------------

def neutralize(cell: str) -> str:
    """The cell as written: a leading `'` if a spreadsheet would take it for a formula."""
    return "'" + cell if _ESCAPED.match(cell) else cell


def unneutralize(cell: str) -> str:
    """Undo `neutralize`."""
    return cell[1:] if cell.startswith("'") and _ESCAPED.match(cell) else cell


def decode(raw: bytes, path=None) -> str:
    """Text of a table file: by BOM (UTF-8, UTF-16 LE/BE), else strict UTF-8."""
    return decode_text(raw, path)


def _read_bytes(source) -> tuple[bytes, str | None]:
    if isinstance(source, (str, Path)):
        try:
            return Path(source).read_bytes(), str(source)
        except OSError as error:
            raise TermbaseError(f"cannot read: {error.strerror}", source) from None
    return source.read(), getattr(source, "name", None)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --- writing ----------------------------------------------------------------------------------

def field_text(value) -> str:
    """A model value as text: vocabulary values (`preferred` for statuses), ISO dates, list items one a line."""
    if value is None:
        return ""
    if isinstance(value, AdministrativeStatus):
        return value.short
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    return str(value)


def parse_field(kind, text: str):
    """The model value for `text` in a field of `kind` (None, list, date or a vocabulary); ValueError if invalid."""
    if kind is None:
        return text
    if kind is list:
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    if kind is _dt.date:
        return _dt.date.fromisoformat(text.strip()[:10])
    return kind.parse(text.strip())


def _languages(termbase: Termbase) -> list[str]:
    tags = list(termbase.languages)
    for concept in termbase:
        for tag in concept.languages:
            if tag not in tags:
                tags.append(tag)
    return tags


def header(languages) -> list[str]:
    """The column names of a CSV/TSV export for `languages`."""
    names = [name for name, _, _ in CONCEPT_COLUMNS]
    for lang in languages:
        names.append(lang)
        names += [f"{lang}_{suffix}" for suffix, _, _ in SECTION_COLUMNS + TERM_COLUMNS]
    return names


def table_rows(termbase: Termbase, progress=None):
    """The header, then the rows of a CSV/TSV export, as lists of plain (unneutralised) cells."""
    languages = _languages(termbase)
    yield header(languages)
    for concept in counted(termbase, progress):
        sections = [concept.languages.get(lang) for lang in languages]
        count = max([len(s.terms) for s in sections if s] + [1])
        for k in range(count):
            row = [concept.id if name == "id" else (field_text(getattr(concept, attr)) if k == 0 else "")
                   for name, attr, _ in CONCEPT_COLUMNS]
            for section in sections:
                term = section.terms[k] if section and k < len(section.terms) else None
                row.append(term.text if term else "")
                row += [field_text(getattr(section, attr)) if section and k == 0 else "" for _, attr, _ in SECTION_COLUMNS]
                row += [field_text(getattr(term, attr)) if term else "" for _, attr, _ in TERM_COLUMNS]
            yield row


def omegat_rows(termbase: Termbase, source_lang: str = "en", target_lang: str = "ar", progress=None):
    """(source, target, comment) for every source term × usable target term."""
    def flat(text):
        return re.sub(r"[\t\r\n]+", " ", text).strip()

    retired = {AdministrativeStatus.DEPRECATED, AdministrativeStatus.SUPERSEDED}
    for concept in counted(termbase, progress):
        source, target = concept.section(source_lang), concept.section(target_lang)
        if not source or not target:
            continue
        comment = flat(source.definition)
        for s in source.terms:
            for t in target.terms:
                if t.status in retired or not flat(s.text) or not flat(t.text):
                    continue
                text = flat(s.text)
                yield (" " + text if text.startswith("#") else text), flat(t.text), comment


def write(termbase: Termbase, target, dialect: str = "csv", bom: bool | None = None,
          source_lang: str = "en", target_lang: str = "ar", progress=None, **options) -> None:
    """Write `termbase` as a CSV, TSV or OmegaT table to the binary stream `target`
    (`progress(concepts, total)` hears of the concepts written)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {DIALECTS}")
    buffer = io.StringIO(newline="")
    if dialect == "omegat":
        lines = [OMEGAT_MAGIC] + ["\t".join(row) for row in omegat_rows(termbase, source_lang, target_lang, progress)]
        buffer.write("".join(f"{line}\n" for line in lines))
    else:
        writer = csv.writer(buffer, delimiter="," if dialect == "csv" else "\t",
                            lineterminator="\r\n" if dialect == "csv" else "\n", quoting=csv.QUOTE_MINIMAL)
        for row in table_rows(termbase, progress):
            writer.writerow([neutralize(unicodedata.normalize("NFC", cell)) for cell in row])
    if bom is None:
        bom = dialect == "csv"
    target.write((codecs.BOM_UTF8 if bom else b"") + unicodedata.normalize("NFC", buffer.getvalue()).encode("utf-8"))


# --- reading ----------------------------------------------------------------------------------

def _language(tag: str) -> str | None:
    """The canonical tag if `tag` is a language code (with script/region only), else None."""
    if not re.fullmatch(r"[A-Za-z]{2,3}([-_]([A-Za-z]{4}|[A-Za-z]{2}|\d{3}))*", tag.strip()):
        return None
    try:
        return check_language_tag(tag.strip())
    except ValueError:
        return None


def parse_column(name: str) -> Column | None:
    """What a header cell names, or None when it is not a column we know."""
    name = name.strip()
    lowered = name.lower()
    concept_names = {n: (attr, kind) for n, attr, kind in CONCEPT_COLUMNS}
    lowered = CONCEPT_ALIASES.get(lowered, lowered)
    if lowered in concept_names:
        attr, kind = concept_names[lowered]
        return Column("concept", attr, kind, name=name)
    if lowered in ("source", "target", "term"):
        return Column("term", "text", None, lang="<source>" if lowered != "target" else "<target>", name=name)
    if lowered in FOREIGN_COLUMNS:
        return Column("unmapped", name=name)
    if lowered in ("description", "definition", "comment"):
        return Column("section", "definition", None, lang="<source>", name=name)
    known = {s.lower(): (s, attr, kind, "section") for s, attr, kind in SECTION_COLUMNS}
    known.update({s.lower(): (s, attr, kind, "term") for s, attr, kind in TERM_COLUMNS})
    for alias, suffix in SUFFIX_ALIASES.items():
        known.setdefault(alias, known[suffix.lower()])
    for suffix in sorted(known, key=len, reverse=True):
        if lowered.endswith("_" + suffix):
            lang = _language(name[:-len(suffix) - 1])
            if lang:
                _, attr, kind, level = known[suffix]
                return Column(level, attr, kind, lang=lang, name=name)
    lang = _language(name)
    if lang:
        return Column("term", "text", None, lang=lang, name=name)
    return None


def _positional(width: int, dialect: str, source_lang: str, target_lang: str) -> list[Column]:
    columns = [Column("term", "text", lang=source_lang, name="1"), Column("term", "text", lang=target_lang, name="2")]
    if dialect == "omegat":
        columns.append(Column("section", "definition", lang=source_lang, name="comment"))
    while len(columns) < width:
        columns.append(Column("unmapped", name=f"column {_column_letter(len(columns))}"))
    return columns[:max(width, len(columns) if dialect == "omegat" else 2)]


class _Reader:
    """State of one table being read: the termbase so far and where the findings go."""

    def __init__(self, path, warnings, dialect, source_lang, target_lang):
        self.path, self.warnings, self.dialect = path, warnings, dialect
        self.source_lang, self.target_lang = source_lang, target_lang
        self.termbase = Termbase(languages=[])
        self.reported: set = set()
        self.previous: Concept | None = None

    def warn(self, line, message, check, severity="warning", column=None, where=None):
        if self.warnings is not None:
            self.warnings.append(Finding(self.path, line, severity, message, check, column, where))

    def cell(self, raw: str, line: int, row: int, index: int, column: Column) -> str:
        where = f"cell {_column_letter(index)}{row}"
        value = raw
        if self.dialect == "omegat" and index == 0 and raw.startswith(" #") and not raw[2:].startswith(" "):
            value = raw[1:]                          # our escape for a source term starting with '#'
        elif value != value.strip():
            value = value.strip()
            self.warn(line, f"surrounding spaces trimmed from {value!r}", "table-spaces", column=index + 1, where=where)
        if self.dialect == "omegat":                 # not a spreadsheet file: no formula escaping
            return unicodedata.normalize("NFC", value)
        if _ESCAPED.match(value) and value.startswith("'"):
            return unicodedata.normalize("NFC", unneutralize(value))
        if value.startswith(FORMULA_START):
            severity = "error" if value.startswith("=") else "warning"
            self.warn(line, f"cell starts with {value[0]!r} and a spreadsheet would run it as a formula: "
                            f"{value[:40]!r} (kept as text)", "table-formula", severity, index + 1, where)
        return unicodedata.normalize("NFC", value)

    def convert(self, column: Column, value: str, line: int, index: int, row: int):
        """The model value for a cell, or None (with a finding) when it is not a valid value."""
        try:
            return parse_field(column.kind, value)
        except ValueError:
            self.warn(line, f"{value!r} is not a valid {column.name} value; kept in the note", "table-value",
                      column=index + 1, where=f"cell {_column_letter(index)}{row}")
            return None


def _records(text: str, dialect: str, progress=None):
    """(first line number, cells) for every record of the table; `progress(characters, total)`
    hears how much of `text` is read."""
    if dialect == "omegat":
        for number, line in enumerate(counted(text.splitlines(), progress), 1):
            yield number, line.split("\t")
        return
    buffer = io.StringIO(text, newline="")
    reader = csv.reader(buffer, delimiter="," if dialect == "csv" else "\t", strict=False)
    start, count = 1, 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise TermbaseError(f"malformed {dialect.upper()}: {error}", None, reader.line_num) from None
        yield start, cells
        start, count = reader.line_num + 1, count + 1
        if progress is not None and not count % 256:
            progress(buffer.tell(), len(text))
    if progress is not None:
        progress(len(text), len(text))


def read(source, warnings: list | None = None, dialect: str = "csv", source_lang: str = "en",
         target_lang: str = "ar", progress=None, **options) -> Termbase:
    """Read a CSV, TSV or OmegaT table (a path or binary stream) into a Termbase;
    `progress(bytes, total)` hears how much of it is read."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {DIALECTS}")
    raw, path = _read_bytes(source)
    text = decode(raw, path)
    source_lang, target_lang = check_language_tag(source_lang), check_language_tag(target_lang)
    state = _Reader(path, warnings, dialect, source_lang, target_lang)
    columns: list[Column] | None = None
    row = 0
    try:
        for line, cells in _records(text, dialect, within(progress, 0, len(raw), len(raw))):
            row += 1
            if not any(c.strip() for c in cells):
                continue
            if dialect == "omegat" and cells[0].startswith("#"):
                continue
            if columns is None:
                parsed = [parse_column(c) for c in cells]
                term_languages = {p.lang for p in parsed if p is not None and p.level == "term" and p.attr == "text"}
                if len(term_languages) >= 2 or all(p is not None or not c.strip() for p, c in zip(parsed, cells)) and any(
                        p is not None and p.level == "term" for p in parsed):
                    columns = [_resolve(p, c, i, state) for i, (p, c) in enumerate(zip(parsed, cells))]
                    _report_unmapped(columns, line, state)
                    continue
                columns = _positional(len(cells), dialect, source_lang, target_lang)
                _report_unmapped(columns, line, state)
            if len(cells) > len(columns):
                extra = [Column("unmapped", name=f"column {_column_letter(i)}") for i in range(len(columns), len(cells))]
                columns = columns + extra
                _report_unmapped(extra, line, state, offset=len(columns) - len(extra))
            _read_row(state, columns, cells, line, row)
    except TermbaseError as error:
        error.path = error.path or path
        raise
    state.termbase.languages = state.termbase.languages or [source_lang, target_lang]
    return state.termbase


def _resolve(column: Column | None, name: str, index: int, state: _Reader) -> Column:
    if column is None:
        return Column("unmapped", name=name.strip() or f"column {_column_letter(index)}")
    if column.lang == "<source>":
        return Column(column.level, column.attr, column.kind, state.source_lang, column.name)
    if column.lang == "<target>":
        return Column(column.level, column.attr, column.kind, state.target_lang, column.name)
    return column


def _report_unmapped(columns, line, state: _Reader, offset: int = 0) -> None:
    for index, column in enumerate(columns, offset):
        if column.level == "unmapped" and column.name not in state.reported:
            state.reported.add(column.name)
            state.warn(line, f"column {column.name!r} is not a termbase field; its cells go into the concept note",
                       "table-unmapped-column", column=index + 1)


def _read_row(state: _Reader, columns, cells, line: int, row: int) -> None:
    values = {}
    for index, (column, raw) in enumerate(zip(columns, cells)):
        value = state.cell(raw, line, row, index, column)
        if value:
            values[index] = value
    if not values:
        return
    concept_id = next((values[i] for i, c in enumerate(columns) if c.level == "concept" and c.attr == "id" and i in values), "")
    termbase = state.termbase
    texts = {c.lang: values[i] for i, c in enumerate(columns) if c.level == "term" and c.attr == "text" and i in values}
    if concept_id and concept_id in termbase.concepts:
        concept, first = termbase.concepts[concept_id], False
    elif state.dialect == "omegat" and _continues(state.previous, texts, values.get(2, ""), state.source_lang):
        concept, first = state.previous, False
    else:
        if concept_id and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", concept_id):
            state.warn(line, f"{concept_id!r} is not a valid concept id; kept in the note, id made from the term",
                       "table-id", column=1, where=f"row {row}")
            concept_id = ""
        if not concept_id:
            first_term = next((values[i] for i, c in enumerate(columns) if c.level == "term" and c.attr == "text" and i in values), "")
            concept_id = unique_id(first_term, termbase.concepts, f"row-{row}")
        concept, first = Concept(id=concept_id), True
        termbase.add(concept)
    state.previous = concept
    terms: dict[str, Term] = {}
    for index, column in enumerate(columns):
        if column.level == "term" and column.attr == "text" and index in values:
            section = _section(concept, column.lang, state.termbase)
            same = [t for t in section.terms if t.text == values[index]] if state.dialect == "omegat" else []
            terms[column.lang] = same[0] if same else Term(text=values[index])
            if not same:
                section.terms.append(terms[column.lang])
    for index, value in values.items():
        column = columns[index]
        if column.level == "unmapped":
            add_note(concept, f"{column.name}: {value}")
            continue
        if column.attr == "id" or (column.level == "term" and column.attr == "text"):
            continue
        converted = state.convert(column, value, line, index, row)
        if column.level == "concept":
            target = concept
        elif column.level == "section":
            target = _section(concept, column.lang, state.termbase)
        else:
            target = terms.get(column.lang)
            if target is None:
                state.warn(line, f"{column.name} given without a term; kept in the note", "table-orphan",
                           column=index + 1, where=f"cell {_column_letter(index)}{row}")
                add_note(concept, f"{column.name}: {value}")
                continue
        if converted is None:
            add_note(target, f"{column.name}: {value}")
            continue
        current = getattr(target, column.attr)
        if current and current != converted and not first and column.level != "term":
            state.warn(line, f"{column.name} differs from the concept's first row; first value kept, this one in the note",
                       "table-conflict", column=index + 1, where=f"cell {_column_letter(index)}{row}")
            add_note(target, f"{column.name}: {value}")
            continue
        setattr(target, column.attr, converted)


def _continues(previous: Concept | None, texts: dict, comment: str, source_lang: str) -> bool:
    """Whether an OmegaT line belongs to the concept of the line before: same comment, a shared term."""
    if previous is None:
        return False
    source = previous.languages.get(source_lang)
    if (source.definition if source else "") != comment:
        return False
    return any(text in {t.text for t in previous.languages[lang].terms}
               for lang, text in texts.items() if lang in previous.languages)


def _section(concept: Concept, lang: str, termbase: Termbase) -> LangSection:
    if lang not in termbase.languages:
        termbase.languages.append(lang)
    if lang not in concept.languages:
        concept.languages[lang] = LangSection(lang=lang)
    return concept.languages[lang]


__all__ = ["read", "write", "field_text", "parse_field", "neutralize", "unneutralize", "decode", "header",
           "table_rows", "omegat_rows", "parse_column"]
