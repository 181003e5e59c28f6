#!/usr/bin/env python3
"""Time and peak memory of format conversions, beside the raw libraries and peer tools.

Usage:  .venv/bin/python benchmarks/formats.py [N ...] [SECTION-PREFIX ...]
        (default sizes 10000 100000; e.g. `formats.py 100k TBX` runs only the TBX section)

For each size it generates N realistic en+ar concepts (terms, definitions, contexts, sources;
about 1.7 KB of TBX each) as a TBX v3 file in a temp dir, then runs every case below as its own
process and reports wall time and peak RSS (os.wait4). Each section compares our command with a
floor (the least work the raw library needs for the same conversion) and, where one exists, a
peer tool; ratios are ours / theirs. Add a section by appending to SECTIONS.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
TERMBASE = [PYTHON, "-m", "termbase.cli"]

# --- synthetic data ------------------------------------------------------------------------

EN_WORDS = ("international police cooperation notice network database child protection online "
            "exploitation offender victim identification forensic taskforce operation summit "
            "agency unit crime cyber abuse material investigation evidence response platform").split()
AR_WORDS = ("الشرطة الدولية التعاون النشرة الشبكة قاعدة البيانات حماية الطفل الاستغلال الجنسي عبر الإنترنت "
            "الجاني الضحية تحديد الهوية الطب الشرعي فرقة العمل العملية القمة الوكالة الوحدة الجريمة "
            "السيبرانية الإساءة المواد التحقيق الأدلة الاستجابة المنصة").split()


def synthetic_concepts(n: int, seed: int = 7):
    from termbase.model import (AdministrativeStatus, Concept, Gender, LangSection, PartOfSpeech,
                                ReviewStatus, Term, TermType)

    rng = random.Random(seed)

    def words(pool, k):
        return " ".join(rng.choice(pool) for _ in range(k))

    for i in range(n):
        en_term, ar_term = words(EN_WORDS, 3), words(AR_WORDS, 3)
        yield Concept(
            id=f"c{i:06d}", subject_fields=[rng.choice(["organisations", "crime-types", "legal"])],
            review_status=ReviewStatus.REVIEWED, sources=["003_c984302149a11a87"],
            created=dt.date(2024, 1, 1) + dt.timedelta(days=i % 365), created_by="terminologist",
            languages={
                "en": LangSection("en", definition=words(EN_WORDS, 12).capitalize() + ".", terms=[
                    Term(en_term, type=TermType.FULL_FORM, status=AdministrativeStatus.PREFERRED,
                         part_of_speech=PartOfSpeech.NOUN, context=words(EN_WORDS, 10).capitalize() + ".",
                         context_source="003_c984302149a11a87"),
                    Term(en_term.upper()[:12].replace(" ", ""), type=TermType.ACRONYM,
                         status=AdministrativeStatus.ADMITTED)]),
                "ar": LangSection("ar", definition=words(AR_WORDS, 10) + ".", terms=[
                    Term(ar_term, status=AdministrativeStatus.PREFERRED, part_of_speech=PartOfSpeech.NOUN,
                         gender=Gender.FEMININE, context=words(AR_WORDS, 9) + ".",
                         context_source="003_c984302149a11a87")])})


def make_inputs(n: int, directory: Path) -> dict[str, Path]:
    from termbase.formats import tbx
    from termbase.model import Source, Termbase

    header = Termbase(title=f"Synthetic termbase ({n} concepts)", languages=["en", "ar"],
                      sources=[Source(id="003_c984302149a11a87", title="Crimes against children")])
    paths = {"tbx": directory / "big.tbx", "tbx2": directory / "big-v2.tbx"}
    for version, key in ((3, "tbx"), (2, "tbx2")):
        with open(paths[key], "wb") as handle:
            tbx.write(header, handle, version=version, concepts=synthetic_concepts(n))
    return paths


# --- floors and peers (run as separate processes) ------------------------------------------

FLOOR_TBX = r'''
import sys
from lxml import etree
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
def to_dict(e):
    tag = e.tag
    return {"tag": tag[tag.index("}") + 1:] if tag[0] == "{" else tag, "attrib": dict(e.attrib),
            "text": e.text if len(e) == 0 else None, "children": [to_dict(c) for c in e]}
def to_element(d, parent=None):
    el = etree.Element(d["tag"], d["attrib"]) if parent is None else etree.SubElement(parent, d["tag"], d["attrib"])
    if d["text"] is not None:
        el.text = d["text"]
    for child in d["children"]:
        to_element(child, el)
    return el
with open(sys.argv[2], "wb") as out, etree.xmlfile(out, encoding="utf-8") as xf:
    xf.write_declaration()
    with xf.element("{urn:iso:std:iso:30042:ed-2}tbx", nsmap={None: "urn:iso:std:iso:30042:ed-2"}):
        with xf.element("text"), xf.element("body"):
            for _, e in etree.iterparse(sys.argv[1], tag="{*}conceptEntry", resolve_entities=False,
                                        no_network=True, load_dtd=False):
                d = to_dict(e)
                e.clear()
                while e.getprevious() is not None:
                    del e.getparent()[0]
                xf.write(to_element(d), pretty_print=True)
'''

TTK_TBX = r'''
import sys
from translate.storage.tbx import tbxfile
store = tbxfile.parsefile(sys.argv[1])
with open(sys.argv[2], "wb") as out:
    store.serialize(out)
'''

OURS_STREAM = r'''
import sys
from termbase.formats import tbx
with open(sys.argv[2], "wb") as out:
    tbx.convert(sys.argv[1], out, version=3)
'''


@dataclass
class Case:
    label: str
    argv: list          # may contain {in}, {in2}, {out}
    role: str = "ours"  # ours | floor | peer


@dataclass
class Section:
    title: str
    cases: list
    # (ours label, other label, time target, memory target): ratio ours/other must be <= target
    targets: list


SECTIONS = [
    Section("TBX v3 -> TBX v3 (export -g big.tbx --format tbx)", [
        Case("termbase export (CLI)", TERMBASE + ["export", "-g", "{in}", "--format", "tbx", "-o", "{out}"]),
        Case("tbx.convert (streaming library call)", [PYTHON, "-c", OURS_STREAM, "{in}", "{out}"]),
        Case("floor: lxml iterparse -> dicts -> xmlfile", [PYTHON, "-c", FLOOR_TBX, "{in}", "{out}"], "floor"),
        Case("translate-toolkit tbxfile parse+serialize (v2 data)", [PYTHON, "-c", TTK_TBX, "{in2}", "{out}"], "peer"),
    ], [("termbase export (CLI)", "floor: lxml iterparse -> dicts -> xmlfile", 1.5, 1.5),
        ("termbase export (CLI)", "translate-toolkit tbxfile parse+serialize (v2 data)", 1.5, 0.25),
        ("tbx.convert (streaming library call)", "floor: lxml iterparse -> dicts -> xmlfile", 1.5, 1.5),
        ("tbx.convert (streaming library call)", "translate-toolkit tbxfile parse+serialize (v2 data)", 1.5, 0.25)]),
]


# Sections for the other formats, added when their modules exist.
FLOOR_XLSX_WRITE = r'''
import sys
from lxml import etree
from openpyxl import Workbook
wb = Workbook(write_only=True)
ws = wb.create_sheet("Terms")
ws.append(["id", "lang", "term", "definition", "context"])
for _, e in etree.iterparse(sys.argv[1], tag="{*}conceptEntry", resolve_entities=False, no_network=True, load_dtd=False):
    for ls in e.iter("{*}langSec"):
        lang = ls.get("{http://www.w3.org/XML/1998/namespace}lang")
        definition = "".join(d.text or "" for d in ls.iter("{*}descrip") if d.get("type") == "definition")
        for ts in ls.iter("{*}termSec"):
            ctx = "".join(d.text or "" for d in ts.iter("{*}descrip") if d.get("type") == "context")
            ws.append([e.get("id"), lang, ts.findtext("{*}term"), definition, ctx])
    e.clear()
    while e.getprevious() is not None:
        del e.getparent()[0]
wb.save(sys.argv[2])
'''

FLOOR_PO_WRITE = r'''
import sys
import polib
from lxml import etree
po = polib.POFile()
po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "ar"}
for _, e in etree.iterparse(sys.argv[1], tag="{*}conceptEntry", resolve_entities=False, no_network=True, load_dtd=False):
    terms = {}
    for ls in e.iter("{*}langSec"):
        terms[ls.get("{http://www.w3.org/XML/1998/namespace}lang")] = ls.findtext("{*}termSec/{*}term")
    po.append(polib.POEntry(msgctxt=e.get("id"), msgid=terms.get("en", ""), msgstr=terms.get("ar", "")))
    e.clear()
    while e.getprevious() is not None:
        del e.getparent()[0]
po.save(sys.argv[2])
'''

READ_XLSX_OURS = r'''
import sys
from termbase import formats
print(len(formats.read_file(sys.argv[1], "xlsx")))
'''

READ_XLSX_OPENPYXL = r'''
import sys
from openpyxl import load_workbook
wb = load_workbook(sys.argv[1], read_only=True)
print(sum(1 for ws in wb.worksheets for _ in ws.iter_rows(values_only=True)))
'''

READ_XLSX_CALAMINE = r'''
import sys
from python_calamine import CalamineWorkbook
wb = CalamineWorkbook.from_path(sys.argv[1])
print(sum(len(wb.get_sheet_by_name(name).to_python()) for name in wb.sheet_names))
'''


def optional_sections() -> list:
    sections = []
    formats_dir = ROOT / "src" / "termbase" / "formats"
    if (formats_dir / "xlsx.py").exists():
        sections.append(Section("TBX v3 -> XLSX (export --format xlsx)", [
            Case("termbase export (CLI)", TERMBASE + ["export", "-g", "{in}", "--format", "xlsx", "-o", "{xlsx}"]),
            Case("floor: iterparse -> openpyxl write-only", [PYTHON, "-c", FLOOR_XLSX_WRITE, "{in}", "{out}.xlsx"], "floor"),
        ], [("termbase export (CLI)", "floor: iterparse -> openpyxl write-only", 1.5, 1.5)]))
        sections.append(Section("reading XLSX (the file written above by termbase)", [
            Case("termbase formats.read_file", [PYTHON, "-c", READ_XLSX_OURS, "{xlsx}"]),
            Case("openpyxl read-only, all rows", [PYTHON, "-c", READ_XLSX_OPENPYXL, "{xlsx}"], "floor"),
            Case("python-calamine, all sheets", [PYTHON, "-c", READ_XLSX_CALAMINE, "{xlsx}"], "peer"),
        ], [("termbase formats.read_file", "openpyxl read-only, all rows", 1.5, 1.5)]))
    if (formats_dir / "po.py").exists():
        sections.append(Section("TBX v3 -> PO (export --format po)", [
            Case("termbase export (CLI)", TERMBASE + ["export", "-g", "{in}", "--format", "po", "-o", "{out}.po"]),
            Case("floor: iterparse -> polib", [PYTHON, "-c", FLOOR_PO_WRITE, "{in}", "{out}.po"], "floor"),
        ], [("termbase export (CLI)", "floor: iterparse -> polib", 1.5, 1.5)]))
    return sections


# --- measuring -----------------------------------------------------------------------------

def measure(argv: list, env: dict) -> tuple[float, float, int, str]:
    """Run argv; return (wall seconds, peak RSS in MiB, exit status, stderr tail)."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    stderr_file = process.stderr
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    err = stderr_file.read().decode(errors="replace")
    stderr_file.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, process.returncode, err.strip().splitlines()[-1:] and err.strip().splitlines()[-1] or ""


