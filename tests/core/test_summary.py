"""What the engine hands the reports besides findings and the plan: the executive summary,
the platform mix, the sources cited and the level of every cell of the risk matrix."""

from __future__ import annotations

import datetime as dt

import pytest

from mcn_advisor.core.engine import PRIORITIES, assess
from mcn_advisor.vocab import SEVERITY_RANK
from tests.conftest import GOOD, PROFILES, example

NAMES = sorted(p.stem for p in PROFILES.glob("*.toml"))


def test_first_things_to_do_come_from_the_earliest_phase_most_severe_first(pack):
    p = example("midsize_mcn_supply_services")
    a = assess(p, pack, p.as_of)
    first = a.summary.priorities
    assert [x.action_id for x in first] == ["ACT-TRIAGE", "ACT-OWN-STORE", "ACT-STORE-GOODS"]
    # Sorting clients answers the client findings and unlocks onboarding them to Douyin stores,
    # which answers the critical live-cart finding; of the actions serving it, it serves the most
    # findings, so it comes first. Its own store unlocks refilling live slots with own goods.
    triage = first[0]
    assert triage.severity == "critical"
    assert triage.rule_ids == ["DY-CLIENT-001", "DY-CLIENT-002", "DY-CLIENT-003"]
    assert first[1].unlocks == ["ACT-OWN-GOODS"] and first[2].rule_ids == ["DY-LIVE-001"]
    assert "ACT-STORE-ONBOARD" in triage.unlocks
    assert triage.due == dt.date(2020, 9, 3) and triage.owner_title.en == "Account director"
    phase_one = {act.id for act in a.plan.phases[0].actions}
    assert {x.action_id for x in first} <= phase_one


@pytest.mark.parametrize("name", NAMES)
def test_priorities_are_planned_actions_in_plan_order(pack, name):
    p = example(name)
    a = assess(p, pack, p.as_of)
    order = [(n, act.id) for n, phase in enumerate(a.plan.phases) for act in phase.actions]
    phase_of = dict((act_id, n) for n, act_id in order)
    fill_in = [x for x in a.summary.priorities if x.kind == "fill_in"]
    first = [x for x in a.summary.priorities if x.kind == "action"]
    assert len(first) == min(PRIORITIES - len(fill_in), len(order))
    assert [phase_of[x.action_id] for x in first] == sorted(phase_of[x.action_id] for x in first)
    severities = {f.rule_id: f.severity for f in (*a.findings, *a.opportunities)}
    for x in first:
        direct = [SEVERITY_RANK[severities[r]] for r in x.rule_ids]
        assert SEVERITY_RANK[x.severity] >= max(direct, default=0)


def test_no_douyin_exposure_means_nothing_to_do_first(pack, write):
    from mcn_advisor.profile.load import load_profile

    p = load_profile(write(GOOD.replace("douyin_live = 0.5", "taobao_live = 0.5")))
    a = assess(p, pack, dt.date(2020, 8, 27))
    assert a.summary.priorities == [] and a.summary.gmv_at_risk_share == 0.0
    assert a.summary.risk_findings == {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0}


@pytest.mark.parametrize("name", NAMES)
def test_headline_figures_agree_with_the_detail(pack, name):
    p = example(name)
    a = assess(p, pack, p.as_of)
    s = a.summary
    assert s.monthly_gmv_cny == p.agency.monthly_gmv_cny
    assert s.gmv_at_risk_share == pytest.approx(
        a.impact.gmv_at_risk_cny_monthly / s.monthly_gmv_cny, abs=1e-4
    )
    assert sum(s.risk_findings.values()) == sum(1 for f in a.findings if f.kind == "risk")
    assert list(s.risk_findings) == ["critical", "high", "medium", "low", "info"]
    mix = a.platform_mix
    assert [m.platform for m in mix] == [
        "douyin_live",
        "douyin_short_video",
        "kuaishou",
        "taobao_live",
        "other",
    ]
    assert sum(m.share for m in mix) == pytest.approx(1, abs=0.01)
    for m in mix:
        assert m.gmv_cny_monthly == round(m.share * s.monthly_gmv_cny)


@pytest.mark.parametrize(
    ("as_of", "step"),
    [
        (dt.date(2020, 8, 1), "star_map_fee"),
        (dt.date(2020, 9, 6), "star_map_matching"),
        (dt.date(2020, 9, 7), "live_cart_ban"),
        (dt.date(2020, 10, 10), None),
    ],
)
def test_next_step_is_the_first_one_not_yet_passed(pack, as_of, step):
    a = assess(example("small_pure_promotion"), pack, as_of)
    assert (a.summary.next_step.id if a.summary.next_step else None) == step


@pytest.mark.parametrize("name", NAMES)
def test_every_cited_source_is_listed_once(pack, name):
    p = example(name)
    a = assess(p, pack, p.as_of)
    cited = {s.id for f in (*a.findings, *a.opportunities, *a.hindsight) for s in f.sources}
    cited |= {s for e in a.timeline for s in e.sources}
    assert [s.id for s in a.sources] == sorted(cited)
    assert all(s.title and s.publisher for s in a.sources)


def test_risk_matrix_levels_follow_the_stated_thresholds(pack):
    p = example("small_pure_promotion")
    a = assess(p, pack, p.as_of)
    m = a.risk_matrix
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            rating = likelihood * impact
            expected = (
                "low"
                if rating <= m.low
                else "medium"
                if rating <= m.medium
                else "high"
                if rating <= m.high
                else "critical"
            )
            assert m.levels[likelihood - 1][impact - 1] == expected
    for r in a.risks:
        assert r.level == m.levels[r.likelihood - 1][r.impact - 1]


@pytest.mark.parametrize(
    ("as_of", "stale"),
    [
        (dt.date(2020, 8, 27), False),  # the plan's own time
        (dt.date(2021, 10, 9), False),  # a year after the last step (2020-10-09): a late review still reads
        (dt.date(2021, 10, 10), True),
        (dt.date(2026, 11, 25), True),  # a first run on today's date
    ],
)
def test_a_date_long_after_the_last_step_is_flagged_with_a_date_to_use(pack, as_of, stale):
    s = assess(example("minimal"), pack, as_of).summary.stale
    assert (s is not None) == stale
    if stale:
        # The day after the last step (the live-cart ban) was announced on 2020-08-26.
        assert s.last_step == dt.date(2020, 10, 9) and s.suggested_as_of == dt.date(2020, 8, 27)
        assert s.years == as_of.year - 2020 - (as_of < dt.date(as_of.year, 10, 9))


def test_a_pack_without_announcements_suggests_a_week_before_its_first_step():
    from mcn_advisor.pack.compile import builtin_pack

    ks = builtin_pack("kuaishou_2019")
    s = assess(example("kuaishou_taobao_2019"), ks, dt.date(2026, 11, 25)).summary.stale
    assert (
        s is not None and s.last_step == dt.date(2019, 12, 23) and s.suggested_as_of == dt.date(2019, 12, 16)
    )
    assert s.years == 6
