#!/usr/bin/env python3
"""What the journal costs: `termbase import` of a file that revises every concept of an
N-concept glossary, committed through the journal (store/journal.py: staged files, one syncfs,
an fsync'ed manifest, renames, directory fsyncs) and, for comparison, through the per-file
atomic writes the journal replaced (fileio.replace_all_atomic: temp file, fsync, rename each).

Both run as whole processes on the same glossary restored between runs, best of --runs; the
target is that the journal adds ≤ 10 % to the import.

    python benchmarks/journal.py [N] [--runs 3]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from glossary import synthetic  # noqa: E402
from termbase import glossary  # noqa: E402

PER_FILE = ("import sys; from termbase.store import journal; from termbase.fileio import replace_all_atomic\n"
            "journal.commit = lambda root, files, remove=(): replace_all_atomic(files, remove=remove)\n"
            "from termbase.cli import main; sys.argv[0] = 'termbase'; main()")
JOURNAL = "import sys; from termbase.cli import main; sys.argv[0] = 'termbase'; main()"


def restore(saved: Path, root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(saved, root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        saved, root = tmp / "saved", tmp / "glossary"
        glossary.write(synthetic(options.n), saved)
        revised = synthetic(options.n)
        for concept in revised:
            concept.languages["en"].definition = concept.languages["en"].definition.replace("A police unit", "A revised police unit")
        glossary.write(revised, tmp / "revised")
        subprocess.run([sys.executable, "-m", "termbase.cli", "export", "-g", str(tmp / "revised"), "--format", "tsv",
                        "-o", str(tmp / "revision.tsv")], check=True, capture_output=True)
        env = {**os.environ, "TERMBASE_INDEX_DIR": str(tmp / "index")}
        print(f"import of {options.n} revised concepts (TSV), whole processes, best of {options.runs}")
        results = {}
        for label, code in (("per-file atomic writes", PER_FILE), ("journal", JOURNAL)) * options.runs:
            restore(saved, root)
            subprocess.run([sys.executable, "-c", JOURNAL, "stats", "-g", str(root)], env=env, capture_output=True)
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", code, "import", str(tmp / "revision.tsv"), "-g", str(root)],
                                  env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            assert done.returncode == 0, done.stderr[-500:]
            assert f"{options.n} updated" in done.stderr, done.stderr[-300:]
            results[label] = min(results.get(label, seconds), seconds)
        for label, seconds in results.items():
            print(f"{label:<26} {seconds:7.2f} s")
        ratio = results["journal"] / results["per-file atomic writes"]
        print(f"journal / per-file writes: {ratio:.3f}× ({(ratio - 1) * 100:+.1f} %; target ≤ +10 %)")


if __name__ == "__main__":
    main()
