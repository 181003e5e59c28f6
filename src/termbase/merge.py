"""The merge engine: differences between termbases, and every merge into the glossary.

- Differences: concepts are compared field by field on a flat view (`en.definition`,
  `ar.terms[النشرة الخضراء].status`, …): `diff`, `diff_concepts`.
- Three-way merges: two versions of a record against their common base, field by field, lists
  item by item (`merge_values`, `merge_records`). The git merge driver merges concept files and
  `termbase.yaml` with it (`merge_concepts`, `merge_headers`), and `termbase review import` the
  rows of a review sheet (`merge_review`).
- Import: additive; a field the incoming file leaves empty keeps its glossary value, so a format
  that carries fewer fields never erases the others (`merge_into`).
"""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from . import arabic
from .glossary import concept_bytes, concept_from_dict, concept_to_dict, header_from_dict, header_to_dict
from .model import (add_note, AdministrativeStatus, CONCEPT_ID, Concept, LangSection, ReviewStatus, Term, Termbase,
                    TermType, primary_language, unique_id)
from .progress import counted

if TYPE_CHECKING:       # the review workbook's types, for annotations only (review.py imports this module)
    from .review import BaseEntry, ReviewFile, Row


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
    return diff_flat(concept_id, flatten(old), flatten(new))


def diff_flat(concept_id: str, before: dict, after: dict) -> list[Change]:
    """The changes from one flat view of a concept (`flatten`) to another."""
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


# --- three-way merge: the engine -----------------------------------------------------------
#
# Every merge here is one of two *records* against their common base: flat mappings of field
# keys to values, a missing key (or None) being an absent field. A field only one side changed
# takes that side's value, a field both changed alike is taken, a field both changed differently
# is a conflict. A list is a record of its items, so additions and removals on both sides apply.

@dataclass
class FieldMerge:
    """One field where the two sides differ, and which side the merge takes."""

    key: object
    base: object
    ours: object
    theirs: object
    outcome: str            # ours | theirs | conflict

    @property
    def value(self):
        """The merged value (ours for a conflict)."""
        return self.theirs if self.outcome == "theirs" else self.ours


def merge_values(base: dict | None, ours: dict, theirs: dict) -> list[FieldMerge]:
    """Every field where `ours` and `theirs` differ, in `theirs`' order then `ours`', with the side that
    wins; with `base` None (not known) every such field is a conflict."""
    results = []
    for key in list(theirs) + [k for k in ours if k not in theirs]:
        o, t = ours.get(key), theirs.get(key)
        if o == t:
            continue
        b = None if base is None else base.get(key)
        outcome = "conflict" if base is None else "ours" if t == b else "theirs" if o == b else "conflict"
        results.append(FieldMerge(key, b, o, t, outcome))
    return results


def merge_order(first, second) -> list:
    """The items of `first` in its order; each item only `second` has goes after the one it follows
    there (and after what only `first` added at that place)."""
    result = list(first)
    known, theirs = set(result), set(second)
    at = -1
    for item in second:
        if item in known:
            at = result.index(item)
            continue
        at += 1
        while at < len(result) and result[at] not in theirs:
            at += 1
        result.insert(at, item)
        known.add(item)
    return result


class _Mapping:
    def __repr__(self) -> str:
        return "{…}"


MAPPING = _Mapping()            # the value that marks a mapping in a record (a language section, a term…)
IDENTITY = {"terms": "text", "sources": "id"}   # lists of mappings: the key that names an item


def record(data: dict, path: tuple = ()) -> dict:
    """Plain glossary data as a flat record {key path: value}, in document order.

    A list item's key is `(item, n)` (`n` counts earlier equal items), a term's `(text, n)`, a
    source's `(id, n)`; mappings are marked with MAPPING, so a removed one is a removed field.
    """
    flat = {}
    for key, value in data.items():
        here = path + (key,)
        if isinstance(value, dict):
            flat[here] = MAPPING
            flat.update(record(value, here))
        elif isinstance(value, list):
            seen: dict = {}
            for item in value:
                name = item.get(IDENTITY.get(key)) if isinstance(item, dict) else item
                n = seen[name] = seen.get(name, -1) + 1
                if isinstance(item, dict):
                    flat[here + ((name, n),)] = MAPPING
                    flat.update(record({k: v for k, v in item.items() if k != IDENTITY.get(key)}, here + ((name, n),)))
                else:
                    flat[here + ((name, n),)] = item
        else:
            flat[here] = value
    return flat


