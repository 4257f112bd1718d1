"""The SVG charts: labels fit their room, marks carry the numbers they were drawn from,
text is escaped, a bar can float (a waterfall), and the same numbers give the same bytes.

Whether anything is clipped once a browser lays the chart out is measured in
tests/browser; these tests check the geometry the module promises without one.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcn_advisor.render import charts
from mcn_advisor.render.charts import Bar, Column, Group, Mark, Marker, Row, Task

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def marks(svg: str) -> list[dict[str, str]]:
    return [e.attrib for e in parse(svg).iter() if "data-id" in e.attrib]


def view_width(svg: str) -> float:
    return float(parse(svg).attrib["viewBox"].split()[2])


@given(st.text(min_size=1, max_size=120), st.integers(min_value=40, max_value=400))
def test_wrapped_lines_fit_their_width(text, width):
    lines = charts.wrap(text, width, max_lines=3)
    assert 1 <= len(lines) <= 3
    assert all(charts.text_width(line) <= width for line in lines)


def test_wrap_breaks_latin_at_spaces_and_chinese_anywhere():
    latin = charts.wrap("Sort every third-party-linked client", 150)
    assert len(latin) == 2 and " ".join(latin) == "Sort every third-party-linked client"
    chinese = charts.wrap("逐一梳理外链客户分为三类愿开抖音小店需转其他平台", 100, max_lines=5)
    assert "".join(chinese) == "逐一梳理外链客户分为三类愿开抖音小店需转其他平台" and len(chinese) > 2
    cut = charts.wrap("one two three four five six seven eight nine ten", 60, max_lines=2)
    assert len(cut) == 2 and cut[-1].endswith("…")


def factor_bars() -> list[Group]:
    rows = [
        Row("live_cart", "Live-cart cut-off", (Bar(0.54, "16.2 / 30 pts"),)),
        Row("supply_gap", "Supply gap", (Bar(1.0, "15.0 / 15 pts"),)),
    ]
    return [Group("", rows, scale=1.0, marks=[Mark(1.0, "full")])]


def test_bars_carry_the_numbers_they_draw():
    svg = charts.bars(factor_bars(), title="Exposure factors")
    assert view_width(svg) == charts.WIDTH
    assert [(m["data-id"], m["data-value"]) for m in marks(svg)] == [
        ("live_cart", "0.54"),
        ("supply_gap", "1"),
    ]
    bars = {m["data-id"]: float(m["width"]) for m in marks(svg)}
    assert bars["live_cart"] / bars["supply_gap"] == pytest.approx(0.54, abs=0.01)
    line = next(e for e in parse(svg).iter(f"{SVG}line") if e.attrib.get("class") == "mark")
    full = next(m for m in marks(svg) if m["data-id"] == "supply_gap")
    assert float(line.attrib["x1"]) == pytest.approx(float(full["x"]) + float(full["width"]), abs=0.1)


def test_a_bar_can_float_on_a_base_as_a_waterfall_rung():
    rungs = [
        Row("gross", "Gross loss", (Bar(1000.0, "1,000", tone="down"),)),
        Row("moves", "Moves by itself", (Bar(-300.0, "−300", base=1000.0, tone="up"),)),
        Row("net", "Expected loss", (Bar(700.0, "700", tone="total"),)),
    ]
    svg = charts.bars([Group("", rungs, scale=1000.0)], title="Gross to net")
    drawn = {m["data-id"]: (float(m["x"]), float(m["width"])) for m in marks(svg)}
    gross_x, gross_w = drawn["gross"]
    moves_x, moves_w = drawn["moves"]
    assert abs((moves_x + moves_w) - (gross_x + gross_w)) < 0.2  # ends where the gross ends
    assert abs(moves_w / gross_w - 0.3) < 0.01 and abs(drawn["net"][1] / gross_w - 0.7) < 0.01
    assert 'class="bar up"' in svg and 'class="bar total"' in svg


def test_two_series_get_a_legend_and_their_index():
    rows = [Row("f", "Factor", (Bar(30.0, "30.0"), Bar(18.1, "18.1")))]
    svg = charts.bars([Group("", rows, scale=30.0)], title="Side by side", series=("As is", "What if"))
    assert [(m["data-id"], m["data-series"], m["data-value"]) for m in marks(svg)] == [
        ("f", "0", "30"),
        ("f", "1", "18.1"),
    ]
    assert ">As is</text>" in svg and ">What if</text>" in svg


def test_every_text_is_escaped():
    evil = '</text><script>alert(1)</script> & "quoted" onmouseover="x"'
    rows = [Row(evil, evil, (Bar(0.5, evil),))]
    svg = charts.bars([Group(evil, rows, scale=1.0, marks=[Mark(1.0, evil)])], title=evil)
    tasks = [Task(evil, evil, dt.date(2020, 8, 27), dt.date(2020, 9, 3), evil)]
    svg += charts.gantt(tasks, [Marker(evil, dt.date(2020, 9, 6), evil)], title=evil)
    assert "<script" not in svg and 'onmouseover="x"' not in svg
    parse(charts.bars([Group(evil, rows, scale=1.0)], title=evil))  # still well-formed XML


def test_the_same_numbers_give_the_same_bytes():
    assert charts.bars(factor_bars(), title="x") == charts.bars(factor_bars(), title="x")


def plan() -> tuple[list[Task], list[Marker]]:
    day = dt.date(2020, 8, 27)
    tasks = [
        Task("ACT-A", "Reprice quotes to carry the 20% Star Map fee", day, dt.date(2020, 9, 3), "1. Before"),
        Task(
            "ACT-B",
            "Onboard willing clients",
            dt.date(2020, 9, 3),
            dt.date(2020, 9, 17),
            "2. Later",
            late=True,
        ),
    ]
    markers = [
        Marker("fee", dt.date(2020, 8, 27), ""),
        Marker("matching", dt.date(2020, 9, 6), ""),
        Marker("ban", dt.date(2020, 10, 9), ""),
    ]
    return tasks, markers


def test_the_gantt_draws_each_action_from_start_to_due_and_each_step_as_a_line():
    tasks, markers = plan()
    svg = charts.gantt(tasks, markers, title="Plan")
    assert [(m["data-id"], m["data-value"]) for m in marks(svg)] == [
        ("ACT-A", "2020-08-27/2020-09-03"),
        ("ACT-B", "2020-09-03/2020-09-17"),
        ("fee", "2020-08-27"),
        ("matching", "2020-09-06"),
        ("ban", "2020-10-09"),
    ]
    rects = {m["data-id"]: m for m in marks(svg) if m["data-id"].startswith("ACT")}
    assert rects["ACT-B"]["class"] == "task late"
    a, b = (float(rects[k]["x"]) for k in ("ACT-A", "ACT-B"))
    a_end = float(rects["ACT-A"]["x"]) + float(rects["ACT-A"]["width"])
    assert a < b and abs(a_end - b) < 0.2  # B starts the day A is due
    texts = [e.text for e in parse(svg).iter(f"{SVG}text")]
    assert "1. Before" in texts and "2. Later" in texts and "09-06" in texts and "10-01" in texts


def test_marker_labels_that_would_collide_take_another_lane():
    day = dt.date(2020, 8, 20)
    tasks = [Task("A", "A", day, dt.date(2020, 10, 9), "")]
    close = [Marker("one", day, "a long label here"), Marker("two", dt.date(2020, 8, 21), "another label")]
    svg = charts.gantt(tasks, close, title="Plan")
    ys = [e.attrib["y"] for e in parse(svg).iter(f"{SVG}text") if e.text and e.text.startswith("08-2")]
    assert len(set(ys)) == 2


def test_columns_hold_both_series_of_each_month_and_mark_a_date_inside_its_month():
    cols = [Column("2020-09", "2020-09", (8.1e6, 8.1e6)), Column("2020-10", "2020-10", (8.1e6, 2.5e6))]
    svg = charts.columns(
        cols,
        title="Path",
        series=("Without the plan", "With the plan"),
        fmt=lambda v: f"{v / 1e4:,.0f} 万元",
        markers=[Marker("ban", dt.date(2020, 10, 9), "")],
    )
    points = [(m["data-id"], m.get("data-series"), m["data-value"]) for m in marks(svg)]
    assert points == [
        ("2020-09", "0", "8100000"),
        ("2020-09", "1", "8100000"),
        ("2020-10", "0", "8100000"),
        ("2020-10", "1", "2500000"),
        ("ban", None, "2020-10-09"),
    ]
    ban = float(next(m for m in marks(svg) if m["data-id"] == "ban")["x1"])
    september, october = (
        [m for m in marks(svg) if m["data-id"] == month] for month in ("2020-09", "2020-10")
    )
    # Between September's columns and October's: early in October's slot.
    assert (
        max(float(m["x"]) + float(m["width"]) for m in september) < ban < min(float(m["x"]) for m in october)
    )
    assert re.search(r">1,000 万元<", svg)  # the axis labels come from the caller's format
