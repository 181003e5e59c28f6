#!/usr/bin/env python3
"""Time and peak memory of format conversions, beside the raw libraries and peer tools.

Usage:  .venv/bin/python benchmarks/formats.py [N ...] [SECTION-PREFIX ...] [--repeat=R]
        (default sizes 10000 100000; e.g. `formats.py 100k TBX` runs only the TBX section,
        `formats.py 100k reading` only XLSX reading; --repeat=3 runs each case three times and
        reports the best and the worst wall time)

For each size it generates N realistic en+ar concepts (terms, definitions, contexts, sources;
about 1.7 KB of TBX each) as a TBX v3 file in a temp dir, then runs every case below as its own
process and reports wall time and peak RSS (os.wait4). Each section compares our command with a
floor (the least work the raw library needs for the same conversion) and, where one exists, a
peer tool; ratios are ours / theirs (best wall times; CPU time, less disturbed by other load on
the machine, is shown beside). A floor writes the same content as our export (checked after the
run where `same` is set), so the ratio is the price of our model and checks, not of extra data.
Add a section by appending to SECTIONS.

The XLSX reading section reads two workbooks made from `benchmarks/glossary.py`'s `synthetic(n)`
(four terms per concept, en+ar): the Terms workbook (`xlsx.write`), read whole into a termbase
(`xlsx.read`) and concept by concept (`xlsx.iter_concepts`, as `termbase export -g termbase.xlsx`
converts it), and the review workbook (`review.export_review`, `read_review`); beside
python-calamine and openpyxl read-only reading every row of the same file. Two designs are
measured as floors or candidates: lxml `iterparse` of the same sheets with nothing converted
(the floor of the previous reader, which parsed every row with lxml), and calamine's values plus
the lxml pass for formulas and merged ranges that calamine does not give (not taken). The reader
taken parses the common rows in C (`formats/_sheetscan.c`) and hands the rest to lxml.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
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


def make_workbooks(n: int, directory: Path) -> None:
    """terms.xlsx (our XLSX export) and review.xlsx (`termbase review export`) of glossary.synthetic(n)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from glossary import synthetic
    from termbase.formats import xlsx
    from termbase.review import export_review

    termbase = synthetic(n)
    with open(directory / "terms.xlsx", "wb") as handle:
        xlsx.write(termbase, handle)
    with open(directory / "review.xlsx", "wb") as handle:
        export_review(termbase, handle)


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
    # (ours label, other label, time target, memory target or None, from size): ratio ours/other must be
    # <= target at sizes >= "from size" (the issue sets the TBX targets at 100k, XLSX/PO time targets at
    # every size); None: the memory ratio is shown, no target is set
    targets: list
    # (kind, our output, the floor's output): check that the floor wrote what we wrote (see SAME)
    same: tuple | None = None
    inputs: str = "tbx"              # tbx: big.tbx and its v2 copy; workbooks: terms.xlsx and review.xlsx
    # (label, MiB, from size): the case's peak RSS must be <= MiB at sizes >= from size
    memory_limits: list = field(default_factory=list)


SECTIONS = [
    Section("TBX v3 -> TBX v3 (export -g big.tbx --format tbx)", [
        Case("termbase export (CLI)", TERMBASE + ["export", "-g", "{in}", "--format", "tbx", "-o", "{out}"]),
        Case("tbx.convert (streaming library call)", [PYTHON, "-c", OURS_STREAM, "{in}", "{out}"]),
        Case("floor: lxml iterparse -> dicts -> xmlfile", [PYTHON, "-c", FLOOR_TBX, "{in}", "{out}"], "floor"),
        Case("translate-toolkit tbxfile parse+serialize (v2 data)", [PYTHON, "-c", TTK_TBX, "{in2}", "{out}"], "peer"),
    ], [("termbase export (CLI)", "floor: lxml iterparse -> dicts -> xmlfile", 1.5, 1.5, 100_000),
        ("termbase export (CLI)", "translate-toolkit tbxfile parse+serialize (v2 data)", 1.5, 0.25, 100_000),
        ("tbx.convert (streaming library call)", "floor: lxml iterparse -> dicts -> xmlfile", 1.5, 1.5, 100_000),
        ("tbx.convert (streaming library call)", "translate-toolkit tbxfile parse+serialize (v2 data)", 1.5, 0.25, 100_000)]),
]