def unrecord(flat: dict) -> dict:
    """The plain data of a record (the inverse of `record`; lists in the record's order)."""
    nodes: dict = {(): {}}

    def mapping(path):
        node = nodes.get(path)
        if node is None:
            if isinstance(path[-1], tuple):      # an item of a list of mappings
                node = {IDENTITY[path[-2]]: path[-1][0]}
                mapping(path[:-2]).setdefault(path[-2], []).append(node)
            else:
                node = mapping(path[:-1]).setdefault(path[-1], {})
            nodes[path] = node
        return node

    for path, value in flat.items():
        if value is MAPPING:
            mapping(path)
        elif isinstance(path[-1], tuple):
            mapping(path[:-2]).setdefault(path[-2], []).append(value)
        else:
            mapping(path[:-1])[path[-1]] = value
    return nodes[()]


def key_name(key: tuple) -> str:
    """A record key as text, as `flatten` names fields: `en.terms[Green Notice].forms[Green Notices]`."""
    parts = key[1:] if key[:1] == ("languages",) and len(key) > 1 else key
    text = ""
    for part in parts:
        text += f"[{part[0]}]" if isinstance(part, tuple) else f".{part}" if text else str(part)
    return text


@dataclass
class Merged:
    """A three-way merge of two records: `ours` takes our side of each conflict, `theirs` theirs."""

    ours: dict
    theirs: dict
    conflicts: list[FieldMerge]


def merge_records(base: dict, ours: dict, theirs: dict) -> Merged:
    """Three-way merge of records, in our order with their additions after what they follow.

    A mapping one side removed while the other changed something inside it (a term deleted on
    one side, edited on the other) is one conflict, the whole mapping.
    """
    fields_ = merge_values(base, ours, theirs)
    by_key = {f.key: f for f in fields_}
    roots = []
    for f in fields_:
        if f.base is MAPPING and f.value is None:
            inside = [g for g in fields_ if len(g.key) > len(f.key) and g.key[:len(f.key)] == f.key]
            if any(g.outcome == "conflict" or g.value is not None for g in inside):
                roots.append(f.key)
    for f in fields_:
        if any(f.key[:len(root)] == root for root in roots):
            f.outcome = "conflict"
    conflicts = [f for f in fields_ if f.outcome == "conflict"]
    order = merge_order(ours, theirs)

    def side(name):
        flat = {}
        for key in order:
            f = by_key.get(key)
            value = ours.get(key) if f is None else getattr(f, name) if f.outcome == "conflict" else f.value
            if value is not None:
                flat[key] = value
        return flat

    merged = side("ours")
    return Merged(merged, side("theirs") if conflicts else merged, conflicts)


# --- concepts and glossary headers (the git merge driver) ----------------------------------

@dataclass
class DocumentMerge:
    """A merged concept or header: `ours` with our side of each conflict, `theirs` with theirs."""

    ours: object
    theirs: object
    conflicts: list[FieldMerge]


def _stamped(base: dict, ours: dict, theirs: dict) -> None:
    """Both sides changed `modified`: the later date wins, with its `modified_by` (not a conflict)."""
    o, t = ours.get(("modified",)), theirs.get(("modified",))
    if o is not None and t is not None and o != t and base.get(("modified",)) not in (o, t):
        winner = dict(ours if str(o) > str(t) else theirs)
        for key in (("modified",), ("modified_by",)):
            for flat in (ours, theirs):
                if winner.get(key) is None:
                    flat.pop(key, None)
                else:
                    flat[key] = winner[key]


def _build(flat: dict, parse, what: str):
    problems: list = []
    built = parse(unrecord(flat), problems)
    if built is None or any(p.severity == "error" for p in problems):
        raise ValueError(f"the merged {what} does not read back: " + "; ".join(p.message for p in problems))
    return built


