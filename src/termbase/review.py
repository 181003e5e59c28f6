"""The reviewer round trip: a review workbook out, a three-way merge of the edited sheet back in.

`export_review` writes one row per concept with the fields a reviewer edits side by side
(preferred term, its type and status, the other terms, definition and context per language,
the concept note, review status and a comment column). The `ID` and `Subject fields` columns are
locked and grey, a hidden `Fingerprint` column holds a hash of each concept as exported, and a
hidden `_base` sheet holds each exported concept as its canonical YAML — the base of a three-way
merge.

`plan_import` reads the edited workbook (or a CSV saved from it) and merges every row field by
field: what only the reviewer changed is applied, what only the glossary changed is kept, what
both changed differently is a conflict (nothing of that concept is applied unless `prefer` is
`theirs` or `ours`). Without the `_base` sheet (a CSV) the fingerprint decides: a field that
differs from the glossary is applied only if the concept is unchanged since the export, else it
is a conflict. Every cell that would be applied is validated with the glossary checks; any error
means nothing is applied.

Other terms are written `text (status, type)`, separated by `;` (by line breaks when a term
contains `;`); `text ()` marks a term without status or type whose text ends with `)`.
"""
from __future__ import annotations

import copy
import csv
import datetime as _dt
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import arabic
from .errors import Finding, TermbaseError
from .fileio import read_head
from .formats.delimited import decode, unneutralize
from .formats.sheetxml import iter_rows, open_workbook
from .formats.xlsx import (EXCEL_MAX_CELL, FIXED_DATE, SheetReader, add_dropdowns, check_archive, header_key,
                           finish_sheet, is_rtl_language, language_name, needs_neutralising,
                           save_workbook, setup_sheet, vocabulary_values)
from .glossary import Problem, concept_bytes, concept_from_dict, parse_yaml
from .merge import diff_concepts
from .model import (add_note, AdministrativeStatus, CONCEPT_ID, Concept, LangSection, ReviewStatus, Term, TermType,
                    Termbase, check_language_tag, primary_language, unique_id)
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


def fingerprint(concept: Concept) -> str:
    """A short hash of the concept's canonical YAML (`fp-…`: never taken for a number by a spreadsheet)."""
    return _hash(concept_bytes(concept))


def _hash(data: bytes) -> str:
    return "fp-" + hashlib.sha256(data).hexdigest()[:16]


@dataclass
class BaseEntry:
    """A concept as exported, from the `_base` sheet: its YAML, parsed only when a merge needs it."""

    id: str
    fingerprint: str
    text: str
    ref: str
    concept: Concept | None = None

    def load(self, review) -> Concept | None:
        if self.concept is None:
            problems: list = []
            try:
                self.concept = concept_from_dict(parse_yaml(self.text.encode("utf-8"), BASE_SHEET), problems)
            except TermbaseError as error:
                problems.append(Problem((), error.message, "base-sheet"))
            if self.concept is None or problems or self.concept.id != self.id:
                review.errors.append(Finding(review.name, None, "error", f"the base copy of concept {self.id!r} "
                                             "cannot be read; export a fresh review workbook", "base-sheet",
                                             where=f"{BASE_SHEET}!{self.ref}"))
                self.concept = None
        return self.concept


def _vocab_text(value) -> str:
    if value is None:
        return ""
    return value.short if isinstance(value, AdministrativeStatus) else value.value


def _qualifier(term: Term) -> str:
    return ", ".join(x for x in (_vocab_text(term.status), _vocab_text(term.type)) if x)


def concept_values(concept: Concept, languages) -> dict:
    """The review values of a concept: {key: text}, other terms as `<tag>.other[<text>]: qualifier`."""
    values = {"note": concept.note, "review_status": _vocab_text(concept.review_status),
              "subject_fields": "; ".join(concept.subject_fields)}
    for tag in languages:
        section = concept.section(tag)
        preferred = section.preferred() if section else None
        values[f"{tag}.term"] = preferred.text if preferred else ""
        values[f"{tag}.type"] = _vocab_text(preferred.type) if preferred else ""
        values[f"{tag}.status"] = _vocab_text(preferred.status) if preferred else ""
        values[f"{tag}.context"] = preferred.context if preferred else ""
        values[f"{tag}.definition"] = section.definition if section else ""
        for term in section.terms if section else ():
            if term is not preferred:
                values[f"{tag}.other[{term.text}]"] = _qualifier(term)
    return values


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


