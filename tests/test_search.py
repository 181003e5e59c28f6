"""Arabic-aware search on the shipped glossary and on small built termbases."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from termbase import glossary, search
from termbase.cli import main
from termbase.model import AdministrativeStatus, Concept, LangSection, Term, Termbase, TermType

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("query", ["النشره الخضراء", "بالنَّشْرَة الخضراء", "green notices", "Green Notice", "النشرة الخضراء"])
def test_issue_examples_find_green_notice(query):
    result = CliRunner().invoke(main, ["search", query, "-g", str(ROOT / "glossary"), "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert hits[0]["concept_id"] == "green-notice"
    assert hits[0]["reason"]


def test_text_output_says_why():
    result = CliRunner().invoke(main, ["search", "بالنَّشْرَة الخضراء", "-g", str(ROOT / "glossary")])
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first.startswith("green-notice\t") and "[normalized]" in first


def small():
    termbase = Termbase()
    for cid, en, acronym, ar, definition in [
        ("icse", "International Child Sexual Exploitation database", "ICSE", "قاعدة البيانات الدولية للصور", "A database of images."),
        ("icaid", "International Child Abuse Image Database", "ICAID", "قاعدة البيانات الدولية لصور الاعتداء", "Replaced by the ICSE database."),
        ("notice", "notice", "", "نشرة", "An alert."),
    ]:
        terms = [Term(en, TermType.FULL_FORM, AdministrativeStatus.PREFERRED)]
        if acronym:
            terms.append(Term(acronym, TermType.ACRONYM, AdministrativeStatus.ADMITTED))
        termbase.add(Concept(cid, languages={"en": LangSection("en", definition, terms=terms),
                                             "ar": LangSection("ar", terms=[Term(ar, status=AdministrativeStatus.PREFERRED)])}))
    return termbase


def test_ranking_exact_before_normalized_prefix_definition_fuzzy():
    termbase = small()
    hits = search.search(termbase, "ICSE")
    assert [h.concept_id for h in hits][:2] == ["icse", "icaid"]
    assert hits[0].rank == "exact" and hits[1].rank == "definition"
    assert search.search(termbase, "icse")[0].rank == "exact"
    assert search.search(termbase, "International Child")[0].rank == "words"
    assert search.search(termbase, "Internat Chil")[0].rank == "prefix"
    fuzzy = search.search(termbase, "Internationl Child Sexual Exploitaton database")
    assert fuzzy[0].concept_id == "icse" and fuzzy[0].rank == "fuzzy"


def test_clitic_and_article_forms_match_normalized():
    termbase = small()
    assert search.search(termbase, "والنشرة")[0].concept_id == "notice"
    assert search.search(termbase, "والنشرة")[0].rank == "normalized"


def test_unrelated_query_finds_nothing():
    assert search.search(small(), "zebra crossing") == []
    result = CliRunner().invoke(main, ["search", "zebra crossing", "-g", str(ROOT / "glossary")])
    assert result.exit_code == 1


@pytest.mark.parametrize("args", [["green", "--limit", "-1"], ["green", "--limit", "0"], ["", "--limit", "5"], ["  "]])
def test_a_meaningless_limit_or_empty_query_is_a_usage_error(args):
    result = CliRunner().invoke(main, ["search", *args, "-g", str(ROOT / "glossary")])
    assert result.exit_code == 2, result.output
    assert not result.stdout
