"""Line breaking that reads right in Chinese and in English, for the terminal renderers.

Rich breaks lines at spaces only and folds anything longer by cells, so Chinese text
breaks anywhere: a date alone at the end of a line and the words it dates on the next
(``2020-08-20`` / ``起每月…``), a line starting with ``、``, a formula split in two
(``(0.20 −`` / ``0.05)``). ``break_offsets`` follows the rules a Chinese or English
reader expects instead (a small part of Unicode's line breaking, UAX #14):

- between two Chinese characters a line may break, but never before closing punctuation
  (``、。，）：`` ...) nor after opening punctuation (``（《「`` ...);
- a number or a date stays with the Chinese word it belongs to (``10 天``, ``810 万元``,
  ``2020-08-20 起``), and a currency with its amount (``CNY 8,100,000``);
- a word, an identifier (``agency.monthly_gmv_cny``, ``ACT-FEE-REPRICE``) or an
  arithmetic expression (``0.20 − 0.05``, ``30,000,000 × 0.6``) is kept whole: moved to
  the next line when it does not fit, and folded only when it is wider than a line.

``Para`` is a paragraph (text and styled spans) that ``textlayout`` wraps and measures
with these rules; the terminal renderers build every text they lay out as one.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mcn_advisor.render.cells import cell_len, cell_sums, ours

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions
    from rich.containers import Lines
    from rich.measure import Measurement

# No line starts with these (closing and middle punctuation, both widths).
CLOSING = frozenset("、。，．,.：:；;！!？?）)］]｝}」』》〉】〕”’…%％‰·・ー")
# No line ends with these (opening punctuation).
OPENING = frozenset("（(［[｛{「『《〈【〔“‘")
# Arithmetic and arrows: the spaces around them belong to the expression.
OPERATORS = frozenset("×÷−-+*/=<>≤≥→←≈")
SHORT_RUN = 6  # Chinese characters: a run this short is a word, kept whole
_HAN_FROM = "\u3040"  # the first character of a run of Chinese (or Japanese, Korean) characters
_CURRENCY = re.compile(r"(?:^|\s)(?:CNY|RMB|USD|¥|￥)$")
_SPACES = re.compile(" +")
_WIDE = re.compile(r"[^\x00-\x7f]+")  # a wide character (``is_wide``) is in one of these runs


def _is_han(ch: str) -> bool:
    """A Chinese, Japanese or Korean character (ideographs, kana, Hangul). Compared, not
    matched by a pattern: compiling a pattern of these ranges costs a run 19 million
    instructions, more than all the comparisons of a Chinese report."""
    return (
        "\u4e00" <= ch <= "\u9fff"
        or "\u3040" <= ch <= "\u30ff"
        or "\u3400" <= ch <= "\u4dbf"
        or "\uac00" <= ch <= "\ud7af"
        or "\uf900" <= ch <= "\ufaff"
    )


def _inside_short_han_runs(text: str) -> set[int]:
    """The offsets inside runs of at most ``SHORT_RUN`` Chinese characters (not their ends)."""
    inside: set[int] = set()
    for m in _WIDE.finditer(text):  # a run of Chinese characters is inside one of these
        at = m.start()
        for han, group in itertools.groupby(m.group(), _is_han):
            n = sum(1 for _ in group)
            if han and n <= SHORT_RUN:
                inside.update(range(at + 1, at + n))
            at += n
    return inside


@functools.lru_cache(maxsize=4096)  # per character: a report asks again and again
def is_wide(ch: str) -> bool:
    """A character of a language written without spaces (Chinese, Japanese, Korean)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _space_breaks(text: str, start: int, end: int) -> bool:
    """Whether the run of spaces ``text[start:end]`` may end a line."""
    before, after = text[start - 1], text[end]
    if after in CLOSING or before in OPENING:
        return False
    if before in OPERATORS or after in OPERATORS:
        return False  # inside an expression: 0.20 − 0.05, 93.2 → 65.0
    if (before.isdigit() or before in "%％") and is_wide(after):
        return False  # a number with its Chinese word: 10 天, 810 万元, 2020-08-20 起
    # CNY 8,100,000: a currency ends at most five characters before the space (" CNY\n")
    return not (after.isdigit() and _CURRENCY.search(text, max(0, start - 5), start))


