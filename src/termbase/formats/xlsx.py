"""Excel workbook (XLSX): a `Terms` sheet that round-trips the model, a side-by-side `Glossary`
sheet for reviewers, a `Termbase` sheet for the header, and a `README` sheet explaining columns.

Layout of `Terms` (one row per term, in concept, language and term order):
- Concept-level columns (subject fields … modified by) and language-level columns (definition,
  definition source, language note) are **repeated on every row** of their concept / language,
  so each row stands alone when a reviewer sorts or filters. On reading, the first row of a
  concept (or language) gives the value; a later row that differs is reported, not applied.
- List fields (forms, subject fields, references, sources) hold one item per line.
- A concept without terms in a language gets a row with an empty `Term`; a concept without
  any language a row with an empty `Language`.
- Dates are ISO text (`2024-05-01`); vocabularies use the short values of the YAML files
  (`preferred`, `fullForm`, `noun` …), offered as drop-downs.
- Text starting with `=`, `+`, `-`, `@`, tab or CR is written as a quote-prefixed string cell,
  so no spreadsheet evaluates it; Arabic (right-to-left language) text cells are right-aligned
  with right-to-left reading order.
- The bytes depend only on the termbase: fixed zip timestamps and document dates (the newest
  concept date, else 2000-01-01).

Reading matches columns by header name (any order; extra columns are reported and their
values kept in the concept note), also the Translate Toolkit / Weblate column set
(`location, source, target, id, fuzzy, context, translator_comments, developer_comments`).
A real formula cell is an error naming the cell: its value would be a computed guess.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import io
import os
import re
import shutil
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from ..errors import Finding, NotStreamable, TermbaseError
from ..progress import counted, size_of, within
from ..runtime import collector_paused
from .sheetxml import DIGITS, iter_rows, open_workbook
from ..model import (add_note, CONCEPT_ID, AdministrativeStatus, Concept, Gender, LangSection, Number,
                     PartOfSpeech, ReviewStatus, Source, Term, Termbase, TermType,
                     check_language_tag, loose_key, primary_language, spellings, unique_id)

TERMS_SHEET = "Terms"
GLOSSARY_SHEET = "Glossary"
HEADER_SHEET = "Termbase"
README_SHEET = "README"

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL = 32_767
MAX_UNCOMPRESSED = 1024 ** 3           # sum of the declared sizes of all zip entries (a 100k-concept export: ~360 MB)
MAX_RATIO = 100                        # declared uncompressed / compressed size, whole archive (ours: ~7)
MAX_ENTRIES = 10_000
FIXED_DATE = _dt.datetime(2000, 1, 1)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FORMULA_START = frozenset("=+-@\t\r")
_CHECKED_START = FORMULA_START | {"#"}     # text that SheetReader.text looks at closer
CHECK = "xlsx"


# --- columns -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    level: str                 # concept | section | term | row
    field: str                 # attribute name on that level
    kind: str = "text"         # text | list | date | vocab | id | lang
    vocab: type | None = None
    width: int = 18
    rtl: bool = False          # right-to-left in rows of a right-to-left language
    help: str = ""


COLUMNS = [
    Column("Concept ID", "concept", "id", "id", width=22,
           help="Stable concept id (a-z, 0-9, hyphen). Rows with the same id form one concept."),
    Column("Language", "row", "lang", "lang", width=10, help="BCP 47 language tag of the term (en, ar, en-GB …)."),
    Column("Term", "term", "text", width=30, rtl=True, help="The term, in citation form."),
    Column("Type", "term", "type", "vocab", TermType, 12, help="Term type."),
    Column("Status", "term", "status", "vocab", AdministrativeStatus, 12,
           help="Administrative status; one preferred term per concept and language."),
    Column("Part of speech", "term", "part_of_speech", "vocab", PartOfSpeech, 12, help="Part of speech."),
    Column("Gender", "term", "gender", "vocab", Gender, 10, help="Grammatical gender."),
    Column("Number", "term", "number", "vocab", Number, 10, help="Grammatical number."),
    Column("Geographical usage", "term", "geographical_usage", width=12,
           help="Where the term is used (region code such as EG, GB)."),
    Column("Definition", "section", "definition", width=50, rtl=True,
           help="Definition in this language (repeated on every row of the language)."),
    Column("Definition source", "section", "definition_source", width=20, help="Where the definition comes from."),
    Column("Context", "term", "context", width=50, rtl=True, help="A sentence showing the term in use."),
    Column("Context source", "term", "context_source", width=20, help="Corpus document id of the context."),
    Column("Forms", "term", "forms", "list", width=24, rtl=True,
           help="Inflected forms for recognition (e.g. broken plurals), one per line."),
    Column("Vocalized", "term", "vocalized", width=24, rtl=True, help="Vocalized spelling of the term."),
    Column("Term note", "term", "note", width=30, rtl=True, help="Note on this term."),
    Column("Language note", "section", "note", width=30, rtl=True,
           help="Note on the concept in this language (repeated on every row of the language)."),
    Column("Subject fields", "concept", "subject_fields", "list", width=18,
           help="Subject field ids, one per line (concept-level: repeated on every row of the concept)."),
    Column("Review status", "concept", "review_status", "vocab", ReviewStatus, 12, help="Review status of the concept."),
    Column("Cross-references", "concept", "cross_references", "list", width=20,
           help="Ids of related concepts, one per line."),
    Column("External references", "concept", "external_references", "list", width=30, help="URLs, one per line."),
    Column("Sources", "concept", "sources", "list", width=20, help="Ids of the source documents, one per line."),
    Column("Concept note", "concept", "note", width=30, help="Note on the concept as a whole."),
    Column("Created", "concept", "created", "date", width=11, help="Date created (YYYY-MM-DD)."),
    Column("Created by", "concept", "created_by", width=14, help="Who created the concept."),
    Column("Modified", "concept", "modified", "date", width=11, help="Date last modified (YYYY-MM-DD)."),
    Column("Modified by", "concept", "modified_by", width=14, help="Who last modified the concept."),
]

# Translate Toolkit / Weblate spreadsheet columns and what they become.
TT_COLUMNS = {"location": "location", "source": "source", "target": "target", "id": "id",
              "fuzzy": "fuzzy", "context": "context", "translatorcomments": "translator comments",
              "developercomments": "developer comments"}

HEADER_COLUMNS = ["Field", "ID", "Value", "Date", "Publisher", "URL"]


header_key = loose_key   # `Concept ID` = `concept_id`


_ALIASES = {"conceptid": "Concept ID", "concept": "Concept ID", "lang": "Language", "language": "Language",
            "term": "Term", "termtype": "Type", "type": "Type", "status": "Status",
            "administrativestatus": "Status", "partofspeech": "Part of speech", "pos": "Part of speech",
            "gender": "Gender", "grammaticalgender": "Gender", "number": "Number",
            "grammaticalnumber": "Number", "geographicalusage": "Geographical usage",
            "definition": "Definition", "definitionsource": "Definition source", "context": "Context",
            "contextsource": "Context source", "forms": "Forms", "vocalized": "Vocalized",
            "note": "Term note", "termnote": "Term note", "languagenote": "Language note",
            "subjectfields": "Subject fields", "subjectfield": "Subject fields", "subject": "Subject fields",
            "reviewstatus": "Review status", "crossreferences": "Cross-references",
            "externalreferences": "External references", "sources": "Sources",
            "conceptnote": "Concept note", "created": "Created", "createdby": "Created by",
            "modified": "Modified", "modifiedby": "Modified by"}
_BY_HEADER = {c.header: c for c in COLUMNS}
_VOCAB_COLUMNS = [c for c in COLUMNS if c.kind == "vocab"]


def vocabulary_values(vocab) -> list[str]:
    """The values offered for a vocabulary column (short status names, as in the YAML files)."""
    return [m.short for m in vocab] if vocab is AdministrativeStatus else vocab.values()


_SHORT_STATUS = {member: member.short for member in AdministrativeStatus}


def _vocab_text(value) -> str | None:
    """The text written for a vocabulary value: the short status names, else the TBX value."""
    if value is None:
        return None
    return _SHORT_STATUS[value] if isinstance(value, AdministrativeStatus) else value.value


# --- reusable cell helpers (also for the review workbook) ----------------------------------

@lru_cache(maxsize=64)
def is_rtl_language(tag: str) -> bool:
    """Whether `tag` is written right to left (Babel's character order)."""
    from babel import Locale

    try:
        return Locale.parse(primary_language(tag)).character_order == "right-to-left"
    except Exception:  # unknown tag: treat as left to right
        return False


@lru_cache(maxsize=64)
def language_name(tag: str) -> str:
    from babel import Locale

    try:
        return Locale.parse(tag.replace("-", "_")).english_name
    except Exception:
        return tag


ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def needs_neutralising(text: str) -> bool:
    """True for text a spreadsheet could take as a formula (starts with = + - @ tab CR) or error value."""
    return bool(text) and (text[0] in FORMULA_START or (text[0] == "#" and text in ERROR_CODES))


_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` escaped for an XML text node as lxml would (`&amp; &lt; &gt; &#13;`); TermbaseError if
    it holds a character XML cannot (control characters, lone surrogates) or is too long for a cell."""
    if len(text) > EXCEL_MAX_CELL:
        raise TermbaseError(f"a text of {len(text)} characters is longer than an XLSX cell holds "
                            f"({EXCEL_MAX_CELL}): {text[:40]!r}…")
    if not _SPECIAL.search(text):
        return text
    bad = _ILLEGAL.search(text)
    if bad:
        raise TermbaseError(f"text with the character U+{ord(bad.group()):04X}, which an XLSX file cannot hold: "
                            f"{text[:40]!r}")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


class CellStyles:
    """The cell styles of one workbook, registered once: header (bold), right-to-left, quote-prefixed."""

    def __init__(self, workbook):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font

        probe = workbook.create_sheet("_styles")
        rtl = Alignment(horizontal="right", readingOrder=2)

        def style_id(font=None, alignment=None, quote=False):
            cell = WriteOnlyCell(probe)
            if font is not None:
                cell.font = font
            if alignment is not None:
                cell.alignment = alignment
            if quote:
                cell.quotePrefix = True
            return workbook._cell_styles.add(cell._style)

        self.header = style_id(font=Font(bold=True))
        self.ids = {(False, False): 0, (True, False): style_id(alignment=rtl),
                    (False, True): style_id(quote=True), (True, True): style_id(alignment=rtl, quote=True)}
        workbook.remove(probe)


class SheetRows:
    """A write-only sheet whose rows this module serialises (one f-string per cell, text only).

    openpyxl writes everything around the rows (views, columns, autofilter, validations) and the
    package; `save_workbook` splices the rows in. This is several times faster than openpyxl's
    per-cell writer, which matters for 100k-concept exports; the XML is the same (tested).
    Cells: None or "" is left out; text starting with = + - @ tab CR (or an error code such as
    #N/A) gets the quote-prefix style; columns named in `rtl` get right-to-left alignment.
    """

    FLUSH = 500

    def __init__(self, workbook, title: str, columns, styles: CellStyles):
        import tempfile
        from openpyxl.utils import get_column_letter

        self.sheet = workbook.create_sheet(title)
        setup_sheet(self.sheet, columns)
        self.styles = styles
        self.letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
        self.file = tempfile.TemporaryFile()
        self.parts: list[str] = []
        self.count = 0

    def append_header(self, headers) -> None:
        self.count += 1
        sid = self.styles.header
        self.parts.append('<row r="1">' + "".join(
            f'<c r="{letter}1" s="{sid}" t="inlineStr"><is><t>{xml_text(h)}</t></is></c>'
            for letter, h in zip(self.letters, headers)) + "</row>")

    def append(self, values, rtl=()) -> None:
        """Append one row of text values (None for empty), aligning the column indexes in `rtl` right to left."""
        self.count += 1
        r = str(self.count)
        ids = self.styles.ids
        letters = self.letters
        out = [f'<row r="{r}">']
        for i, value in enumerate(values):
            if not value:
                continue
            sid = ids[i in rtl, needs_neutralising(value)]
            style = f' s="{sid}"' if sid else ""
            space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
            out.append(f'<c r="{letters[i]}{r}"{style} t="inlineStr"><is><t{space}>{xml_text(value)}</t></is></c>')
        out.append("</row>")
        self.parts.append("".join(out))
        if len(self.parts) >= self.FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.file.write("".join(self.parts).encode("utf-8"))
            self.parts = []

    def splice(self, sheet_xml: bytes, target) -> None:
        """Write openpyxl's (row-less) sheet XML with these rows inside <sheetData>."""
        self.flush()
        for empty in (b"<sheetData></sheetData>", b"<sheetData/>"):
            if empty in sheet_xml:
                top, tail = sheet_xml.split(empty, 1)
                break
        else:
            raise AssertionError("openpyxl wrote no empty <sheetData>")
        if self.count:  # readers (openpyxl read-only among them) scan the whole sheet when it is missing
            dimension = f'<dimension ref="A1:{self.letters[-1]}{self.count}"/>'.encode()
            if b"</sheetPr>" in top:
                top = top.replace(b"</sheetPr>", b"</sheetPr>" + dimension, 1)
            else:
                end = top.index(b">", top.index(b"<worksheet")) + 1
                top = top[:end] + dimension + top[end:]
        target.write(top + b"<sheetData>")
        self.file.seek(0)
        shutil.copyfileobj(self.file, target, 1 << 20)
        target.write(b"</sheetData>" + tail)

    def size(self) -> int:
        self.flush()
        return self.file.tell()

    def close(self) -> None:
        self.file.close()


def setup_sheet(sheet, columns) -> None:
    """Column widths and a frozen header row; call before the first append. `columns`: (header, width)."""
    from openpyxl.utils import get_column_letter

    for index, (_, width) in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def add_dropdowns(sheet, column_values: dict) -> None:
    """List validations over whole columns: {column index (1-based): allowed values}."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for index, values in column_values.items():
        letter = get_column_letter(index)
        validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                    showErrorMessage=True, errorTitle="Not in the list",
                                    error="Choose a value from the list (or leave the cell empty).")
        validation.add(f"{letter}2:{letter}{EXCEL_MAX_ROWS}")
        sheet.data_validations.append(validation)


def finish_sheet(sheet, ncolumns: int, nrows: int) -> None:
    """Autofilter over the header and data rows; call after the last append."""
    from openpyxl.utils import get_column_letter

    sheet.auto_filter.ref = f"A1:{get_column_letter(ncolumns)}{max(nrows, 1)}"


class _FixedZip(zipfile.ZipFile):
    """A ZipFile whose entries all get the same timestamp and attributes (reproducible bytes);
    sheets in `rows` ({arcname: SheetRows}) get their rows spliced in."""

    rows: dict = {}

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3
        info.external_attr = 0o644 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else zinfo_or_arcname
        super().writestr(self._info(name), data)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        arcname = arcname or os.path.basename(filename)
        with open(filename, "rb") as source:
            data = source.read()
        rows = self.rows.get(arcname)
        info = self._info(arcname)
        info.file_size = len(data) + (rows.size() + 64 if rows else 0)
        with self.open(info, "w") as target:
            if rows is None:
                target.write(data)
            else:
                rows.splice(data, target)


def save_workbook(workbook, target, when: _dt.datetime = FIXED_DATE, rows=()) -> None:
    """Save a write-only workbook to a binary stream with reproducible bytes (fixed dates and zip
    timestamps), splicing in the rows of each SheetRows in `rows`."""
    from openpyxl.writer.excel import ExcelWriter

    workbook.properties.creator = "termbase"
    workbook.properties.lastModifiedBy = "termbase"
    workbook.properties.created = when
    workbook.properties.modified = when
    by_sheet = {id(r.sheet): r for r in rows}
    archive = _FixedZip(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.rows = {f"xl/worksheets/sheet{index}.xml": by_sheet[id(sheet)]
                    for index, sheet in enumerate(workbook.worksheets, 1) if id(sheet) in by_sheet}
    ExcelWriter(workbook, archive).save()


# --- writing -------------------------------------------------------------------------------

def _joined(items, what, concept_id) -> str | None:
    for item in items:
        if not item or "\n" in item:
            raise TermbaseError(f"{what} item {item!r} cannot be written: list items are written one per line, "
                                "so they must be non-empty and have no line breaks", where=f"concept {concept_id}")
    return "\n".join(items) if items else None


_CONCEPT_COLUMNS = [c for c in COLUMNS if c.level == "concept" and c.field != "id"]
_TERM_COLUMNS = [c for c in COLUMNS if c.level == "term" and c.field != "text"]
_RTL_COLUMNS = frozenset(i for i, c in enumerate(COLUMNS) if c.rtl)


def _concept_tail(concept: Concept) -> list:
    """The concept-level cells of a Terms row, Subject fields … Modified by."""
    return [_joined(concept.subject_fields, "subject field", concept.id),
            _vocab_text(concept.review_status),
            _joined(concept.cross_references, "cross-reference", concept.id),
            _joined(concept.external_references, "external reference", concept.id),
            _joined(concept.sources, "source", concept.id),
            concept.note,
            concept.created.isoformat() if concept.created else None,
            concept.created_by,
            concept.modified.isoformat() if concept.modified else None,
            concept.modified_by]


def _term_rows(concept: Concept):
    """Yield (cells, right-to-left) for the Terms rows of one concept."""
    tail = _concept_tail(concept)
    cid = concept.id
    if not concept.languages:
        yield [cid] + [None] * 16 + tail, False
        return
    for tag, section in concept.languages.items():
        rtl = is_rtl_language(tag)
        definition, definition_source, lang_note = section.definition, section.definition_source, section.note
        if not section.terms:
            yield [cid, tag] + [None] * 7 + [definition, definition_source] + [None] * 5 + [lang_note] + tail, rtl
            continue
        for term in section.terms:
            yield [cid, tag, term.text,
                   term.type.value if term.type else None,
                   _SHORT_STATUS[term.status] if term.status else None,
                   term.part_of_speech.value if term.part_of_speech else None,
                   term.gender.value if term.gender else None,
                   term.number.value if term.number else None,
                   term.geographical_usage, definition, definition_source, term.context, term.context_source,
                   _joined(term.forms, "form", cid) if term.forms else None,
                   term.vocalized, term.note, lang_note] + tail, rtl


def _glossary_row(concept: Concept, languages) -> list:
    row = [concept.id]
    sections = [concept.section(tag) for tag in languages]
    for section in sections:
        term = section.preferred() if section else None
        row.append(term.text if term else None)
    for section in sections:
        row.append(section.definition if section else None)
    row.append("\n".join(concept.subject_fields))
    row.append(concept.review_status.value if concept.review_status else None)
    return row


def write(termbase, target, concepts=None, progress=None, **options) -> None:
    """Write a termbase as an XLSX workbook to a binary stream.

    `termbase` may be any iterable of concepts; or give the header as `termbase` and stream the
    concepts through `concepts` (one pass: rows are written as concepts arrive).
    `progress(concepts, total)` hears of the concepts written.
    """
    from openpyxl import Workbook

    header = termbase if isinstance(termbase, Termbase) else Termbase()
    concepts = iter(counted(termbase if concepts is None else concepts, progress))
    languages = list(header.languages[:2]) if len(header.languages) >= 2 else (list(header.languages) + ["en", "ar"])[:2]
    glossary_columns = ([("Concept ID", 22)] + [(f"{language_name(t)} term", 30) for t in languages]
                        + [(f"{language_name(t)} definition", 50) for t in languages]
                        + [("Subject fields", 18), ("Review status", 12)])
    glossary_rtl = frozenset(i for i, t in enumerate(languages * 2, 1) if is_rtl_language(t))
    workbook = Workbook(write_only=True)
    styles = CellStyles(workbook)
    terms = SheetRows(workbook, TERMS_SHEET, [(c.header, c.width) for c in COLUMNS], styles)
    glossary = SheetRows(workbook, GLOSSARY_SHEET, glossary_columns, styles)
    head = SheetRows(workbook, HEADER_SHEET, list(zip(HEADER_COLUMNS, (14, 20, 40, 12, 20, 30))), styles)
    readme = SheetRows(workbook, README_SHEET, [("Sheet", 12), ("Column", 22), ("Meaning", 80), ("Values", 60)], styles)
    sheets = (terms, glossary, head, readme)
    newest = None
    concept_id = None
    try:
        terms.append_header([c.header for c in COLUMNS])
        glossary.append_header([h for h, _ in glossary_columns])
        no_rtl = frozenset()
        for concept in concepts:
            concept_id = concept.id
            for row, rtl in _term_rows(concept):
                if terms.count >= EXCEL_MAX_ROWS:
                    raise TermbaseError(f"more than {EXCEL_MAX_ROWS - 1} terms: an XLSX sheet cannot hold them")
                terms.append(row, _RTL_COLUMNS if rtl else no_rtl)
            glossary.append(_glossary_row(concept, languages), glossary_rtl)
            for date in (concept.created, concept.modified):
                if date and (newest is None or date > newest):
                    newest = date
        concept_id = None
        _write_header_sheet(header, head)
        _write_readme(readme, glossary_columns)
        finish_sheet(terms.sheet, len(COLUMNS), terms.count)
        finish_sheet(glossary.sheet, len(glossary_columns), glossary.count)
        add_dropdowns(terms.sheet, {COLUMNS.index(c) + 1: vocabulary_values(c.vocab) for c in _VOCAB_COLUMNS})
        add_dropdowns(glossary.sheet, {len(glossary_columns): ReviewStatus.values()})
        when = _dt.datetime.combine(newest, _dt.time()) if newest else FIXED_DATE
        save_workbook(workbook, target, when, sheets)
    except TermbaseError as error:
        if error.where is None and concept_id:
            error.where = f"concept {concept_id}"
        raise
    finally:
        for sheet in sheets:
            sheet.close()


def _write_header_sheet(termbase: Termbase, sheet: SheetRows) -> None:
    sheet.append_header(HEADER_COLUMNS)
    rows = [["title", None, termbase.title], ["description", None, termbase.description]]
    rows += [["language", None, tag] for tag in termbase.languages]
    rows += [["subject field", key, label] for key, label in termbase.subject_fields.items()]
    rows += [["source", s.id, s.title, s.date, s.publisher, s.url] for s in termbase.sources]
    for row in rows:
        sheet.append(row)


def _write_readme(sheet: SheetRows, glossary_columns) -> None:
    sheet.append_header(["Sheet", "Column", "Meaning", "Values"])
    rows = [[TERMS_SHEET, None, "One row per term. Edit here: this sheet is what `termbase import` reads. "
             "Concept columns (Subject fields … Modified by) and language columns (Definition, Definition source, "
             "Language note) are repeated on every row of their concept / language; the first row counts.", None]]
    for column in COLUMNS:
        values = ", ".join(vocabulary_values(column.vocab)) if column.vocab else None
        if column.kind == "date":
            values = "YYYY-MM-DD"
        rows.append([TERMS_SHEET, column.header, column.help, values])
    rows.append([GLOSSARY_SHEET, None, "One row per concept, languages side by side (preferred terms); "
                 "a view for reviewers, regenerated on export and not imported.", None])
    for header, _ in glossary_columns:
        rows.append([GLOSSARY_SHEET, header, "As in Terms (the preferred term; Review status of the concept).", None])
    rows.append([HEADER_SHEET, None, "The termbase header: one row per item.", None])
    rows += [[HEADER_SHEET, "title", "Title of the termbase (in Value).", None],
             [HEADER_SHEET, "description", "Description (in Value).", None],
             [HEADER_SHEET, "language", "One row per language of the termbase, in order (in Value).", None],
             [HEADER_SHEET, "subject field", "Subject field id (in ID) and its label (in Value).", None],
             [HEADER_SHEET, "source", "Source document: ID, title (in Value), Date, Publisher, URL.", None]]
    rows.append([None, None, "Cells starting with = + - @ are text (quote-prefixed), never formulas. "
                 "Formulas are refused on import.", None])
    for row in rows:
        sheet.append(row)


# --- reading: the archive ------------------------------------------------------------------

def _name(source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return str(getattr(source, "name", None) or "<stream>")


_ROOT_START = re.compile(rb"<[A-Za-z_]")


def check_archive(handle, name: str, max_uncompressed: int = MAX_UNCOMPRESSED) -> dict:
    """Refuse zip bombs, corrupt zips and XML parts with a DTD before any XML parser sees them.

    Returns {text: phonetic reading} for shared strings that carry one (`<rPh>`).
    """
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise TermbaseError(f"not an XLSX file (not a readable zip archive: {error})", name) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise TermbaseError(f"the archive has {len(infos)} entries, over the limit of {MAX_ENTRIES}", name)
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos)
        if total > max_uncompressed:
            raise TermbaseError(f"the archive would unpack to {total} bytes, over the limit of {max_uncompressed} "
                                "(zip bomb?)", name)
        if total > 1_000_000 and total > MAX_RATIO * max(packed, 1):
            raise TermbaseError(f"the archive's compression ratio is {total // max(packed, 1)}:1, over {MAX_RATIO}:1 "
                                "(zip bomb?)", name)
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names:
            raise TermbaseError("not an XLSX file ([Content_Types].xml is missing)", name)
        readings = {}
        try:
            for info in infos:
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                with archive.open(info) as part:
                    head = part.read(65536)
                if head.startswith((b"\xff\xfe", b"\xfe\xff")):
                    head = head.decode("utf-16", "replace").encode("utf-8")
                root = _ROOT_START.search(head)
                prolog = head[:root.start()] if root else head
                if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
                    raise TermbaseError(f"{info.filename} has a document type declaration, which XLSX parts never "
                                        "have; refused", name)
            if "xl/sharedStrings.xml" in names:
                data = archive.read("xl/sharedStrings.xml")
                if b"rPh" in data:
                    readings = _phonetic_readings(data, name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise TermbaseError(f"corrupt XLSX archive: {error}", name) from None
    return readings


SML = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _phonetic_readings(data: bytes, name: str) -> dict:
    """{base text: reading} for shared strings with East Asian phonetic runs (`<rPh>`)."""
    ns = SML
    root = _parse_part(data, "xl/sharedStrings.xml", name)
    readings = {}
    for item in root.iter(f"{ns}si"):
        phonetic = "".join(t.text or "" for rph in item.findall(f"{ns}rPh") for t in rph.iter(f"{ns}t"))
        if phonetic:
            base = "".join(t.text or "" for t in item.findall(f"{ns}t"))
            base += "".join(t.text or "" for r in item.findall(f"{ns}r") for t in r.iter(f"{ns}t"))
            readings[base] = phonetic
    return readings


def _parse_part(data: bytes, part: str, name: str):
    """One XML part of the archive, parsed without entities, DTD or network."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise TermbaseError(f"{part} is not well-formed XML: {error}", name) from None


# --- reading: cells ------------------------------------------------------------------------

def _quote_prefixed(cell) -> bool:
    """Whether the cell is marked to show as text (the quote prefix our writer sets)."""
    quoted = getattr(cell, "quoted", None)
    if quoted is not None:
        return quoted
    style = getattr(cell, "style_array", None) or getattr(cell, "_style", None)
    return bool(style is not None and style.quotePrefix)


class SheetReader:
    """Cell conversion and findings for one sheet being read."""

    def __init__(self, name, title, warnings, progress=None):
        self.name, self.title, self.warnings = name, title, warnings
        self.progress = progress        # hears of the sheet's XML read (sheetxml.iter_rows)

    def where(self, cell_or_ref) -> str:
        ref = cell_or_ref if isinstance(cell_or_ref, str) else cell_or_ref.coordinate
        return f"{self.title}!{ref}"

    def warn(self, ref, message, check="xlsx-cell"):
        self.warnings.append(Finding(self.name, None, "warning", message, check, where=self.where(ref)))

    def text(self, cell, date_ok: bool = False):
        """The text of a cell (None if empty); a date for date columns when `date_ok`."""
        value = cell.value
        if value is None:
            return None
        kind = cell.data_type
        if _plain_text(value, kind):
            return value   # the common case: nothing to report or change
        if kind == "f":
            raise TermbaseError(f"cell holds a formula ({value}); its value would be computed, not data — "
                                "replace it by the text it should hold", self.name, where=self.where(cell))
        if isinstance(value, str):
            if kind == "e":
                self.warn(cell, f"error value {value} read as text")
        elif isinstance(value, bool):
            value = "TRUE" if value else "FALSE"
        elif isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
            if date_ok and isinstance(value, (_dt.datetime, _dt.date)):
                return value.date() if isinstance(value, _dt.datetime) else value
            if isinstance(value, _dt.datetime) and value.time() == _dt.time():
                value = value.date()
            text = value.isoformat()
            self.warn(cell, f"date cell read as the text {text!r}")
            value = text
        elif isinstance(value, (int, float)):
            text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
            self.warn(cell, f"number cell read as the text {text!r} (leading zeros or digits may have been lost)")
            value = text
        else:
            value = str(value)
        if kind == "s" and needs_neutralising(value) and not _quote_prefixed(cell):
            self.warn(cell, f"text {value[:40]!r} would be taken for a formula by a spreadsheet; kept as text",
                      "xlsx-formula-text")
        stripped = value.strip()
        if stripped != value:
            self.warn(cell, "leading or trailing spaces trimmed", "xlsx-spaces")
        if not stripped:
            return None
        if not unicodedata.is_normalized("NFC", stripped):
            stripped = unicodedata.normalize("NFC", stripped)
        return stripped


def _rows(sheet, max_rows: int, reader: SheetReader):
    """(row number, [Cell …]) of each row with a value (sheetxml.iter_rows), refusing rows past `max_rows`."""
    for number, cells in iter_rows(sheet, reader.name, progress=reader.progress):
        if number > max_rows:
            raise TermbaseError(f"more than {max_rows} rows in sheet {reader.title!r}; refused", reader.name)
        yield number, cells


@contextlib.contextmanager
def _opened(source, max_uncompressed: int = MAX_UNCOMPRESSED):
    """(workbook, name, phonetic readings, size in bytes) of an XLSX workbook (a path or a binary
    stream), its archive checked first; TermbaseError for anything that is not a readable workbook."""
    from openpyxl.utils.exceptions import InvalidFileException

    name = _name(source)
    opened = None
    if isinstance(source, (str, os.PathLike)):
        try:
            opened = handle = open(source, "rb")
        except OSError as error:
            raise TermbaseError(f"cannot read: {error.strerror}", name) from None
    else:
        handle = source
        if not handle.seekable():
            handle = io.BytesIO(handle.read(max_uncompressed + 1))
    try:
        start = handle.tell()
        readings = check_archive(handle, name, max_uncompressed)
        handle.seek(start)
        try:
            workbook = open_workbook(handle)
        except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, InvalidFileException, OSError, ValueError,
                SyntaxError) as error:
            raise TermbaseError(f"cannot open the workbook: {error}", name) from None
        try:
            with collector_paused():      # the model is many small acyclic objects (~25% faster)
                yield workbook, name, readings, size_of(handle)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, SyntaxError) as error:
            raise TermbaseError(f"corrupt workbook: {error}", name) from None
        finally:
            workbook.close()
    finally:
        if opened is not None:
            opened.close()


