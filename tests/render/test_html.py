"""The HTML reports without a browser: golden pages in both languages, pages that stand
alone (no script, no link, no request), every text from a profile or a pack escaped,
no shell command in a client document, the month-by-month chart when the assessment has
a path, and Jinja2 imported only when HTML is asked for. tests/browser lays the same
pages out in Chromium and prints them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest
from markupsafe import escape

from mcn_advisor.core.combine import assess_all
from mcn_advisor.core.compare import diff, saved_snapshot
from mcn_advisor.core.engine import assess
from mcn_advisor.core.levers import rank_levers
from mcn_advisor.core.portfolio import Row, Tally
from mcn_advisor.core.whatif import parse_assignment, what_if
from mcn_advisor.render import decisions_markdown, html
from mcn_advisor.render import get as get_renderer
from mcn_advisor.render import json as json_report
from mcn_advisor.vocab import LANGS
from tests.conftest import AS_OF, GOLDEN, PROFILES, example
from tests.conftest import check_golden as check
from tests.render.test_markdown import HOSTILE, with_acceptances, with_name

NAMES = sorted(p.stem for p in PROFILES.glob("*.toml"))


@pytest.mark.parametrize("lang", LANGS)
def test_golden(pack, lang):
    p = example("midsize_mcn_supply_services")
    check(GOLDEN / f"midsize_mcn_supply_services.{lang}.html", html.render(assess(p, pack, p.as_of), lang))


def stands_alone(page: str) -> None:
    """A page that needs nothing else: no script, no stylesheet or font to fetch, no link out."""
    assert page.startswith("<!DOCTYPE html>\n") and page.endswith("</html>\n")
    lowered = page.lower()
    assert "<script" not in lowered and "<link" not in lowered and "@import" not in lowered
    assert "url(" not in lowered and " src=" not in lowered
    assert not re.search(r"""href\s*=\s*["']?(?:[a-z]+:|//)""", lowered)  # links only to files beside it
    assert not re.search(r"\son[a-z]+\s*=", lowered)  # no event handler


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_every_example_gives_a_page_that_stands_alone_with_its_charts(pack, name, lang):
    p = example(name)
    page = html.render(assess(p, pack, p.as_of), lang)
    stands_alone(page)
    charts = re.findall(r'<figure class="chart" data-chart="(\w+)">', page)
    assert charts[:2] == ["factors", "money"] and "platforms" in charts
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page


def hostile_results(pack, name: str) -> dict[str, object]:
    p = with_name(example("small_pure_promotion"), name, partners=[name])
    p = with_acceptances(p, name, DY_PLAT_001=None, DY_FEE_001=dt.date(2020, 8, 1))
    a = assess(p, pack, AS_OF)
    saved = saved_snapshot(json.loads(json_report.render(a)), "a.json")
    tally = Tally((pack,), report_formats=("json", "html"))
    tally.add(
        Row(name, name, AS_OF, 93.2, "critical", 1.0, 1.0, ("DY-LIVE-001",), "critical", "a", ("critical",))
    )
    return {
        "assessment": (html.render, a),
        "what-if": (html.what_if, what_if(p, pack, AS_OF, [parse_assignment("agency.creators=5")])),
        "levers": (html.levers, rank_levers(p, pack, AS_OF)),
        "diff": (html.diff, diff(saved, saved, pack)),
        "portfolio": (get_renderer("portfolio", "html"), tally.portfolio()),  # joins its pieces
    }


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_or_reason_shows_as_typed_and_injects_nothing(pack, name):
    for kind, (renderer, result) in hostile_results(pack, name).items():
        page = renderer(result, "en")
        stands_alone(page)
        assert str(escape(name.strip())) in page or str(escape(name)) in page, kind


def test_the_path_month_by_month_is_drawn_with_gains_below_zero(pack):
    p = example("midsize_mcn_supply_services")
    a = assess(p, pack, p.as_of)
    page = html.render(a, "zh")
    figure = page.split('data-chart="path">', 1)[1].split("</figure>", 1)[0]
    values = re.findall(r'data-id="(20\d\d-\d\d)" data-value="(-?[\d.]+)" data-series="(\d)"', figure)
    assert values == [
        (m.month, f"{v:g}", str(s))
        for m in a.impact.path
        for s, v in enumerate((m.without_plan_cny, m.with_plan_cny))
    ]
    assert any(v.startswith("-") for _, v, _ in values)  # the plan turns later months into gains
    for event, day in (
        ("star_map_matching", "2020-09-06"),
        ("live_cart_ban", "2020-10-09"),
        ("double_11", "2020-11-11"),
    ):
        assert f'data-id="{event}" data-value="{day}"' in figure
    assert "不采取行动" in figure and "执行应对计划" in figure and "万元" in figure


def test_the_money_chart_is_the_gross_to_net_waterfall(pack):
    p = example("small_pure_promotion")
    a = assess(p, pack, p.as_of)
    page = html.render(a, "en")
    figure = page.split('data-chart="money">', 1)[1].split("</figure>", 1)[0]
    steps = dict(re.findall(r'<rect class="bar[^"]*" [^>]*data-id="([\w]+)" data-value="(-?[\d.]+)"', figure))
    i = a.impact
    assert float(steps["revenue_at_risk_cny_monthly"]) == i.revenue_at_risk_cny_monthly
    assert float(steps["creators_split"]) == i.margin_at_risk_cny_monthly - i.revenue_at_risk_cny_monthly
    assert float(steps["net_effect_cny_monthly"]) == -i.net_effect_cny_monthly  # still lost after all of it


def test_no_client_document_holds_a_shell_command(pack):
    p = example("small_pure_promotion")
    ranking = rank_levers(p, pack, p.as_of, top=3)
    assert ranking.band_unchanged and ranking.not_shown  # the two notes that once named commands
    change = what_if(p, pack, p.as_of, [parse_assignment("agency.divert_contract_share=0.1")])
    for lang in LANGS:
        for text in (
            html.levers(ranking, lang),
            decisions_markdown.levers(ranking, lang),
            html.what_if(change, lang),
            decisions_markdown.what_if(change, lang),
        ):
            shown = text.split("</style>", 1)[-1]  # the stylesheet's --custom-properties are no options
            assert not re.search(r"mcn-advisor (?:assess|what-if|levers|diff|batch)|--[a-z]", shown)


def test_several_packs_get_a_chart_group_each(pack):
    from mcn_advisor.pack.select import load_packs

    packs = load_packs(["douyin-2020", "kuaishou-2019"])
    p = example("kuaishou_taobao_2019")
    page = html.render(assess_all(p, packs, p.as_of), "en")
    factors = page.split('data-chart="factors">', 1)[1].split("</figure>", 1)[0]
    for result in assess_all(p, packs, p.as_of).policies:
        assert 'class="grp"' in factors and escape(result.title["en"]) in factors


def test_jinja2_is_imported_only_for_html():
    script = (
        "import sys\n"
        "from mcn_advisor import render\n"
        "for fmt in ('terminal', 'json', 'markdown'):\n"
        "    render.get('assessment', fmt)\n"
        "assert 'jinja2' not in sys.modules and 'markupsafe' not in sys.modules\n"
        "render.get('assessment', 'html')\n"
        "assert 'jinja2' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
