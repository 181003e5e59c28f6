"""Write the site's pages: the view of each concept, the browse lists, the static files."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from .. import glossary as glossary_files
from ..errors import UsageError
from ..runtime import collector_paused
from ..model import CONCEPT_ID, AdministrativeStatus, Concept, primary_language
from . import collation, searchdata

MARKER = ".termbase-site"
PAGE_SIZE = 500                 # entries on one browse page
PARALLEL_CONCEPTS = 2000        # from this many concepts, worker processes share the build
RTL_LANGUAGES = {"ar", "he", "fa", "ur", "ps", "sd", "ug", "yi", "dv", "ckb"}

# The README's table of exports (tests/test_site.py holds the two together).
DOWNLOADS = [
    (["termbase.tbx"], "TBX v3, ISO 30042:2019 TBX-Basic 1.2.1 (DCA) — passes the official RNG + Schematron",
     "termbases, modern CAT tools"),
    (["termbase-v2.tbx"], 'TBX v2, ISO 30042:2008 `martif type="TBX-Basic"`, no namespace',
     "OmegaT, translate-toolkit, older CAT tools"),
    (["ar.po", "ar.mo"], "gettext PO (msgctxt = concept id, msgid = English, msgstr = Arabic) and its MO",
     "gettext tooling, Weblate, Poedit"),
    (["termbase.xlsx"], "workbook: `Terms` (a row per term), `Glossary` (side by side), `Termbase`, `README`",
     "reviewers, spreadsheet users"),
    (["termbase.csv", "termbase.tsv"], "language-code columns (`en`, `en_Def`, `ar`, `ar_Def`, …) as memoQ and Phrase import them",
     "CAT tools"),
    (["termbase-en-ar.utf8"], "OmegaT glossary (`source<TAB>target<TAB>comment`; `.utf8` so OmegaT reads it as UTF-8)",
     "OmegaT"),
]

LABELS = {
    "en": {"source": "Source", "use": "Use instead:", "forms": "Forms", "note": "Note", "comma": ",",
           "type": "Type", "status": "Status", "part_of_speech": "Part of speech", "gender": "Gender",
           "number": "Number", "geographical_usage": "Geographical usage"},
    "ar": {"source": "المصدر", "use": "استخدم بدلًا منه:", "forms": "الصيغ", "note": "ملاحظة", "comma": "،",
           "type": "النوع", "status": "الحالة", "part_of_speech": "قسم الكلام", "gender": "الجنس",
           "number": "العدد", "geographical_usage": "الاستخدام الجغرافي"},
}
VALUES = {
    "en": {"fullForm": "full form", "shortForm": "short form", "properNoun": "proper noun"},
    "ar": {"fullForm": "صيغة كاملة", "acronym": "اختصار", "abbreviation": "مختصر", "shortForm": "صيغة مختصرة",
           "variant": "بديل", "phrase": "عبارة", "preferred": "مفضل", "admitted": "مقبول", "deprecated": "مهمل",
           "superseded": "مستبدل", "noun": "اسم", "verb": "فعل", "adjective": "صفة", "adverb": "ظرف",
           "properNoun": "اسم علم", "other": "أخرى", "masculine": "مذكر", "feminine": "مؤنث", "neuter": "محايد",
           "singular": "مفرد", "dual": "مثنى", "plural": "جمع", "mass": "اسم جنس"},
}
STRUCK = {AdministrativeStatus.DEPRECATED, AdministrativeStatus.SUPERSEDED}


# --- names of files ------------------------------------------------------------------------

def page_name(concept_id: str) -> str:
    """The file name (without extension) of a concept's page: its id, or a hash for odd ids."""
    if CONCEPT_ID.match(concept_id) and len(concept_id) <= 100:
        return concept_id
    return "x-" + hashlib.blake2b(concept_id.encode("utf-8"), digest_size=8).hexdigest()