def read(source, warnings: list | None = None, source_lang: str = "en", target_lang: str = "ar",
         max_rows: int = EXCEL_MAX_ROWS, max_uncompressed: int = MAX_UNCOMPRESSED, progress=None,
         **options) -> Termbase:
    """Read an XLSX workbook: our own layout (a `Terms` sheet) or a Translate Toolkit/Weblate sheet.

    `progress(bytes, total)` hears how far the reading is: the share of the terms sheet read, in
    bytes of the workbook."""
    warnings = warnings if warnings is not None else []
    with _opened(source, max_uncompressed) as (workbook, name, readings, size):
        return _read_workbook(workbook, name, warnings, readings, source_lang, target_lang, max_rows,
                              within(progress, 0, size, size) if size else None)


def read_header(source, warnings: list | None = None, max_uncompressed: int = MAX_UNCOMPRESSED) -> Termbase:
    """The header of one of our workbooks (its `Termbase` sheet) as a Termbase without concepts.

    NotStreamable if the workbook has no `Terms` and `Termbase` sheets: read it whole."""
    warnings = warnings if warnings is not None else []
    with _opened(source, max_uncompressed) as (workbook, name, _, _):
        return _streamed_header(workbook, name, warnings, EXCEL_MAX_ROWS)


def iter_concepts(source, warnings: list | None = None, progress=None, max_rows: int = EXCEL_MAX_ROWS,
                  max_uncompressed: int = MAX_UNCOMPRESSED, **options) -> Iterator[Concept]:
    """Yield the concepts of one of our workbooks one at a time, each once the rows after it belong
    to another concept, so that a workbook of any size is read in little memory (`formats.convert`).

    The same concepts and findings as `read`, in the same order. NotStreamable (before anything
    is yielded, or on meeting a concept again) if the workbook has no `Terms` and `Termbase`
    sheets or a concept's rows are apart: read it whole."""
    warnings = warnings if warnings is not None else []
    with _opened(source, max_uncompressed) as (workbook, name, readings, size):
        _streamed_header(workbook, name, warnings, max_rows)
        _warn_unread_sheets(workbook, name, warnings)
        reader = SheetReader(name, TERMS_SHEET, warnings, within(progress, 0, size, size) if size else None)
        yield from _terms_concepts(workbook[TERMS_SHEET], reader, readings, max_rows, together=True)


