"""The `termbase` command: thin Click wrappers around the library."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from . import formats, glossary
from .cli_common import (DEFAULT_GLOSSARY, TermbaseGroup, emit_json, glossary_option, json_option, load_termbase,
                         open_termbase, require_glossary_dir, show_warnings, wait_option)
from .errors import Finding, TermbaseError, UsageError
from .model import (AdministrativeStatus, Concept, LangSection, ReviewStatus, Term, Termbase,
                    TermType)
from .progress import step

DEFAULT_EXPORTS = "exports"


@click.group(cls=TermbaseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="termbase")
def main():
    """termbase: an Arabic–English terminology manager.

    The glossary lives in glossary/ as one YAML file per concept; every command that only reads
    also accepts a TBX, XLSX, CSV, TSV or PO file as its termbase (-g FILE).
    """


# --- commands -------------------------------------------------------------------------------

@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=DEFAULT_GLOSSARY)
@click.option("--title", default="Arabic–English termbase", show_default=True)
@click.option("--lang", "languages", multiple=True, default=["en", "ar"], show_default=True, help="language tag (repeatable)")
@click.option("--git", "use_git", is_flag=True, help="also set up git's field-level merge for it (`termbase git-setup`)")
def init(path: Path, title: str, languages, use_git):
    """Create an empty glossary directory at PATH."""
    if (path / glossary.HEADER_FILE).exists():
        raise UsageError("a glossary already exists here", path)
    from .model import check_language_tag
    try:
        tags = [check_language_tag(tag) for tag in languages]
    except ValueError as error:
        raise UsageError(str(error)) from None
    termbase = Termbase(title=title, languages=tags)
    glossary.write(termbase, path)
    (path / glossary.CONCEPT_DIR).mkdir(parents=True, exist_ok=True)
    click.echo(f"created {path / glossary.HEADER_FILE}")
    if use_git:
        from .gitflow import setup
        for line in setup(path, init=True):
            click.echo(line)


@main.command()
@click.argument("concept_id")
@click.option("--en", "en_term", required=True, help="English preferred term")
@click.option("--ar", "ar_term", required=True, help="Arabic preferred term")
@click.option("--en-def", default="", help="English definition")
@click.option("--ar-def", default="", help="Arabic definition")
@click.option("--en-acronym", default="", help="English acronym (admitted term)")
@click.option("--ar-acronym", default="", help="Arabic acronym or short form (admitted term)")
@click.option("--subject", "subjects", multiple=True, help="subject field id (repeatable)")
@click.option("--source", "sources", multiple=True, help="source document id (repeatable)")
@click.option("--by", "author", default="", help="who creates it")
@glossary_option(read_only=False)
@wait_option
def add(concept_id, en_term, ar_term, en_def, ar_def, en_acronym, ar_acronym, subjects, sources, author, glossary_path,
        wait):
    """Add a concept with English and Arabic terms and definitions."""
    handle = open_termbase(require_glossary_dir(glossary_path))
    with handle.writing(wait):
        path = _add(handle, concept_id, en_term, ar_term, en_def, ar_def, en_acronym, ar_acronym, subjects, sources, author)
    click.echo(f"added {path}")


def _add(handle, concept_id, en_term, ar_term, en_def, ar_def, en_acronym, ar_acronym, subjects, sources, author) -> Path:
    root = handle.path
    termbase = handle.termbase(in_memory=True)
    if concept_id in termbase.concepts:
        raise UsageError(f"concept {concept_id!r} already exists (edit {glossary.CONCEPT_DIR}/{concept_id}.yaml)")

    def section(lang, text, definition, acronym):
        terms = [Term(text.strip(), TermType.FULL_FORM, AdministrativeStatus.PREFERRED)]
        if acronym:
            terms.append(Term(acronym.strip(), TermType.ACRONYM, AdministrativeStatus.ADMITTED))
        return LangSection(lang, definition=definition.strip(), terms=terms)

    concept = Concept(id=concept_id, subject_fields=list(subjects), review_status=ReviewStatus.DRAFT,
                      sources=list(sources), created=dt.date.today(), created_by=author,
                      languages={"en": section("en", en_term, en_def, en_acronym),
                                 "ar": section("ar", ar_term, ar_def, ar_acronym)})
    termbase.add(concept)
    from . import validate as validate_module

    problems = [f for f in validate_module.validate_termbase(termbase, "add", only={concept_id}) if f.severity == "error"]
    if problems:
        raise TermbaseError("; ".join(p.message for p in problems), f"{glossary.CONCEPT_DIR}/{concept_id}.yaml")
    path = root / glossary.CONCEPT_DIR / f"{concept_id}.yaml"
    handle.commit({path: glossary.concept_bytes(concept)})
    return path


@main.command()
@click.argument("concept_id")
@glossary_option()
@json_option
def show(concept_id, glossary_path, as_json):
    """Show one concept in full."""
    concept = open_termbase(glossary_path).concept(concept_id)
    if concept is None:
        raise TermbaseError(f"no concept {concept_id!r}", glossary_path)
    if as_json:
        emit_json(glossary.concept_to_dict(concept))
    else:
        click.echo(glossary.concept_bytes(concept).decode("utf-8"), nl=False)


@main.command(name="list")
@glossary_option()
@click.option("--subject", help="only concepts in this subject field")
@click.option("--status", "review", type=click.Choice(ReviewStatus.values()), help="only concepts with this review status")
@json_option
def list_concepts(glossary_path, subject, review, as_json):
    """List concepts: id, English and Arabic preferred terms."""
    rows = open_termbase(glossary_path).summaries(subject, review)
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']}\t{row['en']}\t{row['ar']}")


@main.command()
@click.argument("query")
@glossary_option()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@json_option
def search(query, glossary_path, limit, as_json):
    """Find concepts by term, acronym or definition (Arabic-aware)."""
    if not query.strip():
        raise UsageError("give a search query (it is empty)")
    termbase = open_termbase(glossary_path)
    hits = termbase.search(query, limit=limit)
    if as_json:
        emit_json([dict(hit.as_dict(), **termbase.summary(hit.concept_id)) for hit in hits])
        return
    if not hits:
        click.echo(f"no match for {query!r}", err=True)
        sys.exit(1)
    for hit in hits:
        summary = termbase.summary(hit.concept_id)
        click.echo(f"{hit.concept_id}\t{summary['en']}\t{summary['ar']}\t[{hit.rank}] {hit.reason}")


@main.command()
@glossary_option(read_only=False)
@click.option("--strict", is_flag=True, help="warnings count as errors")
@json_option
def validate(glossary_path, strict, as_json):
    """Check the glossary; exit 1 on errors (or warnings with --strict)."""
    root = require_glossary_dir(glossary_path)
    termbase = open_termbase(root, label=f"checking {root}")
    findings = termbase.validate()
    errors = [f for f in findings if f.severity == "error" or strict]
    if as_json:
        emit_json([f.as_dict() for f in findings])
    else:
        for finding in findings:
            click.echo(str(finding))
        count = termbase.file_count()
        summary = f"{count} concepts: {sum(f.severity == 'error' for f in findings)} errors, {sum(f.severity == 'warning' for f in findings)} warnings"
        click.echo(summary, err=True)
    sys.exit(1 if errors else 0)


@main.command()
@glossary_option()
@json_option
def stats(glossary_path, as_json):
    """Counts per subject field, term type, status and language."""
    data = open_termbase(glossary_path).statistics()
    if as_json:
        emit_json(data)
        return
    click.echo(f"concepts: {data['concepts']}")
    click.echo(f"terms: {data['terms']}")
    for title, key in (("terms per language", "terms_per_language"), ("subject fields", "subject_fields"),
                       ("term types", "term_types"), ("term status", "term_status"), ("review status", "review_status")):
        click.echo(f"{title}:")
        for name, count in data[key].items():
            click.echo(f"  {name:<24} {count:>6}")


@main.command()
@glossary_option(read_only=False)
@click.option("--check", is_flag=True, help="only report files not in canonical form (exit 1 if any)")
@wait_option
def fmt(glossary_path, check, wait):
    """Rewrite the glossary files in canonical form."""
    root = require_glossary_dir(glossary_path)

    def stale_files() -> dict:
        termbase = glossary.read(root)
        return {path: data for path, data in glossary.rendered(termbase, root).items() if path.read_bytes() != data}

    if check:
        stale = stale_files()
        for path in stale:
            click.echo(f"{path}: not in canonical form (run `termbase fmt`)")
        sys.exit(1 if stale else 0)
    handle = open_termbase(root)
    with handle.writing(wait):
        stale = stale_files()
        handle.commit(stale)
    for path in stale:
        click.echo(f"rewrote {path}")


# --- exchange -------------------------------------------------------------------------------

@main.command()
@click.option("-f", "--format", "fmt", type=click.Choice(list(formats.FORMATS)), help="output format")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="output file (default: exports/<standard name>)")
@click.option("--all", "all_formats", is_flag=True, help="write every format into exports/")
@click.option("--check", is_flag=True, help="with --all: exit 1 naming each export that is stale")
@click.option("--tbx-version", type=click.Choice(["2", "3"]), help="TBX version (2 = martif, for older CAT tools)")
@click.option("--no-bom", is_flag=True, help="CSV/TSV without a byte-order mark")
@click.option("--exports", "exports_dir", default=DEFAULT_EXPORTS, show_default=True, type=click.Path(path_type=Path))
@glossary_option()
@wait_option
def export(fmt, output, all_formats, check, tbx_version, no_bom, exports_dir, glossary_path, wait):
    """Export the termbase to TBX, PO/MO, XLSX, CSV, TSV or OmegaT."""
    if all_formats == bool(fmt):
        raise UsageError("give either --format FMT or --all")
    if check and not all_formats:
        raise UsageError("--check goes with --all")
    if tbx_version:
        if fmt not in ("tbx", "tbx2"):
            raise UsageError("--tbx-version goes with --format tbx")
        fmt = "tbx2" if tbx_version == "2" else "tbx"
    if no_bom and fmt not in ("csv", "tsv"):
        raise UsageError("--no-bom goes with --format csv or tsv")
    options = {"bom": False} if no_bom else {}
    if fmt:
        target = output or exports_dir / formats.get(fmt).export_name
        if glossary_path.is_file():
            warnings: list = []
            with step(f"converting {glossary_path}", "bytes") as progress:
                formats.convert(glossary_path, target, fmt, warnings=warnings, progress=progress, **options)
            show_warnings(warnings)
        else:
            handle = open_termbase(glossary_path)
            with step(f"writing {target}") as progress:
                handle.export(target, fmt, progress=progress, **options)
        click.echo(f"wrote {target}", err=True)
        return
    termbase = open_termbase(glossary_path).termbase(in_memory=True)

    def stale_exports() -> dict:
        rendered = {}
        for f in formats.FORMATS.values():
            if f.export_name and f.in_all:
                with step(f"exporting {f.export_name}") as progress:
                    rendered[exports_dir / f.export_name] = formats.render(termbase, f.name, progress=progress)
        return {target: data for target, data in rendered.items() if not target.exists() or target.read_bytes() != data}

    if check:
        from .store import settle

        if exports_dir.is_dir():
            settle(exports_dir, lambda message: click.echo(message, err=True))
        stale = stale_exports()
        for target in stale:
            click.echo(f"{target}: stale (run `termbase export --all`)")
        sys.exit(1 if stale else 0)
    from .store import journal
    from .store.lock import WriteLock

    exports_dir.mkdir(parents=True, exist_ok=True)
    with WriteLock(exports_dir, wait):        # the set of exports changes all at once, one writer at a time
        journal.recover(exports_dir)
        stale = stale_exports()
        journal.commit(exports_dir, stale)
    for target in stale:
        click.echo(f"wrote {target}", err=True)
    if not stale:
        click.echo(f"{exports_dir}: all exports up to date", err=True)


@main.command(name="import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-f", "--format", "fmt", type=click.Choice([n for n, f in formats.FORMATS.items() if f.readable]),
              help="the file's format, when its name and content do not tell (FILE may also be a glossary directory)")
@click.option("--dry-run", is_flag=True, help="report what would change, write nothing")
@click.option("--source-lang", help="language of the first column of a two-column table (default en)")
@click.option("--target-lang", help="language of the second column of a two-column table (default ar)")
@glossary_option(read_only=False)
@json_option
@wait_option
def import_(file, fmt, dry_run, source_lang, target_lang, glossary_path, as_json, wait):
    """Merge concepts from FILE into the glossary, with a change report."""
    handle = open_termbase(require_glossary_dir(glossary_path))
    with handle.writing(wait):
        ambiguous = _import(handle, file, fmt, dry_run, source_lang, target_lang, as_json)
    sys.exit(1 if ambiguous else 0)


def _import(handle, file, fmt, dry_run, source_lang, target_lang, as_json) -> bool:
    root = handle.path
    current = handle.termbase(in_memory=True)
    warnings: list = []
    languages = {k: v for k, v in (("source_lang", source_lang), ("target_lang", target_lang)) if v}
    incoming = open_termbase(file, fmt, warnings, **languages).termbase(in_memory=True)
    if not len(incoming):
        warnings.append(Finding(file, None, "warning", "the file holds no concepts", "empty-import"))
    from . import merge, validate as validate_module

    warnings += validate_module.sanitize(incoming, str(file))
    show_warnings(warnings)
    if any(w.severity == "error" for w in warnings):
        raise TermbaseError("the file has errors (listed above); nothing was written", file)
    with step(f"merging {file}") as progress:
        merged, report = merge.merge_into(current, incoming, progress)
    touched = set(report.added) | set(report.updated)
    with step("checking the merged glossary") as progress:
        findings = validate_module.validate_termbase(merged, str(file), only=touched, progress=progress)
    errors = [f for f in findings if f.severity == "error"]
    if as_json:
        emit_json(dict(report.as_dict(), errors=[f.as_dict() for f in errors],
                       warnings=[f.as_dict() for f in findings if f.severity != "error"], dry_run=dry_run))
    else:
        for change in report.changes:
            click.echo(str(change))
        for subject in report.new_subject_fields:
            click.echo(f"{glossary.HEADER_FILE}: subject field {subject!r} added (describe it there)")
        for label, candidates, reason in report.ambiguous:
            click.echo(f"ambiguous: {label!r} matches {', '.join(candidates)} ({reason}); not imported")
        for finding in findings:
            click.echo(str(finding), err=True)
        click.echo(f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
                   f"{len(report.ambiguous)} ambiguous" + (" (dry run: nothing written)" if dry_run else ""), err=True)
    if errors:
        raise TermbaseError("the import would make the glossary invalid; nothing was written", file)
    if not dry_run:
        with step("rendering concept files") as progress:
            files, removed = glossary.changes(merged, root, prune=False, progress=progress)
        with step(f"writing {root}", "files") as progress:
            handle.commit(files, removed, progress)
    return bool(report.ambiguous)


@main.command()
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@json_option
def diff(a, b, as_json):
    """What differs between two termbases (glossary directories or files); exit 1 if any."""
    from . import merge

    changes = merge.diff(load_termbase(a), load_termbase(b))
    if as_json:
        emit_json([c.as_dict() for c in changes])
    else:
        for change in changes:
            click.echo(str(change))
    sys.exit(1 if changes else 0)


# --- commands defined beside their library modules ---
from .cli_recognition import check as _check, extract as _extract, find as _find  # noqa: E402
from .cli_review import review as _review  # noqa: E402
from .cli_site import site as _site  # noqa: E402
from .cli_git import COMMANDS as _git_commands  # noqa: E402

for _command in (_find, _extract, _check, _review, _site, *_git_commands):
    main.add_command(_command)


if __name__ == "__main__":
    main()
