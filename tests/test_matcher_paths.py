"""The C inner loop of recognition (`termbase._keys`) against the pure-Python path it accelerates.

The C path must give exactly the Python path's key string for every line it keys itself, and
exactly its hits for any text; characters it cannot map one by one must send their line back.
"""
import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from termbase import matcher as matcher_module
from termbase.matcher import SEP, Hit, Matcher, render_chunk, split_chunk
from test_matcher import GLOSSARY_ROWS, termbase

keys_module = matcher_module._keys
needs_c = pytest.mark.skipif(keys_module is None, reason="termbase._keys not built (no C compiler)")

# Letters that exercise every rule: clitics, article, suffixes, hamza/alef/ya/ta marbuta folding,
# tashkeel, tatweel, presentation forms, composing marks, Latin case and plurals, apostrophes,
# soft separators, punctuation, odd spaces, invisible and bidi controls, astral characters.
ALPHABET = ("ابتجدرسعلمنهويءأإآةىؤئكف" "ال" "ات" "ين" "ون" "\u064e\u0650\u0651\u0652\u0640"
            "\ufefb\ufef7\ufe8d\ufdf2\ufc5e" "\u0653\u0654\u0655" "abcEsSyiI" "\u0130\u03a3\u03c3\u0301"
            "'\u2019-/_#@+.,;:()[]\u060c\u061b\u061f|" "  \t\u00a0\u2003" "\u200c\u200d\u200f\u202b\ufeff\u00ad"
            "\u06cc\u06a9" "0123\u0663" "\U0001f600")
texts = st.lists(st.text(alphabet=ALPHABET, max_size=40), min_size=1, max_size=4).map("\n".join)
# Texts dense with terms, their inflections and near misses, joined by spaces, dashes, punctuation.
WORDS = ["العلم", "والعلم", "للعلم", "عِلْمٌ", "معلم", "قاعدة", "بيانات", "البيانات", "قواعد", "وقواعد", "بلد",
         "وفي", "في", "الاستغلال", "الجنسي", "للأطفال", "أطفال", "طفل", "اتفاقيات", "بريد", "الإلكتروني",
         "ﻻ", "لا", "سلكي", "child", "children's", "Child", "sexual", "exploitation", "e", "mail", "e-mail",
         "U.S.", "policy", "policies", "alter", "ego", "Virtual", "Global", "Taskforce", "taskforces", "IT",
         "it", "s", "ا\u0654من", "\u200f"]
SEPARATORS = [" ", " ", " ", "  ", "\t", "-", "/", "، ", ". ", "(", ")", "\n", "'", ""]
dense_texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=30).map(
    lambda pairs: "".join(w + s for w, s in pairs))

GLOSSARY = termbase(*GLOSSARY_ROWS, ("us", [("U.S.", ())], None), ("ego", [("alter-ego", ())], None),
                    ("lam-alef", None, [("لا سلكي", ())]), ("it", [("IT", ())], None),
                    ("in-country", None, [("وفي بلد", ())]), ("country", None, [("بلد", ())]))


def python_line_key(line: str) -> str:
    keys = [render_chunk(split_chunk(chunk)) for chunk in line.split()]
    return " " + SEP.join(k for k in keys if k) + " "


def hits_of(matcher, text, accelerated, monkeypatch, languages=None):
    monkeypatch.setattr(matcher_module, "ACCELERATED", accelerated)
    return [(h.line, h.start, h.end, h.surface, sorted((e.concept_id, e.lang) for e in h.entries))
            for h in matcher.find_text(text, languages)]


@needs_c
@settings(max_examples=400, deadline=None)
@given(texts)
def test_c_keys_are_the_python_keys(text):
    keys, slow = matcher_module.c_line_keys(text)
    lines = text.split("\n")
    assert len(keys.split("\n")) == len(lines)
    for index, (line, key) in enumerate(zip(lines, keys.split("\n"))):
        if index not in slow:
            assert key == python_line_key(line), line


@needs_c
@settings(max_examples=500, deadline=None)
@given(st.one_of(texts, dense_texts))
def test_c_hits_are_the_python_hits(text):
    matcher = Matcher(GLOSSARY)
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert hits_of(matcher, text, True, monkeypatch) == hits_of(matcher, text, False, monkeypatch)
        for lang in ("ar", "en"):
            assert hits_of(matcher, text, True, monkeypatch, [lang]) == hits_of(matcher, text, False, monkeypatch, [lang])


@needs_c
def test_every_bmp_character_is_keyed_as_python_keys_it_or_left_to_python():
    """Each character inside an Arabic and a Latin word, at a word's edge and alone."""
    lines = []
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF or code == 0x0A:
            continue
        ch = chr(code)
        lines.append(f"ب{ch}علم x{ch}s {ch}والعلم cat{ch} {ch}")
    text = "\n".join(lines)
    keys, slow = matcher_module.c_line_keys(text)
    slow = set(slow)
    assert 0 < len(slow) < len(lines) // 10    # most characters map one by one
    for index, (line, key) in enumerate(zip(lines, keys.split("\n"))):
        if index not in slow:
            assert key == python_line_key(line), (hex(ord(line[1])), line)


