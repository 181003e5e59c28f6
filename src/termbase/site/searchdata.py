"""The search index the site's page loads lazily: everything docs/search.md needs, precomputed.

`static/search.js` analyses the query (words, match keys) and ranks candidates exactly as
`termbase search` does; this module ships what the index answers there, cut into small files
so that a search fetches only the few it needs. Every file is a script that hands its data to
`TermbaseSearch.put(name, data)`, so it loads from file:// as well as over HTTP.

  search/index.js      the manifest: counts, bucket prefixes, the case-folding table,
                       definition statistics
  search/f/N.js        concepts 64·N … 64·N+63 (in concept-id order): their page, English and
                       Arabic terms
  search/s/N.js        surfaces 256·N … 256·N+255: [concept, word…]. Surfaces are numbered in the
                       order that breaks ties between hits (status, kind, length, concept id), so
                       the surfaces a search verifies first lie side by side
  search/k/N.js        match key -> its postings, fewest words first, then by surface: pairs
                       (size step, surface) where a step of 0 keeps the size and gives the gap
                       from the surface before, and a step > 0 raises the size and gives the
                       surface itself; the keys cut by prefix so that a prefix search reads a few
                       files. A long list is cut into pages, search/r/N.js, each coded afresh,
                       so that a search reads only the pages it gets to
  search/x/N.js        exact spellings (search.fold) -> [concept, surface, …], by CRC-32 of the spelling
  search/d/N.js        definition key -> postings (concept gap, language, frequency, length in
                       keys, length in characters), by CRC-32 of the key; long ones in search/dr/
  search/df/N.js       the definitions of concepts 64·N … 64·N+63: [concept, language, length in
                       keys, length in characters, key, frequency, …] (for queries with a rare word)
  search/v/L.js        the surface keys of L characters, sorted and front-coded (`front_coded`):
                       the fuzzy stage's vocabulary
"""
from __future__ import annotations

import json
import zlib
from collections import Counter, defaultdict
from functools import lru_cache

from .. import search
from ..matcher import token_key

CHUNK = 64               # concepts per summary file
SURFACES = 256           # surfaces per surface file
INLINE = 256             # postings kept inside a key bucket; longer lists are cut into pages
PAGE = 2048              # postings per page of a long list
BUCKET_BYTES = 16_000    # a key bucket is split by the next letter past this size
EXACT_PER_FILE = 400     # surfaces per exact-spelling bucket
DEFINITIONS_PER_FILE = 200


def crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def script(name: str, data) -> str:
    return f"TermbaseSearch.put({json.dumps(name)},{json.dumps(data, ensure_ascii=False, separators=(',', ':'))});\n"


CASED_END = 0x20000      # no character from here on has a case (tests/test_site.py checks it)


@lru_cache(maxsize=1)
def casefold_table() -> dict:
    """Characters whose case folding differs from lowercasing (`ß` -> `ss`): search.fold's extra."""
    table = {}
    for code in range(CASED_END):
        ch = chr(code)
        folded = ch.casefold()
        if folded != ch.lower() and not 0xD800 <= code <= 0xDFFF:
            table[ch] = folded
    return table


def front_coded(keys: list) -> str:
    """Sorted keys as one string: per key, chr(0x30 + UTF-16 units it shares with the key before
    (what JavaScript slices by)), the rest, a newline (keys hold no whitespace). Dense
    vocabularies (numbers) shrink to a third."""
    out, previous = [], ""
    for key in keys:
        shared = units = 0
        for a, b in zip(previous, key):
            if a != b:
                break
            shared += 1
            units += 2 if ord(a) > 0xFFFF else 1
        out.append(f"{chr(0x30 + units)}{key[shared:]}\n")
        previous = key
    return "".join(out)


SHIFT = 32               # a posting in memory: word count << SHIFT | surface (one int sorts as the pair)


def size_coded(postings: list) -> list:
    """Postings (word count << SHIFT | surface), sorted, as a flat list: per posting the step up
    in word count and, when that is 0, the gap from the surface before, else the surface itself."""
    flat, size, sid = [], 0, 0
    mask = (1 << SHIFT) - 1
    for posting in postings:
        count, surface = posting >> SHIFT, posting & mask
        flat += (count - size, surface - sid if count == size else surface)
        size, sid = count, surface
    return flat


def _partition(keys: dict, sizes: dict) -> dict:
    """Bucket prefix -> keys: keys grouped by first letter, a group split by the next letter while
    it is too big; a key lands in the deepest bucket whose prefix it starts with."""
    buckets: dict = {}

    def place(prefix: str, members: list) -> None:
        total = sum(sizes[k] for k in members)
        depth = len(prefix)
        if total <= BUCKET_BYTES or all(len(k) <= depth for k in members):
            buckets[prefix] = members
            return
        deeper: dict = defaultdict(list)
        here = []
        for key in members:
            (deeper[key[:depth + 1]] if len(key) > depth else here).append(key)
        if here:
            buckets[prefix] = here
        for child, group in deeper.items():
            place(child, group)

    first: dict = defaultdict(list)
    for key in keys:
        first[key[:1]].append(key)
    for prefix, members in first.items():
        place(prefix, members)
    return buckets


