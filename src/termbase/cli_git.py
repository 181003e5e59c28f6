"""`termbase merge-driver | git-setup | history`: a team on one glossary in git (thin Click wrappers)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_common import emit_json, glossary_option, json_option, require_glossary_dir
from .errors import TermbaseError


@click.command(name="merge-driver")
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("ours", type=click.Path(path_type=Path))
@click.argument("theirs", type=click.Path(path_type=Path))
@click.argument("path")
@click.option("--marker-size", default=7, show_default=True, type=click.IntRange(min=1),
              help="length of the conflict markers (git's %L)")
def merge_driver(base, ours, theirs, path, marker_size):
    """Git merge driver: merge BASE, OURS and THEIRS of glossary file PATH field by field into OURS.

    Git runs it as `termbase merge-driver %O %A %B %P --marker-size %L` (set up by `termbase
    git-setup`). Exit 0: merged cleanly; exit 1: conflict markers around the conflicting fields.
    """
    import contextlib

    from . import gitflow
    from .store.lock import WriteLock

    kind = gitflow.document_kind(path)
    root = Path(path).parent if kind == "header" else Path(path).parent.parent if kind == "concept" else None
    try:
        # no termbase writer may change this glossary while git merges one of its files
        with WriteLock(root) if root is not None and root.is_dir() else contextlib.nullcontext():
            result = gitflow.merge_driver(base, ours, theirs, path, marker_size)
    except (TermbaseError, OSError) as error:      # git falls back to a conflict; never a traceback
        click.echo(f"termbase merge-driver: {path}: {error}", err=True)
        sys.exit(2)
    if result.message:
        click.echo(f"termbase merge-driver: {result.message}", err=True)
    sys.exit(result.code)


@click.command(name="git-setup")
@glossary_option(read_only=False)
@click.option("--on-path", is_flag=True,
              help="have git run `termbase` from PATH, not the absolute path of this termbase")
def git_setup(glossary_path, on_path):
    """Register the field-level merge driver for the glossary in this git repository.

    Sets merge.termbase.name and merge.termbase.driver in .git/config and sends the glossary's YAML
    files to it in .gitattributes. Running it again changes nothing.
    """
    from . import gitflow

    for line in gitflow.setup(require_glossary_dir(glossary_path), on_path=on_path):
        click.echo(line)


@click.command()
@click.argument("concept_id")
@glossary_option(read_only=False)
@json_option
def history(concept_id, glossary_path, as_json):
    """The changes to one concept, commit by commit and field by field (following renames)."""
    from . import gitflow

    revisions = gitflow.history(glossary_path, concept_id)
    if as_json:
        emit_json([r.as_dict() for r in revisions])
        return
    if not revisions:
        raise TermbaseError(f"no commit has changed concept {concept_id!r} (is it committed?)", glossary_path)
    for revision in revisions:
        merge_note = " (merge)" if revision.is_merge else ""
        click.echo(f"{revision.commit[:10]} {revision.date[:10]} {revision.author}: {revision.subject}{merge_note}")
        if revision.renamed_from:
            click.echo(f"    renamed from {revision.renamed_from}")
        if revision.error:
            click.echo(f"    cannot be read: {revision.error}")
        for line in gitflow.summary(revision.changes):
            click.echo(f"    {line}")


COMMANDS = (merge_driver, git_setup, history)
