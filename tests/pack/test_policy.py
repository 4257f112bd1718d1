"""The policy pack is data: validated completely when it loads, every error on its line."""

from __future__ import annotations

from importlib import resources

import pytest

from mcn_advisor.errors import PackError
from mcn_advisor.pack.compile import builtin_pack, pack_from_text
from mcn_advisor.vocab import STRATEGIES
from tests.conftest import ROOT

TEXT = resources.files("mcn_advisor.pack").joinpath("builtin", "douyin_2020.toml").read_text("utf-8")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def errors(text: str) -> list[str]:
    with pytest.raises(PackError) as info:
        pack_from_text(text, "pack.toml")
    return info.value.problems


def test_builtin_pack_covers_the_policy(pack):
    m = pack.model
    dates = {e.id: e.date.isoformat() for e in m.events if e.step}
    assert dates == {
        "star_map_fee": "2020-08-20",
        "star_map_matching": "2020-09-06",
        "live_cart_ban": "2020-10-09",
    }
    assert sum(f.weight for f in m.factors) == 100
    assert {a.strategy for a in m.actions} <= set(STRATEGIES)
    ids = [r.id for r in m.rules]
    for required in (
        "DY-LIVE-001",
        "DY-FEE-001",
        "DY-MATCH-001",
        "DY-CLIENT-001",
        "DY-SUPPLY-001",
        "DY-REV-001",
        "DY-CLIENT-002",
        "DY-PLAT-001",
        "DY-SV-001",
        "DY-KS-001",
        "DY-KS-002",
        "DY-CONTRACT-001",
        "DY-SVC-001",
    ):
        assert required in ids
    assert len(ids) == len(set(ids))


def test_every_rule_cites_known_sources_and_both_languages(pack):
    for c in pack.rules:
        assert c.rule.sources and all(s in pack.model.sources for s in c.rule.sources)
        assert c.rule.title.en and c.rule.title.zh and c.rule.rationale.zh


def test_plan_order_puts_dependencies_first(pack):
    order = list(pack.actions)
    for i, action in enumerate(pack.actions.values()):
        for dep in action.depends_on:
            assert order.index(dep) < i


def test_unknown_field_in_a_condition_is_on_its_line():
    bad = TEXT.replace('field = "clients.premium_brand_share"', 'field = "clients.premium_share"')
    [line] = errors(bad)
    n = line_of(bad, 'field = "clients.premium_share"')
    assert line.startswith(f"pack.toml:{n}: rules.")
    assert "unknown field 'clients.premium_share'; did you mean 'clients.premium_brand_share'?" in line


def test_unknown_field_in_a_formula():
    bad = TEXT.replace(
        'formula = "platform_mix.douyin_live + platform_mix.douyin_short_video"',
        'formula = "platform_mix.douyin_live + platform_mix.douyin_shortvideo"',
    )
    [line] = errors(bad)
    assert line.startswith(f"pack.toml:{line_of(bad, 'douyin_shortvideo')}: metrics.")
    assert "did you mean 'platform_mix.douyin_short_video'?" in line


def test_duplicate_rule_id():
    bad = TEXT.replace('id = "DY-FEE-001"', 'id = "DY-LIVE-001"')
    lines = errors(bad)  # the fixtures that name DY-FEE-001 now name an unknown rule, too
    assert any("rules.2.id: duplicate id 'DY-LIVE-001' (first at rules[0])" in x for x in lines), lines


def test_dependency_on_a_missing_action():
    bad = TEXT.replace('depends_on = ["ACT-CAPITAL-PLAN"]', 'depends_on = ["ACT-CAPITAL"]')
    [line] = errors(bad)
    assert line.startswith(f"pack.toml:{line_of(bad, 'ACT-CAPITAL' + chr(34) + ']')}:")
    assert "unknown action 'ACT-CAPITAL'; did you mean 'ACT-CAPITAL-PLAN'?" in line


