"""gettext PO and MO: msgfmt, gettext lookups, round trips of the carried fields, foreign PO files."""
from __future__ import annotations

import copy
import datetime as dt
import gettext
import io
import re
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings

from strategies import termbases
from termbase.errors import TermbaseError, UsageError
from termbase.formats import po, read_file, render, write_file
from termbase.model import (AdministrativeStatus, Concept, Gender, LangSection, PartOfSpeech, ReviewStatus,
                            Term, Termbase, TermType)

needs_gettext = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext not installed")


def sample() -> Termbase:
    termbase = Termbase(title="INTERPOL terminology")
    termbase.add(Concept(
        id="red-notice", subject_fields=["policing-instruments"], review_status=ReviewStatus.APPROVED,
        sources=["003_c984302149a11a87"], modified=dt.date(2024, 5, 1), created=dt.date(2023, 1, 2),
        note='A "quoted" note\nwith a second line and a \\ backslash',
        languages={
            "en": LangSection("en", definition="A request to locate and provisionally arrest a person.", terms=[
                Term("Red Notice", type=TermType.FULL_FORM, status=AdministrativeStatus.PREFERRED,
                     part_of_speech=PartOfSpeech.NOUN, forms=["Red Notices"]),
                Term("red corner notice", status=AdministrativeStatus.ADMITTED)]),
            "ar": LangSection("ar", definition="طلب لتحديد مكان شخص واعتقاله مؤقتاً.", terms=[
                Term("نشرة حمراء", status=AdministrativeStatus.PREFERRED, gender=Gender.FEMININE,
                     context="أصدر الإنتربول نشرة حمراء.", context_source="003_c984302149a11a87",
                     forms=["نشرات حمراء"]),
                Term("النشرة الحمراء", status=AdministrativeStatus.DEPRECATED)])}))
    termbase.add(Concept(id="interpol", created=dt.date(2022, 3, 4), languages={
        "en": LangSection("en", terms=[Term("INTERPOL", type=TermType.ACRONYM, status=AdministrativeStatus.PREFERRED)]),
        "ar": LangSection("ar", terms=[Term("الإنتربول", status=AdministrativeStatus.PREFERRED)])}))
    termbase.add(Concept(id="untranslated", languages={"en": LangSection("en", terms=[Term("grooming")])}))
    termbase.add(Concept(id="arabic-only", languages={"ar": LangSection("ar", terms=[Term("استدراج")])}))
    return termbase


def carried(termbase: Termbase) -> dict:
    """The concepts restricted to what a PO file carries (see po.py's docstring)."""
    result = {}
    for concept in termbase:
        if concept.section("en") is None or not concept.section("en").terms:
            continue
        concept = copy.deepcopy(concept)
        concept.languages = {tag: s for tag, s in concept.languages.items() if tag in ("en", "ar")}
        for section in concept.languages.values():
            main = section.preferred()
            others = [Term(text=t.text, status=t.status) for t in section.terms if t is not main]
            section.terms = ([main] if main else []) + others
        result[concept.id] = concept
    return result


# --- the file ---------------------------------------------------------------------------------

@needs_gettext
def test_msgfmt_check_passes(tmp_path):
    path = tmp_path / "ar.po"
    write_file(sample(), path, "po")
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "out.mo"), str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # red-notice and interpol are translated, untranslated has no Arabic term, arabic-only no English one
    assert "2 translated messages, 1 untranslated message" in result.stderr


@needs_gettext
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(termbase=termbases())
def test_msgfmt_check_passes_on_random_termbases(tmp_path, termbase):
    path = tmp_path / "random.po"
    path.write_bytes(render(termbase, "po"))
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_header_from_babel_and_deterministic():
    from babel.messages.plurals import get_plural

    data = render(sample(), "po")
    assert data == render(sample(), "po")
    catalog = po.polib.pofile(data.decode("utf-8"))
    meta = catalog.metadata
    assert meta["Language"] == "ar"
    assert meta["Plural-Forms"] == get_plural("ar").plural_forms
    assert meta["Plural-Forms"].startswith("nplurals=6;")
    assert meta["Content-Type"] == "text/plain; charset=UTF-8"
    assert meta["Project-Id-Version"] == "INTERPOL terminology"
    assert meta["PO-Revision-Date"] == "2024-05-01 00:00+0000"            # the newest concept date, not now
    assert meta["POT-Creation-Date"] == "2024-05-01 00:00+0000"


