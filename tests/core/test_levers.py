"""Levers: pack data validated at load (each error on its line), tried on profiles and ranked."""

from __future__ import annotations

import datetime as dt

import pytest

from mcn_advisor.core.engine import assess
from mcn_advisor.core.levers import rank_levers
from mcn_advisor.core.whatif import what_if
from mcn_advisor.pack.compile import pack_from_text
from tests.conftest import AS_OF, example
from tests.pack.test_policy import TEXT, errors, line_of

EXAMPLES = [
    "small_pure_promotion",
    "premium_brands",
    "midsize_mcn_supply_services",
    "kuaishou_first_jd",
    "short_video_seeding",
    "douyin_native_supply",
    "minimal",
]


def ranking(name: str, pack, **kw):
    return rank_levers(example(name), pack, AS_OF, **kw)


def order(name: str, pack) -> list[str]:
    return [r.id for r in ranking(name, pack).levers]


# --- the ranking ------------------------------------------------------------------------


def test_pure_promotion_mcn_should_onboard_stores_and_sign_a_partner_before_building_a_warehouse(pack):
    # The issue's "done when": mostly Taobao-linked clients, a selection team and no supply chain.
    ranked = order("small_pure_promotion", pack)
    assert ranked.index("store_onboarding") < ranked.index("warehouse_logistics")
    assert ranked.index("supply_partner") < ranked.index("warehouse_logistics")
    # The cheapest way out for a selection-only MCN: re-select goods already in Douyin stores
    # (a week, no capital), ahead of a partner and far ahead of building supply.
    assert ranked[0] == "store_goods"
    assert ranked.index("store_goods") < ranked.index("supply_partner")
    assert ranked[-1] == "warehouse_logistics"  # months of work that moves no GMV by itself


def test_jd_linked_mcn_wins_most_by_moving_jd_clients_to_kuaishou(pack):
    # Kuaishou-first with JD-linked clients: moving them to Kuaishou wins the most money and cuts
    # the score most; store goods, a week's work, still wins more per week of effort.
    r = ranking("kuaishou_first_jd", pack)
    by_month = max(r.levers, key=lambda x: x.net_gain_cny_monthly)
    by_cut = max(r.levers, key=lambda x: x.score_cut)
    assert by_month.id == by_cut.id == "jd_to_kuaishou"
    assert r.levers[0].id == "store_goods" and r.levers[0].effort_days_total == 7


def test_premium_brand_mcn_gets_out_of_critical_with_one_gmv_lever(pack):
    r = ranking("premium_brands", pack)
    assert r.band == "critical"
    top = r.levers[0]
    assert top.id in {"store_goods", "short_video_shift", "store_onboarding", "supply_partner"}
    assert top.band_after == "high" and top.score_cut > 10


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_gets_a_sensible_ranking(pack, name):
    r = ranking(name, pack)
    assert r.levers, "some lever applies to every example"
    assert [x.rank for x in r.levers] == list(range(1, len(r.levers) + 1))
    earning = [x for x in r.levers if x.group == "money"]
    rest = [x for x in r.levers if x.group == "score_only"]
    assert r.levers == earning + rest  # the levers that move money first, then the others
    per_week = [x.value_per_week for x in earning]
    assert per_week == sorted(per_week, reverse=True)
    assert [x.score_cut for x in rest] == sorted((x.score_cut for x in rest), reverse=True)
    for x in r.levers:
        assert x.score_cut >= 0 and x.revenue_recovered_cny_monthly >= 0  # no built-in lever makes it worse
        assert x.net_gain_cny_monthly >= 0 and x.net_gain_horizon_cny >= 0
        assert x.score_after == pytest.approx(r.score - x.score_cut, abs=0.05)
        assert x.effort_days_total >= x.effort_days
        if x.group == "money":
            assert x.value_per_week == round(x.net_gain_horizon_cny * 7 / x.effort_days_total)
        else:
            assert x.value_per_week == 0 and x.net_gain_horizon_cny == x.net_gain_cny_monthly == 0
        assert all(c.by == x.id for c in x.changes)
        assert x.changes or x.group == "money"  # a lever that changes no field earns money
    assert {x.id for x in r.levers} | {s.id for s in r.skipped} == {c.lever.id for c in pack.levers}


