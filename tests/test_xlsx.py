"""XLSX workbook: lossless round trip, formula neutralisation, reproducible bytes, LibreOffice,
foreign (Weblate) sheets and hostile files."""
from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree
from strategies import termbases

from termbase import formats
from termbase.errors import TermbaseError
from termbase.formats import xlsx
from termbase.model import (AdministrativeStatus, Concept, Gender, LangSection, ReviewStatus, Source, Term,
                            Termbase, TermType)

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
FORMULA_LIKE = ["=1+1", "=HYPERLINK(\"http://x\",\"y\")", "+44 20 7946", "-5", "@SUM(A1)", "=cmd|' /C calc'!A0", "#N/A"]


def sample() -> Termbase:
    termbase = Termbase(title="Sample", description="Test termbase", languages=["en", "ar"],
                        subject_fields={"crime-types": "Crime types"},
                        sources=[Source("003_c984302149a11a87", "Crimes against children", "2019", "Interpol", "https://x.int/")])
    concept = Concept(id="money-laundering", subject_fields=["crime-types"], review_status=ReviewStatus.APPROVED,
                      note=FORMULA_LIKE[0], sources=["003_c984302149a11a87"], external_references=["https://www.interpol.int/"],
                      created=dt.date(2021, 1, 2), created_by="ann", modified=dt.date(2023, 4, 5), modified_by="bo")
    concept.languages["en"] = LangSection("en", definition="Concealing the origin of money.", terms=[
        Term("money laundering", type=TermType.FULL_FORM, status=AdministrativeStatus.PREFERRED, forms=["launderings"]),
        Term("ML", type=TermType.ACRONYM, status=AdministrativeStatus.ADMITTED, note=FORMULA_LIKE[2])])
    concept.languages["ar"] = LangSection("ar", definition="إخفاء مصدر الأموال غير المشروعة.", terms=[
        Term("غسل الأموال", status=AdministrativeStatus.PREFERRED, gender=Gender.MASCULINE,
             context="يعد غسل الأموال جريمة.", forms=["غسيل الأموال"], note=FORMULA_LIKE[3])])
    other = Concept(id="cybercrime", cross_references=["money-laundering"], note=FORMULA_LIKE[5])
    other.languages["en"] = LangSection("en", terms=[Term(FORMULA_LIKE[1], status=AdministrativeStatus.PREFERRED),
                                                     Term(FORMULA_LIKE[6]), Term(FORMULA_LIKE[4])])
    other.languages["ar"] = LangSection("ar", definition="جريمة إلكترونية")  # a language without terms
    termbase.add(concept)
    termbase.add(other)
    termbase.add(Concept(id="empty-concept"))
    return termbase


def render(termbase) -> bytes:
    buffer = io.BytesIO()
    xlsx.write(termbase, buffer)
    return buffer.getvalue()


def read_bytes(data: bytes, **options):
    warnings: list = []
    return xlsx.read(io.BytesIO(data), warnings=warnings, **options), warnings


# --- round trip and bytes -------------------------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(termbases())
def test_round_trip_random_termbases(termbase):
    back, warnings = read_bytes(render(termbase))
    assert back == termbase
    assert warnings == []


def test_round_trip_sample_and_registry():
    termbase = sample()
    data = formats.render(termbase, "xlsx")
    back, warnings = read_bytes(data)
    assert back == termbase
    assert list(back.concepts) == list(termbase.concepts)
    assert warnings == []


def test_write_accepts_any_iterable_and_streamed_concepts():
    termbase = sample()
    from_list, _ = read_bytes(render(list(termbase)))
    assert from_list.concepts == termbase.concepts
    header = Termbase(title=termbase.title, description=termbase.description, languages=termbase.languages,
                      subject_fields=termbase.subject_fields, sources=termbase.sources)
    buffer = io.BytesIO()
    xlsx.write(header, buffer, concepts=(c for c in termbase))
    assert buffer.getvalue() == render(termbase)


def test_same_termbase_same_bytes(tmp_path):
    first, second = render(sample()), render(sample())
    assert first == second
    formats.write_file(sample(), tmp_path / "t.xlsx", "xlsx")
    assert (tmp_path / "t.xlsx").read_bytes() == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    core = archive.read("docProps/core.xml").decode()
    assert core.count("2023-04-05T00:00:00Z") == 2  # newest concept date, not the time of writing
    assert render(Termbase()) == render(Termbase())


# --- the XML itself ---------------------------------------------------------------------------