def test_dependency_cycle_is_rejected():
    bad = TEXT.replace(
        'id = "ACT-TRIAGE"\nstrategy = "client_retention"',
        'id = "ACT-TRIAGE"\ndepends_on = ["ACT-RETENTION"]\nstrategy = "client_retention"',
    )
    lines = errors(bad)
    assert any(
        "dependency cycle: ACT-RETENTION -> ACT-TRIAGE -> ACT-RETENTION" in x
        or "dependency cycle: ACT-TRIAGE -> ACT-RETENTION -> ACT-TRIAGE" in x
        for x in lines
    ), lines


def test_weights_must_sum_to_100():
    bad = TEXT.replace("weight = 30", "weight = 35")
    assert any("factors: weights sum to 105, must sum to 100" in x for x in errors(bad))


def test_events_out_of_order():
    bad = TEXT.replace("date = 2020-08-18", "date = 2020-08-30")
    assert any("events must be listed in date order" in x for x in errors(bad))


def test_a_missing_language_is_an_error():
    bad = TEXT.replace(', zh = "快手不是淘宝外链商品的出路"', "")
    [line] = errors(bad)
    assert line.endswith(".title.zh: is required")
    assert line.startswith(f"pack.toml:{line_of(bad, 'Kuaishou is no way out')}:")


def test_unknown_strategy_and_severity_get_suggestions():
    bad = TEXT.replace('strategy = "own_store"', 'strategy = "own_stores"').replace(
        '"DY-LIVE-001" = "critical"', '"DY-LIVE-001" = "crit"', 1
    )
    lines = errors(bad)
    assert any("did you mean 'own_store'?" in x for x in lines)
    assert any("did you mean 'critical'?" in x for x in lines)


def test_builtin_pack_loads_once(pack):
    assert builtin_pack() is pack


# --- long chains and wide plans: iterative and linear, and bounded in days ------------------


DOUYIN = (ROOT / "mcn_advisor" / "pack" / "builtin" / "douyin_2020.toml").read_text("utf-8")


def _with_actions(n: int, *, chain: bool, effort: str = "S") -> str:
    blocks = []
    for i in range(n):
        wait = f'depends_on = ["ACT-GEN-{i - 1:05d}"]\n' if chain and i else ""
        blocks.append(
            f'[[actions]]\nid = "ACT-GEN-{i:05d}"\nstrategy = "own_store"\nphase = "after_ban"\n'
            f'owner = "founder"\neffort = "{effort}"\n{wait}title = {{ en = "Step {i}", zh = "步骤 {i}" }}\n'
            f'kpi = {{ en = "done", zh = "完成" }}\nsources = ["000"]\n'
        )
    return DOUYIN.replace("# --- fixtures", "\n".join(blocks) + "\n# --- fixtures", 1)


def test_a_chain_of_thousands_of_actions_loads_and_plans_in_order():
    pack = pack_from_text(_with_actions(3_000, chain=True), "chain.toml")
    order = [a for a in pack.actions if a.startswith("ACT-GEN-")]
    assert order == [f"ACT-GEN-{i:05d}" for i in range(3_000)]


def test_a_cycle_at_the_end_of_a_long_chain_is_found_and_shown_short():
    text = _with_actions(2_000, chain=True).replace(
        'id = "ACT-GEN-00000"\n', 'id = "ACT-GEN-00000"\ndepends_on = ["ACT-GEN-01999"]\n', 1
    )
    with pytest.raises(PackError) as caught:
        pack_from_text(text, "cycle.toml")
    (line,) = [p for p in caught.value.problems if "dependency cycle" in p]
    assert "more) ..." in line and len(line) < 400


def test_a_plan_longer_than_the_dates_allow_is_refused():
    with pytest.raises(PackError, match=r"takes 36,600 days of effort; a plan may take at most 36,500"):
        pack_from_text(_with_actions(1_220, chain=True, effort="L"), "long.toml")  # L is 30 days