def merge_concepts(base: Concept | None, ours: Concept, theirs: Concept) -> DocumentMerge:
    """Three-way, field-level merge of one concept (`base` None: both sides added it)."""
    records = [record(concept_to_dict(c)) if c is not None else {} for c in (base, ours, theirs)]
    _stamped(*records)
    merged = merge_records(*records)
    return DocumentMerge(_build(merged.ours, concept_from_dict, "concept"),
                         _build(merged.theirs, concept_from_dict, "concept"), merged.conflicts)


def merge_headers(base: Termbase | None, ours: Termbase, theirs: Termbase) -> DocumentMerge:
    """Three-way, field-level merge of a glossary header (title, languages, subject fields, sources)."""
    records = [record(header_to_dict(h)) if h is not None else {} for h in (base, ours, theirs)]
    merged = merge_records(*records)
    return DocumentMerge(_build(merged.ours, header_from_dict, "header"),
                         _build(merged.theirs, header_from_dict, "header"), merged.conflicts)


# --- review records: a concept as one row of a review sheet -------------------------------

def vocab_text(value) -> str:
    """A vocabulary value as a review cell writes it (`preferred`, `fullForm`; empty for none)."""
    if value is None:
        return ""
    return value.short if isinstance(value, AdministrativeStatus) else value.value


def _qualifier(term: Term) -> str:
    return ", ".join(x for x in (vocab_text(term.status), vocab_text(term.type)) if x)


def _parse_qualifier(qualifier: str):
    status = type_ = None
    for word in filter(None, (w.strip() for w in qualifier.split(","))):
        try:
            status = AdministrativeStatus.parse(word)
        except ValueError:
            type_ = TermType.parse(word)
    return status, type_


def concept_values(concept: Concept, languages) -> dict:
    """The review values of a concept: {key: text}, other terms as `<tag>.other[<text>]: qualifier`."""
    values = {"note": concept.note, "review_status": vocab_text(concept.review_status),
              "subject_fields": "; ".join(concept.subject_fields)}
    for tag in languages:
        section = concept.section(tag)
        preferred = section.preferred() if section else None
        values[f"{tag}.term"] = preferred.text if preferred else ""
        values[f"{tag}.type"] = vocab_text(preferred.type) if preferred else ""
        values[f"{tag}.status"] = vocab_text(preferred.status) if preferred else ""
        values[f"{tag}.context"] = preferred.context if preferred else ""
        values[f"{tag}.definition"] = section.definition if section else ""
        for term in section.terms if section else ():
            if term is not preferred:
                values[f"{tag}.other[{term.text}]"] = _qualifier(term)
    return values


def fingerprint(concept: Concept) -> str:
    """A short hash of the concept's canonical YAML (`fp-…`: never taken for a number by a spreadsheet)."""
    return fingerprint_bytes(concept_bytes(concept))


def fingerprint_bytes(data: bytes) -> str:
    return "fp-" + hashlib.sha256(data).hexdigest()[:16]


# --- review import: the rows of a review sheet merged into the glossary -------------------

@dataclass
class Item:
    """What happened to one field of one concept."""

    field: str
    outcome: str                # applied | kept | conflict | rejected
    base: object = None
    glossary: object = None
    reviewer: object = None
    cell: str | None = None
    message: str = ""
    key: str = ""

    def as_dict(self) -> dict:
        return dict(vars(self))

    def __str__(self) -> str:
        where = f" [{self.cell}]" if self.cell else ""
        if self.outcome == "applied":
            text = f"{_shown(self.glossary)} → {_shown(self.reviewer)}"
        elif self.outcome == "conflict":
            text = f"glossary {_shown(self.glossary)}, reviewer {_shown(self.reviewer)} (exported {_shown(self.base)})"
        elif self.outcome == "kept":
            text = f"{_shown(self.glossary)} (changed in the glossary since the export)"
        else:
            text = f"{_shown(self.reviewer)} not applied"
        return f"  {self.outcome:<9}{self.field}{where}: {text}" + (f" — {self.message}" if self.message else "")