def fill(arg: str, values: dict) -> str:
    for key, value in values.items():
        arg = arg.replace("{%s}" % key, value)
    return arg


def run(n: int, only: list | None = None) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    with tempfile.TemporaryDirectory(prefix="termbase-bench-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        paths = make_inputs(n, tmp)
        size = paths["tbx"].stat().st_size
        print(f"\n=== {n:,} concepts: big.tbx {size / 1e6:.1f} MB ({size / n:.0f} bytes/concept), "
              f"v2 copy {paths['tbx2'].stat().st_size / 1e6:.1f} MB; generated in {time.perf_counter() - started:.1f} s")
        values = {"in": str(paths["tbx"]), "in2": str(paths["tbx2"]), "xlsx": str(tmp / "export.xlsx")}
        for index, section in enumerate(SECTIONS + optional_sections()):
            if only and not any(section.title.lower().startswith(word.lower()) for word in only):
                continue
            print(f"\n-- {section.title}")
            results = {}
            for case in section.cases:
                argv = [fill(a, dict(values, out=str(tmp / f"out-{index}"))) for a in case.argv]
                wall, peak, code, err = measure(argv, env)
                results[case.label] = (wall, peak, code)
                flag = "" if code == 0 else f"   FAILED (exit {code}): {err}"
                print(f"   {case.label:<55} {wall:8.2f} s {peak:9.1f} MiB{flag}")
            for ours, other, time_target, memory_target in section.targets:
                if ours not in results or other not in results or results[ours][2] or results[other][2]:
                    continue
                time_ratio = results[ours][0] / results[other][0]
                memory_ratio = results[ours][1] / results[other][1]
                verdict = "ok" if time_ratio <= time_target and memory_ratio <= memory_target else "MISSED"
                print(f"   {ours} / {other}: time {time_ratio:.2f}x (target <= {time_target}x), "
                      f"memory {memory_ratio:.2f}x (target <= {memory_target}x)  {verdict}")


def main(argv: list) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    sizes = [int(a.replace("_", "").replace("k", "000")) for a in argv if a[:1].isdigit()] or [10_000, 100_000]
    only = [a for a in argv if not a[:1].isdigit()]  # section title prefixes, e.g. "TBX" or "reading"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; times are whole processes (start-up included)")
    for n in sizes:
        run(n, only)


if __name__ == "__main__":
    main(sys.argv[1:])
