"""Segments of bilingual files — PO, XLIFF 1.2, XLIFF 2.0, TMX, two-column CSV/TSV — with line numbers.

`read(path)` returns a `Bilingual`: the source and target language the file declares and its
segments in document order. Inline codes (XLIFF 1.2 `ph/bpt/ept/it`, TMX `bpt/ept/it/ph/ut`) are
native data, not text, and are left out; marked text (`g`, `mrk`, `pc`, `hi`) is kept. Only a
unit's own target counts (never `alt-trans`). XML is parsed without entities, DTDs or network.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .fileio import decode_text
from .errors import TermbaseError, malformed_xml
from .formats import MAX_INPUT_BYTES
from .model import check_language_tag

XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"
XLIFF20 = "urn:oasis:names:tc:xliff:document:2.0"
XLIFF1_NAMESPACES = {None, "urn:oasis:names:tc:xliff:document:1.1", XLIFF12}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CODE_ELEMENTS_12 = {"ph", "bpt", "ept", "it", "sub"}
CODE_ELEMENTS_TMX = {"bpt", "ept", "it", "ph", "ut", "sub"}
UNTRANSLATED_12 = {"new", "needs-translation"}
FUZZY_12 = {"needs-review-translation", "needs-adaptation", "needs-l10n", "needs-review-adaptation",
            "needs-review-l10n"}

TRANSLATED, FUZZY, UNTRANSLATED = "translated", "fuzzy", "untranslated"


@dataclass
class Segment:
    """One source text and its translation; `state` is translated, fuzzy or untranslated."""

    id: str
    source: str
    target: str
    line: int
    target_line: int | None = None
    state: str = TRANSLATED
    source_lang: str = ""
    target_lang: str = ""


@dataclass
class Bilingual:
    path: str
    format: str
    source_lang: str = ""
    target_lang: str = ""
    segments: list[Segment] = field(default_factory=list)


def _read_bytes(path) -> bytes:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise TermbaseError(f"file is {size} bytes, over the {MAX_INPUT_BYTES}-byte limit", path)
        return path.read_bytes()
    except OSError as error:
        raise TermbaseError(f"cannot read: {error.strerror}", path) from None


def detect(path, raw: bytes) -> str | None:
    """`po`, `xliff`, `tmx`, `csv` or None (not a bilingual file)."""
    suffix = Path(path).suffix.lower()
    head = raw[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            pass
    lowered = head.lower()
    if b"<xliff" in lowered:
        return "xliff"
    if b"<tmx" in lowered:
        return "tmx"
    if suffix in (".po", ".pot"):
        return "po"
    if suffix in (".csv", ".tsv", ".tab"):
        return "csv"
    if suffix in (".xlf", ".xliff", ".sdlxliff", ".mqxliff"):
        return "xliff"
    if suffix == ".tmx":
        return "tmx"
    if b"\nmsgid " in b"\n" + head or b"\nmsgstr " in head:
        return "po"
    return None


def read(path, source_lang: str | None = None, target_lang: str | None = None) -> Bilingual:
    """The segments of a bilingual file, its format detected from content and name."""
    raw = _read_bytes(path)
    kind = detect(path, raw)
    if kind is None:
        raise TermbaseError("not a bilingual file (PO, XLIFF, TMX or two-column CSV/TSV)", path)
    reader = {"po": _read_po, "xliff": _read_xliff, "tmx": _read_tmx, "csv": _read_csv}[kind]
    result = reader(path, raw, source_lang, target_lang)
    for segment in result.segments:
        segment.source_lang = segment.source_lang or result.source_lang
        segment.target_lang = segment.target_lang or result.target_lang
    return result


# --- PO --------------------------------------------------------------------------------------

def _read_po(path, raw, source_lang, target_lang) -> Bilingual:
    import polib

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    try:
        catalog = polib.pofile(text if text is not None else str(path), wrapwidth=0)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        message = str(error)
        line = None
        if "(line " in message:
            try:
                line = int(message.rsplit("(line ", 1)[1].split(")")[0])
            except ValueError:
                pass
        raise TermbaseError(f"malformed PO file: {message}", path, line) from None
    result = Bilingual(str(path), "po", source_lang or "en",
                       target_lang or catalog.metadata.get("Language", "").strip() or "")
    for entry in catalog:
        if entry.obsolete or not entry.msgid:
            continue
        state = FUZZY if "fuzzy" in entry.flags else TRANSLATED
        base = f"{entry.msgctxt}\u0004{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for index in sorted(entry.msgstr_plural):
                target = entry.msgstr_plural[index]
                result.segments.append(Segment(
                    f"{base}[{index}]", entry.msgid if index == 0 else entry.msgid_plural, target,
                    entry.linenum, None, state if target else UNTRANSLATED))
        else:
            result.segments.append(Segment(base, entry.msgid, entry.msgstr, entry.linenum, None,
                                           state if entry.msgstr else UNTRANSLATED))
    return result


# --- XML -------------------------------------------------------------------------------------

def parse_xml(path, raw: bytes):
    """Parse untrusted XML: no entity expansion, no DTD, no network, no huge trees."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_pis=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as error:
        raise malformed_xml(error, path) from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.entities()):
        names = ", ".join(entity.name for entity in list(dtd.entities())[:5])
        raise TermbaseError(f"the DOCTYPE declares entities ({names}); they are not expanded, so the text "
                            "would be incomplete — remove them", path, 1)
    return root


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def inline_text(element, skip=frozenset()) -> str:
    """The text of an element, leaving out inline code elements (`skip`), comments and PIs."""
    parts = [element.text or ""]
    for child in element:
        name = _local(child.tag)
        if name == "cp" and child.get("hex"):
            try:
                parts.append(chr(int(child.get("hex"), 16)))
            except ValueError:
                pass
        elif name and name not in skip:
            parts.append(inline_text(child, skip))
        parts.append(child.tail or "")
    return "".join(parts)


