"""The user's cache folder: results that are slow to build, kept between runs, never trusted blindly.

``recall(kind, text, type)`` gives back what ``remember(kind, text, value)`` stored for
the same text: a policy pack validated from its TOML (``pack.compile``), the message
catalogue parsed from its own (``i18n``); ``tomllib`` is pure Python, and parsing costs a
single run more than the rest of its work. An entry's key is a digest of the kind, the
text and ``code_version()`` (this mcn-advisor's modules and the versions of Python,
pydantic and pydantic-core): a changed text or a changed program is another key and is
never served stale. The folder keeps the ``KEEP`` entries written last.

The folder is ``$MCN_ADVISOR_CACHE`` (``off`` turns caching off), else
``$XDG_CACHE_HOME/mcn-advisor``, else ``~/.cache/mcn-advisor``. It is used only when it
is a real folder owned by this user that no one else may write to, and an entry only
when it is a regular file owned by this user, not writable by others, whose checksum
matches: then what is read back is what this user's own run wrote. Anything else (a
missing, foreign, damaged or unreadable entry, a full disk, no home folder) is a miss, or
a store silently skipped: the caller builds the result as if there were no cache.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import stat
import sys
from pathlib import Path
from typing import TypeVar

ENV = "MCN_ADVISOR_CACHE"
KEEP = 32  # entries kept; each is small (a pack is about 60 KB)
_SUFFIX = ".cache"
_DIGEST = hashlib.sha256().digest_size
T = TypeVar("T")


def folder() -> Path | None:
    """Where the cache lives, or ``None`` when it is turned off or there is no home folder."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "0", "off", "no", "false") else Path(chosen)
    if not hasattr(os, "getuid"):
        return None  # the ownership checks below need POSIX users
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "mcn-advisor") if os.path.isabs(base) else None


@functools.cache
def code_version() -> str:
    """This program as a cached result depends on it: every module of the package (by size
    and modification time, the check Python makes of its own bytecode cache), and the
    versions of Python, pydantic and pydantic-core."""
    import pydantic
    import pydantic_core

    from mcn_advisor import __version__

    parts = [__version__, sys.version, pydantic.VERSION, pydantic_core.__version__]
    root = Path(__file__).resolve().parent.parent
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(here, name)
                st = os.stat(path)
                parts.append(f"{os.path.relpath(path, root)}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def recall(kind: str, text: str, expected: type[T]) -> T | None:
    """What ``remember`` stored for ``text`` as ``kind``, if it is an ``expected``; else ``None``."""
    blob = read(_key(kind, text))
    if blob is None:
        return None
    try:
        value = pickle.loads(blob)  # bytes this user's own run wrote (see read)
    except Exception:  # a damaged entry is a miss, whatever it raises
        return None
    return value if type(value) is expected else None


def remember(kind: str, text: str, value: object) -> None:
    """Keep ``value``, built from ``text`` as ``kind``, for the next run."""
    write(_key(kind, text), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _key(kind: str, text: str) -> str:
    digest = hashlib.sha256(f"mcn-advisor {kind}\n{code_version()}\n".encode())
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _trusted(st: os.stat_result, kind: int) -> bool:
    """Of the right kind, owned by this user, and writable by no one else."""
    return (
        stat.S_IFMT(st.st_mode) == kind
        and st.st_uid == os.getuid()
        and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _usable(where: Path) -> bool:
    try:
        return _trusted(os.lstat(where), stat.S_IFDIR)  # lstat: a symlink is not the folder
    except OSError:
        return False


def read(key: str) -> bytes | None:
    """The bytes stored under ``key`` by this user's own runs, or ``None``."""
    where = folder()
    if where is None or not _usable(where):
        return None
    try:
        fd = os.open(where / f"{key}{_SUFFIX}", os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            if not _trusted(os.fstat(handle.fileno()), stat.S_IFREG):
                return None
            blob = handle.read()
    except OSError:
        return None
    check, data = blob[:_DIGEST], blob[_DIGEST:]
    return data if len(check) == _DIGEST and hashlib.sha256(data).digest() == check else None


def write(key: str, data: bytes) -> None:
    """Store ``data`` under ``key`` (whole, through a rename); any failure is ignored."""
    where = folder()
    if where is None:
        return
    import tempfile  # only a run that stores something pays for it

    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _usable(where):
            return
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(hashlib.sha256(data).digest() + data)
            os.replace(tmp, where / f"{key}{_SUFFIX}")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(where)
    except OSError:
        pass


def _prune(where: Path) -> None:
    """Keep the ``KEEP`` most recently written entries."""
    entries = sorted(
        (e.stat().st_mtime_ns, e.path) for e in os.scandir(where) if e.name.endswith(_SUFFIX) and e.is_file()
    )
    for _, path in entries[:-KEEP]:
        Path(path).unlink(missing_ok=True)
