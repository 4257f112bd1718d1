"""Reading an input file: regular files only, within a size limit, as text.

A FIFO, a device (``/dev/zero``, ``/dev/urandom``) or a folder is refused before a
byte is read, so nothing can hang the run or fill its memory; a file over its size
limit is refused without reading it whole. A file of rows (a CSV survey) has no size
limit: ``open_stream`` checks it a block at a time (and finds its encoding: UTF-8,
UTF-16 with a byte-order mark, or GB18030) and hands it on as a stream, its lines
bounded. Profiles and packs are UTF-8 (``read_text``). Every file read is registered
with ``files.write`` so that no output of the run is ever written over it.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

from mcn_advisor.errors import InputError, os_reason, say
from mcn_advisor.files.limits import (
    MAX_FILE_BYTES,
    MAX_LINE_CHARS,
    MAX_XLSX_PART_BYTES,
    MAX_XLSX_PARTS,
    MAX_XLSX_SHEET_BYTES,
    MIB,
)
from mcn_advisor.files.write import kind_of, protect

# Opening a FIFO for reading waits for a writer unless it is opened non-blocking.
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
BLOCK = 1 << 20  # bytes a stream is checked by at a time


def _binary(path: Path | str) -> str:
    return say("{path}: not a text file (it contains binary data)", path=path)


def _not_utf8(path: Path | str, line: int, byte: int) -> str:
    return say(
        "{path}:{line}: not valid UTF-8 (byte 0x{byte}); save the file as UTF-8",
        path=path,
        line=line,
        byte=f"{byte:02x}",
    )


def _open(path: Path | str, error: type[InputError]) -> tuple[int, os.stat_result]:
    """A descriptor of a regular file, with its status, or ``error`` naming the file."""
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise error(say("{path}: no such file", path=path)) from None
    except PermissionError:
        raise error(say("{path}: permission denied", path=path)) from None
    except OSError as exc:
        raise error(_unreadable(path, exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise error(say("{path}: is a folder, not a file", path=path))
        if not stat.S_ISREG(st.st_mode):
            raise error(
                say("{path}: is {kind}; only regular files are read", path=path, kind=kind_of(st.st_mode))
            )
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_bytes(
    path: Path | str,
    error: type[InputError] = InputError,
    *,
    limit: int = MAX_FILE_BYTES,
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or ``error`` naming the file."""
    fd, st = _open(path, error)
    try:
        if st.st_size > limit:
            raise error(_too_big(path, st.st_size, limit))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # files in /proc say size 0 and hold more: read up to the limit only
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise error(_too_big(path, size, limit))
    except OSError as exc:
        raise error(_unreadable(path, exc)) from None
    finally:
        os.close(fd)
    protect(st)
    return b"".join(chunks)


def _too_big(path: Path | str, size: int, limit: int) -> str:
    return say(
        "{path}: larger than {limit} MiB ({size} MiB or more), the most a file may hold",
        path=path,
        limit=limit // MIB,
        size=f"{size / MIB:,.1f}",
    )


def read_text(
    path: Path | str,
    error: type[InputError] = InputError,
    *,
    limit: int = MAX_FILE_BYTES,
) -> str:
    """Read a UTF-8 text file (a BOM is allowed), or raise ``error`` with one line naming the file."""
    data = read_bytes(path, error, limit=limit)
    if b"\x00" in data:
        raise error(_binary(path))
    try:
        text = data.decode("utf-8")  # not utf-8-sig: its error positions would skip the BOM
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(_not_utf8(path, line, data[exc.start])) from None
    return text.removeprefix("\ufeff")  # a byte-order mark, as spreadsheets on Windows save


