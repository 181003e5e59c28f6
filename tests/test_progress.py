"""Progress of long jobs: counted through callbacks, shown on stderr only when it is a terminal.

Each command family runs as a real `termbase` process twice: with stderr on a pseudo-terminal
(a progress bar must appear, named for the step) and with stderr on a pipe (no progress at all).
"""
import fcntl
import io
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from termbase import formats, glossary, progress
from termbase.model import (AdministrativeStatus, Concept, LangSection, ReviewStatus, Term, Termbase,
                            TermType)

TERMBASE = Path(sys.executable).parent / "termbase"
N = 300                 # concepts: every step reports more than once, in well under a second
BAR = "%|"              # what tqdm draws between the percentage and the bar


# --- the counting helpers ------------------------------------------------------------------

def test_reading_counts_bytes_read():
    calls = []
    stream = progress.reading(io.BytesIO(b"x" * 100), lambda done, total: calls.append((done, total)), 100)
    assert stream.read(30) == b"x" * 30 and stream.read() == b"x" * 70 and stream.read() == b""
    assert calls == [(30, 100), (100, 100), (100, 100)]
    assert stream.tell() == 100                 # everything else is the stream's own


def test_reading_takes_the_file_size(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"y" * 5000)
    calls = []
    with open(path, "rb") as handle:
        stream = progress.reading(handle, lambda done, total: calls.append((done, total)))
        stream.read(1000)
    assert calls == [(1000, 5000)]


def test_counted_and_within():
    calls = []
    report = calls.append

    assert list(progress.counted("abc", lambda done, total: report((done, total)))) == ["a", "b", "c"]
    assert calls == [(1, 3), (2, 3), (3, 3)]
    calls.clear()
    part = progress.within(lambda done, total: report((done, total)), 1000, 500, 2000)
    part(1, 4), part(4, 4), part(9, 4)
    assert calls == [(1125, 2000), (1500, 2000), (1500, 2000)]


def test_nothing_is_counted_without_a_callback():
    items, stream = [1, 2], io.BytesIO(b"z")
    assert progress.counted(items, None) is items
    assert progress.reading(stream, None) is stream
    assert progress.within(None, 0, 1, 1) is None


def test_no_progress_off_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress.Progress.start("reading") is None
    with progress.step("reading") as step:
        assert step is None


