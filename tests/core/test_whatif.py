"""what-if: --set changes validated like the profile, mixes kept whole, both sides compared."""

from __future__ import annotations

import pytest

from mcn_advisor.core.whatif import parse_assignment, what_if
from mcn_advisor.errors import InputError
from tests.conftest import AS_OF, example

SMALL = "small_pure_promotion"


def run(name: str, *sets: str, levers: tuple[str, ...] = (), rebalance: bool = False, pack=None):
    from mcn_advisor.pack.compile import builtin_pack

    assignments = [parse_assignment(s) for s in sets]
    return what_if(
        example(name), pack or builtin_pack(), AS_OF, assignments, list(levers), rebalance=rebalance
    )


def error(*sets: str, name: str = SMALL, **kw) -> str:
    with pytest.raises(InputError) as exc:
        run(name, *sets, **kw)
    [line] = exc.value.problems
    return line


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("douyin.operates_own_store=true", "douyin.operates_own_store", True),
        ("clients.taobao_linked_share = 0.3", "clients.taobao_linked_share", 0.3),
        ('supply_chain.partners=["suning", "jd"]', "supply_chain.partners", ["suning", "jd"]),
        ("agency.monthly_gmv_cny=50_000_000", "agency.monthly_gmv_cny", 50_000_000),
        ("agency.name=New Name MCN", "agency.name", "New Name MCN"),
        ('agency.name="Quoted"', "agency.name", "Quoted"),
    ],
)
def test_values_are_read_as_toml(text, field, value):
    a = parse_assignment(text)
    assert (a.field, a.value) == (field, value)


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (
            ["clients.taobao_share=0.5"],
            "--set clients.taobao_share=0.5: unknown field 'clients.taobao_share'; "
            "did you mean 'clients.taobao_linked_share'?",
        ),
        (["clients.taobao_linked_share"], "expected FIELD=VALUE"),
        (
            ["clients.taobao_linked_share=1.4"],
            "--set clients.taobao_linked_share=1.4: must be within 0..1 (got 1.4)",
        ),
        (["douyin.operates_own_store=yes"], "'yes' is not a value; write true/false"),
        (["douyin.operates_own_store=1"], "--set douyin.operates_own_store=1: must be true or false (got 1)"),
        (["supply_chain.partners=[suning]"], 'quote each text in a list: ["suning"]'),
        (["agency.creators=2.5"], "--set agency.creators=2.5: must be a whole number (got 2.5)"),
        (["agency.monthly_gmv_cny=-1"], "must not be negative (got -1)"),
        (["clients.jd_linked_share=0.5"], "--set: clients: taobao_linked_share + jd_linked_share = 1.2"),
        (
            ["douyin.star_map_share=0.5", "douyin.star_map_share=0.6"],
            "'douyin.star_map_share' is already set",
        ),
        (["as_of=2020-10-01"], "unknown field 'as_of'; the date is an option: --as-of YYYY-MM-DD"),
    ],
)
def test_bad_changes_are_one_clear_line(sets, message):
    assert message in error(*sets)


def test_a_share_of_a_mix_alone_is_refused_with_what_to_do():
    line = error("platform_mix.douyin_live=0.5")
    assert line == (
        "--set platform_mix.douyin_live=0.5: platform_mix would sum to 0.65 (douyin_live 0.5, "
        "douyin_short_video 0.05, kuaishou 0.1), not 1; set its other shares too "
        "(e.g. --set platform_mix.kuaishou=0.45), or add --rebalance to scale the shares you did not "
        "set in proportion"
    )


def test_setting_the_other_shares_too_keeps_the_mix_whole():
    w = run(SMALL, "platform_mix.douyin_live=0.5", "platform_mix.kuaishou=0.45")
    assert [(c.field, c.after, c.by) for c in w.changes] == [
        ("platform_mix.douyin_live", 0.5, "set"),
        ("platform_mix.kuaishou", 0.45, "set"),
    ]


