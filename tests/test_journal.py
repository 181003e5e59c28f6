"""Nothing lost: a change is all there or not there, after a crash at any file operation, after a
failed write, and with writers running at once (store/journal.py, store/lock.py)."""
import errno
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from termbase import glossary
from termbase.model import AdministrativeStatus, Concept, LangSection, Term, Termbase

ROOT = Path(__file__).resolve().parents[1]
TERMBASE = Path(sys.executable).parent / "termbase"
N = 20


def files_of(root: Path) -> dict:
    """Every file under `root` (hidden ones too) with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def termbase_run(*args, fault=None, env=None, check=None) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {})}
    if fault:
        environment["TERMBASE_FAULT"] = fault
    result = subprocess.run([str(TERMBASE), *map(str, args)], capture_output=True, text=True, env=environment)
    assert "Traceback" not in result.stderr, result.stderr
    if check is not None:
        assert result.returncode == check, result.stderr
    return result


def small_glossary(root: Path) -> Path:
    termbase = Termbase(title="journal", subject_fields={"units": ""})
    for i in range(N):
        termbase.add(Concept(f"unit-{i:02d}", ["units"], languages={
            "en": LangSection("en", f"Police unit number {i}.", terms=[Term(f"Unit {i}", status=AdministrativeStatus.PREFERRED)]),
            "ar": LangSection("ar", f"وحدة شرطة رقم {i}.", terms=[Term(f"الوحدة {i}", status=AdministrativeStatus.PREFERRED)])}))
    glossary.write(termbase, root)
    return root


def revision(tmp_path: Path) -> Path:
    """A TBX that revises every English definition and adds a concept."""
    source = small_glossary(tmp_path / "revised-glossary")
    for path in (source / "concepts").glob("*.yaml"):
        path.write_text(path.read_text("utf-8").replace("Police unit number", "Revised police unit"), "utf-8")
    target = tmp_path / "revision.tbx"
    termbase_run("export", "-g", source, "--format", "tbx", "-o", target, check=0)
    return target


def review_workbook(root: Path, tmp_path: Path, name: str, header: str, change) -> Path:
    """A review workbook of `root` with every cell of column `header` edited by `change`."""
    path = tmp_path / f"{name}.xlsx"
    termbase_run("review", "export", "-g", root, "-o", path, check=0)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Review"]
    column = next(cell.column for cell in sheet[1] if cell.value == header)
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row, column)
        cell.value = change(cell.value)
    workbook.save(path)
    return path


def fault_steps(args, root: Path) -> int:
    """How many file operations a command makes (run on a scratch copy)."""
    scratch = root.parent / f"{root.name}-count"
    shutil.copytree(root, scratch)
    moved = [scratch / Path(a).relative_to(root) if isinstance(a, Path) and Path(a).is_relative_to(root) else a
             for a in args]
    result = termbase_run(*moved, fault="count", check=0)
    shutil.rmtree(scratch)
    return int(re.search(r"fault steps: (\d+)", result.stderr).group(1))


def crash_everywhere(tmp_path: Path, make, command, subject, at_least=50, next_command=None):
    """Kill `command` at the k-th file operation for k spread over its whole run; after the next
    command, `subject` holds exactly the old files or the new ones, nothing else."""
    base = tmp_path / "base"
    make(base)
    old = files_of(base / subject)
    finished = tmp_path / "finished"
    shutil.copytree(base, finished)
    termbase_run(*command(finished), check=0)
    new = files_of(finished / subject)
    assert new != old
    total = fault_steps(command(base), base)
    points = sorted(set(range(1, total + 1)) if total <= at_least * 2 else
                    {1 + round(i * (total - 1) / (at_least - 1)) for i in range(at_least)})
    assert len(points) >= min(at_least, total)
    seen = {"old": 0, "new": 0}
    for k in points:
        work = tmp_path / f"k{k}"
        shutil.copytree(base, work)
        killed = termbase_run(*command(work), fault=f"kill@{k}")
        assert killed.returncode == -9, f"step {k} of {total} was not reached"
        termbase_run(*(next_command(work) if next_command else ["list", "-g", work / "glossary"]))   # it recovers
        after = files_of(work / subject)
        assert after in (old, new), f"killed at step {k} of {total}: a mix of old and new files"
        seen["old" if after == old else "new"] += 1
        shutil.rmtree(work)
    assert seen["old"] and seen["new"]       # the commit point lies inside the run
    return total


def test_import_killed_at_any_file_operation(tmp_path):
    tbx = revision(tmp_path)
    crash_everywhere(tmp_path, lambda base: small_glossary(base / "glossary"),
                     lambda work: ["import", tbx, "-g", work / "glossary"], "glossary")


def test_review_import_killed_at_any_file_operation(tmp_path):
    small_glossary(tmp_path / "template" / "glossary")
    workbook = review_workbook(tmp_path / "template" / "glossary", tmp_path, "review", "English definition",
                               lambda value: f"Reviewed: {value}")

    def make(base):
        shutil.copytree(tmp_path / "template" / "glossary", base / "glossary")
    crash_everywhere(tmp_path, make, lambda work: ["review", "import", workbook, "-g", work / "glossary"], "glossary")


def test_fmt_killed_at_any_file_operation(tmp_path):
    def make(base):
        root = small_glossary(base / "glossary")
        for path in (root / "concepts").glob("*.yaml"):       # valid YAML, not in canonical form
            path.write_text(path.read_text("utf-8").replace("id: ", "id:   ", 1), "utf-8")
    crash_everywhere(tmp_path, make, lambda work: ["fmt", "-g", work / "glossary"], "glossary")


def test_export_all_killed_at_any_file_operation(tmp_path):
    def make(base):
        root = small_glossary(base / "glossary")
        termbase_run("export", "--all", "-g", root, "--exports", base / "exports", check=0)
        for path in (root / "concepts").glob("*.yaml"):
            path.write_text(path.read_text("utf-8").replace("Police unit", "Police squad"), "utf-8")
    crash_everywhere(tmp_path, make, lambda work: ["export", "--all", "-g", work / "glossary", "--exports", work / "exports"],
                     "exports", at_least=30,
                     next_command=lambda work: ["export", "--all", "--check", "-g", work / "glossary", "--exports", work / "exports"])


@pytest.mark.parametrize("error", ["ENOSPC", "EIO", "EACCES"])
def test_a_failed_write_leaves_the_glossary_unchanged(tmp_path, error):
    """An error while staging, at the commit point or while moving files into place: the glossary
    is as it was, with an error naming the file. (An error while clearing the journal afterwards
    does not fail the change, which is already whole; the next command clears the rest.)"""
    tbx = revision(tmp_path)
    root = small_glossary(tmp_path / "glossary")
    old = files_of(root)
    finished = tmp_path / "finished"
    shutil.copytree(root, finished)
    termbase_run("import", tbx, "-g", finished, check=0)
    new = files_of(finished)
    total = fault_steps(["import", tbx, "-g", root], root)
    failed = 0
    points = sorted({1 + round(i * (total - 1) / 29) for i in range(30)})
    for k in points:
        result = termbase_run("import", tbx, "-g", root, fault=f"{error}@{k}")
        termbase_run("validate", "-g", root, check=0)
        if result.returncode == 0:
            assert files_of(root) == new, f"{error} at step {k} of {total}: reported success, change not whole"
            root_restore(root, old)
            continue
        failed += 1
        assert result.returncode == 1, (k, result.stderr)
        message = os.strerror(getattr(errno, error))
        assert re.search(rf"Error: \S+: cannot write: {re.escape(message)}; nothing was changed", result.stderr), result.stderr
        assert files_of(root) == old, f"{error} at step {k} of {total} changed the glossary"
    assert failed >= len(points) // 2          # staging and moving files: most of the run


def root_restore(root: Path, files: dict) -> None:
    """Put back exactly `files` (relative path -> bytes) under `root`."""
    shutil.rmtree(root)
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


# --- writers at once ------------------------------------------------------------------------------

def started_together(commands, env=None):
    processes = [subprocess.Popen([str(TERMBASE), *map(str, c)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env={**os.environ, **(env or {})}) for c in commands]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert "Traceback" not in err, err
        results.append((process.returncode, out, err))
    return results


def test_two_reviewers_at_once_both_keep_their_work(tmp_path):
    """The issue's case: one workbook revises every English definition, the other every Arabic one."""
    root = small_glossary(tmp_path / "glossary")
    english = review_workbook(root, tmp_path, "english", "English definition", lambda v: f"Revised: {v}")
    arabic = review_workbook(root, tmp_path, "arabic", "Arabic definition", lambda v: f"منقح: {v}")
    results = started_together([["review", "import", english, "-g", root, "--wait", "60"],
                                ["review", "import", arabic, "-g", root, "--wait", "60"]])
    assert [code for code, _, _ in results] == [0, 0], results
    for path in (root / "concepts").glob("*.yaml"):
        concept = glossary.read_concept_file(path)
        assert concept.languages["en"].definition.startswith("Revised: ")
        assert concept.languages["ar"].definition.startswith("منقح: ")


