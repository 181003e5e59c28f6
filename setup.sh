#!/usr/bin/env bash
# Install termbase into ./.venv (with a C compiler, the C inner loop of term recognition, the
# index's file walk and, with libyaml-dev, the common case of reading a concept file are built too;
# without them the pure-Python paths give the same answers, slower). With --test, also a C compiler and
# the tools the test suite checks our files with: jing + Java (official TBX RelaxNG), gettext
# (msgfmt), LibreOffice Calc (opens our XLSX), and for the web glossary's browser tests Chromium
# with its driver, pdftotext, Arabic fonts (Noto) and axe-core (from npm, into .venv/share/axe-core).
set -euo pipefail
cd "$(dirname "$0")"
extras=""
if [ "${1:-}" = "--test" ]; then
  extras="[test]"
  missing=()
  command -v jing >/dev/null 2>&1 || missing+=(jing)
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
  command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
  command -v cc >/dev/null 2>&1 || missing+=(gcc)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [ -e /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || missing+=(fonts-noto-core)
  command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
  [ -e /usr/include/yaml.h ] || missing+=(libyaml-dev)          # for src/termbase/_yamlplain.c
  python3 -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || missing+=(python3-dev)
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
if [ -n "$extras" ] && [ ! -s .venv/share/axe-core/axe.min.js ]; then
  # axe-core, the accessibility engine the browser tests inject (pinned; only its axe.min.js is kept)
  pack="$(mktemp -d)"
  (cd "$pack" && npm pack --silent axe-core@4.10.3 >/dev/null && tar -xzf axe-core-4.10.3.tgz package/axe.min.js)
  mkdir -p .venv/share/axe-core && mv "$pack/package/axe.min.js" .venv/share/axe-core/axe.min.js && rm -rf "$pack"
fi
