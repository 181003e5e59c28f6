"""Arabic-aware normalization for matching (never for storage) and clitic/suffix variants.

Per DESIGN.md: drop tashkeel and tatweel, fold hamza/madda alef forms to bare alef, alef maqsura
to ya, ta marbuta to ha, presentation forms to their base letters (NFKC), strip bidi and other
invisible controls; lowercase Latin. Tokens may carry leading clitics (و ف ب ك ل, the article
ال and لل) and common suffixes (ات ون ين ان).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TASHKEEL = "".join(chr(c) for c in range(0x064B, 0x0653)) + "\u0670"
TATWEEL = "\u0640"
BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
INVISIBLES = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_FOLD = {ord(c): None for c in TASHKEEL + TATWEEL + BIDI_CONTROLS + INVISIBLES}
_FOLD.update({ord("أ"): "ا", ord("إ"): "ا", ord("آ"): "ا", ord("ٱ"): "ا",
              ord("ى"): "ي", ord("ة"): "ه", ord("ـ"): None,
              ord("\u2019"): "'", ord("\u2018"): "'", ord("\u2010"): "-", ord("\u2011"): "-",
              ord("\u2013"): "-", ord("\u00a0"): " "})
_PRESENTATION = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")
ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]")

PROCLITICS = ("و", "ف")
PREPOSITIONS = ("ب", "ك", "ل")
ARTICLE = "ال"
SUFFIXES = ("ات", "ون", "ين", "ان")
MIN_STEM = 2


def has_presentation_forms(text: str) -> bool:
    return bool(_PRESENTATION.search(text))


def is_arabic(text: str) -> bool:
    return bool(ARABIC_LETTER.search(text))


def fold_presentation_forms(text: str) -> str:
    """Replace Arabic presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFF) by their base letters."""
    return _PRESENTATION.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


@lru_cache(maxsize=200_000)
def normalize_word(word: str) -> str:
    """Normalize one token for matching (cached: a text has few distinct words)."""
    if _PRESENTATION.search(word):
        word = fold_presentation_forms(word)
    return unicodedata.normalize("NFC", word).translate(_FOLD).lower()


def normalize(text: str) -> str:
    """Normalize running text for matching; whitespace runs collapse to one space."""
    return " ".join(normalize_word(word) for word in text.split())


@lru_cache(maxsize=200_000)
def strip_clitics(word: str) -> tuple[str, ...]:
    """Candidate stems of a normalized word, the word itself first, then with leading clitics removed.

    `وبالنشره` gives (`وبالنشره`, `بالنشره`, `النشره`, `نشره`); stems shorter than two letters are not
    offered, so a word is never reduced to a lone letter.
    """
    candidates = [word]
    rest = word
    if rest[:1] in PROCLITICS and len(rest) - 1 >= MIN_STEM:
        rest = rest[1:]
        candidates.append(rest)
    if rest.startswith("لل") and len(rest) - 2 >= MIN_STEM:
        candidates.append(rest[2:])
        candidates.append("ال" + rest[2:])
        return tuple(dict.fromkeys(candidates))
    if rest[:1] in PREPOSITIONS and len(rest) - 1 >= MIN_STEM:
        rest = rest[1:]
        candidates.append(rest)
    if rest.startswith(ARTICLE) and len(rest) - 2 >= MIN_STEM:
        candidates.append(rest[2:])
    return tuple(dict.fromkeys(candidates))


def strip_suffixes(stem: str) -> tuple[str, ...]:
    """The stem with each common plural/dual suffix removed (stems of at least three letters)."""
    return tuple(stem[: -len(s)] for s in SUFFIXES if stem.endswith(s) and len(stem) - len(s) >= 3)


def without_article(normalized_phrase: str) -> str:
    """Drop a leading clitic chain and article from each word of a normalized phrase."""
    return " ".join(strip_clitics(word)[-1] for word in normalized_phrase.split())


def search_key(text: str) -> str:
    """A key under which a phrase and its clitic-prefixed, vocalized or misspelled-hamza forms meet."""
    return without_article(normalize(text))


_UNVOCALIZE = {ord(c): None for c in TASHKEEL + TATWEEL}


def strip_tashkeel(text: str) -> str:
    """`text` without tashkeel and tatweel, otherwise as written (NFC): the unvocalized citation form."""
    return unicodedata.normalize("NFC", text).translate(_UNVOCALIZE)
