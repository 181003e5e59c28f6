"""Ranked, Arabic-aware search: what a translator means by a query, best first.

Words are cut and normalized exactly as term recognition cuts them (`matcher.tokenize`:
letters, digits and marks form words; hyphens and slashes separate them; punctuation is
ignored), after Latin abbreviations lose their dots (`U.S.` → `US`). A query word matches a
term word when one stands for the other as `termbase find` decides it (`matcher.token_matches`:
clitics and the article, sound plural and dual suffixes, English plurals and possessives,
diacritics, hamza/alef, ta marbuta, alef maqsura, presentation forms).

Every hit falls in one class; a better class always ranks first (docs/search.md):

1. **exact**: the term, a stored form or the vocalized form, letter for letter (case aside);
2. **normalized**: the same words in the same order, each matched the normalized way;
3. **words**: every query word found in the term, in any order; the term the query covers more
   fully ranks first (`Global Taskforce` → Virtual Global Taskforce before Chair of the …);
4. **prefix**: as 3, some query words only as the start of a term word (`interp`);
5. **fuzzy**: as 4, some query words within one or two typing errors of a term word;
6. **definition**: every query word in a definition, ranked by BM25.

Within a class: better coverage, then preferred before admitted before deprecated terms, then
shorter terms, then concept id. One hit per concept, its best. Function words (`of`, `the`,
`في` …) may be left out of a term match. The candidates come from the index's full-text tables
(SQLite FTS5) over the words' match keys (`matcher.token_key`), so a lookup reads only the
terms that can match.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from . import arabic
from .matcher import BOUNDARY, split_chunk, token_key, token_keys, token_matches

CLASSES = ("exact", "normalized", "words", "prefix", "fuzzy", "definition")
RANKS = {name: rank for rank, name in enumerate(CLASSES)}
STOP_WORDS = frozenset(arabic.normalize_word(w) for w in
                       "a an the and or of in on at to for from by with في من إلى على عن مع".split())
STATUS_RANK = {"preferredTerm-admn-sts": 0, None: 1, "admittedTerm-admn-sts": 1,
               "deprecatedTerm-admn-sts": 2, "supersededTerm-admn-sts": 2}
MIN_PREFIX = 2           # a query word shorter than this never matches as a prefix
CANDIDATES = 2           # once `limit` concepts are found, limit × this many more equally long terms
                         # are verified, no more (the web page does the same: each one it verifies
                         # may cost it a file to fetch)
ROWS_PER_QUERY = 1600    # candidate rows SQLite sorts and hands over at once
EXPANSIONS = 64          # a prefix starting more stems than this is left to FTS5's own prefix query
STEM = "\u00b7"          # marks a word's stem among its keys in the full-text index (a token character)
ABBREVIATION = re.compile(r"(?<![A-Za-z0-9.])(?:[A-Za-z]\.){2,}")


@dataclass
class Hit:
    concept_id: str
    rank: str          # the class: exact | normalized | words | prefix | fuzzy | definition
    score: float       # within the class, higher is better (coverage %, BM25, …)
    lang: str
    matched: str       # the term, form or definition that matched
    reason: str

    def as_dict(self) -> dict:
        return dict(vars(self))

    def order(self, status: str | None = None, kind: int = 0) -> tuple:
        """The sort key: class, score, the term's status, term before its forms, length, concept."""
        return (RANKS[self.rank], -self.score, STATUS_RANK.get(status, 1), kind, len(self.matched), self.concept_id)


# --- text analysis (the index stores what these return) ------------------------------------

def undot(text: str) -> str:
    """Latin abbreviations without their dots: `U.S. Customs` → `US Customs`."""
    return ABBREVIATION.sub(lambda m: m.group().replace(".", ""), text) if "." in text else text


def fold(text: str) -> str:
    """The spelling an exact match compares: NFC, case folded, outer spaces stripped."""
    return unicodedata.normalize("NFC", text.strip()).casefold()


@lru_cache(maxsize=100_000)
def words(text: str) -> tuple[str, ...]:
    """The normalized words of `text`, punctuation left out (`matcher.split_chunk` per chunk)."""
    return tuple(piece[2] for chunk in undot(text).split() for piece in split_chunk(chunk) if piece != BOUNDARY)


def fts_word(key: str) -> str:
    """A match key as one FTS5 token (the `ascii` tokenizer splits at ASCII punctuation)."""
    return key.replace("'", "")


@lru_cache(maxsize=200_000)
def _word_document(token: str) -> frozenset:
    """The FTS5 words one term word is found under: its keys, and its stems marked with STEM."""
    return frozenset({fts_word(k) for k in token_keys(token)} | {STEM + fts_word(stem) for stem in _stems(token)})


def surface_keys(tokens) -> str:
    """The full-text document of a term's words: every key each word can be found under, and
    its clitic-stripped stems marked with STEM (for prefix matches)."""
    return " ".join(sorted(frozenset().union(*map(_word_document, tokens))))


