"""Compiled gettext MO, en → ar: the PO catalogue (`po.catalog`) as GNU MO bytes.

Entries are looked up with `pgettext(concept_id, english_term)`. polib writes the entries sorted
and the header first, so the bytes depend only on the termbase. Untranslated concepts (no Arabic
term) are left out, as msgfmt does. Write-only: import the PO file instead.
"""
from __future__ import annotations

from ..model import Termbase
from .po import catalog


def write(termbase: Termbase, target, source_lang: str = "en", target_lang: str = "ar",
          warnings: list | None = None, **options) -> None:
    """Write `termbase` as a MO file to the binary stream `target`."""
    target.write(catalog(termbase, source_lang, target_lang, warnings).to_binary())
