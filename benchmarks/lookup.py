#!/usr/bin/env python3
"""Time lookups on an N-concept glossary: whole `termbase` processes beside the CSafeLoader floor.

Generates N concepts with `benchmarks/glossary.py`'s `synthetic()`, then times, best of --runs:

- the floor: a process that only reads every concept file with `yaml.CSafeLoader`;
- the first command on a fresh copy, which builds the index (`stats`), and the same with the
  index bypassed (TERMBASE_NO_INDEX=1: what every command cost before the index);
- `show`, `search`, `stats`, `find` on a one-line text, with peak RSS of `show` and `search`;
- `show` after editing one concept file (the edit must be visible), and `validate` after that
  edit, which must still report the cross-file duplicate preferred term the edit created, and
  `find` after it (the recognition automaton is built anew for the new state).

Processes run with Python's bytecode cache on, as an installed termbase does.

Each process's peak RSS comes from wait4(). `--location` also compares the index in the cache
directory, inside the glossary, and with the glossary mounted read-only (needs unshare -m).

    python benchmarks/lookup.py 10000 [--runs 3] [--location]
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

from glossary import FLOOR, synthetic  # noqa: E402
from termbase import glossary  # noqa: E402

TERMBASE = str(Path(sys.executable).parent / "termbase")
TARGETS = {"first command (builds the index)": "≤ 1.5× floor", "show": "≤ 0.3 s", "search": "≤ 0.5 s",
           "stats": "≤ 0.5 s", "find, one-line text": "≤ 1.5 s", "show after an edit": "≤ 0.6 s",
           "validate after the edit": "≤ 2 s"}


GNU_TIME = "/usr/bin/time"     # Debian's `time` package


def run_measured(args, env=None) -> tuple[float, float, str, str]:
    """Run a process: (seconds, its peak RSS in MiB, stdout, stderr).

    The peak RSS comes from GNU time when it is installed: a process forked from this one counts
    this one's memory (the generated glossary) in its own peak until it execs, so wait4() alone
    overstates it by this process's size."""
    if os.path.exists(GNU_TIME):
        with tempfile.NamedTemporaryFile("r") as report:
            seconds, _, out, err = _run([GNU_TIME, "-f", "%M", "-o", report.name, *args], env)
            return seconds, int(report.read().split()[-1]) / 1024, out, err
    return _run(args, env)


