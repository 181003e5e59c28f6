"""Term recognition: every occurrence of a glossary term in running text, Arabic- and English-aware.

One Aho–Corasick automaton holds every term form of every language, keyed on space-padded
*match keys*: each token normalized (`arabic.normalize_word`), then reduced by `token_key` —
Arabic: every leading clitic letter (و ف ب ك ل) and article (ال) peeled off greedily, then one
plural/dual suffix and a final ة/ت; English: possessive and plural endings. Greedy peeling makes
`token_key(clitics + word) == token_key(word)` for any clitic chain, so a term needs one key per
inflected variant, not one per clitic combination. Keys are lossy on purpose; every automaton
hit is verified token by token against the variants a term really allows (`token_matches`: the
clitic grammar of `arabic.strip_clitics`, sound plural/dual suffixes, forms stored on the term),
so a term `علم` is found in `والعلم` and `بعلم` but never inside `معلم`.

The same reduction runs over the text. With the optional C extension `termbase._keys` built, C
keys a block of lines, scans it, verifies through a cache and builds the Hits, handing back the
lines it cannot decide alone (`_scan`); otherwise one distinct whitespace chunk at a time goes
through a bounded cache, so the Python hot path is `split`, dict lookups, `join` and `iter_long`
(`_find`). Both give the same hits; the tests run every case both ways.
"""
from __future__ import annotations

import bisect
import operator
import os
import re
import unicodedata
from array import array
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain, count, product, repeat
from typing import NamedTuple

import ahocorasick

from . import arabic
from .model import AdministrativeStatus, Termbase, primary_language

try:
    from . import _keys
except ImportError:   # built without a C compiler: the pure-Python path
    _keys = None

BOUNDARY = "|"
SEP = "  "   # between tokens in key strings: two spaces, so adjacent one-token keys never share one
SOFT_SEPARATORS = frozenset("-\u2010\u2011/#@+_")
APOSTROPHES = frozenset("'\u2019")
CACHE_LIMIT = 200_000
MAX_KEYS_PER_FORM = 256
AR_SUFFIXES = ("ات", "ون", "ين", "ان")
_CHUNK = re.compile(r"\S+")
BLOCK = 1 << 16   # characters the C scan takes at a time: its buffers stay in the CPU cache (64K: 1.7x faster than 1M)
ACCELERATED = _keys is not None and not os.environ.get("TERMBASE_PURE_PYTHON")   # tests switch it too


# --- tokens ----------------------------------------------------------------------------------

def _is_word_char(ch: str) -> bool:
    if ch.isalnum():
        return True
    category = unicodedata.category(ch)
    return category in ("Mn", "Mc", "Lm", "Cf")


@lru_cache(maxsize=CACHE_LIMIT)
def split_chunk(chunk: str) -> tuple:
    """The tokens of one whitespace-free chunk: (start, end, normalized word) or BOUNDARY.

    Letters, digits and combining marks form words; hyphens, slashes and `#@+_` separate words
    softly (so `alter-ego` and `alter ego` meet); an apostrophe inside a Latin word (`child's`) or
    after a final Latin `s` (`parents'`) belongs to it; any other punctuation is a boundary that no
    term match may cross.
    """
    pieces: list = []
    start = None
    n = len(chunk)
    for i, ch in enumerate(chunk):
        if _is_word_char(ch):
            if start is None:
                start = i
            continue
        if ch in APOSTROPHES and start is not None and chunk[i - 1].isascii() and chunk[i - 1].isalpha() and (
                (i + 1 < n and chunk[i + 1].isascii() and chunk[i + 1].isalpha()) or chunk[i - 1] in "sS"):
            continue
        if start is not None:
            pieces.append((start, i, arabic.normalize_word(chunk[start:i])))
            start = None
        if ch not in SOFT_SEPARATORS and (not pieces or pieces[-1] != BOUNDARY):
            pieces.append(BOUNDARY)
    if start is not None:
        pieces.append((start, n, arabic.normalize_word(chunk[start:])))
    return tuple(p for p in pieces if p == BOUNDARY or p[2])


CLITIC_LETTERS = frozenset("وفبكل")


def _peel(word: str) -> str:
    """`word` with leading clitic letters and articles peeled off greedily (at least two letters kept)."""
    while len(word) > 2:
        if word[0] in CLITIC_LETTERS:
            word = word[1:]
        elif word.startswith(arabic.ARTICLE) and len(word) > 3:
            word = word[2:]
        else:
            break
    return word


