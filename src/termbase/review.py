"""The reviewer round trip: a review workbook out, a three-way merge of the edited sheet back in.

`export_review` writes one row per concept with the fields a reviewer edits side by side
(preferred term, its type and status, the other terms, definition and context per language,
the concept note, review status and a comment column). The `ID` and `Subject fields` columns are
locked and grey, a hidden `Fingerprint` column holds a hash of each concept as exported, and a
hidden `_base` sheet holds each exported concept as its canonical YAML — the base of a three-way
merge.

`read_review` reads the edited workbook (or a CSV saved from it); `plan_import` merges its rows
into the glossary with `merge.merge_review` (the three-way merge engine that the git merge driver
shares) and checks every cell that would be applied with the glossary checks, naming the cell;
any error means nothing is applied.

Other terms are written `text (status, type)`, separated by `;` (by line breaks when a term
contains `;`); `text ()` marks a term without status or type whose text ends with `)`.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import Finding, TermbaseError
from .fileio import read_head
from .formats.delimited import decode, unneutralize
from .formats.sheetxml import iter_rows, open_workbook, sheet_size
from .formats.xlsx import (EXCEL_MAX_CELL, FIXED_DATE, SheetReader, add_dropdowns, check_archive, header_key,
                           finish_sheet, is_rtl_language, language_name, needs_neutralising,
                           save_workbook, setup_sheet, vocabulary_values)
from .glossary import Problem, concept_bytes, concept_from_dict, parse_yaml
from .merge import (Item, Plan, concept_values, fingerprint, fingerprint_bytes as _hash,  # noqa: F401
                    is_term_key, merge_review, vocab_text as _vocab_text)
from .model import (AdministrativeStatus, Concept, ReviewStatus, TermType, Termbase, check_language_tag,
                    primary_language)
from .progress import counted, within
from .validate import check_cross_references, check_text, concept_problems, duplicate_preferred, validate_termbase

REVIEW_SHEET = "Review"
INSTRUCTIONS_SHEET = "Instructions"
BASE_SHEET = "_base"
BASE_CHUNK = 32_000                 # YAML longer than a cell holds continues in the next column
MAX_ROWS = 200_000
READ_ONLY_SUFFIX = " (read-only)"
CHECK = "review"


# --- the fields of a review row ------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """One column of the Review sheet."""

    key: str                  # value key: `note`, `ar.term`, `ar.other` …
    header: str
    kind: str = "text"        # text | vocab | terms | list | id | fingerprint | comment | reference
    vocab: type | None = None
    lang: str | None = None
    editable: bool = True
    rtl: bool = False
    width: int = 18
    help: str = ""


LANGUAGE_FIELDS = [   # (suffix, header word, kind, vocab, width, help)
    ("term", "term", "text", None, 28, "The preferred term, in citation form (Arabic unvocalized)."),
    ("definition", "definition", "text", None, 50, "The definition in this language."),
    ("other", "other terms", "terms", None, 34,
     "The other terms, separated by ';': text (status, type), e.g. `WHO (admitted, acronym); "
     "World Health Org. (deprecated)`."),
    ("type", "type", "vocab", TermType, 12, "Term type of the preferred term."),
    ("status", "status", "vocab", AdministrativeStatus, 12,
     "Administrative status of the term in the term column (normally preferred)."),
    ("context", "context", "text", None, 45, "A sentence showing the preferred term in use."),
]


def review_fields(languages, reference=()) -> list[Field]:
    """The columns of a Review sheet for `languages` (editable) and `reference` (preferred term, locked)."""
    columns = [Field("id", "ID", "id", editable=False, width=24,
                     help="The concept id. Leave it empty in a row you add for a new concept.")]
    for tag in reference:
        columns.append(Field(f"{tag}.reference", f"{language_name(tag)} term{READ_ONLY_SUFFIX}", "reference",
                             lang=tag, editable=False, rtl=is_rtl_language(tag), width=24,
                             help="For reference only; not imported."))
    by_suffix = {}
    for suffix, word, kind, vocab, width, help_text in LANGUAGE_FIELDS:
        for tag in languages:
            rtl = is_rtl_language(tag) and kind in ("text", "terms")
            by_suffix.setdefault(suffix, []).append(
                Field(f"{tag}.{suffix}", f"{language_name(tag)} {word}", kind, vocab, tag, True, rtl, width, help_text))
    for suffix, _, _, _, _, _ in LANGUAGE_FIELDS:
        columns += by_suffix.get(suffix, [])
    columns += [
        Field("note", "Note", width=30, help="Note on the concept as a whole."),
        Field("review_status", "Review status", "vocab", ReviewStatus, width=13,
              help="draft, reviewed or approved. Accepted changes set it to reviewed unless you choose."),
        Field("comment", "Reviewer comment", "comment", width=36,
              help="Your comment; kept in the concept note with your name and the date."),
        Field("subject_fields", "Subject fields", "list", editable=False, width=20,
              help="Subject field ids ('; ' between them). Read-only, except in a new row."),
        Field("fingerprint", "Fingerprint", "fingerprint", editable=False, width=18,
              help="Hidden: a hash of the concept as exported. Do not edit."),
    ]
    return columns


class BaseCopies:
    """The base sheet's YAML, set aside in an unnamed temporary file as it is read (a
    100,000-concept workbook holds 140 MB of it, which a merge reads for the changed concepts
    only). The file has no name, so nothing is left behind, even after a crash."""

    def __init__(self):
        self.file = tempfile.TemporaryFile(prefix="termbase-base-")

    def put(self, data: bytes) -> tuple[int, int]:
        """Keep `data`; returns (offset, length)."""
        offset = self.file.seek(0, os.SEEK_END)
        self.file.write(data)
        return offset, len(data)

    def get(self, offset: int, length: int) -> bytes:
        self.file.seek(offset)
        return self.file.read(length)


@dataclass(slots=True)
class BaseEntry:
    """A concept as exported, from the `_base` sheet: where its YAML is kept, parsed only when a
    merge needs it."""

    id: str
    fingerprint: str
    copies: BaseCopies
    offset: int
    length: int
    row: int                           # its row in the base sheet
    concept: Concept | None = None

    @property
    def ref(self) -> str:
        return f"C{self.row}"

    def load(self, review) -> Concept | None:
        if self.concept is None:
            problems: list = []
            try:
                self.concept = concept_from_dict(parse_yaml(self.copies.get(self.offset, self.length), BASE_SHEET),
                                                 problems)
            except TermbaseError as error:
                problems.append(Problem((), error.message, "base-sheet"))
            if self.concept is None or problems or self.concept.id != self.id:
                review.errors.append(Finding(review.name, None, "error", f"the base copy of concept {self.id!r} "
                                             "cannot be read; export a fresh review workbook", "base-sheet",
                                             where=f"{BASE_SHEET}!{self.ref}"))
                self.concept = None
        return self.concept


def other_terms(values: dict, tag: str) -> list[tuple[str, str]]:
    """[(text, qualifier)] of a language's other terms, in order."""
    prefix = f"{tag}.other["
    return [(key[len(prefix):-1], value) for key, value in values.items() if key.startswith(prefix)]