def test_four_writers_at_once_keep_every_change_that_reported_success(tmp_path):
    """add, import (English definitions), review import (Arabic definitions) and fmt, all at once:
    waiting, every one gets in and every change stays; not waiting, those that got in keep their
    change and the others fail naming the lock holder."""
    english = tmp_path / "english.csv"       # only English columns: the import touches nothing else
    english.write_text("id,en,en_Def\n" + "".join(f"unit-{i:02d},Unit {i},Revised police unit {i}.\n" for i in range(N)),
                       "utf-8")
    template = small_glossary(tmp_path / "template")
    for path in (template / "concepts").glob("unit-0*.yaml"):    # valid, not canonical: work for fmt
        path.write_text(path.read_text("utf-8").replace("id: ", "id:  ", 1), "utf-8")
    arabic = review_workbook(template, tmp_path, "arabic", "Arabic definition", lambda v: f"منقح: {v}")
    changed = {
        "add": lambda concepts: "red-notice" in concepts,
        "import": lambda concepts: all(c.languages["en"].definition.startswith("Revised police unit")
                                       for cid, c in concepts.items() if cid.startswith("unit-")),
        "review": lambda concepts: all(c.languages["ar"].definition.startswith("منقح: ")
                                       for cid, c in concepts.items() if cid.startswith("unit-")),
        "fmt": lambda concepts: not any(b"id:  " in p.read_bytes() for p in (root / "concepts").glob("*.yaml")),
    }
    for wait in ("60", "0"):
        root = tmp_path / f"glossary-{wait}"
        shutil.copytree(template, root)
        commands = [["add", "red-notice", "--en", "Red Notice", "--ar", "النشرة الحمراء", "-g", root],
                    ["import", english, "-g", root], ["review", "import", arabic, "-g", root], ["fmt", "-g", root]]
        results = started_together([[*command, "--wait", wait] for command in commands])
        concepts = {p.stem: glossary.read_concept_file(p) for p in (root / "concepts").glob("*.yaml")}
        for (code, out, err), command in zip(results, commands):
            if code == 0:
                assert changed[command[0]](concepts), f"{command[0]} reported success but its change is gone"
            else:
                assert wait == "0" and code == 1, (command, err)
                assert "another termbase writer is changing this glossary: pid" in err, err
        assert sum(code == 0 for code, _, _ in results) >= 1
        termbase_run("validate", "-g", root, check=0)
        assert not (root / ".termbase.lock").exists() and not (root / ".termbase-journal").exists()


