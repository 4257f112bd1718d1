"""Reading TOML files with errors that name the file, the line and the column.

tomllib parses but forgets where each key stood; ``key_lines`` recovers that from
the text (only ever run on text tomllib accepted), so that a schema error about
``clients.taobao_linked_share`` can point at the line that sets it.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from mcn_advisor.errors import InputError

Loc = tuple[str | int, ...]

_TOML_POS = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$")
_TOML_EOF = re.compile(r"^(?P<msg>.*?)\s*\(at end of document\)$")


BLOCK = 1 << 20  # bytes ``check_text`` reads at a time


def read_text(path: Path, error: type[InputError] = InputError) -> str:
    """Read a UTF-8 text file, or raise ``error`` with one line naming the file."""
    with _reading(path, error):
        data = path.read_bytes()
    if b"\x00" in data:
        raise error(_BINARY.format(path=path))
    try:
        text = data.decode("utf-8")  # not utf-8-sig: its error positions skip the BOM
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(_NOT_UTF8.format(path=path, line=line, byte=data[exc.start])) from None
    return text.removeprefix("\ufeff")  # a byte-order mark, as spreadsheets on Windows save


def check_text(path: Path, error: type[InputError] = InputError) -> None:
    """Raise what ``read_text`` would raise for this file, reading it a block at a time, so
    that a file too large to hold whole (a survey of a million rows) can be read as a stream.

    A NUL byte anywhere says "binary" first, as in ``read_text``; else the line and value of
    the first byte that is not UTF-8.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    bad: tuple[int, int] | None = None  # (line, byte) of the first invalid UTF-8
    lines = 0  # line breaks before the block
    with _reading(path, error), path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
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


_BINARY = "{path}: not a text file (it contains binary data)"
_NOT_UTF8 = "{path}:{line}: not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8"


@contextlib.contextmanager
def _reading(path: Path, error: type[InputError]) -> Iterator[None]:
    """Why a file cannot be read, as one line naming it."""
    try:
        yield
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise error(f"{path}: permission denied") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None


def parse_toml(text: str, path: Path | str, error: type[InputError] = InputError) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes ``path:line:col: message``."""
    if not text.strip():
        raise error(f"{path}: file is empty")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 gives lineno/colno; older versions only put them in the message.
        message = str(exc.args[0] if exc.args else exc).splitlines()[0]
        m = _TOML_POS.match(message)
        if m:
            raise error(f"{path}:{m['line']}:{m['col']}: TOML syntax error: {_lower(m['msg'])}") from None
        m = _TOML_EOF.match(message)
        if m:
            line = text.count("\n") + 1
            raise error(f"{path}:{line}: TOML syntax error: {_lower(m['msg'])} at end of file") from None
        raise error(f"{path}: TOML syntax error: {message}") from None


def parse_value(raw: str) -> Any:
    """One TOML value written alone (``true``, ``0.3``, ``"text"``, ``["a", "b"]``).

    Raises ``ValueError`` when ``raw`` is not exactly one value: a line break cannot
    smuggle a second key in.
    """
    try:
        data = tomllib.loads(f"v = {raw}")
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(str(exc)) from None
    if list(data) != ["v"]:
        raise ValueError("more than one value")
    return data["v"]


def _lower(msg: str) -> str:
    return msg[:1].lower() + msg[1:]


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of ``loc``, else of its nearest ancestor that has one."""
    for end in range(len(loc), 0, -1):
        line = lines.get(tuple(loc[:end]))
        if line is not None:
            return line
    return None


def key_lines(text: str) -> dict[Loc, int]:
    """Map each key path (as pydantic writes ``loc``) to the 1-based line that sets it."""
    scanner = _Scanner(text)
    with contextlib.suppress(IndexError, ValueError):  # only valid TOML reaches here
        scanner.document()
    return scanner.lines


_BARE = re.compile(r"[A-Za-z0-9_-]+")


class _Scanner:
    """A structural walk over valid TOML: keys, tables, arrays; values are skipped."""

    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.lines: dict[Loc, int] = {}
        self._aot_count: dict[Loc, int] = {}

    @property
    def line(self) -> int:
        return self.s.count("\n", 0, self.i) + 1

    def document(self) -> None:
        prefix: Loc = ()
        while True:
            self._skip(newlines=True)
            if self.i >= len(self.s):
                return
            if self.s.startswith("[[", self.i):
                self.i += 2
                path = self._in_arrays(self._key())
                self.i = self.s.index("]]", self.i) + 2
                n = self._aot_count.get(path, 0)
                self._aot_count[path] = n + 1
                prefix = (*path, n)
                self.lines.setdefault(path, self.line)
                self.lines[prefix] = self.line
            elif self.s[self.i] == "[":
                self.i += 1
                path = self._in_arrays(self._key())
                self.i = self.s.index("]", self.i) + 1
                prefix = path
                self.lines[prefix] = self.line
            else:
                self._keyval(prefix)

    def _in_arrays(self, path: Loc) -> Loc:
        # [fixtures.profile] after [[fixtures]] means the last fixture's profile.
        out: Loc = ()
        for i, part in enumerate(path):
            out = (*out, part)
            if out in self._aot_count and i < len(path) - 1:
                out = (*out, self._aot_count[out] - 1)
        return out

    def _keyval(self, prefix: Loc) -> None:
        start_line = self.line
        path = (*prefix, *self._key())
        for end in range(len(prefix) + 1, len(path) + 1):
            self.lines.setdefault(path[:end], start_line)
        self._skip()
        self.i += 1  # '='
        self._value(path)

    def _key(self) -> Loc:
        parts: list[str] = []
        while True:
            self._skip()
            c = self.s[self.i]
            if c in "\"'":
                parts.append(self._string())
            else:
                m = _BARE.match(self.s, self.i)
                if not m:
                    raise ValueError("not a key")
                parts.append(m.group())
                self.i = m.end()
            self._skip()
            if self.i < len(self.s) and self.s[self.i] == ".":
                self.i += 1
                continue
            return tuple(parts)

    def _value(self, path: Loc) -> None:
        self._skip()
        c = self.s[self.i]
        if c == "{":
            self.i += 1
            while True:
                self._skip()
                if self.s[self.i] == "}":
                    self.i += 1
                    return
                if self.s[self.i] == ",":
                    self.i += 1
                    continue
                self._keyval(path)
        elif c == "[":
            self.i += 1
            index = 0
            while True:
                self._skip(newlines=True)
                if self.s[self.i] == "]":
                    self.i += 1
                    return
                if self.s[self.i] == ",":
                    self.i += 1
                    continue
                self.lines[(*path, index)] = self.line
                self._value((*path, index))
                index += 1
        elif c in "\"'":
            self._string()
        else:
            while self.i < len(self.s) and self.s[self.i] not in ",]}\n#":
                self.i += 1

    def _string(self) -> str:
        s, i = self.s, self.i
        quote = s[i]
        if s.startswith(quote * 3, i):
            end = s.index(quote * 3, i + 3)
            while s.startswith(quote, end + 3):  # up to two quotes may close the content
                end += 1
            self.i = end + 3
            return s[i + 3 : end]
        j = i + 1
        while s[j] != quote:
            j += 2 if (quote == '"' and s[j] == "\\") else 1
        self.i = j + 1
        raw = s[i + 1 : j]
        return raw.encode().decode("unicode_escape") if quote == '"' and "\\" in raw else raw

    def _skip(self, newlines: bool = False) -> None:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            elif c == "#":
                nl = s.find("\n", self.i)
                self.i = len(s) if nl < 0 else nl
            else:
                return