def write(handle, rows: list, emit) -> dict:
    """Write the search files of the open termbase `handle` through `emit(relative path, text)`;
    `rows` are its concept summaries (id, en, ar). Returns counts."""
    from .writer import page_name

    index = handle.index
    order = sorted(row["id"] for row in rows)
    number = {cid: n for n, cid in enumerate(order)}
    summary = {row["id"]: row for row in rows}

    # surfaces in the order that breaks ties between hits: the surface id is the position
    surfaces = [row for row in index.all_surfaces() if row[0] in number]
    surfaces.sort(key=lambda row: (search.STATUS_RANK.get(row[3], 1), row[4], len(row[2]), row[0]))

    for chunk in range(0, len(order), CHUNK):
        emit(f"search/f/{chunk // CHUNK}.js", script(f"f/{chunk // CHUNK}", {
            "c": [[page_name(cid), summary[cid]["en"], summary[cid]["ar"]] for cid in order[chunk:chunk + CHUNK]]}))
    for start in range(0, len(surfaces), SURFACES):
        emit(f"search/s/{start // SURFACES}.js", script(f"s/{start // SURFACES}", [
            [number[row[0]], *row[6]] for row in surfaces[start:start + SURFACES]]))

    # match keys -> postings, by (word count, surface)
    postings: dict = defaultdict(list)
    keys_of_word: dict = {}
    for sid, row in enumerate(surfaces):
        tokens = row[6]
        keys = set()
        for token in tokens:
            found = keys_of_word.get(token)
            if found is None:
                found = keys_of_word[token] = search.surface_keys((token,)).split()
            keys.update(found)
        for key in keys:
            postings[key].append(len(tokens) << SHIFT | sid)
    for held in postings.values():
        held.sort()
    sizes = {key: len(key) + 8 + (4 * len(p) if len(p) <= INLINE else 24 + 8 * -(-len(p) // PAGE))
             for key, p in postings.items()}
    buckets = _partition(postings, sizes)
    prefixes, external = [], 0
    for n, (prefix, members) in enumerate(sorted(buckets.items())):
        data = {}
        for key in sorted(members):
            held = postings[key]
            if len(held) <= INLINE:
                data[key] = size_coded(held)
                continue
            pages = []
            for start in range(0, len(held), PAGE):
                emit(f"search/r/{external}.js", script(f"r/{external}", size_coded(held[start:start + PAGE])))
                pages.append(external)
                external += 1
            data[key] = {"n": len(held), "f": pages}
        emit(f"search/k/{n}.js", script(f"k/{n}", data))
        prefixes.append(prefix)

    # exact spellings
    exact_files = max(1, -(-len(surfaces) // EXACT_PER_FILE))
    exact: list = [defaultdict(list) for _ in range(exact_files)]
    for sid, row in enumerate(surfaces):
        exact[crc(row[5]) % exact_files][row[5]] += [number[row[0]], sid]
    for n, data in enumerate(exact):
        emit(f"search/x/{n}.js", script(f"x/{n}", data))

    # the fuzzy stage's vocabulary, by length
    by_length: dict = defaultdict(list)
    for key in postings:
        if search.plain(key) and not key.startswith(search.STEM):     # as index.words_of_length
            by_length[len(key)].append(key)
    for length, keys in by_length.items():
        emit(f"search/v/{length}.js", script(f"v/{length}", front_coded(sorted(keys))))

    # definitions: BM25 as SQLite FTS5 computes it (k1 1.2, b 0.75)
    rows_by_concept = sorted(((number[cid], lang, text) for cid, lang, text in index.all_definitions() if cid in number),
                             key=lambda row: row[0])
    languages: list = list(dict.fromkeys(lang for _, lang, _ in rows_by_concept))
    language_of = {lang: position for position, lang in enumerate(languages)}
    postings: dict = {}                  # key -> [concept gap, language, frequency, length, characters, …]
    previous: dict = {}
    keys_of: dict = {}                   # word -> its FTS tokens (what search.text_keys makes of it)
    total_tokens = count = 0
    forward_definitions: dict = defaultdict(list)
    for cidx, lang, text in rows_by_concept:
        tokens = []
        for word in search.words(text):
            found = keys_of.get(word)
            if found is None:
                found = keys_of[word] = search.fts_word(token_key(word)).split()
            tokens += found
        count += 1
        total_tokens += len(tokens)
        language, length, chars = language_of[lang], len(tokens), len(text)
        record = [cidx % CHUNK, language, length, chars]
        for token, tf in Counter(tokens).items():
            flat = postings.get(token)
            if flat is None:
                postings[token] = [cidx, language, tf, length, chars]
            else:
                flat += (cidx - previous[token], language, tf, length, chars)
            previous[token] = cidx
            record += (token, tf)
        forward_definitions[cidx // CHUNK].append(record)
    definition_files = max(1, -(-len(postings) // DEFINITIONS_PER_FILE))
    grouped: list = [{} for _ in range(definition_files)]
    external_definitions = 0
    for key, flat in postings.items():
        if len(flat) <= 5 * INLINE:
            grouped[crc(key) % definition_files][key] = flat
        else:
            emit(f"search/dr/{external_definitions}.js", script(f"dr/{external_definitions}", flat))
            grouped[crc(key) % definition_files][key] = {"n": len(flat) // 5, "f": external_definitions}
            external_definitions += 1
    for n, data in enumerate(grouped):
        emit(f"search/d/{n}.js", script(f"d/{n}", data))
    for n, records in forward_definitions.items():
        emit(f"search/df/{n}.js", script(f"df/{n}", records))

    emit("search/index.js", script("index", {
        "version": 2, "concepts": len(order), "surfaces": len(surfaces), "chunk": CHUNK, "surfaceChunk": SURFACES,
        "candidates": search.CANDIDATES,
        "prefixes": prefixes, "exactFiles": exact_files, "lengths": sorted(by_length),
        "definitionFiles": definition_files, "definitions": count,
        "averageLength": total_tokens / count if count else 0.0, "languages": languages,
        "casefold": casefold_table()}))
    return {"surfaces": len(surfaces), "keys": len(postings), "key_files": len(prefixes) + external}