def _parse_qualifier(qualifier: str):
    status = type_ = None
    for word in filter(None, (w.strip() for w in qualifier.split(","))):
        try:
            status = AdministrativeStatus.parse(word)
        except ValueError:
            type_ = TermType.parse(word)
    return status, type_


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
                  status: str | None = None) -> int:
    """Write the review workbook for the selected concepts to a binary stream; returns the row count."""
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
    for concept in concepts:       # all cells checked before the workbook is started
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
    for number, row in enumerate(rows, 2):
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
    for row in bases:
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

@dataclass
class Row:
    """One data row of the review sheet: the values it holds and the cell of each."""

    number: int
    id: str | None
    values: dict                       # key -> text; other terms expanded to `<tag>.other[<text>]`
    present: set                       # keys of the columns the sheet has
    cells: dict                        # key -> cell reference (`D17`)
    fingerprint: str | None = None
    comment: str = ""


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


def read_review(path, glossary_languages=(), warnings=None) -> ReviewFile:
    """Read a review workbook or a CSV saved from its Review sheet."""
    path = Path(path)
    if read_head(path, 4).startswith(b"PK\x03\x04"):
        return _read_workbook(path, glossary_languages)
    return _read_csv(path, glossary_languages)


def _read_workbook(path: Path, glossary_languages) -> ReviewFile:
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
            if BASE_SHEET in workbook.sheetnames:
                base = _read_base(workbook[BASE_SHEET], base_findings)
            title = REVIEW_SHEET if REVIEW_SHEET in workbook.sheetnames else workbook.sheetnames[0]
            reader = SheetReader(name, title, [])
            languages = _languages(glossary_languages, base)
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
                for index, row in iter_rows(workbook[title], name, merged):
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


def _languages(glossary_languages, base) -> list:
    tags = list(glossary_languages)
    for entry in (base or {}).values():     # language sections as the YAML lists them (`  ar:`)
        tags += [t for t in re.findall(r"^  ([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*):$", entry.text, re.M) if t not in tags]
    return tags or ["en", "ar"]


def _read_base(sheet, findings: ReviewFile) -> dict:
    base = {}
    reader = SheetReader(findings.name, BASE_SHEET, [])
    for index, cells in iter_rows(sheet, findings.name):
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
        if _hash(yaml_text.encode("utf-8")) != stored:
            findings.error(f"C{index}", f"the base copy of concept {concept_id!r} is damaged (its fingerprint "
                           "does not match); export a fresh review workbook", "base-sheet")
            continue
        base[concept_id] = BaseEntry(concept_id, stored, yaml_text, f"C{index}")
    return base


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _read_csv(path: Path, glossary_languages) -> ReviewFile:
    raw = path.read_bytes()
    if len(raw) > 64 * 1024 * 1024:
        raise TermbaseError("the CSV file is over 64 MB; refused", path)
    text = decode(raw, path)
    review = ReviewFile(str(path), None, _languages(glossary_languages, None), [], None)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text.split("\n", 1)[0]))

    def records():
        for number, cells in enumerate(reader, 1):
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
        row = Row(number, None, {}, present, {})
        seen = False
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
            row.cells[column.key] = ref
            _put(review, row, column, text, ref)
        if seen and (row.values or row.id or row.comment or row.fingerprint):
            review.rows.append(row)
    if "id" not in review.column_cells:
        raise TermbaseError("the file is empty: no header row", review.name)


@lru_cache(maxsize=1024)
def _vocab_value(vocab, text: str) -> str:
    """The canonical text of a vocabulary cell (ValueError if it is none of the values)."""
    return _vocab_text(vocab.parse(text))


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
            row.values[f"{column.lang}.other[{term}]"] = qualifier
    elif column.kind == "vocab":
        try:
            row.values[column.key] = _vocab_value(column.vocab, text)
        except ValueError as error:
            review.error(ref, str(error), "bad-value")
    elif column.kind == "list":
        row.values[column.key] = "; ".join(p.strip() for p in re.split(r"[;\n]", text) if p.strip())
    else:
        row.values[column.key] = text


# --- the merge -----------------------------------------------------------------------------

