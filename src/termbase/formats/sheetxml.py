"""Streaming reader of XLSX sheets: the rows of a sheet with the cell values openpyxl gives,
merged ranges, and formulas marked — several times faster than openpyxl's read-only cells.

The workbook's parts around the sheets (sheet names and paths, shared strings, styles, the date
epoch) are read by openpyxl's own reader (`open_workbook`), without the pass over every sheet that
openpyxl's read-only mode makes to size sheets that have no `<dimension>`; the sheet XML is parsed
here, with lxml `iterparse` (no entities, DTD or network; libxml2's size limits kept: no huge
tree), one `<row>` at a time. The zip member stream ends at its declared size (zipfile checks it
and its CRC), so the archive limits checked before opening hold for what is parsed.

Each non-empty row comes back as (row number, [Cell …]) with only the cells that hold a value, in
column order. Unlike openpyxl, rows or cells past the sheet's `<dimension>` are read, not dropped;
a row or cell out of order, repeated or misnumbered is an error naming it, not a silent loss.
"""
from __future__ import annotations

import zipfile
import zlib
from operator import itemgetter
from typing import NamedTuple

from ..errors import TermbaseError
from ..progress import reading

SML = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW, CELL, VALUE, FORMULA, INLINE = SML + "row", SML + "c", SML + "v", SML + "f", SML + "is"
TEXT, RUN, MERGE = SML + "t", SML + "r", SML + "mergeCell"
DIGITS = "0123456789"
MAX_COLUMN = 16_384        # XFD


class Cell(NamedTuple):
    """One cell with a value: `data_type` as openpyxl names it (s, n, b, d, e, f, str …)."""

    column: int
    coordinate: str           # "B7"
    value: object             # str, int, float, bool, datetime, date, time, timedelta; the formula for "f"
    data_type: str
    quoted: bool              # its style has the quote prefix (shown as text)


_new = tuple.__new__
_COLUMNS: dict[str, int] = {}
_LETTERS: dict[int, str] = {}


def _column(letters: str) -> int | None:
    """Column number of `A`…`XFD`, None for anything else."""
    from openpyxl.utils import column_index_from_string

    try:
        index = column_index_from_string(letters)
    except ValueError:
        return None
    if len(_COLUMNS) < 20_000:
        _COLUMNS[letters] = index
    return index


def _letter(column: int) -> str:
    letters = _LETTERS.get(column)
    if letters is None:
        from openpyxl.utils import get_column_letter

        letters = _LETTERS[column] = get_column_letter(column)
    return letters


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def inline_text(element) -> str:
    """The text of an `<is>` or `<si>` element as openpyxl gives it: the plain `<t>` and the rich
    runs' `<t>`, without phonetic runs (`<rPh>`)."""
    plain, runs = None, []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            plain = child.text
        elif name == "r":
            text = None
            for part in child:
                if _local(part.tag) == "t":
                    text = part.text
            if text is not None:
                runs.append(text)
    return "".join(([plain] if plain is not None else []) + runs)


def _row_number(text: str) -> int | None:
    """The number of `<row r="…">` as openpyxl takes it (`7`, also `7.0`), None if it is none."""
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() else None


def _number(text: str):
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


class Workbook:
    """An XLSX workbook opened for reading its sheets: `sheetnames`, `workbook[title]`, `close()`."""

    def __init__(self, source):
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet

        reader = ExcelReader(source, read_only=True, data_only=False, keep_links=False)
        self.archive = reader.archive
        try:
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            # chartsheets have no rows (path None); sheets whose part is missing are left out, as openpyxl does
            self.paths = {sheet.name: None if "chartsheet" in rel.Type else rel.target
                          for sheet, rel in reader.parser.find_sheets() if rel.target in reader.valid_files}
        except BaseException:
            self.archive.close()
            raise
        workbook = reader.wb
        self.strings = reader.shared_strings
        self.date_formats = workbook._date_formats
        self.timedelta_formats = workbook._timedelta_formats
        self.epoch = workbook.epoch
        # style ids (as the `s` attribute spells them) whose cells show as text: the quote prefix
        self.quoted = frozenset(str(i) for i, style in enumerate(workbook._cell_styles) if style.quotePrefix)
        self.style_names = frozenset(str(i) for i in range(len(workbook._cell_styles)))

    @property
    def sheetnames(self) -> list[str]:
        return list(self.paths)

    def __getitem__(self, title: str) -> "Sheet":
        return Sheet(self, title, self.paths[title])

    def close(self) -> None:
        self.archive.close()


class Sheet(NamedTuple):
    workbook: Workbook
    title: str
    path: str | None            # the sheet's part (None: a chartsheet)


def sheet_size(sheet: Sheet) -> int:
    """The bytes of the sheet's XML (unpacked)."""
    return sheet.workbook.archive.getinfo(sheet.path).file_size if sheet.path else 0


def open_workbook(source) -> Workbook:
    """Open an XLSX workbook (a path or a binary stream) for `iter_rows`."""
    return Workbook(source)


