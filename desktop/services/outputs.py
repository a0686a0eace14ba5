"""Files the app writes (exports, error rows, reports): never onto the store or the file being read.

`check_output` refuses a target that resolves — symlinks followed, hard links caught by inode — to the
store or one of its companions (`-wal`, `-shm`, `-journal`), to an input of the same work, or to any
SQLite database. `atomic_output` then writes beside the target and renames only when complete, and removes
the temporary file on any failure or interrupt, so a failed write leaves the old file as it was.

Plain Python: the command line, the services and the window's Save dialogs all go through here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, IO

from desktop.services.errors import DomainError

SQLITE_MAGIC = b"SQLite format 3\x00"
STORE_COMPANIONS = ("", "-wal", "-shm", "-journal")

PathLike = str | os.PathLike[str]


class UnsafeOutput(DomainError):
    """The target of a write is the store, its input or another database: one sentence saying which."""


def _resolved(path: PathLike) -> Path:
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def _same_file(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def is_sqlite_file(path: PathLike) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def check_output(target: PathLike, *, store: PathLike | None = None, inputs: Iterable[PathLike] = ()) -> None:
    """Raise UnsafeOutput when writing `target` would overwrite the store (`store`: the SQLite file, None
    for a server database), an input file, or any SQLite database."""
    name = os.fspath(target)
    if name == "-":
        return
    resolved = _resolved(target)
    if store is not None:
        base = _resolved(store)
        for suffix in STORE_COMPANIONS:
            companion = base.with_name(base.name + suffix) if suffix else base
            if _same_file(resolved, companion):
                what = "the store" if not suffix else f"the store's {suffix[1:]} file"
                raise UnsafeOutput(f"{name} is {what} ({base}): choose another file; nothing was written.")
    for given in inputs:
        if _same_file(resolved, _resolved(given)):
            raise UnsafeOutput(f"{name} is the file being imported: choose another file; nothing was written.")
    if resolved.is_dir():
        raise UnsafeOutput(f"Cannot write {name}: it is a folder; give a file name. Nothing was written.")
    if is_sqlite_file(resolved):
        raise UnsafeOutput(f"{name} is a database, not a file to overwrite: choose another file; nothing was "
                           f"written.")
    for suffix in STORE_COMPANIONS[1:]:
        if resolved.name.endswith(suffix) and is_sqlite_file(resolved.with_name(resolved.name[: -len(suffix)])):
            raise UnsafeOutput(f"{name} belongs to a database: choose another file; nothing was written.")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(target: PathLike, *, encoding: str = "utf-8", newline: str = "",
                  binary: bool = False) -> Iterator[IO[Any]]:
    """A text (or, with `binary`, bytes) stream whose content replaces `target` only when the block ends
    without an error.

    A device or a pipe (/dev/null, a FIFO) is written straight into; never replaced."""
    path = Path(target)
    text_options: dict[str, Any] = {} if binary else {"encoding": encoding, "newline": newline}
    mode = "wb" if binary else "w"
    if path.exists() and not path.is_file() and not path.is_dir():
        with open(path, mode, **text_options) as stream:
            yield stream
        return
    real = _resolved(path)  # through a symlink: replace what it points to, keep the link
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".part", dir=real.parent)
    try:
        with os.fdopen(fd, mode, **text_options) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(OSError):  # the permissions of the file replaced, else the usual ones
            os.chmod(tmp, os.stat(real).st_mode & 0o7777 if real.exists() else 0o666 & ~_umask())
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