@dataclass
class Item:
    """What happened to one field of one concept."""

    field: str
    outcome: str                # applied | kept | conflict | rejected
    base: object = None
    glossary: object = None
    reviewer: object = None
    cell: str | None = None
    message: str = ""
    key: str = ""

    def as_dict(self) -> dict:
        return dict(vars(self))

    def __str__(self) -> str:
        where = f" [{self.cell}]" if self.cell else ""
        if self.outcome == "applied":
            text = f"{_show(self.glossary)} → {_show(self.reviewer)}"
        elif self.outcome == "conflict":
            text = f"glossary {_show(self.glossary)}, reviewer {_show(self.reviewer)} (exported {_show(self.base)})"
        elif self.outcome == "kept":
            text = f"{_show(self.glossary)} (changed in the glossary since the export)"
        else:
            text = f"{_show(self.reviewer)} not applied"
        return f"  {self.outcome:<9}{self.field}{where}: {text}" + (f" — {self.message}" if self.message else "")


def _show(value) -> str:
    return "(none)" if value in (None, "") else repr(value)


@dataclass
class ConceptResult:
    id: str
    row: int | None
    outcome: str                # updated | added | deleted | conflict | rejected | unchanged
    items: list = field(default_factory=list)
    changes: list = field(default_factory=list)      # merge.Change: the effect on the glossary
    message: str = ""

    def as_dict(self) -> dict:
        return {"id": self.id, "row": self.row, "outcome": self.outcome, "message": self.message,
                "fields": [i.as_dict() for i in self.items], "changes": [c.as_dict() for c in self.changes]}


@dataclass
class Plan:
    """The outcome of merging a review file: the new termbase and the report."""

    review: ReviewFile
    termbase: Termbase
    concepts: list = field(default_factory=list)
    written: dict = field(default_factory=dict)      # id -> Concept (changed or added)
    deleted: list = field(default_factory=list)

    @property
    def errors(self) -> list:
        return self.review.errors

    @property
    def warnings(self) -> list:
        return self.review.warnings

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.concepts)

    def summary(self) -> dict:
        return {"mode": "three-way" if self.review.base is not None else "fingerprint",
                **{name: self.count(name) for name in ("updated", "added", "deleted", "conflict", "rejected", "unchanged")},
                "errors": len(self.errors), "warnings": len(self.warnings)}

    def as_dict(self) -> dict:
        return {"file": self.review.name, "summary": self.summary(),
                "concepts": [r.as_dict() for r in self.concepts if r.outcome != "unchanged" or r.items],
                "errors": [f.as_dict() for f in self.errors], "warnings": [f.as_dict() for f in self.warnings]}

    def lines(self):
        for result in self.concepts:
            if result.outcome == "unchanged" and not result.items:
                continue
            row = f" (row {result.row})" if result.row else ""
            yield f"{result.id}{row}: {result.outcome}" + (f" — {result.message}" if result.message else "")
            for item in result.items:
                yield str(item)


def _label(key: str) -> str:
    if "." not in key:
        return {"note": "Note", "review_status": "Review status", "subject_fields": "Subject fields",
                "comment": "Reviewer comment"}.get(key, key)
    tag, rest = key.split(".", 1)
    name = language_name(tag)
    if rest.startswith("other["):
        return f"{name} other terms: {rest[6:-1]}"
    return f"{name} {dict((s, w) for s, w, *_ in LANGUAGE_FIELDS).get(rest, rest)}"


def _row_values(row: Row, fallback: dict) -> dict:
    """The reviewer's values: the row's, and `fallback`'s for the columns the sheet does not have."""
    values = {key: value for key, value in fallback.items() if key.split("[", 1)[0] not in row.present}
    values.update(row.values)
    for key in row.present:
        if key not in ("id", "fingerprint", "comment") and not key.endswith((".other", ".reference")):
            values.setdefault(key, "")
    return values


def _is_term_key(key: str) -> bool:
    return ".other[" in key


def _norm(key: str, value):
    """Empty text and no value are the same, except for other terms (present with no qualifier)."""
    if _is_term_key(key):
        return value
    return None if value in (None, "") else value


@dataclass
class _Options:
    reviewer: str
    today: _dt.date
    allow_deletes: bool
    prefer: str | None


