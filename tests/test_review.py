"""The reviewer round trip: export a review workbook, edit it like a reviewer would, import it back."""
import csv
import datetime as dt
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli_helpers import snapshot
from termbase import glossary, review
from termbase.cli import TermbaseGroup, main
from termbase.cli_review import review as review_group
from termbase.model import (AdministrativeStatus as S, Concept, LangSection, ReviewStatus, Source, Term,
                            Termbase, TermType as T)

DATA = Path(__file__).parent / "data" / "review"
SOFFICE = shutil.which("soffice")
TODAY = dt.date.today().isoformat()
# `termbase review …` once the lead registers the group; until then the same error handling around it
CLI = main if "review" in main.commands else TermbaseGroup(commands={"review": review_group})


def run(*args, code=0):
    result = CliRunner().invoke(CLI, ["review"] + [str(a) for a in args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def make_glossary(root: Path) -> Path:
    """A small hand-made glossary: three concepts, the first two cross-referenced."""
    green = Concept(
        "green-notice", subject_fields=["policing"], review_status=ReviewStatus.DRAFT, note="Issued by INTERPOL.",
        cross_references=["red-notice"], created=dt.date(2024, 1, 2), created_by="team",
        languages={
            "en": LangSection("en", "An INTERPOL alert about a person's criminal activities.", "team", terms=[
                Term("Green Notice", T.FULL_FORM, S.PREFERRED, forms=["Green Notices"]),
                Term("GN", T.ACRONYM, S.ADMITTED)]),
            "ar": LangSection("ar", "تنبيه يصدره الإنتربول بشأن أنشطة شخص إجرامية.", "team", terms=[
                Term("النشرة الخضراء", T.FULL_FORM, S.PREFERRED, context="أصدر الإنتربول النشرة الخضراء.",
                     context_source="doc-1", forms=["النشرات الخضراء"], vocalized="النَّشْرَة الخَضْرَاء"),
                Term("التعميم الأخضر", T.VARIANT, S.DEPRECATED)])})
    red = Concept(
        "red-notice", subject_fields=["policing"], review_status=ReviewStatus.DRAFT, cross_references=["green-notice"],
        created=dt.date(2024, 1, 3), created_by="team",
        languages={"en": LangSection("en", "A request to locate and arrest a person.", terms=[
                       Term("Red Notice", T.FULL_FORM, S.PREFERRED)]),
                   "ar": LangSection("ar", "طلب تحديد مكان شخص واعتقاله.", terms=[
                       Term("النشرة الحمراء", T.FULL_FORM, S.PREFERRED)])})
    abuse = Concept(
        "child-abuse", subject_fields=["crime"], review_status=ReviewStatus.REVIEWED, created=dt.date(2024, 1, 4),
        languages={"en": LangSection("en", "Harm done to a child.", terms=[Term("child abuse", T.FULL_FORM, S.PREFERRED)]),
                   "ar": LangSection("ar", "إلحاق الأذى بطفل.", terms=[
                       Term("إساءة معاملة الأطفال", T.FULL_FORM, S.PREFERRED)])})
    termbase = Termbase("Test glossary", languages=["en", "ar"],
                        subject_fields={"policing": "policing", "crime": "crime"},
                        sources=[Source("doc-1", "A document")])
    for concept in (green, red, abuse):
        termbase.add(concept)
    glossary.write(termbase, root)
    return root


@pytest.fixture
def root(tmp_path) -> Path:
    return make_glossary(tmp_path / "glossary")


def export(root: Path, *options) -> Path:
    target = root.parent / "review.xlsx"
    run("export", "-g", root, "-o", target, *options)
    return target


def edit(path: Path, changes: dict, save_as: Path | None = None) -> Path:
    """Set cells of the Review sheet: {(concept id, header): value}; returns the saved path."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Review"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    rows = {sheet.cell(r, headers["ID"]).value: r for r in range(2, sheet.max_row + 1)}
    for (concept_id, header), value in changes.items():
        sheet.cell(rows[concept_id], headers[header]).value = value
    target = save_as or path
    workbook.save(target)
    return target


def concept(root: Path, concept_id: str) -> Concept:
    return glossary.read_concept_file(root / "concepts" / f"{concept_id}.yaml")


def change_in_glossary(root: Path, concept_id: str, change) -> None:
    item = concept(root, concept_id)
    change(item)
    glossary.write_concept(root, item)


def import_json(root: Path, path: Path, *options, code=0) -> dict:
    return json.loads(run("import", path, "-g", root, "--json", *options, code=code).stdout)


def items(report: dict, concept_id: str) -> dict:
    entry = next(c for c in report["concepts"] if c["id"] == concept_id)
    return {f["field"]: f for f in entry["fields"]}


def soffice(tmp_path: Path, source: Path, target_format: str, outdir: Path) -> Path:
    """Re-save `source` with real LibreOffice headless (a private profile per call)."""
    profile = tmp_path / "lo-profile"
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", target_format,
                    "--outdir", str(outdir), str(source)], check=True, capture_output=True, timeout=120)
    converted = outdir / (source.stem + "." + target_format.split(":")[0])
    assert converted.is_file()
    return converted


# --- the workbook --------------------------------------------------------------------------

def test_export_layout(root):
    path = export(root)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Review", "Instructions", "_base"]
    assert workbook["_base"].sheet_state == "hidden"
    sheet = workbook["Review"]
    headers = {cell.value: cell for cell in sheet[1]}
    for name in ("ID", "English term", "Arabic term", "English type", "Arabic status", "Arabic other terms",
                 "English definition", "Arabic context", "Note", "Review status", "Reviewer comment", "Fingerprint"):
        assert name in headers, name
    column = {name: cell.column_letter for name, cell in headers.items()}
    rows = {sheet[f"{column['ID']}{r}"].value: r for r in range(2, sheet.max_row + 1)}
    green = rows["green-notice"]
    assert sheet[f"{column['Arabic term']}{green}"].value == "النشرة الخضراء"
    assert sheet[f"{column['Arabic other terms']}{green}"].value == "التعميم الأخضر (deprecated, variant)"
    assert sheet[f"{column['English other terms']}{green}"].value == "GN (admitted, acronym)"
    assert sheet[f"{column['Arabic context']}{green}"].value == "أصدر الإنتربول النشرة الخضراء."
    # read-only columns locked and grey, editable ones unlocked; Arabic right to left
    id_cell = sheet[f"{column['ID']}{green}"]
    assert id_cell.protection.locked and id_cell.fill.fgColor.rgb.endswith("E7E6E6")
    assert not sheet[f"{column['Arabic term']}{green}"].protection.locked
    assert sheet.column_dimensions[column["Arabic term"]].protection.locked is False   # rows a reviewer adds
    assert sheet[f"{column['Arabic term']}{green}"].alignment.readingOrder == 2
    assert sheet[f"{column['English term']}{green}"].alignment.readingOrder != 2
    assert sheet.protection.sheet and not sheet.protection.sort and not sheet.protection.autoFilter
    assert sheet.column_dimensions[column["Fingerprint"]].hidden
    assert sheet[f"{column['Fingerprint']}{green}"].value == review.fingerprint(concept(root, "green-notice"))
    # drop-downs for the controlled columns
    lists = {str(v.sqref).split(":")[0].rstrip("0123456789"): v.formula1 for v in sheet.data_validations.dataValidation}
    assert "preferred" in lists[column["Arabic status"]] and "acronym" in lists[column["English type"]]
    assert "reviewed" in lists[column["Review status"]]
    # the base sheet holds each concept's canonical YAML
    base = workbook["_base"]
    texts = {base.cell(r, 1).value: base.cell(r, 3).value for r in range(2, base.max_row + 1)}
    assert texts["red-notice"].encode() == (root / "concepts" / "red-notice.yaml").read_bytes()
    assert "Other terms" in [workbook["Instructions"].cell(r, 1).value for r in range(1, 20)]
    # deterministic: the same glossary gives the same bytes
    first = path.read_bytes()
    assert export(root).read_bytes() == first


def test_export_filters_and_languages(root):
    path = export(root, "--subject", "policing", "--status", "draft", "--lang", "ar")
    sheet = openpyxl.load_workbook(path)["Review"]
    headers = [cell.value for cell in sheet[1]]
    assert "Arabic term" in headers and "English term" not in headers
    assert "English term (read-only)" in headers       # for reference, locked
    assert sorted(sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)) == ["green-notice", "red-notice"]
    run("export", "-g", root, "-o", root.parent / "x.xlsx", "--lang", "xx-bogus", code=2)
    run("export", "-g", root.parent / "nowhere", code=2)
    # editing the reference column changes nothing; the English side is untouched by an Arabic review
    before = snapshot(root)
    edit(path, {("red-notice", "English term (read-only)"): "Blue Notice"})
    report = import_json(root, path)
    assert report["summary"]["updated"] == 0 and snapshot(root) == before


def test_formula_like_text_is_exported_as_text(root):
    change_in_glossary(root, "red-notice", lambda c: setattr(c, "note", "=HYPERLINK(\"http://x\")"))
    sheet = openpyxl.load_workbook(export(root))["Review"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    cell = next(sheet.cell(r, headers["Note"]) for r in range(2, 5) if sheet.cell(r, 1).value == "red-notice")
    assert cell.data_type == "s" and cell.quotePrefix


def test_other_terms_cell_syntax():
    items = [("WHO", "admitted, acronym"), ("reproductive health (RH)", ""), ("a; b", "deprecated")]
    assert review.parse_terms(review.format_terms(items)) == items
    assert review.parse_terms("GN (acronym, Admitted) ; Green notice (deprecated)") == [
        ("GN", "admitted, acronym"), ("Green notice", "deprecated")]
    assert review.parse_terms("x (f) ()") == [("x (f)", "")]
    with pytest.raises(ValueError, match="admited"):
        review.parse_terms("WHO (admited)")
    with pytest.raises(ValueError, match="twice"):
        review.parse_terms("a; a")


# --- the merge -----------------------------------------------------------------------------

def test_unchanged_workbook_changes_nothing(root):
    path = export(root)
    before = snapshot(root)
    report = import_json(root, path)
    assert report["summary"]["unchanged"] == 3 and report["concepts"] == [] and report["errors"] == []
    assert snapshot(root) == before


def test_nothing_lost_reviewer_and_glossary_changes_both_kept(root):
    path = export(root)
    edit(path, {("green-notice", "Arabic term"): "النشرة الخضراء الدولية"})
    change_in_glossary(root, "green-notice", lambda c: setattr(c.languages["en"], "definition",
                                                               "A new English definition."))
    before = snapshot(root)
    report = import_json(root, path, "--reviewer", "Huda")
    fields = items(report, "green-notice")
    assert fields["Arabic term"]["outcome"] == "applied"
    assert fields["Arabic term"]["glossary"] == "النشرة الخضراء"
    assert fields["Arabic term"]["reviewer"] == "النشرة الخضراء الدولية"
    assert fields["Arabic term"]["cell"].startswith("Review!C")
    assert fields["English definition"]["outcome"] == "kept"
    merged = concept(root, "green-notice")
    assert merged.preferred_term("ar").text == "النشرة الخضراء الدولية"
    assert merged.languages["en"].definition == "A new English definition."
    # the renamed term keeps its data (not its spelling-bound forms), the other terms are untouched
    term = merged.preferred_term("ar")
    assert (term.context, term.context_source, term.type, term.forms) == (
        "أصدر الإنتربول النشرة الخضراء.", "doc-1", T.FULL_FORM, [])
    assert [t.text for t in merged.languages["ar"].terms] == ["النشرة الخضراء الدولية", "التعميم الأخضر"]
    assert merged.review_status is ReviewStatus.REVIEWED
    assert (merged.modified.isoformat(), merged.modified_by) == (TODAY, "Huda")
    after = snapshot(root)
    changed = {path for path in before if before[path] != after[path]}
    assert changed == {Path("concepts/green-notice.yaml")}
    assert set(after) == set(before)


def test_conflict_applies_nothing_for_that_concept(root):
    path = export(root)
    edit(path, {("red-notice", "English definition"): "Reviewer definition.",
                ("red-notice", "Arabic term"): "النشرة الحمراء الدولية",
                ("child-abuse", "Note"): "Checked."})
    change_in_glossary(root, "red-notice", lambda c: setattr(c.languages["en"], "definition", "Glossary definition."))
    report = import_json(root, path, code=1)
    fields = items(report, "red-notice")
    conflict = fields["English definition"]
    assert (conflict["outcome"], conflict["glossary"], conflict["reviewer"], conflict["base"]) == (
        "conflict", "Glossary definition.", "Reviewer definition.", "A request to locate and arrest a person.")
    assert fields["Arabic term"]["outcome"] == "rejected"
    red = concept(root, "red-notice")
    assert red.languages["en"].definition == "Glossary definition."
    assert red.preferred_term("ar").text == "النشرة الحمراء"
    assert concept(root, "child-abuse").note == "Checked."       # other concepts are applied
    text = run("import", path, "-g", root, code=1).output
    assert "conflict" in text and "'Glossary definition.'" in text and "'Reviewer definition.'" in text


def test_conflict_resolved_with_ours_or_theirs(root, tmp_path):
    path = export(root)
    edit(path, {("red-notice", "English definition"): "Reviewer definition.",
                ("red-notice", "Arabic term"): "النشرة الحمراء الدولية"})
    change_in_glossary(root, "red-notice", lambda c: setattr(c.languages["en"], "definition", "Glossary definition."))
    saved = tmp_path / "saved"
    shutil.copytree(root, saved)
    import_json(root, path, "--ours")
    red = concept(root, "red-notice")
    assert red.languages["en"].definition == "Glossary definition."
    assert red.preferred_term("ar").text == "النشرة الحمراء الدولية"
    import_json(saved, path, "--theirs")
    red = concept(saved, "red-notice")
    assert red.languages["en"].definition == "Reviewer definition."
    assert red.preferred_term("ar").text == "النشرة الحمراء الدولية"


def test_other_terms_merge_per_term(root):
    path = export(root)
    edit(path, {("green-notice", "English other terms"): "GN (deprecated, acronym); Green alert (admitted)"})
    change_in_glossary(root, "green-notice", lambda c: c.languages["en"].terms.append(
        Term("green notice alert", T.VARIANT, S.ADMITTED, note="added in the glossary")))
    report = import_json(root, path)
    fields = items(report, "green-notice")
    assert fields["English other terms: GN"]["outcome"] == "applied"
    assert fields["English other terms: Green alert"]["outcome"] == "applied"
    assert fields["English other terms: green notice alert"]["outcome"] == "kept"
    terms = {t.text: t for t in concept(root, "green-notice").languages["en"].terms}
    assert terms["GN"].status is S.DEPRECATED and terms["Green alert"].status is S.ADMITTED
    assert terms["green notice alert"].note == "added in the glossary"
    assert terms["Green Notice"].forms == ["Green Notices"]


def test_swap_preferred_and_admitted_term_keeps_their_data(root):
    path = export(root)
    edit(path, {("green-notice", "English term"): "GN", ("green-notice", "English type"): "acronym",
                ("green-notice", "English other terms"): "Green Notice (admitted, fullForm)"})
    import_json(root, path)
    terms = {t.text: t for t in concept(root, "green-notice").languages["en"].terms}
    assert terms["GN"].status is S.PREFERRED and terms["GN"].type is T.ACRONYM
    assert terms["Green Notice"].status is S.ADMITTED and terms["Green Notice"].forms == ["Green Notices"]


def test_new_rows_become_draft_concepts(root):
    path = export(root)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Review"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    new = sheet.max_row + 1
    sheet.cell(new, headers["English term"], "Yellow Notice")
    sheet.cell(new, headers["Arabic term"], "النشرة الصفراء")
    sheet.cell(new, headers["English definition"], "An alert about a missing person.")
    sheet.cell(new, headers["Arabic other terms"], "التعميم الأصفر (admitted)")
    sheet.cell(new, headers["Reviewer comment"], "Please check the Arabic.")
    sheet.cell(new + 1, headers["ID"], "blue-notice")
    sheet.cell(new + 1, headers["English term"], "Blue Notice")
    workbook.save(path)
    report = import_json(root, path, "--reviewer", "Huda")
    assert report["summary"]["added"] == 2
    yellow = concept(root, "yellow-notice")
    assert yellow.review_status is ReviewStatus.DRAFT and yellow.created_by == "Huda"
    assert [(t.text, t.status) for t in yellow.languages["ar"].terms] == [
        ("النشرة الصفراء", S.PREFERRED), ("التعميم الأصفر", S.ADMITTED)]
    assert yellow.note == f"Review comment (Huda, {TODAY}): Please check the Arabic."
    assert concept(root, "blue-notice").preferred_term("en").text == "Blue Notice"
    # importing the same workbook again adds nothing and changes nothing
    before = snapshot(root)
    again = import_json(root, path, "--reviewer", "Huda")
    assert again["summary"]["added"] == 0 and snapshot(root) == before


def test_deleted_rows_only_removed_with_allow_deletes(root):
    path = export(root)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Review"]
    for r in range(sheet.max_row, 1, -1):
        if sheet.cell(r, 1).value in ("child-abuse", "red-notice"):
            sheet.delete_rows(r)
    workbook.save(path)
    report = import_json(root, path)
    outcomes = {c["id"]: c["outcome"] for c in report["concepts"]}
    assert outcomes == {"child-abuse": "rejected", "red-notice": "rejected"}
    assert (root / "concepts" / "child-abuse.yaml").exists()
    # red-notice is cross-referenced by green-notice: deleting it would break the glossary
    result = run("import", path, "-g", root, "--allow-deletes", code=1)
    assert "dangling-xref" in result.output and "nothing was imported" in result.output
    assert (root / "concepts" / "child-abuse.yaml").exists()
    change_in_glossary(root, "green-notice", lambda c: setattr(c, "cross_references", []))
    change_in_glossary(root, "child-abuse", lambda c: setattr(c, "note", "changed meanwhile"))
    report = import_json(root, path, "--allow-deletes", code=1)
    outcomes = {c["id"]: c["outcome"] for c in report["concepts"]}
    assert outcomes == {"child-abuse": "conflict", "red-notice": "deleted"}   # child-abuse changed since export
    assert not (root / "concepts" / "red-notice.yaml").exists()
    assert (root / "concepts" / "child-abuse.yaml").exists()
    import_json(root, path, "--allow-deletes", "--theirs")
    assert not (root / "concepts" / "child-abuse.yaml").exists()


def test_comment_status_and_modified(root):
    path = export(root)
    edit(path, {("child-abuse", "Reviewer comment"): "Term fine.", ("red-notice", "Review status"): "approved",
                ("red-notice", "Arabic definition"): "طلب تحديد مكان شخص واعتقاله مؤقتا."})
    import_json(root, path, "--reviewer", "Omar")
    abuse = concept(root, "child-abuse")
    assert abuse.note == f"Review comment (Omar, {TODAY}): Term fine."
    assert abuse.review_status is ReviewStatus.REVIEWED     # unchanged: a comment is not a change of content
    red = concept(root, "red-notice")
    assert red.review_status is ReviewStatus.APPROVED and red.modified_by == "Omar"
    before = snapshot(root)
    import_json(root, path, "--reviewer", "Omar")            # comments are not added twice
    assert snapshot(root) == before


def test_dry_run_writes_nothing(root):
    path = export(root)
    edit(path, {("red-notice", "Note"): "changed"})
    before = snapshot(root)
    report = import_json(root, path, "--dry-run")
    assert report["dry_run"] and report["summary"]["updated"] == 1
    assert snapshot(root) == before


# --- validation ----------------------------------------------------------------------------

def test_invalid_cells_are_named_and_nothing_is_applied(root):
    path = export(root)
    edit(path, {("red-notice", "Note"): "a good change",
                ("green-notice", "Arabic term"): "النشرة Green",
                ("child-abuse", "English status"): "prefered",
                ("child-abuse", "Arabic definition"): "إلحاق\u200f الأذى بطفل."})
    before = snapshot(root)
    result = run("import", path, "-g", root, code=1)
    output = result.output
    sheet = openpyxl.load_workbook(path)["Review"]
    headers = {cell.value: cell.column_letter for cell in sheet[1]}
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    assert f"Review!{headers['Arabic term']}{rows['green-notice']}: error:" in output and "latin-in-arabic" in output
    assert f"Review!{headers['English status']}{rows['child-abuse']}: error:" in output and "'prefered'" in output
    assert f"Review!{headers['Arabic definition']}{rows['child-abuse']}: error:" in output and "invisible-char" in output
    assert "Error:" in output and "nothing was imported" in output
    assert snapshot(root) == before


def test_formula_typed_in_a_cell_is_flagged_not_evaluated(root):
    path = export(root)
    edit(path, {("red-notice", "Note"): "=1+1"})
    sheet = openpyxl.load_workbook(path)["Review"]
    assert any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)   # really a formula
    before = snapshot(root)
    result = run("import", path, "-g", root, code=1)
    assert "formula" in result.output and "=1+1" in result.output and "Review!" in result.output
    assert snapshot(root) == before
    assert "1+1" not in concept(root, "red-notice").note and "2" != concept(root, "red-notice").note


def test_changed_id_is_an_error(root):
    path = export(root)
    edit(path, {("red-notice", "ID"): "child-abuse", ("child-abuse", "ID"): "red-notice"})   # IDs swapped
    before = snapshot(root)
    result = run("import", path, "-g", root, code=1)
    assert result.output.count("was the ID changed?") == 2 and "Review!A" in result.output
    assert snapshot(root) == before
    edit(path, {("red-notice", "ID"): "child-abuse"})     # now two rows claim child-abuse
    assert "second row" in run("import", path, "-g", root, code=1).output


def test_spreadsheet_habits_are_tolerated(root):
    """Reordered, hidden and extra columns, sorted rows, trailing spaces, numbers and dates in text cells."""
    path = export(root)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Review"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header, body = values[0], values[1:]
    order = list(reversed(range(len(header))))               # every column in reverse order
    body.sort(key=lambda row: row[header.index("English term")] or "", reverse=True)
    del workbook["Review"]
    sheet = workbook.create_sheet("Review", 0)
    for row in [header] + body:
        sheet.append([row[i] for i in order] + [None, "extra"])
    sheet.cell(1, len(header) + 2, "Remarks")
    new_header = [header[i] for i in order]
    col = {name: new_header.index(name) + 1 for name in new_header}
    sheet.column_dimensions[openpyxl.utils.get_column_letter(col["English definition"])].hidden = True
    rows = {sheet.cell(r, col["ID"]).value: r for r in range(2, sheet.max_row + 1)}
    sheet.cell(rows["green-notice"], col["English term"], "Green Notice  ")          # trailing spaces only
    sheet.cell(rows["red-notice"], col["Note"], 2024)                                   # a number typed
    sheet.cell(rows["child-abuse"], col["Note"], dt.datetime(2024, 5, 1))              # a date typed
    workbook.save(path)
    report = import_json(root, path)
    assert report["summary"]["updated"] == 2 and report["errors"] == []
    assert {c["id"] for c in report["concepts"]} == {"red-notice", "child-abuse"}
    assert concept(root, "red-notice").note == "2024"
    assert concept(root, "child-abuse").note == "2024-05-01"
    assert concept(root, "green-notice").preferred_term("en").text == "Green Notice"
    checks = {w["check"] for w in report["warnings"]}
    assert {"xlsx-spaces", "unknown-column", "xlsx-cell"} <= checks


# --- CSV and LibreOffice -------------------------------------------------------------------

def write_csv(xlsx: Path, target: Path) -> Path:
    """The Review sheet saved as CSV (as a spreadsheet's 'Save as CSV' does: values only)."""
    sheet = openpyxl.load_workbook(xlsx)["Review"]
    with open(target, "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows([["" if c.value is None else c.value for c in row] for row in sheet.iter_rows()])
    return target


def test_csv_falls_back_to_the_fingerprint(root, tmp_path):
    path = export(root)
    edit(path, {("red-notice", "Note"): "reviewer note", ("child-abuse", "Note"): "another note"})
    csv_path = write_csv(path, tmp_path / "review.csv")
    change_in_glossary(root, "child-abuse", lambda c: setattr(c.languages["en"], "definition", "Changed meanwhile."))
    report = import_json(root, csv_path, code=1)
    assert report["summary"]["mode"] == "fingerprint"
    assert concept(root, "red-notice").note == "reviewer note"            # unchanged since export: applied
    fields = items(report, "child-abuse")                                  # changed since export: conflict
    assert fields["Note"]["outcome"] == "conflict" and fields["English definition"]["outcome"] == "conflict"
    assert concept(root, "child-abuse").note == ""
    import_json(root, csv_path, "--theirs")
    assert concept(root, "child-abuse").note == "another note"
    assert concept(root, "child-abuse").languages["en"].definition == "Harm done to a child."


def test_csv_formula_text_is_flagged(root, tmp_path):
    path = export(root)
    csv_path = write_csv(edit(path, {("red-notice", "Note"): "'=cmd|' /C calc'!A0"}), tmp_path / "r.csv")
    text = csv_path.read_text("utf-8-sig").replace("'=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0")
    csv_path.write_text(text, "utf-8-sig")
    before = snapshot(root)
    result = run("import", csv_path, "-g", root, code=1)
    assert "looks like a formula" in result.output
    assert snapshot(root) == before


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_resaved_workbook_and_csv(root, tmp_path):
    path = export(root)
    edit(path, {("green-notice", "Arabic term"): "النشرة الخضراء الدولية",
                ("red-notice", "Reviewer comment"): "OK",
                ("child-abuse", "Note"): "=2+3"}, save_as=tmp_path / "edited.xlsx")
    resaved = soffice(tmp_path, tmp_path / "edited.xlsx", "xlsx", tmp_path / "lo")
    with zipfile.ZipFile(resaved) as archive:
        assert "LibreOffice" in archive.read("docProps/app.xml").decode()
    # LibreOffice evaluated the formula and stored it with its value: still flagged, nothing applied
    result = run("import", resaved, "-g", root, code=1)
    assert "formula" in result.output and "5" not in concept(root, "child-abuse").note
    edit(tmp_path / "edited.xlsx", {("child-abuse", "Note"): None})
    resaved = soffice(tmp_path, tmp_path / "edited.xlsx", "xlsx", tmp_path / "lo")
    report = import_json(root, resaved, "--reviewer", "Huda")
    assert report["summary"]["updated"] == 2 and report["summary"]["mode"] == "three-way"
    assert concept(root, "green-notice").preferred_term("ar").text == "النشرة الخضراء الدولية"
    assert concept(root, "red-notice").note.endswith(": OK")
    # the CSV LibreOffice saves from the workbook imports through the fingerprint: nothing left to apply
    exported = export(root)
    edit(exported, {("child-abuse", "English definition"): "Harm done to a child or young person."})
    saved = soffice(tmp_path, exported, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "csv")
    report = import_json(root, saved)
    assert report["summary"]["mode"] == "fingerprint" and report["summary"]["updated"] == 1
    assert concept(root, "child-abuse").languages["en"].definition == "Harm done to a child or young person."


def test_shipped_glossary_round_trips_unchanged(glossary_copy):
    path = export(glossary_copy)
    before = snapshot(glossary_copy)
    report = import_json(glossary_copy, path)
    assert report["summary"]["updated"] == report["summary"]["added"] == 0
    assert snapshot(glossary_copy) == before


def test_not_a_review_file(root, tmp_path):
    bad = tmp_path / "plain.csv"
    bad.write_text("a,b\n1,2\n", "utf-8")
    result = run("import", bad, "-g", root, code=1)
    assert "no 'ID' column" in result.output
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert "Error:" in run("import", broken, "-g", root, code=1).output


def test_rows_are_tall_enough_for_their_wrapped_text():
    from termbase.review import LINE_HEIGHT, MAX_ROW_HEIGHT, row_height

    assert row_height(["short", ""], [20, 20]) == LINE_HEIGHT
    assert row_height(["x" * 100, "y"], [11, 20]) == 10 * LINE_HEIGHT      # 100 characters, 10 a line
    assert row_height(["a\nb\nc", ""], [20, 20]) == 3 * LINE_HEIGHT
    assert row_height(["z" * 10_000], [10]) == MAX_ROW_HEIGHT


def test_merged_cells_are_an_error_not_a_cleared_value(root):
    """Merging keeps only the top-left value: the others would import as deleted by the reviewer."""
    path = export(root)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Review"]
    headers = {cell.value: cell.column_letter for cell in sheet[1]}
    span = f"{headers['English definition']}2:{headers['Arabic definition']}2"
    sheet.merge_cells(span)
    workbook.save(path)
    before = snapshot(root)
    result = run("import", path, "-g", root, code=1)
    assert f"Review!{span}: error:" in result.output and "merged" in result.output
    assert snapshot(root) == before


def test_blank_rows_keep_the_row_numbers(root):
    """Rows a reviewer leaves blank have no cells in the sheet XML: the rows after them keep their numbers."""
    path = export(root)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Review"]
    sheet.insert_rows(3, amount=2)
    workbook.save(path)
    assert b'<c r="A3"' not in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    read = review.read_review(path, ["en", "ar"])
    expected = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value}
    assert {row.id: row.number for row in read.rows} == expected and max(expected.values()) >= 5
    assert {row.id: row.cells["id"] for row in read.rows} == {i: f"A{r}" for i, r in expected.items()}
    assert read.errors == []


def test_base_copies_wait_in_an_unnamed_file_and_read_back_the_same(root, tmp_path, monkeypatch):
    """read_review sets the base sheet's YAML aside in a temporary file that has no name (nothing
    is left behind, even by a crash); each copy reads back as the concept exported."""
    import os
    import tempfile

    path = export(root)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    read = review.read_review(path, ["en", "ar"])
    assert read.base and not read.errors
    assert os.listdir(scratch) == []
    for concept_id, entry in read.base.items():
        assert entry.load(read) == concept(root, concept_id)
    assert {row.id: row.cells["id"] for row in read.rows} == {row.id: f"A{row.number}" for row in read.rows}
    shared = [row for row in read.rows if row.id in read.base]
    assert shared and all(row.id is read.base[row.id].id and row.fingerprint is read.base[row.id].fingerprint
                          for row in shared)