def _streamed_header(workbook, name, warnings, max_rows) -> Termbase:
    """The header sheet of one of our workbooks; NotStreamable for any other workbook."""
    if not {TERMS_SHEET, HEADER_SHEET} <= set(workbook.sheetnames):
        raise NotStreamable(f"{name}: not a workbook with {TERMS_SHEET!r} and {HEADER_SHEET!r} sheets")
    return _read_header_sheet(workbook[HEADER_SHEET], SheetReader(name, HEADER_SHEET, warnings), max_rows)


def _header_map(row, reader: SheetReader):
    headers = {}
    for cell in row:
        if getattr(cell, "value", None) is None:
            continue
        text = reader.text(cell)
        if text:
            headers[cell.column] = (text, cell.coordinate)
    return headers


def _read_workbook(workbook, name, warnings, readings, source_lang, target_lang, max_rows, progress) -> Termbase:
    titles = workbook.sheetnames
    termbase = None
    if HEADER_SHEET in titles:
        termbase = _read_header_sheet(workbook[HEADER_SHEET], SheetReader(name, HEADER_SHEET, warnings), max_rows)
    if TERMS_SHEET in titles:
        _warn_unread_sheets(workbook, name, warnings)
        return _read_terms(workbook[TERMS_SHEET], SheetReader(name, TERMS_SHEET, warnings, progress), termbase, readings,
                           max_rows)
    for title in titles:
        sheet = workbook[title]
        reader = SheetReader(name, title, warnings, progress)
        rows = iter_rows(sheet, name)
        number, first = next(rows, (None, ()))
        rows.close()
        if number != 1:
            first = ()
        keys = {header_key(h) for h, _ in _header_map(first, reader).values()}
        if {"source", "target"} <= keys or ("source" in keys and keys <= set(TT_COLUMNS) | {"source"}):
            return _read_tt(sheet, reader, readings, source_lang, target_lang, max_rows)
        if "term" in keys or "conceptid" in keys:
            return _read_terms(sheet, reader, termbase, readings, max_rows)
    raise TermbaseError(f"no sheet named {TERMS_SHEET!r} and no sheet whose first row names the columns "
                        "(Concept ID, Language, Term … or source, target …)", name)


