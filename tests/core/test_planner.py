"""The plan: sized to the agency, dated against the policy's steps relative to as_of."""

from __future__ import annotations

import datetime as dt

import pytest

from mcn_advisor.core.engine import assess
from tests.conftest import example

D = dt.date


def plan_at(pack, when, name="midsize_mcn_supply_services"):
    return assess(example(name), pack, when).plan


def actions(plan):
    return {a.id: (phase, a) for phase in plan.phases for a in phase.actions}


def test_phases_follow_the_policy_dates(pack):
    plan = plan_at(pack, D(2020, 8, 27))
    assert plan.mode == "migration"
    assert [(p.id, p.deadline, p.days_left, p.status) for p in plan.phases] == [
        ("before_matching", D(2020, 9, 6), 10, "open"),
        ("before_cart_ban", D(2020, 10, 9), 43, "open"),
        ("after_ban", None, None, "open"),
    ]
    found = actions(plan)
    assert found["ACT-STARMAP-ROUTE"][0].id == "before_matching"
    assert found["ACT-STORE-ONBOARD"][0].id == "before_cart_ban"
    assert found["ACT-DIVERSIFY"][0].id == "after_ban"  # 90 days: due after the ban, where it belongs


def test_actions_carry_owner_effort_kpi_and_the_rules_behind_them(pack):
    _, act = actions(plan_at(pack, D(2020, 8, 27)))["ACT-STORE-ONBOARD"]
    assert act.strategy == "open_douyin_store"
    assert act.owner == "account_director" and act.owner_title.en == "Account director"
    assert (act.effort, act.effort_days) == ("M", 14)
    assert act.kpi.en and act.kpi.zh
    assert act.triggered_by == ["DY-CLIENT-001", "DY-CLIENT-003", "DY-KS-001", "DY-LIVE-001"]


def test_dependencies_finish_first(pack):
    found = actions(plan_at(pack, D(2020, 8, 27)))
    _, triage = found["ACT-TRIAGE"]
    _, onboard = found["ACT-STORE-ONBOARD"]
    assert onboard.depends_on == ["ACT-TRIAGE"]
    assert triage.due == D(2020, 9, 3)
    assert onboard.start == triage.due and onboard.due == D(2020, 9, 17)
    _, own_goods = found["ACT-OWN-GOODS"]
    _, own_store = found["ACT-OWN-STORE"]
    assert own_goods.start == own_store.due


def test_an_action_that_cannot_make_its_target_is_listed_where_it_is_due_and_says_how_late(pack):
    plan = plan_at(pack, D(2020, 9, 30))
    phase, onboard = actions(plan)["ACT-STORE-ONBOARD"]
    # triage 7 days (to 10-07), onboarding 14 more (to 10-21): 12 days past 10-09
    assert onboard.due == D(2020, 10, 21) and onboard.late_by_days == 12
    assert onboard.target_phase == "before_cart_ban" and phase.id == "after_ban"


def test_every_action_is_due_inside_the_phase_it_is_listed_in(pack):
    for when in (D(2020, 8, 27), D(2020, 9, 20), D(2020, 10, 5), D(2020, 11, 1)):
        plan = plan_at(pack, when, "small_pure_promotion")
        start = None
        for phase in plan.phases:
            for act in phase.actions:
                assert act.due > when and (start is None or act.due > start)
                assert phase.deadline is None or act.due <= phase.deadline
            start = phase.deadline or start


def test_between_the_steps_the_closed_phase_is_empty_and_its_actions_are_carried_over(pack):
    plan = plan_at(pack, D(2020, 9, 20), "small_pure_promotion")
    assert plan.mode == "migration"
    first = plan.phases[0]
    assert first.status == "closed" and first.days_left == -14 and first.actions == []
    carried = [a for _, a in actions(plan).values() if a.target_phase == "before_matching"]
    assert carried and all(a.carried_over and a.due > D(2020, 9, 20) for a in carried)


@pytest.mark.parametrize("when", [D(2020, 10, 9), D(2020, 11, 30), D(2021, 6, 1)])
def test_after_the_ban_it_is_a_remediation_plan_with_nothing_due_in_the_past(pack, when):
    plan = plan_at(pack, when, "small_pure_promotion")
    assert plan.mode == "remediation"
    assert [p.status for p in plan.phases] == ["closed", "closed", "open"]
    assert [len(p.actions) for p in plan.phases[:2]] == [0, 0]
    found = actions(plan)
    assert "ACT-STARMAP-ROUTE" not in found and "ACT-FEE-REPRICE" not in found
    for _, act in found.values():
        assert act.start >= when and act.due > when
        assert act.late_by_days == 0


