"""Differences between termbases and merging an imported termbase into the glossary.

Concepts are compared field by field on a flat view (`en.definition`,
`ar.terms[النشرة الخضراء].status`, …). Importing is additive: a field the incoming file leaves
empty keeps its glossary value, so a format that carries fewer fields never erases the others.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields

from . import arabic
from .glossary import concept_to_dict
from .model import AdministrativeStatus, Concept, ReviewStatus, Termbase, unique_id


@dataclass
class Change:
    concept_id: str
    field: str
    kind: str          # added | removed | changed
    old: object = None
    new: object = None

    def as_dict(self) -> dict:
        return {k: (v if isinstance(v, (str, int, float, list, type(None))) else str(v)) for k, v in vars(self).items()}

    def __str__(self) -> str:
        if self.kind == "added":
            return f"{self.concept_id}: {self.field}: added {_show(self.new)}"
        if self.kind == "removed":
            return f"{self.concept_id}: {self.field}: removed {_show(self.old)}"
        return f"{self.concept_id}: {self.field}: {_show(self.old)} → {_show(self.new)}"


def _show(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def flatten(concept: Concept) -> dict:
    """{field path: value} for every non-empty field of a concept."""
    flat = {}
    for key, value in concept_to_dict(concept).items():
        if key == "languages":
            for tag, section in value.items():
                for skey, svalue in section.items():
                    if skey == "terms":
                        for term in svalue:
                            for tkey, tvalue in term.items():
                                if tkey != "text":
                                    flat[f"{tag}.terms[{term['text']}].{tkey}"] = tvalue
                            flat[f"{tag}.terms[{term['text']}]"] = term["text"]
                    else:
                        flat[f"{tag}.{skey}"] = svalue
        elif key != "id":
            flat[key] = value
    return flat


def diff_concepts(old: Concept | None, new: Concept | None) -> list[Change]:
    concept_id = (new or old).id
    if old is None:
        return [Change(concept_id, "concept", "added", None, _label(new))]
    if new is None:
        return [Change(concept_id, "concept", "removed", _label(old), None)]
    before, after = flatten(old), flatten(new)
    changes = []
    for key in list(before) + [k for k in after if k not in before]:
        if key not in after:
            changes.append(Change(concept_id, key, "removed", before[key], None))
        elif key not in before:
            changes.append(Change(concept_id, key, "added", None, after[key]))
        elif before[key] != after[key]:
            changes.append(Change(concept_id, key, "changed", before[key], after[key]))
    return changes


def _label(concept: Concept) -> str:
    term = concept.preferred_term("en") or concept.preferred_term("ar")
    return term.text if term else concept.id


def diff(a: Termbase, b: Termbase) -> list[Change]:
    """What changes from `a` to `b`, concept by concept (concepts matched by id)."""
    changes = []
    for concept_id in list(a.concepts) + [cid for cid in b.concepts if cid not in a.concepts]:
        changes += diff_concepts(a.concepts.get(concept_id), b.concepts.get(concept_id))
    return changes


# --- import ---------------------------------------------------------------------------------

@dataclass
class ImportReport:
    changes: list[Change] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    ambiguous: list[tuple] = field(default_factory=list)   # (incoming label, [candidate ids], reason)
    new_subject_fields: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "new_subject_fields": self.new_subject_fields,
                "ambiguous": [{"incoming": label, "candidates": ids, "reason": why} for label, ids, why in self.ambiguous],
                "changes": [c.as_dict() for c in self.changes]}


def _term_index(termbase: Termbase, lang: str) -> dict:
    index: dict[str, set] = {}
    for concept in termbase:
        term = concept.preferred_term(lang)
        if term:
            index.setdefault(arabic.normalize(term.text), set()).add(concept.id)
    return index


def find_match(glossary: Termbase, concept: Concept, indexes: dict) -> tuple[str | None, list[str], str]:
    """(matched id, candidates, reason): by our id, else by preferred term (en, then ar)."""
    if concept.id in glossary.concepts:
        return concept.id, [concept.id], "id"
    candidates_by_lang = {}
    for lang in ("en", "ar"):
        term = concept.preferred_term(lang)
        if term:
            candidates_by_lang[lang] = sorted(indexes[lang].get(arabic.normalize(term.text), ()))
    en, ar = candidates_by_lang.get("en", []), candidates_by_lang.get("ar", [])
    if len(en) > 1:
        return None, en, "English preferred term matches several concepts"
    if en and ar and ar != en:
        return None, sorted(set(en) | set(ar)), "English and Arabic preferred terms match different concepts"
    if en:
        return en[0], en, "en preferred term"
    if len(ar) > 1:
        return None, ar, "Arabic preferred term matches several concepts"
    if ar:
        return ar[0], ar, "ar preferred term"
    return None, [], "new"


def _merge_fields(target, incoming, skip=()) -> None:
    for f in fields(incoming):
        if f.name in skip:
            continue
        value = getattr(incoming, f.name)
        if value not in (None, "", [], {}):
            if isinstance(value, list) and f.name != "forms":
                merged = list(getattr(target, f.name))
                merged += [v for v in value if v not in merged]
                setattr(target, f.name, merged)
            else:
                setattr(target, f.name, copy.deepcopy(value))


def merge_concept(existing: Concept, incoming: Concept) -> Concept:
    """`existing` updated with every non-empty field of `incoming`; terms matched by text."""
    merged = copy.deepcopy(existing)
    _merge_fields(merged, incoming, skip=("id", "languages"))
    for tag, section in incoming.languages.items():
        target = merged.section(tag)
        if target is None:
            merged.languages[tag] = copy.deepcopy(section)
            continue
        _merge_fields(target, section, skip=("lang", "terms"))
        by_text = {arabic.normalize(t.text): t for t in target.terms}
        for term in section.terms:
            match = by_text.get(arabic.normalize(term.text))
            if match is None:
                target.terms.append(copy.deepcopy(term))
            else:
                _merge_fields(match, term, skip=("text",))
        preferred = [t for t in section.terms if t.is_preferred]
        if preferred:   # the incoming preferred term wins; a former preferred becomes admitted
            keep = arabic.normalize(preferred[0].text)
            for term in target.terms:
                if term.is_preferred and arabic.normalize(term.text) != keep:
                    term.status = AdministrativeStatus.ADMITTED
    return merged


def merge_into(glossary: Termbase, incoming: Termbase) -> tuple[Termbase, ImportReport]:
    """A copy of `glossary` with `incoming` merged in, and what changed."""
    result = copy.deepcopy(glossary)
    report = ImportReport()
    indexes = {lang: _term_index(glossary, lang) for lang in ("en", "ar")}
    for concept in incoming:
        matched, candidates, reason = find_match(glossary, concept, indexes)
        if matched is None and candidates:
            report.ambiguous.append((_label(concept), candidates, reason))
            continue
        if matched is None:
            new = as_new_concept(concept)
            new.id = _free_id(result, concept.id)
            result.add(new)
            report.added.append(new.id)
            report.changes += diff_concepts(None, new)
            _register_subjects(result, new, report)
            continue
        merged = merge_concept(result.concepts[matched], concept)
        changes = diff_concepts(result.concepts[matched], merged)
        if changes:
            result.concepts[matched] = merged
            report.updated.append(matched)
            report.changes += changes
            _register_subjects(result, merged, report)
        else:
            report.unchanged.append(matched)
    return result, report


def _register_subjects(termbase: Termbase, concept: Concept, report: ImportReport) -> None:
    """Subject fields the glossary does not list yet are added to its list (and reported)."""
    if not termbase.subject_fields:
        return
    for subject in concept.subject_fields:
        if subject not in termbase.subject_fields:
            termbase.subject_fields[subject] = ""
            report.new_subject_fields.append(subject)


def as_new_concept(concept: Concept) -> Concept:
    """A copy ready to enter the glossary: a draft, with a preferred term in every language.

    Files that carry no term status (two-column tables, foreign TBX) make their first term
    of each language the preferred one.
    """
    new = copy.deepcopy(concept)
    if new.review_status is None:
        new.review_status = ReviewStatus.DRAFT
    for section in new.languages.values():
        if section.terms and not any(t.is_preferred for t in section.terms):
            first = next((t for t in section.terms if t.status is None), None)
            if first is not None:
                first.status = AdministrativeStatus.PREFERRED
    return new


def _free_id(termbase: Termbase, wanted: str) -> str:
    return wanted if wanted not in termbase.concepts else unique_id(wanted, termbase.concepts)