def _warn_unread_sheets(workbook, name, warnings) -> None:
    for title in workbook.sheetnames:
        if title not in (TERMS_SHEET, GLOSSARY_SHEET, HEADER_SHEET, README_SHEET):
            warnings.append(Finding(name, None, "warning", f"sheet {title!r} is not read (only {TERMS_SHEET!r} "
                                    "and the header are)", "xlsx-sheet", where=f"{title}!A1"))


def _read_header_sheet(sheet, reader: SheetReader, max_rows) -> Termbase:
    termbase = Termbase(languages=[])
    columns = {}
    for index, row in _rows(sheet, max_rows, reader):
        if index == 1:
            columns = {header_key(h): col for col, (h, _) in _header_map(row, reader).items()}
            continue
        values = {}
        for cell in row:
            if getattr(cell, "value", None) is not None:
                values[cell.column] = reader.text(cell)
        get = lambda key: values.get(columns.get(key)) or ""  # noqa: E731
        field, ref = get("field").lower(), f"A{index}"
        if not field and not any(values.values()):
            continue
        if field == "title":
            termbase.title = get("value")
        elif field == "description":
            termbase.description = get("value")
        elif field == "language":
            try:
                termbase.languages.append(check_language_tag(get("value")))
            except ValueError as error:
                reader.warn(ref, f"language row skipped: {error}", "xlsx-header")
        elif field == "subject field":
            termbase.subject_fields[get("id")] = get("value")
        elif field == "source":
            termbase.sources.append(Source(get("id"), get("value"), get("date"), get("publisher"), get("url")))
        else:
            reader.warn(ref, f"unknown header row {field!r} ignored: {sorted(v for v in values.values() if v)}",
                        "xlsx-header")
    if not termbase.languages:
        termbase.languages = ["en", "ar"]
    return termbase


