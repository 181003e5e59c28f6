"""The C reader of a sheet's common rows (formats/_sheetscan.c) against lxml reading everything.

sheetxml.iter_rows reads the common rows in C and hands everything else to lxml; without the
extension lxml reads the whole sheet. Thousands of generated sheets, common and odd (every cell
type, entities, control characters, bad UTF-8, comments, prefixes, rows and cells out of order,
truncated documents ...) are read both ways, in pieces of every size: the rows, merged ranges and
errors must be the same.
"""
from __future__ import annotations

import io
import os
import random
import zipfile
from xml.sax.saxutils import escape

import openpyxl
import pytest

from termbase.errors import TermbaseError
from termbase.formats import sheetxml

SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED = ["Term", "Language", "Concept ID", "child abuse", "إساءة معاملة الأطفال", " padded ", "=SUM(A1)", ""]


def test_the_extension_was_built_where_ci_requires_it():
    """CI sets TERMBASE_REQUIRE_C: a failed build of _sheetscan.c must fail, not fall back silently."""
    if os.environ.get("TERMBASE_REQUIRE_C"):
        assert sheetxml._sheetscan is not None


pytestmark_c = pytest.mark.skipif(sheetxml._sheetscan is None, reason="the C extension was not built")


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    """A workbook with shared strings, a quote-prefixed style and a date style; each test puts its
    own sheet XML in place of the first sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    for text in SHARED:
        sheet.append([text])
    sheet["B1"] = 45000
    sheet["B1"].number_format = "yyyy-mm-dd"
    sheet["B2"] = "quoted"
    sheet["B2"].quotePrefix = True
    path = tmp_path_factory.mktemp("sheetscan") / "base.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as archive:      # openpyxl writes no shared strings: add them
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/sharedStrings.xml"] = (f'<sst xmlns="{SML}">' + "".join(
        f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in SHARED) + "</sst>").encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    opened = sheetxml.open_workbook(str(path))
    assert opened.quoted and opened.date_formats and list(opened.strings) == SHARED
    return opened


def rows_of(workbook, xml: bytes, chunk: int, native: bool, monkeypatch):
    """What iter_rows gives for the sheet `xml`: ("rows", rows, merged) or ("error", message, where)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    monkeypatch.setattr(workbook, "archive", zipfile.ZipFile(buffer))
    monkeypatch.setattr(sheetxml, "CHUNK", chunk)
    if not native:
        monkeypatch.setattr(sheetxml, "_sheetscan", None)
    merged: list = []
    try:
        rows = list(sheetxml.iter_rows(sheetxml.Sheet(workbook, "Terms", "xl/worksheets/sheet1.xml"), "t.xlsx", merged))
    except TermbaseError as error:
        # where lxml stops in a document that is not well-formed depends on the bytes it was given
        message = "not well-formed" if "not well-formed" in error.message else error.message
        return "error", message, error.where
    finally:
        monkeypatch.undo()
    return "rows", repr(rows), merged


def same_both_ways(workbook, xml: bytes, monkeypatch, chunks=(1 << 16,)):
    expected = rows_of(workbook, xml, 1 << 16, False, monkeypatch)
    for chunk in chunks:
        got = rows_of(workbook, xml, chunk, True, monkeypatch)
        assert got == expected, (chunk, xml[:3000])
    return expected


# --- generated sheets ----------------------------------------------------------------------

TEXTS = ["Term", "child sexual abuse material", "إساءة معاملة الأطفال", "الإنتربول", "a & b", "x < y", " lead",
         "trail ", "tab\there", "line\nbreak", "東京", "😀", "=SUM(1)", "#REF!", "", "ٱلْعَرَبِيَّة", "\u0627\u0653"]
RAW = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#x627;", "&#1608;", "&#13;", "&#9;", "&#x1F600;", "\r", "\r\n",
       "&bogus;", "&#0;", "&#xD800;", "&#x110000;", "&#;", "&#x;", "&", "]]>", "]]", "\x01", "\x7f", "\uFFFE",
       "\uFFFF", "<![CDATA[a<b]]>", "<!-- note -->", "<?pi x?>", "BADBYTE"]