def test_rebalance_scales_the_other_shares_in_proportion():
    w = run(SMALL, "platform_mix.douyin_live=0.5", rebalance=True)
    rebalanced = {c.field: c.after for c in w.changes if c.by == "rebalanced"}
    # 0.05 and 0.1 share the freed 0.5 in the ratio 1:2.
    assert rebalanced == pytest.approx(
        {"platform_mix.douyin_short_video": 1 / 6, "platform_mix.kuaishou": 2 / 6}, abs=1e-6
    )
    assert w.comparison.after.score < w.comparison.before.score


def test_rebalance_cannot_scale_shares_that_are_all_zero():
    line = error("revenue_mix.live_commerce=0.5", "revenue_mix.advertising=0.1", rebalance=True)
    assert "--rebalance has nothing to scale in revenue_mix" in line


def test_rebalance_refuses_set_shares_above_one():
    line = error("platform_mix.douyin_live=0.8", "platform_mix.kuaishou=0.5", rebalance=True)
    assert "the shares set in platform_mix already sum to 1.3, more than 1" in line


def test_a_mix_left_out_is_assumed_whole_before_a_share_changes():
    # minimal.toml leaves revenue_mix out: its assumed 0.6/0.2/0.1/0.1 is what gets rebalanced.
    w = run("minimal", "revenue_mix.live_commerce=0.3", rebalance=True)
    by_field = {c.field: c for c in w.changes}
    assert by_field["revenue_mix.live_commerce"].assumed_before
    assert by_field["revenue_mix.advertising"].after == pytest.approx(0.2 * 0.7 / 0.4)


def test_both_sides_show_score_money_findings_and_plan():
    w = run(SMALL, levers=("store_onboarding", "supply_partner", "short_video_shift"))
    c = w.comparison
    assert (c.before.score, c.before.band) == (93.5, "critical")
    assert c.after.band == "high" and c.score_change < -20
    gmv = next(f for f in c.figures if f.id == "gmv_at_risk_cny_monthly")
    assert gmv.before == 2_720_000 and gmv.after < gmv.before and gmv.change == gmv.after - gmv.before
    status = {f.rule_id: f.status for f in c.findings}
    assert status["DY-SUPPLY-001"] == "resolved"
    assert status["DY-STORE-001"] == "new"
    assert status["DY-LIVE-001"] == "open"
    actions = {a.id: a.status for a in c.actions}
    assert actions["ACT-SUPPLY-PARTNER"] == "done"  # the lever signed the partner
    assert "ACT-SUPPLY-BUILD" not in actions  # optional at this size on either side: never required
    assert [lever.id for lever in w.levers] == ["store_onboarding", "supply_partner", "short_video_shift"]
    assert {c.by for c in w.changes} == {"store_onboarding", "supply_partner", "short_video_shift"}


def test_levers_apply_in_order_and_then_the_sets():
    w = run(SMALL, "douyin.third_party_link_share=0.3", levers=("supply_partner",))
    assert [(c.field, c.by) for c in w.changes][-1] == ("douyin.third_party_link_share", "set")
    assert w.changes[-1].before == pytest.approx(0.68)  # after the partner (Suning covers 15%) cut 0.8


def test_a_lever_that_does_not_apply_is_an_error_with_the_reason():
    line = error(name="douyin_native_supply", levers=("jd_to_kuaishou",))
    assert line == (
        "--lever jd_to_kuaishou: does not apply to this profile: "
        "clients.jd_linked_share > 0 is false (it is 0.0)"
    )
    assert "did you mean 'store_onboarding'?" in error(levers=("store_onbording",))


def test_a_change_to_the_same_value_changes_nothing():
    w = run(SMALL, "clients.douyin_store_share=0.1")
    c = w.comparison
    assert c.score_change == 0 and not c.factors
    assert all(f.status == "open" for f in c.findings)
    assert all(a.status == "kept" for a in c.actions)
