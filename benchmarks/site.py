#!/usr/bin/env python3
"""Time `termbase site` beside `termbase export --format tbx`, and its search in headless Chromium.

For each size N: a generated glossary (`benchmarks/glossary.py`'s `synthetic(N)`), then
  * the site build on a warm index (best of the runs; the output folder removed before each run,
    outside the timing) beside `termbase export --format tbx` on the same glossary (target ≤ 3×),
    and the cold figure: the first command on a fresh glossary, which builds the index too;
  * the first search of a fresh page (cache disabled) for each query over a local HTTP server:
    bytes the page fetched for it (the browser's resource timing, and the server's own count) and
    the time from typing to the first result on screen (target ≤ 2 MiB and ≤ 0.5 s at 100,000).
Usage: python benchmarks/site.py [N …] [--runs 3] [--work DIR] [--warm] [--search-only]   (default 10000; DIR default: a
temporary folder, on /dev/shm when it exists, so that the shared disk's load does not dominate)
"""
from __future__ import annotations

import argparse
import functools
import resource
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from glossary import synthetic  # noqa: E402  (benchmarks/glossary.py)

from termbase import glossary  # noqa: E402

BIN = Path(sys.executable).parent
FIRST_RESULT = """
const [text, done] = [arguments[0], arguments[arguments.length - 1]];
const box = document.getElementById('q'), list = document.getElementById('results');
performance.setResourceTimingBufferSize(1000000);
const before = performance.getEntriesByType('resource').length;
let t0;
const seen = () => list.querySelector('a[href]');
const finish = () => {
  const t1 = performance.now();
  const entries = performance.getEntriesByType('resource').slice(before);
  done({ms: t1 - t0, bytes: entries.reduce((s, e) => s + e.transferSize, 0), files: entries.length,
        first: seen().getAttribute('href'), rank: seen().dataset.rank});
};
new MutationObserver((_, observer) => { if (seen()) { observer.disconnect(); finish(); } })
  .observe(list, {subtree: true, childList: true, attributes: true});
box.value = text; t0 = performance.now(); box.dispatchEvent(new Event('input', {bubbles: true}));
"""


def queries(n: int) -> list[tuple[str, str]]:
    i = 3 * n // 4 + 1
    return [(f"ICPU{i}", "an acronym (exact)"),
            (f"بِوَحْدَةِ حماية الأطفال الدولية رقم {i}", "Arabic, diacritics and the clitic بـ (normalized)"),
            (f"Unit {i}", "two words of a longer English term (words)"),
            (f"Protect Unit {i}", "a word begun (prefix)"),
            (f"Internatinal Child Protection Unit {i}", "a typing error (fuzzy)"),
            ("child protection", "worst case: two words every concept has (words)")]


class Counting(http.server.SimpleHTTPRequestHandler):
    sent = 0

    def log_message(self, *args):
        pass

    def copyfile(self, source, output):
        data = source.read()
        Counting.sent += len(data)
        output.write(data)


def timed(args, before=None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one run."""
    if before:
        before()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime


def best_of(args, runs: int, before=None) -> tuple[float, float]:
    return min(timed(args, before) for _ in range(runs))


def build_figures(n: int, work: Path, runs: int, cold_too: bool = True) -> Path:
    root = work / f"glossary-{n}"
    if not (root / "concepts").is_dir() or len(os.listdir(root / "concepts")) != n:
        shutil.rmtree(root, ignore_errors=True)
        glossary.write(synthetic(n), root)
    os.environ["TERMBASE_INDEX_DIR"] = str(work / f"index-{n}")
    if cold_too:
        shutil.rmtree(work / f"index-{n}", ignore_errors=True)
    out = work / f"site-{n}"
    shutil.rmtree(out, ignore_errors=True)
    termbase = str(BIN / "termbase")
    site_args = [termbase, "site", "-g", str(root), "-o", str(out), "--exports", str(work / "none")]
    tbx_args = [termbase, "export", "--format", "tbx", "-g", str(root), "-o", str(work / f"{n}.tbx")]
    cold, cold_cpu = timed(site_args)
    tbx_runs, site_runs = [], []
    for _ in range(runs):                       # interleaved, so both see the machine's same moments
        tbx_runs.append(timed(tbx_args))
        site_runs.append(timed(site_args, before=lambda: shutil.rmtree(out, ignore_errors=True)))
    (tbx, tbx_cpu), (site, site_cpu) = min(tbx_runs), min(site_runs)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    files = sum(1 for f in out.rglob("*") if f.is_file())
    search_size = sum(f.stat().st_size for f in (out / "search").rglob("*") if f.is_file())
    print(f"\n{n:,} concepts ({files:,} files, {size / 2**20:,.0f} MiB, of which the search index {search_size / 2**20:,.1f} MiB)")
    print(f"  {'termbase export --format tbx (warm index)':<46} {tbx:7.2f} s  (CPU {tbx_cpu:6.2f} s)")
    print(f"  {'termbase site (warm index)':<46} {site:7.2f} s  (CPU {site_cpu:6.2f} s)   "
          f"{site / tbx:4.2f}× tbx (target ≤ 3×)")
    if cold_too:
        print(f"  {'termbase site, cold (indexes first)':<46} {cold:7.2f} s  (CPU {cold_cpu:6.2f} s)")
    return out


def search_figures(n: int, out: Path, profile: Path) -> None:
    from browser import chromium

    handler = functools.partial(Counting, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
    driver = chromium(profile)
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    driver.set_script_timeout(120)
    try:
        print(f"  first search of a fresh page, over HTTP (targets ≤ 2 MiB, ≤ 0.5 s):")
        for text, what in queries(n):
            driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            driver.get(url)
            Counting.sent = 0
            result = driver.execute_async_script(FIRST_RESULT, text)
            served = Counting.sent
            ok = "✓" if result["bytes"] <= 2 * 2**20 and result["ms"] <= 500 else "✗"
            print(f"    {what:<50} {result['bytes'] / 1024:8.0f} KiB in {result['files']:3d} files "
                  f"(server: {served / 1024:6.0f} KiB)  first result {result['ms']:6.0f} ms  {ok}  "
                  f"→ {result['first']} [{result['rank']}]")
    finally:
        driver.quit()
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--warm", action="store_true", help="keep an index left in --work (no cold figure)")
    parser.add_argument("--search-only", action="store_true", help="only the search figures, of a site left in --work")
    options = parser.parse_args()
    base = options.work or Path(tempfile.mkdtemp(prefix="termbase-site-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    base.mkdir(parents=True, exist_ok=True)
    print(f"work folder {base}; whole processes, best of {options.runs} runs")
    try:
        for n in options.sizes:
            if options.search_only and (base / f"site-{n}" / "index.html").is_file():
                out = base / f"site-{n}"
                print(f"\n{n:,} concepts: the site left in {out}")
            else:
                out = build_figures(n, base, options.runs, cold_too=not options.warm)
            search_figures(n, out, Path(tempfile.mkdtemp(prefix="profile-")))
    finally:
        if not options.work:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
