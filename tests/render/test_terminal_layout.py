"""The terminal reports' hand layout (``render.textlayout``) prints what rich would print.

The reports are laid out without rich's ``Table``, ``Panel`` and ``Padding``; every byte
must still be the one rich printed (the goldens hold a few reports; here random and tricky
tables are laid out both ways, with and without colour): a cell wider than its column,
Chinese text, an empty table, a word longer than a line, columns that may not wrap and do
not fit, control characters from the data.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich import box
from rich.color import ColorSystem
from rich.padding import Padding
from rich.panel import Panel as RichPanel
from rich.style import Style
from rich.table import Table as RichTable

from mcn_advisor.render import textlayout
from mcn_advisor.render.linebreak import Para, ParaTable
from mcn_advisor.render.terminal import BAND_STYLE, SEVERITY_STYLE, VERDICT_STYLE, to_text
from mcn_advisor.render.textlayout import Block, Indent, Panel, Table, page, style


def as_rich(block: Block):
    """The same block built from rich's own classes, as the renderers built it before."""
    if isinstance(block, Indent):
        return Padding(as_rich(block.block), (0, 0, 0, block.left))
    if isinstance(block, Panel):
        return RichPanel(
            block.body.to_rich(), title=block.title.to_rich(), title_align="left", box=box.ROUNDED
        )
    if not isinstance(block, Table):
        return block.to_rich()
    if block.grid:
        table = RichTable.grid(padding=(0, block.gap))
        table.caption, table.caption_justify = block.caption, "left"
    else:
        table = ParaTable(
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            show_edge=False,
            show_header=block.show_header,
            caption=block.caption,
            caption_justify="left",
        )
    for c in block.columns:
        table.add_column(c.header, justify=c.justify, no_wrap=c.no_wrap, overflow=c.overflow)
    for row in block.rows:
        table.add_row(*row)
    return table


def same(blocks: list[Block], width: int) -> None:
    for color in (False, True):
        ours = page(blocks, width=width, color=color)
        theirs = to_text([as_rich(b) for b in blocks], width=width, color=color)
        assert ours == theirs, f"width {width}, colour {color}:\n{ours}\n---- rich:\n{theirs}"


def table(*headers: str, rows: list[list[str | Para]], **kw) -> Table:
    t = Table(**kw)
    for h in headers:
        t.add_column(h.lstrip(">"), justify="right" if h.startswith(">") else "left", overflow="fold")
    for r in rows:
        t.add_row(*r)
    return t


LONG_WORD = "agency.monthly_gmv_cny_in_the_long_run_after_the_closed_loop"
CHINESE = "抖音直播间自二〇二〇年十月九日起不再支持第三方来源商品的购物车链接，需要改用抖音小店。"


@pytest.mark.parametrize("width", [20, 40, 60, 80, 120])
@pytest.mark.parametrize(
    "block",
    [
        pytest.param(table("Rule", ">Amount", rows=[]), id="empty table"),
        pytest.param(table("", "", rows=[], show_header=False), id="empty headless table"),
        pytest.param(table("Field", "Value", rows=[[LONG_WORD, "1"]]), id="word longer than a line"),
        pytest.param(
            table("规则", ">金额", "说明", rows=[["DY-LIVE-001", "CNY 8,100,000", CHINESE]]), id="chinese"
        ),
        pytest.param(
            table(
                "Finding",
                "When",
                rows=[
                    [Para("bold title", style="bold") + Para("\ndim detail " * 9, style="dim"), "2020-10-09"]
                ],
                caption="A caption long enough to wrap under a narrow table, in italics",
            ),
            id="styled cells and a caption",
        ),
        pytest.param(
            Indent(table("A", ">B", rows=[["x" * 30, "y" * 30], ["", "z"]])), id="cells wider than columns"
        ),
        pytest.param(Panel(Para("Body " * 30), Para("Agency\x1b[31m name " * 4, style="bold")), id="panel"),
        pytest.param(
            Indent(Para("Control \x1b]0;title\x07 characters " + CHINESE, style="dim")), id="indent"
        ),
    ],
)
def test_tricky_blocks_are_laid_out_as_rich_lays_them_out(block, width):
    same([block], width)


