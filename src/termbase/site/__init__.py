"""The web glossary: a static bilingual site written from an open termbase (`termbase site`).

A writer of a directory, beside the file formats: `build(glossary, out)` writes index.html
(search, A–Z in English and Arabic, subject fields), one page and one JSON file per concept
under c/, browse and subject pages, about.html, downloads.html (copies of exports/) and
print.html, plus the sharded search index the page's script loads lazily (`searchdata`). Pages
are Jinja2 templates with autoescape; templates, CSS and the search script are package data.
Every link is relative and nothing is fetched from elsewhere, so the folder works from file://
and from any static host; `serve` previews it on 127.0.0.1.
"""
from .writer import build, serve

__all__ = ["build", "serve"]
