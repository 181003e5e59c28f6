"""`termbase import` and `termbase diff`: new, updated, ambiguous, dry run, failures change nothing."""
import json

import pytest
from pathlib import Path

from termbase import formats, glossary, validate
from cli_helpers import run, snapshot
from termbase.model import AdministrativeStatus, Concept, LangSection, Term, Termbase

ROOT = Path(__file__).resolve().parents[1]


def concept(cid, en, ar, definition=""):
    return Concept(cid, languages={
        "en": LangSection("en", definition, terms=[Term(en, status=AdministrativeStatus.PREFERRED)]),
        "ar": LangSection("ar", terms=[Term(ar, status=AdministrativeStatus.PREFERRED)])})


def tbx_file(tmp_path, *concepts, fmt="tbx") -> Path:
    termbase = Termbase()
    for c in concepts:
        termbase.add(c)
    path = tmp_path / ("in.tbx" if fmt == "tbx" else f"in.{fmt}")
    formats.write_file(termbase, path, fmt)
    return path


def test_import_new_concept(glossary_copy, tmp_path):
    path = tbx_file(tmp_path, concept("red-notice", "Red Notice", "النشرة الحمراء", "An INTERPOL alert seeking arrest."))
    result = run("import", path, "-g", glossary_copy)
    assert "red-notice: concept: added 'Red Notice'" in result.stdout
    assert glossary.read(glossary_copy).concepts["red-notice"].languages["ar"].terms[0].text == "النشرة الحمراء"


def test_import_updates_a_field_matched_by_preferred_term(glossary_copy, tmp_path):
    green = glossary.read(glossary_copy).concepts["green-notice"]
    en = green.preferred_term("en").text
    ar = green.preferred_term("ar").text
    path = tbx_file(tmp_path, concept("some-other-id", en, ar, "A changed definition."))
    result = run("import", path, "-g", glossary_copy, "--json")
    report = json.loads(result.stdout)
    assert report["updated"] == ["green-notice"]
    assert {"concept_id": "green-notice", "field": "en.definition", "kind": "changed",
            "old": green.languages["en"].definition, "new": "A changed definition."} in report["changes"]
    after = glossary.read(glossary_copy).concepts["green-notice"]
    assert after.languages["en"].definition == "A changed definition."
    assert after.languages["ar"].definition == green.languages["ar"].definition   # not carried → kept


def test_ambiguous_match_is_reported_not_guessed(glossary_copy, tmp_path):
    tb = glossary.read(glossary_copy)
    green, yellow = tb.concepts["green-notice"], tb.concepts["yellow-notice"]
    path = tbx_file(tmp_path, concept("x", green.preferred_term("en").text, yellow.preferred_term("ar").text))
    before = snapshot(glossary_copy)
    result = run("import", path, "-g", glossary_copy, code=1)
    assert "ambiguous" in result.stdout and "green-notice" in result.stdout and "yellow-notice" in result.stdout
    assert snapshot(glossary_copy) == before


def test_dry_run_writes_nothing(glossary_copy, tmp_path):
    path = tbx_file(tmp_path, concept("red-notice", "Red Notice", "النشرة الحمراء"))
    before = snapshot(glossary_copy)
    result = run("import", path, "--dry-run", "-g", glossary_copy)
    assert "red-notice: concept: added" in result.stdout and "dry run" in result.output
    assert snapshot(glossary_copy) == before


