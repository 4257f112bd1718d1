"""Each example profile is an archetype from DOMAIN.md: its band, the severity of every risk
finding, the plan's size and first three actions, and its money at risk are asserted here.

Severities come from the size of what each rule measures (the pack's scales), so they are
asserted exactly: a change of model shows up here first, as a number to re-read.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from mcn_advisor.core.engine import assess
from tests.conftest import AS_OF, example


class Case(NamedTuple):
    band: str
    score: float
    tier: str
    severities: dict[str, str]  # every risk finding and its severity
    first: list[tuple[str, str, str]]  # the first three things to do: (action, owner role, due)
    money: tuple[int, int]  # GMV and agency revenue at risk, per month
    clients: float | None  # brand clients at risk, weighted by their Douyin live exposure
    # The ladder a month: margin at risk, expected loss, residual loss, upside, net effect; its verdict.
    ladder: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    verdict: str = ""


CASES = {
    "affiliate_studio": Case(
        band="critical",
        score=79.3,
        tier="studio",
        severities={
            "DY-AFF-001": "critical",
            "DY-REV-001": "critical",
            "DY-LIVE-001": "high",
            "DY-SUPPLY-001": "high",
            "DY-PLAT-001": "medium",
            "DY-MATCH-001": "medium",
            "DY-CLIENT-001": "medium",
            "DY-FEE-001": "low",
            "DY-KS-001": "low",
        },
        first=[
            ("ACT-STORE-GOODS", "founder", "2020-08-31"),
            ("ACT-SV-SHIFT", "founder", "2020-09-03"),
            ("ACT-TRIAGE", "founder", "2020-09-04"),
        ],
        money=(918_000, 183_600),
        clients=0.0,
        ladder=(128_520, 118_881, 54_924, 0, -54_924),
        verdict="negative",
    ),
    "douyin_native_supply": Case(
        band="low",
        score=14.2,
        tier="large",
        severities={
            "DY-LIVE-001": "medium",
            "DY-PLAT-001": "medium",
            "DY-CLIENT-002": "medium",
            "DY-CLIENT-001": "low",
            "DY-FEE-001": "low",
            "DY-MATCH-001": "low",
            "DY-KS-001": "low",
        },
        first=[
            ("ACT-TRIAGE", "account_director", "2020-09-03"),
            ("ACT-STORE-GOODS", "selection_lead", "2020-09-03"),
            ("ACT-STORE-ONBOARD", "account_director", "2020-09-17"),
        ],
        money=(4_200_000, 630_000),
        clients=2.0,
        ladder=(315_000, 63_000, 34_807, 20_884, -13_923),
        verdict="negative",
    ),
    "jd_linked_no_kuaishou": Case(
        band="critical",
        score=83.3,
        tier="mid",
        severities={
            "DY-LIVE-001": "critical",
            "DY-REV-001": "high",
            "DY-CLIENT-003": "high",
            "DY-SUPPLY-001": "high",
            "DY-AFF-001": "medium",
            "DY-MATCH-001": "medium",
            "DY-CLIENT-001": "medium",
            "DY-PLAT-001": "medium",
            "DY-CLIENT-002": "medium",
            "DY-FEE-001": "medium",
            "DY-CONTRACT-001": "low",
            "DY-KS-001": "low",
        },
        first=[
            ("ACT-TRIAGE", "account_director", "2020-09-03"),
            ("ACT-STORE-GOODS", "selection_lead", "2020-09-03"),
            ("ACT-FEE-REPRICE", "commercial_lead", "2020-09-03"),
        ],
        money=(15_750_000, 2_362_500),
        clients=25.0,
        ladder=(1_181_250, 788_484, 230_530, 179_550, -50_980),
        verdict="negative",
    ),
    "kuaishou_first_jd": Case(
        band="low",
        score=13.0,
        tier="large",
        severities={
            "DY-LIVE-001": "medium",
            "DY-REV-001": "medium",
            "DY-MATCH-001": "medium",
            "DY-CLIENT-001": "low",
            "DY-CLIENT-003": "low",
            "DY-SUPPLY-002": "low",
            "DY-CLIENT-002": "low",
            "DY-FEE-001": "low",
            "DY-KS-001": "low",
        },
        first=[
            ("ACT-TRIAGE", "account_director", "2020-09-03"),
            ("ACT-OWN-STORE", "ecommerce_ops", "2020-09-03"),
            ("ACT-STORE-GOODS", "selection_lead", "2020-09-03"),
        ],
        money=(4_500_000, 810_000),
        clients=8.0,
        ladder=(405_000, 243_000, 114_119, 79_559, -34_559),
        verdict="negative",
    ),
    "kuaishou_taobao_2019": Case(
        band="low",
        score=11.5,
        tier="mid",
        severities={
            "DY-LIVE-001": "medium",
            "DY-CLIENT-001": "medium",
            "DY-REV-001": "medium",
            "DY-MATCH-001": "medium",
            "DY-SUPPLY-001": "medium",
            "DY-SUPPLY-002": "low",
            "DY-CLIENT-002": "low",
            "DY-CONTRACT-001": "low",
            "DY-FEE-001": "low",
            "DY-CLIENT-003": "low",
            "DY-KS-001": "low",
        },
        first=[
            ("ACT-TRIAGE", "account_director", "2020-09-03"),
            ("ACT-STORE-GOODS", "selection_lead", "2020-09-03"),
            ("ACT-OWN-STORE", "ecommerce_ops", "2020-09-03"),
        ],
        money=(1_500_000, 300_000),
        clients=3.0,
        ladder=(150_000, 90_000, 33_813, 24_966, -8_847),
        verdict="negative",
    ),
    "large_own_brands": Case(
        band="low",
        score=22.3,
        tier="large",
        severities={
            "DY-LIVE-001": "high",
            "DY-CLIENT-001": "medium",
            "DY-CLIENT-002": "medium",
            "DY-MATCH-001": "medium",
            "DY-PLAT-001": "medium",
            "DY-AFF-001": "low",
            "DY-FEE-001": "low",
            "DY-CLIENT-003": "low",
            "DY-KS-001": "low",
        },
        first=[
            ("ACT-TRIAGE", "account_director", "2020-09-03"),
            ("ACT-STORE-GOODS", "selection_lead", "2020-09-03"),
            ("ACT-FEE-REPRICE", "commercial_lead", "2020-09-03"),
        ],
        money=(30_250_000, 4_840_000),
        clients=21.0,
        ladder=(1_936_000, 832_480, 378_653, 754_778, 376_125),
        verdict="positive",
    ),
    "midsize_mcn_supply_services": Case(
        band="moderate",
        score=45.6,
        tier="mid",
        severities={
            "DY-LIVE-001": "critical",
            "DY-CLIENT-001": "high",
            "DY-SUPPLY-002": "medium",
            "DY-CLIENT-002": "medium",
            "DY-MATCH-001": "medium",
            "DY-PLAT-001": "medium",
            "DY-FEE-001": "low",
            "DY-KS-001": "low",
            "DY-CLIENT-003": "low",
        },
        first=[
            ("ACT-TRIAGE", "account_director", "2020-09-03"),
            ("ACT-OWN-STORE", "ecommerce_ops", "2020-09-03"),
            ("ACT-STORE-GOODS", "selection_lead", "2020-09-03"),
        ],
        money=(8_100_000, 1_620_000),
        clients=16.0,
        ladder=(810_000, 405_000, 152_158, 189_971, 37_813),
        verdict="positive",
    ),
    "minimal": Case(
        band="critical",
        score=78.7,
        tier="small",
        severities={"DY-PLAT-001": "medium"},
        first=[
            ("ACT-PRESENCE-KS", "operations_lead", "2020-11-03"),
            ("ACT-DIVERSIFY", "founder", "2021-01-10"),
        ],
        money=(4_000_000, 800_000),
        clients=None,
        ladder=(400_000, 200_000, 200_000, 0, -200_000),
        verdict="negative",
    ),
    "premium_brands": Case(
        band="critical",
        score=78.0,
        tier="mid",
        severities={
            "DY-LIVE-001": "critical",
            "DY-CLIENT-001": "high",
            "DY-CLIENT-002": "high",
            "DY-SUPPLY-001": "high",
            "DY-MATCH-001": "medium",
            "DY-CLIENT-003": "medium",
            "DY-CONTRACT-001": "medium",
            "DY-FEE-001": "medium",
            "DY-KS-001": "low",
            "DY-PLAT-001": "low",
        },
        first=[
            ("ACT-TRIAGE", "account_director", "2020-09-03"),
            ("ACT-STORE-GOODS", "selection_lead", "2020-09-03"),
            ("ACT-FEE-REPRICE", "commercial_lead", "2020-09-03"),
        ],
        money=(10_312_500, 2_578_125),
        clients=15.0,
        ladder=(1_289_063, 1_031_250, 380_176, 92_813, -287_364),
        verdict="negative",
    ),
    "seeding_short_video_90": Case(
        band="low",
        score=14.1,
        tier="mid",
        severities={
            "DY-PLAT-001": "medium",
            "DY-AFF-001": "low",
            "DY-LIVE-001": "low",
            "DY-CLIENT-001": "low",
            "DY-CLIENT-003": "low",
            "DY-CLIENT-002": "low",
            "DY-FEE-001": "low",
            "DY-MATCH-001": "low",
            "DY-SUPPLY-001": "low",
            "DY-KS-001": "low",
        },
        first=[],
        money=(600_000, 60_000),
        clients=1.0,
        ladder=(30_000, 24_000, 24_000, 0, -24_000),
        verdict="negative",
    ),
    "short_video_seeding": Case(
        band="low",
        score=14.4,
        tier="mid",
        severities={
            "DY-LIVE-001": "medium",
            "DY-CLIENT-002": "medium",
            "DY-PLAT-001": "medium",
            "DY-SUPPLY-001": "medium",
            "DY-CLIENT-001": "low",
            "DY-FEE-001": "low",
            "DY-MATCH-001": "low",
            "DY-CLIENT-003": "low",
            "DY-KS-001": "low",
        },
        first=[
            ("ACT-TRIAGE", "account_director", "2020-09-03"),
            ("ACT-STORE-GOODS", "selection_lead", "2020-09-03"),
            ("ACT-STORE-ONBOARD", "account_director", "2020-09-17"),
        ],
        money=(750_000, 90_000),
        clients=2.0,
        ladder=(45_000, 22_500, 10_567, 0, -10_567),
        verdict="negative",
    ),
    "small_pure_promotion": Case(
        band="critical",
        score=93.5,
        tier="small",
        severities={
            "DY-LIVE-001": "critical",
            "DY-CLIENT-001": "critical",
            "DY-REV-001": "critical",
            "DY-MATCH-001": "high",
            "DY-SUPPLY-001": "high",
            "DY-CONTRACT-001": "high",
            "DY-PLAT-001": "medium",
            "DY-FEE-001": "medium",
            "DY-KS-001": "low",
            "DY-CLIENT-003": "low",
        },
        first=[
            ("ACT-TRIAGE", "commercial_lead", "2020-09-01"),
            ("ACT-STORE-GOODS", "operations_lead", "2020-09-01"),
            ("ACT-FEE-REPRICE", "commercial_lead", "2020-09-01"),
        ],
        money=(2_720_000, 598_400),
        clients=19.0,
        ladder=(299_200, 209_440, 78_687, 14_960, -63_727),
        verdict="negative",
    ),
    "small_pure_promotion_september": Case(
        band="high",
        score=72.1,
        tier="small",
        severities={
            "DY-LIVE-001": "critical",
            "DY-CLIENT-001": "high",
            "DY-REV-001": "high",
            "DY-PLAT-001": "medium",
            "DY-CONTRACT-001": "medium",
            "DY-FEE-001": "medium",
            "DY-CLIENT-003": "low",
            "DY-KS-001": "low",
        },
        first=[
            ("ACT-TRIAGE", "commercial_lead", "2020-09-01"),
            ("ACT-STORE-GOODS", "operations_lead", "2020-09-01"),
            ("ACT-CONTRACT-REVIEW", "founder", "2020-09-01"),
        ],
        money=(1_410_000, 310_200),
        clients=13.0,
        ladder=(155_100, 139_590, 61_699, 4_935, -56_764),
        verdict="negative",
    ),
    "taobao_live_testing_douyin": Case(
        band="low",
        score=19.5,
        tier="mid",
        severities={
            "DY-LIVE-001": "medium",
            "DY-CLIENT-001": "medium",
            "DY-REV-001": "medium",
            "DY-CLIENT-002": "medium",
            "DY-MATCH-001": "medium",
            "DY-SUPPLY-001": "medium",
            "DY-AFF-001": "low",
            "DY-CONTRACT-001": "low",
            "DY-FEE-001": "low",
            "DY-KS-001": "low",
        },
        first=[
            ("ACT-TRIAGE", "account_director", "2020-09-03"),
            ("ACT-STORE-GOODS", "selection_lead", "2020-09-03"),
            ("ACT-FEE-REPRICE", "commercial_lead", "2020-09-03"),
        ],
        money=(4_800_000, 864_000),
        clients=12.0,
        ladder=(345_600, 252_288, 98_031, 47_520, -50_511),
        verdict="negative",
    ),
}
OPPORTUNITIES = {
    "small_pure_promotion": {"DY-SVC-001"},
    "kuaishou_first_jd": {"DY-KS-002"},
    "midsize_mcn_supply_services": {"DY-SVC-001"},
    "jd_linked_no_kuaishou": {"DY-KS-002", "DY-SVC-001"},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_band_severities_plan_and_money(pack, name):
    case = CASES[name]
    a = assess(example(name), pack, AS_OF)
    assert (a.exposure.band, a.exposure.score) == (case.band, case.score)
    assert a.plan.tier is not None and a.plan.tier.id == case.tier
    assert {f.rule_id: f.severity for f in a.findings if f.kind == "risk"} == case.severities
    owners = {act.id: act.owner for phase in a.plan.phases for act in phase.actions}
    actions = [p for p in a.summary.priorities if p.kind == "action"]
    assert [(p.action_id, owners[p.action_id], p.due.isoformat()) for p in actions] == case.first
    assert (a.impact.gmv_at_risk_cny_monthly, a.impact.revenue_at_risk_cny_monthly) == case.money
    i = a.impact
    ladder = (i.margin_at_risk_cny_monthly, i.expected_loss_cny_monthly, i.residual_loss_cny_monthly)
    assert (*ladder, i.upside_cny_monthly, i.net_effect_cny_monthly) == case.ladder
    assert i.verdict == case.verdict
    clients = next(f.value for f in a.impact.figures if f.id == "clients_at_risk")
    assert clients == case.clients
    assert OPPORTUNITIES.get(name, set()) <= {o.rule_id for o in a.opportunities}


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_plan_is_sensible(pack, name):
    a = assess(example(name), pack, AS_OF)
    planned = [x for phase in a.plan.phases for x in phase.actions]
    accounted = {
        x.id for x in (*planned, *a.plan.optional, *a.plan.in_place, *a.plan.set_aside, *a.plan.dropped)
    }
    wanted = {aid for f in (*a.findings, *a.opportunities) if not f.accepted for aid in f.actions}
    assert wanted <= accounted, wanted - accounted
    # A medium-or-worse finding asks for something, unless all it asks for is a hedge the closed loop
    # makes optional for an MCN it favours.
    serious = [f for f in a.findings if f.kind == "risk" and f.severity not in ("low", "info")]
    assert planned or not serious or (a.plan.favoured and {f.rule_id for f in serious} == {"DY-PLAT-001"})
    for phase in a.plan.phases:
        start = max(
            (p.deadline for p in a.plan.phases if p.deadline and p.deadline < (phase.deadline or AS_OF.max)),
            default=None,
        )
        for act in phase.actions:
            assert act.due > AS_OF and (phase.deadline is None or act.due <= phase.deadline)
            assert start is None or act.due > start  # inside its phase: nothing "after the ban" due before it
    assert {x.owner for x in planned} <= set(a.plan.tier.owners)


def test_examples_rank_as_the_domain_says(pack):
    score = {name: assess(example(name), pack, AS_OF).exposure.score for name in CASES}
    assert score["small_pure_promotion"] > score["premium_brands"] > score["midsize_mcn_supply_services"]
    assert score["midsize_mcn_supply_services"] > score["douyin_native_supply"]
    assert (
        score["jd_linked_no_kuaishou"] > score["taobao_live_testing_douyin"] > score["seeding_short_video_90"]
    )


def test_a_tiny_third_party_share_is_a_low_finding_and_a_large_one_critical(pack):
    p = example("douyin_native_supply")
    for share, severity in ((0.005, "low"), (0.40, "critical")):
        changed = p.model_copy(
            update={"douyin": p.douyin.model_copy(update={"third_party_link_share": share})}
        )
        live = next(f for f in assess(changed, pack, AS_OF).findings if f.rule_id == "DY-LIVE-001")
        risk = next(r for r in assess(changed, pack, AS_OF).risks if r.rule_id == "DY-LIVE-001")
        assert live.severity == risk.level == severity


def test_the_affiliate_studio_is_run_by_its_founder_and_builds_nothing(pack):
    a = assess(example("affiliate_studio"), pack, AS_OF)
    assert a.plan.tier and a.plan.tier.owners == ["founder"]
    assert {x.owner for phase in a.plan.phases for x in phase.actions} == {"founder"}
    aside = {x.id: x.reason for x in a.plan.set_aside}
    assert aside["ACT-SUPPLY-BUILD"] == aside["ACT-CAPITAL-PLAN"] == "not_at_this_size"
    affiliate = next(f for f in a.findings if f.rule_id == "DY-AFF-001")
    assert affiliate.event and affiliate.event.date.isoformat() == "2020-09-06"
    assert {s.id for s in affiliate.sources} >= {"campaign-asia-2020-08-27", "pingwest-2020-08-28"}


def test_jd_linked_clients_go_to_kuaishou_only_after_an_audience_is_built_there(pack):
    a = assess(example("jd_linked_no_kuaishou"), pack, AS_OF)
    acts = {x.id: (phase.id, x) for phase in a.plan.phases for x in phase.actions}
    phase, move = acts["ACT-JD-KUAISHOU"]
    _, presence = acts["ACT-PRESENCE-KS"]
    assert "ACT-PRESENCE-KS" in move.depends_on and move.start == presence.due
    assert phase == "after_ban" and move.target_phase == "before_cart_ban" and move.late_by_days == 61
    assert {
        x.rationale.en for x in a.assumptions if x.assumed_value == "jd"
    }  # jd supplies Kuaishou, not Douyin
    assert "ACT-SUPPLY-PARTNER" not in {x.id for x in a.plan.in_place}


def test_the_short_video_seeding_mcn_is_asked_for_nothing(pack):
    a = assess(example("seeding_short_video_90"), pack, AS_OF)
    assert not [x for phase in a.plan.phases for x in phase.actions] and not a.summary.priorities
    assert a.plan.favoured is not None
    assert {"ACT-DIVERSIFY", "ACT-STORE-GOODS"} <= {x.id for x in a.plan.optional}


def test_the_large_mcn_with_its_own_goods_refills_from_them(pack):
    a = assess(example("large_own_brands"), pack, AS_OF)
    assert {"ACT-OWN-STORE", "ACT-SUPPLY-PARTNER"} <= {
        x.id for x in a.plan.in_place
    }  # suning counts on Douyin
    planned = {x.id for phase in a.plan.phases for x in phase.actions}
    assert {"ACT-OWN-GOODS", "ACT-STORE-GOODS"} <= planned and "ACT-SUPPLY-BUILD" not in planned


def test_the_taobao_live_agency_is_not_judged_on_its_taobao_core(pack):
    a = assess(example("taobao_live_testing_douyin"), pack, AS_OF)
    severity = {f.rule_id: f.severity for f in a.findings}
    assert severity["DY-CONTRACT-001"] == "low"  # its diversion clauses bind Taobao Live, not Douyin live
    assert severity["DY-REV-001"] == "medium"  # 7.7% of its revenue rides on Douyin third-party links
    assert "DY-PLAT-001" not in severity  # 15% of its GMV is on Douyin
    assert "ACT-CONTRACT-REVIEW" in {x.id for x in a.plan.optional}