def _shown(value) -> str:
    return "(none)" if value in (None, "") else repr(value)


@dataclass
class ConceptResult:
    id: str
    row: int | None
    outcome: str                # updated | added | deleted | conflict | rejected | unchanged
    items: list = field(default_factory=list)
    changes: list = field(default_factory=list)      # merge.Change: the effect on the glossary
    message: str = ""

    def as_dict(self) -> dict:
        return {"id": self.id, "row": self.row, "outcome": self.outcome, "message": self.message,
                "fields": [i.as_dict() for i in self.items], "changes": [c.as_dict() for c in self.changes]}


@dataclass
class Plan:
    """The outcome of merging a review file: the new termbase and the report."""

    review: ReviewFile
    termbase: Termbase
    concepts: list = field(default_factory=list)
    written: dict = field(default_factory=dict)      # id -> Concept (changed or added)
    deleted: list = field(default_factory=list)

    @property
    def errors(self) -> list:
        return self.review.errors

    @property
    def warnings(self) -> list:
        return self.review.warnings

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.concepts)

    def summary(self) -> dict:
        return {"mode": "three-way" if self.review.base is not None else "fingerprint",
                **{name: self.count(name) for name in ("updated", "added", "deleted", "conflict", "rejected", "unchanged")},
                "errors": len(self.errors), "warnings": len(self.warnings)}

    def as_dict(self) -> dict:
        return {"file": self.review.name, "summary": self.summary(),
                "concepts": [r.as_dict() for r in self.concepts if r.outcome != "unchanged" or r.items],
                "errors": [f.as_dict() for f in self.errors], "warnings": [f.as_dict() for f in self.warnings]}

    def lines(self):
        for result in self.concepts:
            if result.outcome == "unchanged" and not result.items:
                continue
            row = f" (row {result.row})" if result.row else ""
            yield f"{result.id}{row}: {result.outcome}" + (f" — {result.message}" if result.message else "")
            for item in result.items:
                yield str(item)


def _row_values(row: Row, fallback: dict) -> dict:
    """The reviewer's values: the row's, and `fallback`'s for the columns the sheet does not have."""
    values = {key: value for key, value in fallback.items() if key.split("[", 1)[0] not in row.present}
    values.update(row.values)
    for key in row.present:
        if key not in ("id", "fingerprint", "comment") and not key.endswith((".other", ".reference")):
            values.setdefault(key, "")
    return values


def is_term_key(key: str) -> bool:
    return ".other[" in key


def _norm(key: str, value):
    """Empty text and no value are the same, except for other terms (present with no qualifier)."""
    if is_term_key(key):
        return value
    return None if value in (None, "") else value


@dataclass
class _Options:
    reviewer: str
    today: _dt.date
    allow_deletes: bool
    prefer: str | None
    label: object           # review key -> the column's name


def merge_review(glossary: Termbase, review, label, reviewer: str = "", today: _dt.date | None = None,
                 allow_deletes: bool = False, prefer: str | None = None, progress=None) -> Plan:
    """Merge the rows of a review file (`review.ReviewFile`) into a copy of `glossary`, row by row and
    field by field; `label` names a review key for the report, `prefer` is None, `theirs` or `ours`;
    `progress(rows, total)` hears of the rows merged. Writes nothing; the cells are checked by the caller."""
    if prefer not in (None, "theirs", "ours"):
        raise ValueError(f"prefer must be None, 'theirs' or 'ours', not {prefer!r}")
    options = _Options(reviewer, today or _dt.date.today(), allow_deletes, prefer, label)
    result = Termbase(glossary.title, glossary.description, list(glossary.languages), dict(glossary.subject_fields),
                      list(glossary.sources), dict(glossary.concepts))
    plan = Plan(review, result)
    seen: dict[str, Row] = {}
    new_rows = []
    for row in counted(review.rows, progress):
        if row.id is None:
            new_rows.append(row)
        elif row.id in seen:
            review.error(row.cells.get("id"), f"concept {row.id!r} has a second row (row {seen[row.id].number}); "
                         "each concept has one row", "duplicate-id")
        else:
            seen[row.id] = row
            _merge_row(plan, glossary, row, options)
    if review.base is None:
        review.warn(None, "no base sheet (a CSV?): changes are matched by fingerprint, and deleted rows "
                    "cannot be told from concepts that were not exported", "no-base")
    else:
        for concept_id, base in review.base.items():
            if concept_id not in seen:
                _delete(plan, glossary, concept_id, base, None, options)
    taken = set(result.concepts)
    for row in new_rows:
        _new_concept(plan, glossary, row, None, options, taken)
    return plan


