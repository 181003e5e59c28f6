"""The index is a cache that never gives a wrong answer: every indexed answer equals the answer
read straight from the files (TERMBASE_NO_INDEX=1), whatever happened to the files or the index."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from termbase import api, glossary
from termbase.cli import main
from termbase.store import index as index_module

ROOT = Path(__file__).resolve().parents[1]
TERMBASE = Path(sys.executable).parent / "termbase"
TEXT = ROOT.parent / "shared" / "corpus" / "003_c984302149a11a87.txt"


def answers(root: Path, text: Path, indexed: bool = True) -> dict:
    """What show, search, list, validate and find say about `root`: exit code and stdout each."""
    saved = os.environ.pop("TERMBASE_NO_INDEX", None)
    if not indexed:
        os.environ["TERMBASE_NO_INDEX"] = "1"
    try:
        found = {}
        for name, args in {"show": ["show", "green-notice"], "show-other": ["show", "yellow-notice", "--json"],
                           "search": ["search", "notice", "--json", "--limit", "50"],
                           "search-ar": ["search", "بالنشرة", "--json"],
                           "list": ["list", "--json"], "stats": ["stats", "--json"],
                           "validate": ["validate", "--json"],
                           "find": ["find", str(text), "--json"]}.items():
            result = CliRunner().invoke(main, [*args, "-g", str(root)])
            assert "Traceback" not in result.output and not isinstance(result.exception, (AttributeError, TypeError, KeyError, sqlite3.Error)), (name, result.output)
            found[name] = (result.exit_code, result.stdout, _error_line(result.output))
        return found
    finally:
        os.environ.pop("TERMBASE_NO_INDEX", None)
        if saved is not None:
            os.environ["TERMBASE_NO_INDEX"] = saved


def _error_line(output: str) -> str:
    return "\n".join(line for line in output.splitlines() if line.startswith("Error:"))


def assert_same(root: Path, text: Path = TEXT):
    assert answers(root, text) == answers(root, text, indexed=False)


@pytest.fixture
def index_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "index"
    monkeypatch.setenv("TERMBASE_INDEX_DIR", str(folder))
    return folder


def index_file(folder: Path) -> Path:
    return next(p for p in folder.glob("*.sqlite"))


def concept_file(root: Path, concept_id: str) -> Path:
    return root / "concepts" / f"{concept_id}.yaml"


# --- refreshing ---------------------------------------------------------------------------------

def test_every_answer_matches_the_files_through_edits(glossary_copy, index_dir):
    assert_same(glossary_copy)
    path = concept_file(glossary_copy, "green-notice")
    path.write_text(path.read_text("utf-8").replace("Green Notice", "Emerald Notice", 1), "utf-8")
    assert_same(glossary_copy)
    (glossary_copy / "concepts" / "yellow-notice.yaml").unlink()
    assert_same(glossary_copy)                        # a dangling cross-reference now, and show fails


def test_a_same_size_edit_right_after_a_read_is_seen(glossary_copy, index_dir):
    """The racy-git case: the file changes within the same clock tick as the index read it, with
    the same size; the stat alone cannot tell, so recently written files are read again."""
    path = concept_file(glossary_copy, "green-notice")
    before = path.stat()
    run = CliRunner().invoke(main, ["show", "green-notice", "--json", "-g", str(glossary_copy)])
    assert "Green Notice" in run.stdout
    text = path.read_text("utf-8").replace("Green Notice", "Greeen Notce", 1)
    path.write_text(text, "utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))     # even the mtime is the same
    assert path.stat().st_size == before.st_size
    run = CliRunner().invoke(main, ["show", "green-notice", "--json", "-g", str(glossary_copy)])
    assert "Greeen Notce" in run.stdout


def test_only_changed_files_are_read_again(glossary_copy, index_dir):
    termbase = api.open(glossary_copy)
    termbase.index                                                  # built
    old = time.time_ns() - 10 * index_module.RACY_WINDOW_NS         # no file is racily clean any more
    for path in (glossary_copy / "concepts").iterdir():
        os.utime(path, ns=(old, old))
    assert termbase.index.refresh() == 0            # every stat changed, no content: hashed, not parsed again
    path = concept_file(glossary_copy, "europol")
    path.write_text(path.read_text("utf-8") + "# a comment\n", "utf-8")
    os.utime(path, ns=(old + 1, old + 1))
    assert termbase.index.refresh() == 1
    assert termbase.index.refresh() == 0


def test_a_refresh_lists_only_the_buckets_that_changed(glossary_copy, index_dir, monkeypatch):
    """After an edit the refresh lists (and compares) only the files in the edited file's bucket
    of the listing; a file changed in another bucket between the quick walk and that listing is
    not lost: its bucket still differs at the next refresh."""
    if index_module._scan is None:
        pytest.skip("built without a C compiler")
    termbase = api.open(glossary_copy)
    termbase.index
    old = time.time_ns() - 10 * index_module.RACY_WINDOW_NS
    for path in (glossary_copy / "concepts").iterdir():
        os.utime(path, ns=(old, old))
    termbase.index.refresh()
    listed = []
    real_scan = index_module.scan
    monkeypatch.setattr(index_module, "scan", lambda folder, only=None: listed.append(only) or real_scan(folder, only))
    edited, other = concept_file(glossary_copy, "europol"), concept_file(glossary_copy, "green-notice")
    assert index_module.bucket_of(edited.name) != index_module.bucket_of(other.name)
    edited.write_text(edited.read_text("utf-8").replace("Europol", "Europoll", 1), "utf-8")
    os.utime(edited, ns=(old + 1, old + 1))
    assert termbase.index.refresh() == 1
    assert listed == [{index_module.bucket_of(edited.name)}]
    assert "Europoll" in termbase.concept("europol").languages["en"].terms[0].text

    def edit_meanwhile(folder, only=None):           # another bucket changes after the quick walk
        other.write_text(other.read_text("utf-8").replace("- text: Green Notice\n", "- text: Emerald Notice\n", 1), "utf-8")
        os.utime(other, ns=(old + 2, old + 2))
        return real_scan(folder, only)
    edited.write_text(edited.read_text("utf-8").replace("Europoll", "Europol", 1), "utf-8")
    os.utime(edited, ns=(old + 3, old + 3))
    monkeypatch.setattr(index_module, "scan", edit_meanwhile)
    termbase.index.refresh()
    monkeypatch.setattr(index_module, "scan", real_scan)
    assert termbase.index.refresh() == 1                                     # the other file, now
    assert "Emerald Notice" in termbase.concept("green-notice").languages["en"].terms[0].text
    assert_same(glossary_copy)


def test_show_reads_only_the_concept_it_shows(glossary_copy, index_dir):
    """`show` is instant at any size: it looks at one file, and a broken other file does not stop it
    (reading it straight from the files does not either)."""
    concept_file(glossary_copy, "europol").write_text("id: [broken\n", "utf-8")
    for indexed in (True, False):
        if not indexed:
            os.environ["TERMBASE_NO_INDEX"] = "1"
        try:
            result = CliRunner().invoke(main, ["show", "green-notice", "-g", str(glossary_copy)])
            assert result.exit_code == 0 and "Green Notice" in result.stdout
            result = CliRunner().invoke(main, ["show", "europol", "-g", str(glossary_copy)])
            assert result.exit_code == 1 and "europol.yaml:2" in result.output
            result = CliRunner().invoke(main, ["search", "green", "-g", str(glossary_copy)])
            assert result.exit_code == 1 and "europol.yaml:2" in result.output
        finally:
            os.environ.pop("TERMBASE_NO_INDEX", None)


# --- the index file itself -----------------------------------------------------------------------

def test_a_missing_truncated_corrupt_or_foreign_index_is_rebuilt_with_one_line(glossary_copy, index_dir):
    expected = answers(glossary_copy, TEXT, indexed=False)
    first = CliRunner().invoke(main, ["stats", "-g", str(glossary_copy)])
    assert first.stderr.splitlines() == [f"termbase: indexing {glossary_copy} (no index yet)"]
    path = index_file(index_dir)

    def damaged(how) -> str:
        how(path)
        result = CliRunner().invoke(main, ["stats", "-g", str(glossary_copy)])
        assert answers(glossary_copy, TEXT) == expected
        return result.stderr

    def truncate(p):
        with open(p, "r+b") as handle:
            handle.truncate(p.stat().st_size // 2)

    def garbage(p):
        with open(p, "r+b") as handle:
            handle.seek(p.stat().st_size // 3)
            handle.write(os.urandom(64 * 1024))

    def foreign_schema(p):
        with sqlite3.connect(p) as db:
            db.execute("UPDATE meta SET value = '0.old' WHERE key = 'schema'")

    def other_version(p):
        with sqlite3.connect(p) as db:
            db.execute("UPDATE meta SET value = '0.0.1' WHERE key = 'termbase'")

    def not_sqlite(p):
        p.write_bytes(b"this is not a database" * 100)

    assert "rebuilding the index" in damaged(truncate) and "truncated" in damaged(truncate)
    assert "written with index schema 0.old" in damaged(foreign_schema)
    assert "written by termbase 0.0.1" in damaged(other_version)
    assert "rebuilding the index" in damaged(not_sqlite)
    message = damaged(garbage)
    assert len(message.splitlines()) <= 1
    path.unlink()
    assert "no index yet" in damaged(lambda p: None)


def test_an_index_with_a_wrong_concept_is_caught_by_its_checksum(glossary_copy, index_dir):
    CliRunner().invoke(main, ["stats", "-g", str(glossary_copy)])
    with sqlite3.connect(index_file(index_dir)) as db:
        db.execute("UPDATE concepts SET data = replace(data, 'Green Notice', 'Blue Notice') WHERE id = 'green-notice'")
    result = CliRunner().invoke(main, ["show", "green-notice", "-g", str(glossary_copy)])
    assert "rebuilding the index" in result.stderr and "checksum" in result.stderr
    assert "Green Notice" in result.stdout and "Blue Notice" not in result.stdout


def test_an_index_that_cannot_be_written_falls_back_to_memory(glossary_copy, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("", "utf-8")
    monkeypatch.setenv("TERMBASE_INDEX_DIR", str(blocker / "index"))      # a folder inside a file
    result = CliRunner().invoke(main, ["search", "notice", "--json", "-g", str(glossary_copy)])
    assert result.exit_code == 0 and "using one in memory" in result.stderr
    assert result.stdout == answers(glossary_copy, TEXT, indexed=False)["search"][1]


def read_only_run(folder: Path, *args, env=None) -> subprocess.CompletedProcess:
    """Run termbase with `folder` mounted read-only (a private mount namespace: even root cannot
    write there, as CI runs as root)."""
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, str(folder), str(TERMBASE), *map(str, args)],
                          capture_output=True, text=True, env=env)


def can_mount_read_only(folder: Path) -> bool:
    probe = subprocess.run(["unshare", "-m", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" '
                            '&& ! touch "$0/probe"', str(folder)], capture_output=True)
    return probe.returncode == 0


def test_a_read_only_glossary_is_indexed_in_the_cache_or_in_memory(glossary_copy, tmp_path):
    """A read-only checkout: the index lives in the user's cache directory, so nothing is written
    in the glossary; with the index pointed into the read-only tree, it falls back to memory."""
    if not can_mount_read_only(glossary_copy):
        pytest.skip("this machine cannot mount a folder read-only (unshare -m)")
    before = {p: p.read_bytes() for p in glossary_copy.rglob("*") if p.is_file()}
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("TERMBASE_INDEX_DIR", None)
    for extra in ({}, {"TERMBASE_INDEX_DIR": str(glossary_copy / ".termbase-index")}):
        result = read_only_run(glossary_copy, "search", "green notice", "--json", "-g", glossary_copy, env={**env, **extra})
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)[0]["concept_id"] == "green-notice"
        if extra:
            assert "using one in memory" in result.stderr and "Read-only file system" in result.stderr
        else:
            assert list((tmp_path / "cache" / "termbase" / "index").glob("*.sqlite"))
        result = read_only_run(glossary_copy, "validate", "-g", glossary_copy, env={**env, **extra})
        assert result.returncode == 0 and "0 errors" in result.stderr, result.stderr
    assert {p: p.read_bytes() for p in glossary_copy.rglob("*") if p.is_file()} == before


# --- concurrency and crashes -------------------------------------------------------------------------

def big_glossary(root: Path, n: int) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from glossary import synthetic

    glossary.write(synthetic(n), root)
    return root


def run_termbase(*args, env=None) -> subprocess.Popen:
    return subprocess.Popen([str(TERMBASE), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env or dict(os.environ))


def test_processes_refreshing_at_once_all_answer_right(tmp_path, index_dir):
    root = big_glossary(tmp_path / "g", 2500)
    expected = subprocess.run([str(TERMBASE), "search", "unit 17", "--json", "-g", str(root)], capture_output=True,
                              env={**os.environ, "TERMBASE_NO_INDEX": "1"}).stdout
    for round_ in range(2):          # a fresh build, then an incremental refresh after edits
        processes = [run_termbase("search", "unit 17", "--json", "-g", root) for _ in range(4)]
        for process in processes:
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, err
            assert out == expected
            assert b"Traceback" not in err
        for i in range(0, 2500, 7):
            path = concept_file(root, f"unit-{i}")
            path.write_text(path.read_text("utf-8").replace("protects children", "protects all children"), "utf-8")
        expected = subprocess.run([str(TERMBASE), "search", "unit 17", "--json", "-g", str(root)], capture_output=True,
                                  env={**os.environ, "TERMBASE_NO_INDEX": "1"}).stdout


@pytest.mark.parametrize("moment", ["build", "refresh"])
def test_a_refresh_killed_with_sigkill_is_repaired_by_the_next_run(tmp_path, index_dir, moment):
    root = big_glossary(tmp_path / "g", 3000)
    if moment == "refresh":
        subprocess.run([str(TERMBASE), "stats", "-g", str(root)], capture_output=True, check=True)
        for i in range(3000):
            path = concept_file(root, f"unit-{i}")
            path.write_text(path.read_text("utf-8").replace("offline", "off-line"), "utf-8")
    for delay in (0.3, 0.8, 1.5):
        process = run_termbase("stats", "-g", root)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if moment == "refresh":
            break
    result = subprocess.run([str(TERMBASE), "search", "off-line", "--json", "--limit", "5000", "-g", str(root)],
                            capture_output=True, text=True)
    expected = subprocess.run([str(TERMBASE), "search", "off-line", "--json", "--limit", "5000", "-g", str(root)],
                              capture_output=True, text=True, env={**os.environ, "TERMBASE_NO_INDEX": "1"})
    assert result.returncode == expected.returncode and result.stdout == expected.stdout, result.stderr
    assert not list(index_dir.glob(".*.tmp"))


def test_writers_update_the_index_in_the_same_step(glossary_copy, index_dir):
    from termbase.store.index import Index

    CliRunner().invoke(main, ["stats", "-g", str(glossary_copy)])
    result = CliRunner().invoke(main, ["add", "red-notice", "--en", "Red Notice", "--ar", "النشرة الحمراء",
                                       "-g", str(glossary_copy)])
    assert result.exit_code == 0, result.output
    index = Index.open(glossary_copy)             # not refreshed: what the writer left there
    try:
        assert index.concept("red-notice").preferred_term("ar").text == "النشرة الحمراء"
        assert index.summary("red-notice")["en"] == "Red Notice"
    finally:
        index.close()


def test_the_kept_automaton_finds_what_a_new_one_finds(glossary_copy, index_dir):
    """The automaton is kept in the index (its groups and entries as rows read on demand); loaded
    back, it finds in the corpus exactly what a freshly built one finds."""
    from termbase.matcher import Matcher
    from termbase.store import cache

    text = "\n".join(p.read_text("utf-8") for p in sorted(TEXT.parent.glob("*.txt")))
    with api.open(glossary_copy) as first:
        built = first.matcher()
        assert not isinstance(built.groups, cache._Rows)
        expected = [(h.line, h.start, h.end, [(e.concept_id, e.lang, e.form) for e in h.entries])
                    for h in built.find_text(text)]
    with api.open(glossary_copy) as second:
        kept = second.matcher()
        assert isinstance(kept.groups, cache._Rows) and isinstance(kept.entries, cache._Rows)
        found = [(h.line, h.start, h.end, [(e.concept_id, e.lang, e.form) for e in h.entries])
                 for h in kept.find_text(text)]
        assert len(kept.groups.kept) < len(kept.groups) / 2       # read on demand, not all
    assert found == expected and len(found) > 300
    assert found == [(h.line, h.start, h.end, [(e.concept_id, e.lang, e.form) for e in h.entries])
                     for h in Matcher(api.open(glossary_copy).termbase()).find_text(text)]


def test_after_an_edit_the_automaton_works_out_only_the_edited_concepts_forms(glossary_copy, index_dir, monkeypatch):
    """Each concept's recognition forms are kept in the index: after an edit, the new automaton
    reads and works out only the edited concept (and a new one), and it finds what an automaton
    built from scratch finds, the edit included."""
    from termbase import matcher as matcher_module
    from termbase.matcher import Matcher

    text = "\n".join(p.read_text("utf-8") for p in sorted(TEXT.parent.glob("*.txt")))

    def hits(m):
        return [(h.line, h.start, h.end, [(e.concept_id, e.lang, e.form) for e in h.entries]) for h in m.find_text(text)]

    with api.open(glossary_copy) as first:
        first.matcher()
    arrest = glossary_copy / "concepts" / "arrest.yaml"
    arrest.write_text(arrest.read_text("utf-8").replace("text: arrest\n", "text: apprehension\n", 1), "utf-8")
    shutil.copy(glossary_copy / "concepts" / "abuse-report.yaml", glossary_copy / "concepts" / "abuse-report-2.yaml")
    copy = glossary_copy / "concepts" / "abuse-report-2.yaml"
    copy.write_text(copy.read_text("utf-8").replace("id: abuse-report\n", "id: abuse-report-2\n", 1), "utf-8")
    worked_out = []
    real = matcher_module.concept_forms
    monkeypatch.setattr(matcher_module, "concept_forms", lambda concept, *a: worked_out.append(concept.id) or real(concept, *a))
    with api.open(glossary_copy) as second:
        found = hits(second.matcher())
        assert [h["concept"] for h in second.find("after the apprehension of the suspect")] == ["arrest"]
    assert sorted(worked_out) == ["abuse-report-2", "arrest"]
    monkeypatch.setattr(matcher_module, "concept_forms", real)
    fresh = hits(Matcher(api.open(glossary_copy).termbase(in_memory=True)))
    assert found == fresh and len(found) > 300


def test_the_c_walk_is_built_where_ci_requires_it():
    """CI sets TERMBASE_REQUIRE_C: a failed build of store/_scan.c must fail, not fall back silently."""
    if os.environ.get("TERMBASE_REQUIRE_C"):
        assert index_module._scan is not None


def test_the_c_walk_and_the_python_walk_see_the_same_listing(glossary_copy, monkeypatch):
    if index_module._scan is None:
        pytest.skip("built without a C compiler")
    fingerprint, listing, _ = index_module.scan(glossary_copy / "concepts")
    assert fingerprint == index_module.quick_fingerprint(glossary_copy / "concepts")
    monkeypatch.setattr(index_module, "_scan", None)
    python_fingerprint, python_listing, _ = index_module.scan(glossary_copy / "concepts")
    assert python_listing == listing and python_fingerprint.startswith("py.")
    (glossary_copy / "concepts" / "europol.yaml").write_text("id: europol\n", "utf-8")
    monkeypatch.undo()
    assert index_module.quick_fingerprint(glossary_copy / "concepts") != fingerprint


def test_the_threaded_c_walk_sees_every_file_of_a_large_folder(tmp_path, monkeypatch):
    """Above 8,192 files the C walk shares its stat calls among threads: each file once, whatever
    the slice it fell in, and a change in any slice changes the fingerprint."""
    if index_module._scan is None:
        pytest.skip("built without a C compiler")
    folder = tmp_path / "concepts"
    folder.mkdir()
    for n in range(20_000):
        (folder / f"c-{n}.yaml").write_bytes(b"x" * (n % 7))
    (folder / "notes.txt").write_text("not a concept")
    fingerprint, listing, buckets = index_module.scan(folder)
    assert len(listing) == 20_000 and len(buckets) == 16 * index_module.BUCKETS
    monkeypatch.setattr(index_module, "_scan", None)
    assert index_module.scan(folder)[1] == listing
    monkeypatch.undo()
    for name in ("c-3.yaml", "c-19999.yaml"):                  # a file in the first and in the last slice
        os.utime(folder / name, ns=(1, 1))
        changed = index_module.quick_fingerprint(folder)
        assert changed != fingerprint
        fingerprint = changed


def test_an_index_found_broken_while_find_streams_is_rebuilt_and_find_goes_on(glossary_copy, index_dir, monkeypatch):
    """The kept automaton's rows are read while `find` streams its hits: a page found malformed
    then (as a corrupted index gives) rebuilds the index, and the hits come out once each, as
    they would from the files."""
    expected = answers(glossary_copy, TEXT, indexed=False)["find"]
    CliRunner().invoke(main, ["find", str(TEXT), "-g", str(glossary_copy)])      # the automaton is kept
    from termbase.store import cache

    real = cache._Rows.__getitem__
    broken = []

    def malformed_once(self, number):
        if not broken and number > 5:
            broken.append(number)
            raise sqlite3.DatabaseError("database disk image is malformed")
        return real(self, number)
    monkeypatch.setattr(cache._Rows, "__getitem__", malformed_once)
    result = CliRunner().invoke(main, ["find", str(TEXT), "--json", "-g", str(glossary_copy)])
    assert broken and result.exit_code == expected[0], result.output
    assert result.stdout == expected[1]
    assert "rebuilding the index" in result.stderr