def sheet_xml(data: bytes, title: str):
    archive = zipfile.ZipFile(io.BytesIO(data))
    workbook = etree.fromstring(archive.read("xl/workbook.xml"))
    titles = [s.get("name") for s in workbook.iter(f"{MAIN}sheet")]
    return etree.fromstring(archive.read(f"xl/worksheets/sheet{titles.index(title) + 1}.xml"))


def cell_texts(sheet) -> dict:
    return {c.get("r"): "".join(c.itertext()) for c in sheet.iter(f"{MAIN}c")}


def test_formula_like_text_is_a_quoted_string_never_a_formula():
    data = render(sample())
    archive = zipfile.ZipFile(io.BytesIO(data))
    styles = etree.fromstring(archive.read("xl/styles.xml"))
    xfs = styles.find(f"{MAIN}cellXfs").findall(f"{MAIN}xf")
    seen = set()
    for name in archive.namelist():
        if name.startswith("xl/worksheets/"):
            sheet = etree.fromstring(archive.read(name))
            assert sheet.findall(f".//{MAIN}f") == []
            for cell in sheet.iter(f"{MAIN}c"):
                text = "".join(cell.itertext())
                if text in FORMULA_LIKE:
                    seen.add(text)
                    assert cell.get("t") == "inlineStr"
                    assert xfs[int(cell.get("s"))].get("quotePrefix") == "1", (name, cell.get("r"))
    assert seen == set(FORMULA_LIKE)


def test_layout_rtl_frozen_header_filter_dropdowns():
    workbook = openpyxl.load_workbook(io.BytesIO(render(sample())))
    assert workbook.sheetnames == ["Terms", "Glossary", "Termbase", "README"]
    terms = workbook["Terms"]
    headers = [c.value for c in terms[1]]
    assert headers[:3] == ["Concept ID", "Language", "Term"] and "Concept note" in headers
    assert all(c.font.b for c in terms[1])
    assert terms.freeze_panes == "A2"
    assert terms.auto_filter.ref == f"A1:AA{terms.max_row}"
    assert terms.column_dimensions["J"].width == 50
    arabic = [row for row in terms.iter_rows(min_row=2) if row[1].value == "ar" and row[2].value]
    assert arabic and all(row[2].alignment.readingOrder == 2 and row[2].alignment.horizontal == "right" for row in arabic)
    english = next(row for row in terms.iter_rows(min_row=2) if row[1].value == "en")
    assert english[2].alignment.readingOrder in (None, 0)
    lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in terms.data_validations.dataValidation}
    assert lists["E"] == '"preferred,admitted,deprecated,superseded"'
    assert lists["D"].startswith('"fullForm,acronym')
    assert set(lists) == {"D", "E", "F", "G", "H", "S"}
    glossary = workbook["Glossary"]
    assert [c.value for c in glossary[1]][:3] == ["Concept ID", "English term", "Arabic term"]
    row = next(r for r in glossary.iter_rows(min_row=2) if r[0].value == "money-laundering")
    assert row[2].value == "غسل الأموال" and row[2].alignment.readingOrder == 2
    assert glossary.freeze_panes == "A2" and glossary.auto_filter.ref
    readme = [r[1] for r in workbook["README"].iter_rows(min_row=2, values_only=True) if r[0] == "Terms"]
    assert set(headers) <= set(readme)


def test_rows_are_the_xml_openpyxl_itself_writes():
    """Our row serialiser against openpyxl's own write-only writer, cell by cell."""
    from openpyxl.cell import WriteOnlyCell

    rows = [["plain", None, "a & b < c > d", "line1\r\nline2", " padded ", "=1+1", "#N/A", "عربي"],
            ["", "-x", "tab\tinside", "@y", "x" * 100, None, None, "مختلط mixed"]]
    rtl = [frozenset(), frozenset({7})]
    ours = openpyxl.Workbook(write_only=True)
    styles = xlsx.CellStyles(ours)
    sheet = xlsx.SheetRows(ours, "S", [(str(i), 10) for i in range(8)], styles)
    for row, right in zip(rows, rtl):
        sheet.append(row, right)
    buffer = io.BytesIO()
    xlsx.save_workbook(ours, buffer, rows=[sheet])
    stock = openpyxl.Workbook(write_only=True)
    stock_styles = xlsx.CellStyles(stock)
    ws = stock.create_sheet("S")
    for row, right in zip(rows, rtl):
        cells = []
        for index, value in enumerate(row):
            if not value:
                cells.append(None)
                continue
            cell = WriteOnlyCell(ws, value)
            quote = xlsx.needs_neutralising(value)
            if quote:
                cell.data_type = "s"
            style = stock_styles.ids[index in right, quote]
            if style:
                cell._style = stock._cell_styles[style]
            cells.append(cell)
        ws.append(cells)
    stock_buffer = io.BytesIO()
    stock.save(stock_buffer)

    def sheet_data(data):  # canonical XML (openpyxl writes non-ASCII as character references, we as UTF-8)
        xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
        return etree.tostring(etree.fromstring(xml).find(f"{MAIN}sheetData"), method="c14n")

    assert sheet_data(buffer.getvalue()) == sheet_data(stock_buffer.getvalue())
    back = openpyxl.load_workbook(buffer, read_only=True)["S"]
    assert [list(r) for r in back.iter_rows(values_only=True)][0][2:5] == ["a & b < c > d", "line1\r\nline2", " padded "]