def _unchanged(row: Row, concept: Concept | None, languages) -> bool:
    """Whether the row holds exactly the glossary's values (then no merge is needed)."""
    if concept is None or row.comment:
        return False
    ours = concept_values(concept, languages)
    theirs = _row_values(row, ours)
    return all(_norm(k, ours.get(k)) == _norm(k, theirs.get(k)) for k in set(ours) | set(theirs))


def _same_as(row: Row, concept: Concept, languages) -> bool:
    """Whether the row says nothing the concept does not (a new row imported before)."""
    ours = concept_values(concept, languages)
    theirs = _row_values(row, ours)
    for tag in languages:              # a new row's term is preferred unless it says otherwise
        if theirs.get(f"{tag}.term") and not theirs.get(f"{tag}.status"):
            theirs[f"{tag}.status"] = "preferred"
    keys = set(ours) | set(theirs)
    return (all(_norm(k, ours.get(k)) == _norm(k, theirs.get(k)) for k in keys if k not in ("review_status", "subject_fields"))
            and (not row.comment or row.comment in concept.note))


def _cell(review: ReviewFile, row: Row, key: str) -> str | None:
    return review.where(row.cells.get(key.split("[", 1)[0]))


def _merge_row(plan: Plan, glossary: Termbase, row: Row, options: _Options) -> None:
    review, languages = plan.review, plan.review.languages
    current = glossary.concepts.get(row.id)
    if review.base is not None:
        base = review.base.get(row.id)
        if base is None:
            if current is None:
                _new_concept(plan, glossary, row, row.id, options, set(plan.termbase.concepts))
            elif _same_as(row, current, languages):
                plan.concepts.append(ConceptResult(row.id, row.number, "unchanged",
                                                   message="a new row that is already in the glossary"))
            else:
                plan.concepts.append(ConceptResult(row.id, row.number, "conflict", message=(
                    "this concept is in the glossary but was not in this export (was the ID typed in?); "
                    "nothing applied")))
            return
        if row.fingerprint and row.fingerprint != base.fingerprint:
            review.error(row.cells.get("id"), f"the row's fingerprint is not that of concept {row.id!r} as exported: "
                         "was the ID changed? Put it back, or clear it to add a new concept", "id-changed")
            return
        if not row.comment and row.present - {"id", "fingerprint"} and all(
                _norm(k, v) is None or k == "subject_fields" for k, v in row.values.items() if not is_term_key(k)) \
                and not any(is_term_key(k) for k in row.values):
            _delete(plan, glossary, row.id, base, row, options, emptied=True)
            return
        if _unchanged(row, current, languages):
            plan.concepts.append(ConceptResult(row.id, row.number, "unchanged"))
            return
        base = base.load(review)
        if base is None:
            return
        base_values = concept_values(base, languages)
    else:
        if current is None:
            if row.fingerprint:
                plan.concepts.append(ConceptResult(row.id, row.number, "conflict", message=(
                    "deleted from the glossary since the export; nothing applied")))
            else:
                _new_concept(plan, glossary, row, row.id, options, set(plan.termbase.concepts))
            return
        if _unchanged(row, current, languages):
            plan.concepts.append(ConceptResult(row.id, row.number, "unchanged"))
            return
        base = current if row.fingerprint == fingerprint(current) else None
        base_values = concept_values(base, languages) if base is not None else None
    theirs = _row_values(row, base_values if base_values is not None else concept_values(current, languages))
    readded = current is None             # deleted from the glossary since the export
    if readded:
        if theirs == base_values and not row.comment:
            plan.concepts.append(ConceptResult(row.id, row.number, "unchanged",
                                               message="deleted from the glossary since the export"))
            return
        if options.prefer != "theirs":
            plan.concepts.append(ConceptResult(row.id, row.number, "conflict", message=(
                "deleted from the glossary since the export but edited in the review; --theirs brings it back")))
            return
        current = base
    ours = concept_values(current, languages)
    result = ConceptResult(row.id, row.number, "unchanged")
    merged, changed, conflicts = _merge_values(base_values, ours, theirs, result, review, row, options)
    comment = row.comment if row.comment and row.comment not in current.note else ""
    if conflicts and options.prefer is None:
        for item in result.items:
            if item.outcome == "applied":
                item.outcome, item.message = "rejected", "not applied: the concept has a conflict (--theirs or --ours)"
        if comment:
            result.items.append(Item("Reviewer comment", "rejected", None, None, comment, _cell(review, row, "comment"),
                                     "not applied: the concept has a conflict", "comment"))
        result.outcome = "conflict"
        plan.concepts.append(result)
        return
    if not changed and not comment and not readded:
        plan.concepts.append(result)
        return
    concept = copy.deepcopy(current)
    try:
        result.message = _apply(concept, merged, changed, languages, other_order(theirs, ours))
    except _CellError as error:
        review.error(row.cells.get(error.key), error.message, "bad-value")
        return
    if changed and "review_status" not in changed and concept.review_status is not ReviewStatus.REVIEWED:
        result.items.append(Item("Review status", "applied", vocab_text(current.review_status),
                                 vocab_text(current.review_status), "reviewed", None,
                                 "set because reviewer changes were accepted", "review_status"))
        concept.review_status = ReviewStatus.REVIEWED
    if comment:
        add_note(concept, _comment_line(comment, options))
        result.items.append(Item("Reviewer comment", "applied", None, None, comment, _cell(review, row, "comment"),
                                 "added to the concept note", "comment"))
    concept.modified = options.today
    if options.reviewer:
        concept.modified_by = options.reviewer
    result.changes = diff_concepts(None if readded else current, concept)
    result.outcome = "added" if readded else "updated"
    plan.termbase.concepts[concept.id] = concept
    plan.written[concept.id] = (concept, row)
    plan.concepts.append(result)