def format_terms(items) -> str:
    """The `other terms` cell for [(text, qualifier)]."""
    parts = []
    for text, qualifier in items:
        parts.append(f"{text} ({qualifier})" if qualifier else f"{text} ()" if text.endswith(")") else text)
    separator = "\n" if any(";" in text for text, _ in items) else "; "
    return separator.join(parts)


_QUALIFIED = re.compile(r"(.*?)\s*\(([^()]*)\)\Z", re.S)
_LOOKS_LIKE_QUALIFIER = re.compile(r"[a-z][a-z ,\-]*\Z")


def parse_terms(text: str) -> list[tuple[str, str]]:
    """[(text, canonical qualifier)] from an `other terms` cell; ValueError on a bad status or type."""
    separator = "\n" if "\n" in text else ";"
    items = []
    for item in (part.strip() for part in text.split(separator)):
        if not item:
            continue
        qualifier = ""
        match = _QUALIFIED.match(item)
        if match:
            unknown, canonical = _qualifier_words(match.group(2))
            if not unknown:
                item = match.group(1).strip()
                qualifier = canonical
            elif _LOOKS_LIKE_QUALIFIER.match(match.group(2).strip()):
                raise ValueError(f"{unknown[0]!r} in {item!r} is not a status ({', '.join(vocabulary_values(AdministrativeStatus))}) "
                                 f"or term type ({', '.join(TermType.values())})")
        if not item:
            raise ValueError("a term without text")
        if any(text == item for text, _ in items):
            raise ValueError(f"{item!r} is listed twice")
        items.append((item, qualifier))
    return items