# Sections for the other formats, added when their modules exist.
#
# The floors below are the least work the raw libraries need to write the SAME content as our
# export, built straight from the TBX elements (lxml iterparse, each entry cleared after use).
# They know only what the synthetic file uses (elements, and the `termbase:reviewStatus` note);
# after each run `same_content` checks that a floor wrote what we wrote.

# Shared by both floors: the fields of one conceptEntry as plain dicts and lists.
FLOOR_ENTRY = r'''
NS = "{urn:iso:std:iso:30042:ed-2}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TERM_NOTES = {"termType": "type", "administrativeStatus": "status", "partOfSpeech": "part of speech",
              "grammaticalGender": "gender", "geographicalUsage": "geographical usage"}
def described(parent, kind):
    for child in parent:
        if child.tag == NS + "descrip" and child.get("type") == kind:
            return child.text, ""
        if child.tag == NS + "descripGrp" and child[0].get("type") == kind:
            return child[0].text, child.findtext(NS + "admin") or ""
    return "", ""
def concept_fields(e):
    c = {"id": e.get("id"), "subject": [], "sources": [], "see": [], "url": [], "note": "", "languages": []}
    for child in e:
        tag, kind = child.tag, child.get("type")
        if tag == NS + "descrip" and kind == "subjectField":
            c["subject"].append(child.text)
        elif tag == NS + "admin" and kind == "source":
            c["sources"].append(child.text)
        elif tag == NS + "ref":
            c["see"].append(child.text)
        elif tag == NS + "xref":
            c["url"].append(child.text)
        elif tag == NS + "note":
            if child.text.startswith("termbase:reviewStatus="):
                c["review status"] = child.text.partition("=")[2]
            else:
                c["note"] = child.text
        elif tag == NS + "transacGrp":
            which = "created" if child.findtext(NS + "transac") == "origination" else "modified"
            c[which], c[which + " by"] = child.findtext(NS + "date") or "", child.findtext(NS + "transacNote") or ""
        elif tag == NS + "langSec":
            definition, definition_source = described(child, "definition")
            terms = []
            for ts in child.iter(NS + "termSec"):
                t = {"text": ts.findtext(NS + "term")}
                for note in ts.iter(NS + "termNote"):
                    t[TERM_NOTES[note.get("type")]] = note.text
                t["context"], t["context source"] = described(ts, "context")
                terms.append(t)
            c["languages"].append((child.get(XML_LANG), definition, definition_source, terms))
    return c
def clear(e):
    e.clear()
    while e.getprevious() is not None:
        del e.getparent()[0]
'''

FLOOR_XLSX_WRITE = FLOOR_ENTRY + r'''
import sys
from lxml import etree
from openpyxl import Workbook
# Our Terms sheet (a row per term, the same 27 columns) and Glossary sheet (a row per concept:
# preferred terms and definitions side by side), values only: no styles, widths or drop-downs,
# and not our two small Termbase/README sheets.
HEADER = ["Concept ID", "Language", "Term", "Type", "Status", "Part of speech", "Gender", "Number",
          "Geographical usage", "Definition", "Definition source", "Context", "Context source", "Forms",
          "Vocalized", "Term note", "Language note", "Subject fields", "Review status", "Cross-references",
          "External references", "Sources", "Concept note", "Created", "Created by", "Modified", "Modified by"]
wb = Workbook(write_only=True)
terms, glossary = wb.create_sheet("Terms"), wb.create_sheet("Glossary")
terms.append(HEADER)
glossary.append(["Concept ID", "English term", "Arabic term", "English definition", "Arabic definition",
                 "Subject fields", "Review status"])
for _, e in etree.iterparse(sys.argv[1], tag="{*}conceptEntry", resolve_entities=False, no_network=True, load_dtd=False):
    c = concept_fields(e)
    tail = ["\n".join(c["subject"]), c.get("review status"), "\n".join(c["see"]), "\n".join(c["url"]),
            "\n".join(c["sources"]), c["note"], c.get("created"), c.get("created by"), c.get("modified"),
            c.get("modified by")]
    preferred, definitions = {}, {}
    for lang, definition, definition_source, lang_terms in c["languages"]:
        definitions[lang] = definition
        for t in lang_terms:
            status = t.get("status")
            if status:
                status = status.split("Term-")[0]
                if status == "preferred":
                    preferred[lang] = t["text"]
            terms.append([c["id"], lang, t["text"], t.get("type"), status, t.get("part of speech"), t.get("gender"),
                          None, t.get("geographical usage"), definition, definition_source, t["context"],
                          t["context source"], None, None, None, None] + tail)
    glossary.append([c["id"], preferred.get("en"), preferred.get("ar"), definitions.get("en"), definitions.get("ar"),
                     tail[0], c.get("review status")])
    clear(e)
wb.save(sys.argv[2])
'''

