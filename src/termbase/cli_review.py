"""`termbase review export|import`: the reviewer round trip through a spreadsheet (thin Click wrappers)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import glossary
from .cli_common import emit_json, glossary_option, json_option, open_termbase, require_glossary_dir, wait_option
from .errors import TermbaseError, UsageError
from .fileio import atomic_open
from .model import ReviewStatus
from .progress import step

@click.group()
def review():
    """Review the glossary in a spreadsheet and merge the edits back."""


@review.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), default="review.xlsx", show_default=True,
              help="the review workbook to write")
@click.option("--subject", help="only concepts in this subject field")
@click.option("--status", type=click.Choice(ReviewStatus.values()), help="only concepts with this review status")
@click.option("--lang", "languages", multiple=True,
              help="language whose columns the reviewer edits (repeatable; default: the glossary's languages)")
@glossary_option(read_only=False)
def export(output, subject, status, languages, glossary_path):
    """Write a review workbook: one row per concept, editable fields side by side."""
    from . import review as review_module

    termbase = open_termbase(require_glossary_dir(glossary_path)).termbase()
    if subject and termbase.subject_fields and subject not in termbase.subject_fields:
        raise UsageError(f"unknown subject field {subject!r}; known: {', '.join(termbase.subject_fields)}")
    try:
        with atomic_open(output, "wb") as handle, step(f"writing {output}") as progress:
            count = review_module.export_review(termbase, handle, languages or None, subject, status, progress)
    except ValueError as error:     # a bad --lang tag
        raise UsageError(str(error)) from None
    click.echo(f"wrote {output}: {count} concepts", err=True)


@review.command(name="import")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="report what would change, write nothing")
@click.option("--reviewer", default="", help="reviewer name for comments and modified_by")
@click.option("--allow-deletes", is_flag=True, help="delete the concepts whose rows were deleted")
@click.option("--theirs", "prefer", flag_value="theirs", help="resolve conflicts with the reviewer's value")
@click.option("--ours", "prefer", flag_value="ours", help="resolve conflicts with the glossary's value")
@json_option
@glossary_option(read_only=False)
@wait_option
def import_(file, dry_run, reviewer, allow_deletes, prefer, as_json, glossary_path, wait):
    """Merge an edited review workbook (or a CSV saved from it) into the glossary.

    Three-way merge per field: reviewer-only changes are applied, glossary-only changes kept,
    and fields both changed are conflicts (that concept is left alone unless --theirs/--ours).
    Any invalid cell means nothing is imported.
    """
    handle = open_termbase(require_glossary_dir(glossary_path))
    with handle.writing(wait):
        summary = _import(handle, file, dry_run, reviewer, allow_deletes, prefer, as_json)
    if summary["conflict"]:
        click.echo("concepts with conflicts were left unchanged: resolve them with --theirs or --ours, "
                   "or edit the glossary and export again", err=True)
        sys.exit(1)


def _import(handle, file, dry_run, reviewer, allow_deletes, prefer, as_json) -> dict:
    from . import review as review_module

    root = handle.path
    current = handle.termbase(in_memory=True)
    with step(f"reading {file}", "bytes") as progress:
        parsed = review_module.read_review(file, current.languages, progress=progress)
    with step(f"merging {file}", "rows") as progress:
        plan = review_module.plan_import(current, parsed, reviewer=reviewer, allow_deletes=allow_deletes, prefer=prefer,
                                         progress=progress)
    summary = plan.summary()
    if as_json:
        emit_json(dict(plan.as_dict(), dry_run=dry_run))
    else:
        for line in plan.lines():
            click.echo(line)
    for finding in plan.warnings + plan.errors:
        click.echo(str(finding), err=True)
    if plan.errors:
        raise TermbaseError(f"{len(plan.errors)} error(s) in the review file; nothing was imported", file)
    if not dry_run:
        with step("rendering concept files") as progress:
            files, removed = review_module.changed_files(plan, root, progress)
        with step(f"writing {root}", "files") as progress:
            handle.commit(files, removed, progress)
    click.echo(f"{summary['updated']} updated, {summary['added']} added, {summary['deleted']} deleted, "
               f"{summary['conflict']} with conflicts, {summary['rejected']} rejected, "
               f"{summary['unchanged']} unchanged ({summary['mode']})"
               + (" (dry run: nothing written)" if dry_run else ""), err=True)
    return summary
