"""The format registry: which module reads and writes which file, and how a file is recognised.

Every format module has `read(source, warnings=None, progress=None, **options) -> Termbase` and
`write(termbase, target, progress=None, **options)`, where `source` is a path or a binary stream
and `target` a binary stream; `warnings` is a list the reader appends `Finding`s to (data it could
not map, suspicious cells), so nothing it read is dropped silently. `progress(done, total)`, if
given, hears how far a long job is (`termbase.progress`): a reader in bytes of its source, a
writer in concepts written.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import NotStreamable, TermbaseError, UsageError
from ..fileio import atomic_open, read_head
from ..model import Concept, Termbase

MAX_INPUT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Format:
    name: str
    module: str
    extensions: tuple
    export_name: str | None = None
    readable: bool = True
    options: dict = field(default_factory=dict)
    in_all: bool = True          # written by `export --all` (only byte-for-byte reproducible formats)
    description: str = ""

    def load(self):
        return importlib.import_module(f"termbase.formats.{self.module}")


FORMATS = {f.name: f for f in [
    Format("tbx", "tbx", (".tbx",), "termbase.tbx", options={"version": 3},
           description="TBX v3, ISO 30042:2019 TBX-Basic (DCA)"),
    Format("tbx2", "tbx", (".tbx2",), "termbase-v2.tbx", options={"version": 2},
           description="TBX v2, ISO 30042:2008 martif TBX-Basic, for CAT tools"),
    Format("po", "po", (".po", ".pot"), "ar.po", description="gettext PO, en → ar"),
    Format("mo", "mo", (".mo",), "ar.mo", readable=False, description="compiled gettext MO"),
    Format("xlsx", "xlsx", (".xlsx",), "termbase.xlsx", description="Excel workbook for reviewers"),
    Format("csv", "delimited", (".csv",), "termbase.csv", options={"dialect": "csv"},
           description="CSV, language-code columns (memoQ/Phrase)"),
    Format("tsv", "delimited", (".tsv", ".tab"), "termbase.tsv", options={"dialect": "tsv"},
           description="TSV, language-code columns"),
    Format("omegat", "delimited", (".utf8", ".txt"), "termbase-en-ar.utf8", options={"dialect": "omegat"},
           description="OmegaT glossary (source, target, comment)"),
    Format("sqlite", "sqlite", (".sqlite", ".sqlite3", ".db"), "termbase.sqlite", in_all=False,
           description="SQLite database with full-text search, for other tools"),
]}


def get(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown format {name!r}; choose from {', '.join(FORMATS)}") from None


def _sniff(head: bytes) -> str | None:
    """Guess a format from the first bytes of a file."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde"):
        return "mo"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<") or head.startswith((b"\xff\xfe<", b"\xfe\xff\x00<")):
        lowered = head.lower()
        if b"<martif" in lowered:
            return "tbx2"
        return "tbx"
    if b"msgid" in head:
        return "po"
    return None


def detect(path) -> Format:
    """The format of `path`: by content where it tells, else by extension."""
    path = Path(path)
    sniffed = _sniff(read_head(path))
    by_extension = next((f for f in FORMATS.values() if path.suffix.lower() in f.extensions), None)
    if sniffed in ("tbx", "tbx2") and by_extension is not None and by_extension.module == "tbx":
        return FORMATS["tbx"]
    if sniffed:
        return FORMATS["tbx" if sniffed == "tbx2" else sniffed]
    if by_extension is not None:
        return by_extension
    raise UsageError(f"cannot tell the format of this file; give --format ({', '.join(FORMATS)})", path)


def _readable(path: Path, fmt: str | None) -> Format:
    if not path.is_file():
        raise TermbaseError("no such file", path)
    format_ = get(fmt) if fmt else detect(path)
    if not format_.readable:
        raise UsageError(f"{format_.name} files cannot be read; use the PO file instead", path)
    return format_


def read_file(path, fmt: str | None = None, warnings: list | None = None, progress=None, **options) -> Termbase:
    """Read any importable file into a Termbase; `options` go to the reader (e.g. source_lang);
    `progress(bytes, total)` hears how much of the file is read."""
    path = Path(path)
    size = path.stat().st_size if path.is_file() else 0
    if size > MAX_INPUT_BYTES:
        raise TermbaseError(f"file is {size} bytes, over the {MAX_INPUT_BYTES}-byte limit", path)
    format_ = _readable(path, fmt)
    options = {**{k: v for k, v in format_.options.items() if k != "version"}, **options}
    return format_.load().read(path, warnings=warnings, progress=progress, **options)


def iter_file(path, fmt: str | None = None, warnings: list | None = None, progress=None) -> Iterator[Concept]:
    """The concepts of a file one at a time, in little memory whatever its size, where its reader
    can (TBX, our XLSX workbooks); NotStreamable where it cannot, then or on the way: read the file
    whole with read_file."""
    path = Path(path)
    reader = _readable(path, fmt).load()
    if not hasattr(reader, "iter_concepts"):
        raise NotStreamable(f"{path}: its format is read whole")
    return reader.iter_concepts(path, warnings=warnings, progress=progress)


def write_file(termbase: Termbase, path, fmt: str, **options) -> None:
    """Write `termbase` to `path` atomically in format `fmt` (`progress=` hears of concepts written)."""
    format_ = get(fmt)
    with atomic_open(path, "wb") as handle:
        format_.load().write(termbase, handle, **{**format_.options, **options})


def render(termbase: Termbase, fmt: str, **options) -> bytes:
    """The bytes `write_file` would write."""
    import io

    format_ = get(fmt)
    buffer = io.BytesIO()
    format_.load().write(termbase, buffer, **{**format_.options, **options})
    return buffer.getvalue()


def convert(source, target, fmt: str, source_fmt: str | None = None, warnings: list | None = None,
            progress=None, **options) -> None:
    """Convert a file to `fmt` at `target`, streaming concept by concept when both formats can;
    `progress(bytes, total)` hears how much of `source` is read."""
    import inspect

    reader_format = get(source_fmt) if source_fmt else detect(source)
    reader, writer = reader_format.load(), get(fmt).load()
    if hasattr(reader, "iter_concepts") and "concepts" in inspect.signature(writer.write).parameters:
        found: list = []        # the reader's findings, kept only if the streamed reading goes through
        try:
            header = reader.read_header(source)
            with atomic_open(target, "wb") as handle:
                writer.write(header, handle, concepts=reader.iter_concepts(source, warnings=found, progress=progress),
                             **{**get(fmt).options, **options})
        except NotStreamable:   # e.g. a workbook whose concepts' rows are apart: read whole below,
            found.clear()       # which finds the same again
        else:
            return
        finally:
            if warnings is not None:
                warnings += found
    write_file(read_file(source, reader_format.name, warnings, progress), target, fmt, **options)