def plan_import(glossary: Termbase, review: ReviewFile, reviewer: str = "", today: _dt.date | None = None,
                allow_deletes: bool = False, prefer: str | None = None) -> Plan:
    """Merge the review file into a copy of `glossary` (`prefer`: None, `theirs` or `ours`); writes nothing."""
    if prefer not in (None, "theirs", "ours"):
        raise ValueError(f"prefer must be None, 'theirs' or 'ours', not {prefer!r}")
    options = _Options(reviewer, today or _dt.date.today(), allow_deletes, prefer)
    result = Termbase(glossary.title, glossary.description, list(glossary.languages), dict(glossary.subject_fields),
                      list(glossary.sources), dict(glossary.concepts))
    plan = Plan(review, result)
    seen: dict[str, Row] = {}
    new_rows = []
    for row in review.rows:
        if row.id is None:
            new_rows.append(row)
        elif row.id in seen:
            review.error(row.cells.get("id"), f"concept {row.id!r} has a second row (row {seen[row.id].number}); "
                         "each concept has one row", "duplicate-id")
        else:
            seen[row.id] = row
            _merge_row(plan, glossary, row, options)
    if review.base is None:
        review.warn(None, "no base sheet (a CSV?): changes are matched by fingerprint, and deleted rows "
                    "cannot be told from concepts that were not exported", "no-base")
    else:
        for concept_id, base in review.base.items():
            if concept_id not in seen:
                _delete(plan, glossary, concept_id, base, None, options)
    taken = set(result.concepts)
    for row in new_rows:
        _new_concept(plan, glossary, row, None, options, taken)
    _validate(plan, glossary)
    return plan


def _unchanged(row: Row, concept: Concept | None, languages) -> bool:
    """Whether the row holds exactly the glossary's values (then no merge is needed)."""
    if concept is None or row.comment:
        return False
    ours = concept_values(concept, languages)
    theirs = _row_values(row, ours)
    return all(_norm(k, ours.get(k)) == _norm(k, theirs.get(k)) for k in set(ours) | set(theirs))


def _same_as(row: Row, concept: Concept, languages) -> bool:
    """Whether the row says nothing the concept does not (a new row imported before)."""
    ours = concept_values(concept, languages)
    theirs = _row_values(row, ours)
    for tag in languages:              # a new row's term is preferred unless it says otherwise
        if theirs.get(f"{tag}.term") and not theirs.get(f"{tag}.status"):
            theirs[f"{tag}.status"] = "preferred"
    keys = set(ours) | set(theirs)
    return (all(_norm(k, ours.get(k)) == _norm(k, theirs.get(k)) for k in keys if k not in ("review_status", "subject_fields"))
            and (not row.comment or row.comment in concept.note))


def _cell(review: ReviewFile, row: Row, key: str) -> str | None:
    return review.where(row.cells.get(key.split("[", 1)[0]))


