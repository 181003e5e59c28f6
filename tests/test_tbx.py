"""TBX v3 / v2: round trips, the official validators, peer tools, real samples and hostile input."""
from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import termbases
from termbase import formats, glossary
from termbase.errors import TermbaseError
from termbase.formats import tbx
from termbase.model import AdministrativeStatus, Concept, LangSection, PartOfSpeech, Term, Termbase

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "tbx"
HOSTILE = ["billion_laughs.tbx", "xxe.tbx", "external_dtd.tbx", "empty.tbx", "truncated.tbx", "wrong_encoding.tbx"]


def render(termbase, version) -> bytes:
    buffer = io.BytesIO()
    tbx.write(termbase, buffer, version=version)
    return buffer.getvalue()


def roundtrip(termbase, version) -> Termbase:
    warnings = []
    back = tbx.read(io.BytesIO(render(termbase, version)), warnings)
    assert warnings == []
    return back


def assert_same(back: Termbase, termbase: Termbase):
    assert list(back.concepts) == list(termbase.concepts)
    for concept_id, concept in termbase.concepts.items():
        assert back.concepts[concept_id] == concept
    assert (back.title, back.description, back.languages, back.subject_fields, back.sources) == (
        termbase.title, termbase.description, termbase.languages, termbase.subject_fields, termbase.sources)


# --- round trips ---------------------------------------------------------------------------

@pytest.mark.parametrize("version", [3, 2])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(termbase=termbases())
def test_roundtrip_is_lossless(version, termbase):
    assert_same(roundtrip(termbase, version), termbase)


def test_streaming_write_from_iterator_equals_whole_write():
    termbase = glossary.read(ROOT / "glossary")
    header = Termbase(title=termbase.title, description=termbase.description, languages=termbase.languages,
                      subject_fields=termbase.subject_fields, sources=termbase.sources)
    streamed = io.BytesIO()
    tbx.write(header, streamed, concepts=(c for c in termbase))
    whole = tbx.read(io.BytesIO(streamed.getvalue()))
    assert list(whole.concepts.values()) == list(termbase.concepts.values())


def test_convert_streams_tbx_to_tbx(tmp_path):
    source = DATA / "ar_en_fr_ntig_2008.tbx"
    out = io.BytesIO()
    tbx.convert(source, out, version=3)
    assert list(tbx.read(io.BytesIO(out.getvalue()))) == list(tbx.read(source))


def test_fields_without_a_tbx_basic_category_use_the_note_convention():
    concept = Concept(id="9-x", languages={"en": LangSection("en", terms=[
        Term("Interpol", status=AdministrativeStatus.PREFERRED, part_of_speech=PartOfSpeech.PROPER_NOUN,
             forms=["Interpols"], note="termbase:looks like ours")])})
    termbase = Termbase()
    termbase.add(concept)
    text = render(termbase, 3).decode()
    assert 'id="_9-x"' in text  # XML ids cannot start with a digit
    assert '<termNote type="partOfSpeech">noun</termNote>' in text  # TBX-Basic has no properNoun
    assert "<note>termbase:partOfSpeech=properNoun</note>" in text
    assert "<note>termbase:form=Interpols</note>" in text
    assert_same(roundtrip(termbase, 3), termbase)


def test_cross_reference_outside_the_file_becomes_a_note():
    concept = Concept(id="a", cross_references=["missing"], languages={"en": LangSection("en", terms=[Term("a")])})
    termbase = Termbase()
    termbase.add(concept)
    text = render(termbase, 3).decode()
    assert "<ref" not in text and "termbase:crossReference=missing" in text
    assert roundtrip(termbase, 3).concepts["a"].cross_references == ["missing"]


def test_control_characters_are_a_clear_error():
    termbase = Termbase()
    termbase.add(Concept(id="bad", languages={"en": LangSection("en", terms=[Term("a\x01b")])}))
    with pytest.raises(TermbaseError, match="concept bad"):
        render(termbase, 3)


# --- independent validators and peer tools -------------------------------------------------