def _lang(tag: str | None) -> str:
    if not tag:
        return ""
    try:
        return check_language_tag(tag)
    except ValueError:
        return tag


def _read_xliff(path, raw, source_lang, target_lang) -> Bilingual:
    root = parse_xml(path, raw)
    namespace = etree.QName(root).namespace
    version = root.get("version", "")
    if namespace == XLIFF20:
        return _read_xliff20(path, root, source_lang, target_lang)
    if namespace not in XLIFF1_NAMESPACES or version.startswith("2"):
        raise TermbaseError(f"<xliff version={version!r}> in namespace {namespace!r}: expected XLIFF 1.2 ({XLIFF12}) "
                            f"or 2.0 ({XLIFF20})", path, root.sourceline)
    return _read_xliff12(path, root, source_lang, target_lang)


def _read_xliff12(path, root, source_lang, target_lang) -> Bilingual:
    """XLIFF 1.2, and 1.0/1.1 (the same elements, in their own namespace or none)."""
    namespace = etree.QName(root).namespace
    prefix = f"{{{namespace}}}" if namespace else ""
    result = Bilingual(str(path), "xliff-1.2", source_lang or "", target_lang or "")
    for file_element in root.iter(f"{prefix}file"):
        file_source = source_lang or _lang(file_element.get("source-language"))
        file_target = target_lang or _lang(file_element.get("target-language"))
        result.source_lang = result.source_lang or file_source
        result.target_lang = result.target_lang or file_target
        for unit in file_element.iter(f"{prefix}trans-unit"):
            if unit.get("translate") == "no":
                continue
            source = unit.find(f"{prefix}source")
            if source is None:
                continue
            target = unit.find(f"{prefix}target")   # the unit's own target, never alt-trans/target
            target_text = inline_text(target, CODE_ELEMENTS_12) if target is not None else ""
            state_attr = target.get("state", "") if target is not None else ""
            if not target_text.strip() or state_attr in UNTRANSLATED_12:
                state = UNTRANSLATED
            elif state_attr in FUZZY_12 or unit.get("approved") == "no" and state_attr.startswith("needs"):
                state = FUZZY
            else:
                state = TRANSLATED
            result.segments.append(Segment(
                unit.get("id") or unit.get("resname") or str(unit.sourceline),
                inline_text(source, CODE_ELEMENTS_12), target_text, source.sourceline,
                target.sourceline if target is not None else None, state,
                source_lang or _lang(source.get(XML_LANG)) or file_source,
                target_lang or (_lang(target.get(XML_LANG)) if target is not None else "") or file_target))
    return result


def _effective_translate(element) -> bool:
    node = element
    while node is not None:
        value = node.get("translate")
        if value is not None:
            return value != "no"
        node = node.getparent()
    return True


