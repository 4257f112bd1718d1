"""Reading an input file: regular files only, within a size limit, as UTF-8 text.

A FIFO, a device (``/dev/zero``, ``/dev/urandom``) or a folder is refused before a
byte is read, so nothing can hang the run or fill its memory; a file over its size
limit is refused without reading it whole. Every file read is registered with
``files.write`` so that no output of the run is ever written over it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mcn_advisor.errors import InputError
from mcn_advisor.files.limits import MAX_FILE_BYTES, MIB
from mcn_advisor.files.write import kind_of, protect

# Opening a FIFO for reading waits for a writer unless it is opened non-blocking.
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_bytes(
    path: Path | str,
    error: type[InputError] = InputError,
    *,
    limit: int = MAX_FILE_BYTES,
    what: str = "a file",
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or ``error`` naming the file."""
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except PermissionError:
        raise error(f"{path}: permission denied") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise error(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{path}: is {kind_of(st.st_mode)}; only regular files are read")
        if st.st_size > limit:
            raise error(_too_big(path, st.st_size, limit, what))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # files in /proc say size 0 and hold more: read up to the limit only
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise error(_too_big(path, size, limit, what))
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    protect(st)
    return b"".join(chunks)


def _too_big(path: Path | str, size: int, limit: int, what: str) -> str:
    return f"{path}: larger than {limit // MIB} MiB ({size / MIB:,.1f} MiB or more), the most {what} may hold"


def read_text(
    path: Path | str,
    error: type[InputError] = InputError,
    *,
    limit: int = MAX_FILE_BYTES,
    what: str = "a file",
) -> str:
    """Read a UTF-8 text file (a BOM is allowed), or raise ``error`` with one line naming the file."""
    data = read_bytes(path, error, limit=limit, what=what)
    if b"\x00" in data:
        raise error(f"{path}: not a text file (it contains binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(
            f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None
