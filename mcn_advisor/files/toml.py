"""Reading TOML files with errors that name the file, the line and the column.

Before tomllib sees a text, ``check_shape`` bounds what would make a parser recurse
too deep, take quadratic time or choke on a number (nesting, dotted keys, digits:
``files.limits``), with the line. tomllib parses but forgets where each key stood;
``key_lines`` recovers that from the text (only ever run on text tomllib accepted),
so that a schema error about ``clients.taobao_linked_share`` can point at the line
that sets it.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from mcn_advisor.errors import InputError, known, say, shorten
from mcn_advisor.files.limits import MAX_DIGITS, MAX_KEY_PARTS, MAX_NESTING

Loc = tuple[str | int, ...]

_TOML_POS = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$")
_TOML_EOF = re.compile(r"^(?P<msg>.*?)\s*\(at end of document\)$")

_BASIC = r'"(?!"")[^"\\\n]*(?:\\.[^"\\\n]*)*"'  # a one-line "string" with escapes (also JSON's strings)
_LITERAL = r"'(?!'')[^'\n]*'"
_PART = rf"(?:[A-Za-z0-9_-]+|{_BASIC}|{_LITERAL})"
# What matters for the bounds: brackets outside strings and comments, over-long dotted
# keys and digit runs. ``skip`` takes a whole run of strings and separators in one
# match (not words: a dotted key must be seen from its first part).
_SHAPE = re.compile(
    rf"""(?<![A-Za-z0-9_-])(?P<dotted>{_PART}(?:[ \t]*\.[ \t]*{_PART}){{{MAX_KEY_PARTS}}})
    |(?P<multi>\"\"\"|\'\'\')
    |(?P<skip>(?:{_BASIC}|{_LITERAL}|[ \t\r\n,=]+)+)
    |(?P<comment>\#[^\n]*)
    |(?P<open>[\[{{])
    |(?P<close>[\]}}])
    |(?<![A-Za-z0-9_.-])(?P<digits>[0-9][0-9_]{{{MAX_DIGITS}}})""",
    re.X,
)

# Quick tests for the three, run first over the whole text at C speed; strings may hold
# what they look for, so a hit is confirmed, and given its line, by the scan above.
_AS_ZERO = bytes.maketrans(b"123456789_", b"0000000000")  # a run of digits becomes a run of zeros
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_PAIR = re.compile(rb"\[\]|\{\}")
_KEY_PART = r"""[ \t]*(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')[ \t]*"""
_DOTS = re.compile(rf"\.{_KEY_PART}(?:\.{_KEY_PART}){{{MAX_KEY_PARTS - 1}}}")  # starts with a dot: fast


def _may_break_bounds(text: str) -> bool:
    """Whether ``text`` may nest too deep or hold a too-long dotted key or number."""
    if _DOTS.search(text):
        return True
    raw = text.encode("utf-8", "surrogatepass")  # bytes translate at C speed, str does not
    if b"0" * (MAX_DIGITS + 1) in raw.translate(_AS_ZERO):
        return True
    brackets = raw.translate(None, _NOT_BRACKET)
    for _ in range(MAX_NESTING + 1):  # each pass removes the innermost pairs: one level
        brackets, removed = _PAIR.subn(b"", brackets)
        if not removed:
            return False
    return True


def check_shape(text: str, path: Path | str, error: Callable[[str], Exception] = InputError) -> None:
    """Refuse, with the line, text nested more than ``MAX_NESTING`` deep, a dotted key of
    more than ``MAX_KEY_PARTS`` parts, or a number of more than ``MAX_DIGITS`` digits.

    Linear, for TOML and JSON alike; whatever else is wrong is left to the parser, which
    then cannot recurse too deep or take quadratic time. (Brackets inside strings could
    hide depth from the quick test; the parser's own recursion error is then caught.)
    """
    if not _may_break_bounds(text):
        return
    depth = 0
    pos = 0
    while m := _SHAPE.search(text, pos):
        kind, pos = m.lastgroup, m.end()
        if kind == "open":
            depth += 1
            if depth > MAX_NESTING:
                raise error(
                    say(
                        "{path}:{line}: nested more than {limit} levels deep (arrays and tables inside one "
                        "another)",
                        path=path,
                        line=_line(text, m.start()),
                        limit=MAX_NESTING,
                    )
                )
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "multi":
            pos = _close_multi(text, pos, m.group())
            if pos < 0:
                return  # never closed: the parser says where
        elif kind == "dotted":
            raise error(
                say(
                    "{path}:{line}: a dotted key of more than {limit} parts",
                    path=path,
                    line=_line(text, m.start()),
                    limit=MAX_KEY_PARTS,
                )
            )
        elif kind == "digits":
            start = text.rfind("\n", 0, m.start()) + 1
            shown = shorten(text[start : m.start() + 20].strip(), 60)  # the key, and the number cut
            raise error(
                say(
                    "{path}:{line}: a number of more than {limit} digits: {shown}",
                    path=path,
                    line=_line(text, m.start()),
                    limit=f"{MAX_DIGITS:,}",
                    shown=shown,
                )
            )


def _close_multi(text: str, pos: int, quotes: str) -> int:
    """Where the multi-line string opened by ``quotes`` just before ``pos`` ends (-1: never)."""
    while True:
        end = text.find(quotes, pos)
        if end < 0:
            return -1
        start = end
        while quotes == '"""' and start > pos and text[start - 1] == "\\":
            start -= 1
        if (end - start) % 2:  # an escaped quote: look further
            pos = end + 1
            continue
        end += 3
        for _ in range(2):  # up to two more quotes belong to the content
            if text.startswith(quotes[0], end):
                end += 1
        return end


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def parse_toml(text: str, path: Path | str, error: type[InputError] = InputError) -> dict[str, Any]:
    """Parse TOML text within the bounds; a syntax error becomes ``path:line:col: message``."""
    if not text.strip():
        raise error(say("{path}: file is empty", path=path))
    check_shape(text, path, error)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 gives lineno/colno; older versions only put them in the message.
        message = str(exc.args[0] if exc.args else exc).splitlines()[0]
        m = _TOML_POS.match(message)
        if m:
            raise error(
                say(
                    "{path}:{line}:{col}: TOML syntax error: {msg}",
                    path=path,
                    line=m["line"],
                    col=m["col"],
                    msg=_lower(m["msg"]),
                )
            ) from None
        m = _TOML_EOF.match(message)
        if m:
            line = text.count("\n") + 1
            raise error(
                say(
                    "{path}:{line}: TOML syntax error: {msg} at end of file",
                    path=path,
                    line=line,
                    msg=_lower(m["msg"]),
                )
            ) from None
        raise error(say("{path}: TOML syntax error: {message}", path=path, message=message)) from None
    except (RecursionError, ValueError) as exc:  # past check_shape this is a bug; still one line
        raise error(
            say("{path}: cannot be read as TOML ({kind})", path=path, kind=type(exc).__name__)
        ) from None


MORE_THAN_ONE = say("more than one value")


def parse_value(raw: str) -> Any:
    """One TOML value written alone (``true``, ``0.3``, ``"text"``, ``["a", "b"]``).

    Raises ``ValueError`` when ``raw`` is not exactly one value: a line break cannot
    smuggle a second key in.
    """
    text = f"v = {raw}"
    try:
        check_shape(text, "value", ValueError)
        data = tomllib.loads(text)
    except (RecursionError, ValueError) as exc:  # TOMLDecodeError is a ValueError
        raise ValueError(str(exc)) from None
    if list(data) != ["v"]:
        raise ValueError(MORE_THAN_ONE)
    return data["v"]


def _lower(msg: str) -> str:
    """The parser's message, lower-cased to follow a colon, and said in a way that can be
    translated when it is one the parser is known to give (tomllib's and tomli's)."""
    msg = msg[:1].lower() + msg[1:]
    if msg in _PARSER_FIXED:
        return _PARSER_FIXED[msg]
    for pattern, saying in _PARSER_SAYS:
        m = pattern.fullmatch(msg)
        if m:
            return saying(**m.groupdict())
    return msg


_PARSER_FIXED = known(
    say("cannot overwrite a value"),
    say("escaped character is not a Unicode scalar value"),
    say("expected '=' after a key in a key/value pair"),
    say("expected ']' at the end of a table declaration"),
    say("expected ']]' at the end of an array declaration"),
    say("expected newline or end of document after a statement"),
    say("invalid date or datetime"),
    say("invalid hex value"),
    say("invalid initial character for a key part"),
    say("invalid statement"),
    say("invalid value"),
    say("unclosed array"),
    say("unclosed inline table"),
    say("unescaped '\\' in a string"),
    say("unterminated string"),
)
_PARSER_SAYS: list[tuple[re.Pattern[str], Callable[..., str]]] = [
    (re.compile(p), f)
    for p, f in (
        (r"cannot declare (?P<key>.+) twice", lambda key: say("cannot declare {key} twice", key=key)),
        (
            r"cannot mutate immutable namespace (?P<key>.+)",
            lambda key: say("cannot mutate immutable namespace {key}", key=key),
        ),
        (
            r"cannot redefine namespace (?P<key>.+)",
            lambda key: say("cannot redefine namespace {key}", key=key),
        ),
        (
            r"duplicate inline table key (?P<key>.+)",
            lambda key: say("duplicate inline table key {key}", key=key),
        ),
        (r"expected (?P<what>'.*')", lambda what: say("expected {what}", what=what)),
        (
            r"found invalid character (?P<char>.+)",
            lambda char: say("found invalid character {char}", char=char),
        ),
        (r"illegal character (?P<char>.+)", lambda char: say("illegal character {char}", char=char)),
    )
]


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of ``loc``, else of its nearest ancestor that has one."""
    for end in range(len(loc), 0, -1):
        line = lines.get(tuple(loc[:end]))
        if line is not None:
            return line
    return None


def key_lines(text: str) -> dict[Loc, int]:
    """Map each key path (as pydantic writes ``loc``) to the 1-based line that sets it.

    Linear in the text: the walk counts line breaks as it moves forward, never from the start.
    """
    scanner = _Scanner(text)
    with contextlib.suppress(IndexError, ValueError):  # only valid TOML reaches here
        scanner.document()
    return scanner.lines


_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BLANK = re.compile(r"(?:[ \t\r]|#[^\n]*)*")
_BLANK_LINES = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
_BASIC_STRING = re.compile(_BASIC)
_LITERAL_STRING = re.compile(_LITERAL)
_SCALAR = re.compile(r"[^,\]}\n#]*")
# A plain item of an array (a one-line string or a scalar) with the blanks around it and
# its comma, in one match: the common case of long lists. The blanks can be split one
# way only, so that a failed match never backtracks through ways of splitting them.
_GAP = r"[ \t\r\n]*(?:\#[^\n]*(?![^\n])[ \t\r\n]*)*"  # a comment runs to the end of its line
_ITEM = re.compile(rf"""{_GAP}(?P<item>{_BASIC}|{_LITERAL}|[^\s,\[\]{{}}\#"'][^,\]}}\n\#]*){_GAP},?""", re.X)
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(raw: str) -> str:
    """A basic string's content with its escapes resolved, as TOML reads it."""

    def one(m: re.Match[str]) -> str:
        code = m[1] or m[2]
        return chr(int(code, 16)) if code else _ESCAPES.get(m[3], m[3])

    return _ESCAPE.sub(one, raw)


class _Scanner:
    """A structural walk over valid TOML: keys, tables, arrays; values are skipped.

    Nesting is bounded by ``check_shape``, which every text passed before tomllib
    accepted it, so the recursion through ``_value`` is too.
    """

    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.lines: dict[Loc, int] = {}
        self._aot_count: dict[Loc, int] = {}
        self._at, self._at_line = 0, 1  # the last position asked for, and its line

    @property
    def line(self) -> int:
        return self._line_at(self.i)

    def _line_at(self, pos: int) -> int:
        # The walk only moves forward: count the line breaks since the last position asked.
        if pos >= self._at:
            self._at_line += self.s.count("\n", self._at, pos)
            self._at = pos
            return self._at_line
        return self.s.count("\n", 0, pos) + 1

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
                    raise ValueError(say("not a key"))
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
                while m := _ITEM.match(self.s, self.i):  # plain items: one anchored match each
                    self.lines[(*path, index)] = self._line_at(m.start("item"))
                    index += 1
                    self.i = m.end()
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
            self.i = _SCALAR.match(self.s, self.i).end()  # type: ignore[union-attr]

    def _string(self) -> str:
        s, i = self.s, self.i
        quote = s[i]
        if s.startswith(quote * 3, i):
            self.i = _close_multi(s, i + 3, quote * 3)
            if self.i < 0:
                raise ValueError(say("unterminated string"))
            return s[i + 3 : self.i - 3]
        m = (_BASIC_STRING if quote == '"' else _LITERAL_STRING).match(s, i)
        if not m:
            raise ValueError(say("unterminated string"))
        self.i = m.end()
        raw = m.group()[1:-1]
        return _unescape(raw) if quote == '"' and "\\" in raw else raw

    def _skip(self, newlines: bool = False) -> None:
        self.i = (_BLANK_LINES if newlines else _BLANK).match(self.s, self.i).end()  # type: ignore[union-attr]
