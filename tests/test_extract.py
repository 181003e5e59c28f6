"""Term extraction on the shared corpus: acronym pairs with their Arabic phrase, C-value n-grams, CSV import."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from termbase import formats
from termbase.cli import main
from termbase.extract import arabic_phrase_before, c_values, extract, find_pairs, to_termbase
from termbase.model import Concept, LangSection, ReviewStatus, Term, Termbase

KNOWN_PAIRS = {
    "INHOPE": "الجمعية الدولية للخطوط الساخنة عبر الإنترنت",
    "ICMEC": "المركز الدولي للأطفال المفقودين والمستغلين",
    "NCMEC": "المركز الوطني للأطفال المفقودين والمستغلين",
    "ECPAT International": "الشبكة الدولية للقضاء على استغلال الأطفال في البغاء وفي إنتاج المواد الإباحية والاتجار بهم لأغراض جنسية",
    "CIRCAMP": "المشروع المعني بمواد الإنترنت المتعلقة بالإساءة إلى الأطفال",
    "ICAID": "قاعدة بيانات الإنتربول الخاصة بصور الإساءة إلى الأطفال",
    "ICSE DB": "قاعدة البيانات الدولية الخاصة بصور الاستغلال الجنسي للأطفال",
    "Virtual Global Taskforce": "فرقة العمل العالمية الافتراضية",
    "Kinsa Kids Internet Safety Alliance": "التحالف من أجل سلامة الأطفال على الإنترنت كينسا",
    "NetClean": "شركة نيت كلين",
    "I-24/7": "منظومة الإنتربول المأمونة I-24/7",
    "#WePROTECT": "مؤتمر قمة #WePROTECT",
    "Baseline": "مشروع Baseline",
}


@pytest.fixture
def corpus(shared):
    return [(p, p.read_text(encoding="utf-8")) for p in sorted((shared / "corpus").glob("*.txt"))]


def test_corpus_acronym_pairs_with_their_arabic_phrase(corpus):
    pairs = {(c.en, c.text) for c in extract(corpus) if c.kind == "pair"}
    found = [en for en, ar in KNOWN_PAIRS.items() if (en, ar) in pairs]
    assert len(found) >= 10, sorted(set(KNOWN_PAIRS) - set(found))
    assert ("ICSE", "قاعدة البيانات الدولية الخاصة بصور الاستغلال الجنسي للأطفال") in pairs


def test_pairs_come_first_with_frequency_context_and_location(corpus):
    candidates = extract(corpus)
    kinds = [c.kind for c in candidates]
    assert kinds == sorted(kinds, key=lambda k: k != "pair")
    ncmec = next(c for c in candidates if c.en == "NCMEC")
    assert ncmec.frequency == 2 and "(NCMEC)" in ncmec.context and Path(ncmec.path).name.startswith("000_")
    assert ncmec.line == 23


def test_urls_and_latin_only_lines_are_not_pairs():
    assert list(find_pairs("يرجى زيارة الموقع www.virtualglobaltaskforce.com.")) == []
    assert list(find_pairs("البريد الإلكتروني: info@interpol.int")) == []
    assert list(find_pairs("28 2013 - Media release")) == []
    assert list(find_pairs("في ليون (فرنسا) هذا الأسبوع")) == []


def test_phrase_stops_at_punctuation_and_drops_the_conjunction():
    assert arabic_phrase_before("مع كلّ من الشبكة، والمركز الوطني للأطفال المفقودين والمستغَلِّين ") == \
        "المركز الوطني للأطفال المفقودين والمستغلين"


def test_ngrams_by_c_value_do_not_start_or_end_with_stop_words(corpus):
    ngrams = [c for c in extract(corpus) if c.kind == "ngram"]
    texts = [c.text for c in ngrams]
    assert "الاستغلال الجنسي للأطفال" in texts[:20]
    for c in ngrams:
        first, last = c.text.split()[0], c.text.split()[-1]
        assert first not in ("في", "من", "على", "إلى") and last not in ("في", "من", "على", "إلى")
        assert c.frequency >= 2
    assert [c.score for c in ngrams] == sorted((c.score for c in ngrams), reverse=True)


def test_c_value_prefers_phrases_that_recur_on_their_own():
    scores = c_values({("a",): 10, ("a", "b"): 10, ("c",): 10})
    assert scores[("c",)] > scores[("a",)]        # "a" occurs only inside "a b"
    assert scores[("a", "b")] > scores[("c",)]


def test_known_terms_are_excluded(corpus):
    known = Termbase()
    known.add(Concept("ncmec", languages={"en": LangSection("en", terms=[Term("NCMEC")]),
                                          "ar": LangSection("ar", terms=[Term("استغلال جنسي للأطفال")])}))
    candidates = extract(corpus, known)
    assert not any(c.en == "NCMEC" for c in candidates)
    assert "الاستغلال الجنسي للأطفال" not in [c.text for c in candidates]


def test_english_extraction():
    text = "The child sexual exploitation database. The child sexual exploitation database grows. A database."
    texts = [c.text.lower() for c in extract([("en.txt", text)], lang="en")]
    assert "child sexual exploitation database" in texts
    assert "the" not in texts


def test_csv_output_imports_as_draft_concepts(corpus, tmp_path):
    out = tmp_path / "candidates.csv"
    result = CliRunner().invoke(main, ["extract", *(str(p) for p, _ in corpus), "--format", "csv", "-o", str(out),
                                                  "-g", str(tmp_path / "no-glossary")])
    assert result.exit_code == 0, result.output
    warnings: list = []
    imported = formats.read_file(out, warnings=warnings)
    assert len(imported) == len(extract(corpus))
    assert all(c.review_status is ReviewStatus.DRAFT for c in imported)
    ncmec = imported.concepts["ncmec"]
    assert ncmec.languages["en"].terms[0].text == "NCMEC"
    assert ncmec.languages["ar"].terms[0].text == "المركز الوطني للأطفال المفقودين والمستغلين"
    assert [str(w) for w in warnings if w.severity == "error"] == []


def test_json_output(corpus, tmp_path):
    result = CliRunner().invoke(main, ["extract", str(corpus[0][0]), "--json", "-g", str(tmp_path / "none")])
    data = json.loads(result.output)
    assert data[0]["kind"] == "pair" and {"text", "en", "frequency", "context", "path", "line"} <= set(data[0])


def test_to_termbase_ids_are_unique():
    from termbase.extract import Candidate

    tb = to_termbase([Candidate("pair", "ar", "قاعدة بيانات", "ICSE"), Candidate("pair", "ar", "قاعدة", "ICSE")])
    assert list(tb.concepts) == ["icse", "icse-2"]