def open_stream(path: Path | str, error: type[InputError] = InputError) -> tuple[IO[str], int]:
    """A regular text file of any size, opened as a stream of text (a BOM skipped, newlines
    kept for the csv module), and its count of lines: checked whole first, a block at a time,
    so a file too large to hold (a survey of a million rows) is read with memory that does not
    grow.

    Its encoding is found as spreadsheets on Windows save: a byte-order mark first (UTF-8,
    UTF-16 LE or BE), else UTF-8 when every byte fits, else GB18030 (a superset of GBK, what
    Excel and WPS save in a Chinese locale) when every byte fits that. The stream's
    ``encoding`` names it (``ENCODING_NAMES`` gives how a user reads it).
    """
    fd, st = _open(path, error)
    try:
        encoding, lines = _check_blocks(fd, path, error)
        os.lseek(fd, 0, os.SEEK_SET)
        handle = open(fd, encoding=encoding, newline="")  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        os.close(fd)
        raise error(_unreadable(path, exc)) from None
    except BaseException:
        os.close(fd)
        raise
    protect(st)
    return handle, lines


def check_text(path: Path | str, error: type[InputError] = InputError) -> None:
    """Raise what ``open_stream`` would raise for this file now (a file changed while read)."""
    fd, _ = _open(path, error)
    try:
        _check_blocks(fd, path, error)
    except OSError as exc:
        raise error(_unreadable(path, exc)) from None
    finally:
        os.close(fd)


# Codec names ``open_stream`` opens with -> as a message names them.
ENCODING_NAMES = {"utf-8-sig": "UTF-8", "gb18030": "GB18030", "utf-16": "UTF-16"}
_BOMS = (  # (mark, codec to check with, codec that counts its lines)
    (codecs.BOM_UTF8, "utf-8", None),  # (utf-8-sig would give error positions past the mark)
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)
_WORKBOOKS = {  # how a workbook's file starts, and what to tell one given as CSV
    b"PK\x03\x04": say("an Excel workbook (.xlsx), not CSV; name it FILE.xlsx to read its first sheet"),
    b"\xd0\xcf\x11\xe0": say("an Excel 97-2003 workbook (.xls), not CSV; save it as .xlsx or CSV (UTF-8)"),
}


class _Decoding:
    """One candidate encoding, fed a file a block at a time: where it first fails, if it does."""

    def __init__(self, encoding: str, lines_in: str | None = None):
        self.encoding = encoding
        self._lines_in = lines_in  # a codec whose line breaks are not the byte 0x0a (UTF-16)
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self.bad: tuple[int, int] | None = None  # (line, byte) of the first byte that does not fit
        self.at = -1  # offset of that byte in the file

    def feed(self, block: bytes, offset: int, lines: int, final: bool = False) -> str:
        if self.bad is not None:
            return ""
        held = self._decoder.getstate()[0]  # bytes held back (never a line break), then the block
        try:
            return self._decoder.decode(block, final=final)
        except UnicodeDecodeError as exc:
            before = (held + block)[: exc.start]
            breaks = (
                before.decode(self._lines_in, "replace").count("\n")
                if self._lines_in
                else before.count(b"\n")
            )
            self.bad = (lines + breaks + 1, (held + block)[exc.start])
            self.at = offset - len(held) + exc.start
            return ""


def _check_blocks(fd: int, path: Path | str, error: type[InputError]) -> tuple[str, int]:
    """The codec to read the file with (see ``open_stream``) and its count of lines (a last
    line without a break counts), found a block at a time; a NUL byte (or, in UTF-16, a NUL
    character) says "binary"; else the line and value of the first byte that fits no encoding
    tried."""
    first = os.read(fd, BLOCK)
    bom: tuple[str, str | None] | None = next(
        ((codec, lines_in) for mark, codec, lines_in in _BOMS if first.startswith(mark)), None
    )
    for magic, what in _WORKBOOKS.items():
        if first.startswith(magic):
            raise error(say("{path}: {what}", path=path, what=what))
    wide = bom is not None and bom[0] == "utf-16"
    candidates = [_Decoding("utf-8"), _Decoding("gb18030")] if bom is None else [_Decoding(*bom)]
    lines, offset = 0, 0
    block = first
    ended = True  # the text so far ends with a line break (or is empty)
    while block:
        if not wide and b"\x00" in block:
            raise error(_binary(path))
        for candidate in candidates:
            text = candidate.feed(block, offset, lines)
            if wide:
                if "\x00" in text:
                    raise error(_binary(path))
                lines += text.count("\n")
                ended = text.endswith("\n") if text else ended
        if not wide:
            lines += block.count(b"\n")
            ended = block.endswith(b"\n")
        if all(c.bad is not None for c in candidates):
            break
        offset += len(block)
        block = os.read(fd, BLOCK)
    for candidate in candidates:
        candidate.feed(b"", offset, lines, final=True)
        if candidate.bad is None:
            return ("utf-8-sig" if candidate.encoding == "utf-8" else candidate.encoding), lines + (not ended)
    worst = max(candidates, key=lambda c: c.at)  # the encoding that read the furthest tells
    line, byte = worst.bad  # type: ignore[misc]
    if worst.encoding == "utf-8":
        raise error(_not_utf8(path, line, byte))
    name = ENCODING_NAMES.get(worst.encoding, worst.encoding) + (
        bom[1][-3:].upper() if bom and bom[1] else ""
    )
    raise error(
        say(
            "{path}:{line}: not valid {name} (byte 0x{byte}); save the file as UTF-8",
            path=path,
            line=line,
            name=name,
            byte=f"{byte:02x}",
        )
    )


