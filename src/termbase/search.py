"""Arabic-aware search over a termbase: exact > normalized > prefix > definition > fuzzy.

Each hit says why it matched. Normalization is `arabic.normalize` (diacritics, hamza/alef, ta
marbuta, alef maqsura, presentation forms, bidi controls) with leading clitics and the article
stripped per word, and English plurals folded, so `بالنَّشْرَة الخضراء`, `النشره الخضراء` and
`green notices` all reach the green-notice concept.
"""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from . import arabic
from .model import Termbase

RANKS = {"exact": 0, "normalized": 1, "prefix": 2, "definition": 3, "fuzzy": 4}
FUZZY_THRESHOLD = 85


@dataclass
class Hit:
    concept_id: str
    rank: str
    score: float
    lang: str
    matched: str
    reason: str

    def as_dict(self) -> dict:
        return dict(vars(self))


def english_singular(word: str) -> str:
    """A light English plural/possessive fold: notices → notice, agencies → agency, ICSE's → icse."""
    if word.endswith(("'s", "s'")):
        word = word[:-2] if word.endswith("'s") else word[:-1]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def match_key(text: str) -> str:
    """The key two spellings of one term share."""
    normalized = arabic.normalize(text)
    words = []
    for word in normalized.replace("-", " ").split():
        words.append(arabic.strip_clitics(word)[-1] if arabic.is_arabic(word) else english_singular(word))
    return " ".join(words)


def _why(rank, lang, text, detail=""):
    reasons = {"exact": "exact", "normalized": "same after Arabic/English normalization",
               "prefix": "starts with the query", "definition": "definition contains the query",
               "fuzzy": "similar spelling"}
    return f"{reasons[rank]}{detail}: {lang} {text!r}"


def search(termbase: Termbase, query: str, limit: int = 20, fuzzy_threshold: int = FUZZY_THRESHOLD) -> list[Hit]:
    """Concepts matching `query`, best first, one hit per concept (its best reason)."""
    query = query.strip()
    if not query:
        return []
    plain = arabic.normalize(query)
    key = match_key(query)
    best: dict[str, Hit] = {}

    def offer(hit: Hit):
        current = best.get(hit.concept_id)
        if current is None or (RANKS[hit.rank], -hit.score) < (RANKS[current.rank], -current.score):
            best[hit.concept_id] = hit

    for concept in termbase:
        for lang, term in concept.terms():
            texts = [term.text] + ([term.vocalized] if term.vocalized else []) + list(term.forms)
            for text in texts:
                if text.casefold() == query.casefold():
                    offer(Hit(concept.id, "exact", 100.0, lang, text, _why("exact", lang, text)))
                    continue
                term_key = match_key(text)
                if arabic.normalize(text) == plain or term_key == key:
                    offer(Hit(concept.id, "normalized", 100.0, lang, text, _why("normalized", lang, text)))
                elif term_key.startswith(key) and len(key) >= 2:
                    offer(Hit(concept.id, "prefix", 100.0 * len(key) / len(term_key), lang, text, _why("prefix", lang, text)))
                elif len(key) >= 3:
                    score = fuzz.ratio(key, term_key)
                    if score >= fuzzy_threshold:
                        offer(Hit(concept.id, "fuzzy", score, lang, text, _why("fuzzy", lang, text, f" ({score:.0f}%)")))
        if concept.id not in best or RANKS[best[concept.id].rank] > RANKS["definition"]:
            for lang, section in concept.languages.items():
                if len(key) >= 3 and section.definition and key in match_key(section.definition):
                    offer(Hit(concept.id, "definition", 50.0, lang, section.definition,
                              _why("definition", lang, section.definition[:60])))
                    break
    hits = sorted(best.values(), key=lambda h: (RANKS[h.rank], -h.score, h.concept_id))
    return hits[:limit]
