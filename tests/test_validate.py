"""Each validation check against a broken fixture: file, line and check id."""
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from termbase import validate
from termbase.cli import main

ROOT = Path(__file__).resolve().parents[1]

HEADER = """title: Test
languages:
- en
- ar
subject_fields:
  organisations: organisations
sources:
- id: doc1
  title: A document
"""

GOOD = """id: {id}
subject_fields:
- organisations
sources:
- doc1
languages:
  en:
    definition: A body that does things.
    terms:
    - text: {en}
      type: fullForm
      status: preferred
  ar:
    definition: هيئة تقوم بأشياء.
    terms:
    - text: {ar}
      type: fullForm
      status: preferred
      gender: feminine
      number: singular
"""


def make_glossary(tmp_path, extra: dict[str, str]) -> Path:
    root = tmp_path / "g"
    (root / "concepts").mkdir(parents=True)
    (root / "termbase.yaml").write_text(HEADER, encoding="utf-8")
    (root / "concepts" / "base.yaml").write_text(GOOD.format(id="base", en="base body", ar="هيئة أساسية"), encoding="utf-8")
    for name, text in extra.items():
        (root / "concepts" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


def good(name, en=None, ar=None):
    return GOOD.format(id=name, en=en or f"{name} term", ar=ar or "مصطلح " + "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"[len(name) % 28] * 3)


# (file name, file text, expected line, check id)
BROKEN = [
    ("malformed", "id: malformed\nlanguages:\n  en: [unclosed\n", 4, "malformed-yaml"),
    ("unknown-key", good("unknown-key").replace("sources:\n", "colour: green\nsources:\n"), 4, "unknown-key"),
    ("missing-id", good("missing-id").replace("id: missing-id\n", ""), 1, "missing-field"),
    ("missing-text", good("missing-text").replace("    - text: missing-text term\n      type", "    - type"), 10, "missing-field"),
    ("Bad_Id", good("Bad_Id"), 1, "bad-id"),
    ("file-name", good("other-name"), 1, "id-file-name"),
    ("two-preferred", good("two-preferred").replace("      status: preferred\n  ar:",
                                                    "      status: preferred\n    - text: another\n      status: preferred\n  ar:"), 9, "preferred-count"),
    ("no-preferred", good("no-preferred").replace("      status: preferred\n      gender", "      status: admitted\n      gender"), 15, "preferred-count"),
    ("dup-preferred", good("dup-preferred", en="Base Body"), 10, "duplicate-preferred"),
    ("dangling", good("dangling").replace("sources:\n", "cross_references:\n- nowhere\nsources:\n"), 5, "dangling-xref"),
    ("lang-tag", good("lang-tag").replace("  ar:\n", "  xx-nonsense:\n"), 13, "language-tag"),
    ("bidi", good("bidi", ar="مصطلح\u200fثان"), 16, "invisible-char"),
    ("not-nfc", good("not-nfc", en="cafe\u0301 body"), 10, "not-nfc"),
    ("presentation", good("presentation", ar="\ufee3\ufeb4\ufec4\ufee0\ufea2"), 16, "presentation-forms"),
    ("latin", good("latin", ar="مصطلح Term"), 16, "latin-in-arabic"),
    ("spaces", good("spaces", en="double  space"), 10, "spacing"),
    ("punctuation", good("punctuation").replace("A body that does things.", "A body that does things"), 8, "definition-punctuation"),
    ("bad-status", good("bad-status").replace("status: preferred\n  ar", "status: favourite\n  ar"), 12, "bad-value"),
    ("unknown-subject", good("unknown-subject").replace("- organisations", "- astrology"), 3, "unknown-subject"),
    ("unknown-source", good("unknown-source").replace("- doc1", "- doc9"), 5, "unknown-source"),
    ("self-xref", good("self-xref").replace("sources:\n", "cross_references:\n- self-xref\nsources:\n"), 5, "self-xref"),
    ("vocalized", good("vocalized", ar="النَّشْرَة"), 16, "vocalized-term"),
    ("control", good("control", en='"ctl\\x01 body"'), 10, "control-char"),
    ("tab", good("tab", en="tab\there"), 10, "spacing"),
    ("url", good("url").replace("sources:\n", "external_references:\n- www.example.org\nsources:\n"), 5, "bad-url"),
    ("structure", good("structure").replace("    terms:\n    - text: structure term", "    terms: structure term\n    more:\n    - text: x"), 9, "bad-structure"),
    ("alias", good("alias").replace("definition: A body", "definition: &def A body")
     .replace("  ar:\n", "  ar:\n    note: *def\n"), 14, "yaml-alias"),
    ("zz-duplicate", good("base", en="other body", ar="هيئة أخرى").replace("id: base", "id: zz-duplicate\nnote: copy").replace("id: zz-duplicate", "id: base"), 1, "duplicate-id"),
]


@pytest.mark.parametrize("name,text,line,check", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_check_reports_file_line_and_id(tmp_path, name, text, line, check):
    root = make_glossary(tmp_path, {name: text})
    findings = [f for f in validate.validate(root) if f.check == check]
    assert findings, f"no {check} finding; got {[str(f) for f in validate.validate(root)]}"
    assert any(f.path == str(root / "concepts" / f"{name}.yaml") and f.line == line for f in findings), [str(f) for f in findings]
    text_line = str(findings[0])
    assert f":{findings[0].line}:" in text_line and f"[{check}]" in text_line


def test_clean_fixture_has_no_findings(tmp_path):
    assert validate.validate(make_glossary(tmp_path, {"second": good("second")})) == []


def test_shipped_glossary_validates_clean():
    result = CliRunner().invoke(main, ["validate", "--strict", "-g", str(ROOT / "glossary")])
    assert result.exit_code == 0, result.output


def test_copy_with_every_kind_of_breakage_lists_every_problem(tmp_path):
    root = tmp_path / "glossary"
    shutil.copytree(ROOT / "glossary", root)
    (root / "concepts" / "base.yaml").write_text(GOOD.format(id="base", en="base body", ar="هيئة أساسية"), encoding="utf-8")
    for name, text, _, _ in BROKEN:
        (root / "concepts" / f"{name}.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "-g", str(root), "--json"])
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    for name, _, line, check in BROKEN:
        assert any(f["check"] == check and f["path"].endswith(f"{name}.yaml") and f["line"] == line for f in findings), (name, check)
    assert "Traceback" not in result.output


def test_warnings_alone_exit_zero_unless_strict(tmp_path):
    root = make_glossary(tmp_path, {"punctuation": BROKEN[16][1]})
    assert CliRunner().invoke(main, ["validate", "-g", str(root)]).exit_code == 0
    assert CliRunner().invoke(main, ["validate", "--strict", "-g", str(root)]).exit_code == 1


def test_binary_garbage_is_a_finding_not_a_traceback(tmp_path):
    root = make_glossary(tmp_path, {})
    (root / "concepts" / "garbage.yaml").write_bytes(b"\xff\xfe\x00garbage\x00")
    result = CliRunner().invoke(main, ["validate", "-g", str(root)])
    assert result.exit_code == 1 and "garbage.yaml:1: error: not UTF-8" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_concepts_that_is_a_file_is_an_error(tmp_path):
    root = make_glossary(tmp_path, {})
    for path in (root / "concepts").iterdir():
        path.unlink()
    (root / "concepts").rmdir()
    (root / "concepts").write_text("oops", encoding="utf-8")
    for command in ("validate", "stats", "list"):
        result = CliRunner().invoke(main, [command, "-g", str(root)])
        assert result.exit_code == 1 and "concepts must be a folder" in result.output, command


def test_yaml_anchors_and_aliases_are_errors_that_fmt_repairs(tmp_path):
    """The raw file shows a name where the loaded data has a whole value: an error on each
    anchor and alias (file, line, column, check id); `termbase fmt` spells the values out."""
    text = (good("aliased").replace("subject_fields:\n", "subject_fields: &fields\n")
            .replace("definition: A body", "definition: &def A body")
            .replace("  ar:\n", "  ar:\n    note: *def\n")
            .replace("- text: aliased term\n", "- text: aliased term\n      note: *def\n"))
    root = make_glossary(tmp_path, {"aliased": text})
    (root / "termbase.yaml").write_text(HEADER.replace("subject_fields:\n  organisations: organisations",
                                                       "subject_fields:\n  organisations: &o organisations\n  police: *o"), "utf-8")
    result = CliRunner().invoke(main, ["validate", "-g", str(root)])
    assert result.exit_code == 1
    path = root / "concepts" / "aliased.yaml"
    lines = [line for line in result.stdout.splitlines() if line.endswith("[yaml-alias]")]
    assert [line.split(": error: ")[0] for line in lines] == [
        f"{path}:2:17", f"{path}:8:17", f"{path}:11:13", f"{path}:15:11",
        f"{root / 'termbase.yaml'}:6:18", f"{root / 'termbase.yaml'}:7:11"]
    assert "YAML alias *def stands for a value written elsewhere (anchored at line 8)" in result.stdout
    assert "YAML anchor &fields" in result.stdout and "run `termbase fmt`" in result.stdout
    assert all(": error: " in line for line in lines)
    # the loaded data is what an expanded file holds; fmt writes it so, and the findings go
    assert CliRunner().invoke(main, ["fmt", "-g", str(root)]).exit_code == 0
    assert "&" not in path.read_text("utf-8") and "*" not in path.read_text("utf-8")
    assert validate.validate(root) == []


def test_latin_in_an_arabic_term_only_in_acronyms_and_proper_nouns(tmp_path):
    """Arabic texts keep Latin brand names in Latin (مشروع Baseline): a proper noun may hold them,
    an ordinary Arabic term may not."""
    proper = good("proper", ar="مشروع Baseline").replace("      gender: feminine", "      part_of_speech: properNoun\n      gender: feminine")
    common = good("common", ar="مشروع Baseline").replace("      gender: feminine", "      part_of_speech: noun\n      gender: feminine")
    root = make_glossary(tmp_path, {"proper": proper, "common": common})
    latin = [f for f in validate.validate(root) if f.check == "latin-in-arabic"]
    assert [(Path(f.path).name, f.line) for f in latin] == [("common.yaml", 16)]
    assert "neither an acronym nor a proper noun" in latin[0].message
