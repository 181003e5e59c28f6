"""A team on one glossary in git: the merge driver, git-setup, conflicts, history (real git repositories)."""
import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from cli_helpers import run
from strategies import concepts
from termbase import glossary, gitflow, merge

ROOT = Path(__file__).resolve().parents[1]
GREEN = "glossary/concepts/green-notice.yaml"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


@pytest.fixture(autouse=True)
def git_config(tmp_path_factory, monkeypatch):
    """Git sees only this test's configuration (no user or system config)."""
    home = tmp_path_factory.mktemp("git-home")
    config = home / "gitconfig"
    config.write_text("[user]\n\tname = Test Lead\n\temail = lead@example.org\n[init]\n\tdefaultBranch = main\n"
                      "[advice]\n\tdetachedHead = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL",
                 "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(name, raising=False)


def git(repo, *args, code=0, author=None):
    env = dict(os.environ)
    if author:
        env.update(GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL=f"{author.split()[0].lower()}@example.org")
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env)
    assert done.returncode == code, f"git {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository holding a copy of the shipped glossary, one commit on `main`."""
    root = tmp_path / "team"
    root.mkdir()
    shutil.copytree(ROOT / "glossary", root / "glossary")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "The shipped glossary")
    return root


def edit(repo, path, *replacements):
    """Replace text in a file as a person would in an editor (each `old` must be there)."""
    file = repo / path
    text = file.read_text("utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    file.write_text(text, "utf-8")


def commit(repo, message, author):
    git(repo, "commit", "-qam", message, author=author)


def branches(repo, first, second, author1="Huda Nasser", author2="Omar Haddad"):
    """Branch `one` from main with `first` edits and branch `two` with `second`; back on `one`."""
    git(repo, "checkout", "-qb", "two")
    second()
    commit(repo, "Second reviewer's edits", author2)
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-qb", "one")
    first()
    commit(repo, "First reviewer's edits", author1)


def setup_driver(repo):
    result = run("git-setup", "-g", repo / "glossary")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "Field-level merges for the glossary")
    return result


def concept(repo, concept_id="green-notice"):
    return glossary.read_concept_file(repo / "glossary" / "concepts" / f"{concept_id}.yaml")


EN_DEFINITION = "    definition: An INTERPOL notice, published at the request of a member country,"
EN_SOURCE = "    definition_source: termbase team, after INTERPOL (000_8d48ad76fde47cfa, 003_c984302149a11a87)\n    terms:\n    - text: Green Notice"
LAST_XREF = "- interpol-specialists-group-on-crimes-against-children\n"
AR_LAST_FORM = "      - نشرات الإنتربول الخضراء\n"
AR_VARIANT = "النشرة الخضراء للإنتربول"


def reviewer_one(repo):
    edit(repo, GREEN, (EN_DEFINITION, "    definition: An INTERPOL notice, issued at the request of a member country,"),
         (LAST_XREF, LAST_XREF + "- sex-offender\n"))


def reviewer_two(repo):
    edit(repo, GREEN, (EN_SOURCE, EN_SOURCE.replace("termbase team, after INTERPOL", "INTERPOL Notices page")),
         (LAST_XREF, LAST_XREF + "- missing-person\n"),
         (AR_LAST_FORM, AR_LAST_FORM + f"    - text: {AR_VARIANT}\n      type: variant\n      status: admitted\n"))


# --- the two-branch case ------------------------------------------------------------------

def test_two_reviewers_conflict_in_plain_git_and_merge_cleanly_with_the_driver(repo):
    branches(repo, lambda: reviewer_one(repo), lambda: reviewer_two(repo))
    plain = git(repo, "merge", "--no-edit", "two", code=1)        # the issue: plain git cannot merge this
    assert "CONFLICT (content)" in plain.stdout and "green-notice.yaml" in plain.stdout
    git(repo, "merge", "--abort")

    report = setup_driver(repo).stdout
    assert "merge.termbase.driver" in report and ".gitattributes" in report
    merged = git(repo, "merge", "--no-edit", "two")
    assert "CONFLICT" not in merged.stdout
    result = concept(repo)
    assert result.languages["en"].definition.startswith("An INTERPOL notice, issued at the request")      # one
    assert result.languages["en"].definition_source.startswith("INTERPOL Notices page")                     # two
    assert result.cross_references[-2:] == ["sex-offender", "missing-person"]                                # both
    assert [t.text for t in result.languages["ar"].terms][-1] == AR_VARIANT                                  # two
    assert result.languages["ar"].terms[0].forms == ["النشرات الخضراء", "نشرة خضراء"]                      # kept
    run("validate", "-g", repo / "glossary")
    run("fmt", "--check", "-g", repo / "glossary")
    assert git(repo, "status", "--porcelain").stdout == ""


