import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TERMBASE_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def shared() -> Path:
    return SHARED


@pytest.fixture
def glossary_copy(tmp_path) -> Path:
    """A scratch copy of the shipped glossary."""
    target = tmp_path / "glossary"
    shutil.copytree(ROOT / "glossary", target)
    return target