def test_a_lever_result_is_what_what_if_gives_for_that_lever(pack):
    profile = example("midsize_mcn_supply_services")
    for lever in rank_levers(profile, pack, AS_OF).levers:
        w = what_if(profile, pack, AS_OF, [], [lever.id])
        assert w.comparison.after.score == lever.score_after
        revenue = next(f for f in w.comparison.figures if f.id == "revenue_at_risk_cny_monthly")
        assert -revenue.change == pytest.approx(lever.revenue_recovered_cny_monthly, abs=1)
        resolved = {f.rule_id for f in w.comparison.findings if f.status == "resolved" and f.kind == "risk"}
        assert resolved == set(lever.resolves)


def test_levers_that_do_nothing_are_skipped_with_the_reason(pack):
    r = ranking("douyin_native_supply", pack)
    skipped = {s.id: s.skip for s in r.skipped}
    assert skipped["own_store"].reason == "no_change"
    assert skipped["own_store"].fields == ["douyin.operates_own_store"]
    assert skipped["jd_to_kuaishou"].reason == "not_applicable"
    [check] = skipped["jd_to_kuaishou"].checks
    assert check.test == "clients.jd_linked_share > 0" and check.actual == 0.0
    [check] = skipped["supply_partner"].checks  # it already has Suning, an in-platform partner on Douyin
    assert (check.test, check.actual) == ("partner.in_platform == 0", 1.0)


def test_levers_on_left_out_fields_say_they_rest_on_assumptions(pack):
    r = ranking("minimal", pack)
    onboarding = next(x for x in r.levers if x.id == "store_onboarding")
    assert "douyin.third_party_link_share" in onboarding.assumed_fields
    # Rules left undecided before are decided by the lever, not "raised" by it.
    assert all(not x.raises for x in r.levers)


def test_top_limits_the_list_and_says_how_many_are_left(pack):
    full = ranking("small_pure_promotion", pack)
    r = ranking("small_pure_promotion", pack, top=3)
    assert [x.id for x in r.levers] == [x.id for x in full.levers[:3]]
    assert r.not_shown == len(full.levers) - 3


def test_when_no_single_lever_changes_the_band_the_ranking_says_so(pack):
    assert ranking("small_pure_promotion", pack).band_unchanged  # critical, and saturated
    assert not ranking("premium_brands", pack).band_unchanged
    assert not ranking("douyin_native_supply", pack).band_unchanged  # already low


def test_a_lever_whose_action_window_closed_is_skipped():
    text = TEXT.replace('action = "ACT-SUPPLY-PARTNER"', 'action = "ACT-STARMAP-ROUTE"')
    pack = pack_from_text(text, "pack.toml")
    r = rank_levers(example("small_pure_promotion"), pack, dt.date(2020, 10, 20))
    [skip] = [s.skip for s in r.skipped if s.id == "supply_partner"]
    assert skip.reason == "window_closed" and skip.closed_on == dt.date(2020, 10, 9)


def test_no_lever_applies_to_a_profile_without_douyin(pack, write):
    from mcn_advisor.profile.load import load_profile

    path = write(
        'schema_version = 1\n[agency]\nname = "KS"\nmonthly_gmv_cny = 1_000_000\n'
        "[platform_mix]\nkuaishou = 1.0\n[supply_chain]\nwarehousing = true\nlogistics = true\n"
        "[douyin]\noperates_own_store = true\n[clients]\ntaobao_linked_share = 0.0\n"
    )
    r = rank_levers(load_profile(path), pack, AS_OF)
    assert r.levers == [] and not r.band_unchanged
    assert len(r.skipped) == len(pack.levers)


# --- the pack's lever data is checked when it loads -------------------------------------


def lever_errors(old: str, new: str) -> tuple[list[str], str]:
    assert old in TEXT, old
    bad = TEXT.replace(old, new, 1)
    return errors(bad), bad


