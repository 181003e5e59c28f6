#!/usr/bin/env python3
"""Time `termbase validate` and `termbase stats` on a generated glossary beside the floor.

The floor is a process that only reads the same files with `yaml.CSafeLoader`. Target: ≤ 1.5×.
Usage: python benchmarks/glossary.py [N_CONCEPTS]   (default 10000)
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from termbase import glossary
from termbase.model import (AdministrativeStatus, Concept, Gender, LangSection, Number, PartOfSpeech,
                            ReviewStatus, Source, Term, Termbase, TermType)

BIN = Path(sys.executable).parent

FLOOR = """
import sys, yaml
from pathlib import Path
root = Path(sys.argv[1])
yaml.load((root / "termbase.yaml").read_text("utf-8"), Loader=yaml.CSafeLoader)
for path in sorted((root / "concepts").glob("*.yaml")):
    yaml.load(path.read_bytes().decode("utf-8"), Loader=yaml.CSafeLoader)
"""


def synthetic(n: int) -> Termbase:
    """A realistic glossary: en+ar terms, acronyms, definitions, contexts, cross-references."""
    termbase = Termbase(title="synthetic", subject_fields={"organisations": "", "crime-types": ""},
                        sources=[Source("003_c984302149a11a87", "Crimes against children")])
    for i in range(n):
        en = [Term(f"International Child Protection Unit {i}", TermType.FULL_FORM, AdministrativeStatus.PREFERRED,
                   PartOfSpeech.NOUN, number=Number.SINGULAR, forms=[f"International Child Protection Units {i}"]),
              Term(f"ICPU{i}", TermType.ACRONYM, AdministrativeStatus.ADMITTED, PartOfSpeech.NOUN)]
        ar = [Term(f"وحدة حماية الأطفال الدولية رقم {i}", TermType.FULL_FORM, AdministrativeStatus.PREFERRED,
                   PartOfSpeech.NOUN, Gender.FEMININE, Number.SINGULAR,
                   context=f"وتعمل وحدة حماية الأطفال الدولية رقم {i} مع أجهزة إنفاذ القانون في البلدان الأعضاء.",
                   context_source="003_c984302149a11a87", forms=[f"وحدات حماية الأطفال الدولية رقم {i}"]),
              Term(f"الوحدة الدولية {i}", TermType.VARIANT, AdministrativeStatus.ADMITTED, PartOfSpeech.NOUN, Gender.FEMININE, Number.SINGULAR)]
        termbase.add(Concept(
            f"unit-{i}", ["organisations"], ReviewStatus.DRAFT, cross_references=[f"unit-{(i + 1) % n}"],
            sources=["003_c984302149a11a87"], created=dt.date(2026, 11, 28), created_by="benchmark",
            languages={"en": LangSection("en", f"A police unit number {i} that protects children from sexual exploitation online and offline.",
                                         "benchmark", terms=en),
                       "ar": LangSection("ar", f"وحدة شرطية رقم {i} تحمي الأطفال من الاستغلال الجنسي على الإنترنت وخارجه.",
                                         "benchmark", terms=ar)}))
    return termbase


def timed(args) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def best_of(args, runs=3) -> float:
    return min(timed(args) for _ in range(runs))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "glossary"
        glossary.write(synthetic(n), root)
        size = sum(p.stat().st_size for p in root.rglob("*.yaml"))
        print(f"{n} concepts, {size / 1e6:.1f} MB of YAML (best of 3 runs, whole processes, warm cache)")
        floor = best_of([sys.executable, "-c", FLOOR, str(root)])
        print(f"{'floor: CSafeLoader only':<32} {floor:7.2f} s")
        for command in (["validate"], ["stats"]):
            seconds = best_of([str(BIN / "termbase"), *command, "-g", str(root)])
            print(f"{'termbase ' + ' '.join(command):<32} {seconds:7.2f} s   {seconds / floor:4.2f}× floor (target ≤ 1.50×)")


if __name__ == "__main__":
    main()
