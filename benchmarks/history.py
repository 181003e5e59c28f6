#!/usr/bin/env python3
"""Time `termbase history` on a generated git repository beside the floor, `git log --follow -p`.

The repository (built with `git fast-import`) has COMMITS commits over a glossary of 200 concepts:
each commit edits one concept (definition, status, a cross-reference or a term added or removed).
One commit in EVERY edits `unit-0`, which is renamed half way (`unit-0` → `unit-zero`), one in 100
edits `unit-1`, and a side branch is merged every 100 commits. Both concepts' histories are timed.
Target: `termbase history` ≤ 2 s.
Usage: python benchmarks/history.py [COMMITS [EVERY]]   (default 10000 10)
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from termbase import glossary
from termbase.model import AdministrativeStatus, Concept, LangSection, ReviewStatus, Term, Termbase, TermType

BIN = Path(sys.executable).parent
CONCEPTS = 200
AUTHORS = ["Huda Nasser", "Omar Haddad", "Lina Saleh", "Sam Carter", "Maya Khoury"]
STATUSES = [AdministrativeStatus.ADMITTED, AdministrativeStatus.DEPRECATED, AdministrativeStatus.SUPERSEDED]


def concept(i: int, concept_id: str | None = None) -> Concept:
    return Concept(
        concept_id or f"unit-{i}", ["organisations"], ReviewStatus.DRAFT, cross_references=[f"unit-{(i + 1) % CONCEPTS}"],
        created=dt.date(2026, 11, 28), created_by="benchmark",
        languages={"en": LangSection("en", f"A police unit number {i} that protects children online.", "benchmark",
                                     terms=[Term(f"Child Protection Unit {i}", TermType.FULL_FORM, AdministrativeStatus.PREFERRED),
                                            Term(f"CPU{i}", TermType.ACRONYM, AdministrativeStatus.ADMITTED)]),
                   "ar": LangSection("ar", f"وحدة شرطية رقم {i} تحمي الأطفال على الإنترنت.", "benchmark",
                                     terms=[Term(f"وحدة حماية الأطفال رقم {i}", TermType.FULL_FORM, AdministrativeStatus.PREFERRED)])})


def edit(c: Concept, n: int, rng: random.Random) -> None:
    """One reviewer's edit of a concept (which kind depends on `n`)."""
    kind = n % 4
    if kind == 0:
        c.languages["en"].definition = f"A police unit ({n}) that protects children online and offline."
    elif kind == 1:
        term = c.languages["en"].terms[1]
        term.status = rng.choice([s for s in STATUSES if s is not term.status])
    elif kind == 2:
        target = f"unit-{rng.randrange(1, CONCEPTS)}"
        if target in c.cross_references:
            c.cross_references.remove(target)
        else:
            c.cross_references.append(target)
    elif len(c.languages["ar"].terms) > 2:
        c.languages["ar"].terms.pop()
    else:
        c.languages["ar"].terms.append(Term(f"وحدة رقم {n}", TermType.VARIANT, AdministrativeStatus.ADMITTED))


def fast_import_stream(commits: int, every: int, seed: int = 1) -> tuple[bytes, dict]:
    """The fast-import stream, and how many commits change each timed concept ({id: count})."""
    rng = random.Random(seed)
    concepts = {i: concept(i) for i in range(CONCEPTS)}
    out, mark, when, touched = [], 0, 1_780_000_000, {"unit-zero": 1, "unit-1": 1}
    blob = lambda data: [f"data {len(data)}\n".encode(), data, b"\n"]   # noqa: E731
    path = lambda i: "glossary/concepts/unit-zero.yaml" if i == 0 and renamed else f"glossary/concepts/unit-{i}.yaml"  # noqa: E731
    renamed = False

    def commit(message: str, changes: list, ref: str = "refs/heads/main", merge: int | None = None) -> int:
        nonlocal mark, when
        mark += 1
        when += 600
        author = AUTHORS[mark % len(AUTHORS)]
        email = author.split()[0].lower() + "@example.org"
        out.append(f"commit {ref}\nmark :{mark}\nauthor {author} <{email}> {when} +0000\n"
                   f"committer {author} <{email}> {when} +0000\n".encode())
        out.extend(blob(message.encode()))
        if merge:
            out.append(f"merge :{merge}\n".encode())
        for change in changes:
            out.append(change)
        out.append(b"\n")
        return mark

    def modify(i: int) -> bytes:
        data = glossary.concept_bytes(concepts[i])
        return f"M 100644 inline {path(i)}\n".encode() + b"".join(blob(data))

    header = glossary.header_bytes(Termbase(title="benchmark", subject_fields={"organisations": ""}))
    commit("The glossary", [b"M 100644 inline glossary/termbase.yaml\n" + b"".join(blob(header))]
           + [modify(i) for i in range(CONCEPTS)])
    made = 1
    while made < commits:
        if made % 100 == 99 and made + 3 <= commits:        # a side branch of two commits, merged
            base = mark
            out.append(f"reset refs/heads/side\nfrom :{base}\n\n".encode())
            side_changes = []
            for _ in range(2):
                i = rng.randrange(2, CONCEPTS)
                edit(concepts[i], made, rng)
                side_changes.append(modify(i))
                side = commit(f"Side edit of unit-{i}", [side_changes[-1]], "refs/heads/side")
                made += 1
            commit("Merge branch 'side'", side_changes, merge=side)
            made += 1
            continue
        i = 0 if made % every == 0 else 1 if made % 100 == 55 else rng.randrange(2, CONCEPTS)
        edit(concepts[i], made, rng)
        changes = []
        if i == 0 and not renamed and made >= commits // 2:
            changes.append(f"D {path(0)}\n".encode())
            renamed = True
            concepts[0].id = "unit-zero"
        changes.append(modify(i))
        commit(f"Edit unit-{i}", changes)
        if i < 2:
            touched["unit-zero" if i == 0 else "unit-1"] += 1
        made += 1
    return b"".join(out), touched


def timed(args, cwd) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def best_of(args, cwd, runs=3) -> float:
    return min(timed(args, cwd) for _ in range(runs))


def main() -> None:
    commits = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    every = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    os.environ.update(env)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        start = time.perf_counter()
        stream, touched = fast_import_stream(commits, every)
        subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream, check=True)
        subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
        count = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
        print(f"repository: {count} commits, {CONCEPTS} concepts (built in {time.perf_counter() - start:.1f} s); "
              "best of 3 runs, whole processes, warm cache")
        for concept_id, changes in touched.items():
            target = f"glossary/concepts/{concept_id}.yaml"
            listed = subprocess.run([str(BIN / "termbase"), "history", concept_id, "--json"], cwd=repo, check=True,
                                    capture_output=True, text=True).stdout
            revisions = json.loads(listed)
            assert len(revisions) == changes, (concept_id, len(revisions), changes)
            renamed = " (renamed from unit-0 half way)" if concept_id == "unit-zero" else ""
            assert sum(bool(r["renamed_from"]) for r in revisions) == bool(renamed)
            print(f"\n{concept_id}: changed by {changes} commits{renamed}")
            floor = best_of(["git", "log", "--follow", "-p", "--", target], repo)
            print(f"  {'floor: git log --follow -p':<32} {floor:7.2f} s")
            for extra in ([], ["--json"]):
                seconds = best_of([str(BIN / "termbase"), "history", concept_id, *extra], repo)
                print(f"  {'termbase history ' + ' '.join(extra):<32} {seconds:7.2f} s   {seconds / floor:5.2f}× floor "
                      "(target ≤ 2 s)")


if __name__ == "__main__":
    main()
