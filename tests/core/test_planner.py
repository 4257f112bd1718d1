"""The plan is dated against the policy's steps relative to as_of."""

from __future__ import annotations

import datetime as dt

import pytest

from mcn_advisor.core.engine import assess
from tests.conftest import example

D = dt.date


def plan_at(pack, when, name="small_pure_promotion"):
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
    assert found["ACT-SUPPLY-BUILD"][0].id == "after_ban"


def test_actions_carry_owner_effort_kpi_and_the_rules_behind_them(pack):
    _, act = actions(plan_at(pack, D(2020, 8, 27)))["ACT-STORE-ONBOARD"]
    assert act.strategy == "open_douyin_store"
    assert act.owner == "account_director" and act.owner_title.en == "Account director"
    assert (act.effort, act.effort_days) == ("M", 14)
    assert act.kpi.en and act.kpi.zh
    assert act.triggered_by == ["DY-CLIENT-001", "DY-KS-001", "DY-LIVE-001"]


def test_dependencies_finish_first(pack):
    found = actions(plan_at(pack, D(2020, 8, 27)))
    _, triage = found["ACT-TRIAGE"]
    _, onboard = found["ACT-STORE-ONBOARD"]
    assert onboard.depends_on == ["ACT-TRIAGE"]
    assert triage.due == D(2020, 9, 3)
    assert onboard.start == triage.due and onboard.due == D(2020, 9, 17)
    _, build = found["ACT-SUPPLY-BUILD"]
    _, capital = found["ACT-CAPITAL-PLAN"]
    assert build.start == capital.due


def test_an_action_that_cannot_fit_its_deadline_says_how_late(pack):
    _, onboard = actions(plan_at(pack, D(2020, 9, 30)))["ACT-STORE-ONBOARD"]
    # triage 7 days (to 10-07), onboarding 14 more (to 10-21): 12 days past 10-09
    assert onboard.due == D(2020, 10, 21)
    assert onboard.late_by_days == 12


def test_between_the_steps_the_first_phase_is_carried_over(pack):
    plan = plan_at(pack, D(2020, 9, 20))
    assert plan.mode == "migration"
    first = plan.phases[0]
    assert first.status == "closed" and first.days_left == -14
    assert all(a.carried_over for a in first.actions)
    assert all(a.due > D(2020, 9, 20) for a in first.actions)


@pytest.mark.parametrize("when", [D(2020, 10, 9), D(2020, 11, 30), D(2021, 6, 1)])
def test_after_the_ban_it_is_a_remediation_plan_with_nothing_due_in_the_past(pack, when):
    plan = plan_at(pack, when)
    assert plan.mode == "remediation"
    assert [p.status for p in plan.phases] == ["closed", "closed", "open"]
    found = actions(plan)
    assert "ACT-STARMAP-ROUTE" not in found and "ACT-FEE-REPRICE" not in found
    for _, act in found.values():
        assert act.start >= when and act.due > when
        assert act.late_by_days == 0


def test_star_map_actions_are_dropped_once_the_cart_ban_has_passed(pack):
    plan = assess(example("midsize_mcn_supply_services"), pack, D(2020, 9, 30)).plan
    assert "ACT-STARMAP-ROUTE" in actions(plan)
    plan = assess(example("midsize_mcn_supply_services"), pack, D(2020, 10, 10)).plan
    # the rules calling for them no longer apply, so nothing asks for them
    assert "ACT-STARMAP-ROUTE" not in actions(plan)
