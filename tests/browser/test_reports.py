"""Every report as a client receives it: rendered to HTML, laid out and printed by a real
headless Chromium, then read back from the page and from the PDF.

For each example profile in both languages: nothing overflows the A4 page width or is
squeezed to a sliver (measured in the page, under print media), nothing is clipped
inside a chart, every chart is there with the data points of the assessment, the PDF
has a sensible number of A4 pages, its text layer holds the report's words (Chinese
included) with a CJK font embedded, and its dates are the assessment's. The decision
reports and the batch summary get the same layout checks. One browser serves the
whole session; see conftest.py for what the tests need and when they skip.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcn_advisor.cli import app
from mcn_advisor.core.combine import assess_all
from mcn_advisor.core.compare import diff, saved_snapshot
from mcn_advisor.core.contract import Assessment
from mcn_advisor.core.levers import rank_levers
from mcn_advisor.core.whatif import parse_assignment, what_if
from mcn_advisor.files.pdf import pin_dates
from mcn_advisor.pack.select import load_packs
from mcn_advisor.render import html
from mcn_advisor.render import json as json_report
from mcn_advisor.vocab import LANGS
from tests.browser.conftest import CJK_FONT, chart_points, load, measure, pages, poppler
from tests.conftest import AS_OF, PROFILES, ROOT, example

NAMES = sorted(p.stem for p in PROFILES.glob("*.toml"))
SCREENSHOT = ROOT / "docs" / "report-first-page.png"
runner = CliRunner()


def _print(tab, tmp_path: Path, text: str, day: dt.date, name: str = "report") -> tuple[Path, list[dict]]:
    """The page laid out and measured, then printed; (the PDF, what the layout got wrong)."""
    source = tmp_path / f"{name}.html"
    source.write_text(text, encoding="utf-8")
    load(tab, source)
    problems = measure(tab)
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(pin_dates(tab.pdf(), day))
    return pdf, problems


def _text(pdf: Path) -> str:
    """The PDF's text layer with every run of white space made one space."""
    return " ".join(poppler("pdftotext", pdf, "-enc", "UTF-8").split())


def _values(points: list[list[str | None]]) -> dict[str, float]:
    return {ident: float(value) for ident, value, _ in points}


def waterfall(a: Assessment) -> dict[str, float]:
    """The headline pack's gross-to-net steps as the money chart draws them (the margin lost a
    month), then every pack's client and creator counts."""
    rungs = {f.id: f.value for f in a.impact.figures if f.rung and f.policy == a.impact.policy}
    gross, margin = rungs["revenue_at_risk_cny_monthly"], rungs["margin_at_risk_cny_monthly"]
    expected, residual = rungs["expected_loss_cny_monthly"], rungs["residual_loss_cny_monthly"]
    steps = {
        "revenue_at_risk_cny_monthly": gross,
        "creators_split": margin - gross,
        "moves_by_itself": expected - margin,
        "won_back": residual - expected,
    }
    running = residual
    for item in a.impact.upside_items:
        value = rungs.get(f"{item.id}_cny_monthly")
        if value:
            steps[f"{item.id}_cny_monthly"] = -value
            running -= value
    steps["net_effect_cny_monthly"] = running
    return {**steps, **{f.id: f.value for f in a.impact.figures if f.unit == "count" and f.value is not None}}


def check_charts(a: Assessment, points: dict[str, list[list[str | None]]]) -> None:
    """Every chart is there, and holds exactly the assessment's numbers."""
    actions = [act for phase in a.plan.phases for act in phase.actions]
    assert set(points) == {"factors", "money", "platforms", "path"} | ({"plan"} if actions else set())
    assert _values(points["factors"]) == pytest.approx({f.id: f.value for f in a.exposure.factors}, abs=1e-9)
    assert _values(points["money"]) == pytest.approx(waterfall(a), abs=1e-6)
    path = {
        (m.month, s): v for m in a.impact.path for s, v in enumerate((m.without_plan_cny, m.with_plan_cny))
    }
    assert {(i, int(s)): float(v) for i, v, s in points["path"] if s is not None} == pytest.approx(path)
    assert _values(points["platforms"]) == pytest.approx(
        {p.platform: p.share for p in a.platform_mix}, abs=1e-9
    )
    if not actions:
        return
    steps = {e.id: e.date.isoformat() for e in a.timeline if e.step and e.days_from_as_of >= 0}
    bars = [(i, v) for i, v, _ in points["plan"] if i not in steps]
    assert bars == [(act.id, f"{act.start.isoformat()}/{act.due.isoformat()}") for act in actions]
    assert {i: v for i, v, _ in points["plan"] if i in steps} == steps


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_assessment_report_in_the_browser(tab, tmp_path, pack, name, lang):
    profile = example(name)
    a = assess_all(profile, (pack,), profile.as_of)
    text = html.render(a, lang)
    assert html.render(a, lang) == text  # the same input, the same bytes
    pdf, problems = _print(tab, tmp_path, text, a.as_of)
    assert problems == [], problems[:5]
    check_charts(a, chart_points(tab))

    assert 3 <= pages(pdf) <= 20  # the money ladder, the path and the rates take two to four pages
    info = poppler("pdfinfo", pdf)
    assert "CreationDate:" in info and a.as_of.strftime("%b %d") in info and str(a.as_of.year) in info
    words = _text(pdf)
    assert " ".join(a.agency.split()) in words
    assert a.findings[0].rule_id in words if a.findings else True
    if lang == "zh":
        for term in ("风险评估与应对方案", "核心结论", "风险指数", "参考来源"):
            assert term in words, term
        # Without a Chinese font the page shows boxes, yet the text layer still holds the
        # characters: only an embedded CJK font proves they print.
        assert CJK_FONT.search(poppler("pdffonts", pdf)), "no CJK font embedded"
    else:
        assert "Executive summary" in words and "Migration plan" in words


