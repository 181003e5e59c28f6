"""CSV, TSV and OmegaT glossary tables: round trips, conventions, real files from other tools, hostile input."""
from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from strategies import termbases
from termbase.errors import TermbaseError
from termbase.formats import FORMATS, delimited, read_file, render, write_file
from termbase.model import AdministrativeStatus, Concept, LangSection, Term, Termbase

DATA = Path(__file__).parent / "data" / "delimited"


def sample() -> Termbase:
    termbase = Termbase(title="Sample")
    termbase.add(Concept(id="red-notice", subject_fields=["policing-instruments"], languages={
        "en": LangSection("en", definition="An international alert for a wanted person.", terms=[
            Term("Red Notice", status=AdministrativeStatus.PREFERRED),
            Term("red corner notice", status=AdministrativeStatus.ADMITTED)]),
        "ar": LangSection("ar", definition="تعميم دولي", terms=[
            Term("نشرة حمراء", status=AdministrativeStatus.PREFERRED),
            Term("النشرة الحمراء", status=AdministrativeStatus.ADMITTED),
            Term("مذكرة حمراء", status=AdministrativeStatus.DEPRECATED)])}))
    termbase.add(Concept(id="formula", languages={
        "en": LangSection("en", terms=[Term("=1+1"), Term("-ism")]),
        "ar": LangSection("ar", definition="@جهة\nسطر ثان", terms=[Term("'=quoted")])}))
    termbase.add(Concept(id="hashtag", languages={
        "en": LangSection("en", terms=[Term("#WePROTECT")]), "ar": LangSection("ar", terms=[Term("وي بروتكت")])}))
    return termbase


def parse(data: bytes, dialect: str) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter="," if dialect == "csv" else "\t"))


# --- round trips ------------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["csv", "tsv"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(termbase=termbases())
def test_round_trip_keeps_every_concept_field(dialect, termbase):
    warnings: list = []
    back = delimited.read(io.BytesIO(render(termbase, dialect)), warnings=warnings, dialect=dialect)
    assert warnings == []
    assert back.concepts == termbase.concepts
    assert back.languages == termbase.languages


def test_round_trip_through_files_and_detection(tmp_path):
    for fmt, name in (("csv", "t.csv"), ("tsv", "t.tsv")):
        write_file(sample(), tmp_path / name, fmt)
        assert read_file(tmp_path / name).concepts == sample().concepts


# --- the CSV/TSV layout ------------------------------------------------------------------------

def test_csv_is_utf8_with_bom_crlf_and_language_code_columns():
    data = render(sample(), "csv")
    assert data.startswith(codecs.BOM_UTF8)
    rows = parse(data, "csv")
    assert data.count(b"\r\n") == len(rows)            # every record ends CRLF (a line break inside a cell is quoted)
    head = rows[0]
    assert head[:2] == ["id", "subject"]
    for lang in ("en", "ar"):
        assert {lang, f"{lang}_Def", f"{lang}_Status", f"{lang}_Type", f"{lang}_POS", f"{lang}_Context"} <= set(head)
    by_name = [dict(zip(head, row)) for row in rows[1:]]
    # one row per term index: red-notice has 3 Arabic terms, so 3 rows with the same id
    red = [row for row in by_name if row["id"] == "red-notice"]
    assert [row["ar"] for row in red] == ["نشرة حمراء", "النشرة الحمراء", "مذكرة حمراء"]
    assert [row["en"] for row in red] == ["Red Notice", "red corner notice", ""]
    assert red[0]["en_Def"] == "An international alert for a wanted person." and red[1]["en_Def"] == ""
    assert red[2]["ar_Status"] == "deprecated"


def test_no_bom_option_and_tsv_defaults():
    assert not render(sample(), "csv", bom=False).startswith(codecs.BOM_UTF8)
    tsv = render(sample(), "tsv")
    assert not tsv.startswith(codecs.BOM_UTF8) and b"\r\n" not in tsv
    assert parse(tsv, "tsv")[0][0] == "id"


def test_formula_cells_are_neutralised_and_restored():
    rows = parse(render(sample(), "csv"), "csv")
    head = rows[0]
    formula = [dict(zip(head, row)) for row in rows[1:] if row[0] == "formula"]
    assert formula[0]["en"] == "'=1+1" and formula[1]["en"] == "'-ism"
    assert formula[0]["ar_Def"] == "'@جهة\nسطر ثان"
    assert formula[0]["ar"] == "''=quoted"          # an apostrophe already there is kept distinct
    warnings: list = []
    back = delimited.read(io.BytesIO(render(sample(), "csv")), warnings=warnings)
    assert warnings == []
    assert [t.text for t in back.concepts["formula"].languages["en"].terms] == ["=1+1", "-ism"]
    assert back.concepts["formula"].languages["ar"].terms[0].text == "'=quoted"


