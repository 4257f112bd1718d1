"""The browser tests' fixtures: one headless Chromium for the whole session, one tab reused
for every page, and the scripts that measure a page in it.

They need Chromium (or Chrome), poppler-utils (pdfinfo, pdftotext, pdffonts) and a
Chinese font. Locally, a machine without them skips these tests with the reason and
the package to install; under CI (the ``CI`` variable set) a missing one fails them:
``.ci/run`` installs all three.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mcn_advisor.files.pdf import A4_CONTENT_PX, Browser, Page, find_browser

INSTALL = "apt-get install chromium poppler-utils fonts-wqy-microhei"
# Families of the CJK fonts the report's stack names, as pdffonts lists them once embedded.
CJK_FONT = re.compile(r"WenQuanYi|NotoSansCJK|NotoSerifCJK|SourceHan|PingFang|YaHei|Hiragino")


def missing() -> str | None:
    """What the browser tests lack on this machine, or None."""
    found = find_browser()
    if found is None or shutil.which(found) is None:
        return "no Chromium or Chrome" + (f" at {found}" if found else "")
    if not all(shutil.which(tool) for tool in ("pdfinfo", "pdftotext", "pdffonts")):
        return "no poppler-utils (pdfinfo, pdftotext, pdffonts)"
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    if not fonts.strip():
        return "no Chinese font"
    return None


@pytest.fixture(scope="session")
def browser():
    why = missing()
    if why:
        message = f"browser tests need headless Chromium: {why} ({INSTALL})"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(message + "; .ci/run installs them", pytrace=False)
        pytest.skip(message)
    with Browser() as b:
        yield b


@pytest.fixture(scope="session")
def tab(browser: Browser) -> Page:
    """One tab for every page of the session: a new one costs more than loading a page."""
    return browser.open("about:blank")


def load(tab: Page, path: Path) -> Page:
    """``path`` in the tab, laid out for print at the A4 content width."""
    tab.emulate("print", A4_CONTENT_PX, 1123)
    tab.go(path.as_uri())
    return tab


# Runs in the page under print media at the page's content width. Lists every element that
# sticks out sideways or is squeezed to a sliver (a table column one letter wide), and every
# SVG shape that leaves its viewBox (an SVG clips silently: a cut label is no overflow).
MEASURE_JS = r"""
(() => {
  const W = document.documentElement.clientWidth, eps = 0.5, out = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '');
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > W + eps || r.left < -eps)
      out.push({kind: 'box', el: name(el), left: r.left, right: r.right, width: W});
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
      out.push({kind: 'scroll', el: name(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth});
    if ((el.tagName === 'TD' || el.tagName === 'TH') && el.textContent.trim() && r.width < 30)
      out.push({kind: 'squeezed', el: name(el), text: el.textContent.trim().slice(0, 40), width: r.width});
  }
  for (const svg of document.querySelectorAll('svg')) {
    const vb = svg.viewBox.baseVal;
    if (!vb || vb.width === 0) { out.push({kind: 'svg-no-viewbox', el: name(svg.parentElement)}); continue; }
    for (const g of svg.querySelectorAll('text, rect, line, path, circle, polyline, polygon')) {
      const b = g.getBBox();  // user units, those of the viewBox (the charts use no transforms)
      if (b.x < vb.x - eps || b.y < vb.y - eps || b.x + b.width > vb.x + vb.width + eps ||
          b.y + b.height > vb.y + vb.height + eps)
        out.push({kind: 'svg-clip', el: name(svg.closest('figure') || svg), shape: g.tagName,
                  text: (g.textContent || '').slice(0, 40),
                  bbox: [b.x, b.y, b.width, b.height].map(Math.round),
                  viewBox: [vb.x, vb.y, vb.width, vb.height]});
    }
  }
  return {width: W, problems: out};
})()
"""

# Every chart as the page shows it: the figure's data-chart, whether it holds an SVG, and its
# marks' data-id, data-value and data-series.
CHARTS_JS = r"""
Array.from(document.querySelectorAll('figure[data-chart]')).map(f => ({
  chart: f.dataset.chart,
  svg: !!f.querySelector('svg'),
  points: Array.from(f.querySelectorAll('[data-id]'))
    .map(e => [e.dataset.id, e.dataset.value ?? null, e.dataset.series ?? null]),
}))
"""


def measure(tab: Page) -> list[dict]:
    """What sticks out, is squeezed or is clipped on the loaded page: [] when the layout holds."""
    result = tab.evaluate(MEASURE_JS)
    assert result["width"] == A4_CONTENT_PX
    return result["problems"]


def chart_points(tab: Page) -> dict[str, list[list[str | None]]]:
    """Each chart's data points by chart name; every chart must hold an SVG."""
    found = tab.evaluate(CHARTS_JS)
    assert all(c["svg"] for c in found), [c["chart"] for c in found if not c["svg"]]
    return {c["chart"]: c["points"] for c in found}


def poppler(tool: str, pdf: Path, *args: str) -> str:
    cmd = [tool, *args, str(pdf)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def pages(pdf: Path) -> int:
    info = poppler("pdfinfo", pdf)
    assert "(A4)" in info, info
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