# --- LibreOffice --------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_arabic_and_literal_formulas(tmp_path):
    ours = tmp_path / "ours.xlsx"
    ours.write_bytes(render(sample()))
    control = tmp_path / "control.xlsx"  # a real formula, to show the check can fail
    workbook = openpyxl.Workbook()
    workbook.active.title = "Terms"
    workbook.active.append(["=1+1", "=LEN(\"abc\")"])
    workbook.save(control)
    out = tmp_path / "out"
    # all sheets (token 12 = -1, LibreOffice >= 7.2), UTF-8 (76), formulas exported as results
    filter_ = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    result = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                             "--convert-to", filter_, "--outdir", str(out), str(ours), str(control)],
                            capture_output=True, text=True, timeout=120)
    assert (out / "ours-Terms.csv").exists(), result.stdout + result.stderr

    def table(name):
        with open(out / name, encoding="utf-8", newline="") as handle:
            return list(csv.reader(handle))

    terms, glossary = table("ours-Terms.csv"), table("ours-Glossary.csv")
    assert terms[0][:3] == ["Concept ID", "Language", "Term"]
    arabic_terms = {row[2] for row in terms if row[1] == "ar"}
    assert "غسل الأموال" in arabic_terms
    assert ["money-laundering", "money laundering", "غسل الأموال"] == glossary[1][:3]
    cells = {cell for row in terms for cell in row}
    for text in FORMULA_LIKE:
        assert text in cells, text
    assert table("control-Terms.csv")[0] == ["2", "3"]


# --- reading foreign and edited workbooks -------------------------------------------------------

def test_weblate_sparse_sheet(shared):
    warnings: list = []
    termbase = xlsx.read(shared / "standards" / "glossary-tables" / "weblate_ja.xlsx", warnings=warnings,
                         source_lang="en", target_lang="ja")
    assert len(termbase) == 1
    concept = next(iter(termbase))
    assert concept.section("en").terms[0].text == "Second"
    target = concept.section("ja").terms[0]
    # the cell's text is 秒; ビョウ is its phonetic guide (<rPh>), kept in the note, not glued to the term
    assert target.text == "秒"
    assert target.note == "reading: ビョウ"
    assert "context: 00029.00002" in concept.note and "# Filter Order|IDE_2ND_ORDER_FILTER" in concept.note
    assert [w.where for w in warnings] == ["ja!C2"]
    default = xlsx.read(shared / "standards" / "glossary-tables" / "weblate_ja.xlsx")
    assert next(iter(default)).section("ar").terms[0].text == "秒"


def edited_workbook(tmp_path, rows, headers=None, formula_cells=(), hidden=()) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Terms"
    sheet.append(headers or ["Term", "Reviewer", "Language", "Concept ID", "Status", "Concept note", "Created"])
    for row in rows:
        sheet.append(row)
    for ref, formula in formula_cells:
        sheet[ref] = formula
    for letter in hidden:
        sheet.column_dimensions[letter].hidden = True
    path = tmp_path / "edited.xlsx"
    workbook.save(path)
    return path