NUMBERS = ["1", "-2", "0", "1.5", "1e3", "1E-2", "2.5e+10", "007", "+5", " 5", "5 ", "1_0", ".5", "5.", "nan", "inf",
           "1e", "-", "12345678901234567890123", "1.0", "-0", "0x10", "١٢"]


CALM_RAW = RAW[:10]                     # what well-formed files hold
CALM_NUMBERS = NUMBERS[:7] + ["-0", "1.0", "12345678901234567890123"]


def text(rng) -> str:
    """Cell text as XML: words escaped (a well-formed file's always are), now and then something raw."""
    escaped = rng.calm or rng.random() < 0.5
    pieces = [escape(rng.choice(TEXTS)) if escaped else rng.choice(TEXTS) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.3:
        pieces.insert(rng.randint(0, len(pieces)), rng.choice(CALM_RAW if rng.calm else RAW))
    return "".join(pieces)


def letters(column: int) -> str:
    name = ""
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell(rng, row: str, column: int, styles) -> str:
    roll = rng.random()
    ref = f"{letters(column)}{row}"
    if roll < 0.04 and not rng.calm:
        ref = rng.choice([ref.lower(), f"{letters(column)}0{row}", f"{letters(column)}{row}9", "AAAA1", "1A",
                          f"{letters(max(1, column - 1))}{row}", "A" + row, "XFE" + row, ""])
    r = "" if rng.random() < 0.05 else f' r="{ref}"'
    s = rng.choice(["", "", "", f' s="{styles[0]}"', f' s="{styles[1]}"', ' s="0"'] +
                   ([] if rng.calm else [' s="01"', ' s="99"', ' s="x"', ' s=""']))
    space = rng.choice(["", "", "", " ", "\n  "])
    kind = rng.random()
    if kind < 0.4:
        t = rng.choice(['', ' xml:space="preserve"'] + ([] if rng.calm else [' xml:space="preserve" foo="1"',
                                                                            " xmlns='urn:x'"]))
        body = f"<is>{space}<t{t}>{text(rng)}</t>{space}</is>" if rng.random() < 0.95 else "<is><t/></is>"
        return f'<c{r}{s} t="inlineStr">{space}{body}{space}</c>'
    if kind < 0.6:
        index = str(rng.randrange(len(SHARED))) if rng.calm else \
            rng.choice([str(rng.randrange(len(SHARED))), str(len(SHARED)), " 1", "01", "-1", "", "1.0"])
        return f'<c{r}{s} t="s"><v>{index}</v></c>'
    if kind < 0.75:
        return f"<c{r}{s}><v>{rng.choice(CALM_NUMBERS if rng.calm else NUMBERS)}</v></c>"
    if rng.calm:
        return rng.choice([f"<c{r}{s}/>", f"<c{r}{s}></c>", f"<c{r}{s}><v/></c>", f'<c{r} t="str"><v>{text(rng)}</v></c>'])
    return rng.choice([
        f"<c{r}{s}/>", f"<c{r}{s}></c>", f"<c{r}{s}><v/></c>", f"<c{r}><v></v></c>",
        f"<c{r}><f>1+1</f><v>2</v></c>", f'<c{r} t="b"><v>1</v></c>', f'<c{r} t="e"><v>#N/A</v></c>',
        f'<c{r} t="str"><v>{text(rng)}</v></c>', f'<c{r} t="d"><v>2024-01-31</v></c>', f'<c{r} t="n"><v>3</v></c>',
        f'<c{r} t="inlineStr"><is><r><t>rich</t></r><r><rPr><b/></rPr><t xml:space="preserve"> text</t></r></is></c>',
        f'<c{r} t="inlineStr"><is><t>東</t><rPh sb="0" eb="1"><t>トウ</t></rPh></is></c>',
        f'<c{r} t="inlineStr"><v>5</v></c>', f'<c{r} t="s"><is><t>x</t></is></c>', f"<c{r}><!-- x --><v>1</v></c>",
        f'<c{r} t="inlineStr"><is><t>a</t><t>b</t></is></c>', f"<c{r}{s} cm='1' vm=\"2\"><v>4</v></c>",
        f'<c{r} t="s" t="s"><v>1</v></c>', f'<c{r}s="1"><v>1</v></c>', f'<c{r} a:b="1"><v>1</v></c>',
        f'<c{r} x14ac:foo="1"><v>1</v></c>', f"<c{r}>text<v>1</v></c>", f'<c{r} t="inlineStr"><is></is></c>',
        f'<c{r}><v>1</v><v>2</v></c>', f'<c{r} t="inlineStr"><is><t>x</t></is><extLst/></c>', "<col/>",
    ])


def row(rng, number: int, styles) -> str:
    spelled = str(number)
    attributes = f' r="{spelled}"'
    roll = 1 if rng.calm else rng.random()
    if roll < 0.03:
        attributes = ""
    elif roll < 0.06:
        attributes = rng.choice([f' r="{number}.0"', ' r="0"', ' r="x"', f' r="0{number}"', f" r='{number}'",
                                 f' r="{number}" r="{number}"', f' r="{number + 1048576}"'])
    attributes += rng.choice(["", "", ' spans="1:4"', ' ht="30" customHeight="1"', ' x14ac:dyDescent="0.25"'] +
                             ([] if rng.calm else [' y:z="1"', ' xmlns="urn:other"', ' xmlns:q="urn:q"']))
    if rng.random() < 0.03:
        return f"<row{attributes}/>"
    columns = sorted(rng.sample(range(1, 12), rng.randint(0, 6)))
    if rng.random() < 0.05 and columns and not rng.calm:
        rng.shuffle(columns)
    space = rng.choice(["", "", "\n    "])
    cells = space.join(cell(rng, spelled, c, styles) for c in columns)
    return f"<row{attributes}>{space}{cells}{space}</row>"


def sheet(rng, styles) -> bytes:
    numbers, number = [], 0
    for _ in range(rng.randint(0, 12)):
        number += 1 if rng.random() < 0.8 else rng.choice([2, 5] if rng.calm else [0, -1, 2, 5])
        numbers.append(max(1, number))
    between = rng.choice(["", "", "\n  ", "\n  <!-- between rows -->\n  "])
    rows = between.join(row(rng, n, styles) for n in numbers)
    prefix = rng.random() < 0.05 and not rng.calm
    head = rng.choice(['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', "", "\ufeff",
                       "<?xml version='1.0' encoding='utf-8'?>", "<!-- before the root -->"]
                      + ([] if rng.calm else ['<?xml version="1.0" encoding="ISO-8859-1"?>']))
    root = (f'<x:worksheet xmlns:x="{SML}">' if prefix else
            f'<worksheet xmlns="{SML}" xmlns:x14ac="urn:x14ac">' if rng.calm else
            rng.choice([f'<worksheet xmlns="{SML}" xmlns:x14ac="urn:x14ac">', f"<worksheet xmlns='{SML}'>",
                        f'<worksheet xmlns="{SML}" xmlns:r="urn:r" mc:Ignorable="x14ac" xmlns:mc="urn:mc">',
                        '<worksheet xmlns="urn:not-sml">', f'<worksheet xmlns="{SML}" xmlns:a="urn:d" xmlns:b="urn:d">']))
    tail = rng.choice(["", '<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>',
                       '<mergeCells><mergeCell ref="C2:C3"/><mergeCell/></mergeCells><pageMargins left="0.7"/>'])
    data = rng.choice(["<sheetData>", "<sheetData >"] + ([] if rng.calm else ["<sheetData xmlns='urn:x'>"])) \
        + rows + "</sheetData>"
    if rng.random() < 0.03 and not rng.calm:
        data = "<sheetData/>"
    document = f'{head}{root}<dimension ref="A1"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>{data}{tail}'
    document += "</x:worksheet>" if prefix else "</worksheet>"
    if prefix:
        document = document.replace("<row", "<x:row").replace("</row", "</x:row").replace("<c ", "<x:c ") \
            .replace("</c>", "</x:c>").replace("<sheetData", "<x:sheetData").replace("</sheetData", "</x:sheetData")
    raw = document.encode("utf-8").replace(b"BADBYTE", rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"ok"]))
    if rng.calm:
        return raw
    if rng.random() < 0.05:
        raw = raw[:rng.randrange(len(raw))]          # truncated
    elif rng.random() < 0.03:
        raw += rng.choice([b"<extra/>", b"junk", b"<!-- after -->"])
    return raw


