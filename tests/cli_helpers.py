"""Running the CLI in tests: exit code asserted, never a traceback."""
from pathlib import Path

from click.testing import CliRunner

from termbase.cli import main


def run(*args, code=0):
    """Invoke `termbase ARGS…` and assert its exit code; return the click Result."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def snapshot(root: Path) -> dict:
    """Every file under `root` with its bytes, to prove that nothing changed."""
    return {p.relative_to(root): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}
