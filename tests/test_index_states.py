"""A state machine drives random edits to a glossary and to its index; after every step the
indexed answers of show, search, list, validate and find equal those read straight from the files."""
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from test_index import TEXT, answers

ROOT = Path(__file__).resolve().parents[1]
IDS = ["green-notice", "yellow-notice", "interpol", "europol", "icse-database", "i-24-7", "victim"]
GIT = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}


def git(root: Path, *args) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env={**os.environ, **GIT})


class GlossaryAndIndex(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="index-states-"))
        self.root = self.tmp / "glossary"
        shutil.copytree(ROOT / "glossary", self.root)
        self.index_dir = self.tmp / "index"
        os.environ["TERMBASE_INDEX_DIR"] = str(self.index_dir)
        git(self.root, "init", "-q", "-b", "main")
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", "main")
        git(self.root, "checkout", "-q", "-b", "other")
        self.edit_text("green-notice", "Green Notice", "Emerald Notice")
        (self.root / "concepts" / "europol.yaml").unlink()
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", "other")
        git(self.root, "checkout", "-q", "main")
        self.branch = "main"
        self.added = 0

    def teardown(self):
        os.environ.pop("TERMBASE_INDEX_DIR", None)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, concept_id: str) -> Path:
        return self.root / "concepts" / f"{concept_id}.yaml"

    def edit_text(self, concept_id: str, old: str, new: str) -> None:
        path = self.path(concept_id)
        if path.exists():
            path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")

    @rule(concept_id=st.sampled_from(IDS), word=st.sampled_from(["notice", "نشرة", "database", "Taskforce", "ضحية"]))
    def edit(self, concept_id, word):
        path = self.path(concept_id)
        if path.exists():
            text = path.read_text("utf-8")
            path.write_text(text.replace("definition: ", f"definition: {word} ", 1), "utf-8")

    @rule(concept_id=st.sampled_from(IDS), data=st.data())
    def same_size_edit_right_after_a_command(self, concept_id, data):
        """Change one letter, keep size and mtime: only the racy-git rule can notice."""
        path = self.path(concept_id)
        if not path.exists():
            return
        answers(self.root, TEXT)                     # a command has just read it
        stat = path.stat()
        text = path.read_text("utf-8")
        at = text.find("definition: ") + len("definition: ")
        letter = data.draw(st.sampled_from("XYZ"))
        path.write_text(text[:at] + letter + text[at + 1:], "utf-8")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    @rule(source=st.sampled_from(IDS))
    def add(self, source):
        path = self.path(source)
        if path.exists():
            self.added += 1
            new_id = f"added-{self.added}"
            self.path(new_id).write_text(path.read_text("utf-8").replace(f"id: {source}\n", f"id: {new_id}\n", 1), "utf-8")

    @rule(concept_id=st.sampled_from(IDS))
    def delete(self, concept_id):
        if self.path(concept_id).exists():
            self.path(concept_id).unlink()

    @rule(concept_id=st.sampled_from(IDS), new_name=st.sampled_from(["renamed", "green-notice", "victim"]))
    def rename(self, concept_id, new_name):
        if self.path(concept_id).exists():
            os.replace(self.path(concept_id), self.path(new_name))

    @rule()
    def checkout_the_other_branch(self):
        git(self.root, "checkout", "-q", "-f", "other" if self.branch == "main" else "main")
        git(self.root, "clean", "-q", "-fd")
        self.branch = "other" if self.branch == "main" else "main"

    @rule()
    def delete_the_index(self):
        for path in self.index_dir.glob("*.sqlite*"):
            path.unlink()

    @rule(where=st.floats(0.05, 0.95))
    def corrupt_the_index(self, where):
        for path in self.index_dir.glob("*.sqlite"):
            with open(path, "r+b") as handle:
                handle.seek(int(path.stat().st_size * where))
                handle.write(os.urandom(8192))

    @invariant()
    def indexed_answers_are_the_files_answers(self):
        if hasattr(self, "root"):
            assert answers(self.root, TEXT) == answers(self.root, TEXT, indexed=False)


GlossaryAndIndex.TestCase.settings = settings(max_examples=8, stateful_step_count=8, deadline=None,
                                              suppress_health_check=list(HealthCheck))
test_index_never_answers_wrong = GlossaryAndIndex.TestCase
