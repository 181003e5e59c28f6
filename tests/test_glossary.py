"""The glossary store: canonical YAML, byte-identical rewrite, atomic writes."""
import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from strategies import termbases
from termbase import glossary
from termbase.errors import TermbaseError
from termbase.fileio import atomic_open, replace_all_atomic

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_glossary_rewrites_byte_identical():
    termbase = glossary.read(ROOT / "glossary")
    assert len(termbase) > 0
    for path, data in glossary.rendered(termbase, ROOT / "glossary").items():
        assert path.read_bytes() == data, f"{path} is not canonical"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(termbases())
def test_random_termbase_round_trips_byte_identical(tmp_path_factory, termbase):
    root = tmp_path_factory.mktemp("g")
    glossary.write(termbase, root)
    first = {p: p.read_bytes() for p in root.rglob("*.yaml")}
    again = glossary.read(root)
    assert again == termbase
    glossary.write(again, root)
    assert {p: p.read_bytes() for p in root.rglob("*.yaml")} == first
    for data in first.values():
        text = data.decode("utf-8")
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
        assert unicodedata.is_normalized("NFC", text)
        assert "&id" not in text and "*id" not in text and "\\u" not in text


def test_arabic_is_written_as_characters(tmp_path):
    termbase = glossary.read(ROOT / "glossary")
    concept = next(iter(termbase))
    text = glossary.concept_bytes(concept).decode("utf-8")
    assert any("\u0600" <= ch <= "\u06ff" for ch in text)
    assert "\\u06" not in text


def test_key_order_is_fixed(tmp_path):
    data = (b"languages:\n  en:\n    terms:\n    - status: preferred\n      text: x\n  ar:\n    terms:\n"
            b"    - text: \xd8\xb3\n      status: preferred\nid: x\n")
    concept = glossary.concept_from_dict(glossary.parse_yaml(data, "x.yaml"))
    out = glossary.concept_bytes(concept).decode()
    assert out.startswith("id: x\nlanguages:\n  en:\n    terms:\n    - text: x\n      status: preferred\n")


def test_non_nfc_input_is_normalized_on_write(tmp_path):
    decomposed = unicodedata.normalize("NFD", "é")
    concept = glossary.concept_from_dict({"id": "x", "note": decomposed})
    assert glossary.concept_bytes(concept) == "id: x\nnote: é\n".encode()


