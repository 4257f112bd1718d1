"""Reading an input file: regular files only, within a size limit, as UTF-8 text.

A FIFO, a device (``/dev/zero``, ``/dev/urandom``) or a folder is refused before a
byte is read, so nothing can hang the run or fill its memory; a file over its size
limit is refused without reading it whole. A file of rows (a CSV survey) has no size
limit: ``open_stream`` checks it a block at a time and hands it on as a stream, its
lines bounded. Every file read is registered with ``files.write`` so that no output of
the run is ever written over it.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from mcn_advisor.errors import InputError
from mcn_advisor.files.limits import MAX_FILE_BYTES, MAX_LINE_CHARS, MIB
from mcn_advisor.files.write import kind_of, protect

# Opening a FIFO for reading waits for a writer unless it is opened non-blocking.
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
BLOCK = 1 << 20  # bytes a stream is checked by at a time
_BINARY = "{path}: not a text file (it contains binary data)"
_NOT_UTF8 = "{path}:{line}: not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8"


def _open(path: Path | str, error: type[InputError]) -> tuple[int, os.stat_result]:
    """A descriptor of a regular file, with its status, or ``error`` naming the file."""
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
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_bytes(
    path: Path | str,
    error: type[InputError] = InputError,
    *,
    limit: int = MAX_FILE_BYTES,
    what: str = "a file",
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or ``error`` naming the file."""
    fd, st = _open(path, error)
    try:
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
        raise error(_BINARY.format(path=path))
    try:
        text = data.decode("utf-8")  # not utf-8-sig: its error positions would skip the BOM
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(_NOT_UTF8.format(path=path, line=line, byte=data[exc.start])) from None
    return text.removeprefix("\ufeff")  # a byte-order mark, as spreadsheets on Windows save


def open_stream(path: Path | str, error: type[InputError] = InputError) -> IO[str]:
    """A regular UTF-8 text file of any size, opened as a stream of text (a BOM skipped,
    newlines kept for the csv module): checked whole first, a block at a time, so a file too
    large to hold (a survey of a million rows) is read with memory that does not grow."""
    fd, st = _open(path, error)
    try:
        _check_blocks(fd, path, error)
        os.lseek(fd, 0, os.SEEK_SET)
        handle = open(fd, encoding="utf-8-sig", newline="")  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        os.close(fd)
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except BaseException:
        os.close(fd)
        raise
    protect(st)
    return handle


def check_text(path: Path | str, error: type[InputError] = InputError) -> None:
    """Raise what ``open_stream`` would raise for this file now (a file changed while read)."""
    fd, _ = _open(path, error)
    try:
        _check_blocks(fd, path, error)
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def _check_blocks(fd: int, path: Path | str, error: type[InputError]) -> None:
    """What ``read_text`` would refuse, found a block at a time: a NUL byte anywhere says
    "binary" first; else the line and value of the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    bad: tuple[int, int] | None = None  # (line, byte) of the first invalid UTF-8
    lines = 0  # line breaks before the block
    for block in iter(lambda: os.read(fd, BLOCK), b""):
        if b"\x00" in block:
            raise error(_BINARY.format(path=path))
        if bad is None:
            seen = decoder.getstate()[0] + block  # bytes held back (never a line break), then the block
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                bad = (lines + seen[: exc.start].count(b"\n") + 1, seen[exc.start])
        lines += block.count(b"\n")
    if bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:  # the file ends inside a character
            bad = (lines + 1, exc.object[exc.start])
    if bad is not None:
        raise error(_NOT_UTF8.format(path=path, line=bad[0], byte=bad[1]))


class LongLine(InputError):
    """A line of a stream longer than ``MAX_LINE_CHARS``: the lines before it were good."""


def bounded_lines(handle: IO[str], name: str) -> Iterator[str]:
    """The lines of a stream, each at most ``MAX_LINE_CHARS`` characters: a longer one (a file
    without line breaks) raises ``LongLine`` with its line number instead of being held whole."""
    number = 0
    while line := handle.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise LongLine(f"{name}:{number}: a line longer than {MAX_LINE_CHARS:,} characters")
        yield line
