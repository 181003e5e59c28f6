"""Occurrences of glossary terms in texts and files: what `termbase find` reports."""
from __future__ import annotations

from pathlib import Path

from .fileio import decode_text
from .model import Termbase, primary_language
from .progress import counted

PIECE = 1 << 18     # characters searched between two reports of progress


def read_text(path: Path) -> str:
    """A UTF-8 text file (BOM allowed) with LF line ends; a bad byte is an error naming its line."""
    from . import bilingual

    return decode_text(bilingual._read_bytes(path), path).replace("\r\n", "\n").replace("\r", "\n")


def other_language(termbase: Termbase, concept, lang: str) -> str:
    """The concept's preferred term in the first other language that has one."""
    own = primary_language(lang)
    order = [tag for tag in termbase.languages if primary_language(tag) != own]
    order += [tag for tag in concept.languages if primary_language(tag) != own and tag not in order]
    for tag in order:
        term = concept.preferred_term(tag)
        if term is not None:
            return term.text
    return ""


def in_text(termbase: Termbase, matcher, text: str, languages=None, path: str | None = None,
            first_line: int = 1, side: str = "text", segment: str | None = None, progress=None):
    """Yield an occurrence dict for every term hit in `text`; `progress(characters, total)` hears
    how much of it is searched."""
    if progress is not None:
        from .matcher import blocks

        done = 0
        for piece in blocks(text, PIECE):
            yield from in_text(termbase, matcher, piece, languages, path, first_line, side, segment)
            first_line += piece.count("\n") + 1
            done = min(done + len(piece) + 1, len(text))
            progress(done, len(text))
        return
    for hit in matcher.find_text(text, languages):
        for entry in hit.entries:
            concept = termbase.concepts[entry.concept_id]
            yield {"path": path, "line": first_line + hit.line - 1, "column": hit.column,
                   "surface": hit.surface, "concept": entry.concept_id, "lang": entry.lang,
                   "term": matcher.term(entry).text, "other": other_language(termbase, concept, entry.lang),
                   "side": side, "segment": segment}


def in_file(termbase: Termbase, matcher, path: Path, languages=None, progress=None):
    """Occurrences in one file: plain text, or both sides of a PO, XLIFF or TMX file (the source
    side for source-language terms, the target side for target-language terms).
    `progress(done, total)` hears how much of the file is searched (characters of a text,
    segments of a bilingual file)."""
    from . import bilingual

    raw = bilingual._read_bytes(path)
    if bilingual.detect(path, raw) is None:
        yield from in_text(termbase, matcher, read_text(path), languages, str(path), progress=progress)
        return
    wanted_languages = {primary_language(lang) for lang in languages} if languages else None
    for segment in counted(bilingual.read(path).segments, progress):
        for text, lang, line, side in ((segment.source, segment.source_lang, segment.line, "source"),
                                       (segment.target, segment.target_lang, segment.target_line, "target")):
            if not text:
                continue
            if wanted_languages and lang and primary_language(lang) not in wanted_languages:
                continue
            yield from in_text(termbase, matcher, text, [lang] if lang else languages, str(path),
                               line or segment.line, side, segment.id)