def test_atomic_write_failure_leaves_old_file(tmp_path):
    target = tmp_path / "f.yaml"
    target.write_bytes(b"old\n")
    with pytest.raises(RuntimeError):
        with atomic_open(target, "wb") as handle:
            handle.write(b"partial")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_staged_write_failure_changes_nothing(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"A")
    b.write_bytes(b"B")
    real_fdopen = os.fdopen
    calls = []

    def failing_fdopen(fd, *args, **kwargs):
        calls.append(fd)
        if len(calls) == 2:
            os.close(fd)
            raise OSError(28, "No space left on device")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", failing_fdopen)
    with pytest.raises(OSError):
        replace_all_atomic({a: b"new A", b: b"new B"})
    assert a.read_bytes() == b"A" and b.read_bytes() == b"B"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_malformed_yaml_error_names_file_and_line(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("id: x\nlanguages:\n  en: [unclosed\n", encoding="utf-8")
    with pytest.raises(TermbaseError) as info:
        glossary.read_concept_file(path)
    assert info.value.path == str(path) and info.value.line is not None


def test_write_prunes_removed_concepts(tmp_path):
    termbase = glossary.read(ROOT / "glossary")
    glossary.write(termbase, tmp_path)
    removed = next(iter(termbase.concepts))
    del termbase.concepts[removed]
    glossary.write(termbase, tmp_path)
    assert not (tmp_path / "concepts" / f"{removed}.yaml").exists()


def test_atomic_write_keeps_mode_and_honours_umask(tmp_path):
    new = tmp_path / "new"
    with atomic_open(new, "wb") as handle:
        handle.write(b"x")
    assert new.stat().st_mode & 0o777 == 0o666 & ~_umask()
    new.chmod(0o640)
    with atomic_open(new, "wb") as handle:
        handle.write(b"y")
    assert new.stat().st_mode & 0o777 == 0o640


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_scalars_stay_text_and_nulls_are_empty():
    data = glossary.parse_yaml(b"id: x\nnote: yes\ncreated: 2026-11-28\nmodified_by: null\nsubject_fields: [1, ~]\n", "x.yaml")
    assert data == {"id": "x", "note": "yes", "created": "2026-11-28", "modified_by": None, "subject_fields": ["1", None]}
    concept = glossary.concept_from_dict(glossary.parse_yaml(b"id: x\nnote: yes\ncreated: 2026-11-28\n", "x.yaml"))
    assert concept.note == "yes" and concept.created.isoformat() == "2026-11-28"


def test_duplicate_key_is_an_error_with_its_line(tmp_path):
    with pytest.raises(TermbaseError) as info:
        glossary.parse_yaml(b"id: x\nlanguages:\n  en:\n    definition: a\n    definition: b\n", "x.yaml")
    assert info.value.line == 5 and "duplicate key 'definition'" in info.value.message


def test_aliases_resolve_and_second_document_is_refused():
    assert glossary.parse_yaml(b"a: &n hello\nb: *n\n", "x") == {"a": "hello", "b": "hello"}
    with pytest.raises(TermbaseError) as info:
        glossary.parse_yaml(b"a: 1\n---\nb: 2\n", "x")
    assert info.value.line == 2


YAML_CASES = [
    "", "# only a comment\n", "---\n", "a: 1\n", "a:\n", "a: ~\n", "a: null\n", "a: Null\n", "a: NULL\n", "a: nul\n",
    "a: ''\n", 'a: "null"\n', "a: 'null'\n", "a: yes\n", "a: 2024-01-01\n", "a: 1.5e3\n", "- a\n- ~\n- [b, c]\n",
    "a: {b: 1, c: [x, y]}\n", "a: |\n  two\n  lines\n", "a: >\n  folded\n  text\n", "a: b\na: c\n", "a: &x 1\nb: *x\n",
    "a: *x\n", "a: !!str 1\n", "a: !custom b\n", "!!map {a: b}\n", "? [a, b]\n: c\n", "~: a\n", "1: a\n", "a: b\n---\nc: d\n",
    "a: [b\n", "a: 'b\n", "\tа: b\n", "a: b: c\n", "- a\nb: c\n", "a:\n  - b: c\n    d: [e, {f: g}]\n", "plain text\n",
    "a: \"\\u0627\\u0644\"\n", "a: العربية\nب: ج\n", "a: \"x\\0y\"\n", "a: [" * 70 + "]" * 70 + "\n", "&a a: b\n",
    "a: b # comment\n", "'a': b\n\"a\": c\n", "a: - b\n", "key with spaces: value with: colon\n",
]


@pytest.mark.parametrize("text", YAML_CASES)
def test_the_c_reader_and_the_python_reader_agree(text):
    """glossary._load_text reads the common document in C (`_yamlplain`) and hands the rest to the
    Python path: for every case, the data, the error (message, line, column) and the alias
    findings are the same as the Python path's alone."""
    if glossary._yamlplain is None:
        pytest.skip("built without a C compiler or libyaml")

    def outcome(reader):
        aliases: list = []
        try:
            return "data", reader(text, Path("x.yaml"), aliases), [(f.line, f.check) for f in aliases]
        except TermbaseError as error:
            return "error", (error.message, error.line, error.column), [(f.line, f.check) for f in aliases]

    assert outcome(glossary._load_text) == outcome(glossary._load_events)


def test_the_c_reader_reads_every_shipped_concept_as_the_python_reader_does():
    if glossary._yamlplain is None:
        pytest.skip("built without a C compiler or libyaml")
    files = sorted((ROOT / "glossary" / "concepts").glob("*.yaml")) + [ROOT / "glossary" / "termbase.yaml"]
    for path in files:
        text = path.read_text("utf-8")
        assert glossary._yamlplain.load(text) == (glossary._load_events(text, path),), path


def test_the_c_reader_is_built_where_ci_requires_it():
    """CI sets TERMBASE_REQUIRE_C: a failed build of _yamlplain.c must fail, not fall back silently."""
    if os.environ.get("TERMBASE_REQUIRE_C"):
        assert glossary._yamlplain is not None