def test_failing_import_leaves_glossary_byte_identical(glossary_copy, tmp_path):
    before = snapshot(glossary_copy)
    broken = tmp_path / "broken.tbx"
    good = formats.render(glossary.read(glossary_copy), "tbx")
    broken.write_bytes(good[: len(good) // 2])
    result = run("import", broken, "-g", glossary_copy, code=1)
    assert "broken.tbx" in result.output
    # an import whose result would be invalid (two preferred terms in one language) also writes nothing
    bad = concept("red-notice", "Red Notice", "النشرة الحمراء")
    bad.languages["en"].terms.append(Term("Red Alert", status=AdministrativeStatus.PREFERRED))
    result = run("import", tbx_file(tmp_path, bad), "-g", glossary_copy, code=1)
    assert "preferred" in result.output and "nothing was written" in result.output
    assert snapshot(glossary_copy) == before


@pytest.mark.parametrize("name", ["termbase.tbx", "termbase-v2.tbx", "termbase.xlsx", "termbase.csv", "termbase.tsv"])
def test_diff_is_empty_between_glossary_and_its_lossless_exports(name):
    run("diff", ROOT / "glossary", ROOT / "exports" / name)


def test_diff_reports_added_removed_changed(tmp_path):
    a = tbx_file(tmp_path, concept("one", "One", "واحد", "First."), concept("two", "Two", "اثنان"))
    b_dir = tmp_path / "b"
    b_dir.mkdir()
    b = tbx_file(b_dir, concept("one", "One", "واحد", "First, changed."), concept("three", "Three", "ثلاثة"))
    changes = json.loads(run("diff", a, b, "--json", code=1).stdout)
    kinds = {(c["concept_id"], c["field"], c["kind"]) for c in changes}
    assert kinds == {("one", "en.definition", "changed"), ("two", "concept", "removed"), ("three", "concept", "added")}
    run("diff", a, a)


def test_import_of_a_formula_cell_fails_and_writes_nothing(glossary_copy, tmp_path):
    path = tmp_path / "evil.csv"
    path.write_text("en,ar\nRed Notice,النشرة الحمراء\n\"=HYPERLINK(\"\"http://x\"\")\",نشرة\n", encoding="utf-8")
    before = snapshot(glossary_copy)
    result = run("import", path, "-g", glossary_copy, code=1)
    assert "evil.csv:3" in result.output and "nothing was written" in result.output
    assert snapshot(glossary_copy) == before


def test_two_column_import_takes_languages_from_options(glossary_copy, tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("red notice,النشرة الحمراء\n", encoding="utf-8")
    run("import", path, "-g", glossary_copy, "--source-lang", "en", "--target-lang", "ar")
    termbase = glossary.read(glossary_copy)
    assert any(c.preferred_term("en") and c.preferred_term("en").text == "red notice"
               and c.preferred_term("ar").text == "النشرة الحمراء" for c in termbase)


def test_import_cleans_and_reports_invisible_characters_and_presentation_forms(glossary_copy, tmp_path):
    dirty = concept("red-notice", "Red\u200b Notice", "\ufee8\ufeb8\ufeae\ufe93 \u200fحمراء")
    result = run("import", tbx_file(tmp_path, dirty), "-g", glossary_copy)
    assert "[invisible-char]" in result.output and "[presentation-forms]" in result.output
    imported = glossary.read(glossary_copy).concepts["red-notice"]
    assert imported.preferred_term("en").text == "Red Notice"
    assert imported.preferred_term("ar").text == "نشرة حمراء"
    assert not [f for f in validate.validate(glossary_copy) if f.path.endswith("red-notice.yaml")]


@pytest.mark.parametrize("ar, subject, fmt", [("abc", None, "tbx"), ("نشرة  حمراء", None, "csv")])
def test_import_refuses_what_validate_would_reject(glossary_copy, tmp_path, ar, subject, fmt):
    """Every error `termbase validate` reports in a concept file stops the import first."""
    new = concept("red-notice", "Red Notice", ar)
    if subject:
        new.subject_fields = [subject]
    before = snapshot(glossary_copy)
    result = run("import", tbx_file(tmp_path, new, fmt=fmt), "-g", glossary_copy, code=1)
    assert "nothing was written" in result.output
    assert snapshot(glossary_copy) == before
    assert not [f for f in validate.validate(glossary_copy) if f.severity == "error"]


def test_import_adds_unknown_subject_fields_to_the_list(glossary_copy, tmp_path):
    new = concept("red-notice", "Red Notice", "النشرة الحمراء")
    new.subject_fields = ["fugitives"]
    result = run("import", tbx_file(tmp_path, new), "-g", glossary_copy)
    assert "subject field 'fugitives' added" in result.output
    assert "fugitives" in glossary.read(glossary_copy).subject_fields
    assert not [f for f in validate.validate(glossary_copy) if f.severity == "error"]


def test_import_of_a_glossary_directory_and_of_an_empty_file(glossary_copy, tmp_path):
    other = tmp_path / "other"
    run("init", other)
    run("add", "red-notice", "--en", "Red Notice", "--ar", "النشرة الحمراء", "-g", other)
    assert "red-notice: concept: added" in run("import", other, "-g", glossary_copy).stdout
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "holds no concepts [empty-import]" in run("import", empty, "-g", glossary_copy).output


def test_homonyms_import_with_warnings_naming_the_other_concepts(tmp_path):
    """One term for several concepts is normal across subject fields (IATE is full of it): the
    import is written and reports warnings; validate warns (exit 0) and --strict fails."""
    def budget(cid, subject, ar):
        new = concept(cid, "budget", ar, f"A budget ({cid}).")
        new.subject_fields = [subject]
        return new

    path = tbx_file(tmp_path, budget("budget-eu", "finance", "ميزانية"), budget("budget-un", "finance", "ميزانية"),
                    budget("budget-film", "film", "ميزانية الفيلم"))
    root = tmp_path / "g"
    run("init", root)
    dry = json.loads(run("import", path, "-g", root, "--dry-run", "--json").stdout)
    assert dry["errors"] == [] and sorted(dry["added"]) == ["budget-eu", "budget-film", "budget-un"]
    assert sorted(w["message"] for w in dry["warnings"] if w["check"] == "duplicate-preferred") == sorted([
        "concept budget-eu: preferred term 'budget' is also preferred in budget-un, budget-film; "
        "same subject field as budget-un (finance): one concept entered twice?",
        "concept budget-eu: preferred term 'ميزانية' is also preferred in budget-un; "
        "same subject field as budget-un (finance): one concept entered twice?",
        "concept budget-film: preferred term 'budget' is also preferred in budget-eu, budget-un",
        "concept budget-un: preferred term 'ميزانية' is also preferred in budget-eu; "
        "same subject field as budget-eu (finance): one concept entered twice?",
        "concept budget-un: preferred term 'budget' is also preferred in budget-eu, budget-film; "
        "same subject field as budget-eu (finance): one concept entered twice?"])

    result = run("import", path, "-g", root)
    assert "warning: concept budget-film: preferred term 'budget' is also preferred in budget-eu, budget-un [duplicate-preferred]" in result.stderr
    assert "3 added" in result.stderr
    assert sorted(glossary.read(root).concepts) == ["budget-eu", "budget-film", "budget-un"]

    result = run("validate", "-g", root)
    lines = [line for line in result.stdout.splitlines() if "[duplicate-preferred]" in line]
    assert len(lines) == 5 and all(": warning: " in line for line in lines)
    assert any(line.startswith(str(root / "concepts" / "budget-film.yaml")) and "same subject field" not in line
               for line in lines)
    assert "0 errors, 5 warnings" in result.stderr
    run("validate", "--strict", "-g", root, code=1)