def test_several_packs_in_one_report(tab, tmp_path):
    packs = load_packs(["douyin-2020", "kuaishou-2019"])
    profile = example("kuaishou_taobao_2019")
    a = assess_all(profile, packs, profile.as_of)
    pdf, problems = _print(tab, tmp_path, html.render(a, "zh"), a.as_of)
    assert problems == [], problems[:5]
    check_charts(a, chart_points(tab))
    assert {f.policy for f in a.exposure.factors} == {p.id for p in packs}
    assert 3 <= pages(pdf) <= 16


def _decisions(pack):
    small = example("small_pure_promotion")
    changes = [parse_assignment("agency.divert_contract_share=0.1")]
    w = what_if(small, pack, AS_OF, changes, ["store_onboarding", "supply_partner", "short_video_shift"])
    r = rank_levers(example("midsize_mcn_supply_services"), pack, AS_OF)
    before = assess_all(small, (pack,), AS_OF)
    later = example("small_pure_promotion_september")
    after = assess_all(later, (pack,), later.as_of)
    saved = [
        saved_snapshot(json.loads(json_report.render(x)), f"{i}.json") for i, x in enumerate((before, after))
    ]
    d = diff(saved[0], saved[1], pack, ("0.json", "1.json"))
    return {"what-if": (html.what_if, w), "levers": (html.levers, r), "diff": (html.diff, d)}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["what-if", "levers", "diff"])
def test_decision_reports_in_the_browser(tab, tmp_path, pack, kind, lang):
    renderer, result = _decisions(pack)[kind]
    text = renderer(result, lang)
    assert renderer(result, lang) == text
    pdf, problems = _print(tab, tmp_path, text, AS_OF)
    assert problems == [], problems[:5]
    points = chart_points(tab)
    if kind == "levers":
        earning = {x.id: x.value_per_week for x in result.levers if x.group == "money"}
        assert _values(points["levers"]) == pytest.approx(earning)
    else:
        c = result.comparison
        factors = {f.id: (f.before, f.after) for f in c.factors}
        shown = {(i, int(s)): float(v) for i, v, s in points["comparison"]}
        for ident, (before, after) in factors.items():
            assert shown[(ident, 0)] == pytest.approx(before) and shown[(ident, 1)] == pytest.approx(after)
    assert 1 <= pages(pdf) <= 6
    assert " ".join(result.agency.split()) in _text(pdf)


@pytest.mark.parametrize("lang", LANGS)
def test_batch_summary_and_reports_in_the_browser(tab, tmp_path, lang):
    out = tmp_path / "reports"
    result = runner.invoke(
        app,
        [
            "batch",
            str(PROFILES),
            "--as-of",
            "2020-08-27",
            "--out-dir",
            str(out),
            "--report",
            "html",
            "--lang",
            lang,
        ],
    )
    assert result.exit_code == 0, result.output
    summary = out / "summary.html"
    load(tab, summary)
    assert measure(tab) == []
    points = chart_points(tab)
    totals = json.loads((out / "summary.json").read_text(encoding="utf-8"))["totals"]
    assert totals["insufficient_data"] == 1  # minimal.toml: in no band, counted apart
    assert sum(float(v) for _, v, _ in points["bands"]) == len(NAMES) - 1
    links = tab.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
    assert sorted(links) == sorted(p.name for p in out.glob("*.html") if p.name != "summary.html")
    for link in links[:2]:  # the linked reports open and hold together
        load(tab, out / link)
        assert measure(tab) == []
        assert {"factors", "money", "platforms"} <= set(chart_points(tab))


def test_pdf_from_the_command_line_is_the_page_printed_here(browser, tmp_path, pack):
    # The browser the command starts and the one the tests keep print the same bytes: so
    # --format pdf gives the same file on every run. (A fresh tab: a reused one numbers
    # the PDF's structure tags on from the pages before.)
    profile = PROFILES / "midsize_mcn_supply_services.toml"
    out = tmp_path / "报告.pdf"
    result = runner.invoke(app, ["assess", str(profile), "-f", "pdf", "--lang", "zh", "-o", str(out)])
    assert result.exit_code == 0, result.output
    a = assess_all(example("midsize_mcn_supply_services"), (pack,), AS_OF)
    source = tmp_path / "report.html"
    source.write_text(html.render(a, "zh"), encoding="utf-8")
    fresh = browser.open(source.as_uri())
    here = pin_dates(fresh.pdf(), AS_OF)
    fresh.close()
    assert here.startswith(b"%PDF-") and out.read_bytes() == here
    assert "风险评估与应对方案" in _text(out)
    assert "Thu Aug 27 00:00:00 2020" in poppler("pdfinfo", out)


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_the_readme_screenshot_is_the_first_page(tab, tmp_path, pack):
    """The README shows the first page of the HTML report; regenerate the picture with
    UPDATE_SCREENSHOT=1 pytest tests/browser -k screenshot (then look at it)."""
    profile = example("midsize_mcn_supply_services")
    source = tmp_path / "report.html"
    source.write_text(html.render(assess_all(profile, (pack,), profile.as_of), "en"), encoding="utf-8")
    load(tab, source)
    png = tab.screenshot()
    assert _png_size(png) == (794, 1123)  # an A4 sheet at 96 px per inch
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.write_bytes(png)
    assert _png_size(SCREENSHOT.read_bytes()) == (794, 1123)
    assert SCREENSHOT.stat().st_size < 250_000
    assert f"]({SCREENSHOT.relative_to(ROOT)})" in (ROOT / "README.md").read_text(encoding="utf-8")