def _read_xliff20(path, root, source_lang, target_lang) -> Bilingual:
    ns = {"x": XLIFF20}
    result = Bilingual(str(path), "xliff-2.0", source_lang or _lang(root.get("srcLang")),
                       target_lang or _lang(root.get("trgLang")))
    for unit in root.iter(f"{{{XLIFF20}}}unit"):
        if not _effective_translate(unit):
            continue
        for number, segment in enumerate(unit.findall("x:segment", ns), 1):
            source = segment.find("x:source", ns)
            if source is None:
                continue
            target = segment.find("x:target", ns)
            target_text = inline_text(target) if target is not None else ""
            state_attr = segment.get("state", "")
            if not target_text.strip():
                state = UNTRANSLATED
            elif state_attr == "initial":
                state = FUZZY
            else:
                state = TRANSLATED
            result.segments.append(Segment(
                f"{unit.get('id')}/{segment.get('id') or number}", inline_text(source), target_text,
                source.sourceline, target.sourceline if target is not None else None, state))
    return result


def _read_tmx(path, raw, source_lang, target_lang) -> Bilingual:
    from .model import primary_language

    root = parse_xml(path, raw)
    header = root.find("header")
    declared = header.get("srclang", "") if header is not None else ""
    result = Bilingual(str(path), "tmx", source_lang or ("" if declared.lower() in ("", "*all*") else _lang(declared)),
                       target_lang or "")
    for number, tu in enumerate(root.iter("tu"), 1):
        variants = []
        for tuv in tu.findall("tuv"):
            seg = tuv.find("seg")
            lang = _lang(tuv.get(XML_LANG) or tuv.get("lang"))
            if not lang or seg is None:   # TMX requires both: skipping the variant would hide its text
                missing = "an xml:lang attribute" if not lang else "a <seg>"
                raise TermbaseError(f"TMX <tuv> without {missing}", path, tuv.sourceline)
            variants.append((lang, seg))
        if not variants:
            continue
        wanted_source = result.source_lang or variants[0][0]
        result.source_lang = result.source_lang or wanted_source
        sources = [v for v in variants if primary_language(v[0]) == primary_language(wanted_source)]
        targets = [v for v in variants if primary_language(v[0]) != primary_language(wanted_source)]
        if target_lang:
            targets = [v for v in targets if primary_language(v[0]) == primary_language(target_lang)]
        if not sources:
            continue
        source_lang_tu, source = sources[0]
        ident = tu.get("tuid") or f"tu{number}"
        for lang, seg in targets or [("", None)]:
            text = inline_text(seg, CODE_ELEMENTS_TMX) if seg is not None else ""
            result.target_lang = result.target_lang or lang
            ident_here = ident if len(targets) <= 1 else f"{ident}/{lang}"
            result.segments.append(Segment(
                ident_here, inline_text(source, CODE_ELEMENTS_TMX), text, source.sourceline,
                seg.sourceline if seg is not None else None, TRANSLATED if text.strip() else UNTRANSLATED,
                source_lang_tu, lang))
    return result


# --- CSV -------------------------------------------------------------------------------------

def _decode(path, raw: bytes) -> str:
    return decode_text(raw, path)


def _is_language_header(cell: str) -> bool:
    cell = cell.strip()
    if cell.lower() in ("source", "target"):
        return True
    try:
        check_language_tag(cell)
        return True
    except ValueError:
        return False


def _read_csv(path, raw, source_lang, target_lang) -> Bilingual:
    text = _decode(path, raw)
    delimiter = "\t" if Path(path).suffix.lower() in (".tsv", ".tab") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    result = Bilingual(str(path), "csv", source_lang or "", target_lang or "")
    line = 1
    try:
        for number, row in enumerate(reader, 1):
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < 2:
                raise TermbaseError(f"expected two columns (source, target), found {len(row)}", path, start)
            if number == 1 and _is_language_header(row[0]) and _is_language_header(row[1]):
                if row[0].strip().lower() != "source":
                    result.source_lang = result.source_lang or _lang(row[0].strip())
                    result.target_lang = result.target_lang or _lang(row[1].strip())
                continue
            result.segments.append(Segment(f"row {number}", row[0], row[1], start, start,
                                           TRANSLATED if row[1].strip() else UNTRANSLATED))
    except csv.Error as error:
        raise TermbaseError(f"malformed CSV: {error}", path, reader.line_num) from None
    result.source_lang = result.source_lang or "en"
    result.target_lang = result.target_lang or "ar"
    return result