def test_every_written_cell_is_formula_safe():
    for dialect in ("csv", "tsv"):
        for row in parse(render(sample(), dialect), dialect):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


# --- hostile input ------------------------------------------------------------------------------

def test_non_utf8_csv_is_an_error_with_its_line():
    with pytest.raises(TermbaseError) as error:
        read_file(DATA / "latin1.csv")
    assert error.value.line == 3
    assert error.value.path.endswith("latin1.csv")
    assert "0xe9" in str(error.value)


def test_formula_in_a_foreign_csv_is_reported_with_row_and_column():
    warnings: list = []
    termbase = read_file(DATA / "formula.csv", warnings=warnings)
    formula = [w for w in warnings if w.check == "table-formula"]
    evil = next(w for w in formula if w.severity == "error")
    assert (evil.line, evil.column, evil.where) == (3, 2, "cell B3")
    assert termbase.concepts["evil"].languages["en"].terms[0].text.startswith("=HYPERLINK(")   # kept verbatim
    minus = next(w for w in formula if "-ism" in w.message)
    assert minus.severity == "warning" and (minus.line, minus.column) == (4, 2)
    assert {w.where for w in formula} == {"cell B3", "cell B4", "cell B6"}


def test_spaces_blank_lines_and_unmapped_columns():
    warnings: list = []
    termbase = read_file(DATA / "formula.csv", warnings=warnings)
    assert termbase.concepts["suffix"].languages["en"].definition == "A suffix"
    assert any(w.check == "table-spaces" and w.where == "cell D4" for w in warnings)
    assert list(termbase.concepts) == ["red-notice", "evil", "suffix", "phone"]   # the blank line is skipped
    unmapped = [w for w in warnings if w.check == "table-unmapped-column"]
    assert len(unmapped) == 1 and unmapped[0].line == 6
    assert termbase.concepts["phone"].note == "column E: extra cell"


def test_bad_vocabulary_value_goes_to_the_note():
    data = "id,en,en_Status\nx,term,favourite\n".encode()
    warnings: list = []
    concept = delimited.read(io.BytesIO(data), warnings=warnings).concepts["x"]
    term = concept.languages["en"].terms[0]
    assert term.status is None and term.note == "en_Status: favourite"
    assert [w.check for w in warnings] == ["table-value"]


def test_header_with_an_unknown_column_is_still_the_header():
    """Two language columns make the first row a header; a column we do not know goes to the note."""
    data = "en,ar,Mystery\nPurple Notice,النشرة الأرجوانية,secret\n".encode()
    warnings: list = []
    termbase = delimited.read(io.BytesIO(data), warnings=warnings)
    [concept] = list(termbase)
    assert concept.languages["en"].terms[0].text == "Purple Notice" and concept.note == "Mystery: secret"
    assert [(w.check, w.line, w.column) for w in warnings] == [("table-unmapped-column", 1, 3)]


def test_cells_beyond_the_header_are_reported_at_their_own_column():
    warnings: list = []
    delimited.read(io.BytesIO("en,ar\nRed Notice,نشرة,x,y\n".encode()), warnings=warnings)
    assert [(w.line, w.column, w.message.split("'")[1]) for w in warnings] == [(2, 3, "column C"), (2, 4, "column D")]


def test_utf16_bom_and_malformed_quotes():
    data = "id\ten\tar\nx\tterm\tمصطلح\n".encode("utf-16")       # with BOM
    assert delimited.read(io.BytesIO(data), dialect="tsv").concepts["x"].languages["ar"].terms[0].text == "مصطلح"
    with pytest.raises(TermbaseError):
        delimited.read(io.BytesIO(b"\xfe\xff\x00"), dialect="csv")


# --- real files from other tools ---------------------------------------------------------------

TABLES = "standards/glossary-tables"


def pairs(termbase, source="en", target="cs"):
    return [(c.languages[source].terms[0].text, c.languages[target].terms[0].text) for c in termbase]


@pytest.mark.parametrize("name", ["weblate_terms.csv", "weblate_terms-header.csv"])
def test_weblate_csv(shared, name):
    warnings: list = []
    termbase = delimited.read(shared / TABLES / name, warnings=warnings, source_lang="en", target_lang="cs")
    assert len(termbase) == 163
    assert termbase.languages == ["en", "cs"]
    entries = dict(pairs(termbase))
    assert entries["Loading, please wait..."] == "Načítá se, prosím čekejte"
    assert entries["desktop"] == "pracovní plocha, plocha"
    assert entries["&About"] == "O &aplikaci"
    assert entries["administrator"] == "správce"           # trimmed ...
    # ... and reported: the README counts 20 rows with surrounding spaces
    assert len({w.line for w in warnings if w.check == "table-spaces"}) == 20
    assert {w.check for w in warnings} == {"table-spaces"}