@dataclass(slots=True)
class _Pending:
    """A concept being assembled from its rows (the concept and its sections hold what its first row said)."""

    concept: Concept
    raw: tuple           # the first row's text of each concept column (_UNCLEAN where it did not parse)
    extra: list          # note lines from unknown columns and unmappable values


_UNCLEAN = object()
_SPELLINGS = {c.header: spellings(c.vocab) for c in COLUMNS if c.kind == "vocab"}


def _parse(column: Column, text, reader: SheetReader, ref):
    """Parse a cell's text for `column`; returns (value, ok)."""
    if text is None:
        return ([] if column.kind == "list" else None if column.kind in ("vocab", "date") else ""), True
    if column.kind == "list":
        return [item.strip() for item in text.split("\n") if item.strip()], True
    if column.kind == "vocab":
        try:
            return column.vocab.parse(text), True
        except ValueError as error:
            reader.warn(ref, f"{error}; the value is kept in the note", "xlsx-value")
            return None, False
    if column.kind == "date":
        if isinstance(text, _dt.date):
            return text, True
        try:
            return _dt.date.fromisoformat(text), True
        except ValueError:
            reader.warn(ref, f"{text!r} is not a date (YYYY-MM-DD); the value is kept in the concept note", "xlsx-value")
            return None, False
    return text, True


