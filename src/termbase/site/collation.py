"""Alphabetical order and A–Z letters for the site's browse pages, in English and in Arabic.

Arabic follows ICU's Arabic collation (CLDR `ar`) at the primary level: ء أ ؤ إ ئ and ا are one
letter, then آ, ٱ, ب, پ, ت with ة, ث …, ك, ک, گ, ل …, و, and ي with ى ی; tashkeel and tatweel
only break ties; Arabic letters come before Latin ones (CLDR reorders the Arabic script first). PyICU would need a C++ build against libicu, so the order is written out here
and `tests/test_site_browser.py` holds it against ICU itself (Chromium's `Intl.Collator('ar')`).
As Arabic glossaries do, a leading article ال (and لل) is set aside when sorting, so that
`النشرة الخضراء` files under ن. The A–Z letters are CLDR's 28 Arabic index letters; every other
letter files under the index letter before it (آ under ا, پ under ب, ة under ت, ى under ي).
English sorts case-, accent- and punctuation-insensitively, under A–Z or `#`.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Primary groups in ICU `ar` order (each group one primary weight; order inside = secondary).
AR_GROUPS = ["ءأؤإئا", "آ", "ٱ", "ب", "پ", "تة", "ث", "ج", "چ", "ح", "خ", "د", "ذ", "ر", "ز", "ژ", "س",
             "ش", "ص", "ض", "ط", "ظ", "ع", "غ", "ف", "ق", "ك", "ک", "گ", "ل", "م", "ن", "ه", "و", "یىي"]
AR_INDEX = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"      # CLDR's index letters for Arabic
_PRIMARY = {ch: number for number, group in enumerate(AR_GROUPS) for ch in group}
_SECONDARY = {ch: position for group in AR_GROUPS for position, ch in enumerate(group)}
_INDEX_OF = {}
for _group in AR_GROUPS:
    for _ch in _group:
        _INDEX_OF[_ch] = max((letter for letter in AR_INDEX if _PRIMARY[letter] <= _PRIMARY[_ch]),
                             key=lambda letter: _PRIMARY[letter])
_IGNORED = set("\u0640") | {chr(c) for c in range(0x064B, 0x0653)} | {"\u0670"}
# Arabic letters as private-use characters in primary order, Latin letters (case aside) after them
# (CLDR's Arabic collation puts the Arabic script first); tashkeel and tatweel dropped. Digits,
# spaces and punctuation keep their code points, so they come first, as in ICU.
_PRIMARY_TABLE = {ord(ch): chr(0xE000 + number) for ch, number in _PRIMARY.items()}
_PRIMARY_TABLE.update({ord(ch): None for ch in _IGNORED})
_PRIMARY_TABLE.update({code: chr(0x100000 + ord(chr(code).lower())) for code in range(0x41, 0x250)
                       if chr(code).isalpha() and len(chr(code).lower()) == 1})


def _unarticled(text: str) -> str:
    """`text` without a leading article ال or لل (a whole word stays as it is)."""
    for article in ("ال", "لل"):
        if text.startswith(article) and len(text) > len(article) + 1:
            return text[len(article):]
    return text


@lru_cache(maxsize=1 << 18)
def arabic_key(text: str) -> tuple:
    """Sort key of an Arabic term: ICU `ar` primary order, article aside, then the rest."""
    bare = unicodedata.normalize("NFC", _unarticled(text.strip()))
    return bare.translate(_PRIMARY_TABLE), bare, text


_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")     # \W: not str.isalnum(), so combining accents too


@lru_cache(maxsize=1 << 18)
def english_key(text: str) -> tuple:
    """Sort key of an English term: letters and digits only, case and accents aside."""
    bare = unicodedata.normalize("NFKD", text.strip()).casefold()
    return _NOT_LETTER_OR_DIGIT.sub("", bare), bare, text


def arabic_letter(text: str) -> str:
    """The A–Z letter an Arabic term files under (one of AR_INDEX), or `#`."""
    for ch in unicodedata.normalize("NFC", _unarticled(text.strip())):
        if ch in _IGNORED:
            continue
        return _INDEX_OF.get(ch, "#")
    return "#"


def english_letter(text: str) -> str:
    """A–Z letter an English term files under, or `#`."""
    for ch in text.strip():
        base = unicodedata.normalize("NFKD", ch)[:1].upper()
        if base.isascii() and base.isalpha():
            return base
        if base.isalnum():
            return "#"
    return "#"
