"""`termbase site`: the pages it writes, crawled and parsed (no browser; see test_site_browser.py)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from termbase import glossary
from termbase.api import open as open_termbase
from termbase.cli import main
from termbase.model import AdministrativeStatus, Concept, LangSection, Source, Term, Termbase, TermType
from termbase.site import collation, writer

ROOT = Path(__file__).resolve().parents[1]
RESOURCE_ATTRIBUTES = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"),
                       ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data"), ("track", "src")}


class Page(HTMLParser):
    """The links, resources, ids, tags and attributes of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.resources, self.ids, self.tags, self.text = [], [], set(), [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for name, value in attrs:
            if value is None:
                continue
            if (tag, name) in RESOURCE_ATTRIBUTES and not (tag == "link" and attributes.get("rel") == "alternate"):
                self.resources.append(value)
            elif name in ("href", "src", "action", "data", "poster", "srcset"):
                self.links.append((tag, value, attributes.get("rel", "")))

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    result = CliRunner().invoke(main, ["site", "-g", str(ROOT / "glossary"), "-o", str(out),
                                       "--exports", str(ROOT / "exports")])
    assert result.exit_code == 0, result.output
    return out


def test_one_page_and_one_json_file_per_concept(built):
    ids = {row["id"] for row in open_termbase(ROOT / "glossary").summaries()}
    assert len(ids) > 100
    assert {p.stem for p in (built / "c").glob("*.html")} == ids
    assert {p.stem for p in (built / "c").glob("*.json")} == ids


def test_crawl_every_page_no_broken_link_no_external_resource(built):
    crawl(built, at_least=150)


def test_crawl_a_site_whose_lists_take_several_pages(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from glossary import synthetic

    glossary.write(synthetic(40), tmp_path / "glossary")
    monkeypatch.setattr(writer, "PAGE_SIZE", 7)
    out = tmp_path / "site"
    writer.build(open_termbase(tmp_path / "glossary"), out)
    assert (out / "browse" / "en-i-6.html").is_file() and (out / "subjects" / "organisations-6.html").is_file()
    crawl(out, at_least=40)


def crawl(built: Path, at_least: int) -> None:
    pages = {p: parse(p) for p in built.rglob("*.html")}
    assert len(pages) > at_least
    broken, external, unreachable = [], [], set(pages)
    queue, seen = [built / "index.html"], set()
    while queue:                                  # everything is reachable from index.html
        path = queue.pop()
        if path in seen or path.suffix != ".html":
            continue
        seen.add(path)
        unreachable.discard(path)
        for tag, href, rel in pages[path].links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//"):
                if tag != "a" or parts.scheme not in ("http", "https") or "noopener" not in rel:
                    external.append((path.name, tag, href))
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file():
                broken.append((str(path.relative_to(built)), href))
                continue
            if parts.fragment and target.suffix == ".html" and parts.fragment not in pages[target].ids:
                broken.append((str(path.relative_to(built)), href))
            queue.append(target)
        for resource in pages[path].resources:
            parts = urlsplit(resource)
            if parts.scheme or resource.startswith("//") or resource.startswith("/"):
                external.append((path.name, resource))
            elif not (path.parent / unquote(parts.path)).is_file():
                broken.append((str(path.relative_to(built)), resource))
    assert not broken, broken[:10]
    assert not external, external[:10]
    assert not {p for p in unreachable if p.name != "index.html"}, sorted(map(str, unreachable))[:5]
    # and nothing in the scripts or styles asks another host for anything
    for path in list(built.rglob("*.css")) + list(built.rglob("static/*.js")):
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", path.read_text(encoding="utf-8")), path


def test_concept_page_shows_both_languages_and_links_the_sources(built):
    page = (built / "c" / "green-notice.html").read_text(encoding="utf-8")
    parsed = parse(built / "c" / "green-notice.html")
    sections = [attrs for tag, attrs in parsed.tags if tag == "section" and "lang" in attrs]
    assert {(s["lang"], s["dir"]) for s in sections} >= {("en", "ltr"), ("ar", "rtl")}
    assert "النشرة الخضراء" in page and "Green Notice" in page
    assert 'href="../about.html#src-000_8d48ad76fde47cfa"' in page      # the context's document
    assert 'href="../c/yellow-notice.html"' in page                   # a cross-reference
    about = parse(built / "about.html")
    assert {f"src-{s.id}" for s in open_termbase(ROOT / "glossary").header.sources} <= about.ids
    assert "INTERPOL" in "".join(about.text) and "2011-09-09" in "".join(about.text)


def test_deprecated_terms_are_struck_through_and_point_to_the_preferred_term(built):
    handle = open_termbase(ROOT / "glossary")
    concept = next(c for c in handle.concepts()
                   if any(t.status is AdministrativeStatus.DEPRECATED for _, t in c.terms()))
    page = (built / "c" / f"{concept.id}.html").read_text(encoding="utf-8")
    tag, term = next((tag, t) for tag, t in concept.terms() if t.status is AdministrativeStatus.DEPRECATED)
    preferred = concept.languages[tag].preferred()
    escaped = str(writer.escape(term.text))
    assert f"<s>{escaped}</s>" in page
    assert re.search(r'class="use-instead">[^<]*<a href="#t-[^"]+"><bdi>' + re.escape(str(writer.escape(preferred.text))), page)


def test_concept_json_is_what_show_json_prints(built):
    for concept_id in ("green-notice", "interpol", "i-24-7"):
        shown = CliRunner().invoke(main, ["show", concept_id, "--json", "-g", str(ROOT / "glossary")])
        assert shown.exit_code == 0
        assert json.loads((built / "c" / f"{concept_id}.json").read_text(encoding="utf-8")) == json.loads(shown.stdout)


def test_downloads_page_copies_every_export_and_carries_the_readme_table(built):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| `exports/termbase.tbx`")[0].rsplit("| file | format | for |", 1)[1]
    rows = []
    for line in ("| `exports/termbase.tbx`" + readme.split("| `exports/termbase.tbx`", 1)[1]).splitlines():
        if not line.startswith("| `exports/"):
            break
        files, format_text, use = [cell.strip() for cell in line.strip("|").split(" | ")]
        rows.append((re.findall(r"`exports/([^`]+)`", files), format_text, use))
    assert table.strip().startswith("| --- |")
    assert rows == [(files, format_text, use) for files, format_text, use in writer.DOWNLOADS]
    page = parse(built / "downloads.html")
    linked = {href for tag, href, _ in page.links if href.startswith("downloads/")}
    exported = {p.name for p in (ROOT / "exports").iterdir()}
    assert linked == {f"downloads/{name}" for name in exported}
    for name in exported:
        assert (built / "downloads" / name).read_bytes() == (ROOT / "exports" / name).read_bytes()


def test_a_missing_exports_folder_lists_the_files_unlinked(tmp_path, glossary_copy):
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["site", "-g", str(glossary_copy), "-o", str(out), "--exports", str(tmp_path / "none")])
    assert result.exit_code == 0, result.output
    page = (out / "downloads.html").read_text(encoding="utf-8")
    assert "not exported yet" in page and not (out / "downloads").exists()


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def hostile_glossary(root: Path) -> Path:
    termbase = Termbase(title='Title <script>alert(2)</script>', subject_fields={"legal": "<b>bold</b>"},
                        sources=[Source("doc1", "<i>title</i>", "2020", "pub<script>", "javascript:alert(3)")])
    termbase.add(Concept("hostile", ["legal"], note=HOSTILE, external_references=["javascript:alert(4)", "https://example.org/?a=<b>"],
                         sources=["doc1"], cross_references=["other"],
                         languages={"en": LangSection("en", HOSTILE, "<u>source</u>", terms=[
                             Term("<b>Bold</b> term", TermType.FULL_FORM, AdministrativeStatus.PREFERRED, context=HOSTILE,
                                  context_source="doc1", forms=["<svg onload=alert(5)>"]),
                             Term("old <em>term</em>", TermType.VARIANT, AdministrativeStatus.DEPRECATED)]),
                             "ar": LangSection("ar", "تعريف <script>alert(6)</script>", terms=[
                                 Term("مصطلح <b>غامق</b>", TermType.FULL_FORM, AdministrativeStatus.PREFERRED)])}))
    termbase.add(Concept("other", languages={"en": LangSection("en", terms=[Term("Other", status=AdministrativeStatus.PREFERRED)])}))
    glossary.write(termbase, root)
    return root


def test_every_glossary_string_is_escaped(tmp_path):
    root = hostile_glossary(tmp_path / "glossary")
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["site", "-g", str(root), "-o", str(out), "--exports", str(tmp_path / "none")])
    assert result.exit_code == 0, result.output
    for path in out.rglob("*.html"):
        page = parse(path)
        scripts = [attrs.get("src") for tag, attrs in page.tags if tag == "script"]
        assert all(src and src.endswith("static/search.js") for src in scripts), (path, scripts)
        for tag, attrs in page.tags:
            assert not any(name.startswith("on") for name in attrs), (path, tag, attrs)
            assert tag not in ("img", "svg", "b", "i", "u", "em"), (path, tag)
            for name in ("href", "src"):
                assert not (attrs.get(name) or "").lower().startswith("javascript:"), (path, tag, attrs)
    text = "".join(parse(out / "c" / "hostile.html").text)
    assert HOSTILE in text and "<b>Bold</b> term" in text and "<svg onload=alert(5)>" in text
    assert "Title <script>alert(2)</script>" in "".join(parse(out / "index.html").text)