@lru_cache(maxsize=1024)
def _qualifier_words(inside: str) -> tuple:
    """([words that are neither a status nor a term type], canonical qualifier) for the text inside
    the brackets of an other-terms item (`admitted, acronym`); a second status or type is such a word."""
    words = [w.strip() for w in inside.split(",") if w.strip()]
    status = type_ = None
    unknown = []
    for word in words:
        try:
            parsed = AdministrativeStatus.parse(word)
            if status is not None:
                raise ValueError("a second status")
            status = parsed
            continue
        except ValueError:
            pass
        try:
            parsed = TermType.parse(word)
            if type_ is not None:
                raise ValueError("a second term type")
            type_ = parsed
        except ValueError:
            unknown.append(word)
    return tuple(unknown), ", ".join(x for x in (_vocab_text(status), _vocab_text(type_)) if x)


# --- export --------------------------------------------------------------------------------

class _Styles:
    """Style arrays for the cells of the review workbook (write-only cells share them)."""

    def __init__(self, workbook):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill, Protection

        probe = workbook.create_sheet("_styles")
        self._cell = WriteOnlyCell
        self._arrays = {}
        grey = PatternFill("solid", fgColor="E7E6E6")
        for header in (False, True):
            for locked in (False, True):
                for rtl in (False, True):
                    for quote in (False, True):
                        cell = WriteOnlyCell(probe)
                        cell.protection = Protection(locked=locked)
                        cell.alignment = Alignment(horizontal="right" if rtl else None, readingOrder=2 if rtl else 0,
                                                   vertical="top", wrap_text=not header)
                        cell.font = Font(bold=header, color="595959" if locked else None)
                        if locked:
                            cell.fill = grey
                        cell.quotePrefix = quote
                        self._arrays[header, locked, rtl, quote] = cell._style
        workbook.remove(probe)

    def cell(self, sheet, value, locked=False, rtl=False, header=False):
        """A cell for `sheet.append`; formula-like text stays text (quote prefix)."""
        quote = isinstance(value, str) and needs_neutralising(value)
        cell = self._cell(sheet, value)
        if quote:
            cell.data_type = "s"
        cell._style = self._arrays[header, locked, rtl, quote]
        return cell


LINE_HEIGHT = 15          # points, the default row height
MAX_ROW_HEIGHT = 409      # points, the largest a spreadsheet row may be