def _merge_row(plan: Plan, glossary: Termbase, row: Row, options: _Options) -> None:
    review, languages = plan.review, plan.review.languages
    current = glossary.concepts.get(row.id)
    if review.base is not None:
        base = review.base.get(row.id)
        if base is None:
            if current is None:
                _new_concept(plan, glossary, row, row.id, options, set(plan.termbase.concepts))
            elif _same_as(row, current, languages):
                plan.concepts.append(ConceptResult(row.id, row.number, "unchanged",
                                                   message="a new row that is already in the glossary"))
            else:
                plan.concepts.append(ConceptResult(row.id, row.number, "conflict", message=(
                    "this concept is in the glossary but was not in this export (was the ID typed in?); "
                    "nothing applied")))
            return
        if row.fingerprint and row.fingerprint != base.fingerprint:
            review.error(row.cells.get("id"), f"the row's fingerprint is not that of concept {row.id!r} as exported: "
                         "was the ID changed? Put it back, or clear it to add a new concept", "id-changed")
            return
        if not row.comment and row.present - {"id", "fingerprint"} and all(
                _norm(k, v) is None or k == "subject_fields" for k, v in row.values.items() if not _is_term_key(k)) \
                and not any(_is_term_key(k) for k in row.values):
            _delete(plan, glossary, row.id, base, row, options, emptied=True)
            return
        if _unchanged(row, current, languages):
            plan.concepts.append(ConceptResult(row.id, row.number, "unchanged"))
            return
        base = base.load(review)
        if base is None:
            return
        base_values = concept_values(base, languages)
    else:
        if current is None:
            if row.fingerprint:
                plan.concepts.append(ConceptResult(row.id, row.number, "conflict", message=(
                    "deleted from the glossary since the export; nothing applied")))
            else:
                _new_concept(plan, glossary, row, row.id, options, set(plan.termbase.concepts))
            return
        if _unchanged(row, current, languages):
            plan.concepts.append(ConceptResult(row.id, row.number, "unchanged"))
            return
        base = current if row.fingerprint == fingerprint(current) else None
        base_values = concept_values(base, languages) if base is not None else None
    theirs = _row_values(row, base_values if base_values is not None else concept_values(current, languages))
    readded = current is None             # deleted from the glossary since the export
    if readded:
        if theirs == base_values and not row.comment:
            plan.concepts.append(ConceptResult(row.id, row.number, "unchanged",
                                               message="deleted from the glossary since the export"))
            return
        if options.prefer != "theirs":
            plan.concepts.append(ConceptResult(row.id, row.number, "conflict", message=(
                "deleted from the glossary since the export but edited in the review; --theirs brings it back")))
            return
        current = base
    ours = concept_values(current, languages)
    result = ConceptResult(row.id, row.number, "unchanged")
    merged, changed, conflicts = _merge_values(base_values, ours, theirs, result, review, row, options.prefer)
    comment = row.comment if row.comment and row.comment not in current.note else ""
    if conflicts and options.prefer is None:
        for item in result.items:
            if item.outcome == "applied":
                item.outcome, item.message = "rejected", "not applied: the concept has a conflict (--theirs or --ours)"
        if comment:
            result.items.append(Item("Reviewer comment", "rejected", None, None, comment, _cell(review, row, "comment"),
                                     "not applied: the concept has a conflict", "comment"))
        result.outcome = "conflict"
        plan.concepts.append(result)
        return
    if not changed and not comment and not readded:
        plan.concepts.append(result)
        return
    concept = copy.deepcopy(current)
    try:
        result.message = _apply(concept, merged, changed, languages, other_order(theirs, ours))
    except _CellError as error:
        review.error(row.cells.get(error.key), error.message, "bad-value")
        return
    if changed and "review_status" not in changed and concept.review_status is not ReviewStatus.REVIEWED:
        result.items.append(Item("Review status", "applied", _vocab_text(current.review_status),
                                 _vocab_text(current.review_status), "reviewed", None,
                                 "set because reviewer changes were accepted", "review_status"))
        concept.review_status = ReviewStatus.REVIEWED
    if comment:
        add_note(concept, _comment_line(comment, options))
        result.items.append(Item("Reviewer comment", "applied", None, None, comment, _cell(review, row, "comment"),
                                 "added to the concept note", "comment"))
    concept.modified = options.today
    if options.reviewer:
        concept.modified_by = options.reviewer
    result.changes = diff_concepts(None if readded else current, concept)
    result.outcome = "added" if readded else "updated"
    plan.termbase.concepts[concept.id] = concept
    plan.written[concept.id] = (concept, row)
    plan.concepts.append(result)


def _merge_values(base: dict | None, ours: dict, theirs: dict, result: ConceptResult, review: ReviewFile,
                  row: Row, prefer: str | None):
    """Three-way merge of review values; `base` None means unknown (then every difference conflicts).

    Returns (merged values, keys taken from the reviewer, whether there were conflicts).
    """
    merged = dict(ours)
    changed = set()
    conflicts = False
    keys = list(theirs) + [k for k in ours if k not in theirs] + [k for k in (base or {}) if k not in theirs and k not in ours]
    for key in keys:
        b = _norm(key, (base or {}).get(key))
        o, t = _norm(key, ours.get(key)), _norm(key, theirs.get(key))
        if t == o:
            continue
        item = Item(_label(key), "", b, o, t, _cell(review, row, key), key=key)
        result.items.append(item)
        if key == "subject_fields":
            item.outcome, item.message = ("rejected", "read-only column") if base is None or t != b else ("kept", "")
        elif base is not None and t == b:
            item.outcome = "kept"
        elif base is not None and o == b:
            item.outcome = "applied"
            merged[key] = t
            changed.add(key)
        else:
            conflicts = True
            if prefer == "theirs":
                item.outcome, item.message = "applied", "conflict resolved with --theirs"
                merged[key] = t
                changed.add(key)
            elif prefer == "ours":
                item.outcome, item.message = "rejected", "conflict resolved with --ours"
            else:
                item.outcome = "conflict"
                if base is None:
                    item.message = "the concept changed in the glossary since the export (fingerprint differs)"
    return {k: v for k, v in merged.items() if v is not None}, changed, conflicts