def open_workbook(path: Path | str, error: type[InputError] = InputError) -> BinaryIO:
    """A regular file that is a well-formed zip archive of an .xlsx workbook, its parts within
    their bounds (``files.limits``), opened for reading: checked from the archive's directory
    before anything is unzipped, so a zip bomb is refused without inflating a byte. Each part
    then inflates to at most the size the directory gives (``zipfile`` stops there, and a
    part that lies fails its checksum)."""
    import zipfile  # only a workbook pays for it

    fd, st = _open(path, error)
    handle = open(fd, "rb")  # noqa: SIM115 - the caller closes it
    try:
        try:
            with zipfile.ZipFile(handle) as archive:
                parts = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError):
            raise error(
                say("{path}: not an .xlsx workbook (not a readable zip archive)", path=path)
            ) from None
        if len(parts) > MAX_XLSX_PARTS:
            raise error(
                say(
                    "{path}: {parts} parts in the workbook, more than {limit}",
                    path=path,
                    parts=f"{len(parts):,}",
                    limit=f"{MAX_XLSX_PARTS:,}",
                )
            )
        for part in parts:
            sheet = part.filename.startswith("xl/worksheets/")
            limit = MAX_XLSX_SHEET_BYTES if sheet else MAX_XLSX_PART_BYTES
            if part.file_size > limit:
                raise error(
                    say(
                        "{path}: {filename} unzips to {file_size} MiB, more than the {limit} MiB a "
                        "workbook's {part} may hold",
                        path=path,
                        filename=part.filename,
                        file_size=f"{part.file_size / MIB:,.0f}",
                        limit=f"{limit // MIB:,}",
                        part=say("sheet") if sheet else say("part"),
                    )
                )
        if "[Content_Types].xml" not in {part.filename for part in parts}:
            raise error(
                say("{path}: not an .xlsx workbook (a zip archive without [Content_Types].xml)", path=path)
            )
        handle.seek(0)
    except OSError as exc:
        handle.close()
        raise error(_unreadable(path, exc)) from None
    except BaseException:
        handle.close()
        raise
    protect(st)
    return handle


class LongLine(InputError):
    """A line of a stream longer than ``MAX_LINE_CHARS``: the lines before it were good."""


def bounded_lines(handle: IO[str], name: str) -> Iterator[str]:
    """The lines of a stream, each at most ``MAX_LINE_CHARS`` characters: a longer one (a file
    without line breaks) raises ``LongLine`` with its line number instead of being held whole."""
    number = 0
    while line := handle.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise LongLine(
                say(
                    "{name}:{number}: a line longer than {limit} characters",
                    name=name,
                    number=number,
                    limit=f"{MAX_LINE_CHARS:,}",
                )
            )
        yield line


def _unreadable(path: Path | str, exc: OSError) -> str:
    return say("{path}: cannot be read ({reason})", path=path, reason=os_reason(exc))