@needs_c
@pytest.mark.parametrize("ch", ["\u0654", "\u0301", "\u03a3", "\U0001f600", "\ufdfa"])
def test_characters_that_do_not_map_one_by_one_go_to_python(ch):
    """A composing hamza, a combining accent, capital sigma (its lowercase depends on what follows),
    an astral emoji, a ligature that folds to several words."""
    _, slow = matcher_module.c_line_keys(f"first line\nب{ch}علم\nlast")
    assert slow == [1]


@needs_c
@pytest.mark.parametrize("line", ["ا\u0654من العلم", "U.S. policy and the U.S.", "e\u0301cole علم",
                                  "فرقة العمل العالمية الافتراضية ﷺ العلم"])
def test_lines_handed_back_still_get_their_hits(line, monkeypatch):
    matcher = Matcher(GLOSSARY)
    text = f"العلم\n{line}\nالعلم"
    c = hits_of(matcher, text, True, monkeypatch)
    assert c == hits_of(matcher, text, False, monkeypatch)
    assert [h[0] for h in c].count(1) == 1 and [h[0] for h in c].count(3) == 1


@needs_c
def test_blocks_keep_line_numbers_and_offsets(monkeypatch):
    """Text cut into many small blocks at line ends: the same hits, numbered by the whole text."""
    lines = [f"سطر {n} فيه العلم و children's e-mail" if n % 3 else "" for n in range(200)]
    lines[50] = "x" * 300 + " العلم"   # a line longer than a block
    text = "\n".join(lines)
    matcher = Matcher(GLOSSARY)
    whole = hits_of(matcher, text, True, monkeypatch)
    monkeypatch.setattr(matcher_module, "BLOCK", 64)
    assert hits_of(matcher, text, True, monkeypatch) == whole == hits_of(matcher, text, False, monkeypatch)
    assert {h[0] for h in whole} == {n + 1 for n in range(200) if n % 3} | {51}


@needs_c
def test_hits_are_hit_tuples(monkeypatch):
    monkeypatch.setattr(matcher_module, "ACCELERATED", True)
    hit = Matcher(GLOSSARY).find_line("هذا والعلم")[0]
    assert type(hit) is Hit and hit == (1, 4, 10, "والعلم", hit.entries) and hit.column == 5


@needs_c
def test_scan_refuses_bad_arguments():
    matcher = Matcher(GLOSSARY)
    matcher_module.c_line_keys("العلم")
    args = [matcher.automaton, matcher._key_lengths, matcher._key_seps, {}, lambda g, s: None]
    with pytest.raises(TypeError, match="tuple subclass"):
        keys_module.scan("العلم", *args, dict, 1)
    with pytest.raises(TypeError):
        keys_module.scan(b"bytes", *args, Hit, 1)
    with pytest.raises(ValueError, match="per character"):
        keys_module.learn("ab", b"\0", b"\0\0", b"")
    with pytest.raises(ValueError, match="out of range"):   # refused before the table in use is touched
        keys_module.learn("ع", b"\x09", b"\0", bytes(16))
    assert keys_module.keys("العلم")[0] == " علم "


@needs_c
def test_characters_are_learnt_once_when_first_met():
    unseen = "\u0d05\u0d06"   # Malayalam letters no other test uses
    first = keys_module.keys(unseen)
    if first[0] is None:
        assert sorted(first[1]) == sorted(unseen)
    assert matcher_module.c_line_keys(unseen) == (" " + unseen + " ", [])
    assert keys_module.keys(unseen)[0] is not None


def test_the_c_inner_loop_is_built_where_required():
    """CI sets TERMBASE_REQUIRE_C: there a failed build must fail the tests, not fall back silently."""
    if os.environ.get("TERMBASE_REQUIRE_C"):
        assert keys_module is not None


def test_char_entries():
    entry, m = matcher_module.char_entry, matcher_module
    assert entry("\u0654") == (m.CLASS_SLOW, "")            # hamza above composes with alef
    assert entry("\u064e") == (m.CLASS_WORD, "")            # fatha: deleted
    assert entry("أ") == (m.CLASS_WORD, "ا") and entry("ة") == (m.CLASS_WORD, "ه")
    assert entry("\ufefb") == (m.CLASS_WORD, "لا")           # lam-alef ligature
    assert entry("\u2019") == (m.CLASS_APOSTROPHE, "'") and entry("E") == (m.CLASS_WORD, "e")
    assert entry(" ")[0] == m.CLASS_SPACE and entry("-")[0] == m.CLASS_SOFT and entry("،")[0] == m.CLASS_BOUNDARY
    assert unicodedata.combining("\u0301") and entry("\u0301")[0] == m.CLASS_SLOW
    assert entry("\u0bbe")[0] == m.CLASS_SLOW               # Tamil vowel sign: composes, though not a mark


@needs_c
def test_the_corpus_gives_the_same_hits_on_both_paths(shared, monkeypatch):
    """The five corpus articles with the shipped glossary: hundreds of real hits, identical both ways."""
    from termbase.cli_common import load_termbase

    matcher = Matcher(load_termbase(Path(__file__).resolve().parents[1] / "glossary"))
    total = 0
    for path in sorted((shared / "corpus").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        c = hits_of(matcher, text, True, monkeypatch)
        assert c == hits_of(matcher, text, False, monkeypatch), path.name
        total += len(c)
    assert total > 300