def surfaces_of(term) -> list[tuple[str, int]]:
    """(text, kind) of each spelling a term is searched under: 0 the term, 1 vocalized, 2 forms."""
    found: dict = {}
    for text, kind in [(term.text, 0), (term.vocalized, 1), *((form, 2) for form in term.forms)]:
        if text:
            found.setdefault(text, kind)
    return list(found.items())


@lru_cache(maxsize=200_000)
def vocabulary_rows(token: str) -> tuple:
    """(key, length, plain) of each FTS5 word of one term word: its keys (fuzzy search looks
    among those without digits, plain 1) and its STEM-marked stems (plain 2, which a prefix
    expands to)."""
    return tuple((key, len(key), 2 if key.startswith(STEM) else int(plain(key))) for key in _word_document(token))


@lru_cache(maxsize=200_000)
def _word_key(token: str) -> str:
    return fts_word(token_key(token))


def text_keys(text: str) -> str:
    """The full-text document of a definition: each word's match key."""
    return " ".join(map(_word_key, words(text)))


def is_stop(word: str) -> bool:
    return word in STOP_WORDS


# --- matching one query word against one term word -----------------------------------------

def full_match(query_word: str, term_word: str) -> bool:
    """One stands for the other (either may carry the clitics or the plural)."""
    return token_matches(query_word, term_word) or token_matches(term_word, query_word)


def _stems(word: str) -> tuple:
    return arabic.strip_clitics(word) if arabic.is_arabic(word) else (word,)


def prefix_match(query_word: str, term_word: str) -> bool:
    """The query word (clitics aside) begins the term word (article aside)."""
    return any(len(q) >= MIN_PREFIX and t.startswith(q) for q in _stems(query_word) for t in _stems(term_word))


def prefix_keys(word: str) -> set:
    """FTS5 prefixes (with STEM) under which the words `word` may begin are found."""
    return {STEM + fts_word(stem) for stem in _stems(word) if len(stem) >= MIN_PREFIX}


_DECIMAL = re.compile(r"\d")      # in str patterns: every decimal digit, as str.isdecimal


def plain(word: str) -> bool:
    """A word without decimal digits: only such words are matched fuzzily."""
    return _DECIMAL.search(word) is None


def typo_budget(word: str) -> int:
    """Edits a query word may be off by: none under four letters, one up to seven, else two."""
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


def fuzzy_distance(query_word: str, term_word: str) -> int | None:
    """Edit distance between the two words' match keys, if within the query word's budget."""
    from rapidfuzz.distance import Levenshtein

    budget = typo_budget(query_word)
    if not budget:
        return None
    key = token_key(query_word)
    best = min(Levenshtein.distance(key, k, score_cutoff=budget) for k in token_keys(term_word))
    return best if best <= budget else None


# --- the query ------------------------------------------------------------------------------

class Query:
    """A parsed query: its words, which must match, and the FTS5 expressions per stage."""

    def __init__(self, text: str):
        self.text = text.strip()
        self.folded = fold(self.text)
        self.words = words(self.text)
        self.required = [w for w in self.words if not is_stop(w)] or list(self.words)

    @staticmethod
    def _any(keys) -> str:
        return "(" + " OR ".join(f'"{k}"' for k in sorted(keys)) + ")"

    def keys_of(self, word: str) -> set:
        return {fts_word(k) for k in token_keys(word) | {token_key(word)}}

    def full_expression(self) -> str:
        return " AND ".join(self._any(self.keys_of(w)) for w in self.required)

    def _expression(self, index, near: dict | None = None) -> str:
        parts = []
        for w in self.required:
            keys = self.keys_of(w) | set((near or {}).get(w, ()))
            prefixes = set()
            for prefix in prefix_keys(w):
                stems = index.words_starting(prefix, EXPANSIONS)
                if stems is None:
                    prefixes.add(prefix)
                else:
                    keys.update(stems)
            terms = [f'"{k}"' for k in sorted(keys)] + [f'"{p}"*' for p in sorted(prefixes)]
            parts.append("(" + " OR ".join(terms) + ")")
        return " AND ".join(parts)

    def prefix_expression(self, index) -> str | None:
        """The FTS5 expression of the prefix stage. A prefix is spelled out as the stems it
        starts (from the index's vocabulary) when they are few: FTS5 merges the whole posting
        list of a `"prefix"*` term before it can skip, 0.16 s for a word in 100,000 terms."""
        return self._expression(index) if any(prefix_keys(w) for w in self.required) else None

    def fuzzy_expression(self, index, near: dict) -> str | None:
        """`near`: word -> vocabulary keys within its typo budget."""
        return self._expression(index, near) if any(near.get(w) for w in self.required) else None