def slug_name(text: str, taken: set) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "s"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def safe_url(url: str) -> bool:
    """Only http(s) URLs become links (a `javascript:` reference stays text)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@lru_cache(maxsize=256)
def language_info(tag: str) -> tuple[str, str]:
    """(name of the language in itself, text direction) of a language tag."""
    from babel import Locale, UnknownLocaleError

    primary = primary_language(tag)
    try:
        locale = Locale.parse(tag.replace("-", "_"))
        name = locale.get_display_name(locale) or tag
        direction = "rtl" if locale.character_order == "right-to-left" else "ltr"
    except (UnknownLocaleError, ValueError, TypeError):
        name, direction = tag, "rtl" if primary in RTL_LANGUAGES else "ltr"
    return name[:1].upper() + name[1:] if primary != "ar" else name, direction


# --- the view of a concept -----------------------------------------------------------------

@dataclass
class Context:
    """What every page shares: header data and lookups by id."""

    title: str
    description: str
    languages: list
    count: int
    summaries: dict                     # concept id -> {"en", "ar", ...}
    sources: dict                       # source id -> model.Source
    subject_pages: dict                 # subject id -> file name
    header: object = None               # the model.Termbase header
    rows: list = None                   # the concept summaries, in file order


class Links:
    """Relative hrefs from a page `root` levels below the site's top."""

    def __init__(self, root: str, subjects: dict):
        self.root = root
        self.subjects = subjects

    def concept(self, concept_id: str) -> str:
        return f"{self.root}c/{page_name(concept_id)}.html"

    def source(self, source_id: str) -> str:
        return f"{self.root}about.html#src-{source_id}"

    def subject(self, subject: str) -> str:
        return f"{self.root}subjects/{self.subjects[subject]}.html"


@lru_cache(maxsize=1024)
def _value(value, lang: str) -> str:
    text = value.short if isinstance(value, AdministrativeStatus) else str(value)
    return VALUES.get(lang, {}).get(text) or VALUES["en"].get(text, text)


@lru_cache(maxsize=4096)
def _properties(primary: str, *values) -> Markup:
    """A term's type, status and grammar as <div><dt>…</dt><dd>…</dd></div> items (few combinations: cached)."""
    labels = LABELS.get(primary, LABELS["en"])
    words = "ar" if primary == "ar" else "en"
    keys = ("type", "status", "part_of_speech", "gender", "number", "geographical_usage")
    return Markup("").join(Markup("<div><dt>{}</dt><dd><bdi>{}</bdi></dd></div>").format(labels[key], _value(value, words))
                           for key, value in zip(keys, values) if value)


def concept_view(concept: Concept, ctx: Context, json_href: str | None) -> SimpleNamespace:
    """Everything a concept's article shows, ready for the template."""
    summary = ctx.summaries.get(concept.id, {})
    sections = []
    for tag, section in concept.languages.items():
        primary = primary_language(tag)
        name, direction = language_info(tag)
        labels = LABELS.get(primary, LABELS["en"])
        words = "ar" if primary == "ar" else "en"
        preferred = section.preferred()
        preferred_index = section.terms.index(preferred) if preferred is not None else 0
        terms = []
        for term in section.terms:
            props = _properties(primary, term.type, term.status, term.part_of_speech, term.gender, term.number,
                                term.geographical_usage)
            source = ctx.sources.get(term.context_source)
            terms.append(SimpleNamespace(
                text=term.text, vocalized=term.vocalized, deprecated=term.status in STRUCK,
                status_key=term.status.short if term.status else "none", props=props, forms=term.forms,
                context=term.context, context_source=term.context_source,
                context_source_label=(source.title or source.id) if source else term.context_source, note=term.note))
        sections.append(SimpleNamespace(
            tag=tag, primary=primary, dir=direction, name=name, l=labels, definition=section.definition,
            definition_source=section.definition_source, note=section.note, terms=terms,
            preferred=preferred.text if preferred is not None and preferred.status not in STRUCK else "",
            preferred_index=preferred_index))
    xrefs = [SimpleNamespace(id=x, known=x in ctx.summaries, en=ctx.summaries.get(x, {}).get("en", ""),
                             ar=ctx.summaries.get(x, {}).get("ar", "")) for x in concept.cross_references]
    sources = [SimpleNamespace(id=s, label=(ctx.sources[s].title or s) if s in ctx.sources else s) for s in concept.sources]
    return SimpleNamespace(
        id=concept.id, page=page_name(concept.id), json=json_href, en_title=summary.get("en", ""),
        ar_title=summary.get("ar", ""), subjects=concept.subject_fields,
        review_status=concept.review_status.value if concept.review_status else "", sources=sources,
        created=concept.created or "", created_by=concept.created_by, modified=concept.modified or "",
        modified_by=concept.modified_by, note=concept.note, sections=sections, xrefs=xrefs,
        links=[(url, safe_url(url)) for url in concept.external_references])


