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

A batch's per-profile reports (thousands of them) go through the pair ``write_hidden``
and ``publish`` instead: each is written to a hidden file beside its name, then many
are synced to disk at once and only then renamed, so that a crash can leave a report
missing but never a report with only part of its text, at one sync per few hundred
profiles instead of one per file. They follow the same rule, checked with one system
call per report: never over an input, regular files only; a symbolic link at a
report's name is replaced by the report, never followed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from mcn_advisor.errors import InputError, os_reason, say

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
        return say("a folder")
    if stat.S_ISFIFO(mode):
        return say("a named pipe (FIFO)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return say("a device")
    if stat.S_ISSOCK(mode):
        return say("a socket")
    return say("not a regular file")


def temp_prefix(name: str, token: int = 8) -> str:
    """The start of the temporary file's name for ``name``, cut to fit in ``NAME_MAX`` bytes
    with a random part of ``token`` characters after it."""
    room = NAME_MAX - _TEMP_EXTRA - (token - 8)
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) > room:
        name = raw[:room].decode("utf-8", "ignore")  # never half a character
    return f".{name}."


def write_atomic(path: Path, text: str | bytes | Iterable[str], *, within: Path | None = None) -> None:
    """Write ``text`` (UTF-8; or its pieces, as they come, never held whole), or bytes (a PDF),
    to ``path`` whole, under the rule above, or raise ``InputError``.

    ``within``: a folder the file must stay in (a symbolic link out of it is refused).
    """
    try:
        target = Path(os.path.realpath(path))  # the file a symbolic link names is the one written
        if within is not None and not target.is_relative_to(os.path.realpath(within)):
            raise InputError(
                say(
                    "{path}: is a symbolic link out of {within}; refusing to follow it",
                    path=path,
                    within=within,
                )
            )
        try:
            st: os.stat_result | None = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is not None:
            _may_replace(
                path, st, "" if target == Path(os.path.abspath(path)) else say(" ({target})", target=target)
            )
            mode = st.st_mode & 0o777
        else:
            mode = 0o666 & ~_umask()
        if not target.parent.is_dir():
            raise InputError(say("{path}: folder {parent} does not exist", path=path, parent=path.parent))
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=temp_prefix(target.name), suffix=".tmp")
    except OSError as exc:
        raise InputError(_unwritable(path, exc)) from None
    with _cleaning(path, Path(tmp)):
        with os.fdopen(fd, "wb") as handle:
            _put(handle, text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)


def _may_replace(path: Path, st: os.stat_result, shown: str = "") -> None:
    """Refuse to replace an input of the run, a folder or anything but a regular file."""
    if (st.st_dev, st.st_ino) in _inputs:
        raise InputError(
            say("{path}: is an input of this run{shown}; refusing to overwrite it", path=path, shown=shown)
        )
    if stat.S_ISDIR(st.st_mode):
        raise InputError(say("{path}: is a folder; give a file name", path=path))
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            say("{path}: is {kind}; only regular files are written", path=path, kind=kind_of(st.st_mode))
        )


def write_hidden(path: Path, text: str | bytes | Iterable[str], token: str) -> None:
    """Write ``text`` (or the file's bytes) to a hidden file beside ``path`` (named by ``token``),
    neither synced to disk nor named yet: ``publish`` does both for many files at once. The rule
    above holds, checked with one ``lstat``: a symbolic link at ``path`` is replaced, never
    followed. The folder is the caller's, checked once (a batch writes thousands of files into it)."""
    try:
        st: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(_unwritable(path, exc)) from None
    keep = st is not None and not stat.S_ISLNK(st.st_mode)
    if st is not None and keep:
        _may_replace(path, st)
    folder, name = os.path.split(path)  # the hidden file's path as text: no Path made per report
    hidden = os.path.join(folder, _hidden_name(name, token))
    try:  # a new file gets 0666 less the umask from open itself; a replaced one keeps its mode
        fd = os.open(
            hidden,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
            0o600 if keep else 0o666,
        )
    except OSError as exc:
        raise InputError(_unwritable(path, exc)) from None
    with _cleaning(path, hidden):
        with os.fdopen(fd, "wb") as handle:
            _put(handle, text)
        if st is not None and keep:
            os.chmod(hidden, stat.S_IMODE(st.st_mode))


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
            raise InputError(_unwritable(path, exc)) from None
    for folder in {path.parent for _, path in pairs}:
        _sync_folder(folder)


def discard(folder: Path, token: str) -> None:
    """Remove the hidden files ``write_hidden`` left in ``folder`` under ``token`` (never published)."""
    suffix = f".{token}.tmp"
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(suffix):
                Path(entry.path).unlink(missing_ok=True)


def _hidden(path: Path, token: str) -> Path:
    """The hidden file ``write_hidden`` writes for ``path`` (``_hidden_name``)."""
    return path.with_name(_hidden_name(path.name, token))


def _hidden_name(name: str, token: str) -> str:
    """``.NAME.CRC.TOKEN.tmp``, cut to fit in ``NAME_MAX`` bytes (the checksum of the whole
    name keeps two long names that share their start apart)."""
    crc = f"{zlib.crc32(name.encode('utf-8', 'surrogateescape')):08x}"
    return f"{temp_prefix(name, len(crc) + 1 + len(token))}{crc}.{token}.tmp"


def _put(handle: IO[bytes], text: str | bytes | Iterable[str]) -> None:
    if isinstance(text, bytes):
        handle.write(text)
    elif isinstance(text, str):
        handle.write(text.encode("utf-8"))
    else:
        for piece in text:
            handle.write(piece.encode("utf-8"))


class _cleaning:  # noqa: N801 - used as ``with _cleaning(...)``, as a function would be
    """Remove ``temporary`` when writing fails (a signal too); a failure to write says so in one line.

    A class, not a generator: it is entered twice a profile by a batch that writes reports,
    and ``contextlib``'s generator costs some 25,000 instructions each time."""

    __slots__ = ("path", "temporary")

    def __init__(self, path: Path | str, temporary: Path | str) -> None:
        self.path, self.temporary = path, temporary

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        if exc is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temporary)
        if isinstance(exc, OSError):
            raise InputError(_unwritable(self.path, exc)) from None


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


def _unwritable(path: Path | str, exc: OSError) -> str:
    return say("{path}: cannot write ({reason})", path=path, reason=os_reason(exc))