def test_unknown_field_in_a_change_is_on_its_line_with_a_suggestion():
    good = '{ field = "supply_chain.warehousing", set = true }'
    [line], bad = lever_errors(good, good.replace("warehousing", "warehouse"))
    assert line.startswith(f"pack.toml:{line_of(bad, 'supply_chain.warehouse' + chr(34))}: levers.")
    assert "unknown field 'supply_chain.warehouse'; did you mean 'supply_chain.warehousing'?" in line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '{ field = "supply_chain.warehousing", set = true }',
            '{ field = "supply_chain.warehousing", set = 1 }',
            "set: must be true or false (got 1)",
        ),
        (
            '{ field = "clients.jd_linked_share", set = 0.0 }',
            '{ field = "clients.jd_linked_share", set = 1.5 }',
            "set: must be within 0..1 (got 1.5)",
        ),
        (
            '{ field = "supply_chain.partners", add = "suning" }',
            '{ field = "supply_chain.warehousing", add = "suning" }',
            "add: 'add' needs a list field; 'supply_chain.warehousing' is bool",
        ),
        (
            'move_to = "platform_mix.kuaishou", fraction = 0.2 }',
            'move_to = "clients.douyin_store_share", fraction = 0.2 }',
            "'platform_mix.douyin_live' and 'clients.douyin_store_share' must both be in the same mix",
        ),
        (
            'move_to = "platform_mix.kuaishou", fraction = 0.2 }',
            'move_to = "platform_mix.kuaishou", fraction = 1.2 }',
            "fraction: 'move_to' needs a fraction: a number in 0..1, or a formula (got 1.2)",
        ),
        (
            '{ field = "platform_mix.douyin_live", move_to = "platform_mix.kuaishou", fraction = 0.2 }',
            '{ field = "platform_mix.douyin_live", formula = "0.5 * platform_mix.douyin_live" }',
            "'platform_mix.douyin_live' is a share of platform_mix, which must keep summing to 1: "
            "change it with move_to another share of platform_mix",
        ),
        (
            '{ field = "agency.divert_contract_share", formula = "0.5 * agency.divert_contract_share" }',
            '{ field = "agency.divert_contract_share", formula = "0.5 * agency.divert_share" }',
            "unknown field 'agency.divert_share'; did you mean 'agency.divert_contract_share'?",
        ),
        (
            '{ field = "douyin.operates_own_store", set = true }',
            '{ field = "douyin.operates_own_store", set = true, formula = "1" }',
            "give exactly one of set, add, formula, move_to (found: set, formula)",
        ),
        (
            'action = "ACT-SUPPLY-BUILD"\neffort = "XL"',
            'action = "ACT-SUPPLY-BUILT"\neffort = "XXL"',
            "unknown action 'ACT-SUPPLY-BUILT'; did you mean 'ACT-SUPPLY-BUILD'?",
        ),
        (
            'action = "ACT-SUPPLY-BUILD"\neffort = "XL"',
            'action = "ACT-SUPPLY-BUILD"\neffort = "XXL"',
            "unknown effort size 'XXL'",
        ),
        (
            '{ field = "supply_chain.logistics", set = true },',
            '{ field = "supply_chain.warehousing", set = false },',
            "'supply_chain.warehousing' is already changed by changes[0]",
        ),
        ('id = "own_store"', 'id = "contract_review"', "duplicate id 'contract_review'"),
        (
            'when = { field = "platform_mix.douyin_live", op = ">", value = 0 }\nchanges = [\n'
            '  { field = "platform_mix.douyin_live", move_to = "platform_mix.kuaishou"',
            'when = { field = "platform_mix.douyin_lve", op = ">", value = 0 }\nchanges = [\n'
            '  { field = "platform_mix.douyin_live", move_to = "platform_mix.kuaishou"',
            "unknown field 'platform_mix.douyin_lve'",
        ),
    ],
)
def test_bad_levers_are_refused_at_load(old, new, message):
    lines, _ = lever_errors(old, new)
    assert any(message in line for line in lines), lines
    assert all(line.startswith("pack.toml:") for line in lines)


def test_done_when_is_checked_like_any_condition():
    old = 'done_when = { field = "douyin.operates_own_store", op = "==", value = true }'
    [line], bad = lever_errors(old, old.replace("operates_own_store", "own_store"))
    assert line.startswith(f"pack.toml:{line_of(bad, 'douyin.own_store')}: actions.")
    assert "unknown field 'douyin.own_store'" in line


def test_the_builtin_levers_cover_the_moves_the_issue_names(pack):
    actions = {c.lever.action for c in pack.levers}
    assert {"ACT-STORE-ONBOARD", "ACT-SV-SHIFT", "ACT-SUPPLY-PARTNER", "ACT-SUPPLY-BUILD"} <= actions
    assert {"ACT-DIVERSIFY", "ACT-SERVICE-PROVIDER"} <= actions
    for c in pack.levers:
        assert c.lever.sources and c.lever.title.zh and c.lever.step.zh


def test_assessment_lists_actions_already_in_place(pack):
    a = assess(example("douyin_native_supply"), pack, AS_OF)
    planned = {x.id for phase in a.plan.phases for x in phase.actions}
    assert {x.id for x in a.plan.in_place} == {"ACT-OWN-STORE", "ACT-SUPPLY-PARTNER"}
    assert not planned & {"ACT-OWN-STORE", "ACT-SUPPLY-PARTNER"}