def _merge_values(base: dict | None, ours: dict, theirs: dict, result: ConceptResult, review, row,
                  options: _Options):
    """Three-way merge of review values (`merge_values`); `base` None means unknown (then every
    difference conflicts). The subject fields are read-only; `options.prefer` settles conflicts.

    Returns (merged values, keys taken from the reviewer, whether there were conflicts).
    """
    merged = dict(ours)
    changed = set()
    conflicts = False
    normed = [None if values is None else {k: _norm(k, v) for k, v in values.items()} for values in (base, ours, theirs)]
    for field_ in merge_values(*normed):
        key, b, t = field_.key, field_.base, field_.theirs
        item = Item(options.label(key), "", b, field_.ours, t, _cell(review, row, key), key=key)
        result.items.append(item)
        if key == "subject_fields":
            item.outcome, item.message = ("rejected", "read-only column") if base is None or t != b else ("kept", "")
        elif field_.outcome == "ours":
            item.outcome = "kept"
        elif field_.outcome == "theirs":
            item.outcome = "applied"
            merged[key] = t
            changed.add(key)
        else:
            conflicts = True
            if options.prefer == "theirs":
                item.outcome, item.message = "applied", "conflict resolved with --theirs"
                merged[key] = t
                changed.add(key)
            elif options.prefer == "ours":
                item.outcome, item.message = "rejected", "conflict resolved with --ours"
            else:
                item.outcome = "conflict"
                if base is None:
                    item.message = "the concept changed in the glossary since the export (fingerprint differs)"
    return {k: v for k, v in merged.items() if v is not None}, changed, conflicts


def other_order(theirs: dict, ours: dict) -> dict:
    """{tag: [texts]}: the other terms in the reviewer's order, the glossary's own placed after the term they follow."""
    texts: list[dict] = [{}, {}]
    for side, values in zip(texts, (theirs, ours)):
        for key in values:
            if is_term_key(key):
                tag, rest = key.split(".other[", 1)
                side.setdefault(tag, []).append(rest[:-1])
    return {tag: merge_order(texts[0].get(tag, []), texts[1].get(tag, [])) for tag in {**texts[0], **texts[1]}}