def _plain_text(value, kind) -> bool:
    """Whether a cell's value is text SheetReader.text would give back unchanged and unremarked."""
    return kind == "s" and bool(value) and value[0] not in _CHECKED_START and not value[0].isspace() \
        and not value[-1].isspace() and (value.isascii() or unicodedata.is_normalized("NFC", value))


def _read_terms(sheet, reader: SheetReader, termbase, readings, max_rows) -> Termbase:
    if termbase is None:
        termbase = Termbase(languages=[])
    known_languages = bool(termbase.languages)
    for concept in _terms_concepts(sheet, reader, readings, max_rows):
        termbase.add(concept)
        if not known_languages:
            for tag in concept.languages:
                if tag not in termbase.languages:
                    termbase.languages.append(tag)
    if not termbase.languages:
        termbase.languages = ["en", "ar"]
    return termbase


def _terms_concepts(sheet, reader: SheetReader, readings, max_rows, together: bool = False) -> Iterator[Concept]:
    """The concepts of a Terms sheet in the order of their first rows: all at the end, or with
    `together` each as soon as a row of another concept follows (NotStreamable if its rows are apart)."""
    from openpyxl.utils import get_column_letter

    columns, unknown = {}, {}
    letters = None
    pending: dict[str, _Pending] = {}
    taken: set = set()      # every concept id so far
    passed: set = set()     # the ids of the concepts yielded (together)
    current = None
    text_of = reader.text
    plain = _plain_text
    languages: dict = {}    # language cell text -> canonical tag (Babel is asked once per spelling)
    for index, row in _rows(sheet, max_rows, reader):
        if letters is None and index != 1:
            raise TermbaseError("the first row has no 'Term' column", reader.name, where=reader.where("A1"))
        if index == 1:
            for col, (header, ref) in _header_map(row, reader).items():
                canonical = _ALIASES.get(header_key(header))
                if canonical and canonical not in columns.values():
                    columns[col] = canonical
                else:
                    unknown[col] = header
                    reader.warn(ref, f"unknown column {header!r}: its values are kept in the concept notes",
                                "xlsx-unknown-column")
            letters = {header: get_column_letter(col) for col, header in columns.items()}
            date_columns = {col for col, header in columns.items() if _BY_HEADER[header].kind == "date"}
            if "Term" not in columns.values():
                raise TermbaseError("the first row has no 'Term' column", reader.name, where=reader.where("A1"))
            continue
        values, extra, seen = {}, [], False
        for cell in row:
            col, _, text, kind, _ = cell
            if not plain(text, kind):
                text = text_of(cell, col in date_columns)
                if text is None:
                    continue
            seen = True
            header = columns.get(col)
            if header is not None:
                values[header] = text
            else:
                extra.append((unknown.get(col) or _headerless(unknown, col, cell.coordinate, reader), text))
        if not seen:
            continue
        concept_id = _add_row(pending, taken, values, extra, reader, readings, index, languages, letters)
        if together and concept_id != current:
            if concept_id in passed:            # its earlier rows were passed on already
                raise NotStreamable(f"{reader.name}: the rows of concept {concept_id!r} are apart")
            if current is not None:
                yield _finished(pending.pop(current))
                passed.add(current)
            current = concept_id
    for item in pending.values():
        yield _finished(item)