class _Context:
    """What converting a cell needs from the workbook."""

    def __init__(self, sheet: Sheet, name: str):
        self.workbook = workbook = sheet.workbook
        self.name, self.title = name, sheet.title
        self.strings = workbook.strings
        self.date_formats = workbook.date_formats
        self.timedelta_formats = workbook.timedelta_formats
        self.epoch = workbook.epoch
        self.quoted = workbook.quoted
        self.shared_formulas: dict = {}

    def error(self, ref: str, message: str) -> TermbaseError:
        return TermbaseError(message, self.name, where=f"{self.title}!{ref}")

    def convert(self, c, ref: str, kind: str | None, style: int):
        """(value, data_type) of a `<c>` element as openpyxl's parser gives them (value None: empty)."""
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        kind = kind or "n"
        value = None
        inline = formula = None
        for child in c:
            tag = child.tag
            if tag == FORMULA and formula is None:
                formula = child
            elif tag == VALUE and value is None and kind != "inlineStr":
                value = child.text
            elif tag == INLINE and inline is None:
                inline = child
        if formula is not None:
            return self.formula(formula, ref), "f"
        value = value or None
        if value is not None:
            try:
                if kind == "n":
                    value = _number(value)
                    if style in self.date_formats:
                        try:
                            return from_excel(value, self.epoch, timedelta=style in self.timedelta_formats), "d"
                        except (OverflowError, ValueError):
                            return "#VALUE!", "e"
                elif kind == "s":
                    return self.strings[int(value)], "s"
                elif kind == "b":
                    return bool(int(value)), "b"
                elif kind == "str":
                    return value, "s"
                elif kind == "d":
                    return from_ISO8601(value), "d"
            except (ValueError, IndexError, TypeError, OverflowError):
                raise self.error(ref, f"cell of type {kind!r} holds {value[:40]!r}, which is not such a value "
                                 "(a damaged or hand-edited file)") from None
            return value, kind
        if kind == "inlineStr" and inline is not None:
            return inline_text(inline), "s"
        return None, kind

    def formula(self, element, ref: str) -> str:
        """The formula text as openpyxl gives it (shared formulas translated to the cell)."""
        text = "=" + (element.text or "")
        if element.get("t") == "shared":
            from openpyxl.formula.translate import Translator

            index = element.get("si")
            if index in self.shared_formulas:
                try:
                    return self.shared_formulas[index].translate_formula(ref)
                except Exception:  # an untranslatable formula is still a formula
                    return text
            if text != "=":
                self.shared_formulas[index] = Translator(text, ref)
        return text


try:
    from . import _sheetscan    # the common rows read in C (setup.py; optional)
except ImportError:  # pragma: no cover - without a C compiler
    _sheetscan = None

CHUNK = 1 << 16


def iter_rows(sheet: Sheet, name: str, merged: list | None = None, progress=None):
    """Yield (row number, [Cell …]) for each row of the sheet that has a value.

    `merged`, if given, receives the merged ranges (`D3:E3`) once the rows are read;
    `progress(bytes, total)` hears how much of the sheet's XML is read.
    TermbaseError names the cell or row of anything that cannot be read.

    With the C extension `_sheetscan`, the common rows are read in C and lxml parses the rest of
    the document (its head, merged ranges, and any row with anything unusual in it), in order,
    from the same bytes; without it lxml reads everything. Both give the same rows and errors.
    """
    from lxml import etree

    if sheet.path is None:
        return
    rows = _RowReader(_Context(sheet, name), merged)
    parser = etree.XMLPullParser(events=("end",), tag=(ROW, MERGE), resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False, collect_ids=False)
    scanner = _scanner(sheet.workbook, rows.context) if _sheetscan is not None else None
    try:
        with sheet.workbook.archive.open(sheet.path) as stream:
            stream = reading(stream, progress, sheet_size(sheet))
            pending = b""
            while True:
                chunk = stream.read(CHUNK)
                if scanner is None:
                    items = [chunk] if chunk else []
                else:
                    data = pending + chunk if pending else chunk
                    items, consumed = scanner.scan(data, not chunk)
                    pending = data[consumed:]
                for item in items:
                    if type(item) is bytes:
                        try:
                            for start in range(0, len(item), CHUNK):   # libxml2 limits what one feed holds
                                parser.feed(item[start:start + CHUNK] if len(item) > CHUNK else item)
                        finally:   # the rows before a syntax error come first, as they come first in the file
                            for row in rows.parsed(parser):
                                yield row
                    else:
                        number, cells = item
                        rows.numbered(number)
                        if cells:
                            yield item
                if not chunk:
                    break
            try:
                parser.close()
            finally:
                for row in rows.parsed(parser):
                    yield row
    except etree.XMLSyntaxError as error:
        # lxml's line and column count only the bytes it was given, not the rows read in C: the last
        # row read tells the reader where to look
        after = f" (after row {rows.last})" if rows.last else ""
        raise TermbaseError(f"{sheet.path} is not well-formed XML{after}: {error}", name) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:   # e.g. longer than declared: bad CRC
        raise TermbaseError(f"corrupt XLSX archive: {error}", name) from None


