"""What every termbase command shares: error display, options, JSON output, loading a termbase."""
from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import click

from . import formats, glossary
from .errors import TermbaseError, UsageError
from .model import Concept, Termbase
from .progress import Progress

DEFAULT_GLOSSARY = "glossary"


class CommandError(click.ClickException):
    """A TermbaseError shown as `Error: path:line: message` with its exit code."""

    def __init__(self, error: TermbaseError):
        super().__init__(str(error))
        self.exit_code = error.exit_code


# The exit status when the reader of stdout goes away: what a shell reports for git, which dies of
# SIGPIPE (`git log | head -1` has status 141 = 128 + 13).
CLOSED_PIPE_EXIT = 141


@contextlib.contextmanager
def quiet_on_closed_pipe():
    """Exit quietly with CLOSED_PIPE_EXIT when stdout's reader has gone (`termbase list | head -1`).

    stdout is flushed here, so a closed pipe cannot surface at interpreter exit; then stdout is
    pointed at /dev/null, as the Python docs recommend (signal module, "Note on SIGPIPE"), so that
    nothing is written or reported at shutdown.
    """
    try:
        try:
            yield
        finally:
            if sys.stdout is not None:
                sys.stdout.flush()
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(CLOSED_PIPE_EXIT)


class TermbaseGroup(click.Group):
    """The `termbase` group: errors as `Error: …` with their exit code, a closed stdout quietly."""

    def main(self, *args, **kwargs):
        with quiet_on_closed_pipe():
            return super().main(*args, **kwargs)

    def make_context(self, *args, **kwargs):
        with quiet_on_closed_pipe():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        try:
            with quiet_on_closed_pipe():
                return super().invoke(ctx)
        except TermbaseError as error:
            raise CommandError(error) from None
        except OSError as error:
            raise click.ClickException(f"{error.filename or ''}: {error.strerror or error}") from None


def glossary_option(read_only: bool = True):
    help_text = ("glossary directory or any importable file (TBX, XLSX, CSV, TSV, PO)" if read_only
                 else "glossary directory")
    return click.option("-g", "--glossary", "glossary_path", default=DEFAULT_GLOSSARY, show_default=True,
                        type=click.Path(path_type=Path), help=help_text)


json_option = click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")
wait_option = click.option("--wait", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
                           help="how long to wait for another writer of the glossary (default 10)")


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def show_warnings(warnings) -> None:
    for warning in warnings:
        click.echo(str(warning), err=True)


def open_termbase(path: Path, fmt: str | None = None, warnings: list | None = None, label: str | None = None,
                  **options):
    """A glossary directory or any importable file, opened (`termbase.api.Glossary`).

    Reader warnings are appended to `warnings` when given, else printed on stderr; `options` go
    to the file's reader (e.g. source_lang).
    """
    from . import api

    path = Path(path)
    if not path.exists():
        raise UsageError("no such glossary directory or file (give one with -g, or create one with `termbase init`)"
                         if path == Path(DEFAULT_GLOSSARY) else "no such glossary directory or file", path)
    label = label or (f"indexing {path}" if path.is_dir() else f"reading {path}")
    progress = Progress.start(label, "files" if path.is_dir() else "bytes")
    termbase = api.open(path, fmt=fmt, warnings=warnings, progress=progress, **options)
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(termbase.close)
        if progress is not None:
            context.call_on_close(progress.close)
    return termbase


def load_termbase(path: Path, fmt: str | None = None, warnings: list | None = None, **options) -> Termbase:
    """A glossary directory or any importable file, as a Termbase (concepts read on demand)."""
    return open_termbase(path, fmt, warnings, **options).termbase()


def require_glossary_dir(path: Path) -> Path:
    if not glossary.is_glossary(path):
        raise UsageError("not a glossary directory (expected termbase.yaml inside; create one with `termbase init`)", path)
    return path


def concept_summary(concept: Concept) -> dict:
    en, ar = concept.preferred_term("en"), concept.preferred_term("ar")
    return {"id": concept.id, "en": en.text if en else "", "ar": ar.text if ar else "",
            "subject_fields": concept.subject_fields,
            "review_status": concept.review_status.value if concept.review_status else ""}
