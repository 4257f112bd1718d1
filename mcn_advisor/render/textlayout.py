"""The terminal renderers' layout: paragraphs, tables, a titled panel and indents, laid out
by hand as rich lays them out, byte for byte.

Rich's ``Table`` renders every cell through ``Padding`` and ``Console.render_lines`` and
measures every column again when the table is too wide, and its ``Text`` copies itself
at every step: most of a terminal report's run went there. Here the same steps are done
directly on strings and spans, then on lines of ``(text, style)`` pieces, in the order
rich does them, so that the text, the places a style starts and ends, and so the ANSI
codes, are the ones rich would print (the tests compare both on tricky cells; a report
is checked against rich in every language, width and colour). Only what the terminal
renderers use is kept: left or right justified columns, wrapping or not; a table with a
header rule (rich's ``SIMPLE_HEAD`` box, no edge) or a grid; a caption; a rounded panel
with a title on the left; a left indent.

Texts are ``linebreak.Para``: lines break by its rules (a header or a caption at spaces,
as rich breaks its own texts); styles are rich's names, rendered by a small table of the
attributes and 16 colours the reports use. A report run imports no rich module. Every
control character from the data is shown instead of obeyed (``errors.visible``), after
the text is broken into lines and before the lines are cut to their width, as rich's
console did it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from mcn_advisor.errors import visible
from mcn_advisor.render.cells import cell_len, chop_cells, set_cell_size
from mcn_advisor.render.linebreak import Para, Span, break_offsets

# --- styles -----------------------------------------------------------------------------------

# A style as rich renders it in the 16 standard colours: its SGR codes, e.g. "1;37;41" for
# "bold white on red" (attributes in rich's order, then the colour, then the background).
Style = tuple[tuple[int, ...], int | None, int | None]  # (attribute codes, colour, background)
Piece = tuple[str, Style | None]  # some text and its style (None: none)
Line = list[Piece]
# A laid-out line and the cells it takes: measured once, where it is made, and carried
# along (padding, cutting and joining lines add up their widths instead of measuring again).
Sized = tuple[Line, int]
Justify = Literal["left", "right"]

_ATTRIBUTES = {"bold": 1, "dim": 2, "italic": 3, "underline": 4}
_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
# Rich's theme names that tables use (rich.default_styles).
_THEME = {"table.header": "bold", "table.caption": "italic dim"}
HEADER: Style = ((1,), None, None)


def _colour(name: str) -> int:
    """A colour's number in the standard palette (rich's ``ANSI_COLOR_NAMES``, first 16)."""
    bright = name.startswith("bright_")
    return _COLOURS.index(name.removeprefix("bright_")) + 8 * bright


@functools.lru_cache(maxsize=256)
def style(name: str | None) -> Style | None:
    """A style by rich's name for it, or None when it has no effect. Only the attributes
    and colours the renderers use are known: any other name is a programming error."""
    if not name:
        return None
    words = _THEME.get(name, name).split()
    attributes: set[int] = set()
    colour = background = None
    while words:
        word = words.pop(0)
        if word == "on":
            background = _colour(words.pop(0))
        elif word in _ATTRIBUTES:
            attributes.add(_ATTRIBUTES[word])
        else:
            colour = _colour(word)
    return (tuple(sorted(attributes)), colour, background)


@functools.lru_cache(maxsize=256)
def _combined(styles: tuple[Style, ...]) -> Style | None:
    """Styles one over the other, later ones winning (rich's ``Style.combine``)."""
    attributes: set[int] = set()
    colour = background = None
    for codes, fg, bg in styles:
        attributes.update(codes)
        colour = fg if fg is not None else colour
        background = bg if bg is not None else background
    return (tuple(sorted(attributes)), colour, background)


@functools.lru_cache(maxsize=256)
def _sgr(s: Style) -> str:
    """The escape sequence that starts ``s`` (rich's ``Style.render`` in standard colours)."""
    codes, fg, bg = s
    sgr = [str(c) for c in codes]
    if fg is not None:
        sgr.append(str(30 + fg if fg < 8 else 82 + fg))
    if bg is not None:
        sgr.append(str(40 + bg if bg < 8 else 92 + bg))
    return f"\x1b[{';'.join(sgr)}m" if sgr else ""


def render(text: str, s: Style | None) -> str:
    if s is None or not text:
        return text
    start = _sgr(s)
    return f"{start}{text}\x1b[0m" if start else text


# --- blocks ---------------------------------------------------------------------------------


# Plain classes, not dataclasses: a dataclass costs a run about 2 million instructions to make.


class Column:
    __slots__ = ("header", "justify", "no_wrap", "overflow")

    def __init__(
        self, header: str = "", justify: Justify = "left", no_wrap: bool = False, overflow: str = "ellipsis"
    ):
        self.header, self.justify, self.no_wrap, self.overflow = header, justify, no_wrap, overflow

    def __repr__(self) -> str:
        return (
            f"Column({self.header!r}, {self.justify!r}, no_wrap={self.no_wrap}, overflow={self.overflow!r})"
        )


class Table:
    """Columns of cells: with a header and a rule under it (``gap`` 1, padded by one cell
    either side of every gap, rich's ``SIMPLE_HEAD`` without edges), or a grid
    (``grid=True``: no header, ``gap`` blank cells between columns)."""

    __slots__ = ("columns", "rows", "show_header", "caption", "grid", "gap")

    def __init__(
        self, *, show_header: bool = True, caption: str | None = None, grid: bool = False, gap: int = 1
    ):
        self.columns: list[Column] = []
        self.rows: list[list[Para]] = []
        self.show_header, self.caption, self.grid, self.gap = show_header, caption, grid, gap

    def add_column(self, header: str = "", **kw: Any) -> None:
        self.columns.append(Column(header, **kw))

    def add_row(self, *cells: str | Para) -> None:
        self.rows.append([Para(c) if isinstance(c, str) else c for c in cells])

    def __repr__(self) -> str:
        return (
            f"Table({self.columns}, rows={[[c.plain for c in r] for r in self.rows]}, grid={self.grid}, "
            f"gap={self.gap}, show_header={self.show_header}, caption={self.caption!r})"
        )


class Panel:
    """A rounded box the width of the screen, ``title`` in its top border on the left."""

    __slots__ = ("body", "title")

    def __init__(self, body: Para, title: Para):
        self.body, self.title = body, title


class Indent:
    """A block shifted right by ``left`` cells."""

    __slots__ = ("block", "left")

    def __init__(self, block: Block, left: int = 3):
        self.block, self.left = block, left


Block = Para | Table | Panel | Indent


# --- text: rich's ``Text`` operations on (string, spans) --------------------------------------

TextLine = tuple[
    str, list[Span]
]  # one line of a paragraph: its text, its spans (the paragraph's style under all)
SizedText = tuple[str, list[Span], int]  # a line of a paragraph laid out: and its cells


def _clip(spans: list[Span], length: int) -> list[Span]:
    """``spans`` of a text cut to its first ``length`` characters (rich's ``_trim_spans``)."""
    return [(a, min(b, length), s) for a, b, s in spans if a < length]


def _divide(text: str, spans: list[Span], offsets: Sequence[int]) -> list[TextLine]:
    """``text`` cut at ``offsets``, each piece with its share of ``spans`` (rich's ``divide``)."""
    if not offsets:
        return [(text, spans)]  # spans are never changed in place: no copy
    cuts = [0, *offsets, len(text)]
    ranges = list(zip(cuts, cuts[1:], strict=False))
    out: list[TextLine] = [(text[a:b], []) for a, b in ranges]
    for start, end, s in spans:
        for (a, b), (_, line_spans) in zip(ranges, out, strict=False):
            if b > start and a < end:
                new_start, new_end = max(0, start - a), min(end, b) - a
                if new_end > new_start:
                    line_spans.append((new_start, new_end, s))
    return out


def _split(text: str, spans: list[Span]) -> list[TextLine]:
    """The lines of a text, blank ones kept (rich's ``split(allow_blank=True)``)."""
    if "\n" not in text:
        return [(text, spans)]
    cuts = [i for m in re.finditer("\n", text) for i in m.span()]
    return [line for line in _divide(text, spans, cuts) if line[0] != "\n"]


def _expand_tabs(text: str, spans: list[Span], base: str, tab_size: int = 8) -> TextLine:
    """One line with its tabs turned into spaces to the next tab stop (rich's ``expand_tabs``:
    each piece ending at a tab comes back as a span of the paragraph's style ``base``)."""
    parts = _divide(text, spans, [m.end() for m in re.finditer("\t", text)])
    if text.endswith("\t"):
        parts.pop()  # the empty piece after the last tab
    out, out_spans, position = "", [], 0
    for part, part_spans in parts:
        if part.endswith("\t"):
            part = part[:-1] + " "
            position += cell_len(part)
            spaces = (tab_size - position % tab_size) % tab_size
            if spaces:
                if part_spans:
                    part_spans = [(a, b + spaces if b >= len(part) else b, s) for a, b, s in part_spans]
                part += " " * spaces
                position += spaces
        else:
            position += cell_len(part)
        if base:
            out_spans.append((len(out), len(out) + len(part), base))
        out_spans += [(a + len(out), b + len(out), s) for a, b, s in part_spans]
        out += part
    return out, out_spans


_TRAILING_SPACE = re.compile(r"\s+$")


def _rstrip_end(line: TextLine, width: int) -> TextLine:
    """Spaces past ``width`` characters dropped (rich's ``rstrip_end``)."""
    text, spans = line
    excess = len(text) - width
    if excess > 0:
        space = _TRAILING_SPACE.search(text)
        if space is not None:
            keep = len(text) - min(len(space.group()), excess)
            return text[:keep], _clip(spans, keep)
    return line


def _truncate(line: TextLine, width: int, overflow: str, pad: bool = False) -> SizedText:
    """A line cut to ``width`` cells (with "…" when ``overflow`` is "ellipsis"), or padded
    to it (rich's ``truncate``), and its cells."""
    text, spans = line
    length = cells = cell_len(text)
    if length > width:
        cut = set_cell_size(text, width - 1) + "…" if overflow == "ellipsis" else set_cell_size(text, width)
        if len(cut) < len(text):
            spans = _clip(spans, len(cut))
        text, cells = cut, cell_len(cut)
    if pad and length < width:
        text += " " * (width - length)
        cells = width
    return text, spans, cells


def _justify(line: TextLine, width: int, how: str, overflow: str) -> SizedText:
    """Rich's ``Lines.justify`` of one line ("default": as it is), and its cells."""
    if how == "left":
        return _truncate(line, width, overflow, pad=True)
    if how == "right":
        text, spans = line
        stripped = text.rstrip()
        text, spans, cells = _truncate((stripped, _clip(spans, len(stripped))), width, overflow)
        shift = width - cells
        if shift:
            text, spans = " " * shift + text, [(a + shift, b + shift, s) for a, b, s in spans]
            cells += max(0, shift)
        return text, spans, cells
    return line[0], line[1], cell_len(line[0])


def _divide_words(text: str, width: int, fold: bool) -> list[int]:
    """Where rich breaks a line of its own texts: at spaces, a word wider than the line
    folded by cells (or left whole when not ``fold``) (rich's ``divide_line``)."""
    breaks: list[int] = []
    used = 0
    for m in _WORD.finditer(text):
        start, word = m.start(), m.group()
        length = cell_len(word.rstrip())
        if width - used >= length:
            used += cell_len(word)
        elif length > width:
            if fold:
                folded = chop_cells(word, width)
                for n, piece in enumerate(folded):
                    if start:
                        breaks.append(start)
                    if n == len(folded) - 1:
                        used = cell_len(piece)
                    else:
                        start += len(piece)
            else:
                if start:
                    breaks.append(start)
                used = cell_len(word)
        elif used and start:
            breaks.append(start)
            used = cell_len(word)
    return breaks


_WORD = re.compile(r"\s*\S+\s*")


def _wrap(
    text: Para,
    width: int,
    justify: str | None = None,
    overflow: str | None = None,
    no_wrap: bool | None = None,
) -> list[SizedText]:
    """``text`` broken into lines as rich's ``Text.__rich_console__`` broke it with these
    options: by ``break_offsets`` (by words for a ``words`` text), each line justified."""
    how = text.justify or justify or "default"
    cut = text.overflow or overflow or "fold"
    whole = text.no_wrap if text.no_wrap is not None else bool(no_wrap)
    crop = whole or text.words  # rich's own wrap crops every line at the end; ours did not
    out: list[SizedText] = []
    for line, spans in _split(text.plain, text.spans):
        if "\t" in line:
            line, spans = _expand_tabs(line, spans, text.style)
        if whole:
            offsets: Sequence[int] = ()
        elif text.words:
            offsets = _divide_words(line, width, fold=cut == "fold")
        else:
            offsets = break_offsets(line, width)
        for piece in _divide(line, spans, offsets):
            sized = _justify(_rstrip_end(piece, width), width, how, cut)
            out.append(_truncate(sized[:2], width, cut) if crop and sized[2] > width else sized)
    return out


def _over(under: Style | None, s: Style | None) -> Style | None:
    """``s`` over ``under``, either of them perhaps none."""
    if under is None or s is None:
        return s if under is None else under
    return _combined((under, s))


def _pieces(line: SizedText, base: str) -> Sized:
    """One line of text as pieces: a piece starts and ends where a style does (rich's
    ``Text.render`` of the line joined into its paragraph), control characters shown;
    and its cells (a control character shown takes a cell it did not)."""
    text, line_spans, cells = line
    if not text.isprintable():
        cells = cell_len(visible(text))
    if not line_spans:  # most lines: one style, or none, from end to end
        return ([(visible(text), style(base))] if text else []), cells
    # Spans one after another (most lines): the pieces in order, no events to sort.
    under = style(base)
    out: Line = []
    at, end = 0, len(text)
    for a, b, s in line_spans:
        if a < at or b < a or b > end:
            break  # spans over spans: the general way below
        if a > at:
            out.append((visible(text[at:a]), under))
        if b > a:
            out.append((visible(text[a:b]), _over(under, style(s))))
        at = b
    else:
        if end > at:
            out.append((visible(text[at:]), under))
        return out, cells
    spans = ([(0, len(text), base)] if base else []) + line_spans
    styles = [style(s) for _, _, s in spans]
    events = sorted(
        [(0, False, -1)]
        + [(a, False, i) for i, (a, _, _) in enumerate(spans)]
        + [(b, True, i) for i, (_, b, _) in enumerate(spans)]
        + [(len(text), True, -1)],
        key=lambda e: (e[0], e[1]),
    )
    out = []
    active: list[int] = []
    for (offset, leaving, index), (following, _, _) in zip(events, events[1:], strict=False):
        if index >= 0:
            if leaving:
                active.remove(index)
            else:
                active.append(index)
        if following > offset:
            chosen = tuple(styles[i] for i in sorted(active) if styles[i] is not None)
            piece_style = _combined(chosen) if len(chosen) > 1 else (chosen[0] if chosen else None)
            out.append((visible(text[offset:following]), piece_style))
    return out, cells


def _width(line: Line) -> int:
    text = "".join([t for t, _ in line])
    return len(text) if text.isascii() and text.isprintable() else cell_len(text)


def fit(sized: Sized, width: int, pad: bool = True, fill: Style | None = None) -> Sized:
    """A line cut to ``width`` cells, or padded to it with ``fill`` spaces (rich's
    ``Segment.adjust_line_length``), and its cells."""
    line, used = sized
    if used < width:
        return ([*line, (" " * (width - used), fill)], width) if pad else sized
    if used == width:
        return sized
    out: Line = []
    used = 0
    for text, piece_style in line:
        n = cell_len(text)
        if used + n < width:
            out.append((text, piece_style))
            used += n
        else:
            out.append((set_cell_size(text, width - used), piece_style))
            break
    return out, _width(out)  # measured: a wide character cut in two may leave it a cell short


def paragraph(text: Para, width: int, **options: Any) -> list[Sized]:
    if width < 1:
        return []  # rich renders nothing in no room
    return [_pieces(line, text.style) for line in _wrap(text, width, **options)]


# --- tables ---------------------------------------------------------------------------------


def _padding(table: Table) -> list[tuple[int, int]]:
    """Blank cells left and right of each column's cells: none at the table's edges."""
    n = len(table.columns)
    if table.grid:
        return [(0, table.gap if i < n - 1 else 0) for i in range(n)]
    return [(1 if i else 0, 1 if i < n - 1 else 0) for i in range(n)]


def _cells(table: Table, index: int) -> list[Para]:
    cells = [row[index] for row in table.rows]
    return (
        [Para(table.columns[index].header, words=True), *cells]
        if table.show_header and not table.grid
        else cells
    )


def _reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """Rich's ``ratio_reduce``: take ``total`` off ``values`` in proportion to ``ratios``."""
    ratios = [r if m else 0 for r, m in zip(ratios, maximums, strict=False)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining, out = total, []
    for ratio, most, value in zip(ratios, maximums, values, strict=False):
        if ratio and total_ratio > 0:
            given = min(most, round(ratio * remaining / total_ratio))
            out.append(value - given)
            remaining -= given
            total_ratio -= ratio
        else:
            out.append(value)
    return out


def _collapse(widths: list[int], wrapable: list[bool], most: int) -> list[int]:
    """Rich's ``Table._collapse_widths``: narrow the widest wrapping columns first."""
    total = sum(widths)
    excess = total - most
    if any(wrapable):
        while total and excess > 0:
            widest = max(w for w, ok in zip(widths, wrapable, strict=False) if ok)
            second = max(w if ok and w != widest else 0 for w, ok in zip(widths, wrapable, strict=False))
            step = widest - second
            ratios = [1 if (w == widest and ok) else 0 for w, ok in zip(widths, wrapable, strict=False)]
            if not any(ratios) or not step:
                break
            widths = _reduce(excess, ratios, [min(excess, step)] * len(widths), widths)
            total = sum(widths)
            excess = total - most
    return widths


def _column_widths(table: Table, most: int) -> list[int]:
    pads = [left + right for left, right in _padding(table)]
    # Rich sizes a column by the widest its padded cells can be (``Measurement.maximum``;
    # their narrowest is never read without ``expand``), each cell measured once: a padded
    # cell in ``limit`` cells is min(widest + pad, limit) wide, or ``limit`` when the
    # padding leaves no room; a column without cells takes all the room.
    widest = [max((c.widest() for c in _cells(table, i)), default=None) for i in range(len(table.columns))]

    def measured(i: int, limit: int) -> int:
        most = widest[i]
        if limit < 1:
            return 0
        if most is None or limit - pads[i] < 1:
            return limit
        return min(most + pads[i], limit)

    widths = [measured(i, most) or 1 for i in range(len(widest))]
    if sum(widths) > most:
        wrapable = [not c.no_wrap for c in table.columns]
        widths = _collapse(widths, wrapable, most)
        if sum(widths) > most:  # last resort: every column gives up the same
            widths = _reduce(sum(widths) - most, [1] * len(widths), widths, widths)
        widths = [measured(i, w) or 0 for i, w in enumerate(widths)]
    return widths


def _cell_lines(
    cell: Para, column: Column, width: int, pad: tuple[int, int], over: Style | None
) -> list[Sized]:
    """A cell's lines, padded as rich pads them, under the row's style ``over`` (a header's
    bold, under each piece's own style: rich's ``apply_style``)."""
    if width < 1:
        return []  # rich renders nothing in no room: the row's height comes from the others
    left, right = pad
    inner = width - left - right
    before: Line = [(" " * left, None)] if left else []
    after: Line = [(" " * right, None)] if right else []
    options = {"justify": column.justify, "overflow": column.overflow, "no_wrap": column.no_wrap}
    out: list[Sized] = []
    for sized in paragraph(cell, inner, **options):
        if sized[1] != inner:  # most lines are justified to the column's width: nothing to fit
            sized = fit(sized, inner)
        line, used = sized
        line = [*before, *line, *after]
        if over is not None:
            line = [(t, _combined((over, s)) if s else over) for t, s in line]
        used += left + right
        # fitted again: a wide character cut in two leaves its line a cell short
        out.append((line, used) if used == width else fit((line, used), width, fill=over))
    return out


def _table(table: Table, width: int) -> list[Sized]:
    if not table.columns:
        return [([], 0)]
    gap = 0 if table.grid else 1
    extra = gap * (len(table.columns) - 1)
    widths = _column_widths(table, width - extra)
    pads = _padding(table)
    out: list[Sized] = []
    rows: list[tuple[Style | None, list[Para]]] = [(None, r) for r in table.rows]
    if table.show_header and not table.grid:
        rows.insert(0, (HEADER, [Para(c.header, words=True) for c in table.columns]))
    for n, (over, row) in enumerate(rows):
        cells = [
            _cell_lines(cell, column, w, pad, over)
            for cell, column, w, pad in zip(row, table.columns, widths, pads, strict=False)
        ]
        height = max(len(c) for c in cells)
        header = over is not None
        for i, (c, w) in enumerate(zip(cells, widths, strict=False)):
            # a header sits on the rule; a row of cells all without room is one blank line
            missing: list[Sized] = [([(" " * w, over if height else None)], w)] * (max(height, 1) - len(c))
            cells[i] = missing + c if header else c + missing
        height = max(height, 1)
        for line_no in range(height):
            line: Line = []
            used = 0
            for i, c in enumerate(cells):
                if i and gap:
                    line.append((" ", None))
                    used += 1
                piece, cells_used = c[line_no]
                line += piece
                used += cells_used
            out.append((line, used))
        if header and n == 0:
            out.append(([("─" * (sum(widths) + extra), None)], sum(widths) + extra))
    if table.caption:
        caption = Para(table.caption, style="table.caption", words=True)
        out += paragraph(caption, sum(widths) + extra, justify="left")
    return out


# --- panels, indents, the page ---------------------------------------------------------------


def _panel(panel: Panel, width: int) -> list[Sized]:
    """Rich's ``Panel`` (rounded box, expanded, padded by one cell, title on the left)."""
    title, spans = panel.title.plain.replace("\n", " "), panel.title.spans
    if "\t" in title:
        title, spans = _expand_tabs(title, spans, panel.title.style)
    title, spans = f" {title} ", [(a + 1, b + 1, s) for a, b, s in spans]
    room = width - 4
    if cell_len(title) > room:
        cut = set_cell_size(title, room)
        title, spans = cut, _clip(spans, len(cut)) if len(cut) < len(title) else spans
    length = cell_len(title)
    rest = room - length
    named, used = _pieces((title, spans, length), panel.title.style)
    top = [("╭─", None), *named, ("─" * rest, None), ("─╮", None)]
    body = []
    for sized in paragraph(panel.body, width - 4):
        line, used_inside = fit(sized, width - 4)
        body.append(([("│ ", None), *line, (" │", None)], used_inside + 4))
    bottom = [("╰" + "─" * (width - 2) + "╯", None)]
    return [(top, 4 + used + max(0, rest)), *body, (bottom, max(2, width))]


def lines(block: Block, width: int) -> list[Sized]:
    """``block`` as lines of pieces, ``width`` cells wide at most (wider lines are cut by the page)."""
    if width < 1:
        return []  # rich renders nothing in no room
    if isinstance(block, Table):
        return _table(block, width)
    if isinstance(block, Panel):
        return _panel(block, width)
    if isinstance(block, Indent):
        inner = width - block.left
        shift: Piece = (" " * block.left, None)
        out = []
        for sized in lines(block.block, inner):
            line, used = fit(sized, inner)
            out.append(([shift, *line], block.left + used))
        return out
    return paragraph(block, width)


def page(blocks: Iterable[Block], *, width: int, color: bool) -> str:
    """The blocks one under the other as text, ANSI-coloured when ``color``; trailing spaces trimmed."""
    out: list[str] = []
    for block in blocks:
        for sized in lines(block, width):
            line = fit(sized, width, pad=False)[0]
            if color:
                out.append("".join([render(t, s) for t, s in line]).rstrip())
            else:
                out.append("".join([t for t, _ in line]).rstrip())
    # no line holds a line break: the data's are shown (``visible``), the paragraphs' split
    return "\n".join(out) + "\n"