def _strip_ar_suffix(stem: str) -> str:
    for suffix in AR_SUFFIXES:
        if stem.endswith(suffix) and len(stem) - 2 >= 2:
            stem = stem[:-2]
            break
    if stem[-1:] in ("ه", "ت") and len(stem) - 1 >= 2:
        stem = stem[:-1]
    return stem


def _strip_en_suffix(word: str) -> str:
    if word.endswith("'s"):
        word = word[:-2]
    elif word.endswith("'"):
        word = word[:-1]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=CACHE_LIMIT)
def token_key(normalized: str) -> str:
    """The lossy automaton key of one normalized token (see the module docstring)."""
    if normalized == BOUNDARY:
        return normalized
    if arabic.is_arabic(normalized):
        return _strip_ar_suffix(_peel(normalized))
    if normalized.isascii() and normalized[:1].isalpha():
        return _strip_en_suffix(normalized)
    return normalized


class _ChunkKeys(dict):
    """chunk -> key, and chunk -> a count (`.counts`), both from `make(chunk)`; both cleared past
    CACHE_LIMIT entries."""

    def __init__(self, make):
        super().__init__()
        self.make = make
        self.counts: dict = {}

    def __missing__(self, chunk):
        if len(self) >= CACHE_LIMIT:
            self.clear()
            self.counts.clear()
        value, self.counts[chunk] = self.make(chunk)
        self[chunk] = value
        return value

    def counts_of(self, chunks) -> list[int]:
        """The counts of `chunks`, keyed earlier (worked out again if the cache was cleared since)."""
        counts = self.counts
        if all(map(counts.__contains__, chunks)):
            return list(map(counts.__getitem__, chunks))
        return [self.make(chunk)[1] for chunk in chunks]


def token_path_key(chunk: str) -> tuple[str, int]:
    """(key of one chunk for the token path: every token and boundary joined by SEP, its tokens)."""
    pieces = split_chunk(chunk)
    return SEP.join(BOUNDARY if p == BOUNDARY else token_key(p[2]) for p in pieces), len(pieces)


def render_chunk(pieces) -> str:
    """Key of one chunk for the fast path: words joined by SEP, a boundary glued to its neighbours by
    one space (`word،` -> `key |`, `(word` -> `| key`), so a chunk with one word never holds SEP and
    counting SEP in a line key counts chunks."""
    out, words = "", False
    for piece in pieces:
        if piece == BOUNDARY:
            out = out + " |" if out else "|"
        else:
            key = token_key(piece[2])
            out = (out + (SEP if words else " ") + key) if out else key
            words = True
    return out


def fast_path_key(chunk: str) -> tuple[str, int]:
    """(`render_chunk` key of one chunk, its units: SEP-separated parts of the key, 0 if empty)."""
    value = render_chunk(split_chunk(chunk))
    return value, value.count(SEP) + 1 if value else 0


def tokenize(text: str) -> list:
    """Tokens of `text` with offsets: (start, end, normalized) or BOUNDARY."""
    tokens: list = []
    for match in _CHUNK.finditer(text):
        base = match.start()
        for piece in split_chunk(match.group()):
            tokens.append(piece if piece == BOUNDARY else (base + piece[0], base + piece[1], piece[2]))
    return tokens


# --- the variants a term token allows -------------------------------------------------------

def _ar_variants(token: str) -> set:
    variants = {token}
    if not token.endswith(AR_SUFFIXES):
        variants.update(token + s for s in AR_SUFFIXES)
    if token.endswith("ه"):
        stem = token[:-1]
        variants.update((stem + "ات", stem + "تان", stem + "تين"))
    if token.endswith("ي"):
        variants.update((token + "ه", token + "ات", token + "ون", token + "ين"))
    if token.startswith(arabic.ARTICLE) and len(token) > 3:
        variants.add(token[2:])
    return variants


def _en_variants(token: str) -> set:
    variants = {token, token + "s", token + "'s", token + "s'", token + "'"}
    if token.endswith(("s", "x", "z", "ch", "sh")):
        variants.add(token + "es")
    if token.endswith("y") and len(token) > 2:
        variants.add(token[:-1] + "ies")
    return variants