def test_reordered_extra_hidden_columns_numbers_dates_spaces(tmp_path):
    path = edited_workbook(tmp_path, [
        ["money laundering  ", "Ann", "en", "money-laundering", "preferred", "check", dt.datetime(2024, 3, 1)],
        [42, "Ann", "en", "money-laundering", "admitted", "check", dt.datetime(2024, 3, 1)],
        ["غسل الأموال", None, "ar", "money-laundering", "prefered", None, None],
    ], hidden=["B"])
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("Scratch")["A1"] = "my notes"
    workbook.save(path)
    warnings: list = []
    termbase = xlsx.read(path, warnings=warnings)
    concept = termbase.concepts["money-laundering"]
    assert [t.text for t in concept.section("en").terms] == ["money laundering", "42"]
    assert concept.created == dt.date(2024, 3, 1)
    assert concept.note.splitlines() == ["check", "Reviewer: Ann"]
    arabic = concept.section("ar").terms[0]
    assert arabic.status is None and arabic.note == "Status: prefered"
    where = {w.where: w for w in warnings}
    assert "Terms!B1" in where and "Reviewer" in where["Terms!B1"].message
    assert "Terms!A2" in where and "trimmed" in where["Terms!A2"].message
    assert "Terms!A3" in where and "number" in where["Terms!A3"].message
    assert "Terms!E4" in where and "prefered" in where["Terms!E4"].message
    assert "Terms!F4" in where  # concept note differs from the first row: reported, first kept
    assert "Scratch!A1" in where  # a sheet we do not read is reported


def test_formula_cell_is_an_error_naming_the_cell(tmp_path):
    path = edited_workbook(tmp_path, [["a", None, "en", "c1"], ["b", None, "en", "c2"]],
                           formula_cells=[("A3", "=CONCATENATE(\"x\",\"y\")")])
    with pytest.raises(TermbaseError) as error:
        xlsx.read(path)
    assert error.value.where == "Terms!A3" and "formula" in error.value.message
    assert str(path) in str(error.value)


def test_quote_prefixed_or_string_formula_text_is_kept_literally(tmp_path):
    path = edited_workbook(tmp_path, [["x", None, "en", "c1"]])
    workbook = openpyxl.load_workbook(path)
    cell = workbook["Terms"]["A2"]
    cell.value = "=1+1"
    cell.data_type = "s"
    cell.quotePrefix = True
    workbook.save(path)
    termbase = xlsx.read(path)
    assert termbase.concepts["c1"].section("en").terms[0].text == "=1+1"


def test_bad_concept_id_and_missing_language_name_the_cell(tmp_path):
    with pytest.raises(TermbaseError) as error:
        xlsx.read(edited_workbook(tmp_path, [["x", None, "en", "Not An Id"]]))
    assert error.value.where == "Terms!D2"
    with pytest.raises(TermbaseError) as error:
        xlsx.read(edited_workbook(tmp_path, [["x", None, None, "c1"]]))
    assert error.value.where == "Terms!C2" and "no language" in error.value.message


# --- hostile files --------------------------------------------------------------------------

def test_truncated_zip_is_refused(tmp_path):
    path = tmp_path / "cut.xlsx"
    data = render(sample())
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TermbaseError) as error:
        formats.read_file(path)
    assert str(path) in str(error.value) and "zip" in error.value.message


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.xlsx"  # 50 MB of zeros in 50 KB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as entry:
            chunk = b"\0" * (1 << 20)
            for _ in range(50):
                entry.write(chunk)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(TermbaseError) as error:
        formats.read_file(path)
    assert "zip bomb" in error.value.message and "ratio" in error.value.message and error.value.path == str(path)
    big = tmp_path / "big.xlsx"  # a plausible ratio but a huge declared size
    big.write_bytes(render(sample()))
    with pytest.raises(TermbaseError, match="would unpack to .* over the limit"):
        xlsx.read(big, max_uncompressed=20_000)


def test_doctype_in_a_part_is_refused(tmp_path):
    data = render(sample())
    source, path = zipfile.ZipFile(io.BytesIO(data)), tmp_path / "dtd.xlsx"
    with zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/workbook.xml":
                content = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + content
            target.writestr(info, content)
    with pytest.raises(TermbaseError, match="document type declaration"):
        xlsx.read(path)


def test_not_a_zip_and_row_limit(tmp_path):
    path = tmp_path / "text.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(TermbaseError):
        xlsx.read(path)
    with pytest.raises(TermbaseError, match="more than 2 rows"):
        xlsx.read(io.BytesIO(render(sample())), max_rows=2)


def test_text_an_xlsx_cannot_hold_is_refused_naming_the_concept():
    termbase = Termbase()
    concept = Concept(id="bad", note="bell\x07")
    termbase.add(concept)
    with pytest.raises(TermbaseError) as error:
        render(termbase)
    assert error.value.where == "concept bad"
    concept.note = "x" * 40_000
    with pytest.raises(TermbaseError, match="longer than an XLSX cell"):
        render(termbase)