def test_entry_layout():
    text = render(sample(), "po").decode("utf-8")
    entry = text[text.index("#. subject: policing-instruments"):text.index('msgstr "نشرة حمراء"')]
    assert "#. en definition: A request to locate" in entry
    assert "#. ar definition: طلب لتحديد" in entry
    assert "#. en type: fullForm" in entry and "#. en status: preferred" in entry
    assert "#. en admitted: red corner notice" in entry
    assert "#. ar deprecated: النشرة الحمراء" in entry
    assert "#. note: A \"quoted\" note\\nwith a second line and a \\\\ backslash" in entry
    assert "#: 003_c984302149a11a87" in entry
    assert 'msgctxt "red-notice"\nmsgid "Red Notice"' in entry
    assert "arabic-only" not in text                                        # no English term, no msgid


def test_skipped_concepts_are_reported():
    warnings: list = []
    po.write(sample(), io.BytesIO(), warnings=warnings)
    assert [w.where for w in warnings] == ["arabic-only"]


def tricky() -> Termbase:
    """Text polib escapes or writes over several lines, in every field the entry line shows."""
    termbase = Termbase(title='A "tricky" \\ title')
    termbase.add(Concept(id="quotes", sources=["doc-1", "doc-2"], modified=dt.date(2025, 2, 3), languages={
        "en": LangSection("en", definition='Says "hi"\\there\r\nand\tmore', terms=[Term('the "term"\\')]),
        "ar": LangSection("ar", terms=[Term("سطر\tبعلامة \"اقتباس\"")])}))
    for i, breaker in enumerate(["\n", "\r\n", "\v", "\f", "\x1c", "\x85", "\u2028", "\u2029"]):
        termbase.add(Concept(id=f"break-{i}", created=dt.date(2020, 1, 1), languages={
            "en": LangSection("en", terms=[Term(f"first{breaker}second"), Term(f"other{breaker}x")]),
            "ar": LangSection("ar", terms=[Term(f"أول{breaker}ثان{breaker}")])}))
    termbase.add(Concept(id="trailing-newline", languages={"en": LangSection("en", terms=[Term("end\n")])}))
    return termbase


def polib_po(termbase: Termbase) -> bytes:
    """The PO bytes polib itself writes for our entries (the formatting oracle), and its catalogue."""
    catalog = po.polib.POFile(wrapwidth=0)
    catalog.header = (f"{termbase.title or 'Termbase'}: en → ar terminology.\n"
                      "Generated by termbase from the glossary; edit the glossary, not this file.")
    dates = [d for c in termbase for d in (c.created, c.modified) if d]
    catalog.metadata = po.header(termbase, "en", "ar", max(dates, default=None))
    for concept in termbase:
        source, target = concept.preferred_term("en"), concept.preferred_term("ar")
        if source is not None:
            catalog.append(po.polib.POEntry(msgctxt=concept.id, msgid=source.text, msgstr=target.text if target else "",
                                            comment="\n".join(po.comment_lines(concept, "en", "ar")),
                                            occurrences=[(s, "") for s in concept.sources]))
    return str(catalog).encode("utf-8"), catalog


@pytest.mark.parametrize("make", [sample, tricky])
def test_bytes_are_what_polib_writes(make):
    expected, catalog = polib_po(make())
    assert render(make(), "po") == expected
    assert render(make(), "mo") == catalog.to_binary()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(termbase=termbases())
def test_bytes_are_what_polib_writes_on_random_termbases(termbase):
    expected, catalog = polib_po(termbase)
    assert render(termbase, "po") == expected
    assert render(termbase, "mo") == catalog.to_binary()