@lru_cache(maxsize=CACHE_LIMIT)
def accepted_forms(token: str) -> frozenset:
    """Normalized stems (after clitic stripping) that count as an occurrence of term token `token`."""
    if arabic.is_arabic(token):
        return frozenset(_ar_variants(token))
    if token.isascii() and token[:1].isalpha():
        return frozenset(_en_variants(token))
    return frozenset((token,))


def token_matches(text_token: str, term_token: str) -> bool:
    """Does normalized text word `text_token` stand for term token `term_token`?"""
    if text_token == term_token:
        return True
    allowed = accepted_forms(term_token)
    if arabic.is_arabic(term_token):
        return any(stem in allowed for stem in arabic.strip_clitics(text_token))
    return text_token in allowed


@lru_cache(maxsize=CACHE_LIMIT)
def token_keys(token: str) -> frozenset:
    """Every automaton key an occurrence of term token `token` can have (one per accepted form)."""
    if token == BOUNDARY:
        return frozenset((BOUNDARY,))
    return frozenset(token_key(v) for v in accepted_forms(token))


def form_tokens(text: str) -> tuple:
    """The normalized tokens of a term form."""
    return tuple(t if t == BOUNDARY else t[2] for t in tokenize(text))


def form_keys(tokens: tuple) -> list[str]:
    """Every automaton key under which text occurrences of a term form can appear."""
    keys = []
    for combination in product(*(sorted(token_keys(t)) for t in tokens)):
        keys.append(" " + SEP.join(combination) + " ")
        if BOUNDARY in combination:   # as `render_chunk` may space it: one space or SEP beside a boundary
            choices = [(" ", SEP) if BOUNDARY in pair else (SEP,) for pair in zip(combination, combination[1:])]
            for seps in product(*choices):
                keys.append(" " + "".join(k + s for k, s in zip(combination, seps)) + combination[-1] + " ")
        if len(keys) >= MAX_KEYS_PER_FORM:
            break
    return list(dict.fromkeys(keys[:MAX_KEYS_PER_FORM]))


# --- the matcher -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One form of one term of one concept, as the automaton knows it."""

    concept_id: str
    lang: str
    term_index: int
    form: str
    tokens: tuple

    @property
    def primary(self) -> str:
        return primary_language(self.lang)


class Hit(NamedTuple):
    """An occurrence: line (1-based), start/end character offsets in that line, the surface text,
    the entries it stands for (one per concept and language; shared between hits, hence a tuple).
    A tuple, so the C scan can build it cheaply."""

    line: int
    start: int
    end: int
    surface: str
    entries: tuple

    @property
    def column(self) -> int:
        return self.start + 1


def _distinct(entries) -> tuple:
    """One entry per concept and language, in order."""
    return tuple({(e.concept_id, e.lang): e for e in entries}.values())


def concept_forms(concept, statuses=None, languages=None) -> list:
    """[lang, term index, form, tokens, automaton keys] of each form of a concept's terms that
    recognition looks for (`statuses`, `languages`: only those): what the automaton is built from,
    and what the index keeps per concept so that an edit recomputes only its own concept's."""
    wanted = frozenset(primary_language(tag) for tag in languages) if languages else None
    found = []
    for tag, section in concept.languages.items():
        if wanted and primary_language(tag) not in wanted:
            continue
        for index, term in enumerate(section.terms):
            if statuses is not None and term.status not in statuses:
                continue
            for form in dict.fromkeys([term.text, *term.forms]):
                tokens = form_tokens(form)
                if any(t != BOUNDARY for t in tokens):
                    found.append([tag, index, form, list(tokens), form_keys(tokens)])
    return found