def test_columns_that_may_not_wrap_and_do_not_fit_are_laid_out_as_rich_does():
    # rich gives up cells evenly and renders nothing in a column left without room
    t = table("Month", ">Without the plan", ">With the plan", "", "Dates", rows=[["2020-10"] * 5] * 3)
    for column in t.columns[:3]:
        column.no_wrap = True
    for width in (12, 30, 40, 60):
        same([t], width)


def test_grids_are_laid_out_as_rich_lays_them_out():
    grid = Table(grid=True, gap=2)
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(Para("[ ] ACT-FEE-REPRICE"), Para("Reprice the fee " * 8, style="dim"))
    grid.add_row(Para("[ ] 开店"), Para(CHINESE))
    for width in (20, 40, 80):
        same([Indent(grid)], width)


WORDS = st.sampled_from(
    [
        "",
        " ",
        "CNY 8,100,000",
        "0.20 − 0.05",
        "DY-LIVE-001",
        LONG_WORD,
        "2020-08-20 起",
        "抖音小店",
        CHINESE[:17],
    ]
    + ["word", "a", "，", "（高）", "\n", "\x1b[31m", "≥", "92.5 / 100", "critical"]
)
STYLES = st.sampled_from(["", "bold", "dim", "bold red", "bold white on red", "italic", "yellow"])
CELLS = st.builds(
    lambda parts: sum((Para("".join(words), style=s) for words, s in parts), Para("")),
    st.lists(st.tuples(st.lists(WORDS, max_size=6), STYLES), min_size=1, max_size=3),
)


@st.composite
def tables(draw) -> Table:
    grid = draw(st.booleans())
    t = Table(
        grid=grid,
        gap=draw(st.integers(1, 2)) if grid else 1,
        show_header=not grid and draw(st.booleans()),
        caption=draw(
            st.sampled_from([None, "", "Levels: low < 5 ≤ medium < 10 ≤ high", "风险等级：低、中、高"])
        ),
    )
    for _ in range(draw(st.integers(1, 5))):
        t.add_column(
            draw(st.sampled_from(["", "Amount", "Computed as", "金额", "GMV at risk/month"])),
            justify=draw(st.sampled_from(["left", "right"])),
            no_wrap=draw(st.booleans()),
            overflow=draw(st.sampled_from(["fold", "ellipsis"])),
        )
    for _ in range(draw(st.integers(0, 4))):
        t.add_row(*(draw(CELLS) for _ in t.columns))
    return t


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block=tables(), width=st.integers(8, 130), indent=st.booleans())
def test_random_tables_are_laid_out_as_rich_lays_them_out(block, width, indent):
    same([Indent(block) if indent else block], width)


USED_STYLES = sorted(
    {*SEVERITY_STYLE.values(), *BAND_STYLE.values(), *VERDICT_STYLE.values()}
    | {"bold", "dim", "italic", "bold underline", "bold yellow", "bold green", "magenta", "green", "red"}
)


@pytest.mark.parametrize("under", ["", "bold", "dim", "italic dim"])
@pytest.mark.parametrize("name", USED_STYLES)
def test_every_style_the_reports_use_is_rendered_as_rich_renders_it(name, under):
    # alone, and over another (a header's bold, a dim paragraph under a coloured span)
    theirs = (Style.parse(under) + Style.parse(name)) if under else Style.parse(name)
    ours = style(name) if not under else textlayout._combined((style(under), style(name)))
    assert textlayout.render("text", ours) == theirs.render("text", color_system=ColorSystem.STANDARD)


def test_a_paragraph_is_built_as_rich_builds_its_text():
    # the renderers build paragraphs with +, assemble and append: the same text and spans as
    # rich's Text (bell, backspace, vertical tab, form feed and carriage return dropped)
    from rich.text import Text

    parts = [("Agency\x07 ", "bold"), "plain\r\n", ("", "dim"), ("tail\x0b\x1b[31m", "red")]
    ours = Para.assemble(*parts, style="italic") + Para("\nmore\x08", style="dim") + " end"
    theirs = Text.assemble(*parts, style="italic") + Text("\nmore\x08", style="dim") + " end"
    assert (ours.plain, ours.style) == (theirs.plain, theirs.style)
    assert ours.spans == [tuple(s) for s in theirs.spans]
    assert ours.to_rich().spans == theirs.spans
