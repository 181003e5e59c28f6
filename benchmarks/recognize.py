#!/usr/bin/env python3
"""Throughput of term recognition (`termbase find`) against the raw Aho-Corasick floor.

Builds ~50 MB of Arabic text by shuffling corpus sentences, a glossary of 100 real terms (taken
from the corpus by `termbase extract`) and one of 100,000 terms (the 100 plus synthetic 2–4 word
phrases of corpus words, so hit density stays realistic), then times:

- ours:  Matcher.find_text over the raw text (tokenizing, normalizing, clitic reduction,
         verification, line/column of every hit), MB of raw UTF-8 per second;
- floor: pyahocorasick `iter_long` with the same terms (normalized, space-padded) over the same
         text already normalized (`arabic.normalize` per line), scan only.

Both sides run N times interleaved; the best run of each counts (the machine is shared).

Memory of the 100,000-term matcher: the automaton's own size (`get_stats()['total_size']`) and
the process's peak RSS growth while building it (ru_maxrss; tracemalloc cannot see the C heap).

    python benchmarks/recognize.py [--mb 50] [--runs 3] [--corpus DIR]
"""
from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import time
from pathlib import Path

import ahocorasick

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from termbase import arabic  # noqa: E402
from termbase.extract import extract  # noqa: E402
from termbase.matcher import Matcher  # noqa: E402
from termbase.model import Concept, LangSection, Term, Termbase  # noqa: E402


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus_text(corpus: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]


def sentences(texts) -> list[str]:
    found = []
    for text in texts:
        for part in re.split(r"(?<=[.؟!])\s+|\n+", text):
            if arabic.is_arabic(part) and len(part.split()) >= 4:
                found.append(part.strip())
    return found


def build_text(sents, megabytes: float, seed: int = 1) -> str:
    rng = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    lines, size = [], 0
    while size < target:
        line = " ".join(rng.choice(sents) for _ in range(rng.randint(2, 6)))
        lines.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(lines)


def real_terms(texts, count: int) -> list[str]:
    """Acronym pairs (both sides) and then the best multiword phrases `termbase extract` finds."""
    candidates = extract([(f"doc{i}", t) for i, t in enumerate(texts)], None, "ar", 2)
    terms = []
    for c in candidates:
        for text in (c.en, c.text):
            if text and text not in terms and len(terms) < count and (c.kind == "pair" or len(text.split()) >= 2):
                terms.append(text)
        if len(terms) == count:
            break
    return terms


def synthetic_terms(texts, count: int, seed: int = 2) -> list[str]:
    rng = random.Random(seed)
    vocabulary = sorted({w for t in texts for w in re.findall(r"[\u0621-\u064a]{3,}", t)})
    made = set()
    while len(made) < count:
        made.add(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(2, 4))))
    return sorted(made)


def termbase_of(terms) -> Termbase:
    termbase = Termbase()
    for i, text in enumerate(terms):
        termbase.add(Concept(f"c{i}", languages={"ar": LangSection("ar", terms=[Term(text)])}))
    return termbase


def floor_automaton(terms):
    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for i, text in enumerate(terms):
        automaton.add_word(" " + arabic.normalize(text) + " ", i)
    automaton.make_automaton()
    return automaton


def time_ours(matcher, text) -> tuple[float, int]:
    start = time.perf_counter()
    hits = sum(1 for _ in matcher.find_text(text))
    return time.perf_counter() - start, hits


def time_floor(automaton, normalized) -> tuple[float, int]:
    start = time.perf_counter()
    hits = sum(1 for _ in automaton.iter_long(normalized))
    return time.perf_counter() - start, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=3, help="best of N runs of each side")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()

    texts = corpus_text(args.corpus)
    real = real_terms(texts, 100)
    big_terms = real + synthetic_terms(texts, 100_000 - len(real))

    big_termbase = termbase_of(big_terms)
    before = rss_mib()
    start = time.perf_counter()
    big = Matcher(big_termbase)
    build_seconds = time.perf_counter() - start
    after = rss_mib()
    stats = big.automaton.get_stats()

    text = build_text(sentences(texts), args.mb)
    megabytes = len(text.encode("utf-8")) / 1e6
    normalized = "\n".join(" " + arabic.normalize(line) + " " for line in text.split("\n"))
    print(f"text: {megabytes:.1f} MB UTF-8, {len(text.split()):,} words, {text.count(chr(10)) + 1:,} lines")
    print(f"100,000-term matcher: built in {build_seconds:.1f} s; {len(big):,} term forms, "
          f"{stats['words_count']:,} keys; automaton total_size {stats['total_size'] / 2**20:.1f} MiB; "
          f"peak RSS growth while building {after - before:.1f} MiB")

    for label, terms, matcher in (("100", real, Matcher(termbase_of(real))), ("100,000", big_terms, big)):
        floor = floor_automaton(terms)
        floor_seconds = ours_seconds = float("inf")
        for _ in range(args.runs):   # interleaved, best of N: the machine is shared
            seconds, floor_hits = time_floor(floor, normalized)
            floor_seconds = min(floor_seconds, seconds)
            seconds, our_hits = time_ours(matcher, text)
            ours_seconds = min(ours_seconds, seconds)
        ours_rate, floor_rate = megabytes / ours_seconds, megabytes / floor_seconds
        print(f"{label:>7} terms: ours {ours_rate:6.2f} MB/s ({our_hits:,} hits) | floor {floor_rate:6.2f} MB/s "
              f"({floor_hits:,} hits) | ratio {ours_rate / floor_rate:.2f}x")


if __name__ == "__main__":
    main()
