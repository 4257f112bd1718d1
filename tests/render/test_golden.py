"""Golden outputs for the example profiles.

Regenerate every golden file after an intended change with ``UPDATE_GOLDEN=1 pytest -m golden``
(see ``tests/conftest.py``) and review the diff like code.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rich.cells import cell_len

from mcn_advisor.core.combine import assess_all
from mcn_advisor.core.engine import assess
from mcn_advisor.pack.select import load_packs
from mcn_advisor.render import json as json_report
from mcn_advisor.render import markdown, terminal
from tests.conftest import AS_OF, GOLDEN, PROFILES, example
from tests.conftest import check_golden as check

NAMES = sorted(p.stem for p in PROFILES.glob("*.toml"))


@pytest.mark.parametrize("name", NAMES)
def test_json(pack, name):
    p = example(name)
    check(GOLDEN / f"{name}.json", json_report.render(assess(p, pack, p.as_of), "en"))


@pytest.mark.parametrize(
    ("name", "lang"),
    [
        ("small_pure_promotion", "en"),
        ("minimal", "en"),
        ("midsize_mcn_supply_services", "zh"),
        ("affiliate_studio", "zh"),  # a studio: the founder owns everything
    ],
)
def test_terminal_at_80_columns(pack, name, lang):
    p = example(name)
    text = terminal.render(assess(p, pack, p.as_of), lang, width=80, color=False)
    # Chinese characters take two columns: count cells, not characters.
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    assert "\x1b[" not in text and "…" not in text  # nothing cut off
    check(GOLDEN / (f"{name}.txt" if lang == "en" else f"{name}.{lang}.txt"), text)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "name",
    [
        "midsize_mcn_supply_services",
        "minimal",
        "small_pure_promotion_september",
        "jd_linked_no_kuaishou",  # Kuaishou only after an audience is built there
        "affiliate_studio",  # creators' own links end on 09-06; one owner
    ],
)
def test_markdown(pack, name, lang):
    p = example(name)
    check(GOLDEN / f"{name}.{lang}.md", markdown.render(assess(p, pack, p.as_of), lang))


def test_markdown_before_the_steps_were_announced(pack):
    # On 2020-08-01 the Star Map matching and the cart ban were not yet announced: hindsight.
    a = assess(example("small_pure_promotion"), pack, dt.date(2020, 8, 1))
    check(GOLDEN / "small_pure_promotion.2020-08-01.en.md", markdown.render(a, "en"))


def test_markdown_with_two_packs_leads_with_the_headline_pack():
    a = assess_all(example("small_pure_promotion"), load_packs(["douyin-2020", "kuaishou-2019"]), AS_OF)
    text = markdown.render(a, "en")
    data = json.loads(json_report.render(a, "en"))
    summary = text.split("## Policy packs")[0]
    assert f"CNY {data['impact']['revenue_at_risk_cny_monthly']:,.0f}" in summary
    assert f"CNY {data['impact']['gmv_at_risk_cny_monthly']:,.0f}" in summary
    assert {p["policy"] for p in data["summary"]["priorities"]} == {data["policy"]["id"]}
    check(GOLDEN / "small_pure_promotion.two_packs.en.md", text)


def test_same_input_gives_byte_identical_output(pack):
    p = example("premium_brands")
    assert json_report.render(assess(p, pack, p.as_of)) == json_report.render(
        assess(example("premium_brands"), pack, p.as_of)
    )
