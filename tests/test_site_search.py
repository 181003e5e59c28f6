"""The web glossary's search script against Python, in headless Chromium (one session for the module).

docs/search.md is the one specification; src/termbase/search.py, matcher.py and arabic.py are its
reference implementation, and src/termbase/site/static/search.js must agree with them: on random
text (words, normalization, match keys, clitic stems, accepted forms, each word's full-text keys
and prefixes, the exact-match spelling)
and, over the built site's sharded index, on the results of a query set.
"""
from __future__ import annotations

import random
import sys
import unicodedata
from pathlib import Path

import pytest

from termbase.api import open as open_termbase
from termbase import arabic, matcher, search, site
from browser import chromium, http_server

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "tests" / "data" / "site" / "queries.txt"
LEAD_QUERIES = ROOT / "tests" / "search_queries.tsv"      # the CLI's own query set, when present


def assigned(code: int) -> bool:
    return unicodedata.category(chr(code)) not in ("Cn", "Cs", "Co")


ARABIC_BLOCKS = [c for lo, hi in [(0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
                                  (0xFE70, 0xFEFF)] for c in range(lo, hi + 1) if assigned(c)]
POOLS = {
    "arabic letter": [chr(c) for c in range(0x0621, 0x064B)] + list("ٱپچژکگیۀە"),
    "diacritic": [chr(c) for c in range(0x064B, 0x0660)] + ["\u0670", "\u0640"],
    "presentation form": [chr(c) for c in ARABIC_BLOCKS if c >= 0xFB50],
    "any arabic": [chr(c) for c in ARABIC_BLOCKS],
    "bidi and invisible": list("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
                               "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"),
    "punctuation": list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~،؛؟٪«»‐‑–—‘’“”…·•"),
    "latin": list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") + list("éÉüÜßẞİıΣσςµſﬁǅ"),
    "digit": list("0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹½²"),
    "space": [chr(c) for c in range(0x110000) if chr(c).isspace()],
    "other script": list("ΑΒΓαβγАБВабв中文字ひらがなカタカナעברית한국어ক্ষ\U0001d400\U0001f600"),
    "clitic or suffix": ["وال", "بال", "لل", "فب", "ات", "ون", "ين", "ان", "ة", "'s", "ies", "es", "s'", "U.S.", "e.g."],
}
WEIGHTS = {"arabic letter": 30, "diacritic": 8, "presentation form": 5, "any arabic": 4, "bidi and invisible": 4,
           "punctuation": 6, "latin": 18, "digit": 4, "space": 10, "other script": 3, "clitic or suffix": 8}


def random_strings(count: int, seed: int = 14) -> list[str]:
    rng = random.Random(seed)
    names = list(WEIGHTS)
    weights = [WEIGHTS[n] for n in names]
    out = []
    for _ in range(count):
        pools = rng.choices(names, weights, k=rng.randint(1, 18))
        out.append("".join(rng.choice(POOLS[p]) for p in pools))
    return out


def every_arabic_character() -> list[str]:
    """Each Arabic letter, diacritic and presentation form alone, after a letter, and inside a word."""
    out = []
    for c in ARABIC_BLOCKS:
        ch = chr(c)
        out += [ch, "ب" + ch, "وال" + ch + "ات", ch + " " + ch]
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    site.build(open_termbase(ROOT / "glossary"), out, ROOT / "exports")
    return out


@pytest.fixture(scope="module")
def page(built, tmp_path_factory):
    driver = chromium(tmp_path_factory.mktemp("profile"))
    driver.set_script_timeout(300)
    with http_server(built) as url:
        driver.get(url + "index.html")
        driver.execute_async_script("TermbaseSearch.ready().then(() => arguments[arguments.length - 1](1));")
        yield driver
    driver.quit()


def python_analysis(text: str) -> dict:
    ws = search.words(text)
    return {"words": list(ws), "fold": search.fold(text),
            "keys": [matcher.token_key(w) for w in ws],
            "keysets": [sorted(matcher.token_keys(w)) for w in ws],
            "forms": [sorted(matcher.accepted_forms(w)) for w in ws],
            "stems": [list(arabic.strip_clitics(w)) for w in ws],
            "documents": [sorted(set(search.surface_keys((w,)).split())) for w in ws],
            "prefixes": [sorted(search.prefix_keys(w)) for w in ws],
            "normalized": arabic.normalize_word(text)}


JS_ANALYSIS = """
const A = TermbaseSearch.analysis, out = [];
for (const text of arguments[0]) {
  const ws = A.words(text);
  out.push({words: ws, fold: A.fold(text), keys: ws.map(A.tokenKey),
            keysets: ws.map(w => [...A.tokenKeys(w)].sort(cmp)), forms: ws.map(w => [...A.acceptedForms(w)].sort(cmp)),
            stems: ws.map(A.stripClitics), documents: ws.map(w => [...A.wordDocKeys(w)].sort(cmp)),
            prefixes: ws.map(w => A.prefixKeys(w).sort(cmp)), normalized: A.normalizeWord(text)});
}
function cmp(a, b) { const x = [...a], y = [...b];
  for (let i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i].codePointAt(0) - y[i].codePointAt(0);
  return x.length - y.length; }
return out;
"""


def compare(page, texts: list[str]) -> list:
    got = []
    for start in range(0, len(texts), 2000):
        got += page.execute_script(JS_ANALYSIS, texts[start:start + 2000])
    return [(text, field, expected[field], mine[field]) for text, mine in zip(texts, got)
            for expected in [python_analysis(text)] for field in expected if expected[field] != mine[field]]


def test_random_text_is_analysed_alike(page):
    texts = random_strings(12_000)
    assert len(set(texts)) > 10_000
    assert sum(bool(search.words(t)) for t in texts) > 9_000
    differences = compare(page, texts)
    assert not differences, differences[:10]


def test_every_arabic_character_is_analysed_alike(page):
    texts = every_arabic_character()
    assert len(texts) > 4 * 1000
    differences = compare(page, texts)
    assert not differences, differences[:10]


def test_rounding_is_pythons(page):
    values = [0.0625, 6.25, -3.75, 12.5, 1 / 3, 2.675, 100.0, 66.66666666666667, 0.0005, 1e-7, 123.4565]
    got = page.execute_script("return arguments[0].map(x => [TermbaseSearch.analysis.pyRound(x, 1), "
                              "TermbaseSearch.analysis.pyRound(x, 3)]);", values)
    assert got == [[round(v, 1), round(v, 3)] for v in values]


def queries() -> list[str]:
    found = [line.strip() for line in QUERIES.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    if LEAD_QUERIES.exists():
        for line in LEAD_QUERIES.read_text(encoding="utf-8").splitlines():
            query = line.split("\t")[0].strip()
            if query and not line.startswith("#") and query not in found and query.lower() != "query":
                found.append(query)
    return found


@pytest.mark.parametrize("few_definitions", [64, 0, 10**9])    # the page's default, then each way alone
def test_the_query_set_ranks_as_termbase_search(page, few_definitions):
    handle = open_termbase(ROOT / "glossary")
    asked = queries()
    assert len(asked) >= 50
    got = page.execute_async_script("""
const done = arguments[arguments.length - 1];
TermbaseSearch.settings.fewDefinitions = arguments[1];
(async () => { const out = [];
  for (const q of arguments[0]) out.push((await TermbaseSearch.search(q, 20)).map(h => [h.concept, h.rank, h.score]));
  return out; })().then(done, e => done(String(e)));""", asked, few_definitions)
    assert isinstance(got, list), got
    order = sorted(row["id"] for row in handle.summaries())
    tops = fulls = 0
    mismatched = []
    for query, mine in zip(asked, got):
        expected = [(h.concept_id, h.rank, h.score) for h in handle.search(query, 20)]
        mine = [(order[c], rank, score) for c, rank, score in mine]
        tops += bool(expected) == bool(mine) and (not expected or expected[0] == mine[0])
        fulls += expected == mine
        if expected != mine:
            mismatched.append((query, expected[:3], mine[:3]))
    print(f"{len(asked)} queries: top result equal for {tops}, whole list equal for {fulls}", file=sys.stderr)
    assert tops == len(asked), mismatched
    assert fulls == len(asked), mismatched


def dense_termbase(count: int):
    """`count` concepts whose English terms all hold `child protection`, all five words long, and
    one concept whose term is only three words long."""
    from termbase.model import AdministrativeStatus, Concept, LangSection, Term, Termbase, TermType

    termbase = Termbase(title="dense", languages=["en", "ar"])
    for n in range(count):
        termbase.add(Concept(f"unit-{n}", languages={"en": LangSection("en", terms=[
            Term(f"International Child Protection Unit {n}", TermType.FULL_FORM, AdministrativeStatus.PREFERRED),
            Term(f"Child Protection Unit Number {n}", TermType.VARIANT, AdministrativeStatus.ADMITTED)])}))
    termbase.add(Concept("cp", languages={"en": LangSection("en", terms=[
        Term("child protection service", TermType.FULL_FORM, AdministrativeStatus.PREFERRED)])}))
    return termbase


def test_a_query_in_every_term_fetches_a_few_files_and_ranks_as_termbase_search(tmp_path):
    """`child protection` is in every term of 3,000 concepts. As `termbase search`, the page
    verifies the candidates fewest words first in tie order, and once it has `limit` concepts at
    most limit × CANDIDATES more: it reads the first page of the rarest word's postings and the
    surface files of those candidates (side by side in the numbering), not every surface."""
    handle = open_termbase(dense_termbase(3000))
    out = tmp_path / "site"
    site.build(handle, out)
    queries = ["child protection", "child protection unit", "protect child", "chld protecton 17", "unit 2999"]
    driver = chromium(tmp_path / "profile")
    driver.set_script_timeout(120)
    try:
        with http_server(out) as url:
            fetched, results = [], []
            for query in queries:
                driver.get(url + "index.html")
                got = driver.execute_async_script("""
const done = arguments[arguments.length - 1];
TermbaseSearch.ready().then(async () => {
  const before = performance.getEntriesByType("resource").length;
  const hits = await TermbaseSearch.search(arguments[0], 20);
  const files = performance.getEntriesByType("resource").slice(before).map(e => e.name.split("/search/")[1]);
  done([hits.map(h => [h.concept, h.rank, h.score]), files]);
}, e => done(String(e)));""", query)
                assert isinstance(got, list), got
                results.append(got[0])
                fetched.append(got[1])
    finally:
        driver.quit()
    order = sorted(row["id"] for row in handle.summaries())
    for query, mine, files in zip(queries, results, fetched):
        expected = [(h.concept_id, h.rank, h.score) for h in handle.search(query, 20)]
        assert [(order[c], rank, score) for c, rank, score in mine] == expected, query
        assert len(expected) == 20 or query == "unit 2999", (query, expected)
        dense = query in ("child protection", "child protection unit", "protect child")
        assert len(files) <= (8 if dense else 16), (query, files)      # before: 51-53 for the dense ones
