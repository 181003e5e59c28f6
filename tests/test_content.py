"""Content checks for the glossary files in glossary/concepts/.

These tests read the YAML files directly with PyYAML and deliberately do not import the
termbase package, so that the glossary content can be checked on its own; the one exception,
test_arabic_preferred_terms_are_attested_or_sourced, finds terms in the corpus the way
`termbase find` does (termbase.matcher), clitics and inflection included.

The corpus is looked up in $TERMBASE_SHARED/corpus, or else in ../shared/corpus next to the
repository (Path(__file__).parents[2] / "shared" / "corpus").
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CONCEPTS_DIR = REPO / "glossary" / "concepts"
TERMBASE_YAML = REPO / "glossary" / "termbase.yaml"
NOT_TERMS = Path(__file__).resolve().parent / "data" / "not_terms.txt"
SHARED = Path(os.environ.get("TERMBASE_SHARED") or Path(__file__).resolve().parents[2] / "shared")
CORPUS_DIR = SHARED / "corpus"

MIN_CONCEPTS = 60

# Acronym detection (test g).  A token is a maximal run made only of Latin capitals and digits,
# optionally joined by single hyphens or slashes (e.g. "I-24/7"), that starts with a capital,
# is not glued to any other Latin letter or digit on either side (so the capitals inside
# mixed-case names such as "WePROTECT" or "NetClean" are not tokens), and is at least two
# characters long (single letters are not acronyms).
ACRONYM = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9]*(?:[-/][A-Z0-9]+)*(?![A-Za-z0-9])")
MIN_ACRONYM_LENGTH = 2

TOP_KEYS = ["id", "subject_fields", "review_status", "note", "cross_references", "external_references",
            "sources", "created", "created_by", "modified", "modified_by", "languages"]
SECTION_KEYS = ["definition", "definition_source", "note", "terms"]
TERM_KEYS = ["text", "type", "status", "part_of_speech", "gender", "number", "geographical_usage",
             "context", "context_source", "forms", "vocalized", "note"]
TERM_TYPES = {"fullForm", "acronym", "abbreviation", "shortForm", "variant", "phrase"}
STATUSES = {"preferred", "admitted", "deprecated", "superseded"}
POS = {"noun", "verb", "adjective", "adverb", "properNoun", "other"}
GENDERS = {"masculine", "feminine", "neuter", "other"}
NUMBERS = {"singular", "dual", "plural", "mass", "other"}
REVIEW = {"draft", "reviewed", "approved"}
SENTENCE_END = (".", "!", "؟")
ARABIC_DIACRITICS = re.compile("[\u064b-\u0652\u0670]")
BAD_CHARS = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad\ufb50-\ufdff\ufe70-\ufeff]")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def load_concepts() -> dict[str, tuple[Path, dict]]:
    concepts = {}
    for path in sorted(CONCEPTS_DIR.glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            concepts[path.stem] = (path, yaml.safe_load(handle))
    return concepts


CONCEPTS = load_concepts()
IDS = sorted(CONCEPTS)
TERMBASE = yaml.safe_load(TERMBASE_YAML.read_text(encoding="utf-8"))


def corpus() -> dict[str, str]:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"corpus not found at {CORPUS_DIR} (set TERMBASE_SHARED)")
    return {p.stem: nfc(p.read_text(encoding="utf-8")) for p in sorted(CORPUS_DIR.glob("*.txt"))}


def terms_of(data: dict):
    for lang, section in (data.get("languages") or {}).items():
        for term in (section or {}).get("terms") or []:
            yield lang, term


def strings_of(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_of(item)


def all_term_texts() -> set[str]:
    return {term["text"] for _, data in CONCEPTS.values() for _, term in terms_of(data)}


def corpus_acronyms(texts: dict[str, str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for doc, text in texts.items():
        for match in ACRONYM.finditer(text):
            token = match.group(0)
            if len(token) >= MIN_ACRONYM_LENGTH:
                found.setdefault(token, set()).add(doc)
    return found


def read_not_terms() -> dict[str, str]:
    entries = {}
    for number, line in enumerate(NOT_TERMS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        token, sep, reason = line.partition("\t")
        assert sep and token and reason.strip(), f"not_terms.txt line {number}: expected 'TOKEN<TAB>reason'"
        assert token not in entries, f"not_terms.txt line {number}: {token} listed twice"
        entries[token] = reason.strip()
    return entries


# (e) size ---------------------------------------------------------------------------------

def test_enough_concepts():
    assert len(CONCEPTS) >= MIN_CONCEPTS, f"only {len(CONCEPTS)} concepts, need at least {MIN_CONCEPTS}"


# (d) file name, id, keys, subject fields -------------------------------------------------

@pytest.mark.parametrize("cid", IDS)
def test_file_name_id_and_header(cid):
    path, data = CONCEPTS[cid]
    assert isinstance(data, dict), f"{path.name} is not a mapping"
    assert data.get("id") == path.stem, f"{path.name}: id {data.get('id')!r} does not match file name"
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", data["id"]), f"bad id {data['id']!r}"
    keys = list(data)
    assert set(keys) <= set(TOP_KEYS), f"{cid}: unknown keys {set(keys) - set(TOP_KEYS)}"
    assert keys == [k for k in TOP_KEYS if k in keys], f"{cid}: keys out of order: {keys}"
    assert data.get("review_status") in REVIEW
    fields = data.get("subject_fields") or []
    assert fields, f"{cid}: no subject field"
    unknown = set(fields) - set(TERMBASE["subject_fields"])
    assert not unknown, f"{cid}: subject fields not in termbase.yaml: {unknown}"
    known_sources = {s["id"] for s in TERMBASE["sources"]}
    assert data.get("sources"), f"{cid}: no sources"
    assert set(data["sources"]) <= known_sources, f"{cid}: unknown sources {set(data['sources']) - known_sources}"
    for key in data:
        if key in {"note", "cross_references", "external_references"}:
            assert data[key], f"{cid}: empty key {key} should be omitted"


# (b) languages, definitions, preferred terms ----------------------------------------------

@pytest.mark.parametrize("cid", IDS)
def test_languages_definitions_and_preferred(cid):
    _, data = CONCEPTS[cid]
    languages = data.get("languages") or {}
    for lang in ("en", "ar"):
        section = languages.get(lang)
        assert section, f"{cid}: missing {lang} section"
        keys = list(section)
        assert keys == [k for k in SECTION_KEYS if k in keys], f"{cid}/{lang}: bad or unordered keys {keys}"
        definition = (section.get("definition") or "").strip()
        assert definition, f"{cid}/{lang}: empty definition"
        assert definition.endswith(SENTENCE_END), f"{cid}/{lang}: definition must end with punctuation"
        assert (section.get("definition_source") or "").strip(), f"{cid}/{lang}: no definition_source"
        terms = section.get("terms") or []
        assert terms, f"{cid}/{lang}: no terms"
        preferred = [t["text"] for t in terms if t.get("status") == "preferred"]
        assert len(preferred) == 1, f"{cid}/{lang}: expected exactly one preferred term, got {preferred}"
        texts = [t["text"] for t in terms]
        assert len(texts) == len(set(texts)), f"{cid}/{lang}: duplicate terms"


@pytest.mark.parametrize("cid", IDS)
def test_term_fields(cid):
    _, data = CONCEPTS[cid]
    for lang, term in terms_of(data):
        label = f"{cid}/{lang}/{term.get('text')!r}"
        keys = list(term)
        assert set(keys) <= set(TERM_KEYS), f"{label}: unknown keys {set(keys) - set(TERM_KEYS)}"
        assert keys == [k for k in TERM_KEYS if k in keys], f"{label}: keys out of order"
        assert isinstance(term.get("text"), str) and term["text"], f"{label}: empty text"
        assert term.get("type") in TERM_TYPES, f"{label}: bad type {term.get('type')!r}"
        assert term.get("status") in STATUSES, f"{label}: bad status {term.get('status')!r}"
        assert term.get("part_of_speech") in POS, f"{label}: bad part_of_speech"
        assert term.get("number") in NUMBERS, f"{label}: bad number"
        if "gender" in term:
            assert term["gender"] in GENDERS, f"{label}: bad gender"
        if "context" in term:
            assert term.get("context_source"), f"{label}: context without context_source"


# (f) Arabic terms -------------------------------------------------------------------------

@pytest.mark.parametrize("cid", IDS)
def test_arabic_terms(cid):
    _, data = CONCEPTS[cid]
    ar_terms = data["languages"]["ar"]["terms"]
    assert any(t.get("context") for t in ar_terms), f"{cid}: no Arabic context sentence"
    for term in ar_terms:
        text = term["text"]
        label = f"{cid}/ar/{text!r}"
        assert term.get("gender") in GENDERS, f"{label}: missing gender"
        assert term.get("number") in NUMBERS, f"{label}: missing number"
        for value in [text] + list(term.get("forms") or []):
            assert value == nfc(value), f"{label}: {value!r} not NFC"
            assert "\u0640" not in value, f"{label}: tatweel in {value!r}"
            assert not ARABIC_DIACRITICS.search(value), f"{label}: vocalized {value!r} (use the vocalized key)"
        if re.search("[A-Za-z]", text):
            assert term["type"] == "acronym" or term.get("part_of_speech") == "properNoun", \
                f"{label}: Latin letters are only allowed in acronyms and proper nouns"


# (a) contexts are verbatim corpus sentences -----------------------------------------------

@pytest.mark.parametrize("cid", IDS)
def test_contexts_are_verbatim(cid):
    texts = corpus()
    _, data = CONCEPTS[cid]
    for lang, term in terms_of(data):
        if not term.get("context"):
            continue
        label = f"{cid}/{lang}/{term['text']!r}"
        source = term.get("context_source")
        assert source in texts, f"{label}: context_source {source!r} is not a corpus file"
        assert source in data["sources"], f"{label}: context_source {source!r} not listed in sources"
        context = nfc(term["context"])
        text = texts[source]
        position = text.find(context)
        assert position >= 0, f"{label}: context does not occur verbatim in {source}"
        assert context.rstrip("»”’‘\"')").endswith(SENTENCE_END), f"{label}: context must end a sentence"
        before = text[:position].rstrip(" ")
        assert not before or before[-1] in "\n.!؟،,:؛’‘«(-–", \
            f"{label}: context must start at a sentence or clause boundary"


# (h) Arabic preferred terms are the texts' wording, or say where they come from ------------

FORM_NOTE = re.compile(r"^Form: \S.{20,}", re.MULTILINE)   # a note line saying where the form comes from


def attested_preferred() -> dict[str, bool]:
    """{concept id: whether its Arabic preferred term, or one of its forms, occurs in the corpus},
    found as `termbase find` finds it (clitics, inflection, normalization)."""
    from termbase import glossary
    from termbase.matcher import Matcher
    from termbase.model import AdministrativeStatus, Termbase

    texts = "\n".join(corpus().values())
    found = {}
    for concept in glossary.read(REPO / "glossary"):
        single = Termbase()
        single.add(concept)
        matcher = Matcher(single, statuses={AdministrativeStatus.PREFERRED}, languages=["ar"])
        found[concept.id] = next(iter(matcher.find_text(texts)), None) is not None
    return found


def test_arabic_preferred_terms_are_attested_or_sourced():
    """A translator searching the texts' wording finds the concept: every Arabic preferred term
    occurs in the corpus, or a line of its note starting `Form:` says where the form comes from."""
    attested = attested_preferred()
    unexplained = []
    for cid, found in attested.items():
        preferred = next(t for t in CONCEPTS[cid][1]["languages"]["ar"]["terms"] if t.get("status") == "preferred")
        if not found and not FORM_NOTE.search(preferred.get("note") or ""):
            unexplained.append(f"{cid}: {preferred['text']}")
    assert not unexplained, "Arabic preferred terms neither in the corpus nor with a `Form:` note:\n" + "\n".join(unexplained)
    assert attested["baseline-project"] and attested["weprotect-summit-abu-dhabi-2015"]
    assert sum(attested.values()) >= 100, "the corpus path is wrong, or the matcher finds nothing"


def test_attestation_is_found_through_clitics_and_missed_for_transliterations():
    """The check above can fail: a transliteration the texts never use is not found, the texts'
    wording is, also behind clitics (وبمشروع)."""
    from termbase.matcher import Matcher
    from termbase.model import AdministrativeStatus, Concept, LangSection, Term, Termbase

    def found(text, sample):
        single = Termbase()
        single.add(Concept("x", languages={"ar": LangSection("ar", terms=[Term(text, status=AdministrativeStatus.PREFERRED)])}))
        return bool(list(Matcher(single, languages=["ar"]).find_text(sample)))

    texts = "\n".join(corpus().values())
    assert not found("مشروع بيسلاين", texts)
    assert found("مشروع Baseline", texts)
    assert found("مشروع Baseline", "وبمشروع Baseline الجديد")


# (c) cross-references, external references ------------------------------------------------

@pytest.mark.parametrize("cid", IDS)
def test_cross_references_resolve(cid):
    _, data = CONCEPTS[cid]
    refs = data.get("cross_references") or []
    assert len(refs) == len(set(refs)), f"{cid}: duplicate cross-references"
    assert cid not in refs, f"{cid}: refers to itself"
    missing = [ref for ref in refs if ref not in CONCEPTS]
    assert not missing, f"{cid}: cross-references to missing concepts {missing}"


@pytest.mark.parametrize("cid", IDS)
def test_external_references_occur_in_corpus(cid):
    texts = corpus()
    _, data = CONCEPTS[cid]
    for url in data.get("external_references") or []:
        address = url.split("://", 1)[-1].rstrip("/")     # the texts name sites without a scheme
        assert any(address in text for text in texts.values()), f"{cid}: URL {url!r} does not occur in the corpus"


# general string hygiene -------------------------------------------------------------------

@pytest.mark.parametrize("cid", IDS)
def test_string_hygiene(cid):
    _, data = CONCEPTS[cid]
    for value in strings_of(data):
        assert value == value.strip(), f"{cid}: leading/trailing space in {value!r}"
        assert "  " not in value, f"{cid}: double space in {value!r}"
        assert not BAD_CHARS.search(value), f"{cid}: invisible, bidi or presentation-form character in {value!r}"
        assert value == nfc(value), f"{cid}: not NFC: {value!r}"


# (g) every Latin-capital acronym of the corpus is a term or explained in not_terms.txt ---

def test_acronym_regex_examples():
    sample = "I-24/7 و(ICSE DB) و#WePROTECT وNetClean وinfo@interpol.int وA وECPAT International"
    assert [m.group(0) for m in ACRONYM.finditer(sample) if len(m.group(0)) >= MIN_ACRONYM_LENGTH] == \
        ["I-24/7", "ICSE", "DB", "ECPAT"]


def test_corpus_acronyms_are_terms_or_not_terms():
    texts = corpus()
    found = corpus_acronyms(texts)
    assert found, "no acronyms found in the corpus: is the corpus path right?"
    not_terms = read_not_terms()
    terms = all_term_texts()
    missing = {token: sorted(docs) for token, docs in found.items() if token not in terms and token not in not_terms}
    assert not missing, f"acronyms in the corpus that are neither terms nor in not_terms.txt: {missing}"


def test_not_terms_are_current():
    texts = corpus()
    found = corpus_acronyms(texts)
    not_terms = read_not_terms()
    stale = sorted(set(not_terms) - set(found))
    assert not stale, f"not_terms.txt lists tokens that do not occur in the corpus: {stale}"
    both = sorted(set(not_terms) & all_term_texts())
    assert not both, f"not_terms.txt lists tokens that are glossary terms: {both}"

