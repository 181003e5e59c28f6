#!/usr/bin/env python3
"""Throughput of term recognition (`termbase find`) against the raw Aho-Corasick floor.

Builds ~50 MB of Arabic text by shuffling corpus sentences, a glossary of 100 real terms (taken
from the corpus by `termbase extract`) and one of 100,000 terms (the 100 plus synthetic 2–4 word
phrases of corpus words, so hit density stays realistic), then times:

- ours:  Matcher.find_text over the raw text (tokenizing, normalizing, clitic reduction,
         verification, line/column of every hit), MB of raw UTF-8 per second; with the C inner
         loop (`termbase._keys`) when it is built, and with `--python` also the pure-Python path;
- floor: pyahocorasick `iter_long` with the same terms (normalized, space-padded) over the same
         text already normalized (`arabic.normalize` per line), scan only; the faster of one call
         over the whole text and one call per ~64K-character block of lines (ours scans in such
         blocks, which keeps its buffers in the CPU cache; the floor is given the same chance).

Both sides run N times interleaved; the best run of each counts (the machine is shared).

Memory of the 100,000-term matcher: the automaton's own size (`get_stats()['total_size']`) and
the process's peak RSS growth while building it (ru_maxrss; tracemalloc cannot see the C heap).

    python benchmarks/recognize.py [--mb 50] [--runs 3] [--corpus DIR] [--python]
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
from termbase import matcher as matcher_module  # noqa: E402
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
    """`normalized`: the whole text, or a list of its blocks."""
    blocks = [normalized] if isinstance(normalized, str) else normalized
    start = time.perf_counter()
    hits = sum(1 for block in blocks for _ in automaton.iter_long(block))
    return time.perf_counter() - start, hits


def in_blocks(text: str, size: int) -> list[str]:
    blocks, start = [], 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end
        blocks.append(text[start:end])
        start = end + 1
    return blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=3, help="best of N runs of each side")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--python", action="store_true", help="also time the pure-Python path")
    args = parser.parse_args()
    print("inner loop:", "C (termbase._keys)" if matcher_module.ACCELERATED else "pure Python (termbase._keys not built)")

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

    blocks = in_blocks(normalized, matcher_module.BLOCK)
    paths = [("ours", matcher_module.ACCELERATED)]
    if args.python and matcher_module.ACCELERATED:
        paths.append(("pure Python", False))
    for label, terms, matcher in (("100", real, Matcher(termbase_of(real))), ("100,000", big_terms, big)):
        floor = floor_automaton(terms)
        best = {"floor": float("inf"), "floor in blocks": float("inf")}
        for _ in range(args.runs):   # interleaved, best of N: the machine is shared
            for name, source in (("floor", normalized), ("floor in blocks", blocks)):
                seconds, floor_hits = time_floor(floor, source)
                best[name] = min(best[name], seconds)
            for name, accelerated in paths:
                matcher_module.ACCELERATED = accelerated
                seconds, our_hits = time_ours(matcher, text)
                best[name] = min(best.get(name, float("inf")), seconds)
        matcher_module.ACCELERATED = paths[0][1]
        floor_rate = megabytes / min(best["floor"], best["floor in blocks"])
        print(f"{label:>7} terms: floor {floor_rate:6.2f} MB/s ({floor_hits:,} hits; whole text "
              f"{megabytes / best['floor']:.0f}, in blocks {megabytes / best['floor in blocks']:.0f} MB/s)")
        for name, _ in paths:
            rate = megabytes / best[name]
            print(f"{'':>15}{name:>12} {rate:6.2f} MB/s ({our_hits:,} hits) | ratio {rate / floor_rate:.2f}x")


if __name__ == "__main__":
    main()
