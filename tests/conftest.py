import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TERMBASE_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """Indexes and the signing key go to a scratch cache, not the user's."""
    cache = tmp_path_factory.mktemp("cache")
    saved = {name: os.environ.get(name) for name in ("XDG_CACHE_HOME", "TERMBASE_INDEX_DIR")}
    os.environ["XDG_CACHE_HOME"] = str(cache)
    os.environ.pop("TERMBASE_INDEX_DIR", None)
    yield cache
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def shared() -> Path:
    return SHARED


@pytest.fixture
def glossary_copy(tmp_path) -> Path:
    """A scratch copy of the shipped glossary."""
    target = tmp_path / "glossary"
    shutil.copytree(ROOT / "glossary", target)
    return target