def classify(query: Query, tokens: tuple, stage: str) -> tuple[str, float] | None:
    """(class, score) of a term with normalized words `tokens` for `query`, or None.

    `stage` bounds how loosely words may match: `words` (full matches only), `prefix`, `fuzzy`.
    """
    if not tokens:
        return None
    covered, worst, distance = set(), 0, 0
    for word in query.required:
        kind = None
        for position, token in enumerate(tokens):
            if full_match(word, token):
                covered.add(position)
                kind = 0 if kind is None else kind
        if kind is None and stage in ("prefix", "fuzzy"):
            for position, token in enumerate(tokens):
                if prefix_match(word, token):
                    covered.add(position)
                    kind = 1
                    break
        if kind is None and stage == "fuzzy":
            found = [(d, p) for p, t in enumerate(tokens) if (d := fuzzy_distance(word, t)) is not None]
            if found:
                d, position = min(found)
                covered.add(position)
                kind, distance = 2, distance + d
        if kind is None:
            return None
        worst = max(worst, kind)
    coverage = 100.0 * len(covered) / len(tokens)
    if worst == 0:
        if len(tokens) == len(query.words) and all(map(full_match, query.words, tokens)):
            return "normalized", 100.0
        return "words", coverage
    if worst == 1:
        return "prefix", coverage
    return "fuzzy", coverage - 10.0 * distance


REASONS = {"exact": "exact", "normalized": "same after Arabic/English normalization",
           "words": "every query word in the term", "prefix": "query words begin the term's words",
           "fuzzy": "similar spelling", "definition": "every query word in the definition"}


def reason(rank: str, lang: str, text: str) -> str:
    return f"{REASONS[rank]}: {lang} {text!r}"


def search(index, query: str, limit: int = 20) -> list[Hit]:
    """Concepts matching `query`, best first, one hit each. `index` is an open `store.index.Index`,
    or a `model.Termbase` (indexed in memory for this search)."""
    from .model import Termbase

    if isinstance(index, Termbase):
        from .api import open as open_termbase

        return open_termbase(index).search(query, limit)
    parsed = Query(query)
    if not parsed.text:
        return []
    best: dict[str, tuple] = {}

    def offer(hit: Hit, status: str | None = None, kind: int = 0) -> None:
        order = hit.order(status, kind)
        if hit.concept_id not in best or order < best[hit.concept_id][0]:
            best[hit.concept_id] = (order, hit)

    for concept_id, lang, text, status, kind in index.surfaces_spelled(parsed.folded):
        offer(Hit(concept_id, "exact", 100.0, lang, text, reason("exact", lang, text)), status, kind)
    if parsed.words:
        matching = lru_cache(maxsize=None)(index.surfaces_matching)    # a stage may repeat the last one's query
        for stage, expression in (("words", parsed.full_expression), ("prefix", lambda: parsed.prefix_expression(index)),
                                  ("fuzzy", lambda: parsed.fuzzy_expression(index, _near_words(index, parsed)))):
            if len(best) >= limit:
                break
            match = expression()
            if match:
                _term_stage(matching, parsed, stage, match, limit, offer)
        if len(best) < limit:
            match = parsed.full_expression()
            for concept_id, lang, text, score in index.definitions_matching(match, limit):
                offer(Hit(concept_id, "definition", round(score, 3), lang, text, reason("definition", lang, text[:60])))
    ranked = sorted(best.values(), key=lambda item: item[0])
    return [hit for _, hit in ranked[:limit]]


def _term_stage(matching, query: Query, stage: str, match: str, limit: int, offer) -> None:
    """Verify candidate terms, fewest words first, until `limit` concepts are in hand and the
    terms of that many words are looked at: all of them, or `limit * CANDIDATES` more when there
    are more (a query whose words are in every term must not verify every term)."""
    found: set = set()
    want = limit * CANDIDATES
    page = max(ROWS_PER_QUERY, limit + want)      # mostly one query: SQLite sorts the matches once
    offset, last_size, since = 0, None, 0
    while True:
        rows = matching(match, page, offset)
        for concept_id, lang, text, tokens, status, kind in rows:
            size = len(tokens)
            if len(found) >= limit:
                since += 1
                if size != last_size or since > want:
                    return
            last_size = size
            verdict = classify(query, tokens, stage)
            if verdict is None:
                continue
            rank, score = verdict
            found.add(concept_id)
            offer(Hit(concept_id, rank, round(score, 1), lang, text, reason(rank, lang, text)), status, kind)
        if len(rows) < page:
            return
        offset += page


def _near_words(index, query: Query) -> dict:
    """Query word -> vocabulary keys within its typo budget."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    near = {}
    for word in query.required:
        budget = typo_budget(word)
        if not plain(word):
            continue                      # a number with a typo is another number
        key = fts_word(token_key(word))
        if not budget:
            continue
        vocabulary = index.words_of_length(len(key) - budget, len(key) + budget)
        near[word] = [choice for choice, _, _ in process.extract(
            key, vocabulary, scorer=Levenshtein.distance, score_cutoff=budget, limit=50)]
    return near
