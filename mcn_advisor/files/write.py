"""The one rule for writing files: whole or not at all, a regular file, never over an input.

Every file the tool writes (reports, ``schema``, ``init``, a batch's reports and
summaries) goes through ``write_atomic``, which

- refuses to write over any file the run read: ``files.read`` registers each one here
  by identity (device and inode), so a symbolic link, a hard link or another spelling
  of the path (``sub/../profile.toml``) cannot reach an input either;
- writes only regular files: a FIFO, a device or a folder given as the output is
  refused (the standard output is named ``-``, handled by the caller);
- with ``within`` (a batch's ``--out-dir``), never follows a symbolic link out of that
  folder;
- writes a temporary file next to the target, whose name always fits the file
  system's 255 bytes, then renames it: a reader sees the old file or the new one;
- turns every failure (read-only folder, name too long, disk full) into one
  ``InputError`` line naming the file, and leaves no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from mcn_advisor.errors import InputError

NAME_MAX = 255  # bytes of one file name on Linux, macOS and Windows file systems
_TEMP_EXTRA = len(".") + len(".") + 8 + len(".tmp")  # around the target's name: ".NAME.XXXXXXXX.tmp"

Identity = tuple[int, int]  # (st_dev, st_ino): the file itself, whatever path reaches it
_inputs: set[Identity] = set()


def protect(file: os.stat_result | Path | str) -> None:
    """Register a file this run reads (its ``stat`` result or its path): no write may replace it."""
    try:
        st = file if isinstance(file, os.stat_result) else os.stat(file)
    except OSError:
        return  # nothing there to protect
    _inputs.add((st.st_dev, st.st_ino))


def protected() -> frozenset[Identity]:
    """The files registered by ``protect`` (for worker processes that write reports)."""
    return frozenset(_inputs)


def protect_all(identities: Iterable[Identity]) -> None:
    _inputs.update(identities)


@contextlib.contextmanager
def one_run() -> Iterator[None]:
    """The inputs registered inside are those of one run, forgotten after it."""
    saved = set(_inputs)
    _inputs.clear()
    try:
        yield
    finally:
        _inputs.clear()
        _inputs.update(saved)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in a user's words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def temp_prefix(name: str) -> str:
    """The start of the temporary file's name for ``name``, cut to fit in ``NAME_MAX`` bytes."""
    room = NAME_MAX - _TEMP_EXTRA
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) > room:
        name = raw[:room].decode("utf-8", "ignore")  # never half a character
    return f".{name}."


def write_atomic(path: Path, text: str | bytes, *, within: Path | None = None) -> None:
    """Write ``text`` (UTF-8), or bytes (a PDF), to ``path`` whole, under the rule above, or
    raise ``InputError``.

    ``within``: a folder the file must stay in (a symbolic link out of it is refused).
    """
    try:
        target = Path(os.path.realpath(path))  # the file a symbolic link names is the one written
        if within is not None and not target.is_relative_to(os.path.realpath(within)):
            raise InputError(f"{path}: is a symbolic link out of {within}; refusing to follow it")
        try:
            st: os.stat_result | None = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is not None:
            if (st.st_dev, st.st_ino) in _inputs:
                shown = "" if target == Path(os.path.abspath(path)) else f" ({target})"
                raise InputError(f"{path}: is an input of this run{shown}; refusing to overwrite it")
            if stat.S_ISDIR(st.st_mode):
                raise InputError(f"{path}: is a folder; give a file name")
            if not stat.S_ISREG(st.st_mode):
                raise InputError(f"{path}: is {kind_of(st.st_mode)}; only regular files are written")
            mode = st.st_mode & 0o777
        else:
            mode = 0o666 & ~_umask()
        if not target.parent.is_dir():
            raise InputError(f"{path}: folder {path.parent} does not exist")
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=temp_prefix(target.name), suffix=".tmp")
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:  # a signal or an interrupt: the temporary file goes too
        Path(tmp).unlink(missing_ok=True)
        raise


_TEMP = re.compile(r"^\.(?P<target>.+)\.[A-Za-z0-9_]+\.tmp$")


def leftover_temps(folder: Path) -> Iterator[tuple[Path, str]]:
    """Temporary files of ``write_atomic`` in ``folder``, each with the file it was writing
    (its name cut to fit, when it was too long).

    Only a process killed mid-write leaves one; whoever killed it removes them.
    """
    with os.scandir(folder) as entries:
        for entry in entries:
            m = _TEMP.match(entry.name)
            if m and entry.is_file(follow_symlinks=False):
                yield Path(entry.path), m["target"]
