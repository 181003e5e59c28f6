"""The termbase data model: concepts, language sections and terms (TBX-Basic, concept-oriented).

Every format module reads into and writes from these dataclasses; nothing else holds glossary data.
The controlled vocabularies are the TBX-Basic 1.2.1 picklists, as string enums whose values are
the TBX values themselves.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field, fields
from enum import Enum
from functools import lru_cache


class Vocabulary(str, Enum):
    """A controlled picklist whose values are the TBX-Basic values."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def values(cls) -> list[str]:
        return [member.value for member in cls]

    @classmethod
    def parse(cls, value):
        """The member for `value` (case-insensitive; also `full form`, `full-form`, `preferred`), or ValueError."""
        if isinstance(value, cls) or value is None:
            return value
        text = value if isinstance(value, str) else str(value)
        member = spellings(cls).get(text) or spellings(cls).get(loose_key(text))
        if member is None:
            raise ValueError(f"{value!r} is not a {cls.label()}; expected one of: {', '.join(cls.values())}")
        return member

    @classmethod
    def label(cls) -> str:
        """`term type` for TermType: the picklist's name for messages."""
        return LABELS.get(cls.__name__, cls.__name__)


class TermType(Vocabulary):
    FULL_FORM = "fullForm"
    ACRONYM = "acronym"
    ABBREVIATION = "abbreviation"
    SHORT_FORM = "shortForm"
    VARIANT = "variant"
    PHRASE = "phrase"


class AdministrativeStatus(Vocabulary):
    PREFERRED = "preferredTerm-admn-sts"
    ADMITTED = "admittedTerm-admn-sts"
    DEPRECATED = "deprecatedTerm-admn-sts"
    SUPERSEDED = "supersededTerm-admn-sts"

    @property
    def short(self) -> str:
        """`preferred`, `admitted`, … as written in glossary files."""
        return self.value.split("Term-")[0]


class PartOfSpeech(Vocabulary):
    NOUN = "noun"
    VERB = "verb"
    ADJECTIVE = "adjective"
    ADVERB = "adverb"
    PROPER_NOUN = "properNoun"
    OTHER = "other"


class Gender(Vocabulary):
    MASCULINE = "masculine"
    FEMININE = "feminine"
    NEUTER = "neuter"
    OTHER = "other"


class Number(Vocabulary):
    SINGULAR = "singular"
    DUAL = "dual"
    PLURAL = "plural"
    MASS = "mass"
    OTHER = "other"


class ReviewStatus(Vocabulary):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    APPROVED = "approved"


def loose_key(text: str) -> str:
    """Text compared loosely: case, spaces, underscores and hyphens ignored (`Full form` = `fullForm`)."""
    return re.sub(r"[\s_-]+", "", text).lower()


@lru_cache(maxsize=None)
def spellings(cls) -> dict:
    """Every accepted spelling of each member of a picklist: value, name, and the status short form."""
    table = {}
    for member in cls:
        names = [member.value, member.name, member.name.lower()]
        if cls is AdministrativeStatus:
            names.append(member.short)
        for spelling in names:
            table[spelling] = table[loose_key(spelling)] = member
    return table


LABELS = {"TermType": "term type", "AdministrativeStatus": "administrative status",
          "PartOfSpeech": "part of speech", "Gender": "grammatical gender", "Number": "grammatical number",
          "ReviewStatus": "review status"}

CONCEPT_ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


def slugify(text: str) -> str:
    """A concept id made from any text (`Virtual Global Taskforce` → `virtual-global-taskforce`); '' if nothing is left."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def unique_id(text: str, taken, fallback: str = "concept") -> str:
    """A concept id from `text` (else `fallback`) that is not in `taken`, with -2, -3 … added as needed."""
    base = slugify(text) or fallback
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


@lru_cache(maxsize=256)
def check_language_tag(tag: str) -> str:
    """Return `tag` in canonical BCP 47 case (`en`, `ar`, `en-GB`) or raise ValueError if Babel does not know it."""
    from babel import Locale, UnknownLocaleError

    if not isinstance(tag, str) or not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", tag):
        raise ValueError(f"{tag!r} is not a BCP 47 language tag")
    try:
        Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as error:
        raise ValueError(f"{tag!r} is not a language Babel knows ({error})") from None
    parts = tag.replace("_", "-").split("-")
    return "-".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p.title() if len(p) == 4 else p for p in parts[1:]])


def primary_language(tag: str) -> str:
    """`en` for `en-GB`: the part of a language tag that matching goes by."""
    return tag.replace("_", "-").split("-")[0].lower()


@dataclass
class Term:
    """One designation of a concept in one language."""

    text: str
    type: TermType | None = None
    status: AdministrativeStatus | None = None
    part_of_speech: PartOfSpeech | None = None
    gender: Gender | None = None
    number: Number | None = None
    geographical_usage: str = ""
    context: str = ""
    context_source: str = ""
    forms: list[str] = field(default_factory=list)
    vocalized: str = ""
    note: str = ""

    @property
    def is_preferred(self) -> bool:
        return self.status is AdministrativeStatus.PREFERRED


@dataclass
class LangSection:
    """What a concept has in one language: definition and terms."""

    lang: str
    definition: str = ""
    definition_source: str = ""
    note: str = ""
    terms: list[Term] = field(default_factory=list)

    def preferred(self) -> Term | None:
        """The preferred term, else the first term."""
        for term in self.terms:
            if term.is_preferred:
                return term
        return self.terms[0] if self.terms else None


@dataclass
class Concept:
    """One concept: language-independent data plus a section per language."""

    id: str
    subject_fields: list[str] = field(default_factory=list)
    review_status: ReviewStatus | None = None
    note: str = ""
    cross_references: list[str] = field(default_factory=list)
    external_references: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    created: _dt.date | None = None
    created_by: str = ""
    modified: _dt.date | None = None
    modified_by: str = ""
    languages: dict[str, LangSection] = field(default_factory=dict)

    def section(self, lang: str) -> LangSection | None:
        """The section for `lang`, also matching `en` to `en-GB` and back."""
        if lang in self.languages:
            return self.languages[lang]
        wanted = primary_language(lang)
        for tag, section in self.languages.items():
            if primary_language(tag) == wanted:
                return section
        return None

    def preferred_term(self, lang: str) -> Term | None:
        section = self.section(lang)
        return section.preferred() if section else None

    def terms(self):
        """Yield (language tag, term) for every term of the concept."""
        for tag, section in self.languages.items():
            for term in section.terms:
                yield tag, term


@dataclass
class Source:
    """A document that concepts cite (a corpus text)."""

    id: str
    title: str = ""
    date: str = ""
    publisher: str = ""
    url: str = ""


@dataclass
class Termbase:
    """A whole termbase: its header and its concepts, by id, in order."""

    title: str = ""
    description: str = ""
    languages: list[str] = field(default_factory=lambda: ["en", "ar"])
    subject_fields: dict[str, str] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)
    concepts: dict[str, Concept] = field(default_factory=dict)

    def add(self, concept: Concept) -> None:
        self.concepts[concept.id] = concept

    def __iter__(self):
        return iter(self.concepts.values())

    def __len__(self) -> int:
        return len(self.concepts)


def add_note(obj, text: str) -> None:
    """Append a line to the note of a concept, language section or term (nothing for empty text)."""
    if text:
        obj.note = f"{obj.note}\n{text}" if obj.note else text


def field_names(cls) -> list[str]:
    return [f.name for f in fields(cls)]