def _breaks_between(prev: str, ch: str) -> bool:
    """Whether a line may break between two characters with no space between them."""
    if ch in CLOSING or prev in OPENING:
        return False
    if prev == "：" and ch.isascii():
        return False  # a label keeps its value: 完成期限：2020-09-03
    wide_prev, wide_ch = is_wide(prev), is_wide(ch)
    if ch in OPENING:
        return False  # a bracket stays with the word it follows: 高（1.00）, 直播（…）
    if wide_prev and wide_ch:
        return True  # between Chinese characters
    # After 、，。） also before a Latin word or an id; never between a Latin word or a
    # number and the Chinese characters it touches (GMV的, 2020年).
    return wide_prev and prev in CLOSING


# A piece a line may break after: (start, end, cells without its trailing spaces, cells).
Segment = tuple[int, int, int, int]


@functools.lru_cache(maxsize=4096)  # a text is measured, then broken at one or more widths
def segments(text: str) -> tuple[Segment, ...]:
    """``text`` cut into the pieces a line may break between, each measured once.

    Spaces stay at the end of the piece before them (a line drops them when it ends there).
    """
    n = len(text)
    # (offset of a break, where the piece before it stops showing: before its spaces)
    cuts = [
        (m.end(), m.start())
        for m in _SPACES.finditer(text, 1)
        if m.end() < n and _space_breaks(text, *m.span())
    ]
    if cuts and cuts[0][1] == 1 and text[0] == " ":
        cuts[0] = (cuts[0][0], 0)  # the spaces found from the second character start at the first
    if not text.isascii():
        # Between two characters with no space between them a line breaks only after a wide
        # one (``_breaks_between``): only those places are looked at, not every character.
        for m in _WIDE.finditer(text):
            for i in range(m.start() + 1, min(m.end() + 1, n)):
                if text[i] != " " and _breaks_between(text[i - 1], text[i]):
                    cuts.append((i, i))
        # A short run of Chinese characters between other text is a word or a label (完成期限,
        # 抖音小店): kept whole like a Latin word. A longer run is a sentence: it breaks anywhere.
        inside = _inside_short_han_runs(text) if max(text) >= _HAN_FROM else set()
        cuts = sorted(c for c in cuts if c[0] not in inside)
    cuts.append((n, len(text.rstrip(" "))))
    out: list[Segment] = []
    start = 0
    plain = text.isascii() and text.isprintable()  # a cell a character: no need to count
    sums = None if plain else cell_sums(text)
    for end, stop in cuts:
        if end > start:
            stop = max(stop, start)
            if plain:
                out.append((start, end, stop - start, end - start))
            elif sums is not None:
                out.append((start, end, sums[stop] - sums[start], sums[end] - sums[start]))
            else:
                out.append((start, end, cell_len(text[start:stop]), cell_len(text[start:end])))
            start = end
    return tuple(out)


def _fold(text: str, start: int, end: int, width: int) -> tuple[list[int], int]:
    """Cut one piece wider than a line by cells: (the offsets, the width of its last line).

    A closing mark that would start a line takes the character before it along, as far
    as the line allows."""
    offsets: list[int] = []
    line_start, used = start, 0
    for i in range(start, end):
        w = cell_len(text[i])
        if used + w > width and used:
            cut = i - 1 if text[i] in CLOSING and i - 1 > line_start else i
            offsets.append(cut)
            line_start, used = cut, cell_len(text[cut:i])
        used += w
    return offsets, used


def _spaces_inside(text: str, start: int, end: int) -> list[Segment]:
    """A piece cut after each run of spaces inside it: how a kept-whole piece wider than a
    line breaks (an expression before an operator rather than inside a number)."""
    cuts = [start]
    for m in re.finditer(r" +", text[start:end]):
        if start + m.end() < end:
            cuts.append(start + m.end())
    cuts.append(end)
    out: list[Segment] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = text[a:b]
        out.append((a, b, cell_len(piece.rstrip(" ")), cell_len(piece)))
    return out


