"""The Python API: docs/api.md's examples run as doctests, and the CLI answers through the same handle."""
import doctest
import os
from pathlib import Path

from click.testing import CliRunner

import termbase
from termbase.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_api_documentation_examples_run(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 25 and result.failed == 0


def test_the_cli_and_the_api_give_the_same_answers():
    with termbase.open(ROOT / "glossary") as tb:
        hits = [hit.concept_id for hit in tb.search("notice", limit=50)]
        listed = [row["id"] for row in tb.summaries()]
    import json

    cli_hits = json.loads(CliRunner().invoke(main, ["search", "notice", "--limit", "50", "--json", "-g", str(ROOT / "glossary")]).stdout)
    cli_list = json.loads(CliRunner().invoke(main, ["list", "--json", "-g", str(ROOT / "glossary")]).stdout)
    assert [h["concept_id"] for h in cli_hits] == hits
    assert [row["id"] for row in cli_list] == listed


def test_the_cli_imports_no_format_internals():
    """The CLI is glue over the handle: it reads through `termbase.open`, not through the store."""
    for name in ("cli.py", "cli_recognition.py", "cli_review.py", "cli_common.py"):
        text = (ROOT / "src" / "termbase" / name).read_text("utf-8")
        assert "store.index" not in text and "Index(" not in text, name


def test_statistics_of_a_file_are_counted_as_it_is_read_and_equal_the_index(tmp_path):
    """A TBX file or one of our workbooks not read yet is counted concept by concept (no termbase,
    no index in memory): the counts equal those of the whole file indexed, and those of the glossary
    the exports were made from; a workbook sorted by a reviewer is read whole and counts the same."""
    import openpyxl
    import termbase

    root = Path(__file__).parent.parent
    expected = termbase.open(root / "glossary").statistics()
    sorted_workbook = tmp_path / "sorted.xlsx"
    book = openpyxl.load_workbook(root / "exports" / "termbase.xlsx")
    sheet = book["Terms"]
    rows = sorted(sheet.iter_rows(min_row=2, values_only=True), key=lambda row: (row[1] or "", row[2] or ""))
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    book.save(sorted_workbook)
    for path in (root / "exports" / "termbase.tbx", root / "exports" / "termbase.xlsx", sorted_workbook):
        with termbase.open(path) as handle:
            counted = handle.statistics()
            assert handle._termbase is None or path == sorted_workbook    # streamed: nothing held
        with termbase.open(path) as handle:
            handle.termbase()
            assert handle.statistics() == counted == expected, path