class Matcher:
    """All term forms of a termbase in one automaton; `find_line`/`find_text` report occurrences.

    `forms`, if given, are (concept id, `concept_forms` of it) of every concept, in the
    termbase's order, worked out beforehand."""

    def __init__(self, termbase: Termbase, statuses=None, languages=None, forms=None):
        self.termbase = termbase
        self.entries: list[Entry] = []
        self.groups: list[tuple] = []   # group id -> (key length, entry ids)
        self._cache = _ChunkKeys(token_path_key)
        group_of: dict[str, int] = {}
        if forms is None:
            forms = ((concept.id, concept_forms(concept, statuses, languages)) for concept in termbase)
        for concept_id, entries in forms:
            for tag, index, form, tokens, keys in entries:
                self._add(Entry(concept_id, tag, index, form, tuple(tokens)), keys, group_of)
        self.automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for key, gid in group_of.items():
            self.automaton.add_word(key, gid)
        self._verified: dict = {}
        self._fast_keys = _ChunkKeys(fast_path_key)
        self._fast_verified: dict = {}
        self._ready = len(self.automaton) > 0
        self._longest = max(map(len, group_of), default=0)
        self._boundary_keys = any(BOUNDARY in key for key in group_of)
        if self._ready:
            self.automaton.make_automaton()
        self.groups = [tuple(g) for g in self.groups]
        self._key_lengths = array("i", (g[0] for g in self.groups))
        self._key_seps = array("i", (g[3] for g in self.groups))
        self._scan_caches: dict = {}

    def __getstate__(self) -> dict:
        """What is kept between runs: the automaton and its tables, not the termbase or caches."""
        state = dict(vars(self))
        state["termbase"] = None
        for name in ("_cache", "_fast_keys", "_verified", "_fast_verified", "_scan_caches"):
            state.pop(name)
        return state

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        self._cache = _ChunkKeys(token_path_key)
        self._fast_keys = _ChunkKeys(fast_path_key)
        self._verified, self._fast_verified, self._scan_caches = {}, {}, {}

    def _add(self, entry: Entry, keys: list, group_of: dict) -> None:
        entry_id = len(self.entries)
        self.entries.append(entry)
        for key in keys:
            gid = group_of.get(key)
            if gid is None:
                gid = group_of[key] = len(self.groups)
                # key length, entry ids, tokens, SEPs in the key (-1: holds a boundary, slow path only)
                self.groups.append([len(key), [], len(entry.tokens), -1 if BOUNDARY in key else key.count(SEP)])
            self.groups[gid][1].append(entry_id)

    def __len__(self) -> int:
        return len(self.entries)

    def term(self, entry: Entry):
        return self.termbase.concepts[entry.concept_id].languages[entry.lang].terms[entry.term_index]

    # -- recognition --

    def key_line(self, line: str, chunks=None) -> str:
        """The space-padded key string of one line (what the automaton scans)."""
        keys = list(map(self._cache.__getitem__, line.split() if chunks is None else chunks))
        if "" in keys:   # a chunk without tokens (a lone slash or invisible mark)
            keys = [k for k in keys if k]
        return " " + SEP.join(keys) + " "

    def find_text(self, text: str, languages=None):
        """Every Hit in `text`, line by line (an iterator)."""
        wanted = frozenset(primary_language(tag) for tag in languages) if languages else None
        if ACCELERATED and self._ready:
            return chain.from_iterable(self._scan(text, wanted, 1))
        return chain.from_iterable(map(self._find, text.split("\n"), repeat(wanted), count(1)))

    def find_line(self, line: str, languages=None, number: int = 1) -> list[Hit]:
        """Hits in one line, leftmost-longest, non-overlapping, verified."""
        wanted = frozenset(primary_language(tag) for tag in languages) if languages else None
        if ACCELERATED and self._ready and "\n" not in line:
            return [hit for hits in self._scan(line, wanted, number) for hit in hits]
        return self._find(line, wanted, number)

    def _scan(self, text: str, wanted, first_line: int):
        """The C path (`_keys.scan`): the hits of a block of lines at a time, as lists; lines it
        hands back go to `_find`."""
        cache, verify = self._scan_caches.get(wanted, (None, None))
        if cache is None:
            cache, verify = self._scan_caches[wanted] = ({}, self._verifier(wanted))
        number = first_line
        for block in blocks(text):
            if len(cache) > CACHE_LIMIT:
                cache.clear()
            hits, redo, lines = _taught(_keys.scan, block, self.automaton, self._key_lengths, self._key_seps,
                                        cache, verify, Hit, number)
            if redo:
                lines_of_block = block.split("\n")
                for index in sorted(set(redo)):
                    hits.extend(self._find(lines_of_block[index], wanted, number + index))
                hits.sort(key=operator.itemgetter(0))   # stable: each line's hits stay in order
            number += lines
            yield hits

    def _verifier(self, wanted):
        """verify(group id, surface) -> the entries the surface stands for, or None (`_keys.scan`)."""
        def verify(gid: int, surface: str):
            entries = self._verify(tokenize(surface), gid, wanted)
            return _distinct(entries) if entries else None
        return verify

    def _find(self, line: str, wanted, number: int) -> list[Hit]:
        """The fast path: one `render_chunk` key per chunk, hits mapped back by counting SEP.

        Chunks with two words or irregular spacing are mapped through `_LineMap`; a hit whose key
        holds a boundary sends the line to `_find_slow`. A longest hit that fails verification is
        resolved where it stands (`_fast_at`), or, when some key holds a boundary, by re-verifying
        every overlap of the line (`_fast_all_overlaps`)."""
        if not self._ready:
            return []
        chunks = line.split()
        keylist = list(map(self._fast_keys.__getitem__, chunks))
        keys = " " + SEP.join(keylist) + " "
        empties = "   " in keys
        if empties:   # chunks without a token (a lone dash): words either side are adjacent
            keys = " " + SEP.join(filter(None, keylist)) + " "
        raw = self.automaton.iter_long(keys)
        for end, gid in raw:   # most lines have a hit: the loop runs once
            break
        else:
            return []
        line_map = _LineMap(line, chunks, keys, self._fast_keys, empties)
        verified = self._fast_verified.get(wanted)
        if verified is None or len(verified) > CACHE_LIMIT:
            verified = self._fast_verified[wanted] = {}
        groups, hits = self.groups, []
        scanned = ordinal = previous = position = 0
        simple = line_map.cumulative is None and line_map.starts is None
        while True:
            length, _, _, seps = groups[gid]
            if seps < 0:
                return self._find_slow(line, wanted, number)
            first = end - length + 2                    # first character of the first token
            ordinal += keys.count(SEP, scanned, first)  # key units before it
            scanned = first
            if simple:   # unit ordinal == chunk index, offsets are running sums
                cache_key = (gid, 0, *chunks[ordinal:ordinal + seps + 1])
                found = verified.get(cache_key)
                if found is None:
                    found = verified[cache_key] = self._verify_chunks(
                        chunks[ordinal:ordinal + seps + 1], 0, gid, wanted)
                if found:
                    position += sum(map(len, chunks[previous:ordinal])) + ordinal - previous
                    previous = ordinal
                    a, b = position + found[1], position + found[2]
                    hits.append(Hit(number, a, b, line[a:b], found[0]))
                    hit = True
                else:
                    hit = None
            else:
                hit = self._fast_hit(line_map, ordinal, gid, seps, verified, wanted, number)
                if hit is not None:
                    hits.append(hit)
            if hit is None:   # the longest key failed verification: a shorter one may hold
                if self._boundary_keys:   # keys with punctuation: the whole line, as `_find_slow` would
                    return self._fast_all_overlaps(line_map, verified, wanted, number)
                hit, end = self._fast_at(line_map, first, ordinal, verified, wanted, number)
                if hit is not None:
                    hits.append(hit)
                # go on scanning after this hit, or from the next unit if no key here verifies
                raw = self.automaton.iter_long(keys, first if hit is None else end + 1)
            for end, gid in raw:
                break
            else:
                return hits

    def _fast_hit(self, line_map, ordinal, gid, seps, verified, wanted, number):
        ci, skip, cj = line_map.chunks_of(ordinal, seps)
        chunks = line_map.chunks
        cache_key = (gid, skip, *chunks[ci:cj + 1])
        found = verified.get(cache_key)
        if found is None:
            found = verified[cache_key] = self._verify_chunks(chunks[ci:cj + 1], skip, gid, wanted)
        if not found:
            return None
        a, b = line_map.offsets(ci, cj, found)
        return Hit(number, a, b, line_map.line[a:b], found[0])

    def _fast_at(self, line_map, first, ordinal, verified, wanted, number):
        """(Hit, key end) of the longest verified key whose first token starts at `first` in the
        line key (unit `ordinal`), or (None, None): leftmost-longest over verified keys, locally."""
        keys, groups, starts = line_map.keys, self.groups, []
        for end, gid in self.automaton.iter(keys, first - 1, first - 1 + self._longest):
            if end - groups[gid][0] + 2 == first:
                starts.append((end, gid))
        for end, gid in reversed(starts):   # longest first
            hit = self._fast_hit(line_map, ordinal, gid, groups[gid][3], verified, wanted, number)
            if hit is not None:
                return hit, end
        return None, None

    def _fast_all_overlaps(self, line_map, verified, wanted, number) -> list[Hit]:
        """Every verified key occurrence, then leftmost-longest among them (as `_all_overlaps`)."""
        keys, groups = line_map.keys, self.groups
        candidates, scanned, ordinal = [], 0, 0
        for end, gid in self.automaton.iter(keys):   # in order of `end`
            seps = groups[gid][3]
            if seps < 0:
                return self._find_slow(line_map.line, wanted, number)
            ordinal += keys.count(SEP, scanned, end)  # units before the last token
            scanned = end
            hit = self._fast_hit(line_map, ordinal - seps, gid, seps, verified, wanted, number)
            if hit is not None:
                candidates.append((ordinal - seps, -seps, hit))
        hits, next_free = [], 0
        for first, negative_seps, hit in sorted(candidates, key=lambda c: (c[0], c[1])):
            if first >= next_free:
                hits.append(hit)
                next_free = first - negative_seps + 1
        return hits

    def _verify_chunks(self, chunks: list, skip: int, gid: int, wanted):
        """(entries, start in first chunk, end from first chunk if single-spaced, end in last chunk)
        of the words of `chunks` from word `skip` on, if they stand for key `gid`; else False."""
        span, base = [], 0
        for chunk in chunks:
            span.extend((base + p[0], base + p[1], p[2], base) for p in split_chunk(chunk) if p != BOUNDARY)
            base += len(chunk) + 1
        span = span[skip:skip + self.groups[gid][2]]
        entries = self._verify(span, gid, wanted)
        if not entries:
            return False
        return (_distinct(entries), span[0][0], span[-1][1],
                span[-1][1] - span[-1][3])

    def _find_slow(self, line: str, wanted, number: int) -> list[Hit]:
        chunks = line.split()
        keys = self.key_line(line, chunks)
        raw = list(self.automaton.iter_long(keys)) if self._ready else ()
        if not raw:
            return []
        tokens = _LineTokens(line, chunks, self._cache)
        if len(self._verified) > CACHE_LIMIT:
            self._verified.clear()
        hits, spaces, scanned = [], 0, 0
        groups = self.groups
        for end, gid in raw:
            start = end - groups[gid][0] + 2          # first character of the first token
            spaces += keys.count(" ", scanned, start)
            scanned = start
            hit = self._checked(tokens, (spaces - 1) // 2, gid, wanted, number)
            if hit is None:   # the longest key failed verification: a shorter one may hold
                return self._all_overlaps(keys, tokens, wanted, number)
            hits.append(hit)
        return hits

    def _checked(self, tokens: "_LineTokens", first: int, gid: int, wanted, number: int) -> Hit | None:
        """The verified Hit for key `gid` at token `first`, or None; cached by the chunks it covers."""
        ends, count = tokens.ends, self.groups[gid][2]
        ci = bisect.bisect_right(ends, first)
        cj = bisect.bisect_right(ends, first + count - 1)
        cache_key = (gid, wanted, first - (ends[ci - 1] if ci else 0), tuple(tokens.chunks[ci:cj + 1]))
        found = self._verified.get(cache_key)
        if found is None:
            span = tokens.span(first, count)
            entries = self._verify(span, gid, wanted)
            if entries:
                words = [t for t in span if t != BOUNDARY]
                found = (_distinct(entries),
                         words[0][0] - tokens.chunk_start(ci), words[-1][1] - tokens.chunk_start(cj))
            else:
                found = False
            self._verified[cache_key] = found
        if found is False:
            return None
        a, b = tokens.chunk_start(ci) + found[1], tokens.chunk_start(cj) + found[2]
        return Hit(number, a, b, tokens.line[a:b], found[0])

    def _all_overlaps(self, keys, tokens, wanted, number) -> list[Hit]:
        """Every verified key occurrence, then leftmost-longest among them."""
        candidates = []
        for end, gid in self.automaton.iter(keys):
            first, count = self._span(keys, end, gid)
            hit = self._checked(tokens, first, gid, wanted, number)
            if hit is not None:
                candidates.append((first, -count, hit))
        hits, next_free = [], 0
        for first, negative_count, hit in sorted(candidates, key=lambda c: (c[0], c[1])):
            if first >= next_free:
                hits.append(hit)
                next_free = first - negative_count
        return hits

    def _span(self, keys: str, end: int, gid: int) -> tuple[int, int]:
        """(index of the first token, number of tokens) of the key ending at `end`."""
        length, count = self.groups[gid][0], self.groups[gid][2]
        start = end - length + 1          # the space before the first token
        return (keys.count(" ", 0, start + 1) - 1) // 2, count

    def _verify(self, span, gid, wanted) -> list[Entry]:
        found = []
        for entry_id in self.groups[gid][1]:
            entry = self.entries[entry_id]
            if wanted and entry.primary not in wanted:
                continue
            if len(span) == len(entry.tokens) and all(t == BOUNDARY if e == BOUNDARY else (t != BOUNDARY and token_matches(t[2], e))
                   for t, e in zip(span, entry.tokens)):
                found.append(entry)
        return found


class _LineMap:
    """From key units (SEP-separated parts of a fast line key) back to chunks and line offsets."""

    __slots__ = ("line", "chunks", "keys", "cumulative", "starts", "_at")

    def __init__(self, line: str, chunks: list, keys: str, fast_keys: _ChunkKeys, empties: bool):
        self.line, self.chunks, self.keys = line, chunks, keys
        count = len(chunks)
        self.cumulative = None   # one unit per chunk: unit ordinal == chunk index
        if empties or keys.count(SEP) != count - 1:
            self.cumulative = list(accumulate(fast_keys.counts_of(chunks)))
        single = len(line) == sum(map(len, chunks)) + count - 1
        self.starts = None if single else [m.start() for m in _CHUNK.finditer(line)]
        self._at = (0, 0)   # (chunk index, its offset): single-spaced offsets are running sums

    def chunks_of(self, ordinal: int, seps: int) -> tuple[int, int, int]:
        """(first chunk, words of it to skip, last chunk) of `seps + 1` units from unit `ordinal`."""
        cumulative = self.cumulative
        if cumulative is None:
            return ordinal, 0, ordinal + seps
        ci = bisect.bisect_right(cumulative, ordinal)
        return ci, ordinal - (cumulative[ci - 1] if ci else 0), bisect.bisect_right(cumulative, ordinal + seps)

    def offsets(self, ci: int, cj: int, found: tuple) -> tuple[int, int]:
        starts = self.starts
        if starts is None:
            index, base = self._at
            if ci < index:
                index = base = 0
            base += sum(map(len, self.chunks[index:ci])) + ci - index
            self._at = (ci, base)
            return base + found[1], base + found[2]
        return starts[ci] + found[1], starts[cj] + found[3]


class _LineTokens:
    """Tokens of one line with offsets, worked out only for the chunks a hit touches."""

    def __init__(self, line: str, chunks: list, cache: _ChunkKeys):
        self.line, self.chunks = line, chunks
        self.ends = list(accumulate(cache.counts_of(chunks)))
        self._starts = None

    def chunk_start(self, index: int) -> int:
        if self._starts is None:
            line, chunks = self.line, self.chunks
            lengths = list(map(len, chunks))
            if len(line) == sum(lengths) + len(chunks) - 1 and not line[:1].isspace():
                # single spaces between chunks: offsets are running sums
                self._starts = list(map(operator.add, accumulate(lengths, initial=0), range(len(lengths))))
            else:
                self._starts = [m.start() for m in _CHUNK.finditer(line)]
        return self._starts[index]

    def span(self, first: int, count: int) -> list:
        tokens = []
        ends, chunks = self.ends, self.chunks
        index = bisect.bisect_right(ends, first)
        skip = first - (ends[index - 1] if index else 0)
        while len(tokens) < count and index < len(chunks):
            pieces = split_chunk(chunks[index])
            if len(pieces) == 1 and not skip:
                piece = pieces[0]
                if piece == BOUNDARY:
                    tokens.append(piece)
                else:
                    base = self.chunk_start(index)
                    tokens.append((base + piece[0], base + piece[1], piece[2]))
            else:
                base = None
                for piece in pieces[skip:]:
                    if len(tokens) == count:
                        break
                    if piece == BOUNDARY:
                        tokens.append(piece)
                    else:
                        if base is None:
                            base = self.chunk_start(index)
                        tokens.append((base + piece[0], base + piece[1], piece[2]))
            skip = 0
            index += 1
        return tokens


def blocks(text: str, block: int = BLOCK):
    """`text` cut at line ends into pieces of about `block` characters (the newline between two
    pieces dropped)."""
    start, size = 0, len(text)
    while True:
        end = text.find("\n", start + block) if start + block < size else -1
        if end < 0:
            yield text[start:] if start else text
            return
        yield text[start:end]
        start = end + 1


# --- the per-character table of the C path ---------------------------------------------------

CLASS_WORD, CLASS_SPACE, CLASS_SOFT, CLASS_APOSTROPHE, CLASS_BOUNDARY, CLASS_SLOW = range(6)
MAX_REPLACEMENT = 4
_DELETED = frozenset(chr(code) for code, value in arabic._FOLD.items() if value is None)


@lru_cache(maxsize=1)
def _composition_seconds() -> frozenset:
    """BMP characters that NFC can merge into the character before them. (A composite whose base
    is astral only matters on lines the C path leaves to Python anyway.)"""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))   # Hangul vowel and final jamo
    for code in range(0x10000):
        decomposition = unicodedata.decomposition(chr(code))
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                seconds.add(int(parts[1], 16))
    return frozenset(seconds)