def concept_json(concept: Concept) -> str:
    """The data `termbase show ID --json` prints (compact: the C encoder, a quarter of the bytes)."""
    return json.dumps(glossary_files.concept_to_dict(concept), ensure_ascii=False, separators=(",", ":"),
                      default=str) + "\n"


def for_print(article: str, name: str) -> str:
    """A concept page's article as print.html holds it: links from the top, headings h3/h4, no JSON link.
    (Glossary text is escaped, so `<h1` or `href="../` only ever come from the template.)"""
    return Markup(article.replace(f' (<a href="{name}.json">JSON</a>)', "").replace('href="../', 'href="')
                  .replace("<h2", "<h4").replace("</h2>", "</h4>").replace("<h1", "<h3").replace("</h1>", "</h3>"))


def page_shell(env, common: dict):
    """`fill(title, json href, article html)`: concept.html rendered once, its placeholders filled per concept."""
    marks = {"title": "\x00T\x00", "json": "\x00J\x00", "article": "\x00A\x00"}
    shell = env.get_template("concept.html").render(common, root="../", page="concept", page_title=Markup(marks["title"]),
                                                    json_href=Markup(marks["json"]), article=Markup(marks["article"]))
    parts = re.split("(\x00[TJA]\x00)", shell)
    assert sorted(p for p in parts if p.startswith("\x00")) == sorted(marks.values()), "a placeholder is missing"

    def fill(title: str, json_href: str, article: str) -> str:
        values = {marks["title"]: str(escape(title)), marks["json"]: str(escape(json_href)), marks["article"]: article}
        return "".join(values.get(part, part) for part in parts)
    return fill


# --- templates -----------------------------------------------------------------------------