def _headerless(unknown: dict, column: int, ref: str, reader: SheetReader) -> str:
    """The name a column without a header goes by in notes (`column E`), reported at its first value."""
    name = unknown[column] = "column " + ref.rstrip(DIGITS)
    reader.warn(ref, f"{name} has values but no header: they are kept in the concept notes as '{name}: …'",
                "xlsx-unknown-column")
    return name


def _finished(item: _Pending) -> Concept:
    concept = item.concept
    for line in item.extra:
        add_note(concept, line)
    return concept


_CONCEPT_HEADERS = tuple(c.header for c in _CONCEPT_COLUMNS)
_SECTION_HEADERS = ("Definition", "Definition source", "Language note")


def _add_row(pending, taken: set, values: dict, unknown, reader: SheetReader, readings, index, languages,
             letters) -> str:
    """Add one Terms row to its concept in `pending` (`taken`: the concept ids so far) and return the
    concept's id: `values` holds the text of each known column with a value, `unknown` (header, text)
    of the other columns; `letters` names each known column's letter."""
    digits = str(index)

    def ref_of(header):
        letter = letters.get(header)
        return None if letter is None else letter + digits

    id_text = values.get("Concept ID")
    term_text = values.get("Term")
    if id_text is None:
        id_text = unique_id(term_text or "", taken, f"row-{index}")
        reader.warn(ref_of("Concept ID") or f"A{index}", f"row {index} has no concept id; it becomes concept "
                    f"{id_text!r}", "xlsx-concept-id")
    elif not CONCEPT_ID.match(id_text):
        raise TermbaseError(f"{id_text!r} is not a concept id (a-z, 0-9 and '-', starting with a letter or digit)",
                            reader.name, where=reader.where(ref_of("Concept ID")))
    item = pending.get(id_text)
    new = item is None
    if new:
        item = pending[id_text] = _Pending(Concept(id=id_text), (), [])
        taken.add(id_text)
    concept = item.concept
    for header, text in unknown:
        if f"{header}: {text}" not in item.extra:
            item.extra.append(f"{header}: {text}")
    # concept-level columns: the first row of the concept counts
    texts = tuple(map(values.get, _CONCEPT_HEADERS))
    if new or texts != item.raw:    # a later row that repeats the first row's texts adds nothing
        raw = item.raw
        first_texts = []
        for position, column in enumerate(_CONCEPT_COLUMNS):
            text = texts[position]
            if not new and raw[position] is not _UNCLEAN and raw[position] == text:
                continue   # the first row's text again: the same value, nothing to report
            ref = ref_of(column.header)
            value, ok = _parse(column, text, reader, ref)
            if not ok and f"{column.header}: {text}" not in item.extra:
                item.extra.append(f"{column.header}: {text}")
            if new:
                setattr(concept, column.field, value)
                first_texts.append(text if ok else _UNCLEAN)
            elif value != getattr(concept, column.field):
                reader.warn(ref or f"A{index}", f"{column.header} differs from the first row of concept {id_text!r}; "
                            "the first row's value is kept", "xlsx-conflict")
        if new:
            item.raw = tuple(first_texts)
    lang_text = values.get("Language")
    if lang_text is None:
        if any(values.get(h) is not None for h in ("Term",) + _SECTION_HEADERS):
            raise TermbaseError("the row has a term or definition but no language", reader.name,
                                where=reader.where(ref_of("Language") or ref_of("Term")))
        return id_text
    tag = languages.get(lang_text)
    if tag is None:
        try:
            tag = languages[lang_text] = check_language_tag(lang_text)
        except ValueError as error:
            raise TermbaseError(str(error), reader.name, where=reader.where(ref_of("Language"))) from None
    section = concept.languages.get(tag)
    definition, definition_source, note = (values.get(h) or "" for h in _SECTION_HEADERS)
    if section is None:
        section = concept.languages[tag] = LangSection(lang=tag, definition=definition,
                                                       definition_source=definition_source, note=note)
    elif (definition, definition_source, note) != (section.definition, section.definition_source, section.note):
        for header, value, first in zip(_SECTION_HEADERS, (definition, definition_source, note),
                                        (section.definition, section.definition_source, section.note)):
            if value != first:
                reader.warn(ref_of(header) or f"A{index}", f"{header} differs from the first {tag} row of concept "
                            f"{id_text!r}; the first row's value is kept", "xlsx-conflict")
    term_columns = _TERM_COLUMNS
    if term_text is None:
        stray = [c.header for c in term_columns if values.get(c.header) is not None]
        for header in stray:
            item.extra.append(f"{header} ({tag}, no term): {values[header]}")
            reader.warn(ref_of(header), f"{header} given without a term; kept in the concept note", "xlsx-value")
        return id_text
    term = Term(text=term_text)
    kept = []
    for column in term_columns:
        text = values.get(column.header)
        if text is None:
            continue   # the Term default is the empty value
        if column.kind == "text":
            setattr(term, column.field, text)
            continue
        member = _SPELLINGS[column.header].get(text) if column.kind == "vocab" else None
        if member is not None:
            setattr(term, column.field, member)
            continue
        value, ok = _parse(column, text, reader, ref_of(column.header))
        if ok:
            setattr(term, column.field, value)
        else:
            kept.append(f"{column.header}: {text}")
    for line in kept:
        add_note(term, line)
    reading = readings.get(term_text) if readings else None
    if reading:
        add_note(term, f"reading: {reading}")
        reader.warn(ref_of("Term"), f"phonetic reading {reading!r} kept in the term note", "xlsx-reading")
    section.terms.append(term)
    return id_text