def test_it_refuses_to_replace_a_folder_that_is_not_a_site(tmp_path, glossary_copy):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    result = CliRunner().invoke(main, ["site", "-g", str(glossary_copy), "-o", str(out)])
    assert result.exit_code == 2 and "not a termbase site" in result.output
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert not list(tmp_path.glob(".precious*"))
    fresh = tmp_path / "fresh"
    for _ in range(2):                         # a site is rebuilt in place
        assert CliRunner().invoke(main, ["site", "-g", str(glossary_copy), "-o", str(fresh)]).exit_code == 0
    assert (fresh / "index.html").is_file() and not list(tmp_path.glob(".fresh*"))


def test_a_bad_glossary_is_an_error_naming_the_file(tmp_path):
    result = CliRunner().invoke(main, ["site", "-g", str(tmp_path / "nothing"), "-o", str(tmp_path / "s")])
    assert result.exit_code == 2 and "no such glossary" in result.output
    root = hostile_glossary(tmp_path / "g")
    (root / "concepts" / "other.yaml").write_text("id: other\nlanguages: [", encoding="utf-8")
    result = CliRunner().invoke(main, ["site", "-g", str(root), "-o", str(tmp_path / "s")])
    assert result.exit_code == 1 and "other.yaml:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "s").exists()