def test_git_setup_is_idempotent_and_says_so(repo):
    first = run("git-setup", "-g", repo / "glossary").stdout
    assert "set merge.termbase.name" in first and "added 'glossary/**/*.yaml merge=termbase'" in first
    second = run("git-setup", "-g", repo / "glossary").stdout
    assert "already set up" in second
    assert (repo / ".gitattributes").read_text().count("merge=termbase") == 1
    driver = git(repo, "config", "--get", "merge.termbase.driver").stdout.strip()
    assert driver.endswith("merge-driver %O %A %B %P --marker-size %L")
    program = driver.split(" merge-driver")[0]
    assert Path(program).is_absolute() and os.access(program, os.X_OK)
    for path in ("glossary/termbase.yaml", GREEN):
        assert git(repo, "check-attr", "merge", "--", path).stdout.strip().endswith("merge: termbase")
    assert git(repo, "check-attr", "merge", "--", "README.yaml").stdout.strip().endswith("unspecified")


def test_git_setup_with_the_glossary_elsewhere_and_on_path(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "glossary", root / "docs" / "term base")
    git(root, "init", "-q")
    out = run("git-setup", "-g", root / "docs" / "term base", "--on-path").stdout
    assert 'added \'"docs/term base/**/*.yaml" merge=termbase\'' in out
    assert git(root, "config", "--get", "merge.termbase.driver").stdout.startswith("termbase merge-driver ")
    attribute = git(root, "check-attr", "merge", "--", "docs/term base/concepts/arrest.yaml").stdout
    assert attribute.strip().endswith("merge: termbase")
    assert "updated merge.termbase.driver" in run("git-setup", "-g", root / "docs" / "term base").stdout


def test_git_setup_outside_a_repository_is_a_clear_error(glossary_copy):
    result = run("git-setup", "-g", glossary_copy, code=1)
    assert "not inside a git repository" in result.output


