"""Hypothesis strategies for random termbases: Arabic, mixed scripts, XML-special and formula-like text."""
from __future__ import annotations

import datetime as dt
import string

from hypothesis import strategies as st

from termbase.model import (AdministrativeStatus, Concept, Gender, LangSection, Number, PartOfSpeech,
                            ReviewStatus, Term, Termbase, TermType)

ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآةىؤئ"
LATIN = string.ascii_letters + string.digits
SPECIAL = "<>&\"'=+-@;,:/()#%*?!"


def _text(alphabet, min_size=1, max_size=24):
    words = st.text(alphabet=alphabet, min_size=1, max_size=8)
    return st.lists(words, min_size=min_size, max_size=max(1, max_size // 6)).map(" ".join)


arabic_text = _text(ARABIC)
latin_text = _text(LATIN)
mixed_text = _text(ARABIC + LATIN + SPECIAL)
formula_like = st.sampled_from("=+-@").flatmap(lambda c: latin_text.map(lambda t: c + t))
any_text = st.one_of(arabic_text, latin_text, mixed_text, formula_like)
optional_text = st.one_of(st.just(""), any_text)
dates = st.one_of(st.none(), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)))
concept_ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,15}", fullmatch=True)


def _optional(enum):
    return st.one_of(st.none(), st.sampled_from(list(enum)))


def terms(text=any_text, status=None):
    return st.builds(
        Term, text=text,
        type=_optional(TermType),
        status=st.just(status) if status is not None else _optional(AdministrativeStatus),
        part_of_speech=_optional(PartOfSpeech), gender=_optional(Gender), number=_optional(Number),
        geographical_usage=st.one_of(st.just(""), st.sampled_from(["AE", "EG", "GB", "US"])),
        context=optional_text, context_source=st.one_of(st.just(""), st.just("003_c984302149a11a87")),
        forms=st.lists(any_text, max_size=2, unique=True), vocalized=st.just(""), note=optional_text)


@st.composite
def lang_sections(draw, lang, text):
    preferred = draw(terms(text, AdministrativeStatus.PREFERRED))
    others = draw(st.lists(terms(text, AdministrativeStatus.ADMITTED), max_size=2))
    return LangSection(lang=lang, definition=draw(optional_text),
                       definition_source=draw(optional_text), note=draw(optional_text),
                       terms=[preferred] + others)


@st.composite
def concepts(draw, concept_id=None):
    return Concept(
        id=concept_id or draw(concept_ids),
        subject_fields=draw(st.lists(st.sampled_from(["organisations", "crime-types", "legal"]), max_size=2, unique=True)),
        review_status=draw(_optional(ReviewStatus)),
        note=draw(optional_text),
        cross_references=[], external_references=draw(st.lists(st.just("https://www.interpol.int/"), max_size=1)),
        sources=draw(st.lists(st.just("003_c984302149a11a87"), max_size=1)),
        created=draw(dates), created_by=draw(st.one_of(st.just(""), latin_text)),
        modified=draw(dates), modified_by=draw(st.one_of(st.just(""), latin_text)),
        languages={"en": draw(lang_sections("en", st.one_of(latin_text, mixed_text))),
                   "ar": draw(lang_sections("ar", st.one_of(arabic_text, mixed_text)))})


@st.composite
def termbases(draw, max_concepts=4):
    ids = draw(st.lists(concept_ids, min_size=1, max_size=max_concepts, unique=True))
    termbase = Termbase(title="Random termbase", subject_fields={"organisations": "", "crime-types": "", "legal": ""})
    for concept_id in ids:
        termbase.add(draw(concepts(concept_id)))
    if len(ids) > 1:
        first = termbase.concepts[ids[0]]
        first.cross_references = [ids[1]]
    return termbase
