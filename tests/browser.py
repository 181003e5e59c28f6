"""Headless Chromium for the web glossary's tests: Debian's chromium and chromium-driver through
selenium, installed by `setup.sh --test` (a missing browser fails the tests, it does not skip them)."""
from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import sys
import threading
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1000"]
AXE = Path(sys.prefix) / "share" / "axe-core" / "axe.min.js"


def chromium(profile: Path):
    """A new headless Chromium session with a fresh profile in `profile`, logging the console."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "Chromium and chromedriver are needed: run ./setup.sh --test"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def console_errors(driver) -> list:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def axe_violations(driver, impacts=("serious", "critical")) -> list:
    """What axe-core finds on the current page, of the given impacts (id, impact, nodes)."""
    assert AXE.is_file(), f"{AXE} is missing: run ./setup.sh --test"
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));")
    assert isinstance(result, list), result
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5]) for v in result if v["impact"] in impacts]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def http_server(folder: Path):
    """Serve `folder` on 127.0.0.1 (a free port) for the duration; yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
