"""`termbase export --format sqlite`: a documented database other tools query, read back losslessly."""
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from cli_helpers import run
from termbase.formats import sqlite as sqlite_format

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "termbase.sqlite"
    run("export", "--format", "sqlite", "-o", path, "-g", ROOT / "glossary")
    return path


def readme_query() -> str:
    """The example query the README gives for the sqlite3 shell."""
    text = (ROOT / "README.md").read_text("utf-8")
    return re.search(r'sqlite3 exports/termbase\.sqlite "(.+?)"', text).group(1)


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 shell is installed by setup.sh --test")
def test_the_sqlite3_shell_runs_the_readme_query(database):
    result = subprocess.run(["sqlite3", str(database), readme_query()], capture_output=True, text=True, check=True)
    rows = [line.split("|") for line in result.stdout.splitlines()]
    assert rows and all(len(row) == 3 for row in rows)
    assert "green-notice" in {row[0] for row in rows}            # بالنشرة الخضراء's stem, found through the FTS5 table
    shell_tables = subprocess.run(["sqlite3", str(database), ".tables"], capture_output=True, text=True, check=True).stdout.split()
    assert {"concepts", "terms", "term_forms", "language_sections", "subject_fields", "cross_references", "search"} <= set(shell_tables)


def test_it_holds_every_field_and_reads_back_unchanged(database):
    assert run("diff", ROOT / "glossary", database, code=0).stdout == ""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == sqlite_format.VERSION
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        concepts = db.execute("SELECT count(*) FROM concepts").fetchone()[0]
        assert concepts == len(list((ROOT / "glossary" / "concepts").glob("*.yaml")))
        xrefs = db.execute("SELECT target FROM cross_references WHERE concept_id = 'green-notice' ORDER BY position").fetchall()
        assert ("yellow-notice",) in xrefs


def test_same_glossary_same_bytes(database, tmp_path):
    again = tmp_path / "again.sqlite"
    run("export", "--format", "sqlite", "-o", again, "-g", ROOT / "glossary")
    assert again.read_bytes() == database.read_bytes()


def test_it_is_not_part_of_export_all(tmp_path):
    run("export", "--all", "--exports", tmp_path, "-g", ROOT / "glossary")
    assert not list(tmp_path.glob("*.sqlite"))


def test_a_foreign_or_hostile_database_is_refused_with_its_name(tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes(x)")
    result = run("diff", ROOT / "glossary", other, code=1)
    assert f"{other}: not a termbase database" in result.output and "Traceback" not in result.output
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    result = run("stats", "-g", garbage, code=1)
    assert str(garbage) in result.output