FLOOR_PO_WRITE = FLOOR_ENTRY + r'''
import sys
import polib
from lxml import etree
# Our entries: the same `#.` lines (concept fields; per language the definition, the preferred
# term's fields and the other terms), `#:` sources, msgctxt/msgid/msgstr, each entry written by
# polib (POEntry.__unicode__, no wrapping) as it comes. The header is fixed, not computed.
def esc(value):
    return value.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
head = polib.POFile(wrapwidth=0)
head.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "ar", "X-Source-Language": "en"}
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write(str(head))
    for _, e in etree.iterparse(sys.argv[1], tag="{*}conceptEntry", resolve_entities=False, no_network=True, load_dtd=False):
        c = concept_fields(e)
        lines = ["subject: " + esc(s) for s in c["subject"]]
        if c.get("review status"):
            lines.append("review status: " + esc(c["review status"]))
        lines += ["see: " + esc(s) for s in c["see"]] + ["url: " + esc(s) for s in c["url"]]
        for key in ("created", "created by", "modified", "modified by", "note"):
            if c.get(key):
                lines.append(f"{key}: {esc(c[key])}")
        texts = {}
        for lang, definition, definition_source, lang_terms in c["languages"]:
            if definition:
                lines.append(f"{lang} definition: {esc(definition)}")
            if definition_source:
                lines.append(f"{lang} definition source: {esc(definition_source)}")
            main = next((t for t in lang_terms if t.get("status") == "preferredTerm-admn-sts"), lang_terms[0])
            texts[lang] = main["text"]
            for key in ("type", "status", "part of speech", "gender", "geographical usage", "context", "context source"):
                value = main.get(key)
                if value:
                    lines.append(f"{lang} {key}: {esc(value.split('Term-')[0] if key == 'status' else value)}")
            for t in lang_terms:
                if t is not main:
                    lines.append(f"{lang} {t['status'].split('Term-')[0] if t.get('status') else 'term'}: {esc(t['text'])}")
        entry = polib.POEntry(msgctxt=c["id"], msgid=texts.get("en", ""), msgstr=texts.get("ar", ""),
                              comment="\n".join(lines), occurrences=[(s, "") for s in c["sources"]])
        out.write("\n" + entry.__unicode__(0))
        clear(e)
'''

READ_XLSX_OURS = r'''
import sys
from termbase.formats import xlsx
print(len(xlsx.read(sys.argv[1])))
'''

READ_XLSX_STREAMED = r'''
import sys
from termbase.formats import xlsx
print(sum(1 for _ in xlsx.iter_concepts(sys.argv[1])))
'''

READ_REVIEW_OURS = r'''
import sys
from termbase.review import read_review
review = read_review(sys.argv[1], ["en", "ar"])
assert not review.errors, review.errors[:3]
print(len(review.rows))
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

# Candidate (a), not taken: calamine for the values, plus the pass over each sheet's XML that it
# would need for what calamine does not give (formula cells, merged ranges). No conversion and
# no model: a lower bound of that design.
READ_XLSX_CANDIDATE_A = r'''
import sys, zipfile
from lxml import etree
from python_calamine import CalamineWorkbook
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
wb = CalamineWorkbook.from_path(sys.argv[1])
rows = sum(1 for name in wb.sheet_names for _ in wb.get_sheet_by_name(name).iter_rows())
found = 0
with zipfile.ZipFile(sys.argv[1]) as archive:
    for part in [n for n in archive.namelist() if n.startswith("xl/worksheets/")]:
        with archive.open(part) as stream:
            for _, e in etree.iterparse(stream, events=("end",), tag=(NS + "row", NS + "f", NS + "mergeCell"),
                                        resolve_entities=False, no_network=True, huge_tree=False):
                if e.tag == NS + "row":
                    e.clear()
                    while e.getprevious() is not None:
                        del e.getparent()[0]
                else:
                    found += 1