def test_formula_like_text_without_quote_prefix_is_flagged(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["source", "target"])
    sheet.append(["hello", "مرحبا"])
    for row, text in ((3, "=1+1"), (4, "+966 55")):
        cell = sheet.cell(row=row, column=1, value=text)
        cell.data_type = "s"                     # text, not a formula, but with no quote prefix
        sheet.cell(row=row, column=2, value="نص")
    path = tmp_path / "typed.xlsx"
    workbook.save(path)
    warnings = []
    termbase = formats.read_file(path, warnings=warnings)
    flagged = sorted(w.where for w in warnings if w.check == "xlsx-formula-text")
    assert flagged == ["Sheet!A3", "Sheet!A4"]
    assert {c.preferred_term("en").text for c in termbase} == {"hello", "=1+1", "+966 55"}


# --- the sheet reader (sheetxml) against openpyxl -------------------------------------------

def openpyxl_cells(path) -> dict:
    """{sheet: [(coordinate, value, data_type)]} of the cells with a value, read by openpyxl itself."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    return {sheet.title: [(c.coordinate, c.value, c.data_type) for row in sheet.iter_rows() for c in row
                          if getattr(c, "value", None) is not None] for sheet in workbook.worksheets}


def sheetxml_cells(path) -> dict:
    from termbase.formats import sheetxml

    workbook = sheetxml.open_workbook(path)
    return {title: [(c.coordinate, c.value, c.data_type) for _, cells in sheetxml.iter_rows(workbook[title], str(path))
                    for c in cells] for title in workbook.sheetnames}


def replace_part(path: Path, part: str, xml: bytes | str) -> Path:
    """`path` with one archive member replaced (the others copied as they are)."""
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == part:
                content = xml.encode() if isinstance(xml, str) else xml
            target.writestr(info.filename, content)
    return path


def kitchen_sink(tmp_path) -> Path:
    """A workbook written by openpyxl (not write-only) with every kind of cell value."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Terms"
    sheet.append(["Term", "Language", "Concept ID", "Created", "Concept note"])
    sheet.append(["  padded ", "en", "c1", dt.datetime(2024, 3, 1), 42])
    sheet.append([3.25, "en", "c2", dt.date(1999, 12, 31), True])
    sheet.append([12345678901234567890, "ar", "c3", dt.time(13, 45), False])
    sheet.append([CellRichText(["rich ", TextBlock(InlineFont(b=True), "bold"), " text"]), "en", "c4", None, "#N/A"])
    sheet["E5"].data_type = "e"
    sheet["A6"] = "=CONCATENATE(\"x\",\"y\")"
    sheet["A7"] = dt.timedelta(hours=30)
    sheet["A8"] = "عربي"
    sheet["C10"] = 1e-7
    sheet["B12"] = -0.0
    second = workbook.create_sheet("Other")
    second["A1"] = "x"
    second["D4"] = 7
    path = tmp_path / "sink.xlsx"
    workbook.save(path)
    return path


def test_sheet_reader_gives_the_values_openpyxl_gives(tmp_path, shared):
    ours = tmp_path / "ours.xlsx"
    ours.write_bytes(render(sample()))
    paths = [ours, kitchen_sink(tmp_path), shared / "standards" / "glossary-tables" / "weblate_ja.xlsx"]
    for path in paths:
        expected = openpyxl_cells(path)
        assert any(expected.values()), path
        assert sheetxml_cells(path) == expected, path
    kinds = {kind for cells in openpyxl_cells(paths[1]).values() for _, _, kind in cells}
    assert {"s", "n", "b", "d", "e", "f"} <= kinds   # the sink really holds every kind


