"""Terminology QA of translations: did each segment use the approved target term?

For each segment whose source holds a glossary term (matched as `termbase find` matches), the
target must hold an approved term of the same concept (preferred, admitted, or one without a
status), found the same lenient way. Rules, one finding per concept and segment:

- `term-missing` (error): no approved target term; the finding names the terms to use.
- `term-deprecated` (error): the target uses a deprecated or superseded term (also when the
  source does not hold the concept); the finding names the preferred term.
- `term-untranslated` (error): the source term was copied into the target.
- `term-variant` (warning): the approved term is there but spelled with other separators than
  the glossary's (`alter ego` for `alter-ego`); inflection and clitics are not variants.
"""
from __future__ import annotations

from dataclasses import dataclass

from .bilingual import TRANSLATED, Bilingual, Segment
from .errors import Finding
from .matcher import Hit, Matcher, approved_statuses, exact_spelling
from .model import AdministrativeStatus, Termbase, primary_language
from .progress import counted

DISCOURAGED = {AdministrativeStatus.DEPRECATED, AdministrativeStatus.SUPERSEDED}


@dataclass
class _Use:
    hit: Hit
    entry: object
    term: object


def _uses(matcher: Matcher, text: str, lang: str) -> dict:
    """concept id -> list of uses in `text`, in order."""
    uses: dict = {}
    for hit in matcher.find_text(text, [lang]):
        for entry in hit.entries:
            uses.setdefault(entry.concept_id, []).append(_Use(hit, entry, matcher.term(entry)))
    return uses


def _quote(terms) -> str:
    return ", ".join(f"'{t.text}'" for t in terms)


def check_segment(termbase: Termbase, matcher: Matcher, segment: Segment, path=None) -> list[Finding]:
    """Findings for one segment."""
    source_lang, target_lang = segment.source_lang, segment.target_lang
    if not source_lang or not target_lang or primary_language(source_lang) == primary_language(target_lang):
        return []
    in_source = _uses(matcher, segment.source, source_lang)
    in_target = _uses(matcher, segment.target, target_lang)
    copied = _uses(matcher, segment.target, source_lang)
    findings: list[Finding] = []

    def report(severity, message, rule):
        findings.append(Finding(path, segment.line, severity, message, rule, where=segment.id))

    approved = approved_statuses()
    for concept_id, uses in in_source.items():
        concept = termbase.concepts[concept_id]
        section = concept.section(target_lang)
        if section is None:
            continue
        allowed = [t for t in section.terms if t.status in approved]
        if not allowed:
            continue
        source_term = uses[0].hit.surface
        targets = in_target.get(concept_id, [])
        good = [u for u in targets if u.term.status in approved]
        bad = [u for u in targets if u.term.status in DISCOURAGED]
        if good:
            for use in good:
                if not exact_spelling(use.hit.surface, use.entry.form):
                    report("warning", f"'{use.hit.surface}' is not the approved spelling '{use.entry.form}' "
                                      f"({concept_id})", "term-variant")
        elif bad:
            pass   # reported below with the other discouraged terms
        elif concept_id in copied:
            report("error", f"source term '{copied[concept_id][0].hit.surface}' left untranslated in the target; "
                            f"use {_quote(allowed)} ({concept_id})", "term-untranslated")
        else:
            report("error", f"source term '{source_term}' ({concept_id}) is not translated with an approved "
                            f"term: use {_quote(allowed)}", "term-missing")
    for concept_id, uses in in_target.items():
        concept = termbase.concepts[concept_id]
        preferred = concept.preferred_term(target_lang)
        if any(u.term.status in approved for u in uses):
            continue
        for use in uses:
            if use.term.status in DISCOURAGED:
                advice = f"; use '{preferred.text}'" if preferred is not None and preferred.status not in DISCOURAGED else ""
                report("error", f"{use.term.status.short} term '{use.hit.surface}' ({concept_id}){advice}",
                       "term-deprecated")
                break
    return findings


def check(termbase: Termbase, bilingual: Bilingual, include_all: bool = False,
          matcher: Matcher | None = None, progress=None) -> list[Finding]:
    """Findings for every segment of a bilingual file; fuzzy/untranslated ones only with `include_all`.
    `progress(segments, total)` hears how many are checked."""
    matcher = matcher or Matcher(termbase)
    findings: list[Finding] = []
    for segment in counted(bilingual.segments, progress):
        if segment.state != TRANSLATED and not include_all:
            continue
        findings.extend(check_segment(termbase, matcher, segment, bilingual.path))
    return findings