class _Pipe(io.BytesIO):
    """A stream that cannot seek, like a pipe."""

    def seekable(self):
        return False


@pytest.mark.parametrize("make", [sample, tricky])
def test_streamed_concepts_give_the_same_bytes(make, monkeypatch):
    whole = {fmt: render(make(), fmt) for fmt in ("po", "mo")}
    header = Termbase(title=make().title)
    for stream in (io.BytesIO(b"prefix"), _Pipe(b"prefix")):      # header patched in place / entries spooled
        stream.seek(len(b"prefix"))
        po.write(header, stream, concepts=iter(list(make())))
        assert stream.getvalue() == b"prefix" + whole["po"]
    monkeypatch.setattr(po, "SPOOL_BYTES", 16)                        # the spool rolls over to a file on disk
    stream = _Pipe()
    po.write(header, stream, concepts=iter(list(make())))
    assert stream.getvalue() == whole["po"]
    from termbase.formats import mo
    stream = io.BytesIO()
    mo.write(header, stream, concepts=iter(list(make())))
    assert stream.getvalue() == whole["mo"]


def test_header_date_is_the_newest_even_when_it_comes_last():
    concepts = list(sample())[::-1]                                   # the 2024-05-01 concept last
    stream = io.BytesIO()
    po.write(Termbase(title="INTERPOL terminology"), stream, concepts=iter(concepts))
    assert po.polib.pofile(stream.getvalue().decode()).metadata["PO-Revision-Date"] == "2024-05-01 00:00+0000"


def test_export_from_tbx_streams_the_same_bytes(tmp_path):
    from termbase.formats import convert, tbx

    source = tmp_path / "in.tbx"
    source.write_bytes(render(sample(), "tbx"))
    for fmt in ("po", "mo"):
        convert(source, tmp_path / f"out.{fmt}", fmt)
        assert (tmp_path / f"out.{fmt}").read_bytes() == render(tbx.read(source), fmt)


# --- round trip -------------------------------------------------------------------------------