HAND_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
  <x:dimension ref="A1:B2"/>
  <x:sheetData>
    <!-- a comment between rows -->
    <x:row r="1">
      <x:c r="A1" t="inlineStr"><x:is><x:t>Term</x:t></x:is></x:c>
      <x:c r="B1" t="inlineStr"><x:is><x:t>Language</x:t></x:is></x:c>
      <x:c r="C1" t="inlineStr"><x:is><x:t>Concept ID</x:t></x:is></x:c>
    </x:row>
    <x:row r="2">
      <x:c r="C2" t="inlineStr"><x:is><x:t>c1</x:t></x:is></x:c>
      <x:c r="A2" t="inlineStr"><x:is><x:r><x:t>東</x:t></x:r><x:r><x:t xml:space="preserve">京 </x:t></x:r><x:rPh sb="0" eb="1"><x:t>トウ</x:t></x:rPh></x:is></x:c>
      <x:c r="B2" t="inlineStr"><x:is><x:t>ja</x:t><x:rPh sb="0" eb="1"><x:t>ジャ</x:t></x:rPh></x:is></x:c>
    </x:row>
    <x:row r="5">
      <x:c t="inlineStr"><x:is><x:t>&lt;b&gt; &amp; &#x627;&#13;x</x:t></x:is></x:c>
      <x:c t="inlineStr"><x:is><x:t>en</x:t></x:is></x:c>
      <x:c t="str"><x:v>c2</x:v></x:c>
      <x:c r="E5"><x:v>1.5E3</x:v></x:c>
      <x:c r="F5" s="0"/>
      <x:c r="G5" t="inlineStr"><x:is><x:t/></x:is></x:c>
    </x:row>
  </x:sheetData>
</x:worksheet>"""


def hand_workbook(tmp_path, sheet_xml: str, name="hand.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(render(Termbase()))
    return replace_part(path, "xl/worksheets/sheet1.xml", sheet_xml)


def test_prefixed_xml_sparse_rows_cells_out_of_order_rich_and_phonetic_text(tmp_path):
    """A hand-written sheet: `x:` prefix, comments, rows 1, 2 and 5, cells out of order or without
    references, rich text with phonetic runs (not part of the value), entities, cells past <dimension>."""
    path = hand_workbook(tmp_path, HAND_SHEET)
    cells = sheetxml_cells(path)["Terms"]
    assert cells == [("A1", "Term", "s"), ("B1", "Language", "s"), ("C1", "Concept ID", "s"),
                     ("A2", "東京 ", "s"), ("B2", "ja", "s"), ("C2", "c1", "s"),
                     ("A5", "<b> & \u0627\rx", "s"), ("B5", "en", "s"), ("C5", "c2", "s"), ("E5", 1500.0, "n"),
                     ("G5", "", "s")]
    warnings: list = []
    termbase = xlsx.read(path, warnings=warnings)
    assert termbase.concepts["c1"].section("ja").terms[0].text == "東京"
    assert termbase.concepts["c2"].section("en").terms[0].text == "<b> & \u0627\rx"   # row 5, past the dimension
    assert {w.where for w in warnings} >= {"Terms!A2", "Terms!E5"}   # trimmed; a column without header


@pytest.mark.parametrize("rows, message, where", [
    ('<row r="2"><c r="B2" t="str"><v>x</v></c></row><row r="2"><c r="B2" t="str"><v>y</v></c></row>',
     "row 2 comes after row 2", "Terms!A2"),
    ('<row r="3"><c r="B3" t="str"><v>x</v></c></row><row r="2"><c r="B2" t="str"><v>y</v></c></row>',
     "row 2 comes after row 3", "Terms!A2"),
    ('<row r="2"><c r="C2" t="str"><v>x</v></c><c r="B2" t="str"><v>y</v></c><c r="C2" t="str"><v>z</v></c></row>',
     "cell C2 appears twice", "Terms!C2"),
    ('<row r="2"><c r="B7" t="str"><v>x</v></c></row>', "cell B7 is inside row 2", "Terms!B7"),
    ('<row r="2"><c r="2B" t="str"><v>x</v></c></row>', "not a cell reference", "Terms!A2"),
    ('<row r="2"><c r="B2"><v>twelve</v></c></row>', "not such a value", "Terms!B2"),
    ('<row r="2"><c r="B2" t="s"><v>99</v></c></row>', "not such a value", "Terms!B2"),
])
def test_rows_or_cells_that_cannot_be_placed_are_errors_naming_them(tmp_path, rows, message, where):
    sheet = (f'<worksheet xmlns="{MAIN[1:-1]}"><sheetData><row r="1"><c r="A1" t="str"><v>Term</v></c>'
             f'<c r="B1" t="str"><v>Concept note</v></c></row>{rows}</sheetData></worksheet>')
    path = hand_workbook(tmp_path, sheet)
    with pytest.raises(TermbaseError) as error:
        xlsx.read(path)
    assert message in error.value.message and error.value.where == where
    assert error.value.path == str(path)


def test_shared_formula_is_an_error_naming_the_cell(tmp_path):
    sheet = (f'<worksheet xmlns="{MAIN[1:-1]}"><sheetData><row r="1"><c r="A1" t="str"><v>Term</v></c>'
             '<c r="B1" t="str"><v>Concept note</v></c></row>'
             '<row r="2"><c r="B2"><v>1</v></c></row>'
             '<row r="3"><c r="B3" t="str"><f t="shared" ref="B3:B4" si="0">B2&amp;"y"</f><v>1y</v></c></row>'
             '<row r="4"><c r="B4" t="str"><f t="shared" si="0"/><v>1yy</v></c></row>'
             '</sheetData></worksheet>')
    path = hand_workbook(tmp_path, sheet)
    with pytest.raises(TermbaseError) as error:
        xlsx.read(path)
    assert error.value.where == "Terms!B3" and 'formula (=B2&"y")' in error.value.message
    cells = sheetxml_cells(path)["Terms"]
    assert cells[-2:] == [("B3", '=B2&"y"', "f"), ("B4", '=B3&"y"', "f")]   # shared: translated as openpyxl does
    assert cells == openpyxl_cells(path)["Terms"]


def test_phonetic_runs_of_shared_strings_are_not_the_text(shared, tmp_path):
    """weblate_ja.xlsx: 秒 with the reading ビョウ in a shared string; the same with an inline string."""
    source = shared / "standards" / "glossary-tables" / "weblate_ja.xlsx"
    values = [v for _, v, _ in sheetxml_cells(source)["ja"]]
    assert "秒" in values and not any("ビョウ" in str(v) for v in values)


def test_a_sheet_longer_than_its_declared_size_is_refused(tmp_path):
    """The zip stream ends at the declared size and zipfile checks the CRC: the archive limits hold
    for what the sheet reader parses."""
    path = tmp_path / "liar.xlsx"
    termbase = Termbase()
    for i in range(2000):   # a Terms sheet well past the 64 KB that check_archive reads of each part
        termbase.add(Concept(id=f"c{i}", languages={"en": LangSection("en", terms=[Term(f"term number {i}")])}))
    path.write_bytes(render(termbase))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 4 * 65536
    real = info.file_size.to_bytes(4, "little")
    told = (info.file_size // 2).to_bytes(4, "little")
    assert data.count(real) >= 2        # the size in the local header and in the central directory
    path.write_bytes(bytes(data).replace(real, told))
    with pytest.raises(TermbaseError) as error:
        xlsx.read(path)
    assert error.value.path == str(path) and "CRC" in error.value.message


def test_a_huge_cell_is_refused_not_parsed(tmp_path):
    """libxml2's limit on one text node (10 MB; a cell holds 32,767 characters) stays on."""
    import base64
    import random

    text = base64.b64encode(random.Random(1).randbytes(8_000_000)).decode()   # does not compress: no zip bomb
    sheet = (f'<worksheet xmlns="{MAIN[1:-1]}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Term</t></is>'
             f'</c></row><row r="2"><c r="A2" t="inlineStr"><is><t>{text}</t></is></c></row></sheetData></worksheet>')
    path = hand_workbook(tmp_path, sheet)
    with pytest.raises(TermbaseError) as error:
        xlsx.read(path)
    assert "not well-formed" in error.value.message and error.value.path == str(path)