def test_a_stale_lock_is_taken_over_and_said(tmp_path):
    root = small_glossary(tmp_path / "glossary")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (root / ".termbase.lock").write_text(json.dumps({"pid": int(dead.stdout), "host": os.uname().nodename,
                                                      "started": "2026-11-30T01:00:00+00:00", "command": "termbase import"}))
    result = termbase_run("add", "red-notice", "--en", "Red Notice", "--ar", "النشرة الحمراء", "-g", root,
                          "--wait", "0", check=0)
    assert f"took over the stale lock of pid {int(dead.stdout)}" in result.stderr
    assert (root / "concepts" / "red-notice.yaml").exists() and not (root / ".termbase.lock").exists()


def test_a_live_lock_makes_a_writer_wait_then_fail_naming_it_while_readers_go_on(tmp_path):
    root = small_glossary(tmp_path / "glossary")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from termbase.store.lock import WriteLock\n"
        f"with WriteLock({str(root)!r}, command='termbase import big.tbx'):\n"
        "    print('held', flush=True); time.sleep(30)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        result = termbase_run("add", "red-notice", "--en", "Red Notice", "--ar", "النشرة الحمراء", "-g", root,
                              "--wait", "1.5", check=1)
        assert time.monotonic() - start >= 1.5
        assert f"pid {holder.pid}" in result.stderr and "termbase import big.tbx" in result.stderr
        assert not (root / "concepts" / "red-notice.yaml").exists()
        reader = termbase_run("search", "Unit 7", "-g", root, check=0)          # readers never wait
        assert reader.stdout.startswith("unit-07\t")
    finally:
        holder.kill()
        holder.wait()
