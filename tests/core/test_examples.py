"""Each example profile is an archetype from DOMAIN.md with its expected band and findings."""

from __future__ import annotations

import pytest

from mcn_advisor.core.engine import assess
from tests.conftest import AS_OF, example

CASES = {
    # name: (band, findings that must fire, findings that must not, opportunities)
    "small_pure_promotion": (
        "critical",
        {"DY-LIVE-001", "DY-SUPPLY-001", "DY-REV-001", "DY-CLIENT-001", "DY-CONTRACT-001"},
        set(),
        {"DY-SVC-001"},
    ),
    "douyin_native_supply": (
        "low",
        {"DY-STORE-001", "DY-SV-001"},
        {"DY-SUPPLY-001", "DY-CLIENT-001", "DY-REV-001", "DY-CONTRACT-001"},
        set(),
    ),
    "kuaishou_first_jd": (
        "low",
        {"DY-LIVE-001"},
        {"DY-CLIENT-001", "DY-PLAT-001"},
        {"DY-KS-002"},
    ),
    "midsize_mcn_supply_services": (
        "moderate",
        {"DY-LIVE-001", "DY-CLIENT-001", "DY-SUPPLY-002"},
        {"DY-SUPPLY-001", "DY-REV-001"},
        {"DY-SVC-001"},
    ),
    "short_video_seeding": (
        "low",
        {"DY-SV-001"},
        {"DY-CLIENT-001", "DY-SUPPLY-001", "DY-REV-001"},
        set(),
    ),
    "premium_brands": (
        "critical",
        {"DY-LIVE-001", "DY-CLIENT-001", "DY-CLIENT-002"},
        {"DY-REV-001"},
        set(),
    ),
    "minimal": ("critical", {"DY-SV-001"}, {"DY-LIVE-001"}, set()),
    # The same MCN as small_pure_promotion a month on: a partner signed, Star Map routing done.
    "small_pure_promotion_september": (
        "high",
        {"DY-LIVE-001", "DY-CLIENT-001", "DY-REV-001", "DY-PLAT-001", "DY-STORE-001"},
        {"DY-SUPPLY-001", "DY-MATCH-001"},
        {"DY-SVC-001"},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_band_and_findings(pack, name):
    band, fire, quiet, opportunities = CASES[name]
    a = assess(example(name), pack, AS_OF)
    got = {f.rule_id for f in a.findings}
    assert a.exposure.band == band
    assert fire <= got, fire - got
    assert not quiet & got, quiet & got
    assert opportunities <= {o.rule_id for o in a.opportunities}


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_plan_is_sensible(pack, name):
    a = assess(example(name), pack, AS_OF)
    planned = [x for phase in a.plan.phases for x in phase.actions]
    assert planned or not [f for f in a.findings if f.kind == "risk"]
    wanted = {aid for f in (*a.findings, *a.opportunities) if not f.accepted for aid in f.actions}
    assert wanted <= {x.id for x in planned} | {x.id for x in a.plan.in_place}
    assert all(x.due > AS_OF for x in planned)


def test_examples_rank_as_the_domain_says(pack):
    score = {name: assess(example(name), pack, AS_OF).exposure.score for name in CASES}
    assert score["small_pure_promotion"] > score["premium_brands"] > score["midsize_mcn_supply_services"]
    assert score["midsize_mcn_supply_services"] > score["douyin_native_supply"]