def _run(args, env=None) -> tuple[float, float, str, str]:
    start = time.perf_counter()
    read_out, write_out = os.pipe()
    read_err, write_err = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(write_out, 1)
        os.dup2(write_err, 2)
        os.close(read_out)
        os.close(read_err)
        os.execve(args[0], args, env or os.environ)
    os.close(write_out)
    os.close(write_err)
    out, err = _drain(read_out, read_err)
    _, status, usage = os.wait4(pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out, err


def _drain(*fds) -> list[str]:
    import selectors

    chunks = {fd: [] for fd in fds}
    selector = selectors.DefaultSelector()
    for fd in fds:
        selector.register(fd, selectors.EVENT_READ)
    open_fds = set(fds)
    while open_fds:
        for key, _ in selector.select():
            data = os.read(key.fd, 65536)
            if data:
                chunks[key.fd].append(data)
            else:
                selector.unregister(key.fd)
                os.close(key.fd)
                open_fds.discard(key.fd)
    return [b"".join(chunks[fd]).decode("utf-8", "replace") for fd in fds]


def best(args, runs, env=None, check=None) -> tuple[float, float]:
    results = []
    for _ in range(runs):
        seconds, rss, out, err = run_measured(args, env)
        if check is not None:
            check(out, err)
        results.append((seconds, rss))
    return min(r[0] for r in results), max(r[1] for r in results)


def row(name, seconds, rss=None, ratio=None):
    extra = f"{rss:7.1f} MiB" if rss is not None else " " * 11
    ratio_text = f"{ratio:5.2f}× floor" if ratio is not None else ""
    print(f"{name:<36} {seconds:7.2f} s {extra}  {ratio_text:<12} {TARGETS.get(name, '')}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--location", action="store_true", help="also compare where the index lives")
    options = parser.parse_args()
    n, runs = options.n, options.runs
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = tmp / "glossary"
        glossary.write(synthetic(n), root)
        (tmp / "line.txt").write_text("The International Child Protection Unit 4711 works with وحدة حماية الأطفال الدولية رقم 17.\n", "utf-8")
        size = sum(p.stat().st_size for p in root.rglob("*.yaml"))
        # as installed: Python's bytecode cache on (some shells turn it off), kept out of the tree
        env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
               "TERMBASE_INDEX_DIR": str(tmp / "index"), "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
        subprocess.run([TERMBASE, "--help"], env=env, stdout=subprocess.DEVNULL, check=True)
        print(f"{n} concepts, {size / 1e6:.1f} MB of YAML; whole processes, best of {runs}, warm file cache; "
              f"{os.cpu_count()} cores")
        floor, _ = best([sys.executable, "-c", FLOOR, str(root)], runs, env)
        row("floor: CSafeLoader reads every file", floor)
        without, rss = best([TERMBASE, "stats", "-g", str(root)], 1, {**env, "TERMBASE_NO_INDEX": "1"})
        row("any command, index bypassed", without, rss, without / floor)
        builds = []
        for _ in range(runs):
            shutil.rmtree(tmp / "index", ignore_errors=True)
            builds.append(run_measured([TERMBASE, "stats", "-g", str(root)], env)[:2])
        build = min(b[0] for b in builds)
        row("first command (builds the index)", build, max(b[1] for b in builds), build / floor)
        checks = {
            "show": ([TERMBASE, "show", "unit-4711", "-g", str(root)], lambda o, e: "unit-4711" in o),
            "search": ([TERMBASE, "search", "child protection unit 4711", "-g", str(root)],
                       lambda o, e: o.startswith("unit-4711\t")),
            "stats": ([TERMBASE, "stats", "-g", str(root)], lambda o, e: f"concepts: {n}" in o),
            "find, one-line text": ([TERMBASE, "find", str(tmp / "line.txt"), "-g", str(root)],
                                    lambda o, e: "unit-4711" in o and "unit-17" in o),
        }
        run_measured(checks["find, one-line text"][0], env)      # the automaton is built once and kept
        for name, (args, ok) in checks.items():
            def check(out, err, ok=ok, name=name):
                assert ok(out, err), f"{name}: unexpected output {out[:200]!r} {err[:200]!r}"
            seconds, rss = best(args, runs, env, check)
            row(name, seconds, rss if name in ("show", "search") else None)
        edited = root / "concepts" / "unit-17.yaml"
        shown, validated, found = [], [], []
        for attempt in range(runs):
            text = edited.read_text("utf-8")
            duplicate = f"International Child Protection Unit {4711 + attempt}"
            edited.write_text(text.replace("International Child Protection Unit 17\n", duplicate + "\n", 1)
                              .replace(f"International Child Protection Unit {4711 + attempt - 1}\n", duplicate + "\n", 1), "utf-8")
            seconds, rss, out, err = run_measured([TERMBASE, "show", "unit-17", "-g", str(root)], env)
            assert duplicate in out, "the edit is not visible"
            shown.append(seconds)
            seconds, rss, out, err = run_measured([TERMBASE, "validate", "-g", str(root)], env)
            assert "duplicate-preferred" in out and "unit-17.yaml" in out and f"unit-{4711 + attempt}" in out, out[:500]
            validated.append(seconds)
            seconds, rss, out, err = run_measured(checks["find, one-line text"][0], env)
            assert "unit-4711" in out, out[:500]
            found.append(seconds)
        row("show after an edit", min(shown))
        row("validate after the edit", min(validated))
        row("find after the edit (automaton rebuilt)", min(found))
        index_size = sum(p.stat().st_size for p in (tmp / "index").glob("*.sqlite*"))
        print(f"index file: {index_size / 1e6:.0f} MB")
        if options.location:
            compare_locations(root, tmp, runs)


def compare_locations(root: Path, tmp: Path, runs: int) -> None:
    """The index in the cache directory, inside the glossary, and a read-only glossary."""
    print("\nwhere the index lives (first command, then search):")
    for label, location in (("cache directory", tmp / "cache-index"), ("inside the glossary", root / ".termbase-index")):
        env = {**os.environ, "TERMBASE_INDEX_DIR": str(location)}
        first = run_measured([TERMBASE, "stats", "-g", str(root)], env)[0]
        search, _ = best([TERMBASE, "search", "unit 4711", "-g", str(root)], runs, env)
        print(f"  {label:<34} {first:7.2f} s   then search {search:5.2f} s")
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    for label, location in (("read-only glossary, cache directory", tmp / "ro-cache-index"),
                            ("read-only glossary, index inside it", root / ".ro-index")):
        env = {**os.environ, "TERMBASE_INDEX_DIR": str(location)}
        args = ["unshare", "-m", "sh", "-c", script, str(root), TERMBASE, "search", "unit 4711", "-g", str(root)]
        start = time.perf_counter()
        result = subprocess.run(args, capture_output=True, text=True, env=env)
        first = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, text=True, env=env)
        again = time.perf_counter() - start
        note = "falls back to memory" if "in memory" in result.stderr else ("ok" if result.returncode == 0 else result.stderr[:80])
        print(f"  {label:<34} {first:7.2f} s   then search {again:5.2f} s   ({note})")


if __name__ == "__main__":
    main()