def _fill(text: str, pieces: Sequence[Segment], width: int, used: int, offsets: list[int]) -> int:
    """Lay ``pieces`` onto lines from ``used`` cells on, appending breaks; the last line's width."""
    for start, end, visible, full in pieces:
        if used + visible <= width:
            used += full
        elif visible > width and " " in text[start:end].rstrip(" "):
            # Wider than any line: break it at its own spaces, from where the line stands.
            used = _fill(text, _spaces_inside(text, start, end), width, used, offsets)
        else:
            if used:
                offsets.append(start)  # kept whole: to the next line
            if visible <= width:
                used = full
            else:
                folded, used = _fold(text, start, end, width)
                offsets += folded
    return used


@functools.lru_cache(maxsize=4096)
def break_offsets(text: str, width: int) -> tuple[int, ...]:
    """Where to break one line of ``text`` so that no line is wider than ``width`` cells."""
    width = max(1, width)
    if cell_len(text) <= width and ours(text):
        return ()  # it fits (its pieces add up to it): no need to cut it into pieces
    offsets: list[int] = []
    _fill(text, segments(text), width, 0, offsets)
    return tuple(offsets)


Span = tuple[int, int, str]  # a style over text[start:end]
_DROPPED = re.compile("[\x07\x08\x0b\x0c\x0d]")  # what rich's Text drops from a text


def widest(text: str, words: bool = False) -> int:
    """The widest ``text`` can be laid out, in cells: its widest line (``words``: the lines
    rich sees in its own texts). A table sizes its columns by this alone."""
    return max(map(cell_len, text.splitlines() if words else text.split("\n")), default=0)


@functools.lru_cache(maxsize=4096)  # rich measures a table's cells again when it narrows them
def measure(text: str, words: bool = False) -> tuple[int, int]:
    """The narrowest and the widest ``text`` can be laid out: (min, max) cells; with
    ``words``, as rich measures its own texts (by their longest word). For rich's layout
    (the pack views): ``textlayout`` needs only the widest."""
    most = widest(text, words)
    if words:
        found = text.split()
        return (max(cell_len(w) for w in found) if found else most), most
    # the narrowest a column can be without folding a piece of the text
    narrowest = max((piece[2] for line in text.split("\n") for piece in segments(line)), default=0)
    return min(narrowest, most), most