def _one_by_one(ch: str) -> bool:
    """Whether `ch` may stand in a word normalized character by character: not a mark that NFC
    composes or reorders (tashkeel, which normalization deletes, excepted), not a character NFC can
    merge into the one before, not an NFC singleton, not capital sigma (its lowercase depends on
    the next letter), lowercasing to one character, a BMP word character or apostrophe."""
    return (ord(ch) < 0x10000 and (_is_word_char(ch) or ch in APOSTROPHES) and ord(ch) not in _composition_seconds()
            and unicodedata.normalize("NFC", ch) == ch and ch != "\u03a3" and len(ch.lower()) == 1
            and (not unicodedata.combining(ch) or ch in _DELETED))


def char_entry(ch: str) -> tuple[int, str]:
    """(class, normalized form) of one BMP character for the C path; SLOW sends its lines to Python."""
    if 0xD800 <= ord(ch) <= 0xDFFF or ord(ch) > 0xFFFF:
        return CLASS_SLOW, ""
    if ch.isspace():
        return CLASS_SPACE, ""
    if _is_word_char(ch) or ch in APOSTROPHES:
        normalized = arabic.normalize_word(ch)
        if (len(normalized) > MAX_REPLACEMENT or not all(map(_one_by_one, arabic.fold_presentation_forms(ch)))
                or not all(map(_one_by_one, normalized))):
            return CLASS_SLOW, ""
        return (CLASS_APOSTROPHE if ch in APOSTROPHES else CLASS_WORD), normalized
    return (CLASS_SOFT if ch in SOFT_SEPARATORS else CLASS_BOUNDARY), ""