def test_weblate_header_and_headerless_agree(shared):
    plain = delimited.read(shared / TABLES / "weblate_terms.csv", target_lang="cs")
    header = delimited.read(shared / TABLES / "weblate_terms-header.csv", target_lang="cs")
    assert pairs(plain) == pairs(header)


def test_omegat_csv_quoting(shared):
    termbase = read_file(shared / TABLES / "omegat_test.csv")
    got = pairs(termbase, "en", "ar")
    assert len(got) == 7
    assert got[2] == ("kde; question", "comma")
    assert got[4] == ('"kde","q"', "cdk")
    assert got[5] == ('""k', "k")
    assert got[6] == ('zz"zz', "zz")


def test_omegat_tab_with_comment(shared):
    termbase = delimited.read(shared / TABLES / "omegat_test.tab", dialect="omegat", source_lang="ja", target_lang="fr")
    assert len(termbase) == 4
    concept = list(termbase)[2]
    assert concept.languages["ja"].terms[0].text == "地球システム"
    assert concept.languages["fr"].terms[0].text == "System Terre"
    assert concept.languages["ja"].definition == "https://fr.wikipedia.org/wiki/Science_du_syst%C3%A8me_Terre"
    assert list(termbase)[3].languages["ja"].terms[0].text == "손가락"


def test_omegat_utf16le_txt(shared):
    raw = (shared / TABLES / "omegat_testUTF16LE.txt").read_bytes()
    assert raw.startswith(codecs.BOM_UTF16_LE)
    termbase = read_file(shared / TABLES / "omegat_testUTF16LE.txt")      # .txt → omegat dialect
    assert len(termbase) == 2
    first = list(termbase)[0]
    assert first.languages["en"].terms[0].text == "UTF"
    assert first.languages["ar"].terms[0].text == "Unicode Transformation Format"
    assert first.languages["en"].definition == "Comment #1"


# --- OmegaT export --------------------------------------------------------------------------

def test_omegat_export_conventions():
    assert FORMATS["omegat"].export_name.endswith(".utf8")      # OmegaT reads *.utf8 as UTF-8 always
    data = render(sample(), "omegat")
    assert not data.startswith(codecs.BOM_UTF8) and b"martif" not in data
    text = data.decode("utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("#") and "coding: utf-8" in lines[0]
    entries = [line.split("\t") for line in lines if not line.startswith("#")]
    assert all(len(fields) == 3 for fields in entries)
    # source × non-deprecated target: red-notice 2 × 2, formula 2 × 1, hashtag 1 × 1
    assert len(entries) == 7
    assert ["Red Notice", "نشرة حمراء", "An international alert for a wanted person."] in entries
    assert not any(fields[1] == "مذكرة حمراء" for fields in entries)
    assert [" #WePROTECT", "وي بروتكت", ""] in entries            # OmegaT trims cells; '#' would start a comment


def test_omegat_export_reads_back_as_concepts(tmp_path):
    path = tmp_path / FORMATS["omegat"].export_name
    write_file(sample(), path, "omegat")
    warnings: list = []
    back = read_file(path, warnings=warnings)
    assert warnings == []
    assert len(back) == 3
    red = back.concepts["red-notice"]
    assert [t.text for t in red.languages["en"].terms] == ["Red Notice", "red corner notice"]
    assert [t.text for t in red.languages["ar"].terms] == ["نشرة حمراء", "النشرة الحمراء"]
    assert red.languages["en"].definition == "An international alert for a wanted person."
    assert list(back)[2].languages["en"].terms[0].text == "#WePROTECT"


def test_reads_csv_written_by_translate_toolkit():
    """Translate Toolkit's own CSV writer (the Weblate convention): source/target columns map, the rest is kept."""
    csvl10n = pytest.importorskip("translate.storage.csvl10n")
    store = csvl10n.csvfile()
    unit = store.addsourceunit("Red Notice")
    unit.target = "نشرة حمراء"
    unit.addnote("An alert", origin="developer")
    warnings: list = []
    termbase = delimited.read(io.BytesIO(bytes(store)), warnings=warnings)
    concept = termbase.concepts["red-notice"]
    assert concept.languages["en"].terms[0].text == "Red Notice"
    assert concept.languages["ar"].terms[0].text == "نشرة حمراء"
    assert "developer_comments: An alert" in concept.note.splitlines()
    assert {w.check for w in warnings} == {"table-unmapped-column"}


def test_shipped_glossary_round_trips(glossary_copy):
    from termbase import glossary

    termbase = glossary.read(glossary_copy)
    assert len(termbase) > 0
    for dialect in ("csv", "tsv"):
        warnings: list = []
        assert delimited.read(io.BytesIO(render(termbase, dialect)), warnings=warnings, dialect=dialect).concepts == termbase.concepts
        assert warnings == []
