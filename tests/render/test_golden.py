"""Golden outputs for the example profiles.

Regenerate every golden file after an intended change with ``UPDATE_GOLDEN=1 pytest -m golden``
(see ``tests/conftest.py``) and review the diff like code.
"""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from mcn_advisor.core.engine import assess
from mcn_advisor.render import json as json_report
from mcn_advisor.render import markdown, terminal
from tests.conftest import GOLDEN, PROFILES, example
from tests.conftest import check_golden as check

NAMES = sorted(p.stem for p in PROFILES.glob("*.toml"))


@pytest.mark.parametrize("name", NAMES)
def test_json(pack, name):
    p = example(name)
    check(GOLDEN / f"{name}.json", json_report.render(assess(p, pack, p.as_of), "en"))


@pytest.mark.parametrize(
    ("name", "lang"),
    [("small_pure_promotion", "en"), ("minimal", "en"), ("midsize_mcn_supply_services", "zh")],
)
def test_terminal_at_80_columns(pack, name, lang):
    p = example(name)
    text = terminal.render(assess(p, pack, p.as_of), lang, width=80, color=False)
    # Chinese characters take two columns: count cells, not characters.
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    assert "\x1b[" not in text and "…" not in text  # nothing cut off
    check(GOLDEN / (f"{name}.txt" if lang == "en" else f"{name}.{lang}.txt"), text)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", ["midsize_mcn_supply_services", "minimal", "small_pure_promotion_september"])
def test_markdown(pack, name, lang):
    p = example(name)
    check(GOLDEN / f"{name}.{lang}.md", markdown.render(assess(p, pack, p.as_of), lang))


def test_same_input_gives_byte_identical_output(pack):
    p = example("premium_brands")
    assert json_report.render(assess(p, pack, p.as_of)) == json_report.render(
        assess(example("premium_brands"), pack, p.as_of)
    )
