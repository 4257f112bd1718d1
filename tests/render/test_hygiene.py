"""Text from a profile or a pack never acts on the reader's terminal or spreadsheet.

An agency name carrying ``ESC]0;...BEL`` (set the window title), ``ESC[31m`` (colour),
a C1 CSI or a bidirectional override is shown, not obeyed, in every terminal report
(also in colour, where rich adds its own styles) and in Markdown; every CSV cell a
spreadsheet would run as a formula is prefixed, whatever it comes from.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from mcn_advisor import render
from mcn_advisor.core.engine import assess, evaluate
from mcn_advisor.core.levers import rank_levers
from mcn_advisor.core.portfolio import Failure, Tally, row
from mcn_advisor.core.whatif import what_if
from tests.conftest import example
from tests.render.test_markdown import with_name

HOSTILE = "\x1b]0;pwned\x07\x1b[31m\x9b31m\u202eEvil MCN"
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _profile():
    return with_name(example("midsize_mcn_supply_services"), HOSTILE)


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("kind", ["assessment", "what-if", "levers"])
def test_terminal_reports_show_control_characters(pack, kind: str, color: bool):
    p = _profile()
    result = {
        "assessment": lambda: assess(p, pack, p.as_of),
        "what-if": lambda: what_if(p, pack, p.as_of, [], ["own_store"]),
        "levers": lambda: rank_levers(p, pack, p.as_of),
    }[kind]()
    text = render.get(kind, "terminal", width=80, color=color)(result, "en")
    assert (SGR.search(text) is not None) == color
    assert not CONTROL.search(SGR.sub("", text)), repr(CONTROL.search(SGR.sub("", text)))
    if kind != "levers":  # the levers table does not name the agency (rich drops the bell itself)
        assert "\u241b]0;pwned\u241b[31m\\x9b31m\\u202eEvil MCN" in text


def test_markdown_shows_control_characters(pack):
    p = _profile()
    text = render.get("assessment", "markdown")(assess(p, pack, p.as_of), "en")
    assert not CONTROL.search(text)
    assert "\\\\x9b31m\\\\u202eEvil MCN" in text  # shown, its backslashes escaped for Markdown


def test_every_csv_cell_that_a_spreadsheet_would_run_is_prefixed(pack):
    tally = Tally((pack,), None, ("json", "md"))
    p = with_name(example("midsize_mcn_supply_services"), "=HYPERLINK(1)")
    tally.add(row([evaluate(p, pack, p.as_of)], (pack,), "+in.toml", "-1_1"))
    tally.add(Failure("@bad.toml", ("\tbroken",)))
    cells = [
        c
        for line in csv.reader(io.StringIO(render.get("portfolio", "csv")(tally.portfolio(), "en")))
        for c in line
    ]
    risky = [
        c
        for c in cells
        if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"-?\d+(\.\d+)?", c)
    ]
    assert risky == []
    assert {"'=HYPERLINK(1)", "'+in.toml", "'-1_1.json;-1_1.md", "'@bad.toml", "'\tbroken"} <= set(cells)
