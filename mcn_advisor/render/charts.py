"""Charts for the HTML report: small inline SVG drawn from numbers the core computed.

Three kinds cover every chart the reports show:

- ``bars``: labelled horizontal bars in groups, each group on its own scale, with dashed
  marks (a factor's saturation, the band bounds) and one or two series per row (as is
  and what if). A bar may start at a ``base``, so the same chart draws a waterfall
  (gross to net, each rung floating on the running total).
- ``gantt``: the plan, one row per action with its short title, phases as headers, late
  actions in red, the policy's dates as dashed lines.
- ``columns``: a month-by-month path, one or two series per month, dates marked.

Every function takes labels already translated and numbers already computed; the
chart only places them. Output is deterministic: coordinates with one decimal, no
generated ids, no clock. Every text is escaped. Every data mark carries ``data-id``
and ``data-value`` (the core's number), so a test can read a chart back in a browser
and compare it with the result it was drawn from. Colours and fonts come from the
report's stylesheet (classes only), so a chart is a few kilobytes.

The viewBox is ``WIDTH`` units wide, the A4 content width in CSS pixels: one unit is
one CSS pixel on paper, and font sizes are real sizes. Label widths are estimated
from the characters (``text_width``: an upper bound for the report's sans fonts) and
labels wrapped to fit; the browser tests check that nothing leaves the viewBox.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from mcn_advisor.records import record
from mcn_advisor.render import common

WIDTH = 680  # (210 mm - 2 x 15 mm margins) at 96 px per inch
FONT = 12  # px, labels
SMALL = 11  # px, values and dates
LINE = 15  # px, one line of a label
GAP = 8  # px between a label and its bar


def text_width(text: str, size: float = FONT) -> float:
    """An upper estimate of a label's width in px."""
    return common.text_width(text, size)


def _tokens(text: str) -> list[str]:
    """Break opportunities: a Latin word with the space after it, or one CJK character."""
    out: list[str] = []
    word = ""
    for c in " ".join(text.split()):
        if common.cells(c) == 2:
            if word:
                out.append(word)
                word = ""
            out.append(c)
        else:
            word += c
            if c == " ":
                out.append(word)
                word = ""
    return [*out, word] if word else out


def wrap(text: str, width: float, size: float = FONT, max_lines: int = 2) -> list[str]:
    """``text`` in lines no wider than ``width`` px (Latin breaks at spaces, CJK anywhere);
    the last line ends in an ellipsis when more would be needed."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if line and text_width(line + token.rstrip(), size) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
        while text_width(line.rstrip(), size) > width:  # one word longer than the line: cut it
            cut = len(line) - 1
            while cut > 1 and text_width(line[:cut], size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and text_width(last + "…", size) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return lines or [""]


# --- SVG pieces --------------------------------------------------------------------------


def _n(x: float) -> str:
    """A coordinate with one decimal at most: the same number always gives the same bytes."""
    text = f"{x:.1f}"
    return "0" if text in ("0.0", "-0.0") else text.removesuffix(".0")


def data_value(value: float) -> str:
    """The core's number as written in ``data-value``: exact to ten significant digits."""
    return format(value, ".10g")


