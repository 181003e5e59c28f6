"""`termbase find`, `termbase extract`, `termbase check`: recognition commands (registered by cli.py)."""
from __future__ import annotations

import contextlib
import itertools
import json
from pathlib import Path

import click

from .cli_common import emit_json, glossary_option, json_option, open_termbase
from .model import primary_language
from .progress import step, within
from .recognition import read_text

files_argument = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))


def files_label(verb: str, files) -> str:
    return f"{verb} {files[0]}" if len(files) == 1 else f"{verb} {len(files)} files"


@contextlib.contextmanager
def over_files(verb: str, files):
    """(the step's Progress, a callback per file): one progress bar over all `files`, in bytes, to
    which each file's callback reports that file's share (Progress and callbacks None off a terminal)."""
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:         # reported when the file is read
            sizes.append(0)
    total = sum(sizes)
    with step(files_label(verb, files), "bytes") as progress:
        yield progress, [within(progress, start, size, total)
                         for start, size in zip(itertools.accumulate([0] + sizes), sizes)]


@click.command()
@files_argument
@click.option("--lang", type=click.Choice(["ar", "en", "auto"]), default="auto", show_default=True,
              help="which glossary language to look for (auto: all)")
@glossary_option()
@json_option
def find(files, lang, glossary_path, as_json):
    """Every occurrence of a glossary term in text, PO, XLIFF or TMX files.

    Prints `file:line:col: surface → concept (preferred term in the other language)`; in
    bilingual files the source side is searched for source-language terms and the target side
    for target-language terms (line: of the segment, column: within the segment text).
    """
    termbase = open_termbase(glossary_path)
    languages = None if lang == "auto" else [lang]
    results = []
    with over_files("searching", files) as (progress, parts):
        for path, part in zip(files, parts):
            for occurrence in termbase.find_in_file(path, languages, part):
                if as_json:
                    results.append(occurrence)
                else:
                    other = f" ({occurrence['other']})" if occurrence["other"] else ""
                    if progress is not None:
                        progress.clear()
                    click.echo(f"{occurrence['path']}:{occurrence['line']}:{occurrence['column']}: "
                               f"{occurrence['surface']} → {occurrence['concept']}{other}")
    if as_json:
        emit_json(results)


@click.command()
@files_argument
@click.option("--lang", type=click.Choice(["ar", "en"]), default="ar", show_default=True,
              help="language of the candidates")
@click.option("--min-freq", type=click.IntRange(min=1), default=2, show_default=True,
              help="least frequency of an n-gram candidate (pairs are always listed)")
@click.option("--format", "output_format", type=click.Choice(["text", "csv"]), default="text", show_default=True,
              help="csv: draft concepts in the CSV column format, for `termbase import`")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="write to this file instead of stdout")
@glossary_option()
@json_option
def extract(files, lang, min_freq, output_format, output, glossary_path, as_json):
    """Candidate terms not yet in the glossary: acronym pairs, then recurring phrases by C-value."""
    from . import bilingual as bilingual_module

    from . import extract as extract_module, formats

    known = open_termbase(glossary_path) if Path(glossary_path).exists() else None
    texts, size = [], 0
    for path in files:
        raw = bilingual_module._read_bytes(path)
        size += len(raw)
        if bilingual_module.detect(path, raw) is None:
            texts.append((path, read_text(path)))
        else:
            document = bilingual_module.read(path)
            side = "source" if primary_language(document.source_lang or "en") == lang else "target"
            texts.append((path, "\n".join(getattr(s, side) for s in document.segments)))
    matcher = known.matcher() if known is not None and known.count() else None
    with step(files_label("extracting from", files), "bytes") as progress:   # the texts' characters, as the files' bytes
        candidates = extract_module.extract(texts, None, lang, min_freq, matcher=matcher,
                                            progress=within(progress, 0, size, size))
    if output_format == "csv":
        data = formats.render(extract_module.to_termbase(candidates), "csv")
        if output:
            from .fileio import write_bytes_atomic
            write_bytes_atomic(output, data)
        else:
            click.get_binary_stream("stdout").write(data)
        return
    if as_json:
        text = json.dumps([c.as_dict() for c in candidates], ensure_ascii=False, indent=2)
    else:
        lines = []
        for c in candidates:
            partner = f" ({c.en})" if c.en else ""
            score = f" C-value {c.score:.2f}" if c.kind == "ngram" else ""
            lines.append(f"{c.path}:{c.line}: {c.kind}: {c.text}{partner} ×{c.frequency}{score}")
        text = "\n".join(lines)
    if output:
        from .fileio import write_bytes_atomic
        write_bytes_atomic(output, (text + "\n").encode("utf-8"))
    else:
        click.echo(text)


@click.command()
@files_argument
@click.option("--all", "include_all", is_flag=True, help="also check fuzzy and untranslated entries")
@click.option("--source-lang", help="override the file's source language")
@click.option("--target-lang", help="override the file's target language")
@glossary_option()
@json_option
@click.pass_context
def check(ctx, files, include_all, source_lang, target_lang, glossary_path, as_json):
    """Terminology QA of PO, XLIFF 1.2/2.0, TMX or two-column CSV files against the glossary.

    Each finding: `file:line: segment: severity: message [rule]`; exit code 1 when any is an error.
    """
    termbase = open_termbase(glossary_path)
    findings = []
    with over_files("checking", files) as (_, parts):
        for path, part in zip(files, parts):
            findings.extend(termbase.check(path, include_all, source_lang, target_lang, part))
    if as_json:
        emit_json([f.as_dict() for f in findings])
    else:
        for finding in findings:
            click.echo(str(finding))
    if any(f.severity == "error" for f in findings):
        ctx.exit(1)
