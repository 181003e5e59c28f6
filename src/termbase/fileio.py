"""Atomic file writes: a temp file beside the target, then a rename."""
from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new, exclusively created temp file in the target's folder: (fd, name).

    (Not `tempfile.mkstemp`: importing tempfile pulls in shutil, bz2 and lzma, a noticeable part
    of a streaming export's memory.)
    """
    while True:
        name = str(path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), name
        except FileExistsError:
            continue


def file_mode(path: Path) -> int:
    """The mode a replacement for `path` gets: the old file's, else 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _stage(path: Path) -> tuple[int, str]:
    """A temp file beside `path` (its folder created); an OSError is a TermbaseError naming `path`."""
    from .errors import TermbaseError

    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        path.parent.mkdir(parents=True, exist_ok=True)
        return _temp_beside(path)
    except OSError as error:
        raise TermbaseError(f"cannot write: {error.strerror or error}", path) from None


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb", **kwargs):
    """Open a temp file beside `path`; on success it replaces `path`, on error `path` is untouched."""
    path = Path(path)
    fd, tmp = _stage(path)
    try:
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path, data: bytes) -> None:
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def replace_all_atomic(files: dict, remove=()) -> None:
    """Write every {path: bytes} to temp files first, then rename them all and delete `remove`.

    A failure while staging leaves every target untouched.
    """
    staged = []
    try:
        for path, data in files.items():
            path = Path(path)
            fd, tmp = _stage(path)
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, file_mode(path))
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    for path in remove:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def read_head(path, size: int = 4096) -> bytes:
    """The first `size` bytes of a file; an unreadable file is a TermbaseError naming it."""
    from .errors import TermbaseError

    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as error:
        raise TermbaseError(f"cannot read: {error.strerror}", path) from None


BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode_text(raw: bytes, path=None, encoding: str = "utf-8", utf16: bool = True) -> str:
    """A file's text: in its BOM's encoding if it has one (UTF-8; UTF-16 LE/BE unless `utf16` is
    false), else in `encoding`. A byte that does not decode is a TermbaseError naming its line."""
    from .errors import TermbaseError

    for bom, codec in BOMS if utf16 else BOMS[:1]:
        if raw.startswith(bom):
            raw, encoding = raw[len(bom):], codec
            break
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[:error.start].decode(encoding, "replace").count("\n") + 1
        raise TermbaseError(f"not {encoding.upper()}: byte 0x{raw[error.start]:02x} cannot be decoded; "
                            "save the file as UTF-8", path, line) from None
