#!/usr/bin/env python3
"""What a progress library costs a termbase process: import time of tqdm and rich, and the whole
time of a quick command (`termbase show`) with each imported at start-up and without.

termbase imports tqdm only when a job on a terminal has run for TERMBASE_PROGRESS_DELAY seconds
(`termbase.progress`), so quick commands and every command on a pipe pay nothing; this shows
what they would pay otherwise, and what a long job pays once.

    python benchmarks/progress.py [--runs 20] [-g GLOSSARY] [--concept ID]

Import times come from `python -X importtime` (the module's cumulative microseconds), alone and
after `termbase.cli` (what is left to import in a termbase process); process times are wall
times of whole processes with stdout and stderr on pipes. Runs are interleaved; the best and the
median of each are shown (the machine may be shared).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
LIBRARIES = {"tqdm": "tqdm", "rich": "rich.progress"}     # what termbase.progress would import from each


def import_microseconds(module: str, before: str = "") -> int:
    """The cumulative import time of `module` (µs), after the statements `before`."""
    code = f"{before}\nimport {module}" if before else f"import {module}"
    result = subprocess.run([PYTHON, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    for line in reversed(result.stderr.splitlines()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise RuntimeError(f"{module} not in the import times (already imported by {before!r}?)")


def process_seconds(prelude: str, args: list) -> float:
    code = (f"{prelude}\nimport sys\nfrom termbase.cli import main\nsys.argv = ['termbase'] + sys.argv[1:]\nmain()")
    start = time.perf_counter()
    subprocess.run([PYTHON, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - start


def summary(values, scale=1.0, unit="ms") -> str:
    return f"best {min(values) * scale:7.1f} {unit}, median {statistics.median(values) * scale:7.1f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("-g", "--glossary", default=str(ROOT / "glossary"))
    parser.add_argument("--concept", default="green-notice")
    args = parser.parse_args()
    env_note = os.environ.get("TERMBASE_PURE_PYTHON")
    print(f"python {sys.version.split()[0]} ({PYTHON}); {os.cpu_count()} CPUs; {args.runs} runs each, interleaved"
          + (" (TERMBASE_PURE_PYTHON set)" if env_note else ""))

    imports = {(name, alone): [] for name in LIBRARIES for alone in (True, False)}
    for _ in range(args.runs):
        for (name, alone), found in imports.items():
            found.append(import_microseconds(LIBRARIES[name], "" if alone else "import termbase.cli"))
    print("\nimport time (python -X importtime, cumulative)")
    for (name, alone), found in imports.items():
        where = "alone" if alone else "after termbase.cli"
        print(f"   import {LIBRARIES[name]:<14} {where:<20} {summary(found, 1e-3)}")

    command = ["show", args.concept, "-g", args.glossary]
    preludes = {"none (as termbase runs on a pipe or for a quick job)": ""}
    preludes.update({f"{LIBRARIES[name]} imported at start-up": f"import {LIBRARIES[name]}" for name in LIBRARIES})
    process_seconds("", command)                # the index is built once, before timing
    times = {label: [] for label in preludes}
    for _ in range(args.runs):
        for label, prelude in preludes.items():
            times[label].append(process_seconds(prelude, command))
    print(f"\nwhole process: termbase {' '.join(command[:2])} (stdout and stderr on pipes)")
    base = min(times[next(iter(preludes))])
    for label, found in times.items():
        print(f"   {label:<55} {summary(found, 1e3)}  ({min(found) / base:.2f}x best)")


if __name__ == "__main__":
    main()
