"""Term extraction: candidate terms of a text collection that the glossary does not hold yet.

Two kinds of candidates, pairs first:

- **pairs** (high confidence): an Arabic noun phrase followed by a Latin name or acronym in
  parentheses — `المركز الوطني للأطفال المفقودين والمستغلين (NCMEC)` — or by a Latin token
  standing inside Arabic text — `منظومة الإنتربول المأمونة I-24/7`. The Arabic phrase starts at the
  nearest organisation-type head noun (`مركز`, `قاعدة`, `فرقة`…) before the Latin part, else
  after the nearest preposition or particle, and never crosses punctuation.
- **n-grams**: recurring runs of 1–5 tokens of one script that cross no punctuation and neither
  start nor end with a stop word, ranked by C-value (Frantzi et al.), which favours phrases
  that recur on their own rather than only inside a longer recurring phrase.

Known terms (every form the matcher recognises) are left out.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import arabic
from .matcher import BOUNDARY, Matcher, tokenize
from .model import Concept, LangSection, ReviewStatus, Term, Termbase, TermType, unique_id

MAX_NGRAM = 5
MAX_PHRASE = 20
CONTEXT_CHARS = 300

HEAD_NOUNS = frozenset(arabic.normalize(w) for w in """
    شبكة جمعية مركز قاعدة مشروع فرقة تحالف شركة منظومة مؤتمر منظمة برنامج نظام هيئة وكالة لجنة مكتب
    مجلس اتحاد فريق مبادرة مجموعة صندوق معهد إدارة جهاز بنك قسم وحدة منتدى أمانة رابطة مؤسسة محكمة
    اتفاقية قانون قاعدة خطة استراتيجية آلية منصة أداة عملية حملة""".split())
AR_STOP = frozenset(arabic.normalize(w) for w in """
    في من إلى على عن مع عبر حتى منذ لدى عند بين خلال ضد نحو حول دون بعد قبل تحت فوق أمام وراء
    و أو ثم أن إن لأن كان كانت يكون تكون قد لقد لم لن لا ما ماذا هل إذا إذ كما كل بعض أي غير
    هذا هذه ذلك تلك هؤلاء أولئك هو هي هم هن هما نحن أنا أنت الذي التي الذين اللذين اللتين اللواتي
    وهو وهي وهم وقد وفي ومن وإلى وعلى وأن وكان وكانت وهذا وهذه وذلك ولا ولم بها به لها له فيها فيه
    منها منه عليها عليه إليها إليه عنها عنه بهم لهم بل لكن أيضا فقط حيث كذلك عليهم ضمن لدي
    السيد السيدة قال وقال أضاف وأضاف""".split())
EN_STOP = frozenset("""a an the and or but of in on at to for from by with without into onto over under
    as is are was were be been being it its this that these those which who whom whose what when where
    how why not no nor so than then there their they them he she his her we our you your i my me
    has have had do does did can could will would shall should may might must also such all any each
    more most other some only very about after before between during through against per via""".split())
PAREN_LATIN = re.compile(r"\(\s*([#@]?[A-Za-z][A-Za-z0-9&.'’/#+\-\s]*?)\s*\)")
LATIN_TOKEN = re.compile(r"(?<![\w@./])[#@]?[A-Za-z][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)*(?![\w@]|\.\w)")
PUNCTUATION = re.compile(r"[.،,؛;:!?؟()\[\]{}«»\"“”’‘\u2018\u2019]")


@dataclass
class Candidate:
    """A candidate term: `text` in `lang`, with its Latin partner `en` for pairs."""

    kind: str
    lang: str
    text: str
    en: str = ""
    frequency: int = 0
    score: float = 0.0
    context: str = ""
    path: str = ""
    line: int = 0
    locations: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "lang": self.lang, "text": self.text, "en": self.en,
                "frequency": self.frequency, "score": round(self.score, 3), "context": self.context,
                "path": self.path, "line": self.line}


# --- pairs -----------------------------------------------------------------------------------

def _strip_proclitic(word: str) -> str:
    """`والمركز` -> `المركز`, `وشركة` -> `شركة`, `للأطفال` -> `الأطفال`, `بالصور` -> `الصور`.

    A و/ف/ب/ك/ل that may belong to the word stays.
    """
    if word.startswith("لل") and len(word) > 4:
        return "ال" + word[2:]
    if word[:1] in arabic.PREPOSITIONS + arabic.PROCLITICS and word[1:3] == "ال" and len(word) > 4:
        return word[1:]
    if word[:1] in arabic.PROCLITICS and len(word) > 3:
        rest = word[1:]
        normalized = arabic.normalize_word(rest)
        if normalized.startswith("ال") or normalized in HEAD_NOUNS:
            return rest
    return word


def _head(word: str) -> bool:
    normalized = arabic.normalize_word(word)
    return any(stem in HEAD_NOUNS for stem in arabic.strip_clitics(normalized)[:3]
               if not stem.startswith("ال")) or (normalized.startswith(("ال", "وال", "فال"))
                                                 and arabic.without_article(normalized) in HEAD_NOUNS)


def arabic_phrase_before(text: str) -> str:
    """The Arabic noun phrase that ends `text` (see the module docstring), unvocalized; '' if none."""
    clause = PUNCTUATION.split(text)[-1]
    words = clause.split()[-MAX_PHRASE:]
    if not words or not arabic.is_arabic(words[-1]):
        return ""
    start = None
    for i in range(len(words) - 1, -1, -1):
        if not arabic.is_arabic(words[i]):
            break
        if _head(words[i]):
            start = i
            break
    if start is None:
        start = len(words) - 1
        while start > 0 and arabic.is_arabic(words[start - 1]) \
                and arabic.normalize_word(words[start - 1]) not in AR_STOP and len(words) - start < 4:
            start -= 1
    phrase = words[start:]
    phrase[0] = _strip_proclitic(phrase[0])
    return arabic.strip_tashkeel(" ".join(phrase))


def find_pairs(line: str):
    """Yield (Latin, Arabic phrase, position) for the pairs of one line."""
    taken = []
    for match in PAREN_LATIN.finditer(line):
        latin = " ".join(match.group(1).split())
        if not re.search(r"[A-Za-z]{2}", latin):
            continue
        phrase = arabic_phrase_before(line[:match.start()])
        taken.append(match.span())
        if phrase:
            yield latin, phrase, match.start()
    for match in LATIN_TOKEN.finditer(line):
        if any(a <= match.start() < b for a, b in taken):
            continue
        token = match.group()
        if not (re.search(r"[A-Z0-9#]", token[1:]) or token[0].isupper()) or len(token) < 2:
            continue
        phrase = arabic_phrase_before(line[:match.start()])
        if phrase:   # a Latin name inside Arabic text is part of the Arabic term: مشروع Baseline
            yield token, f"{phrase} {token}", match.start()


# --- n-grams ---------------------------------------------------------------------------------

def _stop(token: str, lang: str) -> bool:
    if lang == "ar":
        return token in AR_STOP or arabic.strip_clitics(token)[-1] in AR_STOP or len(token) < 2
    return token in EN_STOP or len(token) < 2


def _script_ok(token: str, lang: str) -> bool:
    if lang == "ar":
        return arabic.is_arabic(token)
    return token.isascii() and token[:1].isalpha()


def _grouping_key(tokens) -> tuple:
    return tuple(min(arabic.strip_clitics(t), key=len) if arabic.is_arabic(t) else t for t in tokens)


def c_values(frequencies: dict) -> dict:
    """C-value of each n-gram key (a tuple of tokens) from its frequency and its longer containers."""
    containers: dict = {}
    for longer in frequencies:
        n = len(longer)
        for size in range(1, n):
            for i in range(n - size + 1):
                inner = longer[i:i + size]
                if inner in frequencies:
                    containers.setdefault(inner, set()).add(longer)
    scores = {}
    for key, frequency in frequencies.items():
        nested = containers.get(key)
        weight = math.log2(len(key) + 1)
        if nested:
            scores[key] = weight * (frequency - sum(frequencies[b] for b in nested) / len(nested))
        else:
            scores[key] = weight * frequency
    return scores


# --- the whole run ---------------------------------------------------------------------------

def _context(line: str, at: int = 0) -> str:
    """The line, or a window of it around position `at` when it is long."""
    if len(line) <= CONTEXT_CHARS:
        return " ".join(line.split())
    start = max(0, min(at - CONTEXT_CHARS * 2 // 3, len(line) - CONTEXT_CHARS))
    window = " ".join(line[start:start + CONTEXT_CHARS].split())
    return ("…" if start else "") + window + ("…" if start + CONTEXT_CHARS < len(line) else "")


def _known(matcher: Matcher | None, text: str) -> bool:
    if matcher is None:
        return False
    hits = matcher.find_line(text)
    return any(h.start == 0 and h.end == len(text) for h in hits)


def extract(texts, termbase: Termbase | None = None, lang: str = "ar", min_freq: int = 2,
            matcher: Matcher | None = None, progress=None) -> list[Candidate]:
    """Candidates from `texts`, an iterable of (path, text); pairs first, then n-grams by C-value.
    Terms of `termbase` (recognized by `matcher`, built if not given) are left out.
    `progress(characters, total)` hears how much of the texts is read."""
    if matcher is None and termbase is not None and len(termbase):
        matcher = Matcher(termbase)
    pairs: dict = {}
    ngram_counts: Counter = Counter()
    ngram_surfaces: dict = {}
    ngram_first: dict = {}
    if progress is not None:
        texts = list(texts)
        total, done = sum(len(text) + 1 for _, text in texts), 0
    for path, text in texts:
        for number, line in enumerate(text.split("\n"), 1):
            if progress is not None:
                done += len(line) + 1
                if not number % 256 or done >= total:
                    progress(done, total)
            if lang == "ar":
                for latin, phrase, position in find_pairs(line):
                    key = (latin.lower(), arabic.search_key(phrase))
                    candidate = pairs.get(key)
                    if candidate is None:
                        candidate = pairs[key] = Candidate("pair", "ar", phrase, latin, context=_context(line, position),
                                                           path=str(path), line=number)
                    candidate.frequency += 1
                    candidate.locations.append((str(path), number))
            run: list = []
            for token in tokenize(line) + [BOUNDARY]:
                if token == BOUNDARY or not _script_ok(token[2], lang):
                    _count_run(run, line, lang, ngram_counts, ngram_surfaces, ngram_first, path, number)
                    run = []
                else:
                    run.append(token)
    results = [c for c in pairs.values()
               if not (_known(matcher, c.en) or _known(matcher, c.text))]
    results.sort(key=lambda c: (-c.frequency, c.text))
    frequent = {k: f for k, f in ngram_counts.items() if f >= min_freq}
    paired = {arabic.search_key(c.text) for c in results} | {c.en.lower() for c in results}
    ranked = []
    for key, score in c_values(frequent).items():
        surface = _citation_surface(ngram_surfaces[key], key)
        if score <= 0 or arabic.search_key(surface) in paired or surface.lower() in paired or _known(matcher, surface):
            continue
        path, number, line = ngram_first[key]
        ranked.append(Candidate("ngram", lang, surface, frequency=frequent[key], score=score,
                                context=_context(line), path=str(path), line=number))
    ranked.sort(key=lambda c: (-c.score, -c.frequency, c.text))
    return results + ranked


def _citation_surface(surfaces: Counter, key: tuple) -> str:
    """The most frequent surface whose first word carries no clitic (else the most frequent)."""
    for surface, _ in surfaces.most_common():
        first = arabic.normalize_word(surface.split()[0])
        if first == key[0] or first.startswith("ال") or not arabic.is_arabic(first):
            return surface
    return surfaces.most_common(1)[0][0]


def _count_run(run, line, lang, counts, surfaces, first, path, number) -> None:
    for i in range(len(run)):
        for n in range(1, MAX_NGRAM + 1):
            if i + n > len(run):
                break
            tokens = [t[2] for t in run[i:i + n]]
            if _stop(tokens[0], lang) or _stop(tokens[-1], lang):
                continue
            key = _grouping_key(tokens)
            counts[key] += 1
            surface = line[run[i][0]:run[i + n - 1][1]]
            if lang == "ar":
                surface = arabic.strip_tashkeel(surface)
                first_word, _, rest = surface.partition(" ")
                surface = (_strip_proclitic(first_word) + " " + rest).strip()
            surfaces.setdefault(key, Counter())[surface] += 1
            first.setdefault(key, (path, number, line))


def _slug(text: str, taken: set) -> str:
    slug = unique_id(text, taken, "candidate")
    taken.add(slug)
    return slug


def to_termbase(candidates: list[Candidate]) -> Termbase:
    """Candidates as draft concepts, for `termbase import`."""
    termbase = Termbase(title="Extracted term candidates")
    taken: set = set()
    for number, c in enumerate(candidates, 1):
        source = Path(c.path).stem
        note = f"candidate ({c.kind}): frequency {c.frequency}" + (f", C-value {c.score:.2f}" if c.kind == "ngram" else "") \
            + f"; first seen {c.path}:{c.line}"
        languages = {}
        term = Term(c.text, context=c.context, context_source=source)
        languages[c.lang] = LangSection(c.lang, terms=[term])
        if c.en:
            en_type = TermType.ACRONYM if re.fullmatch(r"[#@]?[A-Z0-9][A-Z0-9&/\-]+", c.en) else None
            languages["en"] = LangSection("en", terms=[Term(c.en, type=en_type, context=c.context, context_source=source)])
            term.type = TermType.FULL_FORM
        concept_id = _slug(c.en, taken) if c.en else _slug(f"candidate-{number:04d}", taken)
        termbase.add(Concept(concept_id, review_status=ReviewStatus.DRAFT, note=note,
                             sources=[source] if source else [],
                             languages=dict(sorted(languages.items(), key=lambda kv: kv[0] != "en"))))
    return termbase