def row_height(texts, widths) -> float:
    """A row height (points) that shows every wrapped cell whole.

    LibreOffice does not re-fit rows of an XLSX it opens, so wrapped text would overlap the
    next row; the line count is estimated from the text length and the column width.
    """
    lines = 1
    for text, width in zip(texts, widths):
        if text:
            usable = max(width - 1, 1)
            lines = max(lines, sum(-(-len(part) // usable) or 1 for part in text.split("\n")))
    return min(lines * LINE_HEIGHT, MAX_ROW_HEIGHT)


def _cell_text(values: dict, column: Field, concept: Concept) -> str:
    if column.kind == "id":
        return concept.id
    if column.kind == "fingerprint":
        return values["fingerprint"]
    if column.kind == "terms":
        return format_terms(other_terms(values, column.lang))
    if column.kind == "reference":
        term = concept.preferred_term(column.lang)
        return term.text if term else ""
    if column.kind == "comment":
        return ""
    return values.get(column.key, "")


def export_review(termbase: Termbase, target, languages=None, subject: str | None = None,
                  status: str | None = None, progress=None) -> int:
    """Write the review workbook for the selected concepts to a binary stream; returns the row count.

    `progress(concepts, total)` hears how far the export is: the concepts are gone through three
    times (their cells and YAML, the review sheet, the base sheet), a third of the way each."""
    from openpyxl import Workbook
    from openpyxl.styles import Protection
    from openpyxl.utils import get_column_letter

    languages = [check_language_tag(tag) for tag in (languages or termbase.languages or ["en", "ar"])]
    reference = [tag for tag in termbase.languages if primary_language(tag) not in map(primary_language, languages)]
    wanted_status = ReviewStatus.parse(status) if status else None
    concepts = [c for c in termbase if (not subject or subject in c.subject_fields)
                and (wanted_status is None or c.review_status is wanted_status)]
    columns = review_fields(languages, reference)
    rows, bases, newest = [], [], None
    third = len(concepts) // 3
    for concept in counted(concepts, within(progress, 0, third, len(concepts))):   # all cells checked before the workbook is started
        values = concept_values(concept, languages)
        text = concept_bytes(concept).decode("utf-8")
        values["fingerprint"] = _hash(text.encode("utf-8"))
        rows.append([_checked(_cell_text(values, column, concept), column.header, concept.id) for column in columns])
        bases.append([concept.id, _hash(text.encode("utf-8"))] + [text[i:i + BASE_CHUNK] for i in range(0, len(text), BASE_CHUNK)])
        for date in (concept.created, concept.modified):
            if date and (newest is None or date > newest):
                newest = date

    workbook = Workbook(write_only=True)
    styles = _Styles(workbook)
    sheet = workbook.create_sheet(REVIEW_SHEET)
    instructions = workbook.create_sheet(INSTRUCTIONS_SHEET)
    base = workbook.create_sheet(BASE_SHEET)
    for index, column in enumerate(columns, 1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.protection = Protection(locked=not column.editable)   # also the rows a reviewer adds
        dimension.hidden = column.kind == "fingerprint"
    setup_sheet(sheet, [(c.header, c.width) for c in columns])
    sheet.append([styles.cell(sheet, c.header, not c.editable, header=True) for c in columns])
    for number, row in enumerate(counted(rows, within(progress, third, third, len(concepts))), 2):
        sheet.row_dimensions[number].height = row_height(row, [c.width for c in columns])
        sheet.append([styles.cell(sheet, text, not column.editable, column.rtl) if text else None
                      for text, column in zip(row, columns)])
    finish_sheet(sheet, len(columns), len(rows) + 1)
    add_dropdowns(sheet, {i: vocabulary_values(c.vocab) for i, c in enumerate(columns, 1) if c.kind == "vocab"})
    protection = sheet.protection
    protection.sheet = True           # no password: Review ▸ Unprotect Sheet lifts it
    for allowed in ("sort", "autoFilter", "formatColumns", "formatRows", "insertRows", "deleteRows"):
        setattr(protection, allowed, False)

    setup_sheet(base, [("ID", 24), ("Fingerprint", 20), ("Concept (YAML)", 80)])
    base.append([styles.cell(base, h, True, header=True) for h in ("ID", "Fingerprint", "Concept (YAML)")])
    for row in counted(bases, within(progress, 2 * third, len(concepts) - 2 * third, len(concepts))):
        base.append([styles.cell(base, value, True) for value in row])
    base.sheet_state = "hidden"
    base.protection.sheet = True
    _write_instructions(instructions, styles, termbase, columns, languages, len(rows), subject, status)
    when = _dt.datetime.combine(newest, _dt.time()) if newest else FIXED_DATE
    save_workbook(workbook, target, when)
    return len(rows)


def _checked(text: str, header: str, concept_id: str) -> str:
    """`text` if a cell can hold it, else a TermbaseError naming the concept and column."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if len(text) > EXCEL_MAX_CELL:
        raise TermbaseError(f"{header} has {len(text)} characters, more than a cell holds ({EXCEL_MAX_CELL})",
                            where=f"concept {concept_id}")
    bad = ILLEGAL_CHARACTERS_RE.search(text)
    if bad:
        raise TermbaseError(f"{header} holds the control character U+{ord(bad.group()):04X}, which an XLSX file "
                            "cannot hold", where=f"concept {concept_id}")
    return text


def _write_instructions(sheet, styles, termbase, columns, languages, count, subject, status) -> None:
    selection = ", ".join(x for x in (f"subject field {subject}" if subject else "",
                                      f"review status {status}" if status else "") if x) or "all concepts"
    rows = [
        ("Review workbook", f"{termbase.title or 'termbase'}: {count} concepts ({selection}); "
                            f"languages {', '.join(languages)}."),
        ("How to review", f"Edit the white cells of the {REVIEW_SHEET} sheet. Grey columns are read-only. "
                          "Sort and filter as you like: rows are matched by ID, columns by their header."),
        ("New concept", "Add a row at the end and leave ID empty: it becomes a new draft concept "
                        "(an id is made from the English term)."),
        ("Delete a concept", "Delete its row, or empty all its white cells. Deletions are only carried out "
                             "when the import is run with --allow-deletes."),
        ("Other terms", "text (status, type), separated by ';' — e.g. `WHO (admitted, acronym); "
                        "World Health Org. (deprecated)`. Statuses: "
                        + ", ".join(vocabulary_values(AdministrativeStatus)) + ". Types: "
                        + ", ".join(TermType.values()) + "."),
        ("Comments", "Write comments in 'Reviewer comment'; they are kept in the concept note with your "
                     "name and the date."),
        ("Formulas", "Type text, not formulas: a cell holding a formula is refused on import."),
        ("Protection", "The sheet is protected without a password so that only white cells change; "
                       "Review ▸ Unprotect Sheet lifts it (for example to delete rows)."),
        ("Hidden parts", f"The hidden 'Fingerprint' column and the hidden '{BASE_SHEET}' sheet hold the concepts "
                         "as exported, so that the import can tell your changes from later glossary changes. "
                         "Do not edit them."),
        ("Import", "termbase review import review.xlsx --reviewer 'Your Name' --dry-run "
                   "(then without --dry-run). A CSV saved from the Review sheet can be imported too."),
    ]
    rows += [(column.header, column.help + (" Read-only." if not column.editable and column.kind != "list" else ""))
             for column in columns]
    setup_sheet(sheet, [("Topic", 26), ("Explanation", 110)])
    sheet.append([styles.cell(sheet, "Topic", True, header=True), styles.cell(sheet, "Explanation", True, header=True)])
    for topic, text in rows:
        sheet.append([styles.cell(sheet, topic, True), styles.cell(sheet, text, True)])


# --- reading the review file ---------------------------------------------------------------

class RowCells(Mapping):
    """key -> cell reference (`D17`) of the cells of one row that hold a value, in column order:
    worked out from the sheet's column letters (shared by all rows) and the row number."""

    __slots__ = ("letters", "keys", "number")

    def __init__(self, letters: dict, keys: tuple, number: int):
        self.letters, self.keys, self.number = letters, keys, number

    def __getitem__(self, key: str) -> str:
        if key not in self.keys:
            raise KeyError(key)
        return f"{self.letters[key]}{self.number}"

    def __iter__(self):
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(slots=True)
class Row:
    """One data row of the review sheet: the values it holds and the cell of each."""

    number: int
    id: str | None
    values: dict                       # key -> text; other terms expanded to `<tag>.other[<text>]`
    present: set                       # keys of the columns the sheet has
    letters: dict                      # key -> column letter (the sheet's, shared by all rows)
    filled: tuple = ()                 # keys of the cells with a value, in column order (shared)
    fingerprint: str | None = None
    comment: str = ""

    @property
    def cells(self) -> RowCells:
        """key -> cell reference (`D17`) of each cell with a value."""
        return RowCells(self.letters, self.filled, self.number)


@dataclass
class ReviewFile:
    name: str
    sheet: str | None                  # sheet title for cell references (None for CSV)
    languages: list
    rows: list
    base: dict | None                  # id -> Concept as exported (None: no base sheet)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    column_cells: dict = field(default_factory=dict)   # key -> column letter

    def where(self, ref: str | None) -> str | None:
        if ref is None:
            return None
        return f"{self.sheet}!{ref}" if self.sheet else ref

    def error(self, ref, message, check=CHECK):
        self.errors.append(Finding(self.name, None, "error", message, check, where=self.where(ref)))

    def warn(self, ref, message, check=CHECK):
        self.warnings.append(Finding(self.name, None, "warning", message, check, where=self.where(ref)))


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _header_index(languages) -> dict:
    """{normalized header: Field} for every column name a review sheet may have."""
    names = {}
    for column in review_fields(languages, languages):
        names[header_key(column.header)] = column
        if column.lang:
            suffix = column.header[len(language_name(column.lang)):]
            names.setdefault(header_key(column.lang + suffix), column)
    names[header_key("Comment")] = names[header_key("Reviewer comment")]
    names[header_key("Concept ID")] = names[header_key("ID")]
    return names


def read_review(path, glossary_languages=(), warnings=None, progress=None) -> ReviewFile:
    """Read a review workbook or a CSV saved from its Review sheet; `progress(bytes, total)`
    hears how much of it is read."""
    path = Path(path)
    if read_head(path, 4).startswith(b"PK\x03\x04"):
        return _read_workbook(path, glossary_languages, progress)
    return _read_csv(path, glossary_languages, progress)


def _read_workbook(path: Path, glossary_languages, progress=None) -> ReviewFile:
    name = str(path)
    with open(path, "rb") as handle:
        check_archive(handle, name)
        handle.seek(0)
        try:
            workbook = open_workbook(handle)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise TermbaseError(f"cannot open the workbook: {error}", name) from None
        try:
            base = None
            base_findings = ReviewFile(name, BASE_SHEET, [], [], None)
            title = REVIEW_SHEET if REVIEW_SHEET in workbook.sheetnames else workbook.sheetnames[0]
            # the two sheets' shares of the file's bytes, by the size of their XML
            size, has_base = path.stat().st_size, BASE_SHEET in workbook.sheetnames
            base_xml = sheet_size(workbook[BASE_SHEET]) if has_base else 0
            base_share = size * base_xml // max(1, base_xml + sheet_size(workbook[title]))
            base_languages: list = []
            if has_base:
                base = _read_base(workbook[BASE_SHEET], base_findings, within(progress, 0, base_share, size),
                                  base_languages)
            reader = SheetReader(name, title, [])
            languages = _languages(glossary_languages, base_languages)
            review = ReviewFile(name, title, languages, [], base)
            review.errors += base_findings.errors
            merged: list = []
            start = len(review.errors)

            def text(cell, ref):
                try:
                    return reader.text(cell)
                except TermbaseError as error:   # a formula: flagged, never evaluated
                    review.error(ref, error.message, "formula")
                    return None

            def rows():   # streamed: a row is read when _read_rows takes it
                number = 0
                sheet_progress = within(progress, base_share, size - base_share, size)
                for index, row in iter_rows(workbook[title], name, merged, sheet_progress):
                    if index > MAX_ROWS:
                        raise TermbaseError(f"more than {MAX_ROWS} rows in sheet {title!r}; refused", name)
                    for number in range(number + 1, index):   # rows without cells keep the numbering
                        yield []
                    number = index
                    yield [(cell.coordinate, text(cell, cell.coordinate)) for cell in row]
            _read_rows(review, rows())
            later = review.errors[start:]   # the merged ranges (known once the sheet is read) come first
            del review.errors[start:]
            for span in merged:
                review.error(span, "merged cells: only the first keeps its value, so the others would import as "
                             "cleared; unmerge them", "merged-cells")
            review.errors += later
            review.warnings = reader.warnings + review.warnings
            return review
        finally:
            workbook.close()


def _languages(glossary_languages, base_languages=()) -> list:
    tags = list(glossary_languages)
    tags += [t for t in base_languages if t not in tags]
    return tags or ["en", "ar"]


_SECTION_LINE = re.compile(r"^  ([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*):$", re.M)   # `  ar:` in a concept's YAML


def _read_base(sheet, findings: ReviewFile, progress, languages: list) -> dict:
    """{id: BaseEntry} of the base sheet; `languages` receives the language sections its concepts
    have, in the order first met."""
    base = {}
    copies = BaseCopies()
    reader = SheetReader(findings.name, BASE_SHEET, [])
    for index, cells in iter_rows(sheet, findings.name, progress=progress):
        if index == 1:
            continue
        try:
            texts = [c.value if isinstance(c.value, str) else reader.text(c) for c in cells]
        except TermbaseError as error:
            findings.error(f"A{index}", error.message, "base-sheet")
            continue
        if len(texts) < 3:
            findings.error(f"A{index}", "incomplete row in the base sheet", "base-sheet")
            continue
        concept_id, stored, yaml_text = texts[0].strip(), texts[1].strip(), "".join(texts[2:]).replace("\r\n", "\n")
        data = yaml_text.encode("utf-8")
        if _hash(data) != stored:
            findings.error(f"C{index}", f"the base copy of concept {concept_id!r} is damaged (its fingerprint "
                           "does not match); export a fresh review workbook", "base-sheet")
            continue
        languages += [t for t in _SECTION_LINE.findall(yaml_text) if t not in languages]
        base[concept_id] = BaseEntry(concept_id, stored, copies, *copies.put(data), index)
    return base


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _read_csv(path: Path, glossary_languages, progress=None) -> ReviewFile:
    raw = path.read_bytes()
    if len(raw) > 64 * 1024 * 1024:
        raise TermbaseError("the CSV file is over 64 MB; refused", path)
    text = decode(raw, path)
    review = ReviewFile(str(path), None, _languages(glossary_languages), [], None)
    buffer = io.StringIO(text, newline="")
    reader = csv.reader(buffer, delimiter=_sniff_delimiter(text.split("\n", 1)[0]))
    progress = within(progress, 0, len(raw), len(raw))

    def records():
        for number, cells in enumerate(reader, 1):
            if progress is not None and not number % 256:
                progress(buffer.tell(), len(text))
            if number > MAX_ROWS:
                raise TermbaseError(f"more than {MAX_ROWS} rows; refused", path)
            row = []
            for index, value in enumerate(cells, 1):
                ref = f"{_column_letter(index)}{number}"
                stripped = value.strip()
                if stripped != value and stripped:
                    review.warn(ref, "leading or trailing spaces trimmed", "spaces")
                if stripped.startswith("'") and unneutralize(stripped) != stripped:
                    stripped = unneutralize(stripped)
                row.append((ref, unicodedata.normalize("NFC", stripped) if stripped else None))
            yield row
    try:
        _read_rows(review, records())
    except csv.Error as error:
        raise TermbaseError(f"malformed CSV: {error}", path, reader.line_num) from None
    return review


_DIGITS = "0123456789"


def _read_rows(review: ReviewFile, rows) -> None:
    """Fill `review.rows` from [(cell reference, text or None)] per sheet row (first row: headers)."""
    index = _header_index(review.languages)
    columns: dict[str, Field] = {}
    unknown: dict[str, str] = {}
    present: set = set()
    shapes: dict = {}
    for number, cells in enumerate(rows, 1):
        if number == 1:
            for ref, text in cells:
                if text is None:
                    continue
                letter = ref.rstrip(_DIGITS)
                column = index.get(header_key(text))
                if column is None:
                    unknown[letter] = text
                elif column.key in review.column_cells:
                    review.error(ref, f"a second {column.header!r} column; which one counts is unclear", "header")
                else:
                    columns[letter] = column
                    review.column_cells[column.key] = letter
            if "id" not in review.column_cells:
                raise TermbaseError("the first row has no 'ID' column: is this a review sheet "
                                    "(`termbase review export`)?", review.name, where=review.where("A1"))
            languages = sorted({c.lang for c in columns.values() if c.lang and c.kind != "reference"},
                               key=review.languages.index)
            review.languages = languages
            present = {c.key for c in columns.values()}
            continue
        row = Row(number, None, {}, present, review.column_cells)
        seen = False
        filled = []
        for ref, text in cells:
            if text is None:
                continue
            letter = ref.rstrip(_DIGITS)
            column = columns.get(letter)
            seen = True
            if column is None:
                review.warn(ref, f"column {unknown.get(letter, letter)!r} is not a review column; "
                            f"its value {text[:60]!r} is not imported", "unknown-column")
                continue
            filled.append(column.key)
            _put(review, row, column, text, ref)
        if seen and (row.values or row.id or row.comment or row.fingerprint):
            entry = review.base.get(row.id) if review.base else None
            if entry is not None:    # the base's own strings, not a second copy of each
                row.id = entry.id
                if row.fingerprint == entry.fingerprint:
                    row.fingerprint = entry.fingerprint
            filled = tuple(filled)
            row.filled = shapes.setdefault(filled, filled)     # most rows fill the same cells: one tuple
            review.rows.append(row)
    if "id" not in review.column_cells:
        raise TermbaseError("the file is empty: no header row", review.name)


@lru_cache(maxsize=1024)
def _vocab_value(vocab, text: str) -> str:
    """The canonical text of a vocabulary cell (ValueError if it is none of the values)."""
    return _vocab_text(vocab.parse(text))


@lru_cache(maxsize=4096)
def _shared(text: str) -> str:
    """One str object for equal texts of the columns whose values repeat from row to row (the
    other terms' qualifiers, subject fields): a 100,000-row workbook holds 20 MB fewer copies."""
    return text


def _put(review: ReviewFile, row: Row, column: Field, text: str, ref: str) -> None:
    if column.kind == "id":
        row.id = text
    elif column.kind == "fingerprint":
        row.fingerprint = text
    elif column.kind == "comment":
        row.comment = text
    elif column.kind == "reference":
        pass
    elif column.kind == "terms":
        try:
            items = parse_terms(text)
        except ValueError as error:
            review.error(ref, str(error), "bad-value")
            return
        for term, qualifier in items:
            row.values[f"{column.lang}.other[{term}]"] = _shared(qualifier)
    elif column.kind == "vocab":
        try:
            row.values[column.key] = _vocab_value(column.vocab, text)
        except ValueError as error:
            review.error(ref, str(error), "bad-value")
    elif column.kind == "list":
        row.values[column.key] = _shared("; ".join(p.strip() for p in re.split(r"[;\n]", text) if p.strip()))
    else:
        row.values[column.key] = text


# --- the merge (merge.merge_review) and its cells -----------------------------------------

def plan_import(glossary: Termbase, review: ReviewFile, reviewer: str = "", today: _dt.date | None = None,
                allow_deletes: bool = False, prefer: str | None = None, progress=None) -> Plan:
    """Merge the review file into a copy of `glossary` (`prefer`: None, `theirs` or `ours`), every
    applied cell checked; writes nothing. `progress(rows, total)` hears of the rows merged."""
    plan = merge_review(glossary, review, _label, reviewer, today, allow_deletes, prefer, progress)
    _validate(plan, glossary)
    return plan


def _label(key: str) -> str:
    if "." not in key:
        return {"note": "Note", "review_status": "Review status", "subject_fields": "Subject fields",
                "comment": "Reviewer comment"}.get(key, key)
    tag, rest = key.split(".", 1)
    name = language_name(tag)
    if rest.startswith("other["):
        return f"{name} other terms: {rest[6:-1]}"
    return f"{name} {dict((s, w) for s, w, *_ in LANGUAGE_FIELDS).get(rest, rest)}"


# --- validation ----------------------------------------------------------------------------

def _cell_for(keypath: tuple, concept: Concept, row: Row, merged_languages) -> str | None:
    """The cell of a row that a validation problem at `keypath` points at."""
    cells = row.cells
    fallback = cells.get("id") or next(iter(cells.values()), None)
    if not keypath:
        return fallback
    head = keypath[0]
    if head == "languages" and len(keypath) > 1:
        tag = next((t for t in merged_languages if primary_language(t) == primary_language(str(keypath[1]))), None)
        if tag is None:
            return fallback
        if len(keypath) == 2:
            return cells.get(f"{tag}.term", fallback)
        if keypath[2] == "definition":
            return cells.get(f"{tag}.definition", fallback)
        if keypath[2] == "terms" and len(keypath) == 3:
            return cells.get(f"{tag}.status") or cells.get(f"{tag}.term", fallback)
        if keypath[2] == "terms":
            section = concept.languages[keypath[1]]
            term = section.terms[keypath[3]]
            preferred = section.preferred()
            if term is preferred:
                if len(keypath) > 4 and keypath[4] == "context":
                    return cells.get(f"{tag}.context", fallback)
                return cells.get(f"{tag}.term", fallback)
            return cells.get(f"{tag}.other", fallback)
    if head == "subject_fields":
        return cells.get("subject_fields", fallback)
    if head == "note":
        return cells.get("note", fallback)
    return fallback


def _problems(concept: Concept, termbase: Termbase, duplicates: dict) -> list:
    problems = concept_problems(concept, termbase)
    problems += check_cross_references(concept, set(termbase.concepts))
    problems += duplicates.get(concept.id, [])
    return problems


def _check_cell(review: ReviewFile, item: Item, row: Row) -> None:
    """The glossary's text checks on a value about to be applied; a CSV cell starting with `=` is refused."""
    ref = row.cells.get(item.key.split("[", 1)[0])
    texts = [item.reviewer] if isinstance(item.reviewer, str) else []
    if is_term_key(item.key):
        texts.append(item.key.split(".other[", 1)[1][:-1])
    for text in texts:
        for problem in check_text(text):
            (review.error if problem.severity == "error" else review.warn)(
                ref, f"{item.field}: {problem.message}", problem.check)
        if review.sheet is None and text.startswith("="):
            review.error(ref, f"{item.field}: {text[:40]!r} looks like a formula, and a CSV cannot tell a formula "
                         "from text; type the text without the leading '='", "formula")


def _validate(plan: Plan, glossary: Termbase) -> None:
    """Every applied cell and changed concept through the glossary checks; errors name cells."""
    review = plan.review
    result = plan.termbase
    if not plan.written and not plan.deleted:
        return
    duplicates = duplicate_preferred(result.concepts)
    before_duplicates = duplicate_preferred(glossary.concepts)
    languages = review.languages
    for concept_id, (concept, row) in plan.written.items():
        for item in next(r for r in plan.concepts if r.id == concept_id).items:
            if item.outcome == "applied" and item.key:
                _check_cell(review, item, row)
        old = glossary.concepts.get(concept_id)
        known = set()
        if old is not None:
            known = {(p.check, p.message) for p in _problems(old, glossary, before_duplicates)}
        for problem in _problems(concept, result, duplicates):
            if (problem.check, problem.message) in known:
                continue
            ref = _cell_for(problem.keypath, concept, row, languages)
            message = f"concept {concept_id}: {problem.message}"
            (review.error if problem.severity == "error" else review.warn)(ref, message, problem.check)
    if not plan.deleted:   # other concepts change only through deletions (dangling cross-references)
        return
    before = {str(f) for f in validate_termbase(glossary, review.name) if f.severity == "error"}
    for finding in validate_termbase(result, review.name):
        if finding.severity != "error" or str(finding) in before or finding.check == "duplicate-preferred":
            continue
        if any(finding.message.startswith(f"concept {cid}:") for cid in plan.written):
            continue
        review.errors.append(finding)


def changed_files(plan: Plan, root, progress=None) -> tuple[dict, list]:
    """({path: bytes} to write, [paths to remove]) for the glossary directory `root`
    (`progress(concepts, total)` hears of the concepts rendered)."""
    from .glossary import CONCEPT_DIR

    root = Path(root)
    files = {root / CONCEPT_DIR / f"{cid}.yaml": concept_bytes(concept)
             for cid, (concept, _) in counted(plan.written.items(), progress)}
    return files, [root / CONCEPT_DIR / f"{cid}.yaml" for cid in plan.deleted]