def _text(x: float, y: float, lines: Sequence[str], cls: str = "lbl", anchor: str = "start") -> str:
    if len(lines) == 1:
        return f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}">{escape(lines[0])}</text>'
    spans = "".join(
        f'<tspan x="{_n(x)}" y="{_n(y + i * LINE)}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text class="{cls}" text-anchor="{anchor}">{spans}</text>'


def _line(cls: str, x1: float, y1: float, x2: float, y2: float, data: str = "") -> str:
    return f'<line class="{cls}" x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"{data}/>'


def _rect(cls: str, x: float, y: float, w: float, h: float, data: str = "") -> str:
    return f'<rect class="{cls}" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}"{data}/>'


def _data(ident: str, value: str, series: int | None = None) -> str:
    extra = f' data-series="{series}"' if series is not None else ""
    return f' data-id="{escape(ident)}" data-value="{escape(value)}"{extra}'


def _svg(kind: str, height: float, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _label_at(x: float, text: str, size: float, left: float = 0, right: float = WIDTH) -> tuple[float, str]:
    """Where a label centred on ``x`` goes, and its anchor, so that it stays within [left, right]."""
    half = text_width(text, size) / 2
    if x - half < left:
        return left, "start"
    if x + half > right:
        return right, "end"
    return x, "middle"


# --- bars ----------------------------------------------------------------------------------


@record(frozen=True)
class Bar:
    value: float  # the core's number: the bar's length on its group's scale, and its data-value
    note: str = ""  # the value as the report writes it, shown after the bar
    base: float = 0.0  # where the bar starts on the scale (a waterfall rung floats on the running total)
    tone: str = ""  # a class of the stylesheet: "down", "up", "total", "late", or "" (the accent)


@record(frozen=True)
class Row:
    id: str
    label: str
    bars: tuple[Bar, ...]  # one per series, drawn one under the other


@record(frozen=True)
class Mark:
    at: float  # on the group's scale
    label: str


@record(frozen=True)
class Group:
    title: str  # "" for none
    rows: Sequence[Row]
    scale: float  # the value at the track's right end
    marks: Sequence[Mark] = ()
    floor: float = 0.0  # the value at its left end: below 0 when a bar (a waterfall's net) goes negative


def bars(
    groups: Sequence[Group], *, title: str, series: Sequence[str] = (), label_width: float = 200
) -> Markup:
    """Horizontal bars, one row per item, in groups with their own scale and marks.

    ``series`` names the bars of each row (a legend is drawn when there are two or more);
    each bar's ``data-series`` is its index.
    """
    notes = [text_width(b.note, SMALL) for g in groups for r in g.rows for b in r.bars]
    x0 = label_width + GAP
    x1 = WIDTH - (max(notes, default=0) + GAP + 2)
    thick = 16 if len(series) < 2 else 9
    body: list[str] = []
    y = 4.0
    if len(series) > 1:
        x = x0
        for i, name in enumerate(series):
            body.append(_rect(f"bar s{i}", x, y + 2, 10, 10))
            body.append(_text(x + 14, y + 11, [name], cls="val"))
            x += 14 + text_width(name, SMALL) + 16
        y += 20
    for group in groups:
        if group.title:
            body.append(_text(0, y + 12, wrap(group.title, WIDTH, max_lines=1), cls="grp"))
            y += LINE + 5
        top = y
        floor = min(group.floor, 0.0)
        scale = (group.scale - floor) or 1.0

        def x(v: float, scale: float = scale, floor: float = floor) -> float:
            return x0 + (x1 - x0) * min(max((v - floor) / scale, 0.0), 1.0)

        for row in group.rows:
            lines = wrap(row.label, label_width, max_lines=3)
            height = max(LINE * len(lines), (thick + 2) * len(row.bars))
            body.append(_text(label_width, y + 12, lines, anchor="end"))
            for i, b in enumerate(row.bars):
                by = y + i * (thick + 2)
                start, end = sorted((x(b.base), x(b.base + b.value)))
                series_cls = f" s{i}" if len(series) > 1 else ""
                tone = f" {b.tone}" if b.tone else ""
                body.append(_rect("track", x0, by, x1 - x0, thick))
                data = _data(row.id, data_value(b.value), i if len(series) > 1 else None)
                body.append(_rect(f"bar{series_cls}{tone}", start, by, end - start, thick, data))
                if b.note:
                    body.append(_text(x1 + GAP, by + thick - 3.5, [b.note], cls="val"))
            y += height + 7
        if floor < 0:  # where 0 falls, so a bar left of it reads as below zero
            body.append(_line("axis", x(0.0), top - 3, x(0.0), y - 4))
        for m in group.marks:
            mx = x(m.at)
            body.append(_line("mark", mx, top - 3, mx, y - 4))
            if m.label:
                lx, anchor = _label_at(mx, m.label, SMALL, x0, x1)
                body.append(_text(lx, y + 8, [m.label], cls="val", anchor=anchor))
        if any(m.label for m in group.marks):
            y += 14
    return _svg("bars", y + 2, title, body)


# --- gantt -----------------------------------------------------------------------------------


@record(frozen=True)
class Task:
    id: str
    label: str
    start: dt.date
    end: dt.date
    group: str  # a header row whenever it changes
    late: bool = False


@record(frozen=True)
class Marker:
    id: str
    day: dt.date
    label: str


def _lanes(spans: list[tuple[float, float]], gap: float = 6) -> list[int]:
    """A lane for each (left, right) span, the first where it does not touch the one before."""
    ends: list[float] = []
    out = []
    for left, right in spans:
        lane = next((i for i, end in enumerate(ends) if left >= end + gap), len(ends))
        if lane == len(ends):
            ends.append(right)
        else:
            ends[lane] = right
        out.append(lane)
    return out


@record(frozen=True)
class _Placed:
    marker: Marker
    text: str
    x: float  # the line
    left: float  # the label's left edge
    lane: int  # the label's row above the plot, 0 at the top


def _place(markers: Sequence[Marker], x_of: Callable[[Marker], float | None]) -> list[_Placed]:
    """Each marker's line and label: the label right of its line, or left of it near the right
    edge, in as many lanes as the labels need not to overlap."""
    spans = []
    for m in sorted(markers, key=lambda m: (m.day, m.id)):
        mx = x_of(m)
        if mx is None:
            continue
        text = f"{m.day.strftime('%m-%d')} {m.label}".rstrip()
        w = text_width(text, SMALL)
        left = mx - w - 3 if mx + 3 + w > WIDTH else mx + 3
        spans.append((m, text, mx, left, left + w))
    lanes = _lanes([(left, right) for *_, left, right in spans])
    return [
        _Placed(m, text, mx, left, lane) for (m, text, mx, left, _), lane in zip(spans, lanes, strict=True)
    ]


def _marker_marks(placed: list[_Placed], top: float, bottom: float) -> list[str]:
    """The dashed lines and labels of placed markers; lane 0's labels sit on ``top + 10``."""
    out = []
    for p in placed:
        ly = top + 10 + 15 * p.lane
        out.append(_line("policy", p.x, ly + 3, p.x, bottom, _data(p.marker.id, p.marker.day.isoformat())))
        out.append(_text(p.left, ly, [p.text], cls="val"))
    return out


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def gantt(
    tasks: Sequence[Task], markers: Sequence[Marker], *, title: str, label_width: float = 250
) -> Markup:
    """One row per task (its label wrapped on the left, its bar from start to end), a header
    row per group, each marker a dashed line with its date and label above the rows."""
    days = [t.start for t in tasks] + [t.end for t in tasks] + [m.day for m in markers]
    d0, d1 = min(days), max(days)
    span = max((d1 - d0).days, 1)
    x0, x1 = label_width + GAP + 4, WIDTH - 4

    def x(d: dt.date) -> float:
        return x0 + (x1 - x0) * (d - d0).days / span

    placed = _place(markers, lambda m: x(m.day))
    top = 4 + 15 * (max((p.lane for p in placed), default=-1) + 1)
    body: list[str] = []
    y, group = top + 4, None
    for t in tasks:
        if t.group != group:
            group = t.group
            body.append(_text(0, y + 12, wrap(group, WIDTH - 8, max_lines=1), cls="grp"))
            y += LINE + 4
        lines = wrap(t.label, label_width)
        height = max(LINE * len(lines), 16)
        body.append(_text(0, y + 12, lines))
        data = _data(t.id, f"{t.start.isoformat()}/{t.end.isoformat()}")
        cls = "task late" if t.late else "task"
        body.append(_rect(cls, x(t.start), y + 1, max(x(t.end) - x(t.start), 2), 13, data))
        y += height + 5
    # The first day and each month's first, as a faint grid labelled under the rows.
    ticks = [(x0, d0.isoformat())]
    month = _next_month(d0)
    while month <= d1:
        ticks.append((x(month), month.strftime("%m-%d")))
        month = _next_month(month)
    grid, last = [], -math.inf
    for tx, label in ticks:
        grid.append(_line("grid", tx, top, tx, y))
        lx, anchor = _label_at(tx, label, SMALL, x0, WIDTH)
        left = lx - {"start": 0, "middle": 0.5, "end": 1}[anchor] * text_width(label, SMALL)
        if left > last + 4:  # a month start too close to the first day goes unlabelled
            body.append(_text(lx, y + 12, [label], cls="val", anchor=anchor))
            last = left + text_width(label, SMALL)
    body = grid + body + _marker_marks(placed, 0, y)
    return _svg("gantt", y + 18, title, body)


# --- columns: a path over months ----------------------------------------------------------


@record(frozen=True)
class Column:
    id: str  # e.g. the month, "2020-10"
    label: str
    values: tuple[float, ...]  # one per series


def _nice_step(top: float, ticks: int = 4) -> float:
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def columns(
    cols: Sequence[Column],
    *,
    title: str,
    series: Sequence[str],
    fmt: Callable[[float], str],
    markers: Sequence[Marker] = (),
) -> Markup:
    """Grouped columns, one group per period, on a shared axis with gridlines labelled by
    ``fmt``; a negative value (a gain) hangs below the zero line; each marker a dashed line at
    its day within its period."""
    top_value = max([0.0, *(v for c in cols for v in c.values)])
    low_value = min([0.0, *(v for c in cols for v in c.values)])
    step = _nice_step(top_value - low_value or 1.0)
    top_tick = step * math.ceil(top_value / step - 1e-9)
    low_tick = -step * math.ceil(-low_value / step - 1e-9)
    if top_tick == low_tick:
        top_tick = step
    ticks = [low_tick + step * i for i in range(int(round((top_tick - low_tick) / step)) + 1)]
    tick_labels = [fmt(v) for v in ticks]
    x0 = max(text_width(s, SMALL) for s in tick_labels) + 6
    slot = (WIDTH - x0) / max(len(cols), 1)
    periods = {c.id: i for i, c in enumerate(cols)}

    def x_of(m: Marker) -> float | None:
        i = periods.get(m.day.strftime("%Y-%m"))
        if i is None:
            return None
        days_in_month = (_next_month(m.day) - dt.timedelta(days=1)).day
        return x0 + slot * (i + (m.day.day - 0.5) / days_in_month)

    placed = _place(markers, x_of)
    legend = 18.0 if len(series) > 1 else 0.0
    plot_top = legend + 15 * (max((p.lane for p in placed), default=-1) + 1) + 10
    plot_h = 160.0
    base = plot_top + plot_h
    body: list[str] = []
    if len(series) > 1:
        lx = x0
        for i, name in enumerate(series):
            body.append(_rect(f"col s{i}", lx, 3, 10, 10))
            body.append(_text(lx + 14, 12, [name], cls="val"))
            lx += 14 + text_width(name, SMALL) + 16

    def y_of(v: float) -> float:
        return base - plot_h * (v - low_tick) / (top_tick - low_tick)

    for value, label in zip(ticks, tick_labels, strict=True):
        ty = y_of(value)
        body.append(_line("axis" if value == 0 else "grid", x0, ty, WIDTH, ty))
        body.append(_text(x0 - 4, ty + 4, [label], cls="val", anchor="end"))
    zero = y_of(0.0)
    width = min(slot * 0.7 / len(series), 28)
    lines_max = 1
    for i, c in enumerate(cols):
        left = x0 + slot * i + (slot - width * len(series)) / 2
        for s, v in enumerate(c.values):
            top_y, bottom_y = sorted((y_of(v), zero))
            data = _data(c.id, data_value(v), s if len(series) > 1 else None)
            body.append(_rect(f"col s{s}", left + s * width, top_y, width, bottom_y - top_y, data))
        lines = wrap(c.label, slot - 4, SMALL)
        lines_max = max(lines_max, len(lines))
        body.append(_text(x0 + slot * (i + 0.5), base + 14, lines, cls="val", anchor="middle"))
    body += _marker_marks(placed, legend, base)
    return _svg("columns", base + 8 + LINE * lines_max, title, body)