def _comment_line(comment: str, options: _Options) -> str:
    who = f"{options.reviewer}, " if options.reviewer else ""
    return f"Review comment ({who}{options.today.isoformat()}): {comment}"


class _CellError(Exception):
    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key, self.message = key, message


def _apply(concept: Concept, merged: dict, changed: set, languages, order: dict) -> str:
    """Set the changed review values on `concept` (a copy of the glossary's), keeping everything else."""
    notes = []
    if "note" in changed:
        concept.note = merged.get("note", "")
    if "review_status" in changed:
        concept.review_status = ReviewStatus.parse(merged["review_status"]) if merged.get("review_status") else None
    if "subject_fields" in changed:
        concept.subject_fields = [s for s in merged.get("subject_fields", "").split("; ") if s]
    for tag in languages:
        keys = {k for k in changed if k.split(".", 1)[0] == tag}
        if not keys:
            continue
        section = concept.section(tag)
        if section is None:
            section = concept.languages[tag] = LangSection(tag)
        if f"{tag}.definition" in keys:
            section.definition = merged.get(f"{tag}.definition", "")
        if keys - {f"{tag}.definition", f"{tag}.context"}:
            notes += _rebuild_terms(section, merged, tag, order.get(tag, []))
        if f"{tag}.context" in keys:
            term = _column_term(section, merged, tag)
            if term is not None:
                term.context = merged.get(f"{tag}.context", "")
            elif merged.get(f"{tag}.context"):
                raise _CellError(f"{tag}.context", "a context needs a term in the term column")
        if not (section.terms or section.definition or section.note or section.definition_source):
            del concept.languages[section.lang]
    return "; ".join(notes)


def _column_term(section: LangSection, merged: dict, tag: str) -> Term | None:
    text = merged.get(f"{tag}.term")
    return next((t for t in section.terms if t.text == text), None) if text else None


def _rebuild_terms(section: LangSection, merged: dict, tag: str, order: list) -> list:
    """Make `section.terms` what the merged values say; terms keep every field the sheet lacks."""
    notes = []
    by_text = {term.text: term for term in section.terms}
    position = {term.text: i for i, term in enumerate(section.terms)}
    old_preferred = section.preferred()
    wanted = []
    if merged.get(f"{tag}.term"):
        wanted.append((merged[f"{tag}.term"], merged.get(f"{tag}.status", ""), merged.get(f"{tag}.type", ""), True))
    for text in order:
        key = f"{tag}.other[{text}]"
        if key in merged:
            status, type_ = _parse_qualifier(merged[key])
            wanted.append((text, vocab_text(status), vocab_text(type_), False))
    texts = {w[0] for w in wanted}
    terms = []
    for n, (text, status, type_, is_column) in enumerate(wanted):
        term = by_text.get(text)
        where = position.get(text, len(position) + n)
        if term is None and is_column and old_preferred is not None and old_preferred.text not in texts:
            term = copy.deepcopy(old_preferred)   # the preferred term renamed: it keeps its data
            where = position[old_preferred.text]
            dropped = [f"{name} {getattr(term, name)!r}" for name in ("forms", "vocalized") if getattr(term, name)]
            if dropped:
                notes.append(f"{tag} term {old_preferred.text!r} renamed to {text!r}: its "
                             + " and ".join(dropped) + " belonged to the old spelling and were dropped")
            term.text, term.forms, term.vocalized = text, [], ""
        else:
            term = copy.deepcopy(term) if term is not None else Term(text)
        term.status = AdministrativeStatus.parse(status) if status else None
        term.type = TermType.parse(type_) if type_ else None
        terms.append((where, n, term))
    section.terms = [term for _, _, term in sorted(terms, key=lambda t: (t[0], t[1]))]
    return notes


