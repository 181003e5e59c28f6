"""`termbase find`, `termbase extract`, `termbase check`: recognition commands (registered by cli.py)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .cli_common import emit_json, glossary_option, json_option, load_termbase
from .fileio import decode_text
from .model import Termbase, primary_language

files_argument = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))


def _load(path: Path, required: bool = True) -> Termbase | None:
    if not required and not Path(path).exists():
        return None
    return load_termbase(path)


def read_text(path: Path) -> str:
    """A UTF-8 text file (BOM allowed); a bad byte is an error naming its line."""
    from . import bilingual as bilingual_module

    return decode_text(bilingual_module._read_bytes(path), path).replace("\r\n", "\n").replace("\r", "\n")


def _other_language(termbase: Termbase, concept, lang: str) -> str:
    own = primary_language(lang)
    order = [tag for tag in termbase.languages if primary_language(tag) != own]
    order += [tag for tag in concept.languages if primary_language(tag) != own and tag not in order]
    for tag in order:
        term = concept.preferred_term(tag)
        if term is not None:
            return term.text
    return ""


def find_occurrences(termbase: Termbase, matcher, path: Path, languages=None):
    """Yield occurrence dicts for one file: plain text, or both sides of a bilingual file."""
    from . import bilingual as bilingual_module

    raw = bilingual_module._read_bytes(path)
    if bilingual_module.detect(path, raw) is None:
        sides = [(1, read_text(path), languages, "text")]
    else:
        document = bilingual_module.read(path)
        sides = []
        for segment in document.segments:
            for text, lang, line, side in ((segment.source, segment.source_lang, segment.line, "source"),
                                           (segment.target, segment.target_lang, segment.target_line, "target")):
                if not text:
                    continue
                wanted = [lang] if lang else languages
                if languages and lang and primary_language(lang) not in {primary_language(l) for l in languages}:
                    continue
                sides.append((line or segment.line, text, wanted, side, segment.id))
    for item in sides:
        first_line, text, wanted, side = item[:4]
        for hit in matcher.find_text(text, wanted):
            for entry in hit.entries:
                concept = termbase.concepts[entry.concept_id]
                yield {"path": str(path), "line": first_line + hit.line - 1, "column": hit.column,
                       "surface": hit.surface, "concept": entry.concept_id, "lang": entry.lang,
                       "term": matcher.term(entry).text, "other": _other_language(termbase, concept, entry.lang),
                       "side": side, "segment": item[4] if len(item) > 4 else None}


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
    from .matcher import Matcher

    termbase = _load(glossary_path)
    matcher = Matcher(termbase)
    languages = None if lang == "auto" else [lang]
    results = []
    for path in files:
        for occurrence in find_occurrences(termbase, matcher, path, languages):
            if as_json:
                results.append(occurrence)
            else:
                other = f" ({occurrence['other']})" if occurrence["other"] else ""
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

    termbase = _load(glossary_path, required=False)
    texts = []
    for path in files:
        raw = bilingual_module._read_bytes(path)
        if bilingual_module.detect(path, raw) is None:
            texts.append((path, read_text(path)))
        else:
            document = bilingual_module.read(path)
            side = "source" if primary_language(document.source_lang or "en") == lang else "target"
            texts.append((path, "\n".join(getattr(s, side) for s in document.segments)))
    candidates = extract_module.extract(texts, termbase, lang, min_freq)
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
    from . import bilingual as bilingual_module

    from . import qa
    from .matcher import Matcher

    termbase = _load(glossary_path)
    matcher = Matcher(termbase)
    findings = []
    for path in files:
        document = bilingual_module.read(path, source_lang, target_lang)
        findings.extend(qa.check(termbase, document, include_all, matcher))
    if as_json:
        emit_json([f.as_dict() for f in findings])
    else:
        for finding in findings:
            click.echo(str(finding))
    if any(f.severity == "error" for f in findings):
        ctx.exit(1)