def test_a_tbx_file_is_published_too(tmp_path):
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["site", "-g", str(ROOT / "exports" / "termbase.tbx"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "c" / "green-notice.html").is_file() and (out / "search" / "index.js").is_file()


def test_serve_previews_the_site_on_localhost(tmp_path, glossary_copy):
    out = tmp_path / "site"
    process = subprocess.Popen([sys.executable, "-m", "termbase.cli", "site", "-g", str(glossary_copy), "-o", str(out),
                                "--serve", "--port", "0"], stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        url = None
        deadline = time.time() + 60
        while url is None and time.time() < deadline:
            line = process.stderr.readline()
            found = re.search(r"serving .* at (http://127\.0\.0\.1:\d+/)", line)
            url = found.group(1) if found else None
        assert url, "no address announced"
        with urllib.request.urlopen(url + "c/green-notice.html", timeout=10) as response:
            assert response.status == 200 and "النشرة الخضراء" in response.read().decode("utf-8")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("term, letter", [("النشرة الخضراء", "ن"), ("الإنتربول", "ا"), ("للأطفال", "ا"),
                                          ("آمن", "ا"), ("ةبة", "ت"), ("ىى", "ي"), ("پاي", "ب"), ("ICSE", "#"),
                                          ("وزارة", "و"), ("ال", "ا")])
def test_arabic_letters_follow_the_cldr_index(term, letter):
    assert collation.arabic_letter(term) == letter


def test_arabic_order_sets_the_article_and_diacritics_aside():
    terms = ["النشرة الصفراء", "نشرة", "بيت", "بَيت", "الإنتربول", "أمن", "ثقة", "تقرير", "ءامن"]
    assert sorted(terms, key=collation.arabic_key) == ["ءامن", "أمن", "الإنتربول", "بيت", "بَيت", "تقرير", "ثقة",
                                                      "نشرة", "النشرة الصفراء"]
    assert collation.english_letter("#WePROTECT") == "W" and collation.english_letter("2010 Conference") == "#"
    assert sorted(["Eb", "éa", "b", "Ea"], key=collation.english_key) == ["b", "Ea", "éa", "Eb"]


def test_no_character_past_the_casefold_scan_has_a_case():
    from termbase.site import searchdata

    assert all(chr(c).casefold() == chr(c).lower() == chr(c) for c in range(searchdata.CASED_END, 0x110000))
    assert searchdata.casefold_table()["ß"] == "ss" and searchdata.casefold_table()["ς"] == "σ"


def test_worker_processes_write_the_same_site(tmp_path, monkeypatch, glossary_copy):
    """With workers, three processes share the build; the site is byte for byte the same."""
    handle = open_termbase(glossary_copy)
    monkeypatch.delenv("TERMBASE_NO_WORKERS", raising=False)
    monkeypatch.setattr(writer, "_worth_workers", lambda count: True)
    writer.build(handle, tmp_path / "shared", ROOT / "exports")
    monkeypatch.setattr(writer, "_worth_workers", lambda count: False)
    writer.build(handle, tmp_path / "alone", ROOT / "exports")
    shared = {p.relative_to(tmp_path / "shared"): p.read_bytes() for p in (tmp_path / "shared").rglob("*") if p.is_file()}
    alone = {p.relative_to(tmp_path / "alone"): p.read_bytes() for p in (tmp_path / "alone").rglob("*") if p.is_file()}
    assert len(shared) > 250 and shared.keys() == alone.keys()
    assert [name for name in shared if shared[name] != alone[name]] == []