def test_delay_variable(monkeypatch):
    monkeypatch.setenv(progress.DELAY_VARIABLE, "2.5")
    assert progress.delay() == 2.5
    monkeypatch.setenv(progress.DELAY_VARIABLE, "soon")
    assert progress.delay() == progress.DELAY


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_a_bar_shows_after_the_delay_and_goes_when_the_job_is_done(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    monkeypatch.delenv(progress.DELAY_VARIABLE, raising=False)
    bar = progress.Progress.start("reading big.tbx")
    bar(1000, 10_000)
    clock[0] += progress.DELAY - 0.01
    bar(2000, 10_000)
    assert bar.bar is None and sys.stderr.getvalue() == ""         # not yet: the job may be quick
    clock[0] += 0.02
    bar(3000, 10_000)
    assert bar.bar is not None and bar.bar.n == 3000
    assert "reading big.tbx:  30%|" in sys.stderr.getvalue()
    bar(10_000, 10_000)
    assert bar.bar is None                                          # done: closed and cleared
    assert sys.stderr.getvalue().endswith("\r")


def test_a_job_done_before_its_delay_never_shows(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    bar = progress.Progress.start("writing", "concepts")
    clock[0] += 10
    bar(50, 50)
    assert bar.bar is None and sys.stderr.getvalue() == ""


# --- real processes, stderr on a pseudo-terminal or a pipe ---------------------------------

def terminal(argv, env: dict, size=(24, 100), stdout_too: bool = False, timeout: float = 300):
    """Run `argv` with stderr (and with `stdout_too` stdout) on a pseudo-terminal of `size` (rows,
    columns; None: a terminal that gives no size); return (exit status, what it showed)."""
    master, slave = os.openpty()
    if size is not None:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    process = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                               stdout=slave if stdout_too else subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    shown, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:             # the child is gone (EIO)
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
    return process.wait(timeout=60), shown.decode("utf-8", "replace")


def on_terminal(args, delay="0", **options):
    """Run `termbase ARGS` with stderr on a pseudo-terminal; return (exit status, what it showed)."""
    return terminal([TERMBASE, *args], dict(os.environ, TERMBASE_PROGRESS_DELAY=delay), **options)


def on_pipe(args, delay="0"):
    """Run `termbase ARGS` with stderr on a pipe; return (exit status, stderr)."""
    process = subprocess.run([str(TERMBASE), *map(str, args)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=dict(os.environ, TERMBASE_PROGRESS_DELAY=delay), timeout=300)
    return process.returncode, process.stderr.decode("utf-8")


def concepts(n: int, prefix: str = "unit"):
    for i in range(n):
        terms = {"en": [Term(f"Green Unit {i} of the Child Protection Network", TermType.FULL_FORM,
                             AdministrativeStatus.PREFERRED)],
                 "ar": [Term(f"الوحدة الخضراء رقم {i} لشبكة حماية الطفل", TermType.FULL_FORM,
                             AdministrativeStatus.PREFERRED)]}
        yield Concept(f"{prefix}-{i:05d}", ["organisations"], ReviewStatus.DRAFT,
                      languages={lang: LangSection(lang, definition=f"A unit of the network, number {i}.", terms=t)
                                 for lang, t in terms.items()})


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    """A glossary of N concepts, the same termbase as TBX, PO, CSV and XLSX, N other concepts to
    import, a review workbook, a text and a bilingual file to search and check."""
    folder = tmp_path_factory.mktemp("progress")
    termbase = Termbase(title="progress", subject_fields={"organisations": ""})
    for concept in concepts(N):
        termbase.add(concept)
    root = folder / "glossary"
    glossary.write(termbase, root)
    files = {"glossary": root}
    for fmt in ("tbx", "po", "csv", "xlsx"):
        files[fmt] = folder / f"termbase.{fmt}"
        formats.write_file(termbase, files[fmt], fmt)
    other = Termbase(title="other", subject_fields={"organisations": ""})
    for concept in concepts(N, "other"):
        concept.languages["en"].terms[0].text = concept.languages["en"].terms[0].text.replace("Green", "Red")
        concept.languages["ar"].terms[0].text = concept.languages["ar"].terms[0].text.replace("الخضراء", "الحمراء")
        other.add(concept)
    files["incoming"] = folder / "incoming.tbx"
    formats.write_file(other, files["incoming"], "tbx")
    files["review"] = folder / "review.xlsx"
    assert on_pipe(["review", "export", "-g", root, "-o", files["review"]])[0] == 0
    files["text"] = folder / "text.txt"        # several of recognition's pieces
    files["text"].write_text("".join(f"وأصدرت الوحدة الخضراء رقم {i % N} لشبكة حماية الطفل تقريرها.\n"
                                     for i in range(12000)), "utf-8")
    files["segments"] = files["po"]            # msgid English, msgstr Arabic: a bilingual file to check
    return files


def fresh_glossary(data, tmp_path) -> Path:
    root = tmp_path / "glossary"
    glossary.write(glossary.read(data["glossary"]), root)
    return root


# --- what the library reports ----------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["tbx", "po", "csv", "xlsx"])
def test_readers_report_bytes_up_to_the_file_size(data, fmt):
    calls = []
    termbase = formats.read_file(data[fmt], progress=lambda done, total: calls.append((done, total)))
    size = data[fmt].stat().st_size
    assert len(termbase) == N and len(calls) > 1
    assert {total for _, total in calls} == {size} and calls[-1][0] == size
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


@pytest.mark.parametrize("fmt", list(formats.FORMATS))
def test_writers_report_each_concept(data, fmt):
    calls = []
    formats.render(glossary.read(data["glossary"]), fmt, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, N) for i in range(1, N + 1)]


def test_convert_reports_the_source_read(data, tmp_path):
    calls = []
    formats.convert(data["tbx"], tmp_path / "out.po", "po", progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (data["tbx"].stat().st_size,) * 2
    assert (tmp_path / "out.po").read_bytes() == formats.render(formats.read_file(data["tbx"]), "po")


def test_searching_in_pieces_finds_what_one_search_finds(data):
    """With a callback, find searches a text in pieces: the occurrences, their lines and
    columns are the same as in one search of the whole text."""
    from termbase import recognition
    from termbase.matcher import Matcher

    termbase = glossary.read(data["glossary"])
    matcher = Matcher(termbase)
    text = recognition.read_text(data["text"]) * 2 + "\n\nآخر سطر: الوحدة الخضراء رقم 7 لشبكة حماية الطفل"
    assert len(text) > 4 * recognition.PIECE
    calls = []
    pieces = list(recognition.in_text(termbase, matcher, text, progress=lambda done, total: calls.append((done, total))))
    assert pieces == list(recognition.in_text(termbase, matcher, text))
    assert len(calls) > 4 and calls[-1] == (len(text), len(text))
    assert pieces[-1]["line"] == text.count("\n") + 1


# family: (arguments, the steps whose bars must show on a terminal)
FAMILIES = {
    "export a file (formats.convert)": (["export", "-g", "{tbx}", "--format", "po", "-o", "{out}.po"],
                                        ["converting"]),
    "export a glossary (a writer)": (["export", "-g", "{glossary}", "--format", "xlsx", "-o", "{out}.xlsx"],
                                     ["writing"]),
    "export --all": (["export", "--all", "-g", "{glossary}", "--exports", "{out}"], ["exporting termbase.tbx"]),
    "read a PO file": (["stats", "-g", "{po}"], ["reading"]),
    "read a CSV file": (["stats", "-g", "{csv}"], ["reading"]),
    "read an XLSX file": (["stats", "-g", "{xlsx}"], ["reading"]),
    "index a glossary": (["stats", "-g", "{fresh}"], ["indexing"]),
    "import": (["import", "{incoming}", "-g", "{fresh}"],
               ["reading", "merging", "checking the merged glossary", "rendering concept files", "writing"]),
    "review export": (["review", "export", "-g", "{glossary}", "-o", "{out}.xlsx"], ["writing"]),
    "review import": (["review", "import", "{review}", "-g", "{glossary}", "--dry-run"], ["reading", "merging"]),
    "find": (["find", "{text}", "-g", "{glossary}"], ["searching"]),
    "check": (["check", "{segments}", "-g", "{glossary}", "--all"], ["checking"]),
    "extract": (["extract", "{text}", "-g", "{glossary}"], ["extracting from"]),
    "site": (["site", "-g", "{glossary}", "-o", "{out}-site", "--exports", "{out}-none"], ["writing {out}-site"]),
}


def arguments(family, data, tmp_path):
    values = {name: str(path) for name, path in data.items()}
    values["out"] = str(tmp_path / "out")
    if any("{fresh}" in a for a in FAMILIES[family][0]):
        values["fresh"] = str(fresh_glossary(data, tmp_path))
    return [a.format(**values) for a in FAMILIES[family][0]]


@pytest.mark.parametrize("family", FAMILIES)
def test_progress_shows_on_a_terminal(family, data, tmp_path):
    status, shown = on_terminal(arguments(family, data, tmp_path))
    assert status in (0, 1), shown
    assert "Traceback" not in shown
    for label in FAMILIES[family][1]:
        label = label.format(out=tmp_path / "out")
        bars = [line for line in shown.split("\r") if line.startswith(label) and BAR in line]
        assert bars, f"no progress bar for {label!r} in {shown[-2000:]!r}"


@pytest.mark.parametrize("family", FAMILIES)
def test_no_progress_on_a_pipe(family, data, tmp_path):
    status, stderr = on_pipe(arguments(family, data, tmp_path))
    assert status in (0, 1), stderr
    assert "\r" not in stderr and BAR not in stderr and "it/s" not in stderr and "B/s" not in stderr
    for label in FAMILIES[family][1]:
        label = label.format(out=tmp_path / "out")
        assert not any(line.startswith(label) for line in stderr.splitlines()), stderr


def test_a_terminal_that_gives_no_size_still_shows_progress(data, tmp_path):
    status, shown = on_terminal(["export", "-g", data["tbx"], "--format", "po", "-o", tmp_path / "out.po"], size=None)
    assert status == 0 and "converting" in shown and BAR in shown


def test_a_quick_job_shows_nothing_and_imports_no_progress_library(data, tmp_path):
    """With the default delay a quick command shows nothing on a terminal and does not even
    import tqdm; a job done before its delay shows nothing either."""
    probe = ("import sys, runpy\n"
             "sys.argv = ['termbase'] + sys.argv[1:]\n"
             "try:\n"
             "    runpy.run_module('termbase.cli', run_name='__main__')\n"
             "except SystemExit:\n"
             "    pass\n"
             "sys.stderr.write('tqdm imported: %s' % ('tqdm' in sys.modules))\n")
    script = tmp_path / "probe.py"
    script.write_text(probe, "utf-8")
    assert on_pipe(["stats", "-g", data["glossary"]])[0] == 0         # the index is built: `show` is quick
    status, shown = terminal([sys.executable, script, "show", "unit-00001", "-g", data["glossary"]],
                             {k: v for k, v in os.environ.items() if k != progress.DELAY_VARIABLE})
    assert status == 0 and shown.endswith("tqdm imported: False"), shown
    status, shown = on_terminal(["export", "-g", data["po"], "--format", "tbx", "-o", tmp_path / "quick.tbx"],
                                delay="60")
    assert status == 0 and BAR not in shown and "converting" not in shown


def test_find_takes_the_bar_off_the_screen_before_each_hit(data, tmp_path):
    """When stdout is the terminal too, each hit line is written after the bar is cleared, so
    no hit is printed in the middle of a bar."""
    status, text = on_terminal(["find", data["text"], "-g", data["glossary"]], stdout_too=True)
    assert status == 0
    assert BAR in text
    assert text.count("→ unit-") >= 12000
    # without the clearing, a hit would be written where the bar ends, on the bar's own line
    pieces = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert not [piece for piece in pieces if BAR in piece and "→ unit-" in piece]