def _learn(chars: str) -> None:
    """Teach the C path the characters it has not met yet."""
    entries = [char_entry(ch) for ch in chars]
    replacements = array("I", [0] * (MAX_REPLACEMENT * len(chars)))
    for i, (_, normalized) in enumerate(entries):
        replacements[i * MAX_REPLACEMENT:i * MAX_REPLACEMENT + len(normalized)] = array("I", map(ord, normalized))
    _keys.learn(chars, bytes(kind for kind, _ in entries), bytes(len(n) for _, n in entries), replacements)


def _taught(call, text: str, *args):
    """`call(text, *args)` of `_keys`, after teaching it the characters of `text` it asks for."""
    result = call(text, *args)
    if result[0] is None:
        _learn(result[1])
        result = call(text, *args)
    return result


def c_line_keys(text: str) -> tuple[str, list[int]]:
    """The C path's key string of `text` and the lines it leaves to Python (for tests)."""
    return _taught(_keys.keys, text)


def separators(text: str) -> list[str]:
    """What stands between the words of `text` (space, hyphen, nothing...), whitespace runs as one space."""
    words = [t for t in tokenize(text) if t != BOUNDARY]
    return [re.sub(r"\s+", " ", text[a[1]:b[0]]) for a, b in zip(words, words[1:])]


def exact_spelling(surface: str, form: str) -> bool:
    """Whether `surface` joins its words as the term form does (`alter ego` is not `alter-ego`)."""
    return separators(surface) == separators(form)


def approved_statuses() -> set:
    """Statuses a translator may use: preferred, admitted, or none given."""
    return {AdministrativeStatus.PREFERRED, AdministrativeStatus.ADMITTED, None}