def test_after_the_ban_the_wording_follows_the_date(pack):
    before = assess(example("small_pure_promotion"), pack, D(2020, 8, 27))
    after = assess(example("small_pure_promotion"), pack, D(2020, 10, 20))
    [before_live] = [f for f in before.findings if f.rule_id == "DY-LIVE-001"]
    assert before_live.title.en == "Third-party live-cart GMV is cut off on 2020-10-09"
    [after_live] = [f for f in after.findings if f.rule_id == "DY-LIVE-001"]
    assert after_live.title.en == "Third-party live-cart GMV has been cut off since 2020-10-09"
    assert after_live.title.zh.startswith("第三方链接直播 GMV 自 2020-10-09 起")
    contract = {a.id: a for _, a in actions(after.plan).values()}["ACT-CONTRACT-REVIEW"]
    assert "before the ban" not in contract.title.en and contract.title.en.startswith("Settle")


def test_star_map_actions_are_dropped_once_they_cannot_be_done_before_the_ban(pack):
    plan = plan_at(pack, D(2020, 9, 30))
    assert "ACT-STARMAP-ROUTE" in actions(plan)  # 7 days from 09-30: done by 10-07
    plan = plan_at(pack, D(2020, 10, 5))
    dropped = {d.id: d.reason for d in plan.dropped}
    assert dropped["ACT-STARMAP-ROUTE"] == "cannot_finish"  # 10-12 would be after the ban
    plan = plan_at(pack, D(2020, 10, 10))
    # the rules calling for them no longer apply, so nothing asks for them
    assert "ACT-STARMAP-ROUTE" not in actions(plan)


def test_a_studio_has_one_owner_halved_efforts_and_two_hands(pack):
    plan = plan_at(pack, D(2020, 8, 27), "affiliate_studio")
    assert plan.tier and (plan.tier.id, plan.tier.owners, plan.tier.effort_scale) == (
        "studio",
        ["founder"],
        0.5,
    )
    acts = [a for _, a in actions(plan).values()]
    assert {a.owner for a in acts} == {"founder"}
    _, goods = actions(plan)["ACT-STORE-GOODS"]
    assert goods.effort_days == 4  # S: 7 days at half, rounded up
    for day in range(0, 60):  # never more than two actions in hand at once
        on = D(2020, 8, 27) + dt.timedelta(days=day)
        assert sum(1 for a in acts if a.start <= on < a.due) <= 2


def test_the_tier_is_the_larger_of_creators_and_gmv(pack):
    p = example("affiliate_studio")
    rich = p.model_copy(update={"agency": p.agency.model_copy(update={"monthly_gmv_cny": 20_000_000})})
    assert assess(rich, pack, D(2020, 8, 27)).plan.tier.id == "mid"
    many = p.model_copy(update={"agency": p.agency.model_copy(update={"creators": 40})})
    assert assess(many, pack, D(2020, 8, 27)).plan.tier.id == "mid"
    unknown = p.model_copy(update={"agency": p.agency.model_copy(update={"creators": None})})
    tier = assess(unknown, pack, D(2020, 8, 27)).plan.tier
    assert tier.id == "studio" and tier.creators is None  # by GMV alone, and the report says so


def test_low_findings_ask_for_nothing_and_a_weak_finding_never_starts_a_warehouse(pack):
    a = assess(example("seeding_short_video_90"), pack, D(2020, 8, 27))
    assert not [x for phase in a.plan.phases for x in phase.actions]
    taobao_live = assess(example("taobao_live_testing_douyin"), pack, D(2020, 8, 27))
    supply = next(f for f in taobao_live.findings if f.rule_id == "DY-SUPPLY-001")
    assert supply.severity == "medium"
    assert {"ACT-SUPPLY-BUILD", "ACT-CAPITAL-PLAN"} <= {x.id for x in taobao_live.plan.optional}


def test_actions_that_need_goods_of_its_own_do_not_apply_to_a_selection_only_mcn(pack):
    plan = plan_at(pack, D(2020, 8, 27), "small_pure_promotion")
    aside = {x.id: (x.reason, x.because) for x in plan.set_aside}
    assert aside["ACT-OWN-STORE"] == ("not_applicable", None)
    assert aside["ACT-OWN-GOODS"] == ("not_applicable", "ACT-OWN-STORE")
