"""Compiled gettext MO, en → ar: the PO file's entries (`po.entries`) as GNU MO bytes.

Entries are looked up with `pgettext(concept_id, english_term)`. The header entry comes first and
the others are sorted by their `context\\x04msgid` bytes, the layout polib's `to_binary` writes
(no hash table), so the bytes depend only on the termbase. Untranslated concepts (no Arabic term)
are left out, as msgfmt does. Only the (context, msgid, msgstr) strings are kept while reading, so
concepts can be streamed. Write-only: import the PO file instead.
"""
from __future__ import annotations

import array
import struct

import polib

from ..model import Termbase
from ..progress import counted
from .po import newest_date, entries, header_file


def mo_bytes(pairs: list[tuple[bytes, bytes]]) -> bytes:
    """A GNU MO file of (original, translation) byte strings, in the order given, without a hash table."""
    count = len(pairs)
    keystart = 7 * 4 + 16 * count
    key_index, value_index, key_offset, value_offset = array.array("i"), array.array("i"), 0, 0
    for original, translation in pairs:
        key_index.extend((len(original), key_offset))
        value_index.extend((len(translation), value_offset))
        key_offset += len(original) + 1
        value_offset += len(translation) + 1
    valuestart = keystart + key_offset
    for i in range(1, len(key_index), 2):
        key_index[i] += keystart
        value_index[i] += valuestart
    return b"".join([struct.pack("Iiiiiii", polib.MOFile.MAGIC, 0, count, 7 * 4, 7 * 4 + count * 8, 0, keystart),
                     key_index.tobytes(), value_index.tobytes(),
                     b"".join(original + b"\0" for original, _ in pairs),
                     b"".join(translation + b"\0" for _, translation in pairs)])


def write(termbase: Termbase, target, source_lang: str = "en", target_lang: str = "ar",
          warnings: list | None = None, concepts=None, progress=None, **options) -> None:
    """Write `termbase` (or the header `termbase` and the iterable `concepts`) as a MO file to `target`
    (`progress(concepts, total)` hears of the concepts written)."""
    newest, pairs = None, []
    items = counted(termbase if concepts is None else concepts, progress)
    for concept, msgid, msgstr in entries(items, source_lang, target_lang, warnings):
        newest = newest_date(newest, concept)
        if msgstr:
            key = f"{concept.id}\x04{msgid}" if concept.id else msgid       # as polib: no context, no \x04
            pairs.append((key.encode("utf-8"), msgstr.encode("utf-8")))
    pairs.sort(key=lambda pair: pair[0])
    head = header_file(termbase, source_lang, target_lang, newest).metadata_as_entry().msgstr
    target.write(mo_bytes([(b"", head.encode("utf-8"))] + pairs))
