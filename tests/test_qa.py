"""Terminology QA of bilingual files: hand-made en→ar fixtures with exact findings, and real files."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from termbase import bilingual, glossary, qa
from termbase.cli import main
from termbase.errors import TermbaseError
from termbase.model import AdministrativeStatus as S, Concept, LangSection, Term, Termbase

DATA = Path(__file__).parent / "data" / "qa"


def make_glossary() -> Termbase:
    tb = Termbase(title="QA test")
    tb.add(Concept("database", languages={
        "en": LangSection("en", terms=[Term("database", status=S.PREFERRED)]),
        "ar": LangSection("ar", terms=[Term("قاعدة بيانات", status=S.PREFERRED, forms=["قواعد بيانات", "قاعدتا بيانات"]),
                                       Term("قاعدة معطيات", status=S.DEPRECATED)])}))
    tb.add(Concept("firewall", languages={
        "en": LangSection("en", terms=[Term("firewall", status=S.PREFERRED)]),
        "ar": LangSection("ar", terms=[Term("جدار حماية", status=S.PREFERRED), Term("جدار ناري", status=S.ADMITTED),
                                       Term("حائط نار", status=S.SUPERSEDED)])}))
    tb.add(Concept("child", languages={
        "en": LangSection("en", terms=[Term("child", status=S.PREFERRED, forms=["children"])]),
        "ar": LangSection("ar", terms=[Term("طفل", status=S.PREFERRED, forms=["أطفال"])])}))
    tb.add(preferred_pair("e-mail", en="e-mail", ar="بريد إلكتروني"))
    return tb


MISSING = "error: source term 'database' (database) is not translated with an approved term: use 'قاعدة بيانات' [term-missing]"
DEPRECATED = "error: deprecated term 'قاعدة المعطيات' (database); use 'قاعدة بيانات' [term-deprecated]"
UNTRANSLATED = "error: source term 'firewall' left untranslated in the target; use 'جدار حماية', 'جدار ناري' (firewall) [term-untranslated]"
SUPERSEDED = "error: superseded term 'حائط النار' (firewall); use 'جدار حماية' [term-deprecated]"
FUZZY_MISSING = "error: source term 'database' (database) is not translated with an approved term: use 'قاعدة بيانات' [term-missing]"

EXPECTED = {
    "en-ar.po": [
        f"18: Back up the database.: {MISSING}",
        f"22: Open the database.: {DEPRECATED}",
        f"26: Disable the firewall.: {UNTRANSLATED}",
        f"39: Check the firewall rules.: {SUPERSEDED}",
        "43: %d database[4]: error: source term 'databases' (database) is not translated with an approved term: "
        "use 'قاعدة بيانات' [term-missing]",
    ],
    "en-ar-12.xlf": [f"14: missing: {MISSING}", f"22: deprecated: {DEPRECATED}", f"26: untranslated: {UNTRANSLATED}",
                     f"38: superseded: {SUPERSEDED}"],
    "en-ar-20.xlf": [f"11: u1/missing: {MISSING}", f"21: u2/deprecated: {DEPRECATED}",
                     f"27: u3/untranslated: {UNTRANSLATED}", f"39: u3/superseded: {SUPERSEDED}"],
    "en-ar.tmx": [f"14: missing: {MISSING}", f"18: deprecated: {DEPRECATED}", f"22: untranslated: {UNTRANSLATED}",
                  f"30: superseded: {SUPERSEDED}"],
    "en-ar.csv": [f"3: row 3: {DEPRECATED}", f"4: row 4: {UNTRANSLATED}"],
}
FUZZY = {"en-ar.po": "30: Delete the database.", "en-ar-12.xlf": "30: fuzzy", "en-ar-20.xlf": "31: u3/fuzzy"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exact_findings(name):
    path = DATA / name
    findings = qa.check(make_glossary(), bilingual.read(path))
    assert [str(f) for f in findings] == [f"{path}:{line}" for line in EXPECTED[name]]


@pytest.mark.parametrize("name", sorted(FUZZY))
def test_fuzzy_entries_are_checked_only_with_all(name):
    path = DATA / name
    plain = [str(f) for f in qa.check(make_glossary(), bilingual.read(path))]
    everything = [str(f) for f in qa.check(make_glossary(), bilingual.read(path), include_all=True)]
    extra = [f for f in everything if f not in plain]
    assert extra == [f"{path}:{FUZZY[name]}: {FUZZY_MISSING}"]


def test_alt_trans_is_not_the_target():
    document = bilingual.read(DATA / "en-ar-12.xlf")
    missing = next(s for s in document.segments if s.id == "missing")
    assert missing.target == "انسخ الملفات احتياطيا."


def test_language_direction_from_the_files():
    assert (bilingual.read(DATA / "en-ar.po").source_lang, bilingual.read(DATA / "en-ar.po").target_lang) == ("en", "ar")
    tmx = bilingual.read(DATA / "en-ar.tmx")
    assert {(s.source_lang.lower(), s.target_lang.lower()) for s in tmx.segments} == {("en-us", "ar")}


@pytest.fixture
def glossary_dir(tmp_path):
    root = tmp_path / "glossary"
    glossary.write(make_glossary(), root)
    return root


def test_check_command_exit_code_and_json(glossary_dir):
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(DATA / "en-ar.tmx"), "-g", str(glossary_dir)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"{DATA / 'en-ar.tmx'}:{line}" for line in EXPECTED["en-ar.tmx"]]
    result = runner.invoke(main, ["check", str(DATA / "en-ar.tmx"), "-g", str(glossary_dir), "--json"])
    assert [f["check"] for f in json.loads(result.stdout)] == ["term-missing", "term-deprecated", "term-untranslated",
                                                                "term-deprecated"]


def test_check_command_clean_file_exits_0(glossary_dir, tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text("en,ar\nThe database is ready.,قاعدة البيانات جاهزة.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(clean), "-g", str(glossary_dir)])
    assert (result.exit_code, result.stdout) == (0, "")


def test_bad_input_is_an_error_with_a_line_not_a_traceback(glossary_dir, tmp_path):
    broken = tmp_path / "broken.xlf"
    broken.write_text('<?xml version="1.0"?>\n<xliff version="1.2">\n<file>\n</xliff>\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(broken), "-g", str(glossary_dir)])
    assert result.exit_code == 1 and "broken.xlf:4:9: malformed XML" in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("tuv,missing,line", [('<tuv><seg>The database</seg></tuv>', "an xml:lang attribute", 4),
                                               ('<tuv xml:lang="ar"/>', "a <seg>", 4)])
def test_a_tmx_variant_without_language_or_segment_is_an_error_not_skipped(glossary_dir, tmp_path, tuv, missing, line):
    tmx = tmp_path / "bad.tmx"
    tmx.write_text('<?xml version="1.0"?>\n<tmx version="1.4"><header srclang="en" segtype="sentence" o-tmf="x" '
                   'adminlang="en" datatype="plaintext" creationtool="x" creationtoolversion="1"/><body>\n'
                   '<tu><tuv xml:lang="en"><seg>The database</seg></tuv>\n' + tuv + '</tu>\n</body></tmx>\n',
                   encoding="utf-8")
    for command in ("check", "find"):
        result = CliRunner().invoke(main, [command, str(tmx), "-g", str(glossary_dir)])
        assert result.exit_code == 1 and f"bad.tmx:{line}: TMX <tuv> without {missing}" in result.output, result.output


def test_entities_are_not_expanded(tmp_path):
    evil = tmp_path / "evil.xlf"
    evil.write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
                    '<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file source-language="en" '
                    'target-language="ar"><body><trans-unit id="1"><source>&e;</source><target>x</target></trans-unit>'
                    '</body></file></xliff>', encoding="utf-8")
    with pytest.raises(TermbaseError, match="declares entities"):   # refused, never read or expanded
        bilingual.read(evil)


# --- the real files in shared/standards/bilingual ------------------------------------------------

REAL = ["okapi_ImportTest2A.tmx", "okapi_RB-12-Test02.xlf", "okapi_Test_Context_and_PH.xlf", "okapi_test01.xlf",
        "okapi_withGlossary.xlf", "weblate_ar_djangojs.po", "weblate_he-three.po"]


def preferred_pair(concept_id: str, **terms: str) -> Concept:
    """A concept with one preferred term per language: preferred_pair("x", en="...", fr="...")."""
    return Concept(concept_id, languages={lang: LangSection(lang, terms=[Term(text, status=S.PREFERRED)])
                                          for lang, text in terms.items()})


def real_glossary() -> Termbase:
    tb = make_glossary()
    tb.add(preferred_pair("doppelganger", en="doppelgänger", fr="alter-ego"))
    tb.add(preferred_pair("translation", en="translation", ar="ترجمة"))
    tb.add(preferred_pair("segment", en="segment", fr="segment"))
    tb.add(preferred_pair("sentence", en="sentence", fr="phrase"))
    return tb


@pytest.fixture
def real_dir(tmp_path):
    root = tmp_path / "glossary"
    glossary.write(real_glossary(), root)
    return root


@pytest.mark.parametrize("name", REAL)
def test_real_files_check_without_error(shared, real_dir, name):
    path = shared / "standards" / "bilingual" / name
    result = CliRunner().invoke(main, ["check", str(path), "-g", str(real_dir), "--all"])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output


@pytest.mark.parametrize("name", REAL)
def test_real_files_find_without_error(shared, real_dir, name):
    path = shared / "standards" / "bilingual" / name
    result = CliRunner().invoke(main, ["find", str(path), "-g", str(real_dir), "--json"])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)


def test_real_files_segments(shared):
    folder = shared / "standards" / "bilingual"
    po = bilingual.read(folder / "weblate_ar_djangojs.po")
    assert po.target_lang == "ar" and all("Obsolete" not in s.id for s in po.segments)
    assert not any(s.source in ("November", "Copy and save") for s in po.segments)   # obsolete entries
    assert len([s for s in po.segments if s.id.startswith("%s matching string[")]) == 6
    tmx = bilingual.read(folder / "okapi_ImportTest2A.tmx")
    assert len(tmx.segments) == 7
    inverted = tmx.segments[-1]
    assert inverted.source == "Some text with a part highlighted." and inverted.target.startswith("Du texte")
    assert tmx.segments[0].source == "The big black cat sleeps."
    context = bilingual.read(folder / "okapi_Test_Context_and_PH.xlf")
    assert [s.target for s in context.segments[:2]] == ["", ""]            # alt-trans is not the target
    assert any(s.id == "text.txt-1" for s in context.segments)             # trans-unit inside bin-unit
    test01 = bilingual.read(folder / "okapi_test01.xlf")
    assert [(s.source, s.target) for s in test01.segments[:2]] == [
        ("Sample segment.", "Exemple de segment."), ("Segment's content.", "Contenu du segment.")]


def test_glossary_module_sample_reports_the_spelling_deviation(shared):
    path = shared / "standards" / "bilingual" / "okapi_withGlossary.xlf"
    findings = qa.check(real_glossary(), bilingual.read(path))
    variants = [f for f in findings if f.check == "term-variant"]
    assert [(f.severity, f.where, f.message) for f in variants] == [
        ("warning", "1/1", "'alter ego' is not the approved spelling 'alter-ego' (doppelganger)")]
    hits = CliRunner().invoke(main, ["find", str(path), "-g", "-"])  # no glossary: a clean usage error, no traceback
    assert hits.exit_code != 0 and "Traceback" not in hits.output


XLIFF1_BODY = ('<file source-language="en" target-language="ar"><body><trans-unit id="1"><source>Green Notice</source>'
               '<target>x</target></trans-unit></body></file></xliff>\n')


@pytest.mark.parametrize("namespace", ["", ' xmlns="urn:oasis:names:tc:xliff:document:1.1"'])
def test_xliff_1_without_the_1_2_namespace_is_read(tmp_path, namespace):
    path = tmp_path / "old.xlf"
    path.write_text(f'<?xml version="1.0"?>\n<xliff version="1.1"{namespace}>\n' + XLIFF1_BODY, encoding="utf-8")
    assert [(s.source, s.target, s.line) for s in bilingual.read(path).segments] == [("Green Notice", "x", 3)]


def test_xliff_in_an_unknown_namespace_is_an_error(glossary_dir, tmp_path):
    path = tmp_path / "odd.xlf"
    path.write_text('<?xml version="1.0"?>\n<xliff version="1.2" xmlns="urn:wrong">\n' + XLIFF1_BODY, encoding="utf-8")
    for command in ("check", "find"):
        result = CliRunner().invoke(main, [command, str(path), "-g", str(glossary_dir)])
        assert result.exit_code == 1 and "odd.xlf:2: " in result.output and "urn:wrong" in result.output


def test_xml_with_declared_entities_is_refused_not_silently_shortened(tmp_path):
    path = tmp_path / "entity.xlf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE xliff [<!ENTITY e "INTERPOL">]>\n'
                    '<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file source-language="en" '
                    'target-language="ar" datatype="plaintext" original="x"><body><trans-unit id="1">'
                    '<source>&e; Green Notice</source><target>النشرة الخضراء</target></trans-unit></body></file></xliff>',
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(path), "-g", str(Path(__file__).parents[1] / "glossary")])
    assert result.exit_code == 1 and "entity.xlf:1: the DOCTYPE declares entities (e)" in result.output
