"""How many terminal cells a text takes, counted as rich counts them, without importing rich.

Rich's count (``rich.cells``) reads a Unicode table chosen by ``UNICODE_VERSION`` and joins
emoji sequences; importing it is most of what a report would still pay rich for. The
characters of our reports (Latin, Chinese, Chinese and Latin punctuation, arrows, maths,
box drawing, control characters) have the same width in every table rich ships (a test
checks each one against each table); these are counted here. A text holding any other
character (an emoji, an accent that joins, a rare script) is handed to rich, imported then.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from itertools import accumulate

# (first, last, cells): code points with the same width in all of rich's Unicode tables.
RANGES = (
    (0x01, 0x1F, 0),  # control characters (rich counts them as nothing before any table)
    (0x20, 0x7E, 1),
    (0x7F, 0x9F, 0),
    (0xA0, 0xAC, 1),
    (0xAE, 0x2FF, 1),  # Latin-1, Latin extended, spacing modifiers
    (0x370, 0x482, 1),  # Greek, Cyrillic
    (0x2010, 0x2027, 1),  # dashes, quotes, bullets, …
    (0x2030, 0x205E, 1),
    (0x20A0, 0x20BF, 1),  # currency signs
    (0x2100, 0x214F, 1),  # letterlike symbols
    (0x2190, 0x22FF, 1),  # arrows, mathematical operators
    (0x2400, 0x2426, 1),  # control pictures (``errors.visible``)
    (0x2500, 0x25FC, 1),  # box drawing, blocks, shapes
    (0x2E80, 0x2E99, 2),  # CJK radicals
    (0x2E9B, 0x2EF3, 2),
    (0x2F00, 0x2FD5, 2),
    (0x3000, 0x3029, 2),  # CJK punctuation
    (0x3030, 0x303E, 2),
    (0x3041, 0x3096, 2),  # kana
    (0x309B, 0x30FF, 2),
    (0x3250, 0x32FE, 2),
    (0x3300, 0x4DB5, 2),  # CJK compatibility, extension A
    (0x4E00, 0x9FBB, 2),  # CJK unified ideographs
    (0xAC00, 0xD7A3, 2),  # Hangul syllables
    (0xFE30, 0xFE52, 2),  # CJK compatibility forms
    (0xFF01, 0xFF60, 2),  # fullwidth forms
    (0xFFE0, 0xFFE6, 2),
)
_STARTS = [first for first, _, _ in RANGES]


_KNOWN: dict[str, int] = {}  # the characters of ours met so far, and their cells


def char_cells(ch: str) -> int | None:
    """The cells one character takes, or None when it is not one of ours (rich decides)."""
    found = _KNOWN.get(ch)
    if found is None:
        code = ord(ch)
        at = bisect_right(_STARTS, code) - 1
        if at < 0 or code > RANGES[at][1]:
            return None
        found = _KNOWN[ch] = RANGES[at][2]
    return found


def ours(text: str) -> bool:
    """Whether every character of ``text`` is one of ours (``_KNOWN`` then holds them all)."""
    return all(char_cells(ch) is not None for ch in set(text).difference(_KNOWN))


@functools.lru_cache(maxsize=4096)
def cell_len(text: str) -> int:
    """The cells ``text`` takes on a terminal (rich's ``cell_len``)."""
    if text.isascii() and text.isprintable():
        return len(text)
    try:
        return sum(map(_KNOWN.__getitem__, text))
    except KeyError:  # a character not met yet, or not ours
        if ours(text):
            return sum(map(_KNOWN.__getitem__, text))
    from rich.cells import cell_len as rich_cell_len

    return rich_cell_len(text)


def cell_sums(text: str) -> list[int] | None:
    """The cells ``text[:i]`` takes, for every ``i`` from 0 to ``len(text)``: any piece of
    ``text`` measured by a subtraction. None when a character is not ours (rich counts a
    sequence of characters, so its pieces must be counted one by one)."""
    if not ours(text):
        return None
    return list(accumulate(map(_KNOWN.__getitem__, text), initial=0))


def _printing(text: str) -> bool:
    """Whether every character of ``text`` is ours and takes at least one cell."""
    return ours(text) and all(map(_KNOWN.__getitem__, text))


def set_cell_size(text: str, total: int) -> str:
    """``text`` cut or padded with spaces to ``total`` cells; a wide character cut in two
    becomes a space (rich's ``set_cell_size``)."""
    if text.isascii() and text.isprintable():
        return text[:total] if len(text) >= total else text + " " * (total - len(text))
    if not _printing(text):
        from rich.cells import set_cell_size as rich_set_cell_size

        return rich_set_cell_size(text, total)
    if total <= 0:
        return ""
    size = cell_len(text)
    if size <= total:
        return text + " " * (total - size)
    used = 0
    for i, ch in enumerate(text):
        cells = _KNOWN[ch]
        if used + cells > total:
            return text[:i] + " " * (total - used)
        used += cells
    return text  # not reached: the text is wider than ``total``


def chop_cells(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` cells (rich's ``chop_cells``)."""
    if text.isascii() and text.isprintable():
        return [text[i : i + width] for i in range(0, len(text), width)]
    if not _printing(text):
        from rich.cells import chop_cells as rich_chop_cells

        return rich_chop_cells(text, width)
    lines: list[str] = []
    start = used = 0
    for i, ch in enumerate(text):
        cells = _KNOWN[ch]
        if used + cells > width:
            lines.append(text[start:i])
            start, used = i, 0
        used += cells
    if used:
        lines.append(text[start:])
    return lines