def _delete(plan: Plan, glossary: Termbase, concept_id: str, base: BaseEntry, row: Row | None,
            options: _Options, emptied: bool = False) -> None:
    current = glossary.concepts.get(concept_id)
    number = row.number if row else None
    how = "all its cells were emptied" if emptied else "its row was deleted"
    if current is None:
        plan.concepts.append(ConceptResult(concept_id, number, "unchanged",
                                           message=f"{how}; already gone from the glossary"))
    elif not options.allow_deletes:
        plan.concepts.append(ConceptResult(concept_id, number, "rejected",
                                           message=f"{how} in the review; not deleted without --allow-deletes"))
    elif fingerprint(current) != base.fingerprint and options.prefer != "theirs":
        plan.concepts.append(ConceptResult(concept_id, number, "conflict", message=(
            f"{how} in the review, but the concept changed in the glossary since the export; "
            "--theirs deletes it anyway")))
    else:
        del plan.termbase.concepts[concept_id]
        plan.deleted.append(concept_id)
        plan.concepts.append(ConceptResult(concept_id, number, "deleted", changes=diff_concepts(current, None),
                                           message=how))


def _new_concept(plan: Plan, glossary: Termbase, row: Row, concept_id, options: _Options, taken: set) -> None:
    review, languages = plan.review, plan.review.languages
    values = {k: v for k, v in row.values.items() if _norm(k, v) is not None and k != "review_status"}
    terms = {tag: values[f"{tag}.term"] for tag in languages if values.get(f"{tag}.term")}
    if not terms:
        ref = row.cells.get("id") or next(iter(row.cells.values()), f"A{row.number}")
        review.error(ref, "a new row needs a term (or the ID of the concept it belongs to)", "new-row")
        return
    duplicate = _same_preferred(glossary, terms)
    if duplicate is not None and concept_id is None:
        plan.concepts.append(ConceptResult(duplicate, row.number, "unchanged", message=(
            f"row {row.number} holds the preferred terms of {duplicate!r}: imported before?")))
        return
    if concept_id is None:
        english = next((text for tag, text in terms.items() if primary_language(tag) == "en"), "")
        concept_id = unique_id(english, taken, f"review-row-{row.number}")
    elif not CONCEPT_ID.match(concept_id):
        review.error(row.cells.get("id"), f"{concept_id!r} is not a concept id (a-z, 0-9, '-'); "
                     "leave the ID empty for a new concept", "bad-id")
        return
    taken.add(concept_id)
    for tag in terms:
        values.setdefault(f"{tag}.status", "preferred")
    concept = Concept(concept_id, created=options.today, created_by=options.reviewer)
    try:
        _apply(concept, values, set(values), languages, other_order(values, {}))
    except _CellError as error:
        review.error(row.cells.get(error.key), error.message, "bad-value")
        return
    concept.review_status = ReviewStatus.DRAFT
    if row.comment:
        add_note(concept, _comment_line(row.comment, options))
    result = ConceptResult(concept_id, row.number, "added", message="new draft concept")
    for key, value in values.items():
        result.items.append(Item(options.label(key), "applied", None, None, value, _cell(review, row, key), key=key))
    result.changes = diff_concepts(None, concept)
    plan.termbase.concepts[concept_id] = concept
    plan.written[concept_id] = (concept, row)
    plan.concepts.append(result)


def _same_preferred(glossary: Termbase, terms: dict) -> str | None:
    """The concept whose preferred terms are exactly `terms` (normalized), if any."""
    wanted = {primary_language(tag): arabic.normalize(text) for tag, text in terms.items()}
    for concept in glossary:
        found = {}
        for tag in wanted:
            term = concept.preferred_term(tag)
            if term is not None:
                found[tag] = arabic.normalize(term.text)
        if found == wanted:
            return concept.id
    return None


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


def merge_into(glossary: Termbase, incoming: Termbase, progress=None) -> tuple[Termbase, ImportReport]:
    """A copy of `glossary` with `incoming` merged in, and what changed (`progress(concepts,
    total)` hears of the incoming concepts merged)."""
    result = copy.deepcopy(glossary)
    report = ImportReport()
    indexes = {lang: _term_index(glossary, lang) for lang in ("en", "ar")}
    for concept in counted(incoming, progress):
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
