"""What every command shares: a reader that closes stdout early ends the command quietly."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from termbase import glossary
from termbase.cli_common import CLOSED_PIPE_EXIT
from termbase.model import AdministrativeStatus, Concept, LangSection, Term, Termbase, TermType

TERMBASE = Path(sys.executable).parent / "termbase"
PIPE_BUFFER = 65536          # Linux's default pipe capacity; every output below is larger
N = 2000
# Python's default buffered stdout, as users run it: with PYTHONUNBUFFERED, CPython drops the rest of
# a write the kernel cut short when the reader left, without an error, and the command cannot know.
def env() -> dict:
    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A glossary whose every listing overflows a pipe: many concepts, each in its own (unlisted)
    subject field, so that `list`, `search`, `stats` and `validate` all print N lines or more."""
    root = tmp_path_factory.mktemp("pipes") / "glossary"
    termbase = Termbase(title="pipes", subject_fields={"listed": ""})
    names = [f"Green Unit {i} of the Child Protection Network" for i in range(N)]
    for i, name in enumerate(names):
        terms = {"en": Term(name, TermType.FULL_FORM, AdministrativeStatus.PREFERRED),
                 "ar": Term(f"الوحدة الخضراء {i}", TermType.FULL_FORM, AdministrativeStatus.PREFERRED)}
        termbase.add(Concept(f"green-unit-{i:05d}", [f"unlisted-subject-field-with-a-long-name-{i:05d}"],
                             note="A long note. " * 8000 if i == 0 else "",
                             languages={lang: LangSection(lang, terms=[term]) for lang, term in terms.items()}))
    glossary.write(termbase, root)
    (root.parent / "text.txt").write_text("".join(f"The {name} met.\n" for name in names), "utf-8")
    return root


COMMANDS = {
    "search": ["search", "green", "--limit", str(N)],
    "list": ["list"],
    "list --json": ["list", "--json"],
    "show": ["show", "green-unit-00000"],
    "find": ["find", "{text}"],
    "validate": ["validate"],
    "validate --json": ["validate", "--json"],
    "stats": ["stats"],
    "diff --json": ["diff", "--json", "{glossary}", "{other}"],
}


@pytest.mark.parametrize("name", COMMANDS)
def test_closed_stdout_ends_quietly(big, tmp_path, name):
    """`termbase … | head -1`: no `Error: : Broken pipe`, no traceback, git's exit status 141."""
    other = tmp_path / "other.tsv"
    other.write_text("en\tar\n", "utf-8")
    args = [a.format(text=big.parent / "text.txt", glossary=big, other=other) for a in COMMANDS[name]]
    if name != "diff --json":
        args += ["-g", str(big)]
    process = subprocess.Popen([str(TERMBASE), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    first = process.stdout.readline()
    process.stdout.close()
    status = process.wait(timeout=120)
    stderr = process.stderr.read().decode("utf-8")
    process.stderr.close()
    assert first
    assert "Traceback" not in stderr and "Broken pipe" not in stderr and "Exception ignored" not in stderr
    if name.startswith("validate"):
        stderr = "\n".join(line for line in stderr.splitlines() if not line.startswith(f"{N} concepts:"))
    stderr = "\n".join(line for line in stderr.splitlines() if not line.startswith("termbase: indexing "))
    assert stderr == ""
    assert status == CLOSED_PIPE_EXIT, f"exit status {status}: did the whole output fit in the pipe's {PIPE_BUFFER} bytes?"


def test_closed_stdout_while_flushing_at_exit():
    """Output still buffered when the command returns is flushed before exit, not at interpreter
    shutdown (where Python would print `Exception ignored … BrokenPipeError` and exit 120)."""
    code = ("import sys; from termbase.cli import main\n"
            "@main.command()\n"
            "def later():\n"
            "    print('first', flush=True)\n"
            "    sys.stdin.readline()\n"          # until the reader has gone
            "    sys.stdout.write('buffered\\n')\n"
            "main()")
    process = subprocess.Popen([sys.executable, "-c", code, "later"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    assert process.stdout.readline() == b"first\n"
    process.stdout.close()
    process.stdin.write(b"go\n")
    process.stdin.close()
    status = process.wait(timeout=60)
    assert process.stderr.read() == b""
    process.stderr.close()
    assert status == CLOSED_PIPE_EXIT
