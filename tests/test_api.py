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
