"""Term recognition over hand-annotated Arabic and English texts: every [[marked]] span and nothing else."""
import re
from pathlib import Path

import pytest

from termbase import matcher as matcher_module
from termbase.matcher import Matcher, exact_spelling, token_matches
from termbase.model import AdministrativeStatus, Concept, LangSection, Term, Termbase

DATA = Path(__file__).parent / "data" / "find"
PATHS = ["c", "python"] if matcher_module._keys is not None else ["python"]


@pytest.fixture(autouse=True, params=PATHS)
def recognition_path(request, monkeypatch):
    """Every test here runs on the C inner loop (`termbase._keys`) and on the pure-Python path."""
    monkeypatch.setattr(matcher_module, "ACCELERATED", request.param == "c")
    return request.param


def termbase(*concepts) -> Termbase:
    tb = Termbase()
    for concept_id, en, ar in concepts:
        languages = {}
        if en:
            languages["en"] = LangSection("en", terms=[Term(t, status=AdministrativeStatus.PREFERRED if i == 0 else None, forms=list(f))
                                                       for i, (t, f) in enumerate(en)])
        if ar:
            languages["ar"] = LangSection("ar", terms=[Term(t, status=AdministrativeStatus.PREFERRED if i == 0 else None, forms=list(f))
                                                       for i, (t, f) in enumerate(ar)])
        tb.add(Concept(concept_id, languages=languages))
    return tb


GLOSSARY_ROWS = (
    ("database", [("database", ())], [("قاعدة بيانات", ("قواعد بيانات",))]),
    ("science", [("science", ())], [("علم", ())]),
    ("child", [("child", ("children",))], [("طفل", ("أطفال",))]),
    ("child-sexual-exploitation", [("child sexual exploitation", ())], [("استغلال جنسي للأطفال", ())]),
    ("agreement", [("agreement", ())], [("اتفاقية", ())]),
    ("vgt", [("Virtual Global Taskforce", ())], [("فرقة العمل العالمية الافتراضية", ())]),
    ("taskforce", [("taskforce", ())], None),
    ("e-mail", [("e-mail", ())], [("بريد إلكتروني", ())]),
    ("policy", [("policy", ())], None),
)
GLOSSARY = termbase(*GLOSSARY_ROWS)


def annotated(name):
    """The fixture text without [[ ]] marks, and the expected (line, column, surface) of each mark."""
    expected, lines = set(), []
    for number, marked in enumerate((DATA / name).read_text(encoding="utf-8").splitlines(), 1):
        plain, offset = "", 0
        for match in re.finditer(r"\[\[(.+?)\]\]", marked):
            plain += marked[offset:match.start()]
            expected.add((number, len(plain) + 1, match.group(1)))
            plain += match.group(1)
            offset = match.end()
        lines.append(plain + marked[offset:])
    return "\n".join(lines), expected


@pytest.mark.parametrize("name,lang", [("ar.txt", "ar"), ("en.txt", "en")])
def test_every_marked_occurrence_and_nothing_else(name, lang):
    text, expected = annotated(name)
    found = {(h.line, h.column, h.surface) for h in Matcher(GLOSSARY).find_text(text, [lang])}
    assert found == expected


def test_hits_name_their_concepts():
    hits = Matcher(GLOSSARY).find_line("في [[الاستغلال الجنسي للأطفال]]".replace("[[", "").replace("]]", ""))
    assert [[e.concept_id for e in h.entries] for h in hits] == [["child-sexual-exploitation"]]


@pytest.mark.parametrize("word", ["معلم", "المعلم", "علماء", "وعالم", "تعلم", "معلمون"])
def test_letters_of_a_term_without_a_clitic_boundary_do_not_match(word):
    assert Matcher(GLOSSARY).find_line(f"هذا {word} هنا") == []


@pytest.mark.parametrize("word", ["علم", "العلم", "والعلم", "فالعلم", "بالعلم", "وبالعلم", "للعلم", "فللعلم", "كالعلم", "عِلْمٌ"])
def test_clitic_chains_and_diacritics_match(word):
    hits = Matcher(GLOSSARY).find_line(f"هذا {word} هنا")
    assert [(h.surface, h.entries[0].concept_id) for h in hits] == [(word, "science")]


