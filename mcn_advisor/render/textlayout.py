"""The terminal renderers' layout: paragraphs, tables, a titled panel and indents, laid out
by hand as rich lays them out, byte for byte.

Rich's ``Table`` renders every cell through ``Padding`` and ``Console.render_lines`` and
measures every column again when the table is too wide: about a quarter of a terminal
report's run went there. Here the same steps are done directly on lines of
``(text, style)`` pieces, in the order rich does them, so that the text, the places a
style starts and ends, and so the ANSI codes, are the ones rich would print (the tests
compare both on tricky cells; a report is checked against rich in every language, width
and colour). Only what the terminal renderers use is kept: left or right justified
columns, wrapping or not; a table with a header rule (rich's ``SIMPLE_HEAD`` box, no
edge) or a grid; a caption; a rounded panel with a title on the left; a left indent.

Texts are ``linebreak.Para`` (a rich ``Text``): they keep breaking lines by its rules.
Every control character from the data is shown instead of obeyed (``errors.visible``),
after the text is broken into lines and before the lines are cut to their width, as
rich's console did it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, Literal

from rich.cells import cell_len, set_cell_size
from rich.color import ColorSystem
from rich.style import Style
from rich.text import Span, Text

from mcn_advisor.errors import visible
from mcn_advisor.render.linebreak import Para, break_offsets

Piece = tuple[str, Style | None]  # some text and its style (None: none)
Line = list[Piece]
Justify = Literal["left", "right"]

# Rich's theme names that tables use (rich.default_styles); any other name is parsed.
_THEME = {"table.header": Style(bold=True), "table.caption": Style(italic=True, dim=True)}
HEADER = _THEME["table.header"]
STANDARD = ColorSystem.STANDARD  # the 16 colours every terminal has


@functools.lru_cache(maxsize=256)
def style(name: str | Style | None) -> Style | None:
    """A style by name, or None when it has no effect."""
    if name is None or isinstance(name, Style):
        return name or None
    found = _THEME.get(name) or Style.parse(name)
    return found or None


@functools.lru_cache(maxsize=256)
def _combined(styles: tuple[Style, ...]) -> Style | None:
    return Style.combine(styles) or None


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
        self.rows: list[list[Text]] = []
        self.show_header, self.caption, self.grid, self.gap = show_header, caption, grid, gap

    def add_column(self, header: str = "", **kw: Any) -> None:
        self.columns.append(Column(header, **kw))

    def add_row(self, *cells: str | Text) -> None:
        self.rows.append([Para(c) if isinstance(c, str) else c for c in cells])

    def __repr__(self) -> str:
        return (
            f"Table({self.columns}, rows={[[c.plain for c in r] for r in self.rows]}, grid={self.grid}, "
            f"gap={self.gap}, show_header={self.show_header}, caption={self.caption!r})"
        )


class Panel:
    """A rounded box the width of the screen, ``title`` in its top border on the left."""

    __slots__ = ("body", "title")

    def __init__(self, body: Text, title: Text):
        self.body, self.title = body, title


class Indent:
    """A block shifted right by ``left`` cells."""

    __slots__ = ("block", "left")

    def __init__(self, block: Block, left: int = 3):
        self.block, self.left = block, left


Block = Text | Table | Panel | Indent


# --- text -----------------------------------------------------------------------------------


def _wrap(
    text: Text,
    width: int,
    justify: str | None = None,
    overflow: str | None = None,
    no_wrap: bool | None = None,
) -> list[Text]:
    """``text`` broken into lines as ``Text.__rich_console__`` does with these options."""
    return list(
        text.wrap(
            None,  # type: ignore[arg-type]  # used only to justify "full", never asked for
            width,
            justify=text.justify or justify or "default",  # type: ignore[arg-type]
            overflow=text.overflow or overflow or "fold",  # type: ignore[arg-type]
            tab_size=text.tab_size or 8,
            no_wrap=text.no_wrap if text.no_wrap is not None else bool(no_wrap),
        )
    )


def _pieces(line: Text) -> Line:
    """One line of text as pieces: a piece starts and ends where a style does (rich's
    ``Text.render`` of the line joined into its paragraph), control characters shown."""
    text = line.plain
    if not line.spans:  # most lines: one style, or none, from end to end
        return [(visible(text), style(line.style) if line.style else None)] if text else []
    spans = ([Span(0, len(text), line.style)] if line.style else []) + line.spans
    styles = [style(s.style) for s in spans]
    events = sorted(
        [(0, False, -1)]
        + [(s.start, False, i) for i, s in enumerate(spans)]
        + [(s.end, True, i) for i, s in enumerate(spans)]
        + [(len(text), True, -1)],
        key=lambda e: (e[0], e[1]),
    )
    out: Line = []
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
    return out


def _width(line: Line) -> int:
    text = "".join([t for t, _ in line])
    return len(text) if text.isascii() and text.isprintable() else cell_len(text)


def fit(line: Line, width: int, pad: bool = True, fill: Style | None = None) -> Line:
    """``line`` cut to ``width`` cells, or padded to it with ``fill`` spaces (rich's
    ``Segment.adjust_line_length``)."""
    used = _width(line)
    if used < width:
        return [*line, (" " * (width - used), fill)] if pad else line
    if used == width:
        return line
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
    return out


def _styled(lines: list[Line], over: Style | None) -> list[Line]:
    """Every piece of ``lines`` with ``over`` under its own style (rich's ``apply_style``)."""
    if over is None:
        return lines
    return [[(t, _combined((over, s)) if s else over) for t, s in line] for line in lines]


def paragraph(text: Text, width: int, **options: object) -> list[Line]:
    if width < 1:
        return []  # rich renders nothing in no room
    plain = _plain_lines(text, width, **options)  # type: ignore[arg-type]
    if plain is not None:
        piece_style = style(text.style) if text.style else None
        return [[(visible(line), piece_style)] if line else [] for line in plain]
    return [_pieces(line) for line in _wrap(text, width, **options)]  # type: ignore[arg-type]


_TRAILING_SPACE = re.compile(r"\s+$")


def _plain_lines(
    text: Text,
    width: int,
    justify: str | None = None,
    overflow: str | None = None,
    no_wrap: bool | None = None,
) -> list[str] | None:
    """The lines of a ``Para`` in one style (most cells), as ``Para.wrap`` and rich's
    ``Lines.justify`` make them, without making a rich ``Text`` of each: None when the
    text is not that simple."""
    how = text.justify or justify or "default"
    plain = text.plain
    if (
        type(text) is not Para
        or text.spans
        or how not in ("default", "left", "right")
        or text.no_wrap
        or (text.no_wrap is None and no_wrap)
        or "\t" in plain
    ):
        return None
    cut = text.overflow or overflow or "fold"
    out: list[str] = []
    for part in plain.split("\n"):
        offsets = [0, *break_offsets(part, width), len(part)]
        for start, end in zip(offsets, offsets[1:], strict=False):
            line = part[start:end]
            if len(line) > width:  # rich's rstrip_end: spaces past the width go
                space = _TRAILING_SPACE.search(line)
                if space is not None:
                    line = line[: len(line) - min(len(space.group()), len(line) - width)]
            if how == "right":
                line = line.rstrip()
            used = cell_len(line)
            if how != "default" and used > width:  # rich's truncate
                ellipsis = cut == "ellipsis"
                line = set_cell_size(line, width - ellipsis) + ("…" if ellipsis else "")
            if how == "left" and used < width:
                line += " " * (width - used)
            elif how == "right":
                line = " " * (width - cell_len(line)) + line
            out.append(line)
    return out


# --- measuring (rich's Measurement of a padded cell) ------------------------------------------


def _measure_text(text: Text) -> tuple[int, int]:
    if isinstance(text, Para):
        return text.measure()
    lines = text.plain.splitlines()  # a header: rich's own Text, measured by words
    widest = max(cell_len(line) for line in lines) if lines else 0
    words = text.plain.split()
    return (max(cell_len(w) for w in words) if words else widest), widest


def _normal(low: int, high: int, most: int) -> tuple[int, int]:
    """Rich's ``Measurement.get`` of something measured (low, high) in ``most`` cells."""
    low = max(0, min(low, high))
    low, high = min(low, most), min(max(0, low, high), most)
    if high < 1:
        return 0, 0
    low = max(0, min(low, high))
    return low, max(0, low, high)


def _measure_cell(measured: tuple[int, int], pad: int, most: int) -> tuple[int, int]:
    """A cell measured ``measured`` and padded by ``pad`` cells in all, in ``most`` cells,
    as rich measures its ``Padding``."""
    if most < 1:
        return 0, 0
    if most - pad < 1:
        return _normal(most, most, most)
    low, high = _normal(*measured, most)
    return _normal(min(low + pad, most), min(high + pad, most), most)


# --- tables ---------------------------------------------------------------------------------


def _padding(table: Table) -> list[tuple[int, int]]:
    """Blank cells left and right of each column's cells: none at the table's edges."""
    n = len(table.columns)
    if table.grid:
        return [(0, table.gap if i < n - 1 else 0) for i in range(n)]
    return [(1 if i else 0, 1 if i < n - 1 else 0) for i in range(n)]


def _cells(table: Table, index: int) -> list[Text]:
    cells = [row[index] for row in table.rows]
    return [Text(table.columns[index].header), *cells] if table.show_header and not table.grid else cells


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
    cells = [[_measure_text(c) for c in _cells(table, i)] for i in range(len(table.columns))]

    def measured(i: int, limit: int) -> tuple[int, int]:
        if limit < 1:
            return 0, 0
        found = [_measure_cell(c, pads[i], limit) for c in cells[i]]
        if not found:
            return min(1, limit), limit
        return min(max(f[0] for f in found), limit), min(max(f[1] for f in found), limit)

    widths = [measured(i, most)[1] or 1 for i in range(len(cells))]
    if sum(widths) > most:
        wrapable = [not c.no_wrap for c in table.columns]
        widths = _collapse(widths, wrapable, most)
        if sum(widths) > most:  # last resort: every column gives up the same
            widths = _reduce(sum(widths) - most, [1] * len(widths), widths, widths)
        widths = [measured(i, w)[1] or 0 for i, w in enumerate(widths)]
    return widths


def _cell_lines(
    cell: Text, column: Column, width: int, pad: tuple[int, int], over: Style | None
) -> list[Line]:
    """A cell's lines, padded as rich pads them, under the row's style ``over`` (a header's bold)."""
    if width < 1:
        return []  # rich renders nothing in no room: the row's height comes from the others
    left, right = pad
    inner = width - left - right
    before: Line = [(" " * left, None)] if left else []
    after: Line = [(" " * right, None)] if right else []
    options = {"justify": column.justify, "overflow": column.overflow, "no_wrap": column.no_wrap}
    lines = [[*before, *fit(line, inner), *after] for line in paragraph(cell, inner, **options)]
    # fitted again: a wide character cut in two leaves its line a cell short
    return [fit(line, width, fill=over) for line in _styled(lines, over)]


def _table(table: Table, width: int) -> list[Line]:
    if not table.columns:
        return [[]]
    gap = 0 if table.grid else 1
    extra = gap * (len(table.columns) - 1)
    widths = _column_widths(table, width - extra)
    pads = _padding(table)
    out: list[Line] = []
    rows: list[tuple[Style | None, list[Text]]] = [(None, r) for r in table.rows]
    if table.show_header and not table.grid:
        rows.insert(0, (HEADER, [Text(c.header) for c in table.columns]))
    for n, (over, row) in enumerate(rows):
        cells = [
            _cell_lines(cell, column, w, pad, over)
            for cell, column, w, pad in zip(row, table.columns, widths, pads, strict=False)
        ]
        height = max(len(c) for c in cells)
        header = over is not None
        for i, (c, w) in enumerate(zip(cells, widths, strict=False)):
            # a header sits on the rule; a row of cells all without room is one blank line
            missing = [[(" " * w, over if height else None)]] * (max(height, 1) - len(c))
            cells[i] = missing + c if header else c + missing
        height = max(height, 1)
        for line_no in range(height):
            line: Line = []
            for i, c in enumerate(cells):
                if i and gap:
                    line.append((" ", None))
                line += c[line_no]
            out.append(line)
        if header and n == 0:
            out.append([("─" * (sum(widths) + extra), None)])
    if table.caption:
        caption = Text(table.caption, style="table.caption")
        out += paragraph(caption, sum(widths) + extra, justify="left")
    return out


# --- panels, indents, the page ---------------------------------------------------------------


def _panel(panel: Panel, width: int) -> list[Line]:
    """Rich's ``Panel`` (rounded box, expanded, padded by one cell, title on the left)."""
    title = panel.title.copy()
    title.plain = title.plain.replace("\n", " ")
    title.expand_tabs()
    title.pad(1)
    room = width - 4
    if cell_len(title.plain) > room:
        title.plain = set_cell_size(title.plain, room)
    rest = room - cell_len(title.plain)
    top = [("╭─", None), *_pieces(title), ("─" * rest, None), ("─╮", None)]
    body = [[("│ ", None), *fit(line, width - 4), (" │", None)] for line in paragraph(panel.body, width - 4)]
    return [top, *body, [("╰" + "─" * (width - 2) + "╯", None)]]


def lines(block: Block, width: int) -> list[Line]:
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
        return [[shift, *fit(line, inner)] for line in lines(block.block, inner)]
    return paragraph(block, width)


def page(blocks: Iterable[Block], *, width: int, color: bool) -> str:
    """The blocks one under the other as text, ANSI-coloured when ``color``; trailing spaces trimmed."""
    out: list[str] = []
    for block in blocks:
        for line in lines(block, width):
            line = fit(line, width, pad=False)
            if color:
                out.append(
                    "".join(s.render(t, color_system=ColorSystem.STANDARD) if s else t for t, s in line)
                )
            else:
                out.append("".join(t for t, _ in line))
    text = "\n".join(out) + "\n"
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
