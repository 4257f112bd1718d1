"""Both languages say everything: the catalogue, the pack's texts, the assumptions' reasons.

Chinese text follows Chinese typography (full-width ，：；（）), which is most of what
makes a translation read as written rather than converted.
"""

from __future__ import annotations

import ast
import re
import string
from typing import get_args

import pytest

from mcn_advisor.core import engine
from mcn_advisor.files.toml import tomllib
from mcn_advisor.i18n import LANGS, messages, t
from mcn_advisor.i18n.text import Text
from mcn_advisor.profile.model import FIELDS
from mcn_advisor.vocab import SEVERITIES, Band, Category, RiskLevel, Treatment
from tests.conftest import ROOT, pack_texts

RENDER = ROOT / "mcn_advisor" / "render"
# ASCII punctuation touching a Chinese character (or a closing bracket after one).
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,:;()?!]|[,:;()?!][\u4e00-\u9fff]|（[^）]*\)")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogues_hold_the_same_keys():
    en, zh = messages()["en"], messages()["zh"]
    assert set(en) == set(zh), set(en) ^ set(zh)
    assert LANGS == ("en", "zh")


def test_remembered_messages_write_each_value_as_its_own_type():
    """``t`` is memoized: 1, 1.0 and True are equal keys, and must still be written apart."""
    values = (1, 1.0, True, 1, 1.0, True)
    written = [t("en", "years_many", n=v) for v in values]
    assert written == ["1 years", "1.0 years", "True years"] * 2


def test_placeholders_are_bare_so_equal_values_are_written_alike():
    """No format spec or conversion (``{n:.1f}``, ``{n!r}``): a remembered message holds a value
    as ``str`` writes it, so any equal value of the same type would write the same text."""
    for lang in LANGS:
        for key, text in messages()[lang].items():
            specs = [(s, c) for _, name, s, c in string.Formatter().parse(text) if name and (s or c)]
            assert not specs, (lang, key, specs)


@pytest.mark.parametrize("key", sorted(messages()["en"]))
def test_each_key_has_the_same_placeholders_in_both(key):
    assert placeholders(messages()["en"][key]) == placeholders(messages()["zh"][key]), key
    assert messages()["zh"][key].strip() or key == "sentence_sep"


# Keys built from a value at run time: t(lang, f"band_{band}"). Each prefix is listed
# with every value it can take, so such keys are checked like literal ones.
FAMILIES = {
    "band_": get_args(Band),
    "level_": get_args(RiskLevel),
    "sev_": SEVERITIES,
    "treat_": get_args(Treatment),
    "cat_": get_args(Category),
    "kind_": ("risk", "positive", "opportunity"),
    "field.": tuple({*FIELDS, *(s.declared_at for s in FIELDS.values())}),  # and a table assumed whole
    "op_": ("in", "not_in", "contains", "empty", "not_empty"),
    "set_aside_": ("not_at_this_size", "not_applicable"),
    "platform_": tuple(p.split(".", 1)[1] for p in FIELDS if p.startswith("platform_mix.")),
    "md_plan_move_": ("what-if", "diff"),
    "verdict_": ("positive", "neutral", "negative"),
    "verdict_short_": ("positive", "neutral", "negative"),
}
# The renderers, the CLI, and the engine's one text: the fill-in priority's.
CODE = [RENDER.parent / "cli.py", RENDER.parent / "core" / "engine.py", *sorted(RENDER.glob("*.py"))]
TEMPLATES = sorted((RENDER / "templates").glob("*.j2"))
# In a template: t("key", ...) or rich("key", ...), and t("prefix_" ~ value) for a family.
TEMPLATE_KEY = re.compile(r"\b(?:t|rich)\(\s*\"([\w-]+)\"\s*([~,)])")


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "t"]


