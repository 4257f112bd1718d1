"""Both languages say everything: the catalogue, the pack's texts, the assumptions' reasons.

Chinese text follows Chinese typography (full-width ，：；（）), which is most of what
makes a translation read as written rather than converted.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from mcn_advisor.core import engine
from mcn_advisor.i18n import CATALOGUE, LANGS
from mcn_advisor.pack.schema import Text
from mcn_advisor.profile.model import FIELDS
from mcn_advisor.vocab import SEVERITIES, Band, Category, RiskLevel

RENDER = Path(__file__).resolve().parent.parent / "mcn_advisor" / "render"
# ASCII punctuation touching a Chinese character (or a closing bracket after one).
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,:;()?!]|[,:;()?!][\u4e00-\u9fff]|（[^）]*\)")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogues_hold_the_same_keys():
    en, zh = CATALOGUE["en"], CATALOGUE["zh"]
    assert set(en) == set(zh), set(en) ^ set(zh)
    assert LANGS == ("en", "zh")


@pytest.mark.parametrize("key", sorted(CATALOGUE["en"]))
def test_each_key_has_the_same_placeholders_in_both(key):
    assert placeholders(CATALOGUE["en"][key]) == placeholders(CATALOGUE["zh"][key]), key
    assert CATALOGUE["zh"][key].strip() or key == "sentence_sep"


def test_every_key_a_renderer_asks_for_exists():
    used: set[str] = set()
    for path in RENDER.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        used.update(re.findall(r"""\bt\(\s*lang,\s*["']([a-z_]+)["']""", source))
    assert used, "no t(lang, key) calls found"
    assert used <= set(CATALOGUE["en"]), used - set(CATALOGUE["en"])


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("band_", get_args(Band)),
        ("level_", get_args(RiskLevel)),
        ("sev_", SEVERITIES),
        ("treat_", ("mitigate", "avoid", "transfer", "accept")),
        ("cat_", get_args(Category)),
        ("kind_", ("positive", "opportunity")),
        ("platform_", tuple(p.split(".", 1)[1] for p in FIELDS if p.startswith("platform_mix."))),
    ],
)
def test_keys_built_from_values_cover_every_value(prefix, values):
    for value in values:
        assert f"{prefix}{value}" in CATALOGUE["en"], f"{prefix}{value}"


def texts(node: object) -> list[Text]:
    """Every Text anywhere in a pack model."""
    if isinstance(node, Text):
        return [node]
    if isinstance(node, BaseModel):
        return [t for name in type(node).model_fields for t in texts(getattr(node, name))]
    if isinstance(node, dict):
        return [t for v in node.values() for t in texts(v)]
    if isinstance(node, (list, tuple)):
        return [t for v in node for t in texts(v)]
    return []


def test_every_pack_text_is_in_both_languages(pack):
    found = texts(pack.model)
    assert len(found) > 100  # titles, rationales, labels, KPIs, roles...
    for text in found:
        assert text.en.strip() and text.zh.strip()
        assert re.search(r"[\u4e00-\u9fff]", text.zh), text.zh
        assert text.zh != text.en


def chinese_strings(pack) -> list[str]:
    return [
        *(t.zh for t in texts(pack.model)),
        *CATALOGUE["zh"].values(),
        *(spec.why_zh for spec in FIELDS.values() if spec.why_zh),
        engine.NO_GUESS.zh,
    ]


def test_chinese_uses_full_width_punctuation(pack):
    bad = [s for s in chinese_strings(pack) if HALF_WIDTH.search(s)]
    assert not bad, bad


def test_chinese_uses_the_trade_terms(pack):
    # The words Chinese MCN staff use, not literal renderings of the English.
    zh = "\n".join(chinese_strings(pack))
    for term in ("抖音小店", "巨量星图", "带货", "服务商", "达人", "坑位费", "选品", "外链"):
        assert term in zh, term
    for literal in ("星图地图", "抖音商店", "多频道网络", "第三方平台链接的直播任务任务"):
        assert literal not in zh, literal