def other_order(theirs: dict, ours: dict) -> dict:
    """{tag: [texts]}: the reviewer's order of other terms, then the glossary's."""
    order: dict[str, list] = {}
    for values in (theirs, ours):
        for key in values:
            if _is_term_key(key):
                tag, rest = key.split(".other[", 1)
                texts = order.setdefault(tag, [])
                if rest[:-1] not in texts:
                    texts.append(rest[:-1])
    return order


def _comment_line(comment: str, options: _Options) -> str:
    who = f"{options.reviewer}, " if options.reviewer else ""
    return f"Review comment ({who}{options.today.isoformat()}): {comment}"


class _CellError(Exception):
    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key, self.message = key, message


def _apply(concept: Concept, merged: dict, changed: set, languages, order: dict) -> str:
    """Set the changed review values on `concept` (a copy of the glossary's), keeping everything else."""
    notes = []
    if "note" in changed:
        concept.note = merged.get("note", "")
    if "review_status" in changed:
        concept.review_status = ReviewStatus.parse(merged["review_status"]) if merged.get("review_status") else None
    if "subject_fields" in changed:
        concept.subject_fields = [s for s in merged.get("subject_fields", "").split("; ") if s]
    for tag in languages:
        keys = {k for k in changed if k.split(".", 1)[0] == tag}
        if not keys:
            continue
        section = concept.section(tag)
        if section is None:
            section = concept.languages[tag] = LangSection(tag)
        if f"{tag}.definition" in keys:
            section.definition = merged.get(f"{tag}.definition", "")
        if keys - {f"{tag}.definition", f"{tag}.context"}:
            notes += _rebuild_terms(section, merged, tag, order.get(tag, []))
        if f"{tag}.context" in keys:
            term = _column_term(section, merged, tag)
            if term is not None:
                term.context = merged.get(f"{tag}.context", "")
            elif merged.get(f"{tag}.context"):
                raise _CellError(f"{tag}.context", "a context needs a term in the term column")
        if not (section.terms or section.definition or section.note or section.definition_source):
            del concept.languages[section.lang]
    return "; ".join(notes)


def _column_term(section: LangSection, merged: dict, tag: str) -> Term | None:
    text = merged.get(f"{tag}.term")
    return next((t for t in section.terms if t.text == text), None) if text else None


def _rebuild_terms(section: LangSection, merged: dict, tag: str, order: list) -> list:
    """Make `section.terms` what the merged values say; terms keep every field the sheet lacks."""
    notes = []
    by_text = {term.text: term for term in section.terms}
    position = {term.text: i for i, term in enumerate(section.terms)}
    old_preferred = section.preferred()
    wanted = []
    if merged.get(f"{tag}.term"):
        wanted.append((merged[f"{tag}.term"], merged.get(f"{tag}.status", ""), merged.get(f"{tag}.type", ""), True))
    for text in order:
        key = f"{tag}.other[{text}]"
        if key in merged:
            status, type_ = _parse_qualifier(merged[key])
            wanted.append((text, _vocab_text(status), _vocab_text(type_), False))
    texts = {w[0] for w in wanted}
    terms = []
    for n, (text, status, type_, is_column) in enumerate(wanted):
        term = by_text.get(text)
        where = position.get(text, len(position) + n)
        if term is None and is_column and old_preferred is not None and old_preferred.text not in texts:
            term = copy.deepcopy(old_preferred)   # the preferred term renamed: it keeps its data
            where = position[old_preferred.text]
            dropped = [f"{name} {getattr(term, name)!r}" for name in ("forms", "vocalized") if getattr(term, name)]
            if dropped:
                notes.append(f"{tag} term {old_preferred.text!r} renamed to {text!r}: its "
                             + " and ".join(dropped) + " belonged to the old spelling and were dropped")
            term.text, term.forms, term.vocalized = text, [], ""
        else:
            term = copy.deepcopy(term) if term is not None else Term(text)
        term.status = AdministrativeStatus.parse(status) if status else None
        term.type = TermType.parse(type_) if type_ else None
        terms.append((where, n, term))
    section.terms = [term for _, _, term in sorted(terms, key=lambda t: (t[0], t[1]))]
    return notes