def test_round_trip_sample():
    warnings: list = []
    back = po.read(io.BytesIO(render(sample(), "po")), warnings=warnings)
    assert warnings == []
    assert back.concepts == carried(sample())
    assert back.title == "INTERPOL terminology"
    assert back.languages == ["en", "ar"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(termbase=termbases())
def test_round_trip_keeps_the_carried_fields(termbase):
    warnings: list = []
    back = po.read(io.BytesIO(render(termbase, "po")), warnings=warnings)
    assert warnings == []
    assert back.concepts == carried(termbase)


def test_translate_toolkit_reads_our_po():
    pypo = pytest.importorskip("translate.storage.pypo")
    store = pypo.pofile(render(sample(), "po"))
    units = {unit.getcontext(): unit for unit in store.units if not unit.isheader()}
    assert units["red-notice"].source == "Red Notice"
    assert units["red-notice"].target == "نشرة حمراء"
    assert "en definition: A request to locate" in units["red-notice"].getnotes("developer")
    assert units["untranslated"].target == ""


# --- MO ---------------------------------------------------------------------------------------

def test_mo_lookup_with_gettext(tmp_path):
    path = tmp_path / "ar.mo"
    write_file(sample(), path, "mo")
    with open(path, "rb") as handle:
        translations = gettext.GNUTranslations(handle)
    assert translations.pgettext("red-notice", "Red Notice") == "نشرة حمراء"
    assert translations.pgettext("interpol", "INTERPOL") == "الإنتربول"
    assert translations.pgettext("untranslated", "grooming") == "grooming"        # falls back
    assert translations.info()["language"] == "ar"
    assert render(sample(), "mo") == path.read_bytes()                          # deterministic


@needs_gettext
def test_mo_agrees_with_msgunfmt(tmp_path):
    path = tmp_path / "ar.mo"
    path.write_bytes(render(sample(), "mo"))
    result = subprocess.run(["msgunfmt", str(path)], capture_output=True, text=True, check=True)
    assert re.search(r'msgctxt "red-notice"\nmsgid "Red Notice"\nmsgstr "نشرة حمراء"', result.stdout)
    assert 'msgctxt "untranslated"' not in result.stdout


def test_mo_is_write_only(tmp_path):
    path = tmp_path / "ar.mo"
    path.write_bytes(render(sample(), "mo"))
    with pytest.raises(UsageError):
        read_file(path)


# --- foreign and bad PO files ------------------------------------------------------------------

def test_weblate_po_with_plurals_and_obsolete_entries(shared):
    path = shared / "standards" / "bilingual" / "weblate_ar_djangojs.po"
    raw = path.read_text(encoding="utf-8")
    obsolete = len(re.findall(r"^#~ msgid ", raw, re.M))
    live = len(re.findall(r"^msgid ", raw, re.M)) - 1                       # minus the header
    warnings: list = []
    termbase = read_file(path, warnings=warnings)
    assert len(termbase) == live
    assert len([w for w in warnings if w.check == "po-obsolete"]) == obsolete > 0
    assert termbase.languages == ["en", "ar"]
    concept = termbase.concepts["unsaved-changes"]
    assert concept.languages["ar"].terms[0].text == "لم تحفظ التغييرات!"
    assert "reference: weblate/static/editor/base.js:54" in concept.note
    plural = termbase.concepts["s-matching-string"]
    assert plural.languages["en"].terms[0].forms == ["%s matching strings"]
    assert plural.languages["ar"].terms[0].text == "%s سلسلة مطابقة"
    assert "%s سلسلتان مطابقتان" in plural.languages["ar"].terms[0].forms
    assert any(w.check == "po-plural" and w.line for w in warnings)


def test_foreign_comment_lines_are_kept_and_reported():
    data = ('msgid ""\nmsgstr ""\n"Language: ar\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
            '# translator says hi\n#. Translators: a button label\n#, fuzzy\nmsgid "Save"\nmsgstr "حفظ"\n').encode()
    warnings: list = []
    concept = po.read(io.BytesIO(data), warnings=warnings).concepts["save"]
    assert concept.review_status is ReviewStatus.DRAFT
    assert "Translators: a button label" in concept.note and "translator says hi" in concept.note
    assert [w.check for w in warnings] == ["po-comment"]


def test_malformed_po_names_the_line():
    data = 'msgid "a"\nmsgstr "b"\nnot po at all\n'.encode()
    with pytest.raises(TermbaseError) as error:
        po.read(io.BytesIO(data))
    assert error.value.line == 3 and "malformed PO" in str(error.value)


def test_non_utf8_po_names_the_line():
    data = b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "caf\xe9"\nmsgstr "x"\n'
    with pytest.raises(TermbaseError) as error:
        po.read(io.BytesIO(data))
    assert error.value.line == 5


# --- the shipped glossary and the CLI ------------------------------------------------------------

@needs_gettext
def test_cli_exports_the_glossary_as_po_and_mo(glossary_copy, tmp_path):
    from click.testing import CliRunner

    from termbase import glossary
    from termbase.cli import main

    termbase = glossary.read(glossary_copy)
    target = tmp_path / "ar.po"
    result = CliRunner().invoke(main, ["export", "--format", "po", "-o", str(target), "-g", str(glossary_copy)])
    assert result.exit_code == 0, result.output
    check = subprocess.run(["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "ar.mo"), str(target)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    with_both = [c for c in termbase if c.preferred_term("en") and c.preferred_term("ar")]
    assert f"{len(with_both)} translated message" in check.stderr
    assert po.read(target).concepts == carried(termbase)
    with open(tmp_path / "ar.mo", "rb") as handle:                 # msgfmt's own MO, from our PO
        translations = gettext.GNUTranslations(handle)
    for concept in with_both:
        assert translations.pgettext(concept.id, concept.preferred_term("en").text) == concept.preferred_term("ar").text
