"""Writing reports safely: whole or not at all, never over a file the user gave as input.

``write_atomic`` writes one file: a temporary file, synced to disk, then renamed.
``write_hidden`` and ``publish`` write many (a batch's reports): each to a hidden file,
then all of them synced at once and only then renamed, so that a crash can leave a report
missing but never a report with only part of its text.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from mcn_advisor.errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str | Iterable[str], *, protect: tuple[Path, ...] = ()) -> None:
    """Write ``text`` (or its pieces, as they come) to ``path`` through a temporary file and a rename.

    A reader sees the old file or the new one, never half of either; the file is on disk
    before it has its name. ``protect`` lists the inputs of the run: writing over one of
    them is refused.
    """
    target = _target(path, protect)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    with _cleaning(path, Path(tmp)):
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            _put(handle, text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask())
        os.replace(tmp, target)


def write_hidden(path: Path, text: str | Iterable[str], token: str) -> None:
    """Write ``text`` to the hidden file ``.NAME.TOKEN.tmp`` beside ``path``, neither synced
    to disk nor named yet: ``publish`` does both for many files at once, so that a batch
    of reports costs one sync of the file system instead of one per file. The folder is
    the caller's, checked once (a batch writes thousands of files into it)."""
    hidden = _hidden(path, token)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a folder; give a file name")
    try:  # a new file gets 0666 less the umask from open itself; a replaced one keeps its mode
        fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else 0o600)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    with _cleaning(path, hidden), os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        _put(handle, text)
        if mode is not None:
            os.chmod(hidden, stat.S_IMODE(mode))


def publish(paths: Iterable[Path], token: str) -> None:
    """Give the files ``write_hidden`` wrote for ``paths`` their names, durably: first one sync
    of what was written (no file ever has its name before all of it is on disk), then the
    renames, then a sync of each folder so that the names last too."""
    pairs = [(_hidden(path, token), path) for path in paths]
    if not pairs:
        return
    if hasattr(os, "sync"):
        os.sync()
    else:  # pragma: no cover - Windows has no sync of everything: one file at a time
        for hidden, _ in pairs:
            with open(hidden, "rb+") as handle:
                os.fsync(handle.fileno())
    for hidden, path in pairs:
        try:
            os.replace(hidden, path)
        except OSError as exc:
            raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    for folder in {path.parent for _, path in pairs}:
        _sync_folder(folder)


def discard(folder: Path, token: str) -> None:
    """Remove the hidden files ``write_hidden`` left in ``folder`` under ``token`` (never published)."""
    suffix = f".{token}.tmp"
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(suffix):
                Path(entry.path).unlink(missing_ok=True)


def _target(path: Path, protect: tuple[Path, ...]) -> Path:
    target = path.resolve()
    if any(target == p.resolve() for p in protect):
        raise InputError(f"{path}: is an input of this run; refusing to overwrite it")
    if target.is_dir():
        raise InputError(f"{path}: is a folder; give a file name")
    if not target.parent.is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist")
    return target


def _hidden(path: Path, token: str) -> Path:
    return path.with_name(f".{path.name}.{token}.tmp")


def _put(handle: IO[str], text: str | Iterable[str]) -> None:
    if isinstance(text, str):
        handle.write(text)
    else:
        handle.writelines(text)


@contextlib.contextmanager
def _cleaning(path: Path, temporary: Path) -> Iterator[None]:
    """Remove ``temporary`` when writing fails; a failure to write says so in one line."""
    try:
        yield
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform that cannot open a folder (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse to sync a folder
        pass
    finally:
        os.close(fd)
