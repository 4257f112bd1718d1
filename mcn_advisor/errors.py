"""The failures a user can cause, each naming its place, and the words every error message uses.

The CLI turns an ``InputError`` into one line per problem on stderr and exit code 2.
Every message is made by ``say``: English here, and said again in the user's language
when the CLI prints it (``i18n.translate``, whose catalogue is keyed by the English).
"""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable
from typing import Any


class InputError(Exception):
    """Bad input: a file that cannot be read, parsed or validated, or a bad option.

    ``problems`` holds one line per problem, each already naming its file and
    line or field, so the CLI prints them as they are.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class Said(str):
    """An error text in English that keeps how it was made, so it can be said in another language.

    It is a ``str`` (its English), so everything that sorts, joins or compares problems
    works on it as on any text; its ``template`` is the key of its translation and its
    ``values`` fill the translated template (a value that is itself ``Said`` is translated
    too). Text made from it by string operations is plain English: build messages with
    ``say``, not ``+`` or f-strings.
    """

    template: str
    values: dict[str, Any]


def say(template: str, **values: Any) -> Said:
    """The message ``template`` with ``{placeholders}`` filled: ``say("{path}: is a folder", path=p)``.

    ``template`` is a literal (tests check each has its Chinese in ``i18n/errors.toml``,
    with the same placeholders); values are formatted by the caller (``f"{n:,}"``).
    """
    said = Said(template.format(**values) if values else template)
    said.template = template
    said.values = values
    return said


def known(*messages: Said) -> dict[str, Said]:
    """A library's fixed messages (a parser's), each found by its own English so that it can be
    said in another language: ``known(say("Extra data"), ...).get(msg, msg)``."""
    return {m: m for m in messages}


def in_turn(items: Iterable[str]) -> str:
    """``items`` one after another, separated by "; " (each said in its language in turn)."""
    told = ""
    for item in reversed(list(items)):
        told = say("{item}; {rest}", item=item, rest=told) if told else item
    return told


def message_of(exc: Exception) -> str:
    """An exception's message, still able to be said in another language (``str(exc)`` of a
    ``ValueError(say(...))`` is plain English)."""
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], Said) else str(exc)


class ProfileError(InputError):
    """A profile file that cannot be read, parsed or validated."""


class PackError(InputError):
    """A policy pack that cannot be read, parsed or validated."""


# --- how an error names what it found -------------------------------------------------


def suggest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The closest candidate to a misspelt ``word``, if any is close enough.

    The same letters in another order win outright (``=>`` is ``>=``, ``warehosuing``
    is ``warehousing``), then the closest by difflib's ratio (at least ``cutoff``).
    """
    options = list(candidates)
    for option in options:
        if sorted(option) == sorted(word) and option != word:
            return option
    found = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    match = suggest(word, candidates)
    return you_mean(match) if match else ""


def you_mean(match: str) -> Said:
    """The hint naming what was meant: "; did you mean 'clients.taobao_linked_share'?"."""
    return say("; did you mean '{match}'?", match=match)


# The operating system's reasons a user meets most, in the C library's English (strerror), said
# so they can be translated; any other keeps the system's words.
_OS_REASONS = {
    errno.EACCES: lambda: say("Permission denied"),
    errno.EPERM: lambda: say("Operation not permitted"),
    errno.ENOENT: lambda: say("No such file or directory"),
    errno.ENOTDIR: lambda: say("Not a directory"),
    errno.EISDIR: lambda: say("Is a directory"),
    errno.ENAMETOOLONG: lambda: say("File name too long"),
    errno.ELOOP: lambda: say("Too many levels of symbolic links"),
    errno.ENOSPC: lambda: say("No space left on device"),
    errno.EROFS: lambda: say("Read-only file system"),
    errno.EEXIST: lambda: say("File exists"),
    errno.EMFILE: lambda: say("Too many open files"),
    errno.EIO: lambda: say("Input/output error"),
}