def test_init_git_creates_the_repository_and_sets_up_the_driver(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = run("init", "--git").stdout
    assert "created glossary/termbase.yaml" in out and "created a git repository" in out
    assert git(tmp_path, "config", "--get", "merge.termbase.name").stdout.strip()
    assert (tmp_path / ".gitattributes").read_text() == "glossary/**/*.yaml merge=termbase\n"
    assert "already set up" in run("git-setup").stdout


# --- more cases ----------------------------------------------------------------------------

def merge_with_driver(repo, first, second, **authors):
    setup_driver(repo)
    branches(repo, first, second, **authors)
    done = git(repo, "merge", "--no-edit", "two")
    assert "CONFLICT" not in done.stdout
    run("validate", "-g", repo / "glossary")
    run("fmt", "--check", "-g", repo / "glossary")
    return done


def add_en_term(text):
    block = f"    - text: {text}\n      type: variant\n      status: admitted\n"
    return lambda repo: edit(repo, GREEN, ("      - INTERPOL Green Notices\n", "      - INTERPOL Green Notices\n" + block))


def test_both_branches_add_different_terms_to_one_language(repo):
    merge_with_driver(repo, lambda: add_en_term("Green Notice of INTERPOL")(repo),
                      lambda: add_en_term("INTERPOL green notice")(repo))
    texts = [t.text for t in concept(repo).languages["en"].terms]
    assert texts == ["Green Notice", "INTERPOL Green Notice", "Green Notice of INTERPOL", "INTERPOL green notice"]


def test_one_branch_deprecates_a_term_the_other_adds_a_form_to_it(repo):
    variant = "    - text: INTERPOL Green Notice\n      type: variant\n      status: admitted\n"
    merge_with_driver(
        repo, lambda: edit(repo, GREEN, (variant, variant.replace("admitted", "deprecated"))),
        lambda: edit(repo, GREEN, ("      - INTERPOL Green Notices\n",
                                   "      - INTERPOL Green Notices\n      - INTERPOL's Green Notice\n")))
    term = concept(repo).languages["en"].terms[1]
    assert term.status.short == "deprecated"
    assert term.forms == ["INTERPOL Green Notices", "INTERPOL's Green Notice"]


def test_both_branches_make_the_same_change(repo):
    same = lambda: reviewer_one(repo)      # noqa: E731
    merge_with_driver(repo, same, same)
    result = concept(repo)
    assert result.cross_references.count("sex-offender") == 1
    assert result.languages["en"].definition.startswith("An INTERPOL notice, issued")


def test_both_branches_add_subject_fields_to_the_header(repo):
    header = "glossary/termbase.yaml"
    last = "  events: meetings, summits, operations and training events\n"
    merge_with_driver(
        repo, lambda: edit(repo, header, (last, last + "  terrorism: terrorism and violent extremism\n"),
                           ("  legal: legal concepts, procedures and policy", "  legal: law, legal procedures and policy")),
        lambda: edit(repo, header, (last, last + "  finance: money laundering and financial crime\n"),
                     ("languages:\n- en\n- ar\n", "languages:\n- en\n- ar\n- fr\n")))
    termbase = glossary.read_header(repo / "glossary")
    assert list(termbase.subject_fields)[-2:] == ["terrorism", "finance"]
    assert termbase.subject_fields["legal"] == "law, legal procedures and policy"
    assert termbase.languages == ["en", "ar", "fr"]


def test_a_clean_merge_that_breaks_a_check_is_reported_as_a_conflict(repo):
    """One side makes the INTERPOL variant preferred, the other adds a new preferred term: each is
    valid, both together have two preferred English terms."""
    setup_driver(repo)
    preferred = "    - text: Green Notice\n      type: fullForm\n      status: preferred\n"
    variant = "    - text: INTERPOL Green Notice\n      type: variant\n      status: admitted\n"
    demoted = preferred.replace("preferred", "admitted")
    branches(repo, lambda: edit(repo, GREEN, (preferred, demoted), (variant, variant.replace("admitted", "preferred"))),
             lambda: edit(repo, GREEN, (preferred, "    - text: GN\n      type: acronym\n      status: preferred\n" + demoted)))
    done = git(repo, "merge", "--no-edit", "two", code=1)
    assert "result has errors neither side had: 2 preferred term(s) in 'en'" in done.stderr
    assert "<<<<<<<" not in (repo / GREEN).read_text("utf-8")
    assert [t.status.short for t in concept(repo).languages["en"].terms] == ["preferred", "admitted", "preferred"]


def test_a_concept_added_on_both_branches_merges_field_by_field(repo):
    """add/add: no common version; what both add alike merges, the rest comes from each side."""
    setup_driver(repo)
    text = (repo / GREEN).read_text("utf-8").replace("id: green-notice", "id: green-notice-2")

    def add(extra):
        (repo / "glossary/concepts/green-notice-2.yaml").write_text(text.replace(LAST_XREF, LAST_XREF + extra), "utf-8")
        git(repo, "add", "glossary/concepts/green-notice-2.yaml")
    branches(repo, lambda: add("- sex-offender\n"), lambda: add("- missing-person\n"))
    git(repo, "merge", "--no-edit", "two")
    assert concept(repo, "green-notice-2").cross_references[-2:] == ["sex-offender", "missing-person"]


# --- conflicts -----------------------------------------------------------------------------

def conflicting(repo):
    setup_driver(repo)
    branches(repo, lambda: edit(repo, GREEN, (EN_DEFINITION, "    definition: Version one of the notice,")),
             lambda: edit(repo, GREEN, (EN_DEFINITION, "    definition: Version two of the notice,"),
                          (LAST_XREF, LAST_XREF + "- missing-person\n")))
    return git(repo, "merge", "--no-edit", "two", code=1)


def test_a_same_field_conflict_is_marked_around_that_field_only(repo):
    done = conflicting(repo)
    assert "CONFLICT (content)" in done.stdout
    assert "conflict in en.definition" in done.stderr
    text = (repo / GREEN).read_text("utf-8")
    lines = text.splitlines()
    start, middle, end = lines.index("<<<<<<< ours"), lines.index("======="), lines.index(">>>>>>> theirs")
    assert lines[start + 1:middle] == [lines[start + 1]] and lines[start + 1].startswith("    definition: Version one")
    assert lines[middle + 1:end] == [lines[middle + 1]] and lines[middle + 1].startswith("    definition: Version two")
    assert "- missing-person" in lines                         # the rest is merged
    resolved = "\n".join(lines[:start] + lines[start + 1:middle] + lines[end + 1:]) + "\n"
    assert resolved.encode() == glossary.concept_bytes(glossary.concept_from_bytes(resolved.encode(), GREEN))  # canonical
    assert "U" in git(repo, "status", "--porcelain", GREEN).stdout[:2]


def test_validate_and_fmt_refuse_a_file_with_conflict_markers(repo):
    conflicting(repo)
    line = (repo / GREEN).read_text("utf-8").splitlines().index("<<<<<<< ours") + 1
    before = (repo / GREEN).read_bytes()
    result = run("validate", "-g", repo / "glossary", code=1)
    assert f"green-notice.yaml:{line}: error: unresolved merge conflict" in result.stdout
    assert "[merge-conflict]" in result.stdout and "malformed-yaml" not in result.stdout
    findings = json.loads(run("validate", "--json", "-g", repo / "glossary", code=1).stdout)
    assert [(Path(f["path"]).name, f["line"], f["check"]) for f in findings if Path(f["path"]).name == "green-notice.yaml"] == [
        ("green-notice.yaml", line, "merge-conflict")]
    refused = run("fmt", "-g", repo / "glossary", code=1)
    assert f"green-notice.yaml:{line}: unresolved merge conflict" in refused.output
    assert (repo / GREEN).read_bytes() == before
    run("fmt", "--check", "-g", repo / "glossary", code=1)


def test_conflict_markers_in_the_header_are_found_too(glossary_copy):
    header = glossary_copy / "termbase.yaml"
    header.write_text(header.read_text().replace("languages:\n", "<<<<<<< HEAD\nlanguages:\n=======\nlanguages:\n>>>>>>> b\n"))
    result = run("validate", "-g", glossary_copy, code=1)
    assert "termbase.yaml:3: error: unresolved merge conflict" in result.stdout


def test_driver_falls_back_to_a_line_merge_when_a_side_cannot_be_read(tmp_path):
    base, ours, theirs = (tmp_path / name for name in ("base", "ours", "theirs"))
    good = (ROOT / GREEN).read_bytes()
    base.write_bytes(good)
    ours.write_bytes(good.replace(b"review_status: draft", b"review_status: reviewed"))
    theirs.write_bytes(good.replace(b"id: green-notice\n", b"id: green-notice\nid: twice\n"))
    result = run("merge-driver", base, ours, theirs, GREEN, code=1)
    assert "theirs cannot be read" in result.output and "duplicate key 'id'" in result.output
    merged = ours.read_bytes()
    assert b"review_status: reviewed" in merged and b"id: twice" in merged      # git's line merge, nothing lost
    assert "Traceback" not in result.output


def test_driver_on_a_deleted_side_and_on_other_files(tmp_path):
    base, ours, theirs = (tmp_path / name for name in ("base", "ours", "theirs"))
    base.write_bytes(b"a\nb\nc\nd\n")
    ours.write_bytes(b"a\nb\nc\nD\n")
    theirs.write_bytes(b"A\nb\nc\nd\n")
    run("merge-driver", base, ours, theirs, "notes/readme.yaml")           # not a glossary file: git's merge
    assert ours.read_bytes() == b"A\nb\nc\nD\n"
    good = (ROOT / GREEN).read_bytes()
    base.write_bytes(good)
    ours.write_bytes(good)
    result = run("merge-driver", base, ours, tmp_path / "gone", GREEN, code=1)
    assert "the theirs version is missing" in result.output and ours.read_bytes() == good


# --- the engine under the driver -----------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(concepts())
def test_records_read_back_to_the_same_concept(concept_):
    data = glossary.concept_to_dict(concept_)
    assert merge.unrecord(merge.record(data)) == data
    same = merge.merge_concepts(concept_, concept_, copy.deepcopy(concept_))
    assert same.conflicts == [] and glossary.concept_bytes(same.ours) == glossary.concept_bytes(concept_)


def test_merge_order_places_items_after_what_they_follow():
    assert merge.merge_order("abcX", "abcY") == list("abcXY")
    assert merge.merge_order("aXbc", "abYc") == list("aXbYc")
    assert merge.merge_order("abc", "Yabc") == list("Yabc")


def test_a_term_deleted_on_one_side_and_edited_on_the_other_is_one_conflict():
    base = glossary.read_concept_file(ROOT / GREEN)
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    ours.languages["en"].terms[1].note = "Kept on purpose."
    del theirs.languages["en"].terms[1]
    merged = merge.merge_concepts(base, ours, theirs)
    assert gitflow.conflict_names(merged.conflicts) == ["en.terms[INTERPOL Green Notice]"]
    assert [t.text for t in merged.theirs.languages["en"].terms] == ["Green Notice"]


def test_later_modified_date_wins_instead_of_a_conflict():
    import datetime as dt
    base = glossary.read_concept_file(ROOT / GREEN)
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    ours.modified, ours.modified_by = dt.date(2027, 1, 5), "Huda Nasser"
    theirs.modified, theirs.modified_by = dt.date(2027, 2, 1), "Omar Haddad"
    merged = merge.merge_concepts(base, ours, theirs)
    assert merged.conflicts == [] and (merged.ours.modified, merged.ours.modified_by) == (theirs.modified, "Omar Haddad")


# --- history -------------------------------------------------------------------------------

def test_history_lists_each_commit_with_author_and_fields_across_a_rename(repo):
    setup_driver(repo)
    branches(repo, lambda: reviewer_one(repo), lambda: reviewer_two(repo))
    git(repo, "merge", "--no-edit", "two")
    git(repo, "mv", GREEN, "glossary/concepts/interpol-green-notice.yaml")
    edit(repo, "glossary/concepts/interpol-green-notice.yaml", ("id: green-notice\n", "id: interpol-green-notice\n"))
    variant = "    - text: INTERPOL Green Notice\n      type: variant\n      status: admitted\n"
    edit(repo, "glossary/concepts/interpol-green-notice.yaml", (variant, variant.replace("admitted", "deprecated")))
    git(repo, "commit", "-qam", "Rename green-notice; deprecate the INTERPOL variant", author="Lina Saleh")

    revisions = json.loads(run("history", "interpol-green-notice", "--json", "-g", repo / "glossary").stdout)
    by_subject = {r["subject"]: r for r in revisions}
    assert [r["subject"] for r in revisions if not r["merge"]] == [
        "Rename green-notice; deprecate the INTERPOL variant", "Second reviewer's edits", "First reviewer's edits",
        "The shipped glossary"] or [r["subject"] for r in revisions if not r["merge"]] == [
        "Rename green-notice; deprecate the INTERPOL variant", "First reviewer's edits", "Second reviewer's edits",
        "The shipped glossary"]

    renamed = by_subject["Rename green-notice; deprecate the INTERPOL variant"]
    assert renamed["author"] == "Lina Saleh" and renamed["renamed_from"] == GREEN
    assert {(c["field"], c["kind"]) for c in renamed["changes"]} == {("en.terms[INTERPOL Green Notice].status", "changed")}
    assert "en term INTERPOL Green Notice: status admitted → deprecated" in [c["text"] for c in renamed["changes"]]

    one = by_subject["First reviewer's edits"]
    assert one["author"] == "Huda Nasser" and one["email"] == "huda@example.org"
    assert {c["field"] for c in one["changes"]} == {"en.definition", "cross_references"}
    texts = {c["text"] for c in one["changes"]}
    assert "cross references: added sex-offender" in texts
    assert any(t.startswith("en definition changed: ") for t in texts)

    two = by_subject["Second reviewer's edits"]
    assert two["author"] == "Omar Haddad"
    assert {c["field"] for c in two["changes"]} == {"en.definition_source", "cross_references", f"ar.terms[{AR_VARIANT}]",
                                                    f"ar.terms[{AR_VARIANT}].type", f"ar.terms[{AR_VARIANT}].status"}
    assert f"ar term added: {AR_VARIANT}" in {c["text"] for c in two["changes"]}

    first = by_subject["The shipped glossary"]
    assert [c["text"] for c in first["changes"]] == ["concept added: Green Notice"]
    assert not [r for r in revisions if r["merge"]]        # the clean field-level merge changed nothing of its own
    listed = git(repo, "log", "--follow", "-c", "--raw", "--format=%x1e%P", "--",
                 "glossary/concepts/interpol-green-notice.yaml").stdout
    assert any(len(entry.split("\n")[0].split()) == 2 for entry in listed.split("\x1e")[1:])     # git lists it

    text = run("history", "interpol-green-notice", "-g", repo / "glossary").stdout
    assert "Lina Saleh: Rename green-notice; deprecate the INTERPOL variant" in text
    assert "    renamed from glossary/concepts/green-notice.yaml" in text
    assert f"    ar term added: {AR_VARIANT} (variant, admitted)\n" in text and "type added" not in text
    assert "    en definition changed: …INTERPOL notice, published at the request… → …INTERPOL notice, issued at the request…\n" in text


def test_history_shows_what_a_merge_resolved(repo):
    conflicting(repo)
    lines = (repo / GREEN).read_text("utf-8").splitlines()
    start, end = lines.index("<<<<<<< ours"), lines.index(">>>>>>> theirs")
    lines[start:end + 1] = ["    definition: Both versions, settled in the merge."]
    (repo / GREEN).write_text("\n".join(lines) + "\n", "utf-8")
    git(repo, "commit", "-qam", "Settle the definition", author="Test Lead")
    merge_revision = json.loads(run("history", "green-notice", "--json", "-g", repo / "glossary").stdout)[0]
    assert merge_revision["merge"] and merge_revision["subject"] == "Settle the definition"
    assert [c["field"] for c in merge_revision["changes"]] == ["en.definition"]


def test_history_of_an_unknown_concept_and_outside_git(repo, glossary_copy):
    assert "no commit has changed concept 'nothing-here'" in run("history", "nothing-here", "-g", repo / "glossary",
                                                                 code=1).output
    assert "not inside a git repository" in run("history", "green-notice", "-g", glossary_copy, code=1).output


# --- pre-commit ----------------------------------------------------------------------------

needs_pre_commit = pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                                      reason="needs pre-commit (pip install -e .[test])")


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory):
    """termbase as it is in this checkout, committed in a scratch repository: `pre-commit try-repo`
    installs the hooks' environment from a commit (one install for the module, from PyPI)."""
    source = tmp_path_factory.mktemp("termbase-source")
    for name in ("pyproject.toml", "setup.py", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.so", "__pycache__", "*.egg-info"))
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "termbase"]):
        subprocess.run(["git", *args], cwd=source, env=env, check=True, capture_output=True)
    return source, tmp_path_factory.mktemp("pre-commit-home")