def code_keys() -> tuple[set[str], set[str], set[str]]:
    """(every string constant in the code, keys t() asks for literally, f-string prefixes t() builds)."""
    constants, literal, prefixes = set(), set(), set()
    for path in CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants |= {
            n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
        for call in _calls(tree):
            key = call.args[1] if len(call.args) > 1 else None
            if isinstance(key, ast.Constant):
                literal.add(key.value)
            elif isinstance(key, ast.JoinedStr):
                first = key.values[0]
                assert isinstance(first, ast.Constant), ast.unparse(key)
                prefixes.add(first.value)
    for path in TEMPLATES:
        for key, after in TEMPLATE_KEY.findall(path.read_text(encoding="utf-8")):
            (prefixes if after == "~" else literal).add(key)
            constants.add(key)
    return constants, literal, prefixes


def test_every_key_the_code_asks_for_exists():
    _, literal, prefixes = code_keys()
    assert literal, "no t(lang, key) calls found"
    assert literal <= set(messages()["en"]), literal - set(messages()["en"])
    assert prefixes <= set(FAMILIES), (
        f"keys built at run time need a FAMILIES entry: {prefixes - set(FAMILIES)}"
    )


def test_every_key_is_used():
    # A key counts as used when the code names it (as an argument of t or in a table of
    # keys such as FINDING_GROUPS), or a family the code builds holds it.
    constants, _, prefixes = code_keys()
    built = {prefix + value for prefix in prefixes for value in FAMILIES[prefix]}
    unused = set(messages()["en"]) - constants - built
    assert not unused, sorted(unused)


def test_messages_file_pairs_every_key():
    data = tomllib.loads((RENDER.parent / "i18n" / "messages.toml").read_text(encoding="utf-8"))
    for key, pair in data.items():
        assert isinstance(pair, dict) and set(pair) == set(LANGS), key


@pytest.mark.parametrize("prefix", sorted(FAMILIES))
def test_keys_built_from_values_cover_every_value(prefix):
    for value in FAMILIES[prefix]:
        assert f"{prefix}{value}" in messages()["en"], f"{prefix}{value}"


def texts(node: object) -> list[Text]:
    """Every Text anywhere in a pack's parts."""
    return [text for _, text in pack_texts(node)]


def test_every_pack_text_is_in_both_languages(pack):
    # A source's title and publisher are names: an English outlet keeps its English ones.
    found = [x for x in texts(pack.model) if x not in texts(pack.model.sources)]
    assert len(found) > 100  # titles, rationales, labels, KPIs, roles...
    for text in found:
        assert text.en.strip() and text.zh.strip()
        assert re.search(r"[\u4e00-\u9fff]", text.zh), text.zh
        assert text.zh != text.en


def chinese_strings(pack) -> list[str]:
    return [
        *(t.zh for t in texts(pack.model)),
        *messages()["zh"].values(),
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


# --- error messages: made in English by errors.say, said again from i18n/errors.toml ----------


def _said_templates() -> dict[str, str]:
    """Every template the code says (``say("...")``), with where it is said."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "mcn_advisor").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = any(
            isinstance(n, ast.ImportFrom)
            and n.module == "mcn_advisor.errors"
            and any(a.name == "say" for a in n.names)
            for n in ast.walk(tree)
        )
        for call in ast.walk(tree) if imported or path.name == "errors.py" else ():
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "say":
                template = call.args[0] if call.args else None
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                assert isinstance(template, ast.Constant) and isinstance(template.value, str), (
                    f"{where}: say() takes a literal template, the key of its translation"
                )
                found.setdefault(template.value, where)
    return found


def test_every_error_the_code_says_is_in_chinese():
    from mcn_advisor.i18n import error_catalogue

    missing = {k: where for k, where in _said_templates().items() if k not in error_catalogue()}
    assert not missing, "\n".join(f"{where}: {k!r}" for k, where in missing.items())


def test_every_error_translation_is_said_somewhere():
    from mcn_advisor.i18n import error_catalogue

    unused = set(error_catalogue()) - set(_said_templates())
    assert not unused, sorted(unused)


def test_each_error_keeps_its_placeholders_and_reads_chinese():
    from mcn_advisor.i18n import error_catalogue

    for en, zh in error_catalogue().items():
        assert placeholders(en) == placeholders(zh), en
        if re.sub(r"\{[^}]*\}|--[a-z-]+|[\W\d_]", "", en):  # words, not only places, options, punctuation
            assert re.search(r"[\u4e00-\u9fff]", zh), en
        assert not HALF_WIDTH.search(zh.replace("{", "").replace("}", "")), zh