print(rows, found)
'''

# What libxml2 alone costs: lxml iterparse of every sheet, each <row> dropped unread.
READ_XLSX_LXML = r'''
import sys, zipfile
from lxml import etree
ROW = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}row"
rows = 0
with zipfile.ZipFile(sys.argv[1]) as archive:
    for part in [n for n in archive.namelist() if n.startswith("xl/worksheets/")]:
        with archive.open(part) as stream:
            for _, e in etree.iterparse(stream, events=("end",), tag=ROW, resolve_entities=False, no_network=True,
                                        huge_tree=False):
                rows += 1
                e.clear()
                while e.getprevious() is not None:
                    del e.getparent()[0]
print(rows)
'''

# The memory floor of the result: the same termbase built in memory, without reading anything.
MODEL_ONLY = r'''
import sys
sys.path.insert(0, sys.argv[2])
from glossary import synthetic
print(len(synthetic(int(sys.argv[1]))))
'''


def same_po(ours: Path, floor: Path) -> str:
    """Whether two PO files have the same entries (the floor's header is fixed, ours computed)."""
    def body(path):
        return path.read_bytes().split(b"\n\n", 1)[1]
    return "same entries" if body(ours) == body(floor) else "ENTRIES DIFFER"


def same_xlsx(ours: Path, floor: Path) -> str:
    """Whether the floor's sheets hold the values of ours (empty cells as '')."""
    from python_calamine import CalamineWorkbook

    mine, theirs = CalamineWorkbook.from_path(str(ours)), CalamineWorkbook.from_path(str(floor))
    for name in theirs.sheet_names:
        a, b = mine.get_sheet_by_name(name).to_python(), theirs.get_sheet_by_name(name).to_python()
        if name == "Glossary":
            a, b = a[1:], b[1:]   # our glossary headers name the languages from the header
        if a != b:
            return f"SHEET {name} DIFFERS"
    return f"same values in {', '.join(theirs.sheet_names)}"


SAME = {"po": same_po, "xlsx": same_xlsx}


def optional_sections() -> list:
    sections = []
    formats_dir = ROOT / "src" / "termbase" / "formats"
    if (formats_dir / "xlsx.py").exists():
        sections.append(Section("TBX v3 -> XLSX (export --format xlsx)", [
            Case("termbase export (CLI)", TERMBASE + ["export", "-g", "{in}", "--format", "xlsx", "-o", "{xlsx}"]),
            Case("floor: iterparse -> openpyxl write-only", [PYTHON, "-c", FLOOR_XLSX_WRITE, "{in}", "{out}.xlsx"], "floor"),
        ], [("termbase export (CLI)", "floor: iterparse -> openpyxl write-only", 1.3, None, 0)],
            same=("xlsx", "{xlsx}", "{out}.xlsx")))
        terms, review = "termbase xlsx.read, Terms workbook (whole termbase)", "termbase read_review, review workbook"
        streamed = "termbase xlsx.iter_concepts, Terms workbook (concept by concept)"
        stats = "termbase stats -g terms.xlsx (CLI; counts as it reads)"
        calamine_terms, calamine_review = "python-calamine, every row (Terms workbook)", "python-calamine, every row (review workbook)"
        openpyxl_terms, openpyxl_review = "openpyxl read-only, every row (Terms workbook)", "openpyxl read-only, every row (review workbook)"
        sections.append(Section("reading XLSX workbooks made from glossary.synthetic(n)", [
            Case(terms, [PYTHON, "-c", READ_XLSX_OURS, "{terms}"]),
            Case(streamed, [PYTHON, "-c", READ_XLSX_STREAMED, "{terms}"]),
            Case(stats, TERMBASE + ["stats", "-g", "{terms}"]),
            Case(calamine_terms, [PYTHON, "-c", READ_XLSX_CALAMINE, "{terms}"], "peer"),
            Case(openpyxl_terms, [PYTHON, "-c", READ_XLSX_OPENPYXL, "{terms}"], "floor"),
            Case("candidate (a): calamine values + lxml <f>/<mergeCell> pass (Terms)",
                 [PYTHON, "-c", READ_XLSX_CANDIDATE_A, "{terms}"], "peer"),
            Case("floor: lxml iterparse of every sheet's rows, nothing converted (Terms)",
                 [PYTHON, "-c", READ_XLSX_LXML, "{terms}"], "floor"),
            Case(review, [PYTHON, "-c", READ_REVIEW_OURS, "{review}"]),
            Case(calamine_review, [PYTHON, "-c", READ_XLSX_CALAMINE, "{review}"], "peer"),
            Case(openpyxl_review, [PYTHON, "-c", READ_XLSX_OPENPYXL, "{review}"], "floor"),
            Case("floor: lxml iterparse of every sheet's rows, nothing converted (review)",
                 [PYTHON, "-c", READ_XLSX_LXML, "{review}"], "floor"),
            Case("model only: glossary.synthetic(n) built in memory", [PYTHON, "-c", MODEL_ONLY, "{n}", str(ROOT / "benchmarks")],
                 "floor"),
        ], [(terms, calamine_terms, 2.0, None, 0), (streamed, calamine_terms, 2.0, None, 0),
            (stats, calamine_terms, 2.0, None, 0),
            (terms, openpyxl_terms, None, None, 0),
            (review, calamine_review, 2.0, None, 0), (review, openpyxl_review, None, None, 0)],
            inputs="workbooks", memory_limits=[(terms, 250, 100_000), (streamed, 250, 100_000),
                                               (stats, 250, 100_000), (review, 250, 100_000)]))
    if (formats_dir / "po.py").exists():
        sections.append(Section("TBX v3 -> PO (export --format po)", [
            Case("termbase export (CLI)", TERMBASE + ["export", "-g", "{in}", "--format", "po", "-o", "{po}"]),
            Case("floor: iterparse -> polib", [PYTHON, "-c", FLOOR_PO_WRITE, "{in}", "{out}.po"], "floor"),
        ], [("termbase export (CLI)", "floor: iterparse -> polib", 1.3, None, 0)],
            same=("po", "{po}", "{out}.po")))
    return sections


# --- measuring -----------------------------------------------------------------------------

def measure(argv: list, env: dict) -> tuple[float, float, float, int, str]:
    """Run argv; return (wall seconds, CPU seconds, peak RSS in MiB, exit status, stderr tail)."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    stderr_file = process.stderr
    err = stderr_file.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr_file.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    tail = err.strip().splitlines()[-1] if err.strip() else ""
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode, tail


def fill(arg: str, values: dict) -> str:
    for key, value in values.items():
        arg = arg.replace("{%s}" % key, value)
    return arg


def run(n: int, only: list | None = None, repeat: int = 1) -> None:
    """Run every section at size `n`, each case `repeat` times; ratios use the best (least) time."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    with tempfile.TemporaryDirectory(prefix="termbase-bench-") as tmp:
        tmp = Path(tmp)
        sections = [s for s in SECTIONS + optional_sections()
                    if not only or any(s.title.lower().startswith(word.lower()) for word in only)]
        print(f"\n=== {n:,} concepts")
        # Helpers run as their own processes: on Linux a child's peak RSS starts from this
        # process's size at fork, so this one must stay small (no termbase, lxml or data here).
        if any(s.inputs == "tbx" for s in sections):
            started = time.perf_counter()
            subprocess.run([PYTHON, __file__, "--make", str(n), str(tmp)], env=env, check=True)
            size = (tmp / "big.tbx").stat().st_size
            print(f"big.tbx {size / 1e6:.1f} MB ({size / n:.0f} bytes/concept), v2 copy "
                  f"{(tmp / 'big-v2.tbx').stat().st_size / 1e6:.1f} MB; generated in {time.perf_counter() - started:.1f} s")
        if any(s.inputs == "workbooks" for s in sections):
            started = time.perf_counter()
            subprocess.run([PYTHON, __file__, "--make-workbooks", str(n), str(tmp)], env=env, check=True)
            sizes = ", ".join(f"{name} {(tmp / name).stat().st_size / 1e6:.1f} MB (sheets unpacked: "
                              f"{unpacked(tmp / name) / 1e6:.0f} MB)" for name in ("terms.xlsx", "review.xlsx"))
            print(f"{sizes}; generated in {time.perf_counter() - started:.1f} s")
        values = {"in": str(tmp / "big.tbx"), "in2": str(tmp / "big-v2.tbx"), "xlsx": str(tmp / "export.xlsx"),
                  "po": str(tmp / "export.po"), "terms": str(tmp / "terms.xlsx"), "review": str(tmp / "review.xlsx"),
                  "n": str(n)}
        for index, section in enumerate(sections):
            print(f"\n-- {section.title}")
            out = str(tmp / f"out-{index}")
            results = {}
            for case in section.cases:
                argv = [fill(a, dict(values, out=out)) for a in case.argv]
                runs = [measure(argv, env) for _ in range(repeat)]
                failed = next((r for r in runs if r[3]), None)
                best = min(runs, key=lambda r: r[0])
                results[case.label] = (best[0], min(r[1] for r in runs), max(r[2] for r in runs), failed is not None)
                spread = f" (worst {max(r[0] for r in runs):.2f} s)" if repeat > 1 else ""
                flag = "" if failed is None else f"   FAILED (exit {failed[3]}): {failed[4]}"
                print(f"   {case.label:<72} {best[0]:8.2f} s{spread} cpu {results[case.label][1]:6.2f} s "
                      f"{results[case.label][2]:8.1f} MiB{flag}")
            if section.same and all(not r[3] for r in results.values()):
                kind, ours, theirs = section.same
                check = subprocess.run([PYTHON, __file__, "--same", kind, fill(ours, values), fill(theirs, dict(values, out=out))],
                                       env=env, capture_output=True, text=True)
                print(f"   output check: {check.stdout.strip() or check.stderr.strip()[-300:]}")
            for ours, other, time_target, memory_target, from_size in section.targets:
                if ours not in results or other not in results or results[ours][3] or results[other][3]:
                    continue
                time_ratio = results[ours][0] / results[other][0]
                cpu_ratio = results[ours][1] / results[other][1]
                memory_ratio = results[ours][2] / results[other][2]
                if time_target is None and memory_target is None:
                    print(f"   {ours} / {other}: time {time_ratio:.2f}x (cpu {cpu_ratio:.2f}x), memory {memory_ratio:.2f}x")
                    continue
                met = time_ratio <= time_target and (memory_target is None or memory_ratio <= memory_target)
                verdict = ("ok" if met else "MISSED") if n >= from_size else f"(targets apply from {from_size:,})"
                memory_note = f"target <= {memory_target}x" if memory_target is not None else "no target"
                print(f"   {ours} / {other}: time {time_ratio:.2f}x (target <= {time_target}x; cpu {cpu_ratio:.2f}x), "
                      f"memory {memory_ratio:.2f}x ({memory_note})  {verdict}")
            for label, limit, from_size in section.memory_limits:
                if label in results and not results[label][3]:
                    verdict = ("ok" if results[label][2] <= limit else "MISSED") if n >= from_size \
                        else f"(target applies from {from_size:,})"
                    print(f"   {label}: peak {results[label][2]:.0f} MiB (target <= {limit} MiB)  {verdict}")


def unpacked(path: Path) -> int:
    """The unpacked size of a workbook's sheets."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return sum(i.file_size for i in archive.infolist() if i.filename.startswith("xl/worksheets/"))


def main(argv: list) -> None:
    if argv[:1] == ["--make"]:
        sys.path.insert(0, str(ROOT / "src"))
        make_inputs(int(argv[1]), Path(argv[2]))
        return
    if argv[:1] == ["--make-workbooks"]:
        sys.path.insert(0, str(ROOT / "src"))
        make_workbooks(int(argv[1]), Path(argv[2]))
        return
    if argv[:1] == ["--same"]:
        print(SAME[argv[1]](Path(argv[2]), Path(argv[3])))
        return
    repeat = next((int(a.split("=")[1]) for a in argv if a.startswith("--repeat=")), 1)
    argv = [a for a in argv if not a.startswith("--repeat=")]
    sizes = [int(a.replace("_", "").replace("k", "000")) for a in argv if a[:1].isdigit()] or [10_000, 100_000]
    only = [a for a in argv if not a[:1].isdigit()]  # section title prefixes, e.g. "TBX" or "reading"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, best of {repeat}; "
          "times are whole processes (start-up included); memory is the peak RSS")
    for n in sizes:
        run(n, only, repeat)


if __name__ == "__main__":
    main(sys.argv[1:])