def test_row_and_cell_numbers_spelled_as_openpyxl_accepts_them(tmp_path):
    sheet = (f'<worksheet xmlns="{MAIN[1:-1]}"><sheetData><row r="1"><c r="A1" t="str"><v>Term</v></c></row>'
             '<row r="3.0"><c r="B03" t="str"><v>x</v></c><c r="C3" s="01" t="str"><v>y</v></c></row>'
             '<row><c t="str"><v>z</v></c></row></sheetData></worksheet>')
    path = hand_workbook(tmp_path, sheet)
    cells = sheetxml_cells(path)["Terms"]
    assert cells == [("A1", "Term", "s"), ("B3", "x", "s"), ("C3", "y", "s"), ("A4", "z", "s")]
    assert cells == openpyxl_cells(path)["Terms"]


# --- reading concept by concept -------------------------------------------------------------

def synthetic(n: int) -> Termbase:
    """benchmarks/glossary.py's synthetic termbase of n concepts."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    from glossary import synthetic as made

    return made(n)


def edited_export(tmp_path, shuffle: bool) -> Path:
    """The sample's export as a reviewer leaves it: a cell changed, a concept's second row given
    another definition (a conflict), an unknown column; its rows shuffled or in their order."""
    import random

    path = tmp_path / "sample.xlsx"
    path.write_bytes(render(synthetic(30)))      # (the sample's formula-like texts would not survive openpyxl)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Terms"]
    rows = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    if shuffle:
        random.Random(3).shuffle(rows)
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    sheet.cell(1, sheet.max_column + 1, "Reviewer")
    sheet.cell(2, sheet.max_column, "Hala")
    sheet.cell(3, 10, "a different definition")
    sheet.cell(4, 6, " noun ")
    workbook.save(path)
    return path


def test_concepts_one_at_a_time_are_those_read_whole(tmp_path):
    """xlsx.iter_concepts gives what xlsx.read gives, concept by concept and with the same findings,
    and formats.convert streams through it; a workbook whose concepts' rows are apart is NotStreamable
    there, and convert then reads it whole."""
    from termbase.errors import NotStreamable

    for shuffle in (False, True):
        path = edited_export(tmp_path, shuffle)
        whole_findings: list = []
        whole = xlsx.read(path, warnings=whole_findings)
        assert {f.check for f in whole_findings} >= {"xlsx-unknown-column", "xlsx-conflict", "xlsx-spaces"}
        streamed_findings: list = []
        concepts = xlsx.iter_concepts(path, warnings=streamed_findings)
        if shuffle:
            with pytest.raises(NotStreamable):
                list(concepts)
        else:
            assert list(concepts) == list(whole) and [str(f) for f in streamed_findings] == [str(f) for f in whole_findings]
            header = xlsx.read_header(path)
            assert (header.title, header.languages, header.sources) == (whole.title, whole.languages, whole.sources)
        converted: list = []
        formats.convert(path, tmp_path / "out.tbx", "tbx", warnings=converted)
        assert (tmp_path / "out.tbx").read_bytes() == formats.render(whole, "tbx")
        assert [str(f) for f in converted] == [str(f) for f in whole_findings]   # once each, also after the retry


def test_a_big_workbook_is_converted_and_counted_in_little_memory(tmp_path):
    """`termbase export -g big.xlsx --format tbx` and `termbase stats -g big.xlsx` hold one concept at
    a time: their peak memory grows far less than that of a command that needs the termbase whole
    (`search`; 8,000 concepts here)."""
    import sys

    def peak(args) -> float:
        # the peak of this process only (ru_maxrss would start from the test's own size at fork)
        code = ("import sys\nfrom termbase.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
                "print(next(line for line in open('/proc/self/status') if line.startswith('VmHWM')).split()[1])")
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True).stdout
        return int(out.split()[-1]) / 1024

    sizes, counted = {}, {}
    for n in (500, 8000):
        source = tmp_path / f"big{n}.xlsx"
        formats.write_file(synthetic(n), source, "xlsx")
        sizes[n] = peak(["export", "-g", str(source), "--format", "tbx", "-o", str(tmp_path / f"big{n}.tbx")])
        assert len(formats.read_file(tmp_path / f"big{n}.tbx")) == n
        counted[n] = peak(["stats", "-g", str(source)])
    whole = peak(["search", "unit", "-g", str(tmp_path / "big8000.xlsx")])     # reads the termbase whole
    assert sizes[8000] - sizes[500] < (whole - sizes[500]) / 10, (sizes, whole)
    assert counted[8000] - counted[500] < (whole - counted[500]) / 10, (counted, whole)


@pytest.mark.parametrize("headers, row, where", [
    (["Concept ID", "Language", "Term"], ["c1", "en", "child abuse", None, "seen in 2019"], "Terms!E2"),
    (["source", "target"], ["child abuse", "إساءة معاملة الأطفال", None, "seen in 2019"], "Weblate!D2"),
])
def test_a_value_in_a_column_without_a_header_is_kept_and_reported(tmp_path, headers, row, where):
    """Nothing read is dropped silently: a value under no header goes to the concept note (our
    Terms sheet, and a Translate Toolkit / Weblate sheet)."""
    path = edited_workbook(tmp_path, [row], headers=headers)
    if where.startswith("Weblate"):
        workbook = openpyxl.load_workbook(path)
        workbook["Terms"].title = "Weblate"
        workbook.save(path)
    warnings: list = []
    termbase = xlsx.read(path, warnings=warnings)
    (concept,) = termbase
    assert f"column {where.split('!')[1][0]}: seen in 2019" in concept.note
    assert [(w.where, w.check) for w in warnings] == [(where, "xlsx-unknown-column")]
