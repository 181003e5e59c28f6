"""TBX: write ISO 30042:2019 TBX-Basic (v3, DCA) or 2008 `martif` TBX-Basic (v2); read any TBX leniently.

Both directions stream: `write` builds and writes one entry element at a time with
`lxml.etree.xmlfile`, and `iter_concepts` yields one Concept per entry from `iterparse`, clearing
what it has read. The mapping (which model field becomes which data category, and the
`termbase:key=value` note convention for fields TBX-Basic has no category for) is documented in
docs/tbx-mapping.md.
"""
from __future__ import annotations

import bisect
import datetime as _dt
import json
import re
import unicodedata
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from lxml import etree

from ..errors import Finding, TermbaseError, malformed_xml
from ..progress import counted, reading
from ..model import (add_note, AdministrativeStatus, CONCEPT_ID, Concept, Gender, LangSection, Number, PartOfSpeech,
                     ReviewStatus, Source, Term, TermType, Termbase, check_language_tag, slugify)

NS = "urn:iso:std:iso:30042:ed-2"
RNG_URL = "https://raw.githubusercontent.com/LTAC-Global/TBX_Core_RNG/master/TBXcoreStructV03.rng"
SCH_URL = "https://raw.githubusercontent.com/LTAC-Global/TBX-Basic_dialect/master/DCA/TBX-Basic_DCA.sch"
V2_XCS = "TBXBasicXCSV02.xcs"

# Untrusted input: no entity expansion, no DTD, no network, libxml2's default size limits.
PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                      huge_tree=False, remove_comments=True, remove_pis=True)

PREFIX = "termbase:"
URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+\Z")
XML_NAME_START = re.compile(r"[A-Za-z_]")
INDENTED_BREAK = re.compile(r"\s*\n\s+|\s+\n\s*")


@dataclass(frozen=True)
class _Names:
    """Element names of one TBX version."""

    version: int
    root: str
    header: str
    entry: str
    lang: str
    term: str


V3 = _Names(3, "tbx", "tbxHeader", "conceptEntry", "langSec", "termSec")
V2 = _Names(2, "martif", "martifHeader", "termEntry", "langSet", "tig")

TERM_NOTES = {"termType": TermType, "administrativeStatus": AdministrativeStatus,
              "partOfSpeech": PartOfSpeech, "grammaticalGender": Gender, "grammaticalNumber": Number}
TERM_FIELDS = {"termType": "type", "administrativeStatus": "status", "partOfSpeech": "part_of_speech",
               "grammaticalGender": "gender", "grammaticalNumber": "number"}
# TBX-Basic's display values for administrative status (TBX-Basic v2 documentation).
STATUS_ALIASES = {"preferred": AdministrativeStatus.PREFERRED, "admitted": AdministrativeStatus.ADMITTED,
                  "notrecommended": AdministrativeStatus.DEPRECATED, "deprecated": AdministrativeStatus.DEPRECATED,
                  "obsolete": AdministrativeStatus.SUPERSEDED, "superseded": AdministrativeStatus.SUPERSEDED}
# Parts of speech the TBX-Basic Schematron allows; others are written as `noun`/`other` plus a note.
BASIC_POS = {"noun", "verb", "adjective", "adverb", "other"}
VOCABULARY_VALUES = {(enum, member.value): member for enum in (*TERM_NOTES.values(), ReviewStatus) for member in enum}
# DCT style: data categories as elements in a module namespace, mapped to their DCA element.
DCT_KINDS = {**{name: "termNote" for name in ("termType", "administrativeStatus", "partOfSpeech",
                                                "grammaticalGender", "geographicalUsage", "termLocation")},
             "subjectField": "descrip", "definition": "descrip", "context": "descrip",
             "source": "admin", "customerSubset": "admin", "projectSubset": "admin",
             "crossReference": "ref", "externalCrossReference": "xref", "xGraphic": "xref",
             "transactionType": "transac", "responsibility": "transacNote"}


# --- helpers -------------------------------------------------------------------------------

def xml_id(concept_id: str) -> str:
    """The XML ID for a concept id: ids must not start with a digit, so those get a `_` prefix."""
    return concept_id if XML_NAME_START.match(concept_id) else "_" + concept_id


def concept_id_from_xml(value: str) -> str | None:
    """Our concept id for an XML id we wrote (inverse of `xml_id`), or None if it is not one."""
    if value.startswith("_") and CONCEPT_ID.match(value[1:]):
        return value[1:]
    return value if CONCEPT_ID.match(value) else None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _note_item(key: str, value: str) -> str:
    return f"{PREFIX}{key}={value}"