def styles_of(workbook) -> tuple:
    quoted = next(iter(workbook.quoted))
    dated = str(next(iter(workbook.date_formats)))
    return quoted, dated


@pytestmark_c
def test_generated_sheets_read_the_same_by_c_and_by_lxml(workbook, monkeypatch):
    rng = random.Random(20261130)
    styles = styles_of(workbook)
    outcomes = {"rows": 0, "error": 0}
    for number in range(2000):
        rng.calm = number % 2 == 0          # half the sheets as well-formed files are, half anything
        xml = sheet(rng, styles)
        chunks = (1 << 16, rng.randint(1, 40), rng.randint(41, 400))
        outcomes[same_both_ways(workbook, xml, monkeypatch, chunks)[0]] += 1
    assert outcomes["rows"] > 800 and outcomes["error"] > 500     # both kinds of outcome were compared


@pytestmark_c
def test_common_rows_are_read_in_c_and_odd_ones_by_lxml(workbook, monkeypatch):
    """The C path is taken: a scanner that is never used would pass the comparison above."""
    calls = []

    class Counting:
        def __init__(self, *arguments):
            self.scanner = original(*arguments)

        def scan(self, data, final):
            items, consumed = self.scanner.scan(data, final)
            calls.append([type(item) for item in items])
            return items, consumed

    original = sheetxml._sheetscan.Scanner
    quoted, dated = styles_of(workbook)
    common = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>a&amp;b {n}</t></is></c><c r="B{n}" t="s"><v>4</v>'
                     f'</c><c r="C{n}" s="{quoted}"><v>{n}.5</v></c></row>' for n in range(1, 50))
    odd = '<row r="50"><c r="A50"><f>1+1</f><v>2</v></c></row><row r="51"><c r="A51"><v>1</v></c></row>'
    xml = f'<worksheet xmlns="{SML}"><sheetData>{common}{odd}</sheetData></worksheet>'.encode()
    monkeypatch.setattr(sheetxml._sheetscan, "Scanner", Counting)
    kind, rows, _ = rows_of(workbook, xml, 1 << 16, True, monkeypatch)
    assert kind == "rows"
    items = [kind for call in calls for kind in call]
    assert items.count(tuple) == 50 and items.count(bytes) == 3     # head, the formula row, the tail
    assert "Cell(column=2, coordinate='B7', value='إساءة معاملة الأطفال', data_type='s', quoted=False)" in rows
    assert f"Cell(column=3, coordinate='C7', value=7.5, data_type='n', quoted=True)" in rows
    assert same_both_ways(workbook, xml, monkeypatch, (1 << 16, 7))[0] == "rows"


@pytestmark_c
@pytest.mark.parametrize("xml", [
    f'<worksheet xmlns="{SML}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{"x" * 2_000_000}</t></is></c>'
    f'</row></sheetData></worksheet>',
    f'<worksheet xmlns="{SML}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{"x" * 11_000_000}</t></is></c>'
    f'</row></sheetData></worksheet>',
    f'<worksheet xmlns="{SML}"><sheetData><row r="1">' + "".join(
        f'<c r="{letters(c)}1" t="inlineStr"><is><t>{"y" * 20_000}</t></is></c>' for c in range(1, 1000))
    + "</row></sheetData></worksheet>",
])
def test_long_texts_and_rows_are_left_to_lxml_and_its_limits(workbook, monkeypatch, xml):
    """A text longer than a cell holds, or a row longer than 16 MiB, is lxml's to read or refuse
    (libxml2 refuses a text node over 10 MB)."""
    same_both_ways(workbook, xml.encode(), monkeypatch, (1 << 16, 1 << 20))