def _scanner(workbook: Workbook, context: "_Context"):
    """The C reader of the sheet's common rows, given the styles that make a cell quoted or a date."""
    count = len(workbook.style_names)
    quoted = bytes(str(i) in workbook.quoted for i in range(count))
    dated = bytes(i in context.date_formats for i in range(count))
    strings = context.strings
    return _sheetscan.Scanner(strings if isinstance(strings, list) else list(strings), Cell, quoted, dated)


class _RowReader:
    """The rows of one sheet in order: row numbers checked, and the rows lxml parsed read."""

    def __init__(self, context: "_Context", merged: list | None):
        self.context, self.merged = context, merged
        self.last = 0
        workbook = context.workbook
        self.date_styles = frozenset(str(i) for i in context.date_formats)
        self.style_names = workbook.style_names

    def numbered(self, number: int) -> None:
        """Take the next row's number: rows come in order, each once."""
        last = self.last
        if number <= last or number > 1_048_576:
            raise self.context.error(f"A{number}", f"row {number} comes after row {last}: rows must be in order, "
                                     "each once" if number <= last else f"row {number} is past the last row a "
                                     "sheet can have")
        self.last = number

    def parsed(self, parser):
        """Yield the rows with cells among what lxml has parsed so far."""
        for _, element in parser.read_events():
            row = self.element(element)
            if row is not None and row[1]:
                yield row

    def element(self, row):
        """(number, cells) of a `<row>` element lxml parsed (None for a merged range, which is kept)."""
        context = self.context
        if row.tag == MERGE:
            if self.merged is not None and row.get("ref"):
                self.merged.append(row.get("ref"))
            return None
        digits = row.get("r")
        if digits is None:
            number = self.last + 1
        else:
            number = _row_number(digits)
            if number is None:
                raise TermbaseError(f"a row is numbered {digits[:20]!r}, not a row number", context.name,
                                    where=f"{context.title}!A{self.last + 1}") from None
        self.numbered(number)
        cells = self.cells(row, number)
        row.clear()
        while row.getprevious() is not None:
            del row.getparent()[0]
        return number, cells

    def cells(self, row, number: int) -> list:
        context = self.context
        quoted, strings, style_names = context.quoted, context.strings, self.style_names
        date_styles = self.date_styles
        columns = _COLUMNS
        new, make = _new, Cell
        digits = str(number)
        cells = []
        column = 0
        ordered = True
        for c in row.iterchildren(CELL):
            ref = c.get("r")
            if ref is None:
                column += 1
                if column > MAX_COLUMN:
                    raise context.error(f"A{number}", f"row {number} has more than {MAX_COLUMN} cells")
                ref = _letter(column) + digits
            else:
                letters = ref.rstrip(DIGITS)
                index = columns.get(letters)
                if index is None:
                    index = _column(letters)
                    if index is None:
                        raise context.error(f"A{number}", f"a cell of row {number} is named {ref[:20]!r}, "
                                            "not a cell reference")
                if ref[len(letters):] != digits:
                    if ref[len(letters):].lstrip("0") != digits.lstrip("0"):
                        raise context.error(ref, f"cell {ref} is inside row {number}")
                    ref = letters + digits
                if index <= column:
                    ordered = False
                column = index
            n = len(c)
            if not n:
                continue
            kind = c.get("t")
            style = c.get("s")
            if style is not None and style not in style_names:   # "01", " 1", or no such style
                try:
                    style = str(int(style))
                except ValueError:
                    raise context.error(ref, f"cell {ref} has the style {style[:20]!r}, "
                                        "not a style number") from None
            child = c[0]
            if n == 1:   # the common cells, read here; any other goes through convert
                # (lxml builds the `{namespace}name` string on each .tag: one look per cell)
                if kind == "inlineStr":
                    if len(child) == 1:   # <is><t>…</t></is>
                        text = child[0]
                        if text.tag == TEXT:
                            cells.append(new(make, (column, ref, text.text or "", "s", style in quoted)))
                            continue
                elif child.tag == VALUE:
                    value = child.text
                    if not value:
                        continue
                    if kind == "s":
                        try:
                            cells.append(new(make, (column, ref, strings[int(value)], "s", style in quoted)))
                            continue
                        except (ValueError, IndexError):
                            pass   # reported by convert
                    elif kind is None and style not in date_styles:
                        try:
                            number_value = _number(value)
                        except ValueError:
                            pass
                        else:
                            cells.append(new(make, (column, ref, number_value, "n", style in quoted)))
                            continue
            value, data_type = context.convert(c, ref, kind, int(style) if style else 0)
            if value is not None:
                cells.append(new(make, (column, ref, value, data_type, style in quoted)))
        if not ordered:
            cells.sort(key=itemgetter(0))
            for before, after in zip(cells, cells[1:]):
                if before.column == after.column:
                    raise context.error(after.coordinate, f"cell {after.coordinate} appears twice")
        return cells
