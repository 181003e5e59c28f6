"""The CLI: every command on a scratch glossary, --json output, errors without tracebacks."""
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from termbase import glossary
from cli_helpers import run
from termbase.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_init_add_show_list(tmp_path):
    root = tmp_path / "g"
    run("init", root)
    run("add", "green-notice", "--en", "Green Notice", "--ar", "النشرة الخضراء",
        "--en-def", "An INTERPOL alert.", "--ar-def", "تنبيه من الإنتربول.", "--subject", "policing-instruments", "-g", root)
    shown = json.loads(run("show", "green-notice", "-g", root, "--json").stdout)
    assert shown["languages"]["ar"]["terms"][0]["text"] == "النشرة الخضراء"
    assert shown["review_status"] == "draft"
    rows = json.loads(run("list", "-g", root, "--json").stdout)
    assert rows == [{"id": "green-notice", "en": "Green Notice", "ar": "النشرة الخضراء",
                     "subject_fields": ["policing-instruments"], "review_status": "draft"}]
    run("fmt", "--check", "-g", root)
    run("add", "green-notice", "--en", "x", "--ar", "س", "-g", root, code=2)
    run("add", "Bad Id", "--en", "x", "--ar", "س", "-g", root, code=1)
    run("init", root, code=2)


def test_json_outputs_parse():
    g = ROOT / "glossary"
    for args in (["list"], ["stats"], ["validate"], ["search", "INTERPOL"], ["show", "interpol"]):
        result = CliRunner().invoke(main, args + ["-g", str(g), "--json"])
        json.loads(result.stdout)


def test_stats_counts(tmp_path):
    data = json.loads(run("stats", "-g", ROOT / "glossary", "--json").stdout)
    termbase = glossary.read(ROOT / "glossary")
    assert data["concepts"] == len(termbase)
    assert data["terms"] == sum(1 for c in termbase for _ in c.terms())
    assert sum(data["term_status"].values()) == data["terms"]
    assert set(data) >= {"subject_fields", "term_types", "term_status"}


def test_fmt_check_names_non_canonical_files(tmp_path):
    root = tmp_path / "glossary"
    shutil.copytree(ROOT / "glossary", root)
    path = sorted((root / "concepts").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    result = run("fmt", "--check", "-g", root, code=1)
    assert path.name in result.stdout
    run("fmt", "-g", root)
    run("fmt", "--check", "-g", root)


def test_missing_glossary_is_a_usage_error(tmp_path):
    result = run("stats", "-g", tmp_path / "nowhere", code=2)
    assert "nowhere" in result.output
    run("validate", "-g", tmp_path, code=2)


def test_show_unknown_concept(tmp_path):
    run("show", "no-such-concept", "-g", ROOT / "glossary", code=1)


def test_readme_quotes_current_stats():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    output = run("stats", "-g", ROOT / "glossary").stdout
    assert f"```\n{output}```" in readme, "README's stats block is stale: paste `termbase stats` into it"


def test_no_bom_only_for_delimited_formats(tmp_path):
    run("export", "--format", "csv", "--no-bom", "-o", tmp_path / "x.csv", "-g", ROOT / "glossary")
    assert not (tmp_path / "x.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    run("export", "--format", "po", "--no-bom", "-o", tmp_path / "x.po", "-g", ROOT / "glossary", code=2)
    run("export", "--all", "--format", "po", code=2)
    run("export", "--format", "po", "--check", code=2)


def test_add_refuses_a_concept_validate_would_reject(tmp_path):
    root = tmp_path / "g"
    run("init", root)
    for en, ar in (("   ", "النشرة"), ("Notice", " "), ("Notice", "abc"), ("Notice", "النشرة\x07")):
        run("add", "x", "--en", en, "--ar", ar, "-g", root, code=1)
    assert not list((root / "concepts").iterdir())


def test_unwritable_export_target_is_named_in_the_error(tmp_path):
    (tmp_path / "a-file").write_text("x")
    for target in (tmp_path, tmp_path / "a-file" / "x.tbx"):
        for fmt in ("tbx", "xlsx"):
            result = run("export", "--format", fmt, "-o", target, "-g", ROOT / "glossary", code=1)
            assert f"Error: {target}: cannot write" in result.output and ".tmp" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
