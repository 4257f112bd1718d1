"""Client documents name figures by their labels and show values in their units; JSON keeps the keys."""

from __future__ import annotations

import json
import re

from mcn_advisor.core.engine import assess
from mcn_advisor.render import html, markdown, terminal
from mcn_advisor.render import json as json_render
from tests.conftest import example

# A field key as code writes it: section.name_with_underscores (escaped or not).
KEY = re.compile(r"\b(?:agency|douyin|clients|supply_chain|platform_mix|revenue_mix|metric)\.[a-z]")


def _assess(name: str, pack):
    p = example(name)
    return assess(p, pack, p.as_of)


def _evidence(doc: str, label: str) -> str:
    return next(line for line in doc.splitlines() if label in line)


def test_evidence_shows_labels_and_values_in_their_units(pack):
    a = _assess("midsize_mcn_supply_services", pack)
    en, zh = markdown.render(a, "en"), markdown.render(a, "zh")
    line = _evidence(en, "**Evidence**: Monthly GMV = CNY 30,000,000")
    assert "Douyin live share of GMV = 60%" in line and "third-party links = 45%" in line
    assert "- **依据**：月 GMV = 3,000 万元；抖音直播 GMV 占比 = 60%" in zh
    assert "是否有自营抖音小店 = 否" in zh  # booleans in the report's words
    clients = _evidence(en, "**Evidence**: Brand clients = 120")
    assert re.search(
        r"Brand clients at risk of leaving \(weighted by their Douyin live exposure\) = \d+;", clients
    )
    for doc in (en, zh):  # formulas (in code spans) keep their keys; no other line shows one
        assert not [line for line in doc.splitlines() if KEY.search(line) and "`" not in line]


def test_terminal_and_html_use_the_same_labels(pack):
    a = _assess("midsize_mcn_supply_services", pack)
    text = terminal.render(a, "zh", width=80)
    assert "月 GMV = 3,000 万元" in text and "agency.monthly_gmv_cny" not in text
    page = html.render(a, "en")
    assert "Monthly GMV = CNY 30,000,000" in page and "<code>agency.monthly_gmv_cny</code>" not in page


def test_json_keeps_the_keys_and_adds_nothing(pack):
    a = _assess("midsize_mcn_supply_services", pack)
    doc = json.loads(json_render.render(a, "zh"))
    evidence = doc["findings"][0]["evidence"]
    assert {"field": "agency.monthly_gmv_cny", "value": 30000000.0, "assumed": False} in evidence
    assert all(set(e) == {"field", "value", "assumed"} for f in doc["findings"] for e in f["evidence"])


def test_an_assumed_table_shows_each_share(pack):
    a = _assess("minimal", pack)
    text = markdown.render(a, "en")
    assert "| Revenue mix | Live-commerce share of revenue = 60%, Advertising share of revenue = 20%" in text


def test_a_late_date_is_said_once_in_each_format_with_the_date_to_use(pack):
    import datetime as dt

    a = assess(example("minimal"), pack, dt.date(2026, 11, 25))
    first = "As of 2026-11-25, 6 years after the last step of this policy (2020-10-09)"
    text = " ".join(terminal.render(a, "en", width=200).split())
    assert text.count(first) == 1 and "run with --as-of 2020-08-27." in text
    assert "to see the plan as it stood, assess as of 2020-08-27." in markdown.render(a, "en")
    assert "<strong>评估日期 2026-11-25 已在本政策最后一步（2020-10-09）之后 6 年</strong>" in html.render(
        a, "zh"
    )
    stale = json.loads(json_render.render(a))["summary"]["stale"]
    assert stale == {"last_step": "2020-10-09", "years": 6, "suggested_as_of": "2020-08-27"}
    assert json.loads(json_render.render(_assess("minimal", pack)))["summary"]["stale"] is None
