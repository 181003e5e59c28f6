"""The web glossary in headless Chromium, as a reader uses it (one browser session for the module).

Search (Arabic with diacritics and a clitic; English words from inside a longer term), the
keyboard through the results, a concept page, a cross-reference and back, the Arabic term's
computed direction and language, no console errors, axe-core, print.html printed to PDF and read
back with pdftotext, the Arabic order against ICU's, and screenshots in a temporary folder.
"""
from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.support.ui import WebDriverWait

from termbase.api import open as open_termbase
from termbase.site import build, collation
from browser import axe_violations, chromium, console_errors, http_server

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    build(open_termbase(ROOT / "glossary"), out, ROOT / "exports")
    return out


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    print(f"\nscreenshots: {folder}", file=sys.stderr)


@pytest.fixture(scope="module")
def served(built):
    with http_server(built) as url:
        yield url


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    session = chromium(tmp_path_factory.mktemp("profile"))
    session.set_script_timeout(180)
    yield session
    session.quit()


def results(driver) -> list[tuple[str, str]]:
    return [tuple(r) for r in driver.execute_script(
        "return [...document.querySelectorAll('#results [role=option]')].map(a => [a.dataset.concept || '', a.dataset.rank]);")]


def search_for(driver, text: str) -> list:
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(text)
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.getElementById('results').dataset.query") == text)
    return results(driver)


def test_search_keyboard_cross_reference_and_back(driver, built, shots):
    index = (built / "index.html").as_uri()                  # straight from the disk: file://
    driver.get(index)
    box = driver.find_element(By.ID, "q")
    assert box.get_attribute("type") == "search"
    listbox = driver.find_element(By.ID, box.get_attribute("aria-controls"))
    assert listbox.get_attribute("role") == "listbox"

    arabic = search_for(driver, "بالنَّشْرَة الخضراء")          # diacritics and the clitic بـ
    assert arabic[0] == ("green-notice", "normalized")
    driver.save_screenshot(str(shots / "search-arabic.png"))

    english = search_for(driver, "Global Taskforce")          # two words of "Virtual Global Taskforce"
    assert english[0] == ("virtual-global-taskforce", "words")
    assert len(english) > 3
    first = listbox.find_element(By.CSS_SELECTOR, "[role=option]")
    assert first.get_attribute("href").endswith("/c/virtual-global-taskforce.html")
    driver.save_screenshot(str(shots / "search-english.png"))

    box.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ARROW_UP)
    active = box.get_attribute("aria-activedescendant")
    assert active == "result-1"
    selected = driver.find_elements(By.CSS_SELECTOR, "#results [aria-selected=true]")
    assert [e.get_attribute("id") for e in selected] == ["result-1"]
    chosen = english[1][0]
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith(f"/c/{chosen}.html"))

    concept_page = driver.current_url
    xref = driver.find_element(By.CSS_SELECTOR, ".xrefs a")
    target = xref.get_attribute("href")
    xref.click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url == target)
    assert driver.find_element(By.CSS_SELECTOR, "h1").text
    driver.back()
    WebDriverWait(driver, 10).until(lambda d: d.current_url == concept_page)
    driver.back()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.startswith(index))
    assert driver.find_element(By.ID, "q").get_attribute("value") == "Global Taskforce"
    assert not console_errors(driver)


def test_the_search_box_of_other_pages_and_noscript(driver, built):
    driver.get((built / "c" / "interpol.html").as_uri())
    box = driver.find_element(By.ID, "q-mini")
    box.send_keys("للإنتربول", Keys.ENTER)                   # the form sends ?q= to index.html
    WebDriverWait(driver, 10).until(lambda d: "index.html?q=" in d.current_url)
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.getElementById('results').dataset.query") == "للإنتربول")
    assert results(driver)[0] == ("interpol", "normalized")
    assert "Search needs JavaScript" in (built / "index.html").read_text(encoding="utf-8").split("<noscript>")[1]
    assert not console_errors(driver)


