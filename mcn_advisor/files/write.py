"""Writing reports safely: whole or not at all, never over a file the user gave as input."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from mcn_advisor.errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str | Iterable[str], *, protect: tuple[Path, ...] = ()) -> None:
    """Write ``text`` (or its pieces, as they come) to ``path`` through a temporary file and a rename.

    A reader sees the old file or the new one, never half of either. ``protect``
    lists the inputs of the run: writing over one of them is refused.
    """
    target = path.resolve()
    if any(target == p.resolve() for p in protect):
        raise InputError(f"{path}: is an input of this run; refusing to overwrite it")
    if target.is_dir():
        raise InputError(f"{path}: is a folder; give a file name")
    if not target.parent.is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                handle.writelines(text)
            handle.flush()
            os.fsync(handle.fileno())
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_TEMP = re.compile(r"^\.(?P<target>.+)\.[A-Za-z0-9_]+\.tmp$")


def leftover_temps(folder: Path) -> Iterator[tuple[Path, str]]:
    """Temporary files of ``write_atomic`` in ``folder``, each with the file it was writing.

    Only a process killed mid-write leaves one; whoever killed it removes them.
    """
    with os.scandir(folder) as entries:
        for entry in entries:
            m = _TEMP.match(entry.name)
            if m and entry.is_file(follow_symlinks=False):
                yield Path(entry.path), m["target"]