class Para:
    """A paragraph: its text, its style, styled spans of it, and how to lay it out.

    The terminal renderers build every text they print as a ``Para`` (``textlayout`` lays
    it out); it behaves as rich's ``Text`` does where they use it (``+``, ``assemble``;
    the bell, backspace, vertical tab, form feed and carriage return dropped), without
    importing rich. Lines break by ``break_offsets``; with ``words`` only at spaces, as
    rich breaks its own texts (a table's headers and its caption). Styles are rich's
    names (``"bold red"``, ``"dim"``), rendered by ``textlayout``."""

    __slots__ = ("plain", "style", "spans", "justify", "overflow", "no_wrap", "words")

    def __init__(
        self,
        text: str = "",
        style: str = "",
        *,
        justify: str | None = None,
        overflow: str | None = None,
        no_wrap: bool | None = None,
        words: bool = False,
    ):
        self.plain = _DROPPED.sub("", text)
        self.style = style
        self.spans: list[Span] = []
        self.justify, self.overflow, self.no_wrap, self.words = justify, overflow, no_wrap, words

    def __len__(self) -> int:
        return len(self.plain)

    def __repr__(self) -> str:
        return f"Para({self.plain!r}, {self.style!r}, spans={self.spans})"

    def copy(self) -> Para:
        out = Para.__new__(Para)
        out.plain, out.style, out.spans = self.plain, self.style, self.spans[:]
        out.justify, out.overflow, out.no_wrap, out.words = (
            self.justify,
            self.overflow,
            self.no_wrap,
            self.words,
        )
        return out

    def append(self, text: str | Para, style: str | None = None) -> Para:
        """Add ``text`` at the end: a string in ``style``, or a paragraph with its styles."""
        if not text:
            return self
        offset = len(self.plain)
        if isinstance(text, str):
            text = _DROPPED.sub("", text)
            if style:
                self.spans.append((offset, offset + len(text), style))
            self.plain += text
            return self
        if text.style:
            self.spans.append((offset, offset + len(text.plain), text.style))
        self.spans += [(start + offset, end + offset, s) for start, end, s in text.spans]
        self.plain += text.plain
        return self

    def __add__(self, other: str | Para) -> Para:
        return self.copy().append(other)

    @classmethod
    def assemble(cls, *parts: str | Para | tuple[str, str], style: str = "", **options: Any) -> Para:
        """A paragraph of ``parts``: strings, paragraphs, or (string, style) pairs."""
        out = cls(style=style, **options)
        for part in parts:
            if isinstance(part, tuple):
                out.append(*part)
            else:
                out.append(part)
        return out

    def widest(self) -> int:
        """The widest this text can be laid out, in cells (its widest line)."""
        return widest(self.plain, self.words)

    # --- rich: the pack views still lay out with rich's classes; the tests compare with them

    def to_rich(self) -> Any:
        """This paragraph as a rich ``Text`` that breaks lines as this one does."""
        from rich.text import Span as RichSpan
        from rich.text import Text

        kind = Text if self.words else _rich_para()
        return kind(
            self.plain,
            style=self.style,
            justify=self.justify,  # type: ignore[arg-type]
            overflow=self.overflow,  # type: ignore[arg-type]
            no_wrap=self.no_wrap,
            spans=[RichSpan(*s) for s in self.spans],
        )

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Any:
        yield self.to_rich()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Any:
        return self.to_rich().__rich_measure__(console, options)


@functools.cache
def _rich_para() -> type:
    """A rich ``Text`` that breaks lines with ``break_offsets`` (and measures with its pieces)."""
    from rich.containers import Lines
    from rich.measure import Measurement
    from rich.text import Text

    class RichPara(Text):
        __slots__ = ()

        def copy(self) -> RichPara:
            out = super().copy()
            out.__class__ = RichPara
            return out

        def blank_copy(self, plain: str = "") -> RichPara:
            out = super().blank_copy(plain)
            out.__class__ = RichPara
            return out

        def wrap(
            self,
            console: Console,
            width: int,
            *,
            justify: Any = None,
            overflow: Any = None,
            tab_size: int = 8,
            no_wrap: bool | None = None,
        ) -> Lines:
            if no_wrap or self.no_wrap or overflow == "ignore":
                return super().wrap(
                    console, width, justify=justify, overflow=overflow, tab_size=tab_size, no_wrap=no_wrap
                )
            lines = Lines()
            for line in self.split(allow_blank=True):
                if "\t" in line.plain:
                    line.expand_tabs(tab_size)
                pieces = line.divide(break_offsets(line.plain, width))
                for piece in pieces:
                    piece.rstrip_end(width)
                justify_as = justify or self.justify
                if justify_as:
                    pieces.justify(
                        console, width, justify=justify_as, overflow=overflow or self.overflow or "fold"
                    )
                lines.extend(pieces)
            return lines

        def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
            return Measurement(*measure(self.plain))

    return RichPara


def __getattr__(name: str) -> Any:
    """``ParaTable``, made on first use: the pack views lay out with rich's ``Table``; the
    reports (``textlayout``) do not, and do not pay for importing it."""
    if name == "ParaTable":
        return _para_table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _para_table() -> type:
    from rich.table import Table

    class ParaTable(Table):
        """A rich ``Table`` whose plain-string cells are laid out as ``Para``."""

        def add_row(self, *cells: Any, **kwargs: Any) -> None:
            super().add_row(*(_rich(c) for c in cells), **kwargs)

    def _rich(cell: Any) -> Any:
        return (
            Para(cell).to_rich()
            if isinstance(cell, str)
            else cell.to_rich()
            if isinstance(cell, Para)
            else cell
        )

    return ParaTable