def os_reason(exc: OSError) -> str:
    """Why the system refused, in words ``i18n.translate`` can say in Chinese."""
    reason = _OS_REASONS.get(exc.errno or 0)
    return reason() if reason else str(exc.strerror or exc)


def show_value(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it in TOML, on one line, shortened to ``limit`` characters.

    Built piece by piece and cut as soon as it is long enough: a huge list, a megabyte
    of text or an integer of thousands of digits is never written out whole.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * limit:
        return _huge(value)
    parts: list[str] = []
    size = 0
    stack: list[Any] = [value]
    while stack and size <= limit:
        item = stack.pop()
        if isinstance(item, _Raw):
            piece = item.text
        elif isinstance(item, bool):
            piece = "true" if item else "false"
        elif isinstance(item, str):
            cut = item[: limit + 1]
            piece = '"' + cut.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            piece += '"' if cut == item else ""
        elif isinstance(item, int) and item.bit_length() > 4 * limit:  # str() of it would be huge
            piece = _huge(item)
        elif isinstance(item, float):
            piece = repr(item)
        elif isinstance(item, (dict, list, tuple)):
            pairs = list(item.items())[: limit + 1] if isinstance(item, dict) else None
            entries = (
                [(_Raw(f"{str(k)[: limit + 1]} = "), v) for k, v in pairs]
                if pairs is not None
                else [(None, v) for v in item[: limit + 1]]
            )
            pieces: list[Any] = [_Raw("{" if pairs is not None else "[")]
            for n, (key, v) in enumerate(entries):
                pieces += [_Raw(", ")] if n else []
                pieces += [key, v] if key is not None else [v]
            pieces.append(_Raw("}" if pairs is not None else "]"))
            stack.extend(reversed(pieces))
            continue
        else:
            piece = str(item)[: limit + 1]
        parts.append(piece)
        size += len(piece)
    text = visible("".join(parts), one_line=True)
    return text if len(text) <= limit and not stack else text[: limit - 3] + "..."


def _huge(value: int) -> str:
    digits = int(value.bit_length() * 0.30103) + 1  # log10(2): no str() of a huge int
    sign = "-" if value < 0 else ""
    return say("{sign}an integer of about {digits} digits", sign=sign, digits=f"{digits:,}")


class _Raw:
    """Text that ``show_value`` writes as it is (brackets, separators, keys)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


# --- text from a file, shown on a terminal ------------------------------------------------

# Characters that would act on a terminal instead of showing (C0 but tab and line feed,
# DEL, C1) or reorder what is shown (bidirectional controls): each gets a visible stand-in.
_VISIBLE = {
    **{c: chr(0x2400 + c) for c in range(32) if c not in (9, 10)},  # U+2400 "control pictures"
    0x7F: "\u2421",
    **{c: f"\\x{c:02x}" for c in range(0x80, 0xA0)},
    **{
        c: f"\\u{c:04x}"
        for c in (0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
    },
}
_VISIBLE_ONE_LINE = {**_VISIBLE, 10: "\u2424"}


def visible(text: str, *, one_line: bool = False) -> str:
    """``text`` with every control character shown instead of obeyed (``\\x1b`` as ``\u241b``).

    Text from a profile, a pack or a saved file can carry escape sequences that would
    recolour the terminal, set its title or reorder a line; shown this way they are
    harmless and still visible. ``one_line`` also shows line breaks, for error lines.
    """
    if text.isprintable():
        return text
    return text.translate(_VISIBLE_ONE_LINE if one_line else _VISIBLE)


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, for an error line that echoes something long."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Stopped(BaseException):
    """A signal asked the run to stop (SIGINT, SIGTERM, SIGHUP) or its output pipe closed.

    Not an ``Exception``: nothing that handles errors may swallow it. The CLI exits
    with 128 + the signal's number, as a shell shows a process ended by it.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
