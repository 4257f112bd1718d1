"""The pack's model data (scales, measures, likelihood steps, partners, size tiers, the
favoured test) is checked when the pack loads: every mistake one line, on its line."""

from __future__ import annotations

import pytest

from mcn_advisor.pack.checks import loose_ends
from mcn_advisor.pack.compile import pack_from_text
from tests.pack.test_policy import TEXT, errors, line_of


def one_error(old: str, new: str) -> str:
    assert old in TEXT, old
    bad = TEXT.replace(old, new, 1)
    [line] = errors(bad)
    return line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "at = [0.02, 0.10, 0.25, 0.40]",
            "at = [0.02, 0.25, 0.10, 0.40]",
            "scales.share.at: the bounds of impact 2..5 must be above 0 and rise strictly",
        ),
        (
            'measure = { metric = "cart_ban_live_share", scale = "share" }',
            'measure = { metric = "cart_ban_live_shares", scale = "share" }',
            "unknown metric 'cart_ban_live_shares'; did you mean 'cart_ban_live_share'?",
        ),
        (
            'measure = { metric = "cart_ban_live_share", scale = "share" }',
            'measure = { metric = "cart_ban_live_share", scale = "shares" }',
            "unknown scale 'shares'; did you mean 'share'?",
        ),
        (
            'measure = { metric = "cart_ban_live_share", scale = "share" }',
            'measure = { metric = "gmv_at_risk_cny_monthly", scale = "share" }',
            "metric 'gmv_at_risk_cny_monthly' is a cny; a measure must be a share (0..1)",
        ),
        (
            "levels = [4, 2] }",
            "levels = [4, 2, 1] }",
            "rules.5.likelihood.levels: give one level more than bounds in 'at'",
        ),
        (
            'likelihood = { field = "platform_mix.kuaishou"',
            'likelihood = { field = "platform_mix.kuaishuo"',
            "'platform_mix.kuaishuo' is not a number field; did you mean 'platform_mix.kuaishou'?",
        ),
        (
            'names = ["jd", "jd.com", "jingdong", "京东", "京东自营"]',
            'names = ["jd", "jd.com", "jingdong", "京东", "苏宁"]',
            "'苏宁' already names partner 'suning'",
        ),
        (
            "max_creators = 30",
            "max_creators = 3",
            "limits must rise from tier 'studio' to 'small'",
        ),
        (
            'owners = { "*" = "founder" }',
            'owners = { "*" = "founders" }',
            "unknown role 'founders'; did you mean 'founder'?",
        ),
        (
            'hedges = ["ACT-DIVERSIFY", "ACT-PRESENCE-KS"]',
            'hedges = ["ACT-DIVERSIFY", "ACT-PRESENCE-K"]',
            "unknown action 'ACT-PRESENCE-K'; did you mean 'ACT-PRESENCE-KS'?",
        ),
        (
            'act_by = "star_map_matching"',
            'act_by = "star_map_match"',
            "unknown event 'star_map_match'; did you mean 'star_map_matching'?",
        ),
    ],
)
def test_a_mistake_in_the_model_data_is_one_line_on_its_line(old, new, message):
    line = one_error(old, new)
    assert line.startswith(f"pack.toml:{line_of(TEXT.replace(old, new, 1), new)}:"), line
    assert message in line, line


def test_a_severity_written_on_a_risk_rule_is_ignored_with_a_warning():
    old = 'id = "DY-PLAT-001"\n'
    text = TEXT.replace(old, old + 'severity = "critical"\n', 1)
    [warning] = loose_ends(pack_from_text(text, "pack.toml"))
    assert warning.startswith(f"pack.toml:{line_of(text, 'severity = ' + chr(34) + 'critical')}: ")
    assert "a risk's severity is derived from likelihood x impact; 'critical' is ignored" in warning


def test_an_older_pack_with_fixed_severities_still_assesses(pack):
    # A rule in the older form: severity written, impact a factor to scale with. The severity
    # is derived all the same (likelihood x impact), and policy validate warns about it.
    old = 'likelihood = 2\nmeasure = { metric = "douyin_share", scale = "concentration" }\n'
    new = 'severity = "critical"\nlikelihood = 2\nimpact = "platform_concentration"\n'
    older = pack_from_text(TEXT.replace(old, new, 1), "older.toml")
    from mcn_advisor.core.engine import assess
    from tests.conftest import AS_OF, example

    plat = next(
        f
        for f in assess(example("small_pure_promotion"), older, AS_OF).findings
        if f.rule_id == "DY-PLAT-001"
    )
    assert plat.sizing and (plat.sizing.metric, plat.sizing.impact, plat.severity) == (None, 5, "medium")