def try_repo(hook_source, repo, hook, code):
    source, home = hook_source
    done = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(source), hook, "--all-files"],
                          cwd=repo, capture_output=True, text=True, env=dict(os.environ, PRE_COMMIT_HOME=str(home)))
    assert done.returncode == code, done.stdout + done.stderr
    return done.stdout


@needs_pre_commit
def test_pre_commit_hooks_pass_on_a_clean_glossary_and_fail_on_a_broken_one(repo, hook_source):
    assert "termbase validate" in try_repo(hook_source, repo, "termbase-validate", 0)
    assert "Passed" in try_repo(hook_source, repo, "termbase-fmt", 0)

    edit(repo, GREEN, ("      status: preferred\n", "      status: admitted\n"))        # no preferred English term
    out = try_repo(hook_source, repo, "termbase-validate", 1)
    assert "green-notice.yaml" in out and "[preferred-count]" in out
    git(repo, "checkout", "--", GREEN)

    edit(repo, GREEN, ("review_status: draft\n", "review_status:   draft\n"))         # valid, not canonical
    out = try_repo(hook_source, repo, "termbase-fmt", 1)
    assert "rewrote" in out and "files were modified by this hook" in out
    assert git(repo, "status", "--porcelain").stdout == ""                               # fmt put it back