def test_longest_match_wins_and_shorter_overlaps_are_not_reported():
    hits = Matcher(GLOSSARY).find_line("the Virtual Global Taskforce")
    assert [(h.surface, [e.concept_id for e in h.entries]) for h in hits] == [("Virtual Global Taskforce", ["vgt"])]


def test_terms_do_not_match_across_punctuation():
    assert Matcher(GLOSSARY).find_line("قاعدة، بيانات") == []
    assert Matcher(GLOSSARY).find_line("e. mail") == []


def test_token_matches_is_the_clitic_grammar():
    assert token_matches("وبالعلم", "علم")
    assert not token_matches("معلم", "علم")
    assert token_matches("اتفاقيات", "اتفاقيه")


def test_exact_spelling_tells_separators_apart():
    assert exact_spelling("alter-ego", "alter-ego")
    assert not exact_spelling("alter ego", "alter-ego")
    assert exact_spelling("وقواعد البيانات", "قواعد بيانات")


def test_empty_termbase_and_empty_text():
    assert Matcher(Termbase()).find_line("anything") == []
    assert list(Matcher(GLOSSARY).find_text("")) == []


def test_cache_clearing_keeps_results(monkeypatch):
    monkeypatch.setattr(matcher_module, "CACHE_LIMIT", 2)
    text, expected = annotated("ar.txt")
    found = {(h.line, h.column, h.surface) for h in Matcher(GLOSSARY).find_text(text, ["ar"])}
    assert found == expected


TRICKY_LINES = [
    "قاعدة البيانات، وقواعد البيانات - البريد الإلكتروني",
    "  العلم  وبالعلم\tللعلم ",
    "الثاني/نوفمبر (العلم) e-mail, e mail; alter-ego",
    "فرقة العمل العالمية الافتراضية/العلم؛ U.S. policy, U.S.policy",
    "child sexual exploitation - children's - the Virtual Global Taskforce.",
    "الاستغلال الجنسي - للأطفال الأطفال، وللأطفال",
]


@pytest.mark.parametrize("line", TRICKY_LINES)
def test_fast_path_finds_what_the_token_path_finds(line):
    """The chunk-counting fast path and the token-by-token path agree on spacing, dashes, punctuation."""
    glossary = termbase(*GLOSSARY_ROWS, ("us", [("U.S.", ())], None), ("usp", [("U.S. policy", ())], None),
                        ("ego", [("alter-ego", ())], None))
    matcher = Matcher(glossary)
    fast = [(h.start, h.end, h.surface, [e.concept_id for e in h.entries]) for h in matcher.find_line(line)]
    slow = [(h.start, h.end, h.surface, [e.concept_id for e in h.entries]) for h in matcher._find_slow(line, None, 1)]
    assert fast == slow
    assert fast   # every tricky line holds a term


def test_a_failed_longest_key_falls_back_locally():
    """Lossy keys: `في` and the clitic-bearing term token `وفي` share a key, so the longest key fails
    verification; the longest verified key at the same start wins, or the scan moves on a word."""
    glossary = termbase(("science", None, [("علم", ())]), ("science-in", None, [("علم وفي", ())]),
                        ("in-country", None, [("وفي بلد", ())]), ("country", None, [("بلد", ())]))
    matcher = Matcher(glossary)
    for line, expected in [("العلم في بلد", [("العلم", "science"), ("بلد", "country")]),
                           ("في بلد وفي بلد ثم العلم وفي", [("بلد", "country"), ("وفي بلد", "in-country"),
                                                          ("العلم وفي", "science-in")])]:
        fast = [(h.surface, [e.concept_id for e in h.entries]) for h in matcher.find_line(line)]
        slow = [(h.surface, [e.concept_id for e in h.entries]) for h in matcher._find_slow(line, None, 1)]
        assert fast == slow == [(s, [c]) for s, c in expected]