def test_arabic_term_is_right_to_left_and_arabic(driver, built, shots):
    driver.get((built / "c" / "green-notice.html").as_uri())
    term = driver.find_element(By.CSS_SELECTOR, ".lang-ar .term-text strong")
    assert term.text == "النشرة الخضراء"
    direction, lang, font = driver.execute_script(
        "const e = arguments[0]; return [getComputedStyle(e).direction, e.closest('[lang]').lang,"
        " getComputedStyle(e).fontFamily];", term)
    assert (direction, lang) == ("rtl", "ar")
    assert "Arabic" in font
    english = driver.find_element(By.CSS_SELECTOR, ".lang-en .term-text strong")
    assert driver.execute_script("return getComputedStyle(arguments[0]).direction", english) == "ltr"
    latin_in_arabic = driver.execute_script(          # Latin inside Arabic text is isolated
        "return [...document.querySelectorAll('.lang-ar bdi')].map(b => getComputedStyle(b).unicodeBidi);")
    assert latin_in_arabic and set(latin_in_arabic) == {"isolate"}
    driver.save_screenshot(str(shots / "concept.png"))
    driver.get((built / "browse" / "ar-25.html").as_uri())
    driver.save_screenshot(str(shots / "browse-arabic.png"))
    assert not console_errors(driver)


@pytest.mark.parametrize("page", ["index.html", "c/green-notice.html", "print.html", "browse/ar-25.html", "about.html",
                                  "downloads.html"])
def test_axe_finds_nothing_serious(driver, served, page):
    driver.get(served + page)               # over HTTP: axe reads the stylesheets, which file:// forbids
    if page == "index.html":
        search_for(driver, "notice")
        driver.find_element(By.ID, "q").send_keys(Keys.ARROW_DOWN)
    assert axe_violations(driver, ("minor", "moderate", "serious", "critical")) == []   # none at all
    assert not console_errors(driver)


def test_print_to_pdf_keeps_the_arabic(driver, built, shots):
    driver.get((built / "print.html").as_uri())
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7
    pdf = shots / "print.pdf"
    pdf.write_bytes(base64.b64decode(driver.print_page(options)))
    assert shutil.which("pdftotext"), "pdftotext is needed: run ./setup.sh --test"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    text = unicodedata.normalize("NFKC", text)
    pages = text.count("\f")
    assert pages > 20
    for arabic in ("النشرة الخضراء", "الإنتربول", "الاستغلال الجنسي"):
        assert arabic in text, arabic
    assert "Green Notice" in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "2", "-l", "2", str(pdf), str(shots / "print-page")], check=False)


def test_arabic_order_is_icus(driver, built):
    """The Arabic A–Z pages list terms in ICU's Arabic order (article aside), each under its letter."""
    handle = open_termbase(ROOT / "glossary")
    terms = [row["ar"] for row in handle.summaries() if row["ar"]]
    ours = sorted(terms, key=collation.arabic_key)
    keys = [collation._unarticled(t.strip()) for t in ours]
    driver.get("about:blank")
    out_of_order, letters = driver.execute_script("""
const c = new Intl.Collator('ar', {sensitivity: 'base'}), keys = arguments[0], index = arguments[1], wrong = [];
for (let i = 1; i < keys.length; i++) if (c.compare(keys[i - 1], keys[i]) > 0) wrong.push([keys[i - 1], keys[i]]);
const letter = k => { let found = '#'; for (const l of index) if (c.compare(l, k.slice(0, 1)) <= 0) found = l; return found; };
return [wrong, keys.map(k => /^[\\u0600-\\u06ff]/.test(k) ? letter(k) : '#')];
""", keys, collation.AR_INDEX)
    assert not out_of_order, out_of_order[:5]
    assert letters == [collation.arabic_letter(t) for t in ours]


def test_hostile_strings_show_as_text(driver, tmp_path):
    from test_site import HOSTILE, hostile_glossary

    out = tmp_path / "site"
    build(open_termbase(hostile_glossary(tmp_path / "glossary")), out)
    driver.get((out / "c" / "hostile.html").as_uri())
    time.sleep(0.2)
    body = driver.find_element(By.TAG_NAME, "body").text
    assert '<script>alert("x")</script>' in body and "onerror=alert(1)" in body
    assert driver.execute_script("return document.querySelectorAll('img, svg, b').length") == 0
    driver.get((out / "index.html").as_uri())
    hits = search_for(driver, "Bold term")
    assert hits[0][0] == "hostile"
    assert "<b>Bold</b> term" in driver.find_element(By.ID, "results").text
    assert not console_errors(driver)