def run_tbx_validate(shared, path):
    """The official RNG + Schematron check; run by our Python, which has saxonche (the `test` extra)."""
    return subprocess.run([sys.executable, str(shared / "tools" / "tbx-validate"), str(path)],
                          capture_output=True, text=True, timeout=600)


def tbx_validate(shared, path):
    result = run_tbx_validate(shared, path)
    assert result.returncode == 0, result.stdout + result.stderr


def jing(schema, path):
    if not shutil.which("jing"):
        pytest.skip("jing is not installed")
    result = subprocess.run(["jing", str(schema), str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(termbase=termbases(max_concepts=6))
def test_v3_of_generated_termbases_passes_tbx_validate(shared, tmp_path, termbase):
    path = tmp_path / "generated.tbx"
    path.write_bytes(render(termbase, 3))
    tbx_validate(shared, path)


def test_v3_of_shipped_glossary_passes_tbx_validate(shared, tmp_path):
    """Whatever valid concepts the glossary holds right now."""
    path = tmp_path / "glossary.tbx"
    formats.write_file(glossary.read(ROOT / "glossary"), path, "tbx")
    tbx_validate(shared, path)


def test_tbx_validate_catches_a_broken_file(shared, tmp_path):
    """The validator test above can fail: an invalid category is rejected."""
    termbase = glossary.read(ROOT / "glossary")
    path = tmp_path / "broken.tbx"
    data = render(termbase, 3)
    assert b'<termNote type="administrativeStatus">' in data
    path.write_bytes(data.replace(b'<termNote type="administrativeStatus">', b'<termNote type="usageNote">', 1))
    result = run_tbx_validate(shared, path)
    assert result.returncode == 1 and "termNote[" in result.stdout and "Permitted type value" in result.stdout


def test_v2_passes_the_tbx_basic_v2_rng(shared, tmp_path):
    path = tmp_path / "v2.tbx"
    path.write_bytes(render(glossary.read(ROOT / "glossary"), 2))
    jing(shared / "standards" / "tbx" / "v2" / "TBXBasicRNGV02.rng", path)


def sample_termbase() -> Termbase:
    termbase = Termbase(title="sample")
    termbase.add(Concept(id="red-notice", languages={
        "en": LangSection("en", definition="A request to locate and arrest a person.", terms=[
            Term("Red Notice", status=AdministrativeStatus.PREFERRED)]),
        "ar": LangSection("ar", definition="طلب لتحديد مكان شخص واعتقاله.", terms=[
            Term("النشرة الحمراء", status=AdministrativeStatus.PREFERRED)])}))
    return termbase


def test_v2_reads_in_translate_toolkit():
    from translate.storage.tbx import tbxfile

    store = tbxfile.parsestring(render(sample_termbase(), 2))
    (unit,) = [u for u in store.units if not u.isheader()]
    assert [t.text for t in unit.get_target_terms("ar")] == ["النشرة الحمراء"]
    assert [t.text for t in unit.get_target_terms("en")] == ["Red Notice"]
    assert unit.source == "Red Notice"
    english = {n.text for n in unit._notes_in_scope(unit._get_language_node("en"), "language")}
    arabic = {n.text for n in unit._notes_in_scope(unit._get_language_node("ar"), "language")}
    assert "A request to locate and arrest a person." in english
    assert "طلب لتحديد مكان شخص واعتقاله." in arabic


def test_v2_has_a_plain_martif_root():
    from lxml import etree

    root = etree.fromstring(render(sample_termbase(), 2))
    assert root.tag == "martif" and root.nsmap == {} and root.get("type") == "TBX-Basic"


# --- reading real files --------------------------------------------------------------------

SAMPLES = {  # file: (concepts, languages, {lang: a term of the first concept})
    "samples/weblate_cs.tbx": (4, ["en", "cs"], {"en": "address bar", "cs": "adresní řádek"}),
    "samples/weblate_fr-extended-metadata.tbx": (2, ["en", "fr"], {"en": "data bus", "fr": "bus de données"}),
    "samples/omegat_sampleTBXfile.tbx": (1, ["en", "hu"], {"en": "alpha smoothing factor", "hu": "hu translation"}),
    "samples/weblate_terms.tbx": (164, ["en", "cs"], {"en": "&About", "cs": "O &aplikaci"}),
    "samples/okapi_medtronic_TBX.tbx": (3, ["en", "da", "nl", "fi", "fr", "hu", "it", "no", "pl", "pt", "es", "sv", "el", "cs"],
                                        {"en": "patient identifier", "da": "Patienten-Identifikator", "el": "αναγνωριστής ασθενούς"}),
    "samples/okapi_ibm_tbx.tbx": (5, ["en", "fr"], {"en": "branch", "fr": "historique de navigation"}),
    "samples/okapi_test02_win1254.tbx": (1, ["en", "tr"], {"en": "term with: éá and İı", "tr": "tr term with: éá and İı"}),
    "basic/Example_Astronomy_DCA_VALID.tbx": (45, ["en", "es", "zu"], {"en": "open cluster", "es": "cúmulo abierto"}),
    "basic/Example_Astronomy_DCT_VALID.tbx": (45, ["en", "es", "zu"], {"en": "galactic cluster", "es": "cúmulo abierto"}),
    "basic/TBX-basic-sample.tbx": (5, ["en-US", "en", "fr", "de"], {"en": "e-mail", "fr": "courriel"}),
    "v2/TBX-basic-sample.tbx": (5, ["en-US", "en", "fr", "de"], {"en": "e-mail", "fr": "courriel"}),
}


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_imports(shared, name):
    count, languages, terms = SAMPLES[name]
    path = shared / "standards" / "tbx" / name
    termbase = formats.read_file(path, warnings=[])
    assert len(termbase) == count
    assert termbase.languages == languages
    first = next(iter(termbase))
    for lang, text in terms.items():
        assert text in [t.text for t in first.languages[lang].terms]


def test_sample_entries_are_counted_from_the_file(shared):
    """The counts above are the files' own: every non-empty entry becomes a concept."""
    from lxml import etree

    for name, (count, _, _) in SAMPLES.items():
        root = etree.parse(str(shared / "standards" / "tbx" / name),
                           etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)).getroot()
        entries = [e for e in root.iter("{*}termEntry", "{*}conceptEntry")]
        assert count == sum(1 for e in entries if len(e)), name


def test_weblate_terms_merges_langsets_and_reports_the_empty_entry(shared):
    warnings = []
    termbase = tbx.read(shared / "standards/tbx/samples/weblate_terms.tbx", warnings)
    assert [(w.line, w.check) for w in warnings] == [(3044, "tbx-empty-entry")]
    assert all(c.id for c in termbase) and len(set(termbase.concepts)) == len(termbase)
    assert all(tbx.CONCEPT_ID.match(c.id) for c in termbase)
    assert "[tbx id=vít_pelčák-0]" in termbase.concepts["vit-pelcak-0"].note
    merged = [c for c in termbase if len(c.languages["en"].terms) > 1 or len(c.languages["cs"].terms) > 1]
    assert merged and all(set(c.languages) == {"en", "cs"} for c in merged)


def test_unknown_categories_are_kept_in_notes_and_reported(shared):
    path = shared / "standards/tbx/samples/weblate_fr-extended-metadata.tbx"
    warnings = []
    termbase = tbx.read(path, warnings)
    e001 = termbase.concepts["e001"]
    assert "[descrip type=Usage note] Avoid using this term in any documentation." in e001.note
    assert "[descrip type=Translation needed] Yes" in e001.note
    assert {(w.line, w.check) for w in warnings} >= {(15, "tbx-unmapped"), (16, "tbx-unmapped")}
    # "obsolete" is TBX-Basic's display name for superseded; the concept definition goes to en
    assert e001.languages["en"].terms[0].status is AdministrativeStatus.SUPERSEDED
    assert e001.languages["en"].definition == "Superseded but still found in older manuals."
    e002 = termbase.concepts["e002"].languages["en"].terms[0]
    assert e002.note == "[note from=developer] Do not translate error codes."


def test_medtronic_transfer_comments_and_term_transactions_are_kept(shared):
    warnings = []
    termbase = tbx.read(shared / "standards/tbx/samples/okapi_medtronic_TBX.tbx", warnings)
    notes = "\n".join(t.note for c in termbase for _, t in c.terms())
    assert "[termNote type=transferComment] English equivalent: clinician notification" in notes
    assert "[transacGrp] modification local 2005-03-10T14:45:27" in notes
    assert any("transferComment" in w.message for w in warnings)
    first = next(iter(termbase))
    assert first.created.isoformat() == "2005-03-10" and first.modified_by == "UMuegge"


def test_handmade_2008_file_keeps_every_term_definition_and_context():
    termbase = tbx.read(DATA / "ar_en_fr_ntig_2008.tbx")
    assert termbase.languages == ["ar", "en-GB", "fr"]
    red = termbase.concepts["red-notice"]
    assert list(red.languages) == ["ar", "en-GB", "fr"]
    assert [t.text for t in red.languages["en-GB"].terms] == ["Red Notice", "red notice"]
    assert red.languages["en-GB"].definition_source == "INTERPOL"
    assert red.languages["en-GB"].terms[0].context_source == "001_4c5f85491cff919b"
    assert red.languages["ar"].terms[0].context == "أصدر الإنتربول النشرة الحمراء بحق المشتبه به."
    assert red.preferred_term("en").text == "Red Notice" and red.preferred_term("ar").text == "النشرة الحمراء"
    assert red.languages["fr"].definition.startswith("Demande de localisation")
    second = termbase.concepts["online-child-sexual-exploitation"]
    assert second.languages["en-GB"].terms[0].context.startswith("The taskforce")
    assert second.languages["fr"].terms[0].text == "exploitation sexuelle des enfants en ligne"
    texts = {t.text for c in termbase for _, t in c.terms()}
    assert len(texts) == 7


def test_read_header_stops_after_the_header(tmp_path):
    path = tmp_path / "x.tbx"
    data = render(glossary.read(ROOT / "glossary"), 3)
    cut = data.index(b"<body>") + 6
    path.write_bytes(data[:cut])  # no body end: reading concepts would fail, the header must not
    header = tbx.read_header(path)
    assert header.title == glossary.read_header(ROOT / "glossary").title
    assert len(header) == 0


# --- hostile input -------------------------------------------------------------------------

@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_raise_termbase_error(name):
    path = DATA / name
    with pytest.raises(TermbaseError) as caught:
        formats.read_file(path, fmt="tbx")
    error = caught.value
    assert error.path == str(path) and error.line is not None
    assert str(path) in str(error)


def test_entity_file_is_not_read():
    with pytest.raises(TermbaseError) as caught:
        tbx.read(DATA / "xxe.tbx")
    assert "root:" not in str(caught.value)  # /etc/passwd content never appears


@pytest.mark.parametrize("name", ["billion_laughs.tbx", "xxe.tbx", "truncated.tbx"])
def test_cli_import_of_hostile_file_fails_cleanly(glossary_copy, name):
    click_testing = pytest.importorskip("click.testing")
    from termbase.cli import main

    before = {p.name: p.read_bytes() for p in (glossary_copy / "concepts").glob("*.yaml")}
    result = click_testing.CliRunner().invoke(main, ["import", str(DATA / name), "-g", str(glossary_copy)])
    assert result.exit_code == 1, result.output
    assert name in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert {p.name: p.read_bytes() for p in (glossary_copy / "concepts").glob("*.yaml")} == before


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="abc-01é", max_size=6), max_size=60))
def test_id_set_answers_like_a_set(ids):
    from termbase.formats.tbx import IdSet

    compact, plain = IdSet(), set()
    for concept_id in ids + sorted(ids):
        assert (concept_id in compact) == (concept_id in plain)
        compact.add(concept_id)
        plain.add(concept_id)