def _delete(plan: Plan, glossary: Termbase, concept_id: str, base: BaseEntry, row: Row | None,
            options: _Options, emptied: bool = False) -> None:
    current = glossary.concepts.get(concept_id)
    number = row.number if row else None
    how = "all its cells were emptied" if emptied else "its row was deleted"
    if current is None:
        plan.concepts.append(ConceptResult(concept_id, number, "unchanged",
                                           message=f"{how}; already gone from the glossary"))
    elif not options.allow_deletes:
        plan.concepts.append(ConceptResult(concept_id, number, "rejected",
                                           message=f"{how} in the review; not deleted without --allow-deletes"))
    elif fingerprint(current) != base.fingerprint and options.prefer != "theirs":
        plan.concepts.append(ConceptResult(concept_id, number, "conflict", message=(
            f"{how} in the review, but the concept changed in the glossary since the export; "
            "--theirs deletes it anyway")))
    else:
        del plan.termbase.concepts[concept_id]
        plan.deleted.append(concept_id)
        plan.concepts.append(ConceptResult(concept_id, number, "deleted", changes=diff_concepts(current, None),
                                           message=how))


def _new_concept(plan: Plan, glossary: Termbase, row: Row, concept_id, options: _Options, taken: set) -> None:
    review, languages = plan.review, plan.review.languages
    values = {k: v for k, v in row.values.items() if _norm(k, v) is not None and k != "review_status"}
    terms = {tag: values[f"{tag}.term"] for tag in languages if values.get(f"{tag}.term")}
    if not terms:
        ref = row.cells.get("id") or next(iter(row.cells.values()), f"A{row.number}")
        review.error(ref, "a new row needs a term (or the ID of the concept it belongs to)", "new-row")
        return
    duplicate = _same_preferred(glossary, terms)
    if duplicate is not None and concept_id is None:
        plan.concepts.append(ConceptResult(duplicate, row.number, "unchanged", message=(
            f"row {row.number} holds the preferred terms of {duplicate!r}: imported before?")))
        return
    if concept_id is None:
        english = next((text for tag, text in terms.items() if primary_language(tag) == "en"), "")
        concept_id = unique_id(english, taken, f"review-row-{row.number}")
    elif not CONCEPT_ID.match(concept_id):
        review.error(row.cells.get("id"), f"{concept_id!r} is not a concept id (a-z, 0-9, '-'); "
                     "leave the ID empty for a new concept", "bad-id")
        return
    taken.add(concept_id)
    for tag in terms:
        values.setdefault(f"{tag}.status", "preferred")
    concept = Concept(concept_id, created=options.today, created_by=options.reviewer)
    try:
        _apply(concept, values, set(values), languages, other_order(values, {}))
    except _CellError as error:
        review.error(row.cells.get(error.key), error.message, "bad-value")
        return
    concept.review_status = ReviewStatus.DRAFT
    if row.comment:
        add_note(concept, _comment_line(row.comment, options))
    result = ConceptResult(concept_id, row.number, "added", message="new draft concept")
    for key, value in values.items():
        result.items.append(Item(_label(key), "applied", None, None, value, _cell(review, row, key), key=key))
    result.changes = diff_concepts(None, concept)
    plan.termbase.concepts[concept_id] = concept
    plan.written[concept_id] = (concept, row)
    plan.concepts.append(result)


def _same_preferred(glossary: Termbase, terms: dict) -> str | None:
    """The concept whose preferred terms are exactly `terms` (normalized), if any."""
    wanted = {primary_language(tag): arabic.normalize(text) for tag, text in terms.items()}
    for concept in glossary:
        found = {}
        for tag in wanted:
            term = concept.preferred_term(tag)
            if term is not None:
                found[tag] = arabic.normalize(term.text)
        if found == wanted:
            return concept.id
    return None


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
    if _is_term_key(item.key):
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


def changed_files(plan: Plan, root) -> tuple[dict, list]:
    """({path: bytes} to write, [paths to remove]) for the glossary directory `root`."""
    from .glossary import CONCEPT_DIR

    root = Path(root)
    files = {root / CONCEPT_DIR / f"{cid}.yaml": concept_bytes(concept) for cid, (concept, _) in plan.written.items()}
    return files, [root / CONCEPT_DIR / f"{cid}.yaml" for cid in plan.deleted]