def environment():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("termbase.site", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["code_spans"] = code_spans
    return env


def code_spans(text: str) -> Markup:
    """Escaped text with `code` spans as <code> (the README's table cells)."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts)))


# --- the build -----------------------------------------------------------------------------

def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError("the site's folder is a file", out)
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(f"the folder exists and is not a termbase site (no {MARKER} inside); "
                         "give another -o or empty it", out)


def _human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)


class Files:
    """Writes files under a folder, making subfolders as needed."""

    def __init__(self, stage: Path):
        self.stage = Path(stage)
        self.made: set = set()

    def _target(self, relative: str) -> Path:
        """The path of `relative` under the folder, its subfolder made (once)."""
        path = self.stage / relative
        folder = path.parent
        if folder not in self.made:
            folder.mkdir(parents=True, exist_ok=True)
            self.made.add(folder)
        return path

    def write(self, relative: str, text: str) -> None:
        data = memoryview(text.encode("utf-8"))
        fd = os.open(self._target(relative), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)

    def write_chunks(self, relative: str, chunks) -> None:
        """Write a file from an iterable of bytes."""
        with open(self._target(relative), "wb") as out:
            for chunk in chunks:
                out.write(chunk)

    def copy(self, source: Path, relative: str) -> None:
        shutil.copyfile(source, self._target(relative))


class Writer(Files):
    """Files of the new site, written into a staging folder that replaces `out` at the end."""

    def __init__(self, out: Path):
        self.out = out
        stage = out.parent / f".{out.name}.building-{os.getpid()}"
        if stage.exists():
            shutil.rmtree(stage)
        stage.mkdir(parents=True)
        super().__init__(stage)

    def commit(self) -> None:
        """Put the staged site in place of the old one (two renames; the old one is removed after)."""
        (self.stage / MARKER).write_text("written by `termbase site`; the whole folder is rewritten on each build\n",
                                         encoding="utf-8")
        old = None
        if self.out.exists():
            old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
            os.replace(self.out, old)
        os.replace(self.stage, self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abandon(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)


def build(handle, out, exports=None, progress=None) -> dict:
    """Write the site of the open termbase `handle` (`termbase.open(...)`) into folder `out`.

    `exports` is the folder whose export files the downloads page copies (missing ones are
    listed as not exported yet). Returns counts of what was written.
    """
    out = Path(out)
    _check_target(out)
    writer = Writer(out)
    try:
        with collector_paused():          # millions of small lists and no cycles
            counts = _build(handle, writer, Path(exports) if exports else None, progress)
    except BaseException:
        writer.abandon()
        raise
    writer.commit()
    return counts


def context(handle) -> Context:
    """What every page shares, from the open termbase's header and concept summaries."""
    header = handle.header
    rows = handle.summaries()
    subject_ids = list(header.subject_fields)
    for row in rows:
        for subject in row["subject_fields"]:
            if subject not in header.subject_fields and subject not in subject_ids:
                subject_ids.append(subject)
    taken: set = set()
    return Context(title=header.title or "Termbase", description=header.description, languages=list(header.languages),
                   count=len(rows), summaries={row["id"]: row for row in rows}, sources={s.id: s for s in header.sources},
                   subject_pages={subject: slug_name(subject, taken) for subject in subject_ids},
                   header=header, rows=rows)


def concept_pages(handle, ctx: Context, files: Files, part: int = 0, parts: int = 1, progress=None) -> dict:
    """Write c/<page>.html and c/<page>.json of every `parts`-th concept from the `part`-th, and
    each one's print.html article into the file .print-<part>; returns {id: (part, offset, size)}."""
    env = environment()
    common = {"title": ctx.title, "description": ctx.description, "count": ctx.count}
    article = env.get_template("article.html")
    shell = page_shell(env, common)
    links = Links("../", ctx.subject_pages)
    kept, offset = {}, 0
    with open(files.stage / f".print-{part}", "wb") as printed:
        for done, concept in enumerate(handle.index.concepts(part, parts) if parts > 1 else handle.concepts(), 1):
            name = page_name(concept.id)
            view = concept_view(concept, ctx, f"{name}.json")
            html = article.render(c=view, link=links)
            title = f"{view.en_title or concept.id}{' · ' + view.ar_title if view.ar_title else ''} — {ctx.title}"
            files.write(f"c/{name}.html", shell(title, f"{name}.json", html))
            files.write(f"c/{name}.json", concept_json(concept))
            data = for_print(html, name).encode("utf-8")
            printed.write(data)
            kept[concept.id] = (part, offset, len(data))
            offset += len(data)
            if progress is not None:
                progress(done * parts, ctx.count)
    return kept


def _build(handle, writer: Writer, exports: Path | None, progress) -> dict:
    env = environment()
    ctx = context(handle)
    rows = ctx.rows
    common = {"title": ctx.title, "description": ctx.description, "count": ctx.count}

    # the concept pages (their print articles set aside) and the search files: with an index on
    # disk, many concepts and two CPUs, two more processes share the work (spawned: nothing inherited)
    if handle.indexed and _worth_workers(ctx.count) and not os.environ.get("TERMBASE_NO_WORKERS"):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
        try:
            search_job = pool.submit(_write_search_files, str(handle.path), str(writer.stage), rows)
            pages_job = pool.submit(_write_concept_pages, str(handle.path), str(writer.stage), ctx, 1, 2)
            printed = concept_pages(handle, ctx, writer, 0, 2, progress)
            _other_pages(env, writer, ctx, common, exports)      # while the workers finish
            order = _print_order(rows)
            printed.update(pages_job.result())
            search_counts = search_job.result()
        finally:
            pool.shutdown(wait=False)         # a worker's exit (freeing the search index) need not hold us up
    else:
        printed = concept_pages(handle, ctx, writer, progress=progress)
        search_counts = searchdata.write(handle, rows, writer.write)
        _other_pages(env, writer, ctx, common, exports)
        order = _print_order(rows)

    # print.html: every concept, A–Z by English term
    _write_print(env, writer, common, order, printed)

    return {"concepts": ctx.count, **search_counts}


def _other_pages(env, writer: Writer, ctx: Context, common: dict, exports: Path | None) -> None:
    """Browse lists, subject fields, the front, about and downloads pages, the static files."""
    from importlib import resources

    header, rows, subject_pages = ctx.header, ctx.rows, ctx.subject_pages
    # browse: A–Z in English and in Arabic, subject fields
    en_letters = _browse(env, writer, common, rows, "en", ctx)
    ar_letters = _browse(env, writer, common, rows, "ar", ctx)
    subjects = []
    for subject in subject_pages:
        members = [row for row in rows if subject in row["subject_fields"]]
        members.sort(key=lambda row: collation.english_key(row["en"] or row["id"]))
        href = f"subjects/{subject_pages[subject]}.html"
        _listing(env.get_template("listing.html"), writer, f"subjects/{subject_pages[subject]}", members, common,
                 page="subject", lang="en", heading=f"Subject field: {subject}", letters=[], letters_label="",
                 pages_label="Pages", current="")
        subjects.append(SimpleNamespace(id=subject, href=href, count=len(members),
                                        description=header.subject_fields.get(subject, "")))
    writer.write("index.html", env.get_template("index.html").render(
        common, root="", page="index", en_letters=[(l, h, n) for l, h, n in en_letters],
        ar_letters=ar_letters, subjects=subjects))

    # about, downloads
    sources = [SimpleNamespace(id=s.id, title=s.title, date=s.date, publisher=s.publisher, url=s.url,
                               safe_url=safe_url(s.url) if s.url else False) for s in header.sources]
    writer.write("about.html", env.get_template("about.html").render(
        common, root="", page="about", sources=sources, languages=ctx.languages))
    download_rows = []
    for names, format_text, use in DOWNLOADS:
        files = []
        for file_name in names:
            source = exports / file_name if exports else None
            if source is not None and source.is_file():
                writer.copy(source, f"downloads/{file_name}")
                files.append(SimpleNamespace(name=file_name, href=f"downloads/{file_name}",
                                             size=_human_size(source.stat().st_size)))
            else:
                files.append(SimpleNamespace(name=file_name, href=None, size=""))
        download_rows.append(SimpleNamespace(files=files, format=format_text, use=use))
    writer.write("downloads.html", env.get_template("downloads.html").render(
        common, root="", page="downloads", rows=download_rows))

    # static files
    static = resources.files("termbase.site") / "static"
    for entry in static.iterdir():
        if entry.is_file():
            writer.write(f"static/{entry.name}", entry.read_text(encoding="utf-8"))   # CSS, JS, SVG: text


def _print_order(rows: list) -> list:
    """(concept id, letter) in the print booklet's order: A–Z by English term."""
    order = sorted(rows, key=lambda row: collation.english_key(row["en"] or row["id"]))
    return [(row["id"], collation.english_letter(row["en"] or row["id"])) for row in order]


def _worth_workers(count: int) -> bool:
    """Whether two more processes should share the build: from PARALLEL_CONCEPTS concepts on a
    machine with two CPUs or more (as the index's build decides). The load average is no guide:
    it lags by a minute and counts the command that just ran; on a busy machine the three
    processes still add only their start-up (0.3 s each) to the same CPU time."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cpus >= 2 and count >= PARALLEL_CONCEPTS


def _write_concept_pages(source: str, stage: str, ctx: Context, part: int, parts: int) -> dict:
    from ..api import open as open_termbase

    with open_termbase(source) as handle:
        return concept_pages(handle, ctx, Files(Path(stage)), part, parts)


def _write_search_files(source: str, stage: str, rows: list) -> dict:
    from ..api import open as open_termbase

    with open_termbase(source) as handle:
        return searchdata.write(handle, rows, Files(Path(stage)).write)


def _write_print(env, writer: Writer, common: dict, order: list, printed: dict) -> None:
    """print.html: the page rendered once with a placeholder per letter, each filled with the
    letter's articles copied as bytes from the files the page writers set them aside in (at
    100,000 concepts the booklet is 450 MB: never decoded, never held whole)."""
    groups: dict = {}
    for concept_id, letter in order:
        groups.setdefault(letter, []).append(printed[concept_id])
    ordered = sorted(groups, key=lambda letter: (letter == "#", letter))
    views = [SimpleNamespace(letter=letter, anchor="num" if letter == "#" else letter.lower(),
                             concepts=[Markup(f"\x00{n}\x00")]) for n, letter in enumerate(ordered)]
    page = env.get_template("print.html").render(common, root="", page="print", groups=views)
    pieces = re.split("\x00([0-9]+)\x00", page)
    sources = {part: open(writer.stage / f".print-{part}", "rb") for part in {where[0] for where in printed.values()}}
    try:
        def chunks():
            for n, piece in enumerate(pieces):
                if n % 2 == 0:
                    yield piece.encode("utf-8")
                    continue
                for part, offset, size in groups[ordered[int(piece)]]:
                    yield os.pread(sources[part].fileno(), size, offset)

        writer.write_chunks("print.html", chunks())
    finally:
        for source in sources.values():
            source.close()
            os.unlink(source.name)


def _browse(env, writer: Writer, common: dict, rows: list, lang: str, ctx: Context) -> list:
    """Write the A–Z pages of one language; returns (letter, href, count) for index.html."""
    letter_of = collation.arabic_letter if lang == "ar" else collation.english_letter
    key_of = collation.arabic_key if lang == "ar" else collation.english_key
    grouped: dict = {}
    for row in rows:
        if row[lang]:
            grouped.setdefault(letter_of(row[lang]), []).append(row)
    if lang == "ar":
        order = ["#"] + list(collation.AR_INDEX)
        file_of = {letter: f"ar-{position:02d}" for position, letter in enumerate(order)}
    else:
        order = ["#"] + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
        file_of = {letter: "en-num" if letter == "#" else f"en-{letter.lower()}" for letter in order}
    present = [letter for letter in order if letter in grouped]
    letters = [(letter, f"browse/{file_of[letter]}.html", len(grouped[letter])) for letter in present]
    template = env.get_template("listing.html")
    heading_of = (lambda letter: f"المصطلحات العربية: {letter}") if lang == "ar" else (lambda letter: f"English terms: {letter}")
    here = [(l, f"{file_of[l]}.html", n) for l, _, n in letters]
    for letter in present:
        entries = sorted(grouped[letter], key=lambda row: key_of(row[lang]))
        _listing(template, writer, f"browse/{file_of[letter]}", entries, common, page="browse", lang=lang,
                 heading=heading_of(letter), letters=here, letters_label="الحروف" if lang == "ar" else "Letters",
                 pages_label="الصفحات" if lang == "ar" else "Pages", current=letter)
    return letters


def _listing(template, writer: Writer, name: str, entries: list, common: dict, **values) -> None:
    """A list of concepts as name.html, name-2.html … of PAGE_SIZE entries each."""
    chunks = [entries[i:i + PAGE_SIZE] for i in range(0, len(entries), PAGE_SIZE)] or [[]]
    names = [name + ("" if n == 1 else f"-{n}") for n in range(1, len(chunks) + 1)]
    pages = [(n, f"{page.rsplit('/', 1)[-1]}.html") for n, page in enumerate(names, 1)]
    for number, (page, chunk) in enumerate(zip(names, chunks), 1):
        writer.write(f"{page}.html", template.render(common, root="../", pages=pages, page_number=number,
                                                     entries=chunk, **values))


def serve(folder, port: int = 8000, ready=None) -> None:
    """Serve `folder` on http://127.0.0.1:`port`/ until interrupted (`ready(url)` is told the address)."""
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        if ready is not None:
            ready(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