def _display_path(source) -> str | None:
    if isinstance(source, (str, Path)):
        return str(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else None


# --- writing -------------------------------------------------------------------------------

class _Writer:
    """Builds one entry element per concept (no namespace: it inherits the root's default one)."""

    def __init__(self, names: _Names, known_ids):
        self.n = names
        self.known_ids = known_ids

    def entry(self, concept: Concept) -> etree._Element:
        sub = etree.SubElement
        entry = etree.Element(self.n.entry, id=xml_id(concept.id))
        for subject in concept.subject_fields:
            sub(entry, "descrip", type="subjectField").text = subject
        self._transaction(entry, "origination", concept.created, concept.created_by)
        self._transaction(entry, "modification", concept.modified, concept.modified_by)
        for source in concept.sources:
            sub(entry, "admin", type="source").text = source
        notes = []
        for target in concept.cross_references:
            if self.known_ids is None or target in self.known_ids:
                sub(entry, "ref", type="crossReference", target=xml_id(target)).text = target
            else:  # a target outside this file would break the ID/IDREF rules
                notes.append(_note_item("crossReference", target))
        for url in concept.external_references:
            if URL.match(url):
                sub(entry, "xref", type="externalCrossReference", target=url).text = url
            else:
                notes.append(_note_item("externalCrossReference", url))
        if concept.review_status is not None:
            notes.append(_note_item("reviewStatus", concept.review_status.value))
        self._notes(entry, notes, concept.note)
        for tag, section in concept.languages.items():
            self._section(entry, tag, section)
        return entry

    def _transaction(self, parent, kind, date, by):
        if date is None and not by:
            return
        group = etree.SubElement(parent, "transacGrp")
        etree.SubElement(group, "transac", type="transactionType").text = kind
        if date is not None:
            etree.SubElement(group, "date").text = date.isoformat()
        if by:
            etree.SubElement(group, "transacNote", type="responsibility").text = by

    @staticmethod
    def _notes(parent, items, text):
        for item in items:
            etree.SubElement(parent, "note").text = item
        if text:
            etree.SubElement(parent, "note").text = _note_item("note", text) if text.startswith(PREFIX) else text

    @staticmethod
    def _described(parent, kind, text, source):
        if source:
            group = etree.SubElement(parent, "descripGrp")
            etree.SubElement(group, "descrip", type=kind).text = text
            etree.SubElement(group, "admin", type="source").text = source
        else:
            etree.SubElement(parent, "descrip", type=kind).text = text

    def _section(self, entry, tag, section: LangSection):
        element = etree.SubElement(entry, self.n.lang)
        element.set("{http://www.w3.org/XML/1998/namespace}lang", tag)
        notes = []
        if section.definition:
            self._described(element, "definition", section.definition, section.definition_source)
        elif section.definition_source:
            notes.append(_note_item("definitionSource", section.definition_source))
        self._notes(element, notes, section.note)
        for term in section.terms:
            self._term(element, term)

    def _term(self, parent, term: Term):
        sub = etree.SubElement
        element = sub(parent, self.n.term)
        sub(element, "term").text = term.text
        notes = []
        if term.type is not None:
            sub(element, "termNote", type="termType").text = term.type.value
        if term.status is not None:
            sub(element, "termNote", type="administrativeStatus").text = term.status.value
        if term.part_of_speech is not None:
            pos = term.part_of_speech.value
            if pos not in BASIC_POS:
                notes.append(_note_item("partOfSpeech", pos))
                pos = "noun" if term.part_of_speech is PartOfSpeech.PROPER_NOUN else "other"
            sub(element, "termNote", type="partOfSpeech").text = pos
        if term.gender is not None:
            sub(element, "termNote", type="grammaticalGender").text = term.gender.value
        if term.geographical_usage:
            sub(element, "termNote", type="geographicalUsage").text = term.geographical_usage
        if term.context:
            self._described(element, "context", term.context, term.context_source)
        elif term.context_source:
            notes.append(_note_item("contextSource", term.context_source))
        if term.number is not None:
            notes.append(_note_item("grammaticalNumber", term.number.value))
        notes.extend(_note_item("form", form) for form in term.forms)
        if term.vocalized:
            notes.append(_note_item("vocalizedForm", term.vocalized))
        self._notes(element, notes, term.note)


def _header_items(termbase: Termbase) -> list[str]:
    """The `termbase:` paragraphs that carry the header fields TBX has no element for."""
    items = [_note_item("languages", " ".join(termbase.languages))]
    for key, description in termbase.subject_fields.items():
        items.append(_note_item("subjectField", json.dumps({"id": key, "description": description}, ensure_ascii=False)))
    for source in termbase.sources:
        data = {k: v for k, v in vars(source).items() if k == "id" or v}
        items.append(_note_item("source", json.dumps(data, ensure_ascii=False)))
    return items


def _header(termbase: Termbase, n: _Names) -> etree._Element:
    sub = etree.SubElement
    header = etree.Element(n.header)
    file_desc = sub(header, "fileDesc")
    if termbase.title or termbase.description:
        title_stmt = sub(file_desc, "titleStmt")
        sub(title_stmt, "title").text = termbase.title
        if termbase.description:
            sub(title_stmt, "note").text = termbase.description
    source_desc = sub(file_desc, "sourceDesc")
    for item in _header_items(termbase):
        sub(source_desc, "p").text = item
    if n.version == 2:
        sub(sub(header, "encodingDesc"), "p", type="XCSURI").text = V2_XCS
    return header


def write(termbase: Termbase, target, version: int = 3, concepts: Iterable[Concept] | None = None,
          pretty: bool = True, progress=None, **options) -> None:
    """Write TBX-Basic to the binary stream `target`, one entry at a time.

    `termbase` gives the header; the concepts are `concepts` when given (any iterable, consumed
    lazily, so a converter can stream), else the termbase's own. Cross-references to ids
    outside the termbase become notes when the set of ids is known (not when streaming).
    `progress(concepts, total)` hears of the entries written.
    """
    if version not in (2, 3):
        raise ValueError(f"TBX version must be 2 or 3, not {version!r}")
    n = V3 if version == 3 else V2
    known_ids = set(termbase.concepts) if concepts is None else None
    items = counted(termbase if concepts is None else concepts, progress)
    writer = _Writer(n, known_ids)
    lang = termbase.languages[0] if termbase.languages else "en"
    if not re.fullmatch(r"[A-Za-z0-9-]+", lang):
        raise TermbaseError(f"{lang!r} is not a language tag", where="termbase languages")
    concept = None
    try:
        # The prolog and root tag are written directly: the entries are built without a
        # namespace and so inherit the root's default namespace (no xmlns on every entry).
        if version == 3:
            target.write(b"<?xml version='1.0' encoding='UTF-8'?>\n"
                         b'<?xml-model href="' + RNG_URL.encode() + b'" type="application/xml" '
                         b'schematypens="http://relaxng.org/ns/structure/1.0"?>\n'
                         b'<?xml-model href="' + SCH_URL.encode() + b'" type="application/xml" '
                         b'schematypens="http://purl.oclc.org/dsdl/schematron"?>\n'
                         b'<tbx type="TBX-Basic" style="dca" xml:lang="' + lang.encode() + b'" xmlns="' + NS.encode() + b'">\n')
        else:
            target.write(b"<?xml version='1.0' encoding='UTF-8'?>\n"
                         b'<martif type="TBX-Basic" xml:lang="' + lang.encode() + b'">\n')
        target.write(etree.tostring(_header(termbase, n), encoding="utf-8", pretty_print=pretty))
        with etree.xmlfile(target, encoding="utf-8", close=False) as xf:
            with xf.element("text"):
                iterator = iter(items)
                concept = next(iterator, None)
                if concept is not None or version == 2:  # v3 allows <text/> without a body
                    with xf.element("body"):
                        xf.write("\n")
                        while concept is not None:
                            xf.write(writer.entry(concept), pretty_print=pretty)
                            concept = next(iterator, None)
        target.write(f"\n</{n.root}>\n".encode())
    except ValueError as error:  # lxml refuses text that XML cannot hold (control characters)
        where = f"concept {concept.id}" if concept is not None else "header"
        raise TermbaseError(f"cannot write as XML: {error}", where=where) from None


# --- reading -------------------------------------------------------------------------------

class IdSet:
    """The concept ids seen so far, in little memory when they come in ascending order.

    Ids of one file are usually sorted (ours always are): those are kept as one UTF-8 buffer
    with an offset array and searched by bisection, ~14 bytes an id instead of ~100 in a set;
    ids out of order go to an ordinary set.
    """

    def __init__(self):
        self._buffer = bytearray()
        self._ends = array("I")
        self._last = None
        self._others: set = set()

    def _sorted_id(self, index: int) -> str:
        start = self._ends[index - 1] if index else 0
        return self._buffer[start:self._ends[index]].decode("utf-8")

    def __contains__(self, concept_id: str) -> bool:
        if concept_id in self._others:
            return True
        if self._last is None or concept_id > self._last:
            return False
        index = bisect.bisect_left(_Indexed(self._sorted_id, len(self._ends)), concept_id)
        return index < len(self._ends) and self._sorted_id(index) == concept_id

    def add(self, concept_id: str) -> None:
        if self._last is None or concept_id > self._last:
            self._buffer += concept_id.encode("utf-8")
            self._ends.append(len(self._buffer))
            self._last = concept_id
        elif concept_id not in self:
            self._others.add(concept_id)


class _Indexed:
    """A read-only sequence view over a function of the index, for bisect."""

    def __init__(self, get, length):
        self._get, self._length = get, length

    def __getitem__(self, index):
        return self._get(index)

    def __len__(self):
        return self._length


@dataclass
class _Context:
    path: str | None
    warnings: list | None
    doc_lang: str = ""
    own: bool = False           # written by termbase (exact text, no whitespace clean-up)
    seen_ids: "IdSet" = field(default_factory=lambda: IdSet())
    id_map: dict = field(default_factory=dict)
    languages: list = field(default_factory=list)
    tag_cache: dict = field(default_factory=dict)
    lang_cache: dict = field(default_factory=dict)
    entries: int = 0

    def warn(self, element, message: str, check: str = "tbx-unmapped", where: str | None = None):
        if self.warnings is not None:
            self.warnings.append(Finding(self.path, getattr(element, "sourceline", None), "warning",
                                         message, check, where=where))

    def error(self, message, element=None, line=None, column=None):
        return TermbaseError(message, self.path, line if line is not None else getattr(element, "sourceline", None), column)

    def local(self, element) -> tuple[str, str]:
        """(kind, type) of an element: `note`, ('descrip', 'definition'), DCT elements as their DCA kind."""
        cached = self.tag_cache.get(element.tag)
        if cached is None:
            cached = self.tag_cache[element.tag] = _classify(element.tag)
        if cached[1] is None:
            return cached[0], element.get("type") or ""
        return cached

    def text(self, element, exact: bool = False) -> str:
        if self.own and not len(element):
            value = element.text
            return _nfc(value) if value and not value.isascii() else (value or "")
        if len(element):
            for node in element.iter(etree.Entity):
                raise self.error(f"entity reference {node.text} is not allowed (DTDs are not loaded)", node)
            value = "".join(element.itertext())
        else:
            value = element.text or ""
        if not exact and not self.own:
            value = value.strip()
            if "\n" in value:
                value = INDENTED_BREAK.sub(" ", value)
        return _nfc(value)

    def language(self, element, inherited: str) -> str:
        raw = element.get("{http://www.w3.org/XML/1998/namespace}lang") or inherited
        cached = self.lang_cache.get(raw)
        if cached is None:
            try:
                cached = check_language_tag(raw)
            except ValueError as error:
                cached = raw.strip() or "und"
                self.warn(element, f"language {raw!r} kept as is: {error}", "tbx-language")
            self.lang_cache[raw] = cached
        if cached not in self.languages:
            self.languages.append(cached)
        return cached


def _classify(tag) -> tuple:
    """(name, None) for a TBX element (its type comes from @type); (kind, type) for a DCT one."""
    if not isinstance(tag, str):
        return ("", "")
    if tag[0] == "{":
        uri, _, name = tag[1:].partition("}")
        if uri != NS:
            kind = DCT_KINDS.get(name)
            return (kind, name) if kind else (name, "")
        return (name, None)
    return (tag, None)


def _describe(element, text: str, kind: str, type_: str) -> str:
    """`[descrip type=Usage note] text`: how unmapped data is kept in a note."""
    attrs = [f"type={type_}"] if type_ else []
    attrs += [f"{etree.QName(k).localname}={v}" for k, v in element.attrib.items() if k != "type"]
    label = " ".join([kind] + attrs)
    return f"[{label}] {text}" if text else f"[{label}]"


def _keep_first(obj, field_name: str, source_field: str, found: list) -> None:
    """The first (text, source, element) found fills the field; other texts are kept as notes."""
    for text, source, child in found:
        if not getattr(obj, field_name):
            setattr(obj, field_name, text)
            setattr(obj, source_field, source)
        elif text != getattr(obj, field_name):
            add_note(obj, _describe(child, text + (f" (source: {source})" if source else ""), "descrip", field_name))


class _LazySetters:
    """The `termbase:key` handlers of one object, built only when a note needs them."""

    __slots__ = ("factory", "table")

    def __init__(self, factory):
        self.factory, self.table = factory, None

    def get(self, key):
        if self.table is None:
            self.table = self.factory()
        return self.table.get(key)


class _EntryReader:
    """Maps one parsed entry element (v2 or v3, DCA or DCT) onto a Concept."""

    def __init__(self, ctx: _Context):
        self.ctx = ctx

    def unmapped(self, obj, element, kind, type_, where, text=None):
        text = self.ctx.text(element) if text is None else text
        add_note(obj, _describe(element, text, kind, type_))
        self.ctx.warn(element, f"<{kind}{' type=' + repr(type_) if type_ else ''}> has no place in the model; kept in the note",
                      where=where)

    def own_note(self, element, text, setters: dict, obj, where) -> None:
        """A `<note>`: a `termbase:key=value` item when we know the key, else note text."""
        if text.startswith(PREFIX):
            key, sep, value = text[len(PREFIX):].partition("=")
            setter = setters.get(key) if sep else None
            if setter is not None:
                setter(value)
                return
        from_ = element.get("from")
        add_note(obj, f"[note from={from_}] {text}" if from_ else text)

    def concept(self, entry) -> Concept | None:
        ctx = self.ctx
        raw_id = entry.get("id") or ""
        concept = Concept(id="")
        where = f"entry {raw_id}" if raw_id else f"entry at line {entry.sourceline}"
        entry_lang = entry.get("{http://www.w3.org/XML/1998/namespace}lang") or ctx.doc_lang
        loose_definitions = []
        setters = _LazySetters(lambda: {
            "note": lambda v: add_note(concept, v),
            "reviewStatus": lambda v: self.vocabulary(concept, "review_status", ReviewStatus, v, entry, where),
            "crossReference": concept.cross_references.append,
            "externalCrossReference": concept.external_references.append,
        })
        for child in entry:
            kind, type_ = ctx.local(child)
            if kind in ("langSec", "langSet"):
                self.section(concept, child, entry_lang, where)
            elif kind == "descrip" and type_ == "subjectField":
                concept.subject_fields.append(ctx.text(child))
            elif kind == "descrip" and type_ == "definition":
                loose_definitions.append((ctx.text(child), "", child))
            elif kind == "descripGrp":
                self.group(concept, child, where, {"definition": loose_definitions})
            elif kind == "admin" and type_ == "source":
                concept.sources.append(ctx.text(child))
            elif kind == "transacGrp":
                self.transaction(concept, child, where)
            elif kind == "ref" and type_ == "crossReference" and child.get("target"):
                concept.cross_references.append(self.reference(child.get("target")))
            elif kind == "xref" and type_ == "externalCrossReference" and child.get("target"):
                concept.external_references.append(child.get("target").strip())
            elif kind == "note":
                self.own_note(child, ctx.text(child, exact=True) if ctx.own else ctx.text(child), setters, concept, where)
            elif kind:
                self.unmapped(concept, child, kind, type_, where)
        for text, source, element in loose_definitions:
            self.place_definition(concept, text, source, element, where)
        if not concept.languages:
            ctx.warn(entry, "entry has no language sections; skipped", "tbx-empty-entry", where=where)
            return None
        concept.id = self.identify(concept, raw_id, entry)
        return concept

    def place_definition(self, concept, text, source, element, where):
        """A concept-level definition goes to the section in the document's language, else the note."""
        section = concept.section(self.ctx.doc_lang) if self.ctx.doc_lang else None
        if section is not None and not section.definition:
            section.definition, section.definition_source = text, source
        else:
            add_note(concept, _describe(element, text + (f" (source: {source})" if source else ""), "descrip", "definition"))

    def group(self, obj, group, where, slots: dict):
        """descripGrp: its descrip (a slot we map, or unmapped) with its admin source and extras."""
        ctx = self.ctx
        descrip, source, extras = None, "", []
        for child in group:
            kind, type_ = ctx.local(child)
            if kind == "descrip" and descrip is None:
                descrip = (child, type_)
            elif kind == "admin" and type_ == "source" and not source:
                source = ctx.text(child)
            elif kind:
                extras.append((child, kind, type_))
        if descrip is not None and descrip[1] in slots:
            slots[descrip[1]].append((ctx.text(descrip[0]), source, descrip[0]))
        elif descrip is not None:
            text = ctx.text(descrip[0]) + (f" (source: {source})" if source else "")
            self.unmapped(obj, descrip[0], "descrip", descrip[1], where, text)
        for child, kind, type_ in extras:
            self.unmapped(obj, child, kind, type_, where)

    def transaction(self, concept, group, where):
        ctx = self.ctx
        kind, date, by = "", None, ""
        for child in group:
            name, type_ = ctx.local(child)
            if name == "transac":
                kind = ctx.text(child)
            elif name == "date":
                value = ctx.text(child)
                try:
                    date = _dt.date.fromisoformat(value[:10])
                except ValueError:
                    ctx.warn(child, f"date {value!r} is not ISO 8601; kept in the note", "tbx-bad-value", where=where)
                    add_note(concept, f"[date] {value}")
            elif name == "transacNote" and type_ == "responsibility":
                by = ctx.text(child)
            elif name:
                self.unmapped(concept, child, name, type_, where)
        if kind in ("origination", "modification") and (
                getattr(concept, "created" if kind == "origination" else "modified") is None):
            if kind == "origination":
                concept.created, concept.created_by = date, by
            else:
                concept.modified, concept.modified_by = date, by
        else:
            text = " ".join(x for x in (kind, date.isoformat() if date else "", by) if x)
            self.unmapped(concept, group, "transacGrp", "", where, text)

    def reference(self, target: str) -> str:
        return self.ctx.id_map.get(target) or concept_id_from_xml(target) or slugify(target) or target

    def identify(self, concept, raw_id, entry) -> str:
        ctx = self.ctx
        ours = concept_id_from_xml(raw_id) if raw_id else None
        base = ours or slugify(raw_id) if raw_id else ""
        if not base:  # from a term: the document language's, else English, else any that slugifies
            preferred = [concept.preferred_term(lang) for lang in (ctx.doc_lang, "en") if lang]
            terms = [t for t in preferred if t is not None] + [t for _, t in concept.terms()]
            base = next((slug for slug in (slugify(t.text) for t in terms) if slug), "")
        base = base or f"concept-{ctx.entries}"
        candidate, number = base, 2
        while candidate in ctx.seen_ids:
            candidate, number = f"{base}-{number}", number + 1
        if raw_id and candidate != (ours or raw_id):
            add_note(concept, f"[tbx id={raw_id}]")
            if candidate != slugify(raw_id):
                ctx.warn(entry, f"id {raw_id!r} is used before; this entry became {candidate!r}", "tbx-duplicate-id",
                         where=f"entry {raw_id}")
        if raw_id and raw_id != xml_id(candidate):  # only ids that changed need remapping
            ctx.id_map.setdefault(raw_id, candidate)
        ctx.seen_ids.add(candidate)
        return candidate

    def vocabulary(self, obj, attr, enum, value, element, where) -> bool:
        member = VOCABULARY_VALUES.get((enum, value))
        if member is not None:
            setattr(obj, attr, member)
            return True
        if enum is AdministrativeStatus:
            member = STATUS_ALIASES.get(value.replace(" ", "").lower())
        if member is None:
            try:
                member = enum(value)
            except ValueError:
                try:
                    member = enum.parse(value)
                except ValueError as error:
                    self.ctx.warn(element, f"{error}; kept in the note", "tbx-bad-value", where=where)
                    return False
        setattr(obj, attr, member)
        return True

    def section(self, concept, element, inherited, where):
        ctx = self.ctx
        tag = ctx.language(element, inherited)
        section = concept.languages.get(tag)
        if section is None:
            section = concept.languages[tag] = LangSection(lang=tag)
        definitions = []
        setters = _LazySetters(lambda: {"note": lambda v: add_note(section, v),
                                        "definitionSource": lambda v: setattr(section, "definition_source", v)})
        for child in element:
            kind, type_ = ctx.local(child)
            if kind in ("termSec", "tig", "ntig"):
                term = self.term(child, f"{where} [{tag}]")
                if term is not None:
                    section.terms.append(term)
            elif kind == "descrip" and type_ == "definition":
                definitions.append((ctx.text(child), "", child))
            elif kind == "descripGrp":
                self.group(section, child, where, {"definition": definitions})
            elif kind == "note":
                self.own_note(child, ctx.text(child, exact=True) if ctx.own else ctx.text(child), setters, section, where)
            elif kind:
                self.unmapped(section, child, kind, type_, f"{where} [{tag}]")
        _keep_first(section, "definition", "definition_source", definitions)

    def term(self, element, where) -> Term | None:
        ctx = self.ctx
        term = Term(text="")
        contexts = []
        overrides = {}
        setters = _LazySetters(lambda: {
            "note": lambda v: add_note(term, v),
            "grammaticalNumber": lambda v: overrides.__setitem__("number", v),
            "partOfSpeech": lambda v: overrides.__setitem__("partOfSpeech", v),
            "form": term.forms.append,
            "vocalizedForm": lambda v: setattr(term, "vocalized", v),
            "contextSource": lambda v: setattr(term, "context_source", v)})

        def visit(container):
            for child in container:
                kind, type_ = ctx.local(child)
                if kind == "term":
                    if term.text:
                        self.unmapped(term, child, "term", "", where)
                    else:
                        term.text = " ".join(ctx.text(child, exact=True).split())
                elif kind == "termGrp":
                    visit(child)
                elif kind == "termNote" and type_ in TERM_NOTES:
                    value = ctx.text(child)
                    if not self.vocabulary(term, TERM_FIELDS[type_], TERM_NOTES[type_], value, child, where):
                        add_note(term, _describe(child, value, "termNote", type_))
                elif kind == "termNote" and type_ == "geographicalUsage":
                    term.geographical_usage = ctx.text(child)
                elif kind == "descrip" and type_ == "context":
                    contexts.append((ctx.text(child), "", child))
                elif kind == "descripGrp":
                    self.group(term, child, where, {"context": contexts})
                elif kind == "note":
                    self.own_note(child, ctx.text(child, exact=True) if ctx.own else ctx.text(child), setters, term, where)
                elif kind:
                    self.unmapped(term, child, kind, type_, where)

        visit(element)
        for key, value in overrides.items():
            if key == "number":
                self.vocabulary(term, "number", Number, value, element, where)
            elif key == "partOfSpeech":
                self.vocabulary(term, "part_of_speech", PartOfSpeech, value, element, where)
        _keep_first(term, "context", "context_source", contexts)
        if not term.text:
            ctx.warn(element, "term without text; skipped" + (f" (its data: {term.note})" if term.note else ""),
                     "tbx-empty-term", where=where)
            return None
        return term


def _read_header(header, ctx: _Context, termbase: Termbase) -> None:
    descriptions, publication = [], []
    for element in header.iter():
        kind, type_ = ctx.local(element)
        parent = element.getparent()
        parent_kind = ctx.local(parent)[0] if parent is not None else ""
        if kind == "title":
            termbase.title = ctx.text(element)
        elif kind == "p" and parent_kind == "publicationStmt":
            publication.append(ctx.text(element))
        elif kind == "note" and parent_kind == "titleStmt":
            descriptions.append(ctx.text(element, exact=True))
        elif kind == "p" and parent_kind == "sourceDesc":
            text = ctx.text(element, exact=True)
            key, sep, value = text[len(PREFIX):].partition("=") if text.startswith(PREFIX) else ("", "", "")
            try:
                if key == "languages":
                    ctx.own = True
                    termbase.languages = value.split()
                elif key == "subjectField":
                    data = json.loads(value)
                    termbase.subject_fields[str(data["id"])] = str(data.get("description", ""))
                elif key == "source":
                    data = json.loads(value)
                    termbase.sources.append(Source(**{k: str(v) for k, v in data.items()
                                                      if k in ("id", "title", "date", "publisher", "url")}))
                else:
                    descriptions.append(ctx.text(element))
            except (ValueError, KeyError, TypeError) as error:
                ctx.warn(element, f"unreadable {PREFIX}{key} paragraph ({error}); kept in the description", "tbx-bad-value")
                descriptions.append(text)
    if not ctx.own:
        descriptions += publication
    termbase.description = "\n".join(d for d in descriptions if d)
    if not ctx.own:
        termbase.languages = [ctx.doc_lang] if ctx.doc_lang else []


ROOTS = ("tbx", "martif")
HEADERS = ("tbxHeader", "martifHeader")
ENTRIES = ("conceptEntry", "termEntry")
BACK = "back"


def _events(source, ctx: _Context, warnings, progress=None) -> Iterator[tuple[str, object]]:
    """Yield ('header', Termbase) once, then ('concept', Concept) per entry; `progress` hears of
    the bytes read."""
    tags = [f"{{*}}{name}" for name in ROOTS + HEADERS + ENTRIES + (BACK,)]
    termbase = Termbase(languages=[])
    header_done = False
    reader = _EntryReader(ctx)
    opened = None
    if isinstance(source, (str, Path)):
        try:
            opened = source = open(source, "rb")
        except OSError as error:
            raise TermbaseError(f"cannot read: {error.strerror}", ctx.path) from None
    source = reading(source, progress)
    try:
        head = source.peek(1)[:1] if hasattr(source, "peek") else b"?"
        if head == b"":
            raise TermbaseError("empty file: not a TBX document", ctx.path, 1, 1)
        events = etree.iterparse(source, events=("end",), tag=tags, **PARSER_OPTIONS)
        root_checked = False
        for _, element in events:
            if not root_checked:  # the DOCTYPE and root are known by the first end event
                _check_root(element.getroottree().getroot(), ctx)
                root_checked = True
            kind = ctx.local(element)[0]
            if kind in ENTRIES and element.getparent() is not None:
                if not header_done:
                    header_done = True
                    yield "header", termbase
                ctx.entries += 1
                concept = reader.concept(element)
                element.clear(keep_tail=True)
                parent = element.getparent()
                while element.getprevious() is not None:
                    del parent[0]
                if concept is not None:
                    yield "concept", concept
            elif kind == BACK:
                kinds = sorted({ctx.local(child)[0] for child in element if ctx.local(child)[0]})
                if kinds:
                    ctx.warn(element, f"back matter ({', '.join(kinds)}) is not imported", where="back")
                element.clear(keep_tail=True)
            elif kind in HEADERS and not header_done:
                _read_header(element, ctx, termbase)
                element.clear(keep_tail=True)
                header_done = True
                yield "header", termbase
        if not root_checked:
            _check_root(events.root, ctx)
        if not header_done:
            yield "header", termbase
    except etree.XMLSyntaxError as error:
        raise malformed_xml(error, ctx.path) from None
    finally:
        if opened is not None:
            opened.close()


def _check_root(root, ctx: _Context) -> None:
    name = ctx.local(root)[0]
    if name not in ROOTS:
        raise ctx.error(f"not a TBX file: the root element is <{name}>, expected <tbx> or <martif>", root)
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if dtd is not None:
        entities = [entity.name for entity in dtd.entities()]
        if entities:
            raise ctx.error(f"the DOCTYPE declares entities ({', '.join(entities[:5])}); "
                            "entity declarations are not allowed in TBX input", line=1)
        if list(dtd.iterelements()):
            raise ctx.error("the DOCTYPE has an internal subset; it is not allowed in TBX input", line=1)
    ctx.doc_lang = ""
    lang = root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if lang:
        ctx.doc_lang = ctx.language(root, lang)
        ctx.languages.remove(ctx.doc_lang)


def iter_concepts(source, warnings: list | None = None, header: Termbase | None = None,
                  progress=None) -> Iterator[Concept]:
    """Yield the concepts of a TBX file (path or binary stream) one at a time.

    `header`, when given, is filled with the file's header (title, description, languages,
    subject fields, sources) before the first concept is yielded; `progress(bytes, total)` hears
    how much of the file is read.
    """
    ctx = _Context(_display_path(source), warnings)
    for kind, value in _events(source, ctx, warnings, progress):
        if kind == "header":
            if header is not None:
                for name in ("title", "description", "languages", "subject_fields", "sources"):
                    setattr(header, name, getattr(value, name))
        else:
            yield value


def read_header(source, warnings: list | None = None) -> Termbase:
    """The header of a TBX file as a Termbase without concepts (stops reading after the header)."""
    ctx = _Context(_display_path(source), warnings)
    events = _events(source, ctx, warnings)
    try:
        return next(kind_value[1] for kind_value in events if kind_value[0] == "header")
    finally:
        events.close()


def read(source, warnings: list | None = None, progress=None, **options) -> Termbase:
    """Read a whole TBX file (v2 or v3, any dialect) into a Termbase; `progress(bytes, total)`
    hears how much of it is read."""
    ctx = _Context(_display_path(source), warnings)
    termbase = None
    for kind, value in _events(source, ctx, warnings, progress):
        if kind == "header":
            termbase = value
        else:
            termbase.add(value)
    if not ctx.own:
        languages = ([ctx.doc_lang] if ctx.doc_lang else []) + ctx.languages
        termbase.languages = list(dict.fromkeys(languages))
    return termbase


def convert(source, target, version: int = 3, warnings: list | None = None) -> None:
    """Stream a TBX file into TBX (v3 or v2) without holding its concepts in memory."""
    header = read_header(source)
    write(header, target, version=version, concepts=iter_concepts(source, warnings))