def _read_tt(sheet, reader: SheetReader, readings, source_lang, target_lang, max_rows) -> Termbase:
    """A Translate Toolkit / Weblate sheet: one concept per row, source and target terms."""
    source_lang, target_lang = check_language_tag(source_lang), check_language_tag(target_lang)
    termbase = Termbase(languages=[source_lang, target_lang])
    columns, unknown = {}, {}
    for index, row in _rows(sheet, max_rows, reader):
        if index == 1:
            for col, (header, ref) in _header_map(row, reader).items():
                key = header_key(header)
                if key in TT_COLUMNS and key not in columns.values():
                    columns[col] = key
                else:
                    unknown[col] = header
                    reader.warn(ref, f"unknown column {header!r}: its values are kept in the concept notes",
                                "xlsx-unknown-column")
            continue
        values, extra = {}, []
        for cell in row:
            if getattr(cell, "value", None) is None:
                continue
            text = reader.text(cell)
            if text is None:
                continue
            if cell.column in columns:
                values[columns[cell.column]] = (text, cell.coordinate)
            else:
                extra.append(f"{unknown.get(cell.column) or _headerless(unknown, cell.column, cell.coordinate, reader)}: "
                             f"{text}")
        source = values.get("source", (None, None))[0]
        target = values.get("target", (None, None))[0]
        if source is None and target is None:
            if values or extra:
                reader.warn(f"A{index}", "row without source or target skipped: "
                            + "; ".join([f"{TT_COLUMNS[k]}: {v[0]}" for k, v in values.items()] + extra), "xlsx-value")
            continue
        wanted = values.get("id", (None, None))[0]
        if wanted and not CONCEPT_ID.match(wanted):
            extra.insert(0, f"id: {wanted}")
        concept_id = unique_id(wanted or source or "", termbase.concepts, f"row-{index}")
        concept = Concept(id=concept_id)
        fuzzy = values.get("fuzzy", (None, None))[0]
        if fuzzy is not None:
            if fuzzy.lower() in ("true", "1", "yes"):
                concept.review_status = ReviewStatus.DRAFT
            elif fuzzy.lower() not in ("false", "0", "no"):
                extra.append(f"fuzzy: {fuzzy}")
        for key in ("location", "context", "translatorcomments", "developercomments"):
            if key in values:
                add_note(concept, f"{TT_COLUMNS[key]}: {values[key][0]}")
        for line in extra:
            add_note(concept, line)
        for key, tag in (("source", source_lang), ("target", target_lang)):
            if key not in values:
                continue
            text, ref = values[key]
            term = Term(text=text)
            reading = readings.get(text) if readings else None
            if reading:
                term.note = f"reading: {reading}"
                reader.warn(ref, f"phonetic reading {reading!r} kept in the term note", "xlsx-reading")
            concept.languages[tag] = LangSection(lang=tag, terms=[term])
        termbase.add(concept)
    return termbase
