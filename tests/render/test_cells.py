"""Terminal widths counted without rich (``render.cells``) are rich's, in every Unicode table
rich ships: a report laid out without rich is as wide as rich laid it out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich import cells as rich_cells
from rich._unicode_data import load
from rich._unicode_data._versions import VERSIONS

from mcn_advisor.render.cells import RANGES, cell_len, cell_sums, chop_cells, set_cell_size


def widths(table, first: int, last: int) -> set[int]:
    """The widths rich gives the code points first..last (1 where its table says nothing)."""
    found, at = set(), first
    for start, end, width in table:
        if end < first or start > last:
            continue
        if start > at:
            found.add(1)  # a gap in the table: one cell
        found.add(width)
        at = end + 1
    if at <= last:
        found.add(1)
    return found


@pytest.mark.parametrize("version", VERSIONS)
def test_every_range_we_count_has_our_width_in_every_unicode_table(version):
    table = load(version).widths
    for first, last, cells in RANGES:
        if cells == 0:  # control characters: rich counts them as nothing before any table
            assert {rich_cells.get_character_cell_size(chr(c), version) for c in range(first, last + 1)} == {
                0
            }
        else:
            assert widths(table, first, last) == {cells}, (hex(first), hex(last))


TEXT = st.text(
    st.sampled_from(
        list("ab c-") + ["抖", "音", "，", "（", "·", "—", "→", "█", "\x1b", "é", "😀", "\u200d", "\u0301"]
    ),
    max_size=12,
)


@given(text=TEXT, size=st.integers(0, 14))
def test_widths_cuts_and_folds_are_rich_ones(text, size):
    # characters of our own ranges, and others that rich alone decides (emoji, joiners, accents)
    assert cell_len(text) == rich_cells.cell_len(text)
    assert set_cell_size(text, size) == rich_cells.set_cell_size(text, size)
    if size:
        assert chop_cells(text, size) == rich_cells.chop_cells(text, size)


@given(text=TEXT)
def test_a_piece_measured_by_subtraction_is_as_wide_as_rich_counts_it(text):
    sums = cell_sums(text)
    if sums is None:  # a character rich alone decides: the pieces are counted one by one
        assert any(ch in text for ch in ("😀", "\u200d", "\u0301"))
        return
    for start in range(len(text) + 1):
        for end in range(start, len(text) + 1):
            assert sums[end] - sums[start] == rich_cells.cell_len(text[start:end])
